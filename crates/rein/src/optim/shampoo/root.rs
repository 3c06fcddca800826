//! Inverse p-th roots of symmetric positive semi-definite matrices, on the host in `f32`/`f64`.
//!
//! Shampoo (Gupta et al. 2018, Shi et al. 2023 §3.1) needs `Lbar = (A + eps I)^(-1/r)` for every
//! Kronecker factor `A`. Two methods:
//!
//! * [`RootMethod::Eigh`]: `A = Q diag(lambda) Q^T` (faer's self-adjoint eigendecomposition),
//!   `lambda_i <- lambda_i - min(lambda_min, 0) + eps` (the spectrum is shifted so that the
//!   smallest eigenvalue is `>= eps`, which also absorbs round-off negatives), then
//!   `Lbar = Q diag(lambda^(-1/r)) Q^T`.
//! * [`RootMethod::CoupledNewton`]: matmuls only (Guo & Higham 2006; Shi et al. 2023 Alg. 3),
//!   on `A' = A + eps I` with `z = (1 + r) / (2 ||A'||_F)`:
//!
//!   ```text
//!   X_0 = z^(1/r) I,  M_0 = z A'                      (invariant: M_j = X_j^r A')
//!   M_hat = ((r + 1) I - M_j) / r;  X_{j+1} = X_j M_hat;  M_{j+1} = M_hat^r M_j
//!   ```
//!
//!   stopped as soon as `||M_j - I||_max <= tolerance` — never after a fixed count: iterating
//!   past convergence drives entries towards the denormal range, where matmuls are ~100x slower
//!   (the numerical trap of inverse roots of near-singular factors, Shi et al. 2023). A non-finite residual, or one that stops decreasing once below
//!   `1e-4` (the round-off floor), also ends the loop, keeping the better iterate. Flush-to-zero
//!   is not set: it needs `unsafe` (forbidden in this crate), and the tolerance stop avoids
//!   the denormal range.
//!
//! Precision: [`RootPrecision::F32`] computes in `f32` first and falls back to `f64` when that
//! fails; [`RootPrecision::F64`] computes in `f64` only. Every failure (non-finite input or
//! output, eigensolver or Newton not converging) is a [`RootError`], so the caller keeps its
//! previous root.

use faer::linalg::matmul::matmul;
use faer::traits::RealField;
use faer::{Accum, Mat, MatRef, Par, Side};

/// How the inverse root is computed.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootMethod {
    /// Symmetric eigendecomposition with an eigenvalue shift (the default).
    Eigh,
    /// Coupled Newton iteration, stopped on `||M - I||_max <= tolerance` or after
    /// `max_iterations` (then an error).
    CoupledNewton {
        /// Stopping tolerance on `||M - I||_max` (in `f64`; an `f32` attempt uses at least `1e-5`).
        tolerance: f64,
        /// Iteration cap; reaching it without meeting the tolerance is a failure.
        max_iterations: usize,
    },
}

impl RootMethod {
    /// Coupled Newton with tolerance `1e-12` and at most 100 iterations.
    pub fn newton() -> Self {
        RootMethod::CoupledNewton {
            tolerance: 1e-12,
            max_iterations: 100,
        }
    }
}

/// Arithmetic of the root computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootPrecision {
    /// `f32` first; on failure, again in `f64` (Shi et al.'s fallback).
    F32,
    /// `f64` only (the default: the factors are accumulated in `f64`).
    F64,
}

/// Why an inverse root could not be computed; the caller keeps its previous root.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RootError {
    /// The input matrix has a NaN or infinite entry.
    #[error("the matrix has a non-finite entry")]
    NonFiniteInput,
    /// The result has a NaN or infinite entry.
    #[error("the root has a non-finite entry")]
    NonFiniteOutput,
    /// The eigensolver did not converge.
    #[error("the eigendecomposition did not converge")]
    EighNotConverged,
    /// Coupled Newton stopped above its tolerance.
    #[error("coupled Newton stopped after {iterations} iterations at residual {residual:e}")]
    NewtonNotConverged {
        /// Iterations done.
        iterations: usize,
        /// Final `||M - I||_max`.
        residual: f64,
    },
}

