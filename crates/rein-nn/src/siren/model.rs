//! Trainable SIRENs on burn: the dense COIN network ([`Siren`]) and the L0onie network with a
//! hard-concrete gate on every weight and bias ([`L0Siren`]).

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::{Device, Tensor, TensorData};

use crate::l0::{GateMode, GateRng, GateStructure, L0Linear, TestGate, hard_concrete};
use crate::rng;
use rein_coin::siren::{LayerWeights, SirenWeights, num_params_of};

/// Architecture and initialisation of a SIREN mapping `(y, x)` to RGB.
#[derive(Debug, Clone, PartialEq)]
pub struct SirenConfig {
    /// Hidden widths `h_1..h_L` (at least one).
    pub hidden: Vec<usize>,
    /// Frequency of the sine activations (`w0 = 30` in SIREN and COIN).
    pub w0: f64,
}

impl SirenConfig {
    /// `layers` hidden layers of width `width`, `w0 = 30`.
    pub fn new(layers: usize, width: usize) -> Self {
        Self {
            hidden: vec![width; layers],
            w0: 30.0,
        }
    }

    /// All widths: `[2, h_1, ..., h_L, 3]`.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(2)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(3))
            .collect()
    }

    /// Number of weights and biases, `P = 3 h_1 + sum_{l>1} (h_{l-1} h_l + h_l) + 3 h_L + 3`
    /// (`= 3h + (L-1)(h^2 + h) + 3h + 3` for `L` layers of width `h`).
    pub fn num_params(&self) -> usize {
        num_params_of(&self.widths())
    }

    /// The initial weights on the host, drawn from `seed` (ChaCha8 stream `l` for layer `l`),
    /// following Sitzmann et al. (2020), section 3.2 and their reference code (as used by COIN):
    ///
    /// * first layer: `W ~ U(-1/d_in, 1/d_in)`;
    /// * other layers: `W ~ U(-sqrt(6/d_in)/w0, sqrt(6/d_in)/w0)`;
    /// * biases: `U(-1/sqrt(d_in), 1/sqrt(d_in))` (PyTorch's `nn.Linear` default, which the
    ///   reference code keeps).
    ///
    /// Drawn on the host, not with burn's initialiser (a process-wide generator on the flex
    /// device, so parallel tests would get scheduling-dependent weights).
    ///
    /// # Panics
    /// If there is no hidden layer or a width is zero.
    pub fn init_host(&self, seed: u64) -> SirenWeights {
        let widths = self.widths();
        assert!(
            !self.hidden.is_empty() && !widths.contains(&0),
            "a SIREN needs at least one hidden layer and positive widths, got {:?}",
            self.hidden
        );
        let layers = widths
            .windows(2)
            .enumerate()
            .map(|(l, w)| {
                let d_in = w[0] as f64;
                let bound = if l == 0 {
                    1.0 / d_in
                } else {
                    (6.0 / d_in).sqrt() / self.w0
                };
                let mut stream = rng::chacha(seed, l as u64);
                let mut draw = |count: usize, bound: f64| -> Vec<f32> {
                    (0..count)
                        .map(|_| ((2.0 * rng::unit_f64(&mut stream) - 1.0) * bound) as f32)
                        .collect()
                };
                let weight = draw(w[0] * w[1], bound);
                let bias = draw(w[1], 1.0 / d_in.sqrt());
                LayerWeights { weight, bias }
            })
            .collect();
        SirenWeights {
            w0: self.w0 as f32,
            widths,
            layers,
        }
    }

    /// The dense (COIN) network on `device`, initialised by [`SirenConfig::init_host`].
    pub fn init(&self, seed: u64, device: &Device) -> Siren {
        Siren::from_host(&self.init_host(seed), device)
    }

    /// The gated (L0onie) network on `device`: SIREN weights from [`SirenConfig::init_host`]
    /// (not rescaled) and one gate per weight and per bias with
    /// `log_alpha ~ N(ln((1 - d)/d), 0.01^2)` for the initial drop rate `d` (ChaCha8 stream
    /// `1000 + l` for layer `l`).
    ///
    /// # Panics
    /// As [`SirenConfig::init_host`], or if `drop_rate` is not in `(0, 1)`.
    pub fn init_gated(&self, seed: u64, drop_rate: f64, device: &Device) -> L0Siren {
        let host = self.init_host(seed);
        let layers = host
            .layers
            .iter()
            .zip(host.widths.windows(2))
            .enumerate()
            .map(|(l, (lw, w))| {
                let gates = w[0] * w[1] + w[1];
                let log_alpha = hard_concrete::init_log_alpha(
                    gates,
                    drop_rate,
                    &mut rng::chacha(seed, 1000 + l as u64),
                );
                L0Linear {
                    weight: Param::from_data(
                        TensorData::new(lw.weight.clone(), [w[0], w[1]]),
                        device,
                    ),
                    bias: Some(Param::from_data(
                        TensorData::new(lw.bias.clone(), [w[1]]),
                        device,
                    )),
                    log_alpha: Param::from_data(TensorData::new(log_alpha, [gates]), device),
                    structure: GateStructure::Unstructured,
                }
            })
            .collect();
        L0Siren {
            layers,
            w0: self.w0,
        }
    }
}

