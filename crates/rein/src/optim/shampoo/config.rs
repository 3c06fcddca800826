//! Hyper-parameters of [`Shampoo`](super::Shampoo), validated when the optimizer is built.

use std::collections::BTreeMap;

use super::grafting::Grafting;
use super::root::{RootMethod, RootPrecision};
use crate::error::{Result, ensure_hparam, ensure_non_negative};
use crate::optim::Momentum;

/// Storage and arithmetic of the Kronecker factors, their inverse roots and the per-step
/// matmuls (factor updates `L += G G^T`, preconditioning `Lbar_1 G Lbar_2`).
///
/// `F32` halves the memory and roughly halves the time of those matmuls (twice the SIMD
/// lanes); the factors then accumulate in `f32` (relative round-off ~1e-7 per step) and the
/// direction carries ~1e-6 relative error. Roots are still computed in the arithmetic of
/// [`RootPrecision`] from the `f32` factor (converted), then stored in `f32`. The
/// element-wise state (filter, grafting, momentum) stays `f64` either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FactorPrecision {
    /// `f32` factors, roots and matmuls (the reference implementation's default).
    F32,
    /// `f64` throughout (the default here: exact enough for the known-answer checks at 1e-9).
    #[default]
    F64,
}

/// Configuration of [`Shampoo`](super::Shampoo). Defaults (Shi et al. 2023): `lr = 1e-2`,
/// betas `(0.9, 1.0)`, `eps = 1e-12`, `max_preconditioner_dim = 1024`, precondition frequency 1
/// with `start` equal to it, AdaGrad grafting (`eps = 1e-10`), bias correction on, no weight
/// decay, no momentum, roots by eigendecomposition in `f64`, factors in `f64`, full
/// (Kronecker) factors also for vectors.
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
    /// Storage and arithmetic of factors, roots and the per-step matmuls.
    pub factor_precision: FactorPrecision,
    /// Blocks of order 1 (vectors: biases, gate vectors, merged small tensors) with at least
    /// this many entries keep only the diagonal of their factor (AdaGrad-like):
    /// `a_j <- beta2 a_j + (1 - beta2) g_j^2`, `Lbar_j = (a_j / c2 + eps)^(-1/r_1)`,
    /// `P_j = Lbar_j m_j` — `O(d)` state and work instead of a `d x d` factor and a `d x d`
    /// eigendecomposition. `None` (the default): full factors for every block.
    /// Changes the direction of vector blocks (the `g / ||g||` first step of docs/shampoo.md becomes
    /// `sign(g)` before grafting).
    pub diagonal_vectors_from: Option<usize>,
    /// Failed root recomputations of one block in a row that are tolerated (the previous root
    /// is kept); one more is an error, as in the reference implementation (default 3).
    pub tolerated_root_failures: u64,
}

/// What step `t` does (see [`ShampooConfig::schedule`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Schedule {
    pub precondition: bool,
    pub recompute: bool,
    pub c2: f64,
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
            factor_precision: FactorPrecision::F64,
            diagonal_vectors_from: None,
            tolerated_root_failures: 3,
        }
    }
    /// Sets how many failed root recomputations of a block in a row are tolerated.
    pub fn tolerated_root_failures(mut self, n: u64) -> Self {
        self.tolerated_root_failures = n;
        self
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

    /// Sets the storage and arithmetic of factors, roots and per-step matmuls.
    pub fn factor_precision(mut self, p: FactorPrecision) -> Self {
        self.factor_precision = p;
        self
    }
    /// Vector blocks (order 1) of at least `min_len` entries use a diagonal factor (see
    /// [`diagonal_vectors_from`](Self::diagonal_vectors_from); `0` or `1`: every vector block).
    pub fn diagonal_vectors(mut self, min_len: usize) -> Self {
        self.diagonal_vectors_from = Some(min_len);
        self
    }

    /// Whether a block of dims `dims` keeps a diagonal factor.
    pub(crate) fn is_diagonal(&self, dims: &[usize]) -> bool {
        dims.len() == 1 && self.diagonal_vectors_from.is_some_and(|m| dims[0] >= m)
    }

    /// Bytes of the preconditioner state of a block of dims `dims` (factor and root per
    /// dimension, in the factor precision; a diagonal block: two vectors of `f64`). The rank
    /// assignment of [`DistributedShampoo`](super::DistributedShampoo) balances these.
    pub fn block_state_bytes(&self, dims: &[usize]) -> usize {
        if self.is_diagonal(dims) {
            return 2 * dims[0] * 8;
        }
        let bytes = match self.factor_precision {
            FactorPrecision::F32 => 4,
            FactorPrecision::F64 => 8,
        };
        dims.iter().map(|d| 2 * d * d * bytes).sum()
    }

    /// The schedule of step `t >= 1`: whether it preconditions, whether it recomputes the
    /// roots, and the factor bias correction `c2 = 1 - beta2^t` (1 when off or `beta2 = 1`).
    pub(crate) fn schedule(&self, t: u64) -> Schedule {
        let start = self.start();
        let precondition = t >= start;
        Schedule {
            precondition,
            // As the reference implementation (Distributed Shampoo, 2025): at the start step,
            // then at every multiple of the frequency after it.
            recompute: t == start || (t > start && t.is_multiple_of(self.precondition_frequency)),
            c2: if self.bias_correction && self.beta2 < 1.0 {
                1.0 - self.beta2.powi(t.min(i32::MAX as u64) as i32)
            } else {
                1.0
            },
        }
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
        // As the reference implementation (Shi et al. 2023): preconditioning starts only after
        // the factors have accumulated at least one precondition period of gradients.
        ensure_hparam(
            self.start() >= self.precondition_frequency,
            "start_preconditioning_step",
            format!(
                "{} (precondition_frequency {})",
                self.start(),
                self.precondition_frequency
            ),
            "must be >= precondition_frequency",
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
