//! The similarity-sensitive entropy of order `alpha` (Leinster and Cobbold's diversity, used
//! as an entropy by GAIT: Gallego-Posada et al. 2020, "GAIT: A Geometric Approach to
//! Information Theory", AISTATS).

use burn::tensor::Tensor;

use super::check::check_weights;
use super::error::{GaitError, ensure};
use super::logsum::{log_kernel_mean, log_sum_exp_rows, masked_log};
use super::matrix::SimilarityMatrix;

/// Orders this close to 1 use the `alpha = 1` formula (its limit), which avoids the `0 / 0` of
/// `log sum_i p_i (Kp)_i^(alpha - 1) / (1 - alpha)`.
pub const ORDER_ONE_TOLERANCE: f64 = 1e-6;

/// The entropy `H^K_alpha(p)` of the probability vector `p` on the support of `k`:
///
/// ```text
/// H^K_alpha(p) = 1 / (1 - alpha) log sum_{i: p_i > 0} p_i (K p)_i^(alpha - 1)    alpha != 1
/// H^K_1(p)     = - sum_{i: p_i > 0} p_i log (K p)_i                             (the limit)
/// ```
///
/// `K = I` gives the Rényi entropy of order `alpha` (Shannon for `alpha = 1`); the all-ones
/// matrix gives 0; a block-diagonal matrix of all-ones blocks gives the entropy of the block
/// masses. Computed in the log domain: `log (K p)_i` by a log-sum-exp, the outer sum by
/// another, so no logarithm of 0 and no overflow occurs for any `alpha >= 0`.
///
/// # Errors
/// [`GaitError`] naming `order` (negative or not finite) or `p` (not a probability vector on
/// the support).
pub fn entropy(k: &SimilarityMatrix, p: Tensor<1>, order: f64) -> Result<Tensor<1>, GaitError> {
    ensure(order.is_finite() && order >= 0.0, "order", || {
        format!("{order}: the order alpha must be finite and >= 0")
    })?;
    check_weights(&p, k.size(), "p")?;
    Ok(entropy_unchecked(k.log_k(), p, order))
}

/// [`entropy`] from `log K` without the argument checks.
pub(crate) fn entropy_unchecked(log_k: Tensor<2>, p: Tensor<1>, order: f64) -> Tensor<1> {
    let [n] = p.dims();
    let log_p = masked_log(p.clone());
    let log_kp = log_kernel_mean(log_k, log_p.clone());
    if (order - 1.0).abs() < ORDER_ONE_TOLERANCE {
        // p_i = 0 entries multiply a finite log (K p)_i: they contribute exactly 0.
        (p * log_kp).sum().neg()
    } else {
        let terms = log_p + log_kp.mul_scalar(order - 1.0);
        log_sum_exp_rows(terms.reshape([1, n])).div_scalar(1.0 - order)
    }
}
