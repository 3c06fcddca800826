//! GANGs (Oliehoek et al. 2017, "GANGs: Generative Adversarial Network Games",
//! arXiv:1712.00679): a GAN as a finite zero-sum game between *mixtures* of generators and
//! classifiers, solved by Parallel Nash Memory with resource-bounded best responses.
//!
//! * [`matrix_game`]: the zero-sum matrix game as a linear program (`microlp`), the answer
//!   checked by duality;
//! * [`pnm`]: the Parallel Nash Memory loop over any [`pnm::PnmGame`], exploitability every
//!   iteration;
//! * [`gan`]: the GAN game (payoffs, best responses by Adam steps) and the plain GAN;
//! * [`ring`]: the 2-D ring of 8 Gaussians and mode coverage.
//!
//! The recipe ([`GangsConfig`], [`run`]) runs PNM on the ring with small MLPs, then a plain
//! GAN with the same architectures for the same number of gradient steps per player, and
//! reports modes covered, high-quality samples, the generator mixture's weights and the
//! exploitability per iteration. The verdict is met when the GANGs mixture covers at least
//! `min_modes` modes and at least as many as the plain GAN. docs/gangs.md has the equations.
//!
//! ```no_run
//! use rein_recipes::{Silent, gangs::GangsConfig};
//! let config = GangsConfig { iterations: 3, br_steps: 30, ..GangsConfig::default() };
//! let outcome = rein_recipes::gangs::run(&config, &mut Silent)?;
//! println!("{} modes", outcome.metrics.gangs.coverage.modes_covered);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

pub mod gan;
pub mod matrix_game;
pub mod pnm;
pub mod ring;

use rein::device::DeviceKind;
use serde::{Deserialize, Serialize};

use crate::error::{Result, ensure};
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};
use gan::{GanGame, GanSettings};
use pnm::{PnmIteration, PnmOptions, parallel_nash_memory};
use ring::{Coverage, Ring};

/// Configuration of a GANGs run on the ring of Gaussians. Every field has a default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GangsConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// Number of modes of the ring.
    pub modes: usize,
    /// Radius of the ring of means.
    pub radius: f64,
    /// Standard deviation of every mode.
    pub std: f64,
    /// Dimension of the generator's noise.
    pub noise_dim: usize,
    /// Hidden widths of the generators.
    pub generator_hidden: Vec<usize>,
    /// Hidden widths of the classifiers.
    pub classifier_hidden: Vec<usize>,
    /// Samples per gradient step.
    pub batch_size: usize,
    /// Adam learning rate of both players (GANGs and the plain GAN).
    pub lr: f64,
    /// Adam's `beta1`.
    pub beta1: f64,
    /// Most PNM iterations (each trains one classifier and one generator best response).
    pub iterations: usize,
    /// Gradient steps of one best response.
    pub br_steps: usize,
    /// PNM stops when neither best response gains more than this over the value.
    pub eps: f64,
    /// Data samples and noise vectors of the fixed payoff evaluation set.
    pub eval_samples: usize,
    /// Samples drawn from each final generator (mixture) to count modes.
    pub coverage_samples: usize,
    /// A sample is high quality within this many standard deviations of a mean.
    pub quality_stds: f64,
    /// A mode is covered with at least this fraction of all samples as its high-quality
    /// samples.
    pub min_mode_share: f64,
    /// Best responses start from the player's previous best response (else from a fresh
    /// seeded initialisation).
    pub warm_start: bool,
    /// Start PNM from a classifier trained (`br_steps`) against the initial generator instead
    /// of the untrained one: an untrained classifier (`D ~ 1/2` everywhere) guarantees about
    /// `-2 ln 2` against any generator, so the equilibrium puts the classifier weight on it and
    /// the generators' best responses get no signal (docs/gangs.md).
    pub train_first_classifier: bool,
    /// Bound `B > 0` on the classifiers' logits, `c = B tanh(raw / B)`, for GANGs and the plain
    /// GAN alike (absent: unbounded, the GAN of Goodfellow et al. 2014).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logit_bound: Option<f64>,
    /// Train the plain GAN for comparison (same steps per player as GANGs used).
    pub plain_gan: bool,
    /// The verdict needs at least this many modes covered by the GANGs mixture.
    pub min_modes: usize,
    /// Seed of every draw.
    pub seed: u64,
}

