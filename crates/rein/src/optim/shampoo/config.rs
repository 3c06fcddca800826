//! Hyper-parameters of [`Shampoo`](super::Shampoo), validated when the optimizer is built.

use std::collections::BTreeMap;

use super::grafting::Grafting;
use super::root::{RootMethod, RootPrecision};
use crate::error::{Result, ensure_hparam, ensure_non_negative};
use crate::optim::Momentum;

/// Configuration of [`Shampoo`](super::Shampoo). Defaults (Shi et al. 2023): `lr = 1e-2`,
/// betas `(0.9, 1.0)`, `eps = 1e-12`, `max_preconditioner_dim = 1024`, precondition frequency 1
/// with `start` equal to it, AdaGrad grafting (`eps = 1e-10`), bias correction on, no weight
/// decay, no momentum, roots by eigendecomposition in `f64`.
#[derive(Debug, Clone, PartialEq)]
pub struct ShampooConfig {
    /// Learning rate.
    pub lr: f64,
    /// Decay of the first-moment filter of the gradient (`0`: no filtering).
    pub beta1: f64,
    /// Decay of the Kronecker factors (`1`: plain sum, as in AdaGrad).
    pub beta2: f64,
    /// Regulariser of the factors: `Lbar = (L / c2 + eps I)^(-1/r)`.
    pub eps: f64,
    /// Dimensions are merged up to, and split into blocks of, this size.
    pub max_preconditioner_dim: usize,
    /// Roots are recomputed every this many steps.
    pub precondition_frequency: u64,
    /// First step that uses (and computes) the roots; `None`: the precondition frequency;
    /// `Some(u64::MAX)`: never (the grafted optimizer alone).
    pub start_preconditioning_step: Option<u64>,
    /// Root `r` of the factors of blocks of order `k` (`Lbar = (..)^(-1/r)`), by order;
    /// orders not listed use `r = 2k`.
    pub root_override: BTreeMap<usize, u32>,
    /// The grafted optimizer that sets the per-block step size.
    pub grafting: Grafting,
    /// Bias correction of the first moment (`1 - beta1^t`) and of the factors (`1 - beta2^t`).
    pub bias_correction: bool,
    /// Decoupled weight decay: `P <- P + lambda W` after grafting.
    pub weight_decay: f64,
    /// Momentum on the grafted direction (after weight decay).
    pub momentum: Momentum,
    /// How inverse roots are computed.
    pub root_method: RootMethod,
    /// Arithmetic of the root computation.
    pub root_precision: RootPrecision,
}

impl Default for ShampooConfig {
    fn default() -> Self {
        Self::new(1e-2)
    }
}

