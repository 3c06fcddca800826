//! Crash-safe runs through the API: a run interrupted mid-phase (a panic from its progress
//! reporter, after the session's last checkpoint) and resumed from its checkpoint returns the
//! uninterrupted run's outcome exactly: metrics and every history value. One test per recipe
//! that checkpoints; the CLI test (rein-cli tests/resume.rs) kills real processes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rein_recipes::feasible::FeasibleConfig;
use rein_recipes::recall::RecallConfig;
use rein_recipes::recipe::from_toml_str;
use rein_recipes::sparsity::SparsityConfig;
use rein_recipes::{Progress, RecipeConfig, Session, Silent};

/// Panics after `left` steps (over all phases): the run dies like a killed process, leaving
/// only what its session wrote.
struct Crash {
    left: u64,
}

impl Progress for Crash {
    fn step(&mut self) {
        self.left -= 1;
        if self.left == 0 {
            panic!("simulated crash");
        }
    }
}

fn session<C: RecipeConfig>(dir: &Path, config: &C, resume: bool) -> Session {
    let text = toml::to_string(&config.resolved()).unwrap();
    if resume {
        Session::resume(dir, 7, C::NAME, &text).unwrap()
    } else {
        Session::create(dir, 7, C::NAME, &text)
    }
}

/// Runs `config` uninterrupted, then crashed after each of `crash_after` steps and resumed;
/// the outcomes (as JSON, with the history CSV) must agree exactly.
fn check<C: RecipeConfig>(
    config: &C,
    crash_after: &[u64],
    history: impl Fn(&C::Outcome) -> String,
) {
    let full = config.run(&mut Silent).unwrap();
    let want = (serde_json::to_string(&full).unwrap(), history(&full));
    for &k in crash_after {
        let dir = tempfile::tempdir().unwrap();
        let crashed = catch_unwind(AssertUnwindSafe(|| {
            config.run_in(
                &mut session(dir.path(), config, false),
                &mut Crash { left: k },
            )
        }));
        assert!(crashed.is_err(), "no crash after {k} steps");
        assert!(
            dir.path().join("checkpoint.safetensors").exists(),
            "no checkpoint after {k} steps"
        );
        let resumed = config
            .run_in(&mut session(dir.path(), config, true), &mut Silent)
            .unwrap();
        let got = (serde_json::to_string(&resumed).unwrap(), history(&resumed));
        assert!(
            got.0 == want.0,
            "crash after {k}: metrics differ\n{}\n{}",
            got.0,
            want.0
        );
        assert!(got.1 == want.1, "crash after {k}: history differs");
    }
}

#[test]
fn sparsity_resumes_exactly_in_either_phase() {
    let config: SparsityConfig = from_toml_str("steps = 40\ndense = true\nhidden = [16]").unwrap();
    // Gated phase (checkpoint at 35), at its end, and in the dense phase.
    check(&config, &[37, 40, 52], |o| o.history.to_csv());
}

#[test]
fn recall_resumes_exactly_in_either_phase() {
    let config: RecallConfig = from_toml_str("steps = 30\nhidden = [16]").unwrap();
    check(&config, &[10, 45], |o| o.history.to_csv());
}

#[test]
fn feasible_resumes_exactly() {
    let config: FeasibleConfig =
        from_toml_str("steps = 40\neval_every = 10\n[data]\ndataset = \"moons\"").unwrap();
    check(&config, &[15, 33], |o| o.history.to_csv());
}

#[test]
fn resuming_with_another_configuration_is_refused() {
    let config: RecallConfig = from_toml_str("steps = 20\nhidden = [8]").unwrap();
    let dir = tempfile::tempdir().unwrap();
    config
        .run_in(&mut session(dir.path(), &config, false), &mut Silent)
        .unwrap();
    let other = RecallConfig {
        steps: 21,
        ..config.clone()
    };
    let text = toml::to_string(&other.resolved()).unwrap();
    let err = Session::resume(dir.path(), 7, RecallConfig::NAME, &text).unwrap_err();
    assert!(err.to_string().contains("another configuration"), "{err}");
    let err = Session::resume(dir.path(), 7, "sparsity", &text).unwrap_err();
    assert!(err.to_string().contains("recipe `recall`"), "{err}");
}
