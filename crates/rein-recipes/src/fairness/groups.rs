//! Per-group means of per-row values inside a minibatch, in O(batch) whatever the number of
//! groups, and the dense model's reference figures.

use burn::tensor::{Tensor, TensorData};

/// The groups present in a minibatch and, for each row, the column of its group.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchGroups {
    /// The distinct groups of the batch, ascending.
    pub present: Vec<usize>,
    /// `column[i]`: position in `present` of row `i`'s group.
    pub column: Vec<usize>,
    /// Rows of each present group.
    pub counts: Vec<usize>,
}

impl BatchGroups {
    /// The groups of a batch whose rows belong to `row_groups` (one id per row).
    pub fn new(row_groups: &[usize]) -> Self {
        let mut present: Vec<usize> = row_groups.to_vec();
        present.sort_unstable();
        present.dedup();
        let column: Vec<usize> = row_groups
            .iter()
            .map(|g| present.binary_search(g).unwrap_or(0))
            .collect();
        let mut counts = vec![0; present.len()];
        for &c in &column {
            counts[c] += 1;
        }
        Self {
            present,
            column,
            counts,
        }
    }

    /// `[B, P]` matrix `M` with `M[i, c] = 1 / n_c` when row `i` is in the `c`-th present group
    /// (`n_c` its rows), so `values^T M` are the group means. Its size is at most `B^2`: the
    /// cost does not grow with the number of groups of the data set.
    pub fn mean_matrix(&self, device: &burn::tensor::Device) -> Tensor<2> {
        let (b, p) = (self.column.len(), self.present.len());
        let mut m = vec![0.0f32; b * p];
        for (i, &c) in self.column.iter().enumerate() {
            m[i * p + c] = 1.0 / self.counts[c] as f32;
        }
        Tensor::from_data(TensorData::new(m, [b, p]), device)
    }

    /// The mean of `values` (`[B]`, differentiable) over each present group: `[P]`.
    pub fn means(&self, values: Tensor<1>) -> Tensor<1> {
        let b = self.column.len();
        let m = self.mean_matrix(&values.device());
        values
            .reshape([1, b])
            .matmul(m)
            .reshape([self.present.len()])
    }
}

/// Accuracy and mean cross-entropy of a model over a grouped data set: overall and per group.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GroupFigures {
    /// Accuracy over all rows.
    pub accuracy: f64,
    /// Mean cross-entropy over all rows.
    pub loss: f64,
    /// Accuracy of each group (a group without rows: 0).
    pub group_accuracy: Vec<f64>,
    /// Mean cross-entropy of each group (a group without rows: 0).
    pub group_loss: Vec<f64>,
}

impl GroupFigures {
    /// The figures from per-row correctness and losses and each row's group, `groups` groups.
    pub fn from_rows(correct: &[bool], loss: &[f64], row_groups: &[usize], groups: usize) -> Self {
        let mut hits = vec![0usize; groups];
        let mut sums = vec![0.0; groups];
        let mut counts = vec![0usize; groups];
        for ((&c, &l), &g) in correct.iter().zip(loss).zip(row_groups) {
            hits[g] += usize::from(c);
            sums[g] += l;
            counts[g] += 1;
        }
        let n = correct.len().max(1) as f64;
        let per = |v: &[f64]| -> Vec<f64> {
            v.iter()
                .zip(&counts)
                .map(|(&s, &c)| if c > 0 { s / c as f64 } else { 0.0 })
                .collect()
        };
        let hits_f: Vec<f64> = hits.iter().map(|&h| h as f64).collect();
        Self {
            accuracy: hits.iter().sum::<usize>() as f64 / n,
            loss: loss.iter().sum::<f64>() / n,
            group_accuracy: per(&hits_f),
            group_loss: per(&sums),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    #[test]
    fn means_over_present_groups() {
        let device = Device::flex();
        let bg = BatchGroups::new(&[7, 2, 7, 7, 900]);
        assert_eq!(bg.present, vec![2, 7, 900]);
        assert_eq!(bg.counts, vec![1, 3, 1]);
        let v = Tensor::<1>::from_data([1.0, 2.0, 3.0, 5.0, 4.0], &device);
        let m = bg.means(v).into_data().try_into_vec::<f32>().unwrap();
        assert_eq!(m, vec![2.0, 3.0, 4.0]);
    }

    #[test]
    fn figures_per_group() {
        let f = GroupFigures::from_rows(
            &[true, false, true, true],
            &[0.1, 0.9, 0.2, 0.4],
            &[0, 0, 1, 1],
            3,
        );
        assert_eq!(f.accuracy, 0.75);
        assert_eq!(f.group_accuracy, vec![0.5, 1.0, 0.0]);
        assert!((f.group_loss[0] - 0.5).abs() < 1e-12 && (f.group_loss[1] - 0.3).abs() < 1e-12);
        assert!((f.loss - 0.4).abs() < 1e-12);
    }
}
