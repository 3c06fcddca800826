//! Cost of Shampoo: (a) a training step with Shampoo relative to one with Adam on MLPs, at
//! precondition frequencies 1, 10 and 100; (b) one inverse 4th root of an SPD block of size
//! 256 and 1024 by eigendecomposition and by coupled Newton.
//!
//! Setup:
//! * device: flex CPU, float32 (the default dtype), with autodiff;
//! * models: the digits MLP 64-32-10 and 784-300-100-10 (tanh), deterministic weights;
//! * batch: 128 random inputs with random one-hot targets, mean-squared error;
//! * `train/<mlp>/<optimizer>`: forward + backward + optimizer step;
//!   `opt/<mlp>/<optimizer>`: the optimizer step alone on fixed gradients;
//! * optimizers: Adam (lr 1e-3) and Shampoo (lr 1e-3, defaults: AdaGrad grafting, blocks of
//!   1024, beta2 = 1, roots by eigh in f64) with `f = start` in {1, 10, 100}. Criterion
//!   averages over many consecutive steps, so root computations are amortised over `f` steps;
//! * `root/<method>/<n>`: an `n x n` SPD matrix with eigenvalues spread over `[1, 1e3]`,
//!   root 4, eps 1e-12, f64; Newton at tolerance 1e-12.
//!
//! Run: `cargo bench -p rein --bench shampoo` (or `bench/shampoo.sh`, which also writes
//! `bench/results/shampoo.json`).

use std::hint::black_box;
use std::time::Duration;

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor, TensorData};
use criterion::{BenchmarkId, Criterion, SamplingMode};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rein::StateDict;
use rein::optim::shampoo::{RootMethod, RootPrecision, inverse_root};
use rein::optim::{Adam, AdamConfig, ParamGrads, PrimalOptimizer, Shampoo, ShampooConfig};

const BATCH: usize = 128;

/// One optimizer step on the MLP.
type StepFn = Box<dyn FnMut(Mlp, &ParamGrads) -> Mlp>;

fn device() -> Device {
    Device::flex().autodiff()
}

/// SplitMix64, uniform in [-1, 1).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    fn vector(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.next() as f32).collect()
    }
}

/// A tanh MLP.
#[derive(Module, Debug)]
struct Mlp {
    layers: Vec<Linear>,
}

impl Mlp {
    fn new(sizes: &[usize]) -> Self {
        let d = device();
        let random = Mlp {
            layers: sizes
                .windows(2)
                .map(|w| LinearConfig::new(w[0], w[1]).init(&d))
                .collect(),
        };
        // Deterministic weights, scaled like Kaiming-uniform.
        let mut dict = StateDict::new();
        dict.put_module("m", &random);
        let mut rng = Rng(17);
        let mut fixed = StateDict::new();
        for k in dict.keys() {
            let shape = dict.get_data(k).unwrap().shape().clone();
            let fan_in = shape[0] as f32;
            let v: Vec<f32> = rng
                .vector(shape.num_elements())
                .iter()
                .map(|x| x / fan_in.sqrt())
                .collect();
            fixed.put_data(k, TensorData::new(v, shape));
        }
        fixed.load_module("m", random).expect("same structure")
    }

    fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        let last = self.layers.len() - 1;
        for (i, l) in self.layers.iter().enumerate() {
            x = l.forward(x);
            if i < last {
                x = x.tanh();
            }
        }
        x
    }
}

struct Batch {
    x: Tensor<2>,
    y: Tensor<2>,
}

fn batch(inputs: usize, classes: usize) -> Batch {
    let d = device();
    let mut rng = Rng(3);
    let x = Tensor::from_data(
        TensorData::new(rng.vector(BATCH * inputs), [BATCH, inputs]),
        &d,
    );
    let mut y = vec![0f32; BATCH * classes];
    for i in 0..BATCH {
        let c = ((rng.next() + 1.0) * 0.5 * classes as f64) as usize % classes;
        y[i * classes + c] = 1.0;
    }
    let y = Tensor::from_data(TensorData::new(y, [BATCH, classes]), &d);
    Batch { x, y }
}

fn grads(model: &Mlp, b: &Batch) -> ParamGrads {
    let d = model.forward(b.x.clone()) - b.y.clone();
    let loss = (d.clone() * d).mean();
    ParamGrads::from_backward(model, &loss.backward())
}

fn bench_optimizer(
    c: &mut Criterion,
    mlp: &str,
    sizes: &[usize],
    name: &str,
    make: &dyn Fn() -> StepFn,
) {
    let data = batch(sizes[0], sizes[sizes.len() - 1]);
    let mut g = c.benchmark_group("train");
    g.sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    let mut step = make();
    let mut model = Some(Mlp::new(sizes));
    g.bench_function(BenchmarkId::new(mlp, name), |bench| {
        bench.iter(|| {
            let m = model.take().expect("model");
            let gr = grads(&m, &data);
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
    let m0 = Mlp::new(sizes);
    let fixed = grads(&m0, &data);
    let mut model = Some(m0);
    g.bench_function(BenchmarkId::new(mlp, name), |bench| {
        bench.iter(|| {
            let m = model.take().expect("model");
            model = Some(step(m, &fixed));
        })
    });
    g.finish();
    black_box(model);
}

fn adam() -> StepFn {
    let mut opt = Adam::new(AdamConfig::new(1e-3)).expect("valid");
    Box::new(move |m, g| opt.step(m, g).expect("step"))
}

fn shampoo(f: u64) -> StepFn {
    let mut opt = Shampoo::new(ShampooConfig::new(1e-3).precondition_frequency(f)).expect("valid");
    Box::new(move |m, g| opt.step(m, g).expect("step"))
}

fn training_steps(c: &mut Criterion) {
    for (mlp, sizes) in [
        ("64-32-10", &[64, 32, 10][..]),
        ("784-300-100-10", &[784, 300, 100, 10][..]),
    ] {
        bench_optimizer(c, mlp, sizes, "adam", &adam);
        for f in [1u64, 10, 100] {
            bench_optimizer(c, mlp, sizes, &format!("shampoo_f{f}"), &|| shampoo(f));
        }
    }
}

/// An SPD matrix with eigenvalues spread geometrically over `[1, cond]`.
fn spd(n: usize, cond: f64) -> Mat<f64> {
    let mut rng = Rng(n as u64);
    let g = Mat::<f64>::from_fn(n, n, |_, _| rng.next());
    let q = g.qr().compute_Q();
    let qd = Mat::<f64>::from_fn(n, n, |i, j| {
        q[(i, j)] * cond.powf(j as f64 / (n - 1) as f64)
    });
    let mut a = Mat::<f64>::zeros(n, n);
    matmul(
        a.as_mut(),
        Accum::Replace,
        &qd,
        q.transpose(),
        1.0,
        Par::Seq,
    );
    Mat::from_fn(n, n, |i, j| 0.5 * (a[(i, j)] + a[(j, i)]))
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
