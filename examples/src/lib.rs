//! Shared helpers of the numbered examples (`examples/examples/*.rs`): a float64 CPU device
//! with autodiff, and [`Point`], a "model" that is just a vector of parameters.
//!
//! Run an example with e.g. `cargo run --release -p rein-examples --example 01_inequality`.

use std::sync::OnceLock;

use burn::module::{Module, Param};
use burn::tensor::{Device, FloatDType, Tensor, TensorData};

/// burn's pure-Rust CPU device (`flex`) in float64, with autodiff.
///
/// The float dtype of the flex device is configured once per process; the device is built
/// once and cloned afterwards.
pub fn device() -> Device {
    static DEV: OnceLock<Device> = OnceLock::new();
    DEV.get_or_init(|| {
        let mut d = Device::flex();
        // An error only means the dtype was configured already (by an earlier call).
        let _ = d.configure(FloatDType::F64);
        d.autodiff()
    })
    .clone()
}

/// A one-element-per-coordinate tensor on [`device`].
pub fn vector(values: &[f64]) -> Tensor<1> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), &device())
}

/// A model that is just a vector of trainable parameters `x`.
#[derive(Module, Debug)]
pub struct Point {
    /// The parameters.
    pub x: Param<Tensor<1>>,
}

impl Point {
    /// A point with the given coordinates, on [`device`].
    pub fn new(values: &[f64]) -> Self {
        Self {
            x: Param::from_tensor(vector(values)),
        }
    }

    /// The coordinates, copied to the host.
    pub fn values(&self) -> Vec<f64> {
        self.x
            .val()
            .to_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .expect("converted to f64")
    }
}
