//! A tensor with a given value and a given element-wise derivative: one autodiff node instead
//! of the three element-wise ops of the linearisation trick (see [`super::fused`]).
//!
//! For an input `x`, a value `y_h` computed on the host and the derivative `d_h` of `y` with
//! respect to `x`, [`with_slope`] returns a tensor with value `y_h` whose backward pass sends
//!
//! ```text
//! dL/dx = dL/dy * d_h                       (y has x's shape: an element-wise function)
//! dL/dx = dL/dy * d_h, dL/dy broadcast       (y has shape [1]: a sum over x)
//! ```
//!
//! On the flex device with autodiff this is a custom backward op (burn's backend extension): the
//! forward pass costs nothing and the backward pass one multiply. The linearisation trick
//! `y_h + (x d_h - stop(x d_h))` needs a multiply, a subtract and an add forward (plus, for a
//! sum, a reduction and a broadcast backward); on the MNIST L0 MLP that was three passes over
//! 266,610 gates per step (BENCHMARKS.md, issue 14). Other devices keep the trick, which works
//! everywhere and gives the same gradient (tested).

use burn::backend::autodiff::Autodiff;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, TensorMetadata, backend_extension};
use burn::tensor::{Device, Shape, Tensor};

/// The backend operation behind [`with_slope`]: `value`, with the gradient `grad * slope` sent
/// to `input`. Without autodiff it is `value` itself.
#[backend_extension(Autodiff, Flex)]
pub trait SlopeOps: Backend {
    /// `value` with derivative `slope` with respect to `input` (module docs).
    fn with_slope(
        input: FloatTensor<Self>,
        value: FloatTensor<Self>,
        slope: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let _ = (input, slope);
        value
    }
}

impl SlopeOps for Flex {}

/// The backward step: `grad * slope` to the input, `grad` reshaped to `[1, ..., 1]` first when
/// the value was a sum.
#[derive(Debug)]
struct SlopeBackward;

impl<B: Backend> Backward<B, 1> for SlopeBackward {
    type State = FloatTensor<B>;

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [input] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let slope = ops.state;
        if let Some(node) = input {
            let rank = slope.shape().num_dims();
            let grad = if grad.shape() == slope.shape() {
                grad
            } else {
                B::float_reshape(grad, Shape::from(vec![1; rank]))
            };
            grads.register::<B>(node.id, B::float_mul(grad, slope));
        }
    }
}

impl<C: CheckpointStrategy> SlopeOps for Autodiff<Flex, C> {
    fn with_slope(
        input: FloatTensor<Self>,
        value: FloatTensor<Self>,
        slope: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        match SlopeBackward
            .prepare::<C>([input.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => prep.finish(slope.into_primitive(), value.into_primitive()),
            OpsKind::UnTracked(prep) => prep.finish(value.into_primitive()),
        }
    }
}

/// `value` (computed off the graph), with derivative `slope` with respect to `input`: the
/// gradient reaching `input` is `dL/dvalue * slope` element-wise. `value` has `input`'s shape
/// (an element-wise function) or shape `[1]` (a sum over `input`); `slope` has `input`'s shape.
///
/// The result is tracked exactly when `input` is. See the module docs for the two forms.
pub fn with_slope<const D: usize, const V: usize>(
    input: Tensor<D>,
    value: Tensor<V>,
    slope: Tensor<D>,
) -> Tensor<V> {
    if !input.is_tracked() {
        return value;
    }
    if input.device().inner() == Device::flex() {
        return Tensor::from_dispatch(<Dispatch as SlopeOps>::with_slope(
            input.into_dispatch(),
            value.into_dispatch(),
            slope.into_dispatch(),
        ));
    }
    linearised(input, value, slope)
}

/// The linearisation trick: `value + (lin - stop(lin))` with `lin = input * slope` (summed to
/// `[1]` when `value` is a sum). Exact in value (`a - a = 0` for finite `a`) and in gradient.
fn linearised<const D: usize, const V: usize>(
    input: Tensor<D>,
    value: Tensor<V>,
    slope: Tensor<D>,
) -> Tensor<V> {
    let lin = input * slope;
    let lin: Tensor<V> = if value.dims()[0] == 1 && V == 1 && lin.shape().num_elements() != 1 {
        lin.sum().reshape([1; V])
    } else {
        lin.reshape(value.shape())
    };
    value + (lin.clone() - lin.detach())
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;

    fn values(t: Tensor<2>) -> Vec<f32> {
        t.into_data().try_to_vec::<f32>().unwrap()
    }

    /// The custom op and the linearisation trick give the same value and the same gradient,
    /// for an element-wise value and for a sum, and through a downstream op.
    #[test]
    fn custom_op_equals_the_linearisation_trick() {
        let device = Device::flex().autodiff();
        let x_values: Vec<f32> = (0..6).map(|i| i as f32 * 0.7 - 2.0).collect();
        let y_h: Vec<f32> = x_values.iter().map(|x| x.tanh()).collect();
        let d_h: Vec<f32> = y_h.iter().map(|y| 1.0 - y * y).collect();
        let w = Tensor::<2>::from_data(
            TensorData::new(vec![1.0f32, -2.0, 3.0, 0.5, 4.0, -1.5], [2, 3]),
            &device,
        );
        let run = |custom: bool| {
            let x = Tensor::<2>::from_data(TensorData::new(x_values.clone(), [2, 3]), &device)
                .require_grad();
            let y = Tensor::<2>::from_data(TensorData::new(y_h.clone(), [2, 3]), &device);
            let d = Tensor::<2>::from_data(TensorData::new(d_h.clone(), [2, 3]), &device);
            let total = Tensor::<1>::from_data(
                TensorData::new(vec![y_h.iter().sum::<f32>()], [1]),
                &device,
            );
            let (elem, sum) = if custom {
                (
                    with_slope(x.clone(), y, d.clone()),
                    with_slope(x.clone(), total, d),
                )
            } else {
                (
                    linearised(x.clone(), y, d.clone()),
                    linearised(x.clone(), total, d),
                )
            };
            let loss = (elem.clone() * w.clone()).sum() + sum.clone().mul_scalar(3.0);
            let grads = loss.backward();
            (
                values(elem),
                sum.into_data().try_to_vec::<f32>().unwrap(),
                values(x.grad(&grads).unwrap()),
            )
        };
        let (custom, trick) = (run(true), run(false));
        assert_eq!(custom, trick);
        // And the gradient is the chain rule: w * d + 3 * d.
        let w_values = [1.0f32, -2.0, 3.0, 0.5, 4.0, -1.5];
        for ((g, d), w) in custom.2.iter().zip(&d_h).zip(&w_values) {
            assert!(
                (g - (w * d + 3.0 * d)).abs() <= 1e-6,
                "{g} vs {}",
                w * d + 3.0 * d
            );
        }
    }

    /// Off the graph (no autodiff, or an untracked input) the value passes through.
    #[test]
    fn untracked_input_gives_the_value() {
        for device in [Device::flex(), Device::flex().autodiff()] {
            let x = Tensor::<2>::ones([2, 2], &device);
            let y = Tensor::<2>::full([2, 2], 0.25, &device);
            let out = with_slope(x.clone(), y, x);
            assert_eq!(values(out), vec![0.25; 4]);
        }
    }
}
