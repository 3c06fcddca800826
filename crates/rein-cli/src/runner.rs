//! What every recipe command shares: the configuration from `--config FILE` with the flags
//! over it, the run directory (`config.toml` first, then `metrics.json` and the recipe's
//! reports), and the verdict as the exit status.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rein_recipes::experiment::{Experiment, resolved_file, set_dotted};
use rein_recipes::recipe::from_table;
use rein_recipes::{RecipeConfig, RecipeError, Verdict};

use crate::report::{Bars, write_atomic, write_metrics_json};

/// The exit status of a run whose constraints or target were not met.
pub const EXIT_NOT_MET: i32 = 2;

/// What the CLI writes for a recipe besides `config.toml` and `metrics.json`, and what it
/// prints.
pub trait Report: RecipeConfig {
    /// Writes the recipe's own files (`history.csv`, plots) into `out`.
    fn write_reports(&self, outcome: &Self::Outcome, out: &Path) -> Result<()>;
    /// Prints the summary table.
    fn print_summary(&self, outcome: &Self::Outcome);
}

/// A configuration key set from a flag.
pub struct Override {
    /// Dotted configuration key.
    pub key: &'static str,
    /// The flag that set it (named in errors).
    pub flag: &'static str,
    /// The value.
    pub value: toml::Value,
}

impl Override {
    /// `key = value` from `flag`.
    pub fn new(key: &'static str, flag: &'static str, value: impl Into<toml::Value>) -> Self {
        Self {
            key,
            flag,
            value: value.into(),
        }
    }
}

/// A list of `f64`/`usize` flag values as a TOML array.
pub fn array<T: Into<toml::Value> + Clone>(values: &[T]) -> toml::Value {
    toml::Value::Array(values.iter().cloned().map(Into::into).collect())
}

/// The configuration of recipe `C` from `file` (an experiment file for this recipe, without a
/// sweep), with `overrides` set over it; and the file's `out`.
pub fn load<C: RecipeConfig>(
    file: Option<&Path>,
    overrides: &[Override],
) -> Result<(C, Option<PathBuf>)> {
    let (mut table, out) = match file {
        Some(path) => {
            let e = Experiment::read(path)?;
            if e.recipe != C::NAME {
                bail!(
                    "{}: recipe = \"{}\", but this is `rein {}` (use `rein run {}`)",
                    path.display(),
                    e.recipe,
                    C::NAME,
                    path.display()
                );
            }
            if !e.sweep.is_empty() {
                bail!(
                    "{}: has a [sweep]; run sweeps with `rein run {}`",
                    path.display(),
                    path.display()
                );
            }
            (e.config, e.out)
        }
        None => (toml::Table::new(), None),
    };
    for o in overrides {
        set_dotted(&mut table, o.key, o.value.clone())?;
    }
    let config = from_table::<C>(&table).map_err(|e| match &e {
        RecipeError::Config { key, .. } => match overrides.iter().find(|o| o.key == key) {
            Some(o) => anyhow::Error::new(e).context(format!("{} {}", o.flag, o.value)),
            None => anyhow::Error::new(e),
        },
        _ => anyhow::Error::new(e),
    })?;
    Ok((config, out))
}

/// Runs `config` into `out`: writes the resolved `config.toml` first, runs, then writes
/// `metrics.json` and the reports. Returns the outcome and its verdict.
pub fn run_into<C: Report>(config: &C, out: &Path, quiet: bool) -> Result<(C::Outcome, Verdict)> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_atomic(
        &out.join("config.toml"),
        resolved_file(config, out)?.as_bytes(),
    )?;
    let outcome = config.run(&mut Bars::new(quiet))?;
    write_metrics_json(&out.join("metrics.json"), &outcome)?;
    config.write_reports(&outcome, out)?;
    let verdict = config.verdict(&outcome);
    Ok((outcome, verdict))
}

/// [`run_into`], then prints the summary and the verdict.
pub fn execute<C: Report>(config: &C, out: &Path, quiet: bool) -> Result<(C::Outcome, Verdict)> {
    let (outcome, verdict) = run_into(config, out, quiet)?;
    config.print_summary(&outcome);
    println!(
        "{}: {} Reports in {}/",
        if verdict.met {
            "Constraints met"
        } else {
            "Constraints NOT met"
        },
        verdict.summary,
        out.display()
    );
    Ok((outcome, verdict))
}

/// Exits with [`EXIT_NOT_MET`] when a run missed its constraints.
pub fn exit_on(verdict: &Verdict) {
    if !verdict.met {
        std::process::exit(EXIT_NOT_MET);
    }
}
