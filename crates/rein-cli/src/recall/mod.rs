//! `rein recall`: maximise accuracy on the bundled 8x8 digits subject to a recall floor on one
//! class, next to the unconstrained baseline trained with the same budget.

mod problem;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::tensor::Device;
use clap::Args;
use rein::device::DeviceKind;
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig};
use rein::scheme::{AlternatingDualPrimal, Unconstrained};
use rein::{ConstrainedOptimizer, Constraint, Constraints, StepReport};
use rein_nn::{Batcher, Dataset, Digits, Mlp, MlpConfig, metrics};
use serde::Serialize;

use crate::report::{
    Align, History, Panel, Table, plot_two_panel, progress_bar, write_metrics_json,
};
use problem::{RECALL, RecallProblem};

/// Options of `rein recall`.
#[derive(Debug, Args)]
pub struct RecallArgs {
    /// Output directory for metrics.json, history.csv and the plot.
    #[arg(long, default_value = "runs/recall")]
    pub out: PathBuf,
    /// The class whose recall is constrained (0-9).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u8).range(0..10))]
    pub class: u8,
    /// Minimum recall of that class on the training set.
    #[arg(long, default_value_t = 0.98)]
    pub min_recall: f64,
    /// Training steps (minibatches).
    #[arg(long, default_value_t = 800)]
    pub steps: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Hidden width of the MLP.
    #[arg(long, default_value_t = 32)]
    pub hidden: usize,
    /// Primal (Adam) learning rate.
    #[arg(long, default_value_t = 3e-3)]
    pub lr: f64,
    /// Dual (gradient ascent) learning rate of the recall multiplier.
    #[arg(long, default_value_t = 1.0)]
    pub dual_lr: f64,
    /// Seed of the split, the initialisation and the batch order.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device.
    #[arg(long, default_value = "flex")]
    pub device: DeviceKind,
    /// Skip the unconstrained baseline run.
    #[arg(long)]
    pub no_baseline: bool,
    /// No progress bar (logs and CI).
    #[arg(long)]
    pub quiet: bool,
}

/// Final figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Final training loss (mean cross-entropy over the training set).
    pub train_loss: f64,
    /// Accuracy on the training set.
    pub train_accuracy: f64,
    /// Accuracy on the held-out test set.
    pub test_accuracy: f64,
    /// Recall of the constrained class on the training set.
    pub train_recall: f64,
    /// Recall of the constrained class on the test set.
    pub test_recall: f64,
    /// Final multiplier (0 for the baseline).
    pub multiplier: f64,
}

/// What `metrics.json` holds.
#[derive(Debug, Serialize)]
pub struct DemoMetrics {
    /// Constrained class.
    pub class: u8,
    /// Recall floor.
    pub min_recall: f64,
    /// Whether the constrained run meets the floor on the training set.
    pub feasible: bool,
    /// Steps taken.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
    /// The constrained run.
    pub constrained: RunSummary,
    /// The unconstrained baseline with the same budget (absent with `--no-baseline`).
    pub baseline: Option<RunSummary>,
}

/// Runs the demo; returns its metrics.
pub fn run(args: &RecallArgs) -> Result<DemoMetrics> {
    if !(0.0..=1.0).contains(&args.min_recall) {
        bail!("--min-recall must be in [0, 1], got {}", args.min_recall);
    }
    if args.batch_size == 0 || args.steps == 0 {
        bail!("--batch-size and --steps must be positive");
    }
    let device = args.device.open().map_err(anyhow::Error::msg)?.autodiff();
    let split = Digits::load_bundled()?.split(0.2, args.seed)?;
    let class = usize::from(args.class);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;

    let constraints = Constraints::new().add(Constraint::inequality(RECALL, 1))?;
    let adam = Adam::new(AdamConfig::new(args.lr))?;
    let mut opt = AlternatingDualPrimal::new(adam, DualSgd::new(args.dual_lr)?, constraints)?;
    let mut problem = RecallProblem::new(
        split.train.clone(),
        class,
        args.min_recall,
        0.1,
        true,
        &device,
    );
    let (model, history) = train(
        args,
        &mut opt,
        &mut problem,
        &split.train,
        &device,
        "constrained",
    )?;
    let multiplier = opt
        .constraints()
        .get(RECALL)
        .and_then(|c| c.multipliers())
        .map_or(0.0, |m| m[0]);
    let constrained = summarise(
        &model,
        &problem,
        &split.train,
        &split.test,
        multiplier,
        &device,
    );

    let baseline = if args.no_baseline {
        None
    } else {
        let mut opt = Unconstrained::new(Adam::new(AdamConfig::new(args.lr))?, Constraints::new())?;
        let mut problem = RecallProblem::new(
            split.train.clone(),
            class,
            args.min_recall,
            0.1,
            false,
            &device,
        );
        let (model, _) = train(
            args,
            &mut opt,
            &mut problem,
            &split.train,
            &device,
            "baseline",
        )?;
        Some(summarise(
            &model,
            &problem,
            &split.train,
            &split.test,
            0.0,
            &device,
        ))
    };

    let metrics = DemoMetrics {
        class: args.class,
        min_recall: args.min_recall,
        feasible: constrained.train_recall >= args.min_recall,
        steps: args.steps,
        seed: args.seed,
        constrained,
        baseline,
    };
    history.write_csv(&args.out.join("history.csv"))?;
    write_metrics_json(&args.out.join("metrics.json"), &metrics)?;
    plot(args, &history)?;
    print_table(args, &metrics);
    Ok(metrics)
}

