//! Seeded host-side initialisation of the EMAN and baseline weights (reproducible bit for bit,
//! independent of thread scheduling, like [`crate::MlpConfig::init`]).

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};

use crate::rng;

/// A `[rows, cols]` parameter with entries from `U(-bound, bound)`, drawn on stream `stream`
/// of `seed`.
pub(crate) fn uniform(
    rows: usize,
    cols: usize,
    bound: f64,
    seed: u64,
    stream: u64,
    device: &Device,
) -> Param<Tensor<2>> {
    let mut r = rng::chacha(seed, stream);
    let v: Vec<f64> = (0..rows * cols)
        .map(|_| (2.0 * rng::unit_f64(&mut r) - 1.0) * bound)
        .collect();
    Param::from_data(TensorData::new(v, [rows, cols]), device)
}

/// A zero vector parameter of length `n`.
pub(crate) fn zeros(n: usize, device: &Device) -> Param<Tensor<1>> {
    Param::from_data(TensorData::new(vec![0.0f64; n], [n]), device)
}

/// A deterministic stream id for layer `layer`, part `part`, index `index`.
pub(crate) fn stream(layer: usize, part: usize, index: usize) -> u64 {
    ((layer as u64) << 32) | ((part as u64) << 16) | index as u64
}
