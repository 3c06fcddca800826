//! `rein feasible`: Feasible Learning — train by asking every training sample's loss to be at
//! most `-ln p`, one multiplier per sample, no objective. The recipe is
//! `rein_recipes::feasible`; this is its command line.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein_recipes::History;
use rein_recipes::feasible::{FeasibleConfig, FeasibleOutcome};

use crate::report::{Align, Panel, Table, plot_two_panel};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein feasible`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct FeasibleArgs {
    /// `--config`, `--steps`, `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Data set: digits (bundled, default), mnist, fashion-mnist (fetch first: `rein data
    /// fetch`).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Where `rein data fetch` stored MNIST / Fashion-MNIST.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Per-sample probability target p in (0, 1): every loss must end at most -ln p
    /// (default 0.6).
    #[arg(long, allow_negative_numbers = true)]
    pub p: Option<f64>,
    /// Hidden widths of the MLP, comma-separated (default 128,64 on the digits, 300,100 on
    /// MNIST).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub hidden: Option<Vec<i64>>,
    /// Minibatch size (default 128).
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Primal learning rate (default: Adam 1e-3).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Dual learning rate of the per-sample multipliers (default 1.0).
    #[arg(long, allow_negative_numbers = true)]
    pub dual_lr: Option<f64>,
    /// The run meets its target when at least this fraction of the training samples is
    /// feasible (default 0.99).
    #[arg(long, allow_negative_numbers = true)]
    pub min_feasible_fraction: Option<f64>,
}

impl FeasibleArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.set("data.dataset", "--dataset", self.dataset.clone())
            .path("data.dir", "--data-dir", self.data_dir.as_deref())
            .set("p", "--p", self.p)
            .list("hidden", "--hidden", self.hidden.as_deref())
            .set("batch_size", "--batch-size", self.batch_size)
            .set("optimizer.primal.lr", "--lr", self.lr)
            .set("optimizer.dual.lr", "--dual-lr", self.dual_lr)
            .set(
                "min_feasible_fraction",
                "--min-feasible-fraction",
                self.min_feasible_fraction,
            );
        o
    }
}

/// Loads the configuration of `rein feasible` (file, then flags).
pub fn configure(args: &FeasibleArgs) -> Result<(FeasibleConfig, PathBuf)> {
    runner::configure::<FeasibleConfig>(&args.run, args.overrides())
}

/// Runs `rein feasible`; exits with status 2 when too few samples end feasible.
pub fn run(args: &FeasibleArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.quiet)?;
    exit_on(&verdict);
    Ok(())
}

impl Report for FeasibleConfig {
    fn write_reports(&self, outcome: &FeasibleOutcome, out: &Path) -> Result<()> {
        outcome.history.write_csv(&out.join("history.csv"))?;
        plot(
            &outcome.history,
            self.min_feasible_fraction,
            &out.join("feasible_and_multiplier.png"),
        )
    }

    fn print_summary(&self, outcome: &FeasibleOutcome) {
        let m = &outcome.metrics;
        let f = &m.figures;
        let mut t = Table::new([
            "samples",
            "eps",
            "feasible (start)",
            "feasible (seen)",
            "feasible (all)",
            "mean CE",
            "max CE",
            "mean lambda",
            "max lambda",
            "test acc",
        ]);
        for c in 0..10 {
            t = t.align(c, Align::Right);
        }
        t.add_row([
            m.samples.to_string(),
            format!("{:.4}", m.eps),
            format!("{:.4}", m.initial_feasible_train),
            format!("{:.4}", f.feasible_seen),
            format!("{:.4}", f.feasible_train),
            format!("{:.4}", f.ce_mean_train),
            format!("{:.4}", f.ce_max_train),
            format!("{:.4}", f.multiplier_mean_seen),
            format!("{:.4}", f.multiplier_max_seen),
            format!("{:.4}", m.test_accuracy),
        ]);
        println!("\n{}", t.render());
    }
}

/// The fraction of feasible samples (per batch, and over the training set when evaluated)
/// against the target (top) and the mean multiplier over all samples (bottom).
pub fn plot(history: &History, target: f64, path: &Path) -> Result<()> {
    let batch = history.series("batch_feasible");
    let train = history.series("train_feasible");
    let mean = history.series("multiplier_mean");
    let top = [
        ("feasible fraction of the batch", batch.as_slice()),
        ("feasible fraction of the training set", train.as_slice()),
    ];
    let bottom = [("mean multiplier", mean.as_slice())];
    plot_two_panel(
        path,
        "rein feasible: fraction of samples with CE_i <= -ln p",
        &Panel {
            y_label: "fraction feasible",
            series: &top,
            hlines: &[("target", target)],
        },
        &Panel {
            y_label: "lambda",
            series: &bottom,
            hlines: &[],
        },
    )
}
