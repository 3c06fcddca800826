//! Similarity kernels `K(x, y)` for GAIT (Gallego-Posada et al. 2020, "GAIT: A Geometric
//! Approach to Information Theory", AISTATS): symmetric, values in `[0, 1]`, `K(x, x) = 1`,
//! positive semi-definite on the points they compare.
//!
//! Every kernel returns `log K` directly ([`Similarity::log_similarity`]): the GAIT entropy and
//! divergence only need `log (K p)_i`, which a log-sum-exp computes stably from `log K`. For
//! the RBF kernel `log K = -(||x - y|| / sigma)^2` is exact for any distance, so two measures
//! far apart still get a finite, exact divergence and a useful gradient.

use burn::tensor::Tensor;

use super::error::{GaitError, ensure};
use super::logsum::SIMILARITY_FLOOR;

/// A similarity kernel on points (rows of a matrix).
pub trait Similarity {
    /// `log K(x_i, y_j)` for the rows of `x` (`[n, d]`) and `y` (`[m, d]`), an `[n, m]` matrix.
    fn log_similarity(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2>;

    /// `K(x_i, y_j)`, an `[n, m]` matrix (the exponential of
    /// [`log_similarity`](Similarity::log_similarity)).
    fn similarity(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        self.log_similarity(x, y).exp()
    }
}

/// Squared Euclidean distances `||x_i - y_j||^2 = |x_i|^2 + |y_j|^2 - 2 x_i . y_j`, `[n, m]`,
/// clamped at 0 against rounding.
pub fn squared_distances(x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
    let [n, _] = x.dims();
    let [m, _] = y.dims();
    let xx = x.clone().square().sum_dim(1).reshape([n, 1]);
    let yy = y.clone().square().sum_dim(1).reshape([1, m]);
    let xy = x.matmul(y.transpose());
    (xx + yy - xy.mul_scalar(2.0)).clamp_min(0.0)
}

/// The Gaussian (RBF) kernel `K(x, y) = exp(-(||x - y|| / sigma)^2)`, the paper's default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rbf {
    sigma: f64,
}

impl Rbf {
    /// The RBF kernel of bandwidth `sigma`.
    ///
    /// # Errors
    /// [`GaitError`] naming `sigma` unless it is positive and finite.
    pub fn new(sigma: f64) -> Result<Self, GaitError> {
        ensure(sigma > 0.0 && sigma.is_finite(), "sigma", || {
            format!("{sigma}: the RBF bandwidth must be positive and finite")
        })?;
        Ok(Self { sigma })
    }

    /// The bandwidth.
    pub fn sigma(&self) -> f64 {
        self.sigma
    }
}

impl Similarity for Rbf {
    /// `log K(x, y) = -||x - y||^2 / sigma^2`, exact (no floor).
    fn log_similarity(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        squared_distances(x, y).div_scalar(-self.sigma * self.sigma)
    }
}

/// The normalised polynomial kernel
///
/// ```text
/// k(x, y) = (x . y + c)^degree,    K(x, y) = k(x, y) / sqrt(k(x, x) k(y, y))
/// ```
///
/// with `c > 0`, so `K(x, x) = 1` and, by Cauchy-Schwarz on the feature map, `|K| <= 1`. Pairs
/// with `x . y + c <= 0` (possible only for data with negative inner products) are given the
/// similarity floor `1e-30` (i.e. 0); for non-negative data (images, histograms) the kernel is
/// exact and positive semi-definite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Polynomial {
    degree: u32,
    offset: f64,
}

impl Polynomial {
    /// The normalised polynomial kernel of `degree >= 1` and offset `c > 0`.
    ///
    /// # Errors
    /// [`GaitError`] naming `degree` or `offset`.
    pub fn new(degree: u32, offset: f64) -> Result<Self, GaitError> {
        ensure(degree >= 1, "degree", || {
            "0: a polynomial kernel needs degree >= 1".into()
        })?;
        ensure(offset > 0.0 && offset.is_finite(), "offset", || {
            format!("{offset}: must be positive and finite (it keeps K(x, x) > 0)")
        })?;
        Ok(Self { degree, offset })
    }
}

impl Similarity for Polynomial {
    /// `degree * (log(x . y + c) - log(|x|^2 + c) / 2 - log(|y|^2 + c) / 2)`.
    fn log_similarity(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        let [n, _] = x.dims();
        let [m, _] = y.dims();
        let c = self.offset;
        let lx = x
            .clone()
            .square()
            .sum_dim(1)
            .add_scalar(c)
            .log()
            .reshape([n, 1]);
        let ly = y
            .clone()
            .square()
            .sum_dim(1)
            .add_scalar(c)
            .log()
            .reshape([1, m]);
        let lxy = x
            .matmul(y.transpose())
            .add_scalar(c)
            .clamp_min(SIMILARITY_FLOOR)
            .log();
        (lxy - (lx + ly).mul_scalar(0.5)).mul_scalar(f64::from(self.degree))
    }
}

/// A user-given kernel: a function returning the similarities `K(x_i, y_j)` in `[0, 1]` as an
/// `[n, m]` matrix. Its logarithm is taken of `max(K, 1e-30)`, so exact zeros are safe.
pub struct FnKernel<F>(pub F);

impl<F: Fn(Tensor<2>, Tensor<2>) -> Tensor<2>> Similarity for FnKernel<F> {
    fn log_similarity(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        (self.0)(x, y).clamp_min(SIMILARITY_FLOOR).log()
    }

    fn similarity(&self, x: Tensor<2>, y: Tensor<2>) -> Tensor<2> {
        (self.0)(x, y)
    }
}

impl<F> std::fmt::Debug for FnKernel<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FnKernel(..)")
    }
}
