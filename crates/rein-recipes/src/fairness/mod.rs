//! Balancing Act: fine-tuning a pruned model so that no group loses much more accuracy than
//! the model as a whole (Hashemizadeh, Ramirez, Sukumaran, Farnadi, Lacoste-Julien &
//! Gallego-Posada 2024, "Balancing Act: Constraining Disparate Impact in Sparse Models",
//! ICLR). Equations: [`FairnessProblem`] and docs/fairness.md.
//!
//! ```text
//! min_theta_s  L(theta_s)   s.t.   psi_g(theta_s) = Delta_g - Delta <= eps     for every group g
//! ```
//!
//! Phases (every method shares 1 and 2, so the comparison starts from one pruned model):
//!
//! 1. **dense**: `dense_steps` of ERM (Adam) from a seeded initialisation; the dense model's
//!    per-group accuracies and losses are measured once on the training set;
//! 2. **prune**: `prune_steps` of ERM while layer-wise magnitude masks follow the cubic schedule
//!    `s(t) = s_f (1 - (1 - t/T)^3)` (Zhu & Gupta 2017) to `sparsity`, the first and last
//!    layers dense;
//! 3. **fine-tune**: `finetune_steps` of CEAG (the constrained method: proxy losses for the
//!    primal step, replay-buffer accuracies for the dual step), NFT (plain ERM) or EL (equal
//!    group losses), masks fixed, the masked weights zeroed after every step.
//!
//! ```no_run
//! use rein_recipes::{Silent, fairness::{FairnessConfig, MethodChoice}};
//! let config = FairnessConfig { method: MethodChoice::All, ..FairnessConfig::default() };
//! let outcome = rein_recipes::fairness::run(&config, &mut Silent)?;
//! for r in &outcome.metrics.runs {
//!     println!("{:?}: max excess gap {:.4}", r.method, r.train.max_excess_gap);
//! }
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod buffer;
mod config;
mod data;
mod groups;
mod outcome;
mod problem;
mod prune;
mod train;

pub use buffer::ReplayBuffer;
pub use config::{FairnessConfig, MethodChoice, TOLERANCE, default_optimizer};
pub use data::{FairnessDataset, GroupsBy, MixtureSpec, population_mixture};
pub use groups::{BatchGroups, GroupFigures};
pub use outcome::{
    DenseSummary, FairnessMetrics, FairnessOutcome, GapFigures, MethodSummary, PrunedSummary,
};
pub use problem::{EQUAL_LOSS, EXCESS_GAP, FairnessProblem, Method};
pub use prune::{Masks, cubic_sparsity, prunable_layers, zero_fraction};

use crate::error::Result;
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};

impl RecipeConfig for FairnessConfig {
    const NAME: &'static str = "fairness";
    type Outcome = FairnessOutcome;

    fn validate(&self) -> Result<()> {
        self.check()
    }

    fn resolved(&self) -> Self {
        let mut r = self.clone();
        r.groups = self.dataset.resolve(self.groups);
        r.optimizer = self.optimizer.resolved();
        r
    }

    fn run_in(
        &self,
        session: &mut crate::Session,
        progress: &mut dyn Progress,
    ) -> Result<FairnessOutcome> {
        run_in(self, session, progress)
    }

    fn verdict(&self, outcome: &FairnessOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// Trains the dense model, prunes it, and fine-tunes it with every method of
/// `config.method`.
pub fn run(config: &FairnessConfig, progress: &mut dyn Progress) -> Result<FairnessOutcome> {
    run_in(config, &mut crate::Session::none(), progress)
}

/// [`run`], checkpointing into `session` (and resuming from it): dense training, pruning and
/// each method's fine-tuning are its phases.
pub fn run_in(
    config: &FairnessConfig,
    session: &mut crate::Session,
    progress: &mut dyn Progress,
) -> Result<FairnessOutcome> {
    config.validate()?;
    let device = crate::device::autodiff(config.device)?;
    let plain = device.clone().inner();
    let groups = config.dataset.resolve(config.groups);
    let split =
        config
            .dataset
            .load_grouped(groups, &config.data_dir, &config.mixture, config.seed)?;
    let pruned = train::dense_and_prune(
        config,
        &split.train,
        &split.test,
        &device,
        session,
        progress,
    )?;
    let pruned_summary = PrunedSummary {
        train: GapFigures::new(
            &pruned.dense_train,
            &train::evaluate(&pruned.model, &split.train, &plain)?,
        ),
        test: GapFigures::new(
            &pruned.dense_test,
            &train::evaluate(&pruned.model, &split.test, &plain)?,
        ),
        layer_sparsity: zero_fraction(&pruned.model),
    };

    let bound = config.eps + TOLERANCE;
    let mut runs = Vec::new();
    let mut histories = Vec::new();
    for method in config.method.methods() {
        let tuned = train::finetune(
            config,
            method,
            &pruned,
            &split.train,
            &device,
            session,
            progress,
        )?;
        let train_gaps = GapFigures::new(
            &pruned.dense_train,
            &train::evaluate(&tuned.model, &split.train, &plain)?,
        );
        let test_gaps = GapFigures::new(
            &pruned.dense_test,
            &train::evaluate(&tuned.model, &split.test, &plain)?,
        );
        runs.push(MethodSummary {
            method,
            met: train_gaps.max_excess_gap <= bound,
            train: train_gaps,
            test: test_gaps,
            layer_sparsity: zero_fraction(&tuned.model),
            multipliers: tuned.multipliers,
        });
        histories.push((method, tuned.history));
    }

    let first = &runs[0];
    let others: Vec<String> = runs[1..]
        .iter()
        .map(|r| format!("{} {:.4}", r.method.name(), r.train.max_excess_gap))
        .collect();
    let verdict = Verdict {
        met: first.met,
        summary: format!(
            "{}: training-set max excess accuracy gap {:.4} {} eps + tolerance = {} + {}{}",
            first.method.name(),
            first.train.max_excess_gap,
            if first.met { "<=" } else { ">" },
            config.eps,
            TOLERANCE,
            if others.is_empty() {
                String::new()
            } else {
                format!(" (others: {})", others.join(", "))
            },
        ),
    };
    Ok(FairnessOutcome {
        metrics: FairnessMetrics {
            dataset: config.dataset,
            groups,
            group_names: split.train.names.clone(),
            group_sizes: split.train.group_sizes(),
            eps: config.eps,
            tolerance: TOLERANCE,
            target_sparsity: config.sparsity,
            seed: config.seed,
            dense: DenseSummary {
                train: pruned.dense_train.clone(),
                test: pruned.dense_test.clone(),
            },
            pruned: pruned_summary,
            runs,
            verdict,
        },
        histories,
    })
}
