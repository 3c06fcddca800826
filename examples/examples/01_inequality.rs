//! # 01 — one inequality constraint, Lagrangian, alternating dual-primal updates
//!
//! ```text
//! min_x (x - 2)^2   s.t.   g(x) = x - 1 <= 0
//! ```
//!
//! The unconstrained minimum `x = 2` violates the constraint, so it is active at the solution.
//! The KKT conditions `2 (x - 2) + lambda = 0`, `x = 1` give the closed form
//! `(x*, lambda*) = (1, 2)`.
//!
//! rein solves the min-max game `min_x max_{lambda >= 0} (x - 2)^2 + lambda (x - 1)` with
//! [`AlternatingDualPrimal`]: each step evaluates the problem once, takes a projected ascent
//! step on `lambda` with [`DualSgd`], then a descent step on `x` with [`Sgd`] using the new
//! multiplier.
//!
//! Run: `cargo run --release -p rein-examples --example 01_inequality`

use burn::tensor::Tensor;
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_examples::Point;

/// The problem: the user's side is one evaluation of the loss and the constraint.
struct ActiveBound;

impl Cmp<Point> for ActiveBound {
    /// Deterministic problem: no data.
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let x: Tensor<1> = model.x.val();
        let d = x.clone().sub_scalar(2.0);
        let loss = (d.clone() * d).sum();
        // g(x) = x - 1 <= 0, a length-1 violation (differentiable: it drives the primal step,
        // and, detached, the dual step).
        let g = x.sub_scalar(1.0);
        Ok(CmpState::new()
            .loss(loss)
            .observe("x<=1", ConstraintState::new(g)))
    }
}

fn main() -> anyhow::Result<()> {
    let constraints = Constraints::new().add(Constraint::inequality("x<=1", 1))?;
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(0.1))?,
        DualSgd::new(0.2)?,
        constraints,
    )?;
    let mut model = Point::new(&[-3.0]);
    let mut problem = ActiveBound;

    println!("min (x-2)^2 s.t. x - 1 <= 0, from x0 = -3 (primal lr 0.1, dual lr 0.2)");
    println!(
        "{:>6} {:>12} {:>12} {:>12} {:>12}",
        "step", "x", "lambda", "loss", "x - 1"
    );
    let steps = 2000;
    for step in 1..=steps {
        let report = opt.step(&mut problem, &mut model, &())?;
        if [1, 10, 50, 100, 200, 500, 1000, steps].contains(&step) {
            let c = report.constraint("x<=1").expect("observed every step");
            println!(
                "{:>6} {:>12.6} {:>12.6} {:>12.6} {:>12.2e}",
                report.step,
                model.values()[0],
                c.multipliers[0],
                report.loss.unwrap_or(f64::NAN),
                c.strict_violation[0],
            );
        }
    }

    let x = model.values()[0];
    let lambda = opt
        .constraints()
        .get("x<=1")
        .and_then(|c| c.multipliers())
        .expect("a multiplier")[0];
    println!();
    println!(
        "{:>8} {:>14} {:>14} {:>10}",
        "", "rein", "closed form", "|error|"
    );
    println!(
        "{:>8} {:>14.10} {:>14.10} {:>10.1e}",
        "x",
        x,
        1.0,
        (x - 1.0).abs()
    );
    println!(
        "{:>8} {:>14.10} {:>14.10} {:>10.1e}",
        "lambda",
        lambda,
        2.0,
        (lambda - 2.0).abs()
    );
    anyhow::ensure!(
        (x - 1.0).abs() < 1e-6 && (lambda - 2.0).abs() < 1e-6,
        "did not converge"
    );
    Ok(())
}
