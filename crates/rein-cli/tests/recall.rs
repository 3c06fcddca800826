//! The `rein recall` command end to end: it meets its constraint on the training set with the
//! default settings, writes its files, and rejects bad options with clear errors.

use std::process::Command;

fn rein() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rein"))
}

#[test]
fn default_demo_meets_its_constraint_and_writes_its_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = rein()
        .args(["recall", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("Constraint met on the training set"),
        "{stdout}"
    );
    let metrics: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).unwrap())
            .unwrap();
    let min_recall = metrics["min_recall"].as_f64().unwrap();
    // The default run is healthy: no constraint-health warning.
    assert_eq!(metrics["health"], serde_json::json!([]), "{metrics}");
    let recall = metrics["constrained"]["train_recall"].as_f64().unwrap();
    assert_eq!(metrics["feasible"], serde_json::Value::Bool(true));
    assert!(recall >= min_recall, "{recall} < {min_recall}");
    // The baseline with the same budget violates the floor: the constraint is what makes it hold.
    let baseline = metrics["baseline"]["train_recall"].as_f64().unwrap();
    assert!(
        baseline < min_recall,
        "baseline recall {baseline} already meets {min_recall}"
    );
    // And accuracy stays within 2 points of the baseline's.
    let (acc, base_acc) = (
        metrics["constrained"]["train_accuracy"].as_f64().unwrap(),
        metrics["baseline"]["train_accuracy"].as_f64().unwrap(),
    );
    assert!(
        acc >= base_acc - 0.02,
        "accuracy {acc} vs baseline {base_acc}"
    );
    let csv = std::fs::read_to_string(dir.path().join("history.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in ["step", "loss", "multiplier", "recall_strict_violation"] {
        assert!(
            header.contains(col),
            "history.csv header {header} lacks {col}"
        );
    }
    assert_eq!(csv.lines().count(), 1 + 800);
    let png = std::fs::read(dir.path().join("recall_and_multiplier.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");
}

#[test]
fn bad_options_are_clear_errors() {
    let out = rein()
        .args(["recall", "--min-recall", "1.5", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--min-recall"));

    let out = rein().args(["recall", "--class", "12"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--class"));

    // A zero width is a configuration error naming the flag, not a panic in the model.
    let out = rein()
        .args(["recall", "--hidden", "0", "--quiet"])
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("--hidden") && !err.contains("panicked"),
        "{err}"
    );

    let out = rein().args(["recall", "--device", "tpu"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown device `tpu`"));

    #[cfg(not(feature = "tch"))]
    {
        // The resolved config.toml is written before the device opens: keep it out of the tree.
        let dir = tempfile::tempdir().unwrap();
        let out = rein()
            .args(["recall", "--device", "tch", "--quiet", "--out"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("--features tch"));
    }
}
