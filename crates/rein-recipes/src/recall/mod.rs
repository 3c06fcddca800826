//! A recall floor on one class: maximise accuracy subject to the recall of class `k` being at
//! least `r_min` on the training set, with proxy constraints (Cotter, Jiang, Gupta, Wang,
//! Narayan, You & Sridharan 2019, "Optimization with non-differentiable constraints with
//! applications to fairness, recall, churn, and other goals", JMLR 20).
//!
//! ```text
//! min_x  CE(x)   s.t.   recall_k(x) >= r_min
//! ```
//!
//! The recall is piecewise constant in `x`, so the primal step differentiates a sigmoid
//! surrogate of it (temperature `T`) while the multiplier ascends on the true training-set
//! recall (equations: [`RecallProblem`]). The reference recipe, the default here: a ReLU MLP
//! 64-32-10 on the bundled 8x8 digits, class 8, `r_min = 0.98`, `T = 0.1`, 800 steps of
//! batch 64, alternating dual-primal updates with Adam 3e-3 and dual SGD 1.0; next to it the
//! unconstrained baseline (the same primal optimizer, the same budget, no constraint).
//!
//! The constraint is measured on every training sample of the class each step (about 145
//! rows of the digits); the recipe runs on the bundled digits only.
//!
//! ```no_run
//! use rein_recipes::{Silent, recall::RecallConfig};
//! let config = RecallConfig { class: 3, min_recall: 0.99, ..RecallConfig::default() };
//! let outcome = rein_recipes::recall::run(&config, &mut Silent)?;
//! println!("recall {:.3}", outcome.metrics.constrained.train_recall);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod problem;
mod train;

pub use problem::{RECALL, RecallProblem};

use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::device::DeviceKind;
use rein::scheme::SchemeKind;
use rein::{Constraint, HealthWarning};
use rein_nn::Digits;
use serde::{Deserialize, Serialize};

use crate::error::{RecipeError, Result, ensure};
use crate::history::History;
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};

/// Classes of the bundled digits.
const DIGIT_CLASSES: usize = 10;

/// Configuration of a recall-floor run. Every field has the reference recipe's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RecallConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// The class whose recall is constrained (0-9).
    pub class: usize,
    /// The floor `r_min` in `[0, 1]` on the training-set recall of `class`.
    pub min_recall: f64,
    /// Temperature `T > 0` of the sigmoid surrogate of the recall.
    pub temperature: f64,
    /// Training steps (minibatches).
    pub steps: usize,
    /// Minibatch size of the cross-entropy.
    pub batch_size: usize,
    /// Hidden widths of the MLP.
    pub hidden: Vec<usize>,
    /// Seed of the split, the initialisation and the batch order.
    pub seed: u64,
    /// Also train the unconstrained baseline with the same primal optimizer and budget.
    pub baseline: bool,
    /// The optimizer side (default: alternating dual-primal, Adam 3e-3, dual SGD 1.0). The
    /// baseline uses its primal side with the unconstrained scheme.
    pub optimizer: OptimizerConfig,
}

/// The default optimizer side of the recipe.
pub fn default_optimizer() -> OptimizerConfig {
    OptimizerConfig {
        scheme: SchemeKind::AlternatingDualPrimal,
        primal: PrimalConfig::new(PrimalKind::Adam, 3e-3),
        dual: DualConfig::new(DualKind::Sgd, 1.0),
        constraints: Default::default(),
    }
}

impl Default for RecallConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            class: 8,
            min_recall: 0.98,
            temperature: 0.1,
            steps: 800,
            batch_size: 64,
            hidden: vec![32],
            seed: 0,
            baseline: true,
            optimizer: default_optimizer(),
        }
    }
}

impl RecallConfig {
    /// The optimizer side of the baseline: the primal side with the unconstrained scheme and
    /// no constraint settings.
    pub fn baseline_optimizer(&self) -> OptimizerConfig {
        OptimizerConfig {
            scheme: SchemeKind::Unconstrained,
            constraints: Default::default(),
            ..self.optimizer.clone()
        }
    }
}

/// Final figures of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// Final training loss (mean cross-entropy over the training set).
    pub train_loss: f64,
    /// Accuracy on the training set.
    pub train_accuracy: f64,
    /// Accuracy on the held-out test set.
    pub test_accuracy: f64,
    /// Recall of the constrained class on the training set.
    pub train_recall: f64,
    /// Recall of the constrained class on the test set.
    pub test_recall: f64,
    /// Final multiplier (0 for the baseline).
    pub multiplier: f64,
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecallMetrics {
    /// Constrained class.
    pub class: usize,
    /// Recall floor.
    pub min_recall: f64,
    /// Whether the constrained run meets the floor on the training set.
    pub feasible: bool,
    /// Steps taken.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// The constrained run.
    pub constrained: RunSummary,
    /// The unconstrained baseline with the same budget (absent with `baseline = false`).
    pub baseline: Option<RunSummary>,
    /// Met iff the constrained run's training-set recall is at least the floor.
    pub verdict: Verdict,
    /// Constraint-health warnings of the constrained run (`rein::health`; empty when healthy).
    #[serde(default)]
    pub health: Vec<HealthWarning>,
}

