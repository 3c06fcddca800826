//! Purging: fold the deterministic test-time gates into the weights of an [`L0Linear`] and drop
//! what they removed (Louizos, Welling & Kingma 2018, "Learning sparse neural networks through
//! L0 regularization": at test time the gates are `z_hat = min(1, max(0, sigmoid(log_alpha /
//! beta)(zeta - gamma) + gamma))` and `theta* = theta * z_hat`).
//!
//! The purged layer is a plain [`burn::nn::Linear`] with weight `W' = (W * Z_w)[kept, :]` and
//! bias `b' = b * z_b`, where `kept` lists the input features whose folded weight row is not
//! entirely zero; with [`GateStructure::InputNeurons`](super::GateStructure) these are exactly
//! the inputs with an open gate (barring weights that are exactly zero). Its outputs equal the
//! gated layer's outputs in test mode.

use burn::module::Param;
use burn::nn::Linear;
use burn::tensor::{Int, Tensor, TensorData};

use super::hard_concrete::TestGate;
use super::linear::{GateMode, L0Linear};

/// Sizes of a purged layer (or, summed with `+`, of a purged model).
///
/// * `total_params`: parameters of the original dense layer (all weights and biases, gated or
///   not);
/// * `active_params`: nonzero values after folding the gates in (the true parameter count);
/// * `density = active_params / total_params`;
/// * `dense_bytes`: the purged layer stored densely as `f32` (4 bytes per entry of the kept
///   rows and of the bias);
/// * `sparse_bytes`: the nonzero values stored sparsely, as an `f32` value plus a `u32` flat index
///   per nonzero: `8 * active_params`.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PurgeReport {
    /// Nonzero parameters after folding the gates.
    pub active_params: usize,
    /// Parameters of the original dense layer(s).
    pub total_params: usize,
    /// `active_params / total_params` (0 for an empty report).
    pub density: f64,
    /// Bytes of the purged layer(s) stored densely as `f32`.
    pub dense_bytes: usize,
    /// Bytes as sparse storage: `f32` value + `u32` index per nonzero.
    pub sparse_bytes: usize,
}

impl PurgeReport {
    pub(crate) fn new(active_params: usize, total_params: usize, dense_entries: usize) -> Self {
        Self {
            active_params,
            total_params,
            density: if total_params == 0 {
                0.0
            } else {
                active_params as f64 / total_params as f64
            },
            dense_bytes: 4 * dense_entries,
            sparse_bytes: 8 * active_params,
        }
    }
}

impl std::ops::Add for PurgeReport {
    type Output = Self;

    /// The report of two layers together (the density is recomputed from the sums).
    fn add(self, other: Self) -> Self {
        let mut sum = Self::new(
            self.active_params + other.active_params,
            self.total_params + other.total_params,
            0,
        );
        sum.dense_bytes = self.dense_bytes + other.dense_bytes;
        sum
    }
}

impl std::iter::Sum for PurgeReport {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |a, b| a + b)
    }
}

/// A purged [`L0Linear`]: a dense [`Linear`] over the kept input features.
#[derive(Debug)]
pub struct PurgedLinear {
    /// The dense layer: weight `[kept_inputs.len(), d_output]`, bias `[d_output]`.
    pub linear: Linear,
    /// The original input features the layer still reads, ascending. At least one is kept (an
    /// all-zero row if every input was removed) so that the layer stays a valid dense matrix.
    pub kept_inputs: Vec<usize>,
    /// The original number of input features.
    pub d_input: usize,
    /// Sizes of the purged layer.
    pub report: PurgeReport,
}

