//! Resume-after-N equals the uninterrupted run bit for bit; bad checkpoint files are clear
//! errors.

use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Tensor, TensorData};
use rein::dual::NuPi;
use rein::optim::{Adam, AdamConfig, Momentum, ParamGroup, Sgd, SgdConfig};
use rein::scheme::{AlternatingDualPrimal, Extragradient};
use rein::{
    Checkpoint, Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints,
    Formulation, PenaltyCoefficient, PenaltyUpdater, ReinError, Result, Stateful,
};
use rein_testing::params::deterministic;
use rein_testing::prelude::*;

#[derive(Module, Debug)]
struct Net {
    a: Linear,
    b: Linear,
}

/// A network with deterministic weights (burn's initialisers draw from a process-wide generator,
/// which parallel tests would make timing-dependent).
fn net() -> Net {
    let d = device();
    let random = Net {
        a: LinearConfig::new(3, 4).init(&d),
        b: LinearConfig::new(4, 2).init(&d),
    };
    let mut rng = SplitMix64::new(99);
    deterministic(random, |shape| {
        let n = shape.iter().product();
        rng.vector(n).iter().map(|v| 0.5 * v).collect::<Vec<f64>>()
    })
}

/// Eight samples; each step observes four of them (by step parity): loss = 1 - mean output,
/// one indexed constraint per sample: `out[i, 0] - 0.2 <= 0`.
struct Problem {
    step: usize,
}

impl Cmp<Net> for Problem {
    type Batch = Tensor<2>;
    fn compute_cmp_state(&mut self, model: &Net, inputs: &Tensor<2>) -> Result<CmpState> {
        let idx: Vec<usize> = if self.step.is_multiple_of(2) {
            vec![0, 2, 4, 6]
        } else {
            vec![1, 3, 7, 5]
        };
        self.step += 1;
        let ids = Tensor::<1, burn::tensor::Int>::from_data(
            TensorData::new(idx.iter().map(|&i| i as i64).collect::<Vec<_>>(), [4]),
            &device(),
        );
        let x = inputs.clone().select(0, ids);
        let out = model.b.forward(model.a.forward(x).tanh());
        let loss = out.clone().mean().reshape([1]).neg().add_scalar(1.0);
        let g = out.narrow(1, 0, 1).reshape([4]).sub_scalar(0.2);
        Ok(CmpState::new()
            .loss(loss)
            .observe("per_sample", ConstraintState::new(g).indices(idx)))
    }
}

fn constraints() -> Constraints {
    Constraints::new()
        .add(
            Constraint::inequality("per_sample", 8)
                .indexed()
                .formulation(Formulation::AugmentedLagrangian)
                .penalty(
                    PenaltyCoefficient::scalar(0.5).updater(PenaltyUpdater::multiplicative(1.05)),
                ),
        )
        .unwrap()
}

fn inputs() -> Tensor<2> {
    let mut rng = SplitMix64::new(5);
    Tensor::from_data(TensorData::new(rng.vector(24), [8, 3]), &device())
}

fn bits(dict: &rein::StateDict) -> Vec<(String, Vec<u8>)> {
    dict.keys()
        .map(|k| (k.to_string(), dict.get_data(k).unwrap().as_bytes().to_vec()))
        .collect()
}

fn snapshot(model: &Net, opt: &impl Stateful) -> Vec<(String, Vec<u8>)> {
    let mut c = Checkpoint::new();
    c.state.put_module("model", model);
    c.put("opt", opt).unwrap();
    bits(&c.state)
}

