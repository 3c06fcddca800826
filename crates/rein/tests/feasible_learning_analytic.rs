//! Feasible Learning (Ramirez et al. 2025, "Feasible Learning", AISTATS; docs/feasible.md) on
//! one-parameter problems with closed-form answers, through the core's indexed multipliers and
//! dual SGD (with and without the decoupled decay of Resilient Feasible Learning).
//!
//! `theta` in R, samples `y_i`, per-sample loss `l_i(theta) = (theta - y_i)^2`:
//!
//! * FL, `y = {0, 1, 3}`, `eps = 4`: `|theta - y_i| <= 2` for all `i` is `theta in [1, 2]`;
//!   alternating dual-primal GDA from `theta = 0` ends inside it.
//! * RFL, `y = {0, 4}`, `eps = 1`, decay `w`: `min 1/(2w) ||u||^2 s.t. l_i <= eps + u_i` has
//!   `theta* = 2`, `u_i = 3`, `lambda_i = u_i / w = 3 / w`.
//!
//! Each step observes a minibatch of sample indices; only those multipliers change.

use burn::tensor::Tensor;
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_testing::prelude::*;

/// `g_i(theta) = (theta - y_i)^2 - eps` for the batch's samples, an indexed constraint.
struct Squares {
    y: Vec<f64>,
    eps: f64,
}

impl Cmp<Point> for Squares {
    type Batch = [usize];
    fn compute_cmp_state(&mut self, model: &Point, batch: &[usize]) -> rein::Result<CmpState> {
        let ys: Vec<f64> = batch.iter().map(|&i| self.y[i]).collect();
        let theta: Tensor<1> = model.x.val().repeat_dim(0, batch.len());
        let d = theta - constant(&ys);
        let g = (d.clone() * d).sub_scalar(self.eps);
        Ok(CmpState::new().observe("fit", ConstraintState::new(g).indices(batch.to_vec())))
    }
}

fn optimizer(n: usize, primal_lr: f64, dual: DualSgd) -> AlternatingDualPrimal<Sgd> {
    let cs = Constraints::new()
        .add(Constraint::inequality("fit", n).indexed())
        .unwrap();
    AlternatingDualPrimal::new(Sgd::new(SgdConfig::new(primal_lr)).unwrap(), dual, cs).unwrap()
}

fn lambdas(opt: &AlternatingDualPrimal<Sgd>) -> Vec<f64> {
    opt.constraints()
        .get("fit")
        .unwrap()
        .multipliers()
        .unwrap()
        .to_vec()
}

/// Runs `steps` steps on the batches in turn, checking after each step that only the batch's
/// multipliers changed. Returns the final `theta`.
fn run(
    opt: &mut AlternatingDualPrimal<Sgd>,
    problem: &mut Squares,
    batches: &[Vec<usize>],
    steps: usize,
) -> f64 {
    let mut model = Point::new(&[0.0]);
    for t in 0..steps {
        let batch = &batches[t % batches.len()];
        let before = lambdas(opt);
        opt.step(problem, &mut model, batch.as_slice()).unwrap();
        let after = lambdas(opt);
        for i in 0..after.len() {
            if !batch.contains(&i) {
                assert_eq!(after[i], before[i], "step {t}: unobserved entry {i} moved");
            }
        }
    }
    model.values()[0]
}

#[test]
fn fl_gda_ends_in_the_feasible_interval() {
    let mut problem = Squares {
        y: vec![0.0, 1.0, 3.0],
        eps: 4.0,
    };
    let mut opt = optimizer(3, 0.05, DualSgd::new(0.5).unwrap());
    let batches = [vec![0, 2], vec![1, 2], vec![0, 1]];
    // At theta = 0 only y = 3 is violated (9 > 4): its multiplier rises and pulls theta up.
    let theta = run(&mut opt, &mut problem, &batches, 600);
    assert!((1.0..=2.0).contains(&theta), "theta = {theta}");
    for (i, y) in problem.y.iter().enumerate() {
        assert!(
            (theta - y).powi(2) <= 4.0,
            "sample {i} infeasible at {theta}"
        );
    }
    // The samples that were never violated kept a zero multiplier.
    let l = lambdas(&opt);
    assert_eq!(l[1], 0.0, "{l:?}");
    assert!(l.iter().all(|&v| v >= 0.0));
}

#[test]
fn rfl_settles_at_the_relaxed_optimum() {
    for w in [0.5, 2.0] {
        let mut problem = Squares {
            y: vec![0.0, 4.0],
            eps: 1.0,
        };
        // Full batches of the two samples, plus a third sample (y = 2, never violated) that no
        // batch observes: its multiplier must stay at 0.
        problem.y.push(2.0);
        let mut opt = optimizer(3, 0.01, DualSgd::new(0.2).unwrap().weight_decay(w).unwrap());
        let theta = run(&mut opt, &mut problem, &[vec![0, 1]], 4000);
        assert!((theta - 2.0).abs() < 1e-3, "w = {w}: theta = {theta}");
        let l = lambdas(&opt);
        assert_eq!(l[2], 0.0);
        for (i, y) in problem.y.iter().take(2).enumerate() {
            let u = w * l[i];
            assert!((u - 3.0).abs() < 1e-2, "w = {w}: u_{i} = {u}");
            assert!(
                (l[i] - 3.0 / w).abs() < 1e-2 / w,
                "w = {w}: lambda_{i} = {}",
                l[i]
            );
            // u* is the violation the relaxation absorbs.
            let violation = (theta - y).powi(2) - problem.eps;
            assert!((violation - u).abs() < 1e-2, "w = {w}: {violation} vs {u}");
        }
    }
}
