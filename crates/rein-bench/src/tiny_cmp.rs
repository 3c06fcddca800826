//! Workload 1 of spec 07: the tiny constrained minimization problem
//!
//! ```text
//! min_x ||x||^2   s.t.   A x - b <= 0,      x in R^n, A in R^{m x n}   (n = 10, m = 5)
//! ```
//!
//! with one dense inequality group `ineq` of `m` multipliers, primal SGD (`x <- x - eta_x grad`)
//! and projected dual SGD (`lambda <- max(0, lambda + eta_lambda (A x - b))`), under each
//! scheme (`--scheme`). At this size the step is all overhead: this workload measures what a
//! user pays per step beyond the arithmetic.
//!
//! The generated problem (`--write-problem`, from `--seed`): rows of `A` uniform in
//! `[-1, 1]^n`; `b_i = -(0.5 + u_i)` for the first `max(1, m / 2)` rows (so `x = 0` is infeasible
//! and the optimum has active constraints) and `b_i = 0.5 + u_i` for the others, `u_i` uniform
//! in `[0, 1)`; `x0` uniform in `[-1, 1]^n`. The writer also solves the KKT system exactly (see
//! [`kkt_point`]) and stores `x_star`, `lambda_star`, so both sides report their distance to it.
//!
//! Quality reported (computed on the host in f64 from the final iterate, identically on the
//! reference side): objective `||x||^2`, `constraints.ineq = A x - b`, `multipliers.ineq`,
//! `extra`: `x[i]`, `dist_x` = `||x - x*||`, `dist_lambda` = `||lambda - lambda*||`.

use anyhow::{Context, Result, bail};
use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use clap::{Args, ValueEnum};
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::{AlternatingDualPrimal, AlternatingPrimalDual, Extragradient, SimultaneousGda};
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};

use crate::common::CommonArgs;
use crate::problem_file::ProblemFile;
use crate::report::{Quality, RunReport};

/// Name of the constraint group on both sides.
pub const GROUP: &str = "ineq";

/// The update scheme (the same four names as `bench/reference/tiny_cmp.py --scheme`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Scheme {
    /// Simultaneous GDA (Cooper `SimultaneousOptimizer`).
    Simultaneous,
    /// Primal step, violations re-evaluated at the new point, dual step (Cooper
    /// `AlternatingPrimalDualOptimizer`).
    AlternatingPrimalDual,
    /// Dual step, then primal step with the new multipliers (Cooper
    /// `AlternatingDualPrimalOptimizer`).
    AlternatingDualPrimal,
    /// Extragradient with SGD steps (Cooper `ExtrapolationConstrainedOptimizer` + `ExtraSGD`).
    Extragradient,
}

impl Scheme {
    /// The name used on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Self::Simultaneous => "simultaneous",
            Self::AlternatingPrimalDual => "alternating-primal-dual",
            Self::AlternatingDualPrimal => "alternating-dual-primal",
            Self::Extragradient => "extragradient",
        }
    }
}

/// `rein-bench tiny-cmp`.
#[derive(Args, Debug, Clone)]
pub struct TinyCmpArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Update scheme.
    #[arg(long, value_enum, default_value = "simultaneous")]
    pub scheme: Scheme,
    /// Number of variables (problem writing only).
    #[arg(long, default_value_t = 10)]
    pub n: usize,
    /// Number of inequality constraints (problem writing only).
    #[arg(long, default_value_t = 5)]
    pub m: usize,
    /// Primal SGD learning rate (problem writing only; stored in the problem's meta).
    #[arg(long, default_value_t = 0.005)]
    pub primal_lr: f64,
    /// Dual SGD learning rate (problem writing only; stored in the problem's meta).
    #[arg(long, default_value_t = 0.01)]
    pub dual_lr: f64,
}

/// The model: a vector of parameters.
#[derive(Module, Debug)]
pub struct Point {
    /// The parameters.
    pub x: Param<Tensor<1>>,
}

