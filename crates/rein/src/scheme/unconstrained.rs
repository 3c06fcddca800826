use burn::module::Module;

use super::{ConstrainedOptimizer, Core, common_methods, delegate_to_core};
use crate::constraint::Constraints;
use crate::error::Result;
use crate::optim::PrimalOptimizer;
use crate::problem::Cmp;
use crate::report::StepReport;

/// Unconstrained descent on the primal Lagrangian: evaluate, `grad L_P`, primal step.
///
/// Multipliers (if any) stay fixed; penalty coefficients are updated. This is the scheme for
/// problems whose constraints are all [`crate::Formulation::QuadraticPenalty`], and for plain
/// training (no constraints).
#[derive(Debug)]
pub struct Unconstrained<O> {
    core: Core<O>,
}

impl<O: PrimalOptimizer> Unconstrained<O> {
    /// Descent with `primal` on the problem whose constraints are `constraints`.
    pub fn new(primal: O, constraints: Constraints) -> Result<Self> {
        Ok(Self {
            core: Core::new(primal, None, constraints)?,
        })
    }
}

delegate_to_core!(Unconstrained);

impl<O: PrimalOptimizer> ConstrainedOptimizer for Unconstrained<O> {
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport> {
        let ev = self.core.start(problem, model, batch)?;
        let (grads, lagrangian) = self.core.lagrangian_grads(model, &ev)?;
        self.core.descend(model, &grads)?;
        self.core.dual.penalty_step(&ev);
        Ok(self.core.finish(ev.loss_value, lagrangian, &ev))
    }
    common_methods!();
}
