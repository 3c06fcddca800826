//! What every scheme shares: the primal optimizer, the dual side, the step counter, observers.

use burn::module::Module;
use burn::tensor::Tensor;

use crate::checkpoint::{StateDict, Stateful};
use crate::constraint::Constraints;
use crate::dual::DualOptimizer;
use crate::dual_side::DualSide;
use crate::error::{ReinError, Result};
use crate::evaluation::{Evaluation, evaluate, host_values};
use crate::optim::{ParamGrads, PrimalOptimizer};
use crate::problem::Cmp;
use crate::report::{Observer, StepReport};
use crate::schedule::Schedule;

pub(crate) struct Core<O> {
    pub primal: O,
    pub dual: DualSide,
    pub step: u64,
    pub observers: Vec<Box<dyn Observer>>,
    /// Learning-rate schedules of the primal and the dual side (none: constant).
    pub primal_schedule: Option<Schedule>,
    pub dual_schedule: Option<Schedule>,
}

impl<O: std::fmt::Debug> std::fmt::Debug for Core<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("primal", &self.primal)
            .field("dual", &self.dual)
            .field("step", &self.step)
            .field("primal_schedule", &self.primal_schedule)
            .field("dual_schedule", &self.dual_schedule)
            .finish_non_exhaustive()
    }
}

impl<O: PrimalOptimizer> Core<O> {
    pub fn new(
        primal: O,
        dual: Option<Box<dyn DualOptimizer>>,
        constraints: Constraints,
    ) -> Result<Self> {
        Ok(Self {
            primal,
            dual: DualSide::new(constraints, dual)?,
            step: 0,
            observers: Vec::new(),
            primal_schedule: None,
            dual_schedule: None,
        })
    }

    /// Sets the learning-rate scales of this step from the schedules (no schedule: untouched).
    pub fn begin_step(&mut self) -> Result<()> {
        if let Some(s) = &self.primal_schedule {
            self.primal.set_lr_scale(s.factor(self.step))?;
        }
        if let Some(s) = &self.dual_schedule {
            self.dual.set_lr_scale(s.factor(self.step))?;
        }
        Ok(())
    }

    /// Begins a step: sets the scheduled learning rates and evaluates the problem at `model`.
    pub fn start<M: Module, P: Cmp<M>>(
        &mut self,
        problem: &mut P,
        model: &M,
        batch: &P::Batch,
    ) -> Result<Evaluation> {
        self.begin_step()?;
        self.evaluate(problem, model, batch)
    }

    /// The divergence guard: a non-finite value met in a step after the first becomes
    /// [`ReinError::Diverged`], naming the step and the learning rates in use. At the first
    /// step nothing has moved yet, so the problem's own error is returned as it is.
    fn guard<T>(&self, result: Result<T>) -> Result<T> {
        match result {
            Err(e) if self.step > 0 && e.is_non_finite() => Err(ReinError::Diverged {
                step: self.step + 1,
                cause: Box::new(e),
                primal_lr: self.primal.learning_rate()
                    * self
                        .primal_schedule
                        .as_ref()
                        .map_or(1.0, |s| s.factor(self.step)),
                dual_lr: self.dual.learning_rate(),
            }),
            other => other,
        }
    }

    /// Evaluates the problem at `model` and validates the state against the constraints.
    pub fn evaluate<M: Module, P: Cmp<M>>(
        &self,
        problem: &mut P,
        model: &M,
        batch: &P::Batch,
    ) -> Result<Evaluation> {
        let state = problem.compute_cmp_state(model, batch)?;
        self.guard(evaluate(state, &self.dual.constraints))
    }

    /// Gradients of the primal Lagrangian of `ev` (current multipliers) at `model`, and its value.
    pub fn lagrangian_grads<M: Module>(
        &self,
        model: &M,
        ev: &Evaluation,
    ) -> Result<(ParamGrads, f64)> {
        let lp: Tensor<1> = self.dual.primal_lagrangian(ev)?;
        let value = host_values(&lp)[0];
        if !value.is_finite() {
            return self.guard(Err(ReinError::NonFinite {
                constraint: "primal Lagrangian".into(),
                which: "loss",
                entry: 0,
                value,
            }));
        }
        let grads = lp.backward();
        Ok((ParamGrads::from_backward(model, &grads), value))
    }

    /// One primal step of `model` with `grads`.
    pub fn descend<M: Module>(&mut self, model: &mut M, grads: &ParamGrads) -> Result<()> {
        let stepped = self.primal.step(model.clone(), grads);
        *model = self.guard(stepped)?;
        Ok(())
    }

    /// Builds the report, advances the counter, and notifies observers.
    pub fn finish(&mut self, loss: Option<f64>, lagrangian: f64, ev: &Evaluation) -> StepReport {
        self.step += 1;
        let (constraints, kkt) = self.dual.report(ev);
        let report = StepReport {
            step: self.step,
            loss,
            lagrangian,
            constraints,
            kkt,
            primal_lr: self.primal.learning_rate()
                * self
                    .primal_schedule
                    .as_ref()
                    .map_or(1.0, |s| s.factor(self.step - 1)),
            dual_lr: self.dual.learning_rate(),
            misc: ev.misc.clone(),
        };
        for o in &mut self.observers {
            o.observe(&report);
        }
        report
    }
}

impl<O: PrimalOptimizer> Stateful for Core<O> {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        out.put_u64s(&format!("{prefix}/step"), &[self.step]);
        self.primal.save_state(&format!("{prefix}/primal"), out)?;
        self.dual.save_state(&format!("{prefix}/dual"), out)
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        let step = dict.get_u64s(&format!("{prefix}/step"))?;
        self.dual.load_state(&format!("{prefix}/dual"), dict)?;
        self.primal.load_state(&format!("{prefix}/primal"), dict)?;
        self.step = step.first().copied().unwrap_or(0);
        Ok(())
    }
}
