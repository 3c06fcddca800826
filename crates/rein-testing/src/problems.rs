//! Toy constrained minimisation problems ([`Cmp`]s) and the "model" they train: [`Point`], a
//! vector of parameters.
//!
//! * [`FnProblem`]: a problem from a closure `x -> CmpState` (with [`state_with`]);
//!   [`fixed_state`], one that observes a given constraint state whatever `x`;
//! * [`MinNormLinear`]: `min ||x||^2 s.t. A x - b <= 0` (or `= 0`), whose KKT point
//!   [`linalg`](crate::linalg) computes in closed form; the `tiny-cmp` workload of `rein-bench`
//!   and the acceptance tests of `rein`;
//! * [`PerSample`]: `min ||x - 1||^2 s.t. a_i . x - b_i <= 0` for every sample `i < n`, an
//!   indexed constraint observed a batch of samples at a time; the `indexed_multipliers` bench of
//!   `rein` and the `indexed` workload of `rein-bench`.

use std::collections::HashSet;

use burn::module::{Module, Param};
use burn::tensor::{Device, Tensor, TensorData};
use rein::{Cmp, CmpState, ConstraintState, Result};

use crate::device::{device, host, matrix};
use crate::rng::SplitMix64;

/// A model that is just a vector of trainable parameters `x`.
#[derive(Module, Debug)]
pub struct Point {
    /// The parameters.
    pub x: Param<Tensor<1>>,
}

impl Point {
    /// A point with the given coordinates, on the test [`device`].
    pub fn new(values: &[f64]) -> Self {
        Self::on(values, &device())
    }

    /// A point with the given coordinates, on `device` (in its float dtype).
    pub fn on(values: &[f64], device: &Device) -> Self {
        let t = Tensor::from_data(TensorData::new(values.to_vec(), [values.len()]), device);
        Self {
            x: Param::from_tensor(t),
        }
    }

    /// The coordinates, copied to the host as `f64`.
    pub fn values(&self) -> Vec<f64> {
        host(&self.x.val())
    }
}

/// A problem defined by a closure from the parameter vector of a [`Point`] to a CMP state
/// (no batch).
pub struct FnProblem<F>(pub F);

impl<F: FnMut(Tensor<1>) -> CmpState> Cmp<Point> for FnProblem<F> {
    type Batch = ();
    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> Result<CmpState> {
        Ok((self.0)(model.x.val()))
    }
}

/// A CMP state with an optional loss and the named constraint states.
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

/// A problem with loss `sum(x)` whose constraint `name` observes `state` at every evaluation,
/// whatever `x`: drives the dual side with chosen violations (with [`ConstraintState::strict_only`]
/// and a primal learning rate of 0, the multipliers see exactly the given sequence).
pub fn fixed_state(
    name: &str,
    state: ConstraintState,
) -> FnProblem<impl FnMut(Tensor<1>) -> CmpState> {
    let name = name.to_string();
    FnProblem(move |x: Tensor<1>| state_with(Some(x.sum()), vec![(name.as_str(), state.clone())]))
}

/// `min_x ||x||^2 s.t. A x - b <= 0` (or `= 0`: the kind is the registered constraint's), one
/// dense constraint group of `m` entries for `A` of shape `[m, n]`. Its KKT point is
/// [`kkt_point`](crate::linalg::kkt_point) (inequality) or
/// [`min_norm_equality`](crate::linalg::min_norm_equality) (equality).
pub struct MinNormLinear {
    a: Tensor<2>,
    b: Tensor<1>,
    group: String,
}

impl MinNormLinear {
    /// The problem for the constant tensors `a` (`[m, n]`) and `b` (`[m]`), with the constraint
    /// group named `group`.
    pub fn new(a: Tensor<2>, b: Tensor<1>, group: impl Into<String>) -> Self {
        let ([m, _], [mb]) = (a.dims(), b.dims());
        assert_eq!(m, mb, "A has {m} rows and b {mb} entries");
        Self {
            a,
            b,
            group: group.into(),
        }
    }

