use burn::module::Module;
use burn::tensor::Tensor;

use super::mapper::map_params;
use super::param_groups::{ParamGroup, resolve};
use super::slots::SlotState;
use super::{ParamGrads, PrimalOptimizer};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{Result, ensure_hparam, ensure_non_negative};

/// Momentum of [`Sgd`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Momentum {
    /// Plain gradient descent.
    None,
    /// Polyak heavy ball with coefficient `mu`.
    HeavyBall(f64),
    /// Nesterov momentum with coefficient `mu` (Sutskever et al. 2013 form, as in PyTorch).
    Nesterov(f64),
}

/// Configuration of [`Sgd`].
#[derive(Debug, Clone, PartialEq)]
pub struct SgdConfig {
    /// Learning rate.
    pub lr: f64,
    /// Momentum.
    pub momentum: Momentum,
    /// L2 weight decay added to the gradient.
    pub weight_decay: f64,
}

impl SgdConfig {
    /// Plain SGD with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            momentum: Momentum::None,
            weight_decay: 0.0,
        }
    }
    /// Sets the momentum.
    pub fn momentum(mut self, momentum: Momentum) -> Self {
        self.momentum = momentum;
        self
    }
    /// Sets the L2 weight decay.
    pub fn weight_decay(mut self, w: f64) -> Self {
        self.weight_decay = w;
        self
    }
}

/// Stochastic gradient descent with optional heavy-ball or Nesterov momentum (PyTorch semantics):
///
/// ```text
/// d = grad + wd x
/// buf = d (first step), else mu buf + d
/// x <- x - lr * { d           (no momentum)
///                 buf         (heavy ball)
///                 d + mu buf  (Nesterov) }
/// ```
#[derive(Debug, Clone)]
pub struct Sgd {
    config: SgdConfig,
    groups: Vec<ParamGroup>,
    state: SlotState,
}

impl Sgd {
    /// Builds the optimizer; invalid hyper-parameters are errors naming the field.
    pub fn new(config: SgdConfig) -> Result<Self> {
        ensure_non_negative("lr", config.lr)?;
        ensure_hparam(
            config.weight_decay >= 0.0,
            "weight_decay",
            config.weight_decay,
            "must be >= 0",
        )?;
        if let Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) = config.momentum {
            ensure_hparam(
                (0.0..1.0).contains(&mu),
                "momentum",
                mu,
                "must be in [0, 1)",
            )?;
        }
        Ok(Self {
            config,
            groups: Vec::new(),
            state: SlotState::default(),
        })
    }

    /// Adds a parameter group with its own learning rate / weight decay.
    pub fn with_group(mut self, group: ParamGroup) -> Result<Self> {
        group.validate()?;
        self.groups.push(group);
        Ok(self)
    }

    /// The update of one flattened parameter (also used by extragradient variants).
    fn update(&mut self, path: &str, x: Tensor<1>, g: Tensor<1>) -> Tensor<1> {
        let (lr, wd) = resolve(&self.groups, path, self.config.lr, self.config.weight_decay);
        let mut d = g;
        if wd != 0.0 {
            d = d + x.clone().mul_scalar(wd);
        }
        let entry = self.state.entry(path, 1);
        entry.step += 1;
        let dir = match self.config.momentum {
            Momentum::None => d,
            Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) => {
                let buf = match entry.slots[0].take(&x) {
                    Some(b) => b.mul_scalar(mu) + d.clone(),
                    None => d.clone(),
                };
                entry.slots[0] = super::slots::Slot::Live(buf.clone());
                if matches!(self.config.momentum, Momentum::Nesterov(_)) {
                    d + buf.mul_scalar(mu)
                } else {
                    buf
                }
            }
        };
        x - dir.mul_scalar(lr)
    }
}

impl PrimalOptimizer for Sgd {
    fn step<M: Module>(&mut self, model: M, grads: &ParamGrads) -> Result<M> {
        Ok(map_params(model, &mut |path, x| match grads.get(path) {
            Some(g) => self.update(path, x, g.clone()),
            None => x,
        }))
    }
    fn learning_rate(&self) -> f64 {
        self.config.lr
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        ensure_non_negative("lr", lr)?;
        self.config.lr = lr;
        Ok(())
    }
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
