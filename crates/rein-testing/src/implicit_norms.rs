//! Which interpolant each primal optimizer of rein reaches on over-parameterised least
//! squares (Vaswani et al. 2020, "To Each Optimizer a Norm, To Each Norm its Generalization",
//! arXiv:2006.06821; Gunasekar et al. 2018, ICML). Shared by the test suite
//! `rein/tests/implicit_norms.rs` and the `rein norms` command.
//!
//! The problem: `min_w f(w) = 1/(2n) ||X w - y||^2` with `X` `n x d`, `n < d`, the weights
//! held by a burn module of two matrix parameters `a`, `b` (`p x q` each, `d = 2 p q`; `w` is
//! their row-major concatenation) so that Shampoo's Kronecker factors and parameter groups
//! apply. The known answers ([`crate::least_squares`]):
//!
//! * GD, heavy ball and Nesterov from `w0` reach `w0 + X^+ (y - X w0)`;
//! * GD with a fixed diagonal preconditioner — rein's parameter groups: `b` with `k` times
//!   the learning rate of `a`, i.e. `A^-1 = diag(1 (a), k (b))` — reaches the `A`-norm
//!   interpolant `argmin ||w - w0||_A s.t. X w = y`;
//! * AdaGrad (Shampoo with its preconditioner never started and AdaGrad grafting, `betas = (0,
//!   1)`: `w -= lr g / (sqrt(sum g^2) + eps)`), Adam and Shampoo interpolate, in general with a
//!   larger L2 norm than `X^+ y` (from `w0 = 0`); the row-space projection of their solution
//!   is `X^+ y` (true of every interpolant).

use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};
use rein::optim::{
    Adam, AdamConfig, Grafting, Momentum, ParamGrads, ParamGroup, PrimalOptimizer, Sgd, SgdConfig,
    Shampoo, ShampooConfig,
};

use crate::device::{constant, device, host, matvec};
use crate::least_squares::{
    a_norm_interpolant, min_norm_solution, nearest_interpolant, norm, residual,
    row_space_projection,
};
use crate::rng::SplitMix64;

/// The weights: two `p x q` matrices.
#[derive(Module, Debug)]
pub struct Weights {
    a: Param<Tensor<2>>,
    b: Param<Tensor<2>>,
}

impl Weights {
    /// Weights `w` (length `2 p q`) as the two matrices.
    pub fn new(w: &[f64], p: usize, q: usize) -> Self {
        let d = device();
        let half = p * q;
        let t = |v: &[f64]| Tensor::from_data(TensorData::new(v.to_vec(), [p, q]), &d);
        Self {
            a: Param::from_tensor(t(&w[..half])),
            b: Param::from_tensor(t(&w[half..])),
        }
    }

    /// The weights as one vector (`a` then `b`, row-major).
    pub fn values(&self) -> Vec<f64> {
        let mut v = host(&self.a.val());
        v.extend(host(&self.b.val()));
        v
    }
}

/// An over-parameterised least-squares problem.
#[derive(Debug, Clone)]
pub struct LeastSquares {
    /// `X`, `n x d` by rows.
    pub x: Vec<Vec<f64>>,
    /// `y`, length `n`.
    pub y: Vec<f64>,
    /// Rows `p` of each weight matrix.
    pub p: usize,
    /// Columns `q` of each weight matrix.
    pub q: usize,
}

impl LeastSquares {
    /// `n` equations in `d = 2 p q` unknowns, entries of `X` and `y` uniform in `[-1, 1)`.
    pub fn random(n: usize, p: usize, q: usize, seed: u64) -> Self {
        let mut rng = SplitMix64::new(seed);
        Self {
            x: rng.matrix(n, 2 * p * q),
            y: rng.vector(n),
            p,
            q,
        }
    }

    /// Number of unknowns `d`.
    pub fn dim(&self) -> usize {
        2 * self.p * self.q
    }

