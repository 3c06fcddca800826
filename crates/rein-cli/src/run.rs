//! `rein run FILE.toml`: runs an experiment file — one run, or every point of its sweep — of
//! any recipe. Each run writes its resolved `config.toml`, and `rein run <out>/config.toml`
//! reproduces it bit for bit.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use rein_recipes::experiment::Experiment;
use rein_recipes::fairness::FairnessConfig;
use rein_recipes::feasible::FeasibleConfig;
use rein_recipes::gait::GaitConfig;
use rein_recipes::l0onie::L0onieConfig;
use rein_recipes::recall::RecallConfig;
use rein_recipes::recipe::from_table;
use rein_recipes::sparsity::SparsityConfig;
use rein_recipes::{RecipeConfig, Verdict};
use serde::Serialize;

use crate::report::{Table, write_metrics_json};
use crate::runner::{Report, accept_infeasible, execute, exit_on};

/// Options of `rein run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The experiment file (`recipe = "..."`, `[config]`, optional `[sweep]`).
    pub file: PathBuf,
    /// Output directory (default: the file's `out`, else `runs/<recipe>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bars.
    #[arg(long)]
    pub quiet: bool,
    /// Exit with status 0 even when runs missed their constraints (verdicts still printed).
    #[arg(long)]
    pub accept_infeasible: bool,
}

/// The recipes `rein run` knows, by the name of their experiment files.
pub const RECIPES: [&str; 6] = [
    SparsityConfig::NAME,
    L0onieConfig::NAME,
    RecallConfig::NAME,
    FeasibleConfig::NAME,
    FairnessConfig::NAME,
    GaitConfig::NAME,
];

/// One line of `sweep.json`.
#[derive(Debug, Serialize)]
struct SweepRun {
    label: String,
    dir: PathBuf,
    verdict: Verdict,
    metrics: serde_json::Value,
}

fn run_point<C: Report>(
    table: &toml::Table,
    out: &Path,
    quiet: bool,
) -> Result<(serde_json::Value, Verdict)> {
    let config = from_table::<C>(table)?;
    let (outcome, verdict) = execute(&config, out, quiet)?;
    Ok((serde_json::to_value(&outcome)?, verdict))
}

fn dispatch(
    recipe: &str,
    table: &toml::Table,
    out: &Path,
    quiet: bool,
) -> Result<(serde_json::Value, Verdict)> {
    match recipe {
        SparsityConfig::NAME => run_point::<SparsityConfig>(table, out, quiet),
        L0onieConfig::NAME => run_point::<L0onieConfig>(table, out, quiet),
        RecallConfig::NAME => run_point::<RecallConfig>(table, out, quiet),
        FeasibleConfig::NAME => run_point::<FeasibleConfig>(table, out, quiet),
        FairnessConfig::NAME => run_point::<FairnessConfig>(table, out, quiet),
        GaitConfig::NAME => run_point::<GaitConfig>(table, out, quiet),
        other => bail!("unknown recipe `{other}` (known: {})", RECIPES.join(", ")),
    }
}

/// Runs `rein run`.
pub fn run(args: &RunArgs) -> Result<()> {
    accept_infeasible(args.accept_infeasible);
    let e = Experiment::read(&args.file)?;
    let out = args
        .out
        .clone()
        .or_else(|| e.out.clone())
        .unwrap_or_else(|| PathBuf::from("runs").join(&e.recipe));
    let points = e.points()?;
    if e.sweep.is_empty() {
        let (_, verdict) = dispatch(&e.recipe, &points[0].config, &out, args.quiet)?;
        exit_on(&verdict);
        return Ok(());
    }
    let mut runs = Vec::with_capacity(points.len());
    for (k, p) in points.iter().enumerate() {
        println!("== run {}/{}: {}", k + 1, points.len(), p.label);
        let dir = out.join(&p.label);
        let (metrics, verdict) = dispatch(&e.recipe, &p.config, &dir, args.quiet)?;
        runs.push(SweepRun {
            label: p.label.clone(),
            dir,
            verdict,
            metrics,
        });
    }
    write_metrics_json(&out.join("sweep.json"), &runs)?;
    let mut t = Table::new(["run", "met", "verdict"]);
    for r in &runs {
        t.add_row([
            r.label.clone(),
            if r.verdict.met { "yes" } else { "NO" }.to_string(),
            r.verdict.summary.clone(),
        ]);
    }
    println!("\n{}", t.render());
    let missed = runs.iter().filter(|r| !r.verdict.met).count();
    println!(
        "{} of {} runs met their constraints. Summary in {}",
        runs.len() - missed,
        runs.len(),
        out.join("sweep.json").display()
    );
    exit_on(&Verdict {
        met: missed == 0,
        summary: format!("{missed} runs missed"),
    });
    Ok(())
}
