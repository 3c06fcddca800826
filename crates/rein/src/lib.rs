//! # rein — constrained training for deep learning
//!
//! State constraints — a recall floor, a parameter budget, a loss bound on every sample — and
//! rein solves the Lagrangian min-max game
//!
//! ```text
//! min_x max_{lambda >= 0, mu}  f(x) + lambda . g(x) + mu . h(x)
//! ```
//!
//! with first-order primal-dual methods on minibatches, on top of [burn](https://burn.dev).
//!
//! * The user implements [`Cmp`]: one evaluation returning a [`CmpState`] (loss and
//!   [`ConstraintState`]s keyed by constraint name).
//! * [`Constraints`] registers named [`Constraint`]s with their [`Formulation`], multiplier
//!   (dense or indexed) and [`PenaltyCoefficient`].
//! * A scheme from [`scheme`] (e.g. [`scheme::AlternatingDualPrimal`]) takes a primal optimizer
//!   from [`optim`] and a dual optimizer from [`dual`] and runs steps, each returning a
//!   [`StepReport`].
//! * [`checkpoint`] saves everything that evolves under stable names, atomically.
//!
//! `use rein::prelude::*;` brings all of this into scope; [`config::OptimizerConfig`] builds
//! any scheme and optimizer from a configuration file instead.
//!
//! Multipliers live on the host as `f64` vectors (their gradient is the detached strict
//! violation); only the primal Lagrangian goes through burn's autodiff, once per evaluation.

pub mod checkpoint;
pub mod config;
mod constraint;
pub mod device;
pub mod dist;
pub mod dual;
mod dual_side;
mod error;
mod evaluation;
mod formulation;
pub mod health;
pub mod multiplier;
pub mod optim;
mod penalty;
pub mod prelude;
mod problem;
pub mod rates;
mod report;
mod schedule;
pub mod scheme;
pub mod selection;

pub use checkpoint::{Checkpoint, StateDict, Stateful};
pub use constraint::{Constraint, ConstraintEntry, ConstraintKind, Constraints};
pub use dual_side::project_all;
pub use error::{ReinError, Result};
pub use formulation::Formulation;
pub use health::{HealthConfig, HealthIssue, HealthMonitor, HealthWarning};
pub use penalty::{PenaltyCoefficient, PenaltyGrowth, PenaltyUpdater};
pub use problem::{Cmp, CmpState, ConstraintState};
pub use report::{ConstraintReport, KktResiduals, Observer, StepReport};
pub use schedule::Schedule;
pub use scheme::ConstrainedOptimizer;

/// Re-export of the burn version rein is built on.
pub use burn;
