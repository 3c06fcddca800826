//! The Lagrange multiplier of one registered constraint.

use burn::tensor::TensorData;

use super::store::project;
use super::{ImplicitModel, MultiplierStore};
use crate::checkpoint::StateDict;
use crate::constraint::ConstraintKind;
use crate::dual::DualOptimizer;
use crate::error::{ReinError, Result};
use crate::evaluation::Observed;

/// The multiplier of one registered constraint group, with everything that evolves with it:
/// dense or indexed values and their dual optimizer with its per-entry state, or an implicit
/// model (whose parameters are the multipliers) with its own optimizer.
///
/// Inequality multipliers are projected onto `lambda >= 0` after every dual step (implicit:
/// `max(model(phi), 0)` is the multiplier).
#[derive(Debug, Clone)]
pub struct Multiplier {
    inner: Inner,
}

#[derive(Debug, Clone)]
enum Inner {
    Explicit {
        store: MultiplierStore,
        /// The constraint's own dual optimizer, else the scheme's default once attached.
        dual: Option<Box<dyn DualOptimizer>>,
        /// The dual optimizer's learning rate before any schedule.
        base_lr: f64,
    },
    Implicit(Box<dyn ImplicitModel>),
}

/// Multipliers saved before an extragradient extrapolation.
#[derive(Debug)]
pub(crate) enum SavedValues {
    /// Values at the observed entries.
    Values(Vec<(usize, f64)>),
    /// The whole model (its parameters are the multipliers).
    Model(Box<dyn ImplicitModel>),
}

/// A multiplier's state read from a checkpoint and checked, not yet applied.
#[derive(Debug)]
pub(crate) enum StagedMultiplier {
    Values { values: Vec<f64>, state: Vec<f64> },
    Model(Box<dyn ImplicitModel>),
}

impl Multiplier {
    /// Dense or indexed values (validated by the caller), moved by `dual` if given, else by the
    /// scheme's default dual optimizer.
    pub(crate) fn explicit(values: Vec<f64>, dual: Option<Box<dyn DualOptimizer>>) -> Self {
        let mut store = MultiplierStore::new(values);
        let base_lr = dual.as_ref().map_or(0.0, |d| d.learning_rate());
        if let Some(d) = &dual {
            store.attach(d.as_ref());
        }
        Self {
            inner: Inner::Explicit {
                store,
                dual,
                base_lr,
            },
        }
    }

    /// An implicit multiplier.
    pub(crate) fn implicit(model: Box<dyn ImplicitModel>) -> Self {
        Self {
            inner: Inner::Implicit(model),
        }
    }

    /// All values (length `size`) of a dense or indexed multiplier.
    pub fn values(&self) -> Option<&[f64]> {
        match &self.inner {
            Inner::Explicit { store, .. } => Some(store.values()),
            Inner::Implicit(_) => None,
        }
    }

    /// Mutable values (warm starts). Projection is not applied here (see
    /// [`crate::project_all`]).
    pub fn values_mut(&mut self) -> Option<&mut [f64]> {
        match &mut self.inner {
            Inner::Explicit { store, .. } => Some(store.values.as_mut_slice()),
            Inner::Implicit(_) => None,
        }
    }

    /// The per-entry dual-optimizer state, entry-major (dense and indexed).
    pub fn dual_state(&self) -> Option<&[f64]> {
        match &self.inner {
            Inner::Explicit { store, .. } => Some(store.state()),
            Inner::Implicit(_) => None,
        }
    }

    /// The dual optimizer that moves the values (dense and indexed, once attached).
    pub fn dual_optimizer(&self) -> Option<&dyn DualOptimizer> {
        match &self.inner {
            Inner::Explicit { dual, .. } => dual.as_deref(),
            Inner::Implicit(_) => None,
        }
    }

    /// The model of an implicit multiplier.
    pub fn implicit_model(&self) -> Option<&dyn ImplicitModel> {
        match &self.inner {
            Inner::Explicit { .. } => None,
            Inner::Implicit(m) => Some(m.as_ref()),
        }
    }

    /// Gives a multiplier without its own dual optimizer a copy of `default`, and allocates
    /// the optimizer's per-entry state (kept if it already fits).
    pub(crate) fn attach_default(&mut self, default: &dyn DualOptimizer) {
        if let Inner::Explicit {
            store,
            dual,
            base_lr,
        } = &mut self.inner
        {
            let d = dual.get_or_insert_with(|| default.box_clone());
            *base_lr = d.learning_rate();
            store.attach(d.as_ref());
        }
    }

