//! The Feasible Learning recipe through its API: on the digits the fraction of feasible
//! samples rises from almost none to almost all and the verdict says so; bad values name their
//! key; a run's resolved configuration reproduces it bit for bit; the problem drives a loop of
//! one's own.

use rein::config::OptimizerConfig;
use rein::{ConstrainedOptimizer, Constraint};
use rein_nn::{Batcher, Digits, MlpConfig};
use rein_recipes::data::DatasetName;
use rein_recipes::feasible::{
    FEASIBLE, FeasibleConfig, FeasibleProblem, Method, default_optimizer, epsilon,
    feasible_fraction,
};
use rein_recipes::recipe::{from_table, from_toml_str, to_table};
use rein_recipes::{RecipeConfig, RecipeError, Silent};

#[test]
fn fraction_feasible_rises_far_above_the_initial_one() {
    let config = FeasibleConfig::default();
    let outcome = config.run(&mut Silent).unwrap();
    let m = &outcome.metrics;
    let f = &m.figures;
    assert_eq!(m.samples, 1438);
    assert_eq!(f.seen, m.samples, "1000 steps of 128 see every sample");
    assert!(m.initial_feasible_train < 0.05, "{m:?}");
    assert!(
        f.feasible_seen >= 0.99,
        "only {} of the seen samples feasible",
        f.feasible_seen
    );
    assert!(f.ce_mean_train < m.eps && f.multiplier_positive_seen > 0.0);
    assert!(m.test_accuracy > 0.9, "{m:?}");

    let verdict = config.verdict(&outcome);
    assert!(verdict.met, "{}", verdict.summary);
    let pct = format!("{:.2} %", 100.0 * f.feasible_train);
    assert!(verdict.summary.contains(&pct), "{}", verdict.summary);

    // History: the initial evaluation at step 0, then one row per step; the training-set
    // fraction every `eval_every` steps and at the end.
    let h = &outcome.history;
    assert_eq!(h.len(), 1 + config.steps);
    assert_eq!(h.get(0, "train_feasible"), Some(m.initial_feasible_train));
    let evaluated = h.series("train_feasible");
    assert_eq!(evaluated.len(), 1 + config.steps / config.eval_every);
    assert_eq!(h.last("train_feasible"), Some(f.feasible_train));
    assert!(h.series("multiplier_mean").iter().all(|&(_, v)| v >= 0.0));
    assert_eq!(h.series("batch_feasible").len(), config.steps);
}

#[test]
fn a_short_run_misses_the_target_and_says_so() {
    let config: FeasibleConfig = from_toml_str("steps = 5\neval_every = 0").unwrap();
    let outcome = config.run(&mut Silent).unwrap();
    let f = &outcome.metrics.figures;
    assert_eq!(
        f.seen,
        5 * 128,
        "5 batches of 128 do not cover 1438 samples"
    );
    let verdict = config.verdict(&outcome);
    assert!(!verdict.met);
    assert!(verdict.summary.contains("< 99.00 %"), "{}", verdict.summary);
    // eval_every = 0: the training-set fraction before and after only.
    assert_eq!(outcome.history.series("train_feasible").len(), 2);
}

fn key_of(text: &str) -> String {
    match from_toml_str::<FeasibleConfig>(text) {
        Err(RecipeError::Config { key, .. }) => key,
        other => panic!("{text}: expected a configuration error, got {other:?}"),
    }
}

#[test]
fn bad_values_name_their_key() {
    assert_eq!(key_of("p = 1.0"), "p");
    assert_eq!(key_of("p = 0.0"), "p");
    assert_eq!(key_of("hidden = [0]"), "hidden");
    assert_eq!(key_of("hidden = []"), "hidden");
    assert_eq!(
        key_of("min_feasible_fraction = 1.5"),
        "min_feasible_fraction"
    );
    assert_eq!(key_of("steps = 0"), "steps");
    assert_eq!(key_of("batch_size = 0"), "batch_size");
    assert_eq!(key_of("[data]\ndataset = \"cifar\""), "data.dataset");
    assert_eq!(key_of("[optimizer.dual]\nlr = -1.0"), "optimizer.dual.lr");
    assert_eq!(
        key_of("[optimizer.constraints.recall]\ndual_restarts = true"),
        "optimizer.constraints.recall"
    );
    // A batch larger than the data set is found at run time, still naming the key.
    let config: FeasibleConfig = from_toml_str("batch_size = 5000").unwrap();
    match config.run(&mut Silent) {
        Err(RecipeError::Config { key, .. }) => assert_eq!(key, "batch_size"),
        other => panic!("expected a batch_size error, got {other:?}"),
    }
    // MNIST that was not fetched: an error naming the command that fetches it.
    let config: FeasibleConfig =
        from_toml_str("[data]\ndataset = \"mnist\"\ndir = \"/nonexistent\"").unwrap();
    let e = config.run(&mut Silent).unwrap_err().to_string();
    assert!(e.contains("rein data fetch mnist"), "{e}");
}

