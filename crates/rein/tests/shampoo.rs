//! Shampoo's known answers (`docs/shampoo.md`): the polar-factor first step, start = infinity
//! equals the grafted optimizer, per-block grafting norms, the root schedule, the Kronecker
//! quadratic against gradient descent, bit-exact resume, use inside a constrained scheme, and
//! errors.

use std::collections::BTreeMap;

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, TensorData};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rein::dual::DualSgd;
use rein::optim::shampoo::{FactorPrecision, RootMethod, RootPrecision, merge_dims, split_blocks};
use rein::optim::{
    Adam, AdamConfig, Grafting, Momentum, ParamGrads, PrimalOptimizer, Sgd, SgdConfig, Shampoo,
    ShampooConfig,
};
use rein::scheme::SimultaneousGda;
use rein::{
    Checkpoint, ConstrainedOptimizer, Constraint, Constraints, ReinError, StateDict, Stateful,
};
use rein_testing::linalg::spd;
use rein_testing::params::deterministic;
use rein_testing::prelude::*;
use rein_testing::problems::MinNormLinear;

/// A model with one matrix parameter `w`.
#[derive(Module, Debug)]
struct Matrix {
    w: Param<Tensor<2>>,
}

impl Matrix {
    fn new(values: &[f64], m: usize, n: usize) -> Self {
        let t = Tensor::from_data(TensorData::new(values.to_vec(), [m, n]), &device());
        Self {
            w: Param::from_tensor(t),
        }
    }
    fn values(&self) -> Vec<f64> {
        self.w.val().to_data().iter::<f64>().collect()
    }
}

/// Gradients of `1/2 ||w - target||^2`.
fn distance_grads(model: &Matrix, target: &[f64]) -> ParamGrads {
    let w = model.w.val();
    let [m, n] = w.dims();
    let t = Tensor::<2>::from_data(TensorData::new(target.to_vec(), [m, n]), &device());
    let d = w - t;
    let loss = (d.clone() * d).sum().mul_scalar(0.5);
    ParamGrads::from_backward(model, &loss.backward())
}

fn shampoo(config: ShampooConfig) -> Shampoo {
    Shampoo::new(config).unwrap()
}

/// `U V^T` for `G = U S V^T`, row-major `m x n`.
fn polar(g: &[f64], m: usize, n: usize) -> Vec<f64> {
    let gm = Mat::<f64>::from_fn(m, n, |i, j| g[i * n + j]);
    let svd = gm.thin_svd().unwrap();
    let mut p = Mat::<f64>::zeros(m, n);
    matmul(
        p.as_mut(),
        Accum::Replace,
        svd.U(),
        svd.V().transpose(),
        1.0,
        Par::Seq,
    );
    (0..m * n).map(|k| p[(k / n, k % n)]).collect()
}

#[test]
fn first_step_is_the_polar_factor() {
    let (m, n, lr) = (4, 3, 0.1);
    let mut rng = SplitMix64::new(1);
    let (w0, target) = (rng.vector(m * n), rng.vector(m * n));
    let g: Vec<f64> = w0.iter().zip(&target).map(|(w, t)| w - t).collect();
    // Blocks of at most 4: the 4 x 3 matrix is not merged into a vector of 12.
    let config = ShampooConfig::new(lr)
        .grafting(Grafting::None)
        .max_preconditioner_dim(4)
        .start_preconditioning_step(1);
    for method in [RootMethod::Eigh, RootMethod::newton()] {
        let mut opt = shampoo(config.clone().root_method(method));
        let model = Matrix::new(&w0, m, n);
        let grads = distance_grads(&model, &target);
        let model = opt.step(model, &grads).unwrap();
        let step: Vec<f64> = w0.iter().zip(model.values()).map(|(a, b)| a - b).collect();
        let want: Vec<f64> = polar(&g, m, n).iter().map(|v| lr * v).collect();
        let err = max_abs_diff(&step, &want);
        assert!(err < 1e-9, "{method:?}: |step - lr U V^T| = {err:e}");
        assert_eq!(opt.root_failures(), 0);
    }
    // A vector: lr g / ||g||.
    let (x0, c) = (rng.vector(5), rng.vector(5));
    let mut opt = shampoo(config.max_preconditioner_dim(1024));
    let model = Point::new(&x0);
    let d = model.x.val() - constant(&c);
    let loss = (d.clone() * d).sum().mul_scalar(0.5);
    let grads = ParamGrads::from_backward(&model, &loss.backward());
    let model = opt.step(model, &grads).unwrap();
    let g: Vec<f64> = x0.iter().zip(&c).map(|(x, c)| x - c).collect();
    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let want: Vec<f64> = x0.iter().zip(&g).map(|(x, g)| x - lr * g / norm).collect();
    // Null directions of g g^T get eps^(-1/2) = 1e6: round-off of 1e-16 becomes ~1e-10.
    assert!(max_abs_diff(&model.values(), &want) < 1e-9);
}

