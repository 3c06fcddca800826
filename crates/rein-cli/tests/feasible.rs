//! `rein feasible` end to end: the default run on the digits meets its target and writes its
//! reports, `rein run <out>/config.toml` reproduces it, a missed target exits with status 2,
//! and bad options are clear errors naming the flag.

use std::process::Command;

fn rein() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rein"))
}

fn metrics(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

#[test]
fn default_run_meets_its_target_and_rein_run_reproduces_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = rein()
        .args(["feasible", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Constraints met"), "{stdout}");
    let m = metrics(dir.path());
    let feasible = m["feasible_train"].as_f64().unwrap();
    let initial = m["initial_feasible_train"].as_f64().unwrap();
    assert!(feasible >= 0.99 && initial < 0.05, "{m}");
    assert_eq!(m["verdict"]["met"], true);
    for key in [
        "eps",
        "samples",
        "feasible_seen",
        "ce_max_train",
        "multiplier_mean_seen",
        "test_accuracy",
    ] {
        assert!(!m[key].is_null(), "metrics.json lacks {key}");
    }
    let csv = std::fs::read_to_string(dir.path().join("history.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "step",
        "train_feasible",
        "batch_feasible",
        "multiplier_mean",
    ] {
        assert!(
            header.contains(col),
            "history.csv header {header} lacks {col}"
        );
    }
    let png = std::fs::read(dir.path().join("feasible_and_multiplier.png")).unwrap();
    assert_eq!(&png[..4], b"\x89PNG");

    let again = tempfile::tempdir().unwrap();
    let out = rein()
        .args(["run", "--quiet"])
        .arg(dir.path().join("config.toml"))
        .arg("--out")
        .arg(again.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("metrics.json")).unwrap(),
        std::fs::read_to_string(again.path().join("metrics.json")).unwrap()
    );
}

#[test]
fn a_missed_target_exits_with_status_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = rein()
        .args([
            "feasible", "--quiet", "--steps", "20", "--p", "0.9", "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Constraints NOT met"), "{stdout}");
    assert_eq!(metrics(dir.path())["verdict"]["met"], false);
}

#[test]
fn bad_options_are_clear_errors() {
    for (args, flag) in [
        (&["--hidden", "0"][..], "--hidden"),
        (&["--hidden", "64,-3"][..], "--hidden"),
        (&["--p", "1.5"][..], "--p"),
        (&["--p", "-0.5"][..], "--p"),
        (&["--steps", "-1"][..], "--steps"),
        (&["--lr", "-1"][..], "--lr"),
        (&["--dataset", "cifar"][..], "--dataset"),
        (
            &["--min-feasible-fraction", "2"][..],
            "--min-feasible-fraction",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = rein()
            .args(["feasible", "--quiet", "--out"])
            .arg(dir.path())
            .args(args)
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
    let out = rein()
        .args(["feasible", "--device", "tpu"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown device `tpu`"));
}
