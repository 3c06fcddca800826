//! The acceptance cases of rein's core (formulations x schemes), in float64, against closed forms
//! and KKT points computed on the host (`rein_testing::linalg`).
//! Every scheme x formulation combination that applies must reach the KKT point.

use burn::tensor::Tensor;
use rein::dual::{DualOptimizer, DualSgd};
use rein::optim::{Momentum, Sgd, SgdConfig};
use rein::scheme::SchemeKind;
use rein::{
    CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints, Formulation,
    PenaltyCoefficient,
};
use rein_testing::linalg::{kkt_point, min_norm_equality};
use rein_testing::prelude::*;
use rein_testing::problems::MinNormLinear;

/// The schemes with a dual step (the unconstrained one is checked on penalty problems).
const SCHEMES: [SchemeKind; 4] = [
    SchemeKind::Simultaneous,
    SchemeKind::AlternatingDualPrimal,
    SchemeKind::AlternatingPrimalDual,
    SchemeKind::Extragradient,
];

/// Runs `steps` steps of `scheme` (built at run time: no `match` over the scheme types);
/// returns the final point and the multipliers of every constraint (in registration order).
fn solve<F: FnMut(Tensor<1>) -> CmpState>(
    scheme: SchemeKind,
    primal: Sgd,
    dual: impl DualOptimizer + 'static,
    constraints: Constraints,
    problem: F,
    x0: &[f64],
    steps: usize,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let dual: Option<Box<dyn DualOptimizer>> = scheme.has_dual_step().then(|| Box::new(dual) as _);
    let mut opt = scheme.build(primal, dual, constraints).expect("scheme");
    let mut p = FnProblem(problem);
    let mut model = Point::new(x0);
    for _ in 0..steps {
        opt.step(&mut p, &mut model, &()).expect("step");
    }
    let lambdas = opt
        .constraints()
        .iter()
        .map(|c| c.multipliers().map(<[f64]>::to_vec).unwrap_or_default())
        .collect();
    (model.values(), lambdas)
}

fn sgd(lr: f64) -> Sgd {
    Sgd::new(SgdConfig::new(lr)).unwrap()
}

fn with_formulation(c: Constraint, f: Formulation, coefficient: f64) -> Constraint {
    match f {
        Formulation::Lagrangian => c,
        _ => c
            .formulation(f)
            .penalty(PenaltyCoefficient::scalar(coefficient)),
    }
}

#[test]
fn equality_min_norm_on_a_line() {
    // min x^2 + y^2  s.t.  x + y - 1 = 0  ->  x* = (1/2, 1/2), mu* = -1 (L = f + mu h).
    let (x_star, mu_star) = (vec![0.5, 0.5], -1.0);
    let line = MinNormLinear::from_rows(&[vec![1.0, 1.0]], &[1.0], "line");
    for f in [Formulation::Lagrangian, Formulation::AugmentedLagrangian] {
        for scheme in SCHEMES {
            let cs = Constraints::new()
                .add(with_formulation(Constraint::equality("line", 1), f, 1.0))
                .unwrap();
            let (x, mu) = solve(
                scheme,
                sgd(0.1),
                DualSgd::new(0.2).unwrap(),
                cs,
                |x| line.state(x),
                &[2.0, -1.0],
                2000,
            );
            assert!(
                max_abs_diff(&x, &x_star) < 1e-4,
                "{f:?} {scheme}: x = {x:?}"
            );
            assert!(
                (mu[0][0] - mu_star).abs() < 1e-4,
                "{f:?} {scheme}: mu = {mu:?}"
            );
        }
    }
}

/// `min (x - 2)^2 s.t. x - 1 <= 0` (constraint `bound`).
fn bound_problem(x: Tensor<1>) -> CmpState {
    let d = x.clone().sub_scalar(2.0);
    state_with(
        Some((d.clone() * d).sum()),
        vec![("bound", ConstraintState::new(x.sub_scalar(1.0)))],
    )
}

#[test]
fn inequality_active_bound() {
    // min (x - 2)^2  s.t.  x - 1 <= 0  ->  x* = 1, lambda* = 2.
    for f in [Formulation::Lagrangian, Formulation::AugmentedLagrangian] {
        for scheme in SCHEMES {
            let cs = Constraints::new()
                .add(with_formulation(Constraint::inequality("bound", 1), f, 1.0))
                .unwrap();
            let (x, l) = solve(
                scheme,
                sgd(0.1),
                DualSgd::new(0.2).unwrap(),
                cs,
                bound_problem,
                &[-3.0],
                2000,
            );
            assert!((x[0] - 1.0).abs() < 1e-4, "{f:?} {scheme}: x = {x:?}");
            assert!(
                (l[0][0] - 2.0).abs() < 1e-4,
                "{f:?} {scheme}: lambda = {l:?}"
            );
        }
    }
}

