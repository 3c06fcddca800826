//! `rein-bench cpu-probe`: how fast is this build of the CPU device?
//!
//! Two measurements, used to compare burn/flex build options (`simd`, `rayon`, `x86-v4`) and
//! thread counts against each other and against LibTorch (`--device tch`):
//!
//! 1. **MLP training step**: a ReLU MLP `784-300-100-10` (LeNet-300-100 sizes), cross-entropy,
//!    one `Unconstrained` + Adam (lr 1e-3) step on a batch of `B = 128` synthetic samples.
//!    Its matmul work is counted as
//!    `F_mlp = 2·B·Σ_l in_l·out_l` (forward) `+ 2·B·Σ_l in_l·out_l` (weight gradients)
//!    `+ 2·B·Σ_{l>1} in_l·out_l` (input gradients, none for the first layer, whose input needs no
//!    gradient) `= 2·128·(2·266 200 + 31 000) ≈ 144.2 MFLOP`; GFLOP/s = `F_mlp / t_step`.
//!    Elementwise work (ReLU, softmax, Adam's moment updates: ~20 FLOP per parameter) is left
//!    out, so this is a lower bound on the work done.
//! 2. **Matmul**: `C = A·B` with `A, B` of shape `n×n` (`--matmul-n`, 1024 by default),
//!    `2·n³` FLOP, timed over `--matmul-reps` products after one untimed product.
//!
//! The data and initial weights are fixed by `--seed` (host-side SplitMix64 of `rein_testing::rng`
//! and the seeded [`MlpConfig::init`]), so the final loss (`objective`) is comparable across
//! builds: options that only change the speed must give the same value up to f32 rounding.

use std::time::Instant;

use anyhow::{Result, bail};
use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};
use clap::Args;
use rein::optim::{Adam, AdamConfig};
use rein::scheme::Unconstrained;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraints};
use rein_nn::{Mlp, MlpConfig};
use rein_testing::rng::SplitMix64;

use crate::common::CommonArgs;
use crate::report::{Quality, RunReport, StepStats};

/// Layer widths of the probe MLP.
const WIDTHS: [usize; 4] = [784, 300, 100, 10];

/// Arguments of `cpu-probe`.
#[derive(Args, Debug)]
pub struct CpuProbeArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Batch size of the MLP step.
    #[arg(long, default_value_t = 128)]
    batch: usize,
    /// Distinct batches cycled through (data generated once, before timing).
    #[arg(long, default_value_t = 8)]
    batches: usize,
    /// Side of the square matmul (0 skips it).
    #[arg(long, default_value_t = 1024)]
    matmul_n: usize,
    /// Timed matmuls.
    #[arg(long, default_value_t = 10)]
    matmul_reps: usize,
    /// Length of a vector whose f32 sum is taken `--sum-reps` times to check that the
    /// reduction is reproducible (0 skips it; burn-flex sums >= 4Mi elements in parallel when
    /// built with `rayon`).
    #[arg(long, default_value_t = 0)]
    sum_n: usize,
    /// Repetitions of the sum check.
    #[arg(long, default_value_t = 20)]
    sum_reps: usize,
}

/// Cross-entropy of the MLP's logits: the whole "constrained" problem is its objective.
struct Ce(CrossEntropyLoss);

impl Cmp<Mlp> for Ce {
    type Batch = (Tensor<2>, Tensor<1, Int>);
    fn compute_cmp_state(&mut self, m: &Mlp, b: &Self::Batch) -> rein::Result<CmpState> {
        Ok(CmpState::new().loss(self.0.forward(m.forward(b.0.clone()), b.1.clone())))
    }
}

/// Matmul FLOPs of one training step of the probe MLP on a batch of `b` (see the module docs).
pub fn mlp_step_flops(b: usize) -> f64 {
    let layers: Vec<f64> = WIDTHS.windows(2).map(|w| (w[0] * w[1]) as f64).collect();
    let all: f64 = layers.iter().sum();
    let not_first: f64 = layers[1..].iter().sum();
    2.0 * b as f64 * (2.0 * all + not_first)
}

/// CPU time used so far by all live threads of this process, in nanoseconds: the sum of the
/// first field of `/proc/self/task/*/schedstat` (Linux; `None` elsewhere). On a shared machine
/// the wall time of a step includes waiting for a core; the CPU time does not, so
/// `mlp_cpu_ns` (CPU time of the timed steps / steps) is the cost of a step without contention
/// (for a multi-threaded build it is the sum over threads, i.e. the work, not the latency).
fn process_cpu_ns() -> Option<f64> {
    let mut total = 0.0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<f64>().ok()?;
    }
    Some(total)
}

/// A `rows x cols` matrix uniform in `[-1, 1)` (24 random bits per entry).
fn random_matrix(rng: &mut SplitMix64, rows: usize, cols: usize, device: &Device) -> Tensor<2> {
    let v: Vec<f32> = (0..rows * cols).map(|_| rng.symmetric_f32()).collect();
    Tensor::from_data(TensorData::new(v, [rows, cols]), device)
}

