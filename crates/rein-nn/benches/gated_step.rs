//! Time per training step of the L0-gated MLP (64-128-64-10, batch 128, digits) with and
//! without the density constraint (the speed target of `docs/sparsity.md`, "Step cost":
//! constrained <= 1.05 x plain gated), and of the same MLP without gates for context.
//!
//! * `plain_mlp`: ungated MLP, cross-entropy, `Unconstrained` + Adam;
//! * `gated_unconstrained`: L0 MLP with sampled gates, cross-entropy only, `Unconstrained` + Adam;
//! * `gated_constrained`: the same plus `expected density - 0.2 <= 0`, `SimultaneousGda` + Adam +
//!   `DualSgd`, dual restarts.
//!
//! Run: `cargo bench -p rein-nn --bench gated_step` (medians are in
//! `target/criterion/gated_step/*/new/estimates.json`).

mod common;

use std::hint::black_box;
use std::time::Duration;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::Device;
use common::{Batch, Gated, digit_batches, gated_adam, gated_mlp};
use criterion::Criterion;
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig};
use rein::scheme::{SimultaneousGda, Unconstrained};
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, Constraints};
use rein_nn::{Mlp, MlpConfig};

struct Plain(CrossEntropyLoss);

impl Cmp<Mlp> for Plain {
    type Batch = Batch;
    fn compute_cmp_state(&mut self, m: &Mlp, b: &Batch) -> rein::Result<CmpState> {
        Ok(CmpState::new().loss(self.0.forward(m.forward(b.0.clone()), b.1.clone())))
    }
}

fn main() {
    let device = Device::flex().autodiff();
    let batches = digit_batches(&device).unwrap();
    let mut c = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .configure_from_args();
    let mut group = c.benchmark_group("gated_step");

    let mut model = MlpConfig::new(64, vec![128, 64], 10).init(0, &device);
    let mut opt = Unconstrained::new(
        Adam::new(AdamConfig::new(1e-3)).unwrap(),
        Constraints::new(),
    )
    .unwrap();
    let mut problem = Plain(CrossEntropyLossConfig::new().init(&device));
    let mut k = 0;
    group.bench_function("plain_mlp", |b| {
        b.iter(|| {
            k = (k + 1) % batches.len();
            black_box(opt.step(&mut problem, &mut model, &batches[k]).unwrap());
        })
    });

    for constrained in [false, true] {
        let mut model = gated_mlp(&device);
        let adam = || gated_adam(&model).unwrap();
        let mut problem = Gated::new(constrained, &device);
        let mut k = 0;
        if constrained {
            let cs = Constraints::new()
                .add(Constraint::inequality("density", 1).dual_restarts(true))
                .unwrap();
            let mut opt = SimultaneousGda::new(adam(), DualSgd::new(0.5).unwrap(), cs).unwrap();
            group.bench_function("gated_constrained", |b| {
                b.iter(|| {
                    k = (k + 1) % batches.len();
                    black_box(opt.step(&mut problem, &mut model, &batches[k]).unwrap());
                    model = model.clone().clamp_log_alpha();
                })
            });
        } else {
            let mut opt = Unconstrained::new(adam(), Constraints::new()).unwrap();
            group.bench_function("gated_unconstrained", |b| {
                b.iter(|| {
                    k = (k + 1) % batches.len();
                    black_box(opt.step(&mut problem, &mut model, &batches[k]).unwrap());
                    model = model.clone().clamp_log_alpha();
                })
            });
        }
    }
    group.finish();
    c.final_summary();
}
