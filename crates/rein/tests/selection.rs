//! `rein::selection`: the best feasible candidate, else the least violating one; ties to the
//! earliest; NaN never chosen; the incremental record agrees with the batch rule.

use proptest::prelude::*;
use rein::selection::{BestIterate, Candidate, Selector, find_best_candidate_index};

fn c(objective: f64, violations: &[f64]) -> Candidate {
    Candidate::new(objective, violations.to_vec())
}

#[test]
fn a_feasible_candidate_beats_a_lower_objective_infeasible_one() {
    let cs = [c(0.1, &[0.2]), c(5.0, &[-0.1, 0.0]), c(3.0, &[0.01])];
    let s = find_best_candidate_index(&cs).unwrap();
    assert_eq!(s.index, 1);
    assert!(s.feasible);
    assert_eq!(s.objective, 5.0);
    assert_eq!(s.max_violation, 0.0);
}

#[test]
fn the_lowest_objective_among_feasible_ones_wins() {
    let cs = [
        c(2.0, &[-1.0]),
        c(1.0, &[-0.5]),
        c(-1.0, &[0.5]),
        c(1.5, &[]),
    ];
    assert_eq!(find_best_candidate_index(&cs).unwrap().index, 1);
}

#[test]
fn the_least_violating_when_none_is_feasible() {
    // Max violations 0.5, 0.2, 0.3: the second, despite the worst objective.
    let cs = [c(0.0, &[0.5, -1.0]), c(9.0, &[0.1, 0.2]), c(1.0, &[0.3])];
    let s = find_best_candidate_index(&cs).unwrap();
    assert_eq!((s.index, s.feasible, s.max_violation), (1, false, 0.2));
}

#[test]
fn ties_go_to_the_objective_then_to_the_earliest() {
    // Equal max violation: the lower objective.
    let cs = [c(2.0, &[0.3]), c(1.0, &[0.3, 0.1]), c(1.5, &[0.3])];
    assert_eq!(find_best_candidate_index(&cs).unwrap().index, 1);
    // Equal everything: the earliest, feasible or not.
    let cs = [c(1.0, &[0.3]), c(1.0, &[0.3])];
    assert_eq!(find_best_candidate_index(&cs).unwrap().index, 0);
    let cs = [c(4.0, &[-1.0]), c(1.0, &[-0.2]), c(1.0, &[-0.3])];
    assert_eq!(find_best_candidate_index(&cs).unwrap().index, 1);
}

#[test]
fn nan_candidates_are_never_chosen() {
    let cs = [c(f64::NAN, &[-1.0]), c(5.0, &[f64::NAN]), c(9.0, &[0.7])];
    let s = find_best_candidate_index(&cs).unwrap();
    assert_eq!((s.index, s.feasible), (2, false));
    assert!(find_best_candidate_index(&[c(f64::NAN, &[]), c(0.0, &[f64::NAN, 1.0])]).is_none());
    assert!(c(0.0, &[1.0, f64::NAN]).max_violation().is_nan());
}

#[test]
fn empty_input_selects_nothing() {
    assert!(find_best_candidate_index(&[]).is_none());
    let record: BestIterate<()> = BestIterate::default();
    assert!(record.best().is_none() && record.feasible().is_none());
}

#[test]
fn a_tolerance_widens_feasibility() {
    let cs = [c(1.0, &[0.005]), c(2.0, &[0.0])];
    assert_eq!(find_best_candidate_index(&cs).unwrap().index, 1);
    let loose = Selector::new(0.01).unwrap();
    let s = loose.best(&cs).unwrap();
    assert_eq!((s.index, s.feasible), (0, true));
    assert!(loose.is_feasible(&cs[0]) && !Selector::default().is_feasible(&cs[0]));
    let err = Selector::new(-0.1).unwrap_err();
    assert!(err.to_string().contains("tolerance"), "{err}");
    assert!(Selector::new(f64::NAN).is_err());
}

#[test]
fn the_incremental_record_keeps_items() {
    let mut record = BestIterate::new(Selector::default());
    assert!(record.offer(&c(1.0, &[0.4]), "a"));
    assert!(record.offer(&c(3.0, &[0.1]), "b"));
    assert!(!record.offer(&c(f64::NAN, &[-1.0]), "nan"));
    assert!(record.feasible().is_none());
    assert!(record.offer(&c(9.0, &[-0.1]), "c"));
    assert!(!record.offer(&c(9.0, &[-0.2]), "d"));
    assert_eq!(record.offered(), 5);
    let (s, item) = record.best().unwrap();
    assert_eq!((s.index, *item), (3, "c"));
    assert_eq!(record.feasible(), Some(&"c"));
    assert_eq!(record.into_best().unwrap().1, "c");
}

proptest! {
    /// Offering candidates one at a time keeps what the batch rule picks from all of them.
    #[test]
    fn incremental_equals_batch(
        rows in proptest::collection::vec(
            (prop_oneof![Just(f64::NAN), -2.0f64..2.0, Just(0.0)],
             proptest::collection::vec(prop_oneof![-1.0f64..1.0, Just(0.0), Just(f64::NAN)], 0..3)),
            0..12)
    ) {
        let cs: Vec<Candidate> = rows.into_iter().map(|(o, v)| Candidate::new(o, v)).collect();
        let batch = find_best_candidate_index(&cs);
        let mut record = BestIterate::default();
        for (i, candidate) in cs.iter().enumerate() {
            record.offer(candidate, i);
        }
        prop_assert_eq!(batch.map(|s| s.index), record.best().map(|(_, &i)| i));
        if let Some(s) = batch {
            // Nothing beats the choice: no feasible candidate has a lower objective, and if
            // it is infeasible no candidate is feasible or less violating.
            for other in cs.iter().filter(|o| !o.has_nan()) {
                let feasible = other.max_violation() <= 0.0;
                if s.feasible {
                    prop_assert!(!feasible || other.objective >= s.objective);
                } else {
                    prop_assert!(!feasible && other.max_violation() >= s.max_violation);
                }
            }
        }
    }
}
