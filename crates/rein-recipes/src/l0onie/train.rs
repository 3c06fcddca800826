//! The training loops: L0onie (the constrained gated SIREN, then the mask-frozen fine-tuning)
//! and the COIN baseline (a dense SIREN), both full batch with periodic evaluation of the
//! deployable fp16 model.

use burn::tensor::Device;
use rein::optim::{Clamp, ParamGrads, PrimalOptimizer, Projected};
use rein::selection::{BestIterate, Candidate};
use rein::{ConstrainedOptimizer, Constraint};
use rein_nn::l0::TestGate;
use rein_nn::l0::hard_concrete::{LOG_ALPHA_MAX, LOG_ALPHA_MIN};
use rein_nn::siren::{L0Siren, SirenConfig, SirenWeights};

use super::image::Picture;
use super::problem::{BPP, L0onieProblem, grid_and_pixels, mse};
use super::{GATE_PATTERN, L0onieConfig};
use crate::error::{RecipeError, Result};
use crate::history::History;
use crate::progress::Progress;

/// One evaluation of the deployable model: fp16 weights and what they achieve.
#[derive(Debug, Clone)]
pub(super) struct Best {
    /// Step of the evaluation.
    pub step: usize,
    /// The fp16 (purged) weights.
    pub weights: SirenWeights,
    /// `16 nnz / (H W)`.
    pub bpp: f64,
    /// PSNR (dB) of the 8-bit reconstruction.
    pub psnr: f64,
}

impl Best {
    /// The evaluation as a selection candidate: objective `-psnr`, violation `bpp - target`
    /// (`<= 0` exactly when `bpp <= target`).
    fn candidate(&self, target: f64) -> Candidate {
        Candidate::new(-self.psnr, vec![self.bpp - target])
    }
}

/// The outcome of the L0onie loop for one target.
pub(super) struct L0onieRun {
    /// The evaluation chosen over both phases by [`rein::selection`]: the best feasible one
    /// (bpp <= target, highest PSNR, earliest on ties), else the least violating one (lowest
    /// bpp, then highest PSNR).
    pub chosen: Best,
    /// Whether `chosen` is feasible.
    pub feasible: bool,
    /// Best feasible evaluation of the constrained phase alone.
    pub constrained_best: Option<Best>,
    /// The last evaluation of the constrained phase.
    pub last: Best,
    /// Per-step history: mse, strict and proxy bpp, multiplier; eval bpp and psnr at the
    /// evaluations; the fine-tuning MSE.
    pub history: History,
    /// Final multiplier.
    pub multiplier: f64,
}

fn optimizer_error(e: rein::ReinError) -> RecipeError {
    RecipeError::from_rein_under("optimizer", e)
}

/// The primal optimizer of the dense phases ([`L0onieConfig::dense_primal`]).
fn dense_optimizer(c: &L0onieConfig) -> Result<Box<dyn PrimalOptimizer>> {
    c.dense_primal()
        .build()
        .map_err(|e| RecipeError::from_rein_under("optimizer.primal", e))
}

/// Whether `step` (1-based, of `steps`) evaluates.
fn evaluates(step: usize, every: usize, steps: usize) -> bool {
    step.is_multiple_of(every) || step == steps
}

/// Trains the gated SIREN under `bpp <= target` with the configured scheme (by default
/// simultaneous GDA: Adam on the weights and, in their own group, the gates; projected SGD
/// ascent on the multiplier with dual restarts, `lambda <- max(0, lambda + eta g_strict)` and
/// `lambda <- 0` whenever `g_strict < 0`). After every primal step `log_alpha` is projected
/// onto `[ln 0.01, ln 100]` (Louizos et al. 2018). Every `eval_every` steps the purged model is
/// cast to fp16 and rendered; [`rein::selection`] keeps the best *feasible* evaluation (strict
/// bpp <= target, highest PSNR), else the least violating one (lowest bpp). Then [`finetune`]
/// trains the kept weights of that model with the mask frozen, offering its evaluations to the
/// same selection.
pub(super) fn train_l0onie(
    c: &L0onieConfig,
    target: f64,
    img: &Picture,
    device: &Device,
    progress: &mut dyn Progress,
) -> Result<L0onieRun> {
    let arch = SirenConfig::new(c.layers, c.width);
    let mut model = arch.init_gated(c.seed, c.drop_rate, device);
    let primal = c.optimizer.build_primal().map_err(optimizer_error)?;
    let clamp = Clamp::new([GATE_PATTERN], LOG_ALPHA_MIN, LOG_ALPHA_MAX)?;
    let constraint = Constraint::inequality(BPP, 1).dual_restarts(true);
    let mut opt = c
        .optimizer
        .build_with(Projected::new(primal).with(clamp), [constraint])
        .map_err(optimizer_error)?;
    let mut problem = L0onieProblem::new(
        &img.unit, img.height, img.width, target, c.gates, c.seed, device,
    );
    progress.start(
        &format!("l0onie {target}"),
        (c.steps + c.finetune_steps) as u64,
    );
    let mut history = History::new();
    let mut constrained: BestIterate<Best> = BestIterate::default();
    let mut last = None;
    let mut multiplier = 0.0;
    for step in 1..=c.steps {
        let report = opt.step(&mut problem, &mut model, &())?;
        let o = problem.last;
        multiplier = report
            .constraint(BPP)
            .and_then(|k| k.multipliers.first().copied())
            .unwrap_or(0.0);
        let mut row = vec![
            ("mse", o.mse),
            ("strict_bpp", o.strict_bpp),
            ("proxy_bpp", o.proxy_bpp),
            ("lambda", multiplier),
        ];
        if evaluates(step, c.eval_every, c.steps) {
            let (weights, bpp, psnr) = img.evaluate(&model.purge(TestGate::Median));
            row.push(("eval_bpp", bpp));
            row.push(("psnr", psnr));
            let eval = Best {
                step,
                weights,
                bpp,
                psnr,
            };
            constrained.offer(&eval.candidate(target), eval.clone());
            progress.message(&format!(
                "bpp {bpp:.3} (target {target:.3})  psnr {psnr:.2} dB  lambda {multiplier:.3}"
            ));
            last = Some(eval);
        }
        history.push(step as u64, &row);
        progress.step();
    }
    let last = last.ok_or_else(|| RecipeError::config("steps", "must be positive"))?;
    let constrained_best = constrained.feasible().cloned();
    let mut overall = constrained;
    if c.finetune_steps > 0 {
        let start = overall
            .best()
            .map(|(_, b)| b.weights.clone())
            .unwrap_or_else(|| last.weights.clone());
        finetune(
            c,
            target,
            &start,
            img,
            device,
            &mut overall,
            &mut history,
            progress,
        )?;
    }
    progress.finish();
    // Every evaluation offered has finite bpp and PSNR; should all have been NaN, the last
    // evaluation is kept.
    let (selection, chosen) = overall
        .into_best()
        .map(|(s, b)| (Some(s), b))
        .unwrap_or_else(|| (None, last.clone()));
    Ok(L0onieRun {
        feasible: selection.is_some_and(|s| s.feasible),
        chosen,
        constrained_best,
        last,
        history,
        multiplier,
    })
}

