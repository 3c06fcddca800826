//! Primal optimizers: minimise the primal Lagrangian over the model's parameters.
//!
//! An optimizer is a rule over explicit, named state (optax's `init + update`): everything that
//! evolves lives in the optimizer's state map, keyed by parameter path, never in its config.
//! Updates are applied through [`PrimalOptimizer::step`], which takes the whole parameter set's
//! gradients ([`ParamGrads`]) so that global rules (grafting norms, extragradient) have the view
//! they need; the element-wise rules here update one flattened tensor at a time.
//!
//! Parameter groups give parts of a model their own learning rate and weight decay
//! (e.g. L0 gates vs weights): see [`ParamGroup`].

mod adam;
mod grads;
pub(crate) mod mapper;
mod param_groups;
mod sgd;
pub mod shampoo;
mod slots;

pub use adam::{Adam, AdamConfig, WeightDecay};
pub use grads::ParamGrads;
pub use param_groups::ParamGroup;
pub use sgd::{Momentum, Sgd, SgdConfig};
pub use shampoo::{DistributedShampoo, Grafting, Shampoo, ShampooConfig};

use burn::module::Module;

use crate::checkpoint::Stateful;
use crate::error::Result;

/// A primal optimizer: one step of descent on a model given the Lagrangian's gradients.
pub trait PrimalOptimizer: Stateful {
    /// Returns the model after one step with gradients `grads` (keyed by parameter path).
    /// Parameters without a gradient are left unchanged and their state does not advance.
    fn step<M: Module>(&mut self, model: M, grads: &ParamGrads) -> Result<M>;

    /// The base learning rate (the default group's), for reports.
    fn learning_rate(&self) -> f64;

    /// Sets the base learning rate (schedules); parameter groups keep their own.
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;
}
