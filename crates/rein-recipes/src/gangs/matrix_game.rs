//! Zero-sum matrix games solved as linear programs, with the answer checked by duality.
//!
//! The row player picks a mixed strategy `x` (a distribution over the rows of the payoff matrix
//! `A`, m x n), the column player `y`; the row player receives `x^T A y` and the column player
//! pays it. By von Neumann's minimax theorem (e.g. Shoham & Leyton-Brown, *Multiagent Systems*,
//! 2009, §4.1; the LP form used by Oliehoek et al. 2017, "GANGs: Generative Adversarial Network
//! Games", arXiv:1712.00679) the value `v* = max_x min_y x^T A y = min_y max_x x^T A y` is the
//! common optimum of two linear programs:
//!
//! ```text
//! row:     max_{x, v} v   s.t.  sum_i x_i A_ij >= v  (every column j),  sum_i x_i = 1,  x >= 0
//! column:  min_{y, w} w   s.t.  sum_j A_ij y_j <= w  (every row i),     sum_j y_j = 1,  y >= 0
//! ```
//!
//! (the column LP is the dual of the row LP). Both are solved with `microlp` (a pure-Rust
//! simplex solver), and the answer is accepted only when it is a certificate: the guarantee of
//! the row strategy `min_j (x^T A)_j` and the column strategy's `max_i (A y)_i` — computed
//! here from the strategies, not taken from the solver — differ by at most `tol` (times the
//! payoff scale `max |A_ij|`, at least 1). Otherwise [`solve`] is an error, never a silent
//! wrong answer.

use microlp::{ComparisonOp, LinearExpr, OptimizationDirection, Problem};
use serde::{Deserialize, Serialize};

/// Why a matrix game could not be solved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum GameError {
    /// The payoff matrix has no row or no column, or rows of different lengths.
    #[error("payoff matrix: {0}")]
    Shape(String),
    /// A payoff is NaN or infinite.
    #[error("payoff matrix: entry ({row}, {col}) is {value} (payoffs must be finite)")]
    NonFinite {
        /// Row of the entry.
        row: usize,
        /// Column of the entry.
        col: usize,
        /// Its value.
        value: f64,
    },
    /// The LP solver failed (it should not: both LPs are feasible and bounded).
    #[error("LP solver ({which} player): {reason}")]
    Solver {
        /// `row` or `column`.
        which: &'static str,
        /// The solver's message.
        reason: String,
    },
    /// The strategies returned do not certify a value: primal and dual guarantees disagree.
    #[error(
        "LP answer rejected: the row strategy guarantees {lower}, the column strategy concedes \
         {upper} (gap {gap:e} > tolerance {tol:e})"
    )]
    DualityGap {
        /// `min_j (x^T A)_j`.
        lower: f64,
        /// `max_i (A y)_i`.
        upper: f64,
        /// `upper - lower` (scaled).
        gap: f64,
        /// The tolerance.
        tol: f64,
    },
}

/// The solution of a zero-sum matrix game: a Nash equilibrium and its value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameSolution {
    /// The row player's (maximiser's) mixed strategy.
    pub row: Vec<f64>,
    /// The column player's (minimiser's) mixed strategy.
    pub col: Vec<f64>,
    /// The value of the game, `(lower + upper) / 2`.
    pub value: f64,
    /// What the row strategy guarantees: `min_j (x^T A)_j`.
    pub lower: f64,
    /// What the column strategy concedes at most: `max_i (A y)_i`.
    pub upper: f64,
}

/// The default tolerance of [`solve`] on the duality gap, relative to `max(1, max |A_ij|)`.
pub const DEFAULT_TOL: f64 = 1e-7;

/// Checks that `a` is a non-empty rectangular matrix of finite payoffs; returns `(m, n)`.
pub fn check_payoffs(a: &[Vec<f64>]) -> Result<(usize, usize), GameError> {
    let m = a.len();
    let n = a.first().map_or(0, Vec::len);
    if m == 0 || n == 0 {
        return Err(GameError::Shape(format!(
            "{m} x {n}: needs at least one row and one column"
        )));
    }
    if let Some(i) = a.iter().position(|r| r.len() != n) {
        return Err(GameError::Shape(format!(
            "row {i} has {} entries, row 0 has {n}",
            a[i].len()
        )));
    }
    for (i, r) in a.iter().enumerate() {
        if let Some(j) = r.iter().position(|v| !v.is_finite()) {
            return Err(GameError::NonFinite {
                row: i,
                col: j,
                value: r[j],
            });
        }
    }
    Ok((m, n))
}

