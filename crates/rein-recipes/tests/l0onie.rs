//! The L0onie recipe through its library API: short runs on the bundled crop, the verdict,
//! the `.rcoin` bytes, configuration errors naming their key, and the resolved configuration
//! reproducing a run bit for bit.

use rein::config::PrimalKind;
use rein::scheme::SchemeKind;
use rein_recipes::l0onie::{
    BUNDLED, GATES, L0onieConfig, L0onieOutcome, TrainGates, auto_coin_widths, load_image,
};
use rein_recipes::recipe::{from_table, from_toml_str, to_table};
use rein_recipes::{RecipeConfig, RecipeError, Silent};

/// A small gated SIREN (2 x 10: 173 parameters, 0.68 bpp dense at 64 x 64) pushed to 0.4 bpp,
/// with two COIN baselines (the configuration of the CLI's end-to-end test).
fn small() -> L0onieConfig {
    from_toml_str(
        r#"
        target_bpp = [0.4]
        steps = 150
        finetune_steps = 20
        eval_every = 10
        layers = 2
        width = 10
        coin_widths = [4, 8]
        drop_rate = 0.1
        [optimizer.dual]
        lr = 0.05
        [[optimizer.primal.groups]]
        name = "gates"
        params = ["*log_alpha"]
        lr = 0.1
        "#,
    )
    .unwrap()
}

/// The metrics without wall times.
fn without_seconds(outcome: &L0onieOutcome) -> serde_json::Value {
    let mut v = serde_json::to_value(outcome).unwrap();
    for key in ["coin", "runs"] {
        for entry in v[key].as_array_mut().unwrap() {
            entry.as_object_mut().unwrap().remove("seconds");
        }
    }
    v
}

fn key_of(e: RecipeError) -> String {
    match e {
        RecipeError::Config { key, .. } => key,
        other => panic!("expected a configuration error, got {other}"),
    }
}

#[test]
fn defaults_are_the_recipe() {
    let c = L0onieConfig::default();
    c.validate().unwrap();
    assert_eq!(c.image, BUNDLED);
    assert_eq!(c.target_bpp, vec![2.0]);
    assert_eq!(
        (c.steps, c.finetune_steps, c.eval_every, c.layers, c.width),
        (2000, 2000, 25, 3, 24)
    );
    assert_eq!(
        (c.coin_widths.clone(), c.gates),
        (None, TrainGates::Sampled)
    );
    assert_eq!((c.drop_rate, c.seed), (0.01, 0));
    let o = &c.optimizer;
    assert_eq!(o.scheme, SchemeKind::Simultaneous);
    assert_eq!((o.primal.kind, o.primal.lr), (PrimalKind::Adam, 1e-3));
    assert_eq!(o.primal.groups.len(), 1);
    assert_eq!(
        (o.primal.groups[0].name.as_str(), o.primal.groups[0].lr),
        (GATES, Some(1e-2))
    );
    assert_eq!(o.dual.lr, 5e-4);
    // An empty file is the default; a partial optimizer table keeps the recipe's groups.
    assert_eq!(from_toml_str::<L0onieConfig>("").unwrap(), c);
    let lr: L0onieConfig = from_toml_str("[optimizer.primal]\nlr = 0.002").unwrap();
    assert_eq!(lr.optimizer.primal.groups, c.optimizer.primal.groups);
    // The automatic COIN widths span the targets' rates.
    assert_eq!(auto_coin_widths(3, 4096, &[2.0, 4.0]).len(), 6);
    let img = load_image(BUNDLED).unwrap();
    assert_eq!(
        (img.height, img.width, img.data.len()),
        (64, 64, 64 * 64 * 3)
    );
}

