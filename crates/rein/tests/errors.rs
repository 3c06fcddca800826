//! Bad input gives errors that name the constraint, the field or the value — never a panic.

use burn::tensor::Tensor;
use rein::dual::{DualAdam, DualSgd};
use rein::optim::{Adam, AdamConfig, Momentum, ParamGroup, Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{
    CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints, Formulation,
    PenaltyCoefficient, ReinError,
};
use rein_testing::prelude::*;

fn step_with(cs: Constraints, state: impl Fn(Tensor<1>) -> CmpState) -> rein::Result<()> {
    let mut opt =
        AlternatingDualPrimal::new(Sgd::new(SgdConfig::new(0.1))?, DualSgd::new(0.1)?, cs)?;
    let mut model = Point::new(&[1.0, 2.0]);
    opt.step(&mut FnProblem(state), &mut model, &()).map(|_| ())
}

fn one(name: &str, c: Constraint) -> Constraints {
    let _ = name;
    Constraints::new().add(c).unwrap()
}

#[test]
fn non_finite_violation_names_the_constraint_and_entry() {
    let r = step_with(one("bound", Constraint::inequality("bound", 2)), |x| {
        let v = x.clone().log().sub_scalar(f64::INFINITY);
        state_with(Some(x.sum()), vec![("bound", ConstraintState::new(v))])
    });
    match r {
        Err(ReinError::NonFinite {
            constraint,
            which,
            entry,
            ..
        }) => {
            assert_eq!(
                (constraint.as_str(), which, entry),
                ("bound", "violation", 0)
            );
        }
        other => panic!("{other:?}"),
    }
    let r = step_with(one("bound", Constraint::inequality("bound", 1)), |x| {
        state_with(
            Some(x.clone().sum()),
            vec![(
                "bound",
                ConstraintState::new(x.sum()).strict(vec![f64::NAN]),
            )],
        )
    });
    assert!(
        matches!(
            r,
            Err(ReinError::NonFinite {
                which: "strict_violation",
                ..
            })
        ),
        "{r:?}"
    );
    let r = step_with(Constraints::new(), |x| {
        state_with(Some(x.sum().div_scalar(0.0)), vec![])
    });
    assert!(
        matches!(r, Err(ReinError::NonFinite { which: "loss", .. })),
        "{r:?}"
    );
    let msg = step_with(one("bound", Constraint::inequality("bound", 2)), |x| {
        state_with(
            Some(x.clone().sum()),
            vec![(
                "bound",
                ConstraintState::new(x.log().sub_scalar(f64::INFINITY)),
            )],
        )
    })
    .unwrap_err()
    .to_string();
    assert!(
        msg.contains("`bound`") && msg.contains("violation"),
        "{msg}"
    );
}

#[test]
fn shape_and_index_mismatches_name_the_constraint() {
    // Dense group of 3, violation of length 2.
    let r = step_with(one("c", Constraint::inequality("c", 3)), |x| {
        state_with(Some(x.clone().sum()), vec![("c", ConstraintState::new(x))])
    });
    assert!(
        matches!(r, Err(ReinError::ShapeMismatch { ref constraint, expected: 3, got: 2, .. }) if constraint == "c"),
        "{r:?}"
    );
    // Index out of range.
    let r = step_with(one("s", Constraint::inequality("s", 10).indexed()), |x| {
        state_with(
            Some(x.clone().sum()),
            vec![("s", ConstraintState::new(x).indices(vec![3, 10]))],
        )
    });
    assert!(
        matches!(
            r,
            Err(ReinError::IndexOutOfRange {
                index: 10,
                size: 10,
                ..
            })
        ),
        "{r:?}"
    );
    // Duplicate index.
    let r = step_with(one("s", Constraint::inequality("s", 10).indexed()), |x| {
        state_with(
            Some(x.clone().sum()),
            vec![("s", ConstraintState::new(x).indices(vec![4, 4]))],
        )
    });
    assert!(
        matches!(r, Err(ReinError::DuplicateIndex { index: 4, .. })),
        "{r:?}"
    );
    // Indices vs violation length.
    let r = step_with(one("s", Constraint::inequality("s", 10).indexed()), |x| {
        state_with(
            Some(x.clone().sum()),
            vec![("s", ConstraintState::new(x).indices(vec![1, 2, 3]))],
        )
    });
    assert!(matches!(r, Err(ReinError::ShapeMismatch { .. })), "{r:?}");
    // Indexed without indices; dense with indices; strict indices without strict violation.
    for (c, st) in [
        (
            Constraint::inequality("s", 10).indexed(),
            ConstraintState::new(Tensor::zeros([2], &device())),
        ),
        (
            Constraint::inequality("s", 2),
            ConstraintState::new(Tensor::zeros([2], &device())).indices(vec![0, 1]),
        ),
        (
            Constraint::inequality("s", 2).indexed(),
            ConstraintState::new(Tensor::zeros([2], &device()))
                .indices(vec![0, 1])
                .strict_indices(vec![0]),
        ),
    ] {
        let r = step_with(one("s", c), |x| {
            state_with(Some(x.sum()), vec![("s", st.clone())])
        });
        assert!(
            matches!(r, Err(ReinError::InvalidConstraintState { ref constraint, .. }) if constraint == "s"),
            "{r:?}"
        );
    }
    // Unknown constraint name.
    let r = step_with(Constraints::new(), |x| {
        state_with(
            Some(x.clone().sum()),
            vec![("nope", ConstraintState::new(x))],
        )
    });
    assert!(
        matches!(r, Err(ReinError::UnknownConstraint(ref n)) if n == "nope"),
        "{r:?}"
    );
}

#[test]
fn misconfigured_constraints_are_rejected_at_registration() {
    let dup = Constraints::new()
        .add(Constraint::inequality("a", 1))
        .unwrap()
        .add(Constraint::equality("a", 1));
    assert!(matches!(dup, Err(ReinError::DuplicateConstraint(ref n)) if n == "a"));
    let no_penalty = Constraints::new()
        .add(Constraint::inequality("a", 1).formulation(Formulation::AugmentedLagrangian));
    assert!(matches!(
        no_penalty,
        Err(ReinError::InvalidConstraint { .. })
    ));
    let neg_init =
        Constraints::new().add(Constraint::inequality("a", 2).initial_multiplier(vec![0.0, -1.0]));
    assert!(matches!(neg_init, Err(ReinError::InvalidConstraint { .. })));
    let bad_len =
        Constraints::new().add(Constraint::equality("a", 2).initial_multiplier(vec![0.0]));
    assert!(matches!(bad_len, Err(ReinError::ShapeMismatch { .. })));
    let empty = Constraints::new().add(Constraint::equality("a", 0));
    assert!(matches!(empty, Err(ReinError::InvalidConstraint { .. })));
    let neg_c = Constraints::new().add(
        Constraint::equality("a", 1)
            .formulation(Formulation::QuadraticPenalty)
            .penalty(PenaltyCoefficient::scalar(-1.0)),
    );
    assert!(matches!(
        neg_c,
        Err(ReinError::InvalidHyperParameter { .. })
    ));
}

#[test]
fn invalid_hyper_parameters_name_the_field() {
    let field = |r: Result<(), ReinError>| match r {
        Err(ReinError::InvalidHyperParameter { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(field(Sgd::new(SgdConfig::new(-1.0)).map(|_| ())), "lr");
    assert_eq!(
        field(Sgd::new(SgdConfig::new(0.1).momentum(Momentum::Nesterov(1.5))).map(|_| ())),
        "momentum"
    );
    assert_eq!(
        field(Adam::new(AdamConfig::new(0.1).betas(1.0, 0.9)).map(|_| ())),
        "beta1"
    );
    assert_eq!(
        field(Adam::new(AdamConfig::new(0.1).eps(0.0)).map(|_| ())),
        "eps"
    );
    assert_eq!(field(DualSgd::new(f64::NAN).map(|_| ())), "lr");
    assert_eq!(
        field(DualAdam::with_betas(0.1, 0.9, 1.5, 1e-8).map(|_| ())),
        "beta2"
    );
    assert_eq!(
        field(
            Sgd::new(SgdConfig::new(0.1))
                .unwrap()
                .with_group(ParamGroup::new("g", ["x"]).lr(-2.0))
                .map(|_| ())
        ),
        "lr"
    );
    let msg = Sgd::new(SgdConfig::new(-1.0)).unwrap_err().to_string();
    assert!(msg.contains("lr") && msg.contains("-1"), "{msg}");
}

#[test]
fn a_feasibility_problem_without_loss_or_primal_constraint_is_an_error() {
    let r = step_with(one("c", Constraint::inequality("c", 1)), |_| {
        state_with(None, vec![("c", ConstraintState::strict_only(vec![0.5]))])
    });
    assert!(matches!(r, Err(ReinError::EmptyLagrangian)), "{r:?}");
}

#[test]
fn divergence_names_the_step_and_the_learning_rates() -> rein::Result<()> {
    // min x^4 by SGD with lr 1 from x = 2: x <- x - 4 x^3 overflows within a few steps.
    let cs = one("bound", Constraint::inequality("bound", 1));
    let mut opt =
        AlternatingDualPrimal::new(Sgd::new(SgdConfig::new(1.0))?, DualSgd::new(0.5)?, cs)?;
    let mut model = Point::new(&[2.0]);
    let mut problem = FnProblem(|x: Tensor<1>| {
        let sq = x.clone() * x.clone();
        state_with(
            Some((sq.clone() * sq).sum()),
            vec![("bound", ConstraintState::new(x.sum().sub_scalar(10.0)))],
        )
    });
    let error = loop {
        if let Err(e) = opt.step(&mut problem, &mut model, &()) {
            break e;
        }
    };
    match &error {
        ReinError::Diverged {
            step,
            primal_lr,
            dual_lr,
            ..
        } => {
            assert!(*step > 1, "{error}");
            assert_eq!((*primal_lr, *dual_lr), (1.0, Some(0.5)));
        }
        other => panic!("{other:?}"),
    }
    assert!(error.is_non_finite());
    let text = error.to_string();
    assert!(
        text.starts_with("step ") && text.contains("learning rate 1") && text.contains("dual 0.5"),
        "{text}"
    );
    Ok(())
}
