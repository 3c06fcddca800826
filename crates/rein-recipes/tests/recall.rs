//! The recall recipe through its API: the constraint is what makes the floor hold, bad values
//! name their key, and a run's resolved configuration reproduces it bit for bit.

use rein_recipes::recall::{RECALL, RecallConfig};
use rein_recipes::recipe::{from_table, from_toml_str, to_table};
use rein_recipes::{RecipeConfig, RecipeError, Silent};

#[test]
fn constrained_run_meets_the_floor_the_baseline_misses() {
    let config = RecallConfig::default();
    let outcome = config.run(&mut Silent).unwrap();
    let m = &outcome.metrics;
    let b = m.baseline.as_ref().expect("the baseline runs by default");
    assert!(
        m.constrained.train_recall >= config.min_recall,
        "constrained recall {} < {}",
        m.constrained.train_recall,
        config.min_recall
    );
    assert!(
        b.train_recall < config.min_recall,
        "baseline recall {} already meets {}",
        b.train_recall,
        config.min_recall
    );
    assert!(m.feasible);
    assert!(m.constrained.multiplier > 0.0 && b.multiplier == 0.0);
    // Accuracy stays within 2 points of the baseline's.
    assert!(
        m.constrained.train_accuracy >= b.train_accuracy - 0.02,
        "{m:?}"
    );

    let verdict = config.verdict(&outcome);
    assert!(verdict.met);
    assert!(
        verdict
            .summary
            .contains(&format!("{:.4}", m.constrained.train_recall)),
        "{}",
        verdict.summary
    );

    let h = &outcome.history;
    assert_eq!(h.len(), config.steps);
    for col in [
        "loss",
        "train_recall",
        "recall_strict_violation",
        "multiplier",
    ] {
        assert!(h.columns().iter().any(|c| c == col), "history lacks {col}");
    }
    // The strict violation is the true recall gap.
    let last = h.len() - 1;
    let gap = h.get(last, "recall_strict_violation").unwrap();
    let recall = h.get(last, "train_recall").unwrap();
    assert_eq!(gap, config.min_recall - recall);
}

#[test]
fn a_missed_floor_is_reported_as_missed() {
    // With the unconstrained scheme the multiplier stays at 0: the "constrained" run trains
    // the baseline's model and misses the floor as the baseline does.
    let config: RecallConfig = from_toml_str("[optimizer]\nscheme = \"unconstrained\"").unwrap();
    let outcome = config.run(&mut Silent).unwrap();
    let m = &outcome.metrics;
    let b = m.baseline.as_ref().unwrap();
    assert_eq!(m.constrained.multiplier, 0.0);
    assert_eq!(m.constrained.train_recall, b.train_recall);
    assert!(!m.feasible);
    let verdict = config.verdict(&outcome);
    assert!(!verdict.met);
    assert!(verdict.summary.contains("< 0.98"), "{}", verdict.summary);
}

fn key_of(text: &str) -> String {
    match from_toml_str::<RecallConfig>(text) {
        Err(RecipeError::Config { key, .. }) => key,
        other => panic!("{text}: expected a configuration error, got {other:?}"),
    }
}

#[test]
fn bad_values_name_their_key() {
    assert_eq!(key_of("min_recall = 1.5"), "min_recall");
    assert_eq!(key_of("class = 12"), "class");
    assert_eq!(key_of("hidden = [0]"), "hidden");
    assert_eq!(key_of("hidden = []"), "hidden");
    assert_eq!(key_of("temperature = -0.1"), "temperature");
    assert_eq!(key_of("steps = 0"), "steps");
    assert_eq!(key_of("batch_size = 0"), "batch_size");
    assert_eq!(key_of("clas = 3"), "clas");
    assert_eq!(
        key_of("[optimizer.primal]\nlr = -1.0"),
        "optimizer.primal.lr"
    );
    assert_eq!(
        key_of("[optimizer.constraints.density]\ndual_restarts = true"),
        "optimizer.constraints.density"
    );
    // The recipe's own constraint takes settings.
    let c: RecallConfig = from_toml_str(&format!(
        "[optimizer.constraints.{RECALL}]\ndual_restarts = true"
    ))
    .unwrap();
    assert!(c.optimizer.constraints.contains_key(RECALL));
}

#[test]
fn resolved_config_reproduces_the_metrics_bit_for_bit() {
    let config: RecallConfig = from_toml_str("steps = 120\nclass = 3\nseed = 2").unwrap();
    let first = config.run(&mut Silent).unwrap();
    // Through TOML text, as `config.toml` stores it.
    let text = toml::to_string(&to_table(&config.resolved()).unwrap()).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let again: RecallConfig = from_table(&table).unwrap();
    assert_eq!(again, config.resolved());
    let second = again.run(&mut Silent).unwrap();
    assert_eq!(first.metrics, second.metrics);
    assert_eq!(first.history.to_csv(), second.history.to_csv());
    assert_eq!(
        serde_json::to_string(&first).unwrap(),
        serde_json::to_string(&second).unwrap()
    );
}
