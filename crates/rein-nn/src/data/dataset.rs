//! An in-memory classification data set and its stratified train/test split.

use std::borrow::Cow;

use burn::tensor::{Device, Int, Tensor, TensorData};

use crate::error::DataError;
use crate::rng;

/// How a [`Dataset`] holds its row-major `n x d` feature matrix.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureStorage {
    /// One `f32` per value.
    F32(Vec<f32>),
    /// One byte per value, read as `f32::from(byte) / divisor`: data kept in the width it is
    /// stored in (8-bit MNIST pixels with `divisor = 255`), a quarter of the `f32` memory. The
    /// values are rounded exactly as a conversion at load time would round them, so a run
    /// gives the same bits with either storage.
    U8 {
        /// The stored bytes, `n * d` of them.
        bytes: Vec<u8>,
        /// Positive, finite divisor of every byte.
        divisor: f32,
    },
}

impl FeatureStorage {
    fn len(&self) -> usize {
        match self {
            Self::F32(v) => v.len(),
            Self::U8 { bytes, .. } => bytes.len(),
        }
    }
}

/// A dense classification data set held on the host.
///
/// The features are row-major `n x d` ([`FeatureStorage`]: `f32`, or bytes with a divisor);
/// `labels[i]` is in `0..classes`. The other fields are public for cheap read access; build
/// values through [`Dataset::new`] or [`Dataset::from_bytes`], which check these invariants.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major feature matrix, `n * d` values (read through [`Dataset::row`] and
    /// [`Dataset::features`]).
    storage: FeatureStorage,
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
        Self::with_storage(FeatureStorage::F32(features), labels, d, classes)
    }

    /// Builds a data set whose features stay bytes (value = `f32::from(byte) / divisor`), with
    /// the checks of [`Dataset::new`] and `divisor` positive and finite.
    pub fn from_bytes(
        bytes: Vec<u8>,
        divisor: f32,
        labels: Vec<usize>,
        d: usize,
        classes: usize,
    ) -> Result<Self, DataError> {
        if !(divisor.is_finite() && divisor > 0.0) {
            return Err(DataError::InvalidArgument {
                name: "divisor",
                reason: format!("{divisor} is not a positive finite number"),
            });
        }
        Self::with_storage(FeatureStorage::U8 { bytes, divisor }, labels, d, classes)
    }

    fn with_storage(
        storage: FeatureStorage,
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
        if storage.len() != n * d {
            return Err(DataError::Shape(format!(
                "{} feature values for {n} labels of dimension {d} (expected {})",
                storage.len(),
                n * d
            )));
        }
        if let Some((i, &y)) = labels.iter().enumerate().find(|&(_, &y)| y >= classes) {
            return Err(DataError::Shape(format!(
                "label {y} of row {i} is not below the class count {classes}"
            )));
        }
        Ok(Self {
            storage,
            labels,
            n,
            d,
            classes,
        })
    }

    /// The features of row `i` (borrowed for `f32` storage, converted for bytes).
    ///
    /// # Panics
    /// If `i >= n`.
    pub fn row(&self, i: usize) -> Cow<'_, [f32]> {
        let range = i * self.d..(i + 1) * self.d;
        match &self.storage {
            FeatureStorage::F32(v) => Cow::Borrowed(&v[range]),
            FeatureStorage::U8 { bytes, divisor } => {
                Cow::Owned(decode(&bytes[range], *divisor).collect())
            }
        }
    }

    /// Appends the features of row `i` to `out`.
    fn extend_row(&self, i: usize, out: &mut Vec<f32>) {
        let range = i * self.d..(i + 1) * self.d;
        match &self.storage {
            FeatureStorage::F32(v) => out.extend_from_slice(&v[range]),
            FeatureStorage::U8 { bytes, divisor } => {
                out.extend(decode(&bytes[range], *divisor));
            }
        }
    }

    /// The whole row-major feature matrix as `f32` (borrowed for `f32` storage).
    pub fn features(&self) -> Cow<'_, [f32]> {
        match &self.storage {
            FeatureStorage::F32(v) => Cow::Borrowed(v),
            FeatureStorage::U8 { bytes, divisor } => Cow::Owned(decode(bytes, *divisor).collect()),
        }
    }

    /// How the features are stored.
    pub fn storage(&self) -> &FeatureStorage {
        &self.storage
    }

    /// Bytes the feature matrix occupies as stored.
    pub fn feature_bytes(&self) -> usize {
        match &self.storage {
            FeatureStorage::F32(v) => std::mem::size_of_val(v.as_slice()),
            FeatureStorage::U8 { bytes, .. } => bytes.len(),
        }
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
        let labels = indices.iter().map(|&i| self.labels[i]).collect();
        let storage = match &self.storage {
            FeatureStorage::F32(v) => FeatureStorage::F32(gather_rows(v, self.d, indices)),
            FeatureStorage::U8 { bytes, divisor } => FeatureStorage::U8 {
                bytes: gather_rows(bytes, self.d, indices),
                divisor: *divisor,
            },
        };
        Dataset {
            storage,
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
            self.extend_row(i, &mut features);
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

/// Stored bytes as the values they stand for: `f32::from(byte) / divisor`.
fn decode(bytes: &[u8], divisor: f32) -> impl Iterator<Item = f32> + '_ {
    bytes.iter().map(move |&b| f32::from(b) / divisor)
}

/// The rows `indices` of the row-major matrix `values` with `d` columns.
fn gather_rows<T: Copy>(values: &[T], d: usize, indices: &[usize]) -> Vec<T> {
    let mut out = Vec::with_capacity(indices.len() * d);
    for &i in indices {
        out.extend_from_slice(&values[i * d..(i + 1) * d]);
    }
    out
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
        assert_eq!(&*ds.row(1), &[3.0, 4.0]);
        assert_eq!(ds.class_counts(), vec![1, 1]);
        assert!(Dataset::from_bytes(vec![0; 5], 255.0, vec![0, 1], 2, 2).is_err());
        for bad in [0.0, -1.0, f32::NAN, f32::INFINITY] {
            let err = Dataset::from_bytes(vec![0; 4], bad, vec![0, 1], 2, 2).unwrap_err();
            assert!(err.to_string().contains("divisor"), "{err}");
        }
    }

    /// Byte storage reads as the f32 conversion done at load time, bit for bit, in every
    /// access path, and holds a quarter of the bytes.
    #[test]
    fn byte_storage_reads_as_the_converted_values() {
        let bytes: Vec<u8> = (0..=255).chain(0..=255).map(|b: u32| b as u8).collect();
        let labels: Vec<usize> = (0..64).map(|i| i % 3).collect();
        let converted: Vec<f32> = bytes.iter().map(|&b| f32::from(b) / 255.0).collect();
        let q = Dataset::from_bytes(bytes, 255.0, labels.clone(), 8, 3).unwrap();
        let f = Dataset::new(converted, labels, 8, 3).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&q.features()), bits(&f.features()));
        assert_eq!(bits(&q.row(37)), bits(&f.row(37)));
        let idx = [5, 0, 63, 5];
        assert_eq!(bits(&q.gather(&idx).0), bits(&f.gather(&idx).0));
        assert_eq!(q.gather(&idx).1, f.gather(&idx).1);
        let (qs, fs) = (q.split(0.25, 3).unwrap(), f.split(0.25, 3).unwrap());
        assert!(matches!(qs.train.storage(), FeatureStorage::U8 { .. }));
        assert_eq!(bits(&qs.train.features()), bits(&fs.train.features()));
        assert_eq!(qs.test_indices, fs.test_indices);
        assert_eq!(q.feature_bytes() * 4, f.feature_bytes());
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
            assert_eq!(&*s.test.row(k), &*ds.row(i));
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
