//! Deterministic parameter values for burn modules.
//!
//! burn's initialisers draw from a process-wide generator, which tests running in parallel make
//! timing-dependent; tests that compare runs bit for bit, or against recorded numbers, build the
//! module with any initialiser and then overwrite every parameter with [`deterministic`].

use burn::module::Module;
use burn::tensor::{Element, TensorData};
use rein::StateDict;

/// `random` with every parameter replaced by `values(shape)` (row-major, `shape` the
/// parameter's), the parameters taken in the sorted order of their paths (the order of
/// [`StateDict::keys`]). The element type of the values is converted to the module's on load.
pub fn deterministic<M: Module, E: Element>(
    random: M,
    mut values: impl FnMut(&[usize]) -> Vec<E>,
) -> M {
    let mut dict = StateDict::new();
    dict.put_module("m", &random);
    let mut fixed = StateDict::new();
    for k in dict.keys() {
        let shape = dict.get_data(k).expect("a listed key").shape().clone();
        let v = values(shape.as_slice());
        fixed.put_data(k, TensorData::new(v, shape));
    }
    fixed
        .load_module("m", random)
        .expect("the values have the parameters' shapes")
}

#[cfg(test)]
mod tests {
    use burn::nn::{Linear, LinearConfig};

    use super::*;
    use crate::device::{device, host};
    use crate::rng::SplitMix64;

    #[test]
    fn parameters_take_the_values_in_path_order() {
        let d = device();
        let mut rng = SplitMix64::new(11);
        let layer: Linear = deterministic(LinearConfig::new(3, 2).init(&d), |shape| {
            rng.vector(shape.iter().product())
        });
        // "bias" sorts before "weight": the bias takes the first two draws.
        let mut want = SplitMix64::new(11);
        assert_eq!(host(&layer.bias.as_ref().unwrap().val()), want.vector(2));
        let w = layer.weight.val();
        assert_eq!(w.dims(), [3, 2]);
        assert_eq!(host(&w), want.vector(6));
    }
}
