//! Crash-safe runs through the API: a run interrupted mid-phase (a panic from its progress
//! reporter, after the session's last checkpoint) and resumed from its checkpoint returns the
//! uninterrupted run's outcome exactly: metrics and every history value. One test per recipe
//! that checkpoints; the CLI test (rein-cli tests/resume.rs) kills real processes.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use rein_recipes::fairness::FairnessConfig;
use rein_recipes::feasible::FeasibleConfig;
use rein_recipes::l0onie::L0onieConfig;
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
/// The outcome as JSON with its history CSV.
fn with_history<O: serde::Serialize>(o: &O, history: &rein_recipes::History) -> String {
    format!(
        "{}\n{}",
        serde_json::to_string(o).unwrap(),
        history.to_csv()
    )
}

/// Runs `config` uninterrupted, then crashed after each of `crash_after` steps and resumed;
/// the outcomes' `fingerprint`s (everything but wall times) must agree exactly.
fn check<C: RecipeConfig>(
    config: &C,
    crash_after: &[u64],
    fingerprint: impl Fn(&C::Outcome) -> String,
) {
    let full = config.run(&mut Silent).unwrap();
    let want = fingerprint(&full);
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
        let got = fingerprint(&resumed);
        if got != want {
            let (g, w) = (got.replace("\\n", "\n"), want.replace("\\n", "\n"));
            let line = g
                .lines()
                .zip(w.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            let show = |t: &str| t.lines().skip(line).take(2).collect::<Vec<_>>().join(" | ");
            panic!(
                "crash after {k}: outcomes differ from line {line}:\n resumed: {}\n   whole: {}",
                show(&g),
                show(&w)
            );
        }
    }
}

#[test]
fn sparsity_resumes_exactly_in_either_phase() {
    let config: SparsityConfig = from_toml_str("steps = 40\ndense = true\nhidden = [16]").unwrap();
    // Gated phase (checkpoint at 35), at its end, and in the dense phase.
    check(&config, &[37, 40, 52], |o| with_history(o, &o.history));
}

#[test]
fn recall_resumes_exactly_in_either_phase() {
    let config: RecallConfig = from_toml_str("steps = 30\nhidden = [16]").unwrap();
    check(&config, &[10, 45], |o| with_history(o, &o.history));
}

#[test]
fn feasible_resumes_exactly() {
    let config: FeasibleConfig =
        from_toml_str("steps = 40\neval_every = 10\n[data]\ndataset = \"moons\"").unwrap();
    check(&config, &[15, 33], |o| with_history(o, &o.history));
}

#[test]
fn l0onie_resumes_exactly_in_a_coin_baseline_the_constrained_phase_and_the_fine_tuning() {
    let config: L0onieConfig = from_toml_str(
        r#"
        target_bpp = [0.4]
        steps = 40
        finetune_steps = 20
        eval_every = 5
        layers = 2
        width = 10
        coin_widths = [4]
        [optimizer.dual]
        lr = 0.05
        "#,
    )
    .unwrap();
    // The wall-clock seconds differ from run to run; everything else must not.
    let timeless = |o: &rein_recipes::l0onie::L0onieOutcome| {
        let mut m = o.metrics.clone();
        m.coin.iter_mut().for_each(|c| c.seconds = 0.0);
        m.runs.iter_mut().for_each(|r| r.seconds = 0.0);
        let histories: Vec<String> = o.targets.iter().map(|t| t.history.to_csv()).collect();
        let files: Vec<&[u8]> = o.targets.iter().map(|t| t.rcoin.as_slice()).collect();
        format!(
            "{}\n{histories:?}\n{files:?}",
            serde_json::to_string(&m).unwrap()
        )
    };
    // COIN runs 60 steps, then the constrained phase 40 and the fine-tuning 20.
    check(&config, &[30, 75, 111], timeless);
}

#[test]
fn fairness_resumes_exactly_in_training_pruning_and_each_fine_tuning() {
    let config: FairnessConfig = from_toml_str(
        r#"
        dataset = "mixture"
        method = "all"
        dense_steps = 30
        prune_steps = 30
        prune_every = 7
        finetune_steps = 25
        buffer = 16
        "#,
    )
    .unwrap();
    // Dense 1-30, pruning 31-60, CEAG 61-85, NFT 86-110, EL 111-135.
    check(&config, &[20, 50, 75, 100, 130], |o| {
        let histories: Vec<String> = o.histories.iter().map(|(_, h)| h.to_csv()).collect();
        format!("{}\n{histories:?}", serde_json::to_string(o).unwrap())
    });
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
