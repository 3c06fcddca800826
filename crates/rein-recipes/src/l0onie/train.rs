//! The training loops: L0onie (the constrained gated SIREN, then the mask-frozen fine-tuning)
//! and the COIN baseline (a dense SIREN), both full batch with periodic evaluation of the
//! deployable fp16 model.

use std::time::Instant;

use burn::tensor::Device;
use rein::checkpoint::{StateDict, Stateful};
use rein::optim::{Clamp, ParamGrads, PrimalOptimizer, Projected};
use rein::selection::{BestIterate, Candidate};
use rein::{ConstrainedOptimizer, Constraint, HealthConfig, HealthMonitor, HealthWarning};
use rein_nn::l0::TestGate;
use rein_nn::l0::hard_concrete::{LOG_ALPHA_MAX, LOG_ALPHA_MIN};
use rein_nn::siren::{L0Siren, SirenConfig, SirenWeights};

use super::checkpoint::{get_best, get_record, put_best, put_record};
use super::image::Picture;
use super::problem::{BPP, L0onieProblem, grid_and_pixels, mse};
use super::{GATE_PATTERN, L0onieConfig};
use crate::error::{RecipeError, Result};
use crate::history::History;
use crate::progress::Progress;
use crate::session::{self, Session};

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
    /// Constraint-health warnings of the constrained phase.
    pub health: Vec<HealthWarning>,
    /// Wall-clock seconds of both phases (summed over resumed parts).
    pub seconds: f64,
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
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<L0onieRun> {
    let phase = format!("l0onie-{target}");
    progress.start(
        &format!("l0onie {target}"),
        (c.steps + c.finetune_steps) as u64,
    );
    let constrained = match session.completed(&phase) {
        Some(done) => {
            progress.skip(c.steps as u64);
            Constrained {
                history: session::get_history(done.dict(), &done.name("history"))?,
                record: get_record(done.dict(), &done.name("record"))?,
                last: get_best(done.dict(), &done.name("last"))?,
                multiplier: done.json("multiplier")?,
                health: done.json("health")?,
                seconds: done.json("seconds")?,
            }
        }
        None => constrained_phase(c, target, img, device, &phase, session, progress)?,
    };
    let Constrained {
        mut history,
        record,
        last,
        multiplier,
        health,
        mut seconds,
    } = constrained;
    let constrained_best = record.feasible().cloned();
    let mut overall = record;
    if c.finetune_steps > 0 {
        let start = overall
            .best()
            .map(|(_, b)| b.weights.clone())
            .unwrap_or_else(|| last.weights.clone());
        seconds += finetune(
            c,
            target,
            &start,
            img,
            device,
            &mut overall,
            &mut history,
            session,
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
        health,
        seconds,
    })
}

/// What the constrained phase hands to the fine-tuning.
struct Constrained {
    history: History,
    record: BestIterate<Best>,
    last: Best,
    multiplier: f64,
    health: Vec<HealthWarning>,
    seconds: f64,
}

/// The constrained phase of [`train_l0onie`], checkpointed as `phase` of `session`.
fn constrained_phase(
    c: &L0onieConfig,
    target: f64,
    img: &Picture,
    device: &Device,
    phase: &str,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<Constrained> {
    let clock = Instant::now();
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
    let mut history = History::new();
    let mut record: BestIterate<Best> = BestIterate::default();
    let mut last = None;
    let mut multiplier = 0.0;
    let mut health = HealthMonitor::new(HealthConfig::default());
    let (mut start, mut before) = (0, 0.0);
    if let Some((step, state)) = session.interrupted(phase) {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        problem.set_gate_rng(session::get_gate_rng(&state, "gate_rng")?);
        history = session::get_history(&state, "history")?;
        record = get_record(&state, "record")?;
        if state.contains("last/step") {
            last = Some(get_best(&state, "last")?);
        }
        multiplier = session::get_json(&state, "multiplier")?;
        health = session::get_json(&state, "health")?;
        before = session::get_json(&state, "seconds")?;
        start = step as usize;
        progress.skip(step);
    }
    for step in start + 1..=c.steps {
        let report = opt.step(&mut problem, &mut model, &())?;
        health.observe(&report);
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
            record.offer(&eval.candidate(target), eval.clone());
            progress.message(&format!(
                "bpp {bpp:.3} (target {target:.3})  psnr {psnr:.2} dB  lambda {multiplier:.3}"
            ));
            last = Some(eval);
        }
        history.push(step as u64, &row);
        progress.step();
        if session.due(step as u64) && step < c.steps {
            let mut state = StateDict::new();
            state.put_module("model", &model);
            opt.save_state("optimizer", &mut state)?;
            session::put_gate_rng(&mut state, "gate_rng", problem.gate_rng());
            session::put_history(&mut state, "history", &history);
            put_record(&mut state, "record", &record);
            if let Some(l) = &last {
                put_best(&mut state, "last", l);
            }
            session::put_json(&mut state, "multiplier", &multiplier)?;
            session::put_json(&mut state, "health", &health)?;
            let seconds = before + clock.elapsed().as_secs_f64();
            session::put_json(&mut state, "seconds", &seconds)?;
            session.save(phase, step as u64, &state)?;
        }
    }
    let last = last.ok_or_else(|| RecipeError::config("steps", "must be positive"))?;
    let done = Constrained {
        history,
        record,
        last,
        multiplier,
        health: health.warnings().to_vec(),
        seconds: before + clock.elapsed().as_secs_f64(),
    };
    let mut outputs = StateDict::new();
    session::put_history(&mut outputs, "history", &done.history);
    put_record(&mut outputs, "record", &done.record);
    put_best(&mut outputs, "last", &done.last);
    session::put_json(&mut outputs, "multiplier", &done.multiplier)?;
    session::put_json(&mut outputs, "health", &done.health)?;
    session::put_json(&mut outputs, "seconds", &done.seconds)?;
    session.complete(phase, &outputs)?;
    Ok(done)
}