/// A small network with deterministic weights.
#[derive(Module, Debug)]
struct Net {
    a: Linear,
    b: Linear,
}

fn net(seed: u64) -> Net {
    let d = device();
    let random = Net {
        a: LinearConfig::new(3, 4).init(&d),
        b: LinearConfig::new(4, 2).init(&d),
    };
    let mut rng = SplitMix64::new(seed);
    deterministic(random, |shape| rng.vector(shape.iter().product()))
}

fn net_grads(model: &Net) -> ParamGrads {
    let mut rng = SplitMix64::new(7);
    let x = Tensor::<2>::from_data(TensorData::new(rng.vector(15), [5, 3]), &device());
    let y = Tensor::<2>::from_data(TensorData::new(rng.vector(10), [5, 2]), &device());
    let out = model.b.forward(model.a.forward(x).tanh());
    let d = out - y;
    let loss = (d.clone() * d).sum().mul_scalar(0.5);
    ParamGrads::from_backward(model, &loss.backward())
}

/// Parameters of a module by path, on the host.
fn params_of<M: Module>(model: &M) -> BTreeMap<String, Vec<f64>> {
    let mut dict = StateDict::new();
    dict.put_module("m", model);
    dict.keys()
        .map(|k| {
            let v = dict.get_data(k).unwrap().iter::<f64>().collect();
            (k.trim_start_matches("m/").to_string(), v)
        })
        .collect()
}

fn with_params<M: Module>(model: M, params: &BTreeMap<String, Vec<f64>>) -> M {
    let mut shapes = StateDict::new();
    shapes.put_module("m", &model);
    let mut dict = StateDict::new();
    for (k, v) in params {
        let shape = shapes.get_data(&format!("m/{k}")).unwrap().shape().clone();
        dict.put_data(&format!("m/{k}"), TensorData::new(v.clone(), shape));
    }
    dict.load_module("m", model).unwrap()
}

/// Runs `a` and `b` side by side on the network for `steps` steps; returns the largest
/// parameter difference seen.
fn side_by_side(
    a: &mut impl PrimalOptimizer,
    b: &mut dyn FnMut(Net, &ParamGrads) -> Net,
    steps: usize,
) -> f64 {
    let (mut ma, mut mb) = (net(3), net(3));
    let mut worst: f64 = 0.0;
    for _ in 0..steps {
        let (ga, gb) = (net_grads(&ma), net_grads(&mb));
        ma = a.step(ma, &ga).unwrap();
        mb = b(mb, &gb);
        let (pa, pb) = (params_of(&ma), params_of(&mb));
        for (k, va) in &pa {
            worst = worst.max(max_abs_diff(va, &pb[k]));
        }
    }
    worst
}

