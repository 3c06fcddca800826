//! A 2-D convolution with hard-concrete L0 gates (Louizos, Welling & Kingma 2018, "Learning
//! sparse neural networks through L0 regularization", section 3 and the group-sparsity
//! appendix; the structured variant gates whole output feature maps, as in their LeNet-5
//! experiments).
//!
//! `y = conv(x, W * Z_w) + b * z_b` with the weight in burn's layout
//! `[c_out, c_in / groups, k_h, k_w]`.
//!
//! * [`ConvGateStructure::Unstructured`]: one gate per weight and one per bias entry; the flat
//!   `log_alpha` holds the weight gates first (row-major over the weight), then the bias gates.
//! * [`ConvGateStructure::OutputChannels`]: one gate per output channel, shared by its kernel and
//!   its bias: group size `(c_in / groups) k_h k_w (+1 with a bias)`. A closed gate removes the
//!   whole feature map, which [`L0Conv2d::purge`] drops.
//!
//! Expected active parameters `= sum over gates of P(z != 0) * group size`, differentiable in
//! `log_alpha` (the constraint's quantity).

use burn::module::{Module, Param};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};

use super::hard_concrete::{self, TestGate};
use super::linear::GateMode;
use super::purge::PurgeReport;
use crate::rng;

/// How the gates of an [`L0Conv2d`] are shared among its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConvGateStructure {
    /// One gate per weight and per bias entry (group size 1).
    #[default]
    Unstructured,
    /// One gate per output channel (group size `(c_in / groups) k_h k_w`, +1 with a bias).
    OutputChannels,
}

/// Sizes and initialisation of an [`L0Conv2d`].
#[derive(Debug, Clone, PartialEq)]
pub struct L0Conv2dConfig {
    /// Input channels.
    pub channels_in: usize,
    /// Output channels.
    pub channels_out: usize,
    /// Kernel size `[k_h, k_w]`.
    pub kernel: [usize; 2],
    /// Stride (default `[1, 1]`).
    pub stride: [usize; 2],
    /// Symmetric zero padding (default `[0, 0]`).
    pub padding: [usize; 2],
    /// Channel groups (default 1); must divide both channel counts.
    pub groups: usize,
    /// Whether the layer has a bias (default `true`).
    pub bias: bool,
    /// Gate sharing (default unstructured).
    pub structure: ConvGateStructure,
    /// Initial drop rate `d` in `(0, 1)` (default 0.5).
    pub drop_rate: f64,
}

/// A gated convolution; see the [module docs](self).
#[derive(Module, Debug)]
pub struct L0Conv2d {
    /// Weight `[c_out, c_in / groups, k_h, k_w]`.
    pub weight: Param<Tensor<4>>,
    /// Bias `[c_out]`.
    pub bias: Option<Param<Tensor<1>>>,
    /// Gate parameters, flat `[num_gates]`; layout per [`ConvGateStructure`].
    pub log_alpha: Param<Tensor<1>>,
    /// Gate sharing (not a parameter).
    #[module(skip)]
    pub structure: ConvGateStructure,
    /// Stride.
    #[module(skip)]
    pub stride: [usize; 2],
    /// Padding.
    #[module(skip)]
    pub padding: [usize; 2],
    /// Channel groups.
    #[module(skip)]
    pub groups: usize,
}

impl L0Conv2dConfig {
    /// A `k x k` convolution `channels_in -> channels_out`, stride 1, no padding, with a bias and
    /// initial drop rate 0.5.
    pub fn new(
        channels_in: usize,
        channels_out: usize,
        kernel: usize,
        structure: ConvGateStructure,
    ) -> Self {
        Self {
            channels_in,
            channels_out,
            kernel: [kernel, kernel],
            stride: [1, 1],
            padding: [0, 0],
            groups: 1,
            bias: true,
            structure,
            drop_rate: 0.5,
        }
    }

    /// Sets the symmetric padding.
    pub fn with_padding(mut self, padding: usize) -> Self {
        self.padding = [padding, padding];
        self
    }

