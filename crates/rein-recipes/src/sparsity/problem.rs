//! The controlled-sparsity problem: `min CE(x) s.t. density(log_alpha) <= rho`
//! (Gallego-Posada, Ramirez, Erraqabi, Bengio & Lacoste-Julien 2022).

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Tensor, TensorData};
use rein::{Cmp, CmpState, ConstraintState};
use rein_nn::l0::{GateRng, TestGate};
use rein_nn::{Dataset, GatedClassifier};

/// Name of the model-wise density constraint.
pub const DENSITY: &str = "density";
/// Name of the layer-wise density constraint group (one entry per gated layer).
pub const LAYER_DENSITY: &str = "layer_density";

/// Which densities are constrained.
#[derive(Debug, Clone, PartialEq)]
pub enum Targets {
    /// No constraint: cross-entropy only (the unconstrained gated model of the benchmarks).
    None,
    /// One constraint: expected active / total sparsifiable parameters `<= rho`.
    ModelWise(f64),
    /// One constraint per layer: layer `l`'s expected density `<= rho_l`.
    LayerWise(Vec<f64>),
}

/// Cross-entropy on a minibatch with sampled gates, subject to expected-density constraints.
///
/// The violation is the closed-form expected density (differentiable in log_alpha) minus the
/// target: `density = sum_l sum_gates P(z != 0) * group_size / total`, the same quantity as its
/// strict version (it is exact, not an estimate), so no separate strict violation is needed.
pub struct SparsityProblem {
    train: Dataset,
    targets: Targets,
    rng: GateRng,
    loss: CrossEntropyLoss,
    device: Device,
}

impl SparsityProblem {
    /// The problem on `train` with density `targets`; gates are sampled from `seed`.
    pub fn new(train: Dataset, targets: Targets, seed: u64, device: &Device) -> Self {
        Self::with_gate_rng(train, targets, GateRng::with_stream(seed, 7), device)
    }

    /// The problem with an explicit gate-noise generator (the benchmarks replay stored noise).
    pub fn with_gate_rng(train: Dataset, targets: Targets, rng: GateRng, device: &Device) -> Self {
        Self {
            train,
            targets,
            rng,
            loss: CrossEntropyLossConfig::new().init(device),
            device: device.clone(),
        }
    }

    /// The gate-noise generator (its position is saved in checkpoints).
    pub fn gate_rng(&self) -> &GateRng {
        &self.rng
    }

    /// Replaces the gate-noise generator (e.g. to restart stored noise).
    pub fn set_gate_rng(&mut self, rng: GateRng) {
        self.rng = rng;
    }

    /// The constraint this problem observes: its name and number of entries, given the
    /// number of gated layers.
    pub fn constraint(&self) -> (&'static str, usize) {
        match &self.targets {
            Targets::None | Targets::ModelWise(_) => (DENSITY, 1),
            Targets::LayerWise(t) => (LAYER_DENSITY, t.len()),
        }
    }
}

impl SparsityProblem {
    /// Number of training rows.
    pub fn rows(&self) -> usize {
        self.train.n
    }
}

impl<M: GatedClassifier> Cmp<M> for SparsityProblem {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &M, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.batch_tensors(batch, &self.device);
        let logits = model.forward_gated(x, Some(&mut self.rng), TestGate::Median);
        let loss = self.loss.forward(logits, y);
        let state = CmpState::new().loss(loss);
        Ok(match &self.targets {
            Targets::None => state,
            Targets::ModelWise(rho) => {
                let g = model.expected_density().sub_scalar(*rho);
                state.observe(DENSITY, ConstraintState::new(g))
            }
            Targets::LayerWise(rhos) => {
                let totals = model.total_per_layer();
                let densities: Vec<Tensor<1>> = model
                    .expected_active_per_layer()
                    .into_iter()
                    .zip(&totals)
                    .map(|(a, t)| a.div_scalar(*t as f64))
                    .collect();
                let rho = Tensor::<1>::from_data(
                    TensorData::new(
                        rhos.iter().map(|r| *r as f32).collect::<Vec<_>>(),
                        [rhos.len()],
                    ),
                    &self.device,
                );
                let g = Tensor::cat(densities, 0) - rho;
                state.observe(LAYER_DENSITY, ConstraintState::new(g))
            }
        })
    }
}
