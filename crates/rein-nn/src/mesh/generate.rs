//! Procedural meshes for tests and smoke runs: an icosphere, a torus and a bumpy sphere (so
//! tests and CI need no fetched files).

use std::collections::HashMap;

use super::{Mesh, Vec3};

/// The unit icosphere: an icosahedron whose faces are split in 4 `subdivisions` times, the
/// new vertices pushed onto the sphere (`10 · 4^s + 2` vertices). Faces are counter-clockwise
/// seen from outside.
pub fn icosphere(subdivisions: usize) -> Mesh {
    let t = (1.0 + 5f64.sqrt()) / 2.0;
    let mut vertices: Vec<Vec3> = [
        (-1.0, t, 0.0),
        (1.0, t, 0.0),
        (-1.0, -t, 0.0),
        (1.0, -t, 0.0),
        (0.0, -1.0, t),
        (0.0, 1.0, t),
        (0.0, -1.0, -t),
        (0.0, 1.0, -t),
        (t, 0.0, -1.0),
        (t, 0.0, 1.0),
        (-t, 0.0, -1.0),
        (-t, 0.0, 1.0),
    ]
    .iter()
    .map(|&(x, y, z)| Vec3::new(x, y, z).normalized().unwrap_or(Vec3::ZERO))
    .collect();
    let mut faces: Vec<[usize; 3]> = vec![
        [0, 11, 5],
        [0, 5, 1],
        [0, 1, 7],
        [0, 7, 10],
        [0, 10, 11],
        [1, 5, 9],
        [5, 11, 4],
        [11, 10, 2],
        [10, 7, 6],
        [7, 1, 8],
        [3, 9, 4],
        [3, 4, 2],
        [3, 2, 6],
        [3, 6, 8],
        [3, 8, 9],
        [4, 9, 5],
        [2, 4, 11],
        [6, 2, 10],
        [8, 6, 7],
        [9, 8, 1],
    ];
    for _ in 0..subdivisions {
        let mut mid: HashMap<(usize, usize), usize> = HashMap::new();
        let mut midpoint = |a: usize, b: usize, v: &mut Vec<Vec3>| {
            *mid.entry((a.min(b), a.max(b))).or_insert_with(|| {
                v.push(((v[a] + v[b]) * 0.5).normalized().unwrap_or(Vec3::ZERO));
                v.len() - 1
            })
        };
        let mut next = Vec::with_capacity(faces.len() * 4);
        for [a, b, c] in faces {
            let ab = midpoint(a, b, &mut vertices);
            let bc = midpoint(b, c, &mut vertices);
            let ca = midpoint(c, a, &mut vertices);
            next.extend([[a, ab, ca], [b, bc, ab], [c, ca, bc], [ab, bc, ca]]);
        }
        faces = next;
    }
    Mesh { vertices, faces }
}

/// A torus around the z axis with major radius `major` and minor radius `minor`, sampled on
/// a `u_steps × v_steps` grid.
pub fn torus(major: f64, minor: f64, u_steps: usize, v_steps: usize) -> Mesh {
    let (nu, nv) = (u_steps.max(3), v_steps.max(3));
    let mut vertices = Vec::with_capacity(nu * nv);
    for i in 0..nu {
        let u = 2.0 * std::f64::consts::PI * i as f64 / nu as f64;
        for j in 0..nv {
            let v = 2.0 * std::f64::consts::PI * j as f64 / nv as f64;
            let r = major + minor * v.cos();
            vertices.push(Vec3::new(r * u.cos(), r * u.sin(), minor * v.sin()));
        }
    }
    let id = |i: usize, j: usize| (i % nu) * nv + (j % nv);
    let mut faces = Vec::with_capacity(2 * nu * nv);
    for i in 0..nu {
        for j in 0..nv {
            faces.push([id(i, j), id(i + 1, j), id(i + 1, j + 1)]);
            faces.push([id(i, j), id(i + 1, j + 1), id(i, j + 1)]);
        }
    }
    Mesh { vertices, faces }
}

/// An icosphere with its radius modulated, `r = 1 + amplitude · sin(3x + 1) cos(2y) sin(z + 2)
/// + amplitude · x / 2`: an asymmetric closed surface with regions of different curvature.
pub fn bumpy_sphere(subdivisions: usize, amplitude: f64) -> Mesh {
    let mut mesh = icosphere(subdivisions);
    for v in &mut mesh.vertices {
        let [x, y, z] = v.0;
        let r =
            1.0 + amplitude * ((3.0 * x + 1.0).sin() * (2.0 * y).cos() * (z + 2.0).sin() + x / 2.0);
        *v = *v * r;
    }
    mesh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_closedness() {
        for s in 0..3 {
            let m = icosphere(s);
            assert_eq!(m.vertices.len(), 10 * 4usize.pow(s as u32) + 2);
            // Closed genus-0 surface: V - E + F = 2 with E = 3F/2.
            assert_eq!(m.vertices.len() + m.faces.len() - 3 * m.faces.len() / 2, 2);
        }
        let t = torus(1.0, 0.3, 12, 8);
        assert_eq!(t.vertices.len(), 96);
        assert_eq!(t.vertices.len() + t.faces.len() - 3 * t.faces.len() / 2, 0);
        assert!(Mesh::new(t.vertices, t.faces).is_ok());
    }
}
