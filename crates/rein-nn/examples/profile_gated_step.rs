//! Runs `STEPS` training steps of the L0-gated MLP of `benches/gated_step.rs` in one mode, for
//! instruction-count profiling of the constraint overhead (the target of `docs/sparsity.md`,
//! "Step cost": constrained step <= 1.05 x the same model's unconstrained step):
//!
//! ```text
//! cargo build --release -p rein-nn --example profile_gated_step
//! valgrind --tool=callgrind target/release/examples/profile_gated_step constrained 200
//! valgrind --tool=callgrind target/release/examples/profile_gated_step unconstrained 200
//! ```
//! Instruction counts do not depend on what else runs on the machine, so the ratio of the two
//! totals is the overhead without timing noise. Without valgrind it prints the wall time per step.

#[path = "../benches/common/mod.rs"]
mod common;

use std::time::Instant;

use burn::tensor::Device;
use common::{Batch, Gated, digit_batches, gated_adam, gated_mlp};
use rein::dual::DualSgd;
use rein::scheme::{SimultaneousGda, Unconstrained};
use rein::{ConstrainedOptimizer, Constraint, Constraints};
use rein_nn::L0Mlp;

/// One optimizer step of either mode.
type StepFn = dyn FnMut(&mut Gated, &mut L0Mlp, &Batch);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let constrained = match args.get(1).map(String::as_str) {
        Some("constrained") => true,
        Some("unconstrained") => false,
        _ => return Err("usage: profile_gated_step constrained|unconstrained [STEPS]".into()),
    };
    let steps: usize = match args.get(2) {
        Some(s) => s
            .parse()
            .map_err(|_| format!("STEPS: `{s}` is not a count"))?,
        None => 200,
    };
    let device = Device::flex().autodiff();
    let batches = digit_batches(&device)?;
    let mut model = gated_mlp(&device);
    let adam = gated_adam(&model)?;
    let mut problem = Gated::new(constrained, &device);
    let mut opt: Box<StepFn> = if constrained {
        let cs =
            Constraints::new().add(Constraint::inequality("density", 1).dual_restarts(true))?;
        let mut o = SimultaneousGda::new(adam, DualSgd::new(0.5)?, cs)?;
        Box::new(move |p, m, b| {
            o.step(p, m, b).expect("step");
        })
    } else {
        let mut o = Unconstrained::new(adam, Constraints::new())?;
        Box::new(move |p, m, b| {
            o.step(p, m, b).expect("step");
        })
    };
    let t = Instant::now();
    for k in 0..steps {
        opt(&mut problem, &mut model, &batches[k % batches.len()]);
        model = model.clone().clamp_log_alpha();
    }
    let per_step = t.elapsed().as_secs_f64() / steps as f64;
    println!(
        "{} {steps} steps: {:.3} ms/step",
        if constrained {
            "constrained"
        } else {
            "unconstrained"
        },
        per_step * 1e3
    );
    Ok(())
}
