//! Data-parallel training over real MPI: `mpirun -np 2 dp-check` (see `src/bin/dp_check.rs`).
//!
//! The test builds `dp-check` with the `mpi` feature into the workspace's own target directory
//! (cargo releases its lock once the test binaries are built) with the profile and the
//! workspace-wide feature set of `cargo test --workspace`, so that only the MPI crates and
//! `rein-dist` itself are compiled on top of what the test run already built (a separate target
//! directory used to rebuild every dependency: ~600 s on 2 cores). It then runs the binary under
//! OpenMPI's `mpirun`. Without OpenMPI it is skipped with a message, unless `REIN_REQUIRE_MPI`
//! is set (CI sets it after installing OpenMPI, so there it cannot pass by skipping).

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The `dp-check` binary, or `None` (skip) when OpenMPI is not installed.
fn dp_check() -> Option<PathBuf> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| {
        if !have("mpirun") || !have("mpicc") {
            assert!(
                std::env::var_os("REIN_REQUIRE_MPI").is_none(),
                "REIN_REQUIRE_MPI is set but OpenMPI (mpirun, mpicc) is not installed: \
                 apt-get install libopenmpi-dev openmpi-bin libclang-dev"
            );
            eprintln!("skipped: OpenMPI is not installed (apt-get install libopenmpi-dev openmpi-bin libclang-dev)");
            return None;
        }
        // The same command as the README's `cargo test --workspace` (same profile, and the
        // same feature resolution: dev-dependencies included), plus the `mpi` feature, without
        // running: every other unit is fresh, so only the MPI crates and rein-dist compile.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let output = Command::new(cargo)
            .current_dir(workspace())
            .args(["test", "--workspace", "--no-run"])
            .args(["--features", "rein-dist/mpi"])
            .args(["--message-format", "json-render-diagnostics"])
            .stderr(Stdio::inherit())
            .output()
            .expect("running cargo build for dp-check");
        assert!(output.status.success(), "building dp-check failed");
        let executable = String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            // The binary itself, not the unit-test harness built from the same file.
            .filter(|m| {
                m["reason"] == "compiler-artifact"
                    && m["target"]["name"] == "dp-check"
                    && m["profile"]["test"] == false
            })
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported no dp-check executable");
        Some(executable)
    })
    .clone()
}

/// Runs `mpirun -np 2 dp-check args`, killed after 5 minutes (a hang is a failure).
fn mpirun(args: &[&str]) -> Option<Output> {
    let bin = dp_check()?;
    let mut child = Command::new("mpirun")
        .args(["--allow-run-as-root", "--oversubscribe", "-np", "2"])
        .arg(&bin)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting mpirun");
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().expect("waiting for mpirun").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("mpirun {args:?} hung for 5 minutes");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(child.wait_with_output().expect("collecting mpirun output"))
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn two_ranks_equal_the_serial_run_in_float32() {
    for scheme in ["simultaneous", "alternating-al"] {
        let Some(out) = mpirun(&["--scheme", scheme, "--tolerance", "1e-6"]) else {
            return;
        };
        let (stdout, stderr) = text(&out);
        assert!(out.status.success(), "{scheme}: {stdout}\n{stderr}");
        assert!(stdout.contains("bitwise_identical true"), "{stdout}");
        assert!(stdout.contains("multipliers_moved true"), "{stdout}");
    }
}

#[test]
fn extragradient_equals_the_serial_run_up_to_rounding() {
    // In float32 extragradient's two evaluations per step amplify the rounding difference of
    // summing shard gradients to ~6e-6 after 40 steps; in float64 the runs agree to ~1e-15.
    let Some(out) = mpirun(&["--scheme", "extragradient", "--f64", "--tolerance", "1e-10"]) else {
        return;
    };
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("bitwise_identical true"), "{stdout}");
}

#[test]
fn distributed_shampoo_equals_the_serial_run_up_to_rounding() {
    // Each rank preconditions its own blocks; one all-gather shares the directions. In float64
    // (roots in float64, eps 1e-6) the 2-rank run equals the serial one to ~3e-14. The serial
    // run sums the batch gradient in another order, and inverse roots amplify that rounding:
    // in float32 (f32 roots) the difference reaches 7.7e-5 after 40 steps, and in float64 with
    // eps 1e-12 (near-singular factors) 1.1e-7.
    let Some(out) = mpirun(&["--scheme", "shampoo", "--f64", "--tolerance", "1e-10"]) else {
        return;
    };
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("bitwise_identical true"), "{stdout}");
}

#[test]
fn a_failing_rank_aborts_the_run_instead_of_hanging() {
    let Some(out) = mpirun(&["--fail-rank", "1", "--fail-step", "5"]) else {
        return;
    };
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("injected failure"), "{stderr}");
}

#[test]
fn mismatched_configurations_are_reported() {
    let Some(out) = mpirun(&["--mismatch"]) else {
        return;
    };
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("configuration") && stderr.contains("ranks [1] differ"),
        "{stderr}"
    );
}
