//! The configuration of the fairness recipe: data, phases, method, bound, optimizer side.

use std::path::PathBuf;

use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::device::DeviceKind;
use rein::scheme::SchemeKind;
use serde::{Deserialize, Serialize};

use super::data::{FairnessDataset, GroupsBy, MixtureSpec};
use super::problem::{EQUAL_LOSS, EXCESS_GAP, Method};
use crate::error::{RecipeError, Result, ensure};

/// Slack of the verdict: a run meets its constraints when the training-set max excess gap is
/// at most `eps + TOLERANCE` (half a percentage point of accuracy: the dual step sees the
/// replay buffers' estimate, not the exact training-set accuracy).
pub const TOLERANCE: f64 = 0.005;

/// Which fine-tuning method(s) a run trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MethodChoice {
    /// Constrained excess accuracy gap.
    #[default]
    Ceag,
    /// Naive fine-tuning (ERM with the mask fixed).
    Nft,
    /// Equalized loss.
    El,
    /// CEAG, NFT and EL, each from the same dense and pruned model.
    All,
}

impl MethodChoice {
    /// The methods the run trains, in report order.
    pub fn methods(self) -> Vec<Method> {
        match self {
            MethodChoice::Ceag => vec![Method::Ceag],
            MethodChoice::Nft => vec![Method::Nft],
            MethodChoice::El => vec![Method::El],
            MethodChoice::All => Method::ALL.to_vec(),
        }
    }
}

/// Configuration of a Balancing Act run. Every field has the recipe's default (digits, groups
/// = classes, 90 % sparsity, `eps = 0.01`, CEAG).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FairnessConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// The data set.
    pub dataset: FairnessDataset,
    /// What the groups are (`auto`: the data set's natural grouping).
    pub groups: GroupsBy,
    /// Where `rein data fetch` stored the fetched data sets.
    pub data_dir: PathBuf,
    /// The generated mixture's knobs (used with `dataset = "mixture"`).
    pub mixture: MixtureSpec,
    /// The fine-tuning method (`all`: the three, side by side).
    pub method: MethodChoice,
    /// Target sparsity `s_f` of the pruned layers, in `[0, 1)`.
    pub sparsity: f64,
    /// Bound `eps >= 0` on every group's excess accuracy gap.
    pub eps: f64,
    /// Bits per group of the replay buffers (CEAG's dual estimate).
    pub buffer: usize,
    /// Phase 1: dense ERM steps.
    pub dense_steps: usize,
    /// Phase 2: ERM steps while the sparsity follows the cubic schedule to `sparsity`.
    pub prune_steps: usize,
    /// Recompute the masks every this many pruning steps (and at the last one).
    pub prune_every: usize,
    /// Phase 3: fine-tuning steps of each method, masks fixed.
    pub finetune_steps: usize,
    /// Minibatch size (every phase).
    pub batch_size: usize,
    /// Hidden widths of the MLP (at least two: the first and last layers stay dense).
    pub hidden: Vec<usize>,
    /// Seed of the split, the data, the initialisation and the batch order.
    pub seed: u64,
    /// The optimizer side of the fine-tuning (default: alternating dual-primal, Adam 1e-3,
    /// dual SGD 0.02). Phases 1-2 and NFT use its primal side with the unconstrained scheme.
    /// Constraint settings go under `constraints.excess-gap` (CEAG) or `constraints.equal-loss`
    /// (EL).
    pub optimizer: OptimizerConfig,
}

/// The default optimizer side of the recipe.
pub fn default_optimizer() -> OptimizerConfig {
    OptimizerConfig {
        scheme: SchemeKind::AlternatingDualPrimal,
        primal: PrimalConfig::new(PrimalKind::Adam, 1e-3),
        dual: DualConfig::new(DualKind::Sgd, 0.02),
        constraints: Default::default(),
    }
}

impl Default for FairnessConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            dataset: FairnessDataset::Digits,
            groups: GroupsBy::Auto,
            data_dir: PathBuf::from("data/fetched"),
            mixture: MixtureSpec::default(),
            method: MethodChoice::Ceag,
            sparsity: 0.9,
            eps: 0.01,
            buffer: 40,
            dense_steps: 1000,
            prune_steps: 300,
            prune_every: 10,
            finetune_steps: 600,
            batch_size: 128,
            hidden: vec![32, 32],
            seed: 0,
            optimizer: default_optimizer(),
        }
    }
}

impl FairnessConfig {
    /// The optimizer side of the ERM phases and of NFT: the primal side with the
    /// unconstrained scheme.
    pub fn erm_optimizer(&self) -> OptimizerConfig {
        OptimizerConfig {
            scheme: SchemeKind::Unconstrained,
            constraints: Default::default(),
            ..self.optimizer.clone()
        }
    }

    /// The optimizer side of `method`'s fine-tuning (with only the settings of its own
    /// constraint).
    pub fn method_optimizer(&self, method: Method) -> OptimizerConfig {
        match method.constraint_name() {
            None => self.erm_optimizer(),
            Some(name) => {
                let mut o = self.optimizer.clone();
                o.constraints.retain(|k, _| k == name);
                o
            }
        }
    }

    /// Checks every value; errors name the key.
    pub fn check(&self) -> Result<()> {
        ensure(
            self.sparsity.is_finite() && (0.0..1.0).contains(&self.sparsity),
            "sparsity",
            || format!("{}: must be in [0, 1)", self.sparsity),
        )?;
        ensure(self.eps.is_finite() && self.eps >= 0.0, "eps", || {
            format!("{}: must be a finite number >= 0", self.eps)
        })?;
        ensure(self.buffer > 0, "buffer", || "must be positive".into())?;
        ensure(self.dense_steps > 0, "dense_steps", || {
            "must be positive".into()
        })?;
        ensure(self.prune_every > 0, "prune_every", || {
            "must be positive".into()
        })?;
        ensure(self.batch_size > 0, "batch_size", || {
            "must be positive".into()
        })?;
        ensure(self.hidden.len() >= 2, "hidden", || {
            format!(
                "{:?}: needs at least two hidden layers (the first and last layers stay dense)",
                self.hidden
            )
        })?;
        ensure(self.hidden.iter().all(|&h| h > 0), "hidden", || {
            format!("{:?}: widths must be positive", self.hidden)
        })?;
        self.mixture.check()?;
        let groups = self.dataset.resolve(self.groups);
        ensure(
            self.dataset.supported_groups().contains(&groups),
            "groups",
            || {
                let have: Vec<&str> = self
                    .dataset
                    .supported_groups()
                    .iter()
                    .map(|g| g.name())
                    .collect();
                format!(
                    "`{}`: the {} data set has groups {}",
                    groups.name(),
                    self.dataset.name(),
                    have.join(", ")
                )
            },
        )?;
        if let Some(name) = self
            .optimizer
            .constraints
            .keys()
            .find(|k| *k != EXCESS_GAP && *k != EQUAL_LOSS)
        {
            return Err(RecipeError::config(
                format!("optimizer.constraints.{name}"),
                format!(
                    "no constraint `{name}` in this recipe (it has `{EXCESS_GAP}` and `{EQUAL_LOSS}`)"
                ),
            ));
        }
        self.optimizer
            .validate()
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))
    }
}
