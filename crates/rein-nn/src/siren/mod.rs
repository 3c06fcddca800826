//! SIRENs for image compression: COIN (Dupont, Golinski, Alizadeh, Teh & Doucet 2021, "COIN:
//! COmpression with Implicit Neural representations", arXiv:2103.03123) and L0onie (Ramirez &
//! Gallego-Posada 2022, "L0onie: Compressing COINs with L0-constraints", arXiv:2207.04144).
//!
//! A SIREN (Sitzmann et al. 2020) maps a pixel coordinate `(y, x) in [-1, 1]^2` to its RGB
//! value in `[0, 1]`: `h_l = sin(w0 (h_{l-1} W_l + b_l))` for the hidden layers (`w0 = 30`),
//! then a linear output layer. Overfitting it to one image and storing its weights in fp16 is
//! COIN; gating every weight and bias with hard-concrete L0 gates and constraining the model's
//! size in bits per pixel is L0onie.
//!
//! * [`SirenConfig`]: architecture, the SIREN initialisation on the host from a seed, the
//!   parameter count `P = 3h + (L-1)(h^2 + h) + 3h + 3`.
//! * [`Siren`]: the dense network (COIN); [`L0Siren`]: the gated one (L0onie) with its
//!   differentiable expected L0 norm and [`L0Siren::purge`].
//! * [`SirenWeights`]: host weights, fp16 rounding, `nnz`, L0onie's `16 nnz / (H W)` bits per
//!   pixel, and the `f32` renderer shared by encoder and decoder. They live in the burn-free
//!   crate `rein_coin` (with the `.rcoin` file format) and are re-exported here.
//!
//! ```
//! use burn::tensor::{Device, Tensor, TensorData};
//! use rein_nn::l0::{GateRng, TestGate};
//! use rein_nn::siren::{SirenConfig, coordinate_grid};
//!
//! let device = Device::flex().autodiff();
//! let config = SirenConfig::new(2, 8);
//! let model = config.init_gated(0, 0.1, &device);
//! let coords = Tensor::<2>::from_data(TensorData::new(coordinate_grid(4, 4), [16, 2]), &device);
//! let rgb = model.forward(coords, Some(&mut GateRng::new(0)), TestGate::Median);
//! let _grads = (rgb.sum() + model.expected_l0()).backward();
//! let deployed = model.purge(TestGate::Median).to_fp16();
//! let bpp = 16.0 * deployed.nnz() as f64 / 16.0; // bits per pixel of a 4x4 image
//! assert!(bpp > 0.0 && deployed.render(4, 4).len() == 48);
//! ```

mod model;

pub use model::{L0Siren, Siren, SirenConfig};
/// The host-side SIREN, [`rein_coin::siren`] (formerly this crate's own module).
pub use rein_coin::siren as host;
pub use rein_coin::siren::{
    LayerWeights, ShapeError, SirenWeights, coordinate_grid, num_params_of, psnr_rgb8, round_fp16,
    to_rgb8,
};
