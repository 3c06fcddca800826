//! The squared maximum mean discrepancy, the baseline loss of the generator comparison.

use burn::tensor::Tensor;
use rein_nn::gait::{EmpiricalMeasure, Similarity};

/// `MMD^2(p, q) = a^T K_xx a + b^T K_yy b - 2 a^T K_xy b` for `p = sum_i a_i delta_{x_i}`,
/// `q = sum_j b_j delta_{y_j}` (Gretton et al. 2012, "A Kernel Two-Sample Test", JMLR; the
/// biased V-statistic, which is what generative moment matching minimises).
pub fn mmd_squared(
    kernel: &impl Similarity,
    p: &EmpiricalMeasure,
    q: &EmpiricalMeasure,
) -> Tensor<1> {
    let quad = |x: Tensor<2>, y: Tensor<2>, a: Tensor<1>, b: Tensor<1>| {
        let [n] = a.dims();
        let [m] = b.dims();
        a.reshape([1, n])
            .matmul(kernel.similarity(x, y))
            .matmul(b.reshape([m, 1]))
            .reshape([1])
    };
    let (x, y, a, b) = (p.points(), q.points(), p.weights(), q.weights());
    let xx = quad(x.clone(), x.clone(), a.clone(), a.clone());
    let yy = quad(y.clone(), y.clone(), b.clone(), b.clone());
    let xy = quad(x, y, a, b);
    xx + yy - xy.mul_scalar(2.0)
}
