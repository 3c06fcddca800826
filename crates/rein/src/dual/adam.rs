use super::DualOptimizer;
use crate::error::{Result, ensure_hparam, ensure_non_negative};

/// Adam ascent on the multipliers (Kingma & Ba 2015), per entry with its own step count:
///
/// ```text
/// t <- t + 1;  m <- b1 m + (1 - b1) e;  v <- b2 v + (1 - b2) e^2
/// lambda <- proj( lambda + eta (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps) )
/// ```
///
/// Each entry keeps `(m, v, t)`, so an indexed entry that is not observed is neither updated nor
/// decayed, and its bias correction counts only its own observations. For dense multipliers
/// this is exactly standard Adam.
#[derive(Debug, Clone, PartialEq)]
pub struct DualAdam {
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl DualAdam {
    /// Adam with learning rate `lr` and the usual defaults `(0.9, 0.999, 1e-8)`.
    pub fn new(lr: f64) -> Result<Self> {
        Self::with_betas(lr, 0.9, 0.999, 1e-8)
    }

    /// Adam with explicit moments and epsilon.
    pub fn with_betas(lr: f64, beta1: f64, beta2: f64, eps: f64) -> Result<Self> {
        ensure_non_negative("lr", lr)?;
        ensure_hparam(
            (0.0..1.0).contains(&beta1),
            "beta1",
            beta1,
            "must be in [0, 1)",
        )?;
        ensure_hparam(
            (0.0..1.0).contains(&beta2),
            "beta2",
            beta2,
            "must be in [0, 1)",
        )?;
        ensure_hparam(eps > 0.0, "eps", eps, "must be > 0")?;
        Ok(Self {
            lr,
            beta1,
            beta2,
            eps,
        })
    }
}

impl DualOptimizer for DualAdam {
    fn name(&self) -> &'static str {
        "adam"
    }
    fn state_slots(&self) -> &'static [&'static str] {
        &["m", "v", "t"]
    }
    #[inline]
    fn update(&self, _i: usize, lambda: f64, grad: f64, s: &mut [f64]) -> f64 {
        s[2] += 1.0;
        s[0] = self.beta1 * s[0] + (1.0 - self.beta1) * grad;
        s[1] = self.beta2 * s[1] + (1.0 - self.beta2) * grad * grad;
        let m_hat = s[0] / (1.0 - self.beta1.powf(s[2]));
        let v_hat = s[1] / (1.0 - self.beta2.powf(s[2]));
        lambda + self.lr * m_hat / (v_hat.sqrt() + self.eps)
    }
    fn learning_rate(&self) -> f64 {
        self.lr
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        ensure_non_negative("lr", lr)?;
        self.lr = lr;
        Ok(())
    }
}
