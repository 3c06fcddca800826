use burn::tensor::Tensor;

use super::param_groups::{ParamGroup, ParamGroups};
use super::slots::SlotState;
use super::{Momentum, ParamGrads, ParamSet, PrimalOptimizer, WeightDecay, update_each};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{Result, ensure_non_negative};

/// Configuration of [`Sgd`].
#[derive(Debug, Clone, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum.
    pub momentum: Momentum,
    /// Weight decay (L2: added to the gradient; decoupled: SGDW).
    pub weight_decay: WeightDecay,
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: Momentum::None,
            weight_decay: WeightDecay::None,
        }
    }
    /// Sets the momentum.
    pub fn momentum(mut self, momentum: Momentum) -> Self {
        self.momentum = momentum;
        self
    }
    /// Sets the weight decay.
    pub fn weight_decay(mut self, w: WeightDecay) -> Self {
        self.weight_decay = w;
        self
    }
}

/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum (PyTorch semantics;
/// see [`Momentum`] and [`WeightDecay`]):
///
/// ```text
/// d = grad + wd x              (L2 weight decay)   |   x <- x (1 - lr wd)   (decoupled)
/// buf = d (first step), else mu buf + d
/// x <- x - lr * { d           (no momentum)
///                 buf         (heavy ball)
///                 d + mu buf  (Nesterov) }
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    config: SgdConfig,
    groups: ParamGroups,
    state: SlotState,
}

impl Sgd {
    /// Builds the optimizer; invalid hyper-parameters are errors naming the field.
    pub fn new(config: SgdConfig) -> Result<Self> {
        ensure_non_negative("lr", config.lr)?;
        config.weight_decay.validate()?;
        config.momentum.validate()?;
        Ok(Self {
            config,
            groups: ParamGroups::default(),
            state: SlotState::default(),
        })
    }

    /// Adds a parameter group with its own learning rate / weight decay.
    pub fn with_group(mut self, group: ParamGroup) -> Result<Self> {
        self.config.weight_decay.check_group(&group)?;
        self.groups.push(group)?;
        Ok(self)
    }

    /// The configuration.
    pub fn config(&self) -> &SgdConfig {
        &self.config
    }

    /// The update of one flattened parameter.
    fn rule(&mut self, path: &str, x: Tensor<1>, g: Tensor<1>) -> Tensor<1> {
        let c = &self.config;
        let (lr, wd) = self.groups.resolve(path, c.lr, c.weight_decay.value());
        let (x, d) = c.weight_decay.apply(wd, lr, x, g);
        let entry = self.state.entry(path, 1);
        entry.step += 1;
        let dir = c.momentum.apply_tensor(&mut entry.slots[0], d);
        x - dir.mul_scalar(lr)
    }
}

impl PrimalOptimizer for Sgd {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        update_each(params, grads, |path, x, g| self.rule(path, x, g));
        Ok(())
    }
    super::lr_accessors!();
}

impl Stateful for Sgd {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        self.state.save(prefix, &["momentum"], out)
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        self.state = SlotState::load(prefix, &["momentum"], dict)?;
        Ok(())
    }
}
