//! `rein::rates`: strict rates against hand counts, surrogates against hand formulas and finite
//! differences (float64), the hinge bounds (property test), the fairness gap entries by hand,
//! and a small logistic model trained under demographic parity.

use burn::tensor::Tensor;
use proptest::prelude::*;
use rein::rates::{
    Groups, Predictions, RateKind, Surrogate, demographic_parity, equalized_odds, gap_size,
    rate_gaps,
};
use rein::scheme::SchemeKind;
use rein::{CmpState, ConstrainedOptimizer, Constraint, Constraints, ReinError};
use rein_testing::device::host;
use rein_testing::prelude::*;

/// Six rows. Predictions `z > 0` (0.0 predicts negative): 1 0 1 0 0 1.
const SCORES: [f64; 6] = [2.0, -1.0, 0.5, -3.0, 0.0, 1.5];
const LABELS: [f64; 6] = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0];
/// Drops row 3 (a true negative).
const MASK: [f64; 6] = [1.0, 1.0, 1.0, 0.0, 1.0, 1.0];

fn predictions(scores: &[f64], labels: &[f64]) -> Predictions {
    Predictions::from_labels(constant(scores), labels).unwrap()
}

fn scalar(t: &Tensor<1>) -> f64 {
    let v = host(t);
    assert_eq!(v.len(), 1);
    v[0]
}

