//! Run-time configuration of the optimizer side: one serde structure for the scheme, the
//! primal optimizer (with parameter groups, projections and a schedule), the dual optimizer
//! (with a schedule) and per-constraint settings (formulation, penalty and its updater, dual
//! restarts, a dual optimizer of its own). [`OptimizerConfig::build`] returns a ready
//! [`Scheme`] — no `match` at the call site.
//!
//! In TOML (every key optional; unknown keys and bad values are errors naming the key):
//!
//! ```toml
//! scheme = "alternating-dual-primal"   # unconstrained | simultaneous | alternating-dual-primal
//!                                      # | alternating-primal-dual | extragradient
//! [primal]
//! kind = "adam"                        # sgd | adam | adamw | shampoo
//! lr = 1e-3
//! schedule = { kind = "warmup", steps = 100, then = { kind = "cosine", steps = 3900 } }
//! groups = [{ name = "gates", params = ["*log_alpha"], lr = 1e-2 }]
//! clamp = [{ params = ["*log_alpha"], min = -4.6, max = 4.6 }]
//!
//! [dual]
//! kind = "sgd"                         # sgd | adam | nupi
//! lr = 0.5
//!
//! [constraints.density]                # settings of the constraint called `density`
//! formulation = "augmented-lagrangian" # lagrangian | quadratic-penalty | augmented-lagrangian
//! penalty = 1.0
//! penalty_updater = { kind = "multiplicative", gamma = 1.01 }
//! dual_restarts = true
//! dual = { kind = "nupi", lr = 0.1, kappa_p = 1.0, kappa_i = 1.0, nu = 0.0 }
//! ```
//!
//! ```
//! use rein::config::OptimizerConfig;
//! use rein::{ConstrainedOptimizer, Constraint};
//!
//! let config = OptimizerConfig::from_toml_str(r#"
//!     scheme = "extragradient"
//!     primal = { kind = "sgd", lr = 0.1 }
//!     dual = { kind = "adam", lr = 0.01 }
//! "#)?;
//! let opt = config.build([Constraint::inequality("c", 1)])?; // a Scheme<Box<dyn PrimalOptimizer>>
//! assert_eq!(opt.constraints().len(), 1);
//! assert!(OptimizerConfig::from_toml_str("primal = { kind = \"adam\", lr = -1.0 }").is_err());
//! # Ok::<(), rein::ReinError>(())
//! ```

mod constraint;
mod dual;
mod primal;

pub use constraint::{ConstraintConfig, PenaltyUpdaterConfig};
pub use dual::{DualConfig, DualKind};
pub use primal::{ClampConfig, GroupConfig, PrimalConfig, PrimalKind};

use std::collections::BTreeMap;

use crate::constraint::{Constraint, Constraints};
use crate::error::{ReinError, Result};
use crate::optim::PrimalOptimizer;
use crate::scheme::{Scheme, SchemeKind};

/// The whole optimizer side of a run; see the [module docs](self).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OptimizerConfig {
    /// The update scheme.
    pub scheme: SchemeKind,
    /// The primal optimizer.
    pub primal: PrimalConfig,
    /// The default dual optimizer (ignored, and may be absent, for the unconstrained scheme).
    pub dual: DualConfig,
    /// Settings of individual constraints, by name.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub constraints: BTreeMap<String, ConstraintConfig>,
}

impl Default for OptimizerConfig {
    /// Alternating dual-primal, Adam (lr 1e-3), dual SGD (lr 1e-2).
    fn default() -> Self {
        Self {
            scheme: SchemeKind::AlternatingDualPrimal,
            primal: PrimalConfig::default(),
            dual: DualConfig::default(),
            constraints: BTreeMap::new(),
        }
    }
}

/// Prefixes the key of a configuration error (`lr` -> `primal.lr`); other errors pass.
pub(crate) fn keyed(prefix: &str, e: ReinError) -> ReinError {
    match e {
        ReinError::InvalidConfig { key, reason } => ReinError::InvalidConfig {
            key: format!("{prefix}.{key}"),
            reason,
        },
        ReinError::InvalidHyperParameter {
            field,
            value,
            reason,
        } => ReinError::InvalidConfig {
            key: format!("{prefix}.{field}"),
            reason: format!("{value}: {reason}"),
        },
        other => other,
    }
}

