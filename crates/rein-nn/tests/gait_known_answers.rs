//! Every closed-form answer of GAIT (Gallego-Posada et al. 2020, "GAIT: A Geometric Approach
//! to Information Theory", AISTATS), in float64: the identity kernel gives Shannon / Rényi
//! entropy and KL, the all-ones kernel gives 0, a block cluster kernel gives the entropy of the
//! cluster masses, two Diracs have a closed-form divergence, `D(p || p) = 0`, and the
//! right-sided barycenter is the arithmetic mean. Plus the argument errors.

use burn::tensor::{Tensor, TensorData};
use rein_nn::gait::{
    EmpiricalMeasure, FnKernel, Polynomial, Rbf, Similarity, SimilarityMatrix, divergence,
    empirical_divergence, empirical_entropy, empirical_symmetric_divergence, entropy,
    symmetric_divergence,
};
use rein_testing::device::{constant, device, host, matrix};
use rein_testing::rng::SplitMix64;

fn scalar(t: Tensor<1>) -> f64 {
    host(&t)[0]
}

fn identity(n: usize) -> SimilarityMatrix {
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|i| (0..n).map(|j| f64::from(u8::from(i == j))).collect())
        .collect();
    SimilarityMatrix::new(matrix(&rows)).unwrap()
}

fn ones(n: usize) -> SimilarityMatrix {
    SimilarityMatrix::new(matrix(&vec![vec![1.0; n]; n])).unwrap()
}

/// A random probability vector with all entries positive.
fn random_simplex(rng: &mut SplitMix64, n: usize) -> Vec<f64> {
    let w: Vec<f64> = (0..n).map(|_| 0.1 + rng.unit()).collect();
    let s: f64 = w.iter().sum();
    w.iter().map(|v| v / s).collect()
}

/// Random points in the plane.
fn random_points(rng: &mut SplitMix64, n: usize) -> Tensor<2> {
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|_| vec![2.0 * rng.unit(), 2.0 * rng.unit()])
        .collect();
    matrix(&rows)
}

fn shannon(p: &[f64]) -> f64 {
    -p.iter()
        .filter(|&&v| v > 0.0)
        .map(|v| v * v.ln())
        .sum::<f64>()
}

fn renyi(p: &[f64], alpha: f64) -> f64 {
    if alpha == 1.0 {
        return shannon(p);
    }
    p.iter()
        .filter(|&&v| v > 0.0)
        .map(|v| v.powf(alpha))
        .sum::<f64>()
        .ln()
        / (1.0 - alpha)
}

#[test]
fn identity_kernel_gives_shannon_and_renyi_entropy() {
    let p = [0.5, 0.25, 0.125, 0.125, 0.0];
    let k = identity(5);
    for alpha in [0.0, 0.5, 1.0, 1.0 + 1e-9, 2.0, 3.5, 10.0] {
        let h = scalar(entropy(&k, constant(&p), alpha).unwrap());
        let want = renyi(&p, if alpha == 1.0 + 1e-9 { 1.0 } else { alpha });
        assert!((h - want).abs() < 1e-12, "alpha {alpha}: {h} vs {want}");
    }
    // Shannon entropy of this p is 1.75 bits.
    let h1 = scalar(entropy(&k, constant(&p), 1.0).unwrap());
    assert!((h1 / 2f64.ln() - 1.75).abs() < 1e-12);
    // Order 0 counts the support: log 4.
    let h0 = scalar(entropy(&k, constant(&p), 0.0).unwrap());
    assert!((h0 - 4f64.ln()).abs() < 1e-12);
}

