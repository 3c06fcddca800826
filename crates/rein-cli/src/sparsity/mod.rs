//! `rein sparsity`: controlled sparsity with L0 gates — reach a density target by constraint,
//! not by tuning a penalty (Gallego-Posada et al. 2022).

mod problem;

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::tensor::{Device, Tensor};
use clap::{Args, ValueEnum};
use rein::device::DeviceKind;
use rein::dual::DualSgd;
use std::rc::Rc;

use rein::dist::{Communicator, DataParallel, DistributedCmp, SingleProcess, shard};
use rein::optim::{
    Adam, AdamConfig, ParamGroup, PrimalOptimizer, Sgd, SgdConfig, Shampoo, ShampooConfig,
};
use rein::scheme::{SimultaneousGda, Unconstrained};
use rein::{Cmp, ConstrainedOptimizer, Constraint, Constraints, StepReport};
use rein_nn::GateStructure;
use rein_nn::l0::TestGate;
use rein_nn::{
    Batcher, Dataset, Digits, GatedClassifier, L0LeNet5Config, L0MlpConfig, MlpConfig, Mnist,
    MnistVariant, Split, metrics,
};
use serde::Serialize;

use crate::report::{History, Panel, Table, plot_two_panel, progress_bar, write_metrics_json};
pub use problem::{DENSITY, LAYER_DENSITY, SparsityProblem, Targets};

/// Data sets of `rein sparsity`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DatasetName {
    /// The bundled 8x8 digits (1797 samples).
    Digits,
    /// MNIST (fetch first: `rein data fetch mnist`).
    Mnist,
    /// Fashion-MNIST (fetch first: `rein data fetch fashion-mnist`).
    FashionMnist,
}

/// Gated models of `rein sparsity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModelName {
    /// A ReLU MLP of gated linear layers (`--hidden`).
    Mlp,
    /// LeNet-5-Caffe: conv 20 - conv 50 - fc 500 - fc classes (padding 2 on the 8x8 digits).
    Lenet5,
}

/// Primal optimizers of `rein sparsity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OptimizerName {
    /// Adam (default).
    Adam,
    /// Plain SGD.
    Sgd,
    /// Shampoo with AdaGrad grafting (`--precondition-frequency`).
    Shampoo,
}

/// Options of `rein sparsity`.
#[derive(Debug, Args)]
pub struct SparsityArgs {
    /// Data set.
    #[arg(long, value_enum, default_value = "digits")]
    pub dataset: DatasetName,
    /// Model.
    #[arg(long, value_enum, default_value = "mlp")]
    pub model: ModelName,
    /// Primal optimizer of weights and gates (gates keep their own learning rate).
    #[arg(long, value_enum, default_value = "adam")]
    pub optimizer: OptimizerName,
    /// Shampoo's precondition frequency (roots recomputed every this many steps).
    #[arg(long, default_value_t = 10)]
    pub precondition_frequency: u64,
    /// Shampoo's largest Kronecker factor (blocks are cut to this size). Small by default: the
    /// gate vectors are long 1-D parameters, and 1024x1024 factors on them cost far more than
    /// the model's own step.
    #[arg(long, default_value_t = 128)]
    pub max_preconditioner_dim: usize,
    /// Data parallel over MPI: run as `mpirun -np N rein sparsity --distributed ...` (needs a
    /// build with `--features mpi`); each rank takes 1/N of every minibatch.
    #[arg(long)]
    pub distributed: bool,
    /// Structured gates: one per input neuron (linear layers) / output channel (convolutions),
    /// instead of one per parameter.
    #[arg(long)]
    pub structured: bool,
    /// Hidden widths of the gated MLP, comma-separated.
    #[arg(long, default_value = "128,64", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Model-wise density target rho in (0, 1].
    #[arg(long, default_value_t = 0.2)]
    pub target: f64,
    /// Layer-wise targets (one per layer, comma-separated) instead of the model-wise one.
    #[arg(long, value_delimiter = ',')]
    pub layerwise: Option<Vec<f64>>,
    /// Penalised baseline instead: minimise CE + penalty * density, no constraint.
    #[arg(long)]
    pub penalty: Option<f64>,
    /// Training steps.
    #[arg(long, default_value_t = 4000)]
    pub steps: usize,
    /// Minibatch size.
    #[arg(long, default_value_t = 128)]
    pub batch_size: usize,
    /// Adam learning rate of the weights.
    #[arg(long, default_value_t = 1e-3)]
    pub lr: f64,
    /// Adam learning rate of the gates (log_alpha).
    #[arg(long, default_value_t = 0.01)]
    pub gate_lr: f64,
    /// Dual (gradient ascent) learning rate.
    #[arg(long, default_value_t = 0.5)]
    pub dual_lr: f64,
    /// Initial drop rate d of the gates: log_alpha ~ N(ln((1-d)/d), 0.01).
    #[arg(long, default_value_t = 0.1)]
    pub drop_rate: f64,
    /// Seed of the split, init, batch order and gate noise.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Also train the dense MLP of the same shape, for the accuracy comparison.
    #[arg(long)]
    pub dense: bool,
    /// Compute device.
    #[arg(long, default_value = "flex")]
    pub device: DeviceKind,
    /// Where `rein data fetch` stored MNIST / Fashion-MNIST.
    #[arg(long, default_value = "data/fetched")]
    pub data_dir: PathBuf,
    /// Output directory.
    #[arg(long, default_value = "runs/sparsity")]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Print the final table (always on the command line; callers such as `rein demo` turn it
    /// off to print their own).
    #[arg(skip = true)]
    pub table: bool,
}

