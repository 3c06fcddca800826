//! The user's side: a constrained minimization problem (CMP) evaluates, once per step, a
//! [`CmpState`] — an optional loss, the observed [`ConstraintState`]s, and diagnostics.

use std::collections::BTreeMap;

use burn::tensor::Tensor;

use crate::error::Result;

/// A constrained minimization problem `min_x f(x) s.t. g(x) <= 0, h(x) = 0` over a model `M`.
///
/// Implement [`compute_cmp_state`](Cmp::compute_cmp_state): evaluate the loss and the
/// constraints once on a batch. Optionally implement
/// [`compute_violations`](Cmp::compute_violations), used by
/// [`crate::scheme::AlternatingPrimalDual`] after its primal step; the documented fallback when
/// it returns `None` is the full [`compute_cmp_state`](Cmp::compute_cmp_state).
pub trait Cmp<M> {
    /// What one step consumes (a minibatch, or `()` for deterministic problems).
    type Batch: ?Sized;

    /// Evaluates loss, constraints and diagnostics at `model` on `batch`.
    fn compute_cmp_state(&mut self, model: &M, batch: &Self::Batch) -> Result<CmpState>;

    /// Evaluates only the constraints (no loss needed, no graph needed). `None` means "not
    /// provided": the scheme falls back to [`compute_cmp_state`](Cmp::compute_cmp_state).
    fn compute_violations(&mut self, _model: &M, _batch: &Self::Batch) -> Option<Result<CmpState>> {
        None
    }
}

/// One evaluation of the problem: loss, observed constraints, diagnostics.
#[derive(Debug, Clone, Default)]
pub struct CmpState {
    pub(crate) loss: Option<Tensor<1>>,
    pub(crate) observed: Vec<(String, ConstraintState)>,
    pub(crate) misc: BTreeMap<String, f64>,
}

impl CmpState {
    /// An empty state (no loss: a feasibility problem until [`CmpState::loss`] is called).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the differentiable objective `f` (a one-element tensor).
    pub fn loss(mut self, loss: Tensor<1>) -> Self {
        self.loss = Some(loss);
        self
    }

    /// Records the state of the registered constraint called `name`. Constraints not observed
    /// in a step are skipped by that step (their multipliers and state are untouched).
    pub fn observe(mut self, name: impl Into<String>, state: ConstraintState) -> Self {
        self.observed.push((name.into(), state));
        self
    }

    /// Attaches a diagnostic (e.g. accuracy) that travels to the step report and loggers.
    pub fn misc(mut self, key: impl Into<String>, value: f64) -> Self {
        self.misc.insert(key.into(), value);
        self
    }

    /// The loss tensor, if any.
    pub fn loss_tensor(&self) -> Option<&Tensor<1>> {
        self.loss.as_ref()
    }
}

/// The per-step state of one constraint group.
///
/// * `violation`: differentiable, drives the primal update (length = group size for dense
///   multipliers, or the number of observed `indices`);
/// * `strict_violation` (optional): may be non-differentiable (accuracy, bit counts); drives the
///   dual and penalty updates; absent means `violation` is used (proxy constraints, Cotter et
///   al. 2019);
/// * `indices` / `strict_indices`: observed entries of an indexed group;
/// * `contributes_to_primal` / `contributes_to_dual` (default true).
///
/// A scalar violation is a length-1 vector.
#[derive(Debug, Clone)]
pub struct ConstraintState {
    pub(crate) violation: Option<Tensor<1>>,
    pub(crate) strict_violation: Option<Vec<f64>>,
    pub(crate) indices: Option<Vec<usize>>,
    pub(crate) strict_indices: Option<Vec<usize>>,
    pub(crate) contributes_to_primal: bool,
    pub(crate) contributes_to_dual: bool,
    pub(crate) features: Option<Tensor<2>>,
}

impl ConstraintState {
    /// A state with the differentiable violation (`g^` or `h^`).
    pub fn new(violation: Tensor<1>) -> Self {
        Self {
            violation: Some(violation),
            strict_violation: None,
            indices: None,
            strict_indices: None,
            contributes_to_primal: true,
            contributes_to_dual: true,
            features: None,
        }
    }

    /// A state with only a strict violation: it drives the dual update, not the primal one
    /// (e.g. an expensive true constraint measured every 100 steps).
    pub fn strict_only(strict_violation: Vec<f64>) -> Self {
        Self {
            violation: None,
            strict_violation: Some(strict_violation),
            indices: None,
            strict_indices: None,
            contributes_to_primal: false,
            contributes_to_dual: true,
            features: None,
        }
    }

    /// Sets the strict (possibly non-differentiable) violation used by the dual update.
    pub fn strict(mut self, strict_violation: Vec<f64>) -> Self {
        self.strict_violation = Some(strict_violation);
        self
    }

    /// Sets the observed entries of an indexed group.
    pub fn indices(mut self, indices: Vec<usize>) -> Self {
        self.indices = Some(indices);
        self
    }

    /// Sets the observed entries of the strict violation, when they differ from `indices`.
    pub fn strict_indices(mut self, indices: Vec<usize>) -> Self {
        self.strict_indices = Some(indices);
        self
    }

    /// Sets the constraint features of an implicit multiplier: one row per observed constraint
    /// (same order as the violation). Gradients do not flow into the features.
    pub fn features(mut self, features: Tensor<2>) -> Self {
        self.features = Some(features);
        self
    }

    /// Whether this state enters the primal Lagrangian this step.
    pub fn contributes_to_primal(mut self, on: bool) -> Self {
        self.contributes_to_primal = on;
        self
    }

    /// Whether this state drives the dual update this step.
    pub fn contributes_to_dual(mut self, on: bool) -> Self {
        self.contributes_to_dual = on;
        self
    }

    pub(crate) fn primal_requires_violation(&self) -> bool {
        self.contributes_to_primal
    }
}
