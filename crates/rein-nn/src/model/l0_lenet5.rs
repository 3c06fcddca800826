//! LeNet-5 (the Caffe variant used by Louizos, Welling & Kingma 2018 and by Gallego-Posada et al.
//! 2022): `conv 5x5 (20) - ReLU - max-pool 2 - conv 5x5 (50) - ReLU - max-pool 2 - fc 500 - ReLU -
//! fc classes`, every layer behind L0 gates.
//!
//! On 28x28 MNIST (no padding) the feature maps are 24 -> 12 -> 8 -> 4, so the first fully
//! connected layer reads `50 * 4 * 4 = 800` features: 431,080 parameters in all. For smaller
//! images (the 8x8 digits) set `padding = 2`, which keeps the sizes 8 -> 4 -> 4 -> 2 (200
//! features).
//!
//! Structured gates ([`L0LeNet5Config::structured`]): one gate per output channel of the
//! convolutions and one per input neuron of the fully connected layers, as in the papers;
//! unstructured: one gate per weight and bias.

use burn::module::Module;
use burn::tensor::Tensor;
use burn::tensor::activation::relu;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{Device, Int};

use super::gated::GatedClassifier;
use crate::l0::{
    ConvGateStructure, GateMode, GateRng, GateStructure, L0Conv2d, L0Conv2dConfig, L0Linear,
    L0LinearConfig, PurgeReport, TestGate,
};

/// Configuration of an [`L0LeNet5`].
#[derive(Debug, Clone, PartialEq)]
pub struct L0LeNet5Config {
    /// Side of the square single-channel input images (28 for MNIST, 8 for digits).
    pub side: usize,
    /// Zero padding of both convolutions (0 for MNIST; 2 keeps small images from vanishing).
    pub padding: usize,
    /// Output channels of the two convolutions (default 20, 50).
    pub channels: [usize; 2],
    /// Width of the hidden fully connected layer (default 500).
    pub hidden: usize,
    /// Number of classes.
    pub classes: usize,
    /// Structured gates (output channels / input neurons) instead of one per parameter.
    pub structured: bool,
    /// Initial drop rate of the gates.
    pub drop_rate: f64,
}

impl L0LeNet5Config {
    /// LeNet-5-Caffe for `side x side` images and `classes` classes: channels (20, 50), hidden
    /// 500, no padding, unstructured gates, drop rate 0.5.
    pub fn new(side: usize, classes: usize) -> Self {
        Self {
            side,
            padding: 0,
            channels: [20, 50],
            hidden: 500,
            classes,
            structured: false,
            drop_rate: 0.5,
        }
    }

    /// Sets the convolutions' padding.
    pub fn padding(mut self, padding: usize) -> Self {
        self.padding = padding;
        self
    }

    /// Sets the two convolutions' channel counts and the hidden width.
    pub fn widths(mut self, channels: [usize; 2], hidden: usize) -> Self {
        self.channels = channels;
        self.hidden = hidden;
        self
    }

    /// Structured (true) or unstructured gates.
    pub fn structured(mut self, structured: bool) -> Self {
        self.structured = structured;
        self
    }

    /// Sets the initial drop rate.
    pub fn drop_rate(mut self, d: f64) -> Self {
        self.drop_rate = d;
        self
    }

    /// Side of the feature maps entering the fully connected part, or `None` if the image is
    /// too small for this padding.
    pub fn final_side(&self) -> Option<usize> {
        let conv = |s: usize| (s + 2 * self.padding).checked_sub(4);
        let s = conv(self.side)? / 2;
        let s = conv(s)? / 2;
        (s > 0).then_some(s)
    }

