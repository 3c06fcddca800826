//! Property tests: projection keeps lambda >= 0; the primal Lagrangian's gradient matches
//! finite differences for every formulation; the Lagrangian is linear in lambda.

use burn::tensor::Tensor;
use proptest::prelude::*;
use rein::dual::{DualAdam, DualOptimizer, DualSgd, NuPi};
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::{SimultaneousGda, Unconstrained};
use rein::{
    ConstrainedOptimizer, Constraint, ConstraintState, Constraints, Formulation, PenaltyCoefficient,
};
use rein_testing::prelude::*;
use rein_testing::problems::fixed_state;

fn multipliers_after(
    dual: impl DualOptimizer + 'static,
    seq: &[Vec<f64>],
    restarts: bool,
) -> Vec<f64> {
    let cs = Constraints::new()
        .add(Constraint::inequality("c", 3).dual_restarts(restarts))
        .unwrap();
    let mut opt = SimultaneousGda::new(Sgd::new(SgdConfig::new(0.0)).unwrap(), dual, cs).unwrap();
    let mut model = Point::new(&[0.0]);
    let mut all = Vec::new();
    for e in seq {
        let st = ConstraintState::strict_only(e.clone());
        opt.step(&mut fixed_state("c", st), &mut model, &())
            .unwrap();
        let l = opt
            .constraints()
            .get("c")
            .unwrap()
            .multipliers()
            .unwrap()
            .to_vec();
        if restarts {
            for (li, ei) in l.iter().zip(e) {
                if *ei < 0.0 {
                    assert_eq!(*li, 0.0, "dual restart resets a feasible entry");
                }
            }
        }
        all.extend(l);
    }
    all
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn projection_keeps_inequality_multipliers_non_negative(
        seq in prop::collection::vec(prop::collection::vec(-5.0f64..5.0, 3), 1..30),
        lr in 0.0f64..3.0,
        kp in -3.0f64..3.0,
        nu in -0.9f64..0.9,
        restarts in any::<bool>(),
    ) {
        for l in multipliers_after(DualSgd::new(lr).unwrap(), &seq, restarts) { prop_assert!(l >= 0.0); }
        for l in multipliers_after(DualAdam::new(lr).unwrap(), &seq, restarts) { prop_assert!(l >= 0.0); }
        for l in multipliers_after(NuPi::new(lr, kp, 1.0, nu).unwrap(), &seq, restarts) { prop_assert!(l >= 0.0); }
    }
}

/// `(value, gradient)` of the primal Lagrangian at `x` for one constraint with fixed
/// multipliers `lambda` and coefficient `c`: the gradient is read off one SGD step with lr 1.
fn lagrangian(f: Formulation, kind_eq: bool, x: &[f64], lambda: &[f64], c: f64) -> (f64, Vec<f64>) {
    let base = if kind_eq {
        Constraint::equality("g", 2)
    } else {
        Constraint::inequality("g", 2)
    };
    let con = match f {
        Formulation::Lagrangian => base.initial_multiplier(lambda.to_vec()),
        Formulation::QuadraticPenalty => base.formulation(f).penalty(PenaltyCoefficient::scalar(c)),
        Formulation::AugmentedLagrangian => base
            .formulation(f)
            .penalty(PenaltyCoefficient::scalar(c))
            .initial_multiplier(lambda.to_vec()),
    };
    let cs = Constraints::new().add(con).unwrap();
    let mut opt = Unconstrained::new(Sgd::new(SgdConfig::new(1.0)).unwrap(), cs).unwrap();
    let mut model = Point::new(x);
    let mut p = FnProblem(|x: Tensor<1>| {
        // f = sum sin(x) + x0 x1;  g = (x0^2 - 0.5, x0 + 2 x1 - 0.3)
        let loss = x.clone().sin().sum() + (x.clone().narrow(0, 0, 1) * x.clone().narrow(0, 1, 1));
        let x0 = x.clone().narrow(0, 0, 1);
        let g0 = (x0.clone() * x0).sub_scalar(0.5);
        let g1 = (x.clone() * constant(&[1.0, 2.0])).sum().sub_scalar(0.3);
        let g = Tensor::cat(vec![g0, g1], 0);
        state_with(Some(loss), vec![("g", ConstraintState::new(g))])
    });
    let report = opt.step(&mut p, &mut model, &()).unwrap();
    let after = model.values();
    (
        report.lagrangian,
        x.iter().zip(&after).map(|(a, b)| a - b).collect(),
    )
}

#[test]
fn primal_lagrangian_gradient_matches_finite_differences() {
    let points = [[0.9, 0.4], [0.2, -0.7], [-1.1, 0.5]];
    let lambdas = [[0.0, 0.0], [1.5, 0.3], [0.7, 2.0]];
    for f in [
        Formulation::Lagrangian,
        Formulation::QuadraticPenalty,
        Formulation::AugmentedLagrangian,
    ] {
        for eq in [false, true] {
            for x in &points {
                for l in &lambdas {
                    for c in [0.0, 0.5, 3.0] {
                        if f != Formulation::Lagrangian
                            && c == 0.0
                            && f == Formulation::QuadraticPenalty
                        {
                            continue;
                        }
                        let (_, grad) = lagrangian(f, eq, x, l, c);
                        let h = 1e-6;
                        for i in 0..2 {
                            let mut xp = x.to_vec();
                            let mut xm = x.to_vec();
                            xp[i] += h;
                            xm[i] -= h;
                            let fd = (lagrangian(f, eq, &xp, l, c).0
                                - lagrangian(f, eq, &xm, l, c).0)
                                / (2.0 * h);
                            assert!(
                                (fd - grad[i]).abs() < 1e-6 * (1.0 + fd.abs()),
                                "{f:?} eq={eq} x={x:?} lambda={l:?} c={c}: d/dx{i} autodiff {} vs fd {fd}",
                                grad[i]
                            );
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn lagrangian_is_linear_in_the_multipliers() {
    let x = [0.3, -0.4];
    let at = |l: [f64; 2]| lagrangian(Formulation::Lagrangian, false, &x, &l, 0.0).0;
    let (l0, l1, l2) = (at([0.0, 0.0]), at([1.0, 0.5]), at([2.0, 1.0]));
    assert!((l2 - l1 - (l1 - l0)).abs() < 1e-12);
}