impl Default for GangsConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            modes: 8,
            radius: 2.0,
            std: 0.05,
            noise_dim: 2,
            generator_hidden: vec![64, 64],
            classifier_hidden: vec![64, 64],
            batch_size: 128,
            lr: 1e-3,
            beta1: 0.5,
            iterations: 100,
            br_steps: 30,
            eps: 5e-3,
            eval_samples: 2048,
            coverage_samples: 2000,
            quality_stds: 3.0,
            min_mode_share: 0.01,
            warm_start: true,
            train_first_classifier: true,
            logit_bound: None,
            plain_gan: true,
            min_modes: 8,
            seed: 0,
        }
    }
}

impl GangsConfig {
    /// The ring of the run.
    pub fn ring(&self) -> Ring {
        Ring {
            modes: self.modes,
            radius: self.radius,
            std: self.std,
        }
    }

    fn settings(&self) -> GanSettings {
        GanSettings {
            ring: self.ring(),
            noise_dim: self.noise_dim,
            generator_hidden: self.generator_hidden.clone(),
            classifier_hidden: self.classifier_hidden.clone(),
            batch_size: self.batch_size,
            lr: self.lr,
            beta1: self.beta1,
            br_steps: self.br_steps,
            eval_samples: self.eval_samples,
            warm_start: self.warm_start,
            logit_bound: self.logit_bound,
            seed: self.seed,
        }
    }
}

fn positive(v: usize, key: &str) -> Result<()> {
    ensure(v > 0, key, || "must be positive".into())
}

fn positive_f(v: f64, key: &str) -> Result<()> {
    ensure(v > 0.0 && v.is_finite(), key, || {
        format!("{v}: must be positive and finite")
    })
}

fn widths(h: &[usize], key: &str) -> Result<()> {
    ensure(h.iter().all(|&w| w > 0), key, || {
        format!("{h:?}: widths must be positive")
    })
}

impl RecipeConfig for GangsConfig {
    const NAME: &'static str = "gangs";
    type Outcome = GangsOutcome;

    // Not yet: a Parallel Nash Memory iteration (best responses, the LP) is not checkpointed;
    // the CLI runs it without checkpoints (docs/resume.md).
    const CHECKPOINTS: bool = false;

    fn validate(&self) -> Result<()> {
        ensure(self.modes >= 2, "modes", || {
            format!("{}: needs at least 2 modes", self.modes)
        })?;
        positive_f(self.radius, "radius")?;
        positive_f(self.std, "std")?;
        positive(self.noise_dim, "noise_dim")?;
        widths(&self.generator_hidden, "generator_hidden")?;
        widths(&self.classifier_hidden, "classifier_hidden")?;
        positive(self.batch_size, "batch_size")?;
        positive_f(self.lr, "lr")?;
        ensure((0.0..1.0).contains(&self.beta1), "beta1", || {
            format!("{}: must be in [0, 1)", self.beta1)
        })?;
        positive(self.iterations, "iterations")?;
        positive(self.br_steps, "br_steps")?;
        ensure(self.eps >= 0.0 && self.eps.is_finite(), "eps", || {
            format!("{}: must be finite and non-negative", self.eps)
        })?;
        positive(self.eval_samples, "eval_samples")?;
        positive(self.coverage_samples, "coverage_samples")?;
        positive_f(self.quality_stds, "quality_stds")?;
        if let Some(b) = self.logit_bound {
            positive_f(b, "logit_bound")?;
        }
        ensure(
            self.min_mode_share > 0.0 && self.min_mode_share <= 1.0,
            "min_mode_share",
            || format!("{}: must be in (0, 1]", self.min_mode_share),
        )?;
        ensure(self.min_modes <= self.modes, "min_modes", || {
            format!("{}: more than the {} modes", self.min_modes, self.modes)
        })
    }

