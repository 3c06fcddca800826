//! The GAIT divergence between two probability vectors on one support, and its symmetric
//! variant (Gallego-Posada et al. 2020, "GAIT: A Geometric Approach to Information Theory",
//! AISTATS).

use burn::tensor::Tensor;

use super::check::check_weights;
use super::error::GaitError;
use super::logsum::{log_kernel_mean, masked_log};
use super::matrix::SimilarityMatrix;

/// The divergence `D^K[p || q]` of the probability vectors `p`, `q` on the support of `k`:
///
/// ```text
/// D^K[p || q] = 1 + sum_i p_i log((K p)_i / (K q)_i) - sum_i q_i (K p)_i / (K q)_i
/// ```
///
/// It is the Bregman divergence of the convex function `-H^K_1` (minus the order-1 entropy of
/// [`super::entropy`]), so `D >= 0` with `D[p || p] = 0`, and the right-sided barycenter
/// `argmin_q sum_i w_i D[p_i || q]` is the weighted arithmetic mean of the `p_i`. With `K = I`
/// it is the Kullback-Leibler divergence `KL(p || q)`. Both sums run over the supports of `p`
/// and `q`; the ratios are `exp(log (K p)_i - log (K q)_i)` with both logarithms computed as
/// log-sum-exps, so no division by zero occurs. Where `(K q)_i` is below the floor `1e-30`
/// while `p_i > 0` (possible only with a kernel that has exact zeros, e.g. `K = I`) the true
/// divergence is infinite and the value returned is large but finite (about `69 p_i` per
/// such entry).
///
/// # Errors
/// [`GaitError`] naming `p` or `q` when it is not a probability vector on the support.
pub fn divergence(
    k: &SimilarityMatrix,
    p: Tensor<1>,
    q: Tensor<1>,
) -> Result<Tensor<1>, GaitError> {
    check_weights(&p, k.size(), "p")?;
    check_weights(&q, k.size(), "q")?;
    Ok(divergence_unchecked(k.log_k(), p, q))
}

/// The symmetric divergence `S^K(p, q) = (D^K[p || q] + D^K[q || p]) / 2`.
///
/// # Errors
/// As [`divergence`].
pub fn symmetric_divergence(
    k: &SimilarityMatrix,
    p: Tensor<1>,
    q: Tensor<1>,
) -> Result<Tensor<1>, GaitError> {
    check_weights(&p, k.size(), "p")?;
    check_weights(&q, k.size(), "q")?;
    let forward = divergence_unchecked(k.log_k(), p.clone(), q.clone());
    let backward = divergence_unchecked(k.log_k(), q, p);
    Ok((forward + backward).mul_scalar(0.5))
}

/// [`divergence`] from `log K` without the argument checks.
pub(crate) fn divergence_unchecked(log_k: Tensor<2>, p: Tensor<1>, q: Tensor<1>) -> Tensor<1> {
    let log_q = masked_log(q);
    let log_kp = log_kernel_mean(log_k.clone(), masked_log(p.clone()));
    let log_kq = log_kernel_mean(log_k, log_q.clone());
    let log_ratio = log_kp - log_kq;
    divergence_terms(p, log_ratio.clone(), log_q + log_ratio)
}

/// `1 + sum_i p_i log r_i - sum_j exp(log q_j + log r_j)` from the log ratios at the support
/// of `p` (`log r` at `p`'s points) and the log terms `log(q_j r_j)` at the support of `q`.
pub(crate) fn divergence_terms(
    p: Tensor<1>,
    log_ratio_at_p: Tensor<1>,
    log_q_ratio_at_q: Tensor<1>,
) -> Tensor<1> {
    let cross = (p * log_ratio_at_p).sum();
    let mass = log_q_ratio_at_q.exp().sum();
    (cross - mass).add_scalar(1.0)
}
