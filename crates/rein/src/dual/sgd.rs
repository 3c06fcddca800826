use super::DualOptimizer;
use crate::error::{Result, ensure_non_negative};

/// Projected gradient ascent on the multipliers, optionally with a decoupled decay:
///
/// ```text
/// lambda <- proj( lambda + eta (e - w lambda) )
/// ```
///
/// with `e` the strict violation (Arrow, Hurwicz & Uzawa 1958). `w = 0` (the default) is plain
/// gradient ascent. `w > 0` is the dual step of the relaxed problem
/// `min f(x) + 1/(2w) ||u||^2 s.t. g(x) <= u` (Resilient constrained learning, Hounie, Ribeiro
/// & Chamon 2023; Resilient Feasible Learning, Ramirez et al. 2025): at a fixed point
/// `e = w lambda`, i.e. the relaxation `u* = w lambda` (docs/feasible.md derives it). Only the
/// entries a step observes are updated, so the entries of an indexed multiplier that a step
/// does not see are not decayed either. With `eta w <= 1` the step `lambda <- (1 - eta w) lambda
/// + eta e` is a contraction towards `e / w`, so an entry never exceeds `max(e)_+ / w` once
/// below it; with `eta w > 1` it overshoots past 0 each step. No per-entry state.
///
/// ```
/// use rein::dual::{DualOptimizer, DualSgd};
/// let sgd = DualSgd::new(0.5).unwrap();
/// assert_eq!(sgd.update(0, 1.0, 0.2, &mut []), 1.1);
/// let resilient = DualSgd::new(0.5).unwrap().weight_decay(0.5).unwrap();
/// assert_eq!(resilient.update(0, 1.0, 1.0, &mut []), 1.25); // 1 + 0.5 (1.0 - 0.5 * 1.0)
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DualSgd {
    lr: f64,
    weight_decay: f64,
}

impl DualSgd {
    /// Dual SGD with learning rate `lr >= 0`, no decay.
    pub fn new(lr: f64) -> Result<Self> {
        ensure_non_negative("lr", lr)?;
        Ok(Self {
            lr,
            weight_decay: 0.0,
        })
    }

    /// Decoupled decay `w >= 0` of the multipliers (see the type's equation).
    pub fn weight_decay(mut self, w: f64) -> Result<Self> {
        ensure_non_negative("weight_decay", w)?;
        self.weight_decay = w;
        Ok(self)
    }
}

impl DualOptimizer for DualSgd {
    fn name(&self) -> &'static str {
        "sgd"
    }
    fn state_slots(&self) -> &'static [&'static str] {
        &[]
    }
    #[inline]
    fn update(&self, _i: usize, lambda: f64, grad: f64, _state: &mut [f64]) -> f64 {
        if self.weight_decay == 0.0 {
            lambda + self.lr * grad
        } else {
            lambda + self.lr * (grad - self.weight_decay * lambda)
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decay_follows_the_equation_entry_by_entry() {
        let sgd = DualSgd::new(0.1).unwrap().weight_decay(2.0).unwrap();
        for (lambda, e) in [(0.0, 1.0), (3.0, 0.5), (1.5, -2.0)] {
            let want = lambda + 0.1 * (e - 2.0 * lambda);
            assert_eq!(sgd.update(0, lambda, e, &mut []), want);
        }
        // The fixed point: e = w lambda leaves lambda where it is.
        assert_eq!(sgd.update(7, 1.5, 3.0, &mut []), 1.5);
        // No decay is plain ascent, bit for bit.
        let plain = DualSgd::new(0.1).unwrap();
        assert_eq!(plain.update(0, 3.0, 0.5, &mut []), 3.0 + 0.1 * 0.5);
    }

    #[test]
    fn negative_decay_is_an_error_naming_the_field() {
        let e = DualSgd::new(0.1).unwrap().weight_decay(-1.0).unwrap_err();
        assert!(e.to_string().contains("weight_decay"), "{e}");
    }
}
