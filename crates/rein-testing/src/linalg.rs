//! Small dense linear algebra on the host, in `f64`, for the closed-form answers the tests and
//! the benchmark problem files compare against.
//!
//! Matrices are given by their rows (`&[Vec<f64>]`, all of one length). Nothing here is meant
//! to be fast: the systems have a handful of unknowns.
//!
//! The two closed forms, for `A` (`m x n`) and the Lagrangian `L = ||x||^2 + lambda . (A x - b)`
//! (the sign convention of `rein`: `L = f + lambda g + mu h`):
//!
//! ```text
//! min ||x||^2 s.t. A x  = b:  x* = A^T (A A^T)^{-1} b,   mu*  = -2 (A A^T)^{-1} b
//! min ||x||^2 s.t. A x <= b:  x* = -A_S^T lambda_S / 2,  lambda_S = -2 (A_S A_S^T)^{-1} b_S
//! ```
//!
//! where `S` is the active set at the optimum (see [`kkt_point`]).

use std::fmt;

use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};

use crate::rng::SplitMix64;

/// `u . v`, summed in order.
pub fn dot(u: &[f64], v: &[f64]) -> f64 {
    u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>()
}

/// `A x`.
pub fn mul(a: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    a.iter().map(|row| dot(row, x)).collect()
}

/// `A^T y`.
pub fn mul_transposed(a: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let n = a[0].len();
    (0..n)
        .map(|j| a.iter().zip(y).map(|(row, yi)| row[j] * yi).sum())
        .collect()
}

/// The Gram matrix `A A^T` of the rows of `A`.
pub fn gram(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    a.iter()
        .map(|ri| a.iter().map(|rj| dot(ri, rj)).collect())
        .collect()
}

/// The largest `|a_i - b_i|` (0 for empty vectors). Panics on different lengths.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "vectors of different lengths");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// Solves `M z = r` for a small square `M` by Gaussian elimination with partial pivoting and
/// back substitution; `None` when a pivot is below `1e-12` in magnitude (numerically singular
/// at the scale of the O(1) matrices used here).
pub fn solve(m: &[Vec<f64>], r: &[f64]) -> Option<Vec<f64>> {
    let k = r.len();
    assert!(
        m.len() == k && m.iter().all(|row| row.len() == k),
        "solve needs a {k} x {k} matrix"
    );
    let (mut s, mut r) = (m.to_vec(), r.to_vec());
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| s[i][c].abs().total_cmp(&s[j][c].abs()))?;
        if s[p][c].abs() < 1e-12 {
            return None;
        }
        s.swap(c, p);
        r.swap(c, p);
        let (upper, lower) = s.split_at_mut(c + 1);
        let pivot = &upper[c];
        for (i, row) in (c + 1..k).zip(lower.iter_mut()) {
            let f = row[c] / pivot[c];
            for (x, p) in row[c..].iter_mut().zip(&pivot[c..]) {
                *x -= f * p;
            }
            r[i] -= f * r[c];
        }
    }
    let mut z = vec![0.0; k];
    for c in (0..k).rev() {
        let tail: f64 = (c + 1..k).map(|j| s[c][j] * z[j]).sum();
        z[c] = (r[c] - tail) / s[c][c];
    }
    Some(z)
}

/// The minimum-norm point of `A x = b` and its multipliers: `x* = A^T (A A^T)^{-1} b`,
/// `mu* = -2 (A A^T)^{-1} b` (the KKT point of `min ||x||^2 s.t. A x - b = 0` with
/// `L = ||x||^2 + mu . (A x - b)`). Panics when the rows of `A` are linearly dependent.
pub fn min_norm_equality(a: &[Vec<f64>], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let y = solve(&gram(a), b).expect("the rows of A are linearly independent");
    let x = mul_transposed(a, &y);
    let mu = y.iter().map(|v| -2.0 * v).collect();
    (x, mu)
}

/// The most constraints [`kkt_point`] enumerates the active sets of (`2^16` sets).
pub const KKT_MAX_CONSTRAINTS: usize = 16;

/// Why [`kkt_point`] found no KKT point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KktError {
    /// More than [`KKT_MAX_CONSTRAINTS`] constraints: too many active sets to enumerate.
    TooManyConstraints {
        /// The number of constraints.
        m: usize,
    },
    /// No active set satisfies the KKT conditions: `A x <= b` is infeasible (or degenerate
    /// beyond the tolerances).
    NoKktPoint,
}