/// Fine-tunes the kept weights of `start` with its sparsity mask frozen
/// ([`L0Siren::frozen`]: deterministic 0/1 gates, zero gate gradient, no constraint) on the
/// full-batch MSE; offers the evaluation of `start` (as step `steps`) and every later
/// evaluation to `record`. The nonzero count, hence the bpp, stays that of `start` (up to
/// values that round to zero in fp16). Checkpointed as the phase `finetune-<target>` of
/// `session`; returns its wall-clock seconds.
#[allow(clippy::too_many_arguments)]
fn finetune(
    c: &L0onieConfig,
    target: f64,
    start: &SirenWeights,
    img: &Picture,
    device: &Device,
    record: &mut BestIterate<Best>,
    history: &mut History,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<f64> {
    let phase = format!("finetune-{target}");
    if let Some(done) = session.completed(&phase) {
        *record = get_record(done.dict(), &done.name("record"))?;
        *history = session::get_history(done.dict(), &done.name("history"))?;
        progress.skip(c.finetune_steps as u64);
        return done.json("seconds");
    }
    let clock = Instant::now();
    let (coords, pixels) = grid_and_pixels(&img.unit, img.height, img.width, device);
    let mut model = L0Siren::frozen(start, device);
    let mut opt = dense_optimizer(c)?;
    let (mut first, mut before) = (1, 0.0);
    if let Some((step, state)) = session.interrupted(&phase) {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        *record = get_record(&state, "record")?;
        *history = session::get_history(&state, "history")?;
        before = session::get_json(&state, "seconds")?;
        first = step as usize + 1;
        progress.skip(step);
    } else {
        let (w, bpp, psnr) = img.evaluate(start);
        let initial = Best {
            step: c.steps,
            weights: w,
            bpp,
            psnr,
        };
        record.offer(&initial.candidate(target), initial);
    }
    for k in first..=c.finetune_steps {
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
        if session.due(k as u64) && k < c.finetune_steps {
            let mut state = StateDict::new();
            state.put_module("model", &model);
            opt.save_state("optimizer", &mut state)?;
            put_record(&mut state, "record", record);
            session::put_history(&mut state, "history", history);
            let seconds = before + clock.elapsed().as_secs_f64();
            session::put_json(&mut state, "seconds", &seconds)?;
            session.save(&phase, k as u64, &state)?;
        }
    }
    let seconds = before + clock.elapsed().as_secs_f64();
    let mut outputs = StateDict::new();
    put_record(&mut outputs, "record", record);
    session::put_history(&mut outputs, "history", history);
    session::put_json(&mut outputs, "seconds", &seconds)?;
    session.complete(&phase, &outputs)?;
    Ok(seconds)
}

/// Trains the dense SIREN of hidden width `width` (COIN, Dupont et al. 2021) on the
/// full-batch MSE for `steps + finetune_steps` steps (L0onie's two phases together) and
/// returns its best fp16 evaluation (same evaluation schedule as L0onie) and its wall-clock
/// seconds. Checkpointed as the phase `coin-<width>` of `session`.
pub(super) fn train_coin(
    c: &L0onieConfig,
    width: usize,
    img: &Picture,
    device: &Device,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<(Best, f64)> {
    let phase = format!("coin-{width}");
    if let Some(done) = session.completed(&phase) {
        return Ok((
            get_best(done.dict(), &done.name("best"))?,
            done.json("seconds")?,
        ));
    }
    let clock = Instant::now();
    let steps = c.steps + c.finetune_steps;
    let (coords, pixels) = grid_and_pixels(&img.unit, img.height, img.width, device);
    let mut model = SirenConfig::new(c.layers, width).init(c.seed, device);
    let mut opt = dense_optimizer(c)?;
    progress.start(&format!("coin h={width}"), steps as u64);
    let mut best: Option<Best> = None;
    let (mut first, mut before) = (1, 0.0);
    if let Some((step, state)) = session.interrupted(&phase) {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        if state.contains("best/step") {
            best = Some(get_best(&state, "best")?);
        }
        before = session::get_json(&state, "seconds")?;
        first = step as usize + 1;
        progress.skip(step);
    }
    for step in first..=steps {
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
        if session.due(step as u64) && step < steps {
            let mut state = StateDict::new();
            state.put_module("model", &model);
            opt.save_state("optimizer", &mut state)?;
            if let Some(b) = &best {
                put_best(&mut state, "best", b);
            }
            let seconds = before + clock.elapsed().as_secs_f64();
            session::put_json(&mut state, "seconds", &seconds)?;
            session.save(&phase, step as u64, &state)?;
        }
    }
    progress.finish();
    let best = best.ok_or_else(|| RecipeError::config("steps", "must be positive"))?;
    let seconds = before + clock.elapsed().as_secs_f64();
    let mut outputs = StateDict::new();
    put_best(&mut outputs, "best", &best);
    session::put_json(&mut outputs, "seconds", &seconds)?;
    session.complete(&phase, &outputs)?;
    Ok((best, seconds))
}
