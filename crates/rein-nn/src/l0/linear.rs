//! A fully connected layer with hard-concrete L0 gates (Louizos, Welling & Kingma 2018,
//! "Learning sparse neural networks through L0 regularization", section 3; appendix for the
//! group-sparsity variant).
//!
//! `y = x (W * Z_w) + b * z_b`, where `*` is the element-wise product and the gates `z` are
//! hard-concrete samples (training) or deterministic test gates, see [`hard_concrete`].
//! The weight follows `burn::nn::Linear`'s layout `[d_input, d_output]` (so the purged layer is
//! a plain [`burn::nn::Linear`]).
//!
//! [`hard_concrete`]: super::hard_concrete

use burn::module::{Module, Param};
use burn::tensor::module::linear;
use burn::tensor::{Device, Tensor, TensorData};

use super::hard_concrete::{self, GateRng, TestGate};
use crate::rng;

/// How the gates of an [`L0Linear`] are shared among its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GateStructure {
    /// One gate per weight and one per bias entry (group size 1). The flat `log_alpha` holds the
    /// weight gates first, row-major over the `[d_input, d_output]` weight, then the bias gates.
    #[default]
    Unstructured,
    /// One gate per input neuron, shared by its row of `d_output` weights (group size
    /// `d_output`): a closed gate removes the input feature entirely, which is what purging can
    /// exploit. The bias belongs to the output neurons, so no input gate can remove it: in this
    /// mode the bias is **ungated** and not counted as sparsifiable.
    InputNeurons,
}

/// How to obtain the gate values in a forward pass.
#[derive(Debug)]
pub enum GateMode<'a> {
    /// Training: one fresh hard-concrete sample per gate (and per call; the same gates are shared
    /// by the whole minibatch), with noise from the given generator. Reparameterised.
    Sample(&'a mut GateRng),
    /// Evaluation: the deterministic gate of the given kind.
    Test(TestGate),
}

impl<'a> GateMode<'a> {
    /// Sampled gates when a generator is given (training), else the `test` gates: the mode of
    /// each layer of a model whose forward takes an optional generator.
    pub fn from_rng(rng: &'a mut Option<&mut GateRng>, test: TestGate) -> Self {
        match rng.as_deref_mut() {
            Some(r) => GateMode::Sample(r),
            None => GateMode::Test(test),
        }
    }
}

/// Sizes and initialisation of an [`L0Linear`].
#[derive(Debug, Clone, PartialEq)]
pub struct L0LinearConfig {
    /// Number of input features.
    pub d_input: usize,
    /// Number of output features.
    pub d_output: usize,
    /// Whether the layer has a bias (default `true`).
    pub bias: bool,
    /// Gate sharing (default [`GateStructure::Unstructured`]).
    pub structure: GateStructure,
    /// Initial drop rate `d` in `(0, 1)` (default `0.5`, as in the paper's code).
    pub drop_rate: f64,
}

/// A linear layer with L0 gates; see the [module docs](self).
#[derive(Module, Debug)]
pub struct L0Linear {
    /// Weight `[d_input, d_output]` (burn's `Linear` layout: `y = x W + b`).
    pub weight: Param<Tensor<2>>,
    /// Bias `[d_output]`.
    pub bias: Option<Param<Tensor<1>>>,
    /// Gate parameters, flat `[num_gates]`; layout per [`GateStructure`].
    pub log_alpha: Param<Tensor<1>>,
    /// How gates map to parameters (not a parameter; not saved in records).
    #[module(skip)]
    pub structure: GateStructure,
}

