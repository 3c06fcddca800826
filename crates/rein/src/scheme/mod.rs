//! Update schemes: how primal descent and dual ascent interleave. One type per scheme; swapping
//! is a one-line change because they share [`ConstrainedOptimizer`].
//!
//! | scheme | evaluations / step | order |
//! |---|---|---|
//! | [`Unconstrained`] | 1 | primal step on `L_P` (multipliers fixed; penalty updates on) |
//! | [`SimultaneousGda`] | 1 | `L_P(x_t, lambda_t)` and `L_D` from one evaluation; both steps |
//! | [`AlternatingDualPrimal`] (recommended) | 1 | dual step first, primal step with `lambda_{t+1}` |
//! | [`AlternatingPrimalDual`] | 1 + violations | primal step, re-evaluate violations at `x_{t+1}`, dual step |
//! | [`Extragradient`] | 2 | extrapolate both, evaluate there, update from the saved point |
//!
//! Ascent and projection are built in: no user flips a sign.

mod alternating_dual_primal;
mod alternating_primal_dual;
mod core;
mod dynamic;
mod extragradient;
mod simultaneous;
mod unconstrained;

pub use alternating_dual_primal::AlternatingDualPrimal;
pub use alternating_primal_dual::AlternatingPrimalDual;
pub use dynamic::{Scheme, SchemeKind};
pub use extragradient::{ExtraAdam, ExtraSgd, Extragradient};
pub use simultaneous::SimultaneousGda;
pub use unconstrained::Unconstrained;

pub(crate) use self::core::Core;

use burn::module::Module;

use crate::checkpoint::Stateful;
use crate::constraint::Constraints;
use crate::error::Result;
use crate::problem::Cmp;
use crate::report::{Observer, StepReport};

/// A constrained optimizer: one `step` evaluates the problem, updates model and multipliers,
/// and returns a [`StepReport`] (also passed to every registered [`Observer`]).
pub trait ConstrainedOptimizer: Stateful {
    /// One step of the scheme on `batch`.
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport>;

    /// The registered constraints, with their current multipliers and penalty coefficients.
    fn constraints(&self) -> &Constraints;

    /// Mutable access to the constraints (warm starts, manual resets).
    fn constraints_mut(&mut self) -> &mut Constraints;

    /// Registers an observer called after every step.
    fn add_observer(&mut self, observer: Box<dyn Observer>);

    /// Number of steps taken so far (restored from checkpoints).
    fn steps_taken(&self) -> u64;
}

/// A scheme with a dual step: the constructor `new(primal, dual, constraints)` and the
/// delegations of [`delegate_to_core`].
macro_rules! primal_dual_scheme {
    ($t:ident, $doc:literal) => {
        impl<O: $crate::optim::PrimalOptimizer> $t<O> {
            #[doc = $doc]
            pub fn new(
                primal: O,
                dual: impl $crate::dual::DualOptimizer + 'static,
                constraints: $crate::constraint::Constraints,
            ) -> $crate::error::Result<Self> {
                Ok(Self {
                    core: $crate::scheme::Core::new(primal, Some(Box::new(dual)), constraints)?,
                })
            }
        }
        $crate::scheme::delegate_to_core!($t);
    };
}
pub(crate) use primal_dual_scheme;

macro_rules! delegate_to_core {
    ($t:ident) => {
        impl<O: $crate::optim::PrimalOptimizer> $crate::checkpoint::Stateful for $t<O> {
            fn save_state(
                &self,
                prefix: &str,
                out: &mut $crate::checkpoint::StateDict,
            ) -> $crate::error::Result<()> {
                self.core.save_state(prefix, out)
            }
            fn load_state(
                &mut self,
                prefix: &str,
                dict: &$crate::checkpoint::StateDict,
            ) -> $crate::error::Result<()> {
                self.core.load_state(prefix, dict)
            }
        }

        impl<O> $t<O> {
            /// The scheme around an already built core (run-time construction).
            pub(crate) fn from_core(core: $crate::scheme::Core<O>) -> Self {
                Self { core }
            }
            /// The primal optimizer.
            pub fn primal(&self) -> &O {
                &self.core.primal
            }
            /// Mutable primal optimizer.
            pub fn primal_mut(&mut self) -> &mut O {
                &mut self.core.primal
            }
            /// Schedules every primal learning rate (the default and each group's) by
            /// `schedule`'s factor at each step.
            pub fn with_primal_schedule(
                mut self,
                schedule: $crate::schedule::Schedule,
            ) -> $crate::error::Result<Self> {
                schedule.validate()?;
                self.core.primal_schedule = Some(schedule);
                Ok(self)
            }
            /// Schedules every dual learning rate (each multiplier's optimizer) by
            /// `schedule`'s factor at each step.
            pub fn with_dual_schedule(
                mut self,
                schedule: $crate::schedule::Schedule,
            ) -> $crate::error::Result<Self> {
                schedule.validate()?;
                self.core.dual_schedule = Some(schedule);
                Ok(self)
            }
        }
    };
}
pub(crate) use delegate_to_core;

macro_rules! common_methods {
    () => {
        fn constraints(&self) -> &$crate::constraint::Constraints {
            &self.core.dual.constraints
        }
        fn constraints_mut(&mut self) -> &mut $crate::constraint::Constraints {
            &mut self.core.dual.constraints
        }
        fn add_observer(&mut self, observer: Box<dyn $crate::report::Observer>) {
            self.core.observers.push(observer);
        }
        fn steps_taken(&self) -> u64 {
            self.core.step
        }
    };
}
pub(crate) use common_methods;
