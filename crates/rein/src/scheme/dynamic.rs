//! A scheme chosen at run time: one enum over the scheme types, so a flag or a configuration
//! key picks the scheme without a `match` at the call site.

use burn::module::Module;

use super::{
    AlternatingDualPrimal, AlternatingPrimalDual, ConstrainedOptimizer, Core, Extragradient,
    SimultaneousGda, Unconstrained,
};
use crate::checkpoint::{StateDict, Stateful};
use crate::constraint::Constraints;
use crate::dual::DualOptimizer;
use crate::error::{ReinError, Result};
use crate::optim::PrimalOptimizer;
use crate::problem::Cmp;
use crate::report::{Observer, StepReport};
use crate::schedule::Schedule;

/// The name of an update scheme, as written in configuration files (`scheme =
/// "alternating-dual-primal"`) and on command lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SchemeKind {
    /// [`Unconstrained`]: primal steps only; multipliers stay fixed.
    Unconstrained,
    /// [`SimultaneousGda`].
    Simultaneous,
    /// [`AlternatingDualPrimal`] (the recommended default).
    #[default]
    AlternatingDualPrimal,
    /// [`AlternatingPrimalDual`].
    AlternatingPrimalDual,
    /// [`Extragradient`].
    Extragradient,
}

impl SchemeKind {
    /// Every scheme, in the order of the table in [`crate::scheme`].
    pub const ALL: [SchemeKind; 5] = [
        SchemeKind::Unconstrained,
        SchemeKind::Simultaneous,
        SchemeKind::AlternatingDualPrimal,
        SchemeKind::AlternatingPrimalDual,
        SchemeKind::Extragradient,
    ];

    /// The configuration name (`"alternating-dual-primal"`).
    pub fn name(self) -> &'static str {
        match self {
            SchemeKind::Unconstrained => "unconstrained",
            SchemeKind::Simultaneous => "simultaneous",
            SchemeKind::AlternatingDualPrimal => "alternating-dual-primal",
            SchemeKind::AlternatingPrimalDual => "alternating-primal-dual",
            SchemeKind::Extragradient => "extragradient",
        }
    }

    /// Whether the scheme takes dual steps (all but [`SchemeKind::Unconstrained`]).
    pub fn has_dual_step(self) -> bool {
        self != SchemeKind::Unconstrained
    }

    /// Builds the scheme with `primal` and `dual` (required unless the scheme is
    /// unconstrained, where it must be absent) on `constraints`.
    pub fn build<O: PrimalOptimizer>(
        self,
        primal: O,
        dual: Option<Box<dyn DualOptimizer>>,
        constraints: Constraints,
    ) -> Result<Scheme<O>> {
        match (self.has_dual_step(), &dual) {
            (true, None) => {
                return Err(ReinError::InvalidConfig {
                    key: "dual".into(),
                    reason: format!("the {} scheme needs a dual optimizer", self.name()),
                });
            }
            (false, Some(_)) => {
                return Err(ReinError::InvalidConfig {
                    key: "dual".into(),
                    reason: "the unconstrained scheme takes no dual step: remove the dual \
                             optimizer (multipliers stay at their initial values)"
                        .into(),
                });
            }
            _ => {}
        }
        let core = Core::new(primal, dual, constraints)?;
        Ok(match self {
            SchemeKind::Unconstrained => Scheme::Unconstrained(Unconstrained::from_core(core)),
            SchemeKind::Simultaneous => Scheme::Simultaneous(SimultaneousGda::from_core(core)),
            SchemeKind::AlternatingDualPrimal => {
                Scheme::AlternatingDualPrimal(AlternatingDualPrimal::from_core(core))
            }
            SchemeKind::AlternatingPrimalDual => {
                Scheme::AlternatingPrimalDual(AlternatingPrimalDual::from_core(core))
            }
            SchemeKind::Extragradient => Scheme::Extragradient(Extragradient::from_core(core)),
        })
    }
}

impl std::fmt::Display for SchemeKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.pad(self.name())
    }
}

impl std::str::FromStr for SchemeKind {
    type Err = ReinError;
    fn from_str(s: &str) -> Result<Self> {
        SchemeKind::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| ReinError::InvalidConfig {
                key: "scheme".into(),
                reason: format!(
                    "unknown scheme `{s}`; expected one of {}",
                    SchemeKind::ALL.map(SchemeKind::name).join(", ")
                ),
            })
    }
}