#[test]
fn inequality_bound_by_quadratic_penalty() {
    // Quadratic penalty c/2 relu(x-1)^2: x_c = (4 + c)/(2 + c), within 1e-3 of x* for c = 4000.
    let c = 4000.0;
    let cs = Constraints::new()
        .add(
            Constraint::inequality("bound", 1)
                .formulation(Formulation::QuadraticPenalty)
                .penalty(PenaltyCoefficient::scalar(c)),
        )
        .unwrap();
    let (x, _) = solve(
        SchemeKind::Unconstrained,
        sgd(1.0 / (2.0 + c)),
        DualSgd::new(0.0).unwrap(),
        cs,
        bound_problem,
        &[3.0],
        200,
    );
    let x_c = (4.0 + c) / (2.0 + c);
    assert!((x[0] - x_c).abs() < 1e-9, "x = {x:?}, closed form {x_c}");
    assert!((x[0] - 1.0).abs() < 1e-3);
}

#[test]
fn equality_on_a_circle() {
    // min x1 + x2  s.t.  x1^2 + x2^2 - 2 = 0  ->  x* = (-1, -1), mu* = 1/2.
    for f in [Formulation::Lagrangian, Formulation::AugmentedLagrangian] {
        for scheme in SCHEMES {
            let cs = Constraints::new()
                .add(
                    with_formulation(Constraint::equality("circle", 1), f, 1.0)
                        .initial_multiplier(vec![0.2]),
                )
                .unwrap();
            let (x, mu) = solve(
                scheme,
                sgd(0.05),
                DualSgd::new(0.05).unwrap(),
                cs,
                |x: Tensor<1>| {
                    let h = (x.clone() * x.clone()).sum().sub_scalar(2.0);
                    state_with(Some(x.sum()), vec![("circle", ConstraintState::new(h))])
                },
                &[-1.4, -0.3],
                6000,
            );
            assert!(
                max_abs_diff(&x, &[-1.0, -1.0]) < 1e-4,
                "{f:?} {scheme}: x = {x:?}"
            );
            assert!((mu[0][0] - 0.5).abs() < 1e-4, "{f:?} {scheme}: mu = {mu:?}");
        }
    }
}

/// Random well-conditioned constraint matrices: identity-dominated rows, scaled.
fn random_problem(seed: u64, n: usize, m: usize) -> (Vec<Vec<f64>>, Vec<f64>) {
    let mut rng = SplitMix64::new(seed);
    let mut a = rng.matrix(m, n);
    for (i, row) in a.iter_mut().enumerate() {
        row[i] += 2.0;
        let norm = row.iter().map(|v| v * v).sum::<f64>().sqrt();
        row.iter_mut().for_each(|v| *v /= norm);
    }
    (a, rng.vector(m))
}

/// Checks `min ||x||^2 s.t. M x - r {<=, =} 0` against its KKT point `(x_star, multipliers)`:
/// every dual scheme x {Lagrangian, Augmented} to 1e-4, the quadratic penalty to 1e-3.
fn check_random_kkt(
    constraint: impl Fn() -> Constraint,
    m_mat: &[Vec<f64>],
    r: &[f64],
    x_star: &[f64],
    multipliers_star: &[f64],
    label: &str,
) {
    let n = x_star.len();
    let linear = MinNormLinear::from_rows(m_mat, r, constraint().name());
    let problem = |x| linear.state(x);
    for f in [Formulation::Lagrangian, Formulation::AugmentedLagrangian] {
        for scheme in SCHEMES {
            let cs = Constraints::new()
                .add(with_formulation(constraint(), f, 1.0))
                .unwrap();
            let (x, l) = solve(
                scheme,
                sgd(0.2),
                DualSgd::new(0.3).unwrap(),
                cs,
                problem,
                &vec![0.0; n],
                3000,
            );
            assert!(
                max_abs_diff(&x, x_star) < 1e-4,
                "{label} {f:?} {scheme}: x {x:?} vs {x_star:?}"
            );
            assert!(
                max_abs_diff(&l[0], multipliers_star) < 1e-4,
                "{label} {f:?} {scheme}: multipliers {:?} vs {multipliers_star:?}",
                l[0]
            );
        }
    }
    // Quadratic penalty: x_c -> x* as c grows; Nesterov handles the conditioning.
    let c = 2e4;
    let cs = Constraints::new()
        .add(
            constraint()
                .formulation(Formulation::QuadraticPenalty)
                .penalty(PenaltyCoefficient::scalar(c)),
        )
        .unwrap();
    let lr = 1.0 / (2.0 + c * 5.0);
    let opt = Sgd::new(SgdConfig::new(lr).momentum(Momentum::Nesterov(0.99))).unwrap();
    let (x, _) = solve(
        SchemeKind::Unconstrained,
        opt,
        DualSgd::new(0.0).unwrap(),
        cs,
        problem,
        &vec![0.0; n],
        20_000,
    );
    assert!(
        max_abs_diff(&x, x_star) < 1e-3,
        "{label} penalty: x {x:?} vs {x_star:?}"
    );
}

