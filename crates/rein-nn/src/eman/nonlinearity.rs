//! The norm non-linearity: exactly gauge equivariant (Worrall et al. 2017, "Harmonic
//! Networks"; one of the non-linearities GEM-CNN discusses). Scalars go through ReLU; an
//! order-`n ≥ 1` channel `z` is scaled by a gate of its own norm,
//!
//! ```text
//! z ↦ z · σ(|z| + b_c)     (σ the logistic function, b_c a learned bias per channel)
//! ```
//!
//! which commutes with `z ↦ e^{-ing} z` because `|z|` is invariant. GEM-CNN's regular
//! non-linearity (sample the Fourier coefficients on `M` angles, ReLU, transform back) is only
//! equivariant up to an error that shrinks with `M`; we use the norm non-linearity so that the
//! equivariance tests hold to rounding error.

use burn::module::{Module, Param};
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::{Device, Tensor};

use super::fields::{Complex, Fields};
use super::init;

/// Norm non-linearity with a bias per channel of every order `n ≥ 1`.
#[derive(Module, Debug)]
pub struct NormGate {
    /// `b_c` per order `n ≥ 1` (`bias[n - 1]`).
    pub bias: Vec<Param<Tensor<1>>>,
}

impl NormGate {
    /// A gate for `channels[n]` order-`n` channels, biases 0.
    pub fn new(channels: &[usize], device: &Device) -> Self {
        Self {
            bias: channels[1..]
                .iter()
                .map(|&c| init::zeros(c, device))
                .collect(),
        }
    }

    /// The activated fields.
    pub fn forward(&self, x: Fields) -> Fields {
        let orders = x
            .orders
            .iter()
            .zip(&self.bias)
            .map(|(z, b)| {
                let gate = sigmoid(z.norm(1e-12) + b.val().unsqueeze_dim(0));
                Complex {
                    re: z.re.clone() * gate.clone(),
                    im: z.im.clone() * gate,
                }
            })
            .collect();
        Fields {
            scalars: relu(x.scalars),
            orders,
        }
    }
}
