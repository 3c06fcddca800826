//! `rein feasible`: Feasible Learning — train by asking every training sample's loss to be at
//! most `-ln p`, one multiplier per sample, no objective. The recipe is
//! `rein_recipes::feasible`; this is its command line.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein::device::DeviceKind;
use rein_recipes::History;
use rein_recipes::feasible::{FeasibleConfig, FeasibleOutcome};

use crate::report::{Align, Panel, Table, plot_two_panel};
use crate::runner::{Override, Report, array, execute, exit_on, load};

/// Options of `rein feasible`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct FeasibleArgs {
    /// Experiment file (`recipe = "feasible"`) to start from; flags override its values.
    #[arg(long)]
    pub config: Option<PathBuf>,
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
    /// Training steps (minibatches; default 1000).
    #[arg(long, allow_negative_numbers = true)]
    pub steps: Option<i64>,
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
    /// Seed of the split, the initialisation and the batch order (default 0).
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Compute device: flex, tch, cuda, wgpu.
    #[arg(long)]
    pub device: Option<DeviceKind>,
    /// Output directory (default: the file's `out`, else runs/feasible).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
}

impl FeasibleArgs {
    fn overrides(&self) -> Vec<Override> {
        let mut o = Vec::new();
        let mut set = |key, flag, v: Option<toml::Value>| {
            if let Some(v) = v {
                o.push(Override::new(key, flag, v));
            }
        };
        set(
            "data.dataset",
            "--dataset",
            self.dataset.clone().map(Into::into),
        );
        set(
            "data.dir",
            "--data-dir",
            self.data_dir
                .as_ref()
                .map(|p| p.to_string_lossy().into_owned().into()),
        );
        set("p", "--p", self.p.map(Into::into));
        set("hidden", "--hidden", self.hidden.as_deref().map(array));
        set("steps", "--steps", self.steps.map(Into::into));
        set(
            "batch_size",
            "--batch-size",
            self.batch_size.map(Into::into),
        );
        set("optimizer.primal.lr", "--lr", self.lr.map(Into::into));
        set(
            "optimizer.dual.lr",
            "--dual-lr",
            self.dual_lr.map(Into::into),
        );
        set(
            "min_feasible_fraction",
            "--min-feasible-fraction",
            self.min_feasible_fraction.map(Into::into),
        );
        set("seed", "--seed", self.seed.map(Into::into));
        set(
            "device",
            "--device",
            self.device.map(|d| d.to_string().into()),
        );
        o
    }
}

/// Loads the configuration of `rein feasible` (file, then flags).
pub fn configure(args: &FeasibleArgs) -> Result<(FeasibleConfig, PathBuf)> {
    let (config, file_out) = load::<FeasibleConfig>(args.config.as_deref(), &args.overrides())?;
    let out = args
        .out
        .clone()
        .or(file_out)
        .unwrap_or_else(|| PathBuf::from("runs/feasible"));
    Ok((config, out))
}

/// Runs `rein feasible`; exits with status 2 when too few samples end feasible.
pub fn run(args: &FeasibleArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.quiet)?;
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
