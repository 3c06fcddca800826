//! Time per step of a constrained optimizer with an *indexed* inequality constraint of `n`
//! entries (one per "sample"), of which 256 are observed per step.
//!
//! The claim under test: an indexed step costs O(observed), never O(n) — reading and writing the
//! observed multipliers and their dual-optimizer state (Adam moments and step counts, nuPI's
//! `xi`) only. So the time per step should be flat from `n = 10^3` to `n = 10^6`.
//!
//! Setup, per (dual optimizer, n):
//! * model: a [`Point`] of `DIM = 4` float64 parameters on the flex CPU device (with autodiff);
//! * problem: [`PerSample`] (`rein_testing::problems`, the problem of `rein-bench indexed` too):
//!   `min ||x - 1||^2 s.t. a_i . x - b_i <= 0` for every sample `i < n`, with
//!   `a_i in [-1, 1]^4`, `b_i in [0, 1]` a deterministic function of `i` (no O(n) data table,
//!   so only the multiplier store grows with `n`); `x = 0` is feasible;
//! * batches: 64 precomputed batches of 256 distinct indices drawn by a seeded SplitMix64, with
//!   their `a_i, b_i` rows as constant tensors (built before timing); the benchmark cycles
//!   through them;
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

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use rein::dual::{DualAdam, DualOptimizer, DualSgd, NuPi};
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{ConstrainedOptimizer, Constraint, Constraints};
use rein_testing::device::device;
use rein_testing::problems::{PER_SAMPLE, PerSample, PerSampleBatch, PerSampleRows, Point};
use rein_testing::rng::SplitMix64;

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

/// `BATCHES` batches of `OBSERVED` distinct indices drawn uniformly from `0..range`, with their
/// rows, as tensors on the device.
fn batches(range: usize) -> Vec<PerSampleBatch> {
    let mut rng = SplitMix64::new(SEED ^ range as u64);
    (0..BATCHES)
        .map(|_| {
            let rows = PerSampleRows::draw(&mut rng, OBSERVED, range, DIM);
            PerSampleBatch::from_rows(&rows, &device())
        })
        .collect()
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
    let mut g = c.benchmark_group(group);
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let data = batches(range);
    let constraints = Constraints::new()
        .add(Constraint::inequality(PER_SAMPLE, n).indexed())
        .expect("valid constraint");
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(1e-3)).expect("valid lr"),
        dual.clone(),
        constraints,
    )
    .expect("valid optimizer");
    let mut model = Point::new(&[0.0; DIM]);
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
        .get(PER_SAMPLE)
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
