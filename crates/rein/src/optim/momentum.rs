//! Momentum, shared by the primal optimizers: one rule, on device tensors ([`super::Sgd`]) and
//! on host vectors ([`super::Shampoo`]'s directions).

use burn::tensor::Tensor;

use super::slots::Slot;
use crate::error::{Result, ensure_hparam};

/// Momentum of a primal optimizer (PyTorch semantics):
///
/// ```text
/// buf <- d                 (first step)
/// buf <- mu buf + d        (later steps)
/// dir  = d                 (None)
///        buf               (heavy ball; Polyak 1964)
///        d + mu buf        (Nesterov, in the form of Sutskever et al. 2013)
/// ```
///
/// where `d` is the direction the rule produced (the gradient for SGD).
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Momentum {
    /// No momentum: `dir = d`.
    #[default]
    None,
    /// Polyak heavy ball with coefficient `mu`.
    HeavyBall(f64),
    /// Nesterov momentum with coefficient `mu`.
    Nesterov(f64),
}

impl Momentum {
    /// The coefficient `mu` (0 without momentum).
    pub fn coefficient(self) -> f64 {
        match self {
            Momentum::None => 0.0,
            Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) => mu,
        }
    }

    pub(crate) fn validate(self) -> Result<()> {
        let mu = self.coefficient();
        ensure_hparam(
            (0.0..1.0).contains(&mu),
            "momentum",
            mu,
            "must be in [0, 1)",
        )
    }

    /// The direction after momentum, for a device tensor `d` with buffer `buf`.
    pub(crate) fn apply_tensor(self, buf: &mut Slot, d: Tensor<1>) -> Tensor<1> {
        let mu = match self {
            Momentum::None => return d,
            Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) => mu,
        };
        let b = match buf.take(&d) {
            Some(b) => b.mul_scalar(mu) + d.clone(),
            None => d.clone(),
        };
        *buf = Slot::Live(b.clone());
        match self {
            Momentum::Nesterov(_) => d + b.mul_scalar(mu),
            _ => b,
        }
    }

    /// The direction after momentum, for a host vector `d` with buffer `buf` (empty at first).
    pub(crate) fn apply_host(self, buf: &mut Vec<f64>, d: Vec<f64>) -> Vec<f64> {
        let mu = match self {
            Momentum::None => return d,
            Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) => mu,
        };
        if buf.len() != d.len() {
            buf.clone_from(&d);
        } else {
            buf.iter_mut().zip(&d).for_each(|(b, di)| *b = *b * mu + di);
        }
        match self {
            Momentum::Nesterov(_) => d
                .iter()
                .zip(buf.iter())
                .map(|(di, b)| di + b * mu)
                .collect(),
            _ => buf.clone(),
        }
    }
}
