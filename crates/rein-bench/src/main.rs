//! `rein-bench`: the rein side of the side-by-side benchmarks (BENCHMARKS.md, `bench/run.sh`).
//!
//! Every workload is a subcommand. A run
//! 1. reads (or, with `--write-problem`, writes) the problem file that the Python/Cooper
//!    reference script under `bench/reference/` reads too, so both sides start from the same
//!    data, initial parameters and batch order;
//! 2. runs `--warmup` untimed steps, then `--steps` timed steps;
//! 3. prints one JSON object ([`report::RunReport`]) on stdout: time per step and the quality
//!    reached (objective, constraint values, multipliers) after the run.
//!
//! The harness (`bench/run.sh`) interleaves rein and reference processes, repeats, and takes
//! medians; nothing here compares against the reference.

use anyhow::Result;
use clap::{Parser, Subcommand};

mod common;
mod cpu_probe;
mod fairness_groups;
mod feasible;
mod indexed;
mod mlp_l0;
mod model_io;
mod problem_file;
mod report;
mod tiny_cmp;

/// The rein side of the side-by-side benchmarks.
#[derive(Parser, Debug)]
#[command(name = "rein-bench", version)]
struct Cli {
    #[command(subcommand)]
    workload: Workload,
}

#[derive(Subcommand, Debug)]
enum Workload {
    /// Prints the device, feature and thread settings this binary was built with.
    Info(common::CommonArgs),
    /// Tiny CMP: min ||x||^2 s.t. A x <= b (n = 10, m = 5), dense multipliers, one scheme.
    TinyCmp(tiny_cmp::TinyCmpArgs),
    /// Indexed multipliers: n constraints, a few observed per step (time must be flat in n).
    Indexed(indexed::IndexedArgs),
    /// Speed of this build's CPU device: an MLP Adam step (784-300-100-10, batch 128) and a matmul.
    CpuProbe(cpu_probe::CpuProbeArgs),
    /// MLP classification with an L0 density constraint (digits or MNIST; constrained,
    /// unconstrained or dense).
    MlpL0(mlp_l0::MlpL0Args),
    /// Feasible learning: one indexed multiplier per training sample (MNIST or digits).
    Feasible(feasible::FeasibleArgs),
    /// A CEAG fine-tuning step of the fairness recipe with G groups (time must be flat in G).
    FairnessGroups(fairness_groups::FairnessGroupsArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    // With `threads`, on a worker of rayon's pool (see the function's docs).
    rein::device::on_worker_pool(|| run(cli))
}

fn run(cli: Cli) -> Result<()> {
    let report = match cli.workload {
        Workload::Info(common) => common::info(&common)?,
        Workload::TinyCmp(args) => match tiny_cmp::run(&args)? {
            Some(report) => report,
            None => return Ok(()), // --write-problem
        },
        Workload::Indexed(args) => match indexed::run(&args)? {
            Some(report) => report,
            None => return Ok(()), // --write-problem
        },
        Workload::CpuProbe(args) => cpu_probe::run(&args)?,
        Workload::FairnessGroups(args) => fairness_groups::run(&args)?,
        Workload::MlpL0(args) => match mlp_l0::run(&args)? {
            Some(report) => report,
            None => return Ok(()), // --write-problem
        },
        Workload::Feasible(args) => match feasible::run(&args)? {
            Some(report) => report,
            None => return Ok(()), // --write-problem
        },
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