impl Point {
    /// A point with these values on `device`.
    pub fn new(values: &[f64], device: &Device) -> Self {
        let t = Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device);
        Self {
            x: Param::from_tensor(t),
        }
    }

    /// The current values, as f64 on the host.
    pub fn values(&self) -> Result<Vec<f64>> {
        self.x
            .val()
            .to_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .map_err(|e| anyhow::anyhow!("reading the parameters: {e:?}"))
    }
}

/// SplitMix64 (Steele, Lea & Flood 2014): the deterministic generator of every problem here.
pub struct SplitMix(pub u64);

impl SplitMix {
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` (53 random bits).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `[-1, 1)`.
    pub fn symmetric(&mut self) -> f64 {
        2.0 * self.unit() - 1.0
    }
}

/// Solves `S z = r` for a small symmetric positive definite `S` (k x k, row-major) by Gaussian
/// elimination with partial pivoting; `None` if `S` is (numerically) singular.
fn solve(mut s: Vec<f64>, mut r: Vec<f64>, k: usize) -> Option<Vec<f64>> {
    for c in 0..k {
        let p = (c..k).max_by(|&i, &j| s[i * k + c].abs().total_cmp(&s[j * k + c].abs()))?;
        if s[p * k + c].abs() < 1e-12 {
            return None;
        }
        for j in 0..k {
            s.swap(c * k + j, p * k + j);
        }
        r.swap(c, p);
        for i in c + 1..k {
            let f = s[i * k + c] / s[c * k + c];
            for j in c..k {
                s[i * k + j] -= f * s[c * k + j];
            }
            r[i] -= f * r[c];
        }
    }
    let mut z = vec![0.0; k];
    for c in (0..k).rev() {
        let tail: f64 = (c + 1..k).map(|j| s[c * k + j] * z[j]).sum();
        z[c] = (r[c] - tail) / s[c * k + c];
    }
    Some(z)
}

/// The KKT point of `min ||x||^2 s.t. A x <= b` (`A` is `m x n`, row-major), by enumerating
/// active sets `S` (`m <= 16`):
///
/// ```text
/// grad: 2 x + A^T lambda = 0  =>  x = -A_S^T lambda_S / 2
/// active: A_S x = b_S         =>  lambda_S = -2 (A_S A_S^T)^{-1} b_S
/// ```
///
/// accepted when `lambda_S >= 0` and `A x <= b` (tolerance 1e-10). The problem is strictly
/// convex, so the KKT point is unique. Returns `(x*, lambda*)`.
pub fn kkt_point(a: &[f64], b: &[f64], n: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let m = b.len();
    if m > 16 {
        bail!("kkt_point enumerates active sets: m = {m} > 16 is too many");
    }
    let row = |i: usize| &a[i * n..(i + 1) * n];
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(p, q)| p * q).sum::<f64>();
    for mask in 0u32..(1 << m) {
        let active: Vec<usize> = (0..m).filter(|i| mask & (1 << i) != 0).collect();
        let k = active.len();
        let gram: Vec<f64> = active
            .iter()
            .flat_map(|&i| active.iter().map(move |&j| (i, j)))
            .map(|(i, j)| dot(row(i), row(j)))
            .collect();
        let rhs: Vec<f64> = active.iter().map(|&i| -2.0 * b[i]).collect();
        let Some(lambda_s) = solve(gram, rhs, k) else {
            continue;
        };
        if lambda_s.iter().any(|l| *l < -1e-10) {
            continue;
        }
        let mut x = vec![0.0; n];
        for (&i, l) in active.iter().zip(&lambda_s) {
            for (xj, aij) in x.iter_mut().zip(row(i)) {
                *xj -= 0.5 * l * aij;
            }
        }
        if (0..m).any(|i| dot(row(i), &x) - b[i] > 1e-10) {
            continue;
        }
        let mut lambda = vec![0.0; m];
        for (&i, l) in active.iter().zip(&lambda_s) {
            lambda[i] = l.max(0.0);
        }
        return Ok((x, lambda));
    }
    bail!("no active set satisfies the KKT conditions (is A x <= b feasible?)")
}

