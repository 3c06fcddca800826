//! Workload 2 of `bench/README.md`: an *indexed* inequality group of `n` constraints (one per
//! "sample"), of which `observed` are evaluated per step. Time per step must be flat in `n`.
//!
//! The same problem as `crates/rein/benches/indexed_multipliers.rs` ([`PerSample`]):
//!
//! ```text
//! min_x ||x - 1||^2   s.t.   a_i . x - b_i <= 0   for every i < n,     x in R^4
//! ```
//!
//! with `a_i` uniform in `[-1, 1]^4` and `b_i` uniform in `[0, 1)`, a pure function of `i`
//! (SplitMix64 seeded with `i`), so `x = 0` is feasible and `x = 1` is not. Each step observes
//! one of `--batches` precomputed batches of `observed` distinct indices drawn uniformly from
//! `0..n` (cycled in order); the problem file stores the batches (indices, rows `a_i`, `b_i`),
//! so the reference side (Cooper's `IndexedMultiplier`) sees exactly the same data.
//!
//! Scheme: alternating dual-primal, primal SGD, dual SGD:
//!
//! ```text
//! lambda_I <- max(0, lambda_I + eta_lambda (a_I x - b_I))        (I = observed indices)
//! x        <- x - eta_x (2 (x - 1) + a_I^T lambda_I)
//! ```
//!
//! Quality: `extra.x[j]`; the observed multipliers and violations of the last batch
//! (`multipliers.per_sample.last_batch`, `constraints.per_sample.last_batch`, at the final
//! `x`); `extra.lambda_sum`, `lambda_max`, `lambda_positive` over all `n` multipliers.

use anyhow::{Context, Result, bail};
use clap::Args;
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{ConstrainedOptimizer, Constraint, Constraints};
use rein_testing::problems::{PER_SAMPLE, PerSample, PerSampleBatch, PerSampleRows, Point};
use rein_testing::rng::SplitMix64;

use crate::common::{self, CommonArgs};
use crate::problem_file::ProblemFile;
use crate::report::{HeldBytes, Quality, RunReport};

/// Name of the constraint group on both sides.
pub const GROUP: &str = PER_SAMPLE;

/// `rein-bench indexed`.
#[derive(Args, Debug, Clone)]
pub struct IndexedArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Number of constraints in the indexed group (problem writing only).
    #[arg(long, default_value_t = 1_000_000)]
    pub n: usize,
    /// Constraints observed per step (problem writing only).
    #[arg(long, default_value_t = 256)]
    pub observed: usize,
    /// Precomputed batches, cycled in order (problem writing only).
    #[arg(long, default_value_t = 64)]
    pub batches: usize,
    /// Dimension of `x` (problem writing only).
    #[arg(long, default_value_t = 4)]
    pub dim: usize,
    /// Primal SGD learning rate (problem writing only).
    #[arg(long, default_value_t = 1e-3)]
    pub primal_lr: f64,
    /// Dual SGD learning rate (problem writing only).
    #[arg(long, default_value_t = 1e-2)]
    pub dual_lr: f64,
}

fn variant(n: usize, observed: usize) -> String {
    format!("n={n},observed={observed}")
}

fn write_problem(args: &IndexedArgs) -> Result<()> {
    let (n, k, nb, dim) = (args.n, args.observed, args.batches, args.dim);
    if k == 0 || k > n || nb == 0 || dim == 0 {
        bail!(
            "need 1 <= --observed <= --n, --batches >= 1, --dim >= 1 (got observed = {k}, n = {n}, batches = {nb}, dim = {dim})"
        );
    }
    let mut rng = SplitMix64::new(args.common.seed ^ 0x1DE0_0000_0000_0000 ^ n as u64);
    let (mut indices, mut a, mut b) = (
        Vec::with_capacity(nb * k),
        Vec::with_capacity(nb * k * dim),
        Vec::with_capacity(nb * k),
    );
    for _ in 0..nb {
        let rows = PerSampleRows::draw(&mut rng, k, n, dim);
        indices.extend(rows.indices.iter().map(|&i| i as i64));
        a.extend(rows.a);
        b.extend(rows.b);
    }
    let mut p = ProblemFile::new();
    p.set_meta("workload", "indexed");
    p.set_meta("n", n);
    p.set_meta("observed", k);
    p.set_meta("batches", nb);
    p.set_meta("dim", dim);
    p.set_meta("seed", args.common.seed);
    p.set_meta("primal_lr", args.primal_lr);
    p.set_meta("dual_lr", args.dual_lr);
    p.set_meta("scheme", "alternating-dual-primal");
    p.put_i64("indices", &[nb, k], &indices)?;
    p.put_f64("a", &[nb, k, dim], &a)?;
    p.put_f64("b", &[nb, k], &b)?;
    p.put_f64("x0", &[dim], &vec![0.0; dim])?;
    p.write(args.common.problem_path()?)
}