/// Host reference of the filtered-gradient grafted optimizers (AdaGrad, RMSprop).
fn reference(
    beta1: f64,
    decay: Option<f64>,
    eps: f64,
    lr: f64,
) -> impl FnMut(Net, &ParamGrads) -> Net {
    let mut m: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut acc: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut t = 0;
    move |model, grads| {
        t += 1;
        let mut params = params_of(&model);
        for (path, w) in params.iter_mut() {
            let g: Vec<f64> = grads.get(path).unwrap().to_data().iter::<f64>().collect();
            let mm = m.entry(path.clone()).or_insert(vec![0.0; g.len()]);
            let aa = acc.entry(path.clone()).or_insert(vec![0.0; g.len()]);
            for k in 0..g.len() {
                mm[k] = mm[k] * beta1 + g[k] * (1.0 - beta1);
                aa[k] = match decay {
                    None => aa[k] + g[k] * g[k],
                    Some(b2) => aa[k] * b2 + g[k] * g[k] * (1.0 - b2),
                };
                let mhat = mm[k] / (1.0 - beta1.powi(t));
                w[k] -= mhat / (aa[k].sqrt() + eps) * lr;
            }
        }
        with_params(model, &params)
    }
}

#[test]
fn start_at_infinity_equals_the_grafted_optimizer() {
    let never = |g: Grafting, beta1: f64| {
        ShampooConfig::new(0.05)
            .betas(beta1, 1.0)
            .grafting(g)
            .start_preconditioning_step(u64::MAX)
    };
    // Adam grafting with beta1 filtering is Adam.
    let mut s = shampoo(never(
        Grafting::Adam {
            beta2: 0.999,
            eps: 1e-8,
        },
        0.9,
    ));
    let mut adam = Adam::new(AdamConfig::new(0.05)).unwrap();
    let d = side_by_side(&mut s, &mut |m, g| adam.step(m, g).unwrap(), 30);
    assert!(d <= 1e-15, "Adam: {d:e}");
    // SGD grafting without filtering is SGD, with heavy-ball or Nesterov momentum.
    for mom in [
        Momentum::None,
        Momentum::HeavyBall(0.9),
        Momentum::Nesterov(0.8),
    ] {
        let mut s = shampoo(never(Grafting::Sgd, 0.0).momentum(mom));
        let mut sgd = Sgd::new(SgdConfig::new(0.05).momentum(mom)).unwrap();
        let d = side_by_side(&mut s, &mut |m, g| sgd.step(m, g).unwrap(), 30);
        assert!(d <= 1e-15, "SGD {mom:?}: {d:e}");
    }
    // AdaGrad (default eps 1e-10) and RMSprop against host references.
    let mut s = shampoo(never(Grafting::default(), 0.9));
    let d = side_by_side(&mut s, &mut reference(0.9, None, 1e-10, 0.05), 30);
    assert!(d <= 1e-14, "AdaGrad: {d:e}");
    let rms = Grafting::RmsProp {
        beta2: 0.99,
        eps: 1e-8,
    };
    let mut s = shampoo(never(rms, 0.5));
    let d = side_by_side(&mut s, &mut reference(0.5, Some(0.99), 1e-8, 0.05), 30);
    assert!(d <= 1e-14, "RMSprop: {d:e}");
}

