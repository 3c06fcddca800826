//! The training loop of the Feasible Learning recipe (every method).

use burn::module::Module;
use burn::tensor::Device;
use rein::checkpoint::{StateDict, Stateful};
use rein::{Cmp, CmpState, ConstrainedOptimizer, StepReport};
use rein_nn::{Batcher, Dataset, Mlp, MlpConfig, Split};

use super::{
    BaselineProblem, FEASIBLE, FeasibleConfig, FeasibleProblem, Figures, feasible_fraction,
    figures, per_sample_ce,
};
use crate::error::{RecipeError, Result};
use crate::eval;
use crate::history::History;
use crate::progress::Progress;
use crate::session::{self, Session};

/// What the loop hands back to [`super::run`].
pub(super) struct Trained {
    pub figures: Figures,
    pub initial_feasible: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub history: History,
    /// Final `CE_i` per training sample.
    pub losses: Vec<f64>,
    /// Final multipliers (empty for the unconstrained baselines).
    pub multipliers: Vec<f64>,
    /// Largest `CE_i - eps` any step's dual update saw (FL / RFL; `-inf` otherwise).
    pub max_batch_violation: f64,
}

/// The problem a method trains on: the per-sample constraints (FL, RFL) or an objective (ERM,
/// CSERM).
enum Problem {
    Constrained(FeasibleProblem),
    Baseline(BaselineProblem),
}

impl Cmp<Mlp> for Problem {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        match self {
            Problem::Constrained(p) => p.compute_cmp_state(model, batch),
            Problem::Baseline(p) => p.compute_cmp_state(model, batch),
        }
    }
}

/// Fraction of the training samples feasible under `model` (no graph).
fn train_feasible(train: &Dataset, eps: f64, model: &Mlp, plain: &Device) -> Result<f64> {
    let ce = per_sample_ce(&model.valid(), train, plain)?;
    Ok(feasible_fraction(&ce, eps))
}

/// Trains `config.method` as one phase of `session` (named after the method): checkpointed
/// every `session.every()` steps and resumed from the last checkpoint.
pub(super) fn train(
    config: &FeasibleConfig,
    split: &Split,
    device: &Device,
    session: &mut Session,
    progress: &mut dyn Progress,
) -> Result<Trained> {
    let phase = config.method.name();
    let train = &split.train;
    let eps = config.eps();
    let plain = device.clone().inner();
    let mut model =
        MlpConfig::new(train.d, config.hidden_widths(), train.classes).init(config.seed, device);
    let constrained = config.method.is_constrained();
    let (mut problem, constraints) = if constrained {
        let p = FeasibleProblem::new(train.clone(), eps, device);
        let c = vec![p.constraint()];
        (Problem::Constrained(p), c)
    } else {
        let p = BaselineProblem::new(train.clone(), eps, config.method, device);
        (Problem::Baseline(p), vec![])
    };
    let mut opt = config
        .run_optimizer()
        .build(constraints)
        .map_err(|e| RecipeError::from_rein_under("optimizer", e))?;
    let mut batcher = Batcher::new(train.n, config.batch_size, config.seed)?;
    let mut seen = vec![false; train.n];
    let mut history = History::new();
    let mut max_batch_violation = f64::NEG_INFINITY;
    let mut start = 0;
    let initial_feasible;
    if let Some(done) = session.completed(phase) {
        // Trained before the run was resumed: the model and the run's records.
        model = done.module("model", model)?;
        opt.load_state(&done.name("optimizer"), done.dict())?;
        history = session::get_history(done.dict(), &done.name("history"))?;
        seen = done.json("seen")?;
        max_batch_violation = done
            .json::<Option<f64>>("max_batch_violation")?
            .unwrap_or(f64::NEG_INFINITY);
        initial_feasible = done.json("initial_feasible")?;
        start = config.steps as u64;
    } else if let Some((step, state)) = session.interrupted(phase) {
        model = state.load_module("model", model)?;
        opt.load_state("optimizer", &state)?;
        batcher = session::get_batcher(&state, "batcher")?;
        history = session::get_history(&state, "history")?;
        seen = session::get_json(&state, "seen")?;
        max_batch_violation = session::get_json::<Option<f64>>(&state, "max_batch_violation")?
            .unwrap_or(f64::NEG_INFINITY);
        initial_feasible = session::get_json(&state, "initial_feasible")?;
        start = step;
    } else {
        initial_feasible = train_feasible(train, eps, &model, &plain)?;
        history.push(0, &[("train_feasible", initial_feasible)]);
    }
    // The loop's records as the session stores them (`-inf` as JSON `null`).
    let save = |model: &Mlp,
                opt: &dyn Stateful,
                batcher: Option<&Batcher>,
                history: &History,
                seen: &[bool],
                max_batch_violation: f64|
     -> Result<StateDict> {
        let mut state = StateDict::new();
        state.put_module("model", model);
        opt.save_state("optimizer", &mut state)?;
        if let Some(b) = batcher {
            session::put_batcher(&mut state, "batcher", b);
        }
        session::put_history(&mut state, "history", history);
        session::put_json(&mut state, "seen", &seen)?;
        let max = max_batch_violation
            .is_finite()
            .then_some(max_batch_violation);
        session::put_json(&mut state, "max_batch_violation", &max)?;
        session::put_json(&mut state, "initial_feasible", &initial_feasible)?;
        Ok(state)
    };

    progress.start(phase, config.steps as u64);
    progress.skip(start);
    for t in start as usize + 1..=config.steps {
        let batch = batcher.next_batch();
        for &i in &batch.indices {
            seen[i] = true;
        }
        let report = opt.step(&mut problem, &mut model, batch.indices.as_slice())?;
        let mut row = if constrained {
            let row = record_constrained(&report, multipliers(&opt)?);
            if let Some(&(_, v)) = row.iter().find(|(k, _)| *k == "batch_violation_max") {
                max_batch_violation = max_batch_violation.max(v);
            }
            row
        } else {
            record_baseline(&report)
        };
        if t == config.steps || (config.eval_every > 0 && t % config.eval_every == 0) {
            row.push((
                "train_feasible",
                train_feasible(train, eps, &model, &plain)?,
            ));
        }
        history.push(report.step, &row);
        progress.step();
        if t % 20 == 0 {
            let get = |k: &str| row.iter().find(|(c, _)| *c == k).map_or(f64::NAN, |r| r.1);
            progress.message(&format!(
                "batch feasible {:.3}  mean lambda {:.3}",
                get("batch_feasible"),
                get("multiplier_mean")
            ));
        }
        if session.due(t as u64) && t < config.steps {
            let state = save(
                &model,
                &opt,
                Some(&batcher),
                &history,
                &seen,
                max_batch_violation,
            )?;
            session.save(phase, t as u64, &state)?;
        }
    }
    progress.finish();
    if session.completed(phase).is_none() {
        let outputs = save(&model, &opt, None, &history, &seen, max_batch_violation)?;
        session.complete(phase, &outputs)?;
    }

    let valid = model.valid();
    let losses = per_sample_ce(&valid, train, &plain)?;
    let lambda = if constrained {
        multipliers(&opt)?.to_vec()
    } else {
        Vec::new()
    };
    let zeros = vec![0.0; train.n];
    let lambda_or_zeros = if constrained { &lambda } else { &zeros };
    let accuracy = |data| eval::accuracy(data, &plain, |x| valid.forward(x));
    Ok(Trained {
        figures: figures(&losses, lambda_or_zeros, &seen, eps),
        initial_feasible,
        train_accuracy: accuracy(&split.train),
        test_accuracy: accuracy(&split.test),
        history,
        losses,
        multipliers: lambda,
        max_batch_violation,
    })
}

