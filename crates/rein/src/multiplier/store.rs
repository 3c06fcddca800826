//! Storage of multiplier values and their per-entry dual-optimizer state.

use crate::constraint::ConstraintKind;
use crate::dual::DualOptimizer;

/// Multiplier values and the dual optimizer's per-entry state (`slots` values per entry,
/// laid out entry-major: entry `i` owns `state[i*slots .. (i+1)*slots]`).
///
/// Memory is O(size); a step touches only the observed entries.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiplierStore {
    pub(crate) values: Vec<f64>,
    pub(crate) state: Vec<f64>,
    pub(crate) slots: usize,
}

impl MultiplierStore {
    pub(crate) fn new(values: Vec<f64>) -> Self {
        Self {
            values,
            state: Vec::new(),
            slots: 0,
        }
    }

    /// Allocates zeroed dual-optimizer state for `dual` (called once, when a scheme takes the
    /// constraints). Keeps existing state if the slot count already matches.
    pub(crate) fn attach(&mut self, dual: &dyn DualOptimizer) {
        let slots = dual.state_slots().len();
        if self.slots != slots || self.state.len() != slots * self.values.len() {
            self.slots = slots;
            self.state = vec![0.0; slots * self.values.len()];
        }
    }

    /// All values.
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// The raw per-entry state (entry-major).
    pub fn state(&self) -> &[f64] {
        &self.state
    }

    /// Values at `indices`.
    pub(crate) fn gather(&self, indices: &[usize]) -> Vec<f64> {
        indices.iter().map(|&i| self.values[i]).collect()
    }

    /// One dual step on entry `i` with dual gradient `grad`, then projection for inequalities.
    #[inline]
    pub(crate) fn ascend(
        &mut self,
        dual: &dyn DualOptimizer,
        kind: ConstraintKind,
        i: usize,
        grad: f64,
    ) {
        let s = &mut self.state[i * self.slots..(i + 1) * self.slots];
        let next = dual.update(i, self.values[i], grad, s);
        self.values[i] = project(kind, next);
    }

    /// Dual restart of entry `i`: multiplier to 0 and its optimizer state cleared.
    #[inline]
    pub(crate) fn restart(&mut self, i: usize) {
        self.values[i] = 0.0;
        self.state[i * self.slots..(i + 1) * self.slots].fill(0.0);
    }
}

/// Projection onto the multiplier's domain: `max(lambda, 0)` for inequalities, identity for
/// equalities.
#[inline]
pub fn project(kind: ConstraintKind, value: f64) -> f64 {
    match kind {
        ConstraintKind::Inequality => value.max(0.0),
        ConstraintKind::Equality => value,
    }
}
