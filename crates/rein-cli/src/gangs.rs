//! `rein gangs`: GANGs (Oliehoek et al. 2017) on the 2-D ring of Gaussians — Parallel Nash
//! Memory over mixtures of small MLP generators and classifiers, against a plain GAN trained
//! for the same number of gradient steps per player. The recipe is `rein_recipes::gangs`; this
//! is its command line. Besides `config.toml` and `metrics.json` it writes `samples.png` (data,
//! GANGs mixture, plain GAN), `exploitability.png` (per PNM iteration) and `iterations.csv`.
//! `--steps` does not apply (the budget is `--iterations` x `--br-steps`).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein_recipes::gangs::{GangsConfig, GangsOutcome};

use crate::report::{Align, ScatterPanel, Table, plot_scatter_panels, plot_series, write_atomic};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein gangs`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct GangsArgs {
    /// `--config`, `--seed`, `--device`, `--out`, `--quiet`, `--accept-infeasible`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Most PNM iterations (default 100).
    #[arg(long, allow_negative_numbers = true)]
    pub iterations: Option<i64>,
    /// Gradient steps of one best response (default 30).
    #[arg(long, allow_negative_numbers = true)]
    pub br_steps: Option<i64>,
    /// Adam learning rate of both players (default 1e-3).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Modes of the ring (default 8).
    #[arg(long, allow_negative_numbers = true)]
    pub modes: Option<i64>,
    /// The verdict needs at least this many modes covered by the GANGs mixture (default 8).
    #[arg(long, allow_negative_numbers = true)]
    pub min_modes: Option<i64>,
    /// Bound B on the classifiers' logits (B tanh(raw / B)), GANGs and plain GAN alike.
    #[arg(long, allow_negative_numbers = true)]
    pub logit_bound: Option<f64>,
    /// Skip the plain-GAN comparison.
    #[arg(long)]
    pub no_plain_gan: bool,
}

impl GangsArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.set("iterations", "--iterations", self.iterations)
            .set("br_steps", "--br-steps", self.br_steps)
            .set("lr", "--lr", self.lr)
            .set("modes", "--modes", self.modes)
            .set("min_modes", "--min-modes", self.min_modes)
            .set("logit_bound", "--logit-bound", self.logit_bound)
            .switch("plain_gan", "--no-plain-gan", self.no_plain_gan, false);
        o
    }
}

/// Loads the configuration of `rein gangs` (file, then flags).
pub fn configure(args: &GangsArgs) -> Result<(GangsConfig, PathBuf)> {
    runner::configure::<GangsConfig>(&args.run, args.overrides())
}

/// Runs `rein gangs`; exits with status 2 when the GANGs mixture misses the mode target or
/// covers fewer modes than the plain GAN.
pub fn run(args: &GangsArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

impl Report for GangsConfig {
    fn write_reports(&self, outcome: &GangsOutcome, out: &Path) -> Result<()> {
        let m = &outcome.metrics;
        let mut csv = String::from(
            "iteration,value,gain_classifier,gain_generator,exploitability,classifiers,generators\n",
        );
        for i in &m.iterations {
            csv.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                i.iteration, i.value, i.gain_row, i.gain_col, i.exploitability, i.rows, i.cols
            ));
        }
        write_atomic(&out.join("iterations.csv"), csv.as_bytes())?;
        let ring = self.ring();
        let means: Vec<[f64; 2]> = (0..ring.modes).map(|k| ring.mean(k)).collect();
        let points = |flat: &[f32]| -> Vec<[f64; 2]> {
            flat.chunks_exact(2)
                .map(|p| [f64::from(p[0]), f64::from(p[1])])
                .collect()
        };
        let data = points(&outcome.data_samples);
        let gangs = points(&outcome.gangs_samples);
        let plain = points(&outcome.plain_samples);
        let gangs_title = format!("GANGs mixture: {} modes", m.gangs.coverage.modes_covered);
        let plain_title = m
            .plain
            .as_ref()
            .map(|p| format!("plain GAN: {} modes", p.coverage.modes_covered));
        let data_layers = [("data", data.as_slice()), ("mode means", means.as_slice())];
        let gangs_layers = [
            ("data", data.as_slice()),
            ("GANGs", gangs.as_slice()),
            ("mode means", means.as_slice()),
        ];
        let plain_layers = [
            ("data", data.as_slice()),
            ("plain GAN", plain.as_slice()),
            ("mode means", means.as_slice()),
        ];
        let mut panels = vec![
            ScatterPanel {
                title: "data",
                layers: &data_layers,
            },
            ScatterPanel {
                title: &gangs_title,
                layers: &gangs_layers,
            },
        ];
        if let Some(t) = &plain_title {
            panels.push(ScatterPanel {
                title: t,
                layers: &plain_layers,
            });
        }
        plot_scatter_panels(&out.join("samples.png"), "rein gangs: samples", &panels)?;
        let pts = |f: fn(&rein_recipes::gangs::pnm::PnmIteration) -> f64| -> Vec<(f64, f64)> {
            m.iterations
                .iter()
                .map(|i| (i.iteration as f64, f(i)))
                .collect()
        };
        let (e, gr, gc) = (
            pts(|i| i.exploitability),
            pts(|i| i.gain_row),
            pts(|i| i.gain_col),
        );
        plot_series(
            &out.join("exploitability.png"),
            "rein gangs: exploitability per PNM iteration (resource-bounded best responses)",
            &[
                ("exploitability", e.as_slice()),
                ("classifier gain", gr.as_slice()),
                ("generator gain", gc.as_slice()),
            ],
            &[("eps", self.eps)],
        )?;
        Ok(())
    }

    fn print_summary(&self, outcome: &GangsOutcome) {
        let m = &outcome.metrics;
        let mut t = Table::new([
            "model",
            "modes covered",
            "high quality",
            "classifier steps",
            "generator steps",
        ]);
        for c in 1..5 {
            t = t.align(c, Align::Right);
        }
        let mut row = |name: &str, f: &rein_recipes::gangs::ModelFigures| {
            t.add_row([
                name.to_string(),
                format!("{} / {}", f.coverage.modes_covered, self.modes),
                format!("{:.1} %", 100.0 * f.coverage.high_quality_fraction),
                f.classifier_steps.to_string(),
                f.generator_steps.to_string(),
            ]);
        };
        row("GANGs mixture", &m.gangs);
        if let Some(p) = &m.plain {
            row("plain GAN", p);
        }
        println!("\n{}", t.render());
        // The support only (index: weight); metrics.json has every weight.
        let fmt = |w: &[f64]| {
            let support: Vec<String> = w
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 5e-4)
                .map(|(k, v)| format!("{k}: {v:.3}"))
                .collect();
            format!("{} (of {} stored)", support.join(", "), w.len())
        };
        println!("generator mixture weights: {}", fmt(&m.generator_weights));
        println!("classifier mixture weights: {}", fmt(&m.classifier_weights));
        println!(
            "PNM: {} iterations, value {:.4}, final exploitability {:.4}{}",
            m.iterations.len(),
            m.value,
            m.final_exploitability,
            if m.converged { " (converged)" } else { "" }
        );
    }
}
