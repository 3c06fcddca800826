//! Over-parameterised least squares: the interpolants that optimizers converge to.
//!
//! For `X` (`n x d`, `n < d`, full row rank) and `y`, the system `X w = y` has a
//! `(d - n)`-dimensional affine set of solutions. Which one an optimizer reaches is its
//! *implicit bias* (Gunasekar et al. 2018, "Characterizing Implicit Bias in Terms of
//! Optimization Geometry", ICML; Vaswani et al. 2020, "To Each Optimizer a Norm, To Each Norm
//! its Generalization", arXiv:2006.06821):
//!
//! ```text
//! X^+ y                                  the minimum-L2-norm interpolant (X^+: pseudoinverse)
//! w0 + X^+ (y - X w0)                    the interpolant nearest w0: GD, heavy ball, Nesterov
//!                                        started at w0 (their steps stay in w0 + row(X))
//! w0 + A^-1 X^T (X A^-1 X^T)^-1 (y - X w0)
//!                                        argmin ||w - w0||_A s.t. X w = y: GD preconditioned
//!                                        by a fixed SPD A (steps in w0 + A^-1 row(X))
//! P w = X^+ X w                          the projection onto the row space of X; for any
//!                                        interpolant X w = y it is X^+ y
//! ```
//!
//! Everything here is host `f64`; the pseudoinverse is faer's (thin SVD).

use faer::Mat;
use faer::linalg::solvers::Solve;

use crate::linalg::{dot, mul, solve};

/// `rows` (all of one length) as a faer matrix.
pub fn to_mat(rows: &[Vec<f64>]) -> Mat<f64> {
    let (m, n) = (rows.len(), rows.first().map_or(0, Vec::len));
    assert!(rows.iter().all(|r| r.len() == n), "rows of unequal length");
    Mat::from_fn(m, n, |i, j| rows[i][j])
}

/// A faer matrix as rows.
pub fn to_rows(m: &Mat<f64>) -> Vec<Vec<f64>> {
    (0..m.nrows())
        .map(|i| (0..m.ncols()).map(|j| m[(i, j)]).collect())
        .collect()
}

/// The Moore-Penrose pseudoinverse `X^+` (`d x n` for `X` `n x d`), by the thin SVD.
///
/// # Panics
/// If the SVD does not converge (it does for any finite matrix of test size).
pub fn pinv(x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let svd = to_mat(x).thin_svd().expect("the SVD converges");
    to_rows(&svd.pseudoinverse())
}

/// `X^+ y`: the minimum-L2-norm solution of `X w = y` (least squares if none exists).
pub fn min_norm_solution(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    mul(&pinv(x), y)
}

/// `w0 + X^+ (y - X w0)`: the interpolant nearest `w0` in the L2 norm.
pub fn nearest_interpolant(x: &[Vec<f64>], y: &[f64], w0: &[f64]) -> Vec<f64> {
    let r: Vec<f64> = y.iter().zip(mul(x, w0)).map(|(y, xw)| y - xw).collect();
    w0.iter()
        .zip(min_norm_solution(x, &r))
        .map(|(a, b)| a + b)
        .collect()
}

/// `X^+ X w`: the orthogonal projection of `w` onto the row space of `X`.
pub fn row_space_projection(x: &[Vec<f64>], w: &[f64]) -> Vec<f64> {
    mul(&pinv(x), &mul(x, w))
}

/// `argmin ||w - w0||_A s.t. X w = y` for SPD `A` (`||v||_A^2 = v^T A v`):
/// `w0 + A^-1 X^T (X A^-1 X^T)^-1 (y - X w0)` (the Lagrange conditions `A (w - w0) = X^T mu`,
/// `X w = y`). `None` when `A` is not SPD or `X A^-1 X^T` is singular.
pub fn a_norm_interpolant(
    x: &[Vec<f64>],
    y: &[f64],
    a: &[Vec<f64>],
    w0: &[f64],
) -> Option<Vec<f64>> {
    let d = w0.len();
    let llt = to_mat(a).llt(faer::Side::Lower).ok()?;
    // A^-1 X^T, column k = A^-1 x_k.
    let xt = Mat::from_fn(d, x.len(), |i, k| x[k][i]);
    let ainv_xt = llt.solve(&xt);
    let gram: Vec<Vec<f64>> = x
        .iter()
        .map(|xi| {
            (0..x.len())
                .map(|k| (0..d).map(|j| xi[j] * ainv_xt[(j, k)]).sum())
                .collect()
        })
        .collect();
    let r: Vec<f64> = y.iter().zip(mul(x, w0)).map(|(y, xw)| y - xw).collect();
    let mu = solve(&gram, &r)?;
    Some(
        (0..d)
            .map(|i| w0[i] + (0..x.len()).map(|k| ainv_xt[(i, k)] * mu[k]).sum::<f64>())
            .collect(),
    )
}

