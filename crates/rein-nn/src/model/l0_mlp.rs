//! An MLP whose every layer is an [`L0Linear`]: the model of controlled sparsity
//! (Gallego-Posada et al. 2022, "Controlled sparsity via constrained optimization").

use burn::module::Module;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::gated::GatedClassifier;
use crate::l0::{
    GateMode, GateRng, GateStructure, L0Linear, L0LinearConfig, PurgeReport, TestGate,
};

/// Configuration of an [`L0Mlp`].
#[derive(Debug, Clone)]
pub struct L0MlpConfig {
    /// Input width.
    pub input: usize,
    /// Hidden widths.
    pub hidden: Vec<usize>,
    /// Output width (classes).
    pub output: usize,
    /// Gate structure of every layer.
    pub structure: GateStructure,
    /// Initial drop rate `d` of the gates (log_alpha ~ N(ln((1-d)/d), 0.01)).
    pub drop_rate: f64,
}

impl L0MlpConfig {
    /// An unstructured L0 MLP with initial drop rate 0.5.
    pub fn new(input: usize, hidden: Vec<usize>, output: usize) -> Self {
        Self {
            input,
            hidden,
            output,
            structure: GateStructure::Unstructured,
            drop_rate: 0.5,
        }
    }

    /// Sets the gate structure.
    pub fn structure(mut self, structure: GateStructure) -> Self {
        self.structure = structure;
        self
    }

    /// Sets the initial drop rate.
    pub fn drop_rate(mut self, d: f64) -> Self {
        self.drop_rate = d;
        self
    }

    /// Builds the model; layer `l` draws from seed stream `seed * 1000 + l`.
    pub fn init(&self, seed: u64, device: &Device) -> L0Mlp {
        let mut sizes = vec![self.input];
        sizes.extend(&self.hidden);
        sizes.push(self.output);
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                L0LinearConfig::new(w[0], w[1], self.structure)
                    .with_drop_rate(self.drop_rate)
                    .init(seed.wrapping_mul(1000).wrapping_add(l as u64), device)
            })
            .collect();
        L0Mlp { layers }
    }
}

/// A ReLU MLP of [`L0Linear`] layers.
#[derive(Module, Debug)]
pub struct L0Mlp {
    /// The gated layers.
    pub layers: Vec<L0Linear>,
}

impl L0Mlp {
    /// Logits for `input` with sampled gates (training) or deterministic ones (test). Each layer
    /// draws its own gate sample from `rng` in sample mode.
    pub fn forward(
        &self,
        input: Tensor<2>,
        mut rng: Option<&mut GateRng>,
        test: TestGate,
    ) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        let mut x = input;
        for (l, layer) in self.layers.iter().enumerate() {
            let y = layer.forward(x, GateMode::from_rng(&mut rng, test));
            x = if l < last { relu(y) } else { y };
        }
        x
    }

    /// Logits with every gate open (the dense MLP of the same shape).
    pub fn forward_dense(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        let mut x = input;
        for (l, layer) in self.layers.iter().enumerate() {
            let y = burn::tensor::module::linear(
                x,
                layer.weight.val(),
                layer.bias.as_ref().map(|b| b.val()),
            );
            x = if l < last { relu(y) } else { y };
        }
        x
    }

    /// Expected number of active sparsifiable parameters per layer (differentiable, `[1]` each).
    pub fn expected_active_per_layer(&self) -> Vec<Tensor<1>> {
        self.layers
            .iter()
            .map(L0Linear::expected_active_params)
            .collect()
    }

    /// Sparsifiable parameters per layer.
    pub fn total_per_layer(&self) -> Vec<usize> {
        self.layers.iter().map(L0Linear::total_params).collect()
    }

    /// Model-wise expected density `sum E[active] / sum total` (differentiable, `[1]`).
    pub fn expected_density(&self) -> Tensor<1> {
        let total: usize = self.total_per_layer().iter().sum();
        let active = self
            .expected_active_per_layer()
            .into_iter()
            .reduce(|a, b| a + b)
            .expect("an L0 MLP has at least one layer");
        active.div_scalar(total as f64)
    }

    /// Clamps every layer's log_alpha to `[ln 0.01, ln 100]` (after each optimizer step).
    pub fn clamp_log_alpha(self) -> Self {
        Self {
            layers: self
                .layers
                .into_iter()
                .map(L0Linear::clamp_log_alpha)
                .collect(),
        }
    }

    /// Purge report of the whole model with test gate `gate` (true active parameters, density,
    /// dense and sparse byte sizes).
    pub fn purge_report(&self, gate: TestGate) -> PurgeReport {
        self.layers.iter().map(|l| l.purge(gate).report).sum()
    }

    /// Paths of the gate parameters (`layers.<l>.log_alpha`), for a parameter group.
    pub fn gate_paths(&self) -> Vec<String> {
        (0..self.layers.len())
            .map(|l| format!("layers.{l}.log_alpha"))
            .collect()
    }
}

impl GatedClassifier for L0Mlp {
    fn forward_gated(
        &self,
        input: Tensor<2>,
        rng: Option<&mut GateRng>,
        test: TestGate,
    ) -> Tensor<2> {
        self.forward(input, rng, test)
    }

    fn forward_ungated(&self, input: Tensor<2>) -> Tensor<2> {
        self.forward_dense(input)
    }

    fn expected_active_per_layer(&self) -> Vec<Tensor<1>> {
        L0Mlp::expected_active_per_layer(self)
    }

    fn total_per_layer(&self) -> Vec<usize> {
        L0Mlp::total_per_layer(self)
    }

    fn expected_density(&self) -> Tensor<1> {
        L0Mlp::expected_density(self)
    }

    fn clamp_log_alpha(self) -> Self {
        L0Mlp::clamp_log_alpha(self)
    }

    fn purge_report(&self, gate: TestGate) -> PurgeReport {
        L0Mlp::purge_report(self, gate)
    }

    fn gate_paths(&self) -> Vec<String> {
        L0Mlp::gate_paths(self)
    }
}
