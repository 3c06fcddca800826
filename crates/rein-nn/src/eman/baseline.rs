//! The non-equivariant control: a graph network on raw `xyz` vertex coordinates with the
//! same neighbourhoods (mean aggregation), in the style of GEM-CNN's and EMAN's `xyz`-input
//! baselines. Permutation equivariant, but its output changes when the mesh is rotated,
//! translated or scaled.
//!
//! ```text
//! h_0     = ReLU(x W_in + b_in)                                   (x = raw positions)
//! h_{l+1} = h_l + ReLU(h_l W_l + (1/deg p) Σ_q h_l(q) V_l + b_l)
//! logits  = h_L W_out + b_out
//! ```

use burn::module::{Module, Param};
use burn::tensor::activation::relu;
use burn::tensor::{Device, Tensor};

use super::graph::MeshGraph;
use super::init;

/// One message-passing layer of [`XyzGraphNet`].
#[derive(Module, Debug)]
pub struct XyzLayer {
    /// `W_l` (the vertex's own features).
    pub own: Param<Tensor<2>>,
    /// `V_l` (the mean of the neighbours').
    pub neighbours: Param<Tensor<2>>,
    /// `b_l`.
    pub bias: Param<Tensor<1>>,
}

/// The `xyz` baseline (see the module doc).
#[derive(Module, Debug)]
pub struct XyzGraphNet {
    /// `W_in`.
    pub input: Param<Tensor<2>>,
    /// `b_in`.
    pub input_bias: Param<Tensor<1>>,
    /// The hidden layers.
    pub layers: Vec<XyzLayer>,
    /// `W_out`.
    pub readout: Param<Tensor<2>>,
    /// `b_out`.
    pub readout_bias: Param<Tensor<1>>,
}

impl XyzGraphNet {
    /// `layers` layers of width `width`, `classes` outputs, weights from `seed`.
    pub fn new(width: usize, layers: usize, classes: usize, seed: u64, device: &Device) -> Self {
        let b = 1.0 / (width as f64).sqrt();
        let half = b / 2f64.sqrt();
        Self {
            input: init::uniform(
                3,
                width,
                1.0 / 3f64.sqrt(),
                seed,
                init::stream(0, 6, 0),
                device,
            ),
            input_bias: init::zeros(width, device),
            layers: (0..layers)
                .map(|l| XyzLayer {
                    own: init::uniform(width, width, half, seed, init::stream(l + 1, 6, 1), device),
                    neighbours: init::uniform(
                        width,
                        width,
                        half,
                        seed,
                        init::stream(l + 1, 6, 2),
                        device,
                    ),
                    bias: init::zeros(width, device),
                })
                .collect(),
            readout: init::uniform(
                width,
                classes,
                b,
                seed,
                init::stream(layers + 1, 6, 3),
                device,
            ),
            readout_bias: init::zeros(classes, device),
        }
    }

    /// Per-vertex logits from the raw positions of `graph`.
    pub fn forward(&self, graph: &MeshGraph) -> Tensor<2> {
        let bias = |p: &Param<Tensor<1>>| p.val().unsqueeze_dim(0);
        let mut h = relu(graph.positions.clone().matmul(self.input.val()) + bias(&self.input_bias));
        let w = graph.gather_targets(graph.inverse_degree.clone());
        for l in &self.layers {
            let mean = graph.sum_into_targets(graph.gather_sources(h.clone()) * w.clone());
            h = h.clone()
                + relu(h.matmul(l.own.val()) + mean.matmul(l.neighbours.val()) + bias(&l.bias));
        }
        h.matmul(self.readout.val()) + bias(&self.readout_bias)
    }
}