    /// The problem for `A` given by its rows, on the test [`device`].
    pub fn from_rows(a: &[Vec<f64>], b: &[f64], group: impl Into<String>) -> Self {
        let b = Tensor::from_data(TensorData::new(b.to_vec(), [b.len()]), &device());
        Self::new(matrix(a), b, group)
    }

    /// The violations `A x - b`.
    pub fn violation(&self, x: Tensor<1>) -> Tensor<1> {
        let [m, n] = self.a.dims();
        self.a.clone().matmul(x.reshape([n, 1])).reshape([m]) - self.b.clone()
    }

    /// Loss `||x||^2` and the violations `A x - b` of the group.
    pub fn state(&self, x: Tensor<1>) -> CmpState {
        let g = self.violation(x.clone());
        CmpState::new()
            .loss((x.clone() * x).sum())
            .observe(self.group.as_str(), ConstraintState::new(g))
    }
}

impl Cmp<Point> for MinNormLinear {
    type Batch = ();

    fn compute_cmp_state(&mut self, model: &Point, _: &()) -> Result<CmpState> {
        Ok(self.state(model.x.val()))
    }

    /// Violations only, without a graph (for the alternating primal-dual scheme's evaluation
    /// after its primal step).
    fn compute_violations(&mut self, model: &Point, _: &()) -> Option<Result<CmpState>> {
        let g = self.violation(model.x.val().detach());
        Some(Ok(
            CmpState::new().observe(self.group.as_str(), ConstraintState::new(g))
        ))
    }
}

/// Name of the indexed constraint group of [`PerSample`].
pub const PER_SAMPLE: &str = "per_sample";

/// Sample `i`'s constraint row `(a_i, b_i)` of [`PerSample`]: `a_i` uniform in `[-1, 1)^dim`,
/// `b_i` uniform in `[0, 1)`, a pure function of `i` (SplitMix64 seeded with
/// `i ^ 0xA5A5_A5A5_A5A5_A5A5`), so no table of `n` rows is needed and `x = 0` is feasible.
pub fn per_sample_row(i: usize, dim: usize) -> (Vec<f64>, f64) {
    let mut rng = SplitMix64::new(i as u64 ^ 0xA5A5_A5A5_A5A5_A5A5);
    let a = (0..dim).map(|_| rng.symmetric()).collect();
    (a, rng.unit())
}

/// One batch of [`PerSample`] on the host: the observed indices and their rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PerSampleRows {
    /// The observed sample indices, distinct.
    pub indices: Vec<usize>,
    /// Their rows `a_i`, row-major (`indices.len() x dim`).
    pub a: Vec<f64>,
    /// Their bounds `b_i`.
    pub b: Vec<f64>,
}

impl PerSampleRows {
    /// `observed` distinct indices drawn uniformly from `0..range` (`rng.next_u64() % range`,
    /// repeats redrawn) and their rows ([`per_sample_row`]).
    pub fn draw(rng: &mut SplitMix64, observed: usize, range: usize, dim: usize) -> Self {
        assert!(
            observed <= range,
            "{observed} distinct indices from 0..{range}"
        );
        let mut seen = HashSet::with_capacity(observed);
        let mut rows = Self {
            indices: Vec::with_capacity(observed),
            a: Vec::with_capacity(observed * dim),
            b: Vec::with_capacity(observed),
        };
        while rows.indices.len() < observed {
            let i = (rng.next_u64() % range as u64) as usize;
            if seen.insert(i) {
                let (ai, bi) = per_sample_row(i, dim);
                rows.indices.push(i);
                rows.a.extend_from_slice(&ai);
                rows.b.push(bi);
            }
        }
        rows
    }
}

/// One batch of [`PerSample`] as constant tensors on a device.
#[derive(Debug, Clone)]
pub struct PerSampleBatch {
    /// The observed sample indices.
    pub indices: Vec<usize>,
    /// Their rows, `[observed, dim]`.
    pub a: Tensor<2>,
    /// Their bounds, `[observed]`.
    pub b: Tensor<1>,
}

