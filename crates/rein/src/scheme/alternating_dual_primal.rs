use burn::module::Module;

use super::{ConstrainedOptimizer, Core, common_methods, primal_dual_scheme};
use crate::error::Result;
use crate::optim::PrimalOptimizer;
use crate::problem::Cmp;
use crate::report::StepReport;

/// Alternating dual-then-primal updates — the recommended default (same cost as simultaneous):
///
/// ```text
/// S_t = CMP(x_t);   lambda_{t+1} = proj(dual_step(lambda_t, g(x_t)))
///                   x_{t+1} = primal_step(x_t, grad_x L_P(x_t, lambda_{t+1}))
/// ```
///
/// The primal Lagrangian is built from the same evaluation `S_t` with the updated multipliers;
/// nothing is evaluated twice.
#[derive(Debug)]
pub struct AlternatingDualPrimal<O> {
    core: Core<O>,
}

primal_dual_scheme!(
    AlternatingDualPrimal,
    "Dual-then-primal with `primal` descent and `dual` ascent."
);

impl<O: PrimalOptimizer> ConstrainedOptimizer for AlternatingDualPrimal<O> {
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport> {
        let ev = self.core.start(problem, model, batch)?;
        self.core.dual.dual_step(&ev, true)?;
        let (grads, lagrangian) = self.core.lagrangian_grads(model, &ev)?;
        self.core.descend(model, &grads)?;
        Ok(self.core.finish(ev.loss_value, lagrangian, &ev))
    }
    common_methods!();
}