    /// Sets the stride.
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = [stride, stride];
        self
    }

    /// Sets the channel groups.
    pub fn with_groups(mut self, groups: usize) -> Self {
        self.groups = groups;
        self
    }

    /// Sets whether the layer has a bias.
    pub fn with_bias(mut self, bias: bool) -> Self {
        self.bias = bias;
        self
    }

    /// Sets the initial drop rate.
    pub fn with_drop_rate(mut self, drop_rate: f64) -> Self {
        self.drop_rate = drop_rate;
        self
    }

    fn kernel_len(&self) -> usize {
        self.channels_in / self.groups * self.kernel[0] * self.kernel[1]
    }

    /// Number of gates.
    pub fn num_gates(&self) -> usize {
        match self.structure {
            ConvGateStructure::Unstructured => {
                self.channels_out * self.kernel_len()
                    + if self.bias { self.channels_out } else { 0 }
            }
            ConvGateStructure::OutputChannels => self.channels_out,
        }
    }

    /// Builds the layer from `seed` alone (host-side ChaCha8):
    ///
    /// * weights Kaiming-normal `N(0, 2 / fan_in)`, `fan_in = (c_in / groups) k_h k_w`, divided
    ///   by `1 - d` (stream 0); bias zero;
    /// * `log_alpha ~ N(ln((1 - d) / d), 0.01^2)` clamped to `[ln 0.01, ln 100]` (stream 1).
    ///
    /// # Panics
    /// If a size is zero, `groups` does not divide the channel counts, or the drop rate is not
    /// in `(0, 1)`.
    pub fn init(&self, seed: u64, device: &Device) -> L0Conv2d {
        let [kh, kw] = self.kernel;
        assert!(
            self.channels_in > 0 && self.channels_out > 0 && kh > 0 && kw > 0 && self.groups > 0,
            "L0Conv2d has a zero size: {self:?}"
        );
        assert!(
            self.channels_in.is_multiple_of(self.groups)
                && self.channels_out.is_multiple_of(self.groups),
            "L0Conv2d: groups {} must divide the channel counts {} and {}",
            self.groups,
            self.channels_in,
            self.channels_out
        );
        assert!(
            self.drop_rate > 0.0 && self.drop_rate < 1.0,
            "the initial drop rate must lie in (0, 1), got {}",
            self.drop_rate
        );
        let fan_in = self.kernel_len();
        let std = (2.0 / fan_in as f64).sqrt() / (1.0 - self.drop_rate);
        let mut weights = rng::chacha(seed, 0);
        let weight: Vec<f32> = (0..self.channels_out * fan_in)
            .map(|_| (std * rng::normal(&mut weights)) as f32)
            .collect();
        let n_gates = self.num_gates();
        let log_alpha =
            hard_concrete::init_log_alpha(n_gates, self.drop_rate, &mut rng::chacha(seed, 1));
        let shape = [self.channels_out, self.channels_in / self.groups, kh, kw];
        L0Conv2d {
            weight: Param::from_data(TensorData::new(weight, shape), device),
            bias: self.bias.then(|| {
                Param::from_data(
                    TensorData::new(vec![0.0f32; self.channels_out], [self.channels_out]),
                    device,
                )
            }),
            log_alpha: Param::from_data(TensorData::new(log_alpha, [n_gates]), device),
            structure: self.structure,
            stride: self.stride,
            padding: self.padding,
            groups: self.groups,
        }
    }
}

impl L0Conv2d {
    /// Output channels.
    pub fn channels_out(&self) -> usize {
        self.weight.dims()[0]
    }

    /// Weights per output channel, `(c_in / groups) k_h k_w`.
    pub fn kernel_len(&self) -> usize {
        let [_, c, kh, kw] = self.weight.dims();
        c * kh * kw
    }

    /// Number of gates.
    pub fn num_gates(&self) -> usize {
        self.log_alpha.dims()[0]
    }

    /// Parameters one gate controls: 1, or `kernel_len (+1 with a bias)` per output channel.
    pub fn group_size(&self) -> usize {
        match self.structure {
            ConvGateStructure::Unstructured => 1,
            ConvGateStructure::OutputChannels => {
                self.kernel_len() + usize::from(self.bias.is_some())
            }
        }
    }

    /// Sparsifiable parameters (all weights and biases: every one is gated).
    pub fn total_params(&self) -> usize {
        self.num_gates() * self.group_size()
    }

