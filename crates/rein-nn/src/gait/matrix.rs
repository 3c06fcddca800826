//! The similarity matrix of a finite support, kept in log form.

use burn::tensor::Tensor;

use super::check::host_values;
use super::error::{GaitError, ensure};
use super::kernel::Similarity;
use super::logsum::SIMILARITY_FLOOR;

/// How far a checked similarity matrix may be from symmetric, from `[0, 1]` and from a unit
/// diagonal.
pub const MATRIX_TOLERANCE: f64 = 1e-5;

/// The similarity matrix `K` (`[n, n]`) of a finite support `{x_1, ..., x_n}`, stored as
/// `log K` (entries floored at `1e-30` when built from `K` itself).
///
/// GAIT (Gallego-Posada et al. 2020) asks `K` to be symmetric, with entries in `[0, 1]`,
/// `K_ii = 1`, and positive semi-definite. [`SimilarityMatrix::new`] checks the first three
/// (positive semi-definiteness is the caller's: RBF and normalised polynomial kernels on
/// distinct points have it; so do the identity, the all-ones matrix and block-diagonal
/// all-ones matrices).
#[derive(Debug, Clone)]
pub struct SimilarityMatrix {
    log_k: Tensor<2>,
}

impl SimilarityMatrix {
    /// Takes a similarity matrix `K`, checked to be square and symmetric with entries in
    /// `[0, 1]` and a unit diagonal (to [`MATRIX_TOLERANCE`]).
    ///
    /// # Errors
    /// [`GaitError`] naming `similarity` and the first offending entry.
    pub fn new(k: Tensor<2>) -> Result<Self, GaitError> {
        let [n, m] = k.dims();
        ensure(n == m && n > 0, "similarity", || {
            format!("has shape [{n}, {m}]: must be a non-empty square matrix")
        })?;
        let v = host_values(&k);
        let t = MATRIX_TOLERANCE;
        for i in 0..n {
            let d = v[i * n + i];
            ensure((d - 1.0).abs() <= t, "similarity", || {
                format!(
                    "K[{i}][{i}] = {d}: the diagonal must be 1 (every point is fully similar to itself)"
                )
            })?;
            for j in 0..n {
                let (a, b) = (v[i * n + j], v[j * n + i]);
                ensure(
                    a.is_finite() && (-t..=1.0 + t).contains(&a),
                    "similarity",
                    || format!("K[{i}][{j}] = {a}: entries must be in [0, 1]"),
                )?;
                ensure((a - b).abs() <= t, "similarity", || {
                    format!("K[{i}][{j}] = {a} but K[{j}][{i}] = {b}: must be symmetric")
                })?;
            }
        }
        Ok(Self {
            log_k: k.clamp_min(SIMILARITY_FLOOR).log(),
        })
    }

    /// The matrix `K_ij = K(x_i, x_j)` of `kernel` on the rows of `points` (`[n, d]`),
    /// differentiable in the points.
    pub fn from_kernel(kernel: &impl Similarity, points: Tensor<2>) -> Self {
        Self {
            log_k: kernel.log_similarity(points.clone(), points),
        }
    }

    /// Takes `log K` as is (the caller vouches for the properties [`SimilarityMatrix::new`]
    /// checks).
    ///
    /// # Errors
    /// [`GaitError`] naming `similarity` if the matrix is not square and non-empty.
    pub fn from_log(log_k: Tensor<2>) -> Result<Self, GaitError> {
        let [n, m] = log_k.dims();
        ensure(n == m && n > 0, "similarity", || {
            format!("has shape [{n}, {m}]: must be a non-empty square matrix")
        })?;
        Ok(Self { log_k })
    }

    /// The number of points of the support.
    pub fn size(&self) -> usize {
        self.log_k.dims()[0]
    }

    /// `log K`.
    pub fn log_k(&self) -> Tensor<2> {
        self.log_k.clone()
    }
}
