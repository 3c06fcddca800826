//! Penalty coefficients and their updaters.
//!
//! Once per step, inside the optimizer's step (the user never calls it), for a constraint with a
//! penalty coefficient and an updater: `s` = strict violation (`relu(s)` for inequalities);
//! `v = ||s||_2` for a scalar coefficient, else `|s_k|` per entry; where `v > tol`:
//! * multiplicative: `c <- gamma c` (default `gamma = 1.01`),
//! * additive: `c <- c + delta` (default `delta = 1.0`);
//!
//! and with `restart` on, for inequalities where `v == 0`: `c <- c_init`.
//! Per-entry (indexed) coefficients update only the observed entries.

use crate::constraint::ConstraintKind;
use crate::error::{ReinError, Result, ensure_hparam};

/// The growth rule of a penalty updater.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PenaltyGrowth {
    /// `c <- gamma c`, `gamma >= 1`.
    Multiplicative {
        /// Growth factor.
        gamma: f64,
    },
    /// `c <- c + delta`, `delta >= 0`.
    Additive {
        /// Increment.
        delta: f64,
    },
}

/// When and how a penalty coefficient grows.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PenaltyUpdater {
    /// Growth rule.
    pub growth: PenaltyGrowth,
    /// Violation norm above which the coefficient grows (default `1e-4`).
    pub tol: f64,
    /// For inequalities: reset to the initial value where the constraint is satisfied.
    pub restart: bool,
}

impl PenaltyUpdater {
    /// `c <- gamma c` where the violation exceeds `1e-4`.
    pub fn multiplicative(gamma: f64) -> Self {
        Self {
            growth: PenaltyGrowth::Multiplicative { gamma },
            tol: 1e-4,
            restart: false,
        }
    }
    /// `c <- c + delta` where the violation exceeds `1e-4`.
    pub fn additive(delta: f64) -> Self {
        Self {
            growth: PenaltyGrowth::Additive { delta },
            tol: 1e-4,
            restart: false,
        }
    }
    /// Sets the tolerance.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }
    /// Turns on restarts (inequalities only).
    pub fn restart(mut self, on: bool) -> Self {
        self.restart = on;
        self
    }

    fn validate(&self) -> Result<()> {
        ensure_hparam(self.tol >= 0.0, "tol", self.tol, "must be >= 0")?;
        match self.growth {
            PenaltyGrowth::Multiplicative { gamma } => ensure_hparam(
                gamma >= 1.0 && gamma.is_finite(),
                "gamma",
                gamma,
                "must be >= 1",
            ),
            PenaltyGrowth::Additive { delta } => ensure_hparam(
                delta >= 0.0 && delta.is_finite(),
                "delta",
                delta,
                "must be >= 0",
            ),
        }
    }

    fn grow(&self, c: f64) -> f64 {
        match self.growth {
            PenaltyGrowth::Multiplicative { gamma } => c * gamma,
            PenaltyGrowth::Additive { delta } => c + delta,
        }
    }
}

impl Default for PenaltyUpdater {
    /// Multiplicative with `gamma = 1.01`, `tol = 1e-4`, no restart.
    fn default() -> Self {
        Self::multiplicative(1.01)
    }
}

/// A penalty coefficient: one scalar broadcast over the group, or one value per entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PenaltyCoefficient {
    values: Vec<f64>,
    init: Vec<f64>,
    per_entry: bool,
    updater: Option<PenaltyUpdater>,
}

impl PenaltyCoefficient {
    /// A scalar coefficient `c` broadcast over the group, constant unless an updater is set.
    pub fn scalar(c: f64) -> Self {
        Self {
            values: vec![c],
            init: vec![c],
            per_entry: false,
            updater: None,
        }
    }
    /// One coefficient per entry (length must be the group's size).
    pub fn per_entry(c: Vec<f64>) -> Self {
        Self {
            init: c.clone(),
            values: c,
            per_entry: true,
            updater: None,
        }
    }
    /// Sets the updater applied once per step.
    pub fn updater(mut self, updater: PenaltyUpdater) -> Self {
        self.updater = Some(updater);
        self
    }
    /// Current values (length 1 if scalar).
    pub fn values(&self) -> &[f64] {
        &self.values
    }
    /// Values to restore on checkpoint load.
    pub(crate) fn values_mut(&mut self) -> &mut Vec<f64> {
        &mut self.values
    }
    /// Whether the coefficient is per entry.
    pub fn is_per_entry(&self) -> bool {
        self.per_entry
    }

