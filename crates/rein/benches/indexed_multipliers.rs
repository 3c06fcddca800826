//! Time per step of a constrained optimizer with an *indexed* inequality constraint of `n`
//! entries (one per "sample"), of which 256 are observed per step.
//!
//! The claim under test: an indexed step costs O(observed), never O(n) — reading and writing the
//! observed multipliers and their dual-optimizer state (Adam moments and step counts, nuPI's
//! `xi`) only. So the time per step should be flat from `n = 10^3` to `n = 10^6`.
//!
//! Setup, per (dual optimizer, n):
//! * model: a [`Point`] of `DIM = 4` float64 parameters on the flex CPU device (with autodiff);
//! * problem: `min ||x - 1||^2 s.t. a_i . x - b_i <= 0` for every sample `i < n`, with
//!   `a_i in [-1, 1]^4`, `b_i in [0, 1]` a deterministic function of `i` (no O(n) data table,
//!   so only the multiplier store grows with `n`); `x = 0` is feasible;
//! * batches: 64 precomputed batches of 256 distinct indices drawn by a seeded SplitMix64, with
//!   their `a_i, b_i` rows; the benchmark cycles through them;
//! * scheme: [`AlternatingDualPrimal`] with primal SGD (lr 1e-3) and the dual optimizer under
//!   test: `DualSgd` (lr 1e-2), `DualAdam` (lr 1e-2), `NuPi` (lr 1e-2, kappa_p 1, kappa_i 1,
//!   nu 0.5).
//!
//! With `REIN_BENCH_HOT=1`, a diagnostic group `indexed_multipliers_hot` also times the
//! `n = 10^6` group with every index drawn from its first 1000 entries (same batches as
//! `n = 10^3`): it separates cache/TLB misses of random access into a large store from work
//! proportional to `n`.
//!
//! Run: `cargo bench -p rein --bench indexed_multipliers` (or `bench/indexed.sh`, which also
//! writes `bench/results/indexed_multipliers.json`).

use std::collections::HashSet;
use std::hint::black_box;
use std::time::Duration;

use burn::module::{Module, Param};
use burn::tensor::{Device, FloatDType, Tensor, TensorData};
use criterion::{BenchmarkId, Criterion};
use rein::dual::{DualAdam, DualOptimizer, DualSgd, NuPi};
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};

/// Number of model parameters.
const DIM: usize = 4;
/// Constraints observed per step.
const OBSERVED: usize = 256;
/// Precomputed batches the benchmark cycles through.
const BATCHES: usize = 64;
/// Sizes of the indexed constraint group.
const SIZES: [usize; 3] = [1_000, 10_000, 1_000_000];
/// Seed of the index sampler.
const SEED: u64 = 0x5EED;

fn device() -> Device {
    let mut d = Device::flex();
    // An error only means the dtype was configured already.
    let _ = d.configure(FloatDType::F64);
    d.autodiff()
}

/// The model: a vector of parameters.
#[derive(Module, Debug)]
struct Point {
    x: Param<Tensor<1>>,
}

/// SplitMix64.
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Sample `i`'s constraint row `(a_i, b_i)`: a pure function of `i`.
fn sample(i: usize) -> ([f64; DIM], f64) {
    let mut rng = SplitMix(i as u64 ^ 0xA5A5_A5A5_A5A5_A5A5);
    let mut a = [0.0; DIM];
    for v in &mut a {
        *v = 2.0 * rng.unit() - 1.0;
    }
    (a, rng.unit())
}

/// One minibatch: observed indices and their rows, row-major.
struct Batch {
    indices: Vec<usize>,
    a: Vec<f64>,
    b: Vec<f64>,
}

/// `BATCHES` batches of `OBSERVED` distinct indices drawn uniformly from `0..range`.
fn batches(range: usize) -> Vec<Batch> {
    let mut rng = SplitMix(SEED ^ range as u64);
    (0..BATCHES)
        .map(|_| {
            let mut seen = HashSet::with_capacity(OBSERVED);
            let mut indices = Vec::with_capacity(OBSERVED);
            while indices.len() < OBSERVED {
                let i = (rng.next_u64() % range as u64) as usize;
                if seen.insert(i) {
                    indices.push(i);
                }
            }
            let (mut a, mut b) = (
                Vec::with_capacity(OBSERVED * DIM),
                Vec::with_capacity(OBSERVED),
            );
            for &i in &indices {
                let (ai, bi) = sample(i);
                a.extend_from_slice(&ai);
                b.push(bi);
            }
            Batch { indices, a, b }
        })
        .collect()
}

