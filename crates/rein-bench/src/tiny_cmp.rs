//! Workload 1 of `bench/README.md`: the tiny constrained minimization problem
//!
//! ```text
//! min_x ||x||^2   s.t.   A x - b <= 0,      x in R^n, A in R^{m x n}   (n = 10, m = 5)
//! ```
//!
//! ([`MinNormLinear`]) with one dense inequality group `ineq` of `m` multipliers, primal SGD
//! (`x <- x - eta_x grad`) and projected dual SGD
//! (`lambda <- max(0, lambda + eta_lambda (A x - b))`), under each scheme (`--scheme`). At this size the step is all overhead: this workload measures
//! what a user pays per step beyond the arithmetic.
//!
//! The generated problem (`--write-problem`, from `--seed`): rows of `A` uniform in `[-1, 1]^n`;
//! `b_i = -(0.5 + u_i)` for the first `max(1, m / 2)` rows (so `x = 0` is infeasible and the
//! optimum has active constraints) and `b_i = 0.5 + u_i` for the others, `u_i` uniform in `[0, 1)`;
//! `x0` uniform in `[-1, 1]^n`, all drawn by SplitMix64. The writer also solves the KKT system
//! exactly (see [`kkt_point`], by active-set enumeration) and stores `x_star`, `lambda_star`, so
//! both sides report their distance to it.
//!
//! Quality reported (computed on the host in f64 from the final iterate, identically on the
//! reference side): objective `||x||^2`, `constraints.ineq = A x - b`, `multipliers.ineq`,
//! `extra`: `x[i]`, `dist_x` = `||x - x*||`, `dist_lambda` = `||lambda - lambda*||`.

use anyhow::{Context, Result, bail};
use burn::tensor::{Tensor, TensorData};
use clap::{Args, ValueEnum};
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::SchemeKind;
use rein::{ConstrainedOptimizer, Constraint, Constraints, Stateful};
use rein_testing::linalg::kkt_point;
use rein_testing::problems::{MinNormLinear, Point};
use rein_testing::rng::SplitMix64;

use crate::common::{self, CommonArgs};
use crate::problem_file::ProblemFile;
use crate::report::{HeldBytes, Quality, RunReport};

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

/// Generates and writes the problem file.
fn write_problem(args: &TinyCmpArgs) -> Result<()> {
    let (n, m) = (args.n, args.m);
    if n == 0 || m == 0 {
        bail!("--n and --m must be at least 1 (got n = {n}, m = {m})");
    }
    let mut rng = SplitMix64::new(args.common.seed ^ 0x7135_C3B0_0000_0001);
    let a: Vec<f64> = (0..m * n).map(|_| rng.symmetric()).collect();
    let infeasible_at_zero = (m / 2).max(1);
    let b: Vec<f64> = (0..m)
        .map(|i| {
            let u = 0.5 + rng.unit();
            if i < infeasible_at_zero { -u } else { u }
        })
        .collect();
    let x0: Vec<f64> = (0..n).map(|_| rng.symmetric()).collect();
    let rows: Vec<Vec<f64>> = a.chunks(n).map(<[f64]>::to_vec).collect();
    let (x_star, lambda_star) = kkt_point(&rows, &b)?;
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
fn run_with<S: ConstrainedOptimizer + Stateful>(
    args: &TinyCmpArgs,
    p: &ProblemFile,
    mut problem: MinNormLinear,
    mut model: Point,
    mut opt: S,
) -> Result<RunReport> {
    let step_ns = args.common.time_steps(|| {
        opt.step(&mut problem, &mut model, &())
            .context("tiny-cmp step")?;
        Ok(())
    })?;
    let x = model.values();
    let lambda = opt
        .constraints()
        .get(GROUP)
        .and_then(|e| e.multipliers())
        .context("the `ineq` group has no multipliers")?
        .to_vec();
    let q = quality(p, &x, &lambda)?;
    // A, b (the problem's tensors on the device) and x, all float64 (--f64) or float32.
    let fb = args.common.float_bytes();
    let mut held = HeldBytes::new();
    held.add("problem", ((x.len() + 1) * lambda.len()) as u64 * fb)
        .add("model", x.len() as u64 * fb);
    common::add_optimizer_state(&mut held, &opt)?;
    let mut report = args
        .common
        .report("tiny-cmp", args.scheme.name(), step_ns, q);
    report.set_held(held);
    Ok(report)
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
    let problem = MinNormLinear::new(
        Tensor::from_data(TensorData::new(a, [m, n]), &device),
        Tensor::from_data(TensorData::new(b, [m]), &device),
        GROUP,
    );
    let model = Point::on(&x0, &device);
    let primal = Sgd::new(SgdConfig::new(p.meta_f64("primal_lr")?))?;
    let dual = DualSgd::new(p.meta_f64("dual_lr")?)?;
    let constraints = Constraints::new().add(Constraint::inequality(GROUP, m))?;
    // The bench's scheme names are rein's configuration names: built at run time.
    let kind: SchemeKind = args.scheme.name().parse()?;
    let opt = kind.build(primal, Some(Box::new(dual)), constraints)?;
    let report = run_with(args, &p, problem, model, opt)?;
    Ok(Some(report))
}
