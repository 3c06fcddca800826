//! `rein fairness`: prune a classifier and fine-tune it so that no group loses much more
//! accuracy than the model as a whole (Balancing Act, Hashemizadeh et al. 2024), with the NFT
//! and EL baselines; `--method all` trains the three from one dense and pruned model. The
//! recipe is `rein_recipes::fairness`; this is its command line.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein_recipes::fairness::{FairnessConfig, FairnessOutcome};

use crate::report::{Align, Table, plot_grouped_bars};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein fairness`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct FairnessArgs {
    /// `--config`, `--steps` (fine-tuning steps), `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Data set: digits, mixture, fashion-mnist, adult, compas (default digits; the last three
    /// need `rein data fetch <name>` first).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Groups: auto, class, population (mixture), sex, race (default auto: the data set's).
    #[arg(long)]
    pub groups: Option<String>,
    /// Fine-tuning method: ceag, nft, el, or all (the three side by side; default ceag).
    #[arg(long)]
    pub method: Option<String>,
    /// Target sparsity of the pruned layers (default 0.9).
    #[arg(long, allow_negative_numbers = true)]
    pub sparsity: Option<f64>,
    /// Bound on every group's excess accuracy gap (default 0.01).
    #[arg(long, allow_negative_numbers = true)]
    pub eps: Option<f64>,
    /// Replay-buffer bits per group (default 40).
    #[arg(long, allow_negative_numbers = true)]
    pub buffer: Option<i64>,
    /// Dense training steps.
    #[arg(long, allow_negative_numbers = true)]
    pub dense_steps: Option<i64>,
    /// Gradual-pruning steps.
    #[arg(long, allow_negative_numbers = true)]
    pub prune_steps: Option<i64>,
    /// Minibatch size.
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Hidden widths of the MLP, comma-separated (at least two).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub hidden: Option<Vec<i64>>,
    /// Primal (Adam) learning rate.
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Dual learning rate.
    #[arg(long, allow_negative_numbers = true)]
    pub dual_lr: Option<f64>,
}

impl FairnessArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.set("dataset", "--dataset", self.dataset.clone())
            .set("groups", "--groups", self.groups.clone())
            .set("method", "--method", self.method.clone())
            .set("sparsity", "--sparsity", self.sparsity)
            .set("eps", "--eps", self.eps)
            .set("buffer", "--buffer", self.buffer)
            .set("dense_steps", "--dense-steps", self.dense_steps)
            .set("prune_steps", "--prune-steps", self.prune_steps)
            .set("batch_size", "--batch-size", self.batch_size)
            .list("hidden", "--hidden", self.hidden.as_deref())
            .set("optimizer.primal.lr", "--lr", self.lr)
            .set("optimizer.dual.lr", "--dual-lr", self.dual_lr);
        o
    }
}

/// Loads the configuration of `rein fairness` (file, then flags; `--steps` sets the
/// fine-tuning steps).
pub fn configure(args: &FairnessArgs) -> Result<(FairnessConfig, PathBuf)> {
    let steps = args.run.steps;
    let flags = RunFlags {
        steps: None,
        ..args.run.clone()
    };
    let mut o = args.overrides();
    o.set("finetune_steps", "--steps", steps);
    runner::configure::<FairnessConfig>(&flags, o)
}

/// Runs `rein fairness`; exits with status 2 when the (first) method's bound is not met.
pub fn run(args: &FairnessArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

impl Report for FairnessConfig {
    fn write_reports(&self, outcome: &FairnessOutcome, out: &Path) -> Result<()> {
        for (k, (method, history)) in outcome.histories.iter().enumerate() {
            let name = if k == 0 {
                "history.csv".to_string()
            } else {
                format!("history_{}.csv", method.name())
            };
            history.write_csv(&out.join(name))?;
        }
        plot_gaps(outcome, &out.join("gaps.png"))
    }

    fn print_summary(&self, outcome: &FairnessOutcome) {
        let m = &outcome.metrics;
        let mut t = Table::new([
            "model",
            "train acc",
            "test acc",
            "max psi (train)",
            "max psi (test)",
            "gap spread (train)",
            "bound",
        ]);
        for c in 1..7 {
            t = t.align(c, Align::Right);
        }
        t.add_row([
            "dense".to_string(),
            format!("{:.4}", m.dense.train.accuracy),
            format!("{:.4}", m.dense.test.accuracy),
            "-".into(),
            "-".into(),
            "-".into(),
            "-".into(),
        ]);
        let bound = format!("<= {} (+{})", m.eps, m.tolerance);
        t.add_row([
            "pruned".to_string(),
            format!("{:.4}", m.pruned.train.accuracy),
            format!("{:.4}", m.pruned.test.accuracy),
            format!("{:.4}", m.pruned.train.max_excess_gap),
            format!("{:.4}", m.pruned.test.max_excess_gap),
            format!("{:.4}", m.pruned.train.gap_spread),
            "-".into(),
        ]);
        for r in &m.runs {
            t.add_row([
                r.method.name().to_uppercase(),
                format!("{:.4}", r.train.accuracy),
                format!("{:.4}", r.test.accuracy),
                format!("{:.4}", r.train.max_excess_gap),
                format!("{:.4}", r.test.max_excess_gap),
                format!("{:.4}", r.train.gap_spread),
                bound.clone(),
            ]);
        }
        println!("\n{}", t.render());
    }
}

/// One cluster per group, one bar per method: the training-set excess gaps `psi_g`, with the
/// bound `eps`.
pub fn plot_gaps(outcome: &FairnessOutcome, path: &Path) -> Result<()> {
    let m = &outcome.metrics;
    let labels: Vec<String> = m
        .runs
        .iter()
        .map(|r| format!("{} (train)", r.method.name().to_uppercase()))
        .collect();
    let series: Vec<(&str, &[f64])> = m
        .runs
        .iter()
        .zip(&labels)
        .map(|(r, l)| (l.as_str(), r.train.excess_gap.as_slice()))
        .collect();
    let methods: Vec<&str> = m.runs.iter().map(|r| r.method.name()).collect();
    plot_grouped_bars(
        path,
        &format!(
            "rein fairness: excess accuracy gap per group, {} at {:.0} % sparsity ({})",
            m.dataset.name(),
            100.0 * m.target_sparsity,
            methods.join(", ")
        ),
        "excess gap psi_g",
        &m.group_names,
        &series,
        &[("eps", m.eps)],
    )
}
