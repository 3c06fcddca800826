//! Evaluation helpers shared by the classification recipes.

use burn::tensor::{Device, Tensor};
use rein_nn::{Dataset, metrics};

/// Rows per forward pass when evaluating a whole data set (LeNet-5 on 60k images at once
/// would hold every activation in memory).
const CHUNK: usize = 500;

/// The confusion matrix of `logits` over `data`, evaluated in chunks on `device` (use the
/// inner, non-autodiff device: no graph is built).
pub fn confusion(
    data: &Dataset,
    device: &Device,
    logits: impl Fn(Tensor<2>) -> Tensor<2>,
) -> metrics::ConfusionMatrix {
    let mut confusion = metrics::ConfusionMatrix::new(data.classes);
    let rows: Vec<usize> = (0..data.n).collect();
    for chunk in rows.chunks(CHUNK) {
        let (x, _) = data.batch_tensors(chunk, device);
        let labels: Vec<usize> = chunk.iter().map(|&i| data.labels[i]).collect();
        confusion.merge(&metrics::ConfusionMatrix::from_logits_tensor(
            logits(x).detach(),
            &labels,
        ));
    }
    confusion
}

/// The accuracy of `logits` over `data` (0 for an empty set).
pub fn accuracy(data: &Dataset, device: &Device, logits: impl Fn(Tensor<2>) -> Tensor<2>) -> f64 {
    confusion(data, device, logits).accuracy().unwrap_or(0.0)
}
