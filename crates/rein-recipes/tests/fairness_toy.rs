//! The closed-form check of the fairness problem's constraint shape through the core, in
//! float64 (its own test binary: the float dtype of the flex device is a process-wide choice).
//!
//! One scalar `theta`; ten rows, nine in group 1 with loss `theta^2` and one in group 2 with
//! loss `(1 - theta)^2`, so the mean loss is `L = 0.9 theta^2 + 0.1 (1 - theta)^2`, and
//!
//! ```text
//! min L(theta)  s.t.  L_g(theta) - L(theta) <= 0.45     (g = 1, 2)
//! L_1 - L = 0.2 theta - 0.1        L_2 - L = 0.9 - 1.8 theta
//! ```
//!
//! Unconstrained, `L' = 2 theta - 0.2` vanishes at `theta = 0.1`, where `L_2 - L = 0.72`
//! violates the bound; the second constraint is active: `0.9 - 1.8 theta = 0.45`, so
//! `theta* = 0.25` (the first, `-0.05 <= 0.45`, is slack: `lambda_1* = 0`), and stationarity
//! `L'(theta*) + lambda_2 (-1.8) = 0.3 - 1.8 lambda_2 = 0` gives `lambda_2* = 1/6`.

use burn::module::{Module, Param};
use burn::tensor::{Device, FloatDType, Tensor, TensorData};
use rein::config::{DualConfig, DualKind, OptimizerConfig, PrimalConfig, PrimalKind};
use rein::scheme::SchemeKind;
use rein::{Cmp, CmpState, ConstrainedOptimizer, ConstraintState};
use rein_recipes::fairness::{BatchGroups, EXCESS_GAP, Method};

#[derive(Module, Debug)]
struct Theta {
    theta: Param<Tensor<1>>,
}

/// The per-row losses of the toy and their group means through [`BatchGroups`] (the recipe's
/// O(batch) group means), the constraint registered as CEAG's indexed group.
struct Toy {
    groups: BatchGroups,
}

impl Cmp<Theta> for Toy {
    type Batch = ();
    fn compute_cmp_state(&mut self, model: &Theta, _: &()) -> rein::Result<CmpState> {
        let t = model.theta.val();
        let a = t.clone().powi_scalar(2);
        let b = t.neg().add_scalar(1.0).powi_scalar(2);
        let rows = Tensor::cat([vec![a; 9], vec![b]].concat(), 0);
        let loss = rows.clone().mean();
        let group_loss = self.groups.means(rows);
        let violation = group_loss
            .sub(loss.clone().repeat_dim(0, 2))
            .sub_scalar(0.45);
        Ok(CmpState::new().loss(loss).observe(
            EXCESS_GAP,
            ConstraintState::new(violation).indices(self.groups.present.clone()),
        ))
    }
}

#[test]
fn two_group_toy_reaches_the_closed_form_kkt_point() {
    let mut device = Device::flex();
    let _ = device.configure(FloatDType::F64);
    let device = device.autodiff();
    let mut model = Theta {
        theta: Param::from_tensor(Tensor::from_data(
            TensorData::new(vec![0.0f64], [1]),
            &device,
        )),
    };
    let config = OptimizerConfig {
        scheme: SchemeKind::AlternatingDualPrimal,
        primal: PrimalConfig::new(PrimalKind::Sgd, 0.2),
        dual: DualConfig::new(DualKind::Sgd, 0.5),
        constraints: Default::default(),
    };
    let mut opt = config.build(Method::Ceag.constraint(2)).unwrap();
    let mut problem = Toy {
        groups: BatchGroups::new(&[0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    };
    for _ in 0..5000 {
        opt.step(&mut problem, &mut model, &()).unwrap();
    }
    let theta: Vec<f64> = model
        .theta
        .val()
        .into_data()
        .convert::<f64>()
        .try_to_vec::<f64>()
        .unwrap();
    let lambda = opt
        .constraints()
        .get(EXCESS_GAP)
        .unwrap()
        .multipliers()
        .unwrap();
    assert!((theta[0] - 0.25).abs() < 1e-6, "theta {}", theta[0]);
    assert!(lambda[0].abs() < 1e-9, "lambda_1 {}", lambda[0]);
    assert!(
        (lambda[1] - 1.0 / 6.0).abs() < 1e-6,
        "lambda_2 {}",
        lambda[1]
    );
}