    pub(crate) fn validate(&self, constraint: &str, size: usize) -> Result<()> {
        if self.per_entry && self.values.len() != size {
            return Err(ReinError::ShapeMismatch {
                constraint: constraint.to_string(),
                what: "per-entry penalty coefficient length",
                expected: size,
                got: self.values.len(),
            });
        }
        if let Some(c) = self.values.iter().find(|c| !(**c >= 0.0 && c.is_finite())) {
            return Err(ReinError::InvalidHyperParameter {
                field: "penalty coefficient",
                value: c.to_string(),
                reason: "must be finite and >= 0",
            });
        }
        if let Some(u) = &self.updater {
            u.validate()?;
        }
        Ok(())
    }

    /// Coefficients at the observed `indices`.
    pub(crate) fn gather(&self, indices: &[usize]) -> Vec<f64> {
        if self.per_entry {
            indices.iter().map(|&i| self.values[i]).collect()
        } else {
            vec![self.values[0]; indices.len()]
        }
    }

    /// Applies the updater given the strict violation `s` observed at `indices`.
    pub(crate) fn update(&mut self, kind: ConstraintKind, s: &[f64], indices: &[usize]) {
        let Some(u) = self.updater else { return };
        let clip = |x: f64| match kind {
            ConstraintKind::Inequality => x.max(0.0),
            ConstraintKind::Equality => x,
        };
        let restart = u.restart && kind == ConstraintKind::Inequality;
        if self.per_entry {
            for (&x, &i) in s.iter().zip(indices) {
                let v = clip(x).abs();
                if v > u.tol {
                    self.values[i] = u.grow(self.values[i]);
                } else if restart && v == 0.0 {
                    self.values[i] = self.init[i];
                }
            }
        } else {
            let v = s.iter().map(|x| clip(*x).powi(2)).sum::<f64>().sqrt();
            if v > u.tol {
                self.values[0] = u.grow(self.values[0]);
            } else if restart && v == 0.0 {
                self.values[0] = self.init[0];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplicative_grows_only_above_tolerance_and_restarts() {
        let mut p = PenaltyCoefficient::scalar(2.0)
            .updater(PenaltyUpdater::multiplicative(1.5).restart(true));
        p.update(ConstraintKind::Inequality, &[0.1], &[0]);
        assert_eq!(p.values(), &[3.0]);
        p.update(ConstraintKind::Inequality, &[0.00001], &[0]);
        assert_eq!(p.values(), &[3.0]);
        p.update(ConstraintKind::Inequality, &[-1.0], &[0]);
        assert_eq!(p.values(), &[2.0]);
    }

    #[test]
    fn per_entry_updates_only_observed_entries() {
        let mut p =
            PenaltyCoefficient::per_entry(vec![1.0; 4]).updater(PenaltyUpdater::additive(1.0));
        p.update(ConstraintKind::Equality, &[-0.5, 0.0], &[3, 1]);
        assert_eq!(p.values(), &[1.0, 1.0, 1.0, 2.0]);
    }

    #[test]
    fn invalid_updaters_are_rejected_by_name() {
        for (p, field) in [
            (
                PenaltyCoefficient::scalar(1.0).updater(PenaltyUpdater::multiplicative(0.5)),
                "gamma",
            ),
            (
                PenaltyCoefficient::scalar(1.0).updater(PenaltyUpdater::additive(-1.0)),
                "delta",
            ),
            (
                PenaltyCoefficient::scalar(1.0).updater(PenaltyUpdater::default().tol(-1.0)),
                "tol",
            ),
            (PenaltyCoefficient::scalar(-1.0), "penalty coefficient"),
        ] {
            match p.validate("c", 1) {
                Err(ReinError::InvalidHyperParameter { field: f, .. }) => assert_eq!(f, field),
                other => panic!("expected an invalid {field}, got {other:?}"),
            }
        }
    }
}
