//! Parallel Nash Memory (Oliehoek, de Jong & Vlassis 2006, "The Parallel Nash Memory for
//! Asymmetric Games", GECCO; used for GANs by Oliehoek et al. 2017, "GANGs: Generative
//! Adversarial Network Games", arXiv:1712.00679).
//!
//! A finite zero-sum game is grown one best response at a time. The memory keeps the strategy
//! sets `S_R` (row player, maximiser) and `S_C` (column player, minimiser) and the payoff
//! matrix `U_ij = u(r_i, c_j)` between them. Every iteration:
//!
//! ```text
//! 1. (x, y, v) = Nash equilibrium and value of U        (the LP of `matrix_game`)
//! 2. r* = BR_R(S_C, y),   c* = BR_C(S_R, x)              (resource-bounded best responses)
//! 3. gain_R = sum_j y_j u(r*, c_j) - v  ,   gain_C = v - sum_i x_i u(r_i, c*)
//! 4. exploitability = max(gain_R, 0) + max(gain_C, 0)    (reported every iteration)
//! 5. stop if gain_R <= eps and gain_C <= eps; else add r* to S_R if gain_R > eps, c* to S_C
//!    if gain_C > eps, and extend U with their payoffs against every stored strategy
//! ```
//!
//! With exact best responses the exploitability is the equilibrium gap `max_r u(r, y) -
//! min_c u(x, c)` of the whole game; with resource-bounded ones (a few hundred gradient steps)
//! it is a lower bound on it, the measure the GANGs paper reports. Every stored strategy is
//! kept (none is pruned when it leaves the support), so `U` only grows; the loop ends after
//! `max_iterations` at the latest.

use serde::{Deserialize, Serialize};

use super::matrix_game::{self, GameError, GameSolution};

/// A zero-sum game for [`parallel_nash_memory`]: payoffs to the row player and the two
/// best-response oracles. `E` is the oracle's error type (a training error for GANs).
pub trait PnmGame {
    /// A pure strategy of the row player (maximiser).
    type Row;
    /// A pure strategy of the column player (minimiser).
    type Col;
    /// The error of the oracles; a solver error converts into it.
    type Error: From<GameError>;

    /// `u(r, c)`: the payoff to the row player.
    fn payoff(&mut self, r: &Self::Row, c: &Self::Col) -> Result<f64, Self::Error>;
    /// A (resource-bounded) best response of the row player to the column mixture
    /// `sum_j y_j c_j`; `iteration` seeds it.
    fn best_row(
        &mut self,
        cols: &[Self::Col],
        y: &[f64],
        iteration: usize,
    ) -> Result<Self::Row, Self::Error>;
    /// A (resource-bounded) best response of the column player to the row mixture.
    fn best_col(
        &mut self,
        rows: &[Self::Row],
        x: &[f64],
        iteration: usize,
    ) -> Result<Self::Col, Self::Error>;
}

/// How [`parallel_nash_memory`] runs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PnmOptions {
    /// Stop when neither best response gains more than this over the value.
    pub eps: f64,
    /// The most iterations (each solves the game once and asks both oracles once).
    pub max_iterations: usize,
}

/// One iteration of the loop, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PnmIteration {
    /// Iteration number (from 0).
    pub iteration: usize,
    /// Value of the stored game `U` at this iteration.
    pub value: f64,
    /// What the row player's best response gains over the value.
    pub gain_row: f64,
    /// What the column player's best response gains over the value.
    pub gain_col: f64,
    /// `max(gain_row, 0) + max(gain_col, 0)`.
    pub exploitability: f64,
    /// Strategies stored for the row player (before this iteration's additions).
    pub rows: usize,
    /// Strategies stored for the column player.
    pub cols: usize,
}

/// What the loop ends with.
#[derive(Debug)]
pub struct PnmResult<R, C> {
    /// The row player's stored strategies.
    pub rows: Vec<R>,
    /// The column player's stored strategies.
    pub cols: Vec<C>,
    /// The payoff matrix between them.
    pub payoffs: Vec<Vec<f64>>,
    /// The equilibrium of `payoffs` (the final mixtures and value).
    pub solution: GameSolution,
    /// One entry per iteration.
    pub history: Vec<PnmIteration>,
    /// Whether the loop stopped on `eps` (rather than on `max_iterations`).
    pub converged: bool,
}

