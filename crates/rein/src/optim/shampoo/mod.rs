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
//! at t = start, start + f, start + 2f, ...:
//!     Lbar_i <- (L_i / c2 + eps I)^(-1/r_k),  c2 = 1 - beta2^t (1 if beta2 = 1),  r_k = 2k
//!     (kept unchanged if the root computation fails)
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
//! Design: Kronecker factors, roots and all other state are host-side `f64` (burn has no
//! eigendecomposition; the roots use faer), so the optimizer works for any float dtype of the
//! model and resumes bit-exactly from a checkpoint. Deliberate differences from the reference
//! implementation: dimensions are merged right to left (as the spec says), roots are first
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
mod root;
mod state;

pub use blocks::{Block, assign_ranks, block_list, merge_dims, param_blocks, split_blocks};
pub use config::ShampooConfig;
pub use distributed::DistributedShampoo;
pub use grafting::Grafting;
pub use root::{RootError, RootMethod, RootPrecision, inverse_root};

use burn::module::Module;
use burn::tensor::{Tensor, TensorData};
use faer::Mat;

use self::blocks::{gather, scatter};
use self::kron::{mode_gram, multi_mode_product};
use self::state::{ParamState, ShampooState};
use super::mapper::map_params;
use super::param_groups::{ParamGroup, resolve};
use super::{Momentum, ParamGrads, PrimalOptimizer};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{ReinError, Result, ensure_non_negative};

/// The Shampoo optimizer; see the [module documentation](self) for the update.
#[derive(Debug, Clone)]
pub struct Shampoo {
    config: ShampooConfig,
    groups: Vec<ParamGroup>,
    state: ShampooState,
}

impl Shampoo {
    /// Builds Shampoo; invalid hyper-parameters are errors naming the field.
    pub fn new(config: ShampooConfig) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            groups: Vec::new(),
            state: ShampooState::default(),
        })
    }

    /// Adds a parameter group with its own learning rate / weight decay.
    pub fn with_group(mut self, group: ParamGroup) -> Result<Self> {
        group.validate()?;
        self.groups.push(group);
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
    fn update(&mut self, path: &str, dims: &[usize], x: Tensor<1>, g: &Tensor<1>) -> Tensor<1> {
        let c = &self.config;
        let (lr, wd) = resolve(&self.groups, path, c.lr, c.weight_decay);
        let w = host(&x);
        let g = host(g);
        let st = self
            .state
            .params
            .entry(path.to_string())
            .or_insert_with(|| ParamState::new(dims.to_vec(), c.max_preconditioner_dim));
        st.step += 1;
        let t = st.step;
        let m = filter(c, &mut st.filtered, &g, t);
        let p_graft = c.grafting.direction(&mut st.graft, &g, &m, t);
        let start = c.start();
        let precondition = t >= start;
        let recompute = precondition && (t - start).is_multiple_of(c.precondition_frequency);
        let c2 = if c.bias_correction && c.beta2 < 1.0 {
            1.0 - c.beta2.powi(t.min(i32::MAX as u64) as i32)
        } else {
            1.0
        };
        let mut dir = if precondition {
            vec![0.0; w.len()]
        } else {
            p_graft.clone()
        };
        for b in &mut st.blocks {
            let gb = gather(&g, &st.dims, &b.block);
            let bdims = &b.block.dims;
            for (i, factor) in b.factors.iter_mut().enumerate() {
                accumulate(factor, &mode_gram(&gb, bdims, i), c.beta2);
            }
            if !precondition {
                continue;
            }
            if recompute {
                let r = c.root_of_order(b.block.order());
                for (factor, root) in b.factors.iter().zip(b.roots.iter_mut()) {
                    let a = Mat::<f64>::from_fn(factor.nrows(), factor.ncols(), |i, j| {
                        factor[(i, j)] / c2
                    });
                    match inverse_root(a.as_ref(), r, c.eps, c.root_method, c.root_precision) {
                        Ok(x) => *root = x,
                        Err(_) => self.state.root_failures += 1,
                    }
                }
            }
            let mut p = multi_mode_product(&gather(&m, &st.dims, &b.block), bdims, &b.roots);
            if c.grafting != Grafting::None {
                let target = norm(&gather(&p_graft, &st.dims, &b.block));
                let have = norm(&p);
                let scale = if have > 0.0 { target / have } else { 0.0 };
                p.iter_mut().for_each(|v| *v *= scale);
            }
            scatter(&mut dir, &st.dims, &b.block, &p);
        }
        if wd != 0.0 {
            dir.iter_mut().zip(&w).for_each(|(d, wi)| *d += wd * wi);
        }
        let dir = momentum(c.momentum, &mut st.momentum, dir);
        let updated: Vec<f64> = w.iter().zip(&dir).map(|(wi, d)| wi - d * lr).collect();
        let n = updated.len();
        Tensor::from_data(
            TensorData::new(updated, [n]).convert_dtype(x.dtype()),
            &x.device(),
        )
    }
}

/// The host copy of a flat tensor, in `f64`.
fn host(t: &Tensor<1>) -> Vec<f64> {
    t.to_data().iter::<f64>().collect()
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|x| x * x).sum::<f64>().sqrt()
}

/// `L <- beta2 L + (1 - beta2) gram` (`beta2 = 1`: `L <- L + gram`).
fn accumulate(factor: &mut Mat<f64>, gram: &Mat<f64>, beta2: f64) {
    for j in 0..factor.ncols() {
        let src = gram.col_as_slice(j);
        let dst = factor.col_as_slice_mut(j);
        if beta2 == 1.0 {
            dst.iter_mut().zip(src).for_each(|(l, g)| *l += g);
        } else {
            dst.iter_mut()
                .zip(src)
                .for_each(|(l, g)| *l = *l * beta2 + g * (1.0 - beta2));
        }
    }
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

/// Heavy-ball or Nesterov momentum on the direction (PyTorch semantics, as [`super::Sgd`]).
fn momentum(kind: Momentum, buf: &mut Vec<f64>, d: Vec<f64>) -> Vec<f64> {
    let mu = match kind {
        Momentum::None => return d,
        Momentum::HeavyBall(mu) | Momentum::Nesterov(mu) => mu,
    };
    if buf.len() != d.len() {
        buf.clone_from(&d);
    } else {
        buf.iter_mut().zip(&d).for_each(|(b, di)| *b = *b * mu + di);
    }
    match kind {
        Momentum::Nesterov(_) => d
            .iter()
            .zip(buf.iter())
            .map(|(di, b)| di + b * mu)
            .collect(),
        _ => buf.clone(),
    }
}

impl PrimalOptimizer for Shampoo {
    fn step<M: Module>(&mut self, model: M, grads: &ParamGrads) -> Result<M> {
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
        Ok(map_params(model, &mut |path, x| match grads.get(path) {
            Some(g) if x.shape().num_elements() > 0 => self.update(path, &dims[path], x, g),
            _ => x,
        }))
    }
    fn learning_rate(&self) -> f64 {
        self.config.lr
    }
    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        ensure_non_negative("lr", lr)?;
        self.config.lr = lr;
        Ok(())
    }
}

impl Stateful for Shampoo {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        self.state.save(prefix, out);
        Ok(())
    }
    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        self.state = ShampooState::load(prefix, self.config.max_preconditioner_dim, dict)?;
        Ok(())
    }
}
