//! Formulations: how a constraint enters the primal and dual Lagrangians.
//!
//! Notation (docs/core.md): `g^`, `h^` differentiable violations, `g`, `h` strict ones,
//! `sg()` stop-gradient, `lambda`/`mu` the multipliers at the observed entries, `c` the penalty
//! coefficient.
//!
//! | formulation | primal Lagrangian `L_P` (minimised over x) | dual Lagrangian `L_D` |
//! |---|---|---|
//! | Lagrangian | `f + sg(lambda).g^ + sg(mu).h^` | `lambda.sg(g) + mu.sg(h)` |
//! | QuadraticPenalty | `f + 1/2 sum c_i relu(g^_i)^2 + 1/2 sum c_j h^_j^2` | none |
//! | AugmentedLagrangian | `f + sum_i 1/(2c_i) [relu(sg(lambda_i) + c_i g^_i)^2 - sg(lambda_i)^2] + sg(mu).h^ + 1/2 sum c_j h^_j^2` | `lambda.sg(g) + mu.sg(h)` |
//!
//! Every formulation is reduced, on the host, to per-entry coefficients `(a_k, b_k)` and a
//! constant so that the constraint's primal term is
//! `sum_k a_k g^_k + 1/2 sum_k b_k g^_k^2 + const` — a single, backend-independent tensor
//! expression whose gradient is `sum_k (a_k + b_k g^_k) grad g^_k`, i.e. exactly
//! `w_k = lambda_k` (Lagrangian), `c relu(g^)` / `c h^` (penalty) and `relu(lambda + c g^)` /
//! `mu + c h^` (augmented).
//!
//! Differences from the reference library (Cooper), on purpose:
//! * the augmented inequality term has the correct limit `lambda g^` as `c -> 0` (no NaN): where
//!   `c_k = 0` the term is the plain Lagrangian one;
//! * the augmented dual step is not rescaled by `c`: the dual learning rate is the user's.

use crate::constraint::ConstraintKind;

/// How a constraint enters the Lagrangian. Chosen per constraint; a problem may mix them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Formulation {
    /// `L_P = f + sg(lambda).g^`, `L_D = lambda.sg(g)`. Needs a multiplier.
    Lagrangian,
    /// `L_P = f + 1/2 sum c relu(g^)^2` (inequalities) or `1/2 sum c h^2` (equalities); no dual.
    QuadraticPenalty,
    /// The augmented Lagrangian (Bertsekas 1982; Nocedal & Wright ch. 17). Needs both a
    /// multiplier and a penalty coefficient. See [`crate::Constraint::damped_lagrangian`].
    AugmentedLagrangian,
}

impl Formulation {
    /// Whether the formulation has a multiplier (and hence a dual update).
    pub fn has_multiplier(self) -> bool {
        !matches!(self, Formulation::QuadraticPenalty)
    }

    /// Whether the formulation needs a penalty coefficient.
    pub fn needs_penalty(self) -> bool {
        !matches!(self, Formulation::Lagrangian)
    }
}

/// Host-side coefficients of one constraint's primal term: `sum a.g^ + 1/2 sum b.g^^2 + constant`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PrimalCoefficients {
    pub linear: Vec<f64>,
    pub quadratic: Option<Vec<f64>>,
    pub constant: f64,
}

