//! What `metrics.json` of a GAIT run holds, and what the run hands back besides.

use serde::{Deserialize, Serialize};

use super::{BarycenterFigures, BarycenterImages, GeneratorLoss, SampleQuality, TwoDim};
use crate::history::History;
use crate::recipe::Verdict;

/// The figures of one trained generator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitFigures {
    /// The loss it was trained with.
    pub loss: GeneratorLoss,
    /// Mean training loss over the last 10 % of the steps.
    pub final_loss: f64,
    /// GAIT `D^K[data || generated]` between fresh data and generated evaluation points.
    pub gait_divergence: f64,
    /// `MMD^2` (same kernel) between the same points.
    pub mmd_squared: f64,
    /// Sample-quality figures on the evaluation points.
    pub quality: SampleQuality,
    /// The headline figure (lower is better; see `headline`).
    pub headline: f64,
}

/// GAIT against MMD on one data set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The data set.
    pub dataset: TwoDim,
    /// What the headline figure measures.
    pub headline: String,
    /// The generator trained with GAIT.
    pub gait: FitFigures,
    /// The generator trained with MMD.
    pub mmd: FitFigures,
    /// GAIT's headline figure is at most MMD's (and, on the ring, it covers at least as many
    /// modes).
    pub gait_at_least_as_good: bool,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GaitMetrics {
    /// One comparison per data set.
    pub comparisons: Vec<Comparison>,
    /// The digit barycenters (absent when `barycenter_images = 0`).
    pub barycenter: Option<BarycenterFigures>,
    /// RBF bandwidth of the generator losses.
    pub sigma: f64,
    /// Generator steps.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// Met iff GAIT is at least as good as MMD on every data set and the barycenter checks
    /// hold.
    pub verdict: Verdict,
}

/// The samples of one data set: reference data and both generators' points.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Samples {
    /// Fresh data points.
    pub data: Vec<[f64; 2]>,
    /// Points of the GAIT generator.
    pub gait: Vec<[f64; 2]>,
    /// Points of the MMD generator.
    pub mmd: Vec<[f64; 2]>,
}

/// A run's result: its metrics, the per-step history (`<dataset>_<loss>` training losses,
/// `<dataset>_<loss>_quality` every `eval_every` steps, `barycenter_left_objective` /
/// `barycenter_right_objective` every 10 barycenter steps), and what the CLI draws.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GaitOutcome {
    /// Final metrics.
    #[serde(flatten)]
    pub metrics: GaitMetrics,
    /// The history.
    #[serde(skip)]
    pub history: History,
    /// Samples per data set (same order as `comparisons`).
    #[serde(skip)]
    pub samples: Vec<Samples>,
    /// The barycenter images.
    #[serde(skip)]
    pub barycenter_images: Option<BarycenterImages>,
}
