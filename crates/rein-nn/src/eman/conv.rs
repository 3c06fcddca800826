//! The gauge-equivariant mesh convolution of GEM-CNN (de Haan, Weiler, Cohen, Welling 2021,
//! ICLR), written with complex coefficients, with optional attention weights (EMAN, Basu et
//! al. 2022, TMLR). docs/eman.md derives the kernel basis.
//!
//! An order-`n` input channel at the neighbour `q` (coefficient `z_q ∈ ℂ`; a real `s_q` for
//! `n = 0`) is first parallel-transported into `p`'s gauge, `T_n z_q = e^{i n α_qp} z_q`.
//! With per-edge weights `a_pq` (attention, or `1/deg p`), the order-`m` output is
//!
//! ```text
//! out_m(p) = Σ_n W_mn  Σ_q a_pq e^{i(m-n)θ_pq} T_n z_q            (all n, m)
//!          + Σ_n V_mn  Σ_q a_pq e^{i(m+n)θ_pq} conj(T_n z_q)      (n, m ≥ 1)
//!          + U_m z_p  (+ b for m = 0)
//! ```
//!
//! with complex channel-mixing matrices `W_mn`, `V_mn`, `U_m` (real for `m = n = 0`; for
//! `m = 0` the real part is taken, which makes the `V` terms redundant). These are exactly
//! the GEM-CNN angular kernel bases: per pair of irreps `(n → m)` the real 2-D solution space
//! of `K(θ - g) ρ_n(g) = ρ_m(g) K(θ)` is spanned by `e^{i(m-n)θ}` and `e^{i(m+n)θ} conj(·)`
//! (2 real parameters each; 1 for `0 → 0`; 2 for `0 → m` and `n → 0`), and the
//! self-interaction is the commutant of `ρ_m` (`a + b J`, a complex number). A gauge change
//! (`θ_pq ↦ θ_pq - g_p`, `α_qp ↦ α_qp + g_q - g_p`, `z_q ↦ e^{-ing_q} z_q`) multiplies every
//! order-`m` term by `e^{-img_p}`: the layer is gauge equivariant. Its input, weights and
//! edges are invariant under rotation, translation and scaling of the mesh, so is its output.
//!
//! With `transport = false` the `e^{inα}` factor is left out (features compared in
//! mismatched frames): the non-equivariant control of the tests.

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor};

use super::fields::{Complex, Fields};
use super::graph::MeshGraph;
use super::init;

/// A complex channel-mixing matrix `A + iB` (`[c_in, c_out]` each); `im` is absent for a real
/// map.
#[derive(Module, Debug)]
pub struct ComplexWeight {
    /// `A`.
    pub re: Param<Tensor<2>>,
    /// `B`.
    pub im: Option<Param<Tensor<2>>>,
}

impl ComplexWeight {
    fn new(
        c_in: usize,
        c_out: usize,
        complex: bool,
        bound: f64,
        seed: u64,
        stream: u64,
        device: &Device,
    ) -> Self {
        Self {
            re: init::uniform(c_in, c_out, bound, seed, stream, device),
            im: complex
                .then(|| init::uniform(c_in, c_out, bound, seed, stream + (1 << 12), device)),
        }
    }

    /// `(A + iB) z` for a complex row vector per vertex.
    fn mix(&self, z: &Complex) -> Complex {
        let a = self.re.val();
        match &self.im {
            Some(b) => {
                let b = b.val();
                Complex {
                    re: z.re.clone().matmul(a.clone()) - z.im.clone().matmul(b.clone()),
                    im: z.re.clone().matmul(b) + z.im.clone().matmul(a),
                }
            }
            None => Complex {
                re: z.re.clone().matmul(a.clone()),
                im: z.im.clone().matmul(a),
            },
        }
    }

    /// `Re((A + iB) z)`.
    fn mix_real(&self, z: &Complex) -> Tensor<2> {
        let out = z.re.clone().matmul(self.re.val());
        match &self.im {
            Some(b) => out - z.im.clone().matmul(b.val()),
            None => out,
        }
    }
}

