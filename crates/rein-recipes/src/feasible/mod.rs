//! Feasible Learning (Ramirez et al. 2025, "Feasible Learning", AISTATS): train by asking
//! every training sample's loss to be small, with one multiplier per sample and no objective.
//!
//! ```text
//! find x   s.t.   CE_i(x) <= eps = -ln p      for every training sample i
//! ```
//!
//! Equations and update order: [`FeasibleProblem`]. The reference recipe, the default here:
//! `p = 0.6` (`eps = 0.5108`), a ReLU MLP (128-64 hidden on the bundled digits, 300-100 on
//! MNIST), batches of 128 distinct samples, alternating dual-then-primal updates with dual SGD
//! 1.0 on the indexed multipliers (initialised at 0) and Adam 1e-3 on the weights, the
//! Lagrangian a sum over the batch. The run reports the fraction of training samples that end
//! feasible (seen and all), their losses and the multipliers ([`Figures`]); the verdict is met
//! when at least `min_feasible_fraction` of all training samples are feasible.
//!
//! Not here yet (a later issue): Resilient Feasible Learning (relaxations per sample), label
//! noise, other data sets, and the ERM / CSERM baselines of the paper.
//!
//! ```no_run
//! use rein_recipes::{Silent, feasible::FeasibleConfig};
//! let config = FeasibleConfig { steps: 500, ..FeasibleConfig::default() };
//! let outcome = rein_recipes::feasible::run(&config, &mut Silent)?;
//! println!("{:.3} feasible", outcome.metrics.figures.feasible_train);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod problem;
mod quality;
mod train;

pub use problem::{
    EVAL_CHUNK, FEASIBLE, FeasibleProblem, cross_entropy_rows, epsilon, per_sample_ce,
};
pub use quality::{Figures, feasible_fraction, figures, mean_max};

use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::device::DeviceKind;
use rein::scheme::SchemeKind;
use serde::{Deserialize, Serialize};

use crate::data::{DataConfig, DatasetName};
use crate::error::{RecipeError, Result, ensure};
use crate::history::History;
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};

/// Configuration of a Feasible Learning run. Every field has the reference recipe's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeasibleConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// Data set (the bundled digits by default; MNIST once fetched).
    pub data: DataConfig,
    /// Hidden widths of the MLP (absent: 128, 64 on the digits, 300, 100 on MNIST and
    /// Fashion-MNIST).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hidden: Option<Vec<usize>>,
    /// Minibatch size (distinct samples per batch).
    pub batch_size: usize,
    /// Training steps (minibatches).
    pub steps: usize,
    /// Per-sample probability target `p` in `(0, 1)`: the loss bound is `eps = -ln p`.
    pub p: f64,
    /// Seed of the split, the initialisation and the batch order.
    pub seed: u64,
    /// The verdict is met when at least this fraction of all training samples is feasible.
    pub min_feasible_fraction: f64,
    /// Evaluate the fraction of feasible training samples every this many steps (a forward
    /// pass over the training set; 0: only before and after training).
    pub eval_every: usize,
    /// The optimizer side (default: alternating dual-primal, Adam 1e-3, dual SGD 1.0; the
    /// constraint `feasible` is indexed, one multiplier per sample).
    pub optimizer: OptimizerConfig,
}

/// The default optimizer side of the recipe.
pub fn default_optimizer() -> OptimizerConfig {
    OptimizerConfig {
        scheme: SchemeKind::AlternatingDualPrimal,
        primal: PrimalConfig::new(PrimalKind::Adam, 1e-3),
        dual: DualConfig::new(DualKind::Sgd, 1.0),
        constraints: Default::default(),
    }
}

impl Default for FeasibleConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            data: DataConfig::default(),
            hidden: None,
            batch_size: 128,
            steps: 1000,
            p: 0.6,
            seed: 0,
            min_feasible_fraction: 0.99,
            eval_every: 50,
            optimizer: default_optimizer(),
        }
    }
}

impl FeasibleConfig {
    /// The hidden widths this run uses: `hidden`, else the data set's default.
    pub fn hidden_widths(&self) -> Vec<usize> {
        self.hidden
            .clone()
            .unwrap_or_else(|| match self.data.dataset {
                DatasetName::Digits => vec![128, 64],
                DatasetName::Mnist | DatasetName::FashionMnist => vec![300, 100],
            })
    }

