//! Workload `feasible` (bench/workloads/feasible.json): Feasible Learning (Ramirez et al. 2025,
//! "Feasible Learning") with one indexed multiplier per training sample.
//!
//! The problem and the quality figures are the recipe's: [`rein_recipes::feasible`] documents
//! the equations ([`FeasibleProblem`]) and the figures ([`rein_recipes::feasible::Figures`]).
//! Here: find `x` with `CE_i(x) <= eps` for every training sample `i`, no objective,
//! `eps = -ln p` (`p = 0.6`: `eps = 0.5108`), batches of 128 distinct samples from the problem
//! file, [`AlternatingDualPrimal`] (dual SGD first, then the primal step, Adam or SGD, built
//! from a [`PrimalConfig`]), the Lagrangian a SUM over the batch. Model: MLP 784-300-100-10 on
//! MNIST (60,000 multipliers), or 64-128-64-10 on the digits (1,438) for quick runs.
//!
//! Quality (after the run, with the final model on every training sample): the fraction of
//! the samples seen during the run that are feasible, their mean / max cross-entropy and
//! multiplier, and the same cross-entropy figures over the whole training set, under the
//! names the Python reference (`bench/reference/feasible.py`) reports.
//!
//! `--vs-erm` times ERM side by side in the same run: a second copy of the initial model trains
//! on the mean cross-entropy ([`BaselineProblem`], no per-step host read, the
//! [`Unconstrained`] scheme, the same primal optimizer and batches). The steps interleave
//! (one ERM step, one FL step, each timed on its own) so that a change in machine load hits
//! both alike; the report's step statistics stay FL's, and `extra` gains `erm_step_median_ns`,
//! `erm_step_mean_ns` and `fl_over_erm_median` (FL's median step time over ERM's).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::tensor::Device;
use clap::Args;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use rein::config::{PrimalConfig, PrimalKind};
use rein::dual::DualSgd;
use rein::optim::PrimalOptimizer;
use rein::scheme::{AlternatingDualPrimal, Unconstrained};
use rein::{ConstrainedOptimizer, Constraints};
use rein_nn::{Mlp, MlpConfig};
use rein_recipes::feasible::{
    BaselineProblem, FEASIBLE, FeasibleProblem, Figures, Method, epsilon, figures,
};

use crate::common::{self, CommonArgs};
use crate::model_io::{self, DataName};
use crate::problem_file::ProblemFile;
use crate::report::{HeldBytes, Quality, RunReport, StepStats};

/// The primal optimizers the Python reference runs too, as `--primal` takes them.
const PRIMALS: [&str; 2] = ["adam", "sgd"];

/// `--primal NAME` as the optimizer kind of a [`PrimalConfig`].
fn primal_kind(name: &str) -> Result<PrimalKind, String> {
    serde_json::from_value(serde_json::Value::String(name.to_string()))
        .map_err(|e| format!("{name}: {e}"))
}

/// `rein-bench feasible`.
#[derive(Args, Debug)]
pub struct FeasibleArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Data set (must match the problem file when running).
    #[arg(long, value_enum, default_value = "mnist")]
    data: DataName,
    /// Primal optimizer, adam (betas 0.9, 0.999; eps 1e-8) or plain sgd; its learning rate is
    /// the problem's `lr`.
    #[arg(
        long,
        default_value = "adam",
        value_parser = PossibleValuesParser::new(PRIMALS).try_map(|s: String| primal_kind(&s))
    )]
    primal: PrimalKind,
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
    /// Also time ERM on the same model, batches and primal optimizer, interleaved step by step
    /// with FL, and report the ratio of the median step times.
    #[arg(long)]
    vs_erm: bool,
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
    let mut held = HeldBytes::new();
    held.add(
        "data",
        common::dataset_bytes(&data.train) + common::dataset_bytes(&data.test),
    )
    .add("batches", common::index_bytes(&batches))
    .add(
        "model",
        common::param_bytes(&model, args.common.float_bytes()),
    );
    let lr = p.meta_f64("lr")?;
    let dual = DualSgd::new(p.meta_f64("dual_lr")?)?;
    let eps = p.meta_f64("eps")?;
    let n = data.train.n;
    let erm = if args.vs_erm {
        // ERM trains a second copy of the model on its own copy of the training rows.
        held.add("data", common::dataset_bytes(&data.train)).add(
            "model",
            common::param_bytes(&model, args.common.float_bytes()),
        );
        let problem = BaselineProblem::new(data.train.clone(), eps, Method::Erm, &device)
            .with_diagnostics(false);
        let primal = PrimalConfig::new(args.primal, lr).build()?;
        let opt = Unconstrained::new(primal, Constraints::new())?;
        Some((opt, problem, model_io::mlp(&p, &device)?))
    } else {
        None
    };
    let mut problem = FeasibleProblem::new(data.train, eps, &device);
    let constraints = Constraints::new().add(problem.constraint())?;
    let primal = PrimalConfig::new(args.primal, lr).build()?;
    let opt = AlternatingDualPrimal::new(primal, dual, constraints)?;
    let (stats, erm_stats, lambda) = match erm {
        None => {
            let (s, l) = timed(
                &args.common,
                &mut held,
                opt,
                &mut problem,
                &mut model,
                &batches,
                batch_size,
            )?;
            (s, None, l)
        }
        Some((erm_opt, mut erm_problem, mut erm_model)) => {
            let (fl, erm, l) = timed_vs_erm(
                &args.common,
                &mut held,
                (opt, &mut problem, &mut model),
                (erm_opt, &mut erm_problem, &mut erm_model),
                &batches,
                batch_size,
            )?;
            (fl, Some(erm), l)
        }
    };
    let total_steps = args.common.warmup + args.common.steps;
    let seen = seen_samples(&batches, batch_size, total_steps, n);
    // Evaluated without an autodiff graph: on the autodiff device every chunk's activations
    // stayed recorded, ~400 MB over the 60,000 rows (peak RSS 2.75x the held bytes).
    let ce = problem.losses(&model.valid(), &device.clone().inner())?;
    let mut q = quality(&figures(&ce, &lambda, &seen, eps), eps);
    if let Some(erm) = erm_stats {
        q.extra.insert("erm_step_median_ns".into(), erm.median);
        q.extra.insert("erm_step_mean_ns".into(), erm.mean);
        q.extra
            .insert("fl_over_erm_median".into(), stats.median / erm.median);
    }
    let variant = format!("{}-{:?}", args.data.as_str(), args.primal).to_lowercase();
    let mut report = args.common.report("feasible", variant, stats, q);
    report.flops_per_step = Some(model_io::mlp_step_flops(&sizes, batch_size));
    report.set_held(held);
    Ok(Some(report))
}

