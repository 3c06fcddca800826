//! Similarity transforms of meshes: `x ↦ s R x + t` with a rotation `R`, a uniform scale
//! `s > 0` and a translation `t`. EMAN's invariant outputs do not change under them.

use super::{Mesh, Vec3};
use crate::rng;

/// `x ↦ scale · rotation · x + translation`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// A rotation matrix (rows).
    pub rotation: [[f64; 3]; 3],
    /// The uniform scale factor.
    pub scale: f64,
    /// The translation.
    pub translation: Vec3,
}

impl Similarity {
    /// A random similarity from `seed`: a uniformly distributed rotation (a unit quaternion
    /// from 4 Gaussians), a scale `exp(U(-ln max_scale, ln max_scale))` and a translation with
    /// Gaussian coordinates of standard deviation `max_shift`.
    pub fn random(seed: u64, max_scale: f64, max_shift: f64) -> Self {
        let mut r = rng::chacha(seed, 0x5107);
        let mut q = [0.0; 4];
        let mut norm = 0.0;
        while norm < 1e-6 {
            for c in &mut q {
                *c = rng::normal(&mut r);
            }
            norm = q.iter().map(|c| c * c).sum::<f64>().sqrt();
        }
        let [w, x, y, z] = q.map(|c| c / norm);
        let rotation = [
            [
                1.0 - 2.0 * (y * y + z * z),
                2.0 * (x * y - w * z),
                2.0 * (x * z + w * y),
            ],
            [
                2.0 * (x * y + w * z),
                1.0 - 2.0 * (x * x + z * z),
                2.0 * (y * z - w * x),
            ],
            [
                2.0 * (x * z - w * y),
                2.0 * (y * z + w * x),
                1.0 - 2.0 * (x * x + y * y),
            ],
        ];
        let ln = max_scale.max(1.0).ln();
        let scale = ((2.0 * rng::unit_f64(&mut r) - 1.0) * ln).exp();
        let translation = Vec3::new(
            rng::normal(&mut r) * max_shift,
            rng::normal(&mut r) * max_shift,
            rng::normal(&mut r) * max_shift,
        );
        Self {
            rotation,
            scale,
            translation,
        }
    }

    /// The image of the point `v`.
    pub fn apply(&self, v: Vec3) -> Vec3 {
        let r = &self.rotation;
        let rv = Vec3::new(
            r[0][0] * v.0[0] + r[0][1] * v.0[1] + r[0][2] * v.0[2],
            r[1][0] * v.0[0] + r[1][1] * v.0[1] + r[1][2] * v.0[2],
            r[2][0] * v.0[0] + r[2][1] * v.0[1] + r[2][2] * v.0[2],
        );
        rv * self.scale + self.translation
    }

    /// `mesh` with every vertex transformed (faces unchanged).
    pub fn apply_mesh(&self, mesh: &Mesh) -> Mesh {
        Mesh {
            vertices: mesh.vertices.iter().map(|&v| self.apply(v)).collect(),
            faces: mesh.faces.clone(),
        }
    }
}

/// `mesh` with every vertex moved by a Gaussian offset of standard deviation `sigma` per
/// coordinate (small non-rigid noise), drawn from `seed`.
pub fn jitter(mesh: &Mesh, sigma: f64, seed: u64) -> Mesh {
    let mut r = rng::chacha(seed, 0x1177);
    let mut offset = || rng::normal(&mut r) * sigma;
    Mesh {
        vertices: mesh
            .vertices
            .iter()
            .map(|&v| v + Vec3::new(offset(), offset(), offset()))
            .collect(),
        faces: mesh.faces.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_rotation_is_orthonormal_with_positive_determinant() {
        for seed in 0..5 {
            let s = Similarity::random(seed, 2.0, 1.0);
            let r = s.rotation;
            for i in 0..3 {
                for j in 0..3 {
                    let d: f64 = (0..3).map(|k| r[i][k] * r[j][k]).sum();
                    assert!((d - f64::from(u8::from(i == j))).abs() < 1e-12);
                }
            }
            let det = Vec3(r[0]).cross(Vec3(r[1])).dot(Vec3(r[2]));
            assert!((det - 1.0).abs() < 1e-12);
            assert!(s.scale >= 0.5 && s.scale <= 2.0);
        }
    }
}
