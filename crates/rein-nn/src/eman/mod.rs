//! EMAN: Equivariant Mesh Attention Networks (Basu, Gallego-Posada, Viganò, Rowbottom, Cohen
//! 2022, TMLR), built on GEM-CNN (de Haan, Weiler, Cohen, Welling 2021, "Gauge Equivariant
//! Mesh CNNs", ICLR). docs/eman.md has the equations.
//!
//! * [`reltan`]: relative tangential input features (similarity invariant, gauge equivariant).
//! * [`MeshGraph`]: the mesh's edges and angle factors on the device.
//! * [`GaugeConv`]: the gauge-equivariant convolution (complex form of the GEM-CNN kernels,
//!   parallel transport of the neighbours' features).
//! * [`EdgeAttention`]: softmax attention over neighbours from gauge-invariant scores.
//! * [`NormGate`]: the (exactly equivariant) norm non-linearity.
//! * [`Eman`]: the network; [`XyzGraphNet`]: the non-equivariant `xyz` baseline.
//!
//! ```
//! use burn::tensor::Device;
//! use rein_nn::eman::{EmanConfig, MeshGraph, reltan_fields};
//! use rein_nn::mesh::{MeshGeometry, icosphere};
//! let mesh = icosphere(1);
//! let geometry = MeshGeometry::new(&mesh, None)?;
//! let device = Device::flex();
//! let config = EmanConfig::new(3);
//! let graph = MeshGraph::new(&mesh, &geometry, config.max_order, &device);
//! let input = reltan_fields(&mesh, &geometry, config.max_order, &device);
//! let logits = config.init(0, &device).forward(&input, &graph);
//! assert_eq!(logits.dims(), [42, 3]);
//! # Ok::<(), rein_nn::mesh::MeshError>(())
//! ```

mod attention;
mod baseline;
mod conv;
mod fields;
mod graph;
mod init;
mod model;
mod nonlinearity;
pub mod reltan;

pub use attention::{EdgeAttention, SCORE_BOUND};
pub use baseline::{XyzGraphNet, XyzLayer};
pub use conv::{Channels, ComplexWeight, GaugeConv};
pub use fields::{Complex, Fields};
pub use graph::{MeshGraph, Phase};
pub use model::{Eman, EmanConfig};
pub use nonlinearity::NormGate;
pub use reltan::{RELTAN_SCALARS, reltan_fields, reltan_host};
