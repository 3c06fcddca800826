//! Workload 3 of BENCHMARKS.md: MLP classification with an L0 density constraint (Louizos, Welling &
//! Kingma 2018 gates; Gallego-Posada et al. 2022 controlled sparsity), batch 128, on the
//! digits (64-128-64-10) or MNIST (784-300-100-10).
//!
//! Modes (`--mode`):
//! * `constrained`: L0-gated MLP ([`L0Mlp`], one hard-concrete gate per weight and bias),
//!   `min CE(x) s.t. E[density](log_alpha) - target <= 0` with
//!   [`SimultaneousGda`](rein::scheme::SimultaneousGda), Adam on the primal (gates `log_alpha` in
//!   their own group with `gate_lr`), [`DualSgd`](rein::dual::DualSgd) on the
//!   multiplier, no dual restarts (Cooper 1.0 has none); `log_alpha` clamped to
//!   `[ln 0.01, ln 100]` after every step;
//! * `unconstrained`: the same gated model and step, cross-entropy only ([`Unconstrained`]);
//! * `dense`: the plain MLP ([`Mlp`], same initial weights and biases) with Adam.
//!
//! Gates (training): `z = clamp(sigmoid((n + log_alpha) / beta) (zeta - gamma) + gamma, 0, 1)`
//! with logistic noise `n = ln u - ln(1 - u)`, `beta = 2/3`, `gamma = -0.1`, `zeta = 1.1`;
//! expected density `sum_gates sigmoid(log_alpha - beta ln(-gamma / zeta)) / #gates`.
//!
//! Gate noise: rein draws it from a [`GateRng`] (seed `noise_seed`), reset to its initial state
//! every `noise_steps` steps. The problem file stores exactly those `noise_steps x #gates`
//! values (`noise`, f32, step-major, then layer by layer, gates row-major), so the reference
//! replays the same noise and both sides compute the same steps up to f32 rounding.

use std::collections::VecDeque;
use std::path::PathBuf;

use anyhow::{Result, bail};
use burn::module::Module;
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Int, Tensor};
use clap::{Args, ValueEnum};
use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::optim::{Adam, AdamConfig, Clamp, Projected};
use rein::scheme::{SchemeKind, Unconstrained};
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, Constraints};
use rein_nn::l0::hard_concrete::{LOG_ALPHA_MAX, LOG_ALPHA_MIN};
use rein_nn::l0::{GateRng, TestGate, host};
use rein_nn::{Dataset, L0Mlp, L0MlpConfig, Mlp};
use rein_recipes::sparsity::{DENSITY, GATE_PATTERN, SparsityProblem, Targets, gates_group};

use crate::common::{self, CommonArgs};
use crate::model_io::{self, DataName};
use crate::problem_file::ProblemFile;
use crate::report::{HeldBytes, Quality, RunReport, StepStats};

/// Number of final steps whose mean loss is reported.
const LOSS_WINDOW: usize = 50;

/// What is trained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Gated MLP with the density constraint.
    Constrained,
    /// Gated MLP, cross-entropy only.
    Unconstrained,
    /// Plain MLP, cross-entropy only.
    Dense,
}

/// `rein-bench mlp-l0`.
#[derive(Args, Debug)]
pub struct MlpL0Args {
    #[command(flatten)]
    common: CommonArgs,
    /// Data set (must match the problem file when running).
    #[arg(long, value_enum, default_value = "digits")]
    data: DataName,
    /// What to train.
    #[arg(long, value_enum, default_value = "constrained")]
    mode: Mode,
    /// [write] Hidden widths (default 128,64 for digits, 300,100 for MNIST).
    #[arg(long, value_delimiter = ',')]
    hidden: Option<Vec<usize>>,
    /// [write] Minibatch size.
    #[arg(long, default_value_t = 128)]
    batch_size: usize,
    /// [write] Batches stored in the problem (steps cycle through them).
    #[arg(long, default_value_t = 2000)]
    batches: usize,
    /// [write] Steps of gate noise stored (the noise repeats with this period); default 64
    /// for digits, 8 for MNIST (1 MiB per step).
    #[arg(long)]
    noise_steps: Option<usize>,
    /// [write] Adam learning rate of weights and biases.
    #[arg(long, default_value_t = 1e-3)]
    lr: f64,
    /// [write] Adam learning rate of the gates (log_alpha).
    #[arg(long, default_value_t = 1e-2)]
    gate_lr: f64,
    /// [write] Dual SGD learning rate.
    #[arg(long, default_value_t = 0.5)]
    dual_lr: f64,
    /// [write] Density target.
    #[arg(long, default_value_t = 0.2)]
    target: f64,
    /// [write] Initial drop rate of the gates.
    #[arg(long, default_value_t = 0.1)]
    drop_rate: f64,
    /// [write] Directory of the MNIST IDX files.
    #[arg(long, default_value = "data/fetched/mnist")]
    mnist_dir: PathBuf,
}