/// `rein-bench indexed`.
/// Writes the problem and returns `None` with `--write-problem`.
pub fn run(args: &IndexedArgs) -> Result<Option<RunReport>> {
    if args.common.write_problem {
        write_problem(args)?;
        return Ok(None);
    }
    let p = ProblemFile::read(args.common.problem_path()?)?;
    let n = p.meta_usize("n")?;
    let k = p.meta_usize("observed")?;
    let nb = p.meta_usize("batches")?;
    let dim = p.meta_usize("dim")?;
    let (ishape, indices) = p.i64("indices")?;
    let (ashape, a) = p.f64("a")?;
    let (bshape, b) = p.f64("b")?;
    let (_, x0) = p.f64("x0")?;
    if ishape != [nb, k] || ashape != [nb, k, dim] || bshape != [nb, k] || x0.len() != dim {
        bail!(
            "problem tensors do not match meta (batches {nb}, observed {k}, dim {dim}): indices {ishape:?}, a {ashape:?}, b {bshape:?}, x0 [{}]",
            x0.len()
        );
    }
    if let Some(bad) = indices.iter().find(|&&i| i < 0 || i as usize >= n) {
        bail!("problem tensor `indices` holds {bad}, outside 0..{n}");
    }
    let device = args.common.open_device()?;
    let data: Vec<PerSampleBatch> = (0..nb)
        .map(|j| {
            PerSampleBatch::new(
                indices[j * k..(j + 1) * k]
                    .iter()
                    .map(|&i| i as usize)
                    .collect(),
                &a[j * k * dim..(j + 1) * k * dim],
                &b[j * k..(j + 1) * k],
                &device,
            )
        })
        .collect();
    let constraints = Constraints::new().add(Constraint::inequality(GROUP, n).indexed())?;
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(p.meta_f64("primal_lr")?))?,
        DualSgd::new(p.meta_f64("dual_lr")?)?,
        constraints,
    )?;
    let mut model = Point::on(&x0, &device);
    let mut problem = PerSample;
    let mut t = 0usize;
    let step_ns = args.common.time_steps(|| {
        opt.step(&mut problem, &mut model, &data[t % nb])
            .context("indexed step")?;
        t += 1;
        Ok(())
    })?;

    // Quality, on the host (not timed).
    let x = model.values();
    let lambda = opt
        .constraints()
        .get(GROUP)
        .and_then(|e| e.multipliers())
        .context("the indexed group has no multipliers")?;
    let last = (t + nb - 1) % nb;
    let last_idx = &indices[last * k..(last + 1) * k];
    let mut q = Quality {
        objective: Some(x.iter().map(|v| (v - 1.0) * (v - 1.0)).sum()),
        ..Quality::default()
    };
    q.multipliers.insert(
        format!("{GROUP}.last_batch"),
        last_idx.iter().map(|&i| lambda[i as usize]).collect(),
    );
    q.constraints.insert(
        format!("{GROUP}.last_batch"),
        (0..k)
            .map(|r| {
                let row = &a[(last * k + r) * dim..(last * k + r + 1) * dim];
                row.iter().zip(&x).map(|(p, q)| p * q).sum::<f64>() - b[last * k + r]
            })
            .collect(),
    );
    for (j, v) in x.iter().enumerate() {
        q.extra.insert(format!("x[{j}]"), *v);
    }
    q.extra.insert("lambda_sum".into(), lambda.iter().sum());
    q.extra.insert(
        "lambda_max".into(),
        lambda.iter().copied().fold(0.0, f64::max),
    );
    q.extra.insert(
        "lambda_positive".into(),
        lambda.iter().filter(|l| **l > 0.0).count() as f64,
    );
    // The stored batches (indices, rows a_i, b_i: host copies in the problem plus the batch
    // tensors), x and the optimizer state (the n multipliers).
    let mut held = HeldBytes::new();
    let batch_indices: usize = data.iter().map(|d| d.indices.len()).sum();
    held.add("problem", 8 * (indices.len() + a.len() + b.len()) as u64)
        .add(
            "batches",
            args.common.float_bytes() * (a.len() + b.len()) as u64
                + (batch_indices * std::mem::size_of::<usize>()) as u64,
        )
        .add("model", args.common.float_bytes() * x.len() as u64);
    common::add_optimizer_state(&mut held, &opt)?;
    let mut report = args.common.report("indexed", variant(n, k), step_ns, q);
    report.set_held(held);
    Ok(Some(report))
}
