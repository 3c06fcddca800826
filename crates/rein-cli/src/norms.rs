//! `rein norms`: which interpolant every primal optimizer of rein reaches on an
//! over-parameterised least-squares problem `X w = y` (`n < d`), from `w0 = 0` — the table of
//! norms of Vaswani et al. 2020 ("To Each Optimizer a Norm, To Each Norm its Generalization").
//! The problem, optimizers and closed forms are `rein_testing::implicit_norms` (the same as the
//! test suite `rein/tests/implicit_norms.rs`); docs/norms.md has the equations. Writes
//! `metrics.json` and `norms.png`; exits with status 2 when an optimizer misses its known
//! answer (unless `--accept-infeasible`).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;
use rein_recipes::Verdict;
use rein_testing::implicit_norms::{Expected, LeastSquares, NormRow, table};
use rein_testing::least_squares::{min_norm_solution, norm};
use serde::Serialize;

use crate::report::{Align, Table, plot_grouped_bars, write_metrics_json};
use crate::runner::{accept_infeasible, exit_on};

/// Options of `rein norms`.
#[derive(Debug, Args)]
pub struct NormsArgs {
    /// Equations n (rows of X).
    #[arg(long, default_value_t = 10)]
    pub n: usize,
    /// Rows p of each of the two weight matrices (d = 2 p q unknowns).
    #[arg(long, default_value_t = 4)]
    pub p: usize,
    /// Columns q of each weight matrix.
    #[arg(long, default_value_t = 5)]
    pub q: usize,
    /// Seed of X and y.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Output directory.
    #[arg(long, default_value = "runs/norms")]
    pub out: PathBuf,
    /// Exit with status 0 even when an optimizer misses its known answer.
    #[arg(long)]
    pub accept_infeasible: bool,
}

/// One optimizer in `metrics.json`.
#[derive(Debug, Serialize)]
pub struct NormResult {
    /// Optimizer.
    pub optimizer: String,
    /// What it should reach.
    pub expected: String,
    /// Steps.
    pub steps: usize,
    /// `||X w - y||`.
    pub residual: f64,
    /// `||w||`.
    pub l2_norm: f64,
    /// `||w - (w0 + X^+ (y - X w0))||`.
    pub distance_to_min_norm: f64,
    /// `||w - w_A||` (the parameter-group preconditioner's `A`-norm interpolant).
    pub distance_to_a_norm: f64,
    /// `||X^+ X w - X^+ y||`.
    pub projection_error: f64,
    /// Whether the known answer holds (see docs/norms.md for the tolerances).
    pub holds: bool,
}

/// `metrics.json` of `rein norms`.
#[derive(Debug, Serialize)]
pub struct NormsMetrics {
    /// `(n, d)`.
    pub n: usize,
    /// Unknowns.
    pub d: usize,
    /// Seed.
    pub seed: u64,
    /// `||X^+ y||`.
    pub min_norm: f64,
    /// One row per optimizer.
    pub optimizers: Vec<NormResult>,
    /// Whether every known answer holds.
    pub verdict: Verdict,
}

fn expected_name(e: Expected) -> &'static str {
    match e {
        Expected::NearestInterpolant => "w0 + X^+(y - X w0)",
        Expected::ANormInterpolant => "A-norm interpolant",
        Expected::SomeInterpolant => "interpolant, larger norm",
    }
}

/// The known answer of `row` (the tolerances of the test suite, relative to `||X^+ y||`).
pub fn holds(row: &NormRow, min_norm: f64) -> bool {
    let tol = 1e-6 * min_norm.max(1.0);
    let interpolates = row.residual < tol && row.projection_error < tol;
    interpolates
        && match row.expected {
            Expected::NearestInterpolant => row.distance_to_nearest < tol,
            Expected::ANormInterpolant => row.distance_to_a_norm < tol,
            Expected::SomeInterpolant => {
                row.distance_to_nearest > 1e-2 * min_norm && row.l2_norm > min_norm
            }
        }
}

/// Runs `rein norms`.
pub fn run(args: &NormsArgs) -> Result<()> {
    accept_infeasible(args.accept_infeasible);
    if args.n == 0 || args.p == 0 || args.q == 0 {
        bail!("--n, --p and --q must be positive");
    }
    let d = 2 * args.p * args.q;
    if args.n >= d {
        bail!(
            "--n {} must be below d = 2 p q = {d} (over-parameterised)",
            args.n
        );
    }
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let problem = LeastSquares::random(args.n, args.p, args.q, args.seed);
    let w0 = vec![0.0; d];
    let min_norm = norm(&min_norm_solution(&problem.x, &problem.y));
    let rows = table(&problem, &w0);
    let results: Vec<NormResult> = rows
        .iter()
        .map(|r| NormResult {
            optimizer: r.name.to_string(),
            expected: expected_name(r.expected).to_string(),
            steps: r.steps,
            residual: r.residual,
            l2_norm: r.l2_norm,
            distance_to_min_norm: r.distance_to_nearest,
            distance_to_a_norm: r.distance_to_a_norm,
            projection_error: r.projection_error,
            holds: holds(r, min_norm),
        })
        .collect();
    let mut t = Table::new([
        "optimizer",
        "expected",
        "||Xw - y||",
        "||w||",
        "||w - X^+y||",
        "||w - w_A||",
        "||Pw - X^+y||",
        "holds",
    ]);
    for c in 2..7 {
        t = t.align(c, Align::Right);
    }
    for r in &results {
        t.add_row([
            r.optimizer.clone(),
            r.expected.clone(),
            format!("{:.1e}", r.residual),
            format!("{:.4}", r.l2_norm),
            format!("{:.1e}", r.distance_to_min_norm),
            format!("{:.1e}", r.distance_to_a_norm),
            format!("{:.1e}", r.projection_error),
            if r.holds { "yes" } else { "NO" }.to_string(),
        ]);
    }
    println!(
        "X: {} x {d}, ||X^+ y|| = {min_norm:.4}\n\n{}",
        args.n,
        t.render()
    );
    let failed: Vec<&str> = results
        .iter()
        .filter(|r| !r.holds)
        .map(|r| r.optimizer.as_str())
        .collect();
    let verdict = Verdict {
        met: failed.is_empty(),
        summary: if failed.is_empty() {
            format!(
                "all {} optimizers reach their known interpolant",
                results.len()
            )
        } else {
            format!("missed by: {}", failed.join(", "))
        },
    };
    let names: Vec<String> = results.iter().map(|r| r.optimizer.clone()).collect();
    let norms: Vec<f64> = results.iter().map(|r| r.l2_norm).collect();
    plot_grouped_bars(
        &args.out.join("norms.png"),
        &format!(
            "rein norms: ||w|| of the interpolant reached from 0 (X: {} x {d})",
            args.n
        ),
        "||w||",
        &names,
        &[("||w||", norms.as_slice())],
        &[("||X^+ y||", min_norm)],
    )?;
    write_metrics_json(
        &args.out.join("metrics.json"),
        &NormsMetrics {
            n: args.n,
            d,
            seed: args.seed,
            min_norm,
            optimizers: results,
            verdict: verdict.clone(),
        },
    )?;
    println!(
        "{}: {} Reports in {}/",
        if verdict.met {
            "Claims met"
        } else {
            "Claims NOT met"
        },
        verdict.summary,
        args.out.display()
    );
    exit_on(&verdict);
    Ok(())
}