/// Runs (or writes the problem of) the workload.
pub fn run(args: &MlpL0Args) -> Result<Option<RunReport>> {
    let path = args.common.problem_path()?;
    if args.common.write_problem {
        write_problem(args)?.write(path)?;
        return Ok(None);
    }
    let p = ProblemFile::read(path)?;
    model_io::check_data_name(&p, args.data)?;
    let device = args.common.open_device()?;
    let data = model_io::data(&p)?;
    let sizes = model_io::sizes(&p)?;
    if sizes[0] != data.train.d {
        bail!(
            "problem meta `sizes` starts with {} inputs, the data has {} features",
            sizes[0],
            data.train.d
        );
    }
    let (batch_size, batches) = model_io::batches(&p, data.train.n)?;
    let float_bytes = args.common.float_bytes();
    let mut held = HeldBytes::new();
    held.add(
        "data",
        common::dataset_bytes(&data.train) + common::dataset_bytes(&data.test),
    )
    .add("batches", common::index_bytes(&batches));
    let settings = Settings::read(&p)?;
    let ce = CrossEntropyLossConfig::new().init(&device);
    let flops = model_io::mlp_step_flops(&sizes, batch_size);
    let variant = format!("{}-{:?}", args.data.as_str(), args.mode).to_lowercase();
    let mut run = Runner {
        common: &args.common,
        batches: &batches,
        batch_size,
        losses: VecDeque::with_capacity(LOSS_WINDOW),
    };
    let mut report = match args.mode {
        Mode::Dense => {
            let mut model = model_io::mlp(&p, &device)?;
            let mut problem = DenseProblem {
                train: data.train,
                loss: ce,
                device: device.clone(),
            };
            let mut opt =
                Unconstrained::new(Adam::new(AdamConfig::new(settings.lr))?, Constraints::new())?;
            let stats = run.time(&mut opt, &mut problem, &mut model)?;
            held.add("model", common::param_bytes(&model, float_bytes));
            common::add_optimizer_state(&mut held, &opt)?;
            let mut q = run.quality();
            let eval = model.valid();
            q.extra.insert(
                "test_accuracy".into(),
                model_io::chunked_accuracy(&data.test, &device.clone().inner(), |x| {
                    eval.forward(x)
                })?,
            );
            args.common.report("mlp-l0", variant, stats, q)
        }
        Mode::Constrained | Mode::Unconstrained => {
            let constrained = args.mode == Mode::Constrained;
            let mut model = model_io::l0_mlp(&p, &device)?;
            let gates: usize = model.layers.iter().map(|l| l.num_gates()).sum();
            let noise_steps = p.meta_usize("noise_steps")?;
            let noise_seed = p.meta_usize("noise_seed")? as u64;
            // The sparsity recipe's problem, with the stored gate noise replayed.
            let targets = if constrained {
                Targets::ModelWise(settings.target)
            } else {
                Targets::None
            };
            let mut problem = Gated {
                inner: SparsityProblem::with_gate_rng(
                    data.train,
                    targets,
                    GateRng::new(noise_seed),
                    &device,
                ),
                noise_steps,
                noise_seed,
            };
            // The recipe's optimizer side with the problem file's rates; no dual restarts
            // (Cooper 1.0 has none); the log_alpha clamp is a projection inside the step.
            let config = OptimizerConfig {
                scheme: if constrained {
                    SchemeKind::Simultaneous
                } else {
                    SchemeKind::Unconstrained
                },
                primal: PrimalConfig::new(PrimalKind::Adam, settings.lr)
                    .group(gates_group(settings.gate_lr)),
                dual: DualConfig::new(DualKind::Sgd, settings.dual_lr),
                constraints: Default::default(),
            };
            let clamp = Clamp::new([GATE_PATTERN], LOG_ALPHA_MIN, LOG_ALPHA_MAX)?;
            let primal = Projected::new(config.build_primal()?).with(clamp);
            let constraints = if constrained {
                vec![Constraint::inequality(DENSITY, 1)]
            } else {
                Vec::new()
            };
            let mut opt = config.build_with(primal, constraints)?;
            let stats = run.time(&mut opt, &mut problem, &mut model)?;
            held.add("model", common::param_bytes(&model, float_bytes));
            common::add_optimizer_state(&mut held, &opt)?;
            // The stored noise stays in the problem (read by the reference; rein redraws the
            // same values from its seed).
            held.add("gate_noise", (noise_steps * gates * 4) as u64);
            let lambda = opt
                .constraints()
                .get(DENSITY)
                .and_then(|c| c.multipliers())
                .map(<[f64]>::to_vec);
            let stats = (stats, lambda);
            let (stats, lambda) = stats;
            let mut q = run.quality();
            gated_quality(&mut q, &model, &data.test, settings.target, &device)?;
            if let Some(lambda) = lambda {
                q.multipliers.insert(DENSITY.into(), lambda);
            }
            q.extra.insert("gates".into(), gates as f64);
            args.common.report("mlp-l0", variant, stats, q)
        }
    };
    // GFLOP/s = flops_per_step / step time; not a quality figure (it depends on the timing).
    report.flops_per_step = Some(flops);
    report.set_held(held);
    Ok(Some(report))
}

