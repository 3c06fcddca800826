//! The dual side of the game: the registered constraints with their multipliers, penalty
//! coefficients and dual optimizers. Everything here is host arithmetic on `f64` vectors;
//! the one tensor expression is the primal Lagrangian.

use burn::tensor::{Tensor, TensorData};

use crate::checkpoint::{StateDict, Stateful};
use crate::constraint::{ConstraintKind, Constraints};
use crate::dual::DualOptimizer;
use crate::error::{ReinError, Result};
use crate::evaluation::{Evaluation, Observed};
use crate::formulation::primal_coefficients;
use crate::multiplier::ImplicitModel;
use crate::multiplier::store::project;
use crate::report::{ConstraintReport, KktResiduals};

/// Constraints plus the default dual optimizer (used by constraints without their own).
#[derive(Debug, Clone)]
pub struct DualSide {
    pub(crate) constraints: Constraints,
    pub(crate) default: Box<dyn DualOptimizer>,
}

/// Multipliers saved before an extragradient extrapolation: values at observed entries only,
/// and whole implicit models (their parameters are the multipliers).
#[derive(Debug, Default)]
pub(crate) struct SavedMultipliers {
    values: Vec<(usize, Vec<(usize, f64)>)>,
    models: Vec<(usize, Box<dyn ImplicitModel>)>,
}

impl DualSide {
    /// Takes the constraints and allocates dual-optimizer state for each multiplier.
    pub fn new(mut constraints: Constraints, default: Box<dyn DualOptimizer>) -> Result<Self> {
        for e in &mut constraints.entries {
            let dual = e
                .config
                .dual_optimizer
                .clone()
                .unwrap_or_else(|| default.clone());
            dual.validate_for(&e.config.name, e.config.size)?;
            if let Some(m) = &mut e.multiplier {
                m.attach(dual.as_ref());
            }
        }
        Ok(Self {
            constraints,
            default,
        })
    }

    /// The primal Lagrangian `L_P = f + sum over primal-contributing constraints of their
    /// formulation's term`, with the current multipliers (stop-gradient: they are constants).
    pub(crate) fn primal_lagrangian(&self, ev: &Evaluation) -> Result<Tensor<1>> {
        let mut total = ev.loss.clone();
        for o in &ev.observed {
            let (true, Some(v)) = (o.primal, &o.violation) else {
                continue;
            };
            let e = &self.constraints.entries[o.entry];
            let lambda = self.observed_multipliers(o, &o.indices);
            let c = e.penalty.as_ref().map(|p| p.gather(&o.indices));
            let co = primal_coefficients(
                e.config.formulation,
                e.config.kind,
                &o.violation_values,
                lambda.as_deref(),
                c.as_deref(),
            );
            let m = o.indices.len();
            let constant = |values: Vec<f64>| {
                Tensor::<1>::from_data(
                    TensorData::new(values, [m]).convert_dtype(v.dtype()),
                    &v.device(),
                )
            };
            let mut term = (v.clone() * constant(co.linear)).sum();
            if let Some(b) = co.quadratic
                && b.iter().any(|x| *x != 0.0)
            {
                term = term + (v.clone() * v.clone() * constant(b)).sum().mul_scalar(0.5);
            }
            if co.constant != 0.0 {
                term = term.add_scalar(co.constant);
            }
            total = Some(match total {
                Some(t) => t + term,
                None => term,
            });
        }
        total.ok_or(ReinError::EmptyLagrangian)
    }

    /// One projected ascent step of every observed multiplier with the strict violations of
    /// `ev`. With `finalize`, also applies dual restarts and penalty updates (skipped for an
    /// extragradient extrapolation).
    pub(crate) fn dual_step(&mut self, ev: &Evaluation, finalize: bool) -> Result<()> {
        let default = self.default.as_ref();
        for o in ev.observed.iter().filter(|o| o.dual) {
            let e = &mut self.constraints.entries[o.entry];
            // Borrowed, never cloned: per-entry gains may hold O(size) data.
            let dual: &dyn DualOptimizer = e.config.dual_optimizer.as_deref().unwrap_or(default);
            let kind = e.config.kind;
            let restarts = finalize && e.config.dual_restarts && kind == ConstraintKind::Inequality;
            if let Some(m) = &mut e.multiplier {
                for (&i, &s) in o.strict_indices.iter().zip(&o.strict_values) {
                    m.ascend(dual, kind, i, s);
                    if restarts && s < 0.0 {
                        m.restart(i);
                    }
                }
            }
            if let (Some(model), Some(features)) = (&mut e.implicit, &o.features) {
                model.ascend(features, &o.strict_values)?;
            }
            if finalize && let Some(p) = &mut e.penalty {
                p.update(kind, &o.strict_values, &o.strict_indices);
            }
        }
        Ok(())
    }