impl PurgedLinear {
    /// The output for a full-width input `[..., d_input]`: selects the kept features, then
    /// applies [`PurgedLinear::linear`]. Equals the gated layer's test-mode output.
    ///
    /// # Panics
    /// If the last axis of `input` is not `d_input`.
    pub fn forward<const D: usize>(&self, input: Tensor<D>) -> Tensor<D> {
        assert_eq!(
            input.dims()[D - 1],
            self.d_input,
            "PurgedLinear expects {} input features",
            self.d_input
        );
        if self.kept_inputs.len() == self.d_input {
            return self.linear.forward(input);
        }
        let indices: Vec<i64> = self.kept_inputs.iter().map(|&i| i as i64).collect();
        let indices = Tensor::<1, Int>::from_data(
            TensorData::new(indices, [self.kept_inputs.len()]),
            &input.device(),
        );
        self.linear.forward(input.select(D - 1, indices))
    }
}

/// Folds the test-time gates `gate` into `layer` and drops the input rows they zeroed; see the
/// [module docs](self).
pub fn purge(layer: &L0Linear, gate: TestGate) -> PurgedLinear {
    let (d_in, d_out) = (layer.d_input(), layer.d_output());
    let device = layer.weight.device();
    let (weight, bias) = layer.gated_params(GateMode::Test(gate));
    let weight = to_host(weight);
    let bias = bias.map(to_host);

    let mut kept_inputs: Vec<usize> = (0..d_in)
        .filter(|&i| weight[i * d_out..(i + 1) * d_out].iter().any(|&w| w != 0.0))
        .collect();
    if kept_inputs.is_empty() {
        kept_inputs.push(0);
    }
    let kept_weight: Vec<f32> = kept_inputs
        .iter()
        .flat_map(|&i| weight[i * d_out..(i + 1) * d_out].iter().copied())
        .collect();

    let nonzero = |v: &[f32]| v.iter().filter(|&&x| x != 0.0).count();
    let bias_len = bias.as_ref().map_or(0, Vec::len);
    let report = PurgeReport::new(
        nonzero(&kept_weight) + bias.as_deref().map_or(0, nonzero),
        d_in * d_out + bias_len,
        kept_weight.len() + bias_len,
    );
    let linear = Linear {
        weight: Param::from_data(
            TensorData::new(kept_weight, [kept_inputs.len(), d_out]),
            &device,
        ),
        bias: bias.map(|b| Param::from_data(TensorData::new(b, [d_out]), &device)),
    };
    PurgedLinear {
        linear,
        kept_inputs,
        d_input: d_in,
        report,
    }
}

impl L0Linear {
    /// Folds the test-time gates into the weights; see [`purge`].
    pub fn purge(&self, gate: TestGate) -> PurgedLinear {
        purge(self, gate)
    }
}

