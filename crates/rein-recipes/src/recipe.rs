//! What every recipe provides, and reading a recipe's configuration from TOML with the
//! recipe's own defaults at every level.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{RecipeError, Result};
use crate::progress::Progress;
use crate::session::Session;

/// Whether a run met what it was asked for: its constraints, its target. Every outcome says
/// it, so no command reports a missed target as a success.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Verdict {
    /// The constraints (or the claim the recipe checks) were met.
    pub met: bool,
    /// One line saying what was checked and how it came out.
    pub summary: String,
}

/// A recipe's configuration: serde with [`Default`] (the recipe's defaults), validated, and
/// runnable. `run` is deterministic given the configuration: a run's resolved configuration
/// reproduces it bit for bit on the same build and device.
pub trait RecipeConfig:
    Clone + std::fmt::Debug + PartialEq + Default + Serialize + DeserializeOwned
{
    /// The name in experiment files (`recipe = "sparsity"`).
    const NAME: &'static str;
    /// What a run returns (serialised to `metrics.json`).
    type Outcome: Serialize + std::fmt::Debug;
    /// Whether [`RecipeConfig::run_in`] writes checkpoints (a recipe that does not refuses an
    /// active session; a resumed run of it starts over).
    const CHECKPOINTS: bool = true;

    /// Checks every value; errors name the key.
    fn validate(&self) -> Result<()>;

    /// The defaults a configuration given as `table` is completed with (see [`from_table`]):
    /// [`Default`], unless the recipe has tested settings for a choice the table makes (the
    /// sparsity recipe's learning rates per primal optimizer).
    fn defaults_for(_table: &toml::Table) -> Self {
        Self::default()
    }

    /// The configuration with every default written out (recorded as the run's
    /// `config.toml`).
    fn resolved(&self) -> Self {
        self.clone()
    }

    /// Runs the recipe, keeping nothing on disk.
    fn run(&self, progress: &mut dyn Progress) -> Result<Self::Outcome> {
        self.run_in(&mut Session::none(), progress)
    }

    /// Runs the recipe, checkpointing into `session` and continuing from its checkpoint when
    /// it resumes a killed run (see [`crate::session`]): the outcome is the same, bit for bit,
    /// as an uninterrupted run's.
    fn run_in(&self, session: &mut Session, progress: &mut dyn Progress) -> Result<Self::Outcome>;

    /// Whether an outcome met the run's constraints or target.
    fn verdict(&self, outcome: &Self::Outcome) -> Verdict;
}

/// `config` as a TOML table.
pub fn to_table<C: RecipeConfig>(config: &C) -> Result<toml::Table> {
    toml::Table::try_from(config).map_err(|e| RecipeError::config(C::NAME, e.to_string()))
}

/// Merges `over` into `base`: tables recursively, any other value replaced.
pub(crate) fn merge(base: &mut toml::Table, over: &toml::Table) {
    for (k, v) in over {
        match (base.get_mut(k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            _ => {
                base.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Reads a configuration from `table`, every key optional: the recipe's defaults
/// ([`RecipeConfig::defaults_for`]) fill what is missing at every level (so `[optimizer.primal] lr = 0.01` keeps the recipe's scheme
/// and parameter groups). Unknown keys and bad values are errors naming the dotted key.
pub fn from_table<C: RecipeConfig>(table: &toml::Table) -> Result<C> {
    let mut merged = to_table(&C::defaults_for(table))?;
    merge(&mut merged, table);
    let config: C = merged.try_into().map_err(|e: toml::de::Error| {
        let message = e.to_string();
        let mut lines = message.lines();
        let reason = lines.next().unwrap_or_default().to_string();
        let table = lines
            .find_map(|l| l.strip_prefix("in `").and_then(|l| l.strip_suffix('`')))
            .map(str::to_string);
        let field = reason.split('`').nth(1).map(str::to_string);
        let key = match (table, field, reason.starts_with("unknown field")) {
            (Some(t), Some(f), true) => format!("{t}.{f}"),
            (None, Some(f), true) => f,
            (Some(t), _, _) => t,
            (None, _, _) => C::NAME.to_string(),
        };
        RecipeError::config(key, reason)
    })?;
    config.validate()?;
    Ok(config)
}

/// Reads a configuration from TOML text (see [`from_table`]).
pub fn from_toml_str<C: RecipeConfig>(text: &str) -> Result<C> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| RecipeError::config(C::NAME, e.to_string()))?;
    from_table(&table)
}
