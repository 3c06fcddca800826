//! The dual step (projected ascent, restarts) and the penalty-coefficient updates.

use super::DualSide;
use crate::constraint::ConstraintKind;
use crate::error::{ReinError, Result};
use crate::evaluation::Evaluation;

impl DualSide {
    /// One projected ascent step of every observed multiplier with the strict violations of
    /// `ev`. With `finalize`, also applies dual restarts and penalty updates (skipped for an
    /// extragradient extrapolation).
    pub(crate) fn dual_step(&mut self, ev: &Evaluation, finalize: bool) -> Result<()> {
        for o in ev.observed.iter().filter(|o| o.dual) {
            let e = &mut self.constraints.entries[o.entry];
            let kind = e.config.kind;
            let restarts = finalize && e.config.dual_restarts && kind == ConstraintKind::Inequality;
            if let Some(m) = &mut e.multiplier {
                m.ascend(o, kind, restarts).map_err(|err| match err {
                    ReinError::InvalidConstraint { reason, .. } => ReinError::InvalidConstraint {
                        constraint: e.config.name.clone(),
                        reason,
                    },
                    other => other,
                })?;
            }
            if finalize && let Some(p) = &mut e.penalty {
                p.update(kind, &o.strict_values, &o.strict_indices);
            }
        }
        Ok(())
    }

    /// Penalty updates only (schemes without a dual step, e.g. quadratic penalty).
    pub(crate) fn penalty_step(&mut self, ev: &Evaluation) {
        for o in ev.observed.iter().filter(|o| o.dual) {
            let e = &mut self.constraints.entries[o.entry];
            if let Some(p) = &mut e.penalty {
                p.update(e.config.kind, &o.strict_values, &o.strict_indices);
            }
        }
    }
}
