//! Arguments every workload takes, device selection and the step timer.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use burn::module::Module;
use burn::tensor::{Device, FloatDType};
use clap::Args;
use rein::device::DeviceKind;
use rein::{StateDict, Stateful};
use rein_nn::Dataset;

use crate::report::{HeldBytes, Quality, RunReport, StepStats};

/// Arguments shared by every workload.
#[derive(Args, Debug, Clone)]
pub struct CommonArgs {
    /// Device: `flex` (pure-Rust CPU, default) or `tch` (LibTorch CPU; build with `--features tch`).
    #[arg(long, default_value = "flex")]
    pub device: DeviceKind,
    /// Untimed steps before the measurement.
    #[arg(long, default_value_t = 20)]
    pub warmup: usize,
    /// Timed steps.
    #[arg(long, default_value_t = 200)]
    pub steps: usize,
    /// Compute in float64 instead of float32.
    #[arg(long)]
    pub f64: bool,
    /// Problem file (`NAME.json` + `NAME.bin`, see `problem_file`), shared with the reference
    /// script so that both sides start from the same data and parameters.
    #[arg(long)]
    pub problem: Option<PathBuf>,
    /// Write the problem file (generated from `--seed`) and exit without running.
    #[arg(long)]
    pub write_problem: bool,
    /// Seed of the generated problem (data, initial parameters, batch order).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl CommonArgs {
    /// The problem file path, or an error naming the flag.
    pub fn problem_path(&self) -> Result<&PathBuf> {
        self.problem
            .as_ref()
            .context("--problem FILE is required (write one first with --write-problem)")
    }

    /// Opens the device (with autodiff), in float64 when `--f64` is set.
    pub fn open_device(&self) -> Result<Device> {
        let mut device = self
            .device
            .open()
            .map_err(anyhow::Error::msg)
            .with_context(|| format!("opening device `{:?}`", self.device))?;
        if self.f64 {
            // An error means the dtype was configured already (only the first call may set it).
            let _ = device.configure(FloatDType::F64);
        }
        Ok(device.autodiff())
    }

    /// Device name as it appears in reports.
    pub fn device_name(&self) -> String {
        format!("{:?}", self.device).to_lowercase()
    }

    /// Runs `warmup` untimed then `steps` timed calls of `step`, timing each call.
    pub fn time_steps(&self, mut step: impl FnMut() -> Result<()>) -> Result<StepStats> {
        if self.steps == 0 {
            bail!("--steps must be at least 1");
        }
        for _ in 0..self.warmup {
            step()?;
        }
        let mut samples = Vec::with_capacity(self.steps);
        for _ in 0..self.steps {
            let t = Instant::now();
            step()?;
            samples.push(t.elapsed().as_nanos() as f64);
        }
        record_steps_peak_rss();
        Ok(StepStats::from_samples(&samples))
    }

    /// Bytes of one float parameter of this run (`--f64`: 8, else 4).
    pub fn float_bytes(&self) -> u64 {
        if self.f64 { 8 } else { 4 }
    }

    /// A report for `workload`/`variant` with these arguments filled in.
    pub fn report(
        &self,
        workload: &str,
        variant: impl Into<String>,
        step_ns: StepStats,
        quality: Quality,
    ) -> RunReport {
        RunReport {
            side: "rein",
            workload: workload.to_string(),
            variant: variant.into(),
            device: self.device_name(),
            threads: compute_threads(self.device),
            warmup: self.warmup,
            steps: self.steps,
            step_ns,
            flops_per_step: None,
            held_bytes: None,
            held_bytes_parts: Default::default(),
            peak_rss_after_steps_bytes: match STEPS_PEAK_RSS.load(Ordering::Relaxed) {
                0 => None,
                bytes => Some(bytes),
            },
            quality,
        }
    }
}

/// [`record_steps_peak_rss`]'s reading (0: none yet).
static STEPS_PEAK_RSS: AtomicU64 = AtomicU64::new(0);

/// This process's peak resident set size so far, in bytes: `VmHWM` of `/proc/self/status`
/// (Linux; `None` elsewhere or if unreadable).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Records the peak resident set size at the end of the timed steps, for the report's
/// `peak_rss_after_steps_bytes` (workloads with their own timing loop call it themselves).
pub fn record_steps_peak_rss() {
    if let Some(bytes) = peak_rss_bytes() {
        STEPS_PEAK_RSS.store(bytes, Ordering::Relaxed);
    }
}

/// Bytes of a data set as [`Dataset`] stores it: the features (as stored: `f32`, or bytes for
/// MNIST) and the `usize` labels.
pub fn dataset_bytes(ds: &Dataset) -> u64 {
    (ds.feature_bytes() + ds.labels.len() * std::mem::size_of::<usize>()) as u64
}

/// Bytes of a batch order held as `usize` indices.
pub fn index_bytes(indices: &[usize]) -> u64 {
    std::mem::size_of_val(indices) as u64
}

/// Bytes of a model's parameters (`float_bytes` per parameter).
pub fn param_bytes<M: Module>(model: &M, float_bytes: u64) -> u64 {
    model.num_params() as u64 * float_bytes
}

/// Adds the state of a constrained optimizer to `held`: its checkpoint state (the same arrays
/// the run holds: [`Stateful::save_state`]) split into `primal_state` (entries under
/// `opt/primal/`, e.g. Adam's moments) and `dual_state` (everything else: multipliers, the
/// dual optimizer's state, the step counter). The sizes are those of the saved arrays; the
/// copy is made once, after the timed steps.
pub fn add_optimizer_state(held: &mut HeldBytes, opt: &impl Stateful) -> Result<()> {
    let mut dict = StateDict::new();
    opt.save_state("opt", &mut dict)
        .context("saving the optimizer state to count its bytes")?;
    let (mut primal, mut dual) = (0u64, 0u64);
    for key in dict.keys() {
        let bytes = dict.get_data(key).map_or(0, |d| d.as_bytes().len() as u64);
        if key.starts_with("opt/primal/") {
            primal += bytes;
        } else {
            dual += bytes;
        }
    }
    held.add("primal_state", primal).add("dual_state", dual);
    Ok(())
}

/// Threads the device computes with. The default flex device is built without burn-flex's
/// `rayon` feature (see docs/cpu_options.md), so it runs on one thread unless rein-bench is
/// built with `--features threads`; LibTorch uses
/// `OMP_NUM_THREADS` (bench/build_tch.sh copies `RAYON_NUM_THREADS` into it), else all cores.
pub fn compute_threads(device: DeviceKind) -> usize {
    let cores = || std::thread::available_parallelism().map_or(1, |n| n.get());
    let var = |name: &str| std::env::var(name).ok().and_then(|v| v.parse().ok());
    match device {
        // Built with `--features threads`: burn-flex's rayon pool (RAYON_NUM_THREADS, else
        // every core) runs the large matmuls.
        DeviceKind::Flex if cfg!(feature = "threads") => {
            var("RAYON_NUM_THREADS").unwrap_or_else(cores)
        }
        DeviceKind::Flex => 1,
        _ => var("OMP_NUM_THREADS")
            .or_else(|| var("RAYON_NUM_THREADS"))
            .unwrap_or_else(cores),
    }
}

/// `rein-bench info`: opens the device and reports the build's settings, no timing.
pub fn info(args: &CommonArgs) -> Result<RunReport> {
    let _device = args.open_device()?;
    let mut quality = Quality::default();
    quality.extra.insert(
        "tch_compiled".into(),
        f64::from(u8::from(cfg!(feature = "tch"))),
    );
    Ok(args.report("info", "", StepStats::from_samples(&[]), quality))
}