/// Generates and writes the problem file.
fn write_problem(args: &TinyCmpArgs) -> Result<()> {
    let (n, m) = (args.n, args.m);
    if n == 0 || m == 0 {
        bail!("--n and --m must be at least 1 (got n = {n}, m = {m})");
    }
    let mut rng = SplitMix(args.common.seed ^ 0x7135_C3B0_0000_0001);
    let a: Vec<f64> = (0..m * n).map(|_| rng.symmetric()).collect();
    let infeasible_at_zero = (m / 2).max(1);
    let b: Vec<f64> = (0..m)
        .map(|i| {
            let u = 0.5 + rng.unit();
            if i < infeasible_at_zero { -u } else { u }
        })
        .collect();
    let x0: Vec<f64> = (0..n).map(|_| rng.symmetric()).collect();
    let (x_star, lambda_star) = kkt_point(&a, &b, n)?;
    let mut p = ProblemFile::new();
    p.set_meta("workload", "tiny-cmp");
    p.set_meta("n", n);
    p.set_meta("m", m);
    p.set_meta("seed", args.common.seed);
    p.set_meta("primal_lr", args.primal_lr);
    p.set_meta("dual_lr", args.dual_lr);
    p.set_meta(
        "active_at_optimum",
        lambda_star.iter().filter(|l| **l > 0.0).count(),
    );
    p.put_f64("A", &[m, n], &a)?;
    p.put_f64("b", &[m], &b)?;
    p.put_f64("x0", &[n], &x0)?;
    p.put_f64("x_star", &[n], &x_star)?;
    p.put_f64("lambda_star", &[m], &lambda_star)?;
    p.write(args.common.problem_path()?)
}

/// The problem on the rein side: `A` and `b` as constant tensors on the device.
struct TinyProblem {
    a: Tensor<2>,
    b: Tensor<1>,
    n: usize,
    m: usize,
}

impl TinyProblem {
    /// `A x - b` for `x` of length `n`.
    fn violation(&self, x: Tensor<1>) -> Tensor<1> {
        self.a
            .clone()
            .matmul(x.reshape([self.n, 1]))
            .reshape([self.m])
            - self.b.clone()
    }
}

impl Cmp<Point> for TinyProblem {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let x = model.x.val();
        let g = self.violation(x.clone());
        Ok(CmpState::new()
            .loss((x.clone() * x).sum())
            .observe(GROUP, ConstraintState::new(g)))
    }

    /// Violations only, without a graph (used by the primal-dual alternating scheme after its
    /// primal step; the Cooper side implements `compute_violations` the same way).
    fn compute_violations(&mut self, model: &Point, _: &()) -> Option<rein::Result<CmpState>> {
        let g = self.violation(model.x.val().detach());
        Some(Ok(CmpState::new().observe(GROUP, ConstraintState::new(g))))
    }
}

/// Host-side quality of the final iterate, as the reference computes it.
fn quality(p: &ProblemFile, x: &[f64], lambda: &[f64]) -> Result<Quality> {
    let (shape, a) = p.f64("A")?;
    let (_, b) = p.f64("b")?;
    let (_, x_star) = p.f64("x_star")?;
    let (_, lambda_star) = p.f64("lambda_star")?;
    let n = shape[1];
    let g: Vec<f64> = b
        .iter()
        .enumerate()
        .map(|(i, bi)| {
            a[i * n..(i + 1) * n]
                .iter()
                .zip(x)
                .map(|(p, q)| p * q)
                .sum::<f64>()
                - bi
        })
        .collect();
    let dist = |u: &[f64], v: &[f64]| {
        u.iter()
            .zip(v)
            .map(|(p, q)| (p - q) * (p - q))
            .sum::<f64>()
            .sqrt()
    };
    let mut q = Quality {
        objective: Some(x.iter().map(|v| v * v).sum()),
        ..Quality::default()
    };
    q.constraints.insert(GROUP.into(), g);
    q.multipliers.insert(GROUP.into(), lambda.to_vec());
    for (i, v) in x.iter().enumerate() {
        q.extra.insert(format!("x[{i}]"), *v);
    }
    q.extra.insert("dist_x".into(), dist(x, &x_star));
    q.extra
        .insert("dist_lambda".into(), dist(lambda, &lambda_star));
    Ok(q)
}

