//! The mesh as device tensors: the edge lists and the per-edge trigonometric factors a
//! gauge-equivariant layer multiplies features by (docs/eman.md).

use burn::tensor::{Device, IndexingUpdateOp, Int, Tensor, TensorData};

use crate::mesh::{Mesh, MeshGeometry};

/// `cos` and `sin` of `k` times an angle, one row per edge (`[edges, 1]` each).
#[derive(Debug, Clone)]
pub struct Phase {
    /// `cos(k φ_e)`.
    pub cos: Tensor<2>,
    /// `sin(k φ_e)`.
    pub sin: Tensor<2>,
}

/// Edges `q → p` of a mesh on the device, with `e^{ikθ_pq}` for `k = 0..=2N` and
/// `e^{inα_qp}` for `n = 0..=N`.
#[derive(Debug, Clone)]
pub struct MeshGraph {
    /// Number of vertices.
    pub vertices: usize,
    /// Number of directed edges.
    pub edges: usize,
    /// Receiving vertex `p` of every edge.
    pub targets: Tensor<1, Int>,
    /// Neighbour `q` of every edge.
    pub sources: Tensor<1, Int>,
    /// `angle[k] = e^{ikθ_pq}` for `k = 0..=2 max_order`.
    pub angle: Vec<Phase>,
    /// `transport[n] = e^{inα_qp}` for `n = 0..=max_order`.
    pub transport: Vec<Phase>,
    /// `1 / deg(p)`, `[vertices, 1]`.
    pub inverse_degree: Tensor<2>,
    /// `r_pq / S` (`S` the mesh's RMS radius: similarity invariant), `[edges, 1]`.
    pub distance: Tensor<2>,
    /// Vertex positions (raw, `[vertices, 3]`): only the non-equivariant baseline reads them.
    pub positions: Tensor<2>,
}

fn column(values: Vec<f64>, device: &Device) -> Tensor<2> {
    let n = values.len();
    Tensor::from_data(TensorData::new(values, [n, 1]), device)
}

impl MeshGraph {
    /// The graph of `mesh` with its `geometry`, for features of orders up to `max_order`.
    pub fn new(mesh: &Mesh, geometry: &MeshGeometry, max_order: usize, device: &Device) -> Self {
        let e = &geometry.edges;
        let ids = |f: fn(&crate::mesh::Edge) -> usize| {
            let v: Vec<i64> = e.iter().map(|x| f(x) as i64).collect();
            Tensor::<1, Int>::from_data(TensorData::new(v, [e.len()]), device)
        };
        let phase = |k: usize, f: fn(&crate::mesh::Edge) -> f64| Phase {
            cos: column(e.iter().map(|x| (k as f64 * f(x)).cos()).collect(), device),
            sin: column(e.iter().map(|x| (k as f64 * f(x)).sin()).collect(), device),
        };
        let scale = mesh.rms_radius().max(f64::MIN_POSITIVE);
        let n = mesh.vertices.len();
        let positions: Vec<f64> = mesh.vertices.iter().flat_map(|v| v.0).collect();
        Self {
            vertices: n,
            edges: e.len(),
            targets: ids(|x| x.target),
            sources: ids(|x| x.source),
            angle: (0..=2 * max_order).map(|k| phase(k, |x| x.angle)).collect(),
            transport: (0..=max_order).map(|k| phase(k, |x| x.transport)).collect(),
            inverse_degree: column(
                geometry
                    .neighbours
                    .iter()
                    .map(|nb| 1.0 / nb.len() as f64)
                    .collect(),
                device,
            ),
            distance: column(e.iter().map(|x| x.distance / scale).collect(), device),
            positions: Tensor::from_data(TensorData::new(positions, [n, 3]), device),
        }
    }

    /// The highest feature order the graph has transport factors for.
    pub fn max_order(&self) -> usize {
        self.transport.len() - 1
    }

    /// Per-edge copies of the source vertices' rows: `[vertices, c] -> [edges, c]`.
    pub fn gather_sources(&self, x: Tensor<2>) -> Tensor<2> {
        x.select(0, self.sources.clone())
    }

    /// Per-edge copies of the target vertices' rows.
    pub fn gather_targets(&self, x: Tensor<2>) -> Tensor<2> {
        x.select(0, self.targets.clone())
    }

    /// `Σ_{edges into p}` of per-edge rows: `[edges, c] -> [vertices, c]`.
    pub fn sum_into_targets(&self, x: Tensor<2>) -> Tensor<2> {
        let c = x.dims()[1];
        Tensor::zeros([self.vertices, c], &x.device()).select_assign(
            0,
            self.targets.clone(),
            x,
            IndexingUpdateOp::Add,
        )
    }
}