fn sig(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

fn hinge(z: f64) -> f64 {
    (1.0 + z).max(0.0)
}

#[test]
fn strict_rates_equal_hand_counts() {
    let p = predictions(&SCORES, &LABELS);
    // All rows: 3 of 6 predicted positive; positives {0,1,4} predicted 1 0 0; negatives
    // {2,3,5} predicted 1 0 1; wrong rows 1, 2, 4, 5.
    let all = [
        (RateKind::PositivePrediction, 3.0 / 6.0),
        (RateKind::NegativePrediction, 3.0 / 6.0),
        (RateKind::TruePositive, 1.0 / 3.0),
        (RateKind::FalseNegative, 2.0 / 3.0),
        (RateKind::FalsePositive, 2.0 / 3.0),
        (RateKind::TrueNegative, 1.0 / 3.0),
        (RateKind::Error, 4.0 / 6.0),
        (RateKind::Accuracy, 2.0 / 6.0),
    ];
    // Masked (row 3 dropped): 3 of 5 positive; negatives {2,5} both predicted positive.
    let masked = [
        (RateKind::PositivePrediction, 3.0 / 5.0),
        (RateKind::NegativePrediction, 2.0 / 5.0),
        (RateKind::TruePositive, 1.0 / 3.0),
        (RateKind::FalseNegative, 2.0 / 3.0),
        (RateKind::FalsePositive, 1.0),
        (RateKind::TrueNegative, 0.0),
        (RateKind::Error, 4.0 / 5.0),
        (RateKind::Accuracy, 1.0 / 5.0),
    ];
    let mask = constant(&MASK);
    for s in [Surrogate::Sigmoid, Surrogate::Hinge] {
        for (kind, want) in all {
            let r = p.rate(kind, s, None).unwrap().unwrap();
            assert!(
                (r.strict() - want).abs() < 1e-15,
                "{kind} {s:?}: {}",
                r.strict()
            );
            assert_eq!(r.kind(), kind);
        }
        for (kind, want) in masked {
            let r = p.rate(kind, s, Some(&mask)).unwrap().unwrap();
            assert!(
                (r.strict() - want).abs() < 1e-15,
                "masked {kind}: {}",
                r.strict()
            );
        }
    }
    // The named helpers are the same rates.
    let tpr = p.true_positive_rate(Surrogate::Hinge, Some(&mask)).unwrap();
    assert_eq!(tpr.unwrap().denominator(), 3.0);
    let ppr = p.positive_prediction_rate(Surrogate::Hinge, None).unwrap();
    assert_eq!(ppr.unwrap().strict(), 0.5);
    for (r, want) in [
        (p.false_positive_rate(Surrogate::Sigmoid, None), 2.0 / 3.0),
        (p.true_negative_rate(Surrogate::Sigmoid, None), 1.0 / 3.0),
        (p.false_negative_rate(Surrogate::Sigmoid, None), 2.0 / 3.0),
        (p.error_rate(Surrogate::Sigmoid, None), 4.0 / 6.0),
        (p.accuracy(Surrogate::Sigmoid, None), 2.0 / 6.0),
    ] {
        assert!((r.unwrap().unwrap().strict() - want).abs() < 1e-15);
    }
}

#[test]
fn weighted_masks_weigh_rows() {
    // Weight 2 on row 0 (a true positive), 0 elsewhere except row 1 (a false negative).
    let p = predictions(&SCORES, &LABELS);
    let mask = constant(&[2.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    let r = p.rate(RateKind::TruePositive, Surrogate::Hinge, Some(&mask));
    let r = r.unwrap().unwrap();
    assert!((r.strict() - 2.0 / 3.0).abs() < 1e-15);
    assert_eq!(r.denominator(), 3.0);
}

#[test]
fn undefined_rates_are_none_not_nan() {
    let p = predictions(&SCORES, &LABELS);
    let empty = constant(&[0.0; 6]);
    for kind in RateKind::ALL {
        for s in [Surrogate::Sigmoid, Surrogate::Hinge] {
            assert!(p.rate(kind, s, Some(&empty)).unwrap().is_none(), "{kind}");
        }
    }
    // Only negative rows: rates over positives are undefined, the others defined.
    let negatives = constant(&[0.0, 0.0, 1.0, 1.0, 0.0, 1.0]);
    let tpr = p.rate(RateKind::TruePositive, Surrogate::Hinge, Some(&negatives));
    assert!(tpr.unwrap().is_none());
    let fpr = p.rate(RateKind::FalsePositive, Surrogate::Hinge, Some(&negatives));
    assert!((fpr.unwrap().unwrap().strict() - 2.0 / 3.0).abs() < 1e-15);
    // An empty batch: every rate undefined.
    let none = Predictions::from_labels(constant(&[]), &[]).unwrap();
    assert!(none.is_empty());
    assert!(
        none.rate(RateKind::Error, Surrogate::Sigmoid, None)
            .unwrap()
            .is_none()
    );
}

#[test]
fn bad_inputs_are_errors_naming_the_value() {
    let err = Predictions::from_labels(constant(&[1.0, 2.0]), &[1.0]).unwrap_err();
    assert!(
        matches!(
            err,
            ReinError::ShapeMismatch {
                expected: 2,
                got: 1,
                ..
            }
        ),
        "{err}"
    );
    let err = Predictions::from_labels(constant(&[1.0, 2.0]), &[1.0, 0.5]).unwrap_err();
    assert!(err.to_string().contains("label 1 is 0.5"), "{err}");
    let err = Predictions::from_labels(constant(&[1.0, f64::NAN]), &[1.0, 0.0]).unwrap_err();
    assert!(
        matches!(err, ReinError::NonFinite { entry: 1, .. }),
        "{err}"
    );
    let err = Predictions::new(constant(&[1.0]), constant(&[2.0])).unwrap_err();
    assert!(err.to_string().contains("label 0 is 2"), "{err}");
    let p = predictions(&SCORES, &LABELS);
    let short = constant(&[1.0; 5]);
    let err = p
        .rate(RateKind::Error, Surrogate::Hinge, Some(&short))
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReinError::ShapeMismatch {
                expected: 6,
                got: 5,
                ..
            }
        ),
        "{err}"
    );
    let negative = constant(&[1.0, -1.0, 1.0, 1.0, 1.0, 1.0]);
    let err = p
        .rate(RateKind::Error, Surrogate::Hinge, Some(&negative))
        .unwrap_err();
    assert!(err.to_string().contains("mask weight 1 is -1"), "{err}");
    let r = p
        .rate(RateKind::Error, Surrogate::Hinge, None)
        .unwrap()
        .unwrap();
    let err = r.at_most(f64::NAN).unwrap_err();
    assert!(err.to_string().contains("bound"), "{err}");
    let err = Groups::new(&[0, 3], 3).unwrap_err();
    assert!(
        matches!(
            err,
            ReinError::IndexOutOfRange {
                index: 3,
                size: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(Groups::new(&[], 0).is_err());
    let groups = Groups::new(&[0, 1], 2).unwrap();
    let err = demographic_parity(&p, &groups, 0.1, Surrogate::Hinge).unwrap_err();
    assert!(
        matches!(
            err,
            ReinError::ShapeMismatch {
                expected: 6,
                got: 2,
                ..
            }
        ),
        "{err}"
    );
    let groups = Groups::new(&[0; 6], 1).unwrap();
    let err = demographic_parity(&p, &groups, -0.1, Surrogate::Hinge).unwrap_err();
    assert!(err.to_string().contains("epsilon"), "{err}");
    assert!(rate_gaps(&p, &groups, &[], 0.1, Surrogate::Hinge).is_err());
}

#[test]
fn surrogates_equal_hand_formulas() {
    let p = predictions(&SCORES, &LABELS);
    let mask = constant(&MASK);
    // Masked TPR over positives {0, 1, 4} with scores 2, -1, 0.
    let tpr = p
        .true_positive_rate(Surrogate::Sigmoid, Some(&mask))
        .unwrap()
        .unwrap();
    let want = (sig(2.0) + sig(-1.0) + sig(0.0)) / 3.0;
    assert!((scalar(&tpr.surrogate()) - want).abs() < 1e-15);
    assert_eq!(scalar(&tpr.lower()), scalar(&tpr.upper()));
    let tpr = p
        .true_positive_rate(Surrogate::Hinge, Some(&mask))
        .unwrap()
        .unwrap();
    let upper = (hinge(2.0) + hinge(-1.0) + hinge(0.0)) / 3.0; // 4/3
    let lower = 1.0 - (hinge(-2.0) + hinge(1.0) + hinge(0.0)) / 3.0; // 0
    assert!((scalar(&tpr.upper()) - upper).abs() < 1e-15);
    assert!((scalar(&tpr.lower()) - lower).abs() < 1e-15);
    // Masked error rate: rows {0,1,2,4,5}; positives count s(-z), negatives s(z).
    let err = p
        .error_rate(Surrogate::Hinge, Some(&mask))
        .unwrap()
        .unwrap();
    let want = (hinge(-2.0) + hinge(1.0) + hinge(0.5) + hinge(0.0) + hinge(1.5)) / 5.0;
    assert!((scalar(&err.upper()) - want).abs() < 1e-15);
    // Constraint states: rate <= 0.5 uses the upper surrogate, rate >= 0.5 the lower one.
    let (v, s) = err.violation_at_most(0.5).unwrap();
    assert!((scalar(&v) - (want - 0.5)).abs() < 1e-15 && (s - (0.8 - 0.5)).abs() < 1e-15);
    let (v, s) = tpr.violation_at_least(0.9).unwrap();
    assert!((scalar(&v) - (0.9 - lower)).abs() < 1e-15 && (s - (0.9 - 1.0 / 3.0)).abs() < 1e-15);
    let _state = tpr.at_least(0.9).unwrap();
}

/// The derivative of `f` at `x` by central differences.
fn numeric_gradient(f: impl Fn(&[f64]) -> f64, x: &[f64]) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let (mut a, mut b) = (x.to_vec(), x.to_vec());
            a[i] += h;
            b[i] -= h;
            (f(&a) - f(&b)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn surrogate_gradients_match_finite_differences() {
    // Scores away from the hinge kinks at +-1; a weighted mask.
    let x = [1.7, -0.4, 0.3, -2.2, 0.05, 1.2, -1.6];
    let labels = [1.0, 1.0, 0.0, 0.0, 1.0, 0.0, 1.0];
    let mask = [1.0, 0.5, 2.0, 1.0, 0.0, 1.0, 3.0];
    for s in [Surrogate::Sigmoid, Surrogate::Hinge] {
        for kind in RateKind::ALL {
            for upper in [true, false] {
                let value = |z: &[f64]| {
                    let p = Predictions::from_labels(constant(z), &labels).unwrap();
                    let r = p.rate(kind, s, Some(&constant(&mask))).unwrap().unwrap();
                    scalar(&if upper { r.upper() } else { r.lower() })
                };
                let z = constant(&x).require_grad();
                let p = Predictions::from_labels(z.clone(), &labels).unwrap();
                let r = p.rate(kind, s, Some(&constant(&mask))).unwrap().unwrap();
                let out = if upper { r.upper() } else { r.lower() };
                let grad = host(&z.grad(&out.backward()).unwrap());
                let want = numeric_gradient(value, &x);
                for (g, w) in grad.iter().zip(&want) {
                    assert!(
                        (g - w).abs() < 1e-7,
                        "{kind} {s:?} upper={upper}: {grad:?} vs {want:?}"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// `lower <= strict <= upper` for every hinge rate, on any batch and mask; and every hinge
    /// gap entry's surrogate violation is at least its strict violation.
    #[test]
    fn hinge_surrogates_bound_the_strict_rates(
        rows in proptest::collection::vec((-3.0f64..3.0, any::<bool>(), any::<bool>(), 0usize..3), 1..24)
    ) {
        let scores: Vec<f64> = rows.iter().map(|r| r.0).collect();
        let labels: Vec<f64> = rows.iter().map(|r| if r.1 { 1.0 } else { 0.0 }).collect();
        let mask: Vec<f64> = rows.iter().map(|r| if r.2 { 1.0 } else { 0.0 }).collect();
        let ids: Vec<usize> = rows.iter().map(|r| r.3).collect();
        let p = predictions(&scores, &labels);
        for kind in RateKind::ALL {
            if let Some(r) = p.rate(kind, Surrogate::Hinge, Some(&constant(&mask))).unwrap() {
                let (lo, up) = (scalar(&r.lower()), scalar(&r.upper()));
                prop_assert!(lo <= r.strict() + 1e-12 && r.strict() <= up + 1e-12,
                    "{kind}: {lo} <= {} <= {up}", r.strict());
            }
        }
        let groups = Groups::new(&ids, 3).unwrap();
        let kinds = [RateKind::PositivePrediction, RateKind::TruePositive, RateKind::FalsePositive];
        let gaps = rate_gaps(&p, &groups, &kinds, 0.05, Surrogate::Hinge).unwrap();
        if let Some(v) = gaps.violation() {
            for (sv, st) in host(v).iter().zip(gaps.strict()) {
                prop_assert!(sv + 1e-12 >= *st, "{sv} < {st}");
            }
        }
    }
}

#[test]
fn demographic_parity_entries_by_hand() {
    // Row 3 now predicted positive: predictions 1 0 1 1 0 1; groups {0,1}, {2,3}, {4,5}; group 3
    // is absent.
    let scores = [2.0, -1.0, 0.5, 0.2, 0.0, 1.5];
    let p = predictions(&scores, &LABELS);
    let groups = Groups::from_tensor(
        burn::tensor::Tensor::<1, burn::tensor::Int>::from_data([0, 0, 1, 1, 2, 2], &device()),
        4,
    )
    .unwrap();
    let eps = 0.1;
    let gaps = demographic_parity(&p, &groups, eps, Surrogate::Sigmoid).unwrap();
    // ppr_all = 4/6; ppr_0 = 1/2, ppr_1 = 1, ppr_2 = 1/2.
    let all = 4.0 / 6.0;
    let per_group = [0.5, 1.0, 0.5];
    let want: Vec<f64> = per_group
        .iter()
        .flat_map(|g| [g - all - eps, all - g - eps])
        .collect();
    assert_eq!(gaps.size(), 8);
    assert_eq!(gaps.size(), gap_size(4, 1));
    assert_eq!(gaps.indices(), &[0, 1, 2, 3, 4, 5]);
    for (got, want) in gaps.strict().iter().zip(&want) {
        assert!(
            (got - want).abs() < 1e-15,
            "{:?} vs {want:?}",
            gaps.strict()
        );
    }
    // Sigmoid surrogate: group means of sigmoid(z) against the batch mean.
    let s: Vec<f64> = scores.iter().map(|&z| sig(z)).collect();
    let s_all = s.iter().sum::<f64>() / 6.0;
    let v = host(gaps.violation().unwrap());
    for g in 0..3 {
        let s_g = (s[2 * g] + s[2 * g + 1]) / 2.0;
        assert!((v[2 * g] - (s_g - s_all - eps)).abs() < 1e-15);
        assert!((v[2 * g + 1] - (s_all - s_g - eps)).abs() < 1e-15);
    }
    assert!(gaps.into_state().is_some());
}

#[test]
fn equalized_odds_entries_by_hand() {
    let scores = [2.0, -1.0, 0.5, 0.2, 0.0, 1.5];
    let p = predictions(&scores, &LABELS);
    let groups = Groups::new(&[0, 0, 1, 1, 2, 2], 4).unwrap();
    let eps = 0.05;
    let gaps = equalized_odds(&p, &groups, eps, Surrogate::Hinge).unwrap();
    // Positives {0,1,4} predicted 1 0 0: tpr_all = 1/3; negatives {2,3,5} all predicted
    // positive: fpr_all = 1. Group 0 (two positives): tpr 1/2, no FPR entry. Group 1 (two
    // negatives): fpr 1, no TPR entry. Group 2: tpr 0, fpr 1. Group 3: absent.
    let t = 1.0 / 3.0;
    let want = [
        (0, 0.5 - t - eps),
        (1, t - 0.5 - eps),
        (6, -eps),
        (7, -eps),
        (8, -t - eps),
        (9, t - eps),
        (10, -eps),
        (11, -eps),
    ];
    assert_eq!(gaps.size(), 16);
    let indices: Vec<usize> = want.iter().map(|w| w.0).collect();
    assert_eq!(gaps.indices(), indices.as_slice());
    for ((got, (_, want)), i) in gaps.strict().iter().zip(&want).zip(&indices) {
        assert!((got - want).abs() < 1e-15, "entry {i}: {got} vs {want}");
    }
    assert_eq!(host(gaps.violation().unwrap()).len(), 8);
    // No group present with a defined rate: nothing observed, no state.
    let only_negatives = predictions(&[1.0, -1.0], &[0.0, 0.0]);
    let groups = Groups::new(&[0, 1], 2).unwrap();
    let tpr_only = rate_gaps(
        &only_negatives,
        &groups,
        &[RateKind::TruePositive],
        0.0,
        Surrogate::Hinge,
    )
    .unwrap();
    assert!(tpr_only.is_empty() && tpr_only.violation().is_none());
    assert!(tpr_only.into_state().is_none());
}

/// Two groups of 200 rows; group 1's feature is shifted by +1.5, so a classifier that uses it
/// predicts positive far more often in group 1. Rows: `(x, group, label)`.
fn two_groups() -> (Vec<[f64; 2]>, Vec<usize>, Vec<f64>) {
    let mut rng = SplitMix64::new(7);
    let (mut x, mut g, mut y) = (vec![], vec![], vec![]);
    for i in 0..400 {
        let group = i % 2;
        let shift = if group == 1 { 0.75 } else { -0.75 };
        let feature = shift + 1.5 * rng.symmetric();
        let label = feature + 0.5 * rng.symmetric() > 0.0;
        x.push([feature, group as f64]);
        g.push(group);
        y.push(if label { 1.0 } else { 0.0 });
    }
    (x, g, y)
}

/// Trains logistic regression (full batch, 600 steps) with or without `|ppr_g - ppr| <= eps`;
/// returns the strict DP gap `|ppr_1 - ppr_0|`.
fn train_logistic(constrained: bool, eps: f64) -> f64 {
    let (x, g, y) = two_groups();
    let rows: Vec<Vec<f64>> = x.iter().map(|r| vec![r[0], r[1], 1.0]).collect();
    let groups = Groups::new(&g, 2).unwrap();
    let labels = constant(&y);
    let cs = Constraints::new()
        .add(Constraint::inequality("dp", gap_size(2, 1)).indexed())
        .unwrap();
    let primal = rein::optim::Sgd::new(rein::optim::SgdConfig::new(0.5)).unwrap();
    let dual =
        Box::new(rein::dual::DualSgd::new(1.0).unwrap()) as Box<dyn rein::dual::DualOptimizer>;
    let mut opt = SchemeKind::AlternatingDualPrimal
        .build(primal, Some(dual), cs)
        .unwrap();
    let mut problem = FnProblem(|w: Tensor<1>| {
        let z = matvec(&rows, w);
        // Binary cross-entropy with logits: softplus(z) - y z.
        let softplus = z.clone().exp().add_scalar(1.0).log();
        let loss = softplus.sub(z.clone().mul(labels.clone())).mean();
        let mut state = CmpState::new().loss(loss);
        if constrained {
            let p = Predictions::new(z, labels.clone()).unwrap();
            let gaps = demographic_parity(&p, &groups, eps, Surrogate::Sigmoid).unwrap();
            state = state.observe("dp", gaps.into_state().unwrap());
        }
        state
    });
    let mut model = Point::new(&[0.0, 0.0, 0.0]);
    for _ in 0..600 {
        opt.step(&mut problem, &mut model, &()).unwrap();
    }
    let scores = matvec(&rows, constant(&model.values()));
    let p = Predictions::new(scores, labels).unwrap();
    let ppr = |group: usize| {
        let mask = constant(&groups.mask(group));
        p.positive_prediction_rate(Surrogate::Sigmoid, Some(&mask))
            .unwrap()
            .unwrap()
            .strict()
    };
    (ppr(1) - ppr(0)).abs()
}

#[test]
fn a_demographic_parity_constraint_closes_the_gap() {
    let eps = 0.05;
    let free = train_logistic(false, eps);
    let fair = train_logistic(true, eps);
    eprintln!("DP gap |ppr_1 - ppr_0|: unconstrained {free:.4}, constrained {fair:.4}");
    // |ppr_1 - ppr_0| <= |ppr_1 - ppr| + |ppr - ppr_0| <= 2 eps, plus a tolerance of 0.05 for
    // the oscillation of the last iterate.
    assert!(free > 0.3, "unconstrained gap {free}");
    assert!(
        fair <= 2.0 * eps + 0.05,
        "constrained gap {fair} (unconstrained {free})"
    );
}
