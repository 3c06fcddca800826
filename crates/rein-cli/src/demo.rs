//! `rein demo`: controlled sparsity on the bundled digits in seconds — the constrained run lands on
//! its density target with no tuning, the penalised run with a fixed λ lands wherever λ puts it,
//! and the dense model shows what accuracy the sparsity costs.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use rein::device::DeviceKind;
use rein_recipes::sparsity::{SparsityConfig, SparsityMetrics};
use serde::Serialize;

use crate::report::{Panel, Table, plot_two_panel, write_metrics_json};
use crate::runner::{EXIT_NOT_MET, RunOptions, run_into};
use rein_recipes::History;

/// Options of `rein demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Density target of the constrained run.
    #[arg(long, default_value_t = 0.3, allow_negative_numbers = true)]
    pub target: f64,
    /// Fixed multiplier of the penalised baseline (CE + penalty * density).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    pub penalty: f64,
    /// Training steps of each run.
    #[arg(long, default_value_t = 2000)]
    pub steps: usize,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Compute device.
    #[arg(long, default_value = "flex")]
    pub device: DeviceKind,
    /// Output directory (one sub-directory per run, plus `summary.json`).
    #[arg(long, default_value = "runs/demo")]
    pub out: PathBuf,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
}

/// What `summary.json` holds.
#[derive(Debug, Serialize)]
pub struct DemoSummary {
    /// The density target.
    pub target: f64,
    /// The constrained run (with the dense model's accuracy).
    pub constrained: SparsityMetrics,
    /// The penalised run.
    pub penalised: SparsityMetrics,
    /// Whether the constrained run ended within 0.01 of the target.
    pub target_met: bool,
}

/// Runs the demo: the constrained run (and the dense model), then the penalised baseline.
pub fn run(args: &DemoArgs) -> Result<()> {
    if !(args.target > 0.0 && args.target <= 1.0) {
        bail!("--target must be in (0, 1], got {}", args.target);
    }
    if !(args.penalty >= 0.0 && args.penalty.is_finite()) {
        bail!("--penalty must be finite and >= 0, got {}", args.penalty);
    }
    if args.steps == 0 {
        bail!("--steps must be positive");
    }
    println!(
        "rein demo: an L0-gated MLP (64-128-64-10) on the bundled 8x8 digits, expected density <= {}",
        args.target
    );
    let base = SparsityConfig {
        device: args.device,
        target: args.target,
        steps: args.steps,
        seed: args.seed,
        ..SparsityConfig::default()
    };
    let constrained_config = SparsityConfig {
        dense: true,
        ..base.clone()
    };
    let penalised_config = SparsityConfig {
        penalty: Some(args.penalty),
        ..base
    };
    // The demo replaces its own previous output, and is short enough not to checkpoint.
    let options = RunOptions {
        quiet: args.quiet,
        checkpoint_every: 0,
        resume: false,
        force: true,
    };
    let (constrained, _) = run_into(&constrained_config, &args.out.join("constrained"), options)?;
    let (penalised, _) = run_into(&penalised_config, &args.out.join("penalised"), options)?;
    plot_comparison(
        &constrained.history,
        &penalised.history,
        args.target,
        args.penalty,
        &args.out.join("constrained_vs_penalised.png"),
    )?;
    let (constrained, penalised) = (constrained.metrics, penalised.metrics);
    let target_met = (constrained.expected_density - args.target).abs() <= 0.01;

    let mut t = Table::new([
        "run",
        "expected density",
        "purged density",
        "params kept",
        "test acc",
    ]);
    let row = |name: String, m: &SparsityMetrics| {
        [
            name,
            format!("{:.4}", m.expected_density),
            format!("{:.4}", m.purged_density),
            format!("{} / {}", m.purged_params, m.total_params),
            format!("{:.4}", m.test_accuracy),
        ]
    };
    t.add_row(row(
        format!("constrained (density <= {})", args.target),
        &constrained,
    ));
    t.add_row(row(
        format!("penalty lambda = {}", args.penalty),
        &penalised,
    ));
    if let Some(acc) = constrained.dense_test_accuracy {
        t.add_row([
            "dense (no gates)".into(),
            "1".into(),
            "1".into(),
            "-".into(),
            format!("{acc:.4}"),
        ]);
    }
    println!("\n{}", t.render());
    println!(
        "{} The multiplier came from dual ascent; a fixed penalty lambda = {} gave density {:.4}.",
        if target_met {
            "Target met, no penalty tuned."
        } else {
            "Target NOT met (more --steps?)."
        },
        args.penalty,
        penalised.expected_density,
    );
    println!("Reports in {}/", args.out.display());
    let summary = DemoSummary {
        target: args.target,
        constrained,
        penalised,
        target_met,
    };
    write_metrics_json(&args.out.join("summary.json"), &summary)?;
    if !target_met {
        std::process::exit(EXIT_NOT_MET);
    }
    Ok(())
}

/// One figure of both runs: expected density against the target (top), the multiplier found by
/// dual ascent against the fixed penalty (bottom).
fn plot_comparison(
    constrained: &History,
    penalised: &History,
    target: f64,
    penalty: f64,
    path: &std::path::Path,
) -> Result<()> {
    let density = |h: &History| -> Vec<(f64, f64)> {
        h.series("violation_0")
            .into_iter()
            .map(|(s, v)| (s, v + target))
            .collect()
    };
    let (dc, dp) = (density(constrained), density(penalised));
    let lambda = constrained.series("multiplier_0");
    let fixed: Vec<(f64, f64)> = penalised
        .series("violation_0")
        .into_iter()
        .map(|(s, _)| (s, penalty))
        .collect();
    plot_two_panel(
        path,
        "rein demo: constrained vs fixed penalty, expected density",
        &Panel {
            y_label: "expected density",
            series: &[
                ("constrained: density (model)", &dc),
                ("penalised: density (model)", &dp),
            ],
            hlines: &[("target density", target)],
        },
        &Panel {
            y_label: "multiplier",
            series: &[
                ("lambda by dual ascent", &lambda),
                ("fixed penalty", &fixed),
            ],
            hlines: &[],
        },
    )
}
