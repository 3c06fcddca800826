//! `rein recall`: maximise accuracy on the bundled 8x8 digits subject to a recall floor on one
//! class, next to the unconstrained baseline trained with the same budget. The recipe is
//! `rein_recipes::recall`; this is its command line.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein_recipes::History;
use rein_recipes::recall::{RecallConfig, RecallOutcome, RunSummary};

use crate::report::{Align, Panel, Table, plot_two_panel};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein recall`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct RecallArgs {
    /// `--config`, `--steps`, `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// The class whose recall is constrained (0-9; default 8).
    #[arg(long, allow_negative_numbers = true)]
    pub class: Option<i64>,
    /// Minimum recall of that class on the training set (default 0.98).
    #[arg(long, allow_negative_numbers = true)]
    pub min_recall: Option<f64>,
    /// Temperature of the sigmoid surrogate of the recall (default 0.1).
    #[arg(long, allow_negative_numbers = true)]
    pub temperature: Option<f64>,
    /// Minibatch size (default 64).
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Hidden widths of the MLP, comma-separated (default 32).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub hidden: Option<Vec<i64>>,
    /// Primal (Adam) learning rate (default 3e-3).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Dual (gradient ascent) learning rate of the recall multiplier (default 1.0).
    #[arg(long, allow_negative_numbers = true)]
    pub dual_lr: Option<f64>,
    /// Skip the unconstrained baseline run.
    #[arg(long)]
    pub no_baseline: bool,
}

impl RecallArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.set("class", "--class", self.class)
            .set("min_recall", "--min-recall", self.min_recall)
            .set("temperature", "--temperature", self.temperature)
            .set("batch_size", "--batch-size", self.batch_size)
            .list("hidden", "--hidden", self.hidden.as_deref())
            .set("optimizer.primal.lr", "--lr", self.lr)
            .set("optimizer.dual.lr", "--dual-lr", self.dual_lr)
            .switch("baseline", "--no-baseline", self.no_baseline, false);
        o
    }
}

/// Loads the configuration of `rein recall` (file, then flags).
pub fn configure(args: &RecallArgs) -> Result<(RecallConfig, PathBuf)> {
    runner::configure::<RecallConfig>(&args.run, args.overrides())
}

/// Runs `rein recall`; exits with status 2 when the floor is not met.
pub fn run(args: &RecallArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

impl Report for RecallConfig {
    fn write_reports(&self, outcome: &RecallOutcome, out: &Path) -> Result<()> {
        outcome.history.write_csv(&out.join("history.csv"))?;
        plot(
            &outcome.history,
            self.class,
            self.min_recall,
            &out.join("recall_and_multiplier.png"),
        )
    }

    fn print_summary(&self, outcome: &RecallOutcome) {
        let m = &outcome.metrics;
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
        println!(
            "Constraint {} on the training set: recall of digit {} = {:.4} {} {:.2}.",
            if m.feasible { "met" } else { "NOT met" },
            m.class,
            m.constrained.train_recall,
            if m.feasible { ">=" } else { "<" },
            m.min_recall
        );
        for w in &m.health {
            println!("warning: {w}");
        }
    }
}

/// The training-set recall against its floor (top) and the multiplier (bottom).
pub fn plot(history: &History, class: usize, min_recall: f64, path: &Path) -> Result<()> {
    let recall = history.series("train_recall");
    let multiplier = history.series("multiplier");
    let top_series = [("training-set recall of the class", recall.as_slice())];
    let bottom_series = [("multiplier lambda", multiplier.as_slice())];
    let bound = [("bound", min_recall)];
    plot_two_panel(
        path,
        &format!("rein recall: recall of digit {class} >= {min_recall}"),
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
