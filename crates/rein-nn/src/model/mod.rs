//! Model parts.

mod mlp;

pub use mlp::{Mlp, MlpConfig};
