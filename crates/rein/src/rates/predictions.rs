//! The scores and labels of a batch, ready to be turned into rates.

use burn::tensor::{Tensor, TensorData};

use super::{Rate, RateKind, Surrogate};
use crate::error::{ReinError, Result};

/// What the errors of this module name as their "constraint".
pub(super) const CONTEXT: &str = "rates";

pub(super) fn invalid(reason: String) -> ReinError {
    ReinError::InvalidConstraintState {
        constraint: CONTEXT.into(),
        reason,
    }
}

/// The host values of a float tensor.
pub(super) fn host_values(t: &Tensor<1>, what: &str) -> Result<Vec<f64>> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map_err(|e| invalid(format!("{what} cannot be read as floats: {e:?}")))
}

/// The scores (logits: `z > 0` predicts positive) and the 0/1 labels of a batch of `b` rows.
///
/// The scores keep their graph: every surrogate rate is differentiable in them. Their host copy
/// gives the strict 0/1 rates. Rates are taken over all rows or over a subset given by a mask
/// (one weight `w_i >= 0` per row; a 0/1 mask selects rows). A rate whose denominator is zero on
/// the subset (no row, or no positive row for a true positive rate, ...) is undefined and
/// returned as `None`, never as NaN.
#[derive(Debug, Clone)]
pub struct Predictions {
    scores: Tensor<1>,
    host_scores: Vec<f64>,
    labels: Vec<f64>,
}

impl Predictions {
    /// Scores `[b]` and labels `[b]` (each 0 or 1). Errors on a length mismatch, a label that
    /// is not 0 or 1, or a non-finite score.
    pub fn new(scores: Tensor<1>, labels: Tensor<1>) -> Result<Self> {
        let labels = host_values(&labels, "labels")?;
        Self::from_labels(scores, &labels)
    }

