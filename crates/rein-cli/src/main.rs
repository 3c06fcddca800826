//! `rein`: constrained-training experiments from the command line.

mod demo;
mod report;
mod sparsity;

use clap::{Parser, Subcommand};

/// Constrained training for deep learning.
#[derive(Debug, Parser)]
#[command(name = "rein", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a digits classifier subject to a recall floor on one class (bundled data).
    Demo(demo::DemoArgs),
    /// Controlled sparsity: train an L0-gated MLP to a density target by constraint.
    Sparsity(sparsity::SparsityArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => {
            demo::run(&args)?;
        }
        Command::Sparsity(args) => {
            sparsity::run(&args)?;
        }
    }
    Ok(())
}
