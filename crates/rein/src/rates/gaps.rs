//! Two-sided gaps between each group's rate and the batch's rate, as the observed entries of
//! one indexed constraint: demographic parity, equalized odds, equal opportunity.

use burn::tensor::Tensor;

use super::{Groups, Predictions, Rate, RateKind, Surrogate};
use crate::error::{ReinError, Result, ensure_non_negative};
use crate::problem::ConstraintState;

/// The observed entries of a gap constraint over `G` groups and `K` rates: `2 G K` entries,
/// entry `2 (g K + k) + side` for group `g`, rate `kinds[k]`, and
///
/// ```text
/// side 0 (above):  rate_g - rate_all - eps <= 0     surrogate: upper_g - lower_all - eps
/// side 1 (below):  rate_all - rate_g - eps <= 0     surrogate: upper_all - lower_g - eps
/// ```
///
/// together `|rate_g - rate_all| <= eps`. `rate_all` is the rate over every row of the batch.
/// With the hinge each surrogate entry upper-bounds its strict entry (`upper >= rate >= lower`,
/// see [`Rate`]). Only entries whose group rate and overall rate are both defined (non-zero
/// denominator) are observed: a group absent from the batch (or without positive rows, for a
/// true positive rate) leaves its entries — and their multipliers — untouched this step.
/// Register the constraint as `Constraint::inequality(name, entries.size()).indexed()`.
#[derive(Debug, Clone)]
pub struct GapEntries {
    size: usize,
    indices: Vec<usize>,
    strict: Vec<f64>,
    violation: Option<Tensor<1>>,
}

impl GapEntries {
    /// Number of entries of the whole constraint, `2 G K` (the indexed multiplier's size).
    pub fn size(&self) -> usize {
        self.size
    }

    /// The observed entries, ascending.
    pub fn indices(&self) -> &[usize] {
        &self.indices
    }

    /// The strict violations of the observed entries.
    pub fn strict(&self) -> &[f64] {
        &self.strict
    }

    /// The differentiable violations of the observed entries (`None` when none is observed).
    pub fn violation(&self) -> Option<&Tensor<1>> {
        self.violation.as_ref()
    }

    /// Whether no entry is observed.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// The constraint state (violation, strict violation, indices); `None` when no entry is
    /// observed (then do not observe the constraint this step).
    pub fn into_state(self) -> Option<ConstraintState> {
        let violation = self.violation?;
        Some(
            ConstraintState::new(violation)
                .strict(self.strict)
                .indices(self.indices),
        )
    }
}

/// Number of entries of a gap constraint over `groups` groups and `rates` rates: `2 groups rates`.
pub const fn gap_size(groups: usize, rates: usize) -> usize {
    2 * groups * rates
}

/// Gaps `|rate_g - rate_all| <= epsilon` of every rate in `kinds`, for every group present
/// (see [`GapEntries`] for the layout and the observed entries). Errors on a negative or
/// non-finite `epsilon`, an empty `kinds`, or `groups` of another length than `predictions`.
pub fn rate_gaps(
    predictions: &Predictions,
    groups: &Groups,
    kinds: &[RateKind],
    epsilon: f64,
    surrogate: Surrogate,
) -> Result<GapEntries> {
    ensure_non_negative("epsilon", epsilon)?;
    if kinds.is_empty() {
        return Err(super::predictions::invalid(
            "a gap constraint needs at least one rate".into(),
        ));
    }
    if groups.len() != predictions.len() {
        return Err(ReinError::ShapeMismatch {
            constraint: super::predictions::CONTEXT.into(),
            what: "group ids (one per row)",
            expected: predictions.len(),
            got: groups.len(),
        });
    }
    let k = kinds.len();
    let all_rows = vec![1.0; predictions.len()];
    let overall: Vec<Option<Rate>> = kinds
        .iter()
        .map(|&kind| predictions.weighted(kind, surrogate, &all_rows))
        .collect();
    let mut indices = Vec::new();
    let mut strict = Vec::new();
    let mut parts = Vec::new();
    for g in groups.present() {
        let mask = groups.mask(g);
        for (j, (&kind, all)) in kinds.iter().zip(&overall).enumerate() {
            let (Some(all), Some(rate)) = (all, predictions.weighted(kind, surrogate, &mask))
            else {
                continue;
            };
            let base = 2 * (g * k + j);
            indices.extend([base, base + 1]);
            strict.push(rate.strict - all.strict - epsilon);
            strict.push(all.strict - rate.strict - epsilon);
            parts.push(
                rate.upper
                    .clone()
                    .sub(all.lower.clone())
                    .sub_scalar(epsilon),
            );
            parts.push(all.upper.clone().sub(rate.lower).sub_scalar(epsilon));
        }
    }
    let violation = (!parts.is_empty()).then(|| Tensor::cat(parts, 0));
    Ok(GapEntries {
        size: gap_size(groups.count(), k),
        indices,
        strict,
        violation,
    })
}

/// Demographic parity: `|ppr_g - ppr_all| <= epsilon` for every group (`2 G` entries: `2 g`
/// for `ppr_g - ppr_all - eps`, `2 g + 1` for `ppr_all - ppr_g - eps`), `ppr` the positive
/// prediction rate (Cotter et al. 2019, JMLR 20).
pub fn demographic_parity(
    predictions: &Predictions,
    groups: &Groups,
    epsilon: f64,
    surrogate: Surrogate,
) -> Result<GapEntries> {
    rate_gaps(
        predictions,
        groups,
        &[RateKind::PositivePrediction],
        epsilon,
        surrogate,
    )
}

/// Equalized odds (Hardt, Price & Srebro 2016): `|tpr_g - tpr_all| <= epsilon` and
/// `|fpr_g - fpr_all| <= epsilon` for every group (`4 G` entries: `4 g + 0/1` the true
/// positive rate above/below, `4 g + 2/3` the false positive rate above/below). A group
/// without positive rows observes no TPR entry this step, one without negative rows no FPR
/// entry.
pub fn equalized_odds(
    predictions: &Predictions,
    groups: &Groups,
    epsilon: f64,
    surrogate: Surrogate,
) -> Result<GapEntries> {
    rate_gaps(
        predictions,
        groups,
        &[RateKind::TruePositive, RateKind::FalsePositive],
        epsilon,
        surrogate,
    )
}