impl ShampooConfig {
    /// The defaults with learning rate `lr`.
    pub fn new(lr: f64) -> Self {
        Self {
            lr,
            beta1: 0.9,
            beta2: 1.0,
            eps: 1e-12,
            max_preconditioner_dim: 1024,
            precondition_frequency: 1,
            start_preconditioning_step: None,
            root_override: BTreeMap::new(),
            grafting: Grafting::default(),
            bias_correction: true,
            weight_decay: 0.0,
            momentum: Momentum::None,
            root_method: RootMethod::Eigh,
            root_precision: RootPrecision::F64,
        }
    }
    /// Sets `(beta1, beta2)`.
    pub fn betas(mut self, beta1: f64, beta2: f64) -> Self {
        self.beta1 = beta1;
        self.beta2 = beta2;
        self
    }
    /// Sets the factor regulariser `eps`.
    pub fn eps(mut self, eps: f64) -> Self {
        self.eps = eps;
        self
    }
    /// Sets the block size.
    pub fn max_preconditioner_dim(mut self, d: usize) -> Self {
        self.max_preconditioner_dim = d;
        self
    }
    /// Sets the precondition frequency `f` (and, unless set, `start = f`).
    pub fn precondition_frequency(mut self, f: u64) -> Self {
        self.precondition_frequency = f;
        self
    }
    /// Sets the first preconditioned step; `u64::MAX` never preconditions.
    pub fn start_preconditioning_step(mut self, start: u64) -> Self {
        self.start_preconditioning_step = Some(start);
        self
    }
    /// Uses root `r` for blocks of order `order` instead of `2 * order`.
    pub fn root_override(mut self, order: usize, root: u32) -> Self {
        self.root_override.insert(order, root);
        self
    }
    /// Sets the grafting.
    pub fn grafting(mut self, g: Grafting) -> Self {
        self.grafting = g;
        self
    }
    /// Turns bias correction on or off.
    pub fn bias_correction(mut self, on: bool) -> Self {
        self.bias_correction = on;
        self
    }
    /// Sets the decoupled weight decay.
    pub fn weight_decay(mut self, w: f64) -> Self {
        self.weight_decay = w;
        self
    }
    /// Sets the momentum.
    pub fn momentum(mut self, m: Momentum) -> Self {
        self.momentum = m;
        self
    }
    /// Sets the root method.
    pub fn root_method(mut self, m: RootMethod) -> Self {
        self.root_method = m;
        self
    }
    /// Sets the root arithmetic.
    pub fn root_precision(mut self, p: RootPrecision) -> Self {
        self.root_precision = p;
        self
    }

    /// The first preconditioned step.
    pub fn start(&self) -> u64 {
        self.start_preconditioning_step
            .unwrap_or(self.precondition_frequency)
    }

    /// The root `r` of the factors of a block of order `k`.
    pub fn root_of_order(&self, k: usize) -> u32 {
        self.root_override
            .get(&k)
            .copied()
            .unwrap_or_else(|| u32::try_from(2 * k).unwrap_or(u32::MAX))
    }

    /// Checks every field; the error names the first invalid one.
    pub(crate) fn validate(&self) -> Result<()> {
        ensure_non_negative("lr", self.lr)?;
        ensure_hparam(
            (0.0..1.0).contains(&self.beta1),
            "beta1",
            self.beta1,
            "must be in [0, 1)",
        )?;
        ensure_hparam(
            self.beta2 > 0.0 && self.beta2 <= 1.0,
            "beta2",
            self.beta2,
            "must be in (0, 1]",
        )?;
        ensure_hparam(
            self.eps > 0.0 && self.eps.is_finite(),
            "eps",
            self.eps,
            "must be finite and > 0",
        )?;
        ensure_hparam(
            self.max_preconditioner_dim >= 1,
            "max_preconditioner_dim",
            self.max_preconditioner_dim,
            "must be >= 1",
        )?;
        ensure_hparam(
            self.precondition_frequency >= 1,
            "precondition_frequency",
            self.precondition_frequency,
            "must be >= 1",
        )?;
        ensure_hparam(
            self.start() >= 1,
            "start_preconditioning_step",
            self.start(),
            "must be >= 1 (steps count from 1)",
        )?;
        for (&order, &root) in &self.root_override {
            ensure_hparam(order >= 1, "root_override", order, "orders start at 1")?;
            ensure_hparam(root >= 1, "root_override", root, "roots must be >= 1")?;
        }
        self.grafting.validate()?;
        ensure_non_negative("weight_decay", self.weight_decay)?;
        if let Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) = self.momentum {
            ensure_hparam(
                (0.0..1.0).contains(&mu),
                "momentum",
                mu,
                "must be in [0, 1)",
            )?;
        }
        if let RootMethod::CoupledNewton {
            tolerance,
            max_iterations,
        } = self.root_method
        {
            ensure_hparam(
                tolerance > 0.0 && tolerance.is_finite(),
                "root_method.tolerance",
                tolerance,
                "must be finite and > 0",
            )?;
            ensure_hparam(
                max_iterations >= 1,
                "root_method.max_iterations",
                max_iterations,
                "must be >= 1",
            )?;
        }
        Ok(())
    }
}
