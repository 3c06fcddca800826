//! The L0onie problem (Ramirez & Gallego-Posada 2022, "L0onie: Compressing COINs with
//! L0-constraints", arXiv:2207.04144):
//!
//! ```text
//! min_{theta, log_alpha}  MSE(f_{theta * z}(coords), image)   s.t.  bpp <= target
//! ```
//!
//! with one hard-concrete gate `z` per weight and bias. The constraint has two faces:
//!
//! * **strict** (drives the multiplier): `16 nnz(fp16(purge(theta))) / (H W) - target`, the
//!   true size of the deployed fp16 model at the median test gates; a count, not
//!   differentiable;
//! * **proxy** (drives the parameters): `32 sum_gates P(z != 0) / (H W) - target`, the
//!   expected-L0 surrogate (Louizos, Welling & Kingma 2018, eq. 12), differentiable in
//!   `log_alpha`.
//!
//! rein's [`ConstraintState::strict`] carries exactly this split (proxy constraints, Cotter et
//! al. 2019): the dual step ascends on the strict value, the primal Lagrangian uses the proxy.

use burn::tensor::{Device, Tensor, TensorData};
use rein::{Cmp, CmpState, ConstraintState};
use rein_nn::l0::{GateRng, TestGate};
use rein_nn::siren::{L0Siren, coordinate_grid};

use super::TrainGates;

/// Name of the bits-per-pixel constraint (its settings live under
/// `optimizer.constraints.bpp`).
pub const BPP: &str = "bpp";

/// What the last evaluation measured (host values, for logs).
#[derive(Debug, Clone, Copy, Default)]
pub struct Observed {
    /// Training MSE on `[0, 1]` RGB.
    pub mse: f64,
    /// `32 E[L0] / (H W)` (before subtracting the target).
    pub proxy_bpp: f64,
    /// `16 nnz(fp16 purge) / (H W)`.
    pub strict_bpp: f64,
}

/// Full-batch MSE on one image subject to `bpp <= target`.
pub struct L0onieProblem {
    coords: Tensor<2>,
    pixels: Tensor<2>,
    height: usize,
    width: usize,
    target: f64,
    gates: TrainGates,
    rng: GateRng,
    /// The last evaluation's host values.
    pub last: Observed,
}

impl L0onieProblem {
    /// The problem for `image` (`[h w, 3]` in `[0, 1]`), a bpp `target`, the training gates and
    /// the gate-noise seed.
    pub fn new(
        image: &[f32],
        height: usize,
        width: usize,
        target: f64,
        gates: TrainGates,
        seed: u64,
        device: &Device,
    ) -> Self {
        let (coords, pixels) = grid_and_pixels(image, height, width, device);
        Self {
            coords,
            pixels,
            height,
            width,
            target,
            gates,
            rng: GateRng::with_stream(seed, 17),
            last: Observed::default(),
        }
    }

    /// The gate-noise generator (its position is saved in checkpoints).
    pub fn gate_rng(&self) -> &GateRng {
        &self.rng
    }

    /// Replaces the gate-noise generator (a resumed run).
    pub fn set_gate_rng(&mut self, rng: GateRng) {
        self.rng = rng;
    }

    /// `bits / (H W)`.
    fn per_pixel(&self, bits: f64) -> f64 {
        bits / (self.height * self.width) as f64
    }
}

/// The pixel coordinates `[H W, 2]` in `[-1, 1]^2` and the pixels `[H W, 3]` of `image`.
pub(super) fn grid_and_pixels(
    image: &[f32],
    height: usize,
    width: usize,
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let n = height * width;
    (
        Tensor::from_data(
            TensorData::new(coordinate_grid(height, width), [n, 2]),
            device,
        ),
        Tensor::from_data(TensorData::new(image.to_vec(), [n, 3]), device),
    )
}

/// Full-batch mean squared error `mean((out - pixels)^2)` over every pixel and channel, shape
/// `[1]`.
pub fn mse(out: Tensor<2>, pixels: Tensor<2>) -> Tensor<1> {
    let d = out - pixels;
    (d.clone() * d).mean()
}

impl Cmp<L0Siren> for L0onieProblem {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &L0Siren, _: &()) -> rein::Result<CmpState> {
        let out = match self.gates {
            TrainGates::Sampled => {
                model.forward(self.coords.clone(), Some(&mut self.rng), TestGate::Median)
            }
            TrainGates::Median => model.forward(self.coords.clone(), None, TestGate::Median),
        };
        let loss = mse(out, self.pixels.clone());
        let proxy = model.expected_l0().mul_scalar(self.per_pixel(32.0));
        let strict_bpp = model
            .purge(TestGate::Median)
            .fp16_bpp(self.height, self.width);
        self.last = Observed {
            mse: loss.clone().into_scalar::<f64>(),
            proxy_bpp: proxy.clone().into_scalar::<f64>(),
            strict_bpp,
        };
        let state = ConstraintState::new(proxy.sub_scalar(self.target))
            .strict(vec![strict_bpp - self.target]);
        Ok(CmpState::new()
            .loss(loss)
            .observe(BPP, state)
            .misc("strict_bpp", strict_bpp)
            .misc("proxy_bpp", self.last.proxy_bpp))
    }
}
