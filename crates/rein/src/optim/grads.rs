//! Gradients keyed by parameter path, the currency between backward passes and optimizers.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{Gradients, Shape, Tensor, TensorData};

use crate::error::{ReinError, Result};

/// The gradient of each float parameter of a model, keyed by its module path
/// (`"layers.0.weight"`), flattened to one dimension, with the parameter's shape.
///
/// Keys are stable names, not run-time ids: gradients taken at one copy of a model apply to
/// another copy with the same structure (extragradient steps from the saved point with the
/// gradient taken at the extrapolated point), and they can be averaged across processes.
#[derive(Debug, Clone, Default)]
pub struct ParamGrads {
    pub(crate) grads: BTreeMap<String, (Tensor<1>, Shape)>,
    /// Host copies of `f32` flex gradients, made once by [`ParamGrads::check_finite`] and
    /// reused by the host Adam pass (one read of each gradient per step instead of two).
    host: BTreeMap<String, OnceLock<TensorData>>,
}

impl ParamGrads {
    /// Extracts the gradients of `model`'s parameters from a backward pass. Parameters that
    /// did not take part in the graph have no entry (optimizers skip them).
    pub fn from_backward<M: Module>(model: &M, grads: &Gradients) -> Self {
        let mut v = GradCollector {
            grads,
            path: Vec::new(),
            out: BTreeMap::new(),
        };
        model.visit(&mut v);
        let host = v.out.keys().map(|k| (k.clone(), OnceLock::new())).collect();
        Self { grads: v.out, host }
    }

    /// The flattened gradient of the parameter at `path`.
    pub fn get(&self, path: &str) -> Option<&Tensor<1>> {
        self.grads.get(path).map(|(g, _)| g)
    }

    /// Parameter paths with a gradient, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.grads.keys().map(String::as_str)
    }

    /// Replaces the gradient at `path` (e.g. after an all-reduce); shape is kept.
    pub fn set(&mut self, path: &str, grad: Tensor<1>) {
        if let Some(entry) = self.grads.get_mut(path) {
            entry.0 = grad;
            self.host.insert(path.to_string(), OnceLock::new());
        }
    }

    /// The host copy of the gradient at `path`, if [`ParamGrads::check_finite`] made one
    /// (`f32` gradients on flex) since it was last set.
    pub(crate) fn host_copy(&self, path: &str) -> Option<&TensorData> {
        self.host.get(path).and_then(OnceLock::get)
    }

    /// Number of parameters with a gradient.
    pub fn len(&self) -> usize {
        self.grads.len()
    }

    /// Whether no parameter has a gradient.
    pub fn is_empty(&self) -> bool {
        self.grads.is_empty()
    }
}

struct GradCollector<'a> {
    grads: &'a Gradients,
    path: Vec<String>,
    out: BTreeMap<String, (Tensor<1>, Shape)>,
}

impl ModuleVisitor for GradCollector<'_> {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val();
        if let Some(g) = value.grad(self.grads) {
            let shape = g.shape();
            let n = shape.num_elements();
            self.out
                .insert(self.path.join("."), (g.reshape([n]), shape));
        }
    }
}

impl ParamGrads {
    /// Checks that every gradient is finite: a NaN or infinite entry is a
    /// [`ReinError::NonFiniteGradient`] naming the parameter and the entry.
    ///
    /// `f32` gradients on flex are read to the host once (the copy is kept for the host Adam
    /// pass) and scanned in sixteen lanes
    /// (`x * 0` is `0` for every finite `x` and NaN otherwise); flex's scalar `sum` of the
    /// gradients was 5 % of an MNIST L0 MLP step (BENCHMARKS.md, issue 14). Other gradients cost
    /// one reduction per parameter on their device. The entries are searched one by one only
    /// when the scan or the sum is not finite.
    pub fn check_finite(&self) -> Result<()> {
        for (path, (g, _)) in &self.grads {
            let values: Vec<f64> = if super::adam_host::applies(g) {
                let read = || super::adam_host::host_of_shared(g.clone());
                let local;
                let data = match self.host.get(path) {
                    Some(cell) => cell.get_or_init(read),
                    None => {
                        local = read();
                        &local
                    }
                };
                let values = super::adam_host::f32_values(data);
                if all_finite(&values) {
                    continue;
                }
                values.iter().map(|&v| f64::from(v)).collect()
            } else {
                let sum = g.clone().sum().into_scalar::<f64>();
                if sum.is_finite() {
                    continue;
                }
                g.to_data().iter::<f64>().collect()
            };
            if let Some((entry, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Err(ReinError::NonFiniteGradient {
                    param: path.clone(),
                    entry,
                    value,
                });
            }
        }
        Ok(())
    }
}

/// Whether every value is finite, in sixteen independent lanes (vectorised): `x * 0` is `0`
/// for finite `x` and NaN for an infinite or NaN one, and NaN survives the lane sums.
fn all_finite(values: &[f32]) -> bool {
    let mut lanes = [0.0f32; 16];
    let mut chunks = values.chunks_exact(16);
    for c in &mut chunks {
        for (l, &v) in lanes.iter_mut().zip(c) {
            *l += v * 0.0;
        }
    }
    lanes.iter().all(|l| *l == 0.0) && chunks.remainder().iter().all(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::all_finite;

    #[test]
    fn the_lane_scan_finds_any_non_finite_value_anywhere() {
        for n in [0usize, 1, 15, 16, 17, 100] {
            let finite: Vec<f32> = (0..n).map(|i| i as f32 * 1e30 - 3e31).collect();
            assert!(all_finite(&finite), "n = {n}");
            for at in 0..n {
                for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    let mut v = finite.clone();
                    v[at] = bad;
                    assert!(!all_finite(&v), "n = {n}, {bad} at {at}");
                }
            }
        }
        // Large finite values whose sum would overflow are still finite.
        assert!(all_finite(&[f32::MAX; 40]));
    }
}
