//! An in-memory classification data set and its stratified train/test split.

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::DataError;
use crate::rng;

/// A dense classification data set held on the host.
///
/// `features` is row-major `n x d`; `labels[i]` is in `0..classes`. The fields are public for
/// cheap read access; build values through [`Dataset::new`], which checks these invariants.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major feature matrix, `n * d` values.
    pub features: Vec<f32>,
    /// One label per row, each `< classes`.
    pub labels: Vec<usize>,
    /// Number of rows (samples).
    pub n: usize,
    /// Number of feature columns.
    pub d: usize,
    /// Number of classes.
    pub classes: usize,
}

/// The result of [`Dataset::split`]: two data sets plus, for each of their rows, the index of
/// that row in the original data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// Training rows.
    pub train: Dataset,
    /// Test rows.
    pub test: Dataset,
    /// `train_indices[i]` is the original row of `train` row `i` (ascending).
    pub train_indices: Vec<usize>,
    /// `test_indices[i]` is the original row of `test` row `i` (ascending).
    pub test_indices: Vec<usize>,
}

impl Dataset {
    /// Builds a data set, checking that `features.len() == labels.len() * d`, `d > 0` and that
    /// every label is `< classes`.
    pub fn new(
        features: Vec<f32>,
        labels: Vec<usize>,
        d: usize,
        classes: usize,
    ) -> Result<Self, DataError> {
        if d == 0 {
            return Err(DataError::Shape(
                "feature dimension d must be positive".into(),
            ));
        }
        let n = labels.len();
        if features.len() != n * d {
            return Err(DataError::Shape(format!(
                "{} feature values for {n} labels of dimension {d} (expected {})",
                features.len(),
                n * d
            )));
        }
        if let Some((i, &y)) = labels.iter().enumerate().find(|&(_, &y)| y >= classes) {
            return Err(DataError::Shape(format!(
                "label {y} of row {i} is not below the class count {classes}"
            )));
        }
        Ok(Self {
            features,
            labels,
            n,
            d,
            classes,
        })
    }

