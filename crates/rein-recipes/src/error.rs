//! The one error type of the recipes.

use std::path::PathBuf;

/// Everything a recipe can fail with. Messages name the configuration key, the file or the
/// constraint; lower-level errors are carried whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecipeError {
    /// A configuration value is invalid or a key is unknown.
    #[error("invalid configuration `{key}`: {reason}")]
    Config {
        /// The dotted key (`optimizer.primal.lr`, `target`).
        key: String,
        /// What is wrong and what is allowed.
        reason: String,
    },
    /// A configuration or experiment file could not be read or parsed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The compute device could not be opened.
    #[error("device: {0}")]
    Device(String),
    /// Training stopped: the core library reported an error (it names the constraint, the
    /// parameter or the value).
    #[error(transparent)]
    Rein(#[from] rein::ReinError),
    /// A data set could not be loaded.
    #[error(transparent)]
    Data(#[from] rein_nn::DataError),
    /// A GAIT quantity got a bad argument (e.g. a generator produced non-finite points).
    #[error(transparent)]
    Gait(#[from] rein_nn::gait::GaitError),
    /// The compressed-image codec failed.
    #[error(transparent)]
    Coin(#[from] rein_coin::CoinError),
    /// A mesh could not be read or has unusable geometry (EMAN).
    #[error(transparent)]
    Mesh(#[from] rein_nn::mesh::MeshError),
    /// A zero-sum matrix game could not be solved (GANGs).
    #[error(transparent)]
    Game(#[from] crate::gangs::matrix_game::GameError),
}

/// Result alias of the recipes.
pub type Result<T, E = RecipeError> = std::result::Result<T, E>;

impl RecipeError {
    /// A configuration error at `key`.
    pub fn config(key: impl Into<String>, reason: impl Into<String>) -> Self {
        RecipeError::Config {
            key: key.into(),
            reason: reason.into(),
        }
    }

    /// Moves a configuration error of the core library under `prefix` (`optimizer`).
    pub fn from_rein_under(prefix: &str, e: rein::ReinError) -> Self {
        match e {
            rein::ReinError::InvalidConfig { key, reason } => RecipeError::Config {
                key: format!("{prefix}.{key}"),
                reason,
            },
            other => RecipeError::Rein(other),
        }
    }
}

/// Checks `cond`, else a configuration error at `key`.
pub(crate) fn ensure(cond: bool, key: &str, reason: impl FnOnce() -> String) -> Result<()> {
    if cond {
        Ok(())
    } else {
        Err(RecipeError::config(key, reason()))
    }
}