    /// Builds the model; layer `l` draws from seed stream `seed * 1000 + l`.
    ///
    /// # Panics
    /// If the image is too small for the architecture (see [`final_side`](Self::final_side)).
    pub fn init(&self, seed: u64, device: &Device) -> L0LeNet5 {
        let side = self.final_side().unwrap_or_else(|| {
            panic!(
                "LeNet-5 needs larger images than {0}x{0} with padding {1}",
                self.side, self.padding
            )
        });
        let (conv_s, fc_s) = if self.structured {
            (
                ConvGateStructure::OutputChannels,
                GateStructure::InputNeurons,
            )
        } else {
            (ConvGateStructure::Unstructured, GateStructure::Unstructured)
        };
        let s = |l: u64| seed.wrapping_mul(1000).wrapping_add(l);
        let [c1, c2] = self.channels;
        let flat = c2 * side * side;
        L0LeNet5 {
            conv1: L0Conv2dConfig::new(1, c1, 5, conv_s)
                .with_padding(self.padding)
                .with_drop_rate(self.drop_rate)
                .init(s(0), device),
            conv2: L0Conv2dConfig::new(c1, c2, 5, conv_s)
                .with_padding(self.padding)
                .with_drop_rate(self.drop_rate)
                .init(s(1), device),
            fc1: L0LinearConfig::new(flat, self.hidden, fc_s)
                .with_drop_rate(self.drop_rate)
                .init(s(2), device),
            fc2: L0LinearConfig::new(self.hidden, self.classes, fc_s)
                .with_drop_rate(self.drop_rate)
                .init(s(3), device),
            side: self.side,
        }
    }
}

/// LeNet-5 with L0 gates: the Caffe variant, every layer gated (Louizos, Welling & Kingma 2018).
#[derive(Module, Debug)]
pub struct L0LeNet5 {
    /// First convolution (1 -> 20 channels, 5x5).
    pub conv1: L0Conv2d,
    /// Second convolution (20 -> 50 channels, 5x5).
    pub conv2: L0Conv2d,
    /// Hidden fully connected layer.
    pub fc1: L0Linear,
    /// Output layer.
    pub fc2: L0Linear,
    /// Side of the input images.
    #[module(skip)]
    pub side: usize,
}

fn pool(x: Tensor<4>) -> Tensor<4> {
    max_pool2d(x, MaxPoolOptions::new([2, 2]))
}

impl L0LeNet5 {
    fn images(&self, input: Tensor<2>) -> Tensor<4> {
        let [n, d] = input.dims();
        assert_eq!(
            d,
            self.side * self.side,
            "LeNet-5 expects {0}x{0} images flattened",
            self.side
        );
        input.reshape([n, 1, self.side, self.side])
    }

    /// Logits for flat images `[n, side * side]`; sampled gates with `rng`, else `test` gates.
    pub fn forward(
        &self,
        input: Tensor<2>,
        mut rng: Option<&mut GateRng>,
        test: TestGate,
    ) -> Tensor<2> {
        let x = self.images(input);
        let x = pool(relu(
            self.conv1.forward(x, GateMode::from_rng(&mut rng, test)),
        ));
        let x = pool(relu(
            self.conv2.forward(x, GateMode::from_rng(&mut rng, test)),
        ));
        let x: Tensor<2> = x.flatten(1, 3);
        let x = relu(self.fc1.forward(x, GateMode::from_rng(&mut rng, test)));
        self.fc2.forward(x, GateMode::from_rng(&mut rng, test))
    }

    /// Logits with every gate open (the dense LeNet-5 of the same shape).
    pub fn forward_dense(&self, input: Tensor<2>) -> Tensor<2> {
        let x = self.images(input);
        let x = pool(relu(self.conv1.forward_dense(x)));
        let x = pool(relu(self.conv2.forward_dense(x)));
        let x: Tensor<2> = x.flatten(1, 3);
        let dense = |l: &L0Linear, x: Tensor<2>| {
            burn::tensor::module::linear(x, l.weight.val(), l.bias.as_ref().map(|b| b.val()))
        };
        let x = relu(dense(&self.fc1, x));
        dense(&self.fc2, x)
    }