    /// The features of row `i`.
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.d..(i + 1) * self.d]
    }

    /// Number of rows of each class (length `classes`).
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &y in &self.labels {
            counts[y] += 1;
        }
        counts
    }

    /// The rows `indices` (in that order, repeats allowed) as a new data set with the same
    /// `d` and `classes`.
    ///
    /// # Panics
    /// If an index is `>= n`.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let (features, labels) = self.gather(indices);
        Dataset {
            features,
            labels,
            n: indices.len(),
            d: self.d,
            classes: self.classes,
        }
    }

    /// Copies the features (row-major) and labels of the rows `indices`.
    ///
    /// # Panics
    /// If an index is `>= n`.
    pub fn gather(&self, indices: &[usize]) -> (Vec<f32>, Vec<usize>) {
        let mut features = Vec::with_capacity(indices.len() * self.d);
        let mut labels = Vec::with_capacity(indices.len());
        for &i in indices {
            features.extend_from_slice(self.row(i));
            labels.push(self.labels[i]);
        }
        (features, labels)
    }

    /// The rows `indices` as tensors on `device`: features `[b, d]` (float) and labels `[b]`
    /// (int), ready for `Mlp::forward` and a cross-entropy loss.
    ///
    /// # Panics
    /// If an index is `>= n`.
    pub fn batch_tensors(&self, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let (features, labels) = self.gather(indices);
        let b = indices.len();
        let x = Tensor::<2>::from_data(TensorData::new(features, [b, self.d]), device);
        let labels: Vec<i64> = labels.into_iter().map(|y| y as i64).collect();
        let y = Tensor::<1, Int>::from_data(TensorData::new(labels, [b]), device);
        (x, y)
    }

    /// The whole data set as tensors (see [`Dataset::batch_tensors`]).
    pub fn tensors(&self, device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
        let all: Vec<usize> = (0..self.n).collect();
        self.batch_tensors(&all, device)
    }

    /// A seeded, stratified train/test split.
    ///
    /// For every class with `m` rows, `round(m * test_fraction)` of them (chosen by a seeded
    /// ChaCha8 shuffle of that class's rows, one independent stream per class) go to the test
    /// set and the rest to the training set. Both sides keep the original row order. The result
    /// depends only on the data, `test_fraction` and `seed`.
    ///
    /// # Errors
    /// [`DataError::InvalidArgument`] unless `0 < test_fraction < 1`.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<Split, DataError> {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            return Err(DataError::InvalidArgument {
                name: "test_fraction",
                reason: format!("{test_fraction} is not in the open interval (0, 1)"),
            });
        }
        let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); self.classes];
        for (i, &y) in self.labels.iter().enumerate() {
            by_class[y].push(i);
        }
        let mut is_test = vec![false; self.n];
        for (class, rows) in by_class.iter_mut().enumerate() {
            let mut stream = rng::chacha(seed, class as u64);
            rng::shuffle(&mut stream, rows);
            let n_test = ((rows.len() as f64) * test_fraction).round() as usize;
            for &i in &rows[..n_test.min(rows.len())] {
                is_test[i] = true;
            }
        }
        let (test_indices, train_indices): (Vec<usize>, Vec<usize>) =
            (0..self.n).partition(|&i| is_test[i]);
        Ok(Split {
            train: self.subset(&train_indices),
            test: self.subset(&test_indices),
            train_indices,
            test_indices,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy(n_per_class: &[usize]) -> Dataset {
        let mut features = Vec::new();
        let mut labels = Vec::new();
        for (c, &m) in n_per_class.iter().enumerate() {
            for j in 0..m {
                features.extend([c as f32, j as f32]);
                labels.push(c);
            }
        }
        Dataset::new(features, labels, 2, n_per_class.len()).unwrap()
    }

    #[test]
    fn new_rejects_bad_shapes() {
        assert!(Dataset::new(vec![0.0; 5], vec![0, 1], 2, 2).is_err());
        assert!(Dataset::new(vec![0.0; 4], vec![0, 2], 2, 2).is_err());
        assert!(Dataset::new(vec![], vec![], 0, 2).is_err());
        let ds = Dataset::new(vec![1.0, 2.0, 3.0, 4.0], vec![1, 0], 2, 2).unwrap();
        assert_eq!(ds.row(1), &[3.0, 4.0]);
        assert_eq!(ds.class_counts(), vec![1, 1]);
    }

    #[test]
    fn split_is_stratified() {
        let ds = toy(&[100, 40, 10, 3]);
        let s = ds.split(0.25, 7).unwrap();
        assert_eq!(s.test.class_counts(), vec![25, 10, 3, 1]);
        assert_eq!(s.train.class_counts(), vec![75, 30, 7, 2]);
        assert_eq!(s.train.n + s.test.n, ds.n);
        // Disjoint and covering, rows match their original indices.
        let mut all: Vec<usize> = s
            .train_indices
            .iter()
            .chain(&s.test_indices)
            .copied()
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..ds.n).collect::<Vec<_>>());
        for (k, &i) in s.test_indices.iter().enumerate() {
            assert_eq!(s.test.row(k), ds.row(i));
            assert_eq!(s.test.labels[k], ds.labels[i]);
        }
    }

    #[test]
    fn split_is_deterministic_and_seed_dependent() {
        let ds = toy(&[50, 50]);
        let a = ds.split(0.3, 1).unwrap();
        let b = ds.split(0.3, 1).unwrap();
        let c = ds.split(0.3, 2).unwrap();
        assert_eq!(a, b);
        assert_ne!(a.test_indices, c.test_indices);
    }

    #[test]
    fn split_rejects_bad_fraction() {
        let ds = toy(&[4, 4]);
        for f in [0.0, 1.0, -0.1, 1.5, f64::NAN] {
            assert!(ds.split(f, 0).is_err(), "{f}");
        }
    }

    #[test]
    fn batch_tensors_round_trip() {
        let ds = toy(&[2, 2]);
        let device = Device::flex();
        let (x, y) = ds.batch_tensors(&[3, 0], &device);
        assert_eq!(x.dims(), [2, 2]);
        assert_eq!(
            x.into_data().try_into_vec::<f32>().unwrap(),
            vec![1.0, 1.0, 0.0, 0.0]
        );
        let y = y.into_data_as::<i64>().try_into_vec::<i64>().unwrap();
        assert_eq!(y, vec![1, 0]);
    }
}
