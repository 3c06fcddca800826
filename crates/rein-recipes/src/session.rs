//! Crash-safe runs: periodic checkpoints of a recipe's whole state, and resuming a killed run
//! bit for bit.
//!
//! A recipe runs in *phases* (`"constrained"`, then `"dense"`; one per method of a comparison).
//! Inside a phase, every [`Session::every`] steps the recipe hands the session its live state
//! (model, optimizer and dual state, data position, noise generators, history, health monitor)
//! and the session writes one checkpoint file, atomically, holding that state together with the
//! outputs of every phase already completed. A phase that ends hands its outputs to
//! [`Session::complete`]. On resume, completed phases are skipped (their outputs are read back)
//! and the interrupted phase continues from its last checkpoint. Because every random choice
//! of a recipe comes from a generator whose position is saved, the resumed run computes the
//! same numbers as an uninterrupted one: final metrics and model are equal bit for bit.
//!
//! The checkpoint also records the run's resolved configuration; resuming with another
//! configuration is refused. With [`Session::none`] nothing is written (the default of
//! [`crate::RecipeConfig::run`]). The run-status file next to the checkpoint is
//! [`crate::status`]. See `docs/resume.md`.

use std::path::{Path, PathBuf};

use rein::checkpoint::{Checkpoint, StateDict};
use rein_nn::l0::{GateRng, GateRngState};
use rein_nn::{Batcher, BatcherState};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{RecipeError, Result};
use crate::history::History;
use crate::status::RunStatus;

/// Name of the checkpoint file in a run directory.
pub const CHECKPOINT_FILE: &str = "checkpoint.safetensors";

/// Default checkpoint interval of the CLI, in steps.
pub const DEFAULT_EVERY: u64 = 200;

const META_RECIPE: &str = "recipe";
const META_CONFIG: &str = "config";
const META_PHASE: &str = "phase";
const META_STEP: &str = "step";

/// Where a run keeps its checkpoints, and what it resumed from.
#[derive(Debug)]
pub struct Session {
    /// `None`: checkpointing off.
    dir: Option<PathBuf>,
    every: u64,
    recipe: String,
    config: String,
    /// Outputs of completed phases, under `done/<phase>/`.
    done: StateDict,
    /// The interrupted phase's state from the checkpoint resumed from: (phase, step, state).
    live: Option<(String, u64, StateDict)>,
}

impl Session {
    /// No checkpoints: the run keeps nothing on disk.
    pub fn none() -> Self {
        Self {
            dir: None,
            every: 0,
            recipe: String::new(),
            config: String::new(),
            done: StateDict::new(),
            live: None,
        }
    }

    /// A fresh run of `recipe` (resolved configuration `config`, as TOML text) checkpointing
    /// into `dir` every `every` steps (`0`: only at the end of each phase). An existing
    /// checkpoint in `dir` is ignored and replaced by the first save.
    pub fn create(dir: &Path, every: u64, recipe: &str, config: &str) -> Self {
        Self {
            dir: Some(dir.to_path_buf()),
            every,
            recipe: recipe.to_string(),
            config: config.to_string(),
            done: StateDict::new(),
            live: None,
        }
    }

    /// Continues the run in `dir`: reads its checkpoint if there is one (a run killed before
    /// its first checkpoint starts over). The checkpoint must come from the same recipe and
    /// the same resolved configuration.
    ///
    /// # Errors
    /// An unreadable or corrupted checkpoint, or one of another recipe or configuration.
    pub fn resume(dir: &Path, every: u64, recipe: &str, config: &str) -> Result<Self> {
        let mut session = Self::create(dir, every, recipe, config);
        let path = dir.join(CHECKPOINT_FILE);
        if !path.exists() {
            return Ok(session);
        }
        let checkpoint = Checkpoint::load(&path)?;
        let meta = |key: &str| checkpoint.metadata.get(key).cloned().unwrap_or_default();
        let refuse = |reason: String| RecipeError::File {
            path: path.clone(),
            reason,
        };
        if meta(META_RECIPE) != recipe {
            return Err(refuse(format!(
                "a checkpoint of recipe `{}`, not `{recipe}`",
                meta(META_RECIPE)
            )));
        }
        if meta(META_CONFIG) != config {
            return Err(refuse(
                "written with another configuration than the run's config.toml; \
                 start a new run instead of resuming"
                    .into(),
            ));
        }
        let mut live = StateDict::new();
        for key in checkpoint.state.keys() {
            let data = checkpoint.state.get_data(key).cloned().expect("listed key");
            if key.starts_with("done/") {
                session.done.put_data(key, data);
            } else if let Some(rest) = key.strip_prefix("live/") {
                live.put_data(rest, data);
            }
        }
        let phase = meta(META_PHASE);
        if !phase.is_empty() {
            let step = meta(META_STEP)
                .parse()
                .map_err(|_| refuse(format!("bad step `{}` in the metadata", meta(META_STEP))))?;
            session.live = Some((phase, step, live));
        }
        Ok(session)
    }

