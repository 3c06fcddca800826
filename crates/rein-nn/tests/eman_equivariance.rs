//! Equivariance of EMAN (rein_nn::eman, docs/eman.md) in float64, as property tests:
//!
//! * a random rotation, translation and uniform scale of the vertices leaves the logits
//!   unchanged (to 1e-6), while the `xyz` baseline's change by a margin;
//! * a random change of every vertex's gauge leaves the logits unchanged and rotates the
//!   order-1 and order-2 output channels by `e^{-i n g_p}`; the same network without
//!   parallel transport (the control) changes its logits;
//! * a vertex permutation permutes the logits.

use std::f64::consts::PI;

use burn::tensor::{Device, Tensor};
use proptest::prelude::*;
use rein_nn::eman::{Eman, EmanConfig, Fields, MeshGraph, XyzGraphNet, reltan_fields};
use rein_nn::mesh::{Mesh, MeshGeometry, Similarity, bumpy_sphere, torus};

fn device() -> Device {
    rein_testing::device::device()
}

fn host(t: Tensor<2>) -> Vec<f64> {
    t.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .unwrap()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn scale_of(a: &[f64]) -> f64 {
    a.iter().map(|x| x.abs()).fold(0.0, f64::max)
}

struct Run {
    logits: Vec<f64>,
    fields: Fields,
}

fn eman(config: &EmanConfig) -> Eman {
    config.init(3, &device())
}

fn run(model: &Eman, config: &EmanConfig, mesh: &Mesh, gauge: Option<&[f64]>) -> Run {
    let d = device();
    let g = MeshGeometry::new(mesh, gauge).unwrap();
    let graph = MeshGraph::new(mesh, &g, config.max_order, &d);
    let input = reltan_fields(mesh, &g, config.max_order, &d);
    let fields = model.forward_fields(&input, &graph);
    Run {
        logits: host(model.forward(&input, &graph)),
        fields,
    }
}

fn baseline(mesh: &Mesh) -> Vec<f64> {
    let d = device();
    let g = MeshGeometry::new(mesh, None).unwrap();
    let graph = MeshGraph::new(mesh, &g, 1, &d);
    host(XyzGraphNet::new(16, 3, 4, 3, &d).forward(&graph))
}

fn meshes() -> Vec<Mesh> {
    vec![bumpy_sphere(2, 0.3), torus(1.0, 0.35, 14, 9)]
}

fn config() -> EmanConfig {
    EmanConfig {
        channels: 6,
        layers: 3,
        ..EmanConfig::new(4)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn similarity_leaves_eman_invariant_and_moves_the_baseline(seed in 0u64..1_000_000) {
        let cfg = config();
        let model = eman(&cfg);
        for mesh in meshes() {
            let t = Similarity::random(seed, 3.0, 5.0);
            let moved = t.apply_mesh(&mesh);
            let a = run(&model, &cfg, &mesh, None).logits;
            let b = run(&model, &cfg, &moved, None).logits;
            let tol = 1e-6 * scale_of(&a).max(1.0);
            prop_assert!(max_diff(&a, &b) < tol, "EMAN moved by {}", max_diff(&a, &b));
            let (x, y) = (baseline(&mesh), baseline(&moved));
            prop_assert!(max_diff(&x, &y) > 1e-2 * scale_of(&x), "baseline moved only by {}", max_diff(&x, &y));
        }
    }

    #[test]
    fn gauge_change_rotates_vectors_and_leaves_logits(seed in 0u64..1_000_000) {
        let cfg = config();
        let model = eman(&cfg);
        let no_transport = EmanConfig { transport: false, ..cfg.clone() };
        let control = eman(&no_transport);
        for mesh in meshes() {
            let n = mesh.vertices.len();
            let g: Vec<f64> = (0..n)
                .map(|p| {
                    let h = (seed ^ (p as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                    (h >> 11) as f64 / (1u64 << 53) as f64 * 2.0 * PI - PI
                })
                .collect();
            let a = run(&model, &cfg, &mesh, None);
            let b = run(&model, &cfg, &mesh, Some(&g));
            let tol = 1e-6 * scale_of(&a.logits).max(1.0);
            prop_assert!(max_diff(&a.logits, &b.logits) < tol);
            for (k, (za, zb)) in a.fields.orders.iter().zip(&b.fields.orders).enumerate() {
                let order = (k + 1) as f64;
                let (ar, ai) = (host(za.re.clone()), host(za.im.clone()));
                let (br, bi) = (host(zb.re.clone()), host(zb.im.clone()));
                let c = ar.len() / n;
                let mut worst: f64 = 0.0;
                for (p, &gp) in g.iter().enumerate() {
                    let (s, co) = (-order * gp).sin_cos();
                    for j in 0..c {
                        let i = p * c + j;
                        let (re, im) = (co * ar[i] - s * ai[i], s * ar[i] + co * ai[i]);
                        worst = worst.max((re - br[i]).abs()).max((im - bi[i]).abs());
                    }
                }
                prop_assert!(worst < 1e-6 * scale_of(&ar).max(1.0), "order {order}: {worst}");
                // And the rotation is not trivial: the fields did change.
                prop_assert!(max_diff(&ar, &br) > 1e-3 * scale_of(&ar));
            }
            let ca = run(&control, &no_transport, &mesh, None).logits;
            let cb = run(&control, &no_transport, &mesh, Some(&g)).logits;
            prop_assert!(max_diff(&ca, &cb) > 1e-3 * scale_of(&ca), "control moved only by {}", max_diff(&ca, &cb));
        }
    }

    #[test]
    fn permutation_permutes_the_logits(seed in 0u64..1_000_000) {
        let cfg = config();
        let model = eman(&cfg);
        let mesh = bumpy_sphere(2, 0.3);
        let n = mesh.vertices.len();
        let mut perm: Vec<usize> = (0..n).collect();
        let mut s = seed.wrapping_add(1);
        for i in (1..n).rev() {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            perm.swap(i, (s >> 33) as usize % (i + 1));
        }
        let a = run(&model, &cfg, &mesh, None).logits;
        let b = run(&model, &cfg, &mesh.permuted(&perm), None).logits;
        let k = cfg.classes;
        let mut worst: f64 = 0.0;
        for i in 0..n {
            for c in 0..k {
                worst = worst.max((a[i * k + c] - b[perm[i] * k + c]).abs());
            }
        }
        prop_assert!(worst < 1e-6 * scale_of(&a).max(1.0), "{worst}");
    }
}
