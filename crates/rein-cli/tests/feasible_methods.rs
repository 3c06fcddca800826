//! `rein feasible` methods and data: RFL on two moons through `--rfl` writes the loss and
//! multiplier histograms and samples.csv; ERM writes no multiplier histogram; label noise
//! reports its AUCs; contradictory or bad method flags are clear errors naming the flag.

use std::process::Command;

fn rein() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rein"))
}

fn metrics(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

fn run(args: &[&str], dir: &std::path::Path) -> std::process::Output {
    rein()
        .args(["feasible", "--quiet", "--out"])
        .arg(dir)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn is_png(path: std::path::PathBuf) -> bool {
    std::fs::read(&path).is_ok_and(|b| b.starts_with(b"\x89PNG"))
}

#[test]
fn rfl_on_moons_writes_histograms_and_samples() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &["--dataset", "moons", "--rfl", "0.5", "--steps", "300"],
        dir.path(),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(2),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("RFL: max relaxation"), "{stdout}");
    let m = metrics(dir.path());
    assert_eq!(m["method"], "rfl");
    assert_eq!(m["rfl_decay"], 0.5);
    assert_eq!(m["dataset"], "moons");
    assert_eq!(m["samples"], 512);
    let max = m["multiplier_max"].as_f64().unwrap();
    assert!((m["relaxation_max"].as_f64().unwrap() - 0.5 * max).abs() < 1e-12);
    assert!(max <= m["rfl_lambda_bound_run"].as_f64().unwrap());
    for key in [
        "ce_p50_train",
        "ce_p90_train",
        "ce_p99_train",
        "multiplier_mean",
    ] {
        assert!(m[key].is_number(), "metrics.json lacks {key}: {m}");
    }
    assert!(is_png(dir.path().join("losses.png")));
    assert!(is_png(dir.path().join("multipliers.png")));
    let csv = std::fs::read_to_string(dir.path().join("samples.csv")).unwrap();
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("index,loss,multiplier,flipped"));
    assert_eq!(lines.count(), 512);
    let config = std::fs::read_to_string(dir.path().join("config.toml")).unwrap();
    assert!(config.contains("method = \"rfl\"") && config.contains("rfl_decay = 0.5"));
}

#[test]
fn erm_with_label_noise_reports_the_loss_auc_and_no_multipliers() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "--dataset",
            "moons",
            "--method",
            "erm",
            "--label-noise",
            "0.05",
            "--steps",
            "200",
        ],
        dir.path(),
    );
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = metrics(dir.path());
    assert_eq!(m["method"], "erm");
    assert_eq!(m["flipped"], 26, "round(0.05 * 512)");
    assert!(m["flip_auc_losses"].as_f64().unwrap() > 0.5, "{m}");
    assert!(m["flip_auc_multipliers"].is_null());
    assert!(is_png(dir.path().join("losses.png")));
    assert!(!dir.path().join("multipliers.png").exists());
}

#[test]
fn bad_method_flags_are_clear_errors() {
    for (args, needle) in [
        (&["--method", "rfl"][..], "rfl_decay"),
        (&["--method", "erm", "--rfl", "1"][..], "--rfl"),
        (&["--method", "sgd"][..], "--method"),
        (&["--rfl", "-1"][..], "--rfl"),
        (&["--rfl", "3"][..], "--rfl"),
        (&["--label-noise", "1.5"][..], "--label-noise"),
        (
            &["--dataset", "moons", "--batch-size", "600"][..],
            "batch_size",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let out = run(args, dir.path());
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains(needle), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