fn check_resume<S: ConstrainedOptimizer>(make: impl Fn() -> S) {
    let (n, data) = (25, inputs());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.ckpt");

    // Uninterrupted.
    let base = net();
    let mut model = base.clone();
    let mut opt = make();
    let mut problem = Problem { step: 0 };
    for _ in 0..2 * n {
        opt.step(&mut problem, &mut model, &data).unwrap();
    }
    let reference = snapshot(&model, &opt);

    // Interrupted after n steps, resumed from the file into fresh objects.
    let mut model = base.clone();
    let mut opt = make();
    let mut problem = Problem { step: 0 };
    for _ in 0..n {
        opt.step(&mut problem, &mut model, &data).unwrap();
    }
    let mut ck = Checkpoint::new();
    ck.state.put_module("model", &model);
    ck.put("opt", &opt).unwrap();
    ck.state.put_u64s("data/position", &[problem.step as u64]);
    ck.metadata.insert("run".into(), "test".into());
    ck.save(&path).unwrap();

    let loaded = Checkpoint::load(&path).unwrap();
    assert_eq!(loaded.metadata.get("run").map(String::as_str), Some("test"));
    let mut model = loaded.state.load_module("model", net()).unwrap();
    let mut opt = make();
    loaded.restore("opt", &mut opt).unwrap();
    assert_eq!(opt.steps_taken(), n as u64);
    let mut problem = Problem {
        step: loaded.state.get_u64s("data/position").unwrap()[0] as usize,
    };
    for _ in 0..n {
        opt.step(&mut problem, &mut model, &data).unwrap();
    }
    let resumed = snapshot(&model, &opt);
    assert_eq!(reference.len(), resumed.len());
    for ((k1, v1), (k2, v2)) in reference.iter().zip(&resumed) {
        assert_eq!(k1, k2);
        assert!(v1 == v2, "entry {k1} differs after resume");
    }
    // The run did something: the dual side saw violations (nuPI's xi moved) and the penalty grew.
    let c = opt.constraints().get("per_sample").unwrap();
    let dual_state = resumed
        .iter()
        .find(|(k, _)| k == "opt/dual/per_sample/dual_state")
        .unwrap();
    assert!(dual_state.1.iter().any(|b| *b != 0));
    assert!(c.penalty_coefficients().unwrap()[0] > 0.5);
}

#[test]
fn resume_equals_uninterrupted_alternating_adam_nupi() {
    check_resume(|| {
        let adam = Adam::new(AdamConfig::new(0.05))
            .unwrap()
            .with_group(ParamGroup::new("head", ["b."]).lr(0.01))
            .unwrap();
        AlternatingDualPrimal::new(adam, NuPi::new(0.3, 1.0, 1.0, 0.5).unwrap(), constraints())
            .unwrap()
    });
}

#[test]
fn resume_equals_uninterrupted_extragradient_nesterov() {
    check_resume(|| {
        let sgd = Sgd::new(SgdConfig::new(0.05).momentum(Momentum::Nesterov(0.9))).unwrap();
        Extragradient::new(sgd, NuPi::new(0.3, 0.5, 1.0, 0.0).unwrap(), constraints()).unwrap()
    });
}

fn expect_checkpoint_error(path: &std::path::Path, needle: &str) {
    match Checkpoint::load(path) {
        Err(ReinError::Checkpoint { path: p, reason }) => {
            assert_eq!(p, path);
            assert!(
                reason.contains(needle),
                "reason `{reason}` should mention `{needle}`"
            );
        }
        other => panic!("expected a checkpoint error, got {other:?}"),
    }
}