/// A run's result: its metrics and the constrained run's per-step history (`loss`,
/// `lagrangian`, `batch_accuracy`, `train_recall`, `recall_violation`,
/// `recall_strict_violation`, `multiplier`, `min_recall`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecallOutcome {
    /// Final metrics.
    #[serde(flatten)]
    pub metrics: RecallMetrics,
    /// One row per step of the constrained run.
    #[serde(skip)]
    pub history: History,
}

impl RecipeConfig for RecallConfig {
    const NAME: &'static str = "recall";
    type Outcome = RecallOutcome;

    fn validate(&self) -> Result<()> {
        ensure(self.class < DIGIT_CLASSES, "class", || {
            format!(
                "{}: must be a class of the digits, 0 to {}",
                self.class,
                DIGIT_CLASSES - 1
            )
        })?;
        ensure((0.0..=1.0).contains(&self.min_recall), "min_recall", || {
            format!("{}: must be in [0, 1]", self.min_recall)
        })?;
        ensure(
            self.temperature.is_finite() && self.temperature > 0.0,
            "temperature",
            || format!("{}: must be positive and finite", self.temperature),
        )?;
        ensure(self.steps > 0, "steps", || "must be positive".into())?;
        ensure(self.batch_size > 0, "batch_size", || {
            "must be positive".into()
        })?;
        ensure(!self.hidden.is_empty(), "hidden", || {
            "needs at least one hidden layer".into()
        })?;
        ensure(self.hidden.iter().all(|&h| h > 0), "hidden", || {
            format!("{:?}: widths must be positive", self.hidden)
        })?;
        if let Some(name) = self.optimizer.constraints.keys().find(|k| *k != RECALL) {
            return Err(RecipeError::config(
                format!("optimizer.constraints.{name}"),
                format!("no constraint `{name}` in this recipe (it has `{RECALL}`)"),
            ));
        }
        self.optimizer
            .validate()
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))
    }

    fn resolved(&self) -> Self {
        let mut r = self.clone();
        r.optimizer = self.optimizer.resolved();
        r
    }

    fn run_in(
        &self,
        session: &mut crate::Session,
        progress: &mut dyn Progress,
    ) -> Result<RecallOutcome> {
        run_in(self, session, progress)
    }

    fn verdict(&self, outcome: &RecallOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// Trains the constrained model (and the baseline, if asked) on the bundled digits.
pub fn run(config: &RecallConfig, progress: &mut dyn Progress) -> Result<RecallOutcome> {
    run_in(config, &mut crate::Session::none(), progress)
}

/// [`run`], checkpointing into `session` (and resuming from it): the constrained training,
/// then the baseline, are its phases.
pub fn run_in(
    config: &RecallConfig,
    session: &mut crate::Session,
    progress: &mut dyn Progress,
) -> Result<RecallOutcome> {
    config.validate()?;
    let device = crate::device::autodiff(config.device)?;
    let split = Digits::load_bundled()?.split(0.2, config.seed)?;
    let under = |e| RecipeError::from_rein_under("optimizer", e);

    let mut opt = config
        .optimizer
        .build([Constraint::inequality(RECALL, 1)])
        .map_err(under)?;
    let mut problem = RecallProblem::new(
        split.train.clone(),
        config.class,
        config.min_recall,
        config.temperature,
        true,
        &device,
    );
    let (model, history, health, multiplier) = train::train(
        config,
        &mut opt,
        &mut problem,
        &split.train,
        &device,
        "constrained",
        session,
        progress,
    )?;
    let constrained = train::summarise(&model, config.class, &split, multiplier, &device);

    let baseline = if config.baseline {
        let mut opt = config.baseline_optimizer().build([]).map_err(under)?;
        let mut problem = RecallProblem::new(
            split.train.clone(),
            config.class,
            config.min_recall,
            config.temperature,
            false,
            &device,
        );
        let (model, _, _, _) = train::train(
            config,
            &mut opt,
            &mut problem,
            &split.train,
            &device,
            "baseline",
            session,
            progress,
        )?;
        Some(train::summarise(&model, config.class, &split, 0.0, &device))
    } else {
        None
    };

    let feasible = constrained.train_recall >= config.min_recall;
    let verdict = Verdict {
        met: feasible,
        summary: format!(
            "training-set recall of class {}: {:.4} {} {}{}",
            config.class,
            constrained.train_recall,
            if feasible { ">=" } else { "<" },
            config.min_recall,
            baseline.as_ref().map_or(String::new(), |b| format!(
                " (unconstrained baseline: {:.4})",
                b.train_recall
            )),
        ),
    };
    Ok(RecallOutcome {
        metrics: RecallMetrics {
            class: config.class,
            min_recall: config.min_recall,
            feasible,
            steps: config.steps,
            seed: config.seed,
            constrained,
            baseline,
            verdict,
            health,
        },
        history,
    })
}
