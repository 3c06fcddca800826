//! What a Feasible Learning run reached, from the final model's per-sample losses and the
//! final multipliers (shared with `rein-bench feasible`, whose Python reference computes the
//! same figures).

use serde::{Deserialize, Serialize};

/// The quality figures of a run. "Seen" samples are those that were in at least one batch:
/// only their multipliers ever moved.
///
/// ```text
/// feasible_seen  = |{i seen : CE_i <= eps}| / |seen|
/// feasible_train = |{i      : CE_i <= eps}| / n
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// Training samples seen during the run.
    pub seen: usize,
    /// Fraction of the seen samples that are feasible (`CE_i <= eps`).
    pub feasible_seen: f64,
    /// Fraction of all training samples that are feasible.
    pub feasible_train: f64,
    /// Mean `CE_i` over the seen samples.
    pub ce_mean_seen: f64,
    /// Largest `CE_i` over the seen samples.
    pub ce_max_seen: f64,
    /// Mean `CE_i` over all training samples.
    pub ce_mean_train: f64,
    /// Largest `CE_i` over all training samples.
    pub ce_max_train: f64,
    /// Mean multiplier over the seen samples.
    pub multiplier_mean_seen: f64,
    /// Largest multiplier over the seen samples.
    pub multiplier_max_seen: f64,
    /// Fraction of the seen samples whose multiplier is positive.
    pub multiplier_positive_seen: f64,
}

/// Mean and max of `values` over the entries where `mask` holds, and their count (`NaN`s if
/// none).
pub fn mean_max(values: &[f64], mask: impl Fn(usize) -> bool) -> (f64, f64, usize) {
    let (mut sum, mut max, mut count) = (0.0, f64::NEG_INFINITY, 0usize);
    for (_, &v) in values.iter().enumerate().filter(|(i, _)| mask(*i)) {
        sum += v;
        max = max.max(v);
        count += 1;
    }
    if count == 0 {
        (f64::NAN, f64::NAN, 0)
    } else {
        (sum / count as f64, max, count)
    }
}

/// Fraction of `ce` at most `eps` (0 for no samples).
pub fn feasible_fraction(ce: &[f64], eps: f64) -> f64 {
    ce.iter().filter(|&&c| c <= eps).count() as f64 / ce.len().max(1) as f64
}

/// The figures from the per-sample losses `ce`, the multipliers `lambda` and which samples
/// were `seen` (all three indexed by training sample).
pub fn figures(ce: &[f64], lambda: &[f64], seen: &[bool], eps: f64) -> Figures {
    let (ce_mean_seen, ce_max_seen, n_seen) = mean_max(ce, |i| seen[i]);
    let (ce_mean_train, ce_max_train, _) = mean_max(ce, |_| true);
    let feasible_seen = (0..ce.len()).filter(|&i| seen[i] && ce[i] <= eps).count();
    let (multiplier_mean_seen, multiplier_max_seen, _) = mean_max(lambda, |i| seen[i]);
    let positive = (0..lambda.len())
        .filter(|&i| seen[i] && lambda[i] > 0.0)
        .count();
    let frac = |k: usize, n: usize| k as f64 / n.max(1) as f64;
    Figures {
        seen: n_seen,
        feasible_seen: frac(feasible_seen, n_seen),
        feasible_train: feasible_fraction(ce, eps),
        ce_mean_seen,
        ce_max_seen,
        ce_mean_train,
        ce_max_train,
        multiplier_mean_seen,
        multiplier_max_seen,
        multiplier_positive_seen: frac(positive, n_seen),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_count_only_seen_samples() {
        let ce = [0.1, 2.0, 0.3, 5.0];
        let lambda = [0.0, 1.5, 0.0, 9.0];
        let seen = [true, true, true, false];
        let q = figures(&ce, &lambda, &seen, 0.5);
        assert_eq!(q.seen, 3);
        assert!((q.feasible_seen - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(q.feasible_train, 0.5);
        assert_eq!(q.ce_max_seen, 2.0);
        assert_eq!(q.multiplier_max_seen, 1.5);
        assert!((q.multiplier_mean_seen - 0.5).abs() < 1e-12);
        assert!((q.multiplier_positive_seen - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(q.ce_max_train, 5.0);
        assert!((q.ce_mean_train - 7.4 / 4.0).abs() < 1e-12);
    }

    #[test]
    fn no_seen_sample_gives_nans_not_a_panic() {
        let q = figures(&[0.1], &[0.0], &[false], 0.5);
        assert_eq!(q.seen, 0);
        assert_eq!(q.feasible_seen, 0.0);
        assert!(q.ce_mean_seen.is_nan() && q.multiplier_max_seen.is_nan());
        assert_eq!(feasible_fraction(&[], 0.5), 0.0);
    }
}
