//! Gauge-invariant attention over mesh neighbours (EMAN, Basu et al. 2022, TMLR): the weight
//! of the edge `q → p` is a softmax over `p`'s neighbours of a score built only from
//! gauge-invariant quantities, so multiplying messages by it keeps a layer equivariant.
//!
//! Edge invariants: the neighbour's scalars `s_q`, for every order `n ≥ 1` the transported
//! feature expressed relative to the edge direction, `e^{-inθ_pq} T_n z_q` (a gauge change
//! multiplies `T_n z_q` by `e^{-ing_p}` and `e^{-inθ_pq}` by `e^{ing_p}`: invariant), and the
//! relative edge length `r_pq / S`. Vertex invariants: `p`'s scalars and the norms `|z_p|`.
//!
//! ```text
//! key_pq   = W_k [edge invariants],   query_p = W_q [vertex invariants]   (h dims each)
//! score_pq = τ tanh(key_pq · query_p / (τ sqrt(h))),   τ = 4
//! a_pq     = exp(score_pq) / Σ_{q'} exp(score_pq')
//! ```
//!
//! The `tanh` bound keeps `exp` from overflowing or underflowing without a per-vertex
//! maximum. One head.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::conv::GaugeConv;
use super::fields::{Complex, Fields};
use super::graph::MeshGraph;
use super::init;

/// The bound `τ` of the attention scores.
pub const SCORE_BOUND: f64 = 4.0;

/// Attention weights of one layer (see the module doc).
#[derive(Module, Debug)]
pub struct EdgeAttention {
    /// `W_k`: `[edge invariants, h]`.
    pub key: Param<Tensor<2>>,
    /// `W_q`: `[vertex invariants, h]`.
    pub query: Param<Tensor<2>>,
    /// `h`.
    #[module(skip)]
    pub dim: usize,
}

impl EdgeAttention {
    /// Attention for input fields with `channels[n]` order-`n` channels, `dim` = `h`.
    pub fn new(channels: &[usize], dim: usize, seed: u64, layer: usize, device: &Device) -> Self {
        let edge_in = channels[0] + 2 * channels[1..].iter().sum::<usize>() + 1;
        let vertex_in = channels.iter().sum::<usize>();
        Self {
            key: init::uniform(
                edge_in,
                dim,
                1.0 / (edge_in as f64).sqrt(),
                seed,
                init::stream(layer, 4, 0),
                device,
            ),
            query: init::uniform(
                vertex_in,
                dim,
                1.0 / (vertex_in as f64).sqrt(),
                seed,
                init::stream(layer, 4, 1),
                device,
            ),
            dim,
        }
    }

    /// The weights `a_pq`, `[edges, 1]`; `conv` supplies the parallel transport (its
    /// `transport` flag included).
    pub fn weights(&self, input: &Fields, graph: &MeshGraph, conv: &GaugeConv) -> Tensor<2> {
        let mut parts = vec![graph.gather_sources(input.scalars.clone())];
        for (k, z) in input.orders.iter().enumerate() {
            let n = k + 1;
            let t: Complex = conv.transported(z, n, graph);
            let rel = t.rotate_back(&graph.angle[n].cos, &graph.angle[n].sin);
            parts.push(rel.re);
            parts.push(rel.im);
        }
        parts.push(graph.distance.clone());
        let key = Tensor::cat(parts, 1).matmul(self.key.val());
        let query = graph.gather_targets(input.invariants(1e-12).matmul(self.query.val()));
        let raw = (key * query).sum_dim(1) / (SCORE_BOUND * (self.dim as f64).sqrt());
        let w = (raw.tanh() * SCORE_BOUND).exp();
        let denom = graph.sum_into_targets(w.clone());
        w / graph.gather_targets(denom)
    }
}