#[test]
fn grafted_step_norm_per_block_equals_the_grafting_norm() {
    let (m, n) = (5, 3);
    let mut rng = SplitMix64::new(11);
    let (w0, target) = (rng.vector(m * n), rng.vector(m * n));
    let eps = 1e-10;
    let mut opt = shampoo(
        ShampooConfig::new(1.0)
            .betas(0.0, 1.0)
            .max_preconditioner_dim(2)
            .start_preconditioning_step(1),
    );
    let mut model = Matrix::new(&w0, m, n);
    let mut acc = vec![0.0; m * n];
    for _ in 0..3 {
        let before = model.values();
        let grads = distance_grads(&model, &target);
        let g: Vec<f64> = grads.get("w").unwrap().to_data().iter::<f64>().collect();
        model = opt.step(model, &grads).unwrap();
        let step: Vec<f64> = before
            .iter()
            .zip(model.values())
            .map(|(a, b)| a - b)
            .collect();
        let adagrad: Vec<f64> = (0..m * n)
            .map(|k| {
                acc[k] += g[k] * g[k];
                g[k] / (acc[k].sqrt() + eps)
            })
            .collect();
        let blocks = opt.blocks("w").unwrap();
        assert_eq!(blocks, split_blocks(&[5, 3], 2));
        assert_eq!(blocks.len(), 6);
        for b in &blocks {
            let norm = |v: &[f64]| {
                let mut s = 0.0;
                for i in b.offsets[0]..b.offsets[0] + b.dims[0] {
                    for j in b.offsets[1]..b.offsets[1] + b.dims[1] {
                        s += v[i * n + j] * v[i * n + j];
                    }
                }
                f64::sqrt(s)
            };
            let (got, want) = (norm(&step), norm(&adagrad));
            assert!((got - want).abs() <= 1e-12 * want, "{b:?}: {got} vs {want}");
        }
        // The direction is Shampoo's, not AdaGrad's.
        assert!(max_abs_diff(&step, &adagrad) > 1e-3);
    }
}

/// Root and factor entries of the saved state.
fn saved(opt: &Shampoo, what: &str) -> Vec<Vec<u8>> {
    let mut d = StateDict::new();
    opt.save_state("s", &mut d).unwrap();
    d.keys()
        .filter(|k| k.contains("/block") && k.contains(what))
        .map(|k| d.get_data(k).unwrap().as_bytes().to_vec())
        .collect()
}

#[test]
fn roots_change_only_at_the_scheduled_steps() {
    let (m, n) = (4, 3);
    let mut rng = SplitMix64::new(2);
    let (w0, target) = (rng.vector(m * n), rng.vector(m * n));
    let mut opt = shampoo(
        ShampooConfig::new(0.1)
            .betas(0.9, 0.99)
            .max_preconditioner_dim(4)
            .precondition_frequency(3)
            .start_preconditioning_step(4),
    );
    let mut model = Matrix::new(&w0, m, n);
    let (mut roots, mut factors) = (None, None);
    let mut changed = Vec::new();
    for t in 1..=10u64 {
        let grads = distance_grads(&model, &target);
        model = opt.step(model, &grads).unwrap();
        let (r, f) = (saved(&opt, "/root"), saved(&opt, "/factor"));
        assert_eq!(r.len(), 2);
        if roots.as_ref().is_some_and(|p| *p != r) {
            changed.push(t);
        }
        if t > 1 {
            assert!(factors.as_ref() != Some(&f), "factors change every step");
        }
        roots = Some(r);
        factors = Some(f);
    }
    // At the start step, then at the multiples of the frequency (the reference's schedule).
    assert_eq!(changed, vec![4, 6, 9]);
}

