//! `rein optimizers`: Shampoo, Adam and SGD train the same MLP and the reports are written.

use std::process::Command;

#[test]
fn every_optimizer_lowers_the_loss_and_reports_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(["optimizers", "--quiet", "--steps", "100", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["history.csv", "metrics.json", "loss_and_accuracy.png"] {
        assert!(dir.path().join(f).exists(), "{f} missing");
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("metrics.json")).unwrap())
            .unwrap();
    let results = m.as_array().unwrap();
    assert_eq!(results.len(), 3);
    for r in results {
        // ln 10 = 2.30 at the start; every optimizer must have made real progress.
        let loss = r["final_train_loss"].as_f64().unwrap();
        assert!(loss < 1.0, "{r}");
        assert!(r["test_accuracy"].as_f64().unwrap() > 0.7, "{r}");
    }
}
