//! The per-constraint part of a step report and the KKT residuals.

use super::DualSide;
use crate::constraint::ConstraintKind;
use crate::evaluation::Evaluation;
use crate::report::{ConstraintReport, KktResiduals};

impl DualSide {
    /// Per-constraint report and KKT residuals of an evaluation, with the current multipliers.
    pub(crate) fn report(&self, ev: &Evaluation) -> (Vec<ConstraintReport>, KktResiduals) {
        let mut kkt = KktResiduals::default();
        let mut out = Vec::with_capacity(ev.observed.len());
        for o in &ev.observed {
            let e = &self.constraints.entries[o.entry];
            let kind = e.config.kind;
            let multipliers = self
                .observed_multipliers(o, &o.strict_indices)
                .unwrap_or_default();
            for (k, &s) in o.strict_values.iter().enumerate() {
                let infeasibility = match kind {
                    ConstraintKind::Inequality => s.max(0.0),
                    ConstraintKind::Equality => s.abs(),
                };
                kkt.max_violation = kkt.max_violation.max(infeasibility);
                if kind == ConstraintKind::Inequality
                    && let Some(l) = multipliers.get(k)
                {
                    kkt.complementary_slackness = kkt.complementary_slackness.max((l * s).abs());
                }
            }
            out.push(ConstraintReport {
                name: e.config.name.clone(),
                kind,
                indices: o.indices.clone(),
                violation: o.violation_values.clone(),
                strict_indices: o.strict_indices.clone(),
                strict_violation: o.strict_values.clone(),
                multipliers,
                penalty: e
                    .penalty
                    .as_ref()
                    .map(|p| p.gather(&o.strict_indices))
                    .unwrap_or_default(),
            });
        }
        (out, kkt)
    }
}
