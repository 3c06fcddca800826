//! Shared helpers of the integration tests: a float64 device, a vector "model", closed-form
//! linear algebra, and a problem built from closures.
#![allow(dead_code, missing_docs, clippy::needless_range_loop)]

use std::sync::OnceLock;

use burn::module::{Module, Param};
use burn::tensor::{Device, FloatDType, Tensor, TensorData};
use rein::{Cmp, CmpState, ConstraintState, Result};

/// The flex CPU device in float64, with autodiff.
pub fn device() -> Device {
    static DEV: OnceLock<Device> = OnceLock::new();
    DEV.get_or_init(|| {
        let mut d = Device::flex();
        // Ignore "already initialised" when another test configured it first.
        let _ = d.configure(FloatDType::F64);
        d.autodiff()
    })
    .clone()
}

/// A model that is just a vector of parameters.
#[derive(Module, Debug)]
pub struct Point {
    pub x: Param<Tensor<1>>,
}

impl Point {
    pub fn new(values: &[f64]) -> Self {
        let t = Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), &device());
        Self {
            x: Param::from_tensor(t),
        }
    }
    pub fn values(&self) -> Vec<f64> {
        self.x
            .val()
            .to_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .unwrap()
    }
}

pub fn constant(values: &[f64]) -> Tensor<1> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), &device())
}

/// `(A x)_i` for a row-major `m x n` matrix.
pub fn matvec(a: &[Vec<f64>], x: Tensor<1>) -> Tensor<1> {
    let m = a.len();
    let n = a[0].len();
    let flat: Vec<f64> = a.iter().flatten().copied().collect();
    let at = Tensor::<2>::from_data(TensorData::new(flat, [m, n]), &device());
    at.matmul(x.reshape([n, 1])).reshape([m])
}

/// A problem defined by a closure from the parameter vector to a CMP state.
pub struct FnProblem<F>(pub F);

impl<F: FnMut(Tensor<1>) -> CmpState> Cmp<Point> for FnProblem<F> {
    type Batch = ();
    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> Result<CmpState> {
        Ok((self.0)(model.x.val()))
    }
}

/// Deterministic pseudo-random numbers (SplitMix64), uniform in [-1, 1).
pub struct Rng(pub u64);
impl Rng {
    pub fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
    pub fn matrix(&mut self, m: usize, n: usize) -> Vec<Vec<f64>> {
        (0..m)
            .map(|_| (0..n).map(|_| self.next()).collect())
            .collect()
    }
    pub fn vector(&mut self, m: usize) -> Vec<f64> {
        (0..m).map(|_| self.next()).collect()
    }
}

/// Solves `M y = r` by Gaussian elimination with partial pivoting.
pub fn solve(m: &[Vec<f64>], r: &[f64]) -> Vec<f64> {
    let n = r.len();
    let mut a: Vec<Vec<f64>> = m
        .iter()
        .zip(r)
        .map(|(row, ri)| {
            let mut row = row.clone();
            row.push(*ri);
            row
        })
        .collect();
    for col in 0..n {
        let piv = (col..n)
            .max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))
            .unwrap();
        a.swap(col, piv);
        for row in 0..n {
            if row != col {
                let f = a[row][col] / a[col][col];
                for k in col..=n {
                    a[row][k] -= f * a[col][k];
                }
            }
        }
    }
    (0..n).map(|i| a[i][n] / a[i][i]).collect()
}

/// `A A^T`.
pub fn gram(a: &[Vec<f64>]) -> Vec<Vec<f64>> {
    a.iter()
        .map(|ri| {
            a.iter()
                .map(|rj| ri.iter().zip(rj).map(|(x, y)| x * y).sum())
                .collect()
        })
        .collect()
}

/// `A^T y`.
pub fn at_y(a: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
    let n = a[0].len();
    (0..n)
        .map(|j| a.iter().zip(y).map(|(row, yi)| row[j] * yi).sum())
        .collect()
}

/// KKT point of `min ||x||^2 s.t. A x <= b` by Hildreth's dual coordinate ascent, run to
/// machine precision: x = -A^T lambda / 2, lambda >= 0 maximising the dual.
pub fn qp_inequality(a: &[Vec<f64>], b: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let g = gram(a);
    let m = b.len();
    let mut lambda = vec![0.0; m];
    for _ in 0..200_000 {
        let mut change: f64 = 0.0;
        for i in 0..m {
            // dual: max -1/4 l^T G l - l^T b ; coordinate optimum:
            let rest: f64 = (0..m)
                .filter(|&j| j != i)
                .map(|j| g[i][j] * lambda[j])
                .sum();
            let li = (-(2.0 * b[i] + rest) / g[i][i]).max(0.0);
            change = change.max((li - lambda[i]).abs());
            lambda[i] = li;
        }
        if change < 1e-15 {
            break;
        }
    }
    let x = at_y(a, &lambda).iter().map(|v| -v / 2.0).collect();
    (x, lambda)
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

pub fn state_with(loss: Option<Tensor<1>>, constraints: Vec<(&str, ConstraintState)>) -> CmpState {
    let mut s = CmpState::new();
    if let Some(l) = loss {
        s = s.loss(l);
    }
    for (n, c) in constraints {
        s = s.observe(n, c);
    }
    s
}
