//! What `metrics.json` of a Feasible Learning run holds, and what the run hands back besides.

use serde::{Deserialize, Serialize};

use super::{Figures, Method};
use crate::data::DatasetName;
use crate::history::History;
use crate::recipe::Verdict;

/// The distribution of the final per-sample training losses, the multipliers over all
/// training samples, and the figures that only some runs have (`None` otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Distribution {
    /// Median `CE_i` over the training set.
    pub ce_p50_train: f64,
    /// 90th percentile of `CE_i` over the training set.
    pub ce_p90_train: f64,
    /// 99th percentile of `CE_i` over the training set.
    pub ce_p99_train: f64,
    /// Largest multiplier over all training samples (0 for ERM / CSERM: no multipliers).
    pub multiplier_max: f64,
    /// Mean multiplier over all training samples (0 for ERM / CSERM).
    pub multiplier_mean: f64,
    /// RFL: largest relaxation `u_i = w lambda_i`.
    pub relaxation_max: Option<f64>,
    /// RFL: mean relaxation `u_i = w lambda_i`.
    pub relaxation_mean: Option<f64>,
    /// RFL: `max_i (CE_i - eps)_+ / w` under the final model, the bound the multipliers settle
    /// under (at a fixed point of the decayed dual step `lambda_i = (CE_i - eps)_+ / w`).
    pub rfl_lambda_bound: Option<f64>,
    /// RFL: `max_t max_{i in B_t} (CE_i - eps)_+ / w`, the largest violation any dual step saw,
    /// over `w`. With `lambda = 0` at the start and `eta w <= 1` (validated), the decayed step
    /// `lambda <- max(0, (1 - eta w) lambda + eta e)` never takes a multiplier above it.
    pub rfl_lambda_bound_run: Option<f64>,
    /// Label noise, FL / RFL: ROC-AUC of the final multipliers for flagging the flipped rows.
    pub flip_auc_multipliers: Option<f64>,
    /// Label noise: ROC-AUC of the final per-sample losses for flagging the flipped rows.
    pub flip_auc_losses: Option<f64>,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeasibleMetrics {
    /// Data set.
    pub dataset: DatasetName,
    /// Training method.
    pub method: Method,
    /// RFL's decay `w` (`None` for the other methods).
    pub rfl_decay: Option<f64>,
    /// Probability target `p`.
    pub p: f64,
    /// Loss bound `eps = -ln p`.
    pub eps: f64,
    /// Training samples (= constraints = multipliers).
    pub samples: usize,
    /// Fraction of training labels flipped (asked).
    pub label_noise: f64,
    /// Training labels flipped.
    pub flipped: usize,
    /// Fraction of the training samples feasible under the initial model.
    pub initial_feasible_train: f64,
    /// The final figures: fractions feasible, losses, multipliers of the seen samples.
    #[serde(flatten)]
    pub figures: Figures,
    /// Loss quantiles, multipliers over all samples, RFL relaxations, label-noise AUCs.
    #[serde(flatten)]
    pub distribution: Distribution,
    /// Accuracy on the training set (against the possibly flipped labels trained on).
    pub train_accuracy: f64,
    /// Accuracy on the test set.
    pub test_accuracy: f64,
    /// Steps taken.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// Met iff `feasible_train >= min_feasible_fraction`.
    pub verdict: Verdict,
}

/// A run's result: its metrics, per-step history (`lagrangian`, `batch_feasible`,
/// `batch_violation_mean`, `batch_violation_max`, `multiplier_mean`, `multiplier_max` every step — the multiplier
/// and Lagrangian columns for FL / RFL only, `loss` for ERM / CSERM; `train_feasible` at step
/// 0, every `eval_every` steps and at the last step), and the per-sample figures the CLI draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeasibleOutcome {
    /// Final metrics.
    #[serde(flatten)]
    pub metrics: FeasibleMetrics,
    /// One row per step (and the initial evaluation at step 0).
    #[serde(skip)]
    pub history: History,
    /// Final `CE_i` of every training sample.
    #[serde(skip)]
    pub losses: Vec<f64>,
    /// Final multiplier of every training sample (empty for ERM / CSERM).
    #[serde(skip)]
    pub multipliers: Vec<f64>,
    /// Whether each training sample's label was flipped.
    #[serde(skip)]
    pub flipped: Vec<bool>,
}
