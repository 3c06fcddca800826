//! # 05 — the optimizer side from a configuration file, and a sparsity recipe in five lines
//!
//! Part 1: the problem of example 01 (`min (x - 2)^2 s.t. x - 1 <= 0`, `(x*, lambda*) = (1, 2)`),
//! with the scheme, the primal and dual optimizers, a learning-rate schedule and the constraint's
//! formulation all read from TOML (`rein::config::OptimizerConfig`): swapping any of them is an
//! edit of the text, with no `match` in the program. Every scheme reaches the KKT point.
//!
//! Part 2: a published method as a library call: controlled sparsity on the bundled digits
//! (`rein_recipes::sparsity`), configured from TOML with the recipe's defaults filling the rest.
//!
//! Run: `cargo run --release -p rein-examples --example 05_optimizer_from_a_config_file`

use burn::tensor::Tensor;
use rein::prelude::*;
use rein_examples::Point;
use rein_recipes::recipe::from_toml_str;
use rein_recipes::sparsity::SparsityConfig;
use rein_recipes::{RecipeConfig, Silent};

/// `min (x - 2)^2  s.t.  x - 1 <= 0`.
struct ActiveBound;

impl Cmp<Point> for ActiveBound {
    type Batch = ();
    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> rein::Result<CmpState> {
        let x: Tensor<1> = model.x.val();
        let d = x.clone().sub_scalar(2.0);
        Ok(CmpState::new()
            .loss((d.clone() * d).sum())
            .observe("x<=1", ConstraintState::new(x.sub_scalar(1.0))))
    }
}

const OPTIMIZER: &str = r#"
[primal]
kind = "adam"
lr = 0.05
schedule = { kind = "warmup", steps = 50, then = { kind = "cosine", steps = 2000, min = 0.1 } }

[dual]
kind = "nupi"           # a PI controller on the multiplier (Sohrabi et al. 2024)
lr = 0.2
kappa_p = 1.0

[constraints."x<=1"]
formulation = "augmented-lagrangian"
penalty = 0.5
"#;

fn main() -> anyhow::Result<()> {
    println!("min (x-2)^2 s.t. x - 1 <= 0 with the optimizer side of a TOML file:");
    for scheme in SchemeKind::ALL.into_iter().filter(|s| s.has_dual_step()) {
        let text = format!("scheme = \"{scheme}\"\n{OPTIMIZER}");
        let mut opt =
            OptimizerConfig::from_toml_str(&text)?.build([Constraint::inequality("x<=1", 1)])?;
        let (mut model, mut problem) = (Point::new(&[-3.0]), ActiveBound);
        let mut last = None;
        for _ in 0..2000 {
            last = Some(opt.step(&mut problem, &mut model, &())?);
        }
        let r = last.expect("steps ran");
        let lambda = r.constraint("x<=1").map_or(f64::NAN, |c| c.multipliers[0]);
        println!(
            "  {scheme:<24} x = {:.5}  lambda = {lambda:.5}  (closed form 1, 2)",
            model.values()[0]
        );
        anyhow::ensure!(
            (model.values()[0] - 1.0).abs() < 1e-2,
            "{scheme} missed x* = 1"
        );
    }

    println!("\ncontrolled sparsity on the digits (rein_recipes::sparsity), density <= 0.5:");
    let config: SparsityConfig = from_toml_str("target = 0.5\nsteps = 600\nhidden = [64]")?;
    let outcome = config.run(&mut Silent)?;
    let verdict = config.verdict(&outcome);
    println!(
        "  expected density {:.4}, test accuracy {:.4}: {}",
        outcome.metrics.expected_density, outcome.metrics.test_accuracy, verdict.summary
    );
    anyhow::ensure!(verdict.met, "the density target was not met");
    Ok(())
}
