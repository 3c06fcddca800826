//! `rein gait` end to end on a small configuration: it writes `config.toml`, `metrics.json`,
//! `history.csv` and its PNG plots, prints a verdict line, and exits with status 2 when the
//! claim is missed unless `--accept-infeasible`; bad flags are errors naming them.

mod common;

use common::{assert_reports_written, metrics, missed_refused_then_forced, rein};

const SMALL: &str = "recipe = \"gait\"\n[config]\nsteps = 20\nbatch_size = 32\nhidden = [16]\n\
train_samples = 128\neval_samples = 64\ndivergence_eval_samples = 32\neval_every = 10\n\
barycenter_images = 3\nbarycenter_steps = 20\n";

#[test]
fn small_run_writes_its_reports_and_exits_2_on_a_missed_claim() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("small.toml");
    // A right-sided barycenter tolerance no run can meet: the claim is missed.
    std::fs::write(&file, format!("{SMALL}barycenter_tolerance = 1e-12\n")).unwrap();
    let out_dir = dir.path().join("out");
    let run = |extra: &[&str]| {
        rein()
            .args(["gait", "--quiet", "--config"])
            .arg(&file)
            .arg("--out")
            .arg(&out_dir)
            .args(extra)
            .output()
            .unwrap()
    };
    missed_refused_then_forced(run, &["barycenter"]);
    assert_reports_written(
        &out_dir,
        &[
            "config.toml",
            "metrics.json",
            "history.csv",
            "samples_swiss-roll.png",
            "samples_ring.png",
            "quality.png",
            "barycenter.png",
        ],
    );
    let m = metrics(&out_dir);
    assert_eq!(m["verdict"]["met"], false);
    assert!(
        m["comparisons"][1]["mmd"]["quality"]["modes_covered"].is_number(),
        "{m}"
    );
    assert!(
        m["barycenter"]["right_max_deviation_from_mean"].is_number(),
        "{m}"
    );
    let csv = std::fs::read_to_string(out_dir.join("history.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    for col in [
        "ring_gait",
        "ring_mmd_quality",
        "swiss-roll_gait",
        "barycenter_left_objective",
    ] {
        assert!(header.contains(col), "{header} lacks {col}");
    }
}

#[test]
fn bad_flags_name_themselves() {
    let out = rein()
        .args(["gait", "--sigma", "-1", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("sigma"), "{err}");
    let out = rein()
        .args(["gait", "--datasets", "moons", "--quiet"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("datasets"));
}