/// `x^T A` (the payoff of each column against the row mixture `x`).
pub fn row_mixture_payoffs(a: &[Vec<f64>], x: &[f64]) -> Vec<f64> {
    let n = a[0].len();
    let mut out = vec![0.0; n];
    for (r, xi) in a.iter().zip(x) {
        for (o, v) in out.iter_mut().zip(r) {
            *o += xi * v;
        }
    }
    out
}

/// `A y` (the payoff of each row against the column mixture `y`).
pub fn col_mixture_payoffs(a: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    a.iter()
        .map(|r| r.iter().zip(y).map(|(v, yj)| v * yj).sum())
        .collect()
}

/// Solves the mixed strategy of one player: `transpose = false` for the row player of `a`.
/// The column player of `A` is the row player of `-A^T`.
fn solve_side(a: &[Vec<f64>], (m, n): (usize, usize), column: bool) -> Result<Vec<f64>, GameError> {
    let which = if column { "column" } else { "row" };
    let entry = |i: usize, j: usize| if column { -a[j][i] } else { a[i][j] };
    let (k, l) = if column { (n, m) } else { (m, n) };
    let mut lp = Problem::new(OptimizationDirection::Maximize);
    let p: Vec<_> = (0..k)
        .map(|_| lp.add_var(0.0, (0.0, f64::INFINITY)))
        .collect();
    let v = lp.add_var(1.0, (f64::NEG_INFINITY, f64::INFINITY));
    for j in 0..l {
        let mut e = LinearExpr::empty();
        for (i, &pi) in p.iter().enumerate() {
            e.add(pi, entry(i, j));
        }
        e.add(v, -1.0);
        lp.add_constraint(e, ComparisonOp::Ge, 0.0);
    }
    let mut total = LinearExpr::empty();
    for &pi in &p {
        total.add(pi, 1.0);
    }
    lp.add_constraint(total, ComparisonOp::Eq, 1.0);
    let err = |reason: String| GameError::Solver { which, reason };
    let outcome = lp.solve().map_err(|e| err(e.to_string()))?;
    let solution = outcome
        .solution()
        .ok_or_else(|| err("interrupted before an answer".into()))?;
    let raw: Vec<f64> = p.iter().map(|&pi| solution.var_value(pi)).collect();
    normalise(&raw).ok_or_else(|| err(format!("not a distribution: {raw:?}")))
}

/// `p` clipped at 0 (entries within round-off below it) and scaled to sum 1; `None` when an
/// entry is clearly negative or the sum is not near 1.
fn normalise(p: &[f64]) -> Option<Vec<f64>> {
    if p.iter().any(|v| !v.is_finite() || *v < -1e-6) {
        return None;
    }
    let clipped: Vec<f64> = p.iter().map(|v| v.max(0.0)).collect();
    let s: f64 = clipped.iter().sum();
    if (s - 1.0).abs() > 1e-6 {
        return None;
    }
    Some(clipped.iter().map(|v| v / s).collect())
}

/// Solves the zero-sum game with payoff matrix `a` (to the row player) with the default
/// tolerance [`DEFAULT_TOL`]. See [`solve_with_tol`].
pub fn solve(a: &[Vec<f64>]) -> Result<GameSolution, GameError> {
    solve_with_tol(a, DEFAULT_TOL)
}

