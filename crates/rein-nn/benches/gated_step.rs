//! Time per training step of the L0-gated MLP (64-128-64-10, batch 128, digits) with and
//! without the density constraint (speed target of docs/sparsity.md: constrained <= 1.05 x plain gated),
//! and of the same MLP without gates for context.
//!
//! * `plain_mlp`: ungated MLP, cross-entropy, `Unconstrained` + Adam;
//! * `gated_unconstrained`: L0 MLP with sampled gates, cross-entropy only, `Unconstrained` + Adam;
//! * `gated_constrained`: the same plus `expected density - 0.2 <= 0`, `SimultaneousGda` + Adam +
//!   `DualSgd`, dual restarts.
//!
//! Run: `cargo bench -p rein-nn --bench gated_step` (medians are in
//! `target/criterion/gated_step/*/new/estimates.json`).

use std::hint::black_box;
use std::time::Duration;

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Int, Tensor};
use criterion::Criterion;
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig, ParamGroup};
use rein::scheme::{SimultaneousGda, Unconstrained};
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_nn::l0::{GateRng, TestGate};
use rein_nn::{Batcher, Digits, L0Mlp, L0MlpConfig, Mlp, MlpConfig};

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

struct Plain(CrossEntropyLoss);

impl Cmp<Mlp> for Plain {
    type Batch = (Tensor<2>, Tensor<1, Int>);
    fn compute_cmp_state(&mut self, m: &Mlp, b: &Self::Batch) -> rein::Result<CmpState> {
        Ok(CmpState::new().loss(self.0.forward(m.forward(b.0.clone()), b.1.clone())))
    }
}

fn main() {
    let device = Device::flex().autodiff();
    let split = Digits::load_bundled().unwrap().split(0.2, 0).unwrap();
    let mut batcher = Batcher::new(split.train.n, 128, 0).unwrap();
    let batches: Vec<_> = (0..16)
        .map(|_| {
            split
                .train
                .batch_tensors(&batcher.next_batch().indices, &device)
        })
        .collect();
    let ce = || CrossEntropyLossConfig::new().init(&device);
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
    let mut problem = Plain(ce());
    let mut k = 0;
    group.bench_function("plain_mlp", |b| {
        b.iter(|| {
            k = (k + 1) % batches.len();
            black_box(opt.step(&mut problem, &mut model, &batches[k]).unwrap());
        })
    });

    for constrained in [false, true] {
        let mut model = L0MlpConfig::new(64, vec![128, 64], 10)
            .drop_rate(0.1)
            .init(0, &device);
        let adam = || {
            Adam::new(AdamConfig::new(1e-3))
                .unwrap()
                .with_group(ParamGroup::new("gates", model.gate_paths()).lr(1e-2))
                .unwrap()
        };
        let mut problem = Gated {
            rng: GateRng::new(0),
            loss: ce(),
            constrained,
        };
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