#[test]
fn identity_kernel_gives_kl() {
    let p: [f64; 4] = [0.5, 0.3, 0.2, 0.0];
    let q: [f64; 4] = [0.1, 0.4, 0.25, 0.25];
    let k = identity(4);
    let kl: f64 = p
        .iter()
        .zip(&q)
        .filter(|(a, _)| **a > 0.0)
        .map(|(a, b)| a * (a / b).ln())
        .sum();
    let d = scalar(divergence(&k, constant(&p), constant(&q)).unwrap());
    assert!((d - kl).abs() < 1e-12, "{d} vs {kl}");
    let kl_back: f64 = q
        .iter()
        .zip(&p)
        .map(|(a, b)| {
            if *b == 0.0 {
                f64::INFINITY
            } else {
                a * (a / b).ln()
            }
        })
        .sum();
    assert!(kl_back.is_infinite());
    // KL(q || p) is infinite (q has mass where p has none): the value is large and finite.
    let d_back = scalar(divergence(&k, constant(&q), constant(&p)).unwrap());
    assert!(d_back.is_finite() && d_back > 15.0, "{d_back}");
}

#[test]
fn all_ones_kernel_gives_zero() {
    let mut rng = SplitMix64::new(3);
    let k = ones(6);
    for _ in 0..5 {
        let p = random_simplex(&mut rng, 6);
        let q = random_simplex(&mut rng, 6);
        for alpha in [0.0, 0.5, 1.0, 2.0, 7.0] {
            let h = scalar(entropy(&k, constant(&p), alpha).unwrap());
            assert!(h.abs() < 1e-12, "alpha {alpha}: {h}");
        }
        let d = scalar(divergence(&k, constant(&p), constant(&q)).unwrap());
        assert!(d.abs() < 1e-12, "{d}");
    }
}

#[test]
fn block_cluster_kernel_gives_the_entropy_of_the_cluster_masses() {
    // Clusters {0, 1, 2}, {3, 4}, {5}.
    let cluster = [0, 0, 0, 1, 1, 2];
    let rows: Vec<Vec<f64>> = (0..6)
        .map(|i| {
            (0..6)
                .map(|j| f64::from(u8::from(cluster[i] == cluster[j])))
                .collect()
        })
        .collect();
    let k = SimilarityMatrix::new(matrix(&rows)).unwrap();
    let mut rng = SplitMix64::new(8);
    for _ in 0..4 {
        let p = random_simplex(&mut rng, 6);
        let mut masses = [0.0; 3];
        for (i, &c) in cluster.iter().enumerate() {
            masses[c] += p[i];
        }
        for alpha in [0.0, 0.5, 1.0, 2.0, 4.0] {
            let h = scalar(entropy(&k, constant(&p), alpha).unwrap());
            let want = renyi(&masses, alpha);
            assert!((h - want).abs() < 1e-12, "alpha {alpha}: {h} vs {want}");
        }
        // The divergence is the KL of the cluster masses.
        let q = random_simplex(&mut rng, 6);
        let mut qm = [0.0; 3];
        for (i, &c) in cluster.iter().enumerate() {
            qm[c] += q[i];
        }
        let kl: f64 = masses.iter().zip(&qm).map(|(a, b)| a * (a / b).ln()).sum();
        let d = scalar(divergence(&k, constant(&p), constant(&q)).unwrap());
        assert!((d - kl).abs() < 1e-12, "{d} vs {kl}");
    }
}

#[test]
fn two_diracs_at_distance_d() {
    for sigma in [0.5, 1.0, 3.0] {
        let rbf = Rbf::new(sigma).unwrap();
        // Distances far beyond where exp(-(d/sigma)^2) underflows: the log-domain form stays exact.
        for d in [0.0, 0.1, 0.7, 1.5, 4.0, 30.0 * sigma] {
            let x = EmpiricalMeasure::uniform(matrix(&[vec![0.3, -1.0]])).unwrap();
            let y =
                EmpiricalMeasure::uniform(matrix(&[vec![0.3 + 0.6 * d, -1.0 + 0.8 * d]])).unwrap();
            let r = (d / sigma).powi(2);
            let want = 1.0 + r - (-r).exp();
            let got = scalar(empirical_divergence(&rbf, &x, &y).unwrap());
            assert!(
                (got - want).abs() < 1e-9 * want.max(1.0),
                "sigma {sigma} d {d}: {got} vs {want}"
            );
            let sym = scalar(empirical_symmetric_divergence(&rbf, &x, &y).unwrap());
            assert!((sym - want).abs() < 1e-9 * want.max(1.0));
        }
    }
}

