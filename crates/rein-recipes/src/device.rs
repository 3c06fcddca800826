//! Opening the compute device of a run.

use burn::tensor::Device;
use rein::device::DeviceKind;

use crate::error::{RecipeError, Result};

/// The device `kind` with autodiff (training), or an error naming the cargo feature it needs.
pub fn autodiff(kind: DeviceKind) -> Result<Device> {
    Ok(kind.open().map_err(RecipeError::Device)?.autodiff())
}
