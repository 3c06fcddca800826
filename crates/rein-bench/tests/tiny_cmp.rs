//! Smoke tests of the `tiny-cmp` and `indexed` workloads through the `rein-bench` binary: write
//! a problem into a temporary directory, run a few hundred steps, parse the JSON report, and
//! check that the run moved toward the KKT point (no Python involved).

use std::path::Path;
use std::process::Command;

use serde_json::Value;

const SCHEMES: [&str; 4] = [
    "simultaneous",
    "alternating-primal-dual",
    "alternating-dual-primal",
    "extragradient",
];

/// Runs `rein-bench ARGS...`; returns the parsed stdout (`Value::Null` when it printed nothing)
/// or the stderr of a failed run.
fn rein_bench(args: &[&str]) -> Result<Value, String> {
    let out = Command::new(env!("CARGO_BIN_EXE_rein-bench"))
        .args(args)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .expect("the rein-bench binary runs");
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let stdout = String::from_utf8(out.stdout).expect("utf-8 stdout");
    match stdout.lines().last() {
        None => Ok(Value::Null),
        Some(line) => Ok(serde_json::from_str(line).expect("one JSON report line")),
    }
}

fn run(workload: &str, extra: &[&str], problem: &Path, steps: usize) -> Value {
    let steps = steps.to_string();
    let mut args = vec![workload];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[
        "--f64",
        "--problem",
        problem.to_str().unwrap(),
        "--warmup",
        "0",
        "--steps",
        &steps,
    ]);
    rein_bench(&args).unwrap_or_else(|e| panic!("rein-bench {args:?} failed: {e}"))
}

fn num(v: &Value, path: &[&str]) -> f64 {
    let mut cur = v;
    for p in path {
        cur = &cur[*p];
    }
    cur.as_f64()
        .unwrap_or_else(|| panic!("{path:?} is not a number in {v}"))
}

fn vector(v: &Value, section: &str, name: &str) -> Vec<f64> {
    v["quality"][section][name]
        .as_array()
        .unwrap_or_else(|| panic!("no quality.{section}.{name} in {v}"))
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn tiny_cmp_moves_toward_the_kkt_point_under_every_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let problem = dir.path().join("tiny.json");
    let p = problem.to_str().unwrap();
    // Writing prints nothing and creates the manifest and its data file.
    let written = rein_bench(&["tiny-cmp", "--f64", "--write-problem", "--problem", p]).unwrap();
    assert!(written.is_null(), "{written}");
    assert!(problem.exists() && problem.with_extension("bin").exists());
    let manifest: Value = serde_json::from_slice(&std::fs::read(&problem).unwrap()).unwrap();
    assert!(manifest["meta"]["active_at_optimum"].as_u64().unwrap() >= 1);

    for scheme in SCHEMES {
        let first = run("tiny-cmp", &["--scheme", scheme], &problem, 1);
        let later = run("tiny-cmp", &["--scheme", scheme], &problem, 300);
        assert_eq!(later["variant"], scheme);
        assert_eq!(later["steps"], 300);
        assert!(num(&later, &["step_ns", "median"]) > 0.0);
        // Distances to (x*, lambda*) shrink: x from about 1.8 to about 0.2 in 300 steps.
        let (dx1, dx) = (
            num(&first, &["quality", "extra", "dist_x"]),
            num(&later, &["quality", "extra", "dist_x"]),
        );
        let (dl1, dl) = (
            num(&first, &["quality", "extra", "dist_lambda"]),
            num(&later, &["quality", "extra", "dist_lambda"]),
        );
        assert!(dx < 0.5 * dx1, "{scheme}: dist_x {dx1} -> {dx}");
        assert!(dl < 0.5 * dl1, "{scheme}: dist_lambda {dl1} -> {dl}");
        // Multipliers stay projected; the constraints are close to feasible.
        let lambda = vector(&later, "multipliers", "ineq");
        let g = vector(&later, "constraints", "ineq");
        assert_eq!((lambda.len(), g.len()), (5, 5));
        assert!(lambda.iter().all(|l| *l >= 0.0), "{scheme}: {lambda:?}");
        assert!(lambda.iter().any(|l| *l > 0.0), "{scheme}: {lambda:?}");
        let worst = g.iter().copied().fold(f64::MIN, f64::max);
        assert!(worst < 0.1, "{scheme}: max violation {worst}");
        // The reported objective is ||x||^2 of the reported x.
        let x2: f64 = (0..10)
            .map(|i| num(&later, &["quality", "extra", &format!("x[{i}]")]).powi(2))
            .sum();
        let obj = num(&later, &["quality", "objective"]);
        assert!((x2 - obj).abs() <= 1e-12 * obj.max(1.0), "{x2} vs {obj}");
    }
}

#[test]
fn indexed_updates_only_observed_multipliers_and_moves_x() {
    let dir = tempfile::tempdir().unwrap();
    let problem = dir.path().join("indexed.json");
    let p = problem.to_str().unwrap();
    let args = [
        "indexed",
        "--f64",
        "--write-problem",
        "--problem",
        p,
        "--n",
        "1000",
        "--observed",
        "5",
        "--batches",
        "8",
        "--primal-lr",
        "0.01",
        "--dual-lr",
        "0.1",
    ];
    rein_bench(&args).unwrap();
    let r = run("indexed", &[], &problem, 400);
    assert_eq!(r["variant"], "n=1000,observed=5");
    // x starts at 0 (objective 4) and is pulled toward 1 until the constraints push back.
    let obj = num(&r, &["quality", "objective"]);
    assert!(obj < 3.0, "objective {obj}");
    // At most 8 batches x 5 indices were ever observed, and some multipliers became positive.
    let positive = num(&r, &["quality", "extra", "lambda_positive"]);
    assert!(
        (1.0..=40.0).contains(&positive),
        "{positive} positive multipliers"
    );
    let lambda = vector(&r, "multipliers", "per_sample.last_batch");
    assert_eq!(lambda.len(), 5);
    assert!(lambda.iter().all(|l| *l >= 0.0));
}

#[test]
fn bad_inputs_are_reported_with_the_file_or_flag() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.json");
    let err = rein_bench(&["tiny-cmp", "--problem", missing.to_str().unwrap()]).unwrap_err();
    assert!(err.contains("missing.json"), "{err}");
    let err = rein_bench(&["tiny-cmp"]).unwrap_err();
    assert!(err.contains("--problem"), "{err}");
    // A tiny-cmp problem is not an indexed problem.
    let tiny = dir.path().join("tiny.json");
    rein_bench(&[
        "tiny-cmp",
        "--write-problem",
        "--problem",
        tiny.to_str().unwrap(),
    ])
    .unwrap();
    let err = rein_bench(&["indexed", "--problem", tiny.to_str().unwrap()]).unwrap_err();
    assert!(
        err.contains("tiny.json") && err.contains("observed"),
        "{err}"
    );
    let err = rein_bench(&[
        "indexed",
        "--write-problem",
        "--problem",
        tiny.to_str().unwrap(),
        "--n",
        "3",
        "--observed",
        "5",
    ])
    .unwrap_err();
    assert!(err.contains("--observed"), "{err}");
}
