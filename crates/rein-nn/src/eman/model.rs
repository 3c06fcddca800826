//! The EMAN network: RelTan inputs, gauge-equivariant attention layers with norm
//! non-linearities and residual connections, and an invariant per-vertex read-out.
//!
//! ```text
//! x_0     = RelTan(mesh)                                   (orders 0..=N; reltan.rs)
//! x_{l+1} = [x_l +] NormGate(GaugeConv_l(x_l; a^l))         (residual from layer 1 on)
//! logits  = W_out [scalars(x_L), |order-n channels of x_L|] + b_out
//! ```
//!
//! `a^l` are the attention weights of layer `l` (attention.rs), or the mean over neighbours
//! without attention (then the network is GEM-CNN with RelTan inputs). Every step is
//! gauge equivariant and sees the mesh only through similarity-invariant quantities, so the
//! logits are invariant to rotation, translation and scaling of the mesh and to the choice of
//! gauges, and equivariant to vertex permutations; the order-`n` channels of `x_L` rotate
//! by `e^{-ing_p}` under a gauge change (tests/eman_equivariance.rs checks all of it).

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::attention::EdgeAttention;
use super::conv::GaugeConv;
use super::fields::Fields;
use super::graph::MeshGraph;
use super::init;
use super::nonlinearity::NormGate;
use super::reltan::RELTAN_SCALARS;

/// Sizes and switches of an [`Eman`] network.
#[derive(Debug, Clone, PartialEq)]
pub struct EmanConfig {
    /// Highest SO(2) order `N` of the features (orders `0..=N`).
    pub max_order: usize,
    /// Channels per order in the hidden layers.
    pub channels: usize,
    /// Number of gauge-equivariant layers.
    pub layers: usize,
    /// Number of classes of the read-out.
    pub classes: usize,
    /// Attention weights (EMAN); false: mean over neighbours (GEM-CNN).
    pub attention: bool,
    /// Query/key dimension of the attention.
    pub attention_dim: usize,
    /// Parallel transport of the neighbours' features (false only for the control that
    /// must fail the gauge test).
    pub transport: bool,
}

impl EmanConfig {
    /// `N = 2`, 16 channels per order, 4 layers, attention of dimension 8.
    pub fn new(classes: usize) -> Self {
        Self {
            max_order: 2,
            channels: 16,
            layers: 4,
            classes,
            attention: true,
            attention_dim: 8,
            transport: true,
        }
    }

    /// Builds the network on `device`, weights from `seed`.
    ///
    /// # Panics
    /// If `layers`, `channels`, `classes` or (with attention) `attention_dim` is zero.
    pub fn init(&self, seed: u64, device: &Device) -> Eman {
        assert!(self.layers > 0 && self.channels > 0 && self.classes > 0);
        assert!(!self.attention || self.attention_dim > 0);
        let input: Vec<usize> = (0..=self.max_order)
            .map(|n| if n == 0 { RELTAN_SCALARS } else { 1 })
            .collect();
        let hidden = vec![self.channels; self.max_order + 1];
        let mut convs = Vec::new();
        let mut attention = Vec::new();
        let mut gates = Vec::new();
        for l in 0..self.layers {
            let c_in = if l == 0 {
                input.clone()
            } else {
                hidden.clone()
            };
            if self.attention {
                attention.push(EdgeAttention::new(
                    &c_in,
                    self.attention_dim,
                    seed,
                    l,
                    device,
                ));
            }
            convs.push(GaugeConv::new(
                c_in,
                hidden.clone(),
                self.transport,
                seed,
                l,
                device,
            ));
            gates.push(NormGate::new(&hidden, device));
        }
        let inv = self.channels * (self.max_order + 1);
        Eman {
            convs,
            attention,
            gates,
            readout: init::uniform(
                inv,
                self.classes,
                1.0 / (inv as f64).sqrt(),
                seed,
                init::stream(self.layers, 5, 0),
                device,
            ),
            readout_bias: init::zeros(self.classes, device),
        }
    }
}

/// EMAN (or GEM-CNN without attention) on RelTan inputs; see the module doc.
#[derive(Module, Debug)]
pub struct Eman {
    /// The gauge-equivariant convolutions.
    pub convs: Vec<GaugeConv>,
    /// Their attention (empty without attention).
    pub attention: Vec<EdgeAttention>,
    /// The non-linearity after every convolution.
    pub gates: Vec<NormGate>,
    /// Read-out weights `[invariants, classes]`.
    pub readout: Param<Tensor<2>>,
    /// Read-out bias.
    pub readout_bias: Param<Tensor<1>>,
}

impl Eman {
    /// The last layer's fields for the RelTan `input` on `graph`.
    pub fn forward_fields(&self, input: &Fields, graph: &MeshGraph) -> Fields {
        let mut x = input.clone();
        for (l, (conv, gate)) in self.convs.iter().zip(&self.gates).enumerate() {
            let a = self
                .attention
                .get(l)
                .map(|att| att.weights(&x, graph, conv));
            let y = gate.forward(conv.forward(&x, graph, a));
            x = if l == 0 {
                y
            } else {
                Fields {
                    scalars: x.scalars + y.scalars,
                    orders: x
                        .orders
                        .into_iter()
                        .zip(y.orders)
                        .map(|(a, b)| a.plus(b))
                        .collect(),
                }
            };
        }
        x
    }

    /// Per-vertex logits `[vertices, classes]` (gauge and similarity invariant).
    pub fn forward(&self, input: &Fields, graph: &MeshGraph) -> Tensor<2> {
        let x = self.forward_fields(input, graph);
        x.invariants(1e-12).matmul(self.readout.val()) + self.readout_bias.val().unsqueeze_dim(0)
    }
}