#[test]
fn kronecker_quadratic_needs_ten_times_fewer_steps_than_gradient_descent() {
    let (m, n) = (10, 8);
    // Eigenvalues spread over [1, 100]: the Lipschitz constant of each factor is 100.
    let factor = |k: usize, seed: u64| (spd(k, 100.0, &mut SplitMix64::new(seed)), 100.0);
    let ((a, la), (b, lb)) = (factor(m, 21), factor(n, 22));
    let lipschitz = la * lb;
    let e0 = SplitMix64::new(23).vector(m * n);
    let loss = |e: &[f64]| {
        // 1/2 tr(E^T A E B) = 1/2 sum_ij E_ij (A E B)_ij
        let em = Mat::<f64>::from_fn(m, n, |i, j| e[i * n + j]);
        let aeb = &(&a * &em) * &b;
        0.5 * (0..m)
            .flat_map(|i| (0..n).map(move |j| (i, j)))
            .map(|(i, j)| em[(i, j)] * aeb[(i, j)])
            .sum::<f64>()
    };
    let f0 = loss(&e0);
    let target = 1e-8;
    // Gradient descent at lr 1/L, on the host (gradient A E B).
    let mut e = Mat::<f64>::from_fn(m, n, |i, j| e0[i * n + j]);
    let mut gd_steps = 0;
    while loss(&(0..m * n).map(|k| e[(k / n, k % n)]).collect::<Vec<_>>()) > target * f0 {
        let g = &(&a * &e) * &b;
        e = Mat::<f64>::from_fn(m, n, |i, j| e[(i, j)] - g[(i, j)] / lipschitz);
        gd_steps += 1;
    }
    // Shampoo, beta2 = 1, precondition frequency 1, through the library on the f64 device.
    let dev = device();
    let to_t = |x: &Mat<f64>, r: usize, c: usize| {
        let v: Vec<f64> = (0..r * c).map(|k| x[(k / c, k % c)]).collect();
        Tensor::<2>::from_data(TensorData::new(v, [r, c]), &dev)
    };
    let (at, bt) = (to_t(&a, m, m), to_t(&b, n, n));
    let mut opt = shampoo(
        ShampooConfig::new(SHAMPOO_LR)
            .betas(0.0, 1.0)
            .max_preconditioner_dim(m)
            .grafting(Grafting::None)
            .start_preconditioning_step(1),
    );
    let mut model = Matrix::new(&e0, m, n);
    let mut steps = 0;
    // Two Kronecker factors (10 x 10 and 8 x 8), not one 80 x 80 matrix.
    assert_eq!(merge_dims(&[m, n], m), vec![m, n]);
    while loss(&model.values()) > target * f0 && steps < gd_steps {
        let w = model.w.val();
        let l = (w.clone() * at.clone().matmul(w).matmul(bt.clone()))
            .sum()
            .mul_scalar(0.5);
        let grads = ParamGrads::from_backward(&model, &l.backward());
        model = opt.step(model, &grads).unwrap();
        steps += 1;
    }
    eprintln!("Kronecker quadratic: GD {gd_steps} steps, Shampoo {steps} steps");
    assert!(
        10 * steps <= gd_steps,
        "Shampoo {steps} steps vs GD {gd_steps}"
    );
}

/// Learning rate of Shampoo on the Kronecker quadratic.
const SHAMPOO_LR: f64 = 1.0;

fn resume_config() -> ShampooConfig {
    ShampooConfig::new(0.05)
        .betas(0.9, 0.99)
        .precondition_frequency(3)
        .max_preconditioner_dim(3)
        .grafting(Grafting::Adam {
            beta2: 0.999,
            eps: 1e-8,
        })
        .weight_decay(1e-2)
        .momentum(Momentum::Nesterov(0.5))
}

#[test]
fn resume_equals_uninterrupted_bit_for_bit() {
    resume_check(resume_config());
    // f32 factors and roots, diagonal vector blocks (the biases).
    resume_check(
        resume_config()
            .factor_precision(FactorPrecision::F32)
            .diagonal_vectors(0),
    );
}

