//! Relative tangential (RelTan) input features (after Basu et al. 2022, "Equivariant Mesh
//! Attention Networks", TMLR): the neighbours' positions relative to the vertex, expressed in
//! the vertex's gauge and normalised by the local edge length, so that they do not change
//! under rotation, translation or uniform scaling of the mesh and rotate with the gauge.
//!
//! What is built here (our reading of the idea, not necessarily the paper's exact formula):
//! with `v_pq = x_q - x_p`, `r_pq = |v_pq|`, `θ_pq` the neighbour's angle in `p`'s gauge
//! ([`crate::mesh::MeshGeometry`]), `d_p` the degree, `ℓ_p = (1/d_p) Σ_q r_pq` the mean edge
//! length at `p` and `S` the RMS radius of the mesh,
//!
//! ```text
//! order k ≥ 1:  h_k(p) = (1/d_p) Σ_q (r_pq / ℓ_p) e^{i k θ_pq}        (one channel per order)
//! order 0:      c(p)   = (1/d_p) Σ_q (v_pq · n_p) / ℓ_p               (signed normal offset)
//!               ρ(p)   = ℓ_p / S                                     (relative resolution)
//! ```
//!
//! `h_1` is the mean log-map vector (the RelTan vector), `h_k` its higher angular harmonics
//! (the anisotropy of the neighbourhood); `c` is a discrete mean-curvature proxy. A gauge
//! rotation by `g_p` maps `h_k(p) ↦ e^{-ikg_p} h_k(p)`; a similarity `x ↦ sRx + t` leaves all
//! of them unchanged (ratios of lengths; angles measured in a frame that moves with the mesh).

use burn::tensor::{Device, Tensor, TensorData};

use super::fields::{Complex, Fields};
use crate::mesh::{Mesh, MeshGeometry};

/// Order-0 RelTan channels (`c`, `ρ`).
pub const RELTAN_SCALARS: usize = 2;

/// RelTan features of `mesh` as host rows: `[c, ρ]` per vertex, and `h_k` for `k = 1..=N`.
pub fn reltan_host(
    mesh: &Mesh,
    geometry: &MeshGeometry,
    max_order: usize,
) -> (Vec<[f64; 2]>, Vec<Vec<[f64; 2]>>) {
    let n = mesh.vertices.len();
    let s = mesh.rms_radius().max(f64::MIN_POSITIVE);
    let mut scalars = vec![[0.0; 2]; n];
    let mut harmonics = vec![vec![[0.0; 2]; n]; max_order];
    let mut start = 0;
    for p in 0..n {
        let d = geometry.neighbours[p].len();
        let edges = &geometry.edges[start..start + d];
        start += d;
        let ell = edges.iter().map(|e| e.distance).sum::<f64>() / d as f64;
        let ell = ell.max(f64::MIN_POSITIVE);
        let np = geometry.normals[p];
        let offset: f64 = edges
            .iter()
            .map(|e| (mesh.vertices[e.source] - mesh.vertices[p]).dot(np))
            .sum();
        scalars[p] = [offset / (d as f64 * ell), ell / s];
        for (k, h) in harmonics.iter_mut().enumerate() {
            let order = (k + 1) as f64;
            for e in edges {
                let w = e.distance / (ell * d as f64);
                h[p][0] += w * (order * e.angle).cos();
                h[p][1] += w * (order * e.angle).sin();
            }
        }
    }
    (scalars, harmonics)
}

/// RelTan features of `mesh` as [`Fields`] on `device` (2 scalar channels, 1 channel per
/// order `1..=N`).
pub fn reltan_fields(
    mesh: &Mesh,
    geometry: &MeshGeometry,
    max_order: usize,
    device: &Device,
) -> Fields {
    let n = mesh.vertices.len();
    let (scalars, harmonics) = reltan_host(mesh, geometry, max_order);
    let flat: Vec<f64> = scalars.iter().flatten().copied().collect();
    let col = |v: Vec<f64>| Tensor::<2>::from_data(TensorData::new(v, [n, 1]), device);
    Fields {
        scalars: Tensor::from_data(TensorData::new(flat, [n, RELTAN_SCALARS]), device),
        orders: harmonics
            .into_iter()
            .map(|h| Complex {
                re: col(h.iter().map(|z| z[0]).collect()),
                im: col(h.iter().map(|z| z[1]).collect()),
            })
            .collect(),
    }
}