fn train<S: ConstrainedOptimizer>(
    args: &RecallArgs,
    opt: &mut S,
    problem: &mut RecallProblem,
    train: &Dataset,
    device: &Device,
    label: &str,
) -> Result<(Mlp, History)> {
    let mut model =
        MlpConfig::new(train.d, vec![args.hidden], train.classes).init(args.seed, device);
    let mut batcher = Batcher::new(train.n, args.batch_size, args.seed)?;
    let bar = progress_bar(args.steps, label, args.quiet);
    let mut history = History::new();
    for _ in 0..args.steps {
        let batch = batcher.next_batch();
        let report = opt.step(problem, &mut model, batch.indices.as_slice())?;
        record(&mut history, &report, args.min_recall);
        bar.inc(1);
        if report.step % 10 == 0 {
            let recall = report.misc.get("train_recall").copied().unwrap_or(f64::NAN);
            bar.set_message(format!(
                "loss {:.3}  recall {:.3}",
                report.loss.unwrap_or(f64::NAN),
                recall
            ));
        }
    }
    bar.finish();
    Ok((model, history))
}

fn record(history: &mut History, report: &StepReport, min_recall: f64) {
    let mut row = vec![
        ("loss", report.loss.unwrap_or(f64::NAN)),
        ("lagrangian", report.lagrangian),
        (
            "batch_accuracy",
            report
                .misc
                .get("batch_accuracy")
                .copied()
                .unwrap_or(f64::NAN),
        ),
        (
            "train_recall",
            report.misc.get("train_recall").copied().unwrap_or(f64::NAN),
        ),
    ];
    if let Some(c) = report.constraint(RECALL) {
        row.push((
            "recall_violation",
            c.violation.first().copied().unwrap_or(f64::NAN),
        ));
        row.push(("recall_strict_violation", c.strict_violation[0]));
        row.push(("multiplier", c.multipliers[0]));
        row.push(("min_recall", min_recall));
    }
    history.push(report.step, &row);
}

fn summarise(
    model: &Mlp,
    problem: &RecallProblem,
    train: &Dataset,
    test: &Dataset,
    multiplier: f64,
    device: &Device,
) -> RunSummary {
    let eval = |data: &Dataset| {
        let (x, y) = data.tensors(device);
        let logits = model.forward(x).detach();
        let loss = burn::nn::loss::CrossEntropyLossConfig::new()
            .init(device)
            .forward(logits.clone(), y)
            .into_scalar::<f64>();
        let cm = metrics::ConfusionMatrix::from_logits_tensor(logits, &data.labels);
        (loss, cm)
    };
    let (train_loss, cm_train) = eval(train);
    let (_, cm_test) = eval(test);
    let class = problem.class();
    RunSummary {
        train_loss,
        train_accuracy: cm_train.accuracy().unwrap_or(0.0),
        test_accuracy: cm_test.accuracy().unwrap_or(0.0),
        train_recall: cm_train.recall(class).unwrap_or(0.0),
        test_recall: cm_test.recall(class).unwrap_or(0.0),
        multiplier,
    }
}

fn plot(args: &RecallArgs, history: &History) -> Result<()> {
    let recall = history.series("train_recall");
    let multiplier = history.series("multiplier");
    let top_series = [("training-set recall of the class", recall.as_slice())];
    let bottom_series = [("multiplier lambda", multiplier.as_slice())];
    let bound = [("bound", args.min_recall)];
    plot_two_panel(
        &args.out.join("recall_and_multiplier.png"),
        &format!(
            "rein recall: recall of digit {} >= {}",
            args.class, args.min_recall
        ),
        &Panel {
            y_label: "recall",
            series: &top_series,
            hlines: &bound,
        },
        &Panel {
            y_label: "lambda",
            series: &bottom_series,
            hlines: &[],
        },
    )
}

fn print_table(args: &RecallArgs, m: &DemoMetrics) {
    let mut t = Table::new([
        "run",
        "train loss",
        "train acc",
        "test acc",
        "recall (train)",
        "recall (test)",
        "bound",
        "lambda",
    ]);
    for c in 1..8 {
        t = t.align(c, Align::Right);
    }
    let mut row = |name: &str, s: &RunSummary| {
        t.add_row([
            name.to_string(),
            format!("{:.4}", s.train_loss),
            format!("{:.4}", s.train_accuracy),
            format!("{:.4}", s.test_accuracy),
            format!("{:.4}", s.train_recall),
            format!("{:.4}", s.test_recall),
            format!(">= {:.2}", m.min_recall),
            format!("{:.4}", s.multiplier),
        ]);
    };
    row("constrained", &m.constrained);
    if let Some(b) = &m.baseline {
        row("baseline", b);
    }
    println!("\n{}", t.render());
    if m.feasible {
        println!(
            "Constraint met on the training set: recall of digit {} = {:.4} >= {:.2}.",
            m.class, m.constrained.train_recall, m.min_recall
        );
    } else {
        println!(
            "Constraint NOT met on the training set: recall of digit {} = {:.4} < {:.2}.",
            m.class, m.constrained.train_recall, m.min_recall
        );
    }
    println!(
        "Wrote {}/{{metrics.json, history.csv, recall_and_multiplier.png}}",
        args.out.display()
    );
}
