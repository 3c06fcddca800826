//! `rein gait`: the GAIT divergence (Gallego-Posada et al. 2020) as a training loss — fit a
//! small MLP generator to the 2-D Swiss roll and to a ring of 8 Gaussians with GAIT and, for
//! the same steps, with MMD; then the left- and right-sided GAIT barycenters of digit images.
//! The recipe is `rein_recipes::gait`; this is its command line. Besides the shared reports
//! it writes `samples_<dataset>.png` (fresh data with each generator's samples),
//! `quality.png` (the headline sample-quality figure over training) and `barycenter.png`
//! (input digits; the arithmetic mean, the left-sided and the right-sided GAIT barycenter).

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein_recipes::gait::{GaitConfig, GaitOutcome, SIDE};

use crate::report::{
    Align, ScatterPanel, Table, plot_scatter_panels, plot_series, write_image_grid,
};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein gait`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct GaitArgs {
    /// `--config`, `--steps`, `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Data sets, comma-separated: swiss-roll, ring (default both).
    #[arg(long, value_delimiter = ',')]
    pub datasets: Option<Vec<String>>,
    /// GAIT loss of the generator: gait (D[data || generated], default) or gait-symmetric.
    #[arg(long)]
    pub loss: Option<String>,
    /// RBF bandwidth of the generator losses (default 0.2).
    #[arg(long, allow_negative_numbers = true)]
    pub sigma: Option<f64>,
    /// Points per batch (default 256).
    #[arg(long, allow_negative_numbers = true)]
    pub batch_size: Option<i64>,
    /// Adam learning rate of the generators (default 1e-3).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Digit of the barycenter (default 3).
    #[arg(long, allow_negative_numbers = true)]
    pub digit: Option<i64>,
    /// Number of digit images averaged (default 32; 0: no barycenter).
    #[arg(long, allow_negative_numbers = true)]
    pub images: Option<i64>,
}

impl GaitArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.list("datasets", "--datasets", self.datasets.as_deref())
            .set("gait_loss", "--loss", self.loss.clone())
            .set("sigma", "--sigma", self.sigma)
            .set("batch_size", "--batch-size", self.batch_size)
            .set("lr", "--lr", self.lr)
            .set("barycenter_digit", "--digit", self.digit)
            .set("barycenter_images", "--images", self.images);
        o
    }
}

/// Loads the configuration of `rein gait` (file, then flags).
pub fn configure(args: &GaitArgs) -> Result<(GaitConfig, PathBuf)> {
    runner::configure::<GaitConfig>(&args.run, args.overrides())
}

/// Runs `rein gait`; exits with status 2 when GAIT does not match MMD or a barycenter check
/// fails (unless `--accept-infeasible`).
pub fn run(args: &GaitArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

impl Report for GaitConfig {
    fn write_reports(&self, outcome: &GaitOutcome, out: &Path) -> Result<()> {
        outcome.history.write_csv(&out.join("history.csv"))?;
        let m = &outcome.metrics;
        for (c, s) in m.comparisons.iter().zip(&outcome.samples) {
            let name = c.dataset.name();
            let gait_title = format!("GAIT ({}: {:.4})", c.headline, c.gait.headline);
            let mmd_title = format!("MMD ({}: {:.4})", c.headline, c.mmd.headline);
            let data = [("data", s.data.as_slice())];
            let gait = [
                ("data", s.data.as_slice()),
                ("GAIT samples", s.gait.as_slice()),
            ];
            let mmd = [
                ("data", s.data.as_slice()),
                ("MMD samples", s.mmd.as_slice()),
            ];
            plot_scatter_panels(
                &out.join(format!("samples_{name}.png")),
                &format!("rein gait: {name}, {} steps, sigma {}", m.steps, m.sigma),
                &[
                    ScatterPanel {
                        title: "fresh data",
                        layers: &data,
                    },
                    ScatterPanel {
                        title: &gait_title,
                        layers: &gait,
                    },
                    ScatterPanel {
                        title: &mmd_title,
                        layers: &mmd,
                    },
                ],
            )?;
        }
        let columns: Vec<String> = outcome
            .history
            .columns()
            .iter()
            .filter(|c| c.ends_with("_quality"))
            .cloned()
            .collect();
        if !columns.is_empty() {
            let series: Vec<(String, Vec<(f64, f64)>)> = columns
                .iter()
                .map(|c| {
                    (
                        c.trim_end_matches("_quality").to_string(),
                        outcome.history.series(c),
                    )
                })
                .collect();
            let refs: Vec<(&str, &[(f64, f64)])> = series
                .iter()
                .map(|(l, s)| (l.as_str(), s.as_slice()))
                .collect();
            plot_series(
                &out.join("quality.png"),
                "rein gait: headline figure over training (lower is better)",
                &refs,
                &[],
            )?;
        }
        if let Some(b) = &outcome.barycenter_images {
            let inputs: Vec<&[f64]> = b.inputs.iter().map(Vec::as_slice).collect();
            let results: Vec<&[f64]> = vec![&b.mean, &b.left, &b.right];
            write_image_grid(&out.join("barycenter.png"), &[inputs, results], SIDE, 16)?;
        }
        Ok(())
    }

    fn print_summary(&self, outcome: &GaitOutcome) {
        let m = &outcome.metrics;
        let mut t = Table::new([
            "data set",
            "loss",
            "headline",
            "modes covered",
            "high quality",
            "to data",
            "from data",
            "GAIT D",
            "MMD^2",
        ]);
        for c in 2..9 {
            t = t.align(c, Align::Right);
        }
        let opt = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.4}"));
        for c in &m.comparisons {
            for f in [&c.gait, &c.mmd] {
                t.add_row([
                    c.dataset.name().to_string(),
                    f.loss.name().to_string(),
                    format!("{:.4}", f.headline),
                    f.quality
                        .modes_covered
                        .zip(f.quality.modes)
                        .map_or("-".into(), |(a, b)| format!("{a}/{b}")),
                    opt(f.quality.high_quality_fraction),
                    format!("{:.4}", f.quality.mean_distance_to_data),
                    format!("{:.4}", f.quality.mean_distance_from_data),
                    format!("{:.4}", f.gait_divergence),
                    format!("{:.5}", f.mmd_squared),
                ]);
            }
        }
        if !m.comparisons.is_empty() {
            println!("\n{}", t.render());
        }
        if let Some(b) = &m.barycenter {
            println!(
                "barycenter of {} images of digit {} (sigma {} px): left objective {:.4} at the \
                 GAIT barycenter vs {:.4} at the mean; H^K_1 {:.4} (left) vs {:.4} (mean), inputs \
                 {:.4}; right-sided barycenter max |q - mean| {:.2e} (max pixel {:.4})",
                b.images,
                b.digit,
                b.sigma_pixels,
                b.left_objective_at_barycenter,
                b.left_objective_at_mean,
                b.entropy_left,
                b.entropy_mean,
                b.entropy_inputs,
                b.right_max_deviation_from_mean,
                b.mean_max_pixel,
            );
        }
    }
}
