//! The preconditioner of one block, shared by [`Shampoo`](super::Shampoo) and
//! [`DistributedShampoo`](super::DistributedShampoo): its Kronecker factors and inverse roots
//! (in `f64` or `f32`, see [`FactorPrecision`]) or, for a vector block configured so, a
//! diagonal factor; the per-step update and direction; and its checkpoint entries.
//!
//! One step of a block with gradient `g`, filtered gradient `m`, grafting direction `P_graft`
//! (all the block's entries, row-major) at schedule `(precondition, recompute, c2)`:
//!
//! ```text
//! L_i <- beta2 L_i + (1 - beta2) G_(i) G_(i)^T     (lower triangle only; beta2 = 1: plain sum)
//! recompute:     Lbar_i <- (L_i / c2 + eps I)^(-1/r_k)   (kept if the computation fails)
//!                a non-finite L_i is an error; more than `tolerated_root_failures` failed
//!                recomputations of a block in a row are an error
//! precondition:  P = m x_1 Lbar_1 ... x_k Lbar_k;  P <- P ||P_graft||_F / ||P||_F
//! diagonal:      a <- beta2 a + (1 - beta2) g^2;  Lbar = (a / c2 + eps)^(-1/r_1);  P = Lbar m
//! ```

use burn::tensor::{DType, TensorData};
use faer::Mat;
use faer::traits::RealField;

use super::blocks::Block;
use super::config::{FactorPrecision, Schedule, ShampooConfig};
use super::grafting::Grafting;
use super::kron::{accumulate_gram, lower_to_full, multi_mode_product};
use super::root::inverse_root;
use crate::checkpoint::StateDict;
use crate::error::{ReinError, Result};

/// The float types the factors come in.
pub(crate) trait Float: RealField + Copy + Into<f64> {
    fn of(v: f64) -> Self;
    fn dtype() -> DType;
    fn data(v: Vec<Self>, shape: Vec<usize>) -> TensorData;
    fn values(d: &TensorData) -> Option<Vec<Self>>;
}

impl Float for f64 {
    fn of(v: f64) -> Self {
        v
    }
    fn dtype() -> DType {
        DType::F64
    }
    fn data(v: Vec<Self>, shape: Vec<usize>) -> TensorData {
        TensorData::new(v, shape)
    }
    fn values(d: &TensorData) -> Option<Vec<Self>> {
        d.try_to_vec::<f64>().ok()
    }
}

impl Float for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
    fn dtype() -> DType {
        DType::F32
    }
    fn data(v: Vec<Self>, shape: Vec<usize>) -> TensorData {
        TensorData::new(v, shape)
    }
    fn values(d: &TensorData) -> Option<Vec<Self>> {
        d.try_to_vec::<f32>().ok()
    }
}

/// Kronecker factors `L_i` (lower triangle valid) and roots `Lbar_i` (full), one per dim.
#[derive(Debug, Clone)]
pub(crate) struct Kron<T: Float> {
    pub factors: Vec<Mat<T>>,
    pub roots: Vec<Mat<T>>,
}

impl<T: Float> Kron<T> {
    fn new(dims: &[usize]) -> Self {
        Self {
            factors: dims.iter().map(|&d| Mat::zeros(d, d)).collect(),
            roots: dims.iter().map(|&d| Mat::identity(d, d)).collect(),
        }
    }

    fn update(&mut self, g: &[T], dims: &[usize], beta2: f64) {
        let alpha = if beta2 == 1.0 { 1.0 } else { 1.0 - beta2 };
        for (i, l) in self.factors.iter_mut().enumerate() {
            accumulate_gram(l, g, dims, i, T::of(beta2), T::of(alpha));
        }
    }

    /// Recomputes every root; returns whether one failed (its previous root is kept). A
    /// non-finite factor is an error (`Err(factor index)`).
    fn recompute(
        &mut self,
        c: &ShampooConfig,
        order: usize,
        c2: f64,
        failures: &mut u64,
    ) -> std::result::Result<bool, usize> {
        let r = c.root_of_order(order);
        let mut failed = false;
        for (i, (l, root)) in self.factors.iter().zip(self.roots.iter_mut()).enumerate() {
            let a = lower_to_full(l, c2);
            if !a.as_ref().is_all_finite() {
                return Err(i);
            }
            match inverse_root(a.as_ref(), r, c.eps, c.root_method, c.root_precision) {
                Ok(x) => *root = Mat::from_fn(x.nrows(), x.ncols(), |i, j| T::of(x[(i, j)])),
                Err(_) => {
                    *failures += 1;
                    failed = true;
                }
            }
        }
        Ok(failed)
    }

