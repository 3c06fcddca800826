//! One conformance suite over every primal optimizer of rein (optax's common test suite is the
//! model): a known first step, convergence on a quadratic, a bit-exact state round trip,
//! parameter groups, the learning-rate scale, and bad gradients rejected with nothing changed.
//!
//! A new optimizer joins by one `conformance!` line at the bottom: a factory (given an optional
//! parameter group) and its first step on `f(x) = 1/2 sum a_i (x_i - c_i)^2`.

use std::rc::Rc;

use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};
use rein::config::PrimalConfig;
use rein::dist::{DataParallel, SingleProcess};
use rein::optim::{
    Adam, AdamConfig, Clamp, DistributedShampoo, Grafting, Momentum, ParamGrads, ParamGroup,
    PrimalOptimizer, Projected, Sgd, SgdConfig, Shampoo, ShampooConfig, WeightDecay,
};
use rein::{ReinError, StateDict};
use rein_testing::prelude::device;

/// Two parameters, so that groups and whole-set rules are exercised: a 2x3 matrix and a vector.
#[derive(Module, Debug)]
struct Two {
    w: Param<Tensor<2>>,
    b: Param<Tensor<1>>,
}

const W0: [f64; 6] = [0.5, -1.0, 2.0, 0.25, -0.75, 1.5];
const B0: [f64; 3] = [1.0, -2.0, 0.5];
/// Curvatures and targets of `f = 1/2 sum a (x - c)^2` over the concatenation `[w, b]`.
const A: [f64; 9] = [1.0, 2.0, 0.5, 1.5, 1.0, 3.0, 2.0, 1.0, 0.75];
const C: [f64; 9] = [0.1, 0.2, -0.3, 0.4, -0.5, 0.6, -0.7, 0.8, 0.9];

impl Two {
    fn new() -> Self {
        let d = device();
        Self {
            w: Param::from_tensor(Tensor::from_data(TensorData::new(W0.to_vec(), [2, 3]), &d)),
            b: Param::from_tensor(Tensor::from_data(TensorData::new(B0.to_vec(), [3]), &d)),
        }
    }
    fn values(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self.w.val().to_data().iter::<f64>().collect();
        v.extend(self.b.val().to_data().iter::<f64>());
        v
    }
    fn grads(&self) -> ParamGrads {
        let d = device();
        let x = Tensor::cat(vec![self.w.val().reshape([6]), self.b.val()], 0);
        let a = Tensor::<1>::from_data(TensorData::new(A.to_vec(), [9]), &d);
        let c = Tensor::<1>::from_data(TensorData::new(C.to_vec(), [9]), &d);
        let r = x - c;
        let f = (r.clone() * r * a).sum().mul_scalar(0.5);
        ParamGrads::from_backward(self, &f.backward())
    }
}

/// `grad f` at `x`, on the host.
fn grad_at(x: &[f64]) -> Vec<f64> {
    x.iter()
        .zip(A)
        .zip(C)
        .map(|((x, a), c)| a * (x - c))
        .collect()
}

