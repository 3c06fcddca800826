//! `dp-check`: data-parallel constrained training over MPI, checked against the serial run.
//!
//! Under `mpirun -np N dp-check [--scheme S] [--steps T]` (S: simultaneous, alternating-al,
//! extragradient, or shampoo: simultaneous GDA with Distributed Shampoo), every rank trains the digits MLP
//! (64-32-10, float32) with cross-entropy subject to a per-sample loss bound
//! (`CE_i <= 0.7`, one multiplier per training sample: an indexed constraint) and a weight-norm
//! bound (`||W_1||^2 / 100 <= 1`: a dense constraint), on its shard of each global minibatch of
//! 64. Then every rank repeats the run alone on whole batches, and the program checks
//!
//! * the ranks' parameters and multipliers are bitwise identical (gathered bits), and
//! * they equal the serial run's within `--tolerance` (default 1e-6; absolute for values below 1,
//!   relative above).
//!
//! It prints one `dp-check:` summary line on rank 0 and exits 0, or exits non-zero with the
//! reason. `--fail-rank R --fail-step S` makes rank R fail at step S (the run must abort, not
//! hang); `--f64` runs in float64 (the difference to the serial run is then rounding only);
//! `--mismatch` gives rank 1 a different learning rate (the configuration check must
//! catch it). `--hidden W1,W2,...` (default 32) and `--batch B` (default 64, at most the 1,437
//! training rows) change the model and the global batch, e.g. `--hidden 1024,1024 --batch 1024`
//! for a compute-bound step when measuring the speed-up over ranks (`bench/mpi.sh`).

use std::rc::Rc;

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, FloatDType, Tensor};
use rein::dist::{
    Communicator, DataParallel, DistributedCmp, SingleProcess, ensure_same_on_all_ranks,
    fingerprint, shard,
};
use rein::dual::DualSgd;
use rein::optim::shampoo::RootPrecision;
use rein::optim::{
    Adam, AdamConfig, DistributedShampoo, PrimalOptimizer, Sgd, SgdConfig, ShampooConfig,
};
use rein::scheme::SchemeKind;
use rein::{
    Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints, Formulation,
    PenaltyCoefficient, ReinError,
};
use rein_dist::{MpiCommunicator, run_or_abort};
use rein_nn::{Dataset, Digits, Mlp, MlpConfig};

/// Default global batch.
const BATCH: usize = 64;
/// Default hidden widths (the digits MLP 64-32-10).
const HIDDEN: [usize; 1] = [32];

#[derive(Debug, Clone)]
struct Options {
    scheme: String,
    steps: usize,
    tolerance: f64,
    fail: Option<(usize, usize)>,
    mismatch: bool,
    f64: bool,
    hidden: Vec<usize>,
    batch: usize,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        scheme: "simultaneous".into(),
        steps: 40,
        tolerance: 1e-6,
        fail: None,
        mismatch: false,
        f64: false,
        hidden: HIDDEN.to_vec(),
        batch: BATCH,
    };
    let mut fail_rank = None;
    let mut fail_step = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match a.as_str() {
            "--scheme" => o.scheme = value("--scheme")?,
            "--steps" => {
                o.steps = value("--steps")?
                    .parse()
                    .map_err(|e| format!("--steps: {e}"))?
            }
            "--tolerance" => {
                o.tolerance = value("--tolerance")?
                    .parse()
                    .map_err(|e| format!("--tolerance: {e}"))?
            }
            "--fail-rank" => {
                fail_rank = Some(
                    value("--fail-rank")?
                        .parse()
                        .map_err(|e| format!("--fail-rank: {e}"))?,
                )
            }
            "--fail-step" => {
                fail_step = Some(
                    value("--fail-step")?
                        .parse()
                        .map_err(|e| format!("--fail-step: {e}"))?,
                )
            }
            "--hidden" => {
                o.hidden = value("--hidden")?
                    .split(',')
                    .map(|w| w.trim().parse::<usize>())
                    .collect::<Result<_, _>>()
                    .map_err(|e| format!("--hidden: {e} (widths like 1024,1024)"))?;
                if o.hidden.is_empty() || o.hidden.contains(&0) {
                    return Err("--hidden: widths must be positive".into());
                }
            }
            "--batch" => {
                o.batch = value("--batch")?
                    .parse()
                    .map_err(|e| format!("--batch: {e}"))?;
                if o.batch == 0 {
                    return Err("--batch must be at least 1".into());
                }
            }
            "--mismatch" => o.mismatch = true,
            "--f64" => o.f64 = true,
            other => return Err(format!("unknown option {other}")),
        }
    }
    o.fail = fail_rank.zip(fail_step);
    Ok(o)
}

