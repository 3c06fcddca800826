//! What an EMAN run reports (`metrics.json`) and what the CLI draws.

use serde::{Deserialize, Serialize};

use crate::history::History;
use crate::recipe::Verdict;

/// Accuracies of one model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accuracies {
    /// On the noise-free canonical meshes it was trained on.
    pub train: f64,
    /// On fresh noisy copies in the canonical pose.
    pub canonical_test: f64,
    /// On fresh noisy copies, randomly rotated, translated and scaled.
    pub transformed_test: f64,
    /// Mean training loss over the last 10 % of the steps.
    pub final_loss: f64,
}

impl Accuracies {
    /// `canonical_test - transformed_test`.
    pub fn drop(&self) -> f64 {
        self.canonical_test - self.transformed_test
    }
}

/// The figures of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmanMetrics {
    /// The meshes, with their vertex counts after decimation.
    pub meshes: Vec<(String, usize)>,
    /// Number of segments (classes).
    pub segments: usize,
    /// EMAN (RelTan inputs, gauge-equivariant attention layers).
    pub eman: Accuracies,
    /// The `xyz` graph-network baseline.
    pub baseline: Accuracies,
    /// Trainable scalars of EMAN and of the baseline.
    pub parameters: (usize, usize),
    /// Training steps.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// Claim met or missed.
    pub verdict: Verdict,
}

/// One mesh drawn with its labels: orthographic projection of the canonical vertices on the
/// `x, y` plane; predictions made on a transformed test copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendering {
    /// The mesh.
    pub mesh: String,
    /// Projected vertices.
    pub points: Vec<[f64; 2]>,
    /// True segments.
    pub truth: Vec<usize>,
    /// EMAN's predictions on the transformed copy.
    pub eman: Vec<usize>,
    /// The baseline's predictions on the same copy.
    pub baseline: Vec<usize>,
}

/// Outcome of an EMAN run.
#[derive(Debug, Clone, Serialize)]
pub struct EmanOutcome {
    /// The figures (serialised to `metrics.json`).
    #[serde(flatten)]
    pub metrics: EmanMetrics,
    /// Training losses per step.
    #[serde(skip)]
    pub history: History,
    /// A rendering of every mesh.
    #[serde(skip)]
    pub renderings: Vec<Rendering>,
}