/// One of the scheme types, chosen at run time (from a [`SchemeKind`], usually through
/// [`crate::config::OptimizerConfig::build`]). It is a [`ConstrainedOptimizer`] like each of
/// them, with the same checkpoint names, so swapping a static scheme type for it (or back)
/// changes nothing in a run.
#[derive(Debug)]
pub enum Scheme<O> {
    /// See [`Unconstrained`].
    Unconstrained(Unconstrained<O>),
    /// See [`SimultaneousGda`].
    Simultaneous(SimultaneousGda<O>),
    /// See [`AlternatingDualPrimal`].
    AlternatingDualPrimal(AlternatingDualPrimal<O>),
    /// See [`AlternatingPrimalDual`].
    AlternatingPrimalDual(AlternatingPrimalDual<O>),
    /// See [`Extragradient`].
    Extragradient(Extragradient<O>),
}

macro_rules! each {
    ($self:expr, $s:ident => $body:expr) => {
        match $self {
            Scheme::Unconstrained($s) => $body,
            Scheme::Simultaneous($s) => $body,
            Scheme::AlternatingDualPrimal($s) => $body,
            Scheme::AlternatingPrimalDual($s) => $body,
            Scheme::Extragradient($s) => $body,
        }
    };
}

impl<O: PrimalOptimizer> Scheme<O> {
    /// Which scheme this is.
    pub fn kind(&self) -> SchemeKind {
        match self {
            Scheme::Unconstrained(_) => SchemeKind::Unconstrained,
            Scheme::Simultaneous(_) => SchemeKind::Simultaneous,
            Scheme::AlternatingDualPrimal(_) => SchemeKind::AlternatingDualPrimal,
            Scheme::AlternatingPrimalDual(_) => SchemeKind::AlternatingPrimalDual,
            Scheme::Extragradient(_) => SchemeKind::Extragradient,
        }
    }

    /// The primal optimizer.
    pub fn primal(&self) -> &O {
        each!(self, s => s.primal())
    }

    /// Mutable primal optimizer.
    pub fn primal_mut(&mut self) -> &mut O {
        each!(self, s => s.primal_mut())
    }

    /// See [`SimultaneousGda::with_primal_schedule`].
    pub fn with_primal_schedule(self, schedule: Schedule) -> Result<Self> {
        Ok(match self {
            Scheme::Unconstrained(s) => Scheme::Unconstrained(s.with_primal_schedule(schedule)?),
            Scheme::Simultaneous(s) => Scheme::Simultaneous(s.with_primal_schedule(schedule)?),
            Scheme::AlternatingDualPrimal(s) => {
                Scheme::AlternatingDualPrimal(s.with_primal_schedule(schedule)?)
            }
            Scheme::AlternatingPrimalDual(s) => {
                Scheme::AlternatingPrimalDual(s.with_primal_schedule(schedule)?)
            }
            Scheme::Extragradient(s) => Scheme::Extragradient(s.with_primal_schedule(schedule)?),
        })
    }

    /// See [`SimultaneousGda::with_dual_schedule`].
    pub fn with_dual_schedule(self, schedule: Schedule) -> Result<Self> {
        Ok(match self {
            Scheme::Unconstrained(s) => Scheme::Unconstrained(s.with_dual_schedule(schedule)?),
            Scheme::Simultaneous(s) => Scheme::Simultaneous(s.with_dual_schedule(schedule)?),
            Scheme::AlternatingDualPrimal(s) => {
                Scheme::AlternatingDualPrimal(s.with_dual_schedule(schedule)?)
            }
            Scheme::AlternatingPrimalDual(s) => {
                Scheme::AlternatingPrimalDual(s.with_dual_schedule(schedule)?)
            }
            Scheme::Extragradient(s) => Scheme::Extragradient(s.with_dual_schedule(schedule)?),
        })
    }
}

impl<O: PrimalOptimizer> ConstrainedOptimizer for Scheme<O> {
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport> {
        each!(self, s => s.step(problem, model, batch))
    }
    fn constraints(&self) -> &Constraints {
        each!(self, s => s.constraints())
    }
    fn constraints_mut(&mut self) -> &mut Constraints {
        each!(self, s => s.constraints_mut())
    }
    fn add_observer(&mut self, observer: Box<dyn Observer>) {
        each!(self, s => s.add_observer(observer))
    }
    fn steps_taken(&self) -> u64 {
        each!(self, s => s.steps_taken())
    }
}

impl<O: PrimalOptimizer> Stateful for Scheme<O> {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        each!(self, s => s.save_state(prefix, out))
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        each!(self, s => s.load_state(prefix, dict))
    }
}
