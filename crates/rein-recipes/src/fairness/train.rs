//! The three phases of the fairness recipe: dense ERM, gradual magnitude pruning, fine-tuning
//! with the masks fixed.

use burn::module::Module;
use burn::tensor::Device;
use rein::checkpoint::{StateDict, Stateful};
use rein::{Cmp, CmpState, ConstrainedOptimizer, StepReport};
use rein_nn::{Batcher, Grouped, Mlp, MlpConfig, metrics};

use super::FairnessConfig;
use super::groups::GroupFigures;
use super::problem::{FairnessProblem, Method};
use super::prune::{Masks, cubic_sparsity};
use crate::error::{RecipeError, Result};
use crate::feasible::cross_entropy_rows;
use crate::history::History;
use crate::progress::Progress;
use crate::session::{self, Session};

/// Rows per forward pass when evaluating a whole split.
const EVAL_CHUNK: usize = 2048;

/// Seed offset of the fine-tuning batch order (every method sees the same batches).
const FINETUNE_STREAM: u64 = 0x5eed_f1e7;

/// Plain minibatch cross-entropy (phases 1 and 2).
struct Erm<'a> {
    train: &'a Grouped,
    device: Device,
}

impl Cmp<Mlp> for Erm<'_> {
    type Batch = [usize];
    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.data.batch_tensors(batch, &self.device);
        Ok(CmpState::new().loss(cross_entropy_rows(model.forward(x), y).mean()))
    }
}

/// The model after phases 1-2 and what was measured on the way.
pub(super) struct Pruned {
    pub model: Mlp,
    pub masks: Masks,
    pub dense_train: GroupFigures,
    pub dense_test: GroupFigures,
    pub history: History,
    pub steps: u64,
}

/// Accuracy and cross-entropy, overall and per group, of `model` on `data` (no graph).
pub(super) fn evaluate(model: &Mlp, data: &Grouped, plain: &Device) -> Result<GroupFigures> {
    let model = model.valid();
    let mut correct = Vec::with_capacity(data.data.n);
    let mut loss = Vec::with_capacity(data.data.n);
    let rows: Vec<usize> = (0..data.data.n).collect();
    for chunk in rows.chunks(EVAL_CHUNK) {
        let (x, y) = data.data.batch_tensors(chunk, plain);
        let logits = model.forward(x);
        let classes = logits.dims()[1];
        let host = |t: burn::tensor::Tensor<1>| {
            t.into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .map_err(|e| RecipeError::config("device", format!("reading results: {e:?}")))
        };
        let flat = host(logits.clone().reshape([chunk.len() * classes]))?;
        let predicted = metrics::argmax_rows(&flat, classes);
        correct.extend(
            chunk
                .iter()
                .zip(&predicted)
                .map(|(&i, &p)| data.data.labels[i] == p),
        );
        loss.extend(
            host(cross_entropy_rows(logits, y))?
                .into_iter()
                .map(f64::from),
        );
    }
    Ok(GroupFigures::from_rows(
        &correct,
        &loss,
        &data.groups,
        data.group_count(),
    ))
}

fn erm_row(report: &StepReport, phase: f64, sparsity: f64) -> Vec<(&'static str, f64)> {
    vec![
        ("phase", phase),
        ("loss", report.loss.unwrap_or(f64::NAN)),
        ("sparsity", sparsity),
    ]
}

