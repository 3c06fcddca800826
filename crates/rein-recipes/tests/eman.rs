//! The EMAN recipe on built-in meshes (no fetched data): a short run reports both models'
//! accuracies, EMAN's are the same on canonical and transformed copies (exact invariance),
//! and bad configurations name their key.

use rein_recipes::eman::{EmanConfig, load_mesh, run};
use rein_recipes::recipe::from_toml_str;
use rein_recipes::{RecipeConfig, Silent};

fn small() -> EmanConfig {
    EmanConfig {
        meshes: vec!["builtin:bumpy".into()],
        vertices: 120,
        segments: 3,
        steps: 30,
        channels: 4,
        layers: 2,
        baseline_width: 8,
        test_copies: 2,
        ..EmanConfig::default()
    }
}

#[test]
fn smoke_run_reports_both_models() {
    let outcome = run(&small(), &mut Silent).unwrap();
    let m = &outcome.metrics;
    assert_eq!(m.meshes.len(), 1);
    assert!(m.meshes[0].1 <= 120 && m.meshes[0].1 > 60);
    for a in [&m.eman, &m.baseline] {
        for v in [a.train, a.canonical_test, a.transformed_test] {
            assert!((0.0..=1.0).contains(&v), "{a:?}");
        }
        assert!(a.final_loss.is_finite());
    }
    // The transformed copies are the canonical test copies moved and EMAN is invariant: the
    // accuracies agree up to float32 rounding flipping a near-tie (1 vertex = 1/240).
    assert!(m.eman.drop().abs() <= 0.01, "{:?}", m.eman);
    assert_eq!(outcome.history.len(), 30);
    assert_eq!(outcome.renderings.len(), 1);
    assert!(!m.verdict.summary.is_empty());
}

#[test]
fn bad_configurations_name_their_key() {
    let e = from_toml_str::<EmanConfig>("segments = 1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("segments"), "{e}");
    let e = from_toml_str::<EmanConfig>("meshes = [\"builtin:cube\"]")
        .unwrap_err()
        .to_string();
    assert!(e.contains("meshes") && e.contains("builtin:bumpy"), "{e}");
    let e = from_toml_str::<EmanConfig>("lr = -1.0")
        .unwrap_err()
        .to_string();
    assert!(e.contains("lr"), "{e}");
    assert!(EmanConfig::default().validate().is_ok());
}

#[test]
fn missing_meshes_tell_the_fetch_command() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_mesh("elephant", dir.path()).unwrap_err().to_string();
    assert!(
        e.contains("elephant.off") && e.contains("rein data fetch meshes"),
        "{e}"
    );
    let bad = dir.path().join("bad.off");
    std::fs::write(&bad, "OFF\n3 1 0\n0 0 0\n1 0 0\n0 1 0\n3 0 1 7\n").unwrap();
    let e = load_mesh(bad.to_str().unwrap(), dir.path())
        .unwrap_err()
        .to_string();
    assert!(e.contains("bad.off:6") && e.contains("out of range"), "{e}");
}
