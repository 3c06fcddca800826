//! Shampoo (Gupta, Koren & Singer 2018) as in Distributed Shampoo (Shi et al. 2023, "A
//! Distributed Data-Parallel PyTorch Implementation of the Distributed Shampoo Optimizer for
//! Training Neural Networks At-Scale"), with blocking, grafting, momentum and decoupled weight
//! decay.
//!
//! Every parameter is reshaped by [`merge_dims`] and cut into blocks by [`split_blocks`]; a
//! block of order `k` (dims `d_1..d_k`) with gradient block `G` and step `t` does
//!
//! ```text
//! G_(i) = mode-i unfolding of G
//! L_i  <- beta2 L_i + (1 - beta2) G_(i) G_(i)^T          (beta2 = 1: L_i <- L_i + G_(i) G_(i)^T)
//! at t = start, and at every t > start with t % f == 0:
//!     Lbar_i <- (L_i / c2 + eps I)^(-1/r_k),  c2 = 1 - beta2^t (1 if beta2 = 1),  r_k = 2k
//!     (kept unchanged if the root computation fails; a non-finite L_i, or more than
//!     `tolerated_root_failures` failures of a block in a row, is an error)
//! M <- beta1 M + (1 - beta1) G;  m = M / (1 - beta1^t)     (beta1 = 0: m = G)
//! P_graft = grafting direction of m                        (see Grafting)
//! t >= start:  P = m x_1 Lbar_1 ... x_k Lbar_k;  P <- P ||P_graft||_F / ||P||_F  (per block)
//! t <  start:  P = P_graft
//! P <- P + lambda W;   momentum (heavy ball / Nesterov) on P;   W <- W - lr P
//! ```
//!
//! For a matrix `P = Lbar_1 m Lbar_2` with `Lbar_i = (..)^(-1/4)`. With `f(W) = ||W - W*||^2/2`,
//! no grafting and bias correction, the first step is `lr U V^T` for `G = U S V^T` (the polar
//! factor), and `lr g / ||g||` for a vector.
//!
//! Design: all state is host-side (burn has no eigendecomposition; the roots and the per-step
//! matmuls use faer, single-threaded, so runs are deterministic), in `f64` by default, so the
//! optimizer works for any float dtype of the model and resumes bit-exactly from a checkpoint.
//! Cost per step: the factor updates compute only the lower triangle of each Gram matrix,
//! accumulated in place (about half the flops of a full product); the preconditioning is
//! `sum_i d_i n` multiply-adds per block of `n` entries. Options for speed:
//! [`FactorPrecision::F32`] (factors, roots and those matmuls in `f32`) and diagonal factors
//! for vector blocks ([`ShampooConfig::diagonal_vectors`]). Deliberate differences from the reference
//! implementation: dimensions are merged right to left (docs/shampoo.md), roots are first
//! computed at `start` and then every `f` steps (`(t - start) % f == 0`), so a preconditioned step
//! never uses an identity root, and the default precondition frequency is 1 (reference: 100).
//!
//! ```
//! use rein::optim::{Shampoo, ShampooConfig, Grafting};
//! let opt = Shampoo::new(
//!     ShampooConfig::new(1e-2).precondition_frequency(10).grafting(Grafting::Sgd),
//! ).unwrap();
//! assert_eq!(opt.config().start(), 10);
//! assert!(Shampoo::new(ShampooConfig::new(1e-2).betas(0.9, 1.5)).is_err());
//! ```

mod blocks;
mod config;
mod distributed;
mod grafting;
mod kron;
mod precond;
mod root;
mod state;

pub use blocks::{Block, assign_ranks, block_list, merge_dims, param_blocks, split_blocks};
pub use config::{FactorPrecision, ShampooConfig};
pub use distributed::DistributedShampoo;
pub use grafting::Grafting;
pub use root::{RootError, RootMethod, RootPrecision, inverse_root};

use std::borrow::Cow;

use burn::tensor::{Tensor, TensorData};

use self::blocks::{gather, scatter};
use self::state::{ParamState, ShampooState};
use super::param_groups::{ParamGroup, ParamGroups};
use super::{ParamGrads, ParamSet, PrimalOptimizer};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{ReinError, Result};

/// The Shampoo optimizer; see the [module documentation](self) for the update.
#[derive(Debug, Clone)]
pub struct Shampoo {
    config: ShampooConfig,
    groups: ParamGroups,
    state: ShampooState,
}