    /// Predicted classes with test gates (convenience for evaluation).
    pub fn predict(&self, input: Tensor<2>, test: TestGate) -> Tensor<1, Int> {
        self.forward(input, None, test).argmax(1).flatten(0, 1)
    }
}

impl GatedClassifier for L0LeNet5 {
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
        vec![
            self.conv1.expected_active_params(),
            self.conv2.expected_active_params(),
            self.fc1.expected_active_params(),
            self.fc2.expected_active_params(),
        ]
    }

    fn total_per_layer(&self) -> Vec<usize> {
        vec![
            self.conv1.total_params(),
            self.conv2.total_params(),
            self.fc1.total_params(),
            self.fc2.total_params(),
        ]
    }

    fn clamp_log_alpha(self) -> Self {
        Self {
            conv1: self.conv1.clamp_log_alpha(),
            conv2: self.conv2.clamp_log_alpha(),
            fc1: self.fc1.clamp_log_alpha(),
            fc2: self.fc2.clamp_log_alpha(),
            side: self.side,
        }
    }

    fn purge_report(&self, gate: TestGate) -> PurgeReport {
        [
            self.conv1.purge(gate).report,
            self.conv2.purge(gate).report,
            self.fc1.purge(gate).report,
            self.fc2.purge(gate).report,
        ]
        .into_iter()
        .sum()
    }

    fn gate_paths(&self) -> Vec<String> {
        ["conv1", "conv2", "fc1", "fc2"]
            .iter()
            .map(|l| format!("{l}.log_alpha"))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::TensorData;

    #[test]
    fn mnist_shapes_and_parameter_counts() {
        let config = L0LeNet5Config::new(28, 10);
        assert_eq!(config.final_side(), Some(4));
        let device = Device::flex();
        let model = config.clone().structured(true).init(0, &device);
        // Structured: conv groups 25 + 1 and 500 + 1; the fc biases are ungated.
        assert_eq!(
            model.total_per_layer(),
            vec![20 * 26, 50 * 501, 800 * 500, 500 * 10]
        );
        let unstructured = config.init(0, &device);
        let all: usize = unstructured.total_per_layer().iter().sum();
        assert_eq!(all, 431_080);
        let x = Tensor::<2>::zeros([3, 784], &device);
        assert_eq!(model.forward(x, None, TestGate::Median).dims(), [3, 10]);
    }

    #[test]
    fn small_images_need_padding() {
        assert_eq!(L0LeNet5Config::new(8, 10).final_side(), None);
        assert_eq!(L0LeNet5Config::new(8, 10).padding(2).final_side(), Some(2));
    }

    #[test]
    fn open_gates_equal_the_dense_network_and_purge_counts_everything() {
        let device = Device::flex();
        let mut model = L0LeNet5Config::new(8, 10)
            .padding(2)
            .widths([4, 6], 12)
            .init(1, &device);
        let open = |l: &mut burn::module::Param<Tensor<1>>| {
            let n = l.dims()[0];
            *l = burn::module::Param::from_data(TensorData::new(vec![10.0f32; n], [n]), &device);
        };
        open(&mut model.conv1.log_alpha);
        open(&mut model.conv2.log_alpha);
        open(&mut model.fc1.log_alpha);
        open(&mut model.fc2.log_alpha);
        let values: Vec<f32> = (0..2 * 64).map(|k| (k % 13) as f32 / 13.0).collect();
        let x = Tensor::<2>::from_data(TensorData::new(values, [2, 64]), &device);
        let a = model.forward(x.clone(), None, TestGate::Median).into_data();
        let b = model.forward_dense(x).into_data();
        a.assert_approx_eq::<f32>(&b, burn::tensor::Tolerance::absolute(1e-5));
        let r = model.purge_report(TestGate::Median);
        assert_eq!(
            r.total_params,
            model.total_per_layer().iter().sum::<usize>()
        );
    }
}
