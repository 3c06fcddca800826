//! Model parts.

mod l0_mlp;
mod mlp;

pub use l0_mlp::{L0Mlp, L0MlpConfig};
pub use mlp::{Mlp, MlpConfig};
