//! Projections applied to the parameters after every primal step: the post-step hook.

use super::{ParamGrads, ParamSet, PrimalOptimizer, pattern_matches};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{ReinError, Result};

/// A projection of the parameters onto a feasible set, applied after every primal step
/// (projected gradient descent: `x <- P(x - lr d)`).
pub trait Projection: std::fmt::Debug {
    /// Projects the parameters of `params` in place.
    fn project(&self, params: &mut ParamSet);
}

/// Clamps every parameter whose path matches one of `params` (patterns as in
/// [`super::ParamGroup`]) to `[min, max]` element-wise — e.g. the L0 gates' `log_alpha` to
/// `[ln 0.01, ln 100]` (Louizos, Welling & Kingma 2018).
///
/// ```
/// use rein::optim::Clamp;
/// let gates = Clamp::new(["*log_alpha"], 0.01f64.ln(), 100f64.ln()).unwrap();
/// assert!(Clamp::new(["w"], 1.0, 0.0).is_err());
/// # let _ = gates;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Clamp {
    params: Vec<String>,
    min: f64,
    max: f64,
}

impl Clamp {
    /// A clamp of the parameters matching `params` to `[min, max]`; `min <= max`, both
    /// finite (or infinite on the open side).
    pub fn new<S: Into<String>>(
        params: impl IntoIterator<Item = S>,
        min: f64,
        max: f64,
    ) -> Result<Self> {
        let params: Vec<String> = params.into_iter().map(Into::into).collect();
        if params.is_empty() {
            return Err(ReinError::InvalidConfig {
                key: "clamp.params".into(),
                reason: "a clamp needs at least one path pattern".into(),
            });
        }
        if min.is_nan() || max.is_nan() || min > max {
            return Err(ReinError::InvalidConfig {
                key: "clamp".into(),
                reason: format!("bounds [{min}, {max}]: need min <= max"),
            });
        }
        Ok(Self { params, min, max })
    }
}

impl Projection for Clamp {
    fn project(&self, params: &mut ParamSet) {
        let paths: Vec<String> = params
            .paths()
            .filter(|p| self.params.iter().any(|pat| pattern_matches(pat, p)))
            .map(str::to_string)
            .collect();
        for p in paths {
            params.update(&p, |x| x.clamp_min(self.min).clamp_max(self.max));
        }
    }
}

/// A primal optimizer followed by projections: `x <- P_k(...P_1(step(x)))` after every
/// update. Its state is the wrapped optimizer's, under the same names.
///
/// ```
/// use rein::optim::{Adam, AdamConfig, Clamp, Projected};
/// let opt = Projected::new(Adam::new(AdamConfig::new(1e-3))?)
///     .with(Clamp::new(["*log_alpha"], -4.6, 4.6)?);
/// # Ok::<(), rein::ReinError>(())
/// ```
#[derive(Debug)]
pub struct Projected<O> {
    inner: O,
    projections: Vec<Box<dyn Projection>>,
}

impl<O: PrimalOptimizer> Projected<O> {
    /// `inner` with no projection yet.
    pub fn new(inner: O) -> Self {
        Self {
            inner,
            projections: Vec::new(),
        }
    }

    /// Adds a projection (applied in the order added).
    pub fn with(mut self, projection: impl Projection + 'static) -> Self {
        self.projections.push(Box::new(projection));
        self
    }

    /// The wrapped optimizer.
    pub fn inner(&self) -> &O {
        &self.inner
    }
}

impl<O: PrimalOptimizer> PrimalOptimizer for Projected<O> {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        self.inner.update(params, grads)?;
        for p in &self.projections {
            p.project(params);
        }
        Ok(())
    }
    fn learning_rate(&self) -> f64 {
        self.inner.learning_rate()
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        self.inner.set_learning_rate(lr)
    }
    fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        self.inner.set_lr_scale(scale)
    }
}

impl<O: PrimalOptimizer> Stateful for Projected<O> {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        self.inner.save_state(prefix, out)
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        self.inner.load_state(prefix, dict)
    }
}
