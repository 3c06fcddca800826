//! Configuration of one constraint's formulation, penalty and multiplier settings.

use crate::constraint::Constraint;
use crate::error::{ReinError, Result};
use crate::formulation::Formulation;
use crate::penalty::{PenaltyCoefficient, PenaltyUpdater};

use super::{DualConfig, keyed};

/// A penalty-coefficient updater in a configuration: see [`PenaltyUpdater`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum PenaltyUpdaterConfig {
    /// `c <- gamma c` where the violation exceeds `tol`.
    Multiplicative {
        /// Growth factor (>= 1; default 1.01).
        #[serde(default = "default_gamma")]
        gamma: f64,
        /// Tolerance (default 1e-4).
        #[serde(default = "default_tol")]
        tol: f64,
        /// Reset to the initial value where an inequality is satisfied.
        #[serde(default)]
        restart: bool,
    },
    /// `c <- c + delta` where the violation exceeds `tol`.
    Additive {
        /// Increment (>= 0; default 1).
        #[serde(default = "default_delta")]
        delta: f64,
        /// Tolerance (default 1e-4).
        #[serde(default = "default_tol")]
        tol: f64,
        /// Reset to the initial value where an inequality is satisfied.
        #[serde(default)]
        restart: bool,
    },
}

fn default_gamma() -> f64 {
    1.01
}
fn default_delta() -> f64 {
    1.0
}
fn default_tol() -> f64 {
    1e-4
}

impl PenaltyUpdaterConfig {
    fn updater(&self) -> PenaltyUpdater {
        match *self {
            PenaltyUpdaterConfig::Multiplicative {
                gamma,
                tol,
                restart,
            } => PenaltyUpdater::multiplicative(gamma)
                .tol(tol)
                .restart(restart),
            PenaltyUpdaterConfig::Additive {
                delta,
                tol,
                restart,
            } => PenaltyUpdater::additive(delta).tol(tol).restart(restart),
        }
    }
}

/// Settings of one constraint, applied over what the problem registers: every key is optional
/// and overrides the problem's choice.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConstraintConfig {
    /// The formulation (`"lagrangian"`, `"quadratic-penalty"`, `"augmented-lagrangian"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub formulation: Option<Formulation>,
    /// Scalar penalty coefficient (quadratic penalty, augmented Lagrangian).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty: Option<f64>,
    /// How the penalty coefficient grows (default: constant).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub penalty_updater: Option<PenaltyUpdaterConfig>,
    /// Dual restarts (inequalities: reset a strictly satisfied entry's multiplier to 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dual_restarts: Option<bool>,
    /// A dual optimizer of this constraint's own (its schedule is the scheme's dual one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dual: Option<DualConfig>,
}

impl ConstraintConfig {
    /// Checks the values; errors name the key.
    pub fn validate(&self) -> Result<()> {
        if let Some(c) = self.penalty
            && !(c.is_finite() && c >= 0.0)
        {
            return Err(ReinError::InvalidConfig {
                key: "penalty".into(),
                reason: format!("{c}: must be finite and >= 0"),
            });
        }
        if self.penalty_updater.is_some() && self.penalty.is_none() {
            return Err(ReinError::InvalidConfig {
                key: "penalty_updater".into(),
                reason: "an updater needs a `penalty` coefficient to update".into(),
            });
        }
        if let Some(d) = &self.dual {
            if d.schedule.is_some() {
                return Err(ReinError::InvalidConfig {
                    key: "dual.schedule".into(),
                    reason: "a constraint's dual optimizer follows the scheme's dual schedule"
                        .into(),
                });
            }
            d.validate().map_err(|e| keyed("dual", e))?;
        }
        Ok(())
    }

    /// The configuration with the defaults of its parts written out.
    pub fn resolved(&self) -> Self {
        let mut r = self.clone();
        r.dual = r.dual.map(|d| d.resolved());
        r
    }

    /// `constraint` with these settings applied.
    pub fn apply(&self, mut c: Constraint) -> Result<Constraint> {
        self.validate()?;
        if let Some(f) = self.formulation {
            c = c.formulation(f);
        }
        if let Some(p) = self.penalty {
            let mut coefficient = PenaltyCoefficient::scalar(p);
            if let Some(u) = &self.penalty_updater {
                coefficient = coefficient.updater(u.updater());
            }
            c = c.penalty(coefficient);
        }
        if let Some(r) = self.dual_restarts {
            c = c.dual_restarts(r);
        }
        if let Some(d) = &self.dual {
            c.multiplier.dual = Some(d.build().map_err(|e| keyed("dual", e))?);
        }
        Ok(c)
    }
}
