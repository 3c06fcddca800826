//! The setup shared by `benches/gated_step.rs` and `examples/profile_gated_step.rs` (included
//! there by `#[path]`): the L0-gated MLP 64-128-64-10 on 16 fixed batches of 128 digits,
//! cross-entropy with or without `expected density - 0.2 <= 0`, Adam with the gates in their
//! own group (lr 1e-2).

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Int, Tensor};
use rein::optim::{Adam, AdamConfig, ParamGroup};
use rein::{Cmp, CmpState, ConstraintState};
use rein_nn::DataError;
use rein_nn::l0::{GateRng, TestGate};
use rein_nn::{Batcher, Digits, L0Mlp, L0MlpConfig};

/// Inputs and class labels of one batch.
pub type Batch = (Tensor<2>, Tensor<1, Int>);

/// Cross-entropy of the gated MLP with sampled gates, and its expected density constraint
/// (`density`, `<= 0.2`) when `constrained`.
pub struct Gated {
    pub rng: GateRng,
    pub loss: CrossEntropyLoss,
    pub constrained: bool,
}

impl Gated {
    /// The problem on `device`, gates sampled from seed 0.
    pub fn new(constrained: bool, device: &Device) -> Self {
        Self {
            rng: GateRng::new(0),
            loss: CrossEntropyLossConfig::new().init(device),
            constrained,
        }
    }
}

impl Cmp<L0Mlp> for Gated {
    type Batch = Batch;
    fn compute_cmp_state(&mut self, m: &L0Mlp, b: &Batch) -> rein::Result<CmpState> {
        let logits = m.forward(b.0.clone(), Some(&mut self.rng), TestGate::Median);
        let s = CmpState::new().loss(self.loss.forward(logits, b.1.clone()));
        Ok(if self.constrained {
            s.observe(
                "density",
                ConstraintState::new(m.expected_density().sub_scalar(0.2)),
            )
        } else {
            s
        })
    }
}

/// 16 batches of 128 training digits (80/20 split, seed 0), cycled through by the steps.
pub fn digit_batches(device: &Device) -> Result<Vec<Batch>, DataError> {
    let split = Digits::load_bundled()?.split(0.2, 0)?;
    let mut batcher = Batcher::new(split.train.n, 128, 0)?;
    Ok((0..16)
        .map(|_| {
            split
                .train
                .batch_tensors(&batcher.next_batch().indices, device)
        })
        .collect())
}

/// The L0-gated MLP 64-128-64-10 (drop rate 0.1, seed 0).
pub fn gated_mlp(device: &Device) -> L0Mlp {
    L0MlpConfig::new(64, vec![128, 64], 10)
        .drop_rate(0.1)
        .init(0, device)
}

/// Adam (lr 1e-3) with the gates of `model` in a group of lr 1e-2.
pub fn gated_adam(model: &L0Mlp) -> rein::Result<Adam> {
    Adam::new(AdamConfig::new(1e-3))?
        .with_group(ParamGroup::new("gates", model.gate_paths()).lr(1e-2))
}
