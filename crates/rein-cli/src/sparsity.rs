//! `rein sparsity`: controlled sparsity with L0 gates — reach a density target by constraint,
//! not by tuning a penalty. The recipe is `rein_recipes::sparsity`; this is its command line.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use rein_recipes::History;
use rein_recipes::sparsity::{GATE_PATTERN, GATES, SparsityConfig, SparsityOutcome};

use crate::report::{Panel, Table, plot_two_panel};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein sparsity`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct SparsityArgs {
    /// `--config`, `--steps`, `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Data set: digits (bundled), mnist, fashion-mnist (fetch first: `rein data fetch`).
    #[arg(long)]
    pub dataset: Option<String>,
    /// Model: mlp or lenet5.
    #[arg(long)]
    pub model: Option<String>,
    /// Primal optimizer of weights and gates: sgd, adam, adamw, shampoo (gates keep their own
    /// learning rate). Each has settings that reach the targets on the digits unless --lr /
    /// --gate-lr say otherwise: adam and adamw 1e-3 / gates 0.1 x 10 (the recipe's), sgd 0.1 /
    /// gates 100, shampoo 0.01 / gates 100 (plain gradient steps on log_alpha are ~1e-5 per gate,
    /// see docs/sparsity.md). With shampoo, the precondition frequency defaults to 10 and the
    /// largest factor to 128 (the gate vectors are long 1-D parameters).
    #[arg(long)]
    pub optimizer: Option<String>,
    /// Shampoo's precondition frequency.
    #[arg(long)]
    pub precondition_frequency: Option<u64>,
    /// Shampoo's largest Kronecker factor.
    #[arg(long)]
    pub max_preconditioner_dim: Option<usize>,
    /// Update scheme: simultaneous (default), alternating-dual-primal, alternating-primal-dual,
    /// extragradient.
    #[arg(long)]
    pub scheme: Option<String>,
    /// Data parallel over MPI: run as `mpirun -np N rein sparsity --distributed ...` (needs a
    /// build with `--features mpi`); each rank takes 1/N of every minibatch.
    #[arg(long)]
    pub distributed: bool,
    /// Structured gates: one per input neuron / output channel.
    #[arg(long)]
    pub structured: bool,
    /// Hidden widths of the gated MLP, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub hidden: Option<Vec<i64>>,
    /// Model-wise density target in (0, 1].
    #[arg(long, allow_negative_numbers = true)]
    pub target: Option<f64>,
    /// Layer-wise targets (one per gated layer, comma-separated).
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub layerwise: Option<Vec<f64>>,
    /// Penalised baseline instead: minimise CE + penalty * density, no constraint.
    #[arg(long, allow_negative_numbers = true)]
    pub penalty: Option<f64>,
    /// Minibatch size.
    #[arg(long)]
    pub batch_size: Option<i64>,
    /// Learning rate of the weights (every primal optimizer).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Learning rate of the gates (log_alpha).
    #[arg(long, allow_negative_numbers = true)]
    pub gate_lr: Option<f64>,
    /// Dual learning rate.
    #[arg(long, allow_negative_numbers = true)]
    pub dual_lr: Option<f64>,
    /// Initial drop rate d of the gates.
    #[arg(long, allow_negative_numbers = true)]
    pub drop_rate: Option<f64>,
    /// Also train the dense model of the same shape, for the accuracy comparison.
    #[arg(long)]
    pub dense: bool,
    /// Where `rein data fetch` stored MNIST / Fashion-MNIST.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
}

impl SparsityArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.set("data.dataset", "--dataset", self.dataset.clone())
            .path("data.dir", "--data-dir", self.data_dir.as_deref())
            .set("model", "--model", self.model.clone())
            .set(
                "optimizer.primal.kind",
                "--optimizer",
                self.optimizer.clone(),
            )
            .set(
                "optimizer.primal.precondition_frequency",
                "--precondition-frequency",
                self.precondition_frequency.map(|v| v as i64),
            )
            .set(
                "optimizer.primal.max_preconditioner_dim",
                "--max-preconditioner-dim",
                self.max_preconditioner_dim.map(|v| v as i64),
            )
            .set("optimizer.scheme", "--scheme", self.scheme.clone())
            .switch("structured", "--structured", self.structured, true)
            .list("hidden", "--hidden", self.hidden.as_deref())
            .set("target", "--target", self.target)
            .list("layerwise", "--layerwise", self.layerwise.as_deref())
            .set("penalty", "--penalty", self.penalty)
            .set("batch_size", "--batch-size", self.batch_size)
            .set("optimizer.primal.lr", "--lr", self.lr)
            .set("optimizer.dual.lr", "--dual-lr", self.dual_lr)
            .set("drop_rate", "--drop-rate", self.drop_rate)
            .switch("dense", "--dense", self.dense, true);
        o
    }
}

/// Loads the configuration of `rein sparsity` (file, then flags).
pub fn configure(args: &SparsityArgs) -> Result<(SparsityConfig, PathBuf)> {
    let (mut config, out) = runner::configure::<SparsityConfig>(&args.run, args.overrides())?;
    runner::set_group_lr(
        &mut config,
        |c| &mut c.optimizer.primal,
        (GATES, GATE_PATTERN),
        "--gate-lr",
        args.gate_lr,
    )?;
    Ok((config, out))
}