    fn run_in(
        &self,
        session: &mut crate::Session,
        progress: &mut dyn Progress,
    ) -> Result<GangsOutcome> {
        session.refuse("the gangs recipe")?;
        run(self, progress)
    }

    fn verdict(&self, outcome: &GangsOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// What one final generator (or mixture) produced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelFigures {
    /// Mode coverage of `coverage_samples` samples.
    #[serde(flatten)]
    pub coverage: Coverage,
    /// Gradient steps of the classifiers and of the generators.
    pub classifier_steps: usize,
    /// Gradient steps of the generators.
    pub generator_steps: usize,
    /// Wall-clock seconds of the training (GANGs: the whole PNM loop).
    pub seconds: f64,
}

/// The metrics of a run (`metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GangsMetrics {
    /// The GANGs generator mixture.
    pub gangs: ModelFigures,
    /// The plain GAN (absent when `plain_gan = false`).
    pub plain: Option<ModelFigures>,
    /// Weights of the stored generators in the final mixture.
    pub generator_weights: Vec<f64>,
    /// Weights of the stored classifiers in the final mixture.
    pub classifier_weights: Vec<f64>,
    /// Value of the final stored game.
    pub value: f64,
    /// Exploitability at the last iteration (resource-bounded best responses).
    pub final_exploitability: f64,
    /// Whether PNM stopped on `eps`.
    pub converged: bool,
    /// One entry per PNM iteration.
    pub iterations: Vec<PnmIteration>,
    /// Whether the claim was met.
    pub verdict: Verdict,
}

/// What a run returns: the metrics and the samples plotted by the CLI.
#[derive(Debug, Clone, Serialize)]
pub struct GangsOutcome {
    /// The metrics.
    pub metrics: GangsMetrics,
    /// Samples of the GANGs mixture (row-major pairs; not serialised).
    #[serde(skip)]
    pub gangs_samples: Vec<f32>,
    /// Samples of the plain GAN.
    #[serde(skip)]
    pub plain_samples: Vec<f32>,
    /// Samples of the data.
    #[serde(skip)]
    pub data_samples: Vec<f32>,
}

/// Runs GANGs (and the plain GAN) with `config`.
pub fn run(config: &GangsConfig, progress: &mut dyn Progress) -> Result<GangsOutcome> {
    config.validate()?;
    let device = crate::device::autodiff(config.device)?;
    let settings = config.settings();
    let ring = config.ring();
    let mut game = GanGame::new(&settings, &device, progress);
    let mut first_c = game.new_classifier(0);
    let first_g = game.new_generator(0);
    game.set_warm_start(&first_c, &first_g);
    let started = std::time::Instant::now();
    if config.train_first_classifier {
        use pnm::PnmGame;
        first_c = game.best_row(std::slice::from_ref(&first_g), &[1.0], config.iterations)?;
        game.set_warm_start(&first_c, &first_g);
    }
    let options = PnmOptions {
        eps: config.eps,
        max_iterations: config.iterations,
    };
    let result = parallel_nash_memory(&mut game, first_c, first_g, options, &mut |_| {})?;
    let (c_steps, g_steps) = game.steps;
    let n = config.coverage_samples;
    let sample_seed = config.seed.wrapping_add(0x5EED);
    let gangs_samples = game.sample_mixture(&result.cols, &result.solution.col, n, sample_seed)?;
    let gangs = ModelFigures {
        coverage: ring.coverage(&gangs_samples, config.quality_stds, config.min_mode_share),
        classifier_steps: c_steps,
        generator_steps: g_steps,
        seconds: started.elapsed().as_secs_f64(),
    };
    let (plain, plain_samples) = if config.plain_gan {
        game.steps = (0, 0);
        let started = std::time::Instant::now();
        let (g, _) = game.train_plain(g_steps.max(c_steps))?;
        let samples = game.sample_mixture(&[g], &[1.0], n, sample_seed)?;
        let figures = ModelFigures {
            coverage: ring.coverage(&samples, config.quality_stds, config.min_mode_share),
            classifier_steps: game.steps.0,
            generator_steps: game.steps.1,
            seconds: started.elapsed().as_secs_f64(),
        };
        (Some(figures), samples)
    } else {
        (None, Vec::new())
    };
    let mut rng = ring::SplitMix64::new(sample_seed, 7);
    let data_samples = ring.sample(n, &mut rng);
    let last = result.history.last().cloned();
    let verdict = verdict(config, &gangs, plain.as_ref());
    Ok(GangsOutcome {
        metrics: GangsMetrics {
            gangs,
            plain,
            generator_weights: result.solution.col.clone(),
            classifier_weights: result.solution.row.clone(),
            value: result.solution.value,
            final_exploitability: last.map_or(f64::NAN, |l| l.exploitability),
            converged: result.converged,
            iterations: result.history,
            verdict,
        },
        gangs_samples,
        plain_samples,
        data_samples,
    })
}

