//! Shampoo's evolving state, per parameter path: step count, first-moment filter, grafting
//! accumulator, momentum buffer, and per block its Kronecker factors and their inverse roots.
//! Everything is host `f64` and saved bit for bit under stable names:
//!
//! ```text
//! <prefix>/<path>/step, /dims, /filtered, /graft, /momentum
//! <prefix>/<path>/block<j>/factor<i>, /block<j>/root<i>     (column-major d_i x d_i)
//! <prefix>/root_failures
//! ```

use std::collections::BTreeMap;

use burn::tensor::TensorData;
use faer::Mat;

use super::blocks::{Block, split_blocks};
use crate::checkpoint::StateDict;
use crate::error::{ReinError, Result};

/// State of one block: a factor `L_i` and a root `Lbar_i` per dimension (roots start at the
/// identity and are first computed at the start step).
#[derive(Debug, Clone)]
pub(crate) struct BlockState {
    pub block: Block,
    pub factors: Vec<Mat<f64>>,
    pub roots: Vec<Mat<f64>>,
}

impl BlockState {
    pub fn new(block: Block) -> Self {
        let factors = block.dims.iter().map(|&d| Mat::zeros(d, d)).collect();
        let roots = block.dims.iter().map(|&d| Mat::identity(d, d)).collect();
        Self {
            block,
            factors,
            roots,
        }
    }
}

/// State of one parameter.
#[derive(Debug, Clone)]
pub(crate) struct ParamState {
    pub step: u64,
    /// Merged dimensions (the blocks are a function of these and the block size).
    pub dims: Vec<usize>,
    pub blocks: Vec<BlockState>,
    /// `beta1` filter of the gradient (empty when `beta1 = 0`).
    pub filtered: Vec<f64>,
    /// Grafting accumulator (empty without one).
    pub graft: Vec<f64>,
    /// Momentum buffer (empty until the first step with momentum).
    pub momentum: Vec<f64>,
}

impl ParamState {
    pub fn new(dims: Vec<usize>, max_dim: usize) -> Self {
        let blocks = split_blocks(&dims, max_dim)
            .into_iter()
            .map(BlockState::new)
            .collect();
        Self {
            step: 0,
            dims,
            blocks,
            filtered: Vec::new(),
            graft: Vec::new(),
            momentum: Vec::new(),
        }
    }
}

/// All of Shampoo's state.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShampooState {
    pub params: BTreeMap<String, ParamState>,
    /// Root computations that failed (the previous root was kept).
    pub root_failures: u64,
}

fn mat_data(m: &Mat<f64>) -> TensorData {
    let (r, c) = (m.nrows(), m.ncols());
    let mut v = Vec::with_capacity(r * c);
    for j in 0..c {
        v.extend_from_slice(m.col_as_slice(j));
    }
    TensorData::new(v, [r, c])
}

impl ShampooState {
    pub fn save(&self, prefix: &str, out: &mut StateDict) {
        out.put_u64s(&format!("{prefix}/root_failures"), &[self.root_failures]);
        for (path, p) in &self.params {
            let key = |name: &str| format!("{prefix}/{path}/{name}");
            out.put_u64s(&key("step"), &[p.step]);
            let dims: Vec<u64> = p.dims.iter().map(|&d| d as u64).collect();
            out.put_u64s(&key("dims"), &dims);
            for (name, v) in [
                ("filtered", &p.filtered),
                ("graft", &p.graft),
                ("momentum", &p.momentum),
            ] {
                if !v.is_empty() {
                    out.put_f64s(&key(name), v);
                }
            }
            for (j, b) in p.blocks.iter().enumerate() {
                for (i, (f, r)) in b.factors.iter().zip(&b.roots).enumerate() {
                    out.put_data(&key(&format!("block{j}/factor{i}")), mat_data(f));
                    out.put_data(&key(&format!("block{j}/root{i}")), mat_data(r));
                }
            }
        }
    }

    pub fn load(prefix: &str, max_dim: usize, dict: &StateDict) -> Result<Self> {
        let head = format!("{prefix}/");
        let root_failures = match dict.contains(&format!("{head}root_failures")) {
            true => first(&dict.get_u64s(&format!("{head}root_failures"))?),
            false => 0,
        };
        let mut params = BTreeMap::new();
        for key in dict.keys_under(&head) {
            let Some(path) = key
                .strip_prefix(&head)
                .and_then(|k| k.strip_suffix("/step"))
            else {
                continue;
            };
            let name = |n: &str| format!("{head}{path}/{n}");
            let step = first(&dict.get_u64s(&key)?);
            let dims: Vec<usize> = dict
                .get_u64s(&name("dims"))?
                .iter()
                .map(|&d| d as usize)
                .collect();
            let mut p = ParamState::new(dims, max_dim);
            p.step = step;
            let n: usize = p.dims.iter().product();
            for (slot, v) in [
                ("filtered", &mut p.filtered),
                ("graft", &mut p.graft),
                ("momentum", &mut p.momentum),
            ] {
                if dict.contains(&name(slot)) {
                    *v = dict.get_f64s(&name(slot))?;
                    check_len(&name(slot), v.len(), n)?;
                }
            }
            for (j, b) in p.blocks.iter_mut().enumerate() {
                for i in 0..b.block.order() {
                    let d = b.block.dims[i];
                    b.factors[i] = load_mat(dict, &name(&format!("block{j}/factor{i}")), d)?;
                    b.roots[i] = load_mat(dict, &name(&format!("block{j}/root{i}")), d)?;
                }
            }
            params.insert(path.to_string(), p);
        }
        Ok(Self {
            params,
            root_failures,
        })
    }
}

fn first(v: &[u64]) -> u64 {
    v.first().copied().unwrap_or(0)
}

fn check_len(name: &str, got: usize, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(ReinError::State {
            name: name.to_string(),
            reason: format!("expected {want} values, found {got}"),
        })
    }
}

fn load_mat(dict: &StateDict, name: &str, d: usize) -> Result<Mat<f64>> {
    let v = dict.get_f64s(name)?;
    check_len(name, v.len(), d * d)?;
    Ok(Mat::from_fn(d, d, |i, j| v[j * d + i]))
}
