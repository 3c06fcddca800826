//! # 03 — nuPI damps the overshoot of plain gradient ascent on the multiplier
//!
//! ```text
//! min_x x^2   s.t.   g(x) = 1 - x <= 0          (x >= 1)
//! ```
//!
//! Closed form: `(x*, lambda*) = (1, 2)` (stationarity `2 x - lambda = 0` at `x = 1`).
//!
//! Both runs use simultaneous gradient descent-ascent ([`SimultaneousGda`]) from `x0 = 3`,
//! primal SGD with lr 0.1 and a dual learning rate of 0.5. Starting feasible, `lambda` stays
//! at 0 while `x` slides towards the unconstrained minimum 0; plain gradient ascent
//! ([`DualSgd`]) only reacts to the accumulated violation (an integral controller), so `x`
//! overshoots below 1 and `lambda` above 2 before both settle. [`NuPi`] adds a proportional
//! term on the change of the violation, which brakes as soon as the violation starts growing.
//!
//! Run: `cargo run --release -p rein-examples --example 03_nupi_vs_gradient_ascent`

use rein::dual::{DualOptimizer, DualSgd, NuPi};
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::SimultaneousGda;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_examples::Point;

/// `min x^2 s.t. 1 - x <= 0`.
struct LowerBound;

impl Cmp<Point> for LowerBound {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let x = model.x.val();
        let loss = (x.clone() * x.clone()).sum();
        let g = x.neg().add_scalar(1.0);
        Ok(CmpState::new()
            .loss(loss)
            .observe("x>=1", ConstraintState::new(g)))
    }
}

/// What one run shows.
struct Summary {
    min_x: f64,
    max_lambda: f64,
    /// First step from which `|x - 1| < 1e-3` holds until the end of the run.
    settled_at: Option<usize>,
    x: f64,
    lambda: f64,
}

const STEPS: usize = 400;

fn run(dual: impl DualOptimizer + 'static) -> anyhow::Result<Summary> {
    let constraints = Constraints::new().add(Constraint::inequality("x>=1", 1))?;
    let mut opt = SimultaneousGda::new(Sgd::new(SgdConfig::new(0.1))?, dual, constraints)?;
    let mut model = Point::new(&[3.0]);
    let mut problem = LowerBound;
    let (mut min_x, mut max_lambda) = (f64::INFINITY, f64::NEG_INFINITY);
    let mut settled_at = None;
    let lambda_of = |opt: &SimultaneousGda<Sgd>| {
        opt.constraints()
            .get("x>=1")
            .and_then(|c| c.multipliers())
            .expect("a multiplier")[0]
    };
    for step in 1..=STEPS {
        opt.step(&mut problem, &mut model, &())?;
        let x = model.values()[0];
        min_x = min_x.min(x);
        max_lambda = max_lambda.max(lambda_of(&opt));
        if (x - 1.0).abs() < 1e-3 {
            settled_at.get_or_insert(step);
        } else {
            settled_at = None;
        }
    }
    Ok(Summary {
        min_x,
        max_lambda,
        settled_at,
        x: model.values()[0],
        lambda: lambda_of(&opt),
    })
}

fn main() -> anyhow::Result<()> {
    let eta = 0.5;
    let ga = run(DualSgd::new(eta)?)?;
    // nuPI in the form of docs/core.md: lambda <- lambda + eta (kappa_i e_t + kappa_p (xi_t - xi_{t-1})),
    // i.e. eta multiplies *both* gains. kappa_p = 4 with eta = 0.5 is an effective proportional
    // step eta * kappa_p = 2; kappa_i = 1 keeps the integral (gradient-ascent) step eta = 0.5,
    // and nu = 0 makes xi_t = e_t (no smoothing of the error).
    let nupi = run(NuPi::new(eta, 4.0, 1.0, 0.0)?)?;

    println!("min x^2 s.t. x >= 1 (violation 1 - x), simultaneous GDA from x0 = 3,");
    println!("primal lr 0.1, dual lr 0.5, {STEPS} steps; closed form (x*, lambda*) = (1, 2)");
    println!();
    println!(
        "{:<34} {:>9} {:>11} {:>16} {:>13} {:>13}",
        "dual optimizer", "min x", "max lambda", "steps |x-1|<1e-3", "final x", "final lambda"
    );
    for (name, s) in [
        ("gradient ascent (DualSgd 0.5)", &ga),
        ("nuPI (eta 0.5, kp 4, ki 1, nu 0)", &nupi),
    ] {
        let settled = s.settled_at.map_or("never".to_string(), |k| k.to_string());
        println!(
            "{:<34} {:>9.5} {:>11.5} {:>16} {:>13.9} {:>13.9}",
            name, s.min_x, s.max_lambda, settled, s.x, s.lambda
        );
    }
    println!(
        "{:<34} {:>9.5} {:>11.5} {:>16} {:>13.9} {:>13.9}",
        "closed form", 1.0, 2.0, "-", 1.0, 2.0
    );
    println!();
    let overshoot = |s: &Summary| {
        let (dx, dl) = (1.0 - s.min_x, s.max_lambda - 2.0);
        if dx > 1e-9 || dl > 1e-9 {
            format!("x goes {dx:.3} below x* and lambda {dl:.3} above lambda*")
        } else {
            format!(
                "no overshoot (min x - 1 = {:.1e}, max lambda - 2 = {:.1e})",
                -dx, dl
            )
        }
    };
    println!("gradient ascent: {}", overshoot(&ga));
    println!("nuPI:            {}", overshoot(&nupi));
    for s in [&ga, &nupi] {
        anyhow::ensure!(
            (s.x - 1.0).abs() < 1e-6 && (s.lambda - 2.0).abs() < 1e-6,
            "did not converge"
        );
    }
    Ok(())
}