fn verdict(config: &GangsConfig, gangs: &ModelFigures, plain: Option<&ModelFigures>) -> Verdict {
    let k = gangs.coverage.modes_covered;
    let enough = k >= config.min_modes;
    let (beats, versus) = match plain {
        Some(p) => (
            k >= p.coverage.modes_covered,
            format!(
                ", plain GAN {} of {}",
                p.coverage.modes_covered, config.modes
            ),
        ),
        None => (true, String::new()),
    };
    Verdict {
        met: enough && beats,
        summary: format!(
            "GANGs mixture covers {k} of {} modes ({} asked){versus}; high-quality samples {:.1} %",
            config.modes,
            config.min_modes,
            100.0 * gangs.coverage.high_quality_fraction
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recipe::from_toml_str;

    #[test]
    fn bad_values_name_their_key() {
        for (text, key) in [
            ("modes = 1", "modes"),
            ("std = -0.1", "std"),
            ("generator_hidden = [0]", "generator_hidden"),
            ("beta1 = 1.0", "beta1"),
            ("min_modes = 9", "min_modes"),
            ("min_mode_share = 0.0", "min_mode_share"),
            ("br_steps = 0", "br_steps"),
            ("logit_bound = -1.0", "logit_bound"),
        ] {
            let err = from_toml_str::<GangsConfig>(text).unwrap_err().to_string();
            assert!(err.contains(&format!("`{key}`")), "{text}: {err}");
        }
        let err = from_toml_str::<GangsConfig>("iteratons = 3")
            .unwrap_err()
            .to_string();
        assert!(err.contains("iteratons"), "{err}");
    }

    /// A small run: the loop runs, reports exploitability every iteration, the mixtures are
    /// distributions over the stored strategies, and the plain GAN used the same steps.
    #[test]
    fn smoke_run_reports_every_iteration() {
        let config = GangsConfig {
            iterations: 2,
            br_steps: 20,
            batch_size: 64,
            eval_samples: 256,
            coverage_samples: 400,
            generator_hidden: vec![16],
            classifier_hidden: vec![16],
            min_modes: 0,
            ..GangsConfig::default()
        };
        let o = run(&config, &mut crate::Silent).unwrap();
        let m = &o.metrics;
        // Two iterations, unless neither best response gained more than eps.
        assert!(m.iterations.len() == 2 || m.converged, "{:?}", m.iterations);
        assert!(
            m.iterations
                .iter()
                .all(|i| i.exploitability.is_finite() && i.exploitability >= 0.0)
        );
        let sum: f64 = m.generator_weights.iter().sum();
        assert!((sum - 1.0).abs() < 1e-9, "{m:?}");
        assert_eq!(
            m.generator_weights.len(),
            1 + m
                .iterations
                .iter()
                .filter(|i| i.gain_col > config.eps)
                .count()
        );
        let p = m.plain.as_ref().unwrap();
        assert_eq!(
            p.generator_steps,
            m.gangs.generator_steps.max(m.gangs.classifier_steps)
        );
        assert_eq!(o.gangs_samples.len(), 800);
        assert_eq!(o.plain_samples.len(), 800);
        // The payoff -E softplus(-c(x)) - E softplus(c(g(z))) is at most 0.
        assert!(m.value < 0.0, "{}", m.value);
    }
}