/// A dense SIREN (COIN): `sin(w0 (x W + b))` hidden layers and a linear output layer.
#[derive(Module, Debug)]
pub struct Siren {
    /// The linear layers, input side first.
    pub layers: Vec<Linear>,
    /// Frequency `w0` (not a parameter).
    #[module(skip)]
    pub w0: f64,
}

impl Siren {
    /// The network holding `weights` on `device`.
    pub fn from_host(weights: &SirenWeights, device: &Device) -> Self {
        let layers = weights
            .layers
            .iter()
            .zip(weights.widths.windows(2))
            .map(|(lw, w)| Linear {
                weight: Param::from_data(TensorData::new(lw.weight.clone(), [w[0], w[1]]), device),
                bias: Some(Param::from_data(
                    TensorData::new(lw.bias.clone(), [w[1]]),
                    device,
                )),
            })
            .collect();
        Self {
            layers,
            w0: f64::from(weights.w0),
        }
    }

    /// RGB `[n, 3]` (unclamped) for coordinates `[n, 2]`.
    pub fn forward(&self, coords: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        self.layers
            .iter()
            .enumerate()
            .fold(coords, |x, (l, layer)| {
                let y = layer.forward(x);
                if l < last {
                    y.mul_scalar(self.w0).sin()
                } else {
                    y
                }
            })
    }

    /// The weights on the host (`f32`).
    pub fn to_host(&self) -> SirenWeights {
        let mut widths = vec![];
        let layers = self
            .layers
            .iter()
            .map(|layer| {
                let [d_in, d_out] = layer.weight.dims();
                if widths.is_empty() {
                    widths.push(d_in);
                }
                widths.push(d_out);
                LayerWeights {
                    weight: host_vec(layer.weight.val()),
                    bias: layer
                        .bias
                        .as_ref()
                        .map_or_else(|| vec![0.0; d_out], |b| host_vec(b.val())),
                }
            })
            .collect();
        SirenWeights {
            w0: self.w0 as f32,
            widths,
            layers,
        }
    }
}

/// A SIREN whose every weight and bias has a hard-concrete gate (unstructured
/// [`L0Linear`] layers): the model of L0onie (Ramirez & Gallego-Posada 2022, "L0onie:
/// Compressing COINs with L0-constraints").
#[derive(Module, Debug)]
pub struct L0Siren {
    /// The gated layers, input side first.
    pub layers: Vec<L0Linear>,
    /// Frequency `w0` (not a parameter).
    #[module(skip)]
    pub w0: f64,
}

impl L0Siren {
    /// `log_alpha` of a frozen gate in [`L0Siren::frozen`]: `+-10` lies beyond the clamp range
    /// `[ln 0.01, ln 100]`, where the median gate is exactly 1 (or 0) and its gradient zero.
    pub const FROZEN_LOG_ALPHA: f32 = 10.0;