/// Fine-tunes the kept weights of `start` with its sparsity mask frozen
/// ([`L0Siren::frozen`]: deterministic 0/1 gates, zero gate gradient, no constraint) on the
/// full-batch MSE; offers the evaluation of `start` (as step `steps`) and every later
/// evaluation to `record`. The nonzero count, hence the bpp, stays that of `start` (up to
/// values that round to zero in fp16).
#[allow(clippy::too_many_arguments)]
fn finetune(
    c: &L0onieConfig,
    target: f64,
    start: &SirenWeights,
    img: &Picture,
    device: &Device,
    record: &mut BestIterate<Best>,
    history: &mut History,
    progress: &mut dyn Progress,
) -> Result<()> {
    let (coords, pixels) = grid_and_pixels(&img.unit, img.height, img.width, device);
    let mut model = L0Siren::frozen(start, device);
    let mut opt = dense_optimizer(c)?;
    let (w, bpp, psnr) = img.evaluate(start);
    let initial = Best {
        step: c.steps,
        weights: w,
        bpp,
        psnr,
    };
    record.offer(&initial.candidate(target), initial);
    for k in 1..=c.finetune_steps {
        let step = c.steps + k;
        let loss = mse(
            model.forward(coords.clone(), None, TestGate::Median),
            pixels.clone(),
        );
        let value = loss.clone().into_scalar::<f64>();
        let grads = ParamGrads::from_backward(&model, &loss.backward());
        model = PrimalOptimizer::step(&mut opt, model, &grads)?;
        let mut row = vec![("finetune_mse", value)];
        if evaluates(k, c.eval_every, c.finetune_steps) {
            let (weights, bpp, psnr) = img.evaluate(&model.purge(TestGate::Median));
            row.push(("eval_bpp", bpp));
            row.push(("psnr", psnr));
            let eval = Best {
                step,
                weights,
                bpp,
                psnr,
            };
            record.offer(&eval.candidate(target), eval);
            progress.message(&format!("fine-tune: bpp {bpp:.3}  psnr {psnr:.2} dB"));
        }
        history.push(step as u64, &row);
        progress.step();
    }
    Ok(())
}

/// Trains the dense SIREN of hidden width `width` (COIN, Dupont et al. 2021) on the
/// full-batch MSE for `steps + finetune_steps` steps (L0onie's two phases together) and
/// returns its best fp16 evaluation (same evaluation schedule as L0onie).
pub(super) fn train_coin(
    c: &L0onieConfig,
    width: usize,
    img: &Picture,
    device: &Device,
    progress: &mut dyn Progress,
) -> Result<Best> {
    let steps = c.steps + c.finetune_steps;
    let (coords, pixels) = grid_and_pixels(&img.unit, img.height, img.width, device);
    let mut model = SirenConfig::new(c.layers, width).init(c.seed, device);
    let mut opt = dense_optimizer(c)?;
    progress.start(&format!("coin h={width}"), steps as u64);
    let mut best: Option<Best> = None;
    for step in 1..=steps {
        let loss = mse(model.forward(coords.clone()), pixels.clone());
        let grads = ParamGrads::from_backward(&model, &loss.backward());
        model = PrimalOptimizer::step(&mut opt, model, &grads)?;
        if evaluates(step, c.eval_every, steps) {
            let (weights, bpp, psnr) = img.evaluate(&model.to_host());
            if best.as_ref().is_none_or(|b| psnr > b.psnr) {
                best = Some(Best {
                    step,
                    weights,
                    bpp,
                    psnr,
                });
            }
        }
        progress.step();
    }
    progress.finish();
    best.ok_or_else(|| RecipeError::config("steps", "must be positive"))
}
