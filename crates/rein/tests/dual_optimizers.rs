//! nuPI's identities step by step, and dense vs indexed trajectories of every dual optimizer.

use rein::dual::{DualAdam, DualOptimizer, DualSgd, NuPi, NuPiInit};
use rein::optim::{Sgd, SgdConfig};
use rein::scheme::SimultaneousGda;
use rein::{ConstrainedOptimizer, Constraint, ConstraintState, Constraints};
use rein_testing::prelude::*;
use rein_testing::problems::fixed_state;

/// A deterministic error sequence with sign changes.
fn errors(steps: usize) -> Vec<f64> {
    let mut rng = SplitMix64::new(7);
    (0..steps).map(|_| rng.symmetric()).collect()
}

fn run_rule(rule: &dyn DualOptimizer, errs: &[f64], lambda0: f64) -> Vec<f64> {
    let mut state = vec![0.0; rule.state_slots().len()];
    let mut lambda = lambda0;
    errs.iter()
        .map(|&e| {
            lambda = rule.update(0, lambda, e, &mut state);
            lambda
        })
        .collect()
}

#[test]
fn nupi_with_only_integral_gain_is_gradient_ascent() {
    let errs = errors(50);
    let eta = 0.3;
    let nupi = NuPi::new(eta, 0.0, 1.0, 0.0).unwrap();
    let sgd = DualSgd::new(eta).unwrap();
    assert_eq!(run_rule(&nupi, &errs, 1.0), run_rule(&sgd, &errs, 1.0));
}

#[test]
fn nupi_with_unit_gains_is_the_optimistic_gradient() {
    let errs = errors(50);
    let eta = 0.3;
    // Zeros: e_{-1} = 0, lambda_{t+1} = lambda_t + eta (2 e_t - e_{t-1}).
    let got = run_rule(&NuPi::new(eta, 1.0, 1.0, 0.0).unwrap(), &errs, 1.0);
    let mut lambda = 1.0;
    let mut prev = 0.0;
    for (t, &e) in errs.iter().enumerate() {
        lambda += eta * (2.0 * e - prev);
        prev = e;
        assert!(
            (got[t] - lambda).abs() < 1e-12,
            "step {t}: {} vs {lambda}",
            got[t]
        );
    }
    // FirstErrorAsSgd: first step plain ascent, then the optimistic recursion.
    let got = run_rule(
        &NuPi::new(eta, 1.0, 1.0, 0.0)
            .unwrap()
            .init(NuPiInit::FirstErrorAsSgd),
        &errs,
        1.0,
    );
    let mut lambda = 1.0 + eta * errs[0];
    assert!((got[0] - lambda).abs() < 1e-15);
    for t in 1..errs.len() {
        lambda += eta * (2.0 * errs[t] - errs[t - 1]);
        assert!((got[t] - lambda).abs() < 1e-12, "step {t}");
    }
}

#[test]
fn nupi_is_polyak_momentum_for_matched_gains() {
    let errs = errors(80);
    let (a, b) = (0.2, 0.7);
    let nupi = NuPi::new(1.0, -a * b / ((1.0 - b) * (1.0 - b)), a / (1.0 - b), b).unwrap();
    let got = run_rule(&nupi, &errs, 0.5);
    // Heavy ball: lambda_{t+1} = lambda_t + a e_t + b (lambda_t - lambda_{t-1}).
    let (mut lambda, mut delta) = (0.5, 0.0);
    for (t, &e) in errs.iter().enumerate() {
        delta = a * e + b * delta;
        lambda += delta;
        assert!(
            (got[t] - lambda).abs() < 1e-10,
            "step {t}: {} vs {lambda}",
            got[t]
        );
    }
}

