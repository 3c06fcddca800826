//! A multi-layer perceptron with ReLU activations and seeded initialisation.

use burn::module::{Module, Param};
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor, TensorData};

use crate::rng;

/// Layer sizes of an [`Mlp`]: `input -> hidden[0] -> ... -> hidden[h-1] -> output`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlpConfig {
    /// Number of input features.
    pub input: usize,
    /// Widths of the hidden layers (may be empty: a linear model).
    pub hidden: Vec<usize>,
    /// Number of outputs (logits).
    pub output: usize,
}

/// A fully connected network: linear layers with ReLU between them and none after the last,
/// so [`Mlp::forward`] returns logits.
#[derive(Module, Debug)]
pub struct Mlp {
    /// The linear layers, input side first.
    pub layers: Vec<Linear>,
}

impl MlpConfig {
    /// A configuration with the given sizes.
    pub fn new(input: usize, hidden: Vec<usize>, output: usize) -> Self {
        Self {
            input,
            hidden,
            output,
        }
    }

    /// The `(fan_in, fan_out)` of every linear layer.
    pub fn layer_sizes(&self) -> Vec<(usize, usize)> {
        let widths: Vec<usize> = std::iter::once(self.input)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(self.output))
            .collect();
        widths.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Total number of trainable scalars (weights and biases).
    pub fn num_params(&self) -> usize {
        self.layer_sizes().iter().map(|(i, o)| i * o + o).sum()
    }

    /// Builds the network on `device` with weights determined by `seed` alone.
    ///
    /// Every weight and bias of layer `l` (fan-in `f`) is drawn from `U(-1/sqrt(f), 1/sqrt(f))`,
    /// the same distribution as burn's default `LinearConfig` initialiser (Kaiming-uniform with
    /// gain `1/sqrt(3)`), but on the host from a ChaCha8 generator seeded with `seed` on stream
    /// `l`. We do not use `device.seed(seed)` with burn's initialiser: on the flex device that
    /// seed is a process-wide generator shared by all threads (and all devices), so parallel
    /// tests or concurrent model builds would make the draw order, and thus the weights, depend
    /// on scheduling. The host-side draw is reproducible bit for bit and device independent.
    ///
    /// # Panics
    /// If any layer size is zero.
    pub fn init(&self, seed: u64, device: &Device) -> Mlp {
        let layers = self
            .layer_sizes()
            .into_iter()
            .enumerate()
            .map(|(l, (fan_in, fan_out))| {
                assert!(
                    fan_in > 0 && fan_out > 0,
                    "MLP layer {l} has a zero size ({fan_in} -> {fan_out})"
                );
                let bound = 1.0 / (fan_in as f64).sqrt();
                let mut stream = rng::chacha(seed, l as u64);
                let mut draw = |count: usize| -> Vec<f32> {
                    (0..count)
                        .map(|_| ((2.0 * rng::unit_f64(&mut stream) - 1.0) * bound) as f32)
                        .collect()
                };
                let weight = TensorData::new(draw(fan_in * fan_out), [fan_in, fan_out]);
                let bias = TensorData::new(draw(fan_out), [fan_out]);
                Linear {
                    weight: Param::from_data(weight, device),
                    bias: Some(Param::from_data(bias, device)),
                }
            })
            .collect();
        Mlp { layers }
    }
}

impl Mlp {
    /// Logits `[batch, output]` for inputs `[batch, input]`.
    pub fn forward(&self, input: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len().saturating_sub(1);
        self.layers.iter().enumerate().fold(input, |x, (l, layer)| {
            let y = layer.forward(x);
            if l < last { relu(y) } else { y }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().unwrap()
    }

    #[test]
    fn shapes_and_param_count() {
        let config = MlpConfig::new(4, vec![8, 6], 3);
        assert_eq!(config.layer_sizes(), vec![(4, 8), (8, 6), (6, 3)]);
        assert_eq!(config.num_params(), 4 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3);
        let device = Device::flex();
        let mlp = config.init(0, &device);
        assert_eq!(mlp.num_params(), config.num_params());
        let out = mlp.forward(Tensor::zeros([5, 4], &device));
        assert_eq!(out.dims(), [5, 3]);
    }

    #[test]
    fn init_is_deterministic_per_seed() {
        let device = Device::flex();
        let config = MlpConfig::new(3, vec![5], 2);
        let x = Tensor::<2>::from_data([[0.1, -0.2, 0.3], [1.0, 0.5, -1.0]], &device);
        let a = host(config.init(7, &device).forward(x.clone()));
        let b = host(config.init(7, &device).forward(x.clone()));
        let c = host(config.init(8, &device).forward(x));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn weights_respect_the_kaiming_bound() {
        let device = Device::flex();
        let mlp = MlpConfig::new(16, vec![], 4).init(3, &device);
        let w = host(mlp.layers[0].weight.val());
        assert!(w.iter().all(|v| v.abs() <= 0.25));
        assert!(w.iter().any(|v| v.abs() > 0.2));
    }

    #[test]
    fn hidden_layers_apply_relu() {
        let device = Device::flex();
        let mut mlp = MlpConfig::new(1, vec![1], 1).init(0, &device);
        let set = |v: f32| Param::from_data(TensorData::new(vec![v], [1, 1]), &device);
        let zero = || {
            Some(Param::from_data(
                TensorData::new(vec![0.0f32], [1]),
                &device,
            ))
        };
        mlp.layers[0].weight = set(1.0);
        mlp.layers[0].bias = zero();
        mlp.layers[1].weight = set(2.0);
        mlp.layers[1].bias = zero();
        let x = Tensor::<2>::from_data([[-3.0], [4.0]], &device);
        assert_eq!(host(mlp.forward(x)), vec![0.0, 8.0]);
    }

    #[test]
    fn gradients_flow_on_an_autodiff_device() {
        let device = Device::flex().autodiff();
        let mlp = MlpConfig::new(2, vec![3], 2).init(1, &device);
        let x = Tensor::<2>::from_data([[1.0, 2.0]], &device);
        let loss = mlp.forward(x).sum();
        let grads = loss.backward();
        let g = mlp.layers[0]
            .weight
            .val()
            .grad(&grads)
            .expect("weight gradient");
        assert_eq!(g.dims(), [2, 3]);
    }
}
