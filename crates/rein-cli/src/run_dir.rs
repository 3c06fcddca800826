//! The run directory's life cycle: a fresh run refuses a folder holding another run (unless
//! `--force`), `--resume` continues a killed one, and the status file says where a run is.

use std::path::Path;

use anyhow::{Result, bail};
use rein_recipes::session::{CHECKPOINT_FILE, DEFAULT_EVERY, Session};
use rein_recipes::status::{RunState, RunStatus, STATUS_FILE};

/// How a command treats its output directory and checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// No progress bar.
    pub quiet: bool,
    /// Checkpoint every this many steps (`0`: no checkpoints).
    pub checkpoint_every: u64,
    /// Continue the run in the directory.
    pub resume: bool,
    /// Replace the files of a previous run in the directory.
    pub force: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            quiet: false,
            checkpoint_every: DEFAULT_EVERY,
            resume: false,
            force: false,
        }
    }
}

/// Files a run writes at the top of its directory, by name (what `--force` removes, with
/// [`RUN_FILE_EXTENSIONS`]).
const RUN_FILES: [&str; 5] = [
    "config.toml",
    "metrics.json",
    STATUS_FILE,
    CHECKPOINT_FILE,
    "sweep.json",
];
/// Reports a run writes at the top of its directory, by extension (plots, histories,
/// compressed images).
const RUN_FILE_EXTENSIONS: [&str; 3] = ["png", "csv", "rcoin"];

/// Makes `out` ready for a run of `recipe` under `options` and returns its session.
///
/// - fresh (neither `resume` nor `force`): `out` must not hold a run (a `status.json`,
///   `config.toml` or `metrics.json`);
/// - `force`: the files a previous run wrote at the top of `out` are removed first;
/// - `resume`: `out` must hold a run that is not finished and whose process is gone; it
///   continues from its checkpoint (or from the start if it was killed before the first).
pub fn prepare(out: &Path, recipe: &str, config: &str, options: RunOptions) -> Result<Session> {
    let status = RunStatus::read(out)?;
    if options.resume {
        match &status {
            // Killed before its first status was written: it starts over.
            None if out.join("config.toml").exists() => {}
            None => bail!(
                "{}: no run to resume (no {STATUS_FILE}); start one with --out {}",
                out.display(),
                out.display()
            ),
            Some(s) if s.state == RunState::Running && !s.is_stale() => bail!(
                "{}: the run is still going (process {}); stop it before resuming",
                out.display(),
                s.pid
            ),
            Some(s) if matches!(s.state, RunState::Finished | RunState::NotMet) => bail!(
                "{}: the run already ended ({}); nothing to resume",
                out.display(),
                s.reason.as_deref().unwrap_or("finished")
            ),
            Some(s) if s.recipe != recipe => bail!(
                "{}: holds a `{}` run, not `{recipe}`",
                out.display(),
                s.recipe
            ),
            Some(_) => {}
        }
        remove_temporary_files(out)?;
        let every = options.checkpoint_every;
        return Ok(Session::resume(out, every, recipe, config)?);
    }
    let holds_run = ["status.json", "config.toml", "metrics.json"]
        .iter()
        .any(|f| out.join(f).exists());
    if holds_run {
        if !options.force {
            let what = match &status {
                Some(s) => format!(
                    "a `{}` run ({})",
                    s.recipe,
                    match s.state {
                        RunState::Running if s.is_stale() => "killed: --resume continues it",
                        RunState::Running => "running",
                        RunState::Finished => "finished",
                        RunState::NotMet => "finished, target not met",
                        RunState::Failed => "failed",
                    }
                ),
                None => "another run's files".to_string(),
            };
            bail!(
                "{} holds {what}; use --force to replace it, --resume {} to continue it, \
                 or --out for another folder",
                out.display(),
                out.display()
            );
        }
        if let Some(s) = &status
            && s.state == RunState::Running
            && !s.is_stale()
        {
            bail!(
                "{}: a run is still going there (process {}); --force does not stop it",
                out.display(),
                s.pid
            );
        }
        remove_run_files(out)?;
    }
    std::fs::create_dir_all(out)?;
    Ok(if options.checkpoint_every == 0 {
        Session::none()
    } else {
        Session::create(out, options.checkpoint_every, recipe, config)
    })
}

/// Removes the files a run writes at the top of `out` (by name and extension), and leftover
/// temporary files of interrupted atomic writes. Folders and other files are kept.
fn remove_run_files(out: &Path) -> Result<()> {
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        if !path.is_file() {
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let temporary = name.starts_with(".rein-") && name.ends_with(".tmp");
        if RUN_FILES.contains(&name) || RUN_FILE_EXTENSIONS.contains(&ext) || temporary {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}

/// Removes the temporary files of atomic writes a killed run left behind.
fn remove_temporary_files(out: &Path) -> Result<()> {
    for entry in std::fs::read_dir(out)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if path.is_file() && name.starts_with(".rein-") && name.ends_with(".tmp") {
            std::fs::remove_file(&path)?;
        }
    }
    Ok(())
}
