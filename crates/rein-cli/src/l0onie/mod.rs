//! `rein l0onie`: COIN image compression under a bits-per-pixel budget (Ramirez &
//! Gallego-Posada 2022), against the COIN baseline (Dupont et al. 2021) measured in the same
//! run. The recipe is `rein_recipes::l0onie`; this is its command line and its files.

mod plots;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::Args;
use rein_coin::write_png;
use rein_recipes::l0onie::{GATE_PATTERN, GATES, L0onieConfig, L0onieOutcome, stem};

use crate::report::{Table, write_atomic};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein l0onie`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct L0onieArgs {
    /// `--config`, `--steps` (of the constrained phase; COIN baselines train `steps +
    /// finetune-steps`), `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// PNG image to compress, or `bundled` (the 64x64 astronaut crop) [default: bundled].
    #[arg(long)]
    pub image: Option<String>,
    /// Bits-per-pixel target(s), comma-separated: one L0onie run each [default: 2].
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub target_bpp: Option<Vec<f64>>,
    /// Evaluate the fp16 model every this many steps [default: 25].
    #[arg(long, allow_negative_numbers = true)]
    pub eval_every: Option<i64>,
    /// Hidden layers of the gated SIREN (and of the COIN baselines) [default: 3].
    #[arg(long, allow_negative_numbers = true)]
    pub layers: Option<i64>,
    /// Hidden width of the gated SIREN [default: 24].
    #[arg(long, allow_negative_numbers = true)]
    pub width: Option<i64>,
    /// Widths of the COIN baselines, comma-separated (default: chosen so that their bpp spans
    /// 0.5x the smallest to 1.5x the largest target). `0` skips the baseline.
    #[arg(long, value_delimiter = ',', allow_negative_numbers = true)]
    pub coin_widths: Option<Vec<i64>>,
    /// Gates of the training forward pass: sampled or median [default: sampled].
    #[arg(long)]
    pub gates: Option<String>,
    /// Learning rate of the weights (L0onie, fine-tuning and COIN) [default: 1e-3].
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Learning rate of the gates (log_alpha) [default: 0.01].
    #[arg(long, allow_negative_numbers = true)]
    pub gate_lr: Option<f64>,
    /// Dual (SGD ascent) learning rate of the bpp multiplier [default: 5e-4].
    #[arg(long, allow_negative_numbers = true)]
    pub dual_lr: Option<f64>,
    /// Steps of fine-tuning the kept weights with the sparsity mask frozen, after the
    /// constrained phase (0: none) [default: 2000].
    #[arg(long, allow_negative_numbers = true)]
    pub finetune_steps: Option<i64>,
    /// Initial drop rate d of the gates: log_alpha ~ N(ln((1-d)/d), 0.01) [default: 0.01].
    #[arg(long, allow_negative_numbers = true)]
    pub drop_rate: Option<f64>,
}

impl L0onieArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        // `--coin-widths 0`: no baseline (an empty list in the configuration).
        let coin_widths = self.coin_widths.as_deref().map(|w| match w {
            [0] => &[][..],
            w => w,
        });
        o.set("image", "--image", self.image.clone())
            .list("target_bpp", "--target-bpp", self.target_bpp.as_deref())
            .set("eval_every", "--eval-every", self.eval_every)
            .set("layers", "--layers", self.layers)
            .set("width", "--width", self.width)
            .list("coin_widths", "--coin-widths", coin_widths)
            .set("gates", "--gates", self.gates.clone())
            .set("optimizer.primal.lr", "--lr", self.lr)
            .set("optimizer.dual.lr", "--dual-lr", self.dual_lr)
            .set("finetune_steps", "--finetune-steps", self.finetune_steps)
            .set("drop_rate", "--drop-rate", self.drop_rate);
        o
    }
}

/// Loads the configuration of `rein l0onie` (file, then flags) and the output directory.
pub fn configure(args: &L0onieArgs) -> Result<(L0onieConfig, PathBuf)> {
    let (mut config, out) = runner::configure::<L0onieConfig>(&args.run, args.overrides())?;
    runner::set_group_lr(
        &mut config,
        |c| &mut c.optimizer.primal,
        (GATES, GATE_PATTERN),
        "--gate-lr",
        args.gate_lr,
    )?;
    Ok((config, out))
}

/// Runs `rein l0onie`; exits with status 2 when a target found no feasible model.
pub fn run(args: &L0onieArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

impl Report for L0onieConfig {
    /// `original.png`; per target `l0onie_bpp<T>.rcoin`, its reconstruction
    /// `l0onie_bpp<T>.png`, `history_bpp<T>.csv` and the training plots; `rate_distortion.png`.
    fn write_reports(&self, outcome: &L0onieOutcome, out: &Path) -> Result<()> {
        write_png(&out.join("original.png"), &outcome.original)?;
        let m = &outcome.metrics;
        for (run, t) in m.runs.iter().zip(&outcome.targets) {
            let stem = stem(t.target);
            let file = out.join(&run.file);
            write_atomic(&file, &t.rcoin).with_context(|| format!("writing {}", file.display()))?;
            write_png(&out.join(&run.reconstruction), &t.reconstruction)?;
            let csv = out.join(format!("history_{stem}.csv"));
            t.history
                .write_csv(&csv)
                .with_context(|| format!("writing {}", csv.display()))?;
            plots::plot_training(
                out,
                &format!("training_{stem}"),
                &t.history,
                t.target,
                self.steps,
            )?;
        }
        let points: Vec<plots::RdPoint> = m
            .runs
            .iter()
            .map(|r| plots::RdPoint {
                label: format!("L0onie target {}", r.target),
                bpp: r.bpp,
                file_bpp: r.file_bpp,
                psnr: r.psnr,
            })
            .collect();
        plots::plot_rd(
            &out.join("rate_distortion.png"),
            &outcome.coin_curve(),
            &points,
            &self.target_bpp,
        )
    }

    fn print_summary(&self, outcome: &L0onieOutcome) {
        let m = &outcome.metrics;
        let mut t = Table::new(["COIN width", "params", "bpp", "file bpp", "PSNR", "s"]);
        for c in &m.coin {
            t.add_row([
                c.width.to_string(),
                c.params.to_string(),
                format!("{:.3}", c.bpp),
                format!("{:.3}", c.file_bpp),
                format!("{:.2}", c.psnr),
                format!("{:.1}", c.seconds),
            ]);
        }
        println!("\n{}", t.render());
        let mut t = Table::new([
            "target",
            "bpp",
            "file bpp",
            "nnz",
            "PSNR",
            "COIN PSNR",
            "gain",
            "COIN @ file bpp",
            "step",
            "s",
        ]);
        let opt = |v: Option<f64>, p: usize| v.map_or("-".into(), |x| format!("{x:.p$}"));
        for r in &m.runs {
            t.add_row([
                format!("{}", r.target),
                format!("{:.3}{}", r.bpp, if r.feasible { "" } else { " (!)" }),
                format!("{:.3}", r.file_bpp),
                r.nnz.to_string(),
                format!("{:.2}", r.psnr),
                opt(r.coin_psnr_at_bpp, 2),
                opt(r.psnr_gain, 2),
                opt(r.coin_psnr_at_file_bpp, 2),
                r.best_step.to_string(),
                format!("{:.1}", r.seconds),
            ]);
        }
        println!("\n{}", t.render());
        for r in &m.runs {
            for w in &r.health {
                println!("warning: target {}: {w}", r.target);
            }
        }
    }
}
