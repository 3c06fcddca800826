//! The dual side of the game: the registered constraints with their multipliers, penalty
//! coefficients and dual optimizers. Everything here is host arithmetic on `f64` vectors;
//! the one tensor expression is the primal Lagrangian.
//!
//! One job per file: [`lagrangian`] builds the primal Lagrangian, [`ascent`] takes the dual
//! and penalty steps, [`extrapolation`] saves and restores multipliers around an
//! extragradient extrapolation, [`report`] summarises a step, [`state`] saves and loads.

mod ascent;
mod extrapolation;
mod lagrangian;
mod report;
mod state;

use crate::constraint::Constraints;
use crate::dual::DualOptimizer;
use crate::error::Result;

/// Constraints plus the default dual optimizer (used by constraints without their own; none
/// for the unconstrained scheme, whose multipliers stay fixed).
#[derive(Debug, Clone)]
pub struct DualSide {
    pub(crate) constraints: Constraints,
    pub(crate) default: Option<Box<dyn DualOptimizer>>,
}

impl DualSide {
    /// Takes the constraints and gives every multiplier without its own dual optimizer a copy
    /// of `default`, with zeroed per-entry state.
    pub fn new(
        mut constraints: Constraints,
        default: Option<Box<dyn DualOptimizer>>,
    ) -> Result<Self> {
        if let Some(default) = &default {
            for e in &mut constraints.entries {
                if let Some(m) = &mut e.multiplier {
                    if m.dual_optimizer().is_none() {
                        default.validate_for(&e.config.name, e.config.size)?;
                    }
                    m.attach_default(default.as_ref());
                }
            }
        }
        Ok(Self {
            constraints,
            default,
        })
    }

    /// Scales every dual learning rate (each multiplier's optimizer, implicit models'
    /// optimizers) relative to its configured value.
    pub(crate) fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        for e in &mut self.constraints.entries {
            if let Some(m) = &mut e.multiplier {
                m.set_lr_scale(scale)?;
            }
        }
        Ok(())
    }

    /// The default dual optimizer's learning rate (reports), if there is one.
    pub(crate) fn learning_rate(&self) -> Option<f64> {
        self.constraints
            .entries
            .iter()
            .filter_map(|e| e.multiplier.as_ref()?.dual_optimizer())
            .map(|d| d.learning_rate())
            .next()
            .or_else(|| self.default.as_ref().map(|d| d.learning_rate()))
    }
}

/// Projects every multiplier of `constraints` (used after manual edits).
pub fn project_all(constraints: &mut Constraints) {
    for e in &mut constraints.entries {
        let kind = e.config.kind;
        if let Some(m) = &mut e.multiplier {
            m.project_all(kind);
        }
    }
}
