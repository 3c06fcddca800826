//! EMAN (Basu, Gallego-Posada, Viganò, Rowbottom, Cohen 2022, "Equivariant Mesh Attention
//! Networks", TMLR) against a non-equivariant `xyz` graph network, on per-vertex mesh
//! segmentation: trained in one pose, tested on rotated, translated and scaled meshes.
//!
//! The network is `rein_nn::eman` (docs/eman.md has the equations). The task:
//!
//! * every mesh of `meshes` (CGAL `.off` meshes fetched by `rein data fetch meshes`, a path to
//!   an `.off` file, or `builtin:bumpy` / `builtin:torus`) is decimated to at most
//!   `vertices` vertices by vertex clustering, centred and scaled to RMS radius 1 (the
//!   canonical pose), and its vertices labelled with `segments` k-means clusters of their
//!   canonical positions (a deterministic geometric partition);
//! * both models train on copies in the canonical pose with Gaussian vertex noise of
//!   `noise` mean edge lengths (fresh noise every step, the meshes in turn), full mesh per
//!   step, Adam, the same copies for both;
//! * test: `test_copies` fresh noisy copies per mesh in the canonical pose, and the same
//!   copies moved by a random similarity (uniform rotation, scale in `[1/max_scale, max_scale]`,
//!   Gaussian translation of standard deviation `max_shift`).
//!
//! The claim (verdict) is met when EMAN's accuracy on the transformed copies is within
//! `max_drop` of its canonical test accuracy and at least `min_accuracy`, and above the
//! baseline's, while the baseline's drops by at least `min_baseline_drop`.
//!
//! ```no_run
//! use rein_recipes::{Silent, eman::EmanConfig};
//! let config = EmanConfig { meshes: vec!["builtin:bumpy".into()], steps: 50, ..EmanConfig::default() };
//! let outcome = rein_recipes::eman::run(&config, &mut Silent)?;
//! println!("{}", outcome.metrics.verdict.summary);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod data;
mod metrics;
mod problem;
mod train;

pub use data::{BUILTIN, FETCH_COMMAND, Sample, TaskMesh, kmeans, load_mesh, task_mesh};
pub use metrics::{Accuracies, EmanMetrics, EmanOutcome, Rendering};
pub use problem::Segmentation;

use std::path::PathBuf;

use rein::device::DeviceKind;
use serde::{Deserialize, Serialize};

use crate::error::{Result, ensure};
use crate::history::History;
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};

/// Configuration of an EMAN run. Every field has the recipe's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmanConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// The meshes: CGAL mesh names (files `<data_dir>/<name>.off`), paths ending in `.off`,
    /// or `builtin:bumpy`, `builtin:torus`.
    pub meshes: Vec<String>,
    /// Where `rein data fetch meshes` put the CGAL meshes.
    pub data_dir: PathBuf,
    /// Vertices per mesh after decimation (at most).
    pub vertices: usize,
    /// Number of segments (classes) per mesh.
    pub segments: usize,
    /// Standard deviation of the vertex noise, in mean edge lengths.
    pub noise: f64,
    /// Training steps (one mesh copy each).
    pub steps: usize,
    /// Adam learning rate of both models.
    pub lr: f64,
    /// Highest SO(2) order of EMAN's features.
    pub max_order: usize,
    /// EMAN channels per order.
    pub channels: usize,
    /// Layers of both models.
    pub layers: usize,
    /// EMAN's attention (false: GEM-CNN's mean over neighbours).
    pub attention: bool,
    /// Query/key dimension of the attention.
    pub attention_dim: usize,
    /// Width of the `xyz` baseline.
    pub baseline_width: usize,
    /// Test copies per mesh (each in the canonical pose and transformed).
    pub test_copies: usize,
    /// Largest scale factor of a test transform (and smallest `1 / max_scale`).
    pub max_scale: f64,
    /// Standard deviation of the test translations (the meshes have RMS radius 1).
    pub max_shift: f64,
    /// Largest allowed drop of EMAN's accuracy from canonical to transformed copies.
    pub max_drop: f64,
    /// Smallest drop of the baseline's accuracy that counts as its collapse.
    pub min_baseline_drop: f64,
    /// Smallest accuracy of EMAN on the transformed copies.
    pub min_accuracy: f64,
    /// Seed of the initialisation, the noise and the transforms.
    pub seed: u64,
}

impl Default for EmanConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            meshes: vec!["elephant".into(), "homer".into(), "hand".into()],
            data_dir: PathBuf::from("data/fetched/meshes"),
            vertices: 500,
            segments: 6,
            noise: 0.1,
            steps: 600,
            lr: 5e-3,
            max_order: 2,
            channels: 16,
            layers: 5,
            attention: true,
            attention_dim: 8,
            baseline_width: 48,
            test_copies: 4,
            max_scale: 2.0,
            max_shift: 1.0,
            max_drop: 0.02,
            min_baseline_drop: 0.2,
            min_accuracy: 0.5,
            seed: 0,
        }
    }
}

impl RecipeConfig for EmanConfig {
    const NAME: &'static str = "eman";
    type Outcome = EmanOutcome;