#[test]
fn divergence_of_a_measure_with_itself_is_zero_and_otherwise_positive() {
    let mut rng = SplitMix64::new(21);
    let rbf = Rbf::new(0.8).unwrap();
    for _ in 0..5 {
        let pts = random_points(&mut rng, 7);
        let k = SimilarityMatrix::from_kernel(&rbf, pts.clone());
        let p = random_simplex(&mut rng, 7);
        let q = random_simplex(&mut rng, 7);
        let same = scalar(divergence(&k, constant(&p), constant(&p)).unwrap());
        assert!(same.abs() < 1e-12, "{same}");
        let sym_same = scalar(symmetric_divergence(&k, constant(&p), constant(&p)).unwrap());
        assert!(sym_same.abs() < 1e-12);
        let pq = scalar(divergence(&k, constant(&p), constant(&q)).unwrap());
        let qp = scalar(divergence(&k, constant(&q), constant(&p)).unwrap());
        let sym = scalar(symmetric_divergence(&k, constant(&p), constant(&q)).unwrap());
        assert!(pq > 0.0 && qp > 0.0, "{pq} {qp}");
        assert!((sym - 0.5 * (pq + qp)).abs() < 1e-12);
        // The empirical form on the same points and weights agrees with the discrete one.
        let mp = EmpiricalMeasure::weighted(pts.clone(), constant(&p)).unwrap();
        let mq = EmpiricalMeasure::weighted(pts.clone(), constant(&q)).unwrap();
        let e = scalar(empirical_divergence(&rbf, &mp, &mq).unwrap());
        assert!((e - pq).abs() < 1e-12, "{e} vs {pq}");
        let self_e = scalar(empirical_divergence(&rbf, &mp, &mp).unwrap());
        assert!(self_e.abs() < 1e-12);
        let h = scalar(empirical_entropy(&rbf, &mp, 2.0).unwrap());
        let hd = scalar(entropy(&k, constant(&p), 2.0).unwrap());
        assert!((h - hd).abs() < 1e-12);
    }
}

#[test]
fn empirical_measures_with_disjoint_supports_match_the_padded_discrete_form() {
    // p on x (3 points), q on y (2 points): the discrete divergence on the joint support with
    // zero weights is the empirical one.
    let x = vec![vec![0.0, 0.0], vec![1.0, 0.5], vec![-0.5, 1.0]];
    let y = vec![vec![0.2, 0.1], vec![2.0, -1.0]];
    let a = [0.2, 0.5, 0.3];
    let b = [0.6, 0.4];
    let rbf = Rbf::new(1.2).unwrap();
    let joint: Vec<Vec<f64>> = x.iter().chain(&y).cloned().collect();
    let k = SimilarityMatrix::from_kernel(&rbf, matrix(&joint));
    let pa = [0.2, 0.5, 0.3, 0.0, 0.0];
    let qb = [0.0, 0.0, 0.0, 0.6, 0.4];
    let want = scalar(divergence(&k, constant(&pa), constant(&qb)).unwrap());
    let p = EmpiricalMeasure::weighted(matrix(&x), constant(&a)).unwrap();
    let q = EmpiricalMeasure::weighted(matrix(&y), constant(&b)).unwrap();
    let got = scalar(empirical_divergence(&rbf, &p, &q).unwrap());
    assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    assert!(got > 0.0);
}

