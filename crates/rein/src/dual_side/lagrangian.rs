//! The primal Lagrangian: the one tensor expression of the dual side.

use burn::tensor::{Tensor, TensorData};

use super::DualSide;
use crate::error::{ReinError, Result};
use crate::evaluation::{Evaluation, Observed};
use crate::formulation::primal_coefficients;

impl DualSide {
    /// The primal Lagrangian `L_P = f + sum over primal-contributing constraints of their
    /// formulation's term`, with the current multipliers (stop-gradient: they are constants).
    ///
    /// Each term is reduced on the host to `sum_k a_k g^_k + 1/2 sum_k b_k g^_k^2 + const`
    /// ([`crate::Formulation`]), so every formulation is one expression and one backward pass.
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

    /// Multipliers of an observation at `indices` (dense/indexed), or of its feature rows
    /// (implicit; `indices` are then row positions).
    pub(crate) fn observed_multipliers(&self, o: &Observed, indices: &[usize]) -> Option<Vec<f64>> {
        let e = &self.constraints.entries[o.entry];
        e.multiplier
            .as_ref()
            .map(|m| m.observed(o, indices, e.config.kind))
    }
}