/// Runs Parallel Nash Memory from one strategy per player (see the module documentation);
/// `on_iteration` sees every iteration as it ends (progress reports).
pub fn parallel_nash_memory<G: PnmGame>(
    game: &mut G,
    first_row: G::Row,
    first_col: G::Col,
    options: PnmOptions,
    on_iteration: &mut dyn FnMut(&PnmIteration),
) -> Result<PnmResult<G::Row, G::Col>, G::Error> {
    let mut payoffs = vec![vec![game.payoff(&first_row, &first_col)?]];
    let mut rows = vec![first_row];
    let mut cols = vec![first_col];
    let mut history = Vec::new();
    let mut converged = false;
    let mut solution = matrix_game::solve(&payoffs)?;
    for iteration in 0..options.max_iterations {
        solution = matrix_game::solve(&payoffs)?;
        let (x, y, v) = (&solution.row, &solution.col, solution.value);
        let r = game.best_row(&cols, y, iteration)?;
        let c = game.best_col(&rows, x, iteration)?;
        let r_against: Vec<f64> = cols
            .iter()
            .map(|cj| game.payoff(&r, cj))
            .collect::<Result<_, _>>()?;
        let c_against: Vec<f64> = rows
            .iter()
            .map(|ri| game.payoff(ri, &c))
            .collect::<Result<_, _>>()?;
        let gain_row = dot(&r_against, y) - v;
        let gain_col = v - dot(&c_against, x);
        let it = PnmIteration {
            iteration,
            value: v,
            gain_row,
            gain_col,
            exploitability: gain_row.max(0.0) + gain_col.max(0.0),
            rows: rows.len(),
            cols: cols.len(),
        };
        on_iteration(&it);
        history.push(it);
        if gain_row <= options.eps && gain_col <= options.eps {
            converged = true;
            break;
        }
        let add_row = gain_row > options.eps;
        let add_col = gain_col > options.eps;
        // Extend U: a new column first (c* against the stored rows), then a new row (r*
        // against the stored columns, and against c* when both are added).
        if add_col {
            for (row, &u) in payoffs.iter_mut().zip(&c_against) {
                row.push(u);
            }
            cols.push(c);
        }
        if add_row {
            let mut new_row = r_against;
            if add_col {
                new_row.push(game.payoff(&r, cols.last().expect("just pushed"))?);
            }
            payoffs.push(new_row);
            rows.push(r);
        }
    }
    if !converged {
        // The last iteration changed U: solve the final game.
        solution = matrix_game::solve(&payoffs)?;
    }
    Ok(PnmResult {
        rows,
        cols,
        payoffs,
        solution,
        history,
        converged,
    })
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// A matrix game whose pure strategies are the row and column indices of a full payoff
/// matrix, with exact best responses (the argmax over all rows / argmin over all columns):
/// the test bed of the loop, where PNM must reach the LP value of the whole matrix.
#[derive(Debug, Clone)]
pub struct ExactMatrixGame {
    /// The full payoff matrix.
    pub payoffs: Vec<Vec<f64>>,
}

impl PnmGame for ExactMatrixGame {
    type Row = usize;
    type Col = usize;
    type Error = GameError;

    fn payoff(&mut self, r: &usize, c: &usize) -> Result<f64, GameError> {
        Ok(self.payoffs[*r][*c])
    }

    fn best_row(&mut self, cols: &[usize], y: &[f64], _: usize) -> Result<usize, GameError> {
        let score = |i: usize| {
            cols.iter()
                .zip(y)
                .map(|(&j, w)| w * self.payoffs[i][j])
                .sum()
        };
        Ok(arg_best(self.payoffs.len(), score, |a, b| a > b))
    }

    fn best_col(&mut self, rows: &[usize], x: &[f64], _: usize) -> Result<usize, GameError> {
        let score = |j: usize| {
            rows.iter()
                .zip(x)
                .map(|(&i, w)| w * self.payoffs[i][j])
                .sum()
        };
        Ok(arg_best(self.payoffs[0].len(), score, |a, b| a < b))
    }
}

/// The first index in `0..n` with the best score under `better`.
fn arg_best(n: usize, score: impl Fn(usize) -> f64, better: impl Fn(f64, f64) -> bool) -> usize {
    let mut best = (0, score(0));
    for k in 1..n {
        let s = score(k);
        if better(s, best.1) {
            best = (k, s);
        }
    }
    best.0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64 (Steele, Lea & Flood 2014): uniform payoffs in [-1, 1).
    fn random_matrix(m: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
        let mut s = seed;
        let mut next = move || {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        };
        (0..m).map(|_| (0..n).map(|_| next()).collect()).collect()
    }

    #[test]
    fn pnm_with_exact_best_responses_reaches_the_lp_value() {
        for seed in 0..3 {
            let a = random_matrix(50, 50, seed);
            let full = matrix_game::solve(&a).unwrap();
            let mut game = ExactMatrixGame { payoffs: a.clone() };
            let options = PnmOptions {
                eps: 1e-9,
                max_iterations: 200,
            };
            let mut seen = 0;
            let r = parallel_nash_memory(&mut game, 0, 0, options, &mut |_| seen += 1).unwrap();
            assert!(r.converged, "seed {seed}: {:?}", r.history.last());
            assert_eq!(seen, r.history.len());
            assert!(
                (r.solution.value - full.value).abs() < 1e-7,
                "seed {seed}: PNM {} vs LP {}",
                r.solution.value,
                full.value
            );
            // The last iteration certifies the equilibrium: nothing exploits it.
            let last = r.history.last().unwrap();
            assert!(last.exploitability <= 2e-9, "{last:?}");
            // The PNM mixtures are an equilibrium of the whole game.
            let mut x = vec![0.0; 50];
            let mut y = vec![0.0; 50];
            for (&i, w) in r.rows.iter().zip(&r.solution.row) {
                x[i] += w;
            }
            for (&j, w) in r.cols.iter().zip(&r.solution.col) {
                y[j] += w;
            }
            let lower = matrix_game::row_mixture_payoffs(&a, &x)
                .into_iter()
                .fold(f64::INFINITY, f64::min);
            let upper = matrix_game::col_mixture_payoffs(&a, &y)
                .into_iter()
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(upper - lower < 1e-7, "seed {seed}: gap {}", upper - lower);
            // Fewer strategies than the whole game are needed (the support).
            assert!(
                r.rows.len() < 50 && r.cols.len() < 50,
                "{} {}",
                r.rows.len(),
                r.cols.len()
            );
        }
    }

    #[test]
    fn pnm_on_rock_paper_scissors() {
        let a = vec![
            vec![0.0, -1.0, 1.0],
            vec![1.0, 0.0, -1.0],
            vec![-1.0, 1.0, 0.0],
        ];
        let mut game = ExactMatrixGame { payoffs: a };
        let options = PnmOptions {
            eps: 1e-12,
            max_iterations: 20,
        };
        let r = parallel_nash_memory(&mut game, 0, 0, options, &mut |_| {}).unwrap();
        assert!(r.converged);
        assert!(r.solution.value.abs() < 1e-9);
        assert_eq!((r.rows.len(), r.cols.len()), (3, 3));
        // The first iteration is exploitable: a pure strategy against a pure strategy.
        assert!(r.history[0].exploitability >= 1.0, "{:?}", r.history[0]);
    }

    #[test]
    fn iteration_budget_stops_the_loop() {
        let a = random_matrix(30, 30, 7);
        let mut game = ExactMatrixGame { payoffs: a };
        let options = PnmOptions {
            eps: 1e-9,
            max_iterations: 2,
        };
        let r = parallel_nash_memory(&mut game, 0, 0, options, &mut |_| {}).unwrap();
        assert!(!r.converged);
        assert_eq!(r.history.len(), 2);
        assert!(r.history.iter().all(|h| h.exploitability > 0.0));
    }
}
