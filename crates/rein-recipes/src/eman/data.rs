//! The segmentation task: meshes (fetched CGAL `.off` files, or built-in procedural meshes),
//! decimated and normalised to a canonical pose, with per-vertex labels from k-means on the
//! canonical positions; training copies with small non-rigid noise in the canonical pose,
//! test copies with fresh noise, in the canonical pose and randomly rotated, translated and
//! scaled.

use std::path::{Path, PathBuf};

use burn::tensor::{Device, Int, Tensor, TensorData};
use rein_nn::eman::{Fields, MeshGraph, reltan_fields};
use rein_nn::mesh::{
    Mesh, MeshGeometry, Similarity, Vec3, bumpy_sphere, decimate, jitter, read_off, torus,
};

use crate::error::{RecipeError, Result};

/// Built-in mesh names (no fetched file needed).
pub const BUILTIN: [&str; 2] = ["builtin:bumpy", "builtin:torus"];

/// The command that fetches the CGAL meshes.
pub const FETCH_COMMAND: &str = "rein data fetch meshes";

/// One mesh of the task in its canonical pose, with its labels.
#[derive(Debug, Clone)]
pub struct TaskMesh {
    /// The name it was given by.
    pub name: String,
    /// Decimated, centred at the origin, RMS radius 1.
    pub mesh: Mesh,
    /// Segment of every vertex.
    pub labels: Vec<usize>,
    /// Mean edge length (the unit of the noise).
    pub edge_length: f64,
}

/// A mesh on the device, ready for both networks.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Edges and angle factors.
    pub graph: MeshGraph,
    /// RelTan input features.
    pub input: Fields,
    /// Labels `[vertices]`.
    pub labels: Tensor<1, Int>,
}

/// Reads mesh `name`: a built-in name, a path ending in `.off`, or the name of a CGAL mesh
/// in `data_dir` (`<data_dir>/<name>.off`).
///
/// # Errors
/// A missing CGAL mesh names the file and the command to fetch it; a bad file names its line.
pub fn load_mesh(name: &str, data_dir: &Path) -> Result<Mesh> {
    match name {
        "builtin:bumpy" => return Ok(bumpy_sphere(3, 0.35)),
        "builtin:torus" => return Ok(torus(1.0, 0.4, 32, 16)),
        _ => {}
    }
    let path = if name.ends_with(".off") {
        PathBuf::from(name)
    } else {
        data_dir.join(format!("{name}.off"))
    };
    if !path.is_file() {
        let hint = if name.ends_with(".off") {
            String::new()
        } else {
            format!("; run `{FETCH_COMMAND}` first")
        };
        return Err(RecipeError::File {
            path,
            reason: format!("mesh {name:?} not found{hint}"),
        });
    }
    Ok(read_off(&path)?)
}

/// Mesh `name` decimated to at most `vertices` vertices, normalised and labelled with
/// `segments` k-means segments.
pub fn task_mesh(
    name: &str,
    data_dir: &Path,
    vertices: usize,
    segments: usize,
) -> Result<TaskMesh> {
    let raw = load_mesh(name, data_dir)?;
    let mut mesh = decimate(&raw, vertices)?;
    let (c, s) = (mesh.centroid(), mesh.rms_radius());
    if s <= 0.0 || !s.is_finite() {
        return Err(RecipeError::config(
            "meshes",
            format!("{name:?}: a mesh of zero extent"),
        ));
    }
    for v in &mut mesh.vertices {
        *v = (*v - c) * (1.0 / s);
    }
    // The geometry must work on the canonical mesh (no isolated vertex, no zero-area fan).
    let geometry = MeshGeometry::new(&mesh, None)?;
    if mesh.vertices.len() < segments {
        return Err(RecipeError::config(
            "segments",
            format!(
                "{segments} segments but {name:?} has {} vertices",
                mesh.vertices.len()
            ),
        ));
    }
    let edge_length =
        geometry.edges.iter().map(|e| e.distance).sum::<f64>() / geometry.edges.len() as f64;
    Ok(TaskMesh {
        name: name.to_string(),
        labels: kmeans(&mesh.vertices, segments),
        mesh,
        edge_length,
    })
}

/// k-means (Lloyd, 50 iterations) of `points` into `k` clusters, seeded deterministically by
/// farthest-point sampling from the point of largest `y`; clusters numbered by decreasing
/// `y` of their centres.
pub fn kmeans(points: &[Vec3], k: usize) -> Vec<usize> {
    let start = (0..points.len())
        .max_by(|&a, &b| points[a].0[1].total_cmp(&points[b].0[1]))
        .unwrap_or(0);
    let mut centres = vec![points[start]];
    while centres.len() < k {
        let far = (0..points.len())
            .max_by(|&a, &b| {
                let d = |i: usize| {
                    centres
                        .iter()
                        .map(|c| (points[i] - *c).norm2())
                        .fold(f64::INFINITY, f64::min)
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap_or(0);
        centres.push(points[far]);
    }
    let nearest = |p: Vec3, centres: &[Vec3]| {
        (0..centres.len())
            .min_by(|&a, &b| {
                (p - centres[a])
                    .norm2()
                    .total_cmp(&(p - centres[b]).norm2())
            })
            .unwrap_or(0)
    };
    let mut labels = vec![0; points.len()];
    for _ in 0..50 {
        for (l, &p) in labels.iter_mut().zip(points) {
            *l = nearest(p, &centres);
        }
        for (c, centre) in centres.iter_mut().enumerate() {
            let members: Vec<Vec3> = points
                .iter()
                .zip(&labels)
                .filter(|(_, l)| **l == c)
                .map(|(p, _)| *p)
                .collect();
            if !members.is_empty() {
                *centre =
                    members.iter().fold(Vec3::ZERO, |a, &b| a + b) * (1.0 / members.len() as f64);
            }
        }
    }
    let mut order: Vec<usize> = (0..k).collect();
    order.sort_by(|&a, &b| centres[b].0[1].total_cmp(&centres[a].0[1]));
    let mut rank = vec![0; k];
    for (r, &c) in order.iter().enumerate() {
        rank[c] = r;
    }
    labels.iter().map(|&l| rank[l]).collect()
}

impl TaskMesh {
    /// A copy with Gaussian vertex noise of `noise` mean edge lengths, then moved by
    /// `similarity` (none: the canonical pose).
    pub fn copy(&self, noise: f64, seed: u64, similarity: Option<&Similarity>) -> Mesh {
        let noisy = if noise > 0.0 {
            jitter(&self.mesh, noise * self.edge_length, seed)
        } else {
            self.mesh.clone()
        };
        match similarity {
            Some(s) => s.apply_mesh(&noisy),
            None => noisy,
        }
    }

    /// `mesh` (a copy of this one) on `device` for features of orders up to `max_order`.
    pub fn sample(&self, mesh: &Mesh, max_order: usize, device: &Device) -> Result<Sample> {
        let geometry = MeshGeometry::new(mesh, None)?;
        let n = self.labels.len();
        let labels: Vec<i64> = self.labels.iter().map(|&l| l as i64).collect();
        Ok(Sample {
            graph: MeshGraph::new(mesh, &geometry, max_order, device),
            input: reltan_fields(mesh, &geometry, max_order, device),
            labels: Tensor::from_data(TensorData::new(labels, [n]), device),
        })
    }
}
