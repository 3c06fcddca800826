//! L0-sparse layers with hard-concrete gates (Louizos, Welling & Kingma 2018, "Learning sparse
//! neural networks through L0 regularization", ICLR 2018, arXiv:1712.01312).
//!
//! * [`hard_concrete`]: the gate distribution: constants, closed forms for `P(z = 0)`,
//!   `P(z = 1)` and the expected L0 norm (tensor and [`host`] `f64` versions), reparameterised
//!   sampling from a checkpointable [`GateRng`], deterministic [`TestGate`]s and the
//!   `log_alpha` initialisation.
//! * [`fused`]: the sample and the expected L0 norm as host SIMD kernels with exact gradients
//!   (what the layers use; flex's element-wise `sigmoid` is scalar libm).
//! * [`linear`]: [`L0Linear`], a gated fully connected layer, unstructured or with one gate per
//!   input neuron ([`GateStructure`]); its differentiable
//!   [`expected_active_params`](L0Linear::expected_active_params) is what a density constraint
//!   uses.
//! * [`purge`](mod@purge): fold the test-time gates into a plain [`burn::nn::Linear`], drop removed
//!   inputs and report the true parameter count and sizes ([`PurgeReport`]).
//!
//! * [`conv2d`]: [`L0Conv2d`], a gated 2-D convolution, unstructured or with one gate per output
//!   channel (group size `(c_in / groups) k_h k_w`, +1 with a bias), and its purge into the kept
//!   feature maps ([`PurgedConv2d`]).
//!
//! ```
//! use burn::tensor::{Device, Tensor};
//! use rein_nn::l0::{GateMode, GateRng, GateStructure, L0LinearConfig, TestGate};
//!
//! let device = Device::flex().autodiff();
//! let layer = L0LinearConfig::new(4, 3, GateStructure::Unstructured).init(0, &device);
//! let x = Tensor::<2>::ones([2, 4], &device);
//! let mut rng = GateRng::new(0);
//! let y = layer.forward(x.clone(), GateMode::Sample(&mut rng)); // training
//! let density = layer.expected_density(); // differentiable, for the constraint
//! let _grads = (y.sum() + density).backward();
//! let purged = layer.purge(TestGate::Median); // evaluation / deployment
//! assert_eq!(purged.forward(x).dims(), [2, 3]);
//! assert_eq!(purged.report.total_params, 4 * 3 + 3);
//! ```

pub mod conv2d;
pub mod fused;
pub mod hard_concrete;
pub mod linear;
pub mod purge;
mod simd_math;
pub mod slope_op;

pub use conv2d::{ConvGateStructure, L0Conv2d, L0Conv2dConfig, PurgedConv2d};
pub use hard_concrete::{GateRng, GateRngState, TestGate, host};
pub use linear::{GateMode, GateStructure, L0Linear, L0LinearConfig};
pub use purge::{PurgeReport, PurgedLinear, purge};
