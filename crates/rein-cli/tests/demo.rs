//! `rein demo` (the README's main command) end to end: the constrained run lands on its density
//! target, the fixed-penalty run does not, and accuracy stays near the dense model's.

use std::process::Command;

#[test]
fn demo_meets_its_target_where_the_penalty_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(["demo", "--quiet", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("Target met"), "{stdout}");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let target = s["target"].as_f64().unwrap();
    let density = s["constrained"]["expected_density"].as_f64().unwrap();
    assert!((density - target).abs() <= 0.01, "{density} vs {target}");
    let penalised = s["penalised"]["expected_density"].as_f64().unwrap();
    assert!(
        (penalised - target).abs() > 0.05,
        "the fixed penalty happened to hit the target: {penalised}"
    );
    let (acc, dense) = (
        s["constrained"]["test_accuracy"].as_f64().unwrap(),
        s["constrained"]["dense_test_accuracy"].as_f64().unwrap(),
    );
    assert!(acc >= dense - 0.02, "accuracy {acc} vs dense {dense}");
    for run in ["constrained", "penalised"] {
        for f in ["metrics.json", "history.csv", "density_and_multiplier.png"] {
            assert!(dir.path().join(run).join(f).exists(), "{run}/{f} missing");
        }
    }
    let figure = std::fs::read(dir.path().join("constrained_vs_penalised.png")).unwrap();
    assert!(
        figure.starts_with(b"\x89PNG"),
        "the comparison figure is not a PNG"
    );
}

#[test]
fn demo_rejects_a_bad_target() {
    let out = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(["demo", "--quiet", "--target", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--target"), "{err}");
}