#[test]
fn nupi_rejects_invalid_hyper_parameters() {
    for (r, field) in [
        (NuPi::new(-1.0, 1.0, 1.0, 0.0), "lr"),
        (NuPi::new(0.1, 1.0, 1.0, 1.0), "nu"),
        (NuPi::new(0.1, 1.0, 1.0, -1.0), "nu"),
        (NuPi::new(0.1, f64::NAN, 1.0, 0.0), "kappa_p"),
    ] {
        match r {
            Err(rein::ReinError::InvalidHyperParameter { field: f, .. }) => assert_eq!(f, field),
            other => panic!("expected invalid {field}, got {other:?}"),
        }
    }
    assert!(
        NuPi::new(0.1, 1.0, 1.0, 0.0)
            .unwrap()
            .weight_decay(-0.1)
            .is_err()
    );
}

/// Runs the same strict-violation sequence through a dense and an indexed multiplier (indices
/// observed in a shuffled order) and returns both trajectories.
fn dense_vs_indexed(dual: impl DualOptimizer + Clone + 'static) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let m = 4;
    let mut rng = SplitMix64::new(3);
    let seq: Vec<Vec<f64>> = (0..40).map(|_| rng.vector(m)).collect();
    let run = |indexed: bool| {
        let c = Constraint::inequality("c", m);
        let c = if indexed { c.indexed() } else { c };
        let cs = Constraints::new().add(c).unwrap();
        let mut opt =
            SimultaneousGda::new(Sgd::new(SgdConfig::new(0.0)).unwrap(), dual.clone(), cs).unwrap();
        let mut model = Point::new(&[0.0]);
        let mut traj = Vec::new();
        for (t, e) in seq.iter().enumerate() {
            let perm: Vec<usize> = if t % 2 == 0 {
                vec![2, 0, 3, 1]
            } else {
                vec![1, 3, 0, 2]
            };
            let state = if indexed {
                ConstraintState::strict_only(perm.iter().map(|&i| e[i]).collect()).indices(perm)
            } else {
                ConstraintState::strict_only(e.clone())
            };
            opt.step(&mut fixed_state("c", state), &mut model, &())
                .unwrap();
            traj.push(
                opt.constraints()
                    .get("c")
                    .unwrap()
                    .multipliers()
                    .unwrap()
                    .to_vec(),
            );
        }
        traj
    };
    (run(false), run(true))
}

#[test]
fn dense_and_indexed_trajectories_are_identical() {
    for init in [NuPiInit::Zeros, NuPiInit::FirstErrorAsSgd] {
        let (d, i) = dense_vs_indexed(NuPi::new(0.5, 2.0, 1.0, 0.3).unwrap().init(init));
        assert_eq!(d, i, "nuPI {init:?}");
        assert!(d.last().unwrap().iter().any(|v| *v > 0.0));
    }
    let (d, i) = dense_vs_indexed(DualAdam::new(0.1).unwrap());
    assert_eq!(d, i, "Adam");
    let (d, i) = dense_vs_indexed(DualSgd::new(0.1).unwrap());
    assert_eq!(d, i, "SGD");
}

