//! `rein feasible`: Feasible Learning — train by asking every training sample's loss to be at
//! most `-ln p`, one multiplier per sample, no objective — or its resilient relaxation (RFL)
//! or the ERM / CSERM baselines (`--method`). The recipe is `rein_recipes::feasible`; this is
//! its command line. `--rfl W` selects RFL with decay `W` (`--method rfl` alone is an error
//! naming `rfl_decay`: the decay has no default). Besides the shared reports it writes
//! `losses.png` (histogram of the final per-sample losses, `eps` marked) and, for FL / RFL,
//! `multipliers.png` (histogram of the final multipliers) and `samples.csv` (per-sample loss,
//! multiplier, flipped).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use rein_recipes::History;
use rein_recipes::feasible::{FeasibleConfig, FeasibleOutcome};

use crate::report::{Align, Panel, Table, plot_histogram, plot_two_panel, write_atomic};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein feasible`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct FeasibleArgs {
    /// `--config`, `--steps`, `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Training method: fl (default), rfl (needs --rfl), erm, cserm.
    #[arg(long)]
    pub method: Option<String>,
    /// Resilient Feasible Learning with decay W > 0 of the multipliers (sets --method rfl).
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    pub rfl: Option<f64>,
    /// Fraction in [0, 1) of the training labels flipped to another class (seeded).
    #[arg(long, allow_negative_numbers = true)]
    pub label_noise: Option<f64>,
    /// Data set: digits (bundled, default), moons (two moons, 512 samples), mnist,
    /// fashion-mnist (fetch first: `rein data fetch`).
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
    fn overrides(&self) -> Result<Overrides> {
        let method = match (&self.method, self.rfl) {
            (Some(m), Some(_)) if m != "rfl" => {
                bail!("--rfl sets the method to rfl; it contradicts --method {m}")
            }
            (m, Some(_)) => Some(m.clone().unwrap_or_else(|| "rfl".into())),
            (m, None) => m.clone(),
        };
        let method_flag = if self.rfl.is_some() {
            "--rfl"
        } else {
            "--method"
        };
        let mut o = Overrides::default();
        o.set("method", method_flag, method)
            .set("rfl_decay", "--rfl", self.rfl)
            .set("label_noise", "--label-noise", self.label_noise)
            .set("data.dataset", "--dataset", self.dataset.clone())
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
        Ok(o)
    }
}

/// Loads the configuration of `rein feasible` (file, then flags).
pub fn configure(args: &FeasibleArgs) -> Result<(FeasibleConfig, PathBuf)> {
    runner::configure::<FeasibleConfig>(&args.run, args.overrides()?)
}

/// Runs `rein feasible`; exits with status 2 when too few samples end feasible.
pub fn run(args: &FeasibleArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
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
        )?;
        write_samples(outcome, &out.join("samples.csv"))?;
        let m = &outcome.metrics;
        plot_histogram(
            &out.join("losses.png"),
            &format!(
                "rein feasible ({}): final per-sample training loss",
                m.method.name()
            ),
            "CE_i",
            &outcome.losses,
            60,
            &[("eps", m.eps)],
        )?;
        if !outcome.multipliers.is_empty() {
            plot_histogram(
                &out.join("multipliers.png"),
                &format!("rein feasible ({}): final multipliers", m.method.name()),
                "lambda_i",
                &outcome.multipliers,
                60,
                &[],
            )?;
        }
        Ok(())
    }

    fn print_summary(&self, outcome: &FeasibleOutcome) {
        let m = &outcome.metrics;
        let f = &m.figures;
        let mut t = Table::new([
            "method",
            "samples",
            "eps",
            "feasible (start)",
            "feasible (seen)",
            "feasible (all)",
            "mean CE",
            "p99 CE",
            "max CE",
            "mean lambda",
            "max lambda",
            "test acc",
        ]);
        for c in 1..12 {
            t = t.align(c, Align::Right);
        }
        t.add_row([
            m.method.name().to_string(),
            m.samples.to_string(),
            format!("{:.4}", m.eps),
            format!("{:.4}", m.initial_feasible_train),
            format!("{:.4}", f.feasible_seen),
            format!("{:.4}", f.feasible_train),
            format!("{:.4}", f.ce_mean_train),
            format!("{:.4}", m.distribution.ce_p99_train),
            format!("{:.4}", f.ce_max_train),
            format!("{:.4}", m.distribution.multiplier_mean),
            format!("{:.4}", m.distribution.multiplier_max),
            format!("{:.4}", m.test_accuracy),
        ]);
        println!("\n{}", t.render());
        let d = &m.distribution;
        if let (Some(u), Some(bound)) = (d.relaxation_max, d.rfl_lambda_bound) {
            println!(
                "RFL: max relaxation u = w lambda {u:.4}; max lambda {:.4} vs max(CE_i - eps)/w {bound:.4}",
                d.multiplier_max
            );
        }
        if m.flipped > 0 {
            let show = |a: Option<f64>| a.map_or("-".into(), |v| format!("{v:.4}"));
            println!(
                "label noise: {} flipped; ROC-AUC of the multipliers {}, of the losses {}",
                m.flipped,
                show(d.flip_auc_multipliers),
                show(d.flip_auc_losses)
            );
        }
    }
}

/// `samples.csv`: one row per training sample, `index,loss,multiplier,flipped` (the final
/// `CE_i`, its multiplier — empty for ERM / CSERM — and 1 if its label was flipped), for
/// side-by-side histograms across runs (experiments/summarise_feasible.py).
pub fn write_samples(outcome: &FeasibleOutcome, path: &Path) -> Result<()> {
    let mut text = String::from("index,loss,multiplier,flipped\n");
    for (i, loss) in outcome.losses.iter().enumerate() {
        let lambda = outcome
            .multipliers
            .get(i)
            .map_or(String::new(), |l| l.to_string());
        let flipped = u8::from(outcome.flipped.get(i).copied().unwrap_or(false));
        text.push_str(&format!("{i},{loss},{lambda},{flipped}\n"));
    }
    write_atomic(path, text.as_bytes())?;
    Ok(())
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
