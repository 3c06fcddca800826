use super::DualOptimizer;
use crate::error::{Result, ensure_non_negative};

/// Projected gradient ascent on the multipliers: `lambda <- proj(lambda + eta e)`, with `e` the
/// strict violation (Arrow, Hurwicz & Uzawa 1958). No state.
///
/// ```
/// use rein::dual::{DualOptimizer, DualSgd};
/// let sgd = DualSgd::new(0.5).unwrap();
/// assert_eq!(sgd.update(0, 1.0, 0.2, &mut []), 1.1);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DualSgd {
    lr: f64,
}

impl DualSgd {
    /// Dual SGD with learning rate `lr >= 0`.
    pub fn new(lr: f64) -> Result<Self> {
        ensure_non_negative("lr", lr)?;
        Ok(Self { lr })
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
        lambda + self.lr * grad
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