fn to_host<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.to_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("float tensor data converts to f32")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l0::{GateStructure, L0LinearConfig};
    use burn::tensor::Device;

    fn set_log_alpha(layer: &mut L0Linear, values: Vec<f32>, device: &Device) {
        let n = values.len();
        assert_eq!(n, layer.num_gates());
        layer.log_alpha = Param::from_data(TensorData::new(values, [n]), device);
    }

    fn inputs(d: usize, device: &Device) -> Tensor<2> {
        let values: Vec<f32> = (0..5 * d)
            .map(|k| ((k * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        Tensor::from_data(TensorData::new(values, [5, d]), device)
    }

    fn assert_close(a: Vec<f32>, b: Vec<f32>) {
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-5, "{x} vs {y}");
        }
    }

    #[test]
    fn unstructured_purge_matches_test_mode() {
        let device = Device::flex();
        let mut layer = L0LinearConfig::new(6, 4, GateStructure::Unstructured).init(2, &device);
        // A spread of log_alpha on both sides of the thresholds; inputs 1 and 4 fully closed.
        let la: Vec<f32> = (0..layer.num_gates())
            .map(|k| {
                if k / 4 == 1 || k / 4 == 4 {
                    -3.0
                } else {
                    ((k * 7 % 11) as f32 - 5.0) * 0.6
                }
            })
            .collect();
        set_log_alpha(&mut layer, la.clone(), &device);
        // A nonzero bias (it is initialised to zero), so that every open gate is a nonzero.
        layer.bias = Some(Param::from_data(
            TensorData::new(vec![0.5f32, -1.0, 0.25, 2.0], [4]),
            &device,
        ));
        // Gates 24..28 are the bias gates (layout: weights row-major, then bias).
        let x = inputs(6, &device);
        for gate in [TestGate::Median, TestGate::Louizos] {
            let purged = layer.purge(gate);
            let gated = layer.forward(x.clone(), GateMode::Test(gate));
            assert_close(to_host(purged.forward(x.clone())), to_host(gated));
            assert_eq!(purged.kept_inputs, vec![0, 2, 3, 5]);
            let open = la
                .iter()
                .filter(|&&a| gate.gate_f64(f64::from(a)) > 0.0)
                .count();
            let r = purged.report;
            assert_eq!(r.active_params, open);
            assert_eq!(r.total_params, 6 * 4 + 4);
            assert!((r.density - open as f64 / 28.0).abs() < 1e-12);
            assert_eq!(r.dense_bytes, 4 * (4 * 4 + 4));
            assert_eq!(r.sparse_bytes, 8 * open);
        }
        // The Louizos gate keeps strictly more here (gates in (-2.398, -1.599]).
        assert!(
            layer.purge(TestGate::Louizos).report.active_params
                > layer.purge(TestGate::Median).report.active_params
        );
    }

    #[test]
    fn structured_purge_drops_closed_inputs_and_matches_test_mode() {
        let device = Device::flex();
        let mut layer = L0LinearConfig::new(6, 4, GateStructure::InputNeurons).init(3, &device);
        layer.bias = Some(Param::from_data(
            TensorData::new(vec![0.5f32, -1.0, 0.0, 2.0], [4]),
            &device,
        ));
        set_log_alpha(&mut layer, vec![-3.0, 2.0, -3.0, 0.5, 3.0, -1.0], &device);
        let x = inputs(6, &device);
        let purged = layer.purge(TestGate::Median);
        assert_eq!(purged.kept_inputs, vec![1, 3, 4, 5]);
        assert_eq!(purged.linear.weight.dims(), [4, 4]);
        let gated = layer.forward(x.clone(), GateMode::Test(TestGate::Median));
        assert_close(to_host(purged.forward(x.clone())), to_host(gated));
        // The compact layer on pre-selected inputs gives the same.
        let compact = x.clone().select(
            1,
            Tensor::<1, Int>::from_data(TensorData::new(vec![1i64, 3, 4, 5], [4]), &device),
        );
        assert_close(
            to_host(purged.linear.forward(compact)),
            to_host(purged.forward(x)),
        );
        let r = purged.report;
        // 4 kept rows of 4 weights + 3 nonzero biases (the bias is ungated).
        assert_eq!(r.active_params, 16 + 3);
        assert_eq!(r.total_params, 24 + 4);
        assert_eq!(r.dense_bytes, 4 * (16 + 4));
        assert_eq!(r.sparse_bytes, 8 * 19);
    }

    #[test]
    fn everything_closed_keeps_one_zero_row() {
        let device = Device::flex();
        let mut layer = L0LinearConfig::new(3, 2, GateStructure::InputNeurons).init(0, &device);
        set_log_alpha(&mut layer, vec![-4.0; 3], &device);
        let purged = layer.purge(TestGate::Median);
        assert_eq!(purged.kept_inputs, vec![0]);
        assert_eq!(purged.report.active_params, 0); // bias is initialised to zero
        let x = inputs(3, &device);
        assert_close(
            to_host(purged.forward(x.clone())),
            to_host(layer.forward(x, GateMode::Test(TestGate::Median))),
        );
    }

    #[test]
    fn reports_add_up() {
        let a = PurgeReport::new(10, 40, 30);
        let b = PurgeReport::new(5, 60, 60);
        let s: PurgeReport = [a, b].into_iter().sum();
        assert_eq!(s.active_params, 15);
        assert_eq!(s.total_params, 100);
        assert!((s.density - 0.15).abs() < 1e-12);
        assert_eq!(s.dense_bytes, 4 * 90);
        assert_eq!(s.sparse_bytes, 8 * 15);
    }
}