impl OptimizerConfig {
    /// Parses a TOML document; unknown keys are errors naming them, with their line.
    pub fn from_toml_str(text: &str) -> Result<Self> {
        let config: Self = toml::from_str(text).map_err(|e| ReinError::InvalidConfig {
            key: e
                .message()
                .split('`')
                .nth(1)
                .unwrap_or("optimizer")
                .to_string(),
            reason: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value; errors name the key from the configuration's root.
    pub fn validate(&self) -> Result<()> {
        self.primal.validate().map_err(|e| keyed("primal", e))?;
        if self.scheme.has_dual_step() {
            self.dual.validate().map_err(|e| keyed("dual", e))?;
        }
        for (name, c) in &self.constraints {
            c.validate()
                .map_err(|e| keyed(&format!("constraints.{name}"), e))?;
        }
        Ok(())
    }

    /// The configuration with every default written out (what a run records as resolved).
    pub fn resolved(&self) -> Self {
        Self {
            scheme: self.scheme,
            primal: self.primal.resolved(),
            dual: self.dual.resolved(),
            constraints: self
                .constraints
                .iter()
                .map(|(k, v)| (k.clone(), v.resolved()))
                .collect(),
        }
    }

    /// Applies the per-constraint settings to `constraints` and registers them; a setting
    /// for a name that is not among them is an error listing the names there are.
    pub fn configure(
        &self,
        constraints: impl IntoIterator<Item = Constraint>,
    ) -> Result<Constraints> {
        let constraints: Vec<Constraint> = constraints.into_iter().collect();
        for name in self.constraints.keys() {
            if !constraints.iter().any(|c| c.name() == name) {
                let known: Vec<&str> = constraints.iter().map(Constraint::name).collect();
                return Err(ReinError::InvalidConfig {
                    key: format!("constraints.{name}"),
                    reason: format!("no constraint `{name}` in this problem (it has: {known:?})"),
                });
            }
        }
        let mut out = Constraints::new();
        for c in constraints {
            let c = match self.constraints.get(c.name()) {
                Some(cfg) => {
                    let name = c.name().to_string();
                    cfg.apply(c)
                        .map_err(|e| keyed(&format!("constraints.{name}"), e))?
                }
                None => c,
            };
            out.push(c)?;
        }
        Ok(out)
    }

    /// Builds the primal optimizer (groups, projections; its schedule is set by
    /// [`OptimizerConfig::build_with`]).
    pub fn build_primal(&self) -> Result<Box<dyn PrimalOptimizer>> {
        self.primal.build().map_err(|e| keyed("primal", e))
    }

    /// Builds the scheme on `constraints` (with the per-constraint settings applied).
    pub fn build(
        &self,
        constraints: impl IntoIterator<Item = Constraint>,
    ) -> Result<Scheme<Box<dyn PrimalOptimizer>>> {
        let primal = self.build_primal()?;
        self.build_with(primal, constraints)
    }

    /// Builds the scheme around an already built primal optimizer (e.g. the configured one
    /// wrapped for data parallelism).
    pub fn build_with<O: PrimalOptimizer>(
        &self,
        primal: O,
        constraints: impl IntoIterator<Item = Constraint>,
    ) -> Result<Scheme<O>> {
        self.validate()?;
        let constraints = self.configure(constraints)?;
        let dual = if self.scheme.has_dual_step() {
            Some(self.dual.build().map_err(|e| keyed("dual", e))?)
        } else {
            None
        };
        let mut scheme = self.scheme.build(primal, dual, constraints)?;
        if let Some(s) = &self.primal.schedule {
            scheme = scheme
                .with_primal_schedule(s.clone())
                .map_err(|e| keyed("primal", e))?;
        }
        if self.scheme.has_dual_step()
            && let Some(s) = &self.dual.schedule
        {
            scheme = scheme
                .with_dual_schedule(s.clone())
                .map_err(|e| keyed("dual", e))?;
        }
        Ok(scheme)
    }
}
