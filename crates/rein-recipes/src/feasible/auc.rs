//! ROC-AUC of a score for flagging a set of rows, and quantiles of the per-sample losses.

/// The area under the ROC curve of `scores` for separating the rows where `positive` holds
/// from the others, by the Mann-Whitney rank formula (ties get their average rank, i.e. count
/// one half):
///
/// ```text
/// AUC = (R_+ - n_+ (n_+ + 1) / 2) / (n_+ n_-)
/// ```
///
/// with `R_+` the sum of the positives' ranks (1-based, ascending scores). It is the
/// probability that a random positive scores above a random negative. `None` when either class
/// is empty, the lengths differ or a score is `NaN`.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    if scores.len() != positive.len() || scores.iter().any(|s| s.is_nan()) {
        return None;
    }
    let n_pos = positive.iter().filter(|p| **p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        // Ranks start+1 ..= end share their average.
        let average = (start + 1 + end) as f64 / 2.0;
        let tied_pos = order[start..end].iter().filter(|&&i| positive[i]).count();
        rank_sum_pos += average * tied_pos as f64;
        start = end;
    }
    let (p, q) = (n_pos as f64, n_neg as f64);
    Some((rank_sum_pos - p * (p + 1.0) / 2.0) / (p * q))
}

/// The `q`-quantile of `values` (`q` in `[0, 1]`), interpolating linearly between the order
/// statistics at position `q (n - 1)` (NumPy's default); `NaN` for no values.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    v[lo] + (pos - lo as f64) * (v[hi] - v[lo])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_matches_hand_values() {
        // Perfect separation and its reverse.
        assert_eq!(
            roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]),
            Some(1.0)
        );
        assert_eq!(
            roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]),
            Some(0.0)
        );
        // Positives {0.35, 0.8}, negatives {0.1, 0.4}: pairs (0.35>0.1), (0.35<0.4),
        // (0.8>0.1), (0.8>0.4): 3 of 4.
        assert_eq!(
            roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]),
            Some(0.75)
        );
        // Ties count one half: positive 0.5 vs negatives {0.5, 0.2}: (0.5 + 1) / 2.
        assert_eq!(roc_auc(&[0.5, 0.5, 0.2], &[true, false, false]), Some(0.75));
        // All tied: one half.
        assert_eq!(
            roc_auc(&[0.0; 5], &[true, false, true, false, false]),
            Some(0.5)
        );
        // Multipliers at 0 for most negatives, one positive at 0 too: pairs
        // pos 3.0 beats all 3 negatives; pos 0.0 ties the two zero negatives (1/2 each) and
        // loses to 1.0: (3 + 1) / 6.
        assert_eq!(
            roc_auc(
                &[3.0, 0.0, 0.0, 0.0, 1.0],
                &[true, true, false, false, false]
            ),
            Some(4.0 / 6.0)
        );
    }

    #[test]
    fn auc_is_none_without_both_classes_or_with_nan() {
        assert_eq!(roc_auc(&[1.0, 2.0], &[true, true]), None);
        assert_eq!(roc_auc(&[1.0, 2.0], &[false, false]), None);
        assert_eq!(roc_auc(&[1.0, f64::NAN], &[true, false]), None);
        assert_eq!(roc_auc(&[1.0], &[true, false]), None);
    }

    #[test]
    fn quantiles_interpolate_like_numpy() {
        let v = [4.0, 1.0, 3.0, 2.0, 5.0];
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 5.0);
        // pos = 0.9 * 4 = 3.6: 4 + 0.6 (5 - 4).
        assert!((quantile(&v, 0.9) - 4.6).abs() < 1e-12);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