#[test]
fn right_sided_barycenter_is_the_mean() {
    let mut rng = SplitMix64::new(5);
    let n = 6;
    let rbf = Rbf::new(0.7).unwrap();
    let pts = random_points(&mut rng, n);
    let k = SimilarityMatrix::from_kernel(&rbf, pts);
    let ps: Vec<Vec<f64>> = (0..4).map(|_| random_simplex(&mut rng, n)).collect();
    let mean: Vec<f64> = (0..n)
        .map(|i| ps.iter().map(|p| p[i]).sum::<f64>() / 4.0)
        .collect();
    let objective = |q: Tensor<1>| {
        ps.iter()
            .map(|p| divergence(&k, constant(p), q.clone()).unwrap())
            .reduce(|a, b| a + b)
            .unwrap()
    };
    // Minimise sum_i D(p_i || softmax(theta)) by gradient descent from the uniform vector.
    let mut theta = vec![0.0; n];
    for _ in 0..3000 {
        let t = constant(&theta).require_grad();
        let q = burn::tensor::activation::softmax(t.clone(), 0);
        let grads = objective(q).backward();
        let g = host(&t.grad(&grads).unwrap());
        for (v, gi) in theta.iter_mut().zip(&g) {
            *v -= 2.0 * gi;
        }
    }
    let q = host(&burn::tensor::activation::softmax(constant(&theta), 0));
    let err = q
        .iter()
        .zip(&mean)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 1e-6, "barycenter {q:?} vs mean {mean:?}");
    // And the mean beats nearby points of the simplex.
    let at_mean = scalar(objective(constant(&mean)));
    for i in 0..n {
        let mut moved = mean.clone();
        moved[i] += 0.01;
        moved[(i + 1) % n] -= 0.01;
        assert!(scalar(objective(constant(&moved))) > at_mean);
    }
}

#[test]
fn user_given_and_polynomial_kernels() {
    let pts = matrix(&[vec![0.0, 0.0], vec![1.0, 0.0], vec![0.0, 3.0]]);
    // A user-given Gaussian kernel agrees with Rbf.
    let user = FnKernel(|x: Tensor<2>, y: Tensor<2>| {
        rein_nn::gait::squared_distances(x, y)
            .div_scalar(-4.0)
            .exp()
    });
    let rbf = Rbf::new(2.0).unwrap();
    let p = EmpiricalMeasure::uniform(pts.clone()).unwrap();
    let q = EmpiricalMeasure::weighted(pts.clone(), constant(&[0.6, 0.3, 0.1])).unwrap();
    let a = scalar(empirical_divergence(&user, &p, &q).unwrap());
    let b = scalar(empirical_divergence(&rbf, &p, &q).unwrap());
    assert!((a - b).abs() < 1e-12 && a > 0.0);
    // A user-given identity kernel on distinct points: Shannon entropy and KL.
    let eye = FnKernel(|x: Tensor<2>, y: Tensor<2>| {
        rein_nn::gait::squared_distances(x, y)
            .lower_equal_elem(1e-12)
            .float()
    });
    let h = scalar(empirical_entropy(&eye, &q, 1.0).unwrap());
    assert!((h - shannon(&[0.6, 0.3, 0.1])).abs() < 1e-12);
    let kl = scalar(empirical_divergence(&eye, &q, &p).unwrap());
    let want: f64 = [0.6f64, 0.3, 0.1].iter().map(|a| a * (a * 3.0).ln()).sum();
    assert!((kl - want).abs() < 1e-12, "{kl} vs {want}");
    // The normalised polynomial kernel: unit diagonal, values in [0, 1] on non-negative data.
    let poly = Polynomial::new(3, 1.0).unwrap();
    let nonneg = matrix(&[
        vec![0.0, 1.0],
        vec![2.0, 0.5],
        vec![1.0, 1.0],
        vec![0.0, 0.0],
    ]);
    let kp = host(&poly.similarity(nonneg.clone(), nonneg.clone()));
    for i in 0..4 {
        assert!((kp[i * 4 + i] - 1.0).abs() < 1e-12);
        for j in 0..4 {
            assert!((0.0..=1.0 + 1e-12).contains(&kp[i * 4 + j]));
            assert!((kp[i * 4 + j] - kp[j * 4 + i]).abs() < 1e-12);
        }
    }
    // K(x, y) = ((x.y + c) / sqrt((|x|^2 + c)(|y|^2 + c)))^3 for x = (0, 1), y = (2, 0.5).
    let want = (1.5f64 / (2.0f64 * 5.25).sqrt()).powi(3);
    assert!((kp[1] - want).abs() < 1e-12);
    assert!(SimilarityMatrix::new(poly.similarity(nonneg.clone(), nonneg)).is_ok());
}

