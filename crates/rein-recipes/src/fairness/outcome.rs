//! What a fairness run reports: per-group accuracies of the dense and sparse models, gaps,
//! excess gaps, sparsity, multipliers and the verdict.

use serde::{Deserialize, Serialize};

use super::data::{FairnessDataset, GroupsBy};
use super::groups::GroupFigures;
use super::problem::Method;
use crate::history::History;
use crate::recipe::Verdict;

/// The sparse model against the dense one on one split (training or test).
///
/// ```text
/// gap_g        = A_g(dense) - A_g(sparse)        (Delta_g)
/// overall_gap  = A(dense) - A(sparse)            (Delta)
/// excess_gap_g = gap_g - overall_gap             (psi_g)
/// gap_spread   = max_g gap_g - min_g gap_g
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GapFigures {
    /// Overall accuracy of the sparse model.
    pub accuracy: f64,
    /// Mean cross-entropy of the sparse model.
    pub loss: f64,
    /// Accuracy of each group under the sparse model.
    pub group_accuracy: Vec<f64>,
    /// `Delta`: overall accuracy lost to pruning.
    pub overall_gap: f64,
    /// `Delta_g` of each group.
    pub group_gap: Vec<f64>,
    /// `psi_g` of each group.
    pub excess_gap: Vec<f64>,
    /// `max_g psi_g`: the constrained quantity.
    pub max_excess_gap: f64,
    /// `max_g Delta_g - min_g Delta_g`.
    pub gap_spread: f64,
}

impl GapFigures {
    /// The gaps of `sparse` against `dense` (same split).
    pub fn new(dense: &GroupFigures, sparse: &GroupFigures) -> Self {
        let overall_gap = dense.accuracy - sparse.accuracy;
        let group_gap: Vec<f64> = dense
            .group_accuracy
            .iter()
            .zip(&sparse.group_accuracy)
            .map(|(d, s)| d - s)
            .collect();
        let excess_gap: Vec<f64> = group_gap.iter().map(|g| g - overall_gap).collect();
        let max = |v: &[f64]| v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let min = |v: &[f64]| v.iter().copied().fold(f64::INFINITY, f64::min);
        Self {
            accuracy: sparse.accuracy,
            loss: sparse.loss,
            group_accuracy: sparse.group_accuracy.clone(),
            overall_gap,
            max_excess_gap: max(&excess_gap),
            gap_spread: max(&group_gap) - min(&group_gap),
            group_gap,
            excess_gap,
        }
    }
}

/// One fine-tuning method's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MethodSummary {
    /// The method.
    pub method: Method,
    /// Training-set figures (where the constraints are imposed).
    pub train: GapFigures,
    /// Test-set figures.
    pub test: GapFigures,
    /// Fraction of exactly-zero weights of each linear layer after fine-tuning.
    pub layer_sparsity: Vec<f64>,
    /// Final multiplier of each group (empty for NFT).
    pub multipliers: Vec<f64>,
    /// Whether the training-set max excess gap is at most `eps + tolerance`.
    pub met: bool,
}

/// The dense model's figures (measured once, after phase 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DenseSummary {
    /// On the training set (the references `A_g^d`, `L_g^d`, `A^d`, `L^d`).
    pub train: GroupFigures,
    /// On the test set.
    pub test: GroupFigures,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FairnessMetrics {
    /// Data set.
    pub dataset: FairnessDataset,
    /// The grouping (resolved).
    pub groups: GroupsBy,
    /// Name of each group.
    pub group_names: Vec<String>,
    /// Training rows of each group.
    pub group_sizes: Vec<usize>,
    /// Bound on the excess gaps.
    pub eps: f64,
    /// Slack of the verdict.
    pub tolerance: f64,
    /// Target sparsity of the pruned layers.
    pub target_sparsity: f64,
    /// Seed.
    pub seed: u64,
    /// The dense model.
    pub dense: DenseSummary,
    /// The pruned model before fine-tuning (training and test gaps).
    pub pruned: PrunedSummary,
    /// One entry per method, in report order (CEAG, NFT, EL).
    pub runs: Vec<MethodSummary>,
    /// Met iff the first method's (CEAG's, when it ran) training-set max excess gap is at
    /// most `eps + tolerance`.
    pub verdict: Verdict,
}

/// The pruned model straight after phase 2.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrunedSummary {
    /// Training-set gaps.
    pub train: GapFigures,
    /// Test-set gaps.
    pub test: GapFigures,
    /// Fraction of exactly-zero weights of each linear layer.
    pub layer_sparsity: Vec<f64>,
}

/// A run's result: metrics and per-step histories.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FairnessOutcome {
    /// Final metrics.
    #[serde(flatten)]
    pub metrics: FairnessMetrics,
    /// Per method: phases 1-2 (`phase`, `loss`, `batch_accuracy`, `sparsity`) then its
    /// fine-tuning rows (`loss`, `batch_accuracy`, `lagrangian`, `max_buffer_excess_gap`,
    /// `max_multiplier`, ...), steps counted from the start of phase 1.
    #[serde(skip)]
    pub histories: Vec<(Method, History)>,
}

impl FairnessOutcome {
    /// The summary of `method`, if it ran.
    pub fn run(&self, method: Method) -> Option<&MethodSummary> {
        self.metrics.runs.iter().find(|r| r.method == method)
    }
}
