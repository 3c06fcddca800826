//! Setup shared by the Shampoo benches (`shampoo.rs`, `distributed_shampoo.rs`): the flex CPU
//! device, deterministic models (tanh MLPs, a plain LeNet-5), random batches with one-hot
//! targets and mean-squared error, their gradients, and FLOP counts of a training step and of
//! Shampoo's per-step matmuls.
#![allow(dead_code)]

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Device, Tensor, TensorData};
use rein::StateDict;
use rein::optim::ParamGrads;
use rein::optim::ShampooConfig;
use rein::optim::shampoo::param_blocks;
use rein_testing::params::deterministic;
use rein_testing::rng::SplitMix64;

pub fn device() -> Device {
    Device::flex().autodiff()
}

/// `n` draws uniform in [-1, 1), rounded to f32 (the benches' models are float32).
pub fn vector_f32(rng: &mut SplitMix64, n: usize) -> Vec<f32> {
    (0..n).map(|_| rng.symmetric() as f32).collect()
}

/// A model of the benches: logits of a flat `[batch, inputs]` input.
pub trait Net: Module + Sized {
    fn forward(&self, x: Tensor<2>) -> Tensor<2>;
}

/// Replaces every parameter of `random` by deterministic values scaled like Kaiming-uniform
/// (`U[-1, 1) / sqrt(fan_in)`, fan-in: `shape[0]` of matrices and vectors, `in * k * k` of
/// convolution kernels).
fn kaiming<M: Module>(random: M) -> M {
    let mut rng = SplitMix64::new(17);
    deterministic(random, |shape| {
        let fan_in = if shape.len() == 4 {
            shape[1] * shape[2] * shape[3]
        } else {
            shape[0]
        } as f32;
        vector_f32(&mut rng, shape.iter().product())
            .iter()
            .map(|x| x / fan_in.sqrt())
            .collect::<Vec<f32>>()
    })
}

/// A tanh MLP.
#[derive(Module, Debug)]
pub struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    pub fn new(sizes: &[usize]) -> Self {
        let d = device();
        kaiming(Mlp {
            layers: sizes
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(&d))
                .collect(),
        })
    }
}

impl Net for Mlp {
    fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i < last {
                x = x.tanh();
            }
        }
        x
    }
}

/// LeNet-5 (Caffe variant, no gates) on 28x28 images: conv 5x5 (20) - ReLU - max-pool 2 -
/// conv 5x5 (50) - ReLU - max-pool 2 - fc 800 -> 500 - ReLU - fc 500 -> 10; 431,080 parameters.
#[derive(Module, Debug)]
pub struct LeNet5 {
    conv1: Conv2d,
    conv2: Conv2d,
    fc1: Linear,
    fc2: Linear,
}

impl LeNet5 {
    pub fn new() -> Self {
        let d = device();
        kaiming(LeNet5 {
            conv1: Conv2dConfig::new([1, 20], [5, 5]).init(&d),
            conv2: Conv2dConfig::new([20, 50], [5, 5]).init(&d),
            fc1: LinearConfig::new(800, 500).init(&d),
            fc2: LinearConfig::new(500, 10).init(&d),
        })
    }
}

impl Net for LeNet5 {
    fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [n, _] = x.dims();
        let pool = |x| max_pool2d(x, MaxPoolOptions::new([2, 2]));
        let x = pool(relu(self.conv1.forward(x.reshape([n, 1, 28, 28]))));
        let x = pool(relu(self.conv2.forward(x)));
        let x = relu(self.fc1.forward(x.reshape([n, 800])));
        self.fc2.forward(x)
    }
}

/// Multiply-adds of one LeNet-5 forward pass per image.
pub fn lenet5_macs() -> f64 {
    let conv1 = 24.0 * 24.0 * 20.0 * 25.0;
    let conv2 = 8.0 * 8.0 * 50.0 * 20.0 * 25.0;
    conv1 + conv2 + 800.0 * 500.0 + 500.0 * 10.0
}

/// Multiply-adds of one MLP forward pass per sample.
pub fn mlp_macs(sizes: &[usize]) -> f64 {
    sizes.windows(2).map(|w| (w[0] * w[1]) as f64).sum()
}

/// FLOPs of forward + backward of a step: `2 * 3 * batch * forward MACs` (backward ~ twice the
/// forward: gradients of the weights and of the inputs).
pub fn train_flops(forward_macs: f64, batch: usize) -> f64 {
    6.0 * batch as f64 * forward_macs
}

/// FLOPs of Shampoo's per-step matmuls for parameters of `shapes` (blocks of `c`): per block of
/// dims `d_1..d_k` with `n` entries, the factor updates `sum_i d_i (d_i + 1) / 2 * n / d_i`
/// multiply-adds (lower triangles; `full_grams`: `d_i n`) and the preconditioning
/// `sum_i d_i n`; diagonal vector blocks `O(n)`, counted as 0. Roots (every `f` steps) are
/// not included.
pub fn shampoo_flops<'a>(
    shapes: impl IntoIterator<Item = &'a [usize]>,
    c: &ShampooConfig,
    full_grams: bool,
) -> f64 {
    let mut macs = 0.0;
    for shape in shapes {
        for b in param_blocks(shape, c.max_preconditioner_dim).1 {
            if b.dims.len() == 1 && c.diagonal_vectors_from.is_some_and(|m| b.dims[0] >= m) {
                continue;
            }
            let n = b.len() as f64;
            for &d in &b.dims {
                let d = d as f64;
                let update = if full_grams {
                    d * n
                } else {
                    (d + 1.0) / 2.0 * n
                };
                macs += update + d * n;
            }
        }
    }
    2.0 * macs
}

/// Parameter shapes of a model.
pub fn shapes<M: Module>(model: &M) -> Vec<Vec<usize>> {
    let mut dict = StateDict::new();
    dict.put_module("m", model);
    dict.keys()
        .map(|k| dict.get_data(k).unwrap().shape().to_vec())
        .collect()
}

/// A random batch of `batch` inputs with one-hot targets over `classes`.
pub struct Batch {
    pub x: Tensor<2>,
    pub y: Tensor<2>,
}

impl Batch {
    pub fn new(batch: usize, inputs: usize, classes: usize) -> Self {
        let d = device();
        let mut rng = SplitMix64::new(3);
        let x = Tensor::from_data(
            TensorData::new(vector_f32(&mut rng, batch * inputs), [batch, inputs]),
            &d,
        );
        let mut y = vec![0f32; batch * classes];
        for i in 0..batch {
            let c = ((rng.symmetric() + 1.0) * 0.5 * classes as f64) as usize % classes;
            y[i * classes + c] = 1.0;
        }
        let y = Tensor::from_data(TensorData::new(y, [batch, classes]), &d);
        Batch { x, y }
    }
}

/// Gradients of the mean-squared error of `model` on `b`.
pub fn grads<M: Net>(model: &M, b: &Batch) -> ParamGrads {
    let d = model.forward(b.x.clone()) - b.y.clone();
    let loss = (d.clone() * d).mean();
    ParamGrads::from_backward(model, &loss.backward())
}
