//! Shampoo's evolving state, per parameter path: step count, first-moment filter, grafting
//! accumulator, momentum buffer, and per block its preconditioner ([`BlockState`]). Saved bit
//! for bit under stable names:
//!
//! ```text
//! <prefix>/<path>/step, /dims, /filtered, /graft, /momentum
//! <prefix>/<path>/block<j>/factor<i>, /block<j>/root<i>   (column-major d_i x d_i, in the
//!                                                          factor precision; diagonal: d)
//! <prefix>/root_failures
//! ```
//!
//! The pieces here (element-wise state, the parameter headers, the root-failure counter) are
//! also those of [`DistributedShampoo`](super::DistributedShampoo)'s per-rank checkpoints,
//! which keep the element-wise state per block instead of per parameter.

use std::collections::BTreeMap;

use super::blocks::split_blocks;
use super::config::ShampooConfig;
use super::precond::{BlockState, check_len};
use crate::checkpoint::StateDict;
use crate::error::Result;

/// Element-wise state of a parameter (serial) or block (distributed); each vector is empty
/// until first used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Elementwise {
    /// `beta1` filter of the gradient (empty when `beta1 = 0`).
    pub filtered: Vec<f64>,
    /// Grafting accumulator (empty without one).
    pub graft: Vec<f64>,
    /// Momentum buffer (empty until the first step with momentum).
    pub momentum: Vec<f64>,
}

impl Elementwise {
    /// Saves the non-empty vectors as `key("filtered")`, `key("graft")`, `key("momentum")`.
    pub fn save(&self, out: &mut StateDict, key: &dyn Fn(&str) -> String) {
        for (name, v) in [
            ("filtered", &self.filtered),
            ("graft", &self.graft),
            ("momentum", &self.momentum),
        ] {
            if !v.is_empty() {
                out.put_f64s(&key(name), v);
            }
        }
    }

    /// The vectors saved by [`save`](Self::save); each present one must have `n` values.
    pub fn load(dict: &StateDict, key: &dyn Fn(&str) -> String, n: usize) -> Result<Self> {
        let mut e = Self::default();
        for (name, v) in [
            ("filtered", &mut e.filtered),
            ("graft", &mut e.graft),
            ("momentum", &mut e.momentum),
        ] {
            let k = key(name);
            if dict.contains(&k) {
                *v = dict.get_f64s(&k)?;
                check_len(&k, v.len(), n)?;
            }
        }
        Ok(e)
    }
}

/// State of one parameter.
#[derive(Debug, Clone)]
pub(crate) struct ParamState {
    pub step: u64,
    /// Merged dimensions (the blocks are a function of these and the block size).
    pub dims: Vec<usize>,
    pub blocks: Vec<BlockState>,
    pub elementwise: Elementwise,
}

impl ParamState {
    pub fn new(dims: Vec<usize>, c: &ShampooConfig) -> Self {
        let blocks = split_blocks(&dims, c.max_preconditioner_dim)
            .into_iter()
            .map(|b| BlockState::new(b, c))
            .collect();
        Self {
            step: 0,
            dims,
            blocks,
            elementwise: Elementwise::default(),
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

/// A parameter's header in a checkpoint.
pub(crate) struct SavedParam {
    pub path: String,
    pub step: u64,
    pub dims: Vec<usize>,
}

/// Writes `<prefix>/root_failures`.
pub(crate) fn save_root_failures(prefix: &str, failures: u64, out: &mut StateDict) {
    out.put_u64s(&format!("{prefix}/root_failures"), &[failures]);
}

/// Reads `<prefix>/root_failures` (0 when absent).
pub(crate) fn load_root_failures(prefix: &str, dict: &StateDict) -> Result<u64> {
    let key = format!("{prefix}/root_failures");
    match dict.contains(&key) {
        true => Ok(first(&dict.get_u64s(&key)?)),
        false => Ok(0),
    }
}

/// Writes `<prefix>/<path>/step` and `/dims`.
pub(crate) fn save_param_header(
    prefix: &str,
    path: &str,
    step: u64,
    dims: &[usize],
    out: &mut StateDict,
) {
    out.put_u64s(&format!("{prefix}/{path}/step"), &[step]);
    let dims: Vec<u64> = dims.iter().map(|&d| d as u64).collect();
    out.put_u64s(&format!("{prefix}/{path}/dims"), &dims);
}

/// Every parameter saved under `<prefix>/`: the paths with a `step` entry, with their dims.
pub(crate) fn saved_params(prefix: &str, dict: &StateDict) -> Result<Vec<SavedParam>> {
    let head = format!("{prefix}/");
    let mut out = Vec::new();
    for key in dict.keys_under(&head) {
        let Some(path) = key
            .strip_prefix(&head)
            .and_then(|k| k.strip_suffix("/step"))
        else {
            continue;
        };
        let step = first(&dict.get_u64s(&key)?);
        let dims = dict
            .get_u64s(&format!("{head}{path}/dims"))?
            .iter()
            .map(|&d| d as usize)
            .collect();
        out.push(SavedParam {
            path: path.to_string(),
            step,
            dims,
        });
    }
    Ok(out)
}

impl ShampooState {
    pub fn save(&self, prefix: &str, out: &mut StateDict) {
        save_root_failures(prefix, self.root_failures, out);
        for (path, p) in &self.params {
            save_param_header(prefix, path, p.step, &p.dims, out);
            p.elementwise
                .save(out, &|name| format!("{prefix}/{path}/{name}"));
            for (j, b) in p.blocks.iter().enumerate() {
                b.save(out, &|name| format!("{prefix}/{path}/block{j}/{name}"));
            }
        }
    }

    pub fn load(prefix: &str, c: &ShampooConfig, dict: &StateDict) -> Result<Self> {
        let mut params = BTreeMap::new();
        for saved in saved_params(prefix, dict)? {
            let path = saved.path;
            let key = |name: &str| format!("{prefix}/{path}/{name}");
            let mut p = ParamState::new(saved.dims, c);
            p.step = saved.step;
            let n: usize = p.dims.iter().product();
            p.elementwise = Elementwise::load(dict, &key, n)?;
            for (j, b) in p.blocks.iter_mut().enumerate() {
                let block = b.block.clone();
                *b = BlockState::load(dict, &|n| key(&format!("block{j}/{n}")), block, c)?;
            }
            params.insert(path.clone(), p);
        }
        Ok(Self {
            params,
            root_failures: load_root_failures(prefix, dict)?,
        })
    }
}

fn first(v: &[u64]) -> u64 {
    v.first().copied().unwrap_or(0)
}
