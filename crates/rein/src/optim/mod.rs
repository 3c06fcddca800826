//! Primal optimizers: minimise the primal Lagrangian over the model's parameters.
//!
//! An optimizer is a rule over explicit, named state (optax's `init + update`): everything that
//! evolves lives in the optimizer's state map, keyed by parameter path, never in its config.
//! The rule is [`PrimalOptimizer::update`], which takes the whole parameter set ([`ParamSet`])
//! and its gradients ([`ParamGrads`]) so that global rules (grafting norms, extragradient,
//! Distributed Shampoo's block assignment) have the view they need; the element-wise rules
//! here update one flattened tensor at a time. `update` is object safe: a `Box<dyn
//! PrimalOptimizer>` is itself a primal optimizer, so configuration files pick one at run
//! time ([`crate::config::PrimalConfig`]).
//!
//! The shared building blocks: parameter groups with their own learning rate and weight decay
//! ([`ParamGroup`], e.g. L0 gates vs weights), the learning-rate scale that schedules set
//! ([`PrimalOptimizer::set_lr_scale`]), [`WeightDecay`] (L2 or decoupled), [`Momentum`]
//! (heavy ball or Nesterov), and projections applied after every step ([`Projected`],
//! [`Clamp`]).

mod adam;
mod adam_host;
mod grads;
pub(crate) mod mapper;
mod momentum;
mod param_groups;
mod param_set;
mod projection;
mod sgd;
pub mod shampoo;
mod slots;
mod weight_decay;

pub use adam::{Adam, AdamConfig};
pub use grads::ParamGrads;
pub use momentum::Momentum;
pub use param_groups::ParamGroup;
pub(crate) use param_groups::pattern_matches;
pub use param_set::ParamSet;
pub use projection::{Clamp, Projected, Projection};
pub use sgd::{Sgd, SgdConfig};
pub use shampoo::{DistributedShampoo, Grafting, Shampoo, ShampooConfig};
pub use weight_decay::WeightDecay;

use burn::module::Module;
use burn::tensor::Tensor;

use crate::checkpoint::{StateDict, Stateful};
use crate::error::Result;

/// A primal optimizer: one step of descent on a model given the Lagrangian's gradients.
///
/// Implement [`update`](PrimalOptimizer::update) (the rule), the learning-rate accessors and
/// [`Stateful`] (named state for checkpoints); [`step`](PrimalOptimizer::step) is provided.
pub trait PrimalOptimizer: Stateful + std::fmt::Debug {
    /// One step of the rule: replaces the values in `params` of every parameter that has a
    /// gradient in `grads`. Parameters without a gradient are left unchanged and their state
    /// does not advance. On error nothing has changed (neither `params` nor the state).
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()>;

    /// The base learning rate (the default group's, before the schedule's scale), for reports.
    fn learning_rate(&self) -> f64;

    /// Sets the base learning rate; parameter groups keep their own.
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;

    /// Multiplies every learning rate — the base rate and each group's — by `scale` from the
    /// next step on (learning-rate schedules set it once per step; it starts at 1).
    fn set_lr_scale(&mut self, scale: f64) -> Result<()>;

    /// Returns the model after one step with gradients `grads` (keyed by parameter path).
    ///
    /// The gradients are checked first: a NaN or infinite entry is an error naming the
    /// parameter, and the model and the optimizer's state are left as they were.
    fn step<M: Module>(&mut self, model: M, grads: &ParamGrads) -> Result<M>
    where
        Self: Sized,
    {
        grads.check_finite()?;
        let mut params = ParamSet::of(&model);
        self.update(&mut params, grads)?;
        Ok(params.apply(model))
    }
}

impl<O: PrimalOptimizer + ?Sized> PrimalOptimizer for Box<O> {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        (**self).update(params, grads)
    }
    fn learning_rate(&self) -> f64 {
        (**self).learning_rate()
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        (**self).set_learning_rate(lr)
    }
    fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        (**self).set_lr_scale(scale)
    }
}

impl<O: Stateful + ?Sized> Stateful for Box<O> {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        (**self).save_state(prefix, out)
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        (**self).load_state(prefix, dict)
    }
}

/// The learning-rate accessors of an optimizer with `config.lr` and `groups: ParamGroups`.
macro_rules! lr_accessors {
    () => {
        fn learning_rate(&self) -> f64 {
            self.config.lr
        }
        fn set_learning_rate(&mut self, lr: f64) -> $crate::error::Result<()> {
            $crate::error::ensure_non_negative("lr", lr)?;
            self.config.lr = lr;
            Ok(())
        }
        fn set_lr_scale(&mut self, scale: f64) -> $crate::error::Result<()> {
            self.groups.set_lr_scale(scale)
        }
    };
}
pub(crate) use lr_accessors;

/// Applies an element-wise rule to every parameter with a gradient: `rule(path, x, g)`
/// returns the new value of the flattened parameter `x`. The shared loop of the element-wise
/// optimizers.
pub(crate) fn update_each(
    params: &mut ParamSet,
    grads: &ParamGrads,
    mut rule: impl FnMut(&str, Tensor<1>, Tensor<1>) -> Tensor<1>,
) {
    for path in grads.paths() {
        let Some(g) = grads.get(path) else { continue };
        params.update(path, |x| rule(path, x, g.clone()));
    }
}