#[test]
fn short_run_meets_its_budget_and_its_bytes_decode() {
    let config = small();
    let outcome = config.run(&mut Silent).unwrap();
    let verdict = config.verdict(&outcome);
    assert!(verdict.met, "{}", verdict.summary);
    assert_eq!(verdict, outcome.metrics.verdict);
    let m = &outcome.metrics;
    assert_eq!(
        (m.height, m.width, m.coin.len(), m.runs.len()),
        (64, 64, 2, 1)
    );
    assert!(m.coin.windows(2).all(|w| w[0].bpp <= w[1].bpp));
    let (run, out) = (&m.runs[0], &outcome.targets[0]);
    assert!(run.feasible && run.bpp > 0.0 && run.bpp <= 0.4, "{run:?}");
    assert_eq!(run.bpp, 16.0 * run.nnz as f64 / 4096.0);
    assert_eq!(run.file_bytes, out.rcoin.len() as u64);
    assert_eq!(run.file_bpp, 8.0 * out.rcoin.len() as f64 / 4096.0);
    assert_eq!(run.file, "l0onie_bpp0.4.rcoin");
    assert!(run.psnr > 5.0 && run.params == 173);
    // The bytes are a valid .rcoin file whose rendering is the reconstruction.
    let decoded = rein_coin::decode(&out.rcoin).unwrap();
    assert_eq!((decoded.height, decoded.width), (64, 64));
    assert_eq!(decoded.weights.nnz(), run.nnz);
    assert_eq!(decoded.encoding, run.encoding);
    assert_eq!(rein_coin::render(&decoded), out.reconstruction);
    assert_eq!(outcome.original, load_image(BUNDLED).unwrap());
    // One history row per step of both phases.
    assert_eq!(out.history.len(), 170);
    for column in [
        "mse",
        "strict_bpp",
        "proxy_bpp",
        "lambda",
        "psnr",
        "finetune_mse",
    ] {
        assert!(
            out.history.columns().iter().any(|c| c == column),
            "{column}"
        );
    }
    // metrics.json: the metrics and the verdict, not the bytes or the history.
    let json = serde_json::to_value(&outcome).unwrap();
    assert_eq!(json["verdict"]["met"], true);
    assert_eq!(json["runs"][0]["encoding"], run.encoding.name());
    assert!(json.get("targets").is_none() && json.get("original").is_none());
    let back: rein_recipes::l0onie::L0onieMetrics = serde_json::from_value(json).unwrap();
    assert_eq!(&back, m);
}

#[test]
fn a_missed_budget_is_a_verdict_naming_the_target() {
    // 20 steps are too few to close any gate: the model stays dense at 0.68 bpp > 0.4.
    let config = L0onieConfig {
        steps: 20,
        finetune_steps: 0,
        coin_widths: Some(vec![]),
        target_bpp: vec![0.4],
        ..small()
    };
    let outcome = config.run(&mut Silent).unwrap();
    let v = config.verdict(&outcome);
    assert!(!v.met);
    assert!(v.summary.contains("target 0.4"), "{}", v.summary);
    let run = &outcome.metrics.runs[0];
    assert!(
        !run.feasible && !run.bpp_within_claim && run.final_bpp > 0.4,
        "{run:?}"
    );
    assert!(outcome.metrics.coin.is_empty() && run.coin_psnr_at_bpp.is_none());
    // The least violating model is still written, repaired to the file budget (its smallest
    // weights dropped), and decodes; the verdict stays "not met".
    assert!(run.file_bpp <= 0.4 && run.dropped_to_fit > 0, "{run:?}");
    assert!(run.psnr_before_fit.is_some(), "{run:?}");
    rein_coin::decode(&outcome.targets[0].rcoin).unwrap();
}

#[test]
fn bad_configurations_name_their_key() {
    for (toml, key) in [
        ("target_bpp = [0.0]", "target_bpp"),
        ("target_bpp = []", "target_bpp"),
        ("target_bpp = [2.0, 2.0]", "target_bpp"),
        ("steps = 0", "steps"),
        ("steps = -3", "steps"),
        ("eval_every = 0", "eval_every"),
        ("layers = 0", "layers"),
        ("width = 0", "width"),
        ("width = 100000", "width"),
        ("coin_widths = [8, 0]", "coin_widths"),
        ("gates = \"deterministic\"", "gates"),
        ("drop_rate = 1.0", "drop_rate"),
        ("image = \"/no/such/image.png\"", "image"),
        ("widht = 3", "widht"),
        ("[optimizer.primal]\nlr = -1.0", "optimizer.primal.lr"),
        ("[optimizer.dual]\nlr = -1.0", "optimizer.dual.lr"),
    ] {
        let e = from_toml_str::<L0onieConfig>(toml).unwrap_err();
        let message = e.to_string();
        assert_eq!(key_of(e), key, "{toml}: {message}");
    }
    // A file that is not a PNG fails the run naming the key and the file.
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.png");
    std::fs::write(&notes, "not an image").unwrap();
    let config = L0onieConfig {
        image: notes.to_string_lossy().into_owned(),
        ..small()
    };
    let e = config.run(&mut Silent).unwrap_err();
    let message = e.to_string();
    assert!(
        message.contains("notes.png") && message.contains("not a PNG"),
        "{message}"
    );
    assert_eq!(key_of(e), "image");
}

#[test]
fn the_resolved_configuration_reproduces_the_run_bit_for_bit() {
    let config = L0onieConfig {
        target_bpp: vec![0.4, 0.6],
        steps: 60,
        finetune_steps: 10,
        coin_widths: Some(vec![6]),
        ..small()
    };
    let first = config.run(&mut Silent).unwrap();
    let table = to_table(&config.resolved()).unwrap();
    let again: L0onieConfig = from_table(&table).unwrap();
    assert_eq!(again, config.resolved());
    let second = again.run(&mut Silent).unwrap();
    assert_eq!(without_seconds(&first), without_seconds(&second));
    assert_eq!(first.targets, second.targets);
}