/// What `metrics.json` holds.
#[derive(Debug, Serialize)]
pub struct SparsityMetrics {
    /// Model (`mlp` or `lenet5`).
    pub model: String,
    /// Structured gates.
    pub structured: bool,
    /// Model-wise target (absent for layer-wise and penalty runs).
    pub target: Option<f64>,
    /// Layer-wise targets.
    pub layerwise: Option<Vec<f64>>,
    /// Penalty coefficient of a penalised run.
    pub penalty: Option<f64>,
    /// Final expected density (the constrained quantity).
    pub expected_density: f64,
    /// Final expected density per layer.
    pub layer_expected_density: Vec<f64>,
    /// Density after purging with the median test gates.
    pub purged_density: f64,
    /// Active parameters after purging.
    pub purged_params: usize,
    /// Sparsifiable parameters.
    pub total_params: usize,
    /// Accuracy with test gates on the training set.
    pub train_accuracy: f64,
    /// Accuracy with test gates on the test set.
    pub test_accuracy: f64,
    /// Test accuracy of the dense MLP trained with the same budget (with `--dense`).
    pub dense_test_accuracy: Option<f64>,
    /// Final multipliers.
    pub multipliers: Vec<f64>,
    /// Steps and seed.
    pub steps: usize,
    /// Seed.
    pub seed: u64,
}

/// Runs one controlled-sparsity (or penalised) training; returns its metrics.
pub fn run(args: &SparsityArgs) -> Result<SparsityMetrics> {
    if args.steps == 0 || args.batch_size == 0 {
        bail!("--steps and --batch-size must be positive");
    }
    if !(args.drop_rate > 0.0 && args.drop_rate < 1.0) {
        bail!("--drop-rate must be in (0, 1), got {}", args.drop_rate);
    }
    let device = args.device.open().map_err(anyhow::Error::msg)?.autodiff();
    let split = match args.dataset {
        DatasetName::Digits => Digits::load_bundled()?.split(0.2, args.seed)?,
        DatasetName::Mnist => Mnist::load(args.data_dir.join("mnist"), MnistVariant::Mnist)?,
        DatasetName::FashionMnist => Mnist::load(
            args.data_dir.join("fashion-mnist"),
            MnistVariant::FashionMnist,
        )?,
    };
    let (d, classes) = (split.train.d, split.train.classes);
    match args.model {
        ModelName::Mlp => {
            let structure = if args.structured {
                GateStructure::InputNeurons
            } else {
                GateStructure::Unstructured
            };
            let model = L0MlpConfig::new(d, args.hidden.clone(), classes)
                .structure(structure)
                .drop_rate(args.drop_rate)
                .init(args.seed, &device);
            run_model(args, model, &split, &device)
        }
        ModelName::Lenet5 => {
            let config = lenet_config(d, classes, args)?;
            run_model(args, config.init(args.seed, &device), &split, &device)
        }
    }
}

