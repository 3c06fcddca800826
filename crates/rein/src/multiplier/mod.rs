//! Lagrange multipliers: dense and indexed, as plain host vectors; implicit, as a model.
//!
//! The dual update of dense and indexed multipliers needs no autodiff: the gradient of the dual
//! Lagrangian `lambda.sg(g)` with respect to `lambda` is the detached strict violation `g`. So
//! multipliers (and their dual-optimizer state) are `f64` vectors on the host: exact,
//! backend-independent, and O(observed) per step for indexed multipliers.
//!
//! A dense multiplier is simply an indexed one that observes every entry each step: both go
//! through the same code, so the same dual optimizer gives the same trajectory either way.
//!
//! [`Multiplier`] is the one type a registered constraint holds: its values and their
//! dual-optimizer state (dense, indexed), or its model (implicit).

mod implicit;
mod lagrange;
pub(crate) mod store;

pub use implicit::{ImplicitModel, ImplicitMultiplier, LinearMultiplier, MultiplierNet};
pub use lagrange::Multiplier;
pub(crate) use lagrange::SavedValues;
pub use store::MultiplierStore;

/// How the entries of a constraint group are observed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MultiplierKind {
    /// One value per constraint; every step observes all of them (violation of length `size`).
    Dense,
    /// `size` values (e.g. one per training sample); each step observes the entries named by the
    /// constraint state's `indices`. Unobserved entries are neither updated nor decayed.
    Indexed,
    /// A model of constraint features (see [`ImplicitMultiplier`]); each step observes the rows
    /// of the constraint state's `features`.
    Implicit,
}