#[test]
fn unobserved_indexed_entries_are_neither_updated_nor_decayed() {
    let n = 1000;
    let cs = Constraints::new()
        .add(Constraint::inequality("per_sample", n).indexed())
        .unwrap();
    let mut opt = SimultaneousGda::new(
        Sgd::new(SgdConfig::new(0.0)).unwrap(),
        NuPi::new(0.5, 1.0, 1.0, 0.5)
            .unwrap()
            .weight_decay(0.1)
            .unwrap(),
        cs,
    )
    .unwrap();
    let mut model = Point::new(&[0.0]);
    let step = |opt: &mut SimultaneousGda<Sgd>, model: &mut Point, idx: Vec<usize>, e: Vec<f64>| {
        let st = ConstraintState::strict_only(e).indices(idx);
        opt.step(&mut fixed_state("per_sample", st), model, &())
            .unwrap();
    };
    step(&mut opt, &mut model, vec![5, 17], vec![1.0, 0.5]);
    let after_first = opt
        .constraints()
        .get("per_sample")
        .unwrap()
        .multipliers()
        .unwrap()
        .to_vec();
    for _ in 0..10 {
        step(&mut opt, &mut model, vec![999], vec![0.25]);
    }
    let later = opt
        .constraints()
        .get("per_sample")
        .unwrap()
        .multipliers()
        .unwrap()
        .to_vec();
    assert_eq!(later[5], after_first[5]);
    assert_eq!(later[17], after_first[17]);
    assert!(later[999] > 0.0);
    assert_eq!(later.iter().filter(|v| **v != 0.0).count(), 3);
    // The decayed-free entries resume exactly as if no time had passed: same next update as a
    // fresh run that sees the same two errors back to back.
    step(&mut opt, &mut model, vec![5], vec![1.0]);
    let resumed = opt
        .constraints()
        .get("per_sample")
        .unwrap()
        .multipliers()
        .unwrap()[5];
    let rule = NuPi::new(0.5, 1.0, 1.0, 0.5)
        .unwrap()
        .weight_decay(0.1)
        .unwrap();
    let reference = run_rule(&rule, &[1.0, 1.0], 0.0);
    assert_eq!(resumed, reference[1]);
}

#[test]
fn nupi_damps_the_overshoot_of_gradient_ascent() {
    // min x^2 s.t. 1 - x <= 0, (x*, lambda*) = (1, 2); simultaneous GDA from x0 = 3, primal lr
    // 0.1, dual lr 0.5. Returns (min x, max lambda, final x, final lambda).
    let run = |dual: NuPi| {
        let cs = Constraints::new()
            .add(Constraint::inequality("x>=1", 1))
            .unwrap();
        let mut opt =
            SimultaneousGda::new(Sgd::new(SgdConfig::new(0.1)).unwrap(), dual, cs).unwrap();
        let mut p = FnProblem(|x: burn::tensor::Tensor<1>| {
            state_with(
                Some((x.clone() * x.clone()).sum()),
                vec![("x>=1", ConstraintState::new(x.neg().add_scalar(1.0)))],
            )
        });
        let mut model = Point::new(&[3.0]);
        let (mut min_x, mut max_l) = (f64::INFINITY, f64::NEG_INFINITY);
        for _ in 0..400 {
            opt.step(&mut p, &mut model, &()).unwrap();
            min_x = min_x.min(model.values()[0]);
            max_l = max_l.max(
                opt.constraints()
                    .get("x>=1")
                    .unwrap()
                    .multipliers()
                    .unwrap()[0],
            );
        }
        let l = opt
            .constraints()
            .get("x>=1")
            .unwrap()
            .multipliers()
            .unwrap()[0];
        (min_x, max_l, model.values()[0], l)
    };
    let ga = run(NuPi::new(0.5, 0.0, 1.0, 0.0).unwrap());
    assert!(
        ga.0 < 0.9 && ga.1 > 2.1,
        "gradient ascent overshoots: {ga:?}"
    );
    let mut last = ga;
    for kp in [1.0, 2.0, 3.0] {
        let r = run(NuPi::new(0.5, kp, 1.0, 0.0).unwrap());
        assert!(
            r.0 > last.0 && r.1 < last.1,
            "kappa_p = {kp} damps more: {r:?} vs {last:?}"
        );
        last = r;
    }
    // With eta * kappa_p = 2 (kappa_p = 4 in the normative form, where eta multiplies both
    // gains) there is no overshoot at all.
    let pi = run(NuPi::new(0.5, 4.0, 1.0, 0.0).unwrap());
    assert!(
        pi.0 >= 1.0 - 1e-9 && pi.1 <= 2.0 + 1e-9,
        "no overshoot: {pi:?}"
    );
    for r in [ga, pi] {
        assert!(
            (r.2 - 1.0).abs() < 1e-6 && (r.3 - 2.0).abs() < 1e-6,
            "converges: {r:?}"
        );
    }
}
