//! What an L0onie run returns: the metrics of `metrics.json` (the COIN curve, one entry per
//! target, the verdict) and, outside serde, what a caller writes to disk (the `.rcoin` bytes,
//! the reconstructions, the histories, the original image).

use rein_coin::{Encoding, Rgb8};
use serde::{Deserialize, Serialize};

use super::TrainGates;
use crate::history::History;
use crate::recipe::Verdict;

/// One COIN baseline point: a dense SIREN and its best fp16 evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CoinPoint {
    /// Hidden width.
    pub width: usize,
    /// Parameters (all nonzero).
    pub params: usize,
    /// `16 nnz / (H W)`.
    pub bpp: f64,
    /// Size of its `.rcoin` file in bits / (H W).
    pub file_bpp: f64,
    /// Best PSNR (dB) of the fp16 model over the evaluations.
    pub psnr: f64,
    /// Step of that evaluation.
    pub best_step: usize,
    /// Wall time of its training (s).
    pub seconds: f64,
}

/// One L0onie run (one target).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct L0onieRunMetrics {
    /// bpp target.
    pub target: f64,
    /// Whether a feasible model was found and its written file fits the target (all fields
    /// below describe it; else the least violating evaluation of both phases: lowest bpp, then
    /// highest PSNR; `rein::selection`).
    pub feasible: bool,
    /// `16 nnz(fp16 purge) / (H W)` of the reported model (the constrained quantity).
    pub bpp: f64,
    /// Real `.rcoin` file size in bits / (H W); never above the target (see `dropped_to_fit`).
    pub file_bpp: f64,
    /// Stored parameters dropped (smallest magnitude first) so that the written file fits the
    /// target; 0 when the constraint's model fitted as it was.
    pub dropped_to_fit: usize,
    /// PSNR of the constraint's model before that repair (absent when nothing was dropped).
    pub psnr_before_fit: Option<f64>,
    /// File size in bytes.
    pub file_bytes: u64,
    /// Sparsity encoding chosen for the file (`"dense"`, `"bitmap"` or `"gaps"`).
    #[serde(
        serialize_with = "encoding_name",
        deserialize_with = "encoding_from_name"
    )]
    pub encoding: Encoding,
    /// PSNR (dB) of the 8-bit reconstruction.
    pub psnr: f64,
    /// Nonzero fp16 parameters.
    pub nnz: usize,
    /// Parameters of the gated SIREN.
    pub params: usize,
    /// Step of the reported evaluation (above `steps`: from the fine-tuning phase).
    pub best_step: usize,
    /// COIN PSNR interpolated at `bpp` (None outside the measured curve).
    pub coin_psnr_at_bpp: Option<f64>,
    /// `psnr - coin_psnr_at_bpp`.
    pub psnr_gain: Option<f64>,
    /// COIN PSNR interpolated at `file_bpp` on the COIN curve of file sizes (the comparison
    /// in real bytes: L0onie's file also stores its sparsity pattern).
    pub coin_psnr_at_file_bpp: Option<f64>,
    /// The budget is used: feasible and `0.7 target <= bpp` (the band checked in
    /// `docs/l0onie.md`).
    pub bpp_within_claim: bool,
    /// PSNR above the COIN curve at the achieved bpp (the claim of Ramirez & Gallego-Posada
    /// 2022: L0onie beats COIN at equal rate).
    pub above_coin: Option<bool>,
    /// Best feasible PSNR of the constrained phase alone (before fine-tuning).
    pub constrained_psnr: Option<f64>,
    /// Its bpp.
    pub constrained_bpp: Option<f64>,
    /// bpp of the last evaluation of the constrained phase (feasible or not).
    pub final_bpp: f64,
    /// PSNR of that evaluation.
    pub final_psnr: f64,
    /// Final multiplier.
    pub lambda: f64,
    /// Constraint-health warnings of the constrained phase (see `rein::health`; empty when
    /// healthy).
    #[serde(default)]
    pub health: Vec<rein::HealthWarning>,
    /// Wall time (s).
    pub seconds: f64,
    /// The name of the compressed file (`l0onie_bpp<target>.rcoin`; the CLI writes it into
    /// the output directory).
    pub file: String,
    /// The name of the reconstruction PNG (`l0onie_bpp<target>.png`).
    pub reconstruction: String,
}