#[test]
fn hidden_defaults_by_data_set_and_is_written_out() {
    let digits = FeasibleConfig::default();
    assert_eq!(digits.hidden, None);
    assert_eq!(digits.resolved().hidden, Some(vec![128, 64]));
    let mnist: FeasibleConfig = from_toml_str("[data]\ndataset = \"mnist\"").unwrap();
    assert_eq!(mnist.data.dataset, DatasetName::Mnist);
    assert_eq!(mnist.resolved().hidden, Some(vec![300, 100]));
    assert_eq!(mnist.eps(), epsilon(0.6));
}

#[test]
fn resolved_config_reproduces_the_metrics_bit_for_bit() {
    let config: FeasibleConfig =
        from_toml_str("steps = 80\nseed = 3\nhidden = [32]\neval_every = 20").unwrap();
    let first = config.run(&mut Silent).unwrap();
    let text = toml::to_string(&to_table(&config.resolved()).unwrap()).unwrap();
    let table: toml::Table = toml::from_str(&text).unwrap();
    let again: FeasibleConfig = from_table(&table).unwrap();
    assert_eq!(again, config.resolved());
    let second = again.run(&mut Silent).unwrap();
    assert_eq!(first.metrics, second.metrics);
    assert_eq!(first.history.to_csv(), second.history.to_csv());
}

#[test]
fn the_problem_drives_a_loop_of_ones_own() {
    // The per-sample problem with a configured optimizer, as `rein-bench feasible` uses it.
    let device = rein::device::DeviceKind::Flex.open().unwrap().autodiff();
    let split = Digits::load_bundled().unwrap().split(0.2, 0).unwrap();
    let train = split.train;
    let eps = epsilon(0.6);
    let mut model = MlpConfig::new(train.d, vec![64], train.classes).init(0, &device);
    let mut problem = FeasibleProblem::new(train.clone(), eps, &device);
    let constraint: Constraint = problem.constraint();
    let mut opt = OptimizerConfig::build(&default_optimizer(), [constraint]).unwrap();
    let before = feasible_fraction(&problem.losses(&model, &device).unwrap(), eps);
    let mut batcher = Batcher::new(train.n, 128, 0).unwrap();
    for _ in 0..200 {
        let batch = batcher.next_batch();
        let report = opt.step(&mut problem, &mut model, &batch.indices).unwrap();
        // Only the batch's multipliers are observed, one per sample.
        assert_eq!(report.constraint(FEASIBLE).unwrap().indices, batch.indices);
    }
    let lambda = opt
        .constraints()
        .get(FEASIBLE)
        .unwrap()
        .multipliers()
        .unwrap();
    assert_eq!(lambda.len(), train.n);
    assert!(lambda.iter().all(|&l| l >= 0.0));
    let after = feasible_fraction(&problem.losses(&model, &device).unwrap(), eps);
    assert!(after > before + 0.5, "feasible {before} -> {after}");
}

fn moons(text: &str) -> FeasibleConfig {
    from_toml_str(&format!("{text}\n[data]\ndataset = \"moons\"")).unwrap()
}

#[test]
fn fl_on_two_moons_makes_almost_every_sample_feasible() {
    let mut config = moons("");
    config.steps = 600;
    config.eval_every = 0;
    assert_eq!(config.resolved().hidden, Some(vec![70, 70]));
    let outcome = config.run(&mut Silent).unwrap();
    let m = &outcome.metrics;
    assert_eq!(m.samples, 512);
    assert_eq!(m.method, Method::Fl);
    assert!(m.figures.feasible_train >= 0.97, "{m:?}");
    assert!(m.test_accuracy > 0.95, "{m:?}");
    // The outcome carries the per-sample figures the CLI draws.
    assert_eq!(outcome.losses.len(), 512);
    assert_eq!(outcome.multipliers.len(), 512);
    assert_eq!(outcome.flipped, vec![false; 512]);
    let d = &m.distribution;
    assert!(d.ce_p50_train <= d.ce_p90_train && d.ce_p90_train <= d.ce_p99_train);
    assert!(d.ce_p99_train <= m.figures.ce_max_train);
    assert!(d.relaxation_max.is_none() && d.flip_auc_multipliers.is_none());
    assert_eq!(
        d.multiplier_max,
        outcome.multipliers.iter().copied().fold(0.0, f64::max)
    );
}