impl L0LinearConfig {
    /// A layer `d_input -> d_output` with a bias and initial drop rate 0.5.
    pub fn new(d_input: usize, d_output: usize, structure: GateStructure) -> Self {
        Self {
            d_input,
            d_output,
            bias: true,
            structure,
            drop_rate: 0.5,
        }
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

    /// Number of gates of the layer.
    pub fn num_gates(&self) -> usize {
        match self.structure {
            GateStructure::Unstructured => {
                self.d_input * self.d_output + if self.bias { self.d_output } else { 0 }
            }
            GateStructure::InputNeurons => self.d_input,
        }
    }

    /// Builds the layer on `device` from `seed` alone (host-side ChaCha8, like
    /// [`MlpConfig::init`](crate::MlpConfig::init)):
    ///
    /// * weights Kaiming-normal (fan-in, ReLU gain): `N(0, 2 / d_input)`, divided by `1 - d` to
    ///   compensate for the expected fraction of closed gates (stream 0);
    /// * bias zero;
    /// * `log_alpha ~ N(ln((1 - d) / d), 0.01^2)` clamped to `[ln 0.01, ln 100]` (stream 1).
    ///
    /// # Panics
    /// If a size is zero or the drop rate is not in `(0, 1)`.
    pub fn init(&self, seed: u64, device: &Device) -> L0Linear {
        let (d_in, d_out) = (self.d_input, self.d_output);
        assert!(
            d_in > 0 && d_out > 0,
            "L0Linear has a zero size ({d_in} -> {d_out})"
        );
        assert!(
            self.drop_rate > 0.0 && self.drop_rate < 1.0,
            "the initial drop rate must lie in (0, 1), got {}",
            self.drop_rate
        );
        let std = (2.0 / d_in as f64).sqrt() / (1.0 - self.drop_rate);
        let mut weights = rng::chacha(seed, 0);
        let weight: Vec<f32> = (0..d_in * d_out)
            .map(|_| (std * rng::normal(&mut weights)) as f32)
            .collect();
        let log_alpha = hard_concrete::init_log_alpha(
            self.num_gates(),
            self.drop_rate,
            &mut rng::chacha(seed, 1),
        );
        L0Linear {
            weight: Param::from_data(TensorData::new(weight, [d_in, d_out]), device),
            bias: self
                .bias
                .then(|| Param::from_data(TensorData::new(vec![0.0f32; d_out], [d_out]), device)),
            log_alpha: Param::from_data(TensorData::new(log_alpha, [self.num_gates()]), device),
            structure: self.structure,
        }
    }
}

impl L0Linear {
    /// Number of input features.
    pub fn d_input(&self) -> usize {
        self.weight.dims()[0]
    }

    /// Number of output features.
    pub fn d_output(&self) -> usize {
        self.weight.dims()[1]
    }

    /// Number of gates (`log_alpha` entries).
    pub fn num_gates(&self) -> usize {
        self.log_alpha.dims()[0]
    }

    /// Number of parameters one gate controls: 1 (unstructured) or `d_output` (input neurons).
    pub fn group_size(&self) -> usize {
        match self.structure {
            GateStructure::Unstructured => 1,
            GateStructure::InputNeurons => self.d_output(),
        }
    }

    /// Total number of sparsifiable (gated) parameters, `num_gates * group_size`: weights and
    /// bias when unstructured, weights only with [`GateStructure::InputNeurons`].
    pub fn total_params(&self) -> usize {
        self.num_gates() * self.group_size()
    }

    /// Expected number of active (nonzero) sparsifiable parameters,
    /// `sum over gates of P(z != 0) * group size`, shape `[1]`; differentiable in `log_alpha`.
    pub fn expected_active_params(&self) -> Tensor<1> {
        super::fused::expected_l0_sum(self.log_alpha.val()).mul_scalar(self.group_size() as f64)
    }

    /// Expected density `expected_active_params / total_params`, shape `[1]`; differentiable.
    pub fn expected_density(&self) -> Tensor<1> {
        super::fused::expected_l0_sum(self.log_alpha.val())
            .div_scalar(self.log_alpha.dims()[0] as f64)
    }

    /// The flat gate values `[num_gates]` for `mode`.
    pub fn gates(&self, mode: GateMode<'_>) -> Tensor<1> {
        let log_alpha = self.log_alpha.val();
        match mode {
            GateMode::Sample(rng) => hard_concrete::sample(log_alpha, rng),
            GateMode::Test(gate) => gate.gate(log_alpha),
        }
    }

    /// The effective (gated) weight `[d_input, d_output]` and bias `[d_output]` for `mode`.
    pub fn gated_params(&self, mode: GateMode<'_>) -> (Tensor<2>, Option<Tensor<1>>) {
        let (d_in, d_out) = (self.d_input(), self.d_output());
        let z = self.gates(mode);
        let weight = self.weight.val();
        let bias = self.bias.as_ref().map(Param::val);
        match self.structure {
            GateStructure::Unstructured => {
                let z_w = z.clone().narrow(0, 0, d_in * d_out).reshape([d_in, d_out]);
                let bias = bias.map(|b| b * z.narrow(0, d_in * d_out, d_out));
                (weight * z_w, bias)
            }
            GateStructure::InputNeurons => (weight * z.reshape([d_in, 1]), bias),
        }
    }

