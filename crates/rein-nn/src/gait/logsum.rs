//! The numerically stable primitives every GAIT quantity is built from: logarithms of weights
//! with exact zeros, and the log of a kernel-weighted mean `log (K p)_i` computed as a
//! log-sum-exp, so that neither `log 0` nor a division by zero ever reaches a result or a
//! gradient.

use burn::tensor::Tensor;

/// The smallest similarity a kernel value is taken to have in the log domain:
/// `log K_ij >= ln(1e-30) = -69.08`. Only a user-given or polynomial kernel (whose values may be
/// exactly 0) is floored; the RBF kernel is used in exact log form.
pub const SIMILARITY_FLOOR: f64 = 1e-30;

/// `log w` with exact zeros mapped to `-inf` and no gradient flowing into them.
///
/// Entries `w_j = 0` do not belong to the support of the measure: every sum over the support
/// skips them, which `-inf` does inside [`log_kernel_mean`] (`exp(-inf) = 0`). The logarithm is
/// taken of `max(w, floor)` first, so the backward pass never evaluates `1 / 0`.
pub fn masked_log(w: Tensor<1>) -> Tensor<1> {
    let zero = w.clone().lower_equal_elem(0.0);
    w.clamp_min(SIMILARITY_FLOOR)
        .log()
        .mask_fill(zero, f64::NEG_INFINITY)
}

/// Row-wise `log sum_j exp(a_ij)` of an `[n, m]` matrix, as a vector of length `n`.
///
/// ```text
/// LSE_i(a) = m_i + log sum_j exp(a_ij - m_i),   m_i = max_j a_ij  (treated as a constant)
/// ```
///
/// The shift `m_i` makes every exponent `<= 0`, so nothing overflows, and at least one term is
/// `exp(0) = 1`, so the logarithm is finite whenever one entry of the row is. The shift is
/// detached: the value does not depend on it, so neither does the exact gradient.
pub fn log_sum_exp_rows(a: Tensor<2>) -> Tensor<1> {
    let [n, _] = a.dims();
    let shift = a.clone().max_dim(1).detach();
    let s = (a - shift.clone()).exp().sum_dim(1).log();
    (s + shift).reshape([n])
}

/// `log (K w)_i = log sum_j K_ij w_j` from the log-kernel `log K` (`[n, m]`) and the log weights
/// `log w` (`[m]`, `-inf` for weights outside the support): [`log_sum_exp_rows`] of
/// `log K_ij + log w_j`.
pub fn log_kernel_mean(log_k: Tensor<2>, log_w: Tensor<1>) -> Tensor<1> {
    let [_, m] = log_k.dims();
    log_sum_exp_rows(log_k + log_w.reshape([1, m]))
}
