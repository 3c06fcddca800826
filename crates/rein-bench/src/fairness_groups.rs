//! `rein-bench fairness-groups`: the cost of one CEAG fine-tuning step of the fairness recipe
//! (Balancing Act, Hashemizadeh et al. 2024) as the number of groups grows. It must be flat:
//! a step touches only the groups present in the minibatch (group means over a `[B, P]`
//! matrix, `P <= B`; replay buffers O(1) per row; indexed multipliers updated at the present
//! groups with a full buffer), never all `G` groups.
//!
//! Data: `--rows` synthetic rows (`--dim` features, 10 classes, SplitMix64 of `--seed`), each
//! in group `row % G` (`G = --groups`); a ReLU MLP `dim-64-64-10` with its middle layer
//! magnitude-pruned to 90 %; the dense reference figures are those of the model itself. Batches
//! of `--batch` rows come from the recipe's seeded batcher. Scheme: alternating dual-primal,
//! Adam 1e-3, dual SGD 0.02 (the recipe's defaults), masks re-applied after every step. Run
//! with `--warmup 500`: the warm-up must fill every buffer (`40 G / B` = 313 steps for
//! `G = 1000`, `B = 128`) so that the timed steps include the dual updates.
//!
//! Quality: `extra.groups`, `extra.groups_present` and `extra.groups_updated` of the last step
//! (what a step touched), and the final loss.

use anyhow::{Result, bail};
use clap::Args;
use rein::config::OptimizerConfig;
use rein::{ConstrainedOptimizer, StepReport};
use rein_nn::{Batcher, Dataset, Grouped, MlpConfig};
use rein_recipes::fairness::{FairnessProblem, GroupFigures, Masks, Method, default_optimizer};
use rein_testing::rng::SplitMix64;

use crate::common::CommonArgs;
use crate::report::{Quality, RunReport};

/// `rein-bench fairness-groups`.
#[derive(Args, Debug, Clone)]
pub struct FairnessGroupsArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Number of groups `G`.
    #[arg(long, default_value_t = 10)]
    pub groups: usize,
    /// Training rows (the same for every `G`).
    #[arg(long, default_value_t = 40_000)]
    pub rows: usize,
    /// Features per row.
    #[arg(long, default_value_t = 32)]
    pub dim: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 128)]
    pub batch: usize,
}

/// Runs the workload.
pub fn run(args: &FairnessGroupsArgs) -> Result<RunReport> {
    if args.groups == 0 || args.groups > args.rows {
        bail!(
            "--groups {}: must be in 1..=--rows ({})",
            args.groups,
            args.rows
        );
    }
    let device = args.common.open_device()?;
    let mut rng = SplitMix64::new(args.common.seed);
    let classes = 10;
    let features: Vec<f32> = (0..args.rows * args.dim)
        .map(|_| rng.symmetric_f32())
        .collect();
    let labels: Vec<usize> = (0..args.rows)
        .map(|_| (rng.next_u64() % classes as u64) as usize)
        .collect();
    let data = Dataset::new(features, labels, args.dim, classes)?;
    let groups: Vec<usize> = (0..args.rows).map(|i| i % args.groups).collect();
    let names = (0..args.groups).map(|g| format!("group {g}")).collect();
    let train = Grouped::new(data, groups, names)?;

    let model = MlpConfig::new(args.dim, vec![64, 64], classes).init(args.common.seed, &device);
    let masks = Masks::magnitude(&model, 0.9);
    let mut model = masks.apply(model, &device);
    let dense = GroupFigures {
        accuracy: 0.5,
        loss: 2.3,
        group_accuracy: vec![0.5; args.groups],
        group_loss: vec![2.3; args.groups],
    };
    let config: OptimizerConfig = default_optimizer();
    let mut opt = config.build(Method::Ceag.constraint(args.groups))?;
    let mut problem = FairnessProblem::new(train, Method::Ceag, dense, 0.01, 40, &device);
    let mut batcher = Batcher::new(args.rows, args.batch, args.common.seed)?;
    let mut last: Option<StepReport> = None;
    let step_ns = args.common.time_steps(|| {
        let batch = batcher.next_batch();
        let report = opt.step(&mut problem, &mut model, batch.indices.as_slice())?;
        model = masks.apply(model.clone(), &device);
        last = Some(report);
        Ok(())
    })?;
    let mut quality = Quality::default();
    if let Some(r) = &last {
        quality.objective = r.loss;
        for key in ["groups_present", "groups_full"] {
            if let Some(v) = r.misc.get(key) {
                let name = if key == "groups_full" {
                    "groups_updated"
                } else {
                    key
                };
                quality.extra.insert(name.into(), *v);
            }
        }
    }
    quality.extra.insert("groups".into(), args.groups as f64);
    Ok(args.common.report(
        "fairness-groups",
        format!("groups={}", args.groups),
        step_ns,
        quality,
    ))
}
