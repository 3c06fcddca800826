//! The JSON object every `rein-bench` run prints on stdout. The reference scripts under
//! `bench/reference/` print the same shape with `"side": "cooper"`, so `bench/run.sh` can put
//! the two side by side without knowing the workload.

use std::collections::BTreeMap;

use serde::Serialize;

/// One run of one workload on one side.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// `"rein"` here; `"cooper"` in the reference scripts.
    pub side: &'static str,
    /// Subcommand name, e.g. `"tiny-cmp"`.
    pub workload: String,
    /// Workload variant, e.g. the scheme (`"simultaneous"`) or the size (`"n=1000000"`).
    pub variant: String,
    /// Device the run used: `"flex"` or `"tch"`.
    pub device: String,
    /// Compute threads the device was allowed (`RAYON_NUM_THREADS` / torch threads).
    pub threads: usize,
    /// Untimed steps before the measurement.
    pub warmup: usize,
    /// Timed steps.
    pub steps: usize,
    /// Statistics of the wall time of one step over the timed steps.
    pub step_ns: StepStats,
    /// Floating-point operations of one step, when the workload can count them (dense layers:
    /// 2·m·k·n per matmul, ×3 for forward + both backward matmuls).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flops_per_step: Option<f64>,
    /// Bytes of the arrays the run must hold (data as stored, batch order, model parameters,
    /// optimizer state, dual state, stored gate noise), from their actual sizes; the harness
    /// divides the process's peak resident memory by it. `None` when the workload does not
    /// count them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_bytes: Option<u64>,
    /// The parts of [`RunReport::held_bytes`] by name (see [`HeldBytes`]).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub held_bytes_parts: BTreeMap<String, u64>,
    /// The process's peak resident set size at the end of the timed steps (`VmHWM`, Linux),
    /// before the quality evaluation, which may need more (e.g. a forward pass over the whole
    /// training set); the harness measures the whole run's peak from outside.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub peak_rss_after_steps_bytes: Option<u64>,
    /// What the run reached, for the quality comparison.
    pub quality: Quality,
}

impl RunReport {
    /// Records the held arrays: their total and the parts.
    pub fn set_held(&mut self, held: HeldBytes) {
        self.held_bytes = Some(held.total());
        self.held_bytes_parts = held.parts;
    }
}

/// The arrays a run must hold, in bytes by part. Part names used by the workloads:
/// `data` (features and labels as the run stores them), `batches` (the stored batch order),
/// `model` (parameters), `primal_state` (e.g. Adam's two moments and step counts),
/// `dual_state` (multipliers and the dual optimizer's state), `gate_noise` (the replayed noise
/// kept in the problem), `problem` (other arrays of the problem, e.g. `A` and `b`).
#[derive(Debug, Clone, Default)]
pub struct HeldBytes {
    /// Bytes by part name.
    pub parts: BTreeMap<String, u64>,
}

impl HeldBytes {
    /// No parts yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `bytes` to part `name` (created at 0).
    pub fn add(&mut self, name: &str, bytes: u64) -> &mut Self {
        *self.parts.entry(name.to_string()).or_default() += bytes;
        self
    }

    /// Sum of the parts.
    pub fn total(&self) -> u64 {
        self.parts.values().sum()
    }
}

/// Summary of per-step wall times, in nanoseconds.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StepStats {
    /// Median over the timed steps.
    pub median: f64,
    /// Mean over the timed steps.
    pub mean: f64,
    /// Fastest step.
    pub min: f64,
    /// 90th percentile.
    pub p90: f64,
}

impl StepStats {
    /// Statistics of `samples` (nanoseconds per step); all zero for an empty slice.
    pub fn from_samples(samples: &[f64]) -> Self {
        if samples.is_empty() {
            return Self {
                median: 0.0,
                mean: 0.0,
                min: 0.0,
                p90: 0.0,
            };
        }
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let at = |q: f64| s[((s.len() - 1) as f64 * q).round() as usize];
        Self {
            median: at(0.5),
            mean: s.iter().sum::<f64>() / s.len() as f64,
            min: s[0],
            p90: at(0.9),
        }
    }
}

/// Quality reached at the end of the run. Every field is optional so that a workload reports
/// what it has; both sides must use the same names for the comparison.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Quality {
    /// Final objective (loss) value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objective: Option<f64>,
    /// Final constraint values by constraint name (for an indexed constraint: a summary such as
    /// the max and mean violation, by `name.max`, `name.mean`).
    pub constraints: BTreeMap<String, Vec<f64>>,
    /// Final multipliers by constraint name (summaries for indexed ones, as above).
    pub multipliers: BTreeMap<String, Vec<f64>>,
    /// Anything else worth comparing (test accuracy, density, ...).
    pub extra: BTreeMap<String, f64>,
}