    /// A gated SIREN holding `weights` whose gates are frozen at the mask `weight != 0`: open
    /// (`log_alpha = +10`, median gate exactly 1) on nonzero values, closed (`-10`, exactly 0)
    /// on zeros. With [`TestGate::Median`] forward passes the gates get zero gradient, so
    /// training only moves the kept weights and the model's nonzero count cannot change
    /// (fine-tuning after pruning). Do not call [`L0Siren::clamp_log_alpha`] on it.
    pub fn frozen(weights: &SirenWeights, device: &Device) -> Self {
        let layers = weights
            .layers
            .iter()
            .zip(weights.widths.windows(2))
            .map(|(lw, w)| {
                let gates: Vec<f32> = lw
                    .weight
                    .iter()
                    .chain(&lw.bias)
                    .map(|&v| {
                        if v == 0.0 {
                            -Self::FROZEN_LOG_ALPHA
                        } else {
                            Self::FROZEN_LOG_ALPHA
                        }
                    })
                    .collect();
                let n = gates.len();
                L0Linear {
                    weight: Param::from_data(
                        TensorData::new(lw.weight.clone(), [w[0], w[1]]),
                        device,
                    ),
                    bias: Some(Param::from_data(
                        TensorData::new(lw.bias.clone(), [w[1]]),
                        device,
                    )),
                    log_alpha: Param::from_data(TensorData::new(gates, [n]), device),
                    structure: GateStructure::Unstructured,
                }
            })
            .collect();
        Self {
            layers,
            w0: f64::from(weights.w0),
        }
    }

    /// RGB `[n, 3]` (unclamped) for coordinates `[n, 2]`: with one fresh gate sample per
    /// parameter when `rng` is given (training), else with the deterministic `test` gates.
    pub fn forward(
        &self,
        coords: Tensor<2>,
        mut rng: Option<&mut GateRng>,
        test: TestGate,
    ) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        let mut x = coords;
        for (l, layer) in self.layers.iter().enumerate() {
            let y = layer.forward(x, GateMode::from_rng(&mut rng, test));
            x = if l < last {
                y.mul_scalar(self.w0).sin()
            } else {
                y
            };
        }
        x
    }

    /// Expected number of nonzero parameters, `sum over all gates of P(z != 0)`, shape `[1]`;
    /// differentiable in `log_alpha` (Louizos et al. 2018, eq. 12).
    pub fn expected_l0(&self) -> Tensor<1> {
        self.layers
            .iter()
            .map(L0Linear::expected_active_params)
            .reduce(|a, b| a + b)
            .expect("a SIREN has at least one layer")
    }

    /// Number of gated parameters (all weights and biases).
    pub fn num_params(&self) -> usize {
        self.layers.iter().map(L0Linear::total_params).sum()
    }

    /// Number of gates whose deterministic `test` gate is zero.
    pub fn closed_gates(&self, test: TestGate) -> usize {
        self.layers
            .iter()
            .flat_map(|l| host_vec(l.log_alpha.val()))
            .filter(|&a| test.gate_f64(f64::from(a)) == 0.0)
            .count()
    }

    /// Clamps every `log_alpha` to `[ln 0.01, ln 100]` (call after each optimizer step).
    pub fn clamp_log_alpha(self) -> Self {
        Self {
            layers: self
                .layers
                .into_iter()
                .map(L0Linear::clamp_log_alpha)
                .collect(),
            w0: self.w0,
        }
    }

    /// Paths of the gate parameters (`layers.<l>.log_alpha`), for a parameter group.
    pub fn gate_paths(&self) -> Vec<String> {
        (0..self.layers.len())
            .map(|l| format!("layers.{l}.log_alpha"))
            .collect()
    }

    /// Purge (Louizos et al. 2018, section 3: `theta* = theta * z_hat` with the deterministic
    /// gate `z_hat`): the host weights with the `test` gates folded in. Closed gates give exact
    /// zeros, which a sparse encoding drops.
    pub fn purge(&self, test: TestGate) -> SirenWeights {
        let mut widths = vec![];
        let layers = self
            .layers
            .iter()
            .map(|layer| {
                if widths.is_empty() {
                    widths.push(layer.d_input());
                }
                widths.push(layer.d_output());
                let (w, b) = layer.gated_params(GateMode::Test(test));
                LayerWeights {
                    weight: host_vec(w),
                    bias: b.map_or_else(|| vec![0.0; layer.d_output()], host_vec),
                }
            })
            .collect();
        SirenWeights {
            w0: self.w0 as f32,
            widths,
            layers,
        }
    }
}

