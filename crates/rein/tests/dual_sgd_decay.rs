//! Dual SGD with decoupled decay (Resilient constrained learning) on an indexed multiplier:
//! each step updates only the observed entries by `lambda <- max(0, lambda + eta (e -
//! w lambda))`; the others keep their values; the configuration accepts `weight_decay` for SGD.

use rein::config::{DualConfig, DualKind};
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::SimultaneousGda;
use rein::{ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_testing::prelude::*;
use rein_testing::problems::fixed_state;

fn lambdas(opt: &SimultaneousGda<Sgd>) -> Vec<f64> {
    opt.constraints()
        .get("per_sample")
        .unwrap()
        .multipliers()
        .unwrap()
        .to_vec()
}

#[test]
fn only_observed_entries_move_by_the_decayed_ascent_rule() {
    let (eta, w) = (0.5, 0.25);
    let cs = Constraints::new()
        .add(Constraint::inequality("per_sample", 6).indexed())
        .unwrap();
    let dual = DualSgd::new(eta).unwrap().weight_decay(w).unwrap();
    let mut opt = SimultaneousGda::new(Sgd::new(SgdConfig::new(0.0)).unwrap(), dual, cs).unwrap();
    let mut model = Point::new(&[0.0]);
    let mut step = |opt: &mut SimultaneousGda<Sgd>, idx: Vec<usize>, e: Vec<f64>| {
        let st = ConstraintState::strict_only(e).indices(idx);
        opt.step(&mut fixed_state("per_sample", st), &mut model, &())
            .unwrap();
    };
    step(&mut opt, vec![1, 4], vec![2.0, 1.0]);
    assert_eq!(lambdas(&opt), vec![0.0, 1.0, 0.0, 0.0, 0.5, 0.0]);
    // Entry 1 again, with a negative error: 1 + 0.5 (-0.5 - 0.25) = 0.625; entry 4 unobserved,
    // not decayed; entry 2 projected at 0.
    step(&mut opt, vec![1, 2], vec![-0.5, -1.0]);
    assert_eq!(lambdas(&opt), vec![0.0, 0.625, 0.0, 0.0, 0.5, 0.0]);
    // A constant error e drives an observed entry to e / w (the relaxation u* = w lambda = e).
    for _ in 0..200 {
        step(&mut opt, vec![5], vec![1.0]);
    }
    let l = lambdas(&opt);
    assert!((l[5] - 1.0 / w).abs() < 1e-9, "{l:?}");
    assert_eq!(&l[..5], &[0.0, 0.625, 0.0, 0.0, 0.5]);
}

#[test]
fn configuration_builds_sgd_with_decay_and_rejects_a_negative_one() {
    let mut c = DualConfig::new(DualKind::Sgd, 0.5);
    c.weight_decay = Some(0.25);
    c.validate().unwrap();
    let dual = c.build().unwrap();
    assert_eq!(dual.update(0, 1.0, 2.0, &mut []), 1.0 + 0.5 * (2.0 - 0.25));
    c.weight_decay = Some(-1.0);
    let e = c.validate().unwrap_err().to_string();
    assert!(e.contains("weight_decay"), "{e}");
    // Adam still has no decay.
    let mut a = DualConfig::new(DualKind::Adam, 0.5);
    a.weight_decay = Some(0.1);
    assert!(
        a.validate()
            .unwrap_err()
            .to_string()
            .contains("weight_decay")
    );
}
