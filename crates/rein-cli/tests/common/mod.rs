//! Helpers shared by the CLI end-to-end tests (`mod common;` in a test file).
#![allow(dead_code)] // each test binary uses its own subset

use std::path::Path;
use std::process::{Command, Output};

/// The `rein` binary of this build, with `RUST_BACKTRACE` unset so that errors read as a user
/// sees them.
pub fn rein() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rein"));
    c.env_remove("RUST_BACKTRACE");
    c
}

/// The missed-claim flow of a recipe command, with `run(extra_flags)` running it into one
/// output folder: the first run misses its claim (exit 2, "Constraints NOT met" and every
/// string of `says` on stdout); a second run with `--accept-infeasible` is refused because the
/// folder holds the missed run (exit 1); with `--force` as well it succeeds.
pub fn missed_refused_then_forced(run: impl Fn(&[&str]) -> Output, says: &[&str]) {
    let missed = run(&[]);
    let stdout = String::from_utf8_lossy(&missed.stdout);
    assert_eq!(
        missed.status.code(),
        Some(2),
        "{stdout}\n{}",
        String::from_utf8_lossy(&missed.stderr)
    );
    assert!(stdout.contains("Constraints NOT met"), "{stdout}");
    for s in says {
        assert!(stdout.contains(s), "missing {s:?} in {stdout}");
    }
    let refused = run(&["--accept-infeasible"]);
    assert_eq!(refused.status.code(), Some(1));
    let accepted = run(&["--accept-infeasible", "--force"]);
    assert!(
        accepted.status.success(),
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );
}

/// Every file of `names` exists in `dir`; the `.png` ones start with the PNG signature.
pub fn assert_reports_written(dir: &Path, names: &[&str]) {
    for name in names {
        let bytes = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.ends_with(".png") {
            assert_eq!(&bytes[..4], b"\x89PNG", "{name}");
        }
    }
}

/// `dir/metrics.json`, parsed.
pub fn metrics(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}
