//! What a controlled-sparsity experiment needs from a gated classifier, whatever its layers.

use burn::tensor::Tensor;

use crate::l0::{GateRng, PurgeReport, TestGate};

/// A classifier whose sparsifiable parameters are behind hard-concrete L0 gates
/// ([`L0Mlp`](super::L0Mlp), [`L0LeNet5`](super::L0LeNet5)).
///
/// Densities are counted over the sparsifiable parameters: model-wise
/// `sum_l E[active_l] / sum_l total_l`, or per gated layer.
pub trait GatedClassifier {
    /// Logits `[n, classes]` for flat inputs `[n, features]`: sampled gates when `rng` is given
    /// (training), otherwise the deterministic `test` gates.
    fn forward_gated(
        &self,
        input: Tensor<2>,
        rng: Option<&mut GateRng>,
        test: TestGate,
    ) -> Tensor<2>;

    /// Logits with every gate ignored (open): the dense model of the same shape, for baselines.
    fn forward_ungated(&self, input: Tensor<2>) -> Tensor<2>;

    /// Expected active sparsifiable parameters per gated layer (differentiable, `[1]` each).
    fn expected_active_per_layer(&self) -> Vec<Tensor<1>>;

    /// Sparsifiable parameters per gated layer.
    fn total_per_layer(&self) -> Vec<usize>;

    /// Model-wise expected density `sum E[active] / sum total` (differentiable, `[1]`).
    fn expected_density(&self) -> Tensor<1> {
        let total: usize = self.total_per_layer().iter().sum();
        let active = self
            .expected_active_per_layer()
            .into_iter()
            .reduce(|a, b| a + b)
            .expect("a gated classifier has at least one gated layer");
        active.div_scalar(total as f64)
    }

    /// The model with every `log_alpha` clamped to `[ln 0.01, ln 100]` (after each step).
    fn clamp_log_alpha(self) -> Self;

    /// Purge report of the whole model with test gate `gate`.
    fn purge_report(&self, gate: TestGate) -> PurgeReport;

    /// Parameter paths of the gates, for a parameter group with its own learning rate.
    fn gate_paths(&self) -> Vec<String>;
}