impl fmt::Display for KktError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooManyConstraints { m } => write!(
                f,
                "kkt_point enumerates active sets: m = {m} > {KKT_MAX_CONSTRAINTS} is too many"
            ),
            Self::NoKktPoint => write!(
                f,
                "no active set satisfies the KKT conditions (is A x <= b feasible?)"
            ),
        }
    }
}

impl std::error::Error for KktError {}

/// The KKT point `(x*, lambda*)` of `min ||x||^2 s.t. A x <= b` (`A` by its `m >= 1` rows,
/// `m <= 16`), by enumerating the active sets `S` in the order of their bit masks:
///
/// ```text
/// stationarity: 2 x + A^T lambda = 0  =>  x = -A_S^T lambda_S / 2
/// active:       A_S x = b_S           =>  lambda_S = -2 (A_S A_S^T)^{-1} b_S
/// ```
///
/// A set is accepted when `lambda_S >= 0` and `A x <= b` (both to `1e-10`); sets with a
/// singular Gram matrix are skipped. The problem is strictly convex, so the KKT point is unique
/// (it is the projection of 0 onto the polyhedron, Boyd & Vandenberghe, *Convex Optimization*,
/// 2004, §5.5.3). `lambda*` is 0 off `S`.
pub fn kkt_point(a: &[Vec<f64>], b: &[f64]) -> Result<(Vec<f64>, Vec<f64>), KktError> {
    let m = b.len();
    assert!(
        m >= 1 && a.len() == m,
        "kkt_point needs m >= 1 rows and m bounds"
    );
    if m > KKT_MAX_CONSTRAINTS {
        return Err(KktError::TooManyConstraints { m });
    }
    let n = a[0].len();
    for mask in 0u32..(1 << m) {
        let active: Vec<usize> = (0..m).filter(|i| mask & (1 << i) != 0).collect();
        let gram_s: Vec<Vec<f64>> = active
            .iter()
            .map(|&i| active.iter().map(|&j| dot(&a[i], &a[j])).collect())
            .collect();
        let rhs: Vec<f64> = active.iter().map(|&i| -2.0 * b[i]).collect();
        let Some(lambda_s) = solve(&gram_s, &rhs) else {
            continue;
        };
        if lambda_s.iter().any(|l| *l < -1e-10) {
            continue;
        }
        let mut x = vec![0.0; n];
        for (&i, l) in active.iter().zip(&lambda_s) {
            for (xj, aij) in x.iter_mut().zip(&a[i]) {
                *xj -= 0.5 * l * aij;
            }
        }
        if (0..m).any(|i| dot(&a[i], &x) - b[i] > 1e-10) {
            continue;
        }
        let mut lambda = vec![0.0; m];
        for (&i, l) in active.iter().zip(&lambda_s) {
            lambda[i] = l.max(0.0);
        }
        return Ok((x, lambda));
    }
    Err(KktError::NoKktPoint)
}