/// `(A + eps I)^(-1/root)` of the symmetric `n x n` matrix `a` (column-major; symmetric, so
/// row-major alike). `root >= 1`. The methods are described in the docs of [`RootMethod`](super::RootMethod).
pub fn inverse_root(
    a: MatRef<'_, f64>,
    root: u32,
    eps: f64,
    method: RootMethod,
    precision: RootPrecision,
) -> Result<Mat<f64>, RootError> {
    if !(0..a.ncols()).all(|j| (0..a.nrows()).all(|i| a[(i, j)].is_finite())) {
        return Err(RootError::NonFiniteInput);
    }
    if precision == RootPrecision::F32 {
        let a32 = Mat::<f32>::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] as f32);
        let method32 = match method {
            RootMethod::CoupledNewton {
                tolerance,
                max_iterations,
            } => RootMethod::CoupledNewton {
                tolerance: tolerance.max(1e-5),
                max_iterations,
            },
            m => m,
        };
        if let Ok(x) = root_in(a32.as_ref(), root, eps, method32) {
            return Ok(x);
        }
    }
    root_in(a, root, eps, method)
}

/// The root computed in the arithmetic `T`, returned in `f64`.
fn root_in<T: RealField + Copy + Into<f64>>(
    a: MatRef<'_, T>,
    root: u32,
    eps: f64,
    method: RootMethod,
) -> Result<Mat<f64>, RootError> {
    let x = match method {
        RootMethod::Eigh => eigh_root(a, root, eps)?,
        RootMethod::CoupledNewton {
            tolerance,
            max_iterations,
        } => newton_root(a, root, eps, tolerance, max_iterations)?,
    };
    if x.col_iter().all(|c| c.iter().all(|v| v.is_finite())) {
        Ok(x)
    } else {
        Err(RootError::NonFiniteOutput)
    }
}

fn eigh_root<T: RealField + Copy + Into<f64>>(
    a: MatRef<'_, T>,
    root: u32,
    eps: f64,
) -> Result<Mat<f64>, RootError> {
    let n = a.nrows();
    let evd = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| RootError::EighNotConverged)?;
    let lambda: Vec<f64> = evd.S().column_vector().iter().map(|&v| v.into()).collect();
    let min = lambda
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min)
        .min(0.0);
    let exponent = -1.0 / f64::from(root);
    let u = evd.U();
    // Q diag(s) Q^T with s = (lambda - min + eps)^(-1/r): scale the columns of Q, then multiply.
    let q = Mat::<f64>::from_fn(n, n, |i, j| u[(i, j)].into());
    // One `powf` per eigenvalue, not one per matrix entry: the n^2 calls were 6-8 % of the
    // samples of the Shampoo training benchmark at f = 100 (`perf`, BENCHMARKS.md).
    let s: Vec<f64> = lambda
        .iter()
        .map(|&l| (l - min + eps).powf(exponent))
        .collect();
    let qs = Mat::<f64>::from_fn(n, n, |i, j| q[(i, j)] * s[j]);
    let mut x = Mat::<f64>::zeros(n, n);
    matmul(
        x.as_mut(),
        Accum::Replace,
        &qs,
        q.transpose(),
        1.0,
        Par::Seq,
    );
    Ok(x)
}

/// Below this residual, an iteration that does not decrease it means the round-off floor is
/// reached (further iterations would only drift towards denormals). Above it the residual may
/// be non-monotone (max-norm of `M - I` while small eigenvalues are still growing).
const STAGNATION: f64 = 1e-4;