    /// Expected active sparsifiable parameters `sum P(z != 0) * group size`, `[1]`,
    /// differentiable.
    pub fn expected_active_params(&self) -> Tensor<1> {
        super::fused::expected_l0_sum(self.log_alpha.val()).mul_scalar(self.group_size() as f64)
    }

    /// Expected density, `[1]`, differentiable.
    pub fn expected_density(&self) -> Tensor<1> {
        super::fused::expected_l0_sum(self.log_alpha.val())
            .div_scalar(self.log_alpha.dims()[0] as f64)
    }

    /// The gated weight and bias for `mode`.
    pub fn gated_params(&self, mode: GateMode<'_>) -> (Tensor<4>, Option<Tensor<1>>) {
        let log_alpha = self.log_alpha.val();
        let z = match mode {
            GateMode::Sample(rng) => hard_concrete::sample(log_alpha, rng),
            GateMode::Test(gate) => gate.gate(log_alpha),
        };
        let dims = self.weight.dims();
        let (c_out, len) = (dims[0], self.kernel_len());
        let weight = self.weight.val();
        let bias = self.bias.as_ref().map(Param::val);
        match self.structure {
            ConvGateStructure::Unstructured => {
                let z_w = z.clone().narrow(0, 0, c_out * len).reshape(dims);
                let bias = bias.map(|b| b * z.narrow(0, c_out * len, c_out));
                (weight * z_w, bias)
            }
            ConvGateStructure::OutputChannels => {
                let bias = bias.map(|b| b * z.clone());
                (weight * z.reshape([c_out, 1, 1, 1]), bias)
            }
        }
    }

    /// The output for `x` of shape `[n, c_in, h, w]`.
    pub fn forward(&self, x: Tensor<4>, mode: GateMode<'_>) -> Tensor<4> {
        let (weight, bias) = self.gated_params(mode);
        conv2d(x, weight, bias, self.options())
    }

    /// The ungated output (every gate open): the dense model of the same shape.
    pub fn forward_dense(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(
            x,
            self.weight.val(),
            self.bias.as_ref().map(Param::val),
            self.options(),
        )
    }

    fn options(&self) -> ConvOptions<2> {
        ConvOptions::new(self.stride, self.padding, [1, 1], self.groups)
    }

    /// The layer with `log_alpha` clamped to `[ln 0.01, ln 100]` (after each optimizer step).
    pub fn clamp_log_alpha(mut self) -> Self {
        self.log_alpha = hard_concrete::clamp_log_alpha_param(self.log_alpha);
        self
    }

    /// Folds the test-time gates `gate` into the weights and drops the output channels whose
    /// folded kernel and bias are entirely zero; see [`PurgedConv2d`].
    pub fn purge(&self, gate: TestGate) -> PurgedConv2d {
        let device = self.weight.device();
        let [c_out, c, kh, kw] = self.weight.dims();
        let len = c * kh * kw;
        let (weight, bias) = self.gated_params(GateMode::Test(gate));
        let weight = to_host(weight);
        let bias = bias.map(to_host);
        let channel_nonzero = |o: usize| {
            weight[o * len..(o + 1) * len].iter().any(|&w| w != 0.0)
                || bias.as_ref().is_some_and(|b| b[o] != 0.0)
        };
        // Grouped convolutions keep every channel (dropping one would reshuffle the groups).
        let mut kept: Vec<usize> = if self.groups > 1 {
            (0..c_out).collect()
        } else {
            (0..c_out).filter(|&o| channel_nonzero(o)).collect()
        };
        if kept.is_empty() {
            kept.push(0);
        }
        let kept_weight: Vec<f32> = kept
            .iter()
            .flat_map(|&o| weight[o * len..(o + 1) * len].iter().copied())
            .collect();
        let kept_bias: Option<Vec<f32>> =
            bias.as_ref().map(|b| kept.iter().map(|&o| b[o]).collect());
        let nonzero = |v: &[f32]| v.iter().filter(|&&x| x != 0.0).count();
        let bias_len = usize::from(self.bias.is_some());
        let report = PurgeReport::new(
            nonzero(&kept_weight) + kept_bias.as_deref().map_or(0, nonzero),
            c_out * (len + bias_len),
            kept.len() * (len + bias_len),
        );
        PurgedConv2d {
            weight: Tensor::from_data(
                TensorData::new(kept_weight, [kept.len(), c, kh, kw]),
                &device,
            ),
            bias: kept_bias.map(|b| Tensor::from_data(TensorData::new(b, [kept.len()]), &device)),
            options: self.options(),
            kept_outputs: kept,
            channels_out: c_out,
            report,
        }
    }
}