    /// `y = x (W * Z_w) + b (* z_b)` for `x` of shape `[..., d_input]`.
    pub fn forward<const D: usize>(&self, input: Tensor<D>, mode: GateMode<'_>) -> Tensor<D> {
        let (weight, bias) = self.gated_params(mode);
        linear(input, weight, bias)
    }

    /// The layer with `log_alpha` clamped to `[ln 0.01, ln 100]` (call after each optimiser
    /// step). The parameter keeps its id and gradient requirement.
    pub fn clamp_log_alpha(mut self) -> Self {
        self.log_alpha = hard_concrete::clamp_log_alpha_param(self.log_alpha);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::l0::hard_concrete::host;

    fn host_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.to_data().convert::<f32>().try_into_vec::<f32>().unwrap()
    }

    fn set_log_alpha(layer: &mut L0Linear, values: &[f32], device: &Device) {
        assert_eq!(values.len(), layer.num_gates());
        layer.log_alpha =
            Param::from_data(TensorData::new(values.to_vec(), [values.len()]), device);
    }

    #[test]
    fn gate_counts_and_group_sizes() {
        let device = Device::flex();
        let u = L0LinearConfig::new(5, 3, GateStructure::Unstructured).init(0, &device);
        assert_eq!(
            (u.num_gates(), u.group_size(), u.total_params()),
            (18, 1, 18)
        );
        let u = L0LinearConfig::new(5, 3, GateStructure::Unstructured)
            .with_bias(false)
            .init(0, &device);
        assert_eq!(
            (u.num_gates(), u.group_size(), u.total_params()),
            (15, 1, 15)
        );
        let s = L0LinearConfig::new(5, 3, GateStructure::InputNeurons).init(0, &device);
        assert_eq!(
            (s.num_gates(), s.group_size(), s.total_params()),
            (5, 3, 15)
        );
        assert_eq!((s.d_input(), s.d_output()), (5, 3));
        let out = s.forward(
            Tensor::<2>::zeros([4, 5], &device),
            GateMode::Test(TestGate::Median),
        );
        assert_eq!(out.dims(), [4, 3]);
    }

    #[test]
    fn expected_active_params_of_known_log_alpha() {
        let device = Device::flex();
        let mut u = L0LinearConfig::new(3, 2, GateStructure::Unstructured).init(0, &device);
        set_log_alpha(&mut u, &[0.0; 8], &device);
        let e = host_vec(u.expected_active_params())[0];
        assert!(
            (f64::from(e) - 8.0 * (1.0 - 0.168_177_816)).abs() < 1e-5,
            "{e}"
        );
        let d = host_vec(u.expected_density())[0];
        assert!((f64::from(d) - (1.0 - 0.168_177_816)).abs() < 1e-6);

        let mut s = L0LinearConfig::new(3, 4, GateStructure::InputNeurons).init(0, &device);
        set_log_alpha(&mut s, &[0.0, 2.0, -2.0], &device);
        let expect =
            4.0 * (host::expected_l0(0.0) + host::expected_l0(2.0) + host::expected_l0(-2.0));
        assert!((expect - 4.0 * (0.8318 + 0.9734 + 0.4010)).abs() < 1e-3);
        let e = host_vec(s.expected_active_params())[0];
        assert!((f64::from(e) - expect).abs() < 1e-5, "{e} vs {expect}");
    }