    // Runs of a few minutes: no checkpoints; the CLI runs it without (docs/resume.md).
    const CHECKPOINTS: bool = false;

    fn validate(&self) -> Result<()> {
        let positive = |v: f64| v > 0.0 && v.is_finite();
        ensure(!self.meshes.is_empty(), "meshes", || {
            "needs at least one mesh".into()
        })?;
        ensure(self.vertices >= 16, "vertices", || {
            format!("{}: needs at least 16", self.vertices)
        })?;
        ensure(self.segments >= 2, "segments", || {
            format!("{}: needs at least 2", self.segments)
        })?;
        ensure(self.noise >= 0.0 && self.noise.is_finite(), "noise", || {
            format!("{}: must be non-negative and finite", self.noise)
        })?;
        ensure(self.steps > 0, "steps", || "must be positive".into())?;
        ensure(positive(self.lr), "lr", || {
            format!("{}: must be positive and finite", self.lr)
        })?;
        ensure(self.max_order <= 4, "max_order", || {
            format!("{}: orders 0..=4 are supported", self.max_order)
        })?;
        ensure(self.channels > 0, "channels", || "must be positive".into())?;
        ensure(self.layers > 0, "layers", || "must be positive".into())?;
        ensure(
            !self.attention || self.attention_dim > 0,
            "attention_dim",
            || "must be positive with attention".into(),
        )?;
        ensure(self.baseline_width > 0, "baseline_width", || {
            "must be positive".into()
        })?;
        ensure(self.test_copies > 0, "test_copies", || {
            "must be positive".into()
        })?;
        ensure(
            self.max_scale >= 1.0 && self.max_scale.is_finite(),
            "max_scale",
            || format!("{}: must be at least 1 and finite", self.max_scale),
        )?;
        ensure(
            self.max_shift >= 0.0 && self.max_shift.is_finite(),
            "max_shift",
            || format!("{}: must be non-negative and finite", self.max_shift),
        )?;
        for (key, v) in [
            ("max_drop", self.max_drop),
            ("min_baseline_drop", self.min_baseline_drop),
            ("min_accuracy", self.min_accuracy),
        ] {
            ensure((0.0..=1.0).contains(&v), key, || {
                format!("{v}: must be in [0, 1]")
            })?;
        }
        let mut seen: Vec<&String> = Vec::new();
        for m in &self.meshes {
            ensure(!seen.contains(&m), "meshes", || {
                format!("{m:?} is listed twice")
            })?;
            ensure(
                !m.starts_with("builtin:") || BUILTIN.contains(&m.as_str()),
                "meshes",
                || format!("{m:?}: the built-in meshes are {}", BUILTIN.join(", ")),
            )?;
            seen.push(m);
        }
        Ok(())
    }

    fn run_in(
        &self,
        session: &mut crate::Session,
        progress: &mut dyn Progress,
    ) -> Result<EmanOutcome> {
        session.refuse("the eman recipe")?;
        run(self, progress)
    }

    fn verdict(&self, outcome: &EmanOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// Runs the EMAN recipe with `config`.
pub fn run(config: &EmanConfig, progress: &mut dyn Progress) -> Result<EmanOutcome> {
    config.validate()?;
    let meshes = config
        .meshes
        .iter()
        .map(|name| task_mesh(name, &config.data_dir, config.vertices, config.segments))
        .collect::<Result<Vec<_>>>()?;
    let device = crate::device::autodiff(config.device)?;
    let mut history = History::new();
    let trained = train::train(config, &meshes, &device, progress, &mut history)?;
    let verdict = verdict(config, &trained.eman, &trained.baseline);
    Ok(EmanOutcome {
        metrics: EmanMetrics {
            meshes: meshes
                .iter()
                .map(|m| (m.name.clone(), m.labels.len()))
                .collect(),
            segments: config.segments,
            eman: trained.eman,
            baseline: trained.baseline,
            parameters: trained.parameters,
            steps: config.steps,
            seed: config.seed,
            verdict,
        },
        history,
        renderings: trained.renderings,
    })
}

fn verdict(config: &EmanConfig, eman: &Accuracies, base: &Accuracies) -> Verdict {
    let kept = eman.drop() <= config.max_drop;
    let accurate = eman.transformed_test >= config.min_accuracy;
    let beats = eman.transformed_test > base.transformed_test;
    let collapsed = base.drop() >= config.min_baseline_drop;
    let met = kept && accurate && beats && collapsed;
    Verdict {
        met,
        summary: format!(
            "EMAN accuracy {:.3} canonical -> {:.3} transformed (drop {:.3} {} {}; {} {}); xyz \
             baseline {:.3} -> {:.3} (drop {:.3} {} {}); EMAN {} the baseline on transformed meshes",
            eman.canonical_test,
            eman.transformed_test,
            eman.drop(),
            if kept { "<=" } else { "NOT <=" },
            config.max_drop,
            if accurate {
                "accuracy >="
            } else {
                "accuracy NOT >="
            },
            config.min_accuracy,
            base.canonical_test,
            base.transformed_test,
            base.drop(),
            if collapsed { ">=" } else { "NOT >=" },
            config.min_baseline_drop,
            if beats { "beats" } else { "does NOT beat" },
        ),
    }
}