#[test]
fn bad_arguments_are_errors_naming_them() {
    let k = identity(3);
    let err = |r: Result<Tensor<1>, rein_nn::gait::GaitError>| r.unwrap_err().name;
    assert_eq!(err(entropy(&k, constant(&[0.5, 0.5, 0.5]), 1.0)), "p");
    assert_eq!(err(entropy(&k, constant(&[0.5, 0.5]), 1.0)), "p");
    assert_eq!(err(entropy(&k, constant(&[1.5, -0.5, 0.0]), 1.0)), "p");
    assert_eq!(err(entropy(&k, constant(&[f64::NAN, 0.5, 0.5]), 1.0)), "p");
    assert_eq!(err(entropy(&k, constant(&[0.5, 0.5, 0.0]), -1.0)), "order");
    assert_eq!(
        err(entropy(&k, constant(&[0.5, 0.5, 0.0]), f64::INFINITY)),
        "order"
    );
    assert_eq!(
        err(divergence(
            &k,
            constant(&[0.5, 0.5, 0.0]),
            constant(&[0.5, 0.6, 0.0])
        )),
        "q"
    );
    assert_eq!(Rbf::new(0.0).unwrap_err().name, "sigma");
    assert_eq!(Rbf::new(f64::NAN).unwrap_err().name, "sigma");
    assert_eq!(Polynomial::new(0, 1.0).unwrap_err().name, "degree");
    assert_eq!(Polynomial::new(2, 0.0).unwrap_err().name, "offset");
    let asym = SimilarityMatrix::new(matrix(&[vec![1.0, 0.2], vec![0.3, 1.0]])).unwrap_err();
    assert!(
        asym.name == "similarity" && asym.reason.contains("symmetric"),
        "{asym}"
    );
    let diag = SimilarityMatrix::new(matrix(&[vec![0.9, 0.2], vec![0.2, 1.0]])).unwrap_err();
    assert!(diag.reason.contains("diagonal"), "{diag}");
    let range = SimilarityMatrix::new(matrix(&[vec![1.0, 1.2], vec![1.2, 1.0]])).unwrap_err();
    assert!(range.reason.contains("[0, 1]"), "{range}");
    assert!(SimilarityMatrix::new(matrix(&[vec![1.0, 0.2, 0.1]])).is_err());
    let nan = Tensor::<2>::from_data(TensorData::new(vec![0.0, f64::NAN], [1, 2]), &device());
    assert_eq!(EmpiricalMeasure::uniform(nan).unwrap_err().name, "points");
    let p = EmpiricalMeasure::uniform(matrix(&[vec![0.0, 0.0]])).unwrap();
    let q3 = EmpiricalMeasure::uniform(matrix(&[vec![0.0, 0.0, 1.0]])).unwrap();
    assert_eq!(
        err(empirical_divergence(&Rbf::new(1.0).unwrap(), &p, &q3)),
        "q"
    );
    assert_eq!(
        EmpiricalMeasure::weighted(matrix(&[vec![0.0], vec![1.0]]), constant(&[0.7, 0.7]))
            .unwrap_err()
            .name,
        "weights"
    );
}
