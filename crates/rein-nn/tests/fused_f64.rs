//! The fused hard-concrete kernels on a float64 device agree with the element-wise tensor forms
//! to double precision (f64 tensors take libm's scalar `exp`, not the SIMD one). A separate test
//! binary because the flex dtype is a process-wide setting.

use burn::tensor::{Tensor, TensorData};
use rein_nn::l0::GateRng;
use rein_nn::l0::fused::{expected_l0_sum, sample};
use rein_nn::l0::hard_concrete::{expected_l0, sample_unfused};
use rein_testing::device::{device, host};
use rein_testing::linalg::max_abs_diff;

#[test]
fn fused_kernels_match_in_double_precision() {
    let device = device();
    let la: Vec<f64> = (0..41).map(|i| -8.0 + 0.4 * i as f64).collect();
    let w: Vec<f64> = (0..41).map(|i| 1.0 + 0.05 * i as f64).collect();
    let w = Tensor::<1>::from_data(TensorData::new(w, [41]), &device);
    let leaf = || Tensor::<1>::from_data(TensorData::new(la.clone(), [41]), &device).require_grad();

    let run_sample = |fused: bool| {
        let x = leaf();
        let mut rng = GateRng::new(11);
        let z = if fused {
            sample(x.clone(), &mut rng)
        } else {
            sample_unfused(x.clone(), &mut rng)
        };
        let g = x.grad(&(z.clone() * w.clone()).sum().backward()).unwrap();
        (host(&z), host(&g))
    };
    let ((z, g), (z_ref, g_ref)) = (run_sample(true), run_sample(false));
    assert!(
        max_abs_diff(&z, &z_ref) < 1e-13,
        "values {}",
        max_abs_diff(&z, &z_ref)
    );
    assert!(
        max_abs_diff(&g, &g_ref) < 1e-12,
        "grads {}",
        max_abs_diff(&g, &g_ref)
    );

    let x = leaf();
    let e = expected_l0_sum(x.clone());
    let g = host(&x.grad(&e.backward()).unwrap());
    let y = leaf();
    let e_ref = expected_l0(y.clone()).sum();
    let g_ref = host(&y.grad(&e_ref.backward()).unwrap());
    assert!((host(&e)[0] - host(&e_ref)[0]).abs() < 1e-12);
    assert!(
        max_abs_diff(&g, &g_ref) < 1e-14,
        "grads {}",
        max_abs_diff(&g, &g_ref)
    );
}
