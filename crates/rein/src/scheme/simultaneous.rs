use burn::module::Module;

use super::{ConstrainedOptimizer, Core, common_methods, primal_dual_scheme};
use crate::error::Result;
use crate::optim::PrimalOptimizer;
use crate::problem::Cmp;
use crate::report::StepReport;

/// Simultaneous gradient descent-ascent (GDA):
///
/// ```text
/// S_t = CMP(x_t);   x_{t+1} = primal_step(x_t, grad_x L_P(x_t, lambda_t))
///                   lambda_{t+1} = proj(dual_step(lambda_t, g(x_t)))
/// ```
///
/// Both updates use the one evaluation at `(x_t, lambda_t)`; then dual restarts and penalty
/// updates.
#[derive(Debug)]
pub struct SimultaneousGda<O> {
    core: Core<O>,
}

primal_dual_scheme!(
    SimultaneousGda,
    "GDA with `primal` descent and `dual` ascent (the default for constraints without their own)."
);

impl<O: PrimalOptimizer> ConstrainedOptimizer for SimultaneousGda<O> {
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport> {
        let ev = self.core.start(problem, model, batch)?;
        let (grads, lagrangian) = self.core.lagrangian_grads(model, &ev)?;
        self.core.descend(model, &grads)?;
        self.core.dual.dual_step(&ev, true)?;
        Ok(self.core.finish(ev.loss_value, lagrangian, &ev))
    }
    common_methods!();
}
