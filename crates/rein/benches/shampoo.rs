//! Cost of Shampoo: (a) a training step with Shampoo relative to one with Adam, at precondition
//! frequencies 1, 10 and 100, on models where Shampoo's extra FLOPs are large or small relative
//! to the model's; (b) one inverse 4th root of an SPD block of size 256 and 1024 by
//! eigendecomposition and by coupled Newton.
//!
//! Setup (shared with `distributed_shampoo.rs` in `benches/common`):
//! * device: flex CPU, float32 (the default dtype), with autodiff;
//! * models and batches (`train/<setup>/<optimizer>`):
//!   `mlp64` the digits MLP 64-32-10 (tanh), batch 128; `mlp784` 784-300-100-10, batch 128;
//!   `mlp784-b1024` the same at batch 1024; `lenet5` LeNet-5 (431k parameters) on 28x28
//!   inputs, batch 128. Deterministic weights, random inputs, random one-hot targets, MSE;
//! * `train/..`: forward + backward + optimizer step; `opt/..`: the optimizer step alone on
//!   fixed gradients;
//! * optimizers: Adam (lr 1e-3); Shampoo (lr 1e-3, defaults: AdaGrad grafting, blocks of 1024,
//!   beta2 = 1, roots by eigh, everything in f64) with `f = start` in {1, 10, 100}
//!   (`shampoo_f<f>`); `shampoo32_f<f>`: the same with `f32` factors, roots and matmuls
//!   (`FactorPrecision::F32`, `RootPrecision::F32`); `shampoo32d_f100`: that plus diagonal
//!   factors for vector blocks (`diagonal_vectors(0)`). Criterion averages over many
//!   consecutive steps, so root computations are amortised over `f` steps;
//! * `root/<method>/<n>`: an `n x n` SPD matrix with eigenvalues spread over `[1, 1e3]`,
//!   root 4, eps 1e-12, f64; Newton at tolerance 1e-12.
//!
//! Also prints, per setup, the FLOPs of forward + backward and of Shampoo's per-step matmuls
//! (`bench/shampoo.sh` puts them into `bench/results/shampoo.json`).
//!
//! Run: `cargo bench -p rein --bench shampoo` (or `bench/shampoo.sh`).

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{Batch, LeNet5, Mlp, Net, grads, lenet5_macs, mlp_macs, shampoo_flops, shapes};
use criterion::{BenchmarkId, Criterion, SamplingMode};
use faer::Mat;
use rein::optim::shampoo::{FactorPrecision, RootMethod, RootPrecision, inverse_root};
use rein::optim::{Adam, AdamConfig, ParamGrads, PrimalOptimizer, Shampoo, ShampooConfig};
use rein_testing::rng::SplitMix64;

/// One optimizer step on a model.
type StepFn<M> = Box<dyn FnMut(M, &ParamGrads) -> M>;

fn bench_optimizer<M: Net + 'static>(
    c: &mut Criterion,
    setup: &str,
    new_model: &dyn Fn() -> M,
    data: &Batch,
    name: &str,
    make: &dyn Fn() -> StepFn<M>,
) {
    let mut g = c.benchmark_group("train");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut step = make();
    let mut model = Some(new_model());
    g.bench_function(BenchmarkId::new(setup, name), |bench| {
        bench.iter(|| {
            let m = model.take().expect("model");
            let gr = grads(&m, data);
            model = Some(step(m, &gr));
        })
    });
    g.finish();
    let mut g = c.benchmark_group("opt");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut step = make();
    let m0 = new_model();
    let fixed = grads(&m0, data);
    let mut model = Some(m0);
    g.bench_function(BenchmarkId::new(setup, name), |bench| {
        bench.iter(|| {
            let m = model.take().expect("model");
            model = Some(step(m, &fixed));
        })
    });
    g.finish();
    black_box(model);
}

fn adam<M: Net + 'static>() -> StepFn<M> {
    let mut opt = Adam::new(AdamConfig::new(1e-3)).expect("valid");
    Box::new(move |m, g| opt.step(m, g).expect("step"))
}

/// The Shampoo variants of the benches, by name: `<kind>_f<frequency>`, optionally followed by
/// `_d<max preconditioner dim>` (default 1024).
fn shampoo_config(name: &str) -> ShampooConfig {
    let (kind, rest) = name.split_once("_f").expect("<kind>_f<f>[_d<dim>]");
    let (f, dim) = rest.split_once("_d").unwrap_or((rest, "1024"));
    let f: u64 = f.parse().expect("frequency");
    let dim: usize = dim.parse().expect("max preconditioner dim");
    let c = ShampooConfig::new(1e-3)
        .precondition_frequency(f)
        .max_preconditioner_dim(dim);
    let fast = |c: ShampooConfig| {
        c.factor_precision(FactorPrecision::F32)
            .root_precision(RootPrecision::F32)
    };
    match kind {
        "shampoo" => c,
        "shampoo32" => fast(c),
        "shampoo32d" => fast(c).diagonal_vectors(0),
        other => panic!("unknown variant {other}"),
    }
}

