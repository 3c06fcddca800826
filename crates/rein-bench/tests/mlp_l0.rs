//! Smoke tests of the `mlp-l0` and `feasible` workloads on the bundled digits: write a problem
//! into a temporary directory, run a few steps of the binary, check the report.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn rein_bench(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rein-bench"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("running rein-bench")
}

/// Runs `args`, expects success and one JSON report on stdout.
fn report(args: &[&str]) -> Value {
    let out = rein_bench(args);
    assert!(
        out.status.success(),
        "rein-bench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON report on stdout")
}

fn write(workload: &[&str], problem: &Path, extra: &[&str]) {
    let mut args = workload.to_vec();
    args.extend(["--write-problem", "--problem", problem.to_str().unwrap()]);
    args.extend(extra);
    let out = rein_bench(&args);
    assert!(
        out.status.success(),
        "writing the problem failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty(), "--write-problem prints no report");
}

fn extra(r: &Value, key: &str) -> f64 {
    r["quality"]["extra"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("no quality.extra.{key} in {r}"))
}

#[test]
fn constrained_run_moves_density_to_the_target_and_raises_the_multiplier() {
    let dir = tempfile::tempdir().unwrap();
    let problem = dir.path().join("digits.json");
    let p = problem.to_str().unwrap();
    write(
        &["mlp-l0", "--data", "digits"],
        &problem,
        &[
            "--batches",
            "12",
            "--noise-steps",
            "5",
            "--target",
            "0.5",
            "--gate-lr",
            "0.1",
        ],
    );
    let run = |mode: &str, steps: &str| {
        report(&[
            "mlp-l0",
            "--data",
            "digits",
            "--mode",
            mode,
            "--problem",
            p,
            "--warmup",
            "0",
            "--steps",
            steps,
        ])
    };
    let one = run("constrained", "1");
    let many = run("constrained", "60");
    // Initial drop rate 0.1: expected density ~0.98; 60 Adam steps with gate lr 0.1 (up to
    // ~6 in log_alpha) bring it well below.
    let (d1, d60) = (
        extra(&one, "expected_density"),
        extra(&many, "expected_density"),
    );
    assert!(d1 > 0.9, "initial density {d1}");
    assert!(
        d60 < d1 - 0.2,
        "density {d1} -> {d60} did not move toward 0.5"
    );
    let lambda = many["quality"]["multipliers"]["density"][0]
        .as_f64()
        .unwrap();
    assert!(
        lambda > 1.0,
        "the multiplier grows while infeasible: {lambda}"
    );
    let violation = many["quality"]["constraints"]["density"][0]
        .as_f64()
        .unwrap();
    assert!((violation - (d60 - 0.5)).abs() < 1e-9);
    assert_eq!(many["variant"], "digits-constrained");
    assert_eq!(many["steps"], 60);
    // Forward 2 B in out per layer, backward twice that.
    let flops = 6.0 * 128.0 * (64.0 * 128.0 + 128.0 * 64.0 + 64.0 * 10.0);
    assert_eq!(many["flops_per_step"].as_f64().unwrap(), flops);

    // Without the constraint the gates barely move and there is no multiplier.
    let free = run("unconstrained", "60");
    assert!(extra(&free, "expected_density") > d60 + 0.2, "{free}");
    assert!(free["quality"]["multipliers"].get("density").is_none());

    // The dense MLP learns: the mean loss of the last steps is below ln 10.
    let dense = run("dense", "60");
    assert!(extra(&dense, "loss_mean_last") < 2.0, "{dense}");
    assert!(extra(&dense, "test_accuracy") > 0.5, "{dense}");

    // A problem written for the digits is refused for MNIST, naming both.
    let out = rein_bench(&["mlp-l0", "--data", "mnist", "--problem", p, "--steps", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("digits") && err.contains("mnist"), "{err}");
}

#[test]
fn feasible_learning_updates_only_the_seen_multipliers() {
    let dir = tempfile::tempdir().unwrap();
    let problem = dir.path().join("fl.json");
    let p = problem.to_str().unwrap();
    write(
        &["feasible", "--data", "digits"],
        &problem,
        &["--batches", "8"],
    );
    let r = report(&[
        "feasible",
        "--data",
        "digits",
        "--problem",
        p,
        "--warmup",
        "2",
        "--steps",
        "4",
    ]);
    // 6 batches of 128 distinct rows (one epoch has 11).
    assert_eq!(extra(&r, "seen"), 6.0 * 128.0);
    let lam_max = r["quality"]["multipliers"]["feasible.max"][0]
        .as_f64()
        .unwrap();
    assert!(lam_max > 0.0, "{r}");
    // At the start every sample is infeasible (CE ~ ln 10 > eps): all seen multipliers positive.
    assert!(extra(&r, "lambda_positive_seen") > 0.9, "{r}");
    let eps = -(0.6f64.ln());
    let max_violation = r["quality"]["constraints"]["feasible.max"][0]
        .as_f64()
        .unwrap();
    assert!((max_violation - (extra(&r, "ce_max_seen") - eps)).abs() < 1e-9);
}
