//! Run-time configuration: every scheme x dual x primal optimizer built from configuration
//! strings (no `match` here), configuration errors that name the key, schedules, and a
//! configured scheme equal bit for bit to the same scheme written with static types.

use burn::tensor::Tensor;
use rein::config::OptimizerConfig;
use rein::dual::DualSgd;
use rein::optim::{Adam, AdamConfig};
use rein::scheme::{AlternatingDualPrimal, SchemeKind};
use rein::{ConstrainedOptimizer, Constraint, ConstraintState, Constraints, ReinError};
use rein_testing::prelude::{FnProblem, Point, state_with};

/// `min (x - 2)^2 s.t. x - 1 <= 0`: `x* = 1`, `lambda* = 2`.
fn problem() -> FnProblem<impl FnMut(Tensor<1>) -> rein::CmpState> {
    FnProblem(|x: Tensor<1>| {
        let d = x.clone().sub_scalar(2.0);
        state_with(
            Some((d.clone() * d).sum()),
            vec![("c", ConstraintState::new(x.sub_scalar(1.0)))],
        )
    })
}

fn run(text: &str, steps: usize) -> (f64, f64) {
    let config = OptimizerConfig::from_toml_str(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut opt = config
        .build([Constraint::inequality("c", 1)])
        .unwrap_or_else(|e| panic!("{text}: {e}"));
    let mut p = problem();
    let mut model = Point::new(&[3.0]);
    for _ in 0..steps {
        opt.step(&mut p, &mut model, &()).unwrap();
    }
    let lambda = opt
        .constraints()
        .get("c")
        .unwrap()
        .multipliers()
        .map_or(0.0, |m| m[0]);
    (model.values()[0], lambda)
}

#[test]
fn every_scheme_dual_and_primal_builds_from_strings_and_solves() {
    let primals = [
        "kind = 'sgd'\nlr = 0.05",
        "kind = 'sgd'\nlr = 0.02\nmomentum = { heavy-ball = 0.5 }",
        "kind = 'adam'\nlr = 0.02",
        "kind = 'adamw'\nlr = 0.02",
        // Adam-grafted Shampoo with moving-average factors (AdaGrad-like accumulation shrinks
        // the steps too fast to follow a moving multiplier).
        "kind = 'shampoo'\nlr = 0.02\nbetas = [0.9, 0.999]\nprecondition_frequency = 5\n\
         grafting = { adam = { beta2 = 0.999, eps = 1e-8 } }",
    ];
    let duals = [
        "kind = 'sgd'\nlr = 0.1",
        "kind = 'adam'\nlr = 0.02",
        "kind = 'nupi'\nlr = 0.1\nkappa_p = 0.5\nkappa_i = 1.0\nnu = 0.0",
    ];
    let mut failures = Vec::new();
    for scheme in SchemeKind::ALL {
        for primal in primals {
            for dual in duals {
                let text = format!("scheme = '{scheme}'\n[primal]\n{primal}\n[dual]\n{dual}\n");
                let (x, lambda) = run(&text, 3000);
                let ok = if scheme == SchemeKind::Unconstrained {
                    // Multipliers stay at 0: the unconstrained minimum x = 2.
                    lambda == 0.0 && (x - 2.0).abs() < 2e-2
                } else {
                    (x - 1.0).abs() < 2e-2 && (lambda - 2.0).abs() < 0.1
                };
                if !ok {
                    failures.push(format!(
                        "{}: x = {x}, lambda = {lambda}",
                        text.replace('\n', " ")
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_configured_scheme_equals_the_static_one_bit_for_bit() {
    let text = "scheme = 'alternating-dual-primal'\nprimal = { kind = 'adam', lr = 0.01 }\n\
                dual = { kind = 'sgd', lr = 0.3 }";
    let configured = run(text, 200);
    let constraints = Constraints::new()
        .add(Constraint::inequality("c", 1))
        .unwrap();
    let mut opt = AlternatingDualPrimal::new(
        Adam::new(AdamConfig::new(0.01)).unwrap(),
        DualSgd::new(0.3).unwrap(),
        constraints,
    )
    .unwrap();
    let mut p = problem();
    let mut model = Point::new(&[3.0]);
    for _ in 0..200 {
        opt.step(&mut p, &mut model, &()).unwrap();
    }
    let lambda = opt.constraints().get("c").unwrap().multipliers().unwrap()[0];
    assert_eq!(configured, (model.values()[0], lambda));
}

fn config_error(text: &str) -> (String, String) {
    match OptimizerConfig::from_toml_str(text) {
        Err(ReinError::InvalidConfig { key, reason }) => (key, reason),
        other => panic!("{text}: expected a configuration error, got {other:?}"),
    }
}

#[test]
fn unknown_keys_and_bad_values_name_the_key() {
    let (key, reason) = config_error("primal = { kind = 'adam', lrr = 0.1 }");
    assert_eq!(key, "lrr", "{reason}");
    let (key, _) = config_error("scheme = 'gradient-dance'");
    assert!(key.contains("gradient-dance") || key == "scheme", "{key}");
    let cases = [
        ("primal = { kind = 'adam', lr = -1.0 }", "primal.lr"),
        (
            "primal = { kind = 'adam', lr = 0.1, momentum = 'none' }",
            "primal.momentum",
        ),
        (
            "primal = { kind = 'sgd', lr = 0.1, betas = [0.9, 0.99] }",
            "primal.betas",
        ),
        (
            "primal = { kind = 'adam', lr = 0.1, betas = [1.5, 0.99] }",
            "primal.beta1",
        ),
        ("dual = { kind = 'nupi', lr = 0.1, nu = 1.0 }", "dual.nu"),
        (
            "dual = { kind = 'sgd', lr = 0.1, kappa_p = 1.0 }",
            "dual.kappa_p",
        ),
        (
            "primal = { kind = 'sgd', lr = 0.1, schedule = { kind = 'cosine', steps = 0 } }",
            "primal.schedule.steps",
        ),
        (
            "[constraints.c]\npenalty_updater = { kind = 'multiplicative' }",
            "constraints.c.penalty_updater",
        ),
        ("[constraints.c]\npenalty = -2.0", "constraints.c.penalty"),
        (
            "[constraints.c]\ndual = { kind = 'adam', lr = 0.1, betas = [0.9, 2.0] }",
            "constraints.c.dual.beta2",
        ),
        (
            "primal = { kind = 'sgd', lr = 0.1, clamp = [{ params = ['x'], min = 1.0, max = 0.0 }] }",
            "primal.clamp[0].clamp",
        ),
    ];
    for (text, expected) in cases {
        let (key, reason) = config_error(text);
        assert_eq!(key, expected, "{text}: {reason}");
    }
    // A setting for a constraint the problem does not have names it and lists the others.
    let config =
        OptimizerConfig::from_toml_str("[constraints.nope]\ndual_restarts = true").unwrap();
    let e = config
        .build([Constraint::inequality("c", 1)])
        .expect_err("unknown constraint")
        .to_string();
    assert!(e.contains("constraints.nope") && e.contains("\"c\""), "{e}");
}

#[test]
fn per_constraint_settings_change_the_solution_path() {
    // The augmented Lagrangian with a constant coefficient reaches the same KKT point.
    let text = "scheme = 'simultaneous'\nprimal = { kind = 'sgd', lr = 0.05 }\n\
                dual = { kind = 'sgd', lr = 0.1 }\n[constraints.c]\n\
                formulation = 'augmented-lagrangian'\npenalty = 1.0\n\
                penalty_updater = { kind = 'additive', delta = 0.01 }";
    let (x, lambda) = run(text, 3000);
    assert!(
        (x - 1.0).abs() < 1e-3 && (lambda - 2.0).abs() < 1e-2,
        "{x} {lambda}"
    );
    // A quadratic penalty alone, unconstrained: f + c/2 relu(x - 1)^2 is minimal at
    // x = 1 + 2 / (2 + c).
    let text = "scheme = 'unconstrained'\nprimal = { kind = 'sgd', lr = 0.01 }\n\
                [constraints.c]\nformulation = 'quadratic-penalty'\npenalty = 100.0";
    let (x, _) = OptimizerConfig::from_toml_str(text)
        .map(|_| run(text, 3000))
        .unwrap();
    assert!((x - (1.0 + 2.0 / 102.0)).abs() < 1e-6, "{x}");
}

#[test]
fn schedules_scale_the_learning_rates_in_the_report() {
    let text = "scheme = 'simultaneous'\n\
                primal = { kind = 'sgd', lr = 0.1, schedule = { kind = 'step', every = 2, gamma = 0.5 } }\n\
                dual = { kind = 'sgd', lr = 1.0, schedule = { kind = 'warmup', steps = 4, then = { kind = 'constant' } } }";
    let config = OptimizerConfig::from_toml_str(text).unwrap();
    let mut opt = config.build([Constraint::inequality("c", 1)]).unwrap();
    let mut p = problem();
    let mut model = Point::new(&[3.0]);
    let mut lrs = Vec::new();
    for _ in 0..6 {
        let r = opt.step(&mut p, &mut model, &()).unwrap();
        lrs.push((r.primal_lr, r.dual_lr.unwrap()));
    }
    let expected = [
        (0.1, 0.25),
        (0.1, 0.5),
        (0.05, 0.75),
        (0.05, 1.0),
        (0.025, 1.0),
        (0.025, 1.0),
    ];
    for (got, want) in lrs.iter().zip(expected) {
        assert!(
            (got.0 - want.0).abs() < 1e-15 && (got.1 - want.1).abs() < 1e-15,
            "{lrs:?}"
        );
    }
}

#[test]
fn resolved_configurations_round_trip_through_toml() {
    for text in [
        "primal = { kind = 'shampoo', lr = 0.01 }",
        "scheme = 'extragradient'\nprimal = { kind = 'adamw', lr = 0.01, groups = [{ name = 'g', params = ['*b'], lr = 0.1 }] }\ndual = { kind = 'nupi', lr = 0.1 }\n[constraints.c]\nformulation = 'augmented-lagrangian'\npenalty = 2.0",
    ] {
        let resolved = OptimizerConfig::from_toml_str(text).unwrap().resolved();
        let written = toml::to_string(&resolved).unwrap();
        let back = OptimizerConfig::from_toml_str(&written).unwrap();
        assert_eq!(back, resolved, "{written}");
        assert_eq!(back.resolved(), resolved, "resolving twice changes nothing");
    }
}