    /// Whether checkpoints are written.
    pub fn is_active(&self) -> bool {
        self.dir.is_some()
    }

    /// An error if checkpoints were asked of a recipe that cannot write them.
    ///
    /// # Errors
    /// The session is active.
    pub fn refuse(&self, what: &str) -> Result<()> {
        if self.is_active() {
            return Err(RecipeError::config(
                "checkpoints",
                format!("{what} does not checkpoint; run it without a session"),
            ));
        }
        Ok(())
    }

    /// The checkpoint interval in steps (`0`: phase ends only).
    pub fn every(&self) -> u64 {
        self.every
    }

    /// Whether a checkpoint is due after `step` steps of a phase.
    pub fn due(&self, step: u64) -> bool {
        self.is_active() && self.every > 0 && step > 0 && step.is_multiple_of(self.every)
    }

    /// The outputs of `phase` if it completed before the run was resumed.
    pub fn completed(&self, phase: &str) -> Option<Outputs<'_>> {
        let prefix = format!("done/{phase}/");
        self.done
            .contains(&format!("done/{phase}/.complete"))
            .then_some(Outputs {
                dict: &self.done,
                prefix,
            })
    }

    /// The state `phase` was interrupted in, with the number of steps it had done; taken
    /// once (a later call returns `None`).
    pub fn interrupted(&mut self, phase: &str) -> Option<(u64, StateDict)> {
        match &self.live {
            Some((p, _, _)) if p == phase => self.live.take().map(|(_, step, s)| (step, s)),
            _ => None,
        }
    }

    /// Writes a checkpoint: `phase` has done `step` steps and is in `state`.
    ///
    /// # Errors
    /// The checkpoint or the status file could not be written.
    pub fn save(&mut self, phase: &str, step: u64, state: &StateDict) -> Result<()> {
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        let mut checkpoint = self.base();
        for key in state.keys() {
            let data = state.get_data(key).cloned().expect("listed key");
            checkpoint.state.put_data(&format!("live/{key}"), data);
        }
        checkpoint.metadata.insert(META_PHASE.into(), phase.into());
        checkpoint
            .metadata
            .insert(META_STEP.into(), step.to_string());
        checkpoint.save(dir.join(CHECKPOINT_FILE))?;
        RunStatus::running(&self.recipe).at(phase, step).write(&dir)
    }

    /// `phase` ended with `outputs`: they are kept for the rest of the run (and every later
    /// checkpoint), and a checkpoint is written.
    ///
    /// # Errors
    /// The checkpoint or the status file could not be written.
    pub fn complete(&mut self, phase: &str, outputs: &StateDict) -> Result<()> {
        for key in outputs.keys() {
            let data = outputs.get_data(key).cloned().expect("listed key");
            self.done.put_data(&format!("done/{phase}/{key}"), data);
        }
        self.done
            .put_bytes(&format!("done/{phase}/.complete"), &[1]);
        let Some(dir) = self.dir.clone() else {
            return Ok(());
        };
        self.base().save(dir.join(CHECKPOINT_FILE))?;
        RunStatus::running(&self.recipe)
            .at(&format!("{phase} (complete)"), 0)
            .write(&dir)
    }

    fn base(&self) -> Checkpoint {
        let mut checkpoint = Checkpoint::new();
        checkpoint.state = self.done.clone();
        checkpoint
            .metadata
            .insert(META_RECIPE.into(), self.recipe.clone());
        checkpoint
            .metadata
            .insert(META_CONFIG.into(), self.config.clone());
        checkpoint
    }
}

/// The outputs of a completed phase.
pub struct Outputs<'a> {
    dict: &'a StateDict,
    prefix: String,
}