    #[test]
    fn init_follows_louizos_et_al() {
        let device = Device::flex();
        let layer = L0LinearConfig::new(200, 100, GateStructure::Unstructured)
            .with_drop_rate(0.2)
            .init(4, &device);
        let w = host_vec(layer.weight.val());
        let sd = (w.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / w.len() as f64).sqrt();
        let expect = (2.0f64 / 200.0).sqrt() / 0.8;
        assert!((sd / expect - 1.0).abs() < 0.02, "{sd} vs {expect}");
        let la = host_vec(layer.log_alpha.val());
        let mean = la.iter().map(|&v| f64::from(v)).sum::<f64>() / la.len() as f64;
        assert!((mean - 4f64.ln()).abs() < 1e-3);
        assert!(
            host_vec(layer.bias.as_ref().unwrap().val())
                .iter()
                .all(|&b| b == 0.0)
        );
        // Deterministic per seed.
        let again = L0LinearConfig::new(200, 100, GateStructure::Unstructured)
            .with_drop_rate(0.2)
            .init(4, &device);
        assert_eq!(host_vec(again.weight.val()), w);
        assert_eq!(host_vec(again.log_alpha.val()), la);
    }

    #[test]
    fn test_mode_gates_weights_and_bias() {
        let device = Device::flex();
        let mut u = L0LinearConfig::new(2, 2, GateStructure::Unstructured).init(0, &device);
        u.weight = Param::from_data(
            TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [2, 2]),
            &device,
        );
        u.bias = Some(Param::from_data(
            TensorData::new(vec![10.0f32, 20.0], [2]),
            &device,
        ));
        // Open (median 1) or closed (median 0) gates: w00 open, w01 closed, w10 closed, w11
        // open, b0 closed, b1 open.
        set_log_alpha(&mut u, &[4.0, -4.0, -4.0, 4.0, -4.0, 4.0], &device);
        let x = Tensor::<2>::from_data([[1.0, 1.0]], &device);
        let y = host_vec(u.forward(x, GateMode::Test(TestGate::Median)));
        assert_eq!(y, vec![1.0, 24.0]);

        let mut s = L0LinearConfig::new(2, 2, GateStructure::InputNeurons).init(0, &device);
        s.weight = u.weight.clone();
        s.bias = u.bias.clone();
        set_log_alpha(&mut s, &[-4.0, 4.0], &device);
        let x = Tensor::<2>::from_data([[1.0, 1.0]], &device);
        // Input 0 removed; bias ungated.
        assert_eq!(
            host_vec(s.forward(x, GateMode::Test(TestGate::Median))),
            vec![13.0, 24.0]
        );
    }

    #[test]
    fn sampled_forward_is_seeded_and_reparameterised() {
        let device = Device::flex().autodiff();
        for structure in [GateStructure::Unstructured, GateStructure::InputNeurons] {
            let layer = L0LinearConfig::new(4, 3, structure).init(1, &device);
            let x = Tensor::<2>::from_data([[1.0, -2.0, 0.5, 3.0], [0.1, 0.2, 0.3, 0.4]], &device);
            let run = |seed| {
                host_vec(layer.forward(x.clone(), GateMode::Sample(&mut GateRng::new(seed))))
            };
            assert_eq!(run(7), run(7));
            assert_ne!(run(7), run(8));

            let loss = layer
                .forward(x.clone(), GateMode::Sample(&mut GateRng::new(7)))
                .sum()
                .add(layer.expected_active_params());
            let grads = loss.backward();
            let g_alpha = layer
                .log_alpha
                .val()
                .grad(&grads)
                .expect("log_alpha gradient");
            assert_eq!(g_alpha.dims(), [layer.num_gates()]);
            assert!(host_vec(g_alpha).iter().any(|&g| g != 0.0));
            let g_w = layer.weight.val().grad(&grads).expect("weight gradient");
            assert_eq!(g_w.dims(), [4, 3]);
        }
    }

    #[test]
    fn clamp_keeps_the_parameter_trainable() {
        let device = Device::flex().autodiff();
        let mut layer = L0LinearConfig::new(2, 1, GateStructure::Unstructured).init(0, &device);
        set_log_alpha(&mut layer, &[-9.0, 0.3, 9.0], &device);
        let id = layer.log_alpha.id;
        let layer = layer.clamp_log_alpha();
        assert_eq!(layer.log_alpha.id, id);
        let la = host_vec(layer.log_alpha.val());
        assert_eq!(
            la,
            vec![
                hard_concrete::LOG_ALPHA_MIN as f32,
                0.3,
                hard_concrete::LOG_ALPHA_MAX as f32
            ]
        );
        let grads = layer.expected_active_params().backward();
        assert!(layer.log_alpha.val().grad(&grads).is_some());
    }
}
