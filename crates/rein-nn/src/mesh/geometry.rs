//! Per-vertex geometry of a triangle mesh for gauge-equivariant convolution (de Haan, Weiler,
//! Cohen, Welling 2021, "Gauge Equivariant Mesh CNNs", ICLR; docs/eman.md).
//!
//! * Vertex normal `n_p`: the area-weighted sum of the normals of the faces around `p`,
//!   `n_p ∝ Σ_f (x_b - x_a) × (x_c - x_a)` (the cross product has twice the face's area as
//!   length), normalised.
//! * Gauge (tangent frame) `(e1_p, e2_p)`: `e1_p` is the direction to the reference neighbour
//!   (the neighbour of lowest index) projected on the tangent plane `n_p^⊥` and normalised,
//!   rotated by an optional gauge offset `g_p` (`e1 ← cos g e1 + sin g e2`); `e2_p = n_p × e1_p`.
//! * Log map of a neighbour `q` of `p`: with `v = x_q - x_p` and its tangent projection
//!   `v_t = v - (v·n_p) n_p`, the angle `θ_pq = atan2(v_t·e2_p, v_t·e1_p)` and the distance
//!   `r_pq = |v|`; the tangent vector `log_p(q) = r_pq (cos θ_pq, sin θ_pq)` in `p`'s gauge.
//! * Parallel transport `q → p`: the rotation `R_qp` of least angle taking `n_q` to `n_p`
//!   (Rodrigues: `R u = (a·b) u + k × u + k (k·u) / (1 + a·b)` with `a = n_q`, `b = n_p`,
//!   `k = a × b`) maps `q`'s tangent plane onto `p`'s; `α_qp = atan2(R e1_q·e2_p, R e1_q·e1_p)`
//!   is the angle of `q`'s frame in `p`'s frame. A tangent vector at angle `φ` in `q`'s gauge
//!   has angle `φ + α_qp` in `p`'s gauge, so a feature of order `n` (coefficients `z ∈ ℂ`)
//!   is transported as `z ↦ e^{i n α_qp} z`.
//!
//! A gauge change `g` (every frame rotated by `g_p`) changes `θ_pq ↦ θ_pq - g_p` and
//! `α_qp ↦ α_qp + g_q - g_p`, which is what the equivariance tests check end to end.

use super::{Mesh, MeshError, Vec3};

/// One directed edge `q → p` (a neighbour `q` of the vertex `p`), in `p`'s gauge.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Edge {
    /// The receiving vertex `p`.
    pub target: usize,
    /// The neighbour `q`.
    pub source: usize,
    /// `θ_pq`: angle of the neighbour in `p`'s tangent frame.
    pub angle: f64,
    /// `r_pq = |x_q - x_p|`.
    pub distance: f64,
    /// `α_qp`: the angle of `q`'s frame after parallel transport to `p`, in `p`'s frame.
    pub transport: f64,
}

/// Normals, gauges and edges of a mesh (see the module doc for the equations).
#[derive(Debug, Clone)]
pub struct MeshGeometry {
    /// Unit vertex normals `n_p`.
    pub normals: Vec<Vec3>,
    /// First gauge axis `e1_p` (unit, tangent).
    pub e1: Vec<Vec3>,
    /// Second gauge axis `e2_p = n_p × e1_p`.
    pub e2: Vec<Vec3>,
    /// Every directed edge, grouped by `target` in increasing order, neighbours by increasing
    /// index.
    pub edges: Vec<Edge>,
    /// Neighbours of every vertex, in increasing index order.
    pub neighbours: Vec<Vec<usize>>,
}

