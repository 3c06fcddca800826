//! No panic on user input: every command answers a bad value with an error that names the
//! option, exit status 1, and no `panicked` message (exit 101 is a bug).

use std::process::Command;

/// Runs `rein args` in a scratch directory; returns (exit code, stderr).
fn rein(args: &[&str]) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_rein"))
        .args(args)
        .arg("--out")
        .arg(dir.path().join("run"))
        .env_remove("RUST_BACKTRACE")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn zero_widths_are_errors_naming_the_option() {
    for command in ["sparsity", "recall", "optimizers", "feasible"] {
        let (code, err) = rein(&[command, "--hidden", "0", "--steps", "2"]);
        assert_eq!(code, Some(1), "{command}: {err}");
        assert!(!err.contains("panicked"), "{command}: {err}");
        assert!(err.contains("hidden"), "{command}: {err}");
    }
}

#[test]
fn negative_numbers_are_values_not_flags() {
    // `--target -0.5` reaches validation (which names the key) instead of being parsed as an
    // unknown flag `-0`.
    let (code, err) = rein(&["sparsity", "--target", "-0.5", "--steps", "2"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("target") && err.contains("-0.5"), "{err}");
    let (code, err) = rein(&["sparsity", "--dual-lr", "-1", "--steps", "2"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("dual") && err.contains("-1"), "{err}");
}