/// Runs the timed steps of `opt` and reports.
fn run_with<S: ConstrainedOptimizer>(
    args: &TinyCmpArgs,
    p: &ProblemFile,
    mut problem: TinyProblem,
    mut model: Point,
    mut opt: S,
) -> Result<RunReport> {
    let step_ns = args.common.time_steps(|| {
        opt.step(&mut problem, &mut model, &())
            .context("tiny-cmp step")?;
        Ok(())
    })?;
    let x = model.values()?;
    let lambda = opt
        .constraints()
        .get(GROUP)
        .and_then(|e| e.multipliers())
        .context("the `ineq` group has no multipliers")?
        .to_vec();
    let q = quality(p, &x, &lambda)?;
    Ok(args
        .common
        .report("tiny-cmp", args.scheme.name(), step_ns, q))
}

/// `rein-bench tiny-cmp`.
/// Writes the problem and returns `None` with `--write-problem`.
pub fn run(args: &TinyCmpArgs) -> Result<Option<RunReport>> {
    if args.common.write_problem {
        write_problem(args)?;
        return Ok(None);
    }
    let p = ProblemFile::read(args.common.problem_path()?)?;
    let (n, m) = (p.meta_usize("n")?, p.meta_usize("m")?);
    let (a_shape, a) = p.f64("A")?;
    if a_shape != [m, n] {
        bail!("problem tensor `A` has shape {a_shape:?}, meta says [{m}, {n}]");
    }
    let (_, b) = p.f64("b")?;
    let (_, x0) = p.f64("x0")?;
    if b.len() != m || x0.len() != n {
        bail!(
            "problem tensors `b` ({}) / `x0` ({}) do not match m = {m}, n = {n}",
            b.len(),
            x0.len()
        );
    }
    let device = args.common.open_device()?;
    let problem = TinyProblem {
        a: Tensor::from_data(TensorData::new(a, [m, n]), &device),
        b: Tensor::from_data(TensorData::new(b, [m]), &device),
        n,
        m,
    };
    let model = Point::new(&x0, &device);
    let primal = Sgd::new(SgdConfig::new(p.meta_f64("primal_lr")?))?;
    let dual = DualSgd::new(p.meta_f64("dual_lr")?)?;
    let constraints = Constraints::new().add(Constraint::inequality(GROUP, m))?;
    let report = match args.scheme {
        Scheme::Simultaneous => run_with(
            args,
            &p,
            problem,
            model,
            SimultaneousGda::new(primal, dual, constraints)?,
        ),
        Scheme::AlternatingPrimalDual => run_with(
            args,
            &p,
            problem,
            model,
            AlternatingPrimalDual::new(primal, dual, constraints)?,
        ),
        Scheme::AlternatingDualPrimal => run_with(
            args,
            &p,
            problem,
            model,
            AlternatingDualPrimal::new(primal, dual, constraints)?,
        ),
        Scheme::Extragradient => run_with(
            args,
            &p,
            problem,
            model,
            Extragradient::new(primal, dual, constraints)?,
        ),
    }?;
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kkt_point_of_a_known_problem() {
        // min x^2 + y^2 s.t. -x - y <= -1 (x + y >= 1), x <= 5: x* = (1/2, 1/2), lambda* = (1, 0).
        let a = [-1.0, -1.0, 1.0, 0.0];
        let b = [-1.0, 5.0];
        let (x, l) = kkt_point(&a, &b, 2).unwrap();
        for (got, want) in x.iter().zip([0.5, 0.5]) {
            assert!((got - want).abs() < 1e-12, "{x:?}");
        }
        assert!((l[0] - 1.0).abs() < 1e-12 && l[1] == 0.0, "{l:?}");
        // Infeasible: x <= -1 and -x <= -1.
        assert!(kkt_point(&[1.0, -1.0], &[-1.0, -1.0], 1).is_err());
    }
}