/// Hyper-parameters read back from the problem meta.
struct Settings {
    lr: f64,
    gate_lr: f64,
    dual_lr: f64,
    target: f64,
}

impl Settings {
    fn read(p: &ProblemFile) -> Result<Self> {
        Ok(Self {
            lr: p.meta_f64("lr")?,
            gate_lr: p.meta_f64("gate_lr")?,
            dual_lr: p.meta_f64("dual_lr")?,
            target: p.meta_f64("target")?,
        })
    }
}

/// Builds the problem file: data, initial L0 MLP (seed `--seed`), batches, gate noise and
/// hyper-parameters.
fn write_problem(args: &MlpL0Args) -> Result<ProblemFile> {
    let data = model_io::load_fresh(args.data, &args.mnist_dir)?;
    let hidden = args.hidden.clone().unwrap_or_else(|| match args.data {
        DataName::Digits => vec![128, 64],
        DataName::Mnist => vec![300, 100],
    });
    if !(args.target > 0.0 && args.target <= 1.0) {
        bail!("--target must be in (0, 1], got {}", args.target);
    }
    if !(args.drop_rate > 0.0 && args.drop_rate < 1.0) {
        bail!("--drop-rate must be in (0, 1), got {}", args.drop_rate);
    }
    let noise_steps = args.noise_steps.unwrap_or(match args.data {
        DataName::Digits => 64,
        DataName::Mnist => 8,
    });
    if noise_steps == 0 {
        bail!("--noise-steps must be at least 1");
    }
    let mut p = ProblemFile::new();
    model_io::put_data(&mut p, args.data, &data, &args.mnist_dir)?;
    let host = Device::flex();
    let model = L0MlpConfig::new(data.train.d, hidden, data.train.classes)
        .drop_rate(args.drop_rate)
        .init(args.common.seed, &host);
    model_io::put_l0_mlp(&mut p, &model)?;
    model_io::put_batches(
        &mut p,
        data.train.n,
        args.batch_size,
        args.batches,
        args.common.seed,
    )?;
    let gates: usize = model.layers.iter().map(|l| l.num_gates()).sum();
    let noise_seed = args.common.seed.wrapping_add(7);
    let mut rng = GateRng::new(noise_seed);
    let noise: Vec<f32> = (0..noise_steps * gates)
        .map(|_| rng.logistic_noise() as f32)
        .collect();
    p.put_f32("noise", &[noise_steps, gates], &noise)?;
    p.set_meta("noise_steps", noise_steps);
    p.set_meta("noise_seed", noise_seed);
    p.set_meta("lr", args.lr);
    p.set_meta("gate_lr", args.gate_lr);
    p.set_meta("dual_lr", args.dual_lr);
    p.set_meta("target", args.target);
    p.set_meta("drop_rate", args.drop_rate);
    Ok(p)
}