    /// The loss bound `eps = -ln p`.
    pub fn eps(&self) -> f64 {
        epsilon(self.p)
    }
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeasibleMetrics {
    /// Data set.
    pub dataset: DatasetName,
    /// Probability target `p`.
    pub p: f64,
    /// Loss bound `eps = -ln p`.
    pub eps: f64,
    /// Training samples (= constraints = multipliers).
    pub samples: usize,
    /// Fraction of the training samples feasible under the initial model.
    pub initial_feasible_train: f64,
    /// The final figures: fractions feasible, losses, multipliers.
    #[serde(flatten)]
    pub figures: Figures,
    /// Accuracy on the training set.
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

/// A run's result: its metrics and per-step history (`lagrangian`, `batch_feasible`,
/// `batch_violation_mean`, `multiplier_mean`, `multiplier_max` every step; `train_feasible`
/// at step 0, every `eval_every` steps and at the last step).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeasibleOutcome {
    /// Final metrics.
    #[serde(flatten)]
    pub metrics: FeasibleMetrics,
    /// One row per step (and the initial evaluation at step 0).
    #[serde(skip)]
    pub history: History,
}

impl RecipeConfig for FeasibleConfig {
    const NAME: &'static str = "feasible";
    type Outcome = FeasibleOutcome;

    fn validate(&self) -> Result<()> {
        ensure(self.p > 0.0 && self.p < 1.0, "p", || {
            format!("{}: must be in (0, 1) (the loss bound is -ln p)", self.p)
        })?;
        ensure(
            (0.0..=1.0).contains(&self.min_feasible_fraction),
            "min_feasible_fraction",
            || format!("{}: must be in [0, 1]", self.min_feasible_fraction),
        )?;
        ensure(self.steps > 0, "steps", || "must be positive".into())?;
        ensure(self.batch_size > 0, "batch_size", || {
            "must be positive".into()
        })?;
        if let Some(hidden) = &self.hidden {
            ensure(!hidden.is_empty(), "hidden", || {
                "needs at least one hidden layer".into()
            })?;
            ensure(hidden.iter().all(|&h| h > 0), "hidden", || {
                format!("{hidden:?}: widths must be positive")
            })?;
        }
        if let Some(name) = self.optimizer.constraints.keys().find(|k| *k != FEASIBLE) {
            return Err(RecipeError::config(
                format!("optimizer.constraints.{name}"),
                format!("no constraint `{name}` in this recipe (it has `{FEASIBLE}`)"),
            ));
        }
        self.optimizer
            .validate()
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))
    }

    fn resolved(&self) -> Self {
        let mut r = self.clone();
        r.hidden = Some(self.hidden_widths());
        r.optimizer = self.optimizer.resolved();
        r
    }

    fn run(&self, progress: &mut dyn Progress) -> Result<FeasibleOutcome> {
        run(self, progress)
    }

    fn verdict(&self, outcome: &FeasibleOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// Runs Feasible Learning with `config`.
pub fn run(config: &FeasibleConfig, progress: &mut dyn Progress) -> Result<FeasibleOutcome> {
    config.validate()?;
    let device = crate::device::autodiff(config.device)?;
    let split = config.data.load(config.seed)?;
    ensure(config.batch_size <= split.train.n, "batch_size", || {
        format!(
            "{}: exceeds the {} training samples",
            config.batch_size, split.train.n
        )
    })?;
    let t = train::train(config, &split, &device, progress)?;
    let eps = config.eps();
    let f = t.figures;
    let met = f.feasible_train >= config.min_feasible_fraction;
    let pct = |x: f64| 100.0 * x;
    let verdict = Verdict {
        met,
        summary: format!(
            "{:.2} % of the {} training samples feasible (CE_i <= {eps:.4}) {} {:.2} % asked; \
             {:.2} % of the {} seen; {:.2} % at the start",
            pct(f.feasible_train),
            split.train.n,
            if met { ">=" } else { "<" },
            pct(config.min_feasible_fraction),
            pct(f.feasible_seen),
            f.seen,
            pct(t.initial_feasible),
        ),
    };
    Ok(FeasibleOutcome {
        metrics: FeasibleMetrics {
            dataset: config.data.dataset,
            p: config.p,
            eps,
            samples: split.train.n,
            initial_feasible_train: t.initial_feasible,
            figures: f,
            train_accuracy: t.train_accuracy,
            test_accuracy: t.test_accuracy,
            steps: config.steps,
            seed: config.seed,
            verdict,
        },
        history: t.history,
    })
}
