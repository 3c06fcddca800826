//! The gradients of the GAIT entropy and divergence (Gallego-Posada et al. 2020) through burn's
//! autodiff agree with central finite differences, in float64: in the weights of discrete
//! measures, and in the points of empirical measures (the generator-fitting case). Also: no
//! NaN gradient where weights are exactly zero or measures are far apart.

use burn::tensor::Tensor;
use rein_nn::gait::{
    EmpiricalMeasure, Rbf, SimilarityMatrix, divergence, empirical_divergence, entropy,
    symmetric_divergence,
};
use rein_testing::device::{constant, host, matrix};
use rein_testing::rng::SplitMix64;

/// Central differences of `f` at `x`, step `h`.
fn finite_differences(x: &[f64], h: f64, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    (0..x.len())
        .map(|i| {
            let (mut up, mut down) = (x.to_vec(), x.to_vec());
            up[i] += h;
            down[i] -= h;
            (f(&up) - f(&down)) / (2.0 * h)
        })
        .collect()
}

/// The autodiff gradient of `f` at the vector `x`.
fn autodiff(x: &[f64], f: impl Fn(Tensor<1>) -> Tensor<1>) -> Vec<f64> {
    let t = constant(x).require_grad();
    let grads = f(t.clone()).backward();
    host(&t.grad(&grads).expect("a gradient"))
}

fn assert_close(a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len());
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            x.is_finite() && (x - y).abs() <= tol * (1.0 + y.abs()),
            "entry {i}: autodiff {x} vs finite differences {y}"
        );
    }
}

fn random_simplex(rng: &mut SplitMix64, n: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| 0.1 + rng.unit()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

fn kernel_matrix(rng: &mut SplitMix64, n: usize, sigma: f64) -> SimilarityMatrix {
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|_| vec![2.0 * rng.unit(), 2.0 * rng.unit()])
        .collect();
    SimilarityMatrix::from_kernel(&Rbf::new(sigma).unwrap(), matrix(&rows))
}

#[test]
fn divergence_gradients_in_both_arguments() {
    let mut rng = SplitMix64::new(2);
    let k = kernel_matrix(&mut rng, 6, 0.9);
    let p = random_simplex(&mut rng, 6);
    let q = random_simplex(&mut rng, 6);
    let d = |p: &[f64], q: &[f64]| host(&divergence(&k, constant(p), constant(q)).unwrap())[0];
    let gp = autodiff(&p, |t| divergence(&k, t, constant(&q)).unwrap());
    assert_close(&gp, &finite_differences(&p, 1e-6, |x| d(x, &q)), 1e-6);
    let gq = autodiff(&q, |t| divergence(&k, constant(&p), t).unwrap());
    assert_close(&gq, &finite_differences(&q, 1e-6, |x| d(&p, x)), 1e-6);
    let gs = autodiff(&q, |t| symmetric_divergence(&k, constant(&p), t).unwrap());
    let s = |q: &[f64]| host(&symmetric_divergence(&k, constant(&p), constant(q)).unwrap())[0];
    assert_close(&gs, &finite_differences(&q, 1e-6, s), 1e-6);
}

#[test]
fn entropy_gradients_for_several_orders() {
    let mut rng = SplitMix64::new(4);
    let k = kernel_matrix(&mut rng, 5, 0.6);
    let p = random_simplex(&mut rng, 5);
    for alpha in [0.0, 0.5, 1.0, 2.0, 5.0] {
        let g = autodiff(&p, |t| entropy(&k, t, alpha).unwrap());
        let fd = finite_differences(&p, 1e-6, |x| {
            host(&entropy(&k, constant(x), alpha).unwrap())[0]
        });
        assert_close(&g, &fd, 1e-6);
    }
}

#[test]
fn empirical_divergence_gradients_in_the_points() {
    let mut rng = SplitMix64::new(9);
    let rbf = Rbf::new(0.8).unwrap();
    let x: Vec<f64> = (0..8).map(|_| 2.0 * rng.unit()).collect(); // 4 points in 2-D
    let y: Vec<f64> = (0..6).map(|_| 2.0 * rng.unit() + 0.5).collect(); // 3 points
    let measure = |v: Tensor<1>, n: usize| EmpiricalMeasure::uniform(v.reshape([n, 2])).unwrap();
    let value = |x: &[f64], y: &[f64]| {
        host(
            &empirical_divergence(&rbf, &measure(constant(x), 4), &measure(constant(y), 3))
                .unwrap(),
        )[0]
    };
    let gy = autodiff(&y, |t| {
        empirical_divergence(&rbf, &measure(constant(&x), 4), &measure(t, 3)).unwrap()
    });
    assert_close(&gy, &finite_differences(&y, 1e-6, |v| value(&x, v)), 1e-6);
    let gx = autodiff(&x, |t| {
        empirical_divergence(&rbf, &measure(t, 4), &measure(constant(&y), 3)).unwrap()
    });
    assert_close(&gx, &finite_differences(&x, 1e-6, |v| value(v, &y)), 1e-6);
}

#[test]
fn gradients_stay_finite_at_zero_weights_and_far_apart() {
    let mut rng = SplitMix64::new(12);
    let k = kernel_matrix(&mut rng, 5, 0.5);
    // p has exact zeros: the gradient in q is finite, and matches finite differences.
    let p = [0.5, 0.0, 0.5, 0.0, 0.0];
    let q = random_simplex(&mut rng, 5);
    let gq = autodiff(&q, |t| divergence(&k, constant(&p), t).unwrap());
    let fd = finite_differences(&q, 1e-6, |x| {
        host(&divergence(&k, constant(&p), constant(x)).unwrap())[0]
    });
    assert_close(&gq, &fd, 1e-6);
    let gp = autodiff(&p, |t| entropy(&k, t, 1.0).unwrap());
    assert!(gp.iter().all(|g| g.is_finite()), "{gp:?}");
    // Two clouds 50 sigma apart: exp(-(d/sigma)^2) underflows, the gradient in the points does not.
    let rbf = Rbf::new(0.1).unwrap();
    let x = matrix(&[vec![0.0, 0.0], vec![0.1, 0.0]]);
    let y = [5.0, 0.0, 5.0, 0.1];
    let g = autodiff(&y, |t| {
        empirical_divergence(
            &rbf,
            &EmpiricalMeasure::uniform(x.clone()).unwrap(),
            &EmpiricalMeasure::uniform(t.reshape([2, 2])).unwrap(),
        )
        .unwrap()
    });
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    // Moving q's points towards p's lowers the divergence: the x-gradient is positive.
    assert!(g[0] > 0.0 && g[2] > 0.0, "{g:?}");
}