/// A purged [`L0Conv2d`]: a dense convolution over the kept output channels.
#[derive(Debug)]
pub struct PurgedConv2d {
    /// Folded weight of the kept channels `[kept, c_in / groups, k_h, k_w]`.
    pub weight: Tensor<4>,
    /// Folded bias of the kept channels.
    pub bias: Option<Tensor<1>>,
    /// Stride, padding and groups of the original layer.
    pub options: ConvOptions<2>,
    /// The original output channels still computed, ascending (at least one).
    pub kept_outputs: Vec<usize>,
    /// The original number of output channels.
    pub channels_out: usize,
    /// Sizes of the purged layer.
    pub report: PurgeReport,
}

impl PurgedConv2d {
    /// The kept feature maps only, `[n, kept, h', w']` (what a purged network computes).
    pub fn forward_compact(&self, x: Tensor<4>) -> Tensor<4> {
        conv2d(
            x,
            self.weight.clone(),
            self.bias.clone(),
            self.options.clone(),
        )
    }

    /// All `channels_out` feature maps, zeros at the dropped channels: equals the gated layer's
    /// test-mode output.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let compact = self.forward_compact(x);
        if self.kept_outputs.len() == self.channels_out {
            return compact;
        }
        let [n, _, h, w] = compact.dims();
        let device = compact.device();
        let indices: Vec<i64> = self.kept_outputs.iter().map(|&o| o as i64).collect();
        let indices = Tensor::<1, Int>::from_data(
            TensorData::new(indices, [self.kept_outputs.len()]),
            &device,
        );
        Tensor::zeros([n, self.channels_out, h, w], &device).select_assign(
            1,
            indices,
            compact,
            IndexingUpdateOp::Add,
        )
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
    use crate::l0::GateRng;

    fn input(device: &Device) -> Tensor<4> {
        let values: Vec<f32> = (0..2 * 3 * 6 * 6)
            .map(|k| ((k * 37 % 23) as f32 - 11.0) / 7.0)
            .collect();
        Tensor::from_data(TensorData::new(values, [2, 3, 6, 6]), device)
    }

    fn set_log_alpha(layer: &mut L0Conv2d, values: Vec<f32>, device: &Device) {
        let n = values.len();
        assert_eq!(n, layer.num_gates());
        layer.log_alpha = Param::from_data(TensorData::new(values, [n]), device);
    }

    fn set_bias(layer: &mut L0Conv2d, device: &Device) {
        let c = layer.channels_out();
        let b: Vec<f32> = (0..c).map(|o| 0.25 * (o as f32 + 1.0)).collect();
        layer.bias = Some(Param::from_data(TensorData::new(b, [c]), device));
    }

    fn assert_close(a: Tensor<4>, b: Tensor<4>) {
        assert_eq!(a.dims(), b.dims());
        for (x, y) in to_host(a).iter().zip(&to_host(b)) {
            assert!((x - y).abs() <= 1e-4, "{x} vs {y}");
        }
    }

    #[test]
    fn group_sizes_and_counts() {
        let device = Device::flex();
        let u = L0Conv2dConfig::new(3, 4, 3, ConvGateStructure::Unstructured).init(0, &device);
        assert_eq!((u.num_gates(), u.group_size()), (4 * 27 + 4, 1));
        assert_eq!(u.total_params(), 4 * 27 + 4);
        let s = L0Conv2dConfig::new(3, 4, 3, ConvGateStructure::OutputChannels).init(0, &device);
        assert_eq!((s.num_gates(), s.group_size()), (4, 28));
        assert_eq!(s.total_params(), 4 * 28);
        let g = L0Conv2dConfig::new(4, 6, 3, ConvGateStructure::OutputChannels)
            .with_groups(2)
            .with_bias(false)
            .init(0, &device);
        assert_eq!(g.group_size(), 2 * 9);
        assert_eq!(g.total_params(), 6 * 18);
        // Expected active parameters = sum P(z != 0) * group size.
        let e = s.expected_active_params().into_scalar::<f64>();
        let host: f64 = to_host(s.log_alpha.val().reshape([1, 1, 1, 4]))
            .iter()
            .map(|&a| crate::l0::host::expected_l0(f64::from(a)) * 28.0)
            .sum();
        assert!((e - host).abs() < 1e-3 * host, "{e} vs {host}");
    }

