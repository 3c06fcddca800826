//! Differentiable stand-ins for the 0/1 indicators a rate counts.

use burn::tensor::Tensor;
use burn::tensor::activation::{relu, sigmoid};

/// The smooth function that replaces the indicator `[z > 0]` ("predicted positive") of a score
/// `z` in a surrogate rate; the indicator `[z <= 0]` ("predicted negative") is replaced by the
/// same function of `-z`.
///
/// ```text
/// Sigmoid:  [z > 0] ~ sigmoid(z) = 1 / (1 + e^-z)      [z <= 0] ~ sigmoid(-z) = 1 - sigmoid(z)
/// Hinge:    [z > 0] <= max(0, 1 + z)                    [z <= 0] <= max(0, 1 - z)
/// ```
///
/// The hinge is an upper bound of both indicators at every `z` (at `z = 0`: `[0 > 0] = 0 <= 1`
/// and `[0 <= 0] = 1 <= 1`), so a hinge surrogate rate upper-bounds the 0/1 rate it stands for
/// (Cotter, Jiang, Gupta, Wang, Narayan, You & Sridharan 2019, JMLR 20, Section 3). The sigmoid
/// is no bound (`sigmoid(0) = 1/2` lies between the two indicator values) but has a non-zero
/// gradient everywhere. See `docs/rates.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Surrogate {
    /// `sigmoid(z)` for `[z > 0]`: smooth, unbiased at large `|z|`, no bound.
    #[default]
    Sigmoid,
    /// `max(0, 1 + z)` for `[z > 0]`: an upper bound of the indicator.
    Hinge,
}

impl Surrogate {
    /// The surrogate of `[z > 0]`, row by row.
    pub fn positive(self, scores: Tensor<1>) -> Tensor<1> {
        match self {
            Self::Sigmoid => sigmoid(scores),
            Self::Hinge => relu(scores.add_scalar(1.0)),
        }
    }

    /// The surrogate of `[z <= 0]`, row by row: the positive surrogate of `-z`.
    pub fn negative(self, scores: Tensor<1>) -> Tensor<1> {
        self.positive(scores.neg())
    }

    /// Whether the surrogate of every indicator is an upper bound of it (true for the hinge).
    pub fn bounds_indicators(self) -> bool {
        matches!(self, Self::Hinge)
    }
}
