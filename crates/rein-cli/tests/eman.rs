//! `rein eman` end to end on a built-in mesh (no fetched data): it writes `config.toml`,
//! `metrics.json`, `history.csv` and its PNG plots, prints a verdict line, and exits with
//! status 2 when the claim is missed unless `--accept-infeasible`; missing meshes and bad
//! `.off` files are one clear error line.

mod common;

use common::{assert_reports_written, metrics, missed_refused_then_forced, rein};

const SMALL: &str = "recipe = \"eman\"\n[config]\nmeshes = [\"builtin:bumpy\"]\nvertices = 100\n\
segments = 3\nsteps = 10\nchannels = 4\nlayers = 2\nbaseline_width = 8\ntest_copies = 1\n";

#[test]
fn small_run_writes_its_reports_and_exits_2_on_a_missed_claim() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.toml");
    // An accuracy no 10-step run reaches: the claim is missed.
    std::fs::write(&file, format!("{SMALL}min_accuracy = 1.0\n")).unwrap();
    let out_dir = dir.path().join("out");
    let run = |extra: &[&str]| {
        rein()
            .args(["eman", "--quiet", "--config"])
            .arg(&file)
            .arg("--out")
            .arg(&out_dir)
            .args(extra)
            .output()
            .unwrap()
    };
    missed_refused_then_forced(run, &["EMAN accuracy"]);
    assert_reports_written(
        &out_dir,
        &[
            "config.toml",
            "metrics.json",
            "history.csv",
            "segments_builtin-bumpy.png",
            "loss.png",
        ],
    );
    let m = metrics(&out_dir);
    assert_eq!(m["verdict"]["met"], false);
    assert!(m["eman"]["transformed_test"].is_number(), "{m}");
    assert!(m["baseline"]["canonical_test"].is_number(), "{m}");
    // `rein run` dispatches the recipe too.
    let out2 = dir.path().join("out2");
    let via_run = rein()
        .args(["run", "--quiet", "--accept-infeasible"])
        .arg(&file)
        .arg("--out")
        .arg(&out2)
        .output()
        .unwrap();
    assert!(
        via_run.status.success(),
        "{}",
        String::from_utf8_lossy(&via_run.stderr)
    );
    assert!(out2.join("metrics.json").is_file());
}

#[test]
fn missing_meshes_and_bad_files_are_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = rein()
        .args(["eman", "--quiet", "--meshes", "elephant", "--data-dir"])
        .arg(dir.path())
        .arg("--out")
        .arg(dir.path().join("o1"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("elephant.off") && err.contains("rein data fetch meshes"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    let bad = dir.path().join("bad.off");
    std::fs::write(&bad, "OFF\n3 1 0\n0 0 0\n1 0 x\n0 1 0\n3 0 1 2\n").unwrap();
    let out = rein()
        .args(["eman", "--quiet", "--meshes"])
        .arg(&bad)
        .arg("--out")
        .arg(dir.path().join("o2"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.off:4") && err.contains("\"x\""), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let out = rein()
        .args(["eman", "--segments", "1", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("segments"));
}
