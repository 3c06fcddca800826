//! Grafting (Agarwal et al. 2020; Shi et al. 2023 §2.2): Shampoo takes its direction from the
//! Kronecker preconditioner and its per-block step size from a simpler "grafted" optimizer.
//!
//! With `g` the gradient, `m` the (beta1-filtered, bias-corrected) gradient, `A` an element-wise
//! accumulator and `t` the step:
//!
//! ```text
//! None     P_graft = m                                    (identity; no rescaling after start)
//! SGD      P_graft = m
//! AdaGrad  A <- A + g^2;                  P_graft = m / (sqrt(A) + eps)
//! RMSprop  A <- b2 A + (1 - b2) g^2;      P_graft = m / (sqrt(A) + eps)
//! Adam     A <- b2 A + (1 - b2) g^2;      P_graft = m / (sqrt(A / (1 - b2^t)) + eps)
//! ```
//!
//! After `start`, the Shampoo direction of each block is rescaled to the grafting norm:
//! `P <- P ||P_graft||_F / ||P||_F`; before `start`, `P_graft` is the step.

use crate::error::{Result, ensure_hparam};

/// The grafted optimizer of [`Shampoo`](super::Shampoo) (default AdaGrad with `eps = 1e-10`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grafting {
    /// No grafting: the Shampoo direction is used unscaled (before `start`, the filtered
    /// gradient, i.e. SGD).
    None,
    /// SGD: `P_graft = m`.
    Sgd,
    /// AdaGrad: `A <- A + g^2`, `P_graft = m / (sqrt(A) + eps)`.
    #[serde(rename = "adagrad")]
    AdaGrad {
        /// Denominator epsilon.
        eps: f64,
    },
    /// RMSprop: `A <- b2 A + (1 - b2) g^2`, `P_graft = m / (sqrt(A) + eps)`.
    #[serde(rename = "rmsprop")]
    RmsProp {
        /// Second-moment decay.
        beta2: f64,
        /// Denominator epsilon.
        eps: f64,
    },
    /// Adam: RMSprop's accumulator with bias correction, `P_graft = m / (sqrt(A / (1 - b2^t)) + eps)`.
    Adam {
        /// Second-moment decay.
        beta2: f64,
        /// Denominator epsilon.
        eps: f64,
    },
}

impl Default for Grafting {
    fn default() -> Self {
        Grafting::AdaGrad { eps: 1e-10 }
    }
}

impl Grafting {
    pub(crate) fn validate(self) -> Result<()> {
        match self {
            Grafting::None | Grafting::Sgd => Ok(()),
            Grafting::AdaGrad { eps } => ensure_eps(eps),
            Grafting::RmsProp { beta2, eps } | Grafting::Adam { beta2, eps } => {
                ensure_hparam(
                    (0.0..1.0).contains(&beta2),
                    "grafting.beta2",
                    beta2,
                    "must be in [0, 1)",
                )?;
                ensure_eps(eps)
            }
        }
    }

    /// Updates the accumulator `acc` with the gradient `g` (step `t >= 1`) and returns
    /// `P_graft` for the filtered gradient `m`.
    pub(crate) fn direction(self, acc: &mut Vec<f64>, g: &[f64], m: &[f64], t: u64) -> Vec<f64> {
        let (decay, eps, correction) = match self {
            Grafting::None | Grafting::Sgd => return m.to_vec(),
            Grafting::AdaGrad { eps } => (None, eps, 1.0),
            Grafting::RmsProp { beta2, eps } => (Some(beta2), eps, 1.0),
            Grafting::Adam { beta2, eps } => (Some(beta2), eps, 1.0 - beta2.powi(t as i32)),
        };
        if acc.len() != g.len() {
            *acc = vec![0.0; g.len()];
        }
        for (a, &gi) in acc.iter_mut().zip(g) {
            let g2 = gi * gi;
            *a = match decay {
                None => *a + g2,
                Some(b2) => *a * b2 + g2 * (1.0 - b2),
            };
        }
        let scaled = correction != 1.0;
        acc.iter()
            .zip(m)
            .map(|(&a, &mi)| {
                let a = if scaled { a / correction } else { a };
                mi / (a.sqrt() + eps)
            })
            .collect()
    }
}

fn ensure_eps(eps: f64) -> Result<()> {
    ensure_hparam(
        eps > 0.0 && eps.is_finite(),
        "grafting.eps",
        eps,
        "must be finite and > 0",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accumulators_follow_their_equations() {
        let g = [3.0, -4.0];
        let m = [1.0, 1.0];
        let mut acc = Vec::new();
        let p = Grafting::AdaGrad { eps: 0.0 }.direction(&mut acc, &g, &m, 1);
        assert_eq!(p, vec![1.0 / 3.0, 1.0 / 4.0]);
        let p = Grafting::AdaGrad { eps: 0.0 }.direction(&mut acc, &g, &m, 2);
        assert_eq!(acc, vec![18.0, 32.0]);
        assert_eq!(p, vec![1.0 / 18f64.sqrt(), 1.0 / 32f64.sqrt()]);
        let mut acc = Vec::new();
        let rms = Grafting::RmsProp {
            beta2: 0.5,
            eps: 0.0,
        };
        let p = rms.direction(&mut acc, &g, &m, 1);
        assert_eq!(p, vec![1.0 / 4.5f64.sqrt(), 1.0 / 8f64.sqrt()]);
        let mut acc = Vec::new();
        let adam = Grafting::Adam {
            beta2: 0.5,
            eps: 0.0,
        };
        // Bias correction makes the first Adam step m / |g|.
        let p = adam.direction(&mut acc, &g, &m, 1);
        assert_eq!(p, vec![1.0 / 3.0, 1.0 / 4.0]);
        assert_eq!(Grafting::Sgd.direction(&mut acc, &g, &m, 1), m.to_vec());
    }

    #[test]
    fn invalid_grafting_parameters_name_the_field() {
        for bad in [
            Grafting::AdaGrad { eps: 0.0 },
            Grafting::Adam {
                beta2: 1.0,
                eps: 1e-8,
            },
        ] {
            let e = bad.validate().unwrap_err().to_string();
            assert!(e.contains("grafting."), "{e}");
        }
        assert!(Grafting::default().validate().is_ok());
    }
}
