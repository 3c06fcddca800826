//! `rein gangs` and `rein norms`: the reports are written, the verdict decides the exit status.

use std::process::Command;

fn read_json(path: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn norms_table_holds_and_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(["norms", "--n", "6", "--p", "2", "--q", "4", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Claims met"), "{stdout}");
    assert!(dir.path().join("norms.png").exists());
    let m = read_json(&dir.path().join("metrics.json"));
    let rows = m["optimizers"].as_array().unwrap();
    assert_eq!(rows.len(), 7);
    assert!(rows.iter().all(|r| r["holds"] == true), "{m}");
    // Over-parameterised only.
    let bad = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(["norms", "--n", "20", "--p", "2", "--q", "4", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--n 20"));
}

#[test]
fn gangs_writes_its_reports_and_a_missed_target_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args([
            "gangs",
            "--quiet",
            "--iterations",
            "2",
            "--br-steps",
            "20",
            "--min-modes",
            "8",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    for f in [
        "config.toml",
        "metrics.json",
        "iterations.csv",
        "samples.png",
        "exploitability.png",
    ] {
        assert!(dir.path().join(f).exists(), "{f} missing\n{stdout}");
    }
    let m = read_json(&dir.path().join("metrics.json"));
    let met = m["metrics"]["verdict"]["met"].as_bool().unwrap();
    // 20-step best responses cannot cover all 8 modes: the verdict is a miss, exit status 2.
    assert!(!met, "{m}");
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let iterations = m["metrics"]["iterations"].as_array().unwrap();
    assert!(!iterations.is_empty());
    assert!(
        iterations
            .iter()
            .all(|i| i["exploitability"].as_f64().unwrap() >= 0.0)
    );
}
