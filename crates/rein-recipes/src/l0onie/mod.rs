//! L0onie: COIN image compression under a bits-per-pixel budget (Ramirez & Gallego-Posada
//! 2022, "L0onie: Compressing COINs with L0-constraints", arXiv:2207.04144), against the COIN
//! baseline (Dupont, Golinski, Alizadeh, Teh & Doucet 2021, "COIN: COmpression with Implicit
//! Neural representations", arXiv:2103.03123) measured in the same run.
//!
//! A SIREN (Sitzmann et al. 2020) `f: (y, x) in [-1, 1]^2 -> RGB`,
//! `h_l = sin(30 (h_{l-1} W_l + b_l))` with a linear output, is overfitted to one image; its
//! fp16 weights are the compressed image. COIN shrinks the file by shrinking the width. L0onie
//! trains a wider SIREN with a hard-concrete gate `z` (Louizos, Welling & Kingma 2018) on every
//! weight and bias and asks for the rate as a constraint ([`L0onieProblem`]):
//!
//! ```text
//! min_{theta, log_alpha}  MSE(f_{theta * z}(coords), image)   s.t.  16 nnz / (H W) <= target
//! ```
//!
//! The multiplier ascends on the strict rate of the deployed fp16 model, the parameters descend
//! on the expected-L0 proxy `32 sum P(z != 0) / (H W)`. Per target, a run:
//!
//! 1. trains the gated SIREN with the configured scheme (default: simultaneous GDA, Adam with
//!    the gates at a larger learning rate, `log_alpha` projected onto `[ln 0.01, ln 100]` after
//!    every step, dual SGD with restarts), evaluating the purged fp16 model every `eval_every`
//!    steps and keeping the best *feasible* one (strict bpp <= target, highest PSNR), else the
//!    least violating one (lowest bpp, then highest PSNR) — [`rein::selection`];
//! 2. fine-tunes the kept weights of that model with its mask frozen for `finetune_steps`
//!    (the nonzero count cannot grow, so a feasible model stays feasible), its evaluations
//!    entering the same selection;
//! 3. encodes the reported model as an `.rcoin` file ([`rein_coin`]) and renders the decoded
//!    file.
//!
//! The COIN baselines (dense SIRENs of `coin_widths`) train as many steps as both phases
//! together; the PSNR gain is read off their curve at the achieved rate ([`interpolate`]).
//! Equations, file format and results: `docs/l0onie.md`.
//!
//! The library never writes files: the outcome carries the `.rcoin` bytes, reconstructions and
//! histories, and `rein l0onie` writes them.
//!
//! ```no_run
//! use rein_recipes::{RecipeConfig, Silent, l0onie::L0onieConfig};
//! let config = L0onieConfig { target_bpp: vec![2.0, 4.0], ..L0onieConfig::default() };
//! let outcome = config.run(&mut Silent)?;
//! for (run, out) in outcome.metrics.runs.iter().zip(&outcome.targets) {
//!     println!("{} bpp: {:.2} dB, {} bytes", run.target, run.psnr, out.rcoin.len());
//! }
//! assert!(config.verdict(&outcome).met);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

mod budget;
mod checkpoint;
mod config;
mod curve;
mod image;
mod outcome;
mod problem;
mod train;

pub use crate::sparsity::{GATE_PATTERN, GATES, gates_group};
pub use config::{L0onieConfig, MAX_PARAMS, MAX_WIDTH, TrainGates, default_optimizer};
pub use curve::{auto_coin_widths, interpolate};
pub use image::{BUNDLED, load_image};
pub use outcome::{
    CoinPoint, L0onieMetrics, L0onieOutcome, L0onieRunMetrics, TargetOutput, verdict,
};
pub use problem::{BPP, L0onieProblem, Observed, mse};

use rein_coin::{CoinError, FormatError, decode, encode, render};
use rein_nn::siren::SirenConfig;

use crate::error::{RecipeError, Result};
use crate::progress::Progress;
use crate::recipe::{RecipeConfig, Verdict};
use image::Picture;

impl RecipeConfig for L0onieConfig {
    const NAME: &'static str = "l0onie";
    type Outcome = L0onieOutcome;

    fn validate(&self) -> Result<()> {
        self.check()
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
    ) -> Result<L0onieOutcome> {
        run_in(self, session, progress)
    }

    fn verdict(&self, outcome: &L0onieOutcome) -> Verdict {
        outcome.metrics.verdict.clone()
    }
}

/// The stem of a target's output files: `bpp<target>` (`l0onie_bpp2.rcoin`,
/// `history_bpp2.csv`).
pub fn stem(target: f64) -> String {
    format!("bpp{target}")
}

/// An in-memory `.rcoin` error, named after the file it would be.
fn format_error(name: &str) -> impl Fn(FormatError) -> RecipeError + '_ {
    move |error| {
        RecipeError::Coin(CoinError::Format {
            path: name.into(),
            error,
        })
    }
}