fn run_model<M: GatedClassifier + Module>(
    args: &SparsityArgs,
    mut model: M,
    split: &Split,
    device: &Device,
) -> Result<SparsityMetrics> {
    let layers = model.total_per_layer().len();
    let targets = match &args.layerwise {
        Some(t) if t.len() != layers => {
            bail!(
                "--layerwise needs {layers} targets (one per gated layer of the {:?} model), got {}",
                args.model,
                t.len()
            )
        }
        Some(t) => Targets::LayerWise(t.clone()),
        None => Targets::ModelWise(args.target),
    };
    let all: Vec<f64> = match &targets {
        Targets::ModelWise(r) => vec![*r],
        Targets::LayerWise(t) => t.clone(),
    };
    if let Some(r) = all.iter().find(|r| !(**r > 0.0 && **r <= 1.0)) {
        bail!("density targets must be in (0, 1], got {r}");
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let (train, test) = (&split.train, &split.test);
    let gates = ParamGroup::new("gates", model.gate_paths()).lr(args.gate_lr);
    let (name, size) = match &targets {
        Targets::ModelWise(_) => (DENSITY, 1),
        Targets::LayerWise(_) => (LAYER_DENSITY, layers),
    };
    let comm = communicator(args)?;
    let problem = SparsityProblem::new(train.clone(), targets.clone(), args.seed, device);
    let run = Run {
        args,
        comm: comm.clone(),
        name,
        size,
    };
    let history = match args.optimizer {
        OptimizerName::Adam => run.train(
            Adam::new(AdamConfig::new(args.lr))?.with_group(gates)?,
            problem,
            &mut model,
        )?,
        OptimizerName::Sgd => run.train(
            Sgd::new(SgdConfig::new(args.lr))?.with_group(gates)?,
            problem,
            &mut model,
        )?,
        OptimizerName::Shampoo => run.train(
            Shampoo::new(
                ShampooConfig::new(args.lr)
                    .precondition_frequency(args.precondition_frequency)
                    .max_preconditioner_dim(args.max_preconditioner_dim),
            )?
            .with_group(gates)?,
            problem,
            &mut model,
        )?,
    };
    // Evaluate off the autodiff graph: the valid (inner-device) copy of the model.
    let plain = device.clone().inner();
    let valid = model.valid();
    let accuracy = |data: &Dataset| {
        accuracy_of(data, &plain, |x| {
            valid.forward_gated(x, None, TestGate::Median)
        })
    };
    let totals = model.total_per_layer();
    let layer_expected_density: Vec<f64> = model
        .expected_active_per_layer()
        .into_iter()
        .zip(&totals)
        .map(|(a, t)| a.into_scalar::<f64>() / *t as f64)
        .collect();
    let purge = model.purge_report(TestGate::Median);
    let metrics = SparsityMetrics {
        model: format!("{:?}", args.model).to_lowercase(),
        structured: args.structured,
        target: if args.layerwise.is_none() {
            Some(args.target)
        } else {
            None
        },
        layerwise: args.layerwise.clone(),
        penalty: args.penalty,
        expected_density: model.expected_density().into_scalar::<f64>(),
        layer_expected_density,
        purged_density: purge.density,
        purged_params: purge.active_params,
        total_params: totals.iter().sum(),
        train_accuracy: accuracy(train),
        test_accuracy: accuracy(test),
        dense_test_accuracy: if args.dense {
            Some(dense_accuracy(args, train, test, device)?)
        } else {
            None
        },
        multipliers: history.1,
        steps: args.steps,
        seed: args.seed,
    };
    if comm.rank() != 0 {
        return Ok(metrics);
    }
    history.0.write_csv(&args.out.join("history.csv"))?;
    write_metrics_json(&args.out.join("metrics.json"), &metrics)?;
    plot(args, &history.0, &all)?;
    if args.table {
        print_table(&metrics);
    }
    Ok(metrics)
}

/// Accuracy of `logits` over `data`, in chunks of 500 rows (LeNet-5 on 60k images at once would
/// hold every activation in memory).
fn accuracy_of(data: &Dataset, device: &Device, logits: impl Fn(Tensor<2>) -> Tensor<2>) -> f64 {
    let mut confusion = metrics::ConfusionMatrix::new(data.classes);
    let rows: Vec<usize> = (0..data.n).collect();
    for chunk in rows.chunks(500) {
        let (x, _) = data.batch_tensors(chunk, device);
        let labels: Vec<usize> = chunk.iter().map(|&i| data.labels[i]).collect();
        confusion.merge(&metrics::ConfusionMatrix::from_logits_tensor(
            logits(x).detach(),
            &labels,
        ));
    }
    confusion.accuracy().unwrap_or(0.0)
}

/// What one training run needs besides the optimizer.
struct Run<'a> {
    args: &'a SparsityArgs,
    comm: Rc<dyn Communicator>,
    name: &'static str,
    size: usize,
}

