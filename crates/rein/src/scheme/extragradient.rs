use burn::module::Module;

use super::{ConstrainedOptimizer, Core, common_methods, primal_dual_scheme};
use crate::error::Result;
use crate::optim::{Adam, PrimalOptimizer, Sgd};
use crate::problem::Cmp;
use crate::report::StepReport;

/// Extragradient (Korpelevich 1976; Gidel et al. 2019 for the stochastic Extra-SGD and
/// Extra-Adam):
///
/// ```text
/// S_t = CMP(x_t)                        (at lambda_t)
/// x_{t+1/2} = primal_step(x_t, grad L_P(x_t, lambda_t))
/// lambda_{t+1/2} = proj(dual_step(lambda_t, g(x_t)))
/// S_{t+1/2} = CMP(x_{t+1/2})            (at lambda_{t+1/2})
/// x_{t+1} = primal_step(x_t, grad L_P(x_{t+1/2}, lambda_{t+1/2}))
/// lambda_{t+1} = proj(dual_step(lambda_t, g(x_{t+1/2})))
/// ```
///
/// Two evaluations per step. The optimizers' state (momentum, Adam moments) advances on both
/// calls, as in Extra-Adam; the gradients of the half point are applied to the saved point
/// `(x_t, lambda_t)`, and no gradient buffer is mutated in place. Dual restarts and penalty
/// updates happen once, after the final update. The report's loss and constraints are at the
/// half point's evaluation except for the loss, which is `f(x_t)`.
#[derive(Debug)]
pub struct Extragradient<O> {
    core: Core<O>,
}

/// Extragradient with SGD steps (Extra-SGD).
pub type ExtraSgd = Extragradient<Sgd>;
/// Extragradient with Adam steps (Extra-Adam).
pub type ExtraAdam = Extragradient<Adam>;

primal_dual_scheme!(
    Extragradient,
    "Extragradient with `primal` and `dual` rules (use [`crate::dual::DualAdam`] with [`Adam`] for Extra-Adam, [`crate::dual::DualSgd`] with [`Sgd`] for Extra-SGD)."
);

impl<O: PrimalOptimizer> ConstrainedOptimizer for Extragradient<O> {
    fn step<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &mut M,
        batch: &P::Batch,
    ) -> Result<StepReport> {
        let ev = self.core.start(problem, model, batch)?;
        let (grads, _) = self.core.lagrangian_grads(model, &ev)?;
        let saved_model = model.clone();
        let saved_lambda = self.core.dual.save_observed(&ev);
        // Extrapolation.
        self.core.descend(model, &grads)?;
        self.core.dual.dual_step(&ev, false)?;
        // Evaluation at the half point.
        let half = self.core.evaluate(problem, model, batch)?;
        let (half_grads, lagrangian) = self.core.lagrangian_grads(model, &half)?;
        // Update from the saved point with the half point's gradients.
        *model = saved_model;
        self.core.dual.restore_observed(&saved_lambda);
        self.core.descend(model, &half_grads)?;
        self.core.dual.dual_step(&half, true)?;
        Ok(self.core.finish(ev.loss_value, lagrangian, &half))
    }
    common_methods!();
}
