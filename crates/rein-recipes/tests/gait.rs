//! The GAIT recipe through its API, on a small configuration (seconds): both generators train
//! (their losses fall), the figures and the verdict are filled in, the right-sided barycenter
//! lands on the arithmetic mean and the left-sided one beats it on its own objective; bad
//! values name their key; the resolved configuration reproduces the run.

use rein_recipes::gait::{GaitConfig, GeneratorLoss, TwoDim};
use rein_recipes::recipe::{from_toml_str, to_table};
use rein_recipes::{RecipeConfig, RecipeError, Silent};

fn small() -> GaitConfig {
    GaitConfig {
        steps: 80,
        batch_size: 64,
        hidden: vec![32, 32],
        lr: 5e-3,
        train_samples: 512,
        eval_samples: 256,
        divergence_eval_samples: 128,
        eval_every: 40,
        barycenter_images: 4,
        barycenter_steps: 400,
        barycenter_lr: 0.05,
        barycenter_tolerance: 0.05,
        ..GaitConfig::default()
    }
}

#[test]
fn small_run_trains_both_generators_and_finds_the_barycenters() {
    let config = small();
    let outcome = config.run(&mut Silent).unwrap();
    let m = &outcome.metrics;
    assert_eq!(m.comparisons.len(), 2);
    assert_eq!(m.comparisons[0].dataset, TwoDim::SwissRoll);
    assert_eq!(m.comparisons[1].dataset, TwoDim::Ring);
    for c in &m.comparisons {
        assert_eq!(c.gait.loss, GeneratorLoss::Gait);
        assert_eq!(c.mmd.loss, GeneratorLoss::Mmd);
        for f in [&c.gait, &c.mmd] {
            assert!(f.gait_divergence > 0.0 && f.mmd_squared > 0.0, "{f:?}");
            assert!(f.headline.is_finite() && f.headline > 0.0);
        }
        assert_eq!(
            c.gait_at_least_as_good,
            c.gait.headline <= c.mmd.headline
                && c.gait.quality.modes_covered >= c.mmd.quality.modes_covered
        );
        // Both losses fall: the first logged loss is above the mean of the last 10 %.
        for f in [&c.gait, &c.mmd] {
            let column = format!("{}_{}", c.dataset.name(), f.loss.name());
            let first = outcome.history.get(0, &column).unwrap();
            assert!(
                f.final_loss < first,
                "{column}: {first} -> {}",
                f.final_loss
            );
        }
    }
    let ring = &m.comparisons[1].gait.quality;
    assert_eq!(ring.modes, Some(8));
    assert!(m.comparisons[0].gait.quality.modes.is_none());
    let b = m.barycenter.as_ref().unwrap();
    assert!(
        b.right_max_deviation_from_mean <= 0.05 * b.mean_max_pixel,
        "{b:?}"
    );
    assert!(
        b.left_objective_at_barycenter < b.left_objective_at_mean,
        "{b:?}"
    );
    assert!(
        b.right_objective_at_mean <= b.right_objective_at_barycenter + 1e-6,
        "{b:?}"
    );
    let images = outcome.barycenter_images.as_ref().unwrap();
    assert_eq!(images.inputs.len(), 4);
    assert!((images.left.iter().sum::<f64>() - 1.0).abs() < 1e-4);
    assert_eq!(outcome.samples[1].gait.len(), 256);
    assert!(m.verdict.summary.contains("swiss-roll") && m.verdict.summary.contains("barycenter"));
    let json = serde_json::to_value(&outcome).unwrap();
    assert!(json["comparisons"][1]["gait"]["quality"]["modes_covered"].is_number());

    // The resolved configuration reproduces the run bit for bit.
    let text = toml::to_string(&to_table(&config).unwrap()).unwrap();
    let again: GaitConfig = from_toml_str(&text).unwrap();
    assert_eq!(again, config);
    let rerun = again.run(&mut Silent).unwrap();
    assert_eq!(rerun.metrics, outcome.metrics);
}

#[test]
fn bad_values_name_their_key() {
    let key = |toml: &str| match from_toml_str::<GaitConfig>(toml).unwrap_err() {
        RecipeError::Config { key, .. } => key,
        other => panic!("{other}"),
    };
    assert_eq!(key("sigma = 0.0"), "sigma");
    assert_eq!(key("gait_loss = \"mmd\""), "gait_loss");
    assert_eq!(key("gait_loss = \"kl\""), "gait_loss");
    assert_eq!(key("datasets = [\"ring\", \"ring\"]"), "datasets");
    assert_eq!(key("datasets = [\"moons\"]"), "datasets");
    assert_eq!(key("barycenter_digit = 12"), "barycenter_digit");
    assert_eq!(key("hidden = []"), "hidden");
    assert_eq!(key("train_samples = 10"), "train_samples");
    assert_eq!(
        key("divergence_eval_samples = 5000"),
        "divergence_eval_samples"
    );
    assert_eq!(key("datasets = []\nbarycenter_images = 0"), "datasets");
    assert_eq!(key("colour = 1"), "colour");
    // Too many images of one digit: the error says how many there are.
    let config = GaitConfig {
        datasets: vec![],
        barycenter_images: 1000,
        ..GaitConfig::default()
    };
    match config.run(&mut Silent).unwrap_err() {
        RecipeError::Config { key, reason } => {
            assert_eq!(key, "barycenter_images");
            assert!(reason.contains("only"), "{reason}");
        }
        other => panic!("{other}"),
    }
}
