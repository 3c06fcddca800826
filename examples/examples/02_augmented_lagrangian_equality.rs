//! # 02 — an equality constraint with the augmented Lagrangian and a growing penalty
//!
//! ```text
//! min_{x, y} x^2 + y^2   s.t.   h(x, y) = x + y - 1 = 0
//! ```
//!
//! The closest point of the line to the origin: `(x*, y*) = (1/2, 1/2)`. With the Lagrangian
//! `L = f + mu h`, stationarity `2 x + mu = 0` gives `mu* = -1`.
//!
//! The constraint uses [`Formulation::AugmentedLagrangian`]: the primal step minimises
//! `f + mu h + c/2 h^2` and the dual step is `mu <- mu + eta h` (the dual learning rate is the
//! user's; it is not rescaled by `c`). The [`PenaltyCoefficient`] `c` starts at 0.5 and has a
//! multiplicative [`PenaltyUpdater`]: after every step in which `|h| > 1e-4`, `c <- 1.02 c`.
//! Once the constraint is satisfied to the tolerance, `c` stops growing.
//!
//! Plain SGD on `f + c/2 h^2` with lr 0.1 is stable while `0.1 (2 + 2 c) < 2`, i.e. `c < 9`;
//! a larger growth factor (or starting value) makes `c` cross that bound before `|h|` falls
//! below the tolerance, and the run diverges — the usual reason to cap penalty growth.
//!
//! Run: `cargo run --release -p rein-examples --example 02_augmented_lagrangian_equality`

use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{
    Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints, Formulation,
    PenaltyCoefficient, PenaltyUpdater,
};
use rein_examples::Point;

/// `min ||p||^2 s.t. p_0 + p_1 = 1`, with `p` the model's parameter vector.
struct MinNormOnALine;

impl Cmp<Point> for MinNormOnALine {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let p = model.x.val();
        let loss = (p.clone() * p.clone()).sum();
        let h = p.sum().sub_scalar(1.0);
        Ok(CmpState::new()
            .loss(loss)
            .observe("x+y=1", ConstraintState::new(h)))
    }
}

fn main() -> anyhow::Result<()> {
    let penalty = PenaltyCoefficient::scalar(0.5).updater(PenaltyUpdater::multiplicative(1.02));
    let constraints = Constraints::new().add(
        Constraint::equality("x+y=1", 1)
            .formulation(Formulation::AugmentedLagrangian)
            .penalty(penalty),
    )?;
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.1))?,
        DualSgd::new(0.2)?,
        constraints,
    )?;
    let mut model = Point::new(&[0.0, 0.0]);
    let mut problem = MinNormOnALine;

    println!(
        "min x^2 + y^2 s.t. x + y = 1, augmented Lagrangian, c0 = 0.5, c <- 1.02 c while |h| > 1e-4"
    );
    println!(
        "{:>6} {:>12} {:>12} {:>12} {:>12} {:>10}",
        "step", "x", "y", "mu", "h", "c"
    );
    let steps = 500;
    for step in 1..=steps {
        let report = opt.step(&mut problem, &mut model, &())?;
        if [1, 10, 25, 50, 100, 200, steps].contains(&step) {
            let c = report.constraint("x+y=1").expect("observed every step");
            let p = model.values();
            println!(
                "{:>6} {:>12.6} {:>12.6} {:>12.6} {:>12.2e} {:>10.4}",
                report.step, p[0], p[1], c.multipliers[0], c.strict_violation[0], c.penalty[0],
            );
        }
    }

    let p = model.values();
    let entry = opt.constraints().get("x+y=1").expect("registered");
    let mu = entry.multipliers().expect("a multiplier")[0];
    let c = entry.penalty_coefficients().expect("a penalty")[0];
    println!();
    println!(
        "{:>8} {:>14} {:>14} {:>10}",
        "", "rein", "closed form", "|error|"
    );
    println!(
        "{:>8} {:>14.10} {:>14.10} {:>10.1e}",
        "x",
        p[0],
        0.5,
        (p[0] - 0.5).abs()
    );
    println!(
        "{:>8} {:>14.10} {:>14.10} {:>10.1e}",
        "y",
        p[1],
        0.5,
        (p[1] - 0.5).abs()
    );
    println!(
        "{:>8} {:>14.10} {:>14.10} {:>10.1e}",
        "mu",
        mu,
        -1.0,
        (mu + 1.0).abs()
    );
    let grown = (c / 0.5).ln() / 1.02f64.ln();
    println!(
        "penalty coefficient: c = {c:.6} (0.5 x 1.02^{grown:.0}: grown on every step with |h| > 1e-4)"
    );
    anyhow::ensure!(
        (p[0] - 0.5).abs() < 1e-6 && (p[1] - 0.5).abs() < 1e-6 && (mu + 1.0).abs() < 1e-6,
        "did not converge"
    );
    Ok(())
}