    #[test]
    fn all_open_gates_equal_the_dense_convolution() {
        let device = Device::flex();
        for structure in [
            ConvGateStructure::Unstructured,
            ConvGateStructure::OutputChannels,
        ] {
            let mut layer = L0Conv2dConfig::new(3, 4, 3, structure)
                .with_padding(1)
                .init(1, &device);
            set_bias(&mut layer, &device);
            let n = layer.num_gates();
            set_log_alpha(&mut layer, vec![10.0; n], &device);
            let x = input(&device);
            let gated = layer.forward(x.clone(), GateMode::Test(TestGate::Median));
            assert_eq!(gated.dims(), [2, 4, 6, 6]);
            assert_close(gated, layer.forward_dense(x));
        }
    }

    #[test]
    fn structured_purge_drops_closed_channels_and_matches_test_mode() {
        let device = Device::flex();
        let mut layer = L0Conv2dConfig::new(3, 5, 3, ConvGateStructure::OutputChannels)
            .with_stride(2)
            .init(2, &device);
        set_bias(&mut layer, &device);
        set_log_alpha(&mut layer, vec![2.0, -3.0, 0.5, -2.0, 3.0], &device);
        let x = input(&device);
        let purged = layer.purge(TestGate::Median);
        assert_eq!(purged.kept_outputs, vec![0, 2, 4]);
        assert_close(
            purged.forward(x.clone()),
            layer.forward(x, GateMode::Test(TestGate::Median)),
        );
        let r = purged.report;
        assert_eq!(r.total_params, 5 * 28);
        assert_eq!(r.active_params, 3 * 28);
        assert_eq!(r.dense_bytes, 4 * 3 * 28);
    }

    #[test]
    fn unstructured_purge_counts_open_gates() {
        let device = Device::flex();
        let mut layer =
            L0Conv2dConfig::new(3, 2, 2, ConvGateStructure::Unstructured).init(3, &device);
        set_bias(&mut layer, &device);
        // Channel 1 fully closed (weights 12..24 and bias gate 25); a spread elsewhere.
        let la: Vec<f32> = (0..layer.num_gates())
            .map(|k| {
                if (12..24).contains(&k) || k == 25 {
                    -3.0
                } else {
                    ((k * 7 % 11) as f32 - 5.0) * 0.6
                }
            })
            .collect();
        set_log_alpha(&mut layer, la.clone(), &device);
        let open = la
            .iter()
            .filter(|&&a| TestGate::Median.gate_f64(f64::from(a)) > 0.0)
            .count();
        let x = input(&device);
        let purged = layer.purge(TestGate::Median);
        assert_eq!(purged.kept_outputs, vec![0]);
        assert_eq!(purged.report.active_params, open);
        assert_close(
            purged.forward(x.clone()),
            layer.forward(x, GateMode::Test(TestGate::Median)),
        );
    }

    #[test]
    fn sampled_gates_carry_gradients_to_weights_and_log_alpha() {
        let device = Device::flex().autodiff();
        let layer =
            L0Conv2dConfig::new(3, 4, 3, ConvGateStructure::OutputChannels).init(4, &device);
        let mut rng = GateRng::new(0);
        let y = layer.forward(input(&device), GateMode::Sample(&mut rng));
        let grads = (y.sum() + layer.expected_density()).backward();
        let g_alpha = layer
            .log_alpha
            .grad(&grads)
            .expect("log_alpha has a gradient");
        let g_w = layer.weight.grad(&grads).expect("weight has a gradient");
        assert_eq!(g_alpha.dims(), [4]);
        assert!(
            to_host(g_w.reshape([1, 1, 1, 4 * 27]))
                .iter()
                .any(|g| *g != 0.0)
        );
    }
}