impl Outputs<'_> {
    /// The state dictionary and the full name of `key` in it.
    pub fn name(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
    /// The dictionary the outputs live in (use with [`Outputs::name`]).
    pub fn dict(&self) -> &StateDict {
        self.dict
    }
    /// A serialised value (see [`put_json`]).
    ///
    /// # Errors
    /// Missing or unreadable.
    pub fn json<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        get_json(self.dict, &self.name(key))
    }
    /// `f64` values.
    ///
    /// # Errors
    /// Missing or of another dtype.
    pub fn f64s(&self, key: &str) -> Result<Vec<f64>> {
        Ok(self.dict.get_f64s(&self.name(key))?)
    }
    /// A module saved with `put_module(key, ..)`.
    ///
    /// # Errors
    /// Missing entries or other shapes.
    pub fn module<M: burn::module::Module>(&self, key: &str, model: M) -> Result<M> {
        Ok(self.dict.load_module(&self.name(key), model)?)
    }
}

/// Stores `value` as JSON bytes under `name`. Floats round-trip exactly.
///
/// # Errors
/// `value` does not serialise (non-finite floats are written as `null`).
pub fn put_json<T: Serialize>(dict: &mut StateDict, name: &str, value: &T) -> Result<()> {
    let bytes = serde_json::to_vec(value).map_err(|e| state_error(name, e))?;
    dict.put_bytes(name, &bytes);
    Ok(())
}

/// Reads a value stored with [`put_json`].
///
/// # Errors
/// Missing or not the expected JSON.
pub fn get_json<T: DeserializeOwned>(dict: &StateDict, name: &str) -> Result<T> {
    let bytes = dict.get_bytes(name)?;
    serde_json::from_slice(&bytes).map_err(|e| state_error(name, e))
}

fn state_error(name: &str, e: impl std::fmt::Display) -> RecipeError {
    RecipeError::Rein(rein::ReinError::State {
        name: name.to_string(),
        reason: e.to_string(),
    })
}

/// Stores a history (as its CSV text: every float in its shortest exact form).
pub fn put_history(dict: &mut StateDict, name: &str, history: &History) {
    dict.put_bytes(name, history.to_csv().as_bytes());
}

/// Reads a history stored with [`put_history`].
///
/// # Errors
/// Missing or unreadable.
pub fn get_history(dict: &StateDict, name: &str) -> Result<History> {
    let bytes = dict.get_bytes(name)?;
    let text = String::from_utf8(bytes).map_err(|e| state_error(name, e))?;
    History::from_csv(&text).map_err(|e| state_error(name, e))
}

/// Stores a batcher's position.
pub fn put_batcher(dict: &mut StateDict, name: &str, batcher: &Batcher) {
    let s = batcher.state();
    dict.put_u64s(
        name,
        &[s.n, s.batch_size, s.seed, s.epoch, s.cursor, s.drop_last],
    );
}

/// Restores a batcher's position stored with [`put_batcher`].
///
/// # Errors
/// Missing, malformed, or for another data size or batch size.
pub fn get_batcher(dict: &StateDict, name: &str) -> Result<Batcher> {
    let v = dict.get_u64s(name)?;
    let [n, batch_size, seed, epoch, cursor, drop_last] = v[..] else {
        return Err(state_error(name, format!("{} values, expected 6", v.len())));
    };
    Ok(Batcher::from_state(BatcherState {
        n,
        batch_size,
        seed,
        epoch,
        cursor,
        drop_last,
    })?)
}

/// Stores a gate-noise generator's position.
pub fn put_gate_rng(dict: &mut StateDict, name: &str, rng: &GateRng) {
    let s = rng.state();
    dict.put_u64s(
        name,
        &[
            s.seed,
            s.stream,
            s.word_pos as u64,
            (s.word_pos >> 64) as u64,
        ],
    );
}

/// Restores a gate-noise generator stored with [`put_gate_rng`].
///
/// # Errors
/// Missing or malformed.
pub fn get_gate_rng(dict: &StateDict, name: &str) -> Result<GateRng> {
    let v = dict.get_u64s(name)?;
    let [seed, stream, lo, hi] = v[..] else {
        return Err(state_error(name, format!("{} values, expected 4", v.len())));
    };
    Ok(GateRng::from_state(GateRngState {
        seed,
        stream,
        word_pos: u128::from(lo) | (u128::from(hi) << 64),
    }))
}