#[test]
fn random_inequality_kkt_every_scheme_and_formulation() {
    for (seed, n) in [(1, 5), (2, 8), (3, 10)] {
        let (a, b) = random_problem(seed, n, 5);
        let (x_star, l_star) =
            kkt_point(&a, &b).expect("A has full row rank: A x <= b is feasible");
        assert!(
            l_star.iter().any(|l| *l > 1e-3),
            "seed {seed}: need an active constraint"
        );
        let label = format!("Ax<=b seed {seed}");
        check_random_kkt(
            || Constraint::inequality("Ax<=b", 5),
            &a,
            &b,
            &x_star,
            &l_star,
            &label,
        );
    }
}

#[test]
fn random_equality_kkt_every_scheme_and_formulation() {
    for (seed, n) in [(11, 5), (12, 8), (13, 10)] {
        let (c_mat, d) = random_problem(seed, n, 5);
        // Closed form: x* = C^T (C C^T)^-1 d, mu* = -2 (C C^T)^-1 d.
        let (x_star, mu_star) = min_norm_equality(&c_mat, &d);
        let label = format!("Cx=d seed {seed}");
        check_random_kkt(
            || Constraint::equality("Cx=d", 5),
            &c_mat,
            &d,
            &x_star,
            &mu_star,
            &label,
        );
    }
}

#[test]
fn maximum_entropy_die() {
    // max H(p) s.t. sum p = 1, sum i p_i = 4.5  ->  p_i ∝ exp(beta i), beta solving the mean.
    let mean = |beta: f64| {
        let w: Vec<f64> = (1..=6).map(|i| (beta * i as f64).exp()).collect();
        (1..=6).map(|i| i as f64 * w[i - 1]).sum::<f64>() / w.iter().sum::<f64>()
    };
    let (mut lo, mut hi) = (0.0, 2.0);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mean(mid) < 4.5 { lo = mid } else { hi = mid }
    }
    let beta = 0.5 * (lo + hi);
    assert!((beta - 0.3710489).abs() < 1e-6, "beta = {beta}");
    let w: Vec<f64> = (1..=6).map(|i| (beta * i as f64).exp()).collect();
    let z: f64 = w.iter().sum();
    let p_star: Vec<f64> = w.iter().map(|v| v / z).collect();
    let faces = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    for scheme in SCHEMES {
        let cs = Constraints::new()
            .add(
                Constraint::equality("sum", 1)
                    .formulation(Formulation::AugmentedLagrangian)
                    .penalty(PenaltyCoefficient::scalar(1.0)),
            )
            .unwrap()
            .add(
                Constraint::equality("mean", 1)
                    .formulation(Formulation::AugmentedLagrangian)
                    .penalty(PenaltyCoefficient::scalar(1.0)),
            )
            .unwrap();
        let (p, _) = solve(
            scheme,
            sgd(0.01),
            DualSgd::new(0.05).unwrap(),
            cs,
            |p: Tensor<1>| {
                let neg_entropy = (p.clone() * p.clone().log()).sum();
                let sum = p.clone().sum().sub_scalar(1.0);
                let mean = (p * constant(&faces)).sum().sub_scalar(4.5);
                state_with(
                    Some(neg_entropy),
                    vec![
                        ("sum", ConstraintState::new(sum)),
                        ("mean", ConstraintState::new(mean)),
                    ],
                )
            },
            &[1.0 / 6.0; 6],
            4_000,
        );
        assert!(
            max_abs_diff(&p, &p_star) < 1e-5,
            "{scheme}: p = {p:?} vs {p_star:?}"
        );
        let given = [0.054353, 0.078772, 0.114160, 0.165447, 0.239774, 0.347494];
        assert!(max_abs_diff(&p, &given) < 1e-5, "{scheme}: p = {p:?}");
    }
}
