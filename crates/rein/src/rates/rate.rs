//! One rate on one subset: its differentiable surrogates and its strict 0/1 value.

use burn::tensor::Tensor;

use super::{RateKind, Surrogate};
use crate::error::{Result, ensure_hparam};
use crate::problem::ConstraintState;

/// A rate of a binary classifier on a subset of rows (see [`RateKind`] for the definitions):
/// the strict value (a host `f64`, no gradient) and two differentiable surrogates
/// (one-element tensors that carry the scores' gradient):
///
/// ```text
/// upper = sum_i w_i (a_i s(z_i) + b_i s(-z_i)) / sum_i w_i d_i         (the rate's own surrogate)
/// lower = 1 - upper(complement)                                          (hinge)
/// lower = upper                                                          (sigmoid)
/// ```
///
/// With [`Surrogate::Hinge`], `lower <= strict <= upper` always: the hinge upper-bounds each
/// indicator, and the complement has the same denominator and sums with the rate to 1. With
/// [`Surrogate::Sigmoid`] both are the same tensor and bound nothing. [`Rate::at_most`] uses
/// `upper` and [`Rate::at_least`] uses `lower`, so with the hinge the differentiable violation is
/// never below the strict one (a conservative proxy; Cotter et al. 2019, JMLR 20).
#[derive(Debug, Clone)]
pub struct Rate {
    pub(super) kind: RateKind,
    pub(super) surrogate: Surrogate,
    pub(super) upper: Tensor<1>,
    pub(super) lower: Tensor<1>,
    pub(super) strict: f64,
    pub(super) denominator: f64,
}

impl Rate {
    /// Which rate this is.
    pub fn kind(&self) -> RateKind {
        self.kind
    }

    /// The surrogate it was computed with.
    pub fn surrogate_kind(&self) -> Surrogate {
        self.surrogate
    }

    /// The strict (0/1-counted) value, in `[0, 1]`.
    pub fn strict(&self) -> f64 {
        self.strict
    }

    /// The (weighted) number of rows in the denominator, `sum_i w_i d_i > 0`.
    pub fn denominator(&self) -> f64 {
        self.denominator
    }

    /// The rate's own surrogate (one element, differentiable); the same as [`Rate::upper`].
    pub fn surrogate(&self) -> Tensor<1> {
        self.upper.clone()
    }

    /// The surrogate that upper-bounds the strict value with the hinge.
    pub fn upper(&self) -> Tensor<1> {
        self.upper.clone()
    }

    /// The surrogate that lower-bounds the strict value with the hinge.
    pub fn lower(&self) -> Tensor<1> {
        self.lower.clone()
    }

    /// The violations of `rate <= bound`: `(upper - bound, strict - bound)`.
    pub fn violation_at_most(&self, bound: f64) -> Result<(Tensor<1>, f64)> {
        check_bound(bound)?;
        Ok((self.upper.clone().sub_scalar(bound), self.strict - bound))
    }

    /// The violations of `rate >= bound`: `(bound - lower, bound - strict)`.
    pub fn violation_at_least(&self, bound: f64) -> Result<(Tensor<1>, f64)> {
        check_bound(bound)?;
        Ok((
            self.lower.clone().neg().add_scalar(bound),
            bound - self.strict,
        ))
    }

    /// The state of the scalar constraint `rate <= bound`: the surrogate violation drives the
    /// primal step, the strict one the dual step (proxy constraints).
    pub fn at_most(&self, bound: f64) -> Result<ConstraintState> {
        let (violation, strict) = self.violation_at_most(bound)?;
        Ok(ConstraintState::new(violation).strict(vec![strict]))
    }

    /// The state of the scalar constraint `rate >= bound` (e.g. a recall floor).
    pub fn at_least(&self, bound: f64) -> Result<ConstraintState> {
        let (violation, strict) = self.violation_at_least(bound)?;
        Ok(ConstraintState::new(violation).strict(vec![strict]))
    }
}

fn check_bound(bound: f64) -> Result<()> {
    ensure_hparam(bound.is_finite(), "bound", bound, "must be finite")
}
