//! Dual optimizers: gradient *ascent* on the multipliers, built in (no sign flipping).
//!
//! A dual optimizer is a per-entry rule over explicit state: `update(i, lambda_i, e_i, state_i)`
//! returns the next value of entry `i` before projection, where `e_i` is the dual gradient (the
//! strict violation) and `state_i` the entry's `state_slots().len()` state values (zero at the
//! start and after a dual restart). Because the rule only ever sees observed entries, dense and
//! indexed multipliers share one code path and one trajectory, and an indexed step costs
//! O(observed) including the optimizer state (Adam moments and step counts, nuPI's `xi`).
//!
//! Extragradient variants (Extra-SGD, Extra-Adam) are these same rules applied twice per step by
//! [`crate::scheme::Extragradient`], whose state advances on both calls.

mod adam;
mod nupi;
mod sgd;

pub use adam::DualAdam;
pub use nupi::{Gain, NuPi, NuPiInit};
pub use sgd::DualSgd;

use crate::error::Result;

/// A per-entry dual ascent rule over explicit state.
pub trait DualOptimizer: std::fmt::Debug + Send + Sync + DualOptimizerClone {
    /// Short stable name, used in checkpoints (`sgd`, `adam`, `nupi`, ...).
    fn name(&self) -> &'static str;

    /// Names of the per-entry state values (may be empty).
    fn state_slots(&self) -> &'static [&'static str];

    /// One ascent step for entry `i` with multiplier `lambda` and dual gradient `grad`;
    /// returns the new value *before* projection. `state` holds this entry's slots.
    fn update(&self, i: usize, lambda: f64, grad: f64, state: &mut [f64]) -> f64;

    /// Checks per-entry hyper-parameters against a constraint group's size.
    fn validate_for(&self, _constraint: &str, _size: usize) -> Result<()> {
        Ok(())
    }

    /// The current learning rate (for reports).
    fn learning_rate(&self) -> f64;

    /// Sets the learning rate (schedules; the rule keeps its other hyper-parameters).
    fn set_learning_rate(&mut self, lr: f64) -> Result<()>;
}

/// Object-safe cloning of boxed dual optimizers.
pub trait DualOptimizerClone {
    /// Clones into a box.
    fn box_clone(&self) -> Box<dyn DualOptimizer>;
}

impl<T: DualOptimizer + Clone + 'static> DualOptimizerClone for T {
    fn box_clone(&self) -> Box<dyn DualOptimizer> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn DualOptimizer> {
    fn clone(&self) -> Self {
        self.box_clone()
    }
}