/// Cross-entropy on a shard, s.t. per-sample CE <= 0.7 (indexed) and ||W_1||^2 / 100 <= 1.
struct Digits64 {
    train: Dataset,
    device: Device,
    fail_at: Option<usize>,
    calls: usize,
}

impl Cmp<Mlp> for Digits64 {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        self.calls += 1;
        if self.fail_at == Some(self.calls) {
            return Err(ReinError::Distributed {
                what: "dp-check".into(),
                reason: format!("injected failure at evaluation {}", self.calls),
            });
        }
        let (x, y) = self.train.batch_tensors(batch, &self.device);
        let n = batch.len();
        let logp = log_softmax(model.forward(x), 1);
        let per_sample: Tensor<1> = logp.gather(1, y.reshape([n, 1])).reshape([n]).neg();
        let w = model.layers[0].weight.val();
        let norm: Tensor<1> = w.powf_scalar(2.0).sum().div_scalar(100.0).sub_scalar(1.0);
        Ok(CmpState::new()
            .loss(per_sample.clone().mean())
            .observe(
                "per_sample_loss",
                ConstraintState::new(per_sample.sub_scalar(0.7)).indices(batch.to_vec()),
            )
            .observe("weight_norm", ConstraintState::new(norm)))
    }
}

fn constraints(n: usize, f: Formulation) -> rein::Result<Constraints> {
    let with = |c: Constraint| match f {
        Formulation::Lagrangian => c,
        _ => c.formulation(f).penalty(PenaltyCoefficient::scalar(0.1)),
    };
    Constraints::new()
        .add(with(Constraint::inequality("per_sample_loss", n).indexed()))?
        .add(with(Constraint::inequality("weight_norm", 1)))
}

fn params(model: &Mlp) -> Vec<f32> {
    let mut out = Vec::new();
    for l in &model.layers {
        let mut push = |t: Tensor<2>| {
            out.extend(
                t.to_data()
                    .convert::<f32>()
                    .try_to_vec::<f32>()
                    .unwrap_or_default(),
            );
        };
        push(l.weight.val());
        if let Some(b) = &l.bias {
            push(b.val().unsqueeze());
        }
    }
    out
}

fn run_training(
    comm: Rc<dyn Communicator>,
    o: &Options,
    lr: f64,
    train: &Dataset,
    device: &Device,
) -> rein::Result<Vec<f64>> {
    let fail_at = o
        .fail
        .filter(|(r, _)| *r == comm.rank() && comm.size() > 1)
        .map(|(_, s)| s);
    let mut problem = DistributedCmp::new(
        Digits64 {
            train: train.clone(),
            device: device.clone(),
            fail_at,
            calls: 0,
        },
        comm.clone(),
    );
    let mut model = MlpConfig::new(64, o.hidden.clone(), 10).init(0, device);
    let n = train.n;
    // Distinct rows per batch: 7 and n = 1437 = 3 * 479 are coprime and batch <= n.
    let batches: Vec<Vec<usize>> = (0..o.steps)
        .map(|t| (0..o.batch).map(|k| (t * o.batch + k * 7) % n).collect())
        .collect();
    let adam = || DataParallel::new(Adam::new(AdamConfig::new(lr)).unwrap(), comm.clone());
    let sgd = || DataParallel::new(Sgd::new(SgdConfig::new(lr * 10.0)).unwrap(), comm.clone());
    // The cases: scheme, primal optimizer and formulation, chosen at run time.
    let (scheme, primal, formulation): (SchemeKind, Box<dyn PrimalOptimizer>, _) = match o
        .scheme
        .as_str()
    {
        "simultaneous" => (
            SchemeKind::Simultaneous,
            Box::new(adam()),
            Formulation::Lagrangian,
        ),
        "alternating-al" => (
            SchemeKind::AlternatingDualPrimal,
            Box::new(sgd()),
            Formulation::AugmentedLagrangian,
        ),
        // Distributed Shampoo averages the gradients itself (no DataParallel wrapper); each
        // rank preconditions only its blocks and one all-gather shares the directions.
        "shampoo" => (
            SchemeKind::Simultaneous,
            Box::new(DistributedShampoo::new(
                ShampooConfig::new(lr)
                    .precondition_frequency(5)
                    .max_preconditioner_dim(32)
                    // Well-conditioned roots: with eps 1e-12 the near-singular factors
                    // amplify the serial run's different summation order to 1e-7 even in
                    // float64.
                    .eps(1e-6)
                    .root_precision(if o.f64 {
                        RootPrecision::F64
                    } else {
                        RootPrecision::F32
                    }),
                comm.clone(),
            )?),
            Formulation::Lagrangian,
        ),
        "extragradient" => (
            SchemeKind::Extragradient,
            Box::new(sgd()),
            Formulation::Lagrangian,
        ),
        other => {
            return Err(ReinError::Distributed {
                what: "--scheme".into(),
                reason: format!(
                    "unknown scheme {other} (simultaneous, alternating-al, extragradient, shampoo)"
                ),
            });
        }
    };
    let mut s = scheme.build(
        primal,
        Some(Box::new(DualSgd::new(0.5)?)),
        constraints(n, formulation)?,
    )?;
    for b in &batches {
        s.step(&mut problem, &mut model, shard(b, comm.as_ref())?)?;
    }
    let mut out: Vec<f64> = params(&model).into_iter().map(f64::from).collect();
    for e in s.constraints().iter() {
        out.extend(e.multipliers().unwrap_or_default());
    }
    Ok(out)
}