/// The recipe's [`SparsityProblem`] with its gate noise restarted every `noise_steps` steps
/// (the problem file stores that many steps of noise for the reference to replay).
struct Gated {
    inner: SparsityProblem,
    noise_steps: usize,
    noise_seed: u64,
}

impl Cmp<L0Mlp> for Gated {
    type Batch = [usize];
    fn compute_cmp_state(&mut self, m: &L0Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        self.inner.compute_cmp_state(m, batch)
    }
}

/// Cross-entropy of the plain MLP.
struct DenseProblem {
    train: Dataset,
    loss: CrossEntropyLoss,
    device: Device,
}

impl Cmp<Mlp> for DenseProblem {
    type Batch = [usize];
    fn compute_cmp_state(&mut self, m: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y): (Tensor<2>, Tensor<1, Int>) = self.train.batch_tensors(batch, &self.device);
        Ok(CmpState::new().loss(self.loss.forward(m.forward(x), y)))
    }
}

/// The timed loop shared by the modes.
struct Runner<'a> {
    common: &'a CommonArgs,
    batches: &'a [usize],
    batch_size: usize,
    losses: VecDeque<f64>,
}

impl Runner<'_> {
    /// Times `warmup + steps` steps of `opt` on the stored batches (cycled); a gated problem
    /// restarts its gate noise every `noise_steps` steps (the `log_alpha` clamp is part of the
    /// step: a projection of the primal optimizer).
    fn time<M: Module, P: Cmp<M, Batch = [usize]> + Noisy, S: ConstrainedOptimizer>(
        &mut self,
        opt: &mut S,
        problem: &mut P,
        model: &mut M,
    ) -> Result<StepStats> {
        let (batches, size) = (self.batches, self.batch_size);
        let count = batches.len() / size;
        let losses = &mut self.losses;
        let mut t = 0usize;
        self.common.time_steps(|| {
            problem.before_step(t);
            let k = t % count;
            let r = opt.step(problem, model, &batches[k * size..(k + 1) * size])?;
            if losses.len() == LOSS_WINDOW {
                losses.pop_front();
            }
            losses.push_back(r.loss.unwrap_or(f64::NAN));
            t += 1;
            Ok(())
        })
    }

    /// Objective: the last step's loss; extra `loss_mean_last`: mean over the last 50 steps.
    fn quality(&self) -> Quality {
        let mut q = Quality {
            objective: self.losses.back().copied(),
            ..Quality::default()
        };
        let n = self.losses.len().max(1) as f64;
        q.extra
            .insert("loss_mean_last".into(), self.losses.iter().sum::<f64>() / n);
        q
    }
}

/// Per-step preparation of a problem (the gate-noise restart).
trait Noisy {
    /// Called before step `t` (counting warm-up steps).
    fn before_step(&mut self, _t: usize) {}
}

impl Noisy for DenseProblem {}

impl Noisy for Gated {
    fn before_step(&mut self, t: usize) {
        if t.is_multiple_of(self.noise_steps) {
            self.inner.set_gate_rng(GateRng::new(self.noise_seed));
        }
    }
}

/// Final expected density and its violation, the density of the median (test) gates and the
/// test accuracy with median gates.
fn gated_quality(
    q: &mut Quality,
    model: &L0Mlp,
    test: &Dataset,
    target: f64,
    device: &Device,
) -> Result<()> {
    let density = f64::from(model_io::host_f32(model.expected_density())?[0]);
    q.constraints.insert(DENSITY.into(), vec![density - target]);
    q.extra.insert("expected_density".into(), density);
    let (mut open, mut total) = (0usize, 0usize);
    for layer in &model.layers {
        let la = model_io::host_f32(layer.log_alpha.val())?;
        open += la
            .iter()
            .filter(|&&a| host::median_gate(f64::from(a)) > 0.0)
            .count();
        total += la.len();
    }
    q.extra
        .insert("median_density".into(), open as f64 / total.max(1) as f64);
    let eval = model.valid();
    q.extra.insert(
        "test_accuracy".into(),
        model_io::chunked_accuracy(test, &device.clone().inner(), |x| {
            eval.forward(x, None, TestGate::Median)
        })?,
    );
    Ok(())
}