/// `||v||_2`.
pub fn norm(v: &[f64]) -> f64 {
    dot(v, v).sqrt()
}

/// `||X w - y||_2`.
pub fn residual(x: &[Vec<f64>], y: &[f64], w: &[f64]) -> f64 {
    let r: Vec<f64> = mul(x, w).iter().zip(y).map(|(a, b)| a - b).collect();
    norm(&r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::linalg::max_abs_diff;
    use crate::rng::SplitMix64;

    fn problem(n: usize, d: usize, seed: u64) -> (Vec<Vec<f64>>, Vec<f64>) {
        let mut rng = SplitMix64::new(seed);
        (rng.matrix(n, d), rng.vector(n))
    }

    #[test]
    fn min_norm_solution_interpolates_and_is_in_the_row_space() {
        let (x, y) = problem(4, 9, 1);
        let w = min_norm_solution(&x, &y);
        assert!(residual(&x, &y, &w) < 1e-12);
        assert!(max_abs_diff(&row_space_projection(&x, &w), &w) < 1e-12);
        // Same as the closed form X^T (X X^T)^-1 y.
        let (closed, _) = crate::linalg::min_norm_equality(&x, &y);
        assert!(max_abs_diff(&w, &closed) < 1e-12);
        // Any other interpolant is longer: add a null-space direction.
        let mut rng = SplitMix64::new(5);
        let v = rng.vector(9);
        let pv = row_space_projection(&x, &v);
        let other: Vec<f64> = w
            .iter()
            .zip(v.iter().zip(&pv))
            .map(|(w, (v, p))| w + v - p)
            .collect();
        assert!(residual(&x, &y, &other) < 1e-12);
        assert!(norm(&other) > norm(&w));
        assert!(max_abs_diff(&row_space_projection(&x, &other), &w) < 1e-12);
    }

    #[test]
    fn a_norm_interpolant_with_identity_is_the_nearest_interpolant() {
        let (x, y) = problem(3, 7, 2);
        let w0 = SplitMix64::new(9).vector(7);
        let eye: Vec<Vec<f64>> = (0..7)
            .map(|i| (0..7).map(|j| f64::from(u8::from(i == j))).collect())
            .collect();
        let a = a_norm_interpolant(&x, &y, &eye, &w0).unwrap();
        assert!(max_abs_diff(&a, &nearest_interpolant(&x, &y, &w0)) < 1e-12);
        // A diagonal A: the A-norm interpolant beats random interpolants in the A norm.
        let diag: Vec<Vec<f64>> = (0..7)
            .map(|i| {
                (0..7)
                    .map(|j| if i == j { 1.0 + i as f64 } else { 0.0 })
                    .collect()
            })
            .collect();
        let wa = a_norm_interpolant(&x, &y, &diag, &w0).unwrap();
        assert!(residual(&x, &y, &wa) < 1e-12);
        let a_norm = |w: &[f64]| {
            w.iter()
                .zip(&w0)
                .enumerate()
                .map(|(i, (a, b))| (1.0 + i as f64) * (a - b).powi(2))
                .sum::<f64>()
        };
        let mut rng = SplitMix64::new(11);
        for _ in 0..20 {
            let v = rng.vector(7);
            let pv = row_space_projection(&x, &v);
            let other: Vec<f64> = wa
                .iter()
                .zip(v.iter().zip(&pv))
                .map(|(w, (v, p))| w + v - p)
                .collect();
            assert!(a_norm(&other) >= a_norm(&wa) - 1e-12);
        }
        let not_spd = vec![vec![0.0; 7]; 7];
        assert!(a_norm_interpolant(&x, &y, &not_spd, &w0).is_none());
    }
}
