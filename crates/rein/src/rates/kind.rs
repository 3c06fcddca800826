//! The rates of a binary classifier, as weighted counts of predicted-positive and
//! predicted-negative rows.

/// A rate of a binary classifier on a subset of rows. With scores `z_i`, labels `y_i` in
/// {0, 1}, row weights `w_i >= 0` (a 0/1 mask selects a subset) and the prediction
/// `p_i = [z_i > 0]`:
///
/// ```text
/// rate = sum_i w_i (a_i p_i + b_i (1 - p_i)) / sum_i w_i d_i
///
///                          a_i      b_i      d_i
/// PositivePrediction       1        0        1          share predicted positive
/// NegativePrediction       0        1        1          share predicted negative
/// TruePositive             y_i      0        y_i        recall, sensitivity
/// FalseNegative            0        y_i      y_i        1 - TruePositive
/// FalsePositive            1 - y_i  0        1 - y_i    fall-out
/// TrueNegative             0        1 - y_i  1 - y_i    specificity, 1 - FalsePositive
/// Error                    1 - y_i  y_i      1          misclassified share
/// Accuracy                 y_i      1 - y_i  1          1 - Error
/// ```
///
/// Every rate has a complement with the same denominator that sums with it to 1
/// ([`RateKind::complement`]); a lower bound of a rate is one minus an upper bound of its
/// complement (Cotter et al. 2019, JMLR 20). See `docs/rates.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// Share of rows predicted positive.
    PositivePrediction,
    /// Share of rows predicted negative.
    NegativePrediction,
    /// Share of positive rows predicted positive (recall).
    TruePositive,
    /// Share of positive rows predicted negative.
    FalseNegative,
    /// Share of negative rows predicted positive.
    FalsePositive,
    /// Share of negative rows predicted negative.
    TrueNegative,
    /// Share of rows predicted wrongly.
    Error,
    /// Share of rows predicted rightly.
    Accuracy,
}

impl RateKind {
    /// All rates, in declaration order.
    pub const ALL: [RateKind; 8] = [
        Self::PositivePrediction,
        Self::NegativePrediction,
        Self::TruePositive,
        Self::FalseNegative,
        Self::FalsePositive,
        Self::TrueNegative,
        Self::Error,
        Self::Accuracy,
    ];

    /// The rate with the same denominator that adds up with this one to 1.
    pub fn complement(self) -> Self {
        match self {
            Self::PositivePrediction => Self::NegativePrediction,
            Self::NegativePrediction => Self::PositivePrediction,
            Self::TruePositive => Self::FalseNegative,
            Self::FalseNegative => Self::TruePositive,
            Self::FalsePositive => Self::TrueNegative,
            Self::TrueNegative => Self::FalsePositive,
            Self::Error => Self::Accuracy,
            Self::Accuracy => Self::Error,
        }
    }

    /// A short name (`ppr`, `npr`, `tpr`, `fnr`, `fpr`, `tnr`, `error`, `accuracy`).
    pub fn name(self) -> &'static str {
        match self {
            Self::PositivePrediction => "ppr",
            Self::NegativePrediction => "npr",
            Self::TruePositive => "tpr",
            Self::FalseNegative => "fnr",
            Self::FalsePositive => "fpr",
            Self::TrueNegative => "tnr",
            Self::Error => "error",
            Self::Accuracy => "accuracy",
        }
    }

    /// The coefficients `(a, b, d)` of the row with label `y` (0 or 1): its weight in the
    /// predicted-positive count, in the predicted-negative count, and in the denominator.
    pub(crate) fn coefficients(self, y: f64) -> (f64, f64, f64) {
        let n = 1.0 - y;
        match self {
            Self::PositivePrediction => (1.0, 0.0, 1.0),
            Self::NegativePrediction => (0.0, 1.0, 1.0),
            Self::TruePositive => (y, 0.0, y),
            Self::FalseNegative => (0.0, y, y),
            Self::FalsePositive => (n, 0.0, n),
            Self::TrueNegative => (0.0, n, n),
            Self::Error => (n, y, 1.0),
            Self::Accuracy => (y, n, 1.0),
        }
    }
}

impl std::fmt::Display for RateKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
