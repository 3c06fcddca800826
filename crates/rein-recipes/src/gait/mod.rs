//! GAIT (Gallego-Posada et al. 2020, "GAIT: A Geometric Approach to Information Theory",
//! AISTATS) as a training loss: fit a small generator to 2-D data with the GAIT divergence,
//! against the same generator trained with MMD, and compute GAIT barycenters of digit images.
//!
//! ```text
//! D^K[p || q] = 1 + sum_i p_i log((K p)_i / (K q)_i) - sum_i q_i (K p)_i / (K q)_i
//! ```
//!
//! (the divergence and entropy are `rein_nn::gait`; docs/gait.md has the equations). The run:
//!
//! * for every data set in `datasets` (the Swiss roll and a ring of 8 Gaussians by default), a
//!   ReLU MLP generator `z ~ N(0, I_noise_dim) -> R^2` trained with `gait_loss`
//!   (`D^K[data || generated]` between the batch of data and the batch of samples, RBF kernel
//!   of bandwidth `sigma`) and one trained with `MMD^2` (same kernel, same batches, same noise,
//!   same initialisation, same Adam steps); figures on fresh data ([`SampleQuality`]): the
//!   mean nearest-mode distance and the modes covered on the ring, the Chamfer distance on the
//!   Swiss roll, and both divergences;
//! * the left- and right-sided GAIT barycenters of `barycenter_images` images of the digit
//!   `barycenter_digit` (RBF kernel on pixel positions); the right-sided one must be the
//!   arithmetic mean.
//!
//! The verdict is met when GAIT's headline figure is at most MMD's on every data set (and it
//! covers at least as many modes of the ring), the right-sided barycenter lands on the mean
//! and the left-sided one beats the mean on its objective.
//!
//! ```no_run
//! use rein_recipes::{Silent, gait::GaitConfig};
//! let config = GaitConfig { steps: 500, ..GaitConfig::default() };
//! let outcome = rein_recipes::gait::run(&config, &mut Silent)?;
//! println!("{}", outcome.metrics.verdict.summary);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod barycenter;
mod data;
mod metrics;
mod mmd;
mod problem;
mod quality;
mod train;

pub use barycenter::{BarycenterFigures, BarycenterImages, Logits, SIDE, pixel_grid};
pub use data::{RING_MODES, RING_RADIUS, RING_STD, SWISS_NOISE, SWISS_SCALE, TwoDim};
pub use metrics::{Comparison, FitFigures, GaitMetrics, GaitOutcome, Samples};
pub use mmd::mmd_squared;
pub use problem::{GeneratorBatch, GeneratorLoss, GeneratorProblem};
pub use quality::{
    COVERAGE_SHARE, HIGH_QUALITY_STDS, SampleQuality, mean_nearest_distance, sample_quality,
};

use rein::device::DeviceKind;
use serde::{Deserialize, Serialize};

use crate::error::{Result, ensure};
use crate::history::History;
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};

/// Configuration of a GAIT run. Every field has the recipe's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GaitConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// The 2-D data sets (`swiss-roll`, `ring`); empty: barycenters only.
    pub datasets: Vec<TwoDim>,
    /// The GAIT loss of the generator: `gait` (`D^K[data || generated]`, default) or
    /// `gait-symmetric`.
    pub gait_loss: GeneratorLoss,
    /// RBF bandwidth `sigma` of both generator losses, `K(x, y) = exp(-(||x - y|| / sigma)^2)`.
    pub sigma: f64,
    /// Generator steps (Adam), the same for GAIT and MMD.
    pub steps: usize,
    /// Data points and generated points per step.
    pub batch_size: usize,
    /// Adam learning rate of the generators.
    pub lr: f64,
    /// Dimension of the generator's Gaussian input noise.
    pub noise_dim: usize,
    /// Hidden widths of the generator MLP.
    pub hidden: Vec<usize>,
    /// Size of the training set of each data set.
    pub train_samples: usize,
    /// Generated and fresh data points of the sample-quality figures.
    pub eval_samples: usize,
    /// Points of the final divergence figures (at most `eval_samples`).
    pub divergence_eval_samples: usize,
    /// Evaluate the headline figure every this many steps (0: only at the end).
    pub eval_every: usize,
    /// The digit whose images are averaged.
    pub barycenter_digit: usize,
    /// Number of images averaged (0: no barycenter).
    pub barycenter_images: usize,
    /// RBF bandwidth of the pixel kernel, in pixels.
    pub barycenter_sigma: f64,
    /// Adam steps of each barycenter.
    pub barycenter_steps: usize,
    /// Adam learning rate of the barycenter logits (decayed to 0 by a cosine schedule).
    pub barycenter_lr: f64,
    /// The right-sided barycenter counts as the mean when the optimised one does not beat the
    /// mean on the right-sided objective (by more than `1e-6`, float32 rounding) and no pixel
    /// differs from the mean by more than this fraction of the mean's largest pixel (the
    /// objective is very flat in high-frequency directions, which the pixel kernel smooths
    /// away, so Adam approaches the mean slowly there).
    pub barycenter_tolerance: f64,
    /// Seed of the data, the initialisation, the batches and the noise.
    pub seed: u64,
}