/// A symmetric positive definite `n x n` matrix (`n >= 2`) with eigenvalues spread
/// geometrically over `[1, cond]`: `Q diag(cond^(j / (n - 1))) Q^T`, `Q` the orthogonal factor
/// of the QR decomposition of a matrix of [`SplitMix64::symmetric`] draws (filled by
/// `Mat::from_fn`), symmetrised as `(A + A^T) / 2` against round-off.
pub fn spd(n: usize, cond: f64, rng: &mut SplitMix64) -> Mat<f64> {
    assert!(n >= 2, "spd needs n >= 2");
    let g = Mat::<f64>::from_fn(n, n, |_, _| rng.symmetric());
    let q = g.qr().compute_Q();
    let qd = Mat::<f64>::from_fn(n, n, |i, j| {
        q[(i, j)] * cond.powf(j as f64 / (n - 1) as f64)
    });
    let mut a = Mat::<f64>::zeros(n, n);
    matmul(
        a.as_mut(),
        Accum::Replace,
        &qd,
        q.transpose(),
        1.0,
        Par::Seq,
    );
    Mat::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_with_pivoting() {
        // The first pivot is 0: needs the row swap.
        let m = vec![
            vec![0.0, 2.0, 1.0],
            vec![1.0, 1.0, 0.0],
            vec![2.0, 0.0, 3.0],
        ];
        let z = solve(&m, &[7.0, 3.0, 11.0]).unwrap();
        assert!(max_abs_diff(&z, &[1.0, 2.0, 3.0]) < 1e-14, "{z:?}");
        assert_eq!(solve(&[vec![1.0, 2.0], vec![2.0, 4.0]], &[1.0, 2.0]), None);
    }

    #[test]
    fn kkt_point_of_a_known_problem() {
        // min x^2 + y^2 s.t. -x - y <= -1 (x + y >= 1), x <= 5: x* = (1/2, 1/2), lambda* = (1, 0).
        let a = [vec![-1.0, -1.0], vec![1.0, 0.0]];
        let (x, l) = kkt_point(&a, &[-1.0, 5.0]).unwrap();
        assert!(max_abs_diff(&x, &[0.5, 0.5]) < 1e-12, "{x:?}");
        assert!((l[0] - 1.0).abs() < 1e-12 && l[1] == 0.0, "{l:?}");
        // Infeasible: x <= -1 and -x <= -1.
        assert_eq!(
            kkt_point(&[vec![1.0], vec![-1.0]], &[-1.0, -1.0]),
            Err(KktError::NoKktPoint)
        );
        let many = vec![vec![1.0]; 17];
        assert_eq!(
            kkt_point(&many, &[1.0; 17]),
            Err(KktError::TooManyConstraints { m: 17 })
        );
    }

    #[test]
    fn kkt_point_satisfies_the_kkt_conditions_on_random_problems() {
        let mut rng = SplitMix64::new(5);
        let mut active_seen = 0;
        for _ in 0..50 {
            let (m, n) = (5, 4);
            // Feasible by construction: b = A x0 + u with u >= 0; 0 is often infeasible.
            let a = rng.matrix(m, n);
            let x0 = rng.vector(n);
            let b: Vec<f64> = mul(&a, &x0).iter().map(|v| v + 0.5 * rng.unit()).collect();
            let (x, l) = kkt_point(&a, &b).unwrap();
            // Stationarity 2 x + A^T lambda = 0, primal and dual feasibility, complementarity.
            let grad: Vec<f64> = x
                .iter()
                .zip(mul_transposed(&a, &l))
                .map(|(x, g)| 2.0 * x + g)
                .collect();
            assert!(max_abs_diff(&grad, &[0.0; 4]) < 1e-10, "{grad:?}");
            for (gi, li) in mul(&a, &x).iter().zip(&b).map(|(ax, b)| ax - b).zip(&l) {
                assert!(gi <= 1e-10 && *li >= 0.0 && (gi * li).abs() < 1e-10);
            }
            active_seen += l.iter().filter(|l| **l > 0.0).count();
        }
        assert!(active_seen > 0);
    }

    #[test]
    fn min_norm_equality_is_the_projection_of_zero() {
        let a = [vec![1.0, 1.0, 0.0], vec![0.0, 1.0, -1.0]];
        let (x, mu) = min_norm_equality(&a, &[1.0, 2.0]);
        assert!(max_abs_diff(&mul(&a, &x), &[1.0, 2.0]) < 1e-14);
        // x* = -A^T mu / 2, the stationarity condition.
        let back: Vec<f64> = mul_transposed(&a, &mu).iter().map(|v| -v / 2.0).collect();
        assert!(max_abs_diff(&x, &back) < 1e-14, "{x:?} vs {back:?}");
    }

    #[test]
    fn spd_has_the_requested_spectrum() {
        let a = spd(6, 100.0, &mut SplitMix64::new(21));
        let evd = a.self_adjoint_eigen(faer::Side::Lower).unwrap();
        let ev: Vec<f64> = evd.S().column_vector().iter().copied().collect();
        let lo = ev.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ev.iter().copied().fold(0.0, f64::max);
        assert!(
            (lo - 1.0).abs() < 1e-10 && (hi - 100.0).abs() < 1e-8,
            "{ev:?}"
        );
        assert!((0..6).all(|i| (0..6).all(|j| a[(i, j)] == a[(j, i)])));
    }
}