/// Runs the COIN baselines, then one L0onie run per target.
pub fn run(config: &L0onieConfig, progress: &mut dyn Progress) -> Result<L0onieOutcome> {
    run_in(config, &mut crate::Session::none(), progress)
}

/// [`run`], checkpointing into `session` (and resuming from it): each COIN width, and each
/// target's constrained and fine-tuning phases, are its phases. `seconds` in the metrics sum
/// the parts of a resumed phase.
pub fn run_in(
    config: &L0onieConfig,
    session: &mut crate::Session,
    progress: &mut dyn Progress,
) -> Result<L0onieOutcome> {
    config.validate()?;
    let original = load_image(&config.image)?;
    let img = Picture::new(&original);
    let device = crate::device::autodiff(config.device)?;
    let (h, w) = (img.height, img.width);

    let widths = match &config.coin_widths {
        Some(v) => v.clone(),
        None => auto_coin_widths(config.layers, h * w, &config.target_bpp),
    };
    let mut coin = Vec::with_capacity(widths.len());
    for &cw in &widths {
        let (best, seconds) = train::train_coin(config, cw, &img, &device, session, progress)?;
        let bytes = encode(h, w, &best.weights).map_err(format_error(&format!("<COIN h={cw}>")))?;
        coin.push(CoinPoint {
            width: cw,
            params: SirenConfig::new(config.layers, cw).num_params(),
            bpp: best.bpp,
            file_bpp: img.per_pixel(8.0 * bytes.len() as f64),
            psnr: best.psnr,
            best_step: best.step,
            seconds,
        });
    }
    coin.sort_by(|a, b| a.bpp.total_cmp(&b.bpp));
    let curve: Vec<(f64, f64)> = coin.iter().map(|c| (c.bpp, c.psnr)).collect();
    let file_curve: Vec<(f64, f64)> = coin.iter().map(|c| (c.file_bpp, c.psnr)).collect();

    let params = SirenConfig::new(config.layers, config.width).num_params();
    let mut runs = Vec::with_capacity(config.target_bpp.len());
    let mut targets = Vec::with_capacity(config.target_bpp.len());
    for &target in &config.target_bpp {
        let run = train::train_l0onie(config, target, &img, &device, session, progress)?;
        let seconds = run.seconds;
        let stem = stem(target);
        let chosen = &run.chosen;
        let file = format!("l0onie_{stem}.rcoin");
        // The budget is the file's: drop the smallest weights until the bytes fit.
        let budget_bits = target * (h * w) as f64;
        let fitted = budget::fit_file_budget(h, w, &chosen.weights, budget_bits)
            .map_err(format_error(&file))?;
        let (bpp, psnr) = if fitted.dropped == 0 {
            (chosen.bpp, chosen.psnr)
        } else {
            let (_, bpp, psnr) = img.evaluate(&fitted.weights);
            (bpp, psnr)
        };
        let rcoin = fitted.bytes;
        let decoded = decode(&rcoin).map_err(format_error(&file))?;
        let coin_psnr = interpolate(&curve, bpp);
        let file_bpp = img.per_pixel(8.0 * rcoin.len() as f64);
        let feasible = run.feasible && file_bpp <= target;
        runs.push(L0onieRunMetrics {
            target,
            feasible,
            bpp,
            file_bpp,
            file_bytes: rcoin.len() as u64,
            dropped_to_fit: fitted.dropped,
            psnr_before_fit: (fitted.dropped > 0).then_some(chosen.psnr),
            encoding: decoded.encoding,
            psnr,
            nnz: fitted.weights.nnz(),
            params,
            best_step: chosen.step,
            coin_psnr_at_bpp: coin_psnr,
            psnr_gain: coin_psnr.map(|c| psnr - c),
            coin_psnr_at_file_bpp: interpolate(&file_curve, file_bpp),
            bpp_within_claim: feasible && bpp >= 0.7 * target,
            above_coin: coin_psnr.map(|c| psnr > c),
            constrained_psnr: run.constrained_best.as_ref().map(|b| b.psnr),
            constrained_bpp: run.constrained_best.as_ref().map(|b| b.bpp),
            final_bpp: run.last.bpp,
            final_psnr: run.last.psnr,
            lambda: run.multiplier,
            health: run.health.clone(),
            seconds,
            file,
            reconstruction: format!("l0onie_{stem}.png"),
        });
        targets.push(TargetOutput {
            target,
            reconstruction: render(&decoded),
            rcoin,
            history: run.history,
        });
    }
    let verdict = verdict(&runs);
    Ok(L0onieOutcome {
        metrics: L0onieMetrics {
            image: config.image.clone(),
            height: h,
            width: w,
            layers: config.layers,
            gated_width: config.width,
            gates: config.gates,
            steps: config.steps,
            seed: config.seed,
            coin,
            runs,
            verdict,
        },
        original,
        targets,
    })
}
