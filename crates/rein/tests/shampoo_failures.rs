//! Shampoo stops with an error, as the reference implementation does (Shi et al. 2023), when a
//! Kronecker factor becomes non-finite (here: `f32` factors overflowing under a huge but finite
//! gradient) and when a block's inverse root fails more times in a row than tolerated; a failed
//! root within the tolerance keeps the previous root and is only counted.

use burn::module::{Module, Param};
use burn::tensor::{Tensor, TensorData};
use rein::ReinError;
use rein::optim::shampoo::{FactorPrecision, RootMethod};
use rein::optim::{ParamGrads, PrimalOptimizer, Shampoo, ShampooConfig};
use rein_testing::prelude::*;

/// A model with one matrix parameter `w`.
#[derive(Module, Debug)]
struct Matrix {
    w: Param<Tensor<2>>,
}

fn matrix(values: &[f64], m: usize, n: usize) -> Matrix {
    let t = Tensor::from_data(TensorData::new(values.to_vec(), [m, n]), &device());
    Matrix {
        w: Param::from_tensor(t),
    }
}

/// Gradients of `scale * sum(w * c)` for fixed `c`: the gradient is `scale * c`.
fn grads(model: &Matrix, c: &[f64], scale: f64) -> ParamGrads {
    let w = model.w.val();
    let [m, n] = w.dims();
    let c = Tensor::<2>::from_data(TensorData::new(c.to_vec(), [m, n]), &device());
    let loss = (w * c).sum().mul_scalar(scale);
    ParamGrads::from_backward(model, &loss.backward())
}

#[test]
fn a_non_finite_factor_is_an_error_naming_the_parameter() {
    let config = ShampooConfig::new(0.1)
        .max_preconditioner_dim(4)
        .factor_precision(FactorPrecision::F32)
        .start_preconditioning_step(1);
    let mut opt = Shampoo::new(config).unwrap();
    let c = SplitMix64::new(3).vector(12);
    let model = matrix(&c, 4, 3);
    // 1e25 is finite in f32 (max 3.4e38); its square is not.
    let g = grads(&model, &c, 1e25);
    match opt.step(model, &g) {
        Err(e @ ReinError::Preconditioner { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("`w`") && text.contains("non-finite"),
                "{text}"
            );
            assert!(
                e.is_non_finite(),
                "a divergence: the run's guard adds the step and rate"
            );
        }
        other => panic!("expected a Preconditioner error, got {other:?}"),
    }
}

#[test]
fn repeated_root_failures_beyond_the_tolerance_are_an_error() {
    // One Newton iteration never meets a 1e-14 tolerance: every root recomputation fails.
    let failing = RootMethod::CoupledNewton {
        tolerance: 1e-14,
        max_iterations: 1,
    };
    let config = ShampooConfig::new(0.01)
        .max_preconditioner_dim(4)
        .root_method(failing)
        .start_preconditioning_step(1)
        .tolerated_root_failures(2);
    let mut opt = Shampoo::new(config).unwrap();
    let c = SplitMix64::new(5).vector(12);
    let mut model = matrix(&c, 4, 3);
    // Steps 1 and 2 fail within the tolerance (previous roots kept, failures counted).
    for step in 1..=2 {
        let g = grads(&model, &c, 1.0);
        model = opt
            .step(model, &g)
            .unwrap_or_else(|e| panic!("step {step}: {e}"));
        assert!(opt.root_failures() >= step, "step {step}");
    }
    let g = grads(&model, &c, 1.0);
    match opt.step(model, &g) {
        Err(e @ ReinError::Preconditioner { .. }) => {
            let text = e.to_string();
            assert!(
                text.contains("3 times in a row") && text.contains("tolerated: 2"),
                "{text}"
            );
            assert!(!e.is_non_finite());
        }
        other => panic!("expected a Preconditioner error, got {other:?}"),
    }
}

#[test]
fn successful_roots_never_error_even_with_no_tolerance() {
    // The default method succeeds: no failure, so a tolerance of 0 never triggers.
    let config = ShampooConfig::new(0.01)
        .max_preconditioner_dim(4)
        .start_preconditioning_step(1)
        .tolerated_root_failures(0);
    let mut opt = Shampoo::new(config).unwrap();
    let c = SplitMix64::new(7).vector(12);
    let mut model = matrix(&c, 4, 3);
    for _ in 0..5 {
        let g = grads(&model, &c, 1.0);
        model = opt.step(model, &g).unwrap();
    }
    assert_eq!(opt.root_failures(), 0);
}
