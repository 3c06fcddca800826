//! The run-status file (`status.json`) of a run directory: whether the run is running,
//! finished (with its verdict) or failed (with the reason), and how far it got.
//!
//! A run killed without warning stays `running` with the process id that wrote it; a reader
//! can tell it is dead when no process has that id ([`RunStatus::is_stale`]). The file is
//! rewritten atomically at the start, at every checkpoint and at the end of a run.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{RecipeError, Result};

/// Name of the status file in a run directory.
pub const STATUS_FILE: &str = "status.json";

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RunState {
    /// Started and not ended (or killed: see [`RunStatus::is_stale`]).
    Running,
    /// Ended, and its constraints or target were met.
    Finished,
    /// Ended, and its constraints or target were not met.
    NotMet,
    /// Stopped by an error (`reason`).
    Failed,
}

/// The content of `status.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunStatus {
    /// Where the run is.
    pub state: RunState,
    /// The recipe.
    pub recipe: String,
    /// The process that wrote the file.
    pub pid: u32,
    /// The phase of the last checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Steps the phase had done at the last checkpoint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<u64>,
    /// Why the run failed, or its verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Seconds since the Unix epoch when the file was written.
    pub updated: u64,
}

impl RunStatus {
    /// A run of `recipe` in progress, written by this process.
    pub fn running(recipe: &str) -> Self {
        Self {
            state: RunState::Running,
            recipe: recipe.to_string(),
            pid: std::process::id(),
            phase: None,
            step: None,
            reason: None,
            updated: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        }
    }

    /// An ended run: finished or not met, with its verdict line.
    pub fn ended(recipe: &str, met: bool, verdict: &str) -> Self {
        Self {
            state: if met {
                RunState::Finished
            } else {
                RunState::NotMet
            },
            reason: Some(verdict.to_string()),
            ..Self::running(recipe)
        }
    }

    /// A failed run, with the reason.
    pub fn failed(recipe: &str, reason: &str) -> Self {
        Self {
            state: RunState::Failed,
            reason: Some(reason.to_string()),
            ..Self::running(recipe)
        }
    }

    /// The same status at `phase`, `step`.
    pub fn at(mut self, phase: &str, step: u64) -> Self {
        self.phase = Some(phase.to_string());
        self.step = Some(step);
        self
    }

    /// Writes `dir/status.json` atomically.
    ///
    /// # Errors
    /// The file could not be written.
    pub fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(STATUS_FILE);
        let mut text = serde_json::to_string_pretty(self).expect("plain data serialises");
        text.push('\n');
        rein_coin::write_atomic(&path, text.as_bytes()).map_err(|e| RecipeError::File {
            path,
            reason: e.to_string(),
        })
    }

    /// Reads `dir/status.json`, `None` if there is none.
    ///
    /// # Errors
    /// The file exists but is unreadable or not a status file.
    pub fn read(dir: &Path) -> Result<Option<Self>> {
        let path = dir.join(STATUS_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(RecipeError::File {
                    path,
                    reason: e.to_string(),
                });
            }
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| RecipeError::File {
                path,
                reason: format!("not a run-status file: {e}"),
            })
    }

    /// A `running` status whose process is gone (killed, or the machine restarted): the run
    /// can be resumed. Known on Linux (`/proc`); elsewhere a running status is never stale.
    pub fn is_stale(&self) -> bool {
        if self.state != RunState::Running
            || !cfg!(target_os = "linux")
            || self.pid == std::process::id()
        {
            return false;
        }
        // `/proc/<pid>/stat` is "pid (name) S ...": gone, or a zombie (`Z`: killed and not yet
        // reaped by its parent), means the run is dead.
        match std::fs::read_to_string(format!("/proc/{}/stat", self.pid)) {
            Err(_) => true,
            Ok(stat) => stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .is_some_and(|state| state == "Z" || state == "X"),
        }
    }
}