impl Shampoo {
    /// Builds Shampoo; invalid hyper-parameters are errors naming the field.
    pub fn new(config: ShampooConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            groups: ParamGroups::default(),
            state: ShampooState::default(),
        })
    }

    /// Adds a parameter group with its own learning rate / weight decay.
    pub fn with_group(mut self, group: ParamGroup) -> Result<Self> {
        self.groups.push(group)?;
        Ok(self)
    }

    /// The configuration.
    pub fn config(&self) -> &ShampooConfig {
        &self.config
    }

    /// Root computations that failed so far (each kept the previous root).
    pub fn root_failures(&self) -> u64 {
        self.state.root_failures
    }

    /// The blocks of the parameter at `path`, once it has taken a step.
    pub fn blocks(&self, path: &str) -> Option<Vec<Block>> {
        self.state
            .params
            .get(path)
            .map(|p| p.blocks.iter().map(|b| b.block.clone()).collect())
    }

    /// One step of the parameter at `path` (flattened `x`, gradient `g`, merged dims `dims`).
    ///
    /// # Errors
    /// A preconditioner that cannot go on ([`ReinError::Preconditioner`]); the step of this
    /// parameter is then not applied.
    fn rule(
        &mut self,
        path: &str,
        dims: &[usize],
        x: Tensor<1>,
        g: &Tensor<1>,
    ) -> Result<Tensor<1>> {
        let c = &self.config;
        let (lr, wd) = self.groups.resolve(path, c.lr, c.weight_decay);
        let g = host(g);
        let st = self
            .state
            .params
            .entry(path.to_string())
            .or_insert_with(|| ParamState::new(dims.to_vec(), c));
        st.step += 1;
        let t = st.step;
        let e = &mut st.elementwise;
        let m = filter(c, &mut e.filtered, &g, t);
        let p_graft = c.grafting.direction(&mut e.graft, &g, &m, t);
        let s = c.schedule(t);
        let mut dir = p_graft;
        for b in &mut st.blocks {
            let (gb, mb, pb) = (
                block_of(&g, &st.dims, &b.block),
                block_of(&m, &st.dims, &b.block),
                block_of(&dir, &st.dims, &b.block),
            );
            if let Some(p) = b.step(c, s, &gb, &mb, &pb, &mut self.state.root_failures, path)? {
                drop(pb);
                put_block(&mut dir, &st.dims, &b.block, p);
            }
        }
        let w = host(&x);
        if wd != 0.0 {
            dir.iter_mut().zip(&w).for_each(|(d, wi)| *d += wd * wi);
        }
        let dir = c.momentum.apply_host(&mut e.momentum, dir);
        let updated: Vec<f64> = w.iter().zip(&dir).map(|(wi, d)| wi - d * lr).collect();
        let n = updated.len();
        Ok(Tensor::from_data(
            TensorData::new(updated, [n]).convert_dtype(x.dtype()),
            &x.device(),
        ))
    }
}

/// Block `b` of the row-major tensor `flat` of shape `dims`: borrowed when the block is the
/// whole tensor (the common case), else gathered.
pub(crate) fn block_of<'a>(flat: &'a [f64], dims: &[usize], b: &Block) -> Cow<'a, [f64]> {
    if b.len() == flat.len() {
        Cow::Borrowed(flat)
    } else {
        Cow::Owned(gather(flat, dims, b))
    }
}

/// Writes the block values `v` into `flat` (moved in when the block is the whole tensor).
pub(crate) fn put_block(flat: &mut Vec<f64>, dims: &[usize], b: &Block, v: Vec<f64>) {
    if b.len() == flat.len() {
        *flat = v;
    } else {
        scatter(flat, dims, b, &v);
    }
}

/// The host copy of a flat tensor, in `f64`.
pub(crate) fn host(t: &Tensor<1>) -> Vec<f64> {
    t.to_data().iter::<f64>().collect()
}

/// The filtered gradient `m = M / (1 - beta1^t)` with `M <- beta1 M + (1 - beta1) g`.
fn filter(c: &ShampooConfig, buf: &mut Vec<f64>, g: &[f64], t: u64) -> Vec<f64> {
    let b1 = c.beta1;
    if b1 == 0.0 {
        return g.to_vec();
    }
    if buf.len() != g.len() {
        *buf = vec![0.0; g.len()];
    }
    buf.iter_mut()
        .zip(g)
        .for_each(|(m, gi)| *m = *m * b1 + gi * (1.0 - b1));
    if c.bias_correction {
        let bc1 = 1.0 - b1.powi(t.min(i32::MAX as u64) as i32);
        buf.iter().map(|m| m / bc1).collect()
    } else {
        buf.clone()
    }
}

impl PrimalOptimizer for Shampoo {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        // Check every parameter before touching any, so an error changes nothing.
        let mut dims = std::collections::BTreeMap::new();
        for (path, (_, shape)) in &grads.grads {
            let merged = merge_dims(shape.as_slice(), self.config.max_preconditioner_dim);
            if let Some(st) = self.state.params.get(path)
                && st.dims != merged
            {
                return Err(ReinError::State {
                    name: path.clone(),
                    reason: format!(
                        "Shampoo state has merged dims {:?}, the gradient {:?} (shape {:?})",
                        st.dims,
                        merged,
                        shape.as_slice()
                    ),
                });
            }
            dims.insert(path.clone(), merged);
        }
        // The first preconditioner error stops the update: later parameters keep their values.
        let mut error = None;
        super::update_each(params, grads, |path, x, g| {
            if error.is_some() || x.shape().num_elements() == 0 {
                return x;
            }
            match self.rule(path, &dims[path], x.clone(), &g) {
                Ok(updated) => updated,
                Err(e) => {
                    error = Some(e);
                    x
                }
            }
        });
        error.map_or(Ok(()), Err)
    }
    crate::optim::lr_accessors!();
}

impl Stateful for Shampoo {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        self.state.save(prefix, out);
        Ok(())
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        self.state = ShampooState::load(prefix, &self.config, dict)?;
        Ok(())
    }
}
