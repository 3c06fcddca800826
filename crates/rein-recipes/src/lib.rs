//! # rein-recipes — the published methods of rein as library calls
//!
//! One module per method. Each has a `Config` (serde, [`Default`] = the paper's recipe,
//! validated: a bad value is an error naming its key), a `run(&config, progress)` returning a
//! serialisable outcome, and the problem it solves (a [`rein::Cmp`]) for users who want to
//! write their own loop:
//!
//! | module | method |
//! |---|---|
//! | [`sparsity`] | controlled sparsity with L0 gates (Gallego-Posada et al. 2022), MLP or LeNet-5, with penalty and dense baselines |
//! | [`l0onie`] | L0onie: COIN image compression under a bits-per-pixel budget (Ramirez & Gallego-Posada 2022), with the COIN baseline |
//! | [`recall`] | a recall floor on one class (proxy constraints, Cotter et al. 2019) |
//! | [`feasible`] | Feasible Learning: one constraint per training sample (Ramirez et al. 2025) |
//! | [`fairness`] | Balancing Act: a bound on every group's excess accuracy loss after pruning (Hashemizadeh et al. 2024), with NFT and EL baselines |
//! | [`gait`] | GAIT divergence as a loss: 2-D generators against MMD, digit barycenters (Gallego-Posada et al. 2020) |
//!
//! Every configuration reads from TOML with the recipe's defaults at every level
//! ([`recipe::from_table`]); [`experiment`] reads the experiment files of `rein run` and expands
//! sweeps. A run's resolved configuration reproduces it bit for bit.
//!
//! ```no_run
//! use rein_recipes::{RecipeConfig, Silent, recipe::from_toml_str, sparsity::SparsityConfig};
//! let config: SparsityConfig = from_toml_str("target = 0.3\nsteps = 500")?;
//! let outcome = config.run(&mut Silent)?;
//! assert!(config.verdict(&outcome).met);
//! # Ok::<(), rein_recipes::RecipeError>(())
//! ```

pub mod data;
pub mod device;
pub mod eman;
pub mod error;
pub mod eval;
pub mod experiment;
pub mod fairness;
pub mod feasible;
pub mod gait;
pub mod gangs;
pub mod history;
pub mod l0onie;
pub mod progress;
pub mod recall;
pub mod recipe;
pub mod session;
pub mod sparsity;
pub mod status;

pub use error::{RecipeError, Result};
pub use history::History;
pub use progress::{Progress, Silent};
pub use recipe::{RecipeConfig, Verdict};
pub use session::Session;
pub use status::{RunState, RunStatus};