/// Computes the primal coefficients of one observed constraint.
///
/// * `g`: the differentiable violation's values at the observed entries;
/// * `lambda`: multiplier values at those entries (if the formulation has one);
/// * `c`: penalty coefficients at those entries (if it has one).
pub(crate) fn primal_coefficients(
    formulation: Formulation,
    kind: ConstraintKind,
    g: &[f64],
    lambda: Option<&[f64]>,
    c: Option<&[f64]>,
) -> PrimalCoefficients {
    let m = g.len();
    let zeros = || vec![0.0; m];
    match formulation {
        Formulation::Lagrangian => PrimalCoefficients {
            linear: lambda.map_or_else(zeros, <[f64]>::to_vec),
            quadratic: None,
            constant: 0.0,
        },
        Formulation::QuadraticPenalty => {
            let c = c.expect("validated: quadratic penalty has a coefficient");
            let b = match kind {
                ConstraintKind::Inequality => g
                    .iter()
                    .zip(c)
                    .map(|(gi, ci)| if *gi > 0.0 { *ci } else { 0.0 })
                    .collect(),
                ConstraintKind::Equality => c.to_vec(),
            };
            PrimalCoefficients {
                linear: zeros(),
                quadratic: Some(b),
                constant: 0.0,
            }
        }
        Formulation::AugmentedLagrangian => {
            let lambda = lambda.expect("validated: augmented Lagrangian has a multiplier");
            let c = c.expect("validated: augmented Lagrangian has a coefficient");
            match kind {
                ConstraintKind::Equality => PrimalCoefficients {
                    linear: lambda.to_vec(),
                    quadratic: Some(c.to_vec()),
                    constant: 0.0,
                },
                ConstraintKind::Inequality => {
                    // 1/(2c)[relu(l + c g)^2 - l^2] = l g + c/2 g^2   where l + c g > 0,
                    //                               = -l^2 / (2c)      elsewhere (constant in x),
                    // and -> l g as c -> 0 (the Lagrangian term; no 0/0).
                    let mut a = Vec::with_capacity(m);
                    let mut b = Vec::with_capacity(m);
                    let mut constant = 0.0;
                    for k in 0..m {
                        let (l, ck, gk) = (lambda[k], c[k], g[k]);
                        if ck == 0.0 {
                            a.push(l);
                            b.push(0.0);
                        } else if l + ck * gk > 0.0 {
                            a.push(l);
                            b.push(ck);
                        } else {
                            a.push(0.0);
                            b.push(0.0);
                            constant -= l * l / (2.0 * ck);
                        }
                    }
                    PrimalCoefficients {
                        linear: a,
                        quadratic: Some(b),
                        constant,
                    }
                }
            }
        }
    }
}

#[cfg(test)]
impl PrimalCoefficients {
    /// Value of the term at `g` (host arithmetic; used by tests and reports).
    pub(crate) fn value(&self, g: &[f64]) -> f64 {
        let lin: f64 = self.linear.iter().zip(g).map(|(a, x)| a * x).sum();
        let quad: f64 = self
            .quadratic
            .as_ref()
            .map_or(0.0, |b| b.iter().zip(g).map(|(b, x)| 0.5 * b * x * x).sum());
        lin + quad + self.constant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn al_reference(l: f64, c: f64, g: f64) -> f64 {
        ((l + c * g).max(0.0).powi(2) - l * l) / (2.0 * c)
    }

    #[test]
    fn augmented_inequality_matches_the_defining_formula() {
        for &(l, c, g) in &[
            (0.5, 2.0, 0.3),
            (0.5, 2.0, -1.0),
            (0.0, 1.0, 0.2),
            (3.0, 0.1, -50.0),
        ] {
            let co = primal_coefficients(
                Formulation::AugmentedLagrangian,
                ConstraintKind::Inequality,
                &[g],
                Some(&[l]),
                Some(&[c]),
            );
            assert!((co.value(&[g]) - al_reference(l, c, g)).abs() < 1e-12);
        }
    }

    #[test]
    fn augmented_inequality_has_the_lagrangian_limit_at_zero_coefficient() {
        let co = primal_coefficients(
            Formulation::AugmentedLagrangian,
            ConstraintKind::Inequality,
            &[0.7, -0.2],
            Some(&[2.0, 0.0]),
            Some(&[0.0, 0.0]),
        );
        assert_eq!(co.value(&[0.7, -0.2]), 2.0 * 0.7);
        assert!(co.linear.iter().all(|x| x.is_finite()));
        // and continuity: tiny c gives nearly the same value
        let tiny = primal_coefficients(
            Formulation::AugmentedLagrangian,
            ConstraintKind::Inequality,
            &[0.7],
            Some(&[2.0]),
            Some(&[1e-12]),
        );
        assert!((tiny.value(&[0.7]) - 1.4).abs() < 1e-9);
    }

    #[test]
    fn quadratic_penalty_ignores_satisfied_inequalities() {
        let co = primal_coefficients(
            Formulation::QuadraticPenalty,
            ConstraintKind::Inequality,
            &[-1.0, 2.0],
            None,
            Some(&[4.0, 4.0]),
        );
        assert_eq!(co.value(&[-1.0, 2.0]), 0.5 * 4.0 * 4.0);
    }
}