/// Channel counts per order `0..=N`.
pub type Channels = Vec<usize>;

/// One gauge-equivariant convolution (see the module doc).
#[derive(Module, Debug)]
pub struct GaugeConv {
    /// `W_mn`, index `m (N + 1) + n`.
    pub neighbour: Vec<ComplexWeight>,
    /// `V_mn` for `n, m ≥ 1`, index `(m - 1) N + (n - 1)`.
    pub conjugate: Vec<ComplexWeight>,
    /// `U_m`.
    pub self_weight: Vec<ComplexWeight>,
    /// Bias of the order-0 output.
    pub bias: Param<Tensor<1>>,
    /// Input channels per order.
    #[module(skip)]
    pub in_channels: Channels,
    /// Output channels per order.
    #[module(skip)]
    pub out_channels: Channels,
    /// Parallel-transport the neighbours' features (false only in the control).
    #[module(skip)]
    pub transport: bool,
}

impl GaugeConv {
    /// A layer mapping `in_channels[n]` order-`n` channels to `out_channels[m]` order-`m`
    /// channels (both of length `N + 1`), weights `U(-1/sqrt(fan_in), 1/sqrt(fan_in))` with
    /// `fan_in` the real inputs of an output channel, drawn from `seed` on streams of `layer`.
    ///
    /// # Panics
    /// If the two channel lists differ in length or are empty.
    // The orders index the channel lists and the weight lists in lockstep.
    #[allow(clippy::needless_range_loop)]
    pub fn new(
        in_channels: Channels,
        out_channels: Channels,
        transport: bool,
        seed: u64,
        layer: usize,
        device: &Device,
    ) -> Self {
        assert!(!in_channels.is_empty() && in_channels.len() == out_channels.len());
        let orders = in_channels.len();
        let total_in: usize = in_channels
            .iter()
            .enumerate()
            .map(|(n, c)| if n == 0 { *c } else { 2 * c })
            .sum();
        let bound = |m: usize| {
            let fan = if m == 0 { 2 * total_in } else { 4 * total_in };
            1.0 / (fan as f64).sqrt()
        };
        let mut neighbour = Vec::new();
        for m in 0..orders {
            for n in 0..orders {
                let complex = !(m == 0 && n == 0);
                neighbour.push(ComplexWeight::new(
                    in_channels[n],
                    out_channels[m],
                    complex,
                    bound(m),
                    seed,
                    init::stream(layer, 1, m * orders + n),
                    device,
                ));
            }
        }
        let mut conjugate = Vec::new();
        for m in 1..orders {
            for n in 1..orders {
                conjugate.push(ComplexWeight::new(
                    in_channels[n],
                    out_channels[m],
                    true,
                    bound(m),
                    seed,
                    init::stream(layer, 2, m * orders + n),
                    device,
                ));
            }
        }
        let self_weight = (0..orders)
            .map(|m| {
                ComplexWeight::new(
                    in_channels[m],
                    out_channels[m],
                    m > 0,
                    bound(m),
                    seed,
                    init::stream(layer, 3, m),
                    device,
                )
            })
            .collect();
        Self {
            neighbour,
            conjugate,
            self_weight,
            bias: init::zeros(out_channels[0], device),
            in_channels,
            out_channels,
            transport,
        }
    }

    /// The neighbours' order-`n` features transported into the target's gauge, per edge
    /// (`n ≥ 1`).
    pub fn transported(&self, z: &Complex, n: usize, graph: &MeshGraph) -> Complex {
        let edge = Complex {
            re: graph.gather_sources(z.re.clone()),
            im: graph.gather_sources(z.im.clone()),
        };
        if self.transport {
            edge.rotate(&graph.transport[n].cos, &graph.transport[n].sin)
        } else {
            edge
        }
    }