    /// Scores `[b]` and host labels (each 0 or 1).
    pub fn from_labels(scores: Tensor<1>, labels: &[f64]) -> Result<Self> {
        let host_scores = host_values(&scores, "scores")?;
        if labels.len() != host_scores.len() {
            return Err(ReinError::ShapeMismatch {
                constraint: CONTEXT.into(),
                what: "labels (one per score)",
                expected: host_scores.len(),
                got: labels.len(),
            });
        }
        if let Some((i, y)) = labels
            .iter()
            .enumerate()
            .find(|(_, y)| **y != 0.0 && **y != 1.0)
        {
            return Err(invalid(format!("label {i} is {y}; labels must be 0 or 1")));
        }
        if let Some((i, z)) = host_scores.iter().enumerate().find(|(_, z)| !z.is_finite()) {
            return Err(ReinError::NonFinite {
                constraint: CONTEXT.into(),
                which: "violation",
                entry: i,
                value: *z,
            });
        }
        Ok(Self {
            scores,
            host_scores,
            labels: labels.to_vec(),
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the batch has no row.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The scores (with their graph).
    pub fn scores(&self) -> &Tensor<1> {
        &self.scores
    }

    /// The labels, on the host.
    pub fn labels(&self) -> &[f64] {
        &self.labels
    }

    /// The strict predictions `[z_i > 0]`.
    pub fn predicted_positive(&self) -> Vec<bool> {
        self.host_scores.iter().map(|&z| z > 0.0).collect()
    }

    /// The rate `kind` over the rows weighted by `mask` (all rows when `None`), with the
    /// `surrogate`; `Ok(None)` when its denominator is zero on those rows. Errors on a mask of
    /// the wrong length or with a negative or non-finite weight.
    pub fn rate(
        &self,
        kind: RateKind,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        match mask {
            None => Ok(self.weighted(kind, surrogate, &vec![1.0; self.len()])),
            Some(mask) => {
                let weights = host_values(mask, "mask")?;
                self.check_weights(&weights)?;
                Ok(self.weighted(kind, surrogate, &weights))
            }
        }
    }

    /// Share of rows predicted positive ([`RateKind::PositivePrediction`]).
    pub fn positive_prediction_rate(
        &self,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        self.rate(RateKind::PositivePrediction, surrogate, mask)
    }

    /// Recall ([`RateKind::TruePositive`]).
    pub fn true_positive_rate(
        &self,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        self.rate(RateKind::TruePositive, surrogate, mask)
    }

    /// [`RateKind::FalsePositive`].
    pub fn false_positive_rate(
        &self,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        self.rate(RateKind::FalsePositive, surrogate, mask)
    }

    /// [`RateKind::TrueNegative`].
    pub fn true_negative_rate(
        &self,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        self.rate(RateKind::TrueNegative, surrogate, mask)
    }

    /// [`RateKind::FalseNegative`].
    pub fn false_negative_rate(
        &self,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        self.rate(RateKind::FalseNegative, surrogate, mask)
    }

    /// [`RateKind::Error`].
    pub fn error_rate(
        &self,
        surrogate: Surrogate,
        mask: Option<&Tensor<1>>,
    ) -> Result<Option<Rate>> {
        self.rate(RateKind::Error, surrogate, mask)
    }

    /// [`RateKind::Accuracy`].
    pub fn accuracy(&self, surrogate: Surrogate, mask: Option<&Tensor<1>>) -> Result<Option<Rate>> {
        self.rate(RateKind::Accuracy, surrogate, mask)
    }

    fn check_weights(&self, weights: &[f64]) -> Result<()> {
        if weights.len() != self.len() {
            return Err(ReinError::ShapeMismatch {
                constraint: CONTEXT.into(),
                what: "mask (one weight per row)",
                expected: self.len(),
                got: weights.len(),
            });
        }
        match weights
            .iter()
            .enumerate()
            .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
        {
            Some((i, w)) => Err(invalid(format!(
                "mask weight {i} is {w}; weights must be finite and >= 0"
            ))),
            None => Ok(()),
        }
    }

    /// The rate over host `weights` (already checked); `None` for a zero denominator.
    pub(super) fn weighted(
        &self,
        kind: RateKind,
        surrogate: Surrogate,
        weights: &[f64],
    ) -> Option<Rate> {
        let denominator: f64 = weights
            .iter()
            .zip(&self.labels)
            .map(|(w, &y)| w * kind.coefficients(y).2)
            .sum();
        if denominator <= 0.0 {
            return None;
        }
        let strict = weights
            .iter()
            .zip(&self.labels)
            .zip(&self.host_scores)
            .map(|((w, &y), &z)| {
                let (a, b, _) = kind.coefficients(y);
                w * if z > 0.0 { a } else { b }
            })
            .sum::<f64>()
            / denominator;
        let upper = self
            .surrogate_sum(kind, surrogate, weights)
            .div_scalar(denominator);
        let lower = match surrogate {
            Surrogate::Sigmoid => upper.clone(),
            Surrogate::Hinge => self
                .surrogate_sum(kind.complement(), surrogate, weights)
                .div_scalar(denominator)
                .neg()
                .add_scalar(1.0),
        };
        Some(Rate {
            kind,
            surrogate,
            upper,
            lower,
            strict,
            denominator,
        })
    }

    /// `sum_i w_i (a_i s(z_i) + b_i s(-z_i))`, a one-element tensor; terms whose coefficients
    /// are all zero are left out.
    fn surrogate_sum(&self, kind: RateKind, surrogate: Surrogate, weights: &[f64]) -> Tensor<1> {
        let (mut a, mut b) = (
            Vec::with_capacity(self.len()),
            Vec::with_capacity(self.len()),
        );
        for (w, &y) in weights.iter().zip(&self.labels) {
            let (ai, bi, _) = kind.coefficients(y);
            a.push(w * ai);
            b.push(w * bi);
        }
        let term = |coefficients: Vec<f64>, indicator: Tensor<1>| {
            self.constant(coefficients).mul(indicator).sum()
        };
        let positive = a.iter().any(|&v| v != 0.0);
        let negative = b.iter().any(|&v| v != 0.0);
        match (positive, negative) {
            (true, true) => term(a, surrogate.positive(self.scores.clone()))
                .add(term(b, surrogate.negative(self.scores.clone()))),
            (true, false) => term(a, surrogate.positive(self.scores.clone())),
            (false, true) => term(b, surrogate.negative(self.scores.clone())),
            // A positive denominator with all-zero coefficients: the sum is 0, kept in the graph.
            (false, false) => self.scores.clone().mul_scalar(0.0).sum(),
        }
    }

    /// A constant `[b]` tensor on the scores' device and dtype.
    fn constant(&self, values: Vec<f64>) -> Tensor<1> {
        let n = values.len();
        Tensor::from_data(
            TensorData::new(values, [n]).convert_dtype(self.scores.dtype()),
            &self.scores.device(),
        )
    }
}
