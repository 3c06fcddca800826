//! The GAIT divergence (Gallego-Posada et al. 2020) as a rein constraint: minimise a linear
//! cost `<c, q>` over distributions `q = softmax(theta)` on a 1-D grid, subject to
//! `D^K[p || q] <= eps` for a reference `p`. Without the constraint all mass goes to the
//! cheapest point; with it the solution stays within `eps` of `p`, the constraint is active
//! and its multiplier positive (float64, Lagrangian, alternating dual-primal updates with
//! SGD 1.0 on the logits and dual SGD 1.0).

use burn::tensor::{Tensor, activation::softmax};
use rein::dual::DualSgd;
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::AlternatingDualPrimal;
use rein::{Cmp, CmpState, ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_nn::gait::{Rbf, SimilarityMatrix, divergence};
use rein_testing::device::{constant, host, matrix};
use rein_testing::problems::Point;

const N: usize = 12;
const EPS: f64 = 0.05;
const PLR: f64 = 1.0;
const DLR: f64 = 1.0;

struct CheapButClose {
    k: SimilarityMatrix,
    p: Tensor<1>,
    cost: Tensor<1>,
}

impl Cmp<Point> for CheapButClose {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let q = softmax(model.x.val(), 0);
        let loss = (q.clone() * self.cost.clone()).sum();
        let d = divergence(&self.k, self.p.clone(), q).map_err(|e| {
            rein::ReinError::InvalidConstraintState {
                constraint: "gait".into(),
                reason: e.to_string(),
            }
        })?;
        Ok(CmpState::new()
            .loss(loss)
            .observe("gait", ConstraintState::new(d.sub_scalar(EPS))))
    }
}

#[test]
fn minimise_a_cost_subject_to_a_gait_divergence_bound() {
    let grid: Vec<Vec<f64>> = (0..N).map(|i| vec![i as f64 / (N - 1) as f64]).collect();
    let k = SimilarityMatrix::from_kernel(&Rbf::new(0.15).unwrap(), matrix(&grid));
    // p: a bump in the middle; cost: increasing to the right.
    let bump: Vec<f64> = (0..N)
        .map(|i| (-((i as f64 - 5.5) / 2.0).powi(2)).exp())
        .collect();
    let s: f64 = bump.iter().sum();
    let p: Vec<f64> = bump.iter().map(|v| v / s).collect();
    let cost: Vec<f64> = (0..N).map(|i| i as f64 / (N - 1) as f64).collect();
    let mut problem = CheapButClose {
        k: k.clone(),
        p: constant(&p),
        cost: constant(&cost),
    };
    let constraints = Constraints::new()
        .add(Constraint::inequality("gait", 1))
        .unwrap();
    let mut opt = AlternatingDualPrimal::new(
        Sgd::new(SgdConfig::new(PLR)).unwrap(),
        DualSgd::new(DLR).unwrap(),
        constraints,
    )
    .unwrap();
    // Start at q = p (theta = log p): feasible, cost 0.5.
    let mut model = Point::new(&p.iter().map(|v| v.ln()).collect::<Vec<_>>());
    for _ in 0..3000 {
        opt.step(&mut problem, &mut model, &()).unwrap();
    }
    let q = host(&softmax(constant(&model.values()), 0));
    let d = host(&divergence(&k, constant(&p), constant(&q)).unwrap())[0];
    let cost_q: f64 = q.iter().zip(&cost).map(|(a, b)| a * b).sum();
    let cost_p: f64 = p.iter().zip(&cost).map(|(a, b)| a * b).sum();
    let lambda = opt
        .constraints()
        .get("gait")
        .and_then(|c| c.multipliers())
        .unwrap()[0];
    // Feasible and active: D within 0.1 % of eps.
    assert!((d - EPS).abs() < 1e-3 * EPS, "D = {d}, eps = {EPS}");
    assert!(cost_q < cost_p - 0.04, "cost {cost_q} vs {cost_p} at q = p");
    assert!(lambda > 0.0, "multiplier {lambda}");
    // The unconstrained minimum (all mass on grid point 0, cost 0) violates the bound.
    let mut dirac = vec![1e-9; N];
    dirac[0] = 1.0 - 1e-9 * (N - 1) as f64;
    let d_dirac = host(&divergence(&k, constant(&p), constant(&dirac)).unwrap())[0];
    assert!(d_dirac > 10.0 * EPS, "{d_dirac}");
}
