//! Validation of a [`CmpState`] against the registered constraints, and the host copies of
//! the values the dual side needs.

use std::collections::{BTreeMap, HashSet};

use burn::tensor::Tensor;

use crate::constraint::Constraints;
use crate::error::{ReinError, Result};
use crate::multiplier::MultiplierKind;
use crate::problem::CmpState;

/// One validated observation of a constraint group.
#[derive(Debug, Clone)]
pub(crate) struct Observed {
    /// Position in the constraint set.
    pub entry: usize,
    /// Differentiable violation (absent for strict-only states).
    pub violation: Option<Tensor<1>>,
    /// Host copy of the violation.
    pub violation_values: Vec<f64>,
    /// Observed entries of the violation.
    pub indices: Vec<usize>,
    /// Strict violation (equals the violation when not given).
    pub strict_values: Vec<f64>,
    /// Observed entries of the strict violation.
    pub strict_indices: Vec<usize>,
    pub primal: bool,
    pub dual: bool,
    /// Features of the observed constraints (implicit multipliers only).
    pub features: Option<Tensor<2>>,
}

/// A validated evaluation.
#[derive(Debug, Clone)]
pub(crate) struct Evaluation {
    pub loss: Option<Tensor<1>>,
    pub loss_value: Option<f64>,
    pub observed: Vec<Observed>,
    pub misc: BTreeMap<String, f64>,
}

fn check_finite(constraint: &str, which: &'static str, values: &[f64]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(entry) => Err(ReinError::NonFinite {
            constraint: constraint.to_string(),
            which,
            entry,
            value: values[entry],
        }),
    }
}

fn check_indices(constraint: &str, indices: &[usize], size: usize) -> Result<()> {
    let mut seen = HashSet::with_capacity(indices.len());
    for &i in indices {
        if i >= size {
            return Err(ReinError::IndexOutOfRange {
                constraint: constraint.to_string(),
                index: i,
                size,
            });
        }
        if !seen.insert(i) {
            return Err(ReinError::DuplicateIndex {
                constraint: constraint.to_string(),
                index: i,
            });
        }
    }
    Ok(())
}

pub(crate) fn host_values(t: &Tensor<1>) -> Vec<f64> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .expect("converted to f64")
}

/// Validates `state` and reads the host values the dual side needs. Every inconsistency is an
/// error naming the constraint.
pub(crate) fn evaluate(state: CmpState, constraints: &Constraints) -> Result<Evaluation> {
    let CmpState {
        loss,
        observed,
        misc,
    } = state;
    let loss_value = match &loss {
        Some(l) => {
            let v = host_values(l);
            if v.len() != 1 {
                return Err(ReinError::ShapeMismatch {
                    constraint: "loss".into(),
                    what: "loss tensor length",
                    expected: 1,
                    got: v.len(),
                });
            }
            check_finite("loss", "loss", &v)?;
            Some(v[0])
        }
        None => None,
    };
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(observed.len());
    for (name, st) in observed {
        let entry = constraints.position(&name)?;
        if !seen.insert(entry) {
            return Err(ReinError::InvalidConstraintState {
                constraint: name,
                reason: "observed twice in one CMP state".into(),
            });
        }
        let c = &constraints.entries[entry].config;
        let bad = |reason: &str| ReinError::InvalidConstraintState {
            constraint: name.clone(),
            reason: reason.to_string(),
        };
        if st.strict_indices.is_some() && st.strict_violation.is_none() {
            return Err(bad("strict_indices given without a strict_violation"));
        }
        if st.primal_requires_violation() && st.violation.is_none() {
            return Err(bad(
                "contributes_to_primal needs a differentiable violation",
            ));
        }
        let violation_values = match &st.violation {
            Some(v) => {
                let vals = host_values(v);
                check_finite(&name, "violation", &vals)?;
                vals
            }
            None => Vec::new(),
        };
        let indexed = c.multiplier.kind == MultiplierKind::Indexed;
        // Implicit multipliers: the observed constraints are the rows of `features`.
        let (size, features) = if c.multiplier.kind == MultiplierKind::Implicit {
            if st.indices.is_some() || st.strict_indices.is_some() {
                return Err(bad(
                    "an implicit multiplier identifies constraints by `features`, not indices",
                ));
            }
            let f = st.features.clone().ok_or_else(|| {
                bad("an implicit multiplier needs `features` (one row per observed constraint)")
            })?;
            (f.dims()[0], Some(f))
        } else {
            if st.features.is_some() {
                return Err(bad(
                    "features are only used by implicit multipliers; declare it with `.implicit(..)`",
                ));
            }
            (c.size, None)
        };
        let indices = match (&st.indices, indexed) {
            (Some(ix), true) => {
                check_indices(&name, ix, c.size)?;
                ix.clone()
            }
            (None, true) if st.violation.is_some() => {
                return Err(bad(
                    "an indexed constraint needs `indices` for its violation",
                ));
            }
            (None, _) => (0..size).collect(),
            (Some(_), false) => {
                return Err(bad(
                    "indices given for a dense constraint; declare it with `.indexed()`",
                ));
            }
        };
        if st.violation.is_some() && violation_values.len() != indices.len() {
            return Err(ReinError::ShapeMismatch {
                constraint: name,
                what: if indexed {
                    "violation length vs indices"
                } else {
                    "violation length vs constraint size (or feature rows)"
                },
                expected: indices.len(),
                got: violation_values.len(),
            });
        }
        let (strict_values, strict_indices) = match &st.strict_violation {
            Some(s) => {
                check_finite(&name, "strict_violation", s)?;
                let ix = match (&st.strict_indices, indexed) {
                    (Some(ix), true) => {
                        check_indices(&name, ix, c.size)?;
                        ix.clone()
                    }
                    (Some(_), false) => {
                        return Err(bad("strict_indices given for a dense constraint"));
                    }
                    (None, true) => match &st.indices {
                        Some(_) => indices.clone(),
                        None => return Err(bad("an indexed strict violation needs indices")),
                    },
                    (None, false) => (0..size).collect(),
                };
                if s.len() != ix.len() {
                    return Err(ReinError::ShapeMismatch {
                        constraint: name,
                        what: "strict violation length",
                        expected: ix.len(),
                        got: s.len(),
                    });
                }
                (s.clone(), ix)
            }
            None => (violation_values.clone(), indices.clone()),
        };
        out.push(Observed {
            entry,
            violation: st.violation,
            violation_values,
            indices,
            strict_values,
            strict_indices,
            primal: st.contributes_to_primal,
            dual: st.contributes_to_dual,
            features,
        });
    }
    Ok(Evaluation {
        loss,
        loss_value,
        observed: out,
        misc,
    })
}