/// Runs the probe and reports the MLP step times; the matmul lands in `quality.extra`.
pub fn run(args: &CpuProbeArgs) -> Result<RunReport> {
    if args.batch == 0 || args.batches == 0 {
        bail!("--batch and --batches must be at least 1");
    }
    if args.common.write_problem {
        bail!("cpu-probe generates its data from --seed; it has no problem file to write");
    }
    let device = args.common.open_device()?;
    let mut rng = SplitMix64::new(args.common.seed);
    let classes = WIDTHS[3] as u64;
    let data: Vec<(Tensor<2>, Tensor<1, Int>)> = (0..args.batches)
        .map(|_| {
            let x = random_matrix(&mut rng, args.batch, WIDTHS[0], &device);
            let y: Vec<i64> = (0..args.batch)
                .map(|_| (rng.next_u64() % classes) as i64)
                .collect();
            let y = Tensor::<1, Int>::from_data(TensorData::new(y, [args.batch]), &device);
            (x, y)
        })
        .collect();

    let mut model =
        MlpConfig::new(WIDTHS[0], WIDTHS[1..3].to_vec(), WIDTHS[3]).init(args.common.seed, &device);
    let mut opt = Unconstrained::new(Adam::new(AdamConfig::new(1e-3))?, Constraints::new())?;
    let mut problem = Ce(CrossEntropyLossConfig::new().init(&device));
    let mut k = 0;
    let mut last_loss = f64::NAN;
    let mut step = || -> Result<()> {
        let report = opt.step(&mut problem, &mut model, &data[k % data.len()])?;
        k += 1;
        last_loss = report.loss.unwrap_or(f64::NAN);
        Ok(())
    };
    for _ in 0..args.common.warmup {
        step()?;
    }
    let timed = CommonArgs {
        warmup: 0,
        ..args.common.clone()
    };
    let cpu_before = process_cpu_ns();
    let step_ns = timed.time_steps(&mut step)?;
    let cpu_per_step = match (cpu_before, process_cpu_ns()) {
        (Some(a), Some(b)) => Some((b - a) / args.common.steps as f64),
        _ => None,
    };
    let flops = mlp_step_flops(args.batch);

    let mut quality = Quality {
        objective: Some(last_loss),
        ..Quality::default()
    };
    quality
        .extra
        .insert("mlp_gflops".into(), flops / step_ns.median);
    if let Some(cpu) = cpu_per_step {
        quality.extra.insert("mlp_cpu_ns".into(), cpu);
    }
    if args.matmul_n > 0 && args.matmul_reps > 0 {
        let n = args.matmul_n;
        let a = random_matrix(&mut rng, n, n, &device);
        let b = random_matrix(&mut rng, n, n, &device);
        // Reading one element back forces the product on lazy devices too.
        let product = || -> f64 {
            let c = a.clone().matmul(b.clone());
            c.slice([0..1, 0..1])
                .into_data()
                .iter::<f64>()
                .next()
                .unwrap_or(f64::NAN)
        };
        let check = product();
        let mut samples = Vec::with_capacity(args.matmul_reps);
        let cpu_before = process_cpu_ns();
        for _ in 0..args.matmul_reps {
            let t = Instant::now();
            std::hint::black_box(product());
            samples.push(t.elapsed().as_nanos() as f64);
        }
        if let (Some(a), Some(b)) = (cpu_before, process_cpu_ns()) {
            let cpu = (b - a) / args.matmul_reps as f64;
            quality.extra.insert("matmul_cpu_ns".into(), cpu);
        }
        let mm = StepStats::from_samples(&samples);
        let mm_flops = 2.0 * (n as f64).powi(3);
        quality.extra.insert("matmul_n".into(), n as f64);
        quality.extra.insert("matmul_ns".into(), mm.median);
        quality.extra.insert("matmul_ns_min".into(), mm.min);
        quality
            .extra
            .insert("matmul_gflops".into(), mm_flops / mm.median);
        quality.extra.insert("matmul_c00".into(), check);
    }
    if args.sum_n > 0 && args.sum_reps > 0 {
        let v = random_matrix(&mut rng, 1, args.sum_n, &device).reshape([args.sum_n]);
        let sums: Vec<u32> = (0..args.sum_reps)
            .map(|_| {
                let s = v.clone().sum().into_data().iter::<f32>().next();
                s.unwrap_or(f32::NAN).to_bits()
            })
            .collect();
        let mut distinct = sums.clone();
        distinct.sort_unstable();
        distinct.dedup();
        quality.extra.insert("sum_n".into(), args.sum_n as f64);
        quality
            .extra
            .insert("sum_distinct_results".into(), distinct.len() as f64);
        let first = f32::from_bits(sums[0]);
        quality.extra.insert("sum_value".into(), f64::from(first));
    }
    let mut report = args.common.report(
        "cpu-probe",
        format!("mlp784-300-100-10-b{}", args.batch),
        step_ns,
        quality,
    );
    report.flops_per_step = Some(flops);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flop_count_matches_hand_count() {
        // forward 266 200·2·128, weight grads the same, input grads (30 000 + 1 000)·2·128.
        let expect = 2.0 * 128.0 * (266_200.0 * 2.0 + 31_000.0);
        assert_eq!(mlp_step_flops(128), expect);
        assert!((mlp_step_flops(128) - 144.2e6).abs() < 0.1e6);
    }
}