/// [`Encoding`] in `metrics.json`: its lowercase name.
fn encoding_name<S: serde::Serializer>(e: &Encoding, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(e.name())
}

fn encoding_from_name<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Encoding, D::Error> {
    let name = String::deserialize(d)?;
    [Encoding::Dense, Encoding::Bitmap, Encoding::Gaps]
        .into_iter()
        .find(|e| e.name() == name)
        .ok_or_else(|| {
            serde::de::Error::custom(format!("unknown encoding `{name}` (dense, bitmap or gaps)"))
        })
}

/// What `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct L0onieMetrics {
    /// The image (path or `bundled`).
    pub image: String,
    /// Height in pixels.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// Hidden layers.
    pub layers: usize,
    /// Hidden width of the gated SIREN.
    pub gated_width: usize,
    /// Training gates.
    pub gates: TrainGates,
    /// Steps of the constrained phase.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// The COIN curve, sorted by bpp.
    pub coin: Vec<CoinPoint>,
    /// One entry per target, in the order of `target_bpp`.
    pub runs: Vec<L0onieRunMetrics>,
    /// Met iff every target found a feasible model (`bpp <= target`).
    pub verdict: Verdict,
}

/// What a caller writes for one target (same order as [`L0onieMetrics::runs`]).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetOutput {
    /// bpp target.
    pub target: f64,
    /// The `.rcoin` file of the reported model (decode with [`rein_coin::decode`]).
    pub rcoin: Vec<u8>,
    /// Its reconstruction, rendered from the decoded file.
    pub reconstruction: Rgb8,
    /// Per-step history: `mse`, `strict_bpp`, `proxy_bpp`, `lambda`; `eval_bpp` and `psnr` at
    /// the evaluations; `finetune_mse` in the fine-tuning phase.
    pub history: History,
}

/// A run's result: its metrics (serialised to `metrics.json`) and the outputs a caller may
/// write.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct L0onieOutcome {
    /// Final metrics.
    #[serde(flatten)]
    pub metrics: L0onieMetrics,
    /// The image that was compressed.
    #[serde(skip)]
    pub original: Rgb8,
    /// One entry per target.
    #[serde(skip)]
    pub targets: Vec<TargetOutput>,
}

impl L0onieOutcome {
    /// The COIN curve `(bpp, psnr)`, sorted by bpp.
    pub fn coin_curve(&self) -> Vec<(f64, f64)> {
        self.metrics.coin.iter().map(|c| (c.bpp, c.psnr)).collect()
    }
}

/// Met iff every target found a feasible model; the summary names the targets that did not.
pub fn verdict(runs: &[L0onieRunMetrics]) -> Verdict {
    let missed: Vec<&L0onieRunMetrics> = runs.iter().filter(|r| !r.feasible).collect();
    let summary = if missed.is_empty() {
        let each: Vec<String> = runs
            .iter()
            .map(|r| format!("{:.3} <= {}", r.bpp, r.target))
            .collect();
        format!(
            "every target found a feasible model (bpp {})",
            each.join(", ")
        )
    } else {
        let each: Vec<String> = missed
            .iter()
            .map(|r| {
                format!(
                    "target {}: last evaluation at {:.3} bpp",
                    r.target, r.final_bpp
                )
            })
            .collect();
        format!(
            "no feasible model (bpp <= target) for {} of {} targets ({})",
            missed.len(),
            runs.len(),
            each.join("; ")
        )
    };
    Verdict {
        met: missed.is_empty(),
        summary,
    }
}
