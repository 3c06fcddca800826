//! The training loop of the recall recipe (constrained run and baseline) and its final
//! figures.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::Device;
use rein::checkpoint::{StateDict, Stateful};
use rein::{ConstrainedOptimizer, HealthConfig, HealthMonitor, HealthWarning, StepReport};
use rein_nn::{Batcher, Dataset, Mlp, MlpConfig, Split, metrics};

use super::{RECALL, RecallConfig, RecallProblem, RunSummary};
use crate::error::Result;
use crate::history::History;
use crate::progress::Progress;
use crate::session::{self, Session};

/// What a training phase returns: the model, one history row per step, the health warnings
/// and the final recall multiplier (0 without the constraint).
pub(super) type Trained = (Mlp, History, Vec<HealthWarning>, f64);

/// Trains a fresh MLP (seeded by `config.seed`) with `opt` on `problem` for `config.steps`
/// minibatches, as the phase `label` of `session` (checkpointed, resumed); returns the model,
/// one history row per step, the constraint-health warnings and the final multiplier.
#[allow(clippy::too_many_arguments)]
pub(super) fn train<S: ConstrainedOptimizer + Stateful>(
    config: &RecallConfig,
    opt: &mut S,
    problem: &mut RecallProblem,
    train: &Dataset,
    device: &Device,
    label: &str,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<Trained> {
    let mut model =
        MlpConfig::new(train.d, config.hidden.clone(), train.classes).init(config.seed, device);
    if let Some(done) = session.completed(label) {
        let model = done.module("model", model)?;
        let history = session::get_history(done.dict(), &done.name("history"))?;
        let multiplier = done.json("multiplier")?;
        return Ok((model, history, done.json("health")?, multiplier));
    }
    let mut batcher = Batcher::new(train.n, config.batch_size, config.seed)?;
    let mut history = History::new();
    let mut health = HealthMonitor::new(HealthConfig::default());
    let mut start = 0;
    if let Some((step, state)) = session.interrupted(label) {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        batcher = session::get_batcher(&state, "batcher")?;
        history = session::get_history(&state, "history")?;
        health = session::get_json(&state, "health")?;
        start = step;
    }
    progress.start(label, config.steps as u64);
    progress.skip(start);
    for done in start + 1..=config.steps as u64 {
        let batch = batcher.next_batch();
        let report = opt.step(problem, &mut model, batch.indices.as_slice())?;
        record(&mut history, &report, config.min_recall);
        health.observe(&report);
        progress.step();
        if report.step % 10 == 0 {
            let recall = report.misc.get("train_recall").copied().unwrap_or(f64::NAN);
            progress.message(&format!(
                "loss {:.3}  recall {:.3}",
                report.loss.unwrap_or(f64::NAN),
                recall
            ));
        }
        if session.due(done) && done < config.steps as u64 {
            let mut state = StateDict::new();
            state.put_module("model", &model);
            opt.save_state("optimizer", &mut state)?;
            session::put_batcher(&mut state, "batcher", &batcher);
            session::put_history(&mut state, "history", &history);
            session::put_json(&mut state, "health", &health)?;
            session.save(label, done, &state)?;
        }
    }
    progress.finish();
    let multiplier = opt
        .constraints()
        .get(RECALL)
        .and_then(|c| c.multipliers())
        .map_or(0.0, |m| m[0]);
    let warnings = health.warnings().to_vec();
    let mut outputs = StateDict::new();
    outputs.put_module("model", &model);
    session::put_history(&mut outputs, "history", &history);
    session::put_json(&mut outputs, "health", &warnings)?;
    session::put_json(&mut outputs, "multiplier", &multiplier)?;
    session.complete(label, &outputs)?;
    Ok((model, history, warnings, multiplier))
}

fn record(history: &mut History, report: &StepReport, min_recall: f64) {
    let misc = |key: &str| report.misc.get(key).copied().unwrap_or(f64::NAN);
    let mut row = vec![
        ("loss", report.loss.unwrap_or(f64::NAN)),
        ("lagrangian", report.lagrangian),
        ("batch_accuracy", misc("batch_accuracy")),
        ("train_recall", misc("train_recall")),
    ];
    if let Some(c) = report.constraint(RECALL) {
        row.push((
            "recall_violation",
            c.violation.first().copied().unwrap_or(f64::NAN),
        ));
        row.push((
            "recall_strict_violation",
            c.strict_violation.first().copied().unwrap_or(f64::NAN),
        ));
        row.push((
            "multiplier",
            c.multipliers.first().copied().unwrap_or(f64::NAN),
        ));
        row.push(("min_recall", min_recall));
    }
    history.push(report.step, &row);
}

/// Loss, accuracies and recalls of `model` on the whole training and test sets (the digits
/// are small: one forward pass each, off the autodiff graph).
pub(super) fn summarise(
    model: &Mlp,
    class: usize,
    split: &Split,
    multiplier: f64,
    device: &Device,
) -> RunSummary {
    let plain = device.clone().inner();
    let model = model.valid();
    let eval = |data: &Dataset| {
        let (x, y) = data.tensors(&plain);
        let logits = model.forward(x);
        let loss = CrossEntropyLossConfig::new()
            .init(&plain)
            .forward(logits.clone(), y)
            .into_scalar::<f64>();
        let cm = metrics::ConfusionMatrix::from_logits_tensor(logits, &data.labels);
        (loss, cm)
    };
    let (train_loss, cm_train) = eval(&split.train);
    let (_, cm_test) = eval(&split.test);
    RunSummary {
        train_loss,
        train_accuracy: cm_train.accuracy().unwrap_or(0.0),
        test_accuracy: cm_test.accuracy().unwrap_or(0.0),
        train_recall: cm_train.recall(class).unwrap_or(0.0),
        test_recall: cm_test.recall(class).unwrap_or(0.0),
        multiplier,
    }
}