fn resume_check(config: ShampooConfig) {
    let n = 7;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shampoo.ckpt");
    let snapshot = |model: &Net, opt: &Shampoo| {
        let mut c = Checkpoint::new();
        c.state.put_module("model", model);
        c.put("opt", opt).unwrap();
        c.state
            .keys()
            .map(|k| {
                (
                    k.to_string(),
                    c.state.get_data(k).unwrap().as_bytes().to_vec(),
                )
            })
            .collect::<Vec<_>>()
    };
    let mut model = net(5);
    let mut opt = shampoo(config.clone());
    for _ in 0..2 * n {
        let g = net_grads(&model);
        model = opt.step(model, &g).unwrap();
    }
    let reference = snapshot(&model, &opt);

    let mut model = net(5);
    let mut opt = shampoo(config.clone());
    for _ in 0..n {
        let g = net_grads(&model);
        model = opt.step(model, &g).unwrap();
    }
    let mut ck = Checkpoint::new();
    ck.state.put_module("model", &model);
    ck.put("opt", &opt).unwrap();
    ck.save(&path).unwrap();
    let loaded = Checkpoint::load(&path).unwrap();
    let mut model = loaded.state.load_module("model", net(6)).unwrap();
    let mut opt = shampoo(config.clone());
    loaded.restore("opt", &mut opt).unwrap();
    for _ in 0..n {
        let g = net_grads(&model);
        model = opt.step(model, &g).unwrap();
    }
    let resumed = snapshot(&model, &opt);
    assert_eq!(reference.len(), resumed.len());
    for ((k1, v1), (k2, v2)) in reference.iter().zip(&resumed) {
        assert_eq!(k1, k2);
        assert!(v1 == v2, "entry {k1} differs after resume");
    }
    // The run used several blocks (4 x 3 weight with blocks of 3) and momentum.
    assert!(
        reference
            .iter()
            .any(|(k, _)| k.ends_with("a.weight/block1/root1"))
    );
    assert!(
        reference
            .iter()
            .any(|(k, _)| k.ends_with("a.weight/momentum"))
    );
}

#[test]
fn shampoo_inside_simultaneous_gda_reaches_the_kkt_point() {
    // min x^2 + y^2  s.t.  x + y - 1 = 0  ->  x* = (1/2, 1/2), mu* = -1.
    let primal = shampoo(
        ShampooConfig::new(0.1)
            .betas(0.0, 0.99)
            .grafting(Grafting::Sgd),
    );
    let cs = Constraints::new()
        .add(Constraint::equality("line", 1))
        .unwrap();
    let mut opt = SimultaneousGda::new(primal, DualSgd::new(0.2).unwrap(), cs).unwrap();
    let mut problem = MinNormLinear::from_rows(&[vec![1.0, 1.0]], &[1.0], "line");
    let mut model = Point::new(&[2.0, -1.0]);
    for _ in 0..2000 {
        opt.step(&mut problem, &mut model, &()).unwrap();
    }
    let x = model.values();
    let mu = opt
        .constraints()
        .get("line")
        .unwrap()
        .multipliers()
        .unwrap()[0];
    assert!(max_abs_diff(&x, &[0.5, 0.5]) < 1e-4, "x = {x:?}");
    assert!((mu + 1.0).abs() < 1e-4, "mu = {mu}");
}

#[test]
fn order_three_parameter_converges() {
    // A (2, 3, 4) parameter with blocks of at most 3: merged dims (2, 3, 4), blocks split dim 2.
    #[derive(Module, Debug)]
    struct Cube {
        w: Param<Tensor<3>>,
    }
    assert_eq!(merge_dims(&[2, 3, 4], 3), vec![2, 3, 4]);
    let target = SplitMix64::new(4).vector(24);
    let tt = Tensor::<3>::from_data(TensorData::new(target.clone(), [2, 3, 4]), &device());
    let mut model = Cube {
        w: Param::from_tensor(Tensor::zeros([2, 3, 4], &device())),
    };
    let mut opt = shampoo(
        ShampooConfig::new(0.1)
            .max_preconditioner_dim(3)
            .grafting(Grafting::Sgd)
            .betas(0.0, 1.0),
    );
    let loss = |m: &Cube| {
        let d = m.w.val() - tt.clone();
        (d.clone() * d).sum().mul_scalar(0.5)
    };
    let scalar = |t: Tensor<1>| t.to_data().iter::<f64>().next().unwrap();
    let l0 = scalar(loss(&model));
    for _ in 0..100 {
        let g = ParamGrads::from_backward(&model, &loss(&model).backward());
        model = opt.step(model, &g).unwrap();
    }
    let l = scalar(loss(&model));
    assert_eq!(opt.blocks("w").unwrap().len(), 2);
    assert!(l < 1e-6 * l0, "loss {l0} -> {l}");
}

