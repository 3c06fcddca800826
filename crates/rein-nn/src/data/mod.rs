//! Data sets, splits and minibatching.
//!
//! All data lives on the host, row-major, as `f32` or in the width it is stored in (MNIST's
//! 8-bit pixels stay bytes: [`FeatureStorage`]); only a minibatch is turned into `f32` tensors
//! (see [`Dataset::batch_tensors`]). Batches carry the **indices** of their samples so
//! that per-sample constraints (one multiplier per training sample) can be looked up.

mod batcher;
mod dataset;
mod digits;
pub mod generative;
mod grouped;
pub mod idx;
mod mnist;
pub mod synthetic;
pub mod tabular;

pub use batcher::{Batch, Batcher, BatcherState, EpochIter};
pub use dataset::{Dataset, FeatureStorage, Split};
pub use digits::Digits;
pub use grouped::{Grouped, GroupedSplit};
pub use mnist::{Mnist, MnistVariant};
pub use tabular::{Adult, Compas, Protected, ProtectedFeature};