/// Solves the zero-sum game with payoff matrix `a`: both LPs of the module documentation, then
/// the duality check `max_i (A y)_i - min_j (x^T A)_j <= tol max(1, max |A_ij|)`.
pub fn solve_with_tol(a: &[Vec<f64>], tol: f64) -> Result<GameSolution, GameError> {
    let shape = check_payoffs(a)?;
    let row = solve_side(a, shape, false)?;
    let col = solve_side(a, shape, true)?;
    let lower = row_mixture_payoffs(a, &row)
        .into_iter()
        .fold(f64::INFINITY, f64::min);
    let upper = col_mixture_payoffs(a, &col)
        .into_iter()
        .fold(f64::NEG_INFINITY, f64::max);
    let scale = a.iter().flatten().fold(1.0_f64, |s, v| s.max(v.abs()));
    let gap = (upper - lower) / scale;
    // `lower <= upper` always holds for distributions (weak duality); the check is two-sided
    // so that a rounding artefact in the other direction is caught as well.
    if gap.abs() > tol {
        return Err(GameError::DualityGap {
            lower,
            upper,
            gap,
            tol,
        });
    }
    Ok(GameSolution {
        row,
        col,
        value: 0.5 * (lower + upper),
        lower,
        upper,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
    }

    #[test]
    fn rock_paper_scissors_is_uniform_with_value_zero() {
        let a = vec![
            vec![0.0, -1.0, 1.0],
            vec![1.0, 0.0, -1.0],
            vec![-1.0, 1.0, 0.0],
        ];
        let s = solve(&a).unwrap();
        let third = [1.0 / 3.0; 3];
        assert!(close(&s.row, &third, 1e-9), "{s:?}");
        assert!(close(&s.col, &third, 1e-9), "{s:?}");
        assert!(s.value.abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn matching_pennies_is_half_half() {
        let a = vec![vec![1.0, -1.0], vec![-1.0, 1.0]];
        let s = solve(&a).unwrap();
        assert!(close(&s.row, &[0.5, 0.5], 1e-9), "{s:?}");
        assert!(close(&s.col, &[0.5, 0.5], 1e-9), "{s:?}");
        assert!(s.value.abs() < 1e-9);
    }

    #[test]
    fn two_by_two_with_value_one_seventh() {
        let a = vec![vec![3.0, -1.0], vec![-2.0, 1.0]];
        let s = solve(&a).unwrap();
        assert!(close(&s.row, &[3.0 / 7.0, 4.0 / 7.0], 1e-9), "{s:?}");
        assert!(close(&s.col, &[2.0 / 7.0, 5.0 / 7.0], 1e-9), "{s:?}");
        assert!((s.value - 1.0 / 7.0).abs() < 1e-9, "{s:?}");
    }

    #[test]
    fn saddle_point_and_rectangular_games() {
        // A pure saddle point at (row 1, column 0): value 2.
        let a = vec![vec![1.0, 5.0, 4.0], vec![2.0, 3.0, 6.0]];
        let s = solve(&a).unwrap();
        assert!((s.value - 2.0).abs() < 1e-9, "{s:?}");
        assert!(close(&s.row, &[0.0, 1.0], 1e-9) && close(&s.col, &[1.0, 0.0, 0.0], 1e-9));
        // A dominated third row gets no weight; the rest is matching pennies shifted by 2.
        let b = vec![vec![3.0, 1.0], vec![1.0, 3.0], vec![0.0, 0.0]];
        let s = solve(&b).unwrap();
        assert!(
            (s.value - 2.0).abs() < 1e-9 && s.row[2].abs() < 1e-9,
            "{s:?}"
        );
    }

    #[test]
    fn an_answer_outside_the_tolerance_is_rejected() {
        // The check runs on every answer: a negative tolerance rejects even an exact one.
        let a = vec![vec![3.0, -1.0], vec![-2.0, 1.0]];
        assert!(matches!(
            solve_with_tol(&a, -1.0),
            Err(GameError::DualityGap { .. })
        ));
    }

    #[test]
    fn bad_matrices_are_errors() {
        assert!(matches!(solve(&[]), Err(GameError::Shape(_))));
        assert!(matches!(solve(&[vec![]]), Err(GameError::Shape(_))));
        assert!(matches!(
            solve(&[vec![1.0, 2.0], vec![1.0]]),
            Err(GameError::Shape(_))
        ));
        assert!(matches!(
            solve(&[vec![1.0, f64::NAN]]),
            Err(GameError::NonFinite { row: 0, col: 1, .. })
        ));
        assert!(matches!(
            solve(&[vec![1.0], vec![f64::INFINITY]]),
            Err(GameError::NonFinite { row: 1, col: 0, .. })
        ));
    }
}