    /// The layer's output for `input`; `weights` (`[edges, 1]`) are the per-edge aggregation
    /// weights `a_pq` (each vertex's summing to 1), `None` for the mean over neighbours.
    #[allow(clippy::needless_range_loop)]
    pub fn forward(&self, input: &Fields, graph: &MeshGraph, weights: Option<Tensor<2>>) -> Fields {
        let orders = self.in_channels.len();
        let a = weights.unwrap_or_else(|| graph.gather_targets(graph.inverse_degree.clone()));
        // Every per-edge term, aggregated in one scatter-add.
        let mut terms: Vec<Tensor<2>> = Vec::new();
        let mut push = |t: Tensor<2>| {
            terms.push(t);
            terms.len() - 1
        };
        // Slots: p_slots[m][n] = (re, im) term indices; q_slots for the conjugate terms.
        let mut p_slots = vec![vec![(0, None); orders]; orders];
        let mut q_slots = vec![vec![(0, 0); orders]; orders];
        let s = graph.gather_sources(input.scalars.clone()) * a.clone();
        for (m, slots) in p_slots.iter_mut().enumerate() {
            slots[0] = if m == 0 {
                (push(s.clone()), None)
            } else {
                let ph = &graph.angle[m];
                (
                    push(s.clone() * ph.cos.clone()),
                    Some(push(s.clone() * ph.sin.clone())),
                )
            };
        }
        for n in 1..orders {
            let z = self.transported(&input.orders[n - 1], n, graph);
            let z = Complex {
                re: z.re * a.clone(),
                im: z.im * a.clone(),
            };
            for m in 0..orders {
                let rotated = if m >= n {
                    z.rotate(&graph.angle[m - n].cos, &graph.angle[m - n].sin)
                } else {
                    z.rotate_back(&graph.angle[n - m].cos, &graph.angle[n - m].sin)
                };
                p_slots[m][n] = (push(rotated.re), Some(push(rotated.im)));
                if m >= 1 {
                    let c = z
                        .conj()
                        .rotate(&graph.angle[m + n].cos, &graph.angle[m + n].sin);
                    q_slots[m][n] = (push(c.re), push(c.im));
                }
            }
        }
        let widths: Vec<usize> = terms.iter().map(|t| t.dims()[1]).collect();
        let summed = graph.sum_into_targets(Tensor::cat(terms, 1));
        let mut offsets = Vec::with_capacity(widths.len());
        let mut o = 0;
        for w in &widths {
            offsets.push(o);
            o += w;
        }
        let part = |k: usize| summed.clone().narrow(1, offsets[k], widths[k]);
        let mut scalars = input.scalars.clone().matmul(self.self_weight[0].re.val());
        scalars = scalars + self.bias.val().unsqueeze_dim(0);
        let mut out_orders = Vec::with_capacity(orders - 1);
        for m in 0..orders {
            if m == 0 {
                scalars = scalars + part(p_slots[0][0].0).matmul(self.neighbour[0].re.val());
                for n in 1..orders {
                    let (re, im) = p_slots[0][n];
                    let z = Complex {
                        re: part(re),
                        im: part(im.unwrap_or(re)),
                    };
                    scalars = scalars + self.neighbour[n].mix_real(&z);
                }
                continue;
            }
            let mut acc = self.self_weight[m].mix(&input.orders[m - 1]);
            for n in 0..orders {
                let (re, im) = p_slots[m][n];
                let z = Complex {
                    re: part(re),
                    im: part(im.unwrap_or(re)),
                };
                acc = acc.plus(self.neighbour[m * orders + n].mix(&z));
                if n >= 1 {
                    let (re, im) = q_slots[m][n];
                    let z = Complex {
                        re: part(re),
                        im: part(im),
                    };
                    acc = acc.plus(self.conjugate[(m - 1) * (orders - 1) + (n - 1)].mix(&z));
                }
            }
            out_orders.push(acc);
        }
        Fields {
            scalars,
            orders: out_orders,
        }
    }
}