impl MeshGeometry {
    /// The geometry of `mesh`; `gauge_offsets[p]` (radians) rotates vertex `p`'s frame.
    ///
    /// # Errors
    /// [`MeshError::Invalid`] when a vertex has no neighbour, no face of positive area, or
    /// `gauge_offsets` has the wrong length.
    pub fn new(mesh: &Mesh, gauge_offsets: Option<&[f64]>) -> Result<Self, MeshError> {
        let n = mesh.vertices.len();
        if let Some(g) = gauge_offsets
            && g.len() != n
        {
            return Err(MeshError::Invalid(format!(
                "{} gauge offsets for {n} vertices",
                g.len()
            )));
        }
        let x = &mesh.vertices;
        let mut sum = vec![Vec3::ZERO; n];
        let mut largest = vec![(0.0, Vec3::ZERO); n];
        let mut neighbours = vec![Vec::new(); n];
        for f in &mesh.faces {
            let c = (x[f[1]] - x[f[0]]).cross(x[f[2]] - x[f[0]]);
            let area = c.norm();
            for k in 0..3 {
                let p = f[k];
                sum[p] = sum[p] + c;
                if area > largest[p].0 {
                    largest[p] = (area, c);
                }
                neighbours[p].push(f[(k + 1) % 3]);
                neighbours[p].push(f[(k + 2) % 3]);
            }
        }
        let scale = mesh.rms_radius().max(f64::MIN_POSITIVE);
        let mut normals = Vec::with_capacity(n);
        for p in 0..n {
            neighbours[p].sort_unstable();
            neighbours[p].dedup();
            if neighbours[p].is_empty() {
                return Err(MeshError::Invalid(format!("vertex {p} belongs to no face")));
            }
            // A vanishing area-weighted sum (a fold) falls back to the largest face's normal.
            let normal = if sum[p].norm() > 1e-12 * scale * scale {
                sum[p].normalized()
            } else {
                largest[p].1.normalized()
            };
            normals.push(normal.ok_or_else(|| {
                MeshError::Invalid(format!("vertex {p}: every face around it has zero area"))
            })?);
        }
        let mut e1 = Vec::with_capacity(n);
        let mut e2 = Vec::with_capacity(n);
        for p in 0..n {
            let np = normals[p];
            let axis = neighbours[p]
                .iter()
                .find_map(|&q| {
                    let v = x[q] - x[p];
                    (v - np * v.dot(np)).normalized()
                })
                .or_else(|| tangent_to(np))
                .ok_or_else(|| MeshError::Invalid(format!("vertex {p}: no tangent direction")))?;
            let axis2 = np.cross(axis);
            let g = gauge_offsets.map_or(0.0, |g| g[p]);
            let (s, c) = g.sin_cos();
            let a1 = axis * c + axis2 * s;
            e1.push(a1);
            e2.push(np.cross(a1));
        }
        let mut edges = Vec::new();
        for p in 0..n {
            for &q in &neighbours[p] {
                let v = x[q] - x[p];
                let vt = v - normals[p] * v.dot(normals[p]);
                let angle = vt.dot(e2[p]).atan2(vt.dot(e1[p]));
                let moved = transport(e1[q], normals[q], normals[p]);
                let transport = moved.dot(e2[p]).atan2(moved.dot(e1[p]));
                edges.push(Edge {
                    target: p,
                    source: q,
                    angle,
                    distance: v.norm(),
                    transport,
                });
            }
        }
        Ok(Self {
            normals,
            e1,
            e2,
            edges,
            neighbours,
        })
    }

    /// `log_p(q)` of an edge: `r (cos θ, sin θ)` in the target's gauge.
    pub fn log_map(edge: &Edge) -> [f64; 2] {
        [
            edge.distance * edge.angle.cos(),
            edge.distance * edge.angle.sin(),
        ]
    }
}

/// Some unit vector orthogonal to the unit vector `n`.
fn tangent_to(n: Vec3) -> Option<Vec3> {
    let helper = if n.0[0].abs() < 0.9 {
        Vec3::new(1.0, 0.0, 0.0)
    } else {
        Vec3::new(0.0, 1.0, 0.0)
    };
    n.cross(helper).normalized()
}

/// `u` rotated by the least rotation taking the unit vector `a` to the unit vector `b`
/// (Rodrigues); for opposite normals (no unique rotation) `u` projected on `b^⊥`.
fn transport(u: Vec3, a: Vec3, b: Vec3) -> Vec3 {
    let c = a.dot(b);
    if 1.0 + c < 1e-9 {
        return u - b * u.dot(b);
    }
    let k = a.cross(b);
    u * c + k.cross(u) + k * (k.dot(u) / (1.0 + c))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::icosphere;
    use std::f64::consts::PI;

    fn wrap(a: f64) -> f64 {
        (a + PI).rem_euclid(2.0 * PI) - PI
    }

    #[test]
    fn sphere_normals_point_outwards_and_frames_are_orthonormal() {
        let mesh = icosphere(2);
        let g = MeshGeometry::new(&mesh, None).unwrap();
        for p in 0..mesh.vertices.len() {
            let radial = mesh.vertices[p].normalized().unwrap();
            assert!(g.normals[p].dot(radial) > 0.99);
            assert!(g.e1[p].dot(g.normals[p]).abs() < 1e-12);
            assert!((g.e1[p].norm() - 1.0).abs() < 1e-12);
            assert!((g.e2[p].norm() - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn transport_rotates_normals_onto_each_other() {
        let a = Vec3::new(0.0, 0.0, 1.0);
        let b = Vec3::new(0.0, 1.0, 1.0).normalized().unwrap();
        let u = Vec3::new(0.0, 1.0, 0.0);
        let moved = transport(u, a, b);
        assert!(moved.dot(b).abs() < 1e-12);
        assert!((moved.norm() - 1.0).abs() < 1e-12);
        assert!((transport(a, a, b) - b).norm() < 1e-12);
    }

    #[test]
    fn gauge_offsets_shift_angles_and_transports() {
        let mesh = icosphere(1);
        let n = mesh.vertices.len();
        let offsets: Vec<f64> = (0..n).map(|p| 0.37 * p as f64 - 1.0).collect();
        let a = MeshGeometry::new(&mesh, None).unwrap();
        let b = MeshGeometry::new(&mesh, Some(&offsets)).unwrap();
        for (ea, eb) in a.edges.iter().zip(&b.edges) {
            let (p, q) = (ea.target, ea.source);
            assert!(wrap(eb.angle - (ea.angle - offsets[p])).abs() < 1e-9);
            let want = ea.transport + offsets[q] - offsets[p];
            assert!(wrap(eb.transport - want).abs() < 1e-9);
        }
    }
}