fn main() {
    let o = match parse() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("dp-check: {e}");
            std::process::exit(2);
        }
    };
    let mpi = Rc::new(MpiCommunicator::init().unwrap_or_else(|e| {
        eprintln!("dp-check: {e}");
        std::process::exit(2)
    }));
    let comm: Rc<dyn Communicator> = mpi.clone();
    let mut device = Device::flex();
    if o.f64 {
        let _ = device.configure(FloatDType::F64);
    }
    let device = device.autodiff();
    let train = Digits::load_bundled()
        .and_then(|d| d.split(0.2, 0))
        .unwrap_or_else(|e| comm.abort(2, &format!("digits: {e}")))
        .train;
    if o.batch > train.n {
        comm.abort(
            2,
            &format!("--batch {} exceeds the {} training rows", o.batch, train.n),
        );
    }
    let lr = if o.mismatch && comm.rank() == 1 {
        2e-3
    } else {
        1e-3
    };
    let config = format!("{} {} {lr} {:?} {}", o.scheme, o.steps, o.hidden, o.batch);
    run_or_abort(comm.as_ref(), || {
        ensure_same_on_all_ranks(
            comm.as_ref(),
            "configuration",
            fingerprint(config.as_bytes()),
        )
    });
    let start = std::time::Instant::now();
    let distributed = run_or_abort(comm.as_ref(), || {
        run_training(comm.clone(), &o, lr, &train, &device)
    });
    let dist_secs = start.elapsed().as_secs_f64();
    let bits: Vec<u64> = distributed.iter().map(|v| v.to_bits()).collect();
    let all = run_or_abort(comm.as_ref(), || comm.all_gather_u64(&bits));
    let identical = all.iter().all(|b| *b == bits);
    let start = std::time::Instant::now();
    let serial = run_or_abort(comm.as_ref(), || {
        run_training(Rc::new(SingleProcess), &o, lr, &train, &device)
    });
    let serial_secs = start.elapsed().as_secs_f64();
    // Absolute below 1, relative above (multipliers grow well past 1; f32 has 24 bits).
    let (max_diff, at) = distributed
        .iter()
        .zip(&serial)
        .enumerate()
        .map(|(k, (a, b))| ((a - b).abs() / b.abs().max(1.0), k))
        .fold((0.0f64, 0), |m, d| if d.0 > m.0 { d } else { m });
    let moved = serial
        .iter()
        .skip(serial.len() - train.n - 1)
        .any(|l| *l > 0.0);
    if comm.rank() == 0 {
        println!(
            "dp-check: scheme {} ranks {} steps {} hidden {:?} batch {} values {} bitwise_identical {} max_diff_vs_serial {:e} (value {} of {}: {} vs {}) multipliers_moved {} samples_per_s_distributed {:.0} samples_per_s_serial {:.0}",
            o.scheme,
            comm.size(),
            o.steps,
            o.hidden,
            o.batch,
            distributed.len(),
            identical,
            max_diff,
            at,
            distributed.len(),
            distributed[at],
            serial[at],
            moved,
            (o.steps * o.batch) as f64 / dist_secs,
            (o.steps * o.batch) as f64 / serial_secs,
        );
    }
    let ok = identical && max_diff <= o.tolerance && moved;
    if !ok {
        eprintln!(
            "dp-check: rank {} FAILED: identical {identical}, max diff {max_diff:e} (tolerance {:e}), multipliers moved {moved}",
            comm.rank(),
            o.tolerance
        );
        std::process::exit(1);
    }
}
