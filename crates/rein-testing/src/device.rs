//! The device of the tests: burn's pure-Rust CPU device (`flex`) in float64, with autodiff, and
//! host data put on it.
//!
//! The float dtype of the flex device is a process-wide setting that only the first
//! configuration may choose; every test binary that uses [`device`] computes in float64, which
//! the closed-form comparisons (to `1e-9` and below) need.

use std::sync::OnceLock;

use burn::tensor::{Device, FloatDType, Tensor, TensorData};

/// The flex CPU device in float64, with autodiff. Built once per process and cloned afterwards.
pub fn device() -> Device {
    static DEV: OnceLock<Device> = OnceLock::new();
    DEV.get_or_init(|| {
        let mut d = Device::flex();
        // An error only means the dtype was configured already (by another caller).
        let _ = d.configure(FloatDType::F64);
        d.autodiff()
    })
    .clone()
}

/// A constant vector on [`device`].
pub fn constant(values: &[f64]) -> Tensor<1> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), &device())
}

/// A constant matrix on [`device`] from its rows (all of the same length).
pub fn matrix(rows: &[Vec<f64>]) -> Tensor<2> {
    let (m, n) = (rows.len(), rows.first().map_or(0, Vec::len));
    assert!(rows.iter().all(|r| r.len() == n), "rows of unequal length");
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Tensor::from_data(TensorData::new(flat, [m, n]), &device())
}

/// `A x` on [`device`], for the host matrix `A` given by its rows (differentiable in `x`).
pub fn matvec(a: &[Vec<f64>], x: Tensor<1>) -> Tensor<1> {
    let (m, n) = (a.len(), a[0].len());
    matrix(a).matmul(x.reshape([n, 1])).reshape([m])
}

/// The values of a float tensor, as `f64` on the host.
pub fn host<const D: usize>(t: &Tensor<D>) -> Vec<f64> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .expect("a float tensor converts to f64")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_device_computes_in_float64() {
        // 1 + 2^-40 is exact in f64 and rounds to 1 in f32.
        let x = constant(&[1.0 + 2f64.powi(-40)]);
        assert_eq!(host(&x), vec![1.0 + 2f64.powi(-40)]);
        let y = matvec(&[vec![1.0, 2.0], vec![3.0, 4.0]], constant(&[1.0, -1.0]));
        assert_eq!(host(&y), vec![-1.0, -1.0]);
    }
}
