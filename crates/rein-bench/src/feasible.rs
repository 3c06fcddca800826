//! Workload 4 of spec 07: Feasible Learning (Ramirez et al. 2025; spec 03) with one indexed
//! multiplier per training sample.
//!
//! Find `x` with `CE_i(x) <= eps` for every training sample `i`, no objective, `eps = -ln p`
//! (`p = 0.6`: `eps = 0.5108`). Per step on a batch `B` of distinct samples (batch 128):
//!
//! ```text
//! lambda_i <- max(0, lambda_i + eta_dual (CE_i(x_t) - eps))          for i in B (dual SGD)
//! x_{t+1}  <- primal_step(x_t, grad_x sum_{i in B} lambda_i (CE_i(x_t) - eps))
//! ```
//!
//! i.e. [`AlternatingDualPrimal`] (dual first: at `lambda = 0` the primal gradient is zero), the
//! Lagrangian a SUM over the batch, the primal step Adam or SGD. Model: MLP 784-300-100-10 on
//! MNIST (60,000 multipliers), or 64-128-64-10 on the digits (1,438) for quick runs.
//!
//! Quality (after the run, with the final model on every training sample): the fraction of
//! the samples seen during the run that are feasible, their mean / max cross-entropy and
//! multiplier, and the same cross-entropy figures over the whole training set.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor};
use clap::{Args, ValueEnum};
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig, PrimalOptimizer, Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_nn::{Dataset, Mlp, MlpConfig};

use crate::common::CommonArgs;
use crate::model_io::{self, DataName};
use crate::problem_file::ProblemFile;
use crate::report::{Quality, RunReport};

/// Name of the per-sample constraint (both sides).
pub const FEASIBLE: &str = "feasible";
/// Rows per forward pass of the final evaluation.
const EVAL_CHUNK: usize = 4096;

/// Primal optimizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Primal {
    /// Adam (betas 0.9, 0.999; eps 1e-8).
    Adam,
    /// Plain SGD.
    Sgd,
}

/// `rein-bench feasible`.
#[derive(Args, Debug)]
pub struct FeasibleArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Data set (must match the problem file when running).
    #[arg(long, value_enum, default_value = "mnist")]
    data: DataName,
    /// Primal optimizer (its learning rate is the problem's `lr`).
    #[arg(long, value_enum, default_value = "adam")]
    primal: Primal,
    /// [write] Hidden widths (default 300,100 for MNIST, 128,64 for the digits).
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// [write] Minibatch size.
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// [write] Batches stored in the problem (steps cycle through them); default: 4 epochs.
    #[arg(long)]
    batches: Option<usize>,
    /// [write] Primal learning rate.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// [write] Dual SGD learning rate.
    #[arg(long, default_value_t = 1.0)]
    dual_lr: f64,
    /// [write] Per-sample probability target p: eps = -ln p.
    #[arg(long, default_value_t = 0.6)]
    p: f64,
    /// [write] Directory of the MNIST IDX files.
    #[arg(long, default_value = "data/fetched/mnist")]
    mnist_dir: PathBuf,
}

/// Runs (or writes the problem of) the workload.
pub fn run(args: &FeasibleArgs) -> Result<Option<RunReport>> {
    let path = args.common.problem_path()?;
    if args.common.write_problem {
        write_problem(args)?.write(path)?;
        return Ok(None);
    }
    let p = ProblemFile::read(path)?;
    model_io::check_data_name(&p, args.data)?;
    let device = args.common.open_device()?;
    let data = model_io::data(&p)?;
    let (batch_size, batches) = model_io::batches(&p, data.train.n)?;
    let sizes = model_io::sizes(&p)?;
    let mut model = model_io::mlp(&p, &device)?;
    let lr = p.meta_f64("lr")?;
    let dual = DualSgd::new(p.meta_f64("dual_lr")?)?;
    let eps = p.meta_f64("eps")?;
    let n = data.train.n;
    let mut problem = FeasibleProblem {
        train: data.train,
        eps,
        device: device.clone(),
    };
    let constraints = || -> Result<Constraints> {
        Ok(Constraints::new().add(Constraint::inequality(FEASIBLE, n).indexed())?)
    };
    let (stats, lambda) = match args.primal {
        Primal::Adam => {
            let opt =
                AlternatingDualPrimal::new(Adam::new(AdamConfig::new(lr))?, dual, constraints()?)?;
            timed(
                &args.common,
                opt,
                &mut problem,
                &mut model,
                &batches,
                batch_size,
            )?
        }
        Primal::Sgd => {
            let opt =
                AlternatingDualPrimal::new(Sgd::new(SgdConfig::new(lr))?, dual, constraints()?)?;
            timed(
                &args.common,
                opt,
                &mut problem,
                &mut model,
                &batches,
                batch_size,
            )?
        }
    };
    let total_steps = args.common.warmup + args.common.steps;
    let seen = seen_samples(&batches, batch_size, total_steps, n);
    let ce = per_sample_ce(&model, &problem.train, &device)?;
    let q = quality(&ce, &lambda, &seen, eps);
    let variant = format!("{}-{:?}", args.data.as_str(), args.primal).to_lowercase();
    let mut report = args.common.report("feasible", variant, stats, q);
    report.flops_per_step = Some(model_io::mlp_step_flops(&sizes, batch_size));
    Ok(Some(report))
}