/// Phase 1 (`dense_steps` of ERM from a seeded initialisation) and phase 2 (`prune_steps` of
/// ERM while the masks follow the cubic schedule from 0 to `sparsity`, recomputed every
/// `prune_every` steps and at the last one; masked weights are zeroed after every step). Both
/// are phases of `session` (`dense`, `prune`): checkpointed and resumed.
pub(super) fn dense_and_prune(
    config: &FairnessConfig,
    train: &Grouped,
    test: &Grouped,
    device: &Device,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<Pruned> {
    let plain = device.clone().inner();
    let d = &train.data;
    let mut model = MlpConfig::new(d.d, config.hidden.clone(), d.classes).init(config.seed, device);
    let steps = (config.dense_steps + config.prune_steps) as u64;
    if let Some(done) = session.completed("prune") {
        return Ok(Pruned {
            model: done.module("model", model)?,
            masks: done.json("masks")?,
            dense_train: done.json("dense_train")?,
            dense_test: done.json("dense_test")?,
            history: session::get_history(done.dict(), &done.name("history"))?,
            steps,
        });
    }
    let mut opt = config
        .erm_optimizer()
        .build([])
        .map_err(|e| RecipeError::from_rein_under("optimizer", e))?;
    let mut problem = Erm {
        train,
        device: device.clone(),
    };
    let mut batcher = Batcher::new(d.n, config.batch_size, config.seed)?;
    let mut history = History::new();
    // The loop state both phases checkpoint.
    let save = |model: &Mlp, opt: &dyn Stateful, batcher: &Batcher, history: &History| {
        let mut state = StateDict::new();
        state.put_module("model", model);
        opt.save_state("optimizer", &mut state)?;
        session::put_batcher(&mut state, "batcher", batcher);
        session::put_history(&mut state, "history", history);
        Ok::<_, RecipeError>(state)
    };
    let (dense_train, dense_test) = match session.completed("dense") {
        Some(done) => {
            let dict = done.dict();
            model = done.module("model", model)?;
            opt.load_state(&done.name("optimizer"), dict)?;
            batcher = session::get_batcher(dict, &done.name("batcher"))?;
            history = session::get_history(dict, &done.name("history"))?;
            (done.json("dense_train")?, done.json("dense_test")?)
        }
        None => {
            let mut start = 0;
            if let Some((step, state)) = session.interrupted("dense") {
                model = state.load_module("model", model)?;
                opt.load_state("optimizer", &state)?;
                batcher = session::get_batcher(&state, "batcher")?;
                history = session::get_history(&state, "history")?;
                start = step;
            }
            progress.start("dense", config.dense_steps as u64);
            progress.skip(start);
            for t in start + 1..=config.dense_steps as u64 {
                let batch = batcher.next_batch();
                let report = opt.step(&mut problem, &mut model, batch.indices.as_slice())?;
                history.push(report.step, &erm_row(&report, 1.0, 0.0));
                progress.step();
                if session.due(t) && t < config.dense_steps as u64 {
                    session.save("dense", t, &save(&model, &opt, &batcher, &history)?)?;
                }
            }
            progress.finish();
            let figures = (
                evaluate(&model, train, &plain)?,
                evaluate(&model, test, &plain)?,
            );
            let mut outputs = save(&model, &opt, &batcher, &history)?;
            session::put_json(&mut outputs, "dense_train", &figures.0)?;
            session::put_json(&mut outputs, "dense_test", &figures.1)?;
            session.complete("dense", &outputs)?;
            figures
        }
    };

    let mut masks = Masks::dense(&model);
    let mut start = 0;
    if let Some((step, state)) = session.interrupted("prune") {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        batcher = session::get_batcher(&state, "batcher")?;
        history = session::get_history(&state, "history")?;
        masks = session::get_json(&state, "masks")?;
        start = step as usize;
    }
    progress.start("prune", config.prune_steps as u64);
    progress.skip(start as u64);
    for t in start..config.prune_steps {
        if t % config.prune_every == 0 {
            let s = cubic_sparsity(t, config.prune_steps, 0.0, config.sparsity);
            masks = Masks::magnitude(&model, s);
            model = masks.apply(model, device);
        }
        let batch = batcher.next_batch();
        let report = opt.step(&mut problem, &mut model, batch.indices.as_slice())?;
        model = masks.apply(model, device);
        history.push(
            report.step,
            &erm_row(&report, 2.0, masks.prunable_sparsity()),
        );
        progress.step();
        let done = t as u64 + 1;
        if session.due(done) && t + 1 < config.prune_steps {
            let mut state = save(&model, &opt, &batcher, &history)?;
            session::put_json(&mut state, "masks", &masks)?;
            session.save("prune", done, &state)?;
        }
    }
    masks = Masks::magnitude(&model, config.sparsity);
    model = masks.apply(model, device);
    progress.finish();
    let mut outputs = StateDict::new();
    outputs.put_module("model", &model);
    session::put_json(&mut outputs, "masks", &masks)?;
    session::put_json(&mut outputs, "dense_train", &dense_train)?;
    session::put_json(&mut outputs, "dense_test", &dense_test)?;
    session::put_history(&mut outputs, "history", &history);
    session.complete("prune", &outputs)?;
    Ok(Pruned {
        model,
        masks,
        dense_train,
        dense_test,
        history,
        steps,
    })
}

/// A fine-tuned model, its history (appended to the shared phases) and final multipliers.
pub(super) struct FineTuned {
    pub model: Mlp,
    pub history: History,
    pub multipliers: Vec<f64>,
}

/// Phase 3: `finetune_steps` of `method` from the pruned model, masks fixed (masked weights
/// zeroed after every step), with a fresh optimizer from the configuration and the same batch
/// order for every method. The phase `finetune-<method>` of `session`.
pub(super) fn finetune(
    config: &FairnessConfig,
    method: Method,
    pruned: &Pruned,
    train: &Grouped,
    device: &Device,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<FineTuned> {
    let phase = format!("finetune-{}", method.name());
    if let Some(done) = session.completed(&phase) {
        return Ok(FineTuned {
            model: done.module("model", pruned.model.clone())?,
            history: session::get_history(done.dict(), &done.name("history"))?,
            multipliers: done.f64s("multipliers")?,
        });
    }
    let under = |e| RecipeError::from_rein_under("optimizer", e);
    let mut opt = config
        .method_optimizer(method)
        .build(method.constraint(train.group_count()))
        .map_err(under)?;
    let mut problem = FairnessProblem::new(
        train.clone(),
        method,
        pruned.dense_train.clone(),
        config.eps,
        config.buffer,
        device,
    );
    let mut model = pruned.model.clone();
    let mut batcher = Batcher::new(
        train.data.n,
        config.batch_size,
        config.seed ^ FINETUNE_STREAM,
    )?;
    let mut history = pruned.history.clone();
    let sparsity = pruned.masks.prunable_sparsity();
    let mut start = 0;
    if let Some((step, state)) = session.interrupted(&phase) {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        problem.load_state(&state, "problem")?;
        batcher = session::get_batcher(&state, "batcher")?;
        history = session::get_history(&state, "history")?;
        start = step as usize;
    }
    progress.start(method.name(), config.finetune_steps as u64);
    progress.skip(start as u64);
    for t in start..config.finetune_steps {
        let batch = batcher.next_batch();
        let report = opt.step(&mut problem, &mut model, batch.indices.as_slice())?;
        model = pruned.masks.apply(model, device);
        let misc = |k: &str| report.misc.get(k).copied().unwrap_or(f64::NAN);
        let mut row = vec![
            ("phase", 3.0),
            ("loss", report.loss.unwrap_or(f64::NAN)),
            ("sparsity", sparsity),
            ("batch_accuracy", misc("batch_accuracy")),
            ("buffer_accuracy", misc("buffer_accuracy")),
            ("lagrangian", report.lagrangian),
        ];
        if let Some(name) = method.constraint_name()
            && let Some(c) = report.constraint(name)
        {
            let max = |v: &[f64]| v.iter().copied().fold(f64::NAN, f64::max);
            row.push(("max_violation", max(&c.violation)));
            row.push(("max_multiplier", max(&c.multipliers)));
        }
        if method == Method::Ceag {
            row.push(("max_buffer_excess_gap", misc("max_buffer_excess_gap")));
        }
        history.push(pruned.steps + t as u64 + 1, &row);
        progress.step();
        if t % 20 == 0 {
            progress.message(&format!(
                "loss {:.3}  buffer acc {:.3}",
                report.loss.unwrap_or(f64::NAN),
                misc("buffer_accuracy")
            ));
        }
        let done = t as u64 + 1;
        if session.due(done) && t + 1 < config.finetune_steps {
            let mut state = StateDict::new();
            state.put_module("model", &model);
            opt.save_state("optimizer", &mut state)?;
            problem.save_state(&mut state, "problem")?;
            session::put_batcher(&mut state, "batcher", &batcher);
            session::put_history(&mut state, "history", &history);
            session.save(&phase, done, &state)?;
        }
    }
    progress.finish();
    let multipliers = method
        .constraint_name()
        .and_then(|n| opt.constraints().get(n))
        .and_then(|c| c.multipliers())
        .map(<[f64]>::to_vec)
        .unwrap_or_default();
    let mut outputs = StateDict::new();
    outputs.put_module("model", &model);
    session::put_history(&mut outputs, "history", &history);
    outputs.put_f64s("multipliers", &multipliers);
    session.complete(&phase, &outputs)?;
    Ok(FineTuned {
        model,
        history,
        multipliers,
    })
}
