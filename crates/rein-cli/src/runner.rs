//! What every recipe command shares: the configuration from `--config FILE` with the flags
//! over it, the run directory (`config.toml` first, then `metrics.json` and the recipe's
//! reports), and the verdict as the exit status.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use rein_recipes::experiment::{Experiment, resolved_file, set_dotted};
use rein_recipes::recipe::from_table;
use rein_recipes::{RecipeConfig, RecipeError, Verdict};

use crate::report::{Bars, write_atomic, write_metrics_json};
pub use crate::run_dir::RunOptions;
use crate::run_dir::prepare;
use rein_recipes::status::RunStatus;

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

/// The flags every recipe command shares.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct RunFlags {
    /// Experiment file (`recipe = "<this command>"`) to start from; flags override its values.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Training steps.
    #[arg(long, allow_negative_numbers = true)]
    pub steps: Option<i64>,
    /// Seed of every random choice of the run (split, initialisation, batch order, noise).
    #[arg(long, allow_negative_numbers = true)]
    pub seed: Option<i64>,
    /// Compute device: flex, tch, cuda, wgpu.
    #[arg(long)]
    pub device: Option<rein::device::DeviceKind>,
    /// Output directory (default: the file's `out`, else `runs/<command>`).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Exit with status 0 even when the constraints or target were not met (the verdict is
    /// still printed and written to metrics.json).
    #[arg(long)]
    pub accept_infeasible: bool,
    /// Write a checkpoint every N steps (0: none), so that `--resume` can continue a killed
    /// run.
    #[arg(long, value_name = "N", default_value_t = rein_recipes::session::DEFAULT_EVERY)]
    pub checkpoint_every: u64,
    /// Continue the killed run in DIR from its last checkpoint, with its config.toml (no other
    /// configuration flags).
    #[arg(long, value_name = "DIR", conflicts_with_all = ["config", "out"])]
    pub resume: Option<PathBuf>,
    /// Replace the files of a previous run in the output directory (a fresh run refuses a
    /// folder holding one).
    #[arg(long, conflicts_with = "resume")]
    pub force: bool,
}

impl RunFlags {
    /// The options of the run directory and checkpoints.
    pub fn options(&self) -> RunOptions {
        RunOptions {
            quiet: self.quiet,
            checkpoint_every: self.checkpoint_every,
            resume: self.resume.is_some(),
            force: self.force,
        }
    }
}