impl Default for GaitConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            datasets: vec![TwoDim::SwissRoll, TwoDim::Ring],
            gait_loss: GeneratorLoss::Gait,
            sigma: 0.2,
            steps: 2000,
            batch_size: 256,
            lr: 1e-3,
            noise_dim: 2,
            hidden: vec![128, 128],
            train_samples: 8192,
            eval_samples: 2048,
            divergence_eval_samples: 1024,
            eval_every: 250,
            barycenter_digit: 3,
            barycenter_images: 32,
            barycenter_sigma: 1.0,
            barycenter_steps: 2000,
            barycenter_lr: 0.05,
            barycenter_tolerance: 0.05,
            seed: 0,
        }
    }
}

impl RecipeConfig for GaitConfig {
    const NAME: &'static str = "gait";
    type Outcome = GaitOutcome;

    // Not yet: the generator fits and barycenters run to the end; the CLI runs it without
    // checkpoints (docs/resume.md).
    const CHECKPOINTS: bool = false;

    fn validate(&self) -> Result<()> {
        let positive = |v: f64| v > 0.0 && v.is_finite();
        ensure(positive(self.sigma), "sigma", || {
            format!(
                "{}: the RBF bandwidth must be positive and finite",
                self.sigma
            )
        })?;
        ensure(self.gait_loss != GeneratorLoss::Mmd, "gait_loss", || {
            "\"mmd\" is the baseline every run trains anyway: use \"gait\" or \"gait-symmetric\""
                .into()
        })?;
        ensure(self.steps > 0, "steps", || "must be positive".into())?;
        ensure(self.batch_size > 0, "batch_size", || {
            "must be positive".into()
        })?;
        ensure(positive(self.lr), "lr", || {
            format!("{}: must be positive and finite", self.lr)
        })?;
        ensure(self.noise_dim > 0, "noise_dim", || {
            "must be positive".into()
        })?;
        ensure(
            !self.hidden.is_empty() && self.hidden.iter().all(|&h| h > 0),
            "hidden",
            || {
                format!(
                    "{:?}: needs at least one hidden layer, widths positive",
                    self.hidden
                )
            },
        )?;
        ensure(
            self.train_samples >= self.batch_size,
            "train_samples",
            || {
                format!(
                    "{}: must be at least batch_size = {}",
                    self.train_samples, self.batch_size
                )
            },
        )?;
        ensure(self.eval_samples > 0, "eval_samples", || {
            "must be positive".into()
        })?;
        ensure(
            self.divergence_eval_samples > 0 && self.divergence_eval_samples <= self.eval_samples,
            "divergence_eval_samples",
            || {
                format!(
                    "{}: must be in 1..=eval_samples ({})",
                    self.divergence_eval_samples, self.eval_samples
                )
            },
        )?;
        let mut seen = Vec::new();
        for d in &self.datasets {
            ensure(!seen.contains(d), "datasets", || {
                format!("\"{}\" is listed twice", d.name())
            })?;
            seen.push(*d);
        }
        ensure(self.barycenter_digit < 10, "barycenter_digit", || {
            format!("{}: the digits are 0 to 9", self.barycenter_digit)
        })?;
        ensure(positive(self.barycenter_sigma), "barycenter_sigma", || {
            format!("{}: must be positive and finite", self.barycenter_sigma)
        })?;
        ensure(positive(self.barycenter_lr), "barycenter_lr", || {
            format!("{}: must be positive and finite", self.barycenter_lr)
        })?;
        ensure(
            self.barycenter_images == 0 || self.barycenter_steps > 0,
            "barycenter_steps",
            || "must be positive when barycenter_images > 0".into(),
        )?;
        ensure(
            positive(self.barycenter_tolerance),
            "barycenter_tolerance",
            || format!("{}: must be positive and finite", self.barycenter_tolerance),
        )?;
        ensure(
            !self.datasets.is_empty() || self.barycenter_images > 0,
            "datasets",
            || "empty and barycenter_images = 0: nothing to run".into(),
        )
    }