fn shampoo<M: Net + 'static>(name: &str) -> StepFn<M> {
    let mut opt = Shampoo::new(shampoo_config(name)).expect("valid");
    Box::new(move |m, g| opt.step(m, g).expect("step"))
}

fn run_setup<M: Net + 'static>(
    c: &mut Criterion,
    setup: &str,
    new_model: &dyn Fn() -> M,
    data: &Batch,
    forward_macs: f64,
    batch: usize,
    variants: &[&str],
) {
    let shapes = shapes(&new_model());
    let model = common::train_flops(forward_macs, batch);
    let cfg = shampoo_config("shampoo_f1");
    let extra = shampoo_flops(shapes.iter().map(Vec::as_slice), &cfg, false);
    let full = shampoo_flops(shapes.iter().map(Vec::as_slice), &cfg, true);
    let diag = shampoo_flops(
        shapes.iter().map(Vec::as_slice),
        &shampoo_config("shampoo32d_f1"),
        false,
    );
    let blocked = |dim: usize| {
        let cfg = shampoo_config(&format!("shampoo_f1_d{dim}"));
        shampoo_flops(shapes.iter().map(Vec::as_slice), &cfg, false)
    };
    let (d256, d128) = (blocked(256), blocked(128));
    // One line per setup, parsed by bench/shampoo.sh.
    println!(
        "FLOPS {setup} batch={batch} train={model:.4e} shampoo={extra:.4e} \
         shampoo_full_grams={full:.4e} shampoo_diagonal_vectors={diag:.4e} \
         shampoo_d256={d256:.4e} shampoo_d128={d128:.4e}"
    );
    bench_optimizer(c, setup, new_model, data, "adam", &adam);
    for &v in variants {
        bench_optimizer(c, setup, new_model, data, v, &|| shampoo(v));
    }
}

fn training_steps(c: &mut Criterion) {
    let all = [
        "shampoo_f1",
        "shampoo_f10",
        "shampoo_f100",
        "shampoo32_f10",
        "shampoo32_f100",
        "shampoo32d_f100",
        // Smaller blocks (Shi et al. 2023's `max_preconditioner_dim`): fewer FLOPs per step.
        "shampoo_f100_d256",
        "shampoo_f100_d128",
    ];
    let big = &all[1..];
    for (setup, sizes, batch, variants) in [
        ("mlp64", &[64, 32, 10][..], 128, &all[..]),
        ("mlp784", &[784, 300, 100, 10][..], 128, &all[..]),
        ("mlp784-b1024", &[784, 300, 100, 10][..], 1024, big),
    ] {
        let data = Batch::new(batch, sizes[0], sizes[sizes.len() - 1]);
        let new = || Mlp::new(sizes);
        run_setup(c, setup, &new, &data, mlp_macs(sizes), batch, variants);
    }
    let data = Batch::new(128, 784, 10);
    run_setup(c, "lenet5", &LeNet5::new, &data, lenet5_macs(), 128, big);
}

/// An SPD matrix with eigenvalues spread geometrically over `[1, cond]`, seeded by its size.
fn spd(n: usize, cond: f64) -> Mat<f64> {
    rein_testing::linalg::spd(n, cond, &mut SplitMix64::new(n as u64))
}

fn roots(c: &mut Criterion) {
    let mut g = c.benchmark_group("root");
    // Flat sampling: 10 samples of equal iteration counts (a 1024 Newton root takes seconds).
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));
    for n in [256usize, 1024] {
        let a = spd(n, 1e3);
        for (name, method) in [("eigh", RootMethod::Eigh), ("newton", RootMethod::newton())] {
            g.bench_function(BenchmarkId::new(name, n), |bench| {
                bench.iter(|| {
                    inverse_root(a.as_ref(), 4, 1e-12, method, RootPrecision::F64).expect("root")
                })
            });
        }
    }
    g.finish();
}

// What `criterion_group!` + `criterion_main!` expand to, minus the undocumented `pub fn` the
// group macro generates (the workspace warns on missing docs).
fn main() {
    let mut c = Criterion::default().configure_from_args();
    roots(&mut c);
    training_steps(&mut c);
    c.final_summary();
}
