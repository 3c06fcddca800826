//! The implicit bias of every primal optimizer of rein on over-parameterised least squares
//! (Vaswani et al. 2020, "To Each Optimizer a Norm, To Each Norm its Generalization";
//! Gunasekar et al. 2018): which interpolant of `X w = y` (`n < d`) each one reaches. The
//! problem, the optimizers and the closed forms live in `rein_testing::implicit_norms` and
//! `rein_testing::least_squares` (shared with `rein norms`); docs/norms.md has the equations.
//!
//! * GD, heavy ball and Nesterov from `w0` reach `w0 + X^+ (y - X w0)`;
//! * GD preconditioned by a fixed diagonal `A` (rein's parameter groups: one group at 4x the
//!   learning rate) reaches the `A`-norm interpolant; a full SPD `A` (no rein optimizer takes
//!   a fixed full preconditioner) is checked with a plain host loop `w -= eta A^-1 grad`;
//! * AdaGrad (Shampoo's AdaGrad grafting with the preconditioner never started), Adam and
//!   Shampoo interpolate with a larger L2 norm than `X^+ y`, and the row-space projection of
//!   their solution is `X^+ y`.

use faer::linalg::solvers::DenseSolveCore;
use rein_testing::implicit_norms::{
    Expected, GROUP_RATIO, LeastSquares, NormRow, optimizers, table,
};
use rein_testing::least_squares::{
    a_norm_interpolant, min_norm_solution, nearest_interpolant, norm, residual,
};
use rein_testing::linalg::{max_abs_diff, mul, mul_transposed, spd};
use rein_testing::prelude::SplitMix64;

fn problem() -> LeastSquares {
    LeastSquares::random(10, 4, 5, 42)
}

fn check(row: &NormRow, min_norm: f64) {
    let name = row.name;
    assert!(row.residual < 1e-7, "{name}: residual {:e}", row.residual);
    assert!(
        row.projection_error < 1e-6,
        "{name}: projection error {:e}",
        row.projection_error
    );
    match row.expected {
        Expected::NearestInterpolant => assert!(
            row.distance_to_nearest < 1e-7,
            "{name}: {:e} from w0 + X^+ (y - X w0)",
            row.distance_to_nearest
        ),
        Expected::ANormInterpolant => {
            assert!(
                row.distance_to_a_norm < 1e-7,
                "{name}: {:e} from the A-norm interpolant",
                row.distance_to_a_norm
            );
            assert!(
                row.distance_to_nearest > 1e-2,
                "{name}: indistinguishable from GD's answer"
            );
        }
        Expected::SomeInterpolant => {
            // Another interpolant than GD's (a null-space component of at least 1 % of
            // ||X^+ y||), hence a larger norm: ||w||^2 = ||X^+ y||^2 + ||(I - P) w||^2.
            assert!(
                row.distance_to_nearest > 1e-2 * min_norm,
                "{name}: {:e} from X^+ y, indistinguishable from GD",
                row.distance_to_nearest
            );
            assert!(
                row.l2_norm > min_norm,
                "{name}: ||w|| = {} is not larger than ||X^+ y|| = {min_norm}",
                row.l2_norm
            );
        }
    }
}

#[test]
fn every_optimizer_from_zero() {
    let p = problem();
    let w0 = vec![0.0; p.dim()];
    let min_norm = norm(&min_norm_solution(&p.x, &p.y));
    let rows = table(&p, &w0);
    assert_eq!(rows.len(), optimizers().len());
    for row in &rows {
        check(row, min_norm);
    }
}

#[test]
fn first_order_methods_from_a_nonzero_start() {
    let p = problem();
    let w0 = SplitMix64::new(7).vector(p.dim());
    let nearest = nearest_interpolant(&p.x, &p.y, &w0);
    for case in optimizers()
        .iter()
        .filter(|c| c.expected != Expected::SomeInterpolant)
    {
        let mut opt = (case.make)();
        let w = p.train(&mut opt, &w0, case.steps, case.schedule);
        let target = match case.expected {
            Expected::NearestInterpolant => nearest.clone(),
            _ => a_norm_interpolant(&p.x, &p.y, &p.group_preconditioner(GROUP_RATIO), &w0).unwrap(),
        };
        assert!(
            max_abs_diff(&w, &target) < 1e-7,
            "{}: {:e}",
            case.name,
            max_abs_diff(&w, &target)
        );
        // The start matters: not the minimum-norm solution.
        assert!(
            max_abs_diff(&w, &min_norm_solution(&p.x, &p.y)) > 1e-2,
            "{}",
            case.name
        );
    }
}

/// GD preconditioned by a fixed full SPD `A`: `w <- w - eta A^-1 X^T (X w - y) / n` from `w0`
/// reaches `argmin ||w - w0||_A s.t. X w = y` (a plain host loop: rein has no optimizer with a
/// fixed full preconditioner).
#[test]
fn fixed_full_preconditioner_reaches_the_a_norm_interpolant() {
    let p = LeastSquares::random(5, 2, 3, 3);
    let d = p.dim();
    let a = spd(d, 10.0, &mut SplitMix64::new(4));
    let a_rows: Vec<Vec<f64>> = (0..d)
        .map(|i| (0..d).map(|j| a[(i, j)]).collect())
        .collect();
    let a_inv = rein_testing::least_squares::to_rows(&a.llt(faer::Side::Lower).unwrap().inverse());
    let w0 = SplitMix64::new(5).vector(d);
    let mut w = w0.clone();
    let n = p.y.len() as f64;
    for _ in 0..20000 {
        let r: Vec<f64> = mul(&p.x, &w).iter().zip(&p.y).map(|(a, b)| a - b).collect();
        let g: Vec<f64> = mul_transposed(&p.x, &r).iter().map(|g| g / n).collect();
        let step = mul(&a_inv, &g);
        w.iter_mut().zip(step).for_each(|(w, s)| *w -= 0.2 * s);
    }
    assert!(residual(&p.x, &p.y, &w) < 1e-9);
    let wa = a_norm_interpolant(&p.x, &p.y, &a_rows, &w0).unwrap();
    assert!(max_abs_diff(&w, &wa) < 1e-8, "{:e}", max_abs_diff(&w, &wa));
    assert!(max_abs_diff(&w, &nearest_interpolant(&p.x, &p.y, &w0)) > 1e-3);
}
