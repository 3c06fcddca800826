//! Per-rank cost of a Distributed Shampoo step with 1 and 2 in-process ranks (threads of a
//! `ThreadGroup`), against the serial Shampoo.
//!
//! Setup: the 784-300-100-10 tanh MLP of `benches/common` (flex CPU, float32 model, f64
//! host state), fixed gradients of a batch of 128 (MSE on random one-hot targets), Shampoo
//! defaults (AdaGrad grafting, blocks of 1024, beta2 = 1, eigh in f64) with lr 1e-3 and
//! `f = start = 10`. Every rank steps on the same gradients (the averaging all-gather of
//! 0.27 M values is included); 10 warm-up steps (the first roots), then the wall time of each
//! of 40 steps per rank (4 root computations, so the mean is the cost amortised over `f`).
//! A rank's wall time includes waiting for the slowest rank in the all-gather; its CPU time
//! (Linux `/proc/thread-self/schedstat`) is the work it did itself, which is what the block
//! assignment splits (the wall time only drops with it when the ranks have cores of their own).
//!
//! Run: `cargo bench -p rein --bench distributed_shampoo` (prints a table; plain timing, not
//! criterion: the ranks must step in lockstep).

mod common;

use std::rc::Rc;
use std::time::Instant;

use common::{Batch, Mlp};
use rein::dist::{Communicator, ThreadGroup};
use rein::optim::{DistributedShampoo, ParamGrads, PrimalOptimizer, Shampoo, ShampooConfig};

const BATCH: usize = 128;
const SIZES: [usize; 4] = [784, 300, 100, 10];
const F: u64 = 10;
const WARMUP: usize = 10;
const STEPS: usize = 40;

fn grads(model: &Mlp) -> ParamGrads {
    common::grads(model, &Batch::new(BATCH, SIZES[0], SIZES[3]))
}

fn config() -> ShampooConfig {
    ShampooConfig::new(1e-3).precondition_frequency(F)
}

/// CPU time of the calling thread in ms (0 where `/proc/thread-self/schedstat` is missing).
fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

/// Milliseconds per step: (mean wall, median wall, mean CPU of this thread) over the timed
/// steps.
fn time_steps(mut step: impl FnMut(Mlp, &ParamGrads) -> Mlp) -> (f64, f64, f64) {
    let mut model = Mlp::new(&SIZES);
    let g = grads(&model);
    for _ in 0..WARMUP {
        model = step(model, &g);
    }
    let mut times = Vec::with_capacity(STEPS);
    let cpu0 = thread_cpu_ms();
    for _ in 0..STEPS {
        let t = Instant::now();
        model = step(model, &g);
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let cpu = (thread_cpu_ms() - cpu0) / STEPS as f64;
    std::hint::black_box(model);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    times.sort_by(f64::total_cmp);
    (mean, times[times.len() / 2], cpu)
}

/// Per rank: (rank, mean wall ms, median wall ms, mean CPU ms, state bytes of its blocks).
fn distributed(n: usize) -> Vec<(usize, f64, f64, f64, usize)> {
    std::thread::scope(|s| {
        let handles: Vec<_> = ThreadGroup::ranks(n)
            .into_iter()
            .map(|rank| {
                s.spawn(move || {
                    let comm: Rc<dyn Communicator> = Rc::new(rank);
                    let r = comm.rank();
                    let mut opt = DistributedShampoo::new(config(), comm).expect("valid");
                    let (mean, median, cpu) = time_steps(|m, g| opt.step(m, g).expect("step"));
                    let bytes = opt
                        .owned_blocks()
                        .iter()
                        .map(|(_, b)| b.state_bytes())
                        .sum();
                    (r, mean, median, cpu, bytes)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("rank"))
            .collect()
    })
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let _ = common::device();
    println!("Shampoo step on {SIZES:?} gradients (batch {BATCH}), f = {F}: ms per step");
    println!(
        "{:<32}{:>6}{:>12}{:>12}{:>12}{:>12}",
        "optimizer", "rank", "wall mean", "wall median", "cpu mean", "state (MB)"
    );
    let mut serial = Shampoo::new(config()).expect("valid");
    let (mean, median, cpu) = time_steps(|m, g| serial.step(m, g).expect("step"));
    println!(
        "{:<32}{:>6}{mean:>12.1}{median:>12.1}{cpu:>12.1}{:>12}",
        "Shampoo (serial)", "-", "-"
    );
    for n in [1, 2] {
        for (r, mean, median, cpu, bytes) in distributed(n) {
            println!(
                "{:<32}{r:>6}{mean:>12.1}{median:>12.1}{cpu:>12.1}{:>12.1}",
                format!("DistributedShampoo, {n} rank(s)"),
                bytes as f64 / 1e6
            );
        }
    }
}