/// Runs the timed steps and returns the step statistics and the final multipliers.
fn timed<O: PrimalOptimizer>(
    common: &CommonArgs,
    mut opt: AlternatingDualPrimal<O>,
    problem: &mut FeasibleProblem,
    model: &mut Mlp,
    batches: &[usize],
    size: usize,
) -> Result<(crate::report::StepStats, Vec<f64>)> {
    let count = batches.len() / size;
    let mut t = 0usize;
    let stats = common.time_steps(|| {
        let k = t % count;
        opt.step(problem, model, &batches[k * size..(k + 1) * size])?;
        t += 1;
        Ok(())
    })?;
    let lambda = opt
        .constraints()
        .get(FEASIBLE)
        .and_then(|c| c.multipliers())
        .context("the feasibility constraint has no multipliers")?
        .to_vec();
    Ok((stats, lambda))
}

/// Builds the problem file: data, initial MLP (seed `--seed`), batches, hyper-parameters.
fn write_problem(args: &FeasibleArgs) -> Result<ProblemFile> {
    if !(args.p > 0.0 && args.p < 1.0) {
        bail!("--p must be in (0, 1), got {}", args.p);
    }
    let data = model_io::load_fresh(args.data, &args.mnist_dir)?;
    let hidden = args.hidden.clone().unwrap_or_else(|| match args.data {
        DataName::Digits => vec![128, 64],
        DataName::Mnist => vec![300, 100],
    });
    let mut p = ProblemFile::new();
    model_io::put_data(&mut p, args.data, &data, &args.mnist_dir)?;
    let model = MlpConfig::new(data.train.d, hidden, data.train.classes)
        .init(args.common.seed, &Device::flex());
    model_io::put_mlp(&mut p, &model)?;
    let per_epoch = data.train.n / args.batch_size;
    if per_epoch == 0 {
        bail!(
            "--batch-size {} exceeds the {} training rows",
            args.batch_size,
            data.train.n
        );
    }
    let num_batches = args.batches.unwrap_or(4 * per_epoch);
    model_io::put_batches(
        &mut p,
        data.train.n,
        args.batch_size,
        num_batches,
        args.common.seed,
    )?;
    p.set_meta("lr", args.lr);
    p.set_meta("dual_lr", args.dual_lr);
    p.set_meta("p", args.p);
    p.set_meta("eps", -args.p.ln());
    Ok(p)
}

/// `CE_i - eps` for the batch rows, indexed by sample; no loss.
struct FeasibleProblem {
    train: Dataset,
    eps: f64,
    device: Device,
}

/// Per-row cross-entropy `-log_softmax(logits)[y]`, shape `[n]`.
fn cross_entropy_rows(logits: Tensor<2>, y: Tensor<1, Int>) -> Tensor<1> {
    let n = y.dims()[0];
    log_softmax(logits, 1)
        .gather(1, y.reshape([n, 1]))
        .reshape([n])
        .neg()
}

impl Cmp<Mlp> for FeasibleProblem {
    type Batch = [usize];
    fn compute_cmp_state(&mut self, m: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.batch_tensors(batch, &self.device);
        let violation = cross_entropy_rows(m.forward(x), y).sub_scalar(self.eps);
        Ok(CmpState::new().observe(
            FEASIBLE,
            ConstraintState::new(violation).indices(batch.to_vec()),
        ))
    }
}

/// Whether each training sample was in one of the first `steps` batches.
fn seen_samples(batches: &[usize], size: usize, steps: usize, n: usize) -> Vec<bool> {
    let count = batches.len() / size;
    let mut seen = vec![false; n];
    for k in 0..steps.min(count) {
        for &i in &batches[k * size..(k + 1) * size] {
            seen[i] = true;
        }
    }
    seen
}