impl PerSampleBatch {
    /// The batch of `indices` with rows `a` (row-major, `indices.len() x dim`) and bounds `b`,
    /// on `device`.
    pub fn new(indices: Vec<usize>, a: &[f64], b: &[f64], device: &Device) -> Self {
        let k = indices.len();
        assert!(
            k > 0 && a.len().is_multiple_of(k) && b.len() == k,
            "batch shapes"
        );
        let dim = a.len() / k;
        Self {
            a: Tensor::from_data(TensorData::new(a.to_vec(), [k, dim]), device),
            b: Tensor::from_data(TensorData::new(b.to_vec(), [k]), device),
            indices,
        }
    }

    /// The batch of `rows`, on `device`.
    pub fn from_rows(rows: &PerSampleRows, device: &Device) -> Self {
        Self::new(rows.indices.clone(), &rows.a, &rows.b, device)
    }
}

/// `min_x ||x - 1||^2 s.t. a_i . x - b_i <= 0` for every sample `i` (rows from
/// [`per_sample_row`]), one indexed inequality group [`PER_SAMPLE`] of which a
/// [`PerSampleBatch`] is observed per step.
pub struct PerSample;

impl Cmp<Point> for PerSample {
    type Batch = PerSampleBatch;

    fn compute_cmp_state(&mut self, model: &Point, batch: &PerSampleBatch) -> Result<CmpState> {
        let x = model.x.val();
        let [k, dim] = batch.a.dims();
        let g = batch
            .a
            .clone()
            .matmul(x.clone().reshape([dim, 1]))
            .reshape([k])
            - batch.b.clone();
        let d = x.sub_scalar(1.0);
        Ok(CmpState::new().loss((d.clone() * d).sum()).observe(
            PER_SAMPLE,
            ConstraintState::new(g).indices(batch.indices.clone()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use rein::dual::DualSgd;
    use rein::optim::{Sgd, SgdConfig};
    use rein::scheme::AlternatingPrimalDual;
    use rein::{ConstrainedOptimizer, Constraint, Constraints};

    use super::*;
    use crate::linalg::{kkt_point, max_abs_diff};

    #[test]
    fn min_norm_linear_reaches_its_kkt_point() {
        // x + y >= 1 active, x <= 5 inactive: x* = (1/2, 1/2), lambda* = (1, 0).
        let a = [vec![-1.0, -1.0], vec![1.0, 0.0]];
        let b = [-1.0, 5.0];
        let (x_star, l_star) = kkt_point(&a, &b).unwrap();
        let mut opt = AlternatingPrimalDual::new(
            Sgd::new(SgdConfig::new(0.1)).unwrap(),
            DualSgd::new(0.2).unwrap(),
            Constraints::new()
                .add(Constraint::inequality("ineq", 2))
                .unwrap(),
        )
        .unwrap();
        let mut problem = MinNormLinear::from_rows(&a, &b, "ineq");
        let mut model = Point::new(&[2.0, -1.0]);
        for _ in 0..2000 {
            opt.step(&mut problem, &mut model, &()).unwrap();
        }
        let l = opt
            .constraints()
            .get("ineq")
            .unwrap()
            .multipliers()
            .unwrap();
        assert!(max_abs_diff(&model.values(), &x_star) < 1e-6);
        assert!(max_abs_diff(l, &l_star) < 1e-6, "{l:?}");
    }

    #[test]
    fn per_sample_rows_are_distinct_and_a_function_of_the_index() {
        let rows = PerSampleRows::draw(&mut SplitMix64::new(1), 50, 60, 3);
        let mut sorted = rows.indices.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 50);
        for (r, &i) in rows.indices.iter().enumerate() {
            let (a, b) = per_sample_row(i, 3);
            assert_eq!(&rows.a[r * 3..(r + 1) * 3], a.as_slice());
            assert_eq!(rows.b[r], b);
            assert!((0.0..1.0).contains(&b) && a.iter().all(|v| (-1.0..1.0).contains(v)));
        }
    }
}
