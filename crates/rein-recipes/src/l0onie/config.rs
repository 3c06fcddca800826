//! The configuration of an L0onie run: [`L0onieConfig`], its defaults and its validation.

use std::path::Path;

use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::device::DeviceKind;
use rein::scheme::SchemeKind;
use serde::{Deserialize, Serialize};

use crate::error::{RecipeError, Result, ensure};
use crate::sparsity::gates_group;

use super::image::BUNDLED;

/// Which gates the training forward pass of the constrained phase uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TrainGates {
    /// A fresh hard-concrete sample per gate and step (reparameterised; the recipe of
    /// Ramirez & Gallego-Posada 2022).
    #[default]
    Sampled,
    /// The deterministic median gate: a gate with `log_alpha < beta ln(1/11)` is exactly 0 with
    /// zero gradient from the loss, so once closed it never reopens (the known trap of
    /// deterministic gates, reproduced in `docs/l0onie.md`).
    Median,
}

/// Widest hidden layer the `.rcoin` format stores (`rein_coin`: widths `1..=2^16`).
pub const MAX_WIDTH: usize = 1 << 16;
/// Most parameters the `.rcoin` format stores (`rein_coin`: `2^26`).
pub const MAX_PARAMS: u128 = 1 << 26;

/// Configuration of an L0onie run: one constrained run per bpp target and the COIN baseline
/// curve measured in the same run. Every field has the default of `rein l0onie`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct L0onieConfig {
    /// Compute device.
    pub device: DeviceKind,
    /// The image: a PNG path, or `"bundled"` (the 64 x 64 astronaut crop compiled into the
    /// library, `data/astronaut_face_64.png`).
    pub image: String,
    /// Bits-per-pixel targets (`bpp = 16 nnz / (H W)`): one L0onie run each.
    pub target_bpp: Vec<f64>,
    /// Steps of the constrained phase (the COIN baselines train `steps + finetune_steps`).
    pub steps: usize,
    /// Evaluate the deployable fp16 model every this many steps (and at the last step).
    pub eval_every: usize,
    /// Hidden layers of the gated SIREN (and of the COIN baselines).
    pub layers: usize,
    /// Hidden width of the gated SIREN.
    pub width: usize,
    /// Hidden widths of the COIN baselines. Absent: six widths whose dense bpp spans 0.5x the
    /// smallest to 1.5x the largest target ([`super::auto_coin_widths`]); empty: no baseline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coin_widths: Option<Vec<usize>>,
    /// Training gates of the constrained phase.
    pub gates: TrainGates,
    /// Steps of fine-tuning the kept weights with the sparsity mask frozen, after the
    /// constrained phase (0: none).
    pub finetune_steps: usize,
    /// Initial drop rate `d` of the gates: `log_alpha ~ N(ln((1-d)/d), 0.01)`.
    pub drop_rate: f64,
    /// Seed of the initialisation and the gate noise.
    pub seed: u64,
    /// The optimizer side of the constrained phase (default: simultaneous GDA; Adam 1e-3 with
    /// the gates `*log_alpha` at 1e-2; dual SGD 5e-4; the bpp constraint has dual restarts on).
    /// The COIN baselines and the fine-tuning use `optimizer.primal` without its parameter
    /// groups, clamps and schedule (by default: Adam 1e-3).
    pub optimizer: OptimizerConfig,
}

/// The default optimizer side of the recipe: simultaneous GDA, Adam (lr 1e-3) on the weights
/// with the gates in their own group (lr 1e-2), SGD ascent (lr 5e-4) on the multiplier.
pub fn default_optimizer() -> OptimizerConfig {
    OptimizerConfig {
        scheme: SchemeKind::Simultaneous,
        primal: PrimalConfig::new(PrimalKind::Adam, 1e-3).group(gates_group(1e-2)),
        dual: DualConfig::new(DualKind::Sgd, 5e-4),
        constraints: Default::default(),
    }
}

impl Default for L0onieConfig {
    fn default() -> Self {
        Self {
            device: DeviceKind::Flex,
            image: BUNDLED.into(),
            target_bpp: vec![2.0],
            steps: 2000,
            eval_every: 25,
            layers: 3,
            width: 24,
            coin_widths: None,
            gates: TrainGates::Sampled,
            finetune_steps: 2000,
            drop_rate: 0.01,
            seed: 0,
            optimizer: default_optimizer(),
        }
    }
}

/// Parameters of `layers` hidden layers of width `h`, `3h + (L-1)(h^2 + h) + 3h + 3`, without
/// overflow.
fn params(layers: usize, h: usize) -> u128 {
    let (l, h) = (layers as u128, h as u128);
    3 * h + (l - 1) * (h * h + h) + 3 * h + 3
}

impl L0onieConfig {
    /// Checks every value; errors name the key (the body of `validate`).
    pub(super) fn check(&self) -> Result<()> {
        let path = Path::new(&self.image);
        ensure(self.image == BUNDLED || path.is_file(), "image", || {
            format!(
                "{}: {} (a PNG path, or \"{BUNDLED}\" for the bundled 64x64 crop)",
                self.image,
                if path.is_dir() {
                    "is a directory"
                } else {
                    "no such file"
                }
            )
        })?;
        ensure(!self.target_bpp.is_empty(), "target_bpp", || {
            "needs at least one target".into()
        })?;
        for (k, t) in self.target_bpp.iter().enumerate() {
            ensure(t.is_finite() && *t > 0.0, "target_bpp", || {
                format!("{t}: must be positive and finite")
            })?;
            ensure(!self.target_bpp[..k].contains(t), "target_bpp", || {
                format!("{t} appears twice (each target names its output files)")
            })?;
        }
        ensure(self.steps > 0, "steps", || "must be positive".into())?;
        ensure(
            self.steps.checked_add(self.finetune_steps).is_some(),
            "finetune_steps",
            || {
                format!(
                    "steps + finetune_steps overflow ({} + {})",
                    self.steps, self.finetune_steps
                )
            },
        )?;
        ensure(self.eval_every > 0, "eval_every", || {
            "must be positive".into()
        })?;
        ensure(self.layers > 0, "layers", || "must be positive".into())?;
        let width_ok = |key: &str, h: usize| {
            ensure(h > 0 && h <= MAX_WIDTH, key, || {
                format!("{h}: must be in 1..={MAX_WIDTH} (the .rcoin format)")
            })?;
            ensure(params(self.layers, h) <= MAX_PARAMS, key, || {
                format!(
                    "{} layers of width {h} have {} parameters; the .rcoin format stores at \
                     most {MAX_PARAMS}",
                    self.layers,
                    params(self.layers, h)
                )
            })
        };
        width_ok("width", self.width)?;
        for &h in self.coin_widths.iter().flatten() {
            width_ok("coin_widths", h)?;
        }
        ensure(
            self.drop_rate > 0.0 && self.drop_rate < 1.0,
            "drop_rate",
            || format!("{}: must be in (0, 1)", self.drop_rate),
        )?;
        self.optimizer
            .validate()
            .map_err(|e| RecipeError::from_rein_under("optimizer", e))
    }

    /// The primal optimizer of the dense phases (COIN baselines, mask-frozen fine-tuning):
    /// `optimizer.primal` without its parameter groups, clamps and schedule.
    pub fn dense_primal(&self) -> PrimalConfig {
        PrimalConfig {
            groups: Vec::new(),
            clamp: Vec::new(),
            schedule: None,
            ..self.optimizer.primal.clone()
        }
    }
}
