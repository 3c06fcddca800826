//! Gradual magnitude pruning (Zhu & Gupta 2017, "To prune, or not to prune: exploring the
//! efficacy of pruning for model compression"): layer-wise unstructured masks on the weights
//! of an [`Mlp`], the first and last layers kept dense.

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};
use rein_nn::Mlp;

/// The cubic sparsity schedule of Zhu & Gupta (2017) at pruning step `t` of `total`:
///
/// ```text
/// s(t) = s_f + (s_0 - s_f) (1 - t / T)^3        t in [0, T]   (clamped outside)
/// ```
///
/// It prunes fast at first, while many redundant weights remain, and slowly towards the end.
pub fn cubic_sparsity(t: usize, total: usize, initial: f64, last: f64) -> f64 {
    if total == 0 {
        return last;
    }
    let frac = (t.min(total) as f64) / total as f64;
    last + (initial - last) * (1.0 - frac).powi(3)
}

/// The layers of an MLP with `layers` linear layers that are pruned: all but the first and the
/// last (which stay dense, as is customary; they hold few weights and matter most).
pub fn prunable_layers(layers: usize) -> std::ops::Range<usize> {
    1..layers.saturating_sub(1).max(1)
}

/// One 0/1 mask per linear layer of an MLP (dense layers: all ones), kept on the host.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Masks {
    masks: Vec<Vec<bool>>,
    shapes: Vec<[usize; 2]>,
}

impl Masks {
    /// All-ones masks for `model` (nothing pruned).
    pub fn dense(model: &Mlp) -> Self {
        let shapes: Vec<[usize; 2]> = model.layers.iter().map(|l| l.weight.dims()).collect();
        Self {
            masks: shapes.iter().map(|s| vec![true; s[0] * s[1]]).collect(),
            shapes,
        }
    }

    /// Layer-wise magnitude masks: in every prunable layer (see [`prunable_layers`]) the
    /// `round(sparsity * n)` weights of smallest `|w|` are masked (ties broken by position),
    /// the others kept. Weights masked earlier are zero, so they stay masked as the sparsity
    /// grows.
    pub fn magnitude(model: &Mlp, sparsity: f64) -> Self {
        let mut masks = Self::dense(model);
        for l in prunable_layers(model.layers.len()) {
            let w = host(model.layers[l].weight.val());
            let pruned = (sparsity.clamp(0.0, 1.0) * w.len() as f64).round() as usize;
            let mut order: Vec<usize> = (0..w.len()).collect();
            order.sort_by(|&a, &b| w[a].abs().total_cmp(&w[b].abs()).then(a.cmp(&b)));
            for &i in &order[..pruned] {
                masks.masks[l][i] = false;
            }
        }
        masks
    }

    /// Fraction of masked weights of each linear layer (0 for the dense ones).
    pub fn sparsity(&self) -> Vec<f64> {
        self.masks
            .iter()
            .map(|m| m.iter().filter(|&&k| !k).count() as f64 / m.len().max(1) as f64)
            .collect()
    }

    /// Fraction of masked weights over the prunable layers together.
    pub fn prunable_sparsity(&self) -> f64 {
        let range = prunable_layers(self.masks.len());
        let (masked, total) = self.masks[range].iter().fold((0, 0), |(z, n), m| {
            (z + m.iter().filter(|&&k| !k).count(), n + m.len())
        });
        masked as f64 / total.max(1) as f64
    }

    /// `model` with every masked weight set to zero (biases untouched). Parameter ids and the
    /// `require_grad` flag are kept, so an optimizer's state still matches the parameters.
    pub fn apply(&self, mut model: Mlp, device: &Device) -> Mlp {
        for (l, layer) in model.layers.iter_mut().enumerate() {
            if self.masks[l].iter().all(|&k| k) {
                continue;
            }
            let mask: Vec<f32> = self.masks[l]
                .iter()
                .map(|&k| if k { 1.0 } else { 0.0 })
                .collect();
            let weight = std::mem::replace(
                &mut layer.weight,
                Param::from_tensor(Tensor::zeros(self.shapes[l], device)),
            );
            let (id, tensor, mapper) = weight.consume();
            let autodiff = tensor.is_autodiff();
            let require_grad = tensor.is_require_grad();
            // Masked off the graph (on the inner device), then made a leaf again.
            let inner = if autodiff { tensor.inner() } else { tensor };
            let mask =
                Tensor::<2>::from_data(TensorData::new(mask, self.shapes[l]), &inner.device());
            let mut masked = inner.mul(mask);
            if autodiff {
                masked = masked.autodiff();
            }
            if require_grad {
                masked = masked.require_grad();
            }
            layer.weight = Param::from_mapped_value(id, masked, mapper);
        }
        model
    }
}

/// Fraction of exactly-zero weights of each linear layer of `model` (what pruning achieved).
pub fn zero_fraction(model: &Mlp) -> Vec<f64> {
    model
        .layers
        .iter()
        .map(|l| {
            let w = host(l.weight.val());
            w.iter().filter(|&&v| v == 0.0).count() as f64 / w.len().max(1) as f64
        })
        .collect()
}

fn host(t: Tensor<2>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rein_nn::MlpConfig;

    #[test]
    fn cubic_schedule_end_points_and_shape() {
        assert_eq!(cubic_sparsity(0, 100, 0.0, 0.9), 0.0);
        assert!((cubic_sparsity(100, 100, 0.0, 0.9) - 0.9).abs() < 1e-15);
        assert!((cubic_sparsity(250, 100, 0.0, 0.9) - 0.9).abs() < 1e-15);
        // Half way: s_f (1 - 1/8) = 0.7875, more than the linear 0.45.
        assert!((cubic_sparsity(50, 100, 0.0, 0.9) - 0.7875).abs() < 1e-12);
        let mut prev = 0.0;
        for t in 0..=100 {
            let s = cubic_sparsity(t, 100, 0.0, 0.9);
            assert!(s >= prev);
            prev = s;
        }
    }

    #[test]
    fn masks_prune_the_middle_layers_by_magnitude() {
        let device = Device::flex();
        let model = MlpConfig::new(5, vec![8, 6], 3).init(0, &device);
        let masks = Masks::magnitude(&model, 0.75);
        let s = masks.sparsity();
        assert_eq!(s[0], 0.0);
        assert_eq!(s[2], 0.0);
        assert_eq!(s[1], 36.0 / 48.0);
        // Every kept weight is at least as large as every pruned one.
        let w = host(model.layers[1].weight.val());
        let kept = w.iter().zip(&masks.masks[1]).filter(|(_, k)| **k);
        let pruned = w.iter().zip(&masks.masks[1]).filter(|(_, k)| !**k);
        let min_kept = kept.map(|(v, _)| v.abs()).fold(f32::INFINITY, f32::min);
        let max_pruned = pruned.map(|(v, _)| v.abs()).fold(0.0, f32::max);
        assert!(min_kept >= max_pruned);
        let pruned_model = masks.apply(model, &device);
        assert_eq!(zero_fraction(&pruned_model)[1], 0.75);
        assert_eq!(zero_fraction(&pruned_model)[0], 0.0);
    }
}
