//! Decimation by vertex clustering (Rossignac and Borrel 1993): the vertices are binned in a
//! uniform grid of cubic cells, every occupied cell becomes one vertex at the mean of its
//! vertices, faces are relabelled, and faces that collapse (two corners in one cell), repeat
//! another face, or have (near) zero area are dropped, as are vertices no face uses. The cell
//! size is found by bisection so that the result has at most `target` vertices and as many as
//! the bisection reaches. Crude next to edge collapse (it may create non-manifold spots), but
//! simple, deterministic, and enough to bring a mesh of thousands of vertices down to a few
//! hundred for a CPU experiment; the geometry step copes with non-manifold vertices.

use std::collections::{HashMap, HashSet};

use super::{Mesh, MeshError, Vec3};

/// `mesh` reduced to at most `target` vertices by vertex clustering (see the module doc); a
/// mesh with at most `target` vertices is returned with its unused vertices removed.
///
/// # Errors
/// [`MeshError::Invalid`] if `target < 4` or nothing of the mesh survives.
pub fn decimate(mesh: &Mesh, target: usize) -> Result<Mesh, MeshError> {
    if target < 4 {
        return Err(MeshError::Invalid(format!(
            "decimation target {target}: needs at least 4 vertices"
        )));
    }
    let base = mesh.without_unused_vertices();
    if base.vertices.len() <= target {
        return Ok(base);
    }
    let (lo, hi) = bounds(&base.vertices);
    let diag = (hi - lo).norm().max(f64::MIN_POSITIVE);
    // Bisect the log of the cell size between diag/4096 (fine) and diag (one cell).
    let (mut fine, mut coarse) = ((diag / 4096.0).ln(), diag.ln());
    let mut best: Option<Mesh> = None;
    for _ in 0..40 {
        let mid = 0.5 * (fine + coarse);
        let m = cluster(&base, lo, mid.exp());
        if m.vertices.len() > target {
            fine = mid;
        } else {
            coarse = mid;
            let better = best
                .as_ref()
                .is_none_or(|b| m.vertices.len() > b.vertices.len());
            if better {
                best = Some(m);
            }
        }
    }
    best.filter(|m| m.vertices.len() >= 4 && !m.faces.is_empty())
        .ok_or_else(|| MeshError::Invalid("decimation left no usable mesh".into()))
}

fn bounds(v: &[Vec3]) -> (Vec3, Vec3) {
    let mut lo = Vec3([f64::INFINITY; 3]);
    let mut hi = Vec3([f64::NEG_INFINITY; 3]);
    for p in v {
        for k in 0..3 {
            lo.0[k] = lo.0[k].min(p.0[k]);
            hi.0[k] = hi.0[k].max(p.0[k]);
        }
    }
    (lo, hi)
}

/// One clustering pass with cells of side `cell` anchored at `lo`.
fn cluster(mesh: &Mesh, lo: Vec3, cell: f64) -> Mesh {
    let mut cells: HashMap<[i64; 3], usize> = HashMap::new();
    let mut sums: Vec<(Vec3, f64)> = Vec::new();
    let mut label = Vec::with_capacity(mesh.vertices.len());
    for &v in &mesh.vertices {
        let key = [0, 1, 2].map(|k| ((v.0[k] - lo.0[k]) / cell).floor() as i64);
        let id = *cells.entry(key).or_insert_with(|| {
            sums.push((Vec3::ZERO, 0.0));
            sums.len() - 1
        });
        sums[id].0 = sums[id].0 + v;
        sums[id].1 += 1.0;
        label.push(id);
    }
    let vertices: Vec<Vec3> = sums.iter().map(|&(s, c)| s * (1.0 / c)).collect();
    let min_area = 1e-12 * cell * cell;
    let mut seen = HashSet::new();
    let mut faces = Vec::new();
    for f in &mesh.faces {
        let g = f.map(|i| label[i]);
        if g[0] == g[1] || g[1] == g[2] || g[0] == g[2] {
            continue;
        }
        let area = (vertices[g[1]] - vertices[g[0]])
            .cross(vertices[g[2]] - vertices[g[0]])
            .norm();
        let mut key = g;
        key.sort_unstable();
        if area > min_area && seen.insert(key) {
            faces.push(g);
        }
    }
    Mesh { vertices, faces }.without_unused_vertices()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::{MeshGeometry, icosphere};

    #[test]
    fn reaches_close_to_the_target_and_stays_usable() {
        let m = icosphere(4); // 2562 vertices
        for target in [100, 400] {
            let d = decimate(&m, target).unwrap();
            assert!(d.vertices.len() <= target, "{}", d.vertices.len());
            assert!(d.vertices.len() > target / 2, "{}", d.vertices.len());
            assert!(MeshGeometry::new(&d, None).is_ok());
        }
        assert_eq!(decimate(&m, 5000).unwrap().vertices.len(), 2562);
        assert!(decimate(&m, 3).is_err());
    }
}