/// Cross-entropy of every row of `ds` under `model`.
fn per_sample_ce(model: &Mlp, ds: &Dataset, device: &Device) -> Result<Vec<f64>> {
    let mut out = Vec::with_capacity(ds.n);
    for start in (0..ds.n).step_by(EVAL_CHUNK) {
        let rows: Vec<usize> = (start..(start + EVAL_CHUNK).min(ds.n)).collect();
        let (x, y) = ds.batch_tensors(&rows, device);
        let ce = model_io::host_f32(cross_entropy_rows(model.forward(x), y))?;
        out.extend(ce.into_iter().map(f64::from));
    }
    Ok(out)
}

/// Mean and max of `values` over the entries where `mask` holds (`NaN`s if none).
fn mean_max(values: &[f64], mask: impl Fn(usize) -> bool) -> (f64, f64, usize) {
    let (mut sum, mut max, mut count) = (0.0, f64::NEG_INFINITY, 0usize);
    for (_, &v) in values.iter().enumerate().filter(|(i, _)| mask(*i)) {
        sum += v;
        max = max.max(v);
        count += 1;
    }
    if count == 0 {
        (f64::NAN, f64::NAN, 0)
    } else {
        (sum / count as f64, max, count)
    }
}

/// The quality figures of the module docs.
fn quality(ce: &[f64], lambda: &[f64], seen: &[bool], eps: f64) -> Quality {
    let mut q = Quality::default();
    let (ce_seen, ce_seen_max, n_seen) = mean_max(ce, |i| seen[i]);
    let (ce_all, ce_all_max, _) = mean_max(ce, |_| true);
    let feasible_seen = (0..ce.len()).filter(|&i| seen[i] && ce[i] <= eps).count();
    let feasible_all = ce.iter().filter(|&&c| c <= eps).count();
    let (lam_mean, lam_max, _) = mean_max(lambda, |i| seen[i]);
    let lam_pos = (0..lambda.len())
        .filter(|&i| seen[i] && lambda[i] > 0.0)
        .count();
    let frac = |k: usize, n: usize| k as f64 / n.max(1) as f64;
    q.constraints
        .insert(format!("{FEASIBLE}.mean"), vec![ce_seen - eps]);
    q.constraints
        .insert(format!("{FEASIBLE}.max"), vec![ce_seen_max - eps]);
    q.multipliers
        .insert(format!("{FEASIBLE}.mean"), vec![lam_mean]);
    q.multipliers
        .insert(format!("{FEASIBLE}.max"), vec![lam_max]);
    let extra = [
        ("seen", n_seen as f64),
        ("feasible_seen", frac(feasible_seen, n_seen)),
        ("feasible_train", frac(feasible_all, ce.len())),
        ("ce_mean_seen", ce_seen),
        ("ce_max_seen", ce_seen_max),
        ("ce_mean_train", ce_all),
        ("ce_max_train", ce_all_max),
        ("lambda_positive_seen", frac(lam_pos, n_seen)),
    ];
    for (k, v) in extra {
        q.extra.insert(k.into(), v);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_counts_only_seen_samples() {
        let ce = [0.1, 2.0, 0.3, 5.0];
        let lambda = [0.0, 1.5, 0.0, 9.0];
        let seen = [true, true, true, false];
        let q = quality(&ce, &lambda, &seen, 0.5);
        assert_eq!(q.extra["seen"], 3.0);
        assert!((q.extra["feasible_seen"] - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(q.extra["feasible_train"], 0.5);
        assert_eq!(q.extra["ce_max_seen"], 2.0);
        assert_eq!(q.multipliers["feasible.max"], vec![1.5]);
        assert!((q.multipliers["feasible.mean"][0] - 0.5).abs() < 1e-12);
        assert_eq!(q.extra["ce_max_train"], 5.0);
    }

    #[test]
    fn seen_follows_the_batches_run() {
        let batches = [0, 1, 2, 3, 4, 5];
        assert_eq!(
            seen_samples(&batches, 2, 2, 7),
            vec![true, true, true, true, false, false, false]
        );
        // More steps than stored batches: every stored batch was seen.
        assert_eq!(
            seen_samples(&batches, 2, 10, 7)
                .iter()
                .filter(|s| **s)
                .count(),
            6
        );
    }
}