#[test]
fn invalid_hyper_parameters_name_the_field() {
    let cases: Vec<(ShampooConfig, &str)> = vec![
        (ShampooConfig::new(-1.0), "lr"),
        (ShampooConfig::default().betas(1.0, 1.0), "beta1"),
        (ShampooConfig::default().betas(0.9, 1.5), "beta2"),
        (ShampooConfig::default().betas(0.9, 0.0), "beta2"),
        (ShampooConfig::default().eps(0.0), "eps"),
        (
            ShampooConfig::default().max_preconditioner_dim(0),
            "max_preconditioner_dim",
        ),
        (
            ShampooConfig::default().precondition_frequency(0),
            "precondition_frequency",
        ),
        (
            ShampooConfig::default().start_preconditioning_step(0),
            "start_preconditioning_step",
        ),
        (
            ShampooConfig::default()
                .precondition_frequency(100)
                .start_preconditioning_step(10),
            "start_preconditioning_step",
        ),
        (
            ShampooConfig::default().root_override(2, 0),
            "root_override",
        ),
        (
            ShampooConfig::default().grafting(Grafting::AdaGrad { eps: -1.0 }),
            "grafting.eps",
        ),
        (ShampooConfig::default().weight_decay(-0.1), "weight_decay"),
        (
            ShampooConfig::default().momentum(Momentum::Nesterov(1.0)),
            "momentum",
        ),
        (
            ShampooConfig::default().root_method(RootMethod::CoupledNewton {
                tolerance: 0.0,
                max_iterations: 10,
            }),
            "root_method.tolerance",
        ),
    ];
    for (config, field) in cases {
        match Shampoo::new(config) {
            Err(ReinError::InvalidHyperParameter { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{field}: expected an error, got {other:?}"),
        }
    }
    let mut ok = shampoo(ShampooConfig::default());
    assert_eq!(ok.learning_rate(), 1e-2);
    assert!(matches!(
        ok.set_learning_rate(f64::NAN),
        Err(ReinError::InvalidHyperParameter { field: "lr", .. })
    ));
    // The defaults of Shi et al. 2023 (docs/shampoo.md).
    let c = ShampooConfig::default();
    assert_eq!((c.lr, c.beta1, c.beta2, c.eps), (1e-2, 0.9, 1.0, 1e-12));
    assert_eq!(c.max_preconditioner_dim, 1024);
    assert_eq!(c.start(), c.precondition_frequency);
    assert_eq!(c.grafting, Grafting::AdaGrad { eps: 1e-10 });
    assert_eq!(
        (c.root_of_order(1), c.root_of_order(2), c.root_of_order(3)),
        (2, 4, 6)
    );
    assert_eq!(c.root_override(2, 2).root_of_order(2), 2);
}

#[test]
fn a_state_of_another_shape_is_an_error_naming_the_parameter() {
    let mut opt = shampoo(ShampooConfig::default());
    let model = Matrix::new(&[1.0; 6], 2, 3);
    let g = distance_grads(&model, &[0.0; 6]);
    let _ = opt.step(model, &g).unwrap();
    let other = Matrix::new(&[1.0; 12], 3, 4);
    let g = distance_grads(&other, &[0.0; 12]);
    match opt.step(other, &g) {
        Err(ReinError::State { name, .. }) => assert_eq!(name, "w"),
        other => panic!("expected a state error, got {other:?}"),
    }
}

/// `1/2 ||x - c||^2` gradients of a vector model.
fn point_grads(model: &Point, c: &[f64]) -> ParamGrads {
    let d = model.x.val() - constant(c);
    let loss = (d.clone() * d).sum().mul_scalar(0.5);
    ParamGrads::from_backward(model, &loss.backward())
}

#[test]
fn diagonal_vector_blocks_take_adagrad_like_steps() {
    let lr = 0.1;
    let mut rng = SplitMix64::new(9);
    let (x0, c) = (rng.vector(5), rng.vector(5));
    let g: Vec<f64> = x0.iter().zip(&c).map(|(x, c)| x - c).collect();
    let config = ShampooConfig::new(lr)
        .grafting(Grafting::None)
        .start_preconditioning_step(1);
    // Diagonal: P = (g^2 + eps)^(-1/2) g = sign(g) (no grafting, first step).
    let mut opt = shampoo(config.clone().diagonal_vectors(5));
    let model = opt
        .step(Point::new(&x0), &point_grads(&Point::new(&x0), &c))
        .unwrap();
    let want: Vec<f64> = x0
        .iter()
        .zip(&g)
        .map(|(x, g)| x - lr * g.signum())
        .collect();
    assert!(max_abs_diff(&model.values(), &want) < 1e-9);
    let mut d = StateDict::new();
    opt.save_state("s", &mut d).unwrap();
    assert_eq!(
        d.get_data("s/x/block0/factor0").unwrap().shape().to_vec(),
        [5]
    );
    // Below the length threshold the vector keeps its full factor: P = g / ||g||.
    let mut opt = shampoo(config.clone().diagonal_vectors(6));
    let model = opt
        .step(Point::new(&x0), &point_grads(&Point::new(&x0), &c))
        .unwrap();
    let norm = g.iter().map(|v| v * v).sum::<f64>().sqrt();
    let want: Vec<f64> = x0.iter().zip(&g).map(|(x, g)| x - lr * g / norm).collect();
    assert!(max_abs_diff(&model.values(), &want) < 1e-9);
    // Matrices are unaffected: still the polar factor.
    let (m, n) = (4, 3);
    let (w0, target) = (rng.vector(m * n), rng.vector(m * n));
    let gm: Vec<f64> = w0.iter().zip(&target).map(|(w, t)| w - t).collect();
    let mut opt = shampoo(config.max_preconditioner_dim(4).diagonal_vectors(0));
    let model = Matrix::new(&w0, m, n);
    let model = opt
        .step(model, &distance_grads(&Matrix::new(&w0, m, n), &target))
        .unwrap();
    let step: Vec<f64> = w0.iter().zip(model.values()).map(|(a, b)| a - b).collect();
    let want: Vec<f64> = polar(&gm, m, n).iter().map(|v| lr * v).collect();
    assert!(max_abs_diff(&step, &want) < 1e-9);
}

#[test]
fn f32_factors_track_the_f64_run() {
    // eps well above f32 round-off of the factors (null directions would amplify it).
    let base = ShampooConfig::new(0.05).eps(1e-3).max_preconditioner_dim(3);
    let mut exact = shampoo(base.clone());
    let fast_config = base
        .factor_precision(FactorPrecision::F32)
        .root_precision(RootPrecision::F32);
    let mut fast = shampoo(fast_config.clone());
    let worst = side_by_side(&mut exact, &mut |m, g| fast.step(m, g).unwrap(), 20);
    assert!(worst < 1e-4, "max |f64 - f32| = {worst:e}");
    assert!(worst > 0.0, "the f32 run is not a separate computation");
    // Checkpoints keep their precision: an f64 state does not load into an f32 optimizer.
    let mut d = StateDict::new();
    exact.save_state("s", &mut d).unwrap();
    let mut f32_opt = shampoo(fast_config);
    match f32_opt.load_state("s", &d) {
        Err(ReinError::State { name, reason }) => {
            assert!(
                name.contains("/factor0") && reason.contains("F32"),
                "{name}: {reason}"
            )
        }
        other => panic!("expected a State error, got {other:?}"),
    }
}
