//! Triangle meshes for gauge-equivariant mesh networks ([`crate::eman`]): an `.off` reader,
//! procedural test meshes, a decimation step, similarity transforms, and the per-vertex
//! geometry a GEM-CNN / EMAN layer needs (normals, tangent frames, log-map angles and
//! parallel-transport angles; docs/eman.md has the equations).
//!
//! ```
//! use rein_nn::mesh::{MeshGeometry, icosphere};
//! let mesh = icosphere(2);
//! let geometry = MeshGeometry::new(&mesh, None)?;
//! assert_eq!(geometry.normals.len(), mesh.vertices.len());
//! # Ok::<(), rein_nn::mesh::MeshError>(())
//! ```

mod decimate;
mod error;
mod generate;
mod geometry;
mod off;
mod transform;
mod vec3;

pub use decimate::decimate;
pub use error::MeshError;
pub use generate::{bumpy_sphere, icosphere, torus};
pub use geometry::{Edge, MeshGeometry};
pub use off::{parse_off, read_off};
pub use transform::{Similarity, jitter};
pub use vec3::Vec3;

/// A triangle mesh: vertex positions and faces as triples of vertex indices (counter-clockwise
/// seen from outside for the normals to point outwards).
#[derive(Debug, Clone, PartialEq)]
pub struct Mesh {
    /// Vertex positions.
    pub vertices: Vec<Vec3>,
    /// Triangles, as indices into `vertices`.
    pub faces: Vec<[usize; 3]>,
}

impl Mesh {
    /// A mesh, checked: every face index in range, no face repeating a vertex, every
    /// coordinate finite.
    ///
    /// # Errors
    /// [`MeshError::Invalid`] naming the first bad face or vertex.
    pub fn new(vertices: Vec<Vec3>, faces: Vec<[usize; 3]>) -> Result<Self, MeshError> {
        if let Some(v) = vertices.iter().position(|v| !v.is_finite()) {
            return Err(MeshError::Invalid(format!(
                "vertex {v} has a non-finite coordinate"
            )));
        }
        for (k, f) in faces.iter().enumerate() {
            if f.iter().any(|&i| i >= vertices.len()) {
                return Err(MeshError::Invalid(format!(
                    "face {k} {f:?} indexes past the {} vertices",
                    vertices.len()
                )));
            }
            if f[0] == f[1] || f[1] == f[2] || f[0] == f[2] {
                return Err(MeshError::Invalid(format!(
                    "face {k} {f:?} repeats a vertex"
                )));
            }
        }
        Ok(Self { vertices, faces })
    }

    /// The mesh with vertex `i` moved to position `perm[i]`: vertex `perm[i]` of the result is
    /// vertex `i` of `self` (faces relabelled).
    ///
    /// # Panics
    /// If `perm` is not a permutation of `0..vertices.len()`.
    pub fn permuted(&self, perm: &[usize]) -> Mesh {
        let n = self.vertices.len();
        assert_eq!(perm.len(), n, "permutation of the wrong length");
        let mut vertices = vec![Vec3::ZERO; n];
        let mut seen = vec![false; n];
        for (i, &p) in perm.iter().enumerate() {
            assert!(p < n && !seen[p], "not a permutation");
            seen[p] = true;
            vertices[p] = self.vertices[i];
        }
        let faces = self
            .faces
            .iter()
            .map(|f| [perm[f[0]], perm[f[1]], perm[f[2]]])
            .collect();
        Mesh { vertices, faces }
    }

    /// The mesh without vertices that no face uses (indices compacted, order kept).
    pub fn without_unused_vertices(&self) -> Mesh {
        let mut used = vec![false; self.vertices.len()];
        for f in &self.faces {
            for &i in f {
                used[i] = true;
            }
        }
        let mut map = vec![usize::MAX; self.vertices.len()];
        let mut vertices = Vec::new();
        for (i, v) in self.vertices.iter().enumerate() {
            if used[i] {
                map[i] = vertices.len();
                vertices.push(*v);
            }
        }
        let faces = self
            .faces
            .iter()
            .map(|f| [map[f[0]], map[f[1]], map[f[2]]])
            .collect();
        Mesh { vertices, faces }
    }

    /// Centroid of the vertices.
    pub fn centroid(&self) -> Vec3 {
        let n = self.vertices.len().max(1) as f64;
        self.vertices.iter().fold(Vec3::ZERO, |a, &v| a + v) * (1.0 / n)
    }

    /// Root-mean-square distance of the vertices from their centroid: the global scale that
    /// makes features scale invariant.
    pub fn rms_radius(&self) -> f64 {
        let c = self.centroid();
        let n = self.vertices.len().max(1) as f64;
        (self.vertices.iter().map(|&v| (v - c).norm2()).sum::<f64>() / n).sqrt()
    }
}
