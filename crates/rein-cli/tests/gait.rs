//! `rein gait` end to end on a small configuration: it writes `config.toml`, `metrics.json`,
//! `history.csv` and its PNG plots, prints a verdict line, and exits with status 2 when the
//! claim is missed unless `--accept-infeasible`; bad flags are errors naming them.

use std::process::Command;

fn rein() -> Command {
    Command::new(env!("CARGO_BIN_EXE_rein"))
}

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
    let missed = run(&[]);
    let stdout = String::from_utf8_lossy(&missed.stdout);
    assert_eq!(
        missed.status.code(),
        Some(2),
        "{stdout}\n{}",
        String::from_utf8_lossy(&missed.stderr)
    );
    assert!(
        stdout.contains("Constraints NOT met") && stdout.contains("barycenter"),
        "{stdout}"
    );
    // The folder holds the missed run now: replacing it needs --force.
    let refused = run(&["--accept-infeasible"]);
    assert_eq!(refused.status.code(), Some(1));
    let accepted = run(&["--accept-infeasible", "--force"]);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
    for name in [
        "config.toml",
        "metrics.json",
        "history.csv",
        "samples_swiss-roll.png",
        "samples_ring.png",
        "quality.png",
        "barycenter.png",
    ] {
        let bytes = std::fs::read(out_dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.ends_with(".png") {
            assert_eq!(&bytes[..4], b"\x89PNG", "{name}");
        }
    }
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out_dir.join("metrics.json")).unwrap())
            .unwrap();
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