    fn save(&self, out: &mut StateDict, key: &dyn Fn(&str) -> String) {
        for (i, (l, r)) in self.factors.iter().zip(&self.roots).enumerate() {
            // The factor's upper triangle is stale: save the symmetric matrix.
            let d = l.nrows();
            let full = Mat::<T>::from_fn(d, d, |a, b| if a >= b { l[(a, b)] } else { l[(b, a)] });
            out.put_data(&key(&format!("factor{i}")), mat_data(&full));
            out.put_data(&key(&format!("root{i}")), mat_data(r));
        }
    }

    fn load(dict: &StateDict, key: &dyn Fn(&str) -> String, dims: &[usize]) -> Result<Self> {
        let mut k = Self::new(dims);
        for (i, &d) in dims.iter().enumerate() {
            k.factors[i] = load_mat(dict, &key(&format!("factor{i}")), d)?;
            k.roots[i] = load_mat(dict, &key(&format!("root{i}")), d)?;
        }
        Ok(k)
    }
}

/// A block's preconditioner.
#[derive(Debug, Clone)]
pub(crate) enum Precond {
    Kron64(Kron<f64>),
    Kron32(Kron<f32>),
    /// Diagonal factor `a` and root `Lbar` of a vector block.
    Diagonal {
        factor: Vec<f64>,
        root: Vec<f64>,
    },
}

/// State of one block: its preconditioner (roots start at the identity and are first computed
/// at the start step).
#[derive(Debug, Clone)]
pub(crate) struct BlockState {
    pub block: Block,
    pub pre: Precond,
    /// Recomputations in a row in which a root of this block failed.
    pub failed_in_a_row: u64,
}

impl BlockState {
    pub fn new(block: Block, c: &ShampooConfig) -> Self {
        let pre = if c.is_diagonal(&block.dims) {
            let n = block.len();
            Precond::Diagonal {
                factor: vec![0.0; n],
                root: vec![1.0; n],
            }
        } else {
            match c.factor_precision {
                FactorPrecision::F64 => Precond::Kron64(Kron::new(&block.dims)),
                FactorPrecision::F32 => Precond::Kron32(Kron::new(&block.dims)),
            }
        };
        Self {
            block,
            pre,
            failed_in_a_row: 0,
        }
    }

    /// One step of the block (see the [module documentation](self)): updates the factors,
    /// recomputes the roots when scheduled, and returns the grafted preconditioned direction,
    /// or `None` before the start step (the caller uses `P_graft`). `p_graft` is the block's
    /// grafting direction (ignored without grafting).
    ///
    /// # Errors
    /// A non-finite factor, or more than `c.tolerated_root_failures` failed recomputations of
    /// the block in a row ([`ReinError::Preconditioner`] naming `param`).
    #[allow(clippy::too_many_arguments)]
    pub fn step(
        &mut self,
        c: &ShampooConfig,
        s: Schedule,
        g: &[f64],
        m: &[f64],
        p_graft: &[f64],
        failures: &mut u64,
        param: &str,
    ) -> Result<Option<Vec<f64>>> {
        let dims = &self.block.dims;
        let order = self.block.order();
        let non_finite = |i: usize| ReinError::Preconditioner {
            param: param.to_string(),
            reason: format!(
                "Kronecker factor {i} of block {:?} has a non-finite entry",
                self.block.dims
            ),
            non_finite: true,
        };
        let mut failed = None;
        let mut p = match &mut self.pre {
            Precond::Kron64(k) => {
                k.update(g, dims, c.beta2);
                if !s.precondition {
                    return Ok(None);
                }
                if s.recompute {
                    failed = Some(k.recompute(c, order, s.c2, failures).map_err(non_finite)?);
                }
                multi_mode_product(m, dims, &k.roots)
            }
            Precond::Kron32(k) => {
                let g32: Vec<f32> = g.iter().map(|&v| v as f32).collect();
                k.update(&g32, dims, c.beta2);
                if !s.precondition {
                    return Ok(None);
                }
                if s.recompute {
                    failed = Some(k.recompute(c, order, s.c2, failures).map_err(non_finite)?);
                }
                let m32: Vec<f32> = m.iter().map(|&v| v as f32).collect();
                let p = multi_mode_product(&m32, dims, &k.roots);
                p.into_iter().map(f64::from).collect()
            }
            Precond::Diagonal { factor, root } => {
                for (a, gi) in factor.iter_mut().zip(g) {
                    *a = if c.beta2 == 1.0 {
                        *a + gi * gi
                    } else {
                        *a * c.beta2 + gi * gi * (1.0 - c.beta2)
                    };
                }
                if !s.precondition {
                    return Ok(None);
                }
                if s.recompute {
                    if !factor.iter().all(|a| a.is_finite()) {
                        return Err(non_finite(0));
                    }
                    let e = -1.0 / f64::from(c.root_of_order(1));
                    let new: Vec<f64> = factor.iter().map(|a| (a / s.c2 + c.eps).powf(e)).collect();
                    if new.iter().all(|v| v.is_finite()) {
                        *root = new;
                        failed = Some(false);
                    } else {
                        *failures += 1;
                        failed = Some(true);
                    }
                }
                root.iter().zip(m).map(|(r, mi)| r * mi).collect()
            }
        };
        match failed {
            Some(true) => {
                self.failed_in_a_row += 1;
                if self.failed_in_a_row > c.tolerated_root_failures {
                    return Err(ReinError::Preconditioner {
                        param: param.to_string(),
                        reason: format!(
                            "the inverse root of block {:?} failed {} times in a row (tolerated: \
                             {}); raise `eps` or lower the learning rate",
                            self.block.dims, self.failed_in_a_row, c.tolerated_root_failures
                        ),
                        non_finite: false,
                    });
                }
            }
            Some(false) => self.failed_in_a_row = 0,
            None => {}
        }
        if c.grafting != Grafting::None {
            let (target, have) = (norm(p_graft), norm(&p));
            let scale = if have > 0.0 { target / have } else { 0.0 };
            p.iter_mut().for_each(|v| *v *= scale);
        }
        Ok(Some(p))
    }

