//! What every step returns, and the observer hook that loggers, progress bars and plots use.

use std::collections::BTreeMap;

use crate::constraint::ConstraintKind;

/// The state of one constraint group after a step.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConstraintReport {
    /// Constraint name.
    pub name: String,
    /// Kind.
    pub kind: ConstraintKind,
    /// Observed entries of the differentiable violation.
    pub indices: Vec<usize>,
    /// Differentiable violation at `indices` (empty for strict-only states).
    pub violation: Vec<f64>,
    /// Observed entries of the strict violation.
    pub strict_indices: Vec<usize>,
    /// Strict violation at `strict_indices`.
    pub strict_violation: Vec<f64>,
    /// Multipliers at `strict_indices` after the step (empty without a multiplier).
    pub multipliers: Vec<f64>,
    /// Penalty coefficients at `strict_indices` after the step (empty without a penalty).
    pub penalty: Vec<f64>,
}

impl ConstraintReport {
    /// Largest strict violation (for a scalar constraint: its value).
    pub fn max_strict_violation(&self) -> f64 {
        self.strict_violation
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max)
    }
}

/// Cheap KKT residuals over the observed constraints of a step.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct KktResiduals {
    /// Primal infeasibility: `max(max_i relu(g_i), max_j |h_j|)`.
    pub max_violation: f64,
    /// Complementary slackness: `max_i |lambda_i g_i|` over inequalities.
    pub complementary_slackness: f64,
}

/// The report of one step of a constrained optimizer.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StepReport {
    /// Step number (1 for the first step).
    pub step: u64,
    /// Objective `f` at the evaluation point, if the problem has one.
    pub loss: Option<f64>,
    /// Primal Lagrangian value that was differentiated.
    pub lagrangian: f64,
    /// Per-constraint state.
    pub constraints: Vec<ConstraintReport>,
    /// KKT residuals.
    pub kkt: KktResiduals,
    /// Primal learning rate of the default group at this step (schedule applied).
    pub primal_lr: f64,
    /// Learning rate of the first multiplier's dual optimizer at this step (schedule applied;
    /// none without multipliers).
    pub dual_lr: Option<f64>,
    /// User diagnostics from the CMP state.
    pub misc: BTreeMap<String, f64>,
}

impl StepReport {
    /// The report of the constraint called `name`.
    pub fn constraint(&self, name: &str) -> Option<&ConstraintReport> {
        self.constraints.iter().find(|c| c.name == name)
    }
}

/// Receives every step report (loggers, progress bars, history writers).
pub trait Observer {
    /// Called once per step, after the step.
    fn observe(&mut self, report: &StepReport);
}

impl<F: FnMut(&StepReport)> Observer for F {
    fn observe(&mut self, report: &StepReport) {
        self(report)
    }
}
