//! The training loop of the Feasible Learning recipe.

use burn::module::Module;
use burn::tensor::Device;
use rein::{ConstrainedOptimizer, StepReport};
use rein_nn::{Batcher, Mlp, MlpConfig, Split};

use super::{FEASIBLE, FeasibleConfig, FeasibleProblem, Figures, feasible_fraction, figures};
use crate::error::{RecipeError, Result};
use crate::eval;
use crate::history::History;
use crate::progress::Progress;

/// What the loop hands back to [`super::run`].
pub(super) struct Trained {
    pub figures: Figures,
    pub initial_feasible: f64,
    pub train_accuracy: f64,
    pub test_accuracy: f64,
    pub history: History,
}

/// Fraction of the training samples feasible under `model` (no graph).
fn train_feasible(problem: &FeasibleProblem, model: &Mlp, plain: &Device) -> Result<f64> {
    let ce = problem.losses(&model.valid(), plain)?;
    Ok(feasible_fraction(&ce, problem.eps()))
}

pub(super) fn train(
    config: &FeasibleConfig,
    split: &Split,
    device: &Device,
    progress: &mut dyn Progress,
) -> Result<Trained> {
    let train = &split.train;
    let plain = device.clone().inner();
    let mut model =
        MlpConfig::new(train.d, config.hidden_widths(), train.classes).init(config.seed, device);
    let mut problem = FeasibleProblem::new(train.clone(), config.eps(), device);
    let mut opt = config
        .optimizer
        .build([problem.constraint()])
        .map_err(|e| RecipeError::from_rein_under("optimizer", e))?;
    let mut batcher = Batcher::new(train.n, config.batch_size, config.seed)?;
    let mut seen = vec![false; train.n];
    let mut history = History::new();
    let initial_feasible = train_feasible(&problem, &model, &plain)?;
    history.push(0, &[("train_feasible", initial_feasible)]);

    progress.start("feasible", config.steps as u64);
    for t in 1..=config.steps {
        let batch = batcher.next_batch();
        for &i in &batch.indices {
            seen[i] = true;
        }
        let report = opt.step(&mut problem, &mut model, batch.indices.as_slice())?;
        let lambda = multipliers(&opt)?;
        let mut row = record(&report, lambda);
        if t == config.steps || (config.eval_every > 0 && t % config.eval_every == 0) {
            row.push(("train_feasible", train_feasible(&problem, &model, &plain)?));
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
    }
    progress.finish();

    let valid = model.valid();
    let ce = problem.losses(&valid, &plain)?;
    let lambda = multipliers(&opt)?;
    let accuracy = |data| eval::accuracy(data, &plain, |x| valid.forward(x));
    Ok(Trained {
        figures: figures(&ce, lambda, &seen, problem.eps()),
        initial_feasible,
        train_accuracy: accuracy(&split.train),
        test_accuracy: accuracy(&split.test),
        history,
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

/// One history row: the batch's fraction feasible and mean violation (at the point the step
/// evaluated), and the mean and max multiplier over all samples after the step.
fn record(report: &StepReport, lambda: &[f64]) -> Vec<(&'static str, f64)> {
    let violation = report
        .constraint(FEASIBLE)
        .map_or(&[][..], |c| c.violation.as_slice());
    let m = violation.len().max(1) as f64;
    let batch_feasible = violation.iter().filter(|&&g| g <= 0.0).count() as f64 / m;
    let batch_violation_mean = violation.iter().sum::<f64>() / m;
    let multiplier_mean = lambda.iter().sum::<f64>() / lambda.len().max(1) as f64;
    let multiplier_max = lambda.iter().copied().fold(0.0, f64::max);
    vec![
        ("lagrangian", report.lagrangian),
        ("batch_feasible", batch_feasible),
        ("batch_violation_mean", batch_violation_mean),
        ("multiplier_mean", multiplier_mean),
        ("multiplier_max", multiplier_max),
    ]
}
