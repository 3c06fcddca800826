//! Best-iterate selection: which of the iterates seen during training to keep.
//!
//! Primal-dual methods oscillate; the last iterate may be infeasible, or feasible with a worse
//! objective than an earlier one. Cotter, Jiang & Sridharan (2019, "Two-player games for
//! efficient non-convex constrained optimization", ALT) keep candidate iterates and pick one
//! from their objectives and strict constraint values. This module implements the rule
//!
//! ```text
//! feasible(c)  = max_j v_j(c) <= tol                  (no violation: feasible)
//! best         = argmin_{c feasible} f(c)             if some candidate is feasible
//!              = argmin_c (max_j v_j(c), f(c))        otherwise (lexicographic)
//! ```
//!
//! with ties going to the earliest candidate, and candidates with a NaN objective or violation
//! never chosen. TFCO's `find_best_candidate_index` ranks each constraint's clipped violation
//! `max(0, v_j)` across candidates (optionally the objective too), scores a candidate by its
//! worst rank and picks the lowest score, ties broken by the objective. With one constraint and
//! unranked objectives the two rules agree; with several constraints the rank rule compares
//! candidates constraint by constraint and can prefer a candidate that is infeasible by a large
//! amount on one constraint. rein keeps the rule above because the strict violations it is fed
//! are the real constraints in their own units: a feasible iterate is always preferred, and
//! among infeasible ones the smallest worst violation. See `docs/rates.md`.

use crate::error::{Result, ensure_non_negative};

/// One candidate iterate: its objective (lower is better) and its strict violations
/// (`<= 0` means satisfied, the convention of [`crate::ConstraintState`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// The objective to minimise (e.g. a validation loss, or minus an accuracy or PSNR).
    pub objective: f64,
    /// The strict violations `g_j`, one per constraint entry (empty: unconstrained).
    pub violations: Vec<f64>,
}

impl Candidate {
    /// A candidate from its objective and violations.
    pub fn new(objective: f64, violations: Vec<f64>) -> Self {
        Self {
            objective,
            violations,
        }
    }

    /// The largest violation (`-inf` when there is none); NaN when any value is NaN.
    pub fn max_violation(&self) -> f64 {
        self.violations.iter().fold(f64::NEG_INFINITY, |m, &v| {
            if v.is_nan() || m.is_nan() {
                f64::NAN
            } else {
                m.max(v)
            }
        })
    }

    /// Whether the objective or a violation is NaN (such a candidate is never chosen).
    pub fn has_nan(&self) -> bool {
        self.objective.is_nan() || self.violations.iter().any(|v| v.is_nan())
    }
}

/// The chosen candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selection {
    /// Its position among the candidates (in the order they were given or offered).
    pub index: usize,
    /// Whether it is feasible (every violation `<= tolerance`).
    pub feasible: bool,
    /// Its largest violation (`-inf` without constraints).
    pub max_violation: f64,
    /// Its objective.
    pub objective: f64,
}

/// The selection rule with its feasibility tolerance (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Selector {
    tolerance: f64,
}

impl Default for Selector {
    /// Feasible means every violation `<= 0`.
    fn default() -> Self {
        Self { tolerance: 0.0 }
    }
}

impl Selector {
    /// Feasible means every violation `<= tolerance` (finite, `>= 0`).
    pub fn new(tolerance: f64) -> Result<Self> {
        ensure_non_negative("tolerance", tolerance)?;
        Ok(Self { tolerance })
    }

    /// The tolerance.
    pub fn tolerance(&self) -> f64 {
        self.tolerance
    }

    /// Whether `candidate` is feasible (false when it has a NaN).
    pub fn is_feasible(&self, candidate: &Candidate) -> bool {
        !candidate.has_nan() && candidate.max_violation() <= self.tolerance
    }

    /// The best of `candidates`; `None` when there is none, or every one has a NaN.
    pub fn best(&self, candidates: &[Candidate]) -> Option<Selection> {
        let mut best: Option<Selection> = None;
        for (index, c) in candidates.iter().enumerate() {
            if let Some(s) = self.judge(index, c)
                && best.is_none_or(|b| self.better(&s, &b))
            {
                best = Some(s);
            }
        }
        best
    }

    /// The candidate as a (not yet chosen) selection; `None` when it has a NaN.
    fn judge(&self, index: usize, c: &Candidate) -> Option<Selection> {
        (!c.has_nan()).then(|| Selection {
            index,
            feasible: c.max_violation() <= self.tolerance,
            max_violation: c.max_violation(),
            objective: c.objective,
        })
    }

    /// Whether `a` beats `b` strictly (so earlier candidates win ties).
    fn better(&self, a: &Selection, b: &Selection) -> bool {
        match (a.feasible, b.feasible) {
            (true, false) => true,
            (false, true) => false,
            (true, true) => a.objective < b.objective,
            (false, false) => {
                a.max_violation < b.max_violation
                    || (a.max_violation == b.max_violation && a.objective < b.objective)
            }
        }
    }
}

/// The best of `candidates` with feasibility tolerance 0 (see the module documentation);
/// `None` when there is none, or every one has a NaN.
pub fn find_best_candidate_index(candidates: &[Candidate]) -> Option<Selection> {
    Selector::default().best(candidates)
}

/// The best iterate so far, kept while candidates are offered one at a time (no need to store
/// every iterate): after any sequence of offers it holds what [`Selector::best`] would choose
/// from the same candidates in the same order.
#[derive(Debug, Clone)]
pub struct BestIterate<T> {
    selector: Selector,
    offered: usize,
    best: Option<(Selection, T)>,
}

impl<T> Default for BestIterate<T> {
    fn default() -> Self {
        Self::new(Selector::default())
    }
}

impl<T> BestIterate<T> {
    /// An empty record under `selector`.
    pub fn new(selector: Selector) -> Self {
        Self {
            selector,
            offered: 0,
            best: None,
        }
    }

    /// Offers the iterate `item` scored by `candidate`; returns whether it is the new best.
    /// A candidate with a NaN is counted but never kept.
    pub fn offer(&mut self, candidate: &Candidate, item: T) -> bool {
        let index = self.offered;
        self.offered += 1;
        let Some(s) = self.selector.judge(index, candidate) else {
            return false;
        };
        if self
            .best
            .as_ref()
            .is_none_or(|(b, _)| self.selector.better(&s, b))
        {
            self.best = Some((s, item));
            return true;
        }
        false
    }

    /// Number of candidates offered.
    pub fn offered(&self) -> usize {
        self.offered
    }

    /// The best iterate and its selection, if any candidate without NaN was offered.
    pub fn best(&self) -> Option<(&Selection, &T)> {
        self.best.as_ref().map(|(s, t)| (s, t))
    }

    /// The best iterate if it is feasible.
    pub fn feasible(&self) -> Option<&T> {
        self.best
            .as_ref()
            .filter(|(s, _)| s.feasible)
            .map(|(_, t)| t)
    }

    /// Consumes the record: the best iterate and its selection.
    pub fn into_best(self) -> Option<(Selection, T)> {
        self.best
    }

    /// The selector the record judges with.
    pub fn selector(&self) -> Selector {
        self.selector
    }

    /// A record in exactly the state of one that judged with `selector`, was offered `offered`
    /// candidates and kept `best` (from [`BestIterate::offered`] and [`BestIterate::best`]):
    /// later offers give what they would have given it (checkpoints).
    pub fn restored(selector: Selector, offered: usize, best: Option<(Selection, T)>) -> Self {
        Self {
            selector,
            offered,
            best,
        }
    }
}
