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
//! Methods ([`Method`], the key `method`): `fl` (above), `rfl` (Resilient Feasible Learning:
//! dual SGD with decoupled decay `w = rfl_decay`, relaxations `u = w lambda`), and the paper's
//! unconstrained baselines `erm` (mean cross-entropy) and `cserm` (mean `[CE_i - eps]_+^2`).
//! Data: the bundled digits, MNIST / Fashion-MNIST, or two moons (MLP 70-70 by default);
//! `label_noise` flips a seeded fraction of the training labels, and the run reports how well
//! the final multipliers (and losses) flag them (ROC-AUC). docs/feasible.md has the equations.
//!
//! ```no_run
//! use rein_recipes::{Silent, feasible::FeasibleConfig};
//! let config = FeasibleConfig { steps: 500, ..FeasibleConfig::default() };
//! let outcome = rein_recipes::feasible::run(&config, &mut Silent)?;
//! println!("{:.3} feasible", outcome.metrics.figures.feasible_train);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod auc;
mod baseline;
mod method;
mod metrics;
mod noise;
mod problem;
mod quality;
mod train;

pub use auc::{quantile, roc_auc};
pub use baseline::BaselineProblem;
pub use method::Method;
pub use metrics::{Distribution, FeasibleMetrics, FeasibleOutcome};
pub use noise::flip_labels;
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
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};

/// Configuration of a Feasible Learning run. Every field has the reference recipe's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FeasibleConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// Data set (the bundled digits by default; MNIST once fetched; two moons).
    pub data: DataConfig,
    /// Training method: `fl` (default), `rfl`, `erm`, `cserm`.
    pub method: Method,
    /// RFL's decay `w > 0` of the multipliers (required by `method = "rfl"`, refused by the
    /// others): the dual step becomes `lambda_i <- max(0, lambda_i + eta (CE_i - eps -
    /// w lambda_i))`, the relaxations `u = w lambda`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfl_decay: Option<f64>,
    /// Fraction in `[0, 1)` of the training labels flipped to another class (seeded by
    /// `seed`) before training; 0 for none.
    pub label_noise: f64,
    /// Hidden widths of the MLP (absent: 128, 64 on the digits, 300, 100 on MNIST and
    /// Fashion-MNIST, 70, 70 on the two moons).
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
            method: Method::Fl,
            rfl_decay: None,
            label_noise: 0.0,
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
                DatasetName::Moons => vec![70, 70],
            })
    }

    /// The optimizer side the run builds: `optimizer` for FL; with the dual decay `rfl_decay`
    /// for RFL; the unconstrained scheme (primal steps only, same primal optimizer) for ERM
    /// and CSERM.
    pub fn run_optimizer(&self) -> OptimizerConfig {
        let mut o = self.optimizer.clone();
        match self.method {
            Method::Fl => {}
            Method::Rfl => o.dual.weight_decay = self.rfl_decay,
            Method::Erm | Method::Cserm => o.scheme = SchemeKind::Unconstrained,
        }
        o
    }

    /// The loss bound `eps = -ln p`.
    pub fn eps(&self) -> f64 {
        epsilon(self.p)
    }
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
        match (self.method, self.rfl_decay) {
            (Method::Rfl, None) => {
                return Err(RecipeError::config(
                    "rfl_decay",
                    "method \"rfl\" needs the decay w > 0 of the multipliers (e.g. rfl_decay = 1.0)",
                ));
            }
            (Method::Rfl, Some(w)) => {
                ensure(w > 0.0 && w.is_finite(), "rfl_decay", || {
                    format!("{w}: must be positive and finite")
                })?;
                let eta = self.optimizer.dual.lr;
                ensure(eta * w <= 1.0, "rfl_decay", || {
                    format!(
                        "{w}: with the dual lr {eta}, eta w = {} > 1 and the decayed step \
                         lambda <- (1 - eta w) lambda + eta (CE_i - eps) overshoots past 0 \
                         instead of settling at (CE_i - eps) / w; lower rfl_decay or \
                         optimizer.dual.lr",
                        eta * w
                    )
                })?;
            }
            (m, Some(w)) => {
                return Err(RecipeError::config(
                    "rfl_decay",
                    format!(
                        "{w}: only method \"rfl\" has a decay (method is \"{}\")",
                        m.name()
                    ),
                ));
            }
            (_, None) => {}
        }
        ensure(
            (0.0..1.0).contains(&self.label_noise),
            "label_noise",
            || format!("{}: must be in [0, 1)", self.label_noise),
        )?;
        if self.optimizer.dual.weight_decay.is_some() {
            return Err(RecipeError::config(
                "optimizer.dual.weight_decay",
                "set by the recipe: use method = \"rfl\" with rfl_decay = w",
            ));
        }
        if !self.method.is_constrained() && !self.optimizer.constraints.is_empty() {
            return Err(RecipeError::config(
                "optimizer.constraints",
                format!(
                    "method \"{}\" has no constraint to configure",
                    self.method.name()
                ),
            ));
        }
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
        self.run_optimizer()
            .validate()
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))
    }

    fn resolved(&self) -> Self {
        let mut r = self.clone();
        r.hidden = Some(self.hidden_widths());
        r.optimizer = self.optimizer.resolved();
        r
    }

    fn run_in(
        &self,
        session: &mut crate::Session,
        progress: &mut dyn Progress,
    ) -> Result<FeasibleOutcome> {
        run_in(self, session, progress)
    }

    fn verdict(&self, outcome: &FeasibleOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// Runs Feasible Learning (or the configured method) with `config`.
pub fn run(config: &FeasibleConfig, progress: &mut dyn Progress) -> Result<FeasibleOutcome> {
    run_in(config, &mut crate::Session::none(), progress)
}

/// [`run`], checkpointing into `session` (and resuming from it).
pub fn run_in(
    config: &FeasibleConfig,
    session: &mut crate::Session,
    progress: &mut dyn Progress,
) -> Result<FeasibleOutcome> {
    config.validate()?;
    let device = crate::device::autodiff(config.device)?;
    let mut split = config.data.load(config.seed)?;
    ensure(config.batch_size <= split.train.n, "batch_size", || {
        format!(
            "{}: exceeds the {} training samples",
            config.batch_size, split.train.n
        )
    })?;
    let flipped = flip_labels(&mut split.train, config.label_noise, config.seed);
    let t = train::train(config, &split, &device, session, progress)?;
    let eps = config.eps();
    let mut distribution = distribution(config, &t.losses, &t.multipliers, &flipped);
    distribution.rfl_lambda_bound_run = config
        .rfl_decay
        .filter(|_| config.method == Method::Rfl)
        .map(|w| t.max_batch_violation.max(0.0) / w);
    let f = t.figures;
    let met = f.feasible_train >= config.min_feasible_fraction;
    let pct = |x: f64| 100.0 * x;
    let verdict = Verdict {
        met,
        summary: format!(
            "{}: {:.2} % of the {} training samples feasible (CE_i <= {eps:.4}) {} {:.2} % \
             asked; {:.2} % of the {} seen; {:.2} % at the start",
            config.method.name(),
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
            method: config.method,
            rfl_decay: config.rfl_decay,
            p: config.p,
            eps,
            samples: split.train.n,
            label_noise: config.label_noise,
            flipped: flipped.iter().filter(|f| **f).count(),
            initial_feasible_train: t.initial_feasible,
            figures: f,
            distribution,
            train_accuracy: t.train_accuracy,
            test_accuracy: t.test_accuracy,
            steps: config.steps,
            seed: config.seed,
            verdict,
        },
        history: t.history,
        losses: t.losses,
        multipliers: t.multipliers,
        flipped,
    })
}

