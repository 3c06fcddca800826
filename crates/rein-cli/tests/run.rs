//! `rein run`: a run's own `config.toml` reproduces it bit for bit; sweeps; `--config` with
//! flags over it; the exit status when constraints are not met.

use std::path::Path;
use std::process::{Command, Output};

fn rein(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
fn a_runs_config_toml_reproduces_it_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    let out = rein(&[
        "sparsity",
        "--quiet",
        "--steps",
        "80",
        "--target",
        "1.0",
        "--hidden",
        "32",
        "--scheme",
        "alternating-dual-primal",
        "--gate-lr",
        "0.02",
        "--out",
        a.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let config = read(&a, "config.toml");
    assert!(
        config.contains("recipe = \"sparsity\"")
            && config.contains("scheme = \"alternating-dual-primal\""),
        "{config}"
    );
    let out = rein(&[
        "run",
        a.join("config.toml").to_str().unwrap(),
        "--quiet",
        "--out",
        b.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    for f in ["metrics.json", "history.csv"] {
        assert_eq!(read(&a, f), read(&b, f), "{f} differs");
    }
    // The second run's own config equals the first's but for the output directory.
    assert_eq!(
        read(&a, "config.toml").replace(a.to_str().unwrap(), "OUT"),
        read(&b, "config.toml").replace(b.to_str().unwrap(), "OUT")
    );
}

#[test]
fn config_files_take_flags_over_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("exp.toml");
    std::fs::write(
        &file,
        "recipe = \"sparsity\"\n[config]\nsteps = 7\ntarget = 1.0\nhidden = [16]\n[config.optimizer.dual]\nlr = 0.25\n",
    )
    .unwrap();
    let out_dir = dir.path().join("o");
    let out = rein(&[
        "sparsity",
        "--quiet",
        "--config",
        file.to_str().unwrap(),
        "--steps",
        "5",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let resolved = read(&out_dir, "config.toml");
    assert!(resolved.contains("steps = 5"), "{resolved}");
    assert!(resolved.contains("lr = 0.25"), "{resolved}");
    // A bad flag value names the flag and the key.
    let out = rein(&[
        "sparsity",
        "--quiet",
        "--config",
        file.to_str().unwrap(),
        "--lr",
        "-1",
    ]);
    assert!(!out.status.success());
    let t = text(&out);
    assert!(
        t.contains("--lr") && t.contains("optimizer.primal.lr"),
        "{t}"
    );
    // A file of another recipe, or an unknown key, is an error naming the file.
    std::fs::write(&file, "recipe = \"l0onie\"\n").unwrap();
    let t = text(&rein(&["sparsity", "--config", file.to_str().unwrap()]));
    assert!(t.contains("exp.toml") && t.contains("l0onie"), "{t}");
    std::fs::write(&file, "recipe = \"sparsity\"\n[config]\nstepz = 3\n").unwrap();
    let out = rein(&["run", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(text(&out).contains("stepz"), "{}", text(&out));
}

#[test]
fn sweeps_run_every_point_and_summarise() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sweep.toml");
    let out_dir = dir.path().join("s");
    std::fs::write(
        &file,
        format!(
            "recipe = \"sparsity\"\nout = \"{}\"\n[config]\nsteps = 4\nhidden = [8]\n[sweep]\ntarget = [1.0, 0.05]\nseed = [0, 1]\n",
            out_dir.display()
        ),
    )
    .unwrap();
    let out = rein(&["run", file.to_str().unwrap(), "--quiet"]);
    // Four steps cannot reach a density of 0.05: the sweep says so and exits with status 2.
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let summary: serde_json::Value = serde_json::from_str(&read(&out_dir, "sweep.json")).unwrap();
    let runs = summary.as_array().unwrap();
    assert_eq!(runs.len(), 4);
    for r in runs {
        let label = r["label"].as_str().unwrap();
        let target = r["metrics"]["target"].as_f64().unwrap();
        assert!(label.contains(&format!("target-{target}")), "{label}");
        assert_eq!(
            r["verdict"]["met"].as_bool(),
            Some(target == 1.0),
            "{label}"
        );
        assert!(
            Path::new(r["dir"].as_str().unwrap())
                .join("config.toml")
                .exists()
        );
    }
    assert!(text(&out).contains("2 of 4 runs met"), "{}", text(&out));
}

#[test]
fn a_missed_target_is_not_a_success() {
    let dir = tempfile::tempdir().unwrap();
    let out = rein(&[
        "sparsity",
        "--quiet",
        "--steps",
        "5",
        "--target",
        "0.1",
        "--hidden",
        "8",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("Constraints NOT met"), "{}", text(&out));
    let m: serde_json::Value = serde_json::from_str(&read(dir.path(), "metrics.json")).unwrap();
    assert_eq!(m["verdict"]["met"], false);

    // --accept-infeasible: exit status 0, but the verdict is still printed and written.
    let accepted = dir.path().join("accepted");
    let out = rein(&[
        "sparsity",
        "--quiet",
        "--steps",
        "5",
        "--target",
        "0.1",
        "--hidden",
        "8",
        "--accept-infeasible",
        "--out",
        accepted.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Constraints NOT met"), "{}", text(&out));
    let m: serde_json::Value = serde_json::from_str(&read(&accepted, "metrics.json")).unwrap();
    assert_eq!(m["verdict"]["met"], false);
}

#[test]
fn bad_numbers_reach_validation() {
    for (args, needle) in [
        (&["sparsity", "--target", "-0.5"][..], "--target"),
        (&["sparsity", "--hidden", "0"][..], "--hidden"),
        (&["sparsity", "--gate-lr", "-1"][..], "--gate-lr"),
        (&["sparsity", "--dual-lr", "nan"][..], "--dual-lr"),
    ] {
        let out = rein(args);
        assert!(!out.status.success(), "{args:?}");
        let t = text(&out);
        assert!(
            t.contains(needle) && !t.contains("panicked"),
            "{args:?}: {t}"
        );
    }
}