    /// Sets the dual learning rate to `scale` times its base value (schedules).
    pub(crate) fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        match &mut self.inner {
            Inner::Explicit {
                dual: Some(d),
                base_lr,
                ..
            } => d.set_learning_rate(*base_lr * scale),
            Inner::Explicit { dual: None, .. } => Ok(()),
            Inner::Implicit(m) => m.set_lr_scale(scale),
        }
    }

    /// The multipliers of observation `o` at `indices` (dense/indexed: entries; implicit: rows
    /// of `o`'s features), projected for inequalities.
    pub(crate) fn observed(
        &self,
        o: &Observed,
        indices: &[usize],
        kind: ConstraintKind,
    ) -> Vec<f64> {
        match &self.inner {
            Inner::Explicit { store, .. } => store.gather(indices),
            Inner::Implicit(model) => match &o.features {
                Some(features) => {
                    let all = model.multipliers(features, kind);
                    indices.iter().map(|&i| all[i]).collect()
                }
                None => Vec::new(),
            },
        }
    }

    /// One projected ascent step with `o`'s strict violations; with `restarts`, entries whose
    /// strict violation is `< 0` are reset to 0 with their optimizer state cleared.
    pub(crate) fn ascend(
        &mut self,
        o: &Observed,
        kind: ConstraintKind,
        restarts: bool,
    ) -> Result<()> {
        match &mut self.inner {
            Inner::Explicit {
                store,
                dual: Some(dual),
                ..
            } => {
                for (&i, &s) in o.strict_indices.iter().zip(&o.strict_values) {
                    store.ascend(dual.as_ref(), kind, i, s);
                    if restarts && s < 0.0 {
                        store.restart(i);
                    }
                }
                Ok(())
            }
            Inner::Explicit { dual: None, .. } => Err(ReinError::InvalidConstraint {
                constraint: String::new(),
                reason: "a dual step on a multiplier without a dual optimizer (the \
                         Unconstrained scheme keeps multipliers fixed)"
                    .into(),
            }),
            Inner::Implicit(model) => match &o.features {
                Some(features) => model.ascend(features, &o.strict_values),
                None => Ok(()),
            },
        }
    }

    /// Saves what an ascent with `o` will change.
    pub(crate) fn save_observed(&self, o: &Observed) -> SavedValues {
        match &self.inner {
            Inner::Explicit { store, .. } => SavedValues::Values(
                o.strict_indices
                    .iter()
                    .map(|&i| (i, store.values[i]))
                    .collect(),
            ),
            Inner::Implicit(model) => SavedValues::Model(model.clone()),
        }
    }

    /// Restores what [`Multiplier::save_observed`] saved (dual-optimizer state is kept: it
    /// advances on both extragradient calls; an implicit model is restored whole).
    pub(crate) fn restore(&mut self, saved: &SavedValues) {
        match (&mut self.inner, saved) {
            (Inner::Explicit { store, .. }, SavedValues::Values(values)) => {
                for &(i, v) in values {
                    store.values[i] = v;
                }
            }
            (Inner::Implicit(model), SavedValues::Model(m)) => *model = m.clone(),
            _ => {}
        }
    }

    /// Projects every value onto the multiplier's domain.
    pub(crate) fn project_all(&mut self, kind: ConstraintKind) {
        if let Inner::Explicit { store, .. } = &mut self.inner {
            for v in &mut store.values {
                *v = project(kind, *v);
            }
        }
    }

    /// Saves under `base`: `multipliers` and `dual_state` (`[size, slots]`), or the implicit
    /// model under `implicit/`.
    pub(crate) fn save_state(&self, base: &str, out: &mut StateDict) -> Result<()> {
        match &self.inner {
            Inner::Explicit { store, .. } => {
                out.put_f64s(&format!("{base}/multipliers"), &store.values);
                if store.slots > 0 {
                    out.put_data(
                        &format!("{base}/dual_state"),
                        TensorData::new(store.state.clone(), [store.values.len(), store.slots]),
                    );
                }
                Ok(())
            }
            Inner::Implicit(model) => model.save(&format!("{base}/implicit"), out),
        }
    }

    /// Reads and checks what [`Multiplier::save_state`] wrote, without changing anything.
    pub(crate) fn stage_load(&self, base: &str, dict: &StateDict) -> Result<StagedMultiplier> {
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
        match &self.inner {
            Inner::Explicit { store, .. } => {
                let name = format!("{base}/multipliers");
                let values = dict.get_f64s(&name)?;
                check(&name, values.len(), store.values.len())?;
                let state = if store.slots > 0 {
                    let name = format!("{base}/dual_state");
                    let d = dict.get_data(&name).ok_or_else(|| ReinError::State {
                        name: name.clone(),
                        reason: "missing from the checkpoint".into(),
                    })?;
                    let s = d.try_to_vec::<f64>().map_err(|e| ReinError::State {
                        name: name.clone(),
                        reason: format!("{e:?}"),
                    })?;
                    check(&name, s.len(), store.state.len())?;
                    s
                } else {
                    Vec::new()
                };
                Ok(StagedMultiplier::Values { values, state })
            }
            Inner::Implicit(model) => {
                let mut model = model.clone();
                model.load(&format!("{base}/implicit"), dict)?;
                Ok(StagedMultiplier::Model(model))
            }
        }
    }

    /// Applies a staged load.
    pub(crate) fn apply(&mut self, staged: StagedMultiplier) {
        match (&mut self.inner, staged) {
            (Inner::Explicit { store, .. }, StagedMultiplier::Values { values, state }) => {
                store.values = values;
                store.state = state;
            }
            (Inner::Implicit(model), StagedMultiplier::Model(m)) => *model = m,
            _ => {}
        }
    }
}