impl Run<'_> {
    /// Trains with `primal` (wrapped for data parallelism), constrained or penalised.
    fn train<O: PrimalOptimizer, M: GatedClassifier + Module>(
        &self,
        primal: O,
        problem: SparsityProblem,
        model: &mut M,
    ) -> Result<(History, Vec<f64>)> {
        let rows = problem.rows();
        let primal = DataParallel::new(primal, self.comm.clone());
        let mut problem = DistributedCmp::new(problem, self.comm.clone());
        let (name, size) = (self.name, self.size);
        match self.args.penalty {
            Some(p) => {
                // loss + p * (density - rho): the Lagrangian with a fixed multiplier.
                let c = Constraint::inequality(name, size).initial_multiplier(vec![p; size]);
                let mut opt = Unconstrained::new(primal, Constraints::new().add(c)?)?;
                self.train_loop(&mut opt, &mut problem, rows, model, "penalty")
            }
            None => {
                let c = Constraint::inequality(name, size).dual_restarts(true);
                let mut opt = SimultaneousGda::new(
                    primal,
                    DualSgd::new(self.args.dual_lr)?,
                    Constraints::new().add(c)?,
                )?;
                self.train_loop(&mut opt, &mut problem, rows, model, "constrained")
            }
        }
    }

    fn train_loop<M, P, S>(
        &self,
        opt: &mut S,
        problem: &mut P,
        rows: usize,
        model: &mut M,
        label: &str,
    ) -> Result<(History, Vec<f64>)>
    where
        M: GatedClassifier + Module,
        P: Cmp<M, Batch = [usize]>,
        S: ConstrainedOptimizer,
    {
        let args = self.args;
        let comm = self.comm.as_ref();
        if !args.batch_size.is_multiple_of(comm.size()) {
            bail!(
                "--batch-size {} does not split evenly over {} ranks",
                args.batch_size,
                comm.size()
            );
        }
        // With several ranks every batch is full (drop_last), so all shards have the same size.
        let mut batcher =
            Batcher::new(rows, args.batch_size, args.seed)?.with_drop_last(comm.size() > 1)?;
        let bar = progress_bar(args.steps, label, args.quiet || comm.rank() != 0)?;
        let mut history = History::new();
        let mut last = None;
        for _ in 0..args.steps {
            let batch = batcher.next_batch();
            let mine = shard(&batch.indices, comm)?;
            let report = match opt.step(problem, model, mine) {
                Ok(r) => r,
                Err(e) if comm.size() > 1 => comm.abort(3, &format!("rank {}: {e}", comm.rank())),
                Err(e) => return Err(e.into()),
            };
            *model = model.clone().clamp_log_alpha();
            record(&mut history, &report);
            bar.inc(1);
            if report.step % 50 == 0 {
                let c = &report.constraints[0];
                bar.set_message(format!(
                    "loss {:.3}  violation {:+.4}",
                    report.loss.unwrap_or(f64::NAN),
                    c.violation[0]
                ));
            }
            last = Some(report);
        }
        bar.finish();
        let multipliers = last
            .map(|r| r.constraints[0].multipliers.clone())
            .unwrap_or_default();
        Ok((history, multipliers))
    }
}

/// The communicator of this run: MPI's world with `--distributed`, else a single process.
fn communicator(args: &SparsityArgs) -> Result<Rc<dyn Communicator>> {
    if !args.distributed {
        return Ok(Rc::new(SingleProcess));
    }
    #[cfg(feature = "mpi")]
    {
        Ok(Rc::new(rein_dist::MpiCommunicator::init()?))
    }
    #[cfg(not(feature = "mpi"))]
    {
        bail!(
            "--distributed needs MPI: build with `cargo build --release -p rein-cli --features mpi` \
             (OpenMPI: apt-get install libopenmpi-dev openmpi-bin libclang-dev) and run under \
             `mpirun -np N`"
        )
    }
}

fn record(history: &mut History, report: &StepReport) {
    let mut row = vec![("loss", report.loss.unwrap_or(f64::NAN))];
    let c = &report.constraints[0];
    let names: Vec<String> = (0..c.violation.len())
        .map(|k| format!("violation_{k}"))
        .collect();
    let lams: Vec<String> = (0..c.multipliers.len())
        .map(|k| format!("multiplier_{k}"))
        .collect();
    for (n, v) in names.iter().zip(&c.violation) {
        row.push((n.as_str(), *v));
    }
    for (n, v) in lams.iter().zip(&c.multipliers) {
        row.push((n.as_str(), *v));
    }
    history.push(report.step, &row);
}

fn dense_accuracy(
    args: &SparsityArgs,
    train: &Dataset,
    test: &Dataset,
    device: &Device,
) -> Result<f64> {
    match args.model {
        ModelName::Mlp => {
            let model =
                MlpConfig::new(train.d, args.hidden.clone(), train.classes).init(args.seed, device);
            train_dense(args, train, test, device, model, |m, x| m.forward(x))
        }
        ModelName::Lenet5 => {
            // The gated network with its gates ignored: the gate parameters get no gradient and
            // the optimizer leaves them alone.
            let model = lenet_config(train.d, train.classes, args)?.init(args.seed, device);
            train_dense(args, train, test, device, model, |m, x| m.forward_dense(x))
        }
    }
}

