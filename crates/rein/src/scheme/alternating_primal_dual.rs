use burn::module::Module;

use super::{ConstrainedOptimizer, Core, common_methods, primal_dual_scheme};
use crate::error::Result;
use crate::evaluation::evaluate;
use crate::optim::PrimalOptimizer;
use crate::problem::Cmp;
use crate::report::StepReport;

/// Alternating primal-then-dual updates:
///
/// ```text
/// S_t = CMP(x_t);   x_{t+1} = primal_step(x_t, grad_x L_P(x_t, lambda_t))
/// V = violations(x_{t+1});   lambda_{t+1} = proj(dual_step(lambda_t, g(x_{t+1})))
/// ```
///
/// The second evaluation uses [`Cmp::compute_violations`] (no graph needed), falling back to
/// [`Cmp::compute_cmp_state`]. The report's loss is `S_t`'s unless the violation evaluation
/// provides one; its constraints are those at `x_{t+1}`. If the second evaluation fails, the
/// primal step has been taken and the dual step has not.
#[derive(Debug)]
pub struct AlternatingPrimalDual<O> {
    core: Core<O>,
}

primal_dual_scheme!(
    AlternatingPrimalDual,
    "Primal-then-dual with `primal` descent and `dual` ascent."
);

impl<O: PrimalOptimizer> ConstrainedOptimizer for AlternatingPrimalDual<O> {
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport> {
        let ev = self.core.start(problem, model, batch)?;
        let (grads, lagrangian) = self.core.lagrangian_grads(model, &ev)?;
        self.core.descend(model, &grads)?;
        let state = match problem.compute_violations(model, batch) {
            Some(s) => s?,
            None => problem.compute_cmp_state(model, batch)?,
        };
        let after = evaluate(state, &self.core.dual.constraints)?;
        self.core.dual.dual_step(&after, true)?;
        let loss = after.loss_value.or(ev.loss_value);
        Ok(self.core.finish(loss, lagrangian, &after))
    }
    common_methods!();
}