fn newton_root<T: RealField + Copy + Into<f64>>(
    a: MatRef<'_, T>,
    root: u32,
    eps: f64,
    tolerance: f64,
    max_iterations: usize,
) -> Result<Mat<f64>, RootError> {
    let n = a.nrows();
    let t = |v: f64| T::from_f64_impl(v);
    let r = f64::from(root);
    let shifted = Mat::<T>::from_fn(n, n, |i, j| {
        if i == j {
            a[(i, j)] + t(eps)
        } else {
            a[(i, j)]
        }
    });
    let norm: f64 = shifted.norm_l2().into();
    if norm == 0.0 {
        return Err(RootError::NonFiniteOutput);
    }
    let z = (1.0 + r) / (2.0 * norm);
    let mut x = Mat::<T>::from_fn(
        n,
        n,
        |i, j| if i == j { t(z.powf(1.0 / r)) } else { t(0.0) },
    );
    let mut m = Mat::<T>::from_fn(n, n, |i, j| shifted[(i, j)] * t(z));
    let residual = |m: &Mat<T>| -> f64 {
        let mut worst = 0.0f64;
        for j in 0..n {
            for i in 0..n {
                let d: f64 = m[(i, j)].into();
                let d = if i == j { d - 1.0 } else { d };
                worst = worst.max(if d.is_nan() { f64::INFINITY } else { d.abs() });
            }
        }
        worst
    };
    let mut err = residual(&m);
    let mut tmp = Mat::<T>::zeros(n, n);
    let mut iterations = 0;
    while err > tolerance && iterations < max_iterations {
        // M_hat = ((r + 1) I - M) / r
        let m_hat = Mat::<T>::from_fn(n, n, |i, j| {
            let d = if i == j { t(r + 1.0) } else { t(0.0) };
            (d - m[(i, j)]) * t(1.0 / r)
        });
        let mut next_x = Mat::<T>::zeros(n, n);
        matmul(
            next_x.as_mut(),
            Accum::Replace,
            &x,
            &m_hat,
            t(1.0),
            Par::Seq,
        );
        let mut next_m = m.clone();
        for _ in 0..root {
            matmul(
                tmp.as_mut(),
                Accum::Replace,
                &m_hat,
                &next_m,
                t(1.0),
                Par::Seq,
            );
            std::mem::swap(&mut tmp, &mut next_m);
        }
        iterations += 1;
        let next_err = residual(&next_m);
        if !next_err.is_finite() || (next_err >= err && err < STAGNATION) {
            // Divergence, or no more progress at the round-off floor: keep the better iterate.
            break;
        }
        x = next_x;
        m = next_m;
        err = next_err;
    }
    if err > tolerance {
        return Err(RootError::NewtonNotConverged {
            iterations,
            residual: err,
        });
    }
    Ok(Mat::<f64>::from_fn(n, n, |i, j| x[(i, j)].into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic SPD matrix with eigenvalues spread geometrically over `[1, cond]`.
    pub(crate) fn spd(n: usize, cond: f64, seed: u64) -> Mat<f64> {
        let mut s = seed;
        let mut next = || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) - 0.5
        };
        let g = Mat::<f64>::from_fn(n, n, |_, _| next());
        let q = g.qr().compute_Q();
        let d = |j: usize| cond.powf(j as f64 / (n.max(2) - 1) as f64);
        let qd = Mat::<f64>::from_fn(n, n, |i, j| q[(i, j)] * d(j));
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

    fn max_rel_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
        let scale = a.norm_max().max(1e-300);
        let d = Mat::<f64>::from_fn(a.nrows(), a.ncols(), |i, j| a[(i, j)] - b[(i, j)]);
        d.norm_max() / scale
    }

    #[test]
    fn newton_and_eigh_agree_on_spd_matrices() {
        for (n, cond, root) in [
            (1, 1.0, 2),
            (5, 10.0, 2),
            (20, 100.0, 4),
            (64, 1e3, 4),
            (32, 1e4, 6),
        ] {
            let a = spd(n, cond, n as u64);
            let e =
                inverse_root(a.as_ref(), root, 0.0, RootMethod::Eigh, RootPrecision::F64).unwrap();
            let x = inverse_root(
                a.as_ref(),
                root,
                0.0,
                RootMethod::newton(),
                RootPrecision::F64,
            )
            .unwrap();
            let d = max_rel_diff(&e, &x);
            assert!(d < 1e-10, "n {n} cond {cond} root {root}: {d:e}");
            // X^(-r) recovers A: eigendecompose X and raise to -r.
            let evd = x.self_adjoint_eigen(Side::Lower).unwrap();
            let u = evd.U();
            let s: Vec<f64> = evd.S().column_vector().iter().copied().collect();
            let us = Mat::<f64>::from_fn(n, n, |i, j| u[(i, j)] * s[j].powi(-(root as i32)));
            let mut back = Mat::<f64>::zeros(n, n);
            matmul(
                back.as_mut(),
                Accum::Replace,
                &us,
                u.transpose(),
                1.0,
                Par::Seq,
            );
            let rel = max_rel_diff(&a, &back);
            assert!(rel < 1e-10, "n {n}: ||X^-r - A|| / ||A|| = {rel:e}");
        }
    }

    #[test]
    fn eigh_shifts_the_spectrum_to_at_least_eps() {
        // A rank-one PSD matrix with a round-off negative eigenvalue: g g^T - 1e-14 I.
        let g = [3.0, 4.0];
        let a = Mat::<f64>::from_fn(2, 2, |i, j| g[i] * g[j] - if i == j { 1e-14 } else { 0.0 });
        let x = inverse_root(a.as_ref(), 2, 1e-6, RootMethod::Eigh, RootPrecision::F64).unwrap();
        // Eigenvalues after the shift: 25 + 1e-6 and 1e-6 -> roots (25 + 1e-6)^(-1/2) and 1e3.
        let v = [g[0] / 5.0, g[1] / 5.0];
        let xv: Vec<f64> = (0..2)
            .map(|i| x[(i, 0)] * v[0] + x[(i, 1)] * v[1])
            .collect();
        let s = (25.0f64 + 1e-6).sqrt();
        assert!(
            (xv[0] - v[0] / s).abs() < 1e-12 && (xv[1] - v[1] / s).abs() < 1e-12,
            "{xv:?}"
        );
        let w = [-v[1], v[0]];
        let xw: Vec<f64> = (0..2)
            .map(|i| x[(i, 0)] * w[0] + x[(i, 1)] * w[1])
            .collect();
        assert!((xw[0] / w[0] - 1e3).abs() < 1e-3, "{xw:?}");
    }

    #[test]
    fn newton_stops_on_tolerance_not_a_fixed_count() {
        let a = spd(16, 10.0, 3);
        for tol in [1e-3, 1e-12] {
            let m = RootMethod::CoupledNewton {
                tolerance: tol,
                max_iterations: 100,
            };
            assert!(inverse_root(a.as_ref(), 4, 0.0, m, RootPrecision::F64).is_ok());
        }
        // Too few iterations for the tolerance: an error carrying the residual.
        let m = RootMethod::CoupledNewton {
            tolerance: 1e-12,
            max_iterations: 2,
        };
        match inverse_root(a.as_ref(), 4, 0.0, m, RootPrecision::F64) {
            Err(RootError::NewtonNotConverged {
                iterations,
                residual,
            }) => assert!(iterations == 2 && residual > 1e-12),
            other => panic!("expected NewtonNotConverged, got {other:?}"),
        }
    }

    #[test]
    fn non_finite_input_is_an_error_and_f32_falls_back_to_f64() {
        let mut a = spd(4, 10.0, 1);
        let ok = inverse_root(a.as_ref(), 2, 0.0, RootMethod::Eigh, RootPrecision::F32).unwrap();
        let exact = inverse_root(a.as_ref(), 2, 0.0, RootMethod::Eigh, RootPrecision::F64).unwrap();
        assert!(max_rel_diff(&exact, &ok) < 1e-5);
        // Entries beyond f32's range: the f32 attempt overflows, the f64 one succeeds.
        let big = Mat::<f64>::from_fn(3, 3, |i, j| if i == j { 1e300 } else { 0.0 });
        let x = inverse_root(
            big.as_ref(),
            2,
            0.0,
            RootMethod::newton(),
            RootPrecision::F32,
        )
        .unwrap();
        assert!((x[(0, 0)] - 1e-150).abs() < 1e-160);
        a[(1, 2)] = f64::NAN;
        assert_eq!(
            inverse_root(a.as_ref(), 2, 0.0, RootMethod::Eigh, RootPrecision::F64),
            Err(RootError::NonFiniteInput)
        );
    }
}