fn host_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.to_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .expect("float tensor data converts to f32")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::siren::coordinate_grid;

    #[test]
    fn parameter_count_matches_the_closed_form() {
        // P = 3h + (L-1)(h^2 + h) + 3h + 3; 5 layers x 20 on 768x512 -> 0.0734 bpp.
        let c = SirenConfig::new(5, 20);
        let (l, h) = (5, 20);
        assert_eq!(c.num_params(), 3 * h + (l - 1) * (h * h + h) + 3 * h + 3);
        assert_eq!(c.num_params(), 1803);
        let bpp = 16.0 * c.num_params() as f64 / (768.0 * 512.0);
        assert!((bpp - 0.0734).abs() < 5e-5, "{bpp}");
        let device = Device::flex();
        assert_eq!(c.init_host(0).num_params(), 1803);
        assert_eq!(c.init_gated(0, 0.1, &device).num_params(), 1803);
    }

    #[test]
    fn init_bounds_and_determinism() {
        let c = SirenConfig::new(2, 64);
        let w = c.init_host(3);
        let max = |v: &[f32]| v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(max(&w.layers[0].weight) <= 0.5 && max(&w.layers[0].weight) > 0.45);
        let b1 = (6.0f32 / 64.0).sqrt() / 30.0;
        assert!(max(&w.layers[1].weight) <= b1 && max(&w.layers[1].weight) > 0.9 * b1);
        assert!(max(&w.layers[2].bias) <= 0.125);
        assert_eq!(c.init_host(3), w);
        assert_ne!(c.init_host(4), w);
    }

    #[test]
    fn dense_and_gated_forward_match_the_host_renderer() {
        let device = Device::flex();
        let c = SirenConfig::new(2, 8);
        let coords = coordinate_grid(5, 4);
        let x = Tensor::<2>::from_data(TensorData::new(coords.clone(), [20, 2]), &device);
        let dense = c.init(1, &device);
        let host = dense.to_host();
        assert_eq!(host, c.init_host(1));
        let y: Vec<f32> = host_vec(dense.forward(x.clone()).clamp(0.0, 1.0));
        let r = host.forward(&coords);
        assert!(y.iter().zip(&r).all(|(a, b)| (a - b).abs() < 1e-5));

        // Gates initialised wide open (d small => median gate 1): purge == dense weights.
        let gated = c.init_gated(1, 0.01, &device);
        assert_eq!(gated.purge(TestGate::Median), host);
        assert_eq!(gated.closed_gates(TestGate::Median), 0);
        let g = host_vec(
            gated
                .forward(x.clone(), None, TestGate::Median)
                .clamp(0.0, 1.0),
        );
        assert!(g.iter().zip(&r).all(|(a, b)| (a - b).abs() < 1e-5));
        let e = host_vec(gated.expected_l0())[0];
        assert!(e > 0.99 * gated.num_params() as f32);
    }

    #[test]
    fn closed_gates_purge_to_exact_zeros_and_gradients_flow() {
        let device = Device::flex().autodiff();
        let mut gated = SirenConfig::new(1, 4).init_gated(0, 0.5, &device);
        let n0 = gated.layers[0].num_gates();
        let la: Vec<f32> = (0..n0)
            .map(|i| if i % 2 == 0 { -4.0 } else { 4.0 })
            .collect();
        gated.layers[0].log_alpha = Param::from_data(TensorData::new(la, [n0]), &device);
        let p = gated.purge(TestGate::Median);
        let flat0: Vec<f32> = p.layers[0]
            .weight
            .iter()
            .chain(&p.layers[0].bias)
            .copied()
            .collect();
        assert!(flat0.iter().step_by(2).all(|&v| v == 0.0));
        assert_eq!(gated.closed_gates(TestGate::Median), n0.div_ceil(2));
        let x = Tensor::<2>::ones([3, 2], &device);
        let mut rng = GateRng::new(0);
        let loss = gated.forward(x, Some(&mut rng), TestGate::Median).sum() + gated.expected_l0();
        let grads = loss.backward();
        assert!(gated.layers[1].log_alpha.val().grad(&grads).is_some());
        assert!(gated.layers[0].weight.val().grad(&grads).is_some());
        assert_eq!(gated.gate_paths()[1], "layers.1.log_alpha");

        // Frozen gates reproduce the mask exactly and get no gradient.
        let frozen = L0Siren::frozen(&p, &device);
        assert_eq!(frozen.purge(TestGate::Median), p);
        let x = Tensor::<2>::ones([3, 2], &device);
        let grads = frozen.forward(x, None, TestGate::Median).sum().backward();
        let g = frozen.layers[0].log_alpha.val().grad(&grads).map(host_vec);
        assert!(g.is_none_or(|g| g.iter().all(|&v| v == 0.0)));
    }
}
