//! Implicit multipliers: a model of constraint features learns the KKT multipliers, keeps
//! them non-negative, generalises to unseen constraints, and checkpoints.

use burn::tensor::{Tensor, TensorData};
use rein::dual::DualSgd;
use rein::multiplier::{ImplicitMultiplier, LinearMultiplier};
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::{AlternatingDualPrimal, Extragradient};
use rein::{
    Checkpoint, ConstrainedOptimizer, Constraint, ConstraintKind, ConstraintState, Constraints,
    ReinError,
};
use rein_testing::prelude::*;

/// Bounds `u_i` of `min sum (x_i - 2)^2 s.t. x_i - u_i <= 0`: all active, `lambda*_i = 2 (2 - u_i)`,
/// an affine function of the feature `u_i` (so a linear multiplier model can represent it).
const U: [f64; 4] = [0.0, 0.5, 1.0, 1.5];

fn features(u: &[f64]) -> Tensor<2> {
    Tensor::from_data(TensorData::new(u.to_vec(), [u.len(), 1]), &device())
}

fn constraints() -> Constraints {
    let model = ImplicitMultiplier::new(
        LinearMultiplier::zeros(1, &device()),
        Sgd::new(SgdConfig::new(0.05)).unwrap(),
    );
    Constraints::new()
        .add(Constraint::inequality("x<=u", 4).implicit(model))
        .unwrap()
}

fn problem() -> FnProblem<impl FnMut(Tensor<1>) -> rein::CmpState> {
    FnProblem(|x: Tensor<1>| {
        let d = x.clone().sub_scalar(2.0);
        let g = x - constant(&U);
        state_with(
            Some((d.clone() * d).sum()),
            vec![("x<=u", ConstraintState::new(g).features(features(&U)))],
        )
    })
}

fn check_solution(opt: &impl ConstrainedOptimizer, x: &[f64]) {
    assert!(max_abs_diff(x, &U) < 1e-4, "x = {x:?}");
    let model = opt.constraints().get("x<=u").unwrap().implicit().unwrap();
    let lambda = model.multipliers(&features(&U), ConstraintKind::Inequality);
    let lambda_star: Vec<f64> = U.iter().map(|u| 2.0 * (2.0 - u)).collect();
    assert!(
        max_abs_diff(&lambda, &lambda_star) < 1e-4,
        "lambda = {lambda:?}"
    );
    // Generalisation: an unseen bound gets the KKT multiplier of its own problem.
    let unseen = model.multipliers(&features(&[0.25]), ConstraintKind::Inequality);
    assert!((unseen[0] - 3.5).abs() < 1e-3, "unseen = {unseen:?}");
    // Projection: where the affine model goes negative, the multiplier is 0.
    let far = model.multipliers(&features(&[3.0]), ConstraintKind::Inequality);
    assert_eq!(far, vec![0.0]);
}

#[test]
fn implicit_multipliers_learn_the_kkt_multipliers() {
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.1)).unwrap(),
        DualSgd::new(0.0).unwrap(),
        constraints(),
    )
    .unwrap();
    let mut p = problem();
    let mut model = Point::new(&[3.0; 4]);
    let mut report = None;
    for _ in 0..4000 {
        report = Some(opt.step(&mut p, &mut model, &()).unwrap());
    }
    check_solution(&opt, &model.values());
    // The report carries the observed multipliers.
    let r = report.unwrap();
    let c = r.constraint("x<=u").unwrap();
    assert!((c.multipliers[0] - 4.0).abs() < 1e-3, "{:?}", c.multipliers);
}

#[test]
fn implicit_multipliers_work_with_extragradient() {
    let mut opt = Extragradient::new(
        Sgd::new(SgdConfig::new(0.1)).unwrap(),
        DualSgd::new(0.0).unwrap(),
        constraints(),
    )
    .unwrap();
    let mut p = problem();
    let mut model = Point::new(&[3.0; 4]);
    for _ in 0..4000 {
        opt.step(&mut p, &mut model, &()).unwrap();
    }
    check_solution(&opt, &model.values());
}