#[test]
fn erm_and_cserm_train_without_multipliers() {
    for method in [Method::Erm, Method::Cserm] {
        let mut config = moons("steps = 150\neval_every = 0");
        config.method = method;
        let outcome = config.run(&mut Silent).unwrap();
        let m = &outcome.metrics;
        assert_eq!(m.method, method);
        assert!(outcome.multipliers.is_empty());
        assert_eq!(m.distribution.multiplier_max, 0.0);
        assert!(
            m.figures.feasible_train > m.initial_feasible_train + 0.3,
            "{method:?}: {m:?}"
        );
        let h = &outcome.history;
        let loss = h.series("loss");
        assert_eq!(loss.len(), config.steps);
        assert!(
            loss.last().unwrap().1 < loss[0].1,
            "{method:?}: loss did not fall"
        );
        assert_eq!(h.series("batch_feasible").len(), config.steps);
        assert!(h.series("multiplier_mean").is_empty());
    }
}

#[test]
fn rfl_multipliers_stay_under_the_decayed_bound_and_report_u() {
    let config = moons("method = \"rfl\"\nrfl_decay = 1.0\nsteps = 300\neval_every = 0");
    let outcome = config.run(&mut Silent).unwrap();
    let d = &outcome.metrics.distribution;
    let w = 1.0;
    let max = d.multiplier_max;
    assert!(max > 0.0, "{d:?}");
    assert_eq!(d.relaxation_max, Some(w * max));
    assert_eq!(d.relaxation_mean, Some(w * d.multiplier_mean));
    // eta w = 1: no multiplier ever exceeds the largest violation a dual step saw, over w.
    let run_bound = d.rfl_lambda_bound_run.unwrap();
    assert!(max <= run_bound, "max lambda {max} vs bound {run_bound}");
    let seen_max = outcome
        .history
        .series("batch_violation_max")
        .iter()
        .fold(0.0f64, |a, &(_, v)| a.max(v));
    assert_eq!(run_bound, seen_max / w);
    // Each multiplier is pulled towards (CE_i - eps)_+ / w under the final model too.
    let bound = d.rfl_lambda_bound.unwrap();
    assert!(
        max <= 1.5 * bound.max(0.05),
        "max lambda {max} vs bound {bound}"
    );

    // The same run as FL reaches larger multipliers: the decay bounds them.
    let fl = moons("steps = 300\neval_every = 0")
        .run(&mut Silent)
        .unwrap();
    assert!(fl.metrics.distribution.multiplier_max > max, "{d:?}");
}

#[test]
fn label_noise_flips_rows_and_the_multipliers_flag_them() {
    let config: FeasibleConfig =
        from_toml_str("label_noise = 0.05\nsteps = 600\neval_every = 0").unwrap();
    let outcome = config.run(&mut Silent).unwrap();
    let m = &outcome.metrics;
    assert_eq!(m.flipped, 72, "round(0.05 * 1438)");
    assert_eq!(outcome.flipped.iter().filter(|f| **f).count(), 72);
    let auc = m.distribution.flip_auc_multipliers.unwrap();
    assert!(auc > 0.9, "AUC {auc}");
    assert!(m.distribution.flip_auc_losses.unwrap() > 0.5);
}

#[test]
fn method_keys_are_checked() {
    assert_eq!(key_of("method = \"rfl\""), "rfl_decay");
    assert_eq!(key_of("method = \"rfl\"\nrfl_decay = 0.0"), "rfl_decay");
    // eta w > 1 (dual lr 1.0): the decayed step would overshoot.
    assert_eq!(key_of("method = \"rfl\"\nrfl_decay = 2.0"), "rfl_decay");
    assert_eq!(key_of("rfl_decay = 1.0"), "rfl_decay");
    assert_eq!(key_of("method = \"erm\"\nrfl_decay = 1.0"), "rfl_decay");
    assert_eq!(key_of("method = \"sgd\""), "method");
    assert_eq!(key_of("label_noise = 1.0"), "label_noise");
    assert_eq!(key_of("label_noise = -0.1"), "label_noise");
    assert_eq!(
        key_of("[optimizer.dual]\nlr = 1.0\nweight_decay = 0.5"),
        "optimizer.dual.weight_decay"
    );
    assert_eq!(
        key_of("method = \"erm\"\n[optimizer.constraints.feasible]\ndual_restarts = true"),
        "optimizer.constraints"
    );
    // RFL's decay goes to the dual optimizer the run builds; the others keep the optimizer.
    let rfl: FeasibleConfig = from_toml_str("method = \"rfl\"\nrfl_decay = 0.5").unwrap();
    assert_eq!(rfl.run_optimizer().dual.weight_decay, Some(0.5));
    let erm: FeasibleConfig = from_toml_str("method = \"erm\"").unwrap();
    assert_eq!(
        erm.run_optimizer().scheme,
        rein::scheme::SchemeKind::Unconstrained
    );
}
