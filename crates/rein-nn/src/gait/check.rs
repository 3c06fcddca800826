//! Checks of the arguments every GAIT function validates: probability vectors and point
//! clouds. They read the values on the host (one small transfer), so a bad input is an error
//! naming it instead of a NaN in a loss.

use burn::tensor::Tensor;

use super::error::{GaitError, ensure};

/// How far from 1 the weights of a probability vector may sum (float32 sums of thousands of
/// weights round by about `1e-5`).
pub const WEIGHT_SUM_TOLERANCE: f64 = 1e-3;

/// Checks that `w` holds `len` finite, non-negative weights summing to 1 (within
/// [`WEIGHT_SUM_TOLERANCE`]).
///
/// # Errors
/// [`GaitError`] naming `name` with the first offending entry or the sum.
pub fn check_weights(w: &Tensor<1>, len: usize, name: &'static str) -> Result<(), GaitError> {
    let [n] = w.dims();
    ensure(n == len, name, || {
        format!("has {n} weights, the support has {len} points")
    })?;
    ensure(n > 0, name, || "is empty".into())?;
    let host = host_values(w);
    if let Some((i, v)) = host
        .iter()
        .enumerate()
        .find(|(_, v)| !v.is_finite() || **v < 0.0)
    {
        return Err(GaitError::new(
            name,
            format!("entry {i} is {v}: weights must be finite and non-negative"),
        ));
    }
    let sum: f64 = host.iter().sum();
    ensure((sum - 1.0).abs() <= WEIGHT_SUM_TOLERANCE, name, || {
        format!("sums to {sum}, not 1: weights must form a probability vector")
    })
}

/// Checks that the rows of `x` are points of dimension `dim` with finite coordinates.
///
/// # Errors
/// [`GaitError`] naming `name`.
pub fn check_points(
    x: &Tensor<2>,
    dim: Option<usize>,
    name: &'static str,
) -> Result<(), GaitError> {
    let [n, d] = x.dims();
    ensure(n > 0 && d > 0, name, || {
        format!("has shape [{n}, {d}]: needs at least one point and one coordinate")
    })?;
    if let Some(dim) = dim {
        ensure(d == dim, name, || {
            format!("points have {d} coordinates, the other measure's have {dim}")
        })?;
    }
    let finite = x.clone().is_finite().all().into_scalar::<bool>();
    ensure(finite, name, || {
        "has a non-finite coordinate (NaN or infinite)".into()
    })
}

/// The values of a float tensor as `f64` on the host.
pub(crate) fn host_values<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap_or_default()
}