#[test]
fn implicit_multipliers_checkpoint_and_resume_bit_exact() {
    let make = || {
        AlternatingDualPrimal::new(
            Sgd::new(SgdConfig::new(0.1)).unwrap(),
            DualSgd::new(0.0).unwrap(),
            constraints(),
        )
        .unwrap()
    };
    let (mut a, mut xa) = (make(), Point::new(&[3.0; 4]));
    for _ in 0..40 {
        a.step(&mut problem(), &mut xa, &()).unwrap();
    }
    let (mut b, mut xb) = (make(), Point::new(&[3.0; 4]));
    for _ in 0..20 {
        b.step(&mut problem(), &mut xb, &()).unwrap();
    }
    let mut ck = Checkpoint::new();
    ck.state.put_module("x", &xb);
    ck.put("opt", &b).unwrap();
    assert!(ck.state.contains("opt/dual/x<=u/implicit/model/weight"));
    let (mut c, xc) = (make(), Point::new(&[0.0; 4]));
    ck.restore("opt", &mut c).unwrap();
    let mut xc = ck.state.load_module("x", xc).unwrap();
    for _ in 0..20 {
        c.step(&mut problem(), &mut xc, &()).unwrap();
    }
    let bits = |v: Vec<f64>| v.into_iter().map(f64::to_bits).collect::<Vec<_>>();
    assert_eq!(bits(xa.values()), bits(xc.values()));
    let lam = |o: &AlternatingDualPrimal<Sgd>| {
        o.constraints()
            .get("x<=u")
            .unwrap()
            .implicit()
            .unwrap()
            .multipliers(&features(&U), ConstraintKind::Inequality)
    };
    assert_eq!(bits(lam(&a)), bits(lam(&c)));
    assert!(lam(&a).iter().all(|l| *l > 0.0));
}

#[test]
fn implicit_multiplier_misuse_is_an_error_naming_the_constraint() {
    // No features.
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.1)).unwrap(),
        DualSgd::new(0.0).unwrap(),
        constraints(),
    )
    .unwrap();
    let mut p = FnProblem(|x: Tensor<1>| {
        state_with(
            Some(x.clone().sum()),
            vec![("x<=u", ConstraintState::new(x))],
        )
    });
    let r = opt.step(&mut p, &mut Point::new(&[0.0; 4]), &());
    assert!(
        matches!(r, Err(ReinError::InvalidConstraintState { ref constraint, .. }) if constraint == "x<=u"),
        "{r:?}"
    );
    // Feature rows that do not match the violation.
    let mut p = FnProblem(|x: Tensor<1>| {
        state_with(
            Some(x.clone().sum()),
            vec![(
                "x<=u",
                ConstraintState::new(x).features(features(&[1.0, 2.0])),
            )],
        )
    });
    let r = opt.step(&mut p, &mut Point::new(&[0.0; 4]), &());
    assert!(
        matches!(
            r,
            Err(ReinError::ShapeMismatch {
                expected: 2,
                got: 4,
                ..
            })
        ),
        "{r:?}"
    );
    // Features on a dense constraint.
    let mut dense = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.1)).unwrap(),
        DualSgd::new(0.1).unwrap(),
        Constraints::new()
            .add(Constraint::inequality("d", 4))
            .unwrap(),
    )
    .unwrap();
    let mut p = FnProblem(|x: Tensor<1>| {
        state_with(
            Some(x.clone().sum()),
            vec![("d", ConstraintState::new(x).features(features(&U)))],
        )
    });
    assert!(matches!(
        dense.step(&mut p, &mut Point::new(&[0.0; 4]), &()),
        Err(ReinError::InvalidConstraintState { .. })
    ));
    // An implicit multiplier with a dual optimizer of its own, or on a penalty formulation.
    let model = ImplicitMultiplier::new(
        LinearMultiplier::zeros(1, &device()),
        Sgd::new(SgdConfig::new(0.1)).unwrap(),
    );
    let r = Constraints::new().add(
        Constraint::inequality("i", 4)
            .implicit(model.clone())
            .dual_optimizer(DualSgd::new(0.1).unwrap()),
    );
    assert!(
        matches!(r, Err(ReinError::InvalidConstraint { .. })),
        "{r:?}"
    );
    let r = Constraints::new().add(
        Constraint::inequality("i", 4)
            .implicit(model)
            .formulation(rein::Formulation::QuadraticPenalty)
            .penalty(rein::PenaltyCoefficient::scalar(1.0)),
    );
    assert!(
        matches!(r, Err(ReinError::InvalidConstraint { .. })),
        "{r:?}"
    );
}