/// Runs `rein sparsity`.
pub fn run(args: &SparsityArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    if args.distributed {
        return run_distributed(&config, &out, args.run.quiet);
    }
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

#[cfg(feature = "mpi")]
fn run_distributed(config: &SparsityConfig, out: &Path, quiet: bool) -> Result<()> {
    use std::rc::Rc;
    let comm: Rc<dyn rein::dist::Communicator> = Rc::new(rein_dist::MpiCommunicator::init()?);
    let rank = comm.rank();
    let mut bars = crate::report::Bars::new(quiet || rank != 0);
    let outcome = rein_recipes::sparsity::run_distributed(config, comm, &mut bars)?;
    if rank == 0 {
        std::fs::create_dir_all(out)?;
        let file = rein_recipes::experiment::resolved_file(config, out)?;
        crate::report::write_atomic(&out.join("config.toml"), file.as_bytes())?;
        crate::report::write_metrics_json(&out.join("metrics.json"), &outcome)?;
        config.write_reports(&outcome, out)?;
        config.print_summary(&outcome);
        println!("{}", outcome.metrics.verdict.summary);
    }
    exit_on(&outcome.metrics.verdict);
    Ok(())
}

#[cfg(not(feature = "mpi"))]
fn run_distributed(_: &SparsityConfig, _: &Path, _: bool) -> Result<()> {
    bail!(
        "--distributed needs MPI: build with `cargo build --release -p rein-cli --features mpi` \
         (OpenMPI: apt-get install libopenmpi-dev openmpi-bin libclang-dev) and run under \
         `mpirun -np N`"
    )
}

impl Report for SparsityConfig {
    fn write_reports(&self, outcome: &SparsityOutcome, out: &Path) -> Result<()> {
        outcome.history.write_csv(&out.join("history.csv"))?;
        let targets = match &self.layerwise {
            Some(t) => t.clone(),
            None => vec![self.target],
        };
        plot(
            &outcome.history,
            &targets,
            &out.join("density_and_multiplier.png"),
        )
    }

    fn print_summary(&self, outcome: &SparsityOutcome) {
        let m = &outcome.metrics;
        let mut t = Table::new([
            "target",
            "expected density",
            "purged density",
            "train acc",
            "test acc",
            "dense test acc",
            "lambda",
        ]);
        t.add_row([
            m.target.map_or_else(
                || format!("{:?}", m.layerwise.clone().unwrap_or_default()),
                |r| format!("{r:.3}"),
            ),
            format!("{:.4}", m.expected_density),
            format!("{:.4}", m.purged_density),
            format!("{:.4}", m.train_accuracy),
            format!("{:.4}", m.test_accuracy),
            m.dense_test_accuracy
                .map_or("-".into(), |a| format!("{a:.4}")),
            format!(
                "{:?}",
                m.multipliers
                    .iter()
                    .map(|l| (l * 1e4).round() / 1e4)
                    .collect::<Vec<_>>()
            ),
        ]);
        println!("\n{}", t.render());
        for w in &m.health {
            println!("warning: {w}");
        }
    }
}

/// Expected densities against their targets (top) and the multipliers (bottom).
pub fn plot(history: &History, targets: &[f64], path: &Path) -> Result<()> {
    let violations: Vec<Vec<(f64, f64)>> = (0..targets.len())
        .map(|k| {
            history
                .series(&format!("violation_{k}"))
                .into_iter()
                .map(|(s, v)| (s, v + targets[k]))
                .collect()
        })
        .collect();
    let lambdas: Vec<Vec<(f64, f64)>> = (0..targets.len())
        .map(|k| history.series(&format!("multiplier_{k}")))
        .collect();
    // One constraint per target: the model's density, or one per gated layer.
    let what = |k: usize| {
        if targets.len() == 1 {
            "density (model)".to_string()
        } else {
            format!("density (layer {k})")
        }
    };
    let labels: Vec<String> = (0..targets.len())
        .map(|k| format!("expected {}", what(k)))
        .collect();
    let lam_labels: Vec<String> = (0..targets.len())
        .map(|k| format!("lambda: {}", what(k)))
        .collect();
    let top: Vec<(&str, &[(f64, f64)])> = labels
        .iter()
        .map(String::as_str)
        .zip(violations.iter().map(Vec::as_slice))
        .collect();
    let bottom: Vec<(&str, &[(f64, f64)])> = lam_labels
        .iter()
        .map(String::as_str)
        .zip(lambdas.iter().map(Vec::as_slice))
        .collect();
    let target_labels: Vec<String> = (0..targets.len())
        .map(|k| format!("target {}", what(k)))
        .collect();
    let hlines: Vec<(&str, f64)> = target_labels
        .iter()
        .map(String::as_str)
        .zip(targets.iter().copied())
        .collect();
    if history.is_empty() {
        bail!("no history to plot");
    }
    let run = path
        .parent()
        .and_then(Path::file_name)
        .map_or_else(String::new, |n| format!(" ({})", n.to_string_lossy()));
    plot_two_panel(
        path,
        &format!("rein sparsity{run}: expected density vs target"),
        &Panel {
            y_label: "density",
            series: &top,
            hlines: &hlines,
        },
        &Panel {
            y_label: "lambda",
            series: &bottom,
            hlines: &[],
        },
    )
}
