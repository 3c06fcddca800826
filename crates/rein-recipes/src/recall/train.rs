//! The training loop of the recall recipe (constrained run and baseline) and its final
//! figures.

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::Device;
use rein::{ConstrainedOptimizer, HealthConfig, HealthMonitor, HealthWarning, StepReport};
use rein_nn::{Batcher, Dataset, Mlp, MlpConfig, Split, metrics};

use super::{RECALL, RecallConfig, RecallProblem, RunSummary};
use crate::error::Result;
use crate::history::History;
use crate::progress::Progress;

/// Trains a fresh MLP (seeded by `config.seed`) with `opt` on `problem` for `config.steps`
/// minibatches; returns the model, one history row per step and the constraint-health warnings.
pub(super) fn train<S: ConstrainedOptimizer>(
    config: &RecallConfig,
    opt: &mut S,
    problem: &mut RecallProblem,
    train: &Dataset,
    device: &Device,
    label: &str,
    progress: &mut dyn Progress,
) -> Result<(Mlp, History, Vec<HealthWarning>)> {
    let mut model =
        MlpConfig::new(train.d, config.hidden.clone(), train.classes).init(config.seed, device);
    let mut batcher = Batcher::new(train.n, config.batch_size, config.seed)?;
    progress.start(label, config.steps as u64);
    let mut history = History::new();
    let mut health = HealthMonitor::new(HealthConfig::default());
    for _ in 0..config.steps {
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
    }
    progress.finish();
    Ok((model, history, health.warnings().to_vec()))
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
