//! The fairness recipe through the library API: configuration errors name their key, the
//! three methods share one dense and pruned model, pruning reaches its target with the first
//! and last layers dense, and on the two-population mixture CEAG meets the bound on the
//! training set where naive fine-tuning does not.

use rein_recipes::fairness::{
    FairnessConfig, FairnessDataset, GroupsBy, Method, MethodChoice, TOLERANCE, run,
};
use rein_recipes::recipe::from_toml_str;
use rein_recipes::{RecipeConfig, RecipeError, Silent};

fn key_of(e: RecipeError) -> String {
    match e {
        RecipeError::Config { key, .. } => key,
        other => panic!("not a configuration error: {other}"),
    }
}

#[test]
fn bad_values_name_their_key() {
    assert!(FairnessConfig::default().validate().is_ok());
    let cases: [(&str, &str); 8] = [
        ("sparsity = 1.0", "sparsity"),
        ("eps = -0.1", "eps"),
        ("buffer = 0", "buffer"),
        ("hidden = [32]", "hidden"),
        ("groups = \"sex\"", "groups"),
        ("dataset = \"mixture\"\nmixture.std = -1.0", "mixture.std"),
        (
            "[optimizer.constraints.recall]\ndual_restarts = true",
            "optimizer.constraints.recall",
        ),
        ("methd = \"ceag\"", "methd"),
    ];
    for (text, key) in cases {
        let e = from_toml_str::<FairnessConfig>(text).unwrap_err();
        assert_eq!(key_of(e), key, "{text}");
    }
    let e = from_toml_str::<FairnessConfig>("method = \"fair\"").unwrap_err();
    assert!(e.to_string().contains("method"), "{e}");
}

#[test]
fn resolved_configuration_names_the_groups() {
    let c = FairnessConfig {
        dataset: FairnessDataset::Mixture,
        ..FairnessConfig::default()
    };
    assert_eq!(c.resolved().groups, GroupsBy::Population);
    assert_eq!(FairnessConfig::default().resolved().groups, GroupsBy::Class);
}

/// The mixture claim configuration (experiments/fairness_mixture.toml), seed 0.
fn mixture_claim() -> FairnessConfig {
    from_toml_str(
        r#"
dataset = "mixture"
method = "all"
sparsity = 0.98
finetune_steps = 1500
mixture.std = 1.5
optimizer.dual.lr = 0.3
[optimizer.constraints.equal-loss]
dual = { kind = "sgd", lr = 0.02 }
"#,
    )
    .unwrap()
}

#[test]
fn ceag_meets_the_bound_where_naive_fine_tuning_does_not() {
    let config = mixture_claim();
    let o = run(&config, &mut Silent).unwrap();
    let m = &o.metrics;
    assert_eq!(m.group_names, vec!["majority", "minority"]);
    let minority_share = m.group_sizes[1] as f64 / m.group_sizes.iter().sum::<usize>() as f64;
    assert!((minority_share - 0.1).abs() < 0.01, "{minority_share}");
    assert_eq!(
        m.runs.iter().map(|r| r.method).collect::<Vec<_>>(),
        Method::ALL.to_vec()
    );
    let ceag = o.run(Method::Ceag).unwrap();
    let nft = o.run(Method::Nft).unwrap();
    let el = o.run(Method::El).unwrap();
    // Pruning: the middle layer at the target, the first and last dense, for every method.
    for r in [ceag, nft, el] {
        assert_eq!(r.layer_sparsity.len(), 3);
        assert_eq!(r.layer_sparsity[0], 0.0);
        assert_eq!(r.layer_sparsity[2], 0.0);
        assert!(
            (r.layer_sparsity[1] - 0.98).abs() < 1e-3,
            "{:?}",
            r.layer_sparsity
        );
        assert_eq!(r.train.group_accuracy.len(), 2);
    }
    // Pruning hurt the minority more than the model as a whole.
    assert!(m.pruned.train.max_excess_gap > config.eps);
    assert!(m.pruned.train.excess_gap[1] > m.pruned.train.excess_gap[0]);
    // The claim: CEAG within eps + tolerance on the training set, NFT beyond eps, at
    // comparable overall accuracy (within 2 points).
    let bound = config.eps + TOLERANCE;
    assert!(
        ceag.met && ceag.train.max_excess_gap <= bound,
        "{:?}",
        ceag.train
    );
    assert!(nft.train.max_excess_gap > config.eps, "{:?}", nft.train);
    assert!(ceag.train.accuracy >= nft.train.accuracy - 0.02);
    assert!(m.verdict.met, "{}", m.verdict.summary);
    // Multipliers: one per group for the constrained methods, none for NFT.
    assert_eq!(ceag.multipliers.len(), 2);
    assert!(ceag.multipliers.iter().all(|&l| l >= 0.0));
    assert!(nft.multipliers.is_empty());
    assert_eq!(el.multipliers.len(), 2);
    // psi_g = Delta_g - Delta, by definition.
    for r in [ceag, nft, el] {
        for g in 0..2 {
            let psi = r.train.group_gap[g] - r.train.overall_gap;
            assert!((psi - r.train.excess_gap[g]).abs() < 1e-12);
        }
    }
    // One history per method, each with the shared phases first.
    assert_eq!(o.histories.len(), 3);
    let steps = config.dense_steps + config.prune_steps + config.finetune_steps;
    for (_, h) in &o.histories {
        assert_eq!(h.len(), steps);
    }
}

#[test]
fn one_method_equals_its_part_of_all() {
    // Sharing the dense and pruning phases: NFT alone is NFT within `all`, bit for bit.
    let small = |method| FairnessConfig {
        method,
        dense_steps: 200,
        prune_steps: 100,
        finetune_steps: 100,
        ..FairnessConfig::default()
    };
    let all = run(&small(MethodChoice::All), &mut Silent).unwrap();
    let nft = run(&small(MethodChoice::Nft), &mut Silent).unwrap();
    assert_eq!(nft.metrics.runs.len(), 1);
    assert_eq!(all.run(Method::Nft), nft.run(Method::Nft));
    assert_eq!(all.metrics.dense, nft.metrics.dense);
    assert!(nft.metrics.verdict.summary.starts_with("nft"));
    assert_eq!(all.metrics.group_names.len(), 10);
}