fn x0() -> Vec<f64> {
    W0.iter().chain(&B0).copied().collect()
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

fn run<O: PrimalOptimizer>(opt: &mut O, mut model: Two, steps: usize) -> Two {
    for _ in 0..steps {
        let g = model.grads();
        model = opt.step(model, &g).expect("step");
    }
    model
}

fn state_of<O: PrimalOptimizer>(opt: &O) -> StateDict {
    let mut d = StateDict::new();
    opt.save_state("opt", &mut d).unwrap();
    d
}

fn same_state(a: &StateDict, b: &StateDict) -> bool {
    a.keys().eq(b.keys())
        && a.keys().all(|k| {
            let (x, y) = (a.get_data(k).unwrap(), b.get_data(k).unwrap());
            x.dtype() == y.dtype() && x.shape() == y.shape() && x.as_bytes() == y.as_bytes()
        })
}

/// An optimizer's known first step: `(x0, grad f(x0)) -> x1`.
type FirstStep = dyn Fn(&[f64], &[f64]) -> Vec<f64>;

/// The checks every optimizer passes.
fn conformance<O: PrimalOptimizer>(
    name: &str,
    make: &dyn Fn(Option<ParamGroup>) -> O,
    first_step: &FirstStep,
    steps_to_converge: usize,
) {
    // 1. The known first step.
    let mut opt = make(None);
    let x1 = run(&mut opt, Two::new(), 1).values();
    let expected = first_step(&x0(), &grad_at(&x0()));
    assert!(
        max_diff(&x1, &expected) < 1e-12,
        "{name}: first step {x1:?}, expected {expected:?}"
    );

    // 2. Convergence on the quadratic.
    let mut opt = make(None);
    let x = run(&mut opt, Two::new(), steps_to_converge).values();
    assert!(
        max_diff(&x, &C) < 1e-3,
        "{name}: after {steps_to_converge} steps {x:?}"
    );

    // 3. State round trip: save after 3 steps, load into a fresh optimizer, 3 more steps on
    // both: bit for bit equal.
    let mut a = make(None);
    let model = run(&mut a, Two::new(), 3);
    let saved = state_of(&a);
    let mut b = make(None);
    b.load_state("opt", &saved).unwrap();
    assert!(
        same_state(&saved, &state_of(&b)),
        "{name}: state changed by the round trip"
    );
    let xa = run(&mut a, model.clone(), 3).values();
    let xb = run(&mut b, model.clone(), 3).values();
    assert_eq!(xa, xb, "{name}: resumed run differs");

    // 4. Parameter groups: a group with learning rate 0 does not move (a clamp, decoupled
    // decay and Shampoo's grafting all scale with the learning rate).
    let mut opt = make(Some(ParamGroup::new("frozen", ["b"]).lr(0.0)));
    let x = run(&mut opt, Two::new(), 3).values();
    assert_eq!(&x[6..], &B0, "{name}: the frozen group moved");
    assert!(
        max_diff(&x[..6], &W0) > 1e-6,
        "{name}: the other group did not move"
    );

    // 5. The learning-rate scale: 0 freezes every parameter.
    let mut opt = make(None);
    opt.set_lr_scale(0.0).unwrap();
    assert_eq!(
        run(&mut opt, Two::new(), 2).values(),
        x0(),
        "{name}: scale 0 moved"
    );
    assert!(
        opt.set_lr_scale(-1.0).is_err(),
        "{name}: negative scale accepted"
    );

    // 6. A NaN gradient is an error naming the parameter, and nothing changes.
    let mut opt = make(None);
    let model = run(&mut opt, Two::new(), 2);
    let before = state_of(&opt);
    let mut bad = model.grads();
    let nan = Tensor::<1>::from_data(TensorData::new(vec![0.0, f64::NAN, 0.0], [3]), &device());
    bad.set("b", nan);
    let kept = model.clone();
    match opt.step(model, &bad) {
        Err(ReinError::NonFiniteGradient { param, entry, .. }) => {
            assert_eq!((param.as_str(), entry), ("b", 1), "{name}");
        }
        other => panic!("{name}: a NaN gradient gave {other:?}"),
    }
    assert!(
        same_state(&before, &state_of(&opt)),
        "{name}: state changed by a bad step"
    );
    let next = run(&mut opt, kept, 1).values();
    assert!(next.iter().all(|v| v.is_finite()), "{name}: {next:?}");
}

macro_rules! conformance {
    ($test:ident, $make:expr, $first:expr, $steps:expr) => {
        #[test]
        fn $test() {
            conformance(stringify!($test), &$make, &$first, $steps);
        }
    };
}

fn with_group<O>(opt: O, group: Option<ParamGroup>, add: impl Fn(O, ParamGroup) -> O) -> O {
    match group {
        Some(g) => add(opt, g),
        None => opt,
    }
}

fn sgd(m: Momentum, g: Option<ParamGroup>) -> Sgd {
    let opt = Sgd::new(SgdConfig::new(0.1).momentum(m)).unwrap();
    with_group(opt, g, |o, g| o.with_group(g).unwrap())
}

fn adam(w: WeightDecay, g: Option<ParamGroup>) -> Adam {
    let opt = Adam::new(AdamConfig::new(0.05).weight_decay(w)).unwrap();
    with_group(opt, g, |o, g| o.with_group(g).unwrap())
}

/// Shampoo before its start step, no filtering: the AdaGrad-grafted step (its preconditioned
/// first steps, the polar factor `lr U V^T` and `lr g / ||g||`, are checked in `shampoo.rs`).
fn shampoo_config() -> ShampooConfig {
    ShampooConfig::new(0.1)
        .betas(0.0, 1.0)
        .grafting(Grafting::AdaGrad { eps: 1e-10 })
        .start_preconditioning_step(u64::MAX)
}

fn shampoo(g: Option<ParamGroup>) -> Shampoo {
    let opt = Shampoo::new(shampoo_config()).unwrap();
    with_group(opt, g, |o, g| o.with_group(g).unwrap())
}

fn distributed_shampoo(g: Option<ParamGroup>) -> DistributedShampoo {
    let opt = DistributedShampoo::new(shampoo_config(), Rc::new(SingleProcess)).unwrap();
    with_group(opt, g, |o, g| o.with_group(g).unwrap())
}

fn from_config(text: &str, g: Option<ParamGroup>) -> Box<dyn PrimalOptimizer> {
    let mut c: PrimalConfig = toml::from_str(text).unwrap();
    if let Some(g) = g {
        c.set_group_lr(&g.name, &g.params, g.lr.unwrap());
    }
    c.build().unwrap()
}

/// `x - lr g`.
fn gd(lr: f64) -> impl Fn(&[f64], &[f64]) -> Vec<f64> {
    move |x, g| x.iter().zip(g).map(|(x, g)| x - lr * g).collect()
}

/// Adam's first step: `m_hat = g`, `v_hat = g^2`, so `x (1 - lr w) - lr g / (|g| + eps)`.
fn adam_first(lr: f64, decoupled: f64) -> impl Fn(&[f64], &[f64]) -> Vec<f64> {
    move |x, g| {
        x.iter()
            .zip(g)
            .map(|(x, g)| x * (1.0 - lr * decoupled) - lr * g / (g.abs() + 1e-8))
            .collect()
    }
}

/// AdaGrad grafting alone (Shampoo before its start step): `x - lr g / (|g| + 1e-10)`.
fn adagrad_first(lr: f64) -> impl Fn(&[f64], &[f64]) -> Vec<f64> {
    move |x, g| {
        x.iter()
            .zip(g)
            .map(|(x, g)| x - lr * g / (g.abs() + 1e-10))
            .collect()
    }
}

conformance!(sgd_plain, |g| sgd(Momentum::None, g), gd(0.1), 400);
conformance!(
    sgd_heavy_ball,
    |g| sgd(Momentum::HeavyBall(0.5), g),
    gd(0.1),
    400
);
conformance!(
    sgd_nesterov,
    |g| sgd(Momentum::Nesterov(0.5), g),
    gd(0.1 * 1.5),
    400
);
conformance!(
    sgd_l2_decay,
    |g| {
        let opt = Sgd::new(SgdConfig::new(0.1).weight_decay(WeightDecay::L2(0.0))).unwrap();
        with_group(opt, g, |o, g| o.with_group(g).unwrap())
    },
    gd(0.1),
    400
);
conformance!(
    adam_plain,
    |g| adam(WeightDecay::None, g),
    adam_first(0.05, 0.0),
    2000
);
conformance!(
    adamw_zero_decay,
    |g| adam(WeightDecay::Decoupled(0.0), g),
    adam_first(0.05, 0.0),
    2000
);
conformance!(shampoo_grafted, shampoo, adagrad_first(0.1), 3000);
conformance!(
    distributed_shampoo_one_rank,
    distributed_shampoo,
    adagrad_first(0.1),
    3000
);
conformance!(
    data_parallel_adam,
    |g| DataParallel::new(adam(WeightDecay::None, g), Rc::new(SingleProcess)),
    adam_first(0.05, 0.0),
    2000
);
conformance!(
    projected_adam,
    |g| Projected::new(adam(WeightDecay::None, g)).with(Clamp::new(["w"], -10.0, 10.0).unwrap()),
    adam_first(0.05, 0.0),
    2000
);
conformance!(
    boxed_sgd_from_config,
    |g| from_config("kind = 'sgd'\nlr = 0.1", g),
    gd(0.1),
    400
);
conformance!(
    boxed_adamw_from_config,
    |g| from_config("kind = 'adamw'\nlr = 0.05", g),
    adam_first(0.05, 0.0),
    2000
);
conformance!(
    boxed_shampoo_from_config,
    |g| from_config(
        "kind = 'shampoo'\nlr = 0.1\nbetas = [0.0, 1.0]\nstart_preconditioning_step = 18446744073709551615",
        g
    ),
    adagrad_first(0.1),
    3000
);

/// Decoupled weight decay with a nonzero coefficient (not at the quadratic's minimum, so only
/// the first step is checked).
#[test]
fn adamw_first_step_decays() {
    let mut opt = adam(WeightDecay::Decoupled(0.1), None);
    let x1 = run(&mut opt, Two::new(), 1).values();
    let expected = adam_first(0.05, 0.1)(&x0(), &grad_at(&x0()));
    assert!(max_diff(&x1, &expected) < 1e-12, "{x1:?} vs {expected:?}");
}
