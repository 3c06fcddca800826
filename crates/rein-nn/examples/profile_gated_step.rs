//! Runs `STEPS` training steps of the L0-gated MLP of `benches/gated_step.rs` in one mode, for
//! instruction-count profiling of the constraint overhead (target of docs/sparsity.md: constrained step
//! <= 1.05 x the same model's unconstrained step):
//!
//! ```text
//! cargo build --release -p rein-nn --example profile_gated_step
//! valgrind --tool=callgrind target/release/examples/profile_gated_step constrained 200
//! valgrind --tool=callgrind target/release/examples/profile_gated_step unconstrained 200
//! ```
//! Instruction counts do not depend on what else runs on the machine, so the ratio of the two
//! totals is the overhead without timing noise. Without valgrind it prints the wall time per step.

use std::time::Instant;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Int, Tensor};
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig, ParamGroup};
use rein::scheme::{SimultaneousGda, Unconstrained};
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_nn::l0::{GateRng, TestGate};
use rein_nn::{Batcher, Digits, L0Mlp, L0MlpConfig};

struct Gated {
    rng: GateRng,
    loss: CrossEntropyLoss,
    constrained: bool,
}

impl Cmp<L0Mlp> for Gated {
    type Batch = (Tensor<2>, Tensor<1, Int>);
    fn compute_cmp_state(&mut self, m: &L0Mlp, b: &Self::Batch) -> rein::Result<CmpState> {
        let logits = m.forward(b.0.clone(), Some(&mut self.rng), TestGate::Median);
        let s = CmpState::new().loss(self.loss.forward(logits, b.1.clone()));
        Ok(if self.constrained {
            s.observe(
                "density",
                ConstraintState::new(m.expected_density().sub_scalar(0.2)),
            )
        } else {
            s
        })
    }
}

/// One optimizer step of either mode.
type StepFn = dyn FnMut(&mut Gated, &mut L0Mlp, &(Tensor<2>, Tensor<1, Int>));

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
    let split = Digits::load_bundled()?.split(0.2, 0)?;
    let mut batcher = Batcher::new(split.train.n, 128, 0)?;
    let batches: Vec<_> = (0..16)
        .map(|_| {
            split
                .train
                .batch_tensors(&batcher.next_batch().indices, &device)
        })
        .collect();
    let mut model = L0MlpConfig::new(64, vec![128, 64], 10)
        .drop_rate(0.1)
        .init(0, &device);
    let adam = Adam::new(AdamConfig::new(1e-3))?
        .with_group(ParamGroup::new("gates", model.gate_paths()).lr(1e-2))?;
    let mut problem = Gated {
        rng: GateRng::new(0),
        loss: CrossEntropyLossConfig::new().init(&device),
        constrained,
    };
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