    fn run_in(
        &self,
        session: &mut crate::Session,
        progress: &mut dyn Progress,
    ) -> Result<GaitOutcome> {
        session.refuse("the gait recipe")?;
        run(self, progress)
    }

    fn verdict(&self, outcome: &GaitOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// Runs the GAIT recipe with `config`.
pub fn run(config: &GaitConfig, progress: &mut dyn Progress) -> Result<GaitOutcome> {
    config.validate()?;
    let device = crate::device::autodiff(config.device)?;
    let mut history = History::new();
    let fitted = train::fit_generators(config, &device, progress, &mut history)?;
    let mut comparisons = Vec::new();
    let mut samples = Vec::new();
    for pair in fitted.chunks(2) {
        let [gait, mmd] = pair else { continue };
        let figures = |f: &train::Fitted| FitFigures {
            loss: f.loss,
            final_loss: f.final_loss,
            gait_divergence: f.gait_divergence,
            mmd_squared: f.mmd_squared,
            headline: f.dataset.headline(&f.quality),
            quality: f.quality.clone(),
        };
        let (g, m) = (figures(gait), figures(mmd));
        let modes_ok = g.quality.modes_covered >= m.quality.modes_covered;
        comparisons.push(Comparison {
            dataset: gait.dataset,
            headline: gait.dataset.headline_name().into(),
            gait_at_least_as_good: g.headline <= m.headline && modes_ok,
            gait: g,
            mmd: m,
        });
        samples.push(Samples {
            data: gait.reference.clone(),
            gait: gait.samples.clone(),
            mmd: mmd.samples.clone(),
        });
    }
    let (barycenter, images) = if config.barycenter_images > 0 {
        let (f, i) = barycenter::barycenters(config, &device, progress, &mut history)?;
        (Some(f), Some(i))
    } else {
        (None, None)
    };
    let verdict = verdict(config, &comparisons, barycenter.as_ref());
    Ok(GaitOutcome {
        metrics: GaitMetrics {
            comparisons,
            barycenter,
            sigma: config.sigma,
            steps: config.steps,
            seed: config.seed,
            verdict,
        },
        history,
        samples,
        barycenter_images: images,
    })
}

fn verdict(
    config: &GaitConfig,
    comparisons: &[Comparison],
    bary: Option<&BarycenterFigures>,
) -> Verdict {
    let mut parts = Vec::new();
    let mut met = true;
    for c in comparisons {
        met &= c.gait_at_least_as_good;
        let modes = match (c.gait.quality.modes_covered, c.mmd.quality.modes_covered) {
            (Some(g), Some(m)) => format!(", modes covered {g} vs {m} of {RING_MODES}"),
            _ => String::new(),
        };
        parts.push(format!(
            "{}: {} GAIT {:.4} {} MMD {:.4}{modes}",
            c.dataset.name(),
            c.headline,
            c.gait.headline,
            if c.gait_at_least_as_good {
                "<="
            } else {
                "NOT <="
            },
            c.mmd.headline,
        ));
    }
    if let Some(b) = bary {
        let right_ok = b.right_objective_at_mean <= b.right_objective_at_barycenter + 1e-6
            && b.right_max_deviation_from_mean <= config.barycenter_tolerance * b.mean_max_pixel;
        let left_ok = b.left_objective_at_barycenter < b.left_objective_at_mean;
        met &= right_ok && left_ok;
        parts.push(format!(
            "barycenter of {} digits {}: right-sided {} (objective {:.6} at the mean vs {:.6} \
             optimised, max |q - mean| {:.2e} vs limit {:.0e} x max pixel), left objective {:.4} \
             {} {:.4} at the mean",
            b.images,
            b.digit,
            if right_ok {
                "on the mean"
            } else {
                "NOT on the mean"
            },
            b.right_objective_at_mean,
            b.right_objective_at_barycenter,
            b.right_max_deviation_from_mean,
            config.barycenter_tolerance,
            b.left_objective_at_barycenter,
            if left_ok { "<" } else { "NOT <" },
            b.left_objective_at_mean,
        ));
    }
    Verdict {
        met,
        summary: parts.join("; "),
    }
}