/// Set once from `--accept-infeasible`: a missed target then exits 0 instead of
/// [`EXIT_NOT_MET`].
static ACCEPT_INFEASIBLE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Records `--accept-infeasible` for [`exit_on`].
pub fn accept_infeasible(on: bool) {
    if on {
        ACCEPT_INFEASIBLE.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Flags given on the command line, as configuration keys to set over `--config`.
#[derive(Default)]
pub struct Overrides(Vec<Override>);

impl Overrides {
    /// `key = value` if the flag was given.
    pub fn set<V: Into<toml::Value>>(
        &mut self,
        key: &'static str,
        flag: &'static str,
        value: Option<V>,
    ) -> &mut Self {
        if let Some(v) = value {
            self.0.push(Override::new(key, flag, v));
        }
        self
    }

    /// `key = [values]` if the flag was given.
    pub fn list<T: Into<toml::Value> + Clone>(
        &mut self,
        key: &'static str,
        flag: &'static str,
        values: Option<&[T]>,
    ) -> &mut Self {
        self.set(key, flag, values.map(array))
    }

    /// `key = "path"` if the flag was given.
    pub fn path(
        &mut self,
        key: &'static str,
        flag: &'static str,
        path: Option<&Path>,
    ) -> &mut Self {
        self.set(key, flag, path.map(|p| p.to_string_lossy().into_owned()))
    }

    /// `key = value` if the switch is on.
    pub fn switch(
        &mut self,
        key: &'static str,
        flag: &'static str,
        on: bool,
        value: bool,
    ) -> &mut Self {
        self.set(key, flag, on.then_some(value))
    }
}

/// The configuration of recipe `C` from `--config` with `overrides` and the shared flags over
/// it, and the output directory (`--out`, else the file's `out`, else `runs/<recipe>`).
pub fn configure<C: RecipeConfig>(
    flags: &RunFlags,
    mut overrides: Overrides,
) -> Result<(C, PathBuf)> {
    accept_infeasible(flags.accept_infeasible);
    overrides
        .set("steps", "--steps", flags.steps)
        .set("seed", "--seed", flags.seed)
        .set("device", "--device", flags.device.map(|d| d.to_string()));
    if let Some(dir) = &flags.resume {
        if !overrides.0.is_empty() {
            let given: Vec<&str> = overrides.0.iter().map(|o| o.flag).collect();
            bail!(
                "--resume {} continues the run with its own config.toml; drop {}",
                dir.display(),
                given.join(", ")
            );
        }
        let file = dir.join("config.toml");
        if !file.exists() {
            bail!("{}: no run to resume (no config.toml)", dir.display());
        }
        let (config, _) = load::<C>(Some(&file), &[])?;
        return Ok((config, dir.clone()));
    }
    let (config, file_out) = load::<C>(flags.config.as_deref(), &overrides.0)?;
    let out = flags
        .out
        .clone()
        .or(file_out)
        .unwrap_or_else(|| PathBuf::from("runs").join(C::NAME));
    Ok((config, out))
}

/// Sets the learning rate of the primal parameter group `name` (`*pattern`) from `--flag`,
/// re-validating the configuration.
pub fn set_group_lr<C: RecipeConfig>(
    config: &mut C,
    primal: impl FnOnce(&mut C) -> &mut rein::config::PrimalConfig,
    (name, pattern): (&str, &str),
    flag: &str,
    lr: Option<f64>,
) -> Result<()> {
    if let Some(lr) = lr {
        primal(config).set_group_lr(name, &[pattern.to_string()], lr);
        config
            .validate()
            .map_err(|e| anyhow::Error::new(e).context(format!("{flag} {lr}")))?;
    }
    Ok(())
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

/// Runs `config` into `out`: checks the folder (see [`crate::run_dir::prepare`]), writes the
/// resolved `config.toml` and a `running` status first, runs with checkpoints, then writes
/// `metrics.json`, the reports and the final status (finished, not met, or failed with the
/// reason). Returns the outcome and its verdict.
pub fn run_into<C: Report>(
    config: &C,
    out: &Path,
    options: RunOptions,
) -> Result<(C::Outcome, Verdict)> {
    let resolved = toml::to_string(&config.resolved())?;
    let mut session = prepare(out, C::NAME, &resolved, options)?;
    if !C::CHECKPOINTS && session.is_active() {
        if options.resume {
            eprintln!(
                "note: the {} recipe does not checkpoint yet; the run starts over",
                C::NAME
            );
        }
        session = rein_recipes::Session::none();
    }
    if !options.resume {
        write_atomic(
            &out.join("config.toml"),
            resolved_file(config, out)?.as_bytes(),
        )?;
    }
    RunStatus::running(C::NAME).write(out)?;
    let outcome = match config.run_in(&mut session, &mut Bars::new(options.quiet)) {
        Ok(o) => o,
        Err(e) => {
            let reason = anyhow::Error::new(e);
            // The run's own error is what the user needs; a status that cannot be written
            // is secondary.
            let _ = RunStatus::failed(C::NAME, &format!("{reason:#}")).write(out);
            return Err(reason);
        }
    };
    write_metrics_json(&out.join("metrics.json"), &outcome)?;
    config.write_reports(&outcome, out)?;
    let verdict = config.verdict(&outcome);
    RunStatus::ended(C::NAME, verdict.met, &verdict.summary).write(out)?;
    Ok((outcome, verdict))
}

/// [`run_into`], then prints the summary and the verdict.
pub fn execute<C: Report>(
    config: &C,
    out: &Path,
    options: RunOptions,
) -> Result<(C::Outcome, Verdict)> {
    let (outcome, verdict) = run_into(config, out, options)?;
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
    if !verdict.met && !ACCEPT_INFEASIBLE.load(std::sync::atomic::Ordering::Relaxed) {
        std::process::exit(EXIT_NOT_MET);
    }
}
