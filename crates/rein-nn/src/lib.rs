//! Model parts, data sets and metrics used by the rein experiments.
//!
//! * [`data`]: the bundled 8x8 [`data::Digits`] data set, seeded synthetic
//!   generators, a seeded stratified [`Dataset::split`](data::Dataset::split) and a
//!   resumable minibatch [`data::Batcher`] that yields sample indices; MNIST and
//!   Fashion-MNIST, and the tabular fairness data sets [`Adult`] and [`Compas`] grouped by a
//!   [`Protected`] attribute, all fetched by `rein data fetch`.
//! * [`model`]: a ReLU [`model::Mlp`] with deterministic, seed-driven initialisation.
//! * [`l0`]: hard-concrete L0 gates (Louizos et al. 2018): a gated [`L0Linear`] layer with
//!   differentiable expected density, and purging into a dense `Linear`.
//! * [`siren`]: SIRENs for COIN / L0onie image compression (dense and fully gated), host
//!   fp16 weights and renderer.
//! * [`metrics`]: host-side accuracy / recall / precision / confusion matrix and a
//!   differentiable sigmoid-surrogate recall for constraints.
//! * [`gait`]: the GAIT similarity-sensitive entropy and divergence (Gallego-Posada et al.
//!   2020), differentiable, for losses and constraints.
//! * [`mesh`]: triangle meshes (`.off` reader, procedural meshes, decimation, similarity
//!   transforms) and their geometry for gauge-equivariant networks: normals, tangent frames,
//!   log-map and parallel-transport angles.
//! * [`eman`]: EMAN (Basu et al. 2022) on GEM-CNN (de Haan et al. 2021): RelTan features,
//!   gauge-equivariant convolution, gauge-invariant attention, and an `xyz` baseline
//!   (docs/eman.md).
//! * [`error`]: the crate's [`DataError`].
//!
//! ```
//! use burn::tensor::Device;
//! use rein_nn::{Batcher, Digits, MlpConfig, metrics};
//!
//! let digits = Digits::load_bundled()?;
//! let split = digits.split(0.2, 0)?;
//! let device = Device::flex().autodiff();
//! let model = MlpConfig::new(64, vec![32], 10).init(0, &device);
//! let mut batcher = Batcher::new(split.train.n, 64, 0)?;
//! let batch = batcher.next_batch(); // `batch.indices` index rows of `split.train`
//! let (x, _y) = split.train.batch_tensors(&batch.indices, &device);
//! let labels: Vec<usize> = batch.indices.iter().map(|&i| split.train.labels[i]).collect();
//! let logits = model.forward(x);
//! if let Some(recall_3) = metrics::soft_recall(logits, &labels, 3, 0.1) {
//!     let _grads = recall_3.backward();
//! }
//! # Ok::<(), rein_nn::DataError>(())
//! ```
//!
//! Everything random in this crate is driven by explicit `u64` seeds through ChaCha8, so runs
//! are reproducible bit for bit on one platform and independent of thread scheduling.

pub mod data;
pub mod eman;
pub mod error;
pub mod gait;
pub mod l0;
pub mod mesh;
pub mod metrics;
pub mod model;
mod rng;
mod simd;
pub mod siren;

pub use data::{
    Adult, Batch, Batcher, BatcherState, Compas, Dataset, Digits, FeatureStorage, Grouped,
    GroupedSplit, Mnist, MnistVariant, Protected, ProtectedFeature, Split,
};
pub use error::DataError;
pub use l0::{
    GateMode, GateRng, GateStructure, L0Linear, L0LinearConfig, PurgeReport, PurgedLinear, TestGate,
};
pub use metrics::ConfusionMatrix;
pub use model::{GatedClassifier, L0LeNet5, L0LeNet5Config, L0Mlp, L0MlpConfig, Mlp, MlpConfig};
