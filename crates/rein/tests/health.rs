//! Constraint-health diagnostics on real runs: an infeasible constraint is flagged (its
//! multiplier grows while the violation stays), a well-posed one is not.

use burn::tensor::Tensor;
use rein::prelude::*;
use rein::{HealthConfig, HealthIssue};
use rein_testing::prelude::*;

/// Runs `steps` alternating dual-primal steps of min (x - 2)^2 s.t. `g(x) <= 0` from x = 0 and
/// returns the monitor's warnings.
fn warnings(g: fn(Tensor<1>) -> Tensor<1>, steps: usize) -> Vec<HealthWarning> {
    let cs = Constraints::new()
        .add(Constraint::inequality("bound", 1))
        .unwrap();
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.05)).unwrap(),
        DualSgd::new(0.1).unwrap(),
        cs,
    )
    .unwrap();
    let mut problem = FnProblem(move |x: Tensor<1>| {
        let d = x.clone().sub_scalar(2.0);
        state_with(
            Some((d.clone() * d).sum()),
            vec![("bound", ConstraintState::new(g(x)))],
        )
    });
    let mut model = Point::new(&[0.0]);
    let mut monitor = HealthMonitor::new(HealthConfig { window: 200 });
    for _ in 0..steps {
        let report = opt.step(&mut problem, &mut model, &()).unwrap();
        monitor.observe(&report);
    }
    monitor.warnings().to_vec()
}

#[test]
fn an_infeasible_constraint_is_flagged_by_name() {
    // |x| + 1 <= 0 has no solution: lambda grows for ever, the violation stays >= 1. (With
    // x^2 + 1 the growing multiplier makes the primal step unstable and the divergence guard
    // stops the run instead.)
    let w = warnings(|x| x.abs().add_scalar(1.0).sum(), 600);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].issue, HealthIssue::StalledGrowth);
    assert!(w[0].to_string().contains("constraint `bound`"), "{}", w[0]);
}

#[test]
fn a_well_posed_constraint_is_not_flagged() {
    // x <= 1: converges to x = 1, lambda = 2.
    let w = warnings(|x| x.sub_scalar(1.0).sum(), 600);
    assert!(w.is_empty(), "{w:?}");
}