    /// Multipliers of an observation at `indices` (dense/indexed), or of its feature rows
    /// (implicit; `indices` are then row positions).
    fn observed_multipliers(&self, o: &Observed, indices: &[usize]) -> Option<Vec<f64>> {
        let e = &self.constraints.entries[o.entry];
        if let (Some(model), Some(features)) = (&e.implicit, &o.features) {
            let all = model.multipliers(features, e.config.kind);
            return Some(indices.iter().map(|&i| all[i]).collect());
        }
        e.multiplier.as_ref().map(|m| m.gather(indices))
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

    /// Saves the multipliers at the entries `ev` will update.
    pub(crate) fn save_observed(&self, ev: &Evaluation) -> SavedMultipliers {
        let dual = || ev.observed.iter().filter(|o| o.dual);
        let models = dual()
            .filter_map(|o| Some((o.entry, self.constraints.entries[o.entry].implicit.clone()?)))
            .collect();
        let values = dual()
            .filter_map(|o| {
                let m = self.constraints.entries[o.entry].multiplier.as_ref()?;
                Some((
                    o.entry,
                    o.strict_indices.iter().map(|&i| (i, m.values[i])).collect(),
                ))
            })
            .collect();
        SavedMultipliers { values, models }
    }

    /// Restores multipliers saved by [`DualSide::save_observed`] (optimizer state is kept:
    /// it advances on both extragradient calls).
    /// Implicit models are restored whole (parameters and their optimizer's state).
    pub(crate) fn restore_observed(&mut self, saved: &SavedMultipliers) {
        for (entry, model) in &saved.models {
            self.constraints.entries[*entry].implicit = Some(model.clone());
        }
        for (entry, values) in &saved.values {
            if let Some(m) = &mut self.constraints.entries[*entry].multiplier {
                for &(i, v) in values {
                    m.values[i] = v;
                }
            }
        }
    }

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

impl Stateful for DualSide {
    /// Saves, per constraint `name`: `name/multipliers`, `name/dual_state` (entry-major, shape
    /// `[size, slots]`) and `name/penalty`.
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        for e in &self.constraints.entries {
            let base = format!("{prefix}/{}", e.config.name);
            if let Some(m) = &e.multiplier {
                out.put_f64s(&format!("{base}/multipliers"), &m.values);
                if m.slots > 0 {
                    out.put_data(
                        &format!("{base}/dual_state"),
                        TensorData::new(m.state.clone(), [m.values.len(), m.slots]),
                    );
                }
            }
            if let Some(p) = &e.penalty {
                out.put_f64s(&format!("{base}/penalty"), p.values());
            }
            if let Some(model) = &e.implicit {
                model.save(&format!("{base}/implicit"), out)?;
            }
        }
        Ok(())
    }

    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        // Read and check everything before mutating anything.
        let mut staged = Vec::new();
        for (k, e) in self.constraints.entries.iter().enumerate() {
            let base = format!("{prefix}/{}", e.config.name);
            let check = |name: &str, got: usize, expected: usize| {
                if got == expected {
                    Ok(())
                } else {
                    Err(ReinError::State {
                        name: name.to_string(),
                        reason: format!("length {got}, constraint expects {expected}"),
                    })
                }
            };
            let mult = match &e.multiplier {
                Some(m) => {
                    let name = format!("{base}/multipliers");
                    let values = dict.get_f64s(&name)?;
                    check(&name, values.len(), m.values.len())?;
                    let state = if m.slots > 0 {
                        let name = format!("{base}/dual_state");
                        let d = dict.get_data(&name).ok_or_else(|| ReinError::State {
                            name: name.clone(),
                            reason: "missing from the checkpoint".into(),
                        })?;
                        let s = d.try_to_vec::<f64>().map_err(|e| ReinError::State {
                            name: name.clone(),
                            reason: format!("{e:?}"),
                        })?;
                        check(&name, s.len(), m.state.len())?;
                        s
                    } else {
                        Vec::new()
                    };
                    Some((values, state))
                }
                None => None,
            };
            let pen = match &e.penalty {
                Some(p) => {
                    let name = format!("{base}/penalty");
                    let v = dict.get_f64s(&name)?;
                    check(&name, v.len(), p.values().len())?;
                    Some(v)
                }
                None => None,
            };
            let implicit = match &e.implicit {
                Some(model) => {
                    let mut model = model.clone();
                    model.load(&format!("{base}/implicit"), dict)?;
                    Some(model)
                }
                None => None,
            };
            staged.push((k, mult, pen, implicit));
        }
        for (k, mult, pen, implicit) in staged {
            let e = &mut self.constraints.entries[k];
            if implicit.is_some() {
                e.implicit = implicit;
            }
            if let (Some(m), Some((values, state))) = (&mut e.multiplier, mult) {
                m.values = values;
                m.state = state;
            }
            if let (Some(p), Some(v)) = (&mut e.penalty, pen) {
                *p.values_mut() = v;
            }
        }
        Ok(())
    }
}

/// Projects every multiplier of `constraints` (used after manual edits).
pub fn project_all(constraints: &mut Constraints) {
    for e in &mut constraints.entries {
        let kind = e.config.kind;
        if let Some(m) = &mut e.multiplier {
            for v in &mut m.values {
                *v = project(kind, *v);
            }
        }
    }
}
