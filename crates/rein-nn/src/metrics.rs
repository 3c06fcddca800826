//! Classification metrics: host-side counts and a differentiable surrogate recall.
//!
//! The host-side metrics ([`ConfusionMatrix`], [`accuracy`], [`argmax_rows`]) work on plain
//! slices; predictions are the arg-max of the logits, ties resolved towards the lowest class
//! index. [`soft_recall`] is a tensor expression for use inside a loss or a constraint.

use burn::tensor::activation::sigmoid;
use burn::tensor::{Int, Tensor, TensorData};

/// The arg-max of every row of a row-major `n x classes` logit matrix (first index on ties).
///
/// # Panics
/// If `classes == 0` or `logits.len()` is not a multiple of `classes`.
pub fn argmax_rows(logits: &[f32], classes: usize) -> Vec<usize> {
    assert!(
        classes > 0 && logits.len().is_multiple_of(classes),
        "{} logits do not form rows of {classes}",
        logits.len()
    );
    logits
        .chunks_exact(classes)
        .map(|row| {
            let mut best = 0;
            for (j, &v) in row.iter().enumerate().skip(1) {
                if v > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// Fraction of `predictions` equal to `labels`; `None` for empty input.
///
/// # Panics
/// If the slices differ in length.
pub fn accuracy(predictions: &[usize], labels: &[usize]) -> Option<f64> {
    assert_eq!(predictions.len(), labels.len(), "predictions vs labels");
    if labels.is_empty() {
        return None;
    }
    let hits = predictions
        .iter()
        .zip(labels)
        .filter(|(p, y)| p == y)
        .count();
    Some(hits as f64 / labels.len() as f64)
}

/// A `classes x classes` confusion matrix: entry `(t, p)` counts samples of true class `t`
/// predicted as `p`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    classes: usize,
    counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An all-zero matrix.
    pub fn new(classes: usize) -> Self {
        Self {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Counts `(labels[i], predictions[i])` pairs.
    ///
    /// # Panics
    /// If the slices differ in length or a class is `>= classes`.
    pub fn from_predictions(predictions: &[usize], labels: &[usize], classes: usize) -> Self {
        assert_eq!(predictions.len(), labels.len(), "predictions vs labels");
        let mut m = Self::new(classes);
        for (&p, &y) in predictions.iter().zip(labels) {
            m.add(y, p);
        }
        m
    }

    /// Counts the arg-max predictions of row-major `n x classes` logits against `labels`.
    ///
    /// # Panics
    /// As [`argmax_rows`] and [`ConfusionMatrix::from_predictions`].
    pub fn from_logits(logits: &[f32], labels: &[usize], classes: usize) -> Self {
        Self::from_predictions(&argmax_rows(logits, classes), labels, classes)
    }

    /// Reads a `[n, classes]` logit tensor back to the host and counts its predictions.
    ///
    /// # Panics
    /// As [`ConfusionMatrix::from_logits`], or if the tensor cannot be read as `f32`.
    pub fn from_logits_tensor(logits: Tensor<2>, labels: &[usize]) -> Self {
        let [_, classes] = logits.dims();
        let host = logits
            .into_data_as::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 logits");
        Self::from_logits(&host, labels, classes)
    }

    /// Records one sample of true class `truth` predicted as `predicted`.
    ///
    /// # Panics
    /// If either class is `>= classes`.
    pub fn add(&mut self, truth: usize, predicted: usize) {
        assert!(
            truth < self.classes && predicted < self.classes,
            "class ({truth}, {predicted}) out of range for {} classes",
            self.classes
        );
        self.counts[truth * self.classes + predicted] += 1;
    }

    /// Adds the counts of `other` (e.g. the matrix of another chunk of the data).
    ///
    /// # Panics
    /// If the class counts differ.
    pub fn merge(&mut self, other: &ConfusionMatrix) {
        assert_eq!(self.classes, other.classes, "merging confusion matrices");
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Count of true class `truth` predicted as `predicted`.
    pub fn get(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    /// Row `truth` of the matrix (predictions for samples of that class).
    pub fn row(&self, truth: usize) -> &[u64] {
        &self.counts[truth * self.classes..(truth + 1) * self.classes]
    }

    /// Number of samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Number of samples whose true class is `class`.
    pub fn support(&self, class: usize) -> u64 {
        self.row(class).iter().sum()
    }

    /// Number of samples predicted as `class`.
    pub fn predicted(&self, class: usize) -> u64 {
        (0..self.classes).map(|t| self.get(t, class)).sum()
    }

    /// Fraction of correct predictions; `None` if nothing was counted.
    pub fn accuracy(&self) -> Option<f64> {
        let total = self.total();
        let hits: u64 = (0..self.classes).map(|k| self.get(k, k)).sum();
        (total > 0).then(|| hits as f64 / total as f64)
    }

    /// Recall of `class`: `TP / (TP + FN)`; `None` if the class has no samples.
    pub fn recall(&self, class: usize) -> Option<f64> {
        let support = self.support(class);
        (support > 0).then(|| self.get(class, class) as f64 / support as f64)
    }

    /// Precision of `class`: `TP / (TP + FP)`; `None` if the class was never predicted.
    pub fn precision(&self, class: usize) -> Option<f64> {
        let predicted = self.predicted(class);
        (predicted > 0).then(|| self.get(class, class) as f64 / predicted as f64)
    }

    /// [`ConfusionMatrix::recall`] of every class.
    pub fn recalls(&self) -> Vec<Option<f64>> {
        (0..self.classes).map(|k| self.recall(k)).collect()
    }

    /// [`ConfusionMatrix::precision`] of every class.
    pub fn precisions(&self) -> Vec<Option<f64>> {
        (0..self.classes).map(|k| self.precision(k)).collect()
    }
}

/// Differentiable surrogate of the recall of `class`.
///
/// With logits `z` (`[n, C]`, `C >= 2`), the samples `S_k = { i : labels[i] = k }` and a
/// temperature `T > 0`:
///
/// ```text
/// soft_recall_k = (1 / |S_k|) * sum_{i in S_k} sigmoid( (z_ik - max_{j != k} z_ij) / T )
/// ```
///
/// Sample `i` is classified as `k` exactly when the margin `z_ik - max_{j != k} z_ij` is
/// positive, so the hard recall is the same mean with `sigmoid(./T)` replaced by the step
/// `1[margin > 0]`; as `T -> 0` the surrogate tends to the hard recall (for non-zero margins)
/// and, for any `T`, it is differentiable in the logits almost everywhere (the max routes the
/// gradient to the strongest competing class). Larger `T` gives smoother, smaller-magnitude
/// gradients and a surrogate biased towards `0.5`.
///
/// Returns a one-element tensor (shape `[1]`) on the logits' device, part of the autodiff
/// graph if the logits are, or `None` when no sample has label `class` (recall undefined).
///
/// # Panics
/// If `labels.len() != n`, `C < 2`, `class >= C` or `temperature` is not positive and finite.
pub fn soft_recall(
    logits: Tensor<2>,
    labels: &[usize],
    class: usize,
    temperature: f64,
) -> Option<Tensor<1>> {
    let [n, c] = logits.dims();
    assert_eq!(labels.len(), n, "one label per logit row");
    assert!(c >= 2, "soft recall needs at least two classes, got {c}");
    assert!(class < c, "class {class} out of range for {c} classes");
    assert!(
        temperature.is_finite() && temperature > 0.0,
        "temperature must be positive and finite, got {temperature}"
    );
    let rows: Vec<i64> = labels
        .iter()
        .enumerate()
        .filter(|&(_, &y)| y == class)
        .map(|(i, _)| i as i64)
        .collect();
    if rows.is_empty() {
        return None;
    }
    let device = logits.device();
    let m = rows.len();
    let others: Vec<i64> = (0..c).filter(|&j| j != class).map(|j| j as i64).collect();
    let rows = Tensor::<1, Int>::from_data(TensorData::new(rows, [m]), &device);
    let others = Tensor::<1, Int>::from_data(TensorData::new(others, [c - 1]), &device);
    let z = logits.select(0, rows); // [m, C]
    let own = z.clone().narrow(1, class, 1); // [m, 1]
    let rival = z.select(1, others).max_dim(1); // [m, 1]
    Some(sigmoid((own - rival).div_scalar(temperature)).mean())
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Device;

    /// Three classes, six samples; hand-checked predictions in the comments.
    const LOGITS: [f32; 18] = [
        2.0, 1.0, 0.0, // y=0 -> 0
        0.0, 3.0, 1.0, // y=0 -> 1
        0.0, 1.0, 0.5, // y=1 -> 1
        1.0, 1.0, 0.0, // y=1 -> 0 (tie: lowest index)
        0.0, 0.0, 5.0, // y=2 -> 2
        0.0, 2.0, 1.0, // y=2 -> 1
    ];
    const LABELS: [usize; 6] = [0, 0, 1, 1, 2, 2];

    #[test]
    fn confusion_matrix_by_hand() {
        assert_eq!(argmax_rows(&LOGITS, 3), vec![0, 1, 1, 0, 2, 1]);
        let m = ConfusionMatrix::from_logits(&LOGITS, &LABELS, 3);
        assert_eq!(m.row(0), &[1, 1, 0]);
        assert_eq!(m.row(1), &[1, 1, 0]);
        assert_eq!(m.row(2), &[0, 1, 1]);
        assert_eq!(m.total(), 6);
        assert_eq!(m.accuracy(), Some(0.5));
        assert_eq!(m.recalls(), vec![Some(0.5), Some(0.5), Some(0.5)]);
        // Predicted as 0: two (one right); as 1: three (one right); as 2: one (right).
        assert_eq!(m.precisions(), vec![Some(0.5), Some(1.0 / 3.0), Some(1.0)]);
        assert_eq!(accuracy(&argmax_rows(&LOGITS, 3), &LABELS), Some(0.5));
    }

    #[test]
    fn undefined_metrics_are_none() {
        let m = ConfusionMatrix::from_predictions(&[0, 0], &[0, 0], 3);
        assert_eq!(m.recall(1), None);
        assert_eq!(m.precision(2), None);
        assert_eq!(m.recall(0), Some(1.0));
        assert_eq!(ConfusionMatrix::new(2).accuracy(), None);
        assert_eq!(accuracy(&[], &[]), None);
    }

    #[test]
    fn matrix_from_tensor_matches_host() {
        let device = Device::flex();
        let t = Tensor::<2>::from_data(TensorData::new(LOGITS.to_vec(), [6, 3]), &device);
        let m = ConfusionMatrix::from_logits_tensor(t, &LABELS);
        assert_eq!(m, ConfusionMatrix::from_logits(&LOGITS, &LABELS, 3));
    }

    fn soft(logits: &[f32], labels: &[usize], c: usize, class: usize, t: f64) -> Option<f64> {
        let device = Device::flex();
        let x =
            Tensor::<2>::from_data(TensorData::new(logits.to_vec(), [labels.len(), c]), &device);
        soft_recall(x, labels, class, t)
            .map(|r| r.into_data_as::<f64>().try_into_vec::<f64>().unwrap()[0])
    }

    #[test]
    fn soft_recall_by_hand() {
        // Class 2 samples: margins 5 - 0 = 5 and 1 - 2 = -1.
        let s = soft(&LOGITS, &LABELS, 3, 2, 1.0).unwrap();
        let sig = |x: f64| 1.0 / (1.0 + (-x).exp());
        assert!((s - (sig(5.0) + sig(-1.0)) / 2.0).abs() < 1e-6, "{s}");
        assert_eq!(soft(&LOGITS, &[0, 0, 0, 0, 0, 0], 3, 1, 1.0), None);
    }

    #[test]
    fn soft_recall_tends_to_recall_as_temperature_vanishes() {
        // Pseudo-random logits without ties, 4 classes.
        let n = 200;
        let mut state = 12345u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f64 / (1u64 << 31) as f64 * 4.0 - 2.0) as f32
        };
        let logits: Vec<f32> = (0..n * 4).map(|_| next()).collect();
        let labels: Vec<usize> = (0..n).map(|i| i % 4).collect();
        let m = ConfusionMatrix::from_logits(&logits, &labels, 4);
        for class in 0..4 {
            let hard = m.recall(class).unwrap();
            let errors: Vec<f64> = [1.0, 0.1, 0.01, 1e-4]
                .iter()
                .map(|&t| (soft(&logits, &labels, 4, class, t).unwrap() - hard).abs())
                .collect();
            assert!(errors[3] < 1e-3, "class {class}: {errors:?}");
        }
    }

    #[test]
    fn soft_recall_is_differentiable() {
        let device = Device::flex().autodiff();
        let x =
            Tensor::<2>::from_data([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], &device).require_grad();
        let r = soft_recall(x.clone(), &[0, 0, 1], 0, 1.0).unwrap();
        let g = x
            .grad(&r.backward())
            .unwrap()
            .into_data()
            .try_into_vec::<f32>()
            .unwrap();
        // d/dz of mean(sigmoid(z_0 - z_1)) over rows 0 and 1 (s' = s(1-s) / 2 each); row 2 unused.
        let d = |m: f32| {
            let s = 1.0 / (1.0 + (-m).exp());
            s * (1.0 - s) / 2.0
        };
        let want = [d(1.0), -d(1.0), d(-1.0), -d(-1.0), 0.0, 0.0];
        for (g, w) in g.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{g:?} vs {want:?}");
        }
    }
}
