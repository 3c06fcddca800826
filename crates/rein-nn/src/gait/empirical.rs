//! GAIT between empirical measures: weighted point clouds with different supports
//! (Gallego-Posada et al. 2020, "GAIT: A Geometric Approach to Information Theory", AISTATS).

use burn::tensor::{Tensor, TensorData};

use super::check::{check_points, check_weights};
use super::divergence::divergence_terms;
use super::entropy::entropy_unchecked;
use super::error::{GaitError, ensure};
use super::kernel::Similarity;
use super::logsum::{log_kernel_mean, masked_log};

/// A probability measure `p = sum_i a_i delta_{x_i}` on the points `x_i` (rows of an `[n, d]`
/// matrix) with weights `a_i` (uniform `1 / n` unless given). Differentiable in the points and
/// the weights.
#[derive(Debug, Clone)]
pub struct EmpiricalMeasure {
    points: Tensor<2>,
    weights: Tensor<1>,
}

impl EmpiricalMeasure {
    /// The uniform measure `1/n sum_i delta_{x_i}` on the rows of `points`.
    ///
    /// # Errors
    /// [`GaitError`] naming `points` if there is no point or a coordinate is not finite.
    pub fn uniform(points: Tensor<2>) -> Result<Self, GaitError> {
        check_points(&points, None, "points")?;
        let [n, _] = points.dims();
        let weights = Tensor::from_data(
            TensorData::new(vec![1.0 / n as f64; n], [n]),
            &points.device(),
        );
        Ok(Self { points, weights })
    }

    /// The measure `sum_i a_i delta_{x_i}`.
    ///
    /// # Errors
    /// [`GaitError`] naming `points` or `weights` (not a probability vector with one weight
    /// per point).
    pub fn weighted(points: Tensor<2>, weights: Tensor<1>) -> Result<Self, GaitError> {
        check_points(&points, None, "points")?;
        check_weights(&weights, points.dims()[0], "weights")?;
        Ok(Self { points, weights })
    }

    /// The points (`[n, d]`).
    pub fn points(&self) -> Tensor<2> {
        self.points.clone()
    }

    /// The weights (`[n]`).
    pub fn weights(&self) -> Tensor<1> {
        self.weights.clone()
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.dims()[0]
    }

    /// Whether there is no point (never true for a constructed measure).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn dim(&self) -> usize {
        self.points.dims()[1]
    }
}

/// The entropy `H^K_alpha(p)` of an empirical measure (see [`super::entropy`]) with the kernel
/// matrix `K_ij = K(x_i, x_j)` of its points.
///
/// # Errors
/// [`GaitError`] naming `order` if it is negative or not finite.
pub fn empirical_entropy(
    kernel: &impl Similarity,
    p: &EmpiricalMeasure,
    order: f64,
) -> Result<Tensor<1>, GaitError> {
    ensure(order.is_finite() && order >= 0.0, "order", || {
        format!("{order}: the order alpha must be finite and >= 0")
    })?;
    let log_k = kernel.log_similarity(p.points(), p.points());
    Ok(entropy_unchecked(log_k, p.weights(), order))
}

/// The divergence `D^K[p || q]` of two empirical measures `p = sum_i a_i delta_{x_i}` and
/// `q = sum_j b_j delta_{y_j}`.
///
/// Both are put on the joint support `{x_1..x_n, y_1..y_m}` with zero weights where they have
/// no mass, and the divergence of [`super::divergence`] is taken with the joint kernel matrix.
/// Only four blocks of it are needed, and the zero weights drop out of the sums:
///
/// ```text
/// D^K[p || q] = 1 + sum_i a_i log((K_xx a)_i / (K_xy b)_i) - sum_j b_j (K_yx a)_j / (K_yy b)_j
/// ```
///
/// Every `log (K w)` is a log-sum-exp of `log K + log w` (exact for the RBF kernel at any
/// distance), so the value and its gradient in the points stay finite even for measures far
/// apart. Two Diracs at distance `d` under the RBF kernel give
/// `1 + (d / sigma)^2 - exp(-(d / sigma)^2)`.
///
/// # Errors
/// [`GaitError`] naming `q` if its points have another dimension than `p`'s.
pub fn empirical_divergence(
    kernel: &impl Similarity,
    p: &EmpiricalMeasure,
    q: &EmpiricalMeasure,
) -> Result<Tensor<1>, GaitError> {
    ensure(p.dim() == q.dim(), "q", || {
        format!(
            "points have {} coordinates, those of p have {}",
            q.dim(),
            p.dim()
        )
    })?;
    let (x, y) = (p.points(), q.points());
    let log_a = masked_log(p.weights());
    let log_b = masked_log(q.weights());
    let log_kxy = kernel.log_similarity(x.clone(), y.clone());
    let log_kp_x = log_kernel_mean(kernel.log_similarity(x.clone(), x), log_a.clone());
    let log_kq_x = log_kernel_mean(log_kxy.clone(), log_b.clone());
    let log_kp_y = log_kernel_mean(log_kxy.transpose(), log_a);
    let log_kq_y = log_kernel_mean(kernel.log_similarity(y.clone(), y), log_b.clone());
    Ok(divergence_terms(
        p.weights(),
        log_kp_x - log_kq_x,
        log_b + log_kp_y - log_kq_y,
    ))
}

/// The symmetric divergence `(D^K[p || q] + D^K[q || p]) / 2` of two empirical measures.
///
/// # Errors
/// As [`empirical_divergence`].
pub fn empirical_symmetric_divergence(
    kernel: &impl Similarity,
    p: &EmpiricalMeasure,
    q: &EmpiricalMeasure,
) -> Result<Tensor<1>, GaitError> {
    let forward = empirical_divergence(kernel, p, q)?;
    let backward = empirical_divergence(kernel, q, p)?;
    Ok((forward + backward).mul_scalar(0.5))
}