/// `min ||x - 1||^2 s.t. a_i . x - b_i <= 0` for the observed samples.
struct PerSample;

impl Cmp<Point> for PerSample {
    type Batch = Batch;

    fn compute_cmp_state(&mut self, model: &Point, batch: &Batch) -> rein::Result<CmpState> {
        let x = model.x.val();
        let dev = x.device();
        let a = Tensor::<2>::from_data(TensorData::new(batch.a.clone(), [OBSERVED, DIM]), &dev);
        let b = Tensor::<1>::from_data(TensorData::new(batch.b.clone(), [OBSERVED]), &dev);
        let g = a.matmul(x.clone().reshape([DIM, 1])).reshape([OBSERVED]) - b;
        let d = x.sub_scalar(1.0);
        Ok(CmpState::new().loss((d.clone() * d).sum()).observe(
            "per_sample",
            ConstraintState::new(g).indices(batch.indices.clone()),
        ))
    }
}

/// Benchmarks one step of `dual` on a group of `n` entries, observing indices drawn from
/// `0..range`, as `group/name/n`.
fn bench_one(
    c: &mut Criterion,
    group: &str,
    name: &str,
    dual: &(impl DualOptimizer + Clone + 'static),
    n: usize,
    range: usize,
) {
    let dev = device();
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let data = batches(range);
    let constraints = Constraints::new()
        .add(Constraint::inequality("per_sample", n).indexed())
        .expect("valid constraint");
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(1e-3)).expect("valid lr"),
        dual.clone(),
        constraints,
    )
    .expect("valid optimizer");
    let mut model = Point {
        x: Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0.0; DIM], [DIM]),
            &dev,
        )),
    };
    let mut k = 0usize;
    g.bench_function(BenchmarkId::new(name, n), |bench| {
        bench.iter(|| {
            let report = opt
                .step(&mut PerSample, &mut model, &data[k % BATCHES])
                .expect("step");
            k += 1;
            black_box(report.lagrangian)
        })
    });
    g.finish();
    let lambda = opt
        .constraints()
        .get("per_sample")
        .and_then(|e| e.multipliers())
        .expect("multipliers");
    assert!(lambda.iter().all(|l| l.is_finite() && *l >= 0.0));
    let touched = lambda.iter().filter(|l| **l != 0.0).count();
    eprintln!("{group}/{name}/{n}: {k} steps, {touched} multipliers > 0");
}

fn bench_dual(c: &mut Criterion, name: &str, dual: impl DualOptimizer + Clone + 'static) {
    for n in SIZES {
        bench_one(c, "indexed_multipliers", name, &dual, n, n);
    }
    // Diagnostic (REIN_BENCH_HOT=1): the largest group, but every index drawn from its first
    // 1000 entries, so the multipliers and dual state touched stay in cache. If this matches
    // the n = 10^3 time, any growth of the n = 10^6 time is cache and TLB misses of random
    // access into a large store, not work proportional to n.
    if std::env::var_os("REIN_BENCH_HOT").is_some() {
        bench_one(
            c,
            "indexed_multipliers_hot",
            name,
            &dual,
            SIZES[2],
            SIZES[0],
        );
    }
}

fn indexed_multipliers(c: &mut Criterion) {
    bench_dual(c, "DualSgd", DualSgd::new(1e-2).expect("valid lr"));
    bench_dual(c, "DualAdam", DualAdam::new(1e-2).expect("valid lr"));
    bench_dual(
        c,
        "NuPi",
        NuPi::new(1e-2, 1.0, 1.0, 0.5).expect("valid gains"),
    );
}

// What `criterion_group!` + `criterion_main!` expand to, minus the undocumented `pub fn` the
// group macro generates (the workspace warns on missing docs).
fn main() {
    let mut c = Criterion::default().configure_from_args();
    indexed_multipliers(&mut c);
    c.final_summary();
}