/// The multipliers of the per-sample constraint, one per training sample.
fn multipliers(opt: &impl ConstrainedOptimizer) -> Result<&[f64]> {
    opt.constraints()
        .get(FEASIBLE)
        .and_then(|c| c.multipliers())
        .ok_or_else(|| {
            RecipeError::config(
                format!("optimizer.constraints.{FEASIBLE}"),
                "the per-sample constraint needs a multiplier (a Lagrangian-type formulation)",
            )
        })
}

/// One history row of FL / RFL: the batch's fraction feasible, mean and max violation (at the
/// point the step evaluated, the values the dual step used), and the mean and max multiplier over all samples after the step.
fn record_constrained(report: &StepReport, lambda: &[f64]) -> Vec<(&'static str, f64)> {
    let violation = report
        .constraint(FEASIBLE)
        .map_or(&[][..], |c| c.violation.as_slice());
    let m = violation.len().max(1) as f64;
    let batch_feasible = violation.iter().filter(|&&g| g <= 0.0).count() as f64 / m;
    let batch_violation_mean = violation.iter().sum::<f64>() / m;
    let batch_violation_max = violation.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let multiplier_mean = lambda.iter().sum::<f64>() / lambda.len().max(1) as f64;
    let multiplier_max = lambda.iter().copied().fold(0.0, f64::max);
    vec![
        ("lagrangian", report.lagrangian),
        ("batch_feasible", batch_feasible),
        ("batch_violation_mean", batch_violation_mean),
        ("batch_violation_max", batch_violation_max),
        ("multiplier_mean", multiplier_mean),
        ("multiplier_max", multiplier_max),
    ]
}

/// One history row of ERM / CSERM: the batch objective and the batch's fraction feasible and
/// mean `CE_i - eps` (the problem's diagnostics).
fn record_baseline(report: &StepReport) -> Vec<(&'static str, f64)> {
    let mut row = vec![("loss", report.loss.unwrap_or(f64::NAN))];
    for key in ["batch_feasible", "batch_violation_mean"] {
        if let Some(&v) = report.misc.get(key) {
            row.push((key, v));
        }
    }
    row
}
