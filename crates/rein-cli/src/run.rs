//! `rein run FILE.toml`: runs an experiment file — one run, or every point of its sweep — of
//! any recipe. Each run writes its resolved `config.toml`, and `rein run <out>/config.toml`
//! reproduces it bit for bit.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use rein_recipes::eman::EmanConfig;
use rein_recipes::experiment::Experiment;
use rein_recipes::fairness::FairnessConfig;
use rein_recipes::feasible::FeasibleConfig;
use rein_recipes::gait::GaitConfig;
use rein_recipes::gangs::GangsConfig;
use rein_recipes::l0onie::L0onieConfig;
use rein_recipes::recall::RecallConfig;
use rein_recipes::recipe::from_table;
use rein_recipes::sparsity::SparsityConfig;
use rein_recipes::{RecipeConfig, Verdict};
use serde::Serialize;

use crate::report::{Table, write_metrics_json};
use crate::runner::{Report, RunOptions, accept_infeasible, execute, exit_on};
use rein_recipes::status::{RunState, RunStatus};

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
    /// Write a checkpoint every N steps (0: none).
    #[arg(long, value_name = "N", default_value_t = rein_recipes::session::DEFAULT_EVERY)]
    pub checkpoint_every: u64,
    /// Continue a killed run (each killed point of a sweep) from its last checkpoint; points
    /// that ended are kept, points never started are run.
    #[arg(long)]
    pub resume: bool,
    /// Replace the files of previous runs in the output directories.
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
}

impl RunArgs {
    fn options(&self) -> RunOptions {
        RunOptions {
            quiet: self.quiet,
            checkpoint_every: self.checkpoint_every,
            resume: self.resume,
            force: self.force,
        }
    }
}

/// The recipes `rein run` knows, by the name of their experiment files.
pub const RECIPES: [&str; 8] = [
    SparsityConfig::NAME,
    L0onieConfig::NAME,
    RecallConfig::NAME,
    FeasibleConfig::NAME,
    FairnessConfig::NAME,
    GangsConfig::NAME,
    GaitConfig::NAME,
    EmanConfig::NAME,
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
    options: RunOptions,
) -> Result<(serde_json::Value, Verdict)> {
    let config = from_table::<C>(table)?;
    if options.resume {
        match RunStatus::read(out)? {
            // Ended before: keep it.
            Some(s) if matches!(s.state, RunState::Finished | RunState::NotMet) => {
                let path = out.join("metrics.json");
                let text = std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {}", path.display()))?;
                println!("{}: ended before, kept", out.display());
                let verdict = Verdict {
                    met: s.state == RunState::Finished,
                    summary: s.reason.unwrap_or_default(),
                };
                return Ok((serde_json::from_str(&text)?, verdict));
            }
            // Never started: a fresh run.
            None => {
                let fresh = RunOptions {
                    resume: false,
                    ..options
                };
                let (outcome, verdict) = execute(&config, out, fresh)?;
                return Ok((serde_json::to_value(&outcome)?, verdict));
            }
            Some(_) => {}
        }
    }
    let (outcome, verdict) = execute(&config, out, options)?;
    Ok((serde_json::to_value(&outcome)?, verdict))
}

fn dispatch(
    recipe: &str,
    table: &toml::Table,
    out: &Path,
    options: RunOptions,
) -> Result<(serde_json::Value, Verdict)> {
    match recipe {
        SparsityConfig::NAME => run_point::<SparsityConfig>(table, out, options),
        L0onieConfig::NAME => run_point::<L0onieConfig>(table, out, options),
        RecallConfig::NAME => run_point::<RecallConfig>(table, out, options),
        FeasibleConfig::NAME => run_point::<FeasibleConfig>(table, out, options),
        FairnessConfig::NAME => run_point::<FairnessConfig>(table, out, options),
        GangsConfig::NAME => run_point::<GangsConfig>(table, out, options),
        GaitConfig::NAME => run_point::<GaitConfig>(table, out, options),
        EmanConfig::NAME => run_point::<EmanConfig>(table, out, options),
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
        let (_, verdict) = dispatch(&e.recipe, &points[0].config, &out, args.options())?;
        exit_on(&verdict);
        return Ok(());
    }
    let mut runs = Vec::with_capacity(points.len());
    for (k, p) in points.iter().enumerate() {
        println!("== run {}/{}: {}", k + 1, points.len(), p.label);
        let dir = out.join(&p.label);
        let (metrics, verdict) = dispatch(&e.recipe, &p.config, &dir, args.options())?;
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