    /// Saves `factor<i>` and `root<i>` under `key(..)` (`d_i x d_i` in the factor precision; a
    /// diagonal block: `factor0` and `root0` as `f64` vectors).
    pub fn save(&self, out: &mut StateDict, key: &dyn Fn(&str) -> String) {
        if self.failed_in_a_row > 0 {
            out.put_u64s(&key("failed_in_a_row"), &[self.failed_in_a_row]);
        }
        match &self.pre {
            Precond::Kron64(k) => k.save(out, key),
            Precond::Kron32(k) => k.save(out, key),
            Precond::Diagonal { factor, root } => {
                out.put_f64s(&key("factor0"), factor);
                out.put_f64s(&key("root0"), root);
            }
        }
    }

    /// The block's state saved by [`save`](Self::save) under `key(..)`, for the configuration
    /// `c` (a checkpoint of another precision or diagonal setting is an error naming the entry).
    pub fn load(
        dict: &StateDict,
        key: &dyn Fn(&str) -> String,
        block: Block,
        c: &ShampooConfig,
    ) -> Result<Self> {
        let mut b = Self::new(block, c);
        if dict.contains(&key("failed_in_a_row")) {
            b.failed_in_a_row = dict
                .get_u64s(&key("failed_in_a_row"))?
                .first()
                .copied()
                .unwrap_or(0);
        }
        let dims = &b.block.dims;
        match &mut b.pre {
            Precond::Kron64(k) => *k = Kron::load(dict, key, dims)?,
            Precond::Kron32(k) => *k = Kron::load(dict, key, dims)?,
            Precond::Diagonal { factor, root } => {
                for (name, v) in [("factor0", factor), ("root0", root)] {
                    let loaded = dict.get_f64s(&key(name))?;
                    check_len(&key(name), loaded.len(), dims[0])?;
                    *v = loaded;
                }
            }
        }
        Ok(b)
    }
}

pub(crate) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

fn mat_data<T: Float>(m: &Mat<T>) -> TensorData {
    let (r, c) = (m.nrows(), m.ncols());
    let mut v = Vec::with_capacity(r * c);
    for j in 0..c {
        v.extend_from_slice(m.col_as_slice(j));
    }
    T::data(v, vec![r, c])
}

pub(crate) fn check_len(name: &str, got: usize, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(ReinError::State {
            name: name.to_string(),
            reason: format!("expected {want} values, found {got}"),
        })
    }
}

/// A column-major `d x d` matrix of dtype `T` (e.g. a factor saved in `f32` does not load
/// into an `f64` configuration).
fn load_mat<T: Float>(dict: &StateDict, name: &str, d: usize) -> Result<Mat<T>> {
    let err = |reason: String| ReinError::State {
        name: name.to_string(),
        reason,
    };
    let data = dict
        .get_data(name)
        .ok_or_else(|| err("missing from the checkpoint".into()))?;
    if data.dtype() != T::dtype() {
        return Err(err(format!(
            "expected {:?} (the configured factor precision), found {:?}",
            T::dtype(),
            data.dtype()
        )));
    }
    let v = T::values(data).ok_or_else(|| err("unreadable values".into()))?;
    check_len(name, v.len(), d * d)?;
    Ok(Mat::from_fn(d, d, |i, j| v[j * d + i]))
}
