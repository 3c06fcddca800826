//! `rein eman`: EMAN (Basu et al. 2022, "Equivariant Mesh Attention Networks") against an
//! `xyz` graph-network baseline on per-vertex mesh segmentation — trained in the canonical
//! pose, tested on noisy copies in the canonical pose and randomly rotated, translated and
//! scaled. The recipe is `rein_recipes::eman`; this is its command line. The meshes come from
//! `rein data fetch meshes` (or `--meshes builtin:bumpy,...`, or paths to `.off` files).
//! Besides the shared reports it writes `segments_<mesh>.png` (the canonical vertices
//! projected on the `x, y` plane, coloured by the true segment, EMAN's and the baseline's
//! predictions on a transformed copy) and `loss.png`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::Args;
use rein_recipes::eman::{EmanConfig, EmanOutcome, Rendering};

use crate::report::{Align, ScatterPanel, Table, plot_scatter_panels, plot_series};
use crate::runner::{self, Overrides, Report, RunFlags, execute, exit_on};

/// Options of `rein eman`; each overrides the same key of `--config`.
#[derive(Debug, Args, Default)]
pub struct EmanArgs {
    /// `--config`, `--steps`, `--seed`, `--device`, `--out`, `--quiet`.
    #[command(flatten)]
    pub run: RunFlags,
    /// Meshes, comma-separated: CGAL names (elephant, homer, hand, ...), paths to `.off`
    /// files, or builtin:bumpy, builtin:torus (default elephant,homer,hand).
    #[arg(long, value_delimiter = ',')]
    pub meshes: Option<Vec<String>>,
    /// Directory of the fetched meshes (default data/fetched/meshes).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Vertices per mesh after decimation (default 500).
    #[arg(long, allow_negative_numbers = true)]
    pub vertices: Option<i64>,
    /// Segments per mesh (default 6).
    #[arg(long, allow_negative_numbers = true)]
    pub segments: Option<i64>,
    /// Adam learning rate of both models (default 5e-3).
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    /// Vertex noise in mean edge lengths (default 0.1).
    #[arg(long, allow_negative_numbers = true)]
    pub noise: Option<f64>,
}

impl EmanArgs {
    fn overrides(&self) -> Overrides {
        let mut o = Overrides::default();
        o.list("meshes", "--meshes", self.meshes.as_deref())
            .path("data_dir", "--data-dir", self.data_dir.as_deref())
            .set("vertices", "--vertices", self.vertices)
            .set("segments", "--segments", self.segments)
            .set("lr", "--lr", self.lr)
            .set("noise", "--noise", self.noise);
        o
    }
}

/// Loads the configuration of `rein eman` (file, then flags).
pub fn configure(args: &EmanArgs) -> Result<(EmanConfig, PathBuf)> {
    runner::configure::<EmanConfig>(&args.run, args.overrides())
}

/// Runs `rein eman`; exits with status 2 when the claim is missed (unless
/// `--accept-infeasible`).
pub fn run(args: &EmanArgs) -> Result<()> {
    let (config, out) = configure(args)?;
    let (_, verdict) = execute(&config, &out, args.run.options())?;
    exit_on(&verdict);
    Ok(())
}

fn file_stem(name: &str) -> String {
    let base = name
        .rsplit('/')
        .next()
        .unwrap_or(name)
        .trim_end_matches(".off");
    base.replace(':', "-")
}

type OwnedLayers = Vec<(String, Vec<[f64; 2]>)>;

fn as_layers(l: &OwnedLayers) -> Vec<(&str, &[[f64; 2]])> {
    l.iter().map(|(n, p)| (n.as_str(), p.as_slice())).collect()
}

fn panels(r: &Rendering, out: &Path, segments: usize) -> Result<()> {
    let layers = |labels: &[usize]| -> OwnedLayers {
        let mut v = vec![("mesh".to_string(), r.points.clone())];
        for s in 0..segments {
            let pts: Vec<[f64; 2]> = r
                .points
                .iter()
                .zip(labels)
                .filter(|(_, l)| **l == s)
                .map(|(p, _)| *p)
                .collect();
            v.push((format!("segment {s}"), pts));
        }
        v
    };
    let acc = |p: &[usize]| {
        p.iter().zip(&r.truth).filter(|(a, b)| a == b).count() as f64 / r.truth.len().max(1) as f64
    };
    let truth = layers(&r.truth);
    let eman = layers(&r.eman);
    let base = layers(&r.baseline);
    let (lt, le, lb) = (as_layers(&truth), as_layers(&eman), as_layers(&base));
    let eman_title = format!("EMAN on a transformed copy ({:.0}%)", 100.0 * acc(&r.eman));
    let base_title = format!("xyz baseline, same copy ({:.0}%)", 100.0 * acc(&r.baseline));
    plot_scatter_panels(
        &out.join(format!("segments_{}.png", file_stem(&r.mesh))),
        &format!("rein eman: {} (canonical vertices, x-y projection)", r.mesh),
        &[
            ScatterPanel {
                title: "true segments",
                layers: &lt,
            },
            ScatterPanel {
                title: &eman_title,
                layers: &le,
            },
            ScatterPanel {
                title: &base_title,
                layers: &lb,
            },
        ],
    )
}

impl Report for EmanConfig {
    fn write_reports(&self, outcome: &EmanOutcome, out: &Path) -> Result<()> {
        outcome.history.write_csv(&out.join("history.csv"))?;
        for r in &outcome.renderings {
            panels(r, out, self.segments)?;
        }
        let e = outcome.history.series("eman_loss");
        let b = outcome.history.series("baseline_loss");
        plot_series(
            &out.join("loss.png"),
            "rein eman: training loss (cross-entropy)",
            &[("EMAN", e.as_slice()), ("xyz baseline", b.as_slice())],
            &[],
        )?;
        Ok(())
    }

    fn print_summary(&self, outcome: &EmanOutcome) {
        let m = &outcome.metrics;
        let mut t = Table::new([
            "model",
            "params",
            "train",
            "canonical test",
            "transformed test",
            "drop",
        ]);
        for c in 1..6 {
            t = t.align(c, Align::Right);
        }
        for (name, a, p) in [
            ("EMAN", &m.eman, m.parameters.0),
            ("xyz baseline", &m.baseline, m.parameters.1),
        ] {
            t.add_row([
                name.to_string(),
                p.to_string(),
                format!("{:.3}", a.train),
                format!("{:.3}", a.canonical_test),
                format!("{:.3}", a.transformed_test),
                format!("{:.3}", a.drop()),
            ]);
        }
        let meshes: Vec<String> = m
            .meshes
            .iter()
            .map(|(n, v)| format!("{n} ({v} vertices)"))
            .collect();
        println!(
            "\nmeshes: {}; {} segments each",
            meshes.join(", "),
            m.segments
        );
        println!("{}", t.render());
    }
}