#[test]
fn truncated_foreign_and_corrupted_files_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.ckpt");
    let mut ck = Checkpoint::new();
    ck.state.put_f64s("x", &[1.0, 2.0, 3.0]);
    ck.state.put_module("model", &net());
    ck.save(&good).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    let truncated = dir.path().join("truncated.ckpt");
    std::fs::write(&truncated, &bytes[..bytes.len() - 7]).unwrap();
    expect_checkpoint_error(&truncated, "truncated or foreign");

    let foreign = dir.path().join("image.png");
    std::fs::write(&foreign, b"\x89PNG\r\n\x1a\n not a checkpoint at all").unwrap();
    expect_checkpoint_error(&foreign, "truncated or foreign");

    // A valid safetensors file that is not ours.
    let other = dir.path().join("other.safetensors");
    let data = [0u8; 8];
    let view = safetensors_view(&data);
    std::fs::write(&other, view).unwrap();
    expect_checkpoint_error(&other, "not a rein checkpoint");

    // Flip one byte of the payload (the last byte belongs to a tensor).
    let corrupt = dir.path().join("corrupt.ckpt");
    let mut flipped = bytes.clone();
    *flipped.last_mut().unwrap() ^= 0x40;
    std::fs::write(&corrupt, flipped).unwrap();
    expect_checkpoint_error(&corrupt, "checksum");

    // Missing file: an I/O error naming it.
    match Checkpoint::load(dir.path().join("missing.ckpt")) {
        Err(ReinError::Io { path, .. }) => assert!(path.ends_with("missing.ckpt")),
        other => panic!("expected an I/O error, got {other:?}"),
    }
    // The good one still loads, bit for bit.
    let back = Checkpoint::load(&good).unwrap();
    assert_eq!(back.state.get_f64s("x").unwrap(), vec![1.0, 2.0, 3.0]);
}

fn safetensors_view(data: &[u8]) -> Vec<u8> {
    // Minimal safetensors file by hand: 8-byte header length, JSON header, payload.
    let header = br#"{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#;
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(data);
    out
}

#[test]
fn loading_into_a_mismatched_model_or_optimizer_names_the_entry() {
    let mut ck = Checkpoint::new();
    ck.state.put_module("model", &net());
    let other = Net {
        a: LinearConfig::new(3, 5).init(&device()),
        b: LinearConfig::new(5, 2).init(&device()),
    };
    match ck.state.load_module("model", other) {
        Err(ReinError::State { name, .. }) => assert!(name.starts_with("model/a."), "{name}"),
        other => panic!("expected a state error, got {other:?}"),
    }
    // An optimizer whose constraint is missing from the checkpoint.
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.1)).unwrap(),
        NuPi::new(0.1, 0.0, 1.0, 0.0).unwrap(),
        constraints(),
    )
    .unwrap();
    ck.state.put_u64s("opt/step", &[3]);
    match ck.restore("opt", &mut opt) {
        Err(ReinError::State { name, .. }) => assert_eq!(name, "opt/dual/per_sample/multipliers"),
        other => panic!("expected a state error, got {other:?}"),
    }
    assert_eq!(opt.steps_taken(), 0, "a failed load changes nothing");
}

#[test]
fn saving_is_atomic_no_partial_file_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    // Saving into a path whose parent is a file fails, and leaves nothing behind.
    let blocker = dir.path().join("file");
    std::fs::write(&blocker, b"x").unwrap();
    let mut ck = Checkpoint::new();
    ck.state.put_f64s("x", &[1.0]);
    assert!(ck.save(blocker.join("ck.safetensors")).is_err());
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn the_same_checkpoint_always_gives_the_same_bytes() {
    // safetensors writes its metadata from a HashMap; rein sorts the header, so files can be
    // compared byte for byte (the crash-resume test of the CLI does).
    let make = || {
        let mut c = Checkpoint::new();
        c.state.put_f64s("b/values", &[1.0, 2.5, -3.0]);
        c.state.put_u64s("a/step", &[7]);
        c.state.put_bytes("c/history", b"step,loss\n1,0.5\n");
        for k in 0..8 {
            c.metadata.insert(format!("key{k}"), format!("value {k}"));
        }
        c
    };
    let first = make().to_bytes().unwrap();
    for _ in 0..5 {
        assert!(
            make().to_bytes().unwrap() == first,
            "bytes changed between writes"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.safetensors");
    make().save(&path).unwrap();
    let loaded = Checkpoint::load(&path).unwrap();
    assert!(
        loaded.to_bytes().unwrap() == first,
        "a loaded checkpoint writes the same bytes"
    );
    assert_eq!(
        loaded.state.get_bytes("c/history").unwrap(),
        b"step,loss\n1,0.5\n"
    );
    assert_eq!(
        loaded.metadata.get("key3").map(String::as_str),
        Some("value 3")
    );
}
