//! Model parts, data sets and metrics used by the rein experiments.
//!
//! * [`data`]: the bundled 8x8 [`Digits`](data::Digits) data set, seeded synthetic
//!   generators, a seeded stratified [`Dataset::split`](data::Dataset::split) and a
//!   resumable minibatch [`Batcher`](data::Batcher) that yields sample indices.
//! * [`model`]: a ReLU [`Mlp`](model::Mlp) with deterministic, seed-driven initialisation.
//! * [`metrics`]: host-side accuracy / recall / precision / confusion matrix and a
//!   differentiable sigmoid-surrogate recall for constraints.
//! * [`error`]: the crate's [`DataError`].
//!
//! Everything random in this crate is driven by explicit `u64` seeds through ChaCha8, so runs
//! are reproducible bit for bit on one platform and independent of thread scheduling.

pub mod data;
pub mod error;
pub mod metrics;
pub mod model;
mod rng;

pub use data::{Batch, Batcher, BatcherState, Dataset, Digits, Split};
pub use error::DataError;
pub use metrics::ConfusionMatrix;
pub use model::{Mlp, MlpConfig};