/// Runs the timed steps and returns the step statistics and the final multipliers; adds the
/// optimizer's state to `held`.
fn timed<O: PrimalOptimizer>(
    common: &CommonArgs,
    held: &mut HeldBytes,
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
    crate::common::add_optimizer_state(held, &opt)?;
    Ok((stats, lambda))
}

/// One optimizer, its problem and its model.
type Side<'a, O, P> = (O, &'a mut P, &'a mut Mlp);

/// Runs FL and ERM on the same batches, interleaved step by step (warm-up untimed), each step
/// timed on its own. Returns FL's and ERM's step statistics and FL's final multipliers; adds
/// both optimizers' state to `held`.
fn timed_vs_erm<O: PrimalOptimizer, E: PrimalOptimizer>(
    common: &CommonArgs,
    held: &mut HeldBytes,
    (mut fl, fl_problem, fl_model): Side<'_, AlternatingDualPrimal<O>, FeasibleProblem>,
    (mut erm, erm_problem, erm_model): Side<'_, Unconstrained<E>, BaselineProblem>,
    batches: &[usize],
    size: usize,
) -> Result<(StepStats, StepStats, Vec<f64>)> {
    if common.steps == 0 {
        bail!("--steps must be at least 1");
    }
    let count = batches.len() / size;
    let (mut fl_ns, mut erm_ns) = (Vec::new(), Vec::new());
    for t in 0..common.warmup + common.steps {
        let k = t % count;
        let batch = &batches[k * size..(k + 1) * size];
        let start = std::time::Instant::now();
        erm.step(erm_problem, erm_model, batch)?;
        let mid = std::time::Instant::now();
        fl.step(fl_problem, fl_model, batch)?;
        let end = std::time::Instant::now();
        if t >= common.warmup {
            erm_ns.push((mid - start).as_nanos() as f64);
            fl_ns.push((end - mid).as_nanos() as f64);
        }
    }
    crate::common::record_steps_peak_rss();
    let lambda = fl
        .constraints()
        .get(FEASIBLE)
        .and_then(|c| c.multipliers())
        .context("the feasibility constraint has no multipliers")?
        .to_vec();
    crate::common::add_optimizer_state(held, &fl)?;
    crate::common::add_optimizer_state(held, &erm)?;
    Ok((
        StepStats::from_samples(&fl_ns),
        StepStats::from_samples(&erm_ns),
        lambda,
    ))
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
    p.set_meta("eps", epsilon(args.p));
    Ok(p)
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

/// The recipe's figures under the names of the reference's report: the constraint and
/// multiplier summaries `feasible.mean` / `feasible.max` (of the seen samples; the constraint
/// values as `CE - eps`) and the rest in `extra`.
fn quality(f: &Figures, eps: f64) -> Quality {
    let mut q = Quality::default();
    q.constraints
        .insert(format!("{FEASIBLE}.mean"), vec![f.ce_mean_seen - eps]);
    q.constraints
        .insert(format!("{FEASIBLE}.max"), vec![f.ce_max_seen - eps]);
    q.multipliers
        .insert(format!("{FEASIBLE}.mean"), vec![f.multiplier_mean_seen]);
    q.multipliers
        .insert(format!("{FEASIBLE}.max"), vec![f.multiplier_max_seen]);
    let extra = [
        ("seen", f.seen as f64),
        ("feasible_seen", f.feasible_seen),
        ("feasible_train", f.feasible_train),
        ("ce_mean_seen", f.ce_mean_seen),
        ("ce_max_seen", f.ce_max_seen),
        ("ce_mean_train", f.ce_mean_train),
        ("ce_max_train", f.ce_max_train),
        ("lambda_positive_seen", f.multiplier_positive_seen),
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
        let q = quality(&figures(&ce, &lambda, &seen, 0.5), 0.5);
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