    /// `grad f(w) = X^T (X w - y) / n`, as the gradients of [`Weights`] (a backward pass
    /// of `f` on the float64 test device).
    pub fn grads(&self, w: &Weights) -> ParamGrads {
        let half = self.p * self.q;
        let v = Tensor::cat(
            vec![w.a.val().reshape([half]), w.b.val().reshape([half])],
            0,
        );
        let r = matvec(&self.x, v) - constant(&self.y);
        let f = (r.clone() * r).sum().mul_scalar(0.5 / self.y.len() as f64);
        ParamGrads::from_backward(w, &f.backward())
    }

    /// Runs `opt` for `steps` steps from `w0`; the final weights.
    pub fn train<O: PrimalOptimizer>(
        &self,
        opt: &mut O,
        w0: &[f64],
        steps: usize,
        schedule: fn(usize, usize) -> f64,
    ) -> Vec<f64> {
        let mut w = Weights::new(w0, self.p, self.q);
        for t in 0..steps {
            opt.set_lr_scale(schedule(t, steps)).expect("a valid scale");
            let g = self.grads(&w);
            w = opt.step(w, &g).expect("a finite least-squares step");
        }
        w.values()
    }

    /// The diagonal `A` of GD with parameter groups: `1` on `a`'s entries, `1 / k` on `b`'s
    /// (`b`'s learning rate is `k` times `a`'s).
    pub fn group_preconditioner(&self, k: f64) -> Vec<Vec<f64>> {
        let d = self.dim();
        let half = self.p * self.q;
        (0..d)
            .map(|i| {
                (0..d)
                    .map(|j| {
                        if i != j {
                            0.0
                        } else if i < half {
                            1.0
                        } else {
                            1.0 / k
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// The learning-rate ratio of `b` to `a` in the parameter-group preconditioner.
pub const GROUP_RATIO: f64 = 4.0;

/// What an optimizer is expected to reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    /// `w0 + X^+ (y - X w0)`.
    NearestInterpolant,
    /// The `A`-norm interpolant of the parameter-group preconditioner.
    ANormInterpolant,
    /// Some interpolant (adaptive methods): larger L2 norm, projection `X^+ y`.
    SomeInterpolant,
}

/// One row of the table: an optimizer's final weights against the known interpolants.
#[derive(Debug, Clone)]
pub struct NormRow {
    /// Optimizer name.
    pub name: &'static str,
    /// What it should reach.
    pub expected: Expected,
    /// Steps taken.
    pub steps: usize,
    /// `||X w - y||`.
    pub residual: f64,
    /// `||w||`.
    pub l2_norm: f64,
    /// `||w - w0||`.
    pub distance_from_start: f64,
    /// `||w - (w0 + X^+ (y - X w0))||`.
    pub distance_to_nearest: f64,
    /// `||w - w_A||` (the parameter-group preconditioner's `A`-norm interpolant).
    pub distance_to_a_norm: f64,
    /// `||X^+ X w - X^+ y||`: the row-space projection against the minimum-norm solution.
    pub projection_error: f64,
}

/// One optimizer of the table: its name, what it should reach, its steps and its builder.
pub struct Case {
    /// Name in the table.
    pub name: &'static str,
    /// What it should reach.
    pub expected: Expected,
    /// Steps to run.
    pub steps: usize,
    /// Builds the optimizer.
    pub make: fn() -> Box<dyn PrimalOptimizer>,
    /// The learning-rate scale at step `t` of `steps` ([`PrimalOptimizer::set_lr_scale`]).
    pub schedule: fn(usize, usize) -> f64,
}

/// The learning-rate scale `1 - t / steps` (linear decay to 0).
pub fn linear_decay(t: usize, steps: usize) -> f64 {
    1.0 - t as f64 / steps as f64
}

/// A constant learning rate.
pub fn constant_lr(_: usize, _: usize) -> f64 {
    1.0
}

fn sgd(lr: f64, m: Momentum) -> Box<dyn PrimalOptimizer> {
    Box::new(Sgd::new(SgdConfig::new(lr).momentum(m)).expect("valid SGD"))
}

/// Every primal optimizer of rein, set up for the problems of [`LeastSquares::random`] with
/// entries in `[-1, 1)` (learning rates below `2 / L`, steps enough to interpolate to ~1e-9).
pub fn optimizers() -> Vec<Case> {
    vec![
        Case {
            name: "gd",
            expected: Expected::NearestInterpolant,
            steps: 3000,
            schedule: constant_lr,
            make: || sgd(0.25, Momentum::None),
        },
        Case {
            name: "heavy_ball",
            expected: Expected::NearestInterpolant,
            steps: 3000,
            schedule: constant_lr,
            make: || sgd(0.1, Momentum::HeavyBall(0.8)),
        },
        Case {
            name: "nesterov",
            expected: Expected::NearestInterpolant,
            steps: 3000,
            schedule: constant_lr,
            make: || sgd(0.1, Momentum::Nesterov(0.8)),
        },
        Case {
            name: "gd_param_groups",
            expected: Expected::ANormInterpolant,
            steps: 6000,
            schedule: constant_lr,
            make: || {
                let opt = Sgd::new(SgdConfig::new(0.1)).expect("valid SGD");
                let group = ParamGroup::new("b", ["b"]).lr(0.1 * GROUP_RATIO);
                Box::new(opt.with_group(group).expect("valid group"))
            },
        },
        Case {
            name: "adagrad",
            expected: Expected::SomeInterpolant,
            steps: 6000,
            schedule: constant_lr,
            make: || {
                let c = ShampooConfig::new(0.05)
                    .betas(0.0, 1.0)
                    .grafting(Grafting::AdaGrad { eps: 1e-10 })
                    .start_preconditioning_step(u64::MAX);
                Box::new(Shampoo::new(c).expect("valid AdaGrad"))
            },
        },
        Case {
            name: "adam",
            expected: Expected::SomeInterpolant,
            steps: 6000,
            // At a constant rate Adam hovers at a residual ~1e-3; decayed linearly to 0 it
            // interpolates to round-off.
            schedule: linear_decay,
            make: || Box::new(Adam::new(AdamConfig::new(1e-2)).expect("valid Adam")),
        },
        Case {
            name: "shampoo",
            expected: Expected::SomeInterpolant,
            steps: 6000,
            schedule: constant_lr,
            make: || Box::new(Shampoo::new(ShampooConfig::new(1e-2)).expect("valid Shampoo")),
        },
    ]
}

/// Runs every optimizer of [`optimizers`] on `problem` from `w0`.
pub fn table(problem: &LeastSquares, w0: &[f64]) -> Vec<NormRow> {
    let (x, y) = (&problem.x, &problem.y);
    let nearest = nearest_interpolant(x, y, w0);
    let a = problem.group_preconditioner(GROUP_RATIO);
    let wa = a_norm_interpolant(x, y, &a, w0).expect("a diagonal positive A");
    let min_norm = min_norm_solution(x, y);
    let dist =
        |u: &[f64], v: &[f64]| norm(&u.iter().zip(v).map(|(a, b)| a - b).collect::<Vec<_>>());
    optimizers()
        .into_iter()
        .map(|case| {
            let mut opt = (case.make)();
            let w = problem.train(&mut opt, w0, case.steps, case.schedule);
            NormRow {
                name: case.name,
                expected: case.expected,
                steps: case.steps,
                residual: residual(x, y, &w),
                l2_norm: norm(&w),
                distance_from_start: dist(&w, w0),
                distance_to_nearest: dist(&w, &nearest),
                distance_to_a_norm: dist(&w, &wa),
                projection_error: dist(&row_space_projection(x, &w), &min_norm),
            }
        })
        .collect()
}