/// The loss quantiles, multipliers over all samples, RFL relaxations and label-noise AUCs.
fn distribution(
    config: &FeasibleConfig,
    losses: &[f64],
    lambda: &[f64],
    flipped: &[bool],
) -> Distribution {
    let eps = config.eps();
    let (multiplier_mean, multiplier_max) = if lambda.is_empty() {
        (0.0, 0.0)
    } else {
        let (mean, max, _) = mean_max(lambda, |_| true);
        (mean, max)
    };
    let w = config.rfl_decay.filter(|_| config.method == Method::Rfl);
    let noisy = flipped.iter().any(|f| *f);
    Distribution {
        ce_p50_train: quantile(losses, 0.5),
        ce_p90_train: quantile(losses, 0.9),
        ce_p99_train: quantile(losses, 0.99),
        multiplier_max,
        multiplier_mean,
        relaxation_max: w.map(|w| w * multiplier_max),
        relaxation_mean: w.map(|w| w * multiplier_mean),
        rfl_lambda_bound: w.map(|w| {
            losses
                .iter()
                .map(|c| (c - eps).max(0.0))
                .fold(0.0, f64::max)
                / w
        }),
        rfl_lambda_bound_run: None,
        flip_auc_multipliers: if noisy && !lambda.is_empty() {
            roc_auc(lambda, flipped)
        } else {
            None
        },
        flip_auc_losses: if noisy {
            roc_auc(losses, flipped)
        } else {
            None
        },
    }
}