fn lenet_config(d: usize, classes: usize, args: &SparsityArgs) -> Result<L0LeNet5Config> {
    let side = (d as f64).sqrt().round() as usize;
    if side * side != d {
        bail!("--model lenet5 needs square images; the data set has {d} features");
    }
    // 28x28 (MNIST) as in the paper; small images get padding 2 so they do not vanish.
    let config = L0LeNet5Config::new(side, classes)
        .padding(if side >= 28 { 0 } else { 2 })
        .structured(args.structured)
        .drop_rate(args.drop_rate);
    if config.final_side().is_none() {
        bail!("--model lenet5: {side}x{side} images are too small");
    }
    Ok(config)
}

/// Trains `model` densely with Adam for the same budget and returns its test accuracy.
fn train_dense<M: Module>(
    args: &SparsityArgs,
    train: &Dataset,
    test: &Dataset,
    device: &Device,
    mut model: M,
    forward: impl Fn(&M, Tensor<2>) -> Tensor<2>,
) -> Result<f64> {
    let mut opt = rein::optim::Adam::new(AdamConfig::new(args.lr))?;
    let mut batcher = Batcher::new(train.n, args.batch_size, args.seed)?;
    let loss = CrossEntropyLossConfig::new().init(device);
    for _ in 0..args.steps {
        let batch = batcher.next_batch();
        let (x, y) = train.batch_tensors(&batch.indices, device);
        let l = loss.forward(forward(&model, x), y);
        let grads = rein::optim::ParamGrads::from_backward(&model, &l.backward());
        model = rein::optim::PrimalOptimizer::step(&mut opt, model, &grads)?;
    }
    let valid = model.valid();
    Ok(accuracy_of(test, &device.clone().inner(), |x| {
        forward(&valid, x)
    }))
}

fn plot(args: &SparsityArgs, history: &History, targets: &[f64]) -> Result<()> {
    let violations: Vec<Vec<(f64, f64)>> = (0..targets.len())
        .map(|k| {
            history
                .series(&format!("violation_{k}"))
                .into_iter()
                .map(|(s, v)| (s, v + targets[k]))
                .collect()
        })
        .collect();
    let lambdas: Vec<Vec<(f64, f64)>> = (0..targets.len())
        .map(|k| history.series(&format!("multiplier_{k}")))
        .collect();
    let labels: Vec<String> = (0..targets.len())
        .map(|k| format!("expected density {k}"))
        .collect();
    let lam_labels: Vec<String> = (0..targets.len()).map(|k| format!("lambda {k}")).collect();
    let top: Vec<(&str, &[(f64, f64)])> = labels
        .iter()
        .map(String::as_str)
        .zip(violations.iter().map(Vec::as_slice))
        .collect();
    let bottom: Vec<(&str, &[(f64, f64)])> = lam_labels
        .iter()
        .map(String::as_str)
        .zip(lambdas.iter().map(Vec::as_slice))
        .collect();
    let target_labels: Vec<String> = (0..targets.len()).map(|k| format!("target {k}")).collect();
    let hlines: Vec<(&str, f64)> = target_labels
        .iter()
        .map(String::as_str)
        .zip(targets.iter().copied())
        .collect();
    plot_two_panel(
        &args.out.join("density_and_multiplier.png"),
        "rein sparsity: expected density vs target",
        &Panel {
            y_label: "density",
            series: &top,
            hlines: &hlines,
        },
        &Panel {
            y_label: "lambda",
            series: &bottom,
            hlines: &[],
        },
    )
}

fn print_table(m: &SparsityMetrics) {
    let mut t = Table::new([
        "target",
        "expected density",
        "purged density",
        "train acc",
        "test acc",
        "dense test acc",
        "lambda",
    ]);
    t.add_row([
        m.target.map_or_else(
            || format!("{:?}", m.layerwise.clone().unwrap_or_default()),
            |r| format!("{r:.3}"),
        ),
        format!("{:.4}", m.expected_density),
        format!("{:.4}", m.purged_density),
        format!("{:.4}", m.train_accuracy),
        format!("{:.4}", m.test_accuracy),
        m.dense_test_accuracy
            .map_or("-".into(), |a| format!("{a:.4}")),
        format!(
            "{:?}",
            m.multipliers
                .iter()
                .map(|l| (l * 1e4).round() / 1e4)
                .collect::<Vec<_>>()
        ),
    ]);
    println!("\n{}", t.render());
}
