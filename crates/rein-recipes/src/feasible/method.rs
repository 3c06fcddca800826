//! Which training method a Feasible Learning run uses: Feasible Learning, its resilient
//! relaxation, or one of the paper's unconstrained baselines (Ramirez et al. 2025, "Feasible
//! Learning", AISTATS; docs/feasible.md).

use serde::{Deserialize, Serialize};

/// The training method.
///
/// ```text
/// fl     find x  s.t. CE_i(x) <= eps for every i;  lambda_i <- max(0, lambda_i + eta (CE_i - eps))
/// rfl    min_u 1/(2w) ||u||^2  s.t. CE_i(x) <= eps + u_i;
///        lambda_i <- max(0, lambda_i + eta (CE_i - eps - w lambda_i)),   u* = w lambda
/// erm    min_x mean_i CE_i(x)
/// cserm  min_x mean_i [CE_i(x) - eps]_+^2
/// ```
///
/// `fl` and `rfl` use the configured scheme (alternating dual-primal by default) and one
/// indexed multiplier per training sample; `erm` and `cserm` take primal steps only, with the
/// same primal optimizer, batches and number of steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Feasible Learning: one constraint `CE_i <= eps` per training sample.
    #[default]
    Fl,
    /// Resilient Feasible Learning: Feasible Learning with a quadratic cost `1/(2w) u_i^2` on a
    /// relaxation `u_i` of each constraint, i.e. dual SGD with decoupled decay `w` (the
    /// recipe's `rfl_decay`).
    Rfl,
    /// Empirical risk minimisation: the mean cross-entropy over the batch.
    Erm,
    /// Clamped-squared ERM: the mean of `[CE_i - eps]_+^2` over the batch.
    Cserm,
}

impl Method {
    /// The configuration name (`"fl"`).
    pub fn name(self) -> &'static str {
        match self {
            Method::Fl => "fl",
            Method::Rfl => "rfl",
            Method::Erm => "erm",
            Method::Cserm => "cserm",
        }
    }

    /// Whether the method has the per-sample constraints and multipliers (`fl`, `rfl`).
    pub fn is_constrained(self) -> bool {
        matches!(self, Method::Fl | Method::Rfl)
    }
}
