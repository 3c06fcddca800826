//! Model parts.

mod gated;
mod l0_lenet5;
mod l0_mlp;
mod mlp;

pub use gated::GatedClassifier;
pub use l0_lenet5::{L0LeNet5, L0LeNet5Config};
pub use l0_mlp::{L0Mlp, L0MlpConfig};
pub use mlp::{Mlp, MlpConfig};
