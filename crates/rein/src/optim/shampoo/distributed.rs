//! Distributed Shampoo (Shi et al. 2023, §4): data-parallel Shampoo whose preconditioner work
//! is split over the ranks.
//!
//! Every rank holds a replica of the model. One step of [`DistributedShampoo`] on rank `r` of
//! `N`:
//!
//! 1. **Average the gradients** over ranks ([`average_gradients`]: one all-gather, summed in
//!    rank order, so every rank holds identical bits). The rank's own gradient is the one of its
//!    shard of the batch; do *not* also wrap the optimizer in
//!    [`DataParallel`](crate::dist::DataParallel), which would average twice.
//! 2. **Work on the owned blocks only.** Blocks are the serial [`Shampoo`](super::Shampoo)'s
//!    ([`block_list`] over the model's float parameters, sorted by path), assigned by
//!    [`assign_ranks`] over [`ShampooConfig::block_state_bytes`] (greedy, largest first to the least-loaded
//!    rank, 64-byte rounding): a pure function of the shapes, the configuration and `N`, so
//!    every rank derives the same assignment without communication. For each block it owns, the
//!    rank keeps *all* of that block's state — Kronecker factors, inverse roots, the `beta1`
//!    filter, the grafting accumulator and the momentum buffer — and computes the block's
//!    **final direction** exactly as the serial optimizer does: factor update, roots at the
//!    scheduled steps, preconditioning, per-block grafting, decoupled weight decay (`+ lambda W`
//!    on the block of the replicated parameters), heavy-ball / Nesterov momentum. All of these
//!    are element-wise or per-block in the serial update, so the owner computes the same bits.
//! 3. **One all-gather** (variable counts) of every rank's directions, concatenated in the order
//!    (parameter path, block index); two trailing values carry a fingerprint of the
//!    configuration (with the current learning rate) so that ranks that drifted apart (e.g. a
//!    learning-rate schedule applied on one rank only) get an error instead of silently
//!    different parameters.
//! 4. **Every rank applies every update**, `W <- W - lr P`, with the same arithmetic: the
//!    replicas stay bitwise identical, and with identical averaged gradients they equal the
//!    serial Shampoo bit for bit.
//!
//! Memory: a rank's preconditioner state is about `1/N` of the serial one (the assignment
//! balances [`ShampooConfig::block_state_bytes`]); the element-wise state (filter, grafting, momentum) is also
//! sharded, since it lives with the block. Time: factor updates, roots and preconditioning of
//! a block run on its owner only.
//!
//! The first step (and the first after [`load_state`](Stateful::load_state)) checks with
//! [`ensure_same_on_all_ranks`] that every rank has the same configuration, parameter groups,
//! parameter shapes and number of ranks: a mismatch (e.g. another `max_preconditioner_dim` on
//! one rank) is an error on every rank, not a hang.
//!
//! **Checkpoints are per rank**: a rank's state dict holds its own blocks only, under
//!
//! ```text
//! <prefix>/ranks = [rank, size]            <prefix>/root_failures (this rank's)
//! <prefix>/<path>/step, /dims              (every parameter, on every rank)
//! <prefix>/<path>/block<j>/factor<i>, /root<i>, /filtered, /graft, /momentum   (owned j only)
//! ```
//!
//! Save one file per rank and restore each rank from its own file, with the same number of
//! ranks and configuration: loading another rank's state, or a state saved with another number
//! of ranks, is an error. The format differs from the serial optimizer's (whose element-wise
//! state is per parameter), so checkpoints do not move between the two.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use burn::tensor::{Tensor, TensorData};

use super::blocks::{Block, assign_ranks, block_list, gather, merge_dims, scatter, split_blocks};
use super::precond::BlockState;
use super::state::{
    Elementwise, load_root_failures, save_param_header, save_root_failures, saved_params,
};
use super::{ShampooConfig, block_of, filter, host};
use crate::checkpoint::{StateDict, Stateful};
use crate::dist::{
    Communicator, average_gradients, ensure_same_on_all_ranks, fingerprint, split_u64,
};
use crate::error::{ReinError, Result};
use crate::optim::param_groups::{ParamGroup, ParamGroups};
use crate::optim::{ParamGrads, ParamSet, PrimalOptimizer};

/// Shampoo over data-parallel ranks (Shi et al. 2023 §4).
///
/// Each step averages the gradients over ranks (so do not also wrap it in
/// [`DataParallel`](crate::dist::DataParallel)); each rank then computes, for the blocks that
/// [`assign_ranks`] gives it, the serial [`Shampoo`](super::Shampoo)'s final direction
/// (factors, roots, grafting, weight decay and momentum, whose state it alone holds); one
/// all-gather replicates the directions and every rank applies all of them, so the replicas
/// stay bitwise identical and equal the serial Shampoo given the same averaged gradient.
/// Ranks with different configurations get an error at the first step. Checkpoints are per
/// rank (a rank's state dict holds its blocks only). Design notes: `docs/shampoo.md`.
///
/// ```
/// use std::rc::Rc;
/// use rein::dist::SingleProcess;
/// use rein::optim::{DistributedShampoo, ShampooConfig};
///
/// let opt = DistributedShampoo::new(ShampooConfig::new(1e-2), Rc::new(SingleProcess))?;
/// assert!(opt.assignment().is_empty()); // made at the first step, from the model's shapes
/// # Ok::<(), rein::ReinError>(())
/// ```
pub struct DistributedShampoo {
    config: ShampooConfig,
    groups: ParamGroups,
    comm: Rc<dyn Communicator>,
    /// This rank's state, by parameter path.
    state: BTreeMap<String, ParamShard>,
    /// The block assignment, made at the first step (and after a load).
    layout: Option<Layout>,
    root_failures: u64,
}

impl std::fmt::Debug for DistributedShampoo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributedShampoo")
            .field("config", &self.config)
            .field("groups", &self.groups)
            .field("rank", &self.comm.rank())
            .field("size", &self.comm.size())
            .field("root_failures", &self.root_failures)
            .finish_non_exhaustive()
    }
}

/// The state of one owned block: its preconditioner, and the element-wise state of its
/// entries.
#[derive(Debug, Clone)]
struct OwnedBlock {
    block: BlockState,
    elementwise: Elementwise,
}

impl OwnedBlock {
    fn new(block: Block, c: &ShampooConfig) -> Self {
        Self {
            block: BlockState::new(block, c),
            elementwise: Elementwise::default(),
        }
    }
}

/// A parameter's state on this rank: the step count (replicated) and the owned blocks.
#[derive(Debug, Clone)]
struct ParamShard {
    step: u64,
    dims: Vec<usize>,
    owned: BTreeMap<usize, OwnedBlock>,
}

/// The assignment of every block of the model.
#[derive(Debug, Clone)]
struct Layout {
    /// Fingerprint of the parameter paths and shapes it was made for.
    shapes: u64,
    params: BTreeMap<String, ParamLayout>,
}

#[derive(Debug, Clone)]
struct ParamLayout {
    dims: Vec<usize>,
    blocks: Vec<Block>,
    owner: Vec<usize>,
}

impl DistributedShampoo {
    /// Builds the optimizer for the rank of `comm`; invalid hyper-parameters are errors naming
    /// the field. Every rank must build it with the same configuration.
    pub fn new(config: ShampooConfig, comm: Rc<dyn Communicator>) -> Result<Self> {
        config.validate()?;
        Ok(Self {
            config,
            groups: ParamGroups::default(),
            comm,
            state: BTreeMap::new(),
            layout: None,
            root_failures: 0,
        })
    }

    /// Adds a parameter group with its own learning rate / weight decay (same on every rank).
    pub fn with_group(mut self, group: ParamGroup) -> Result<Self> {
        self.groups.push(group)?;
        Ok(self)
    }

    /// The configuration.
    pub fn config(&self) -> &ShampooConfig {
        &self.config
    }

    /// Root computations that failed on this rank so far (each kept the previous root).
    pub fn root_failures(&self) -> u64 {
        self.root_failures
    }

    /// Every block of the model with the rank that owns it, in the order of [`block_list`]
    /// (empty before the first step).
    pub fn assignment(&self) -> Vec<(String, Block, usize)> {
        let Some(layout) = &self.layout else {
            return Vec::new();
        };
        layout
            .params
            .iter()
            .flat_map(|(path, p)| {
                p.blocks
                    .iter()
                    .zip(&p.owner)
                    .map(move |(b, &r)| (path.clone(), b.clone(), r))
            })
            .collect()
    }

    /// The blocks whose state this rank holds, as `(path, block)`.
    pub fn owned_blocks(&self) -> Vec<(String, Block)> {
        self.state
            .iter()
            .flat_map(|(path, p)| {
                p.owned
                    .values()
                    .map(move |o| (path.clone(), o.block.block.clone()))
            })
            .collect()
    }

    /// Fingerprint of everything that must agree across ranks at every step.
    fn step_fingerprint(&self) -> u64 {
        fingerprint(format!("{:?}|{:?}", self.config, self.groups).as_bytes())
    }

    /// Makes the block assignment for the model's parameter shapes, adopts this rank's state
    /// (fresh or loaded) into it, and checks that every rank agrees.
    fn build_layout(
        &mut self,
        shapes: &BTreeMap<String, Vec<usize>>,
        shapes_fp: u64,
    ) -> Result<()> {
        let (rank, size) = (self.comm.rank(), self.comm.size());
        let max_dim = self.config.max_preconditioner_dim;
        let list = block_list(
            shapes.iter().map(|(p, s)| (p.as_str(), s.as_slice())),
            max_dim,
        );
        let sizes: Vec<usize> = list
            .iter()
            .map(|(_, b)| self.config.block_state_bytes(&b.dims))
            .collect();
        let ranks = assign_ranks(&sizes, size);
        let mut params: BTreeMap<String, ParamLayout> = BTreeMap::new();
        for ((path, block), owner) in list.into_iter().zip(ranks) {
            let entry = params.entry(path.clone()).or_insert_with(|| ParamLayout {
                dims: merge_dims(&shapes[&path], max_dim),
                blocks: Vec::new(),
                owner: Vec::new(),
            });
            entry.blocks.push(block);
            entry.owner.push(owner);
        }
        let adopted = self.adopt_state(&params, rank);
        // Every rank takes part in the check, also one whose state did not fit, so that all of
        // them return an error together.
        let agreed = format!(
            "{}|{:?}|{:?}|{shapes:?}|{size}|{}",
            self.step_fingerprint(),
            self.config,
            self.groups,
            adopted.is_ok()
        );
        let same = ensure_same_on_all_ranks(
            self.comm.as_ref(),
            "Shampoo configuration",
            fingerprint(agreed.as_bytes()),
        );
        let state = adopted?;
        same?;
        self.state = state;
        self.layout = Some(Layout {
            shapes: shapes_fp,
            params,
        });
        Ok(())
    }

    /// This rank's state fitted to the assignment: fresh blocks where it has none, an error if
    /// it holds blocks (or parameters) that the assignment does not give it.
    fn adopt_state(
        &self,
        params: &BTreeMap<String, ParamLayout>,
        rank: usize,
    ) -> Result<BTreeMap<String, ParamShard>> {
        let mut state = self.state.clone();
        if let Some(path) = state.keys().find(|p| !params.contains_key(*p)) {
            return Err(ReinError::State {
                name: path.clone(),
                reason: "Shampoo state of a parameter the model does not have".into(),
            });
        }
        for (path, p) in params {
            let shard = state.entry(path.clone()).or_insert_with(|| ParamShard {
                step: 0,
                dims: p.dims.clone(),
                owned: BTreeMap::new(),
            });
            if shard.dims != p.dims {
                return Err(ReinError::State {
                    name: path.clone(),
                    reason: format!(
                        "Shampoo state has merged dims {:?}, the parameter {:?}",
                        shard.dims, p.dims
                    ),
                });
            }
            let mine: BTreeSet<usize> = (0..p.blocks.len())
                .filter(|&j| p.owner[j] == rank)
                .collect();
            let held: BTreeSet<usize> = shard.owned.keys().copied().collect();
            let complete = shard.step == 0 || held == mine;
            if !held.is_subset(&mine) || !complete {
                return Err(ReinError::State {
                    name: path.clone(),
                    reason: format!(
                        "rank {rank} holds the state of blocks {held:?}, the assignment gives it \
                         {mine:?} (a checkpoint of another rank or configuration?)"
                    ),
                });
            }
            for j in mine {
                shard
                    .owned
                    .entry(j)
                    .or_insert_with(|| OwnedBlock::new(p.blocks[j].clone(), &self.config));
            }
        }
        Ok(state)
    }
}

/// One step of an owned block: the serial [`Shampoo`](super::Shampoo) update restricted to the
/// block's entries (`g`, `w` its gradient and parameter values, row-major), up to and including
/// momentum, with the same shared pieces (filter, grafting, [`BlockState::step`]), so the bits
/// are the serial ones. Returns the final direction `P` (the caller applies `W <- W - lr P`).
#[allow(clippy::too_many_arguments)]
fn block_direction(
    c: &ShampooConfig,
    o: &mut OwnedBlock,
    g: &[f64],
    w: &[f64],
    wd: f64,
    t: u64,
    root_failures: &mut u64,
    param: &str,
) -> Result<Vec<f64>> {
    let e = &mut o.elementwise;
    let m = filter(c, &mut e.filtered, g, t);
    let p_graft = c.grafting.direction(&mut e.graft, g, &m, t);
    let mut dir = o
        .block
        .step(c, c.schedule(t), g, &m, &p_graft, root_failures, param)?
        .unwrap_or(p_graft);
    if wd != 0.0 {
        dir.iter_mut().zip(w).for_each(|(d, wi)| *d += wd * wi);
    }
    Ok(c.momentum.apply_host(&mut e.momentum, dir))
}

fn mismatch(what: &str, reason: String) -> ReinError {
    ReinError::Distributed {
        what: what.to_string(),
        reason,
    }
}

impl PrimalOptimizer for DistributedShampoo {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        let mut grads = grads.clone();
        average_gradients(self.comm.as_ref(), &mut grads)?;
        let shapes: BTreeMap<String, Vec<usize>> = params
            .paths()
            .filter_map(|p| Some((p.to_string(), params.shape(p)?.as_slice().to_vec())))
            .collect();
        let shapes_fp = fingerprint(format!("{shapes:?}").as_bytes());
        match &self.layout {
            None => self.build_layout(&shapes, shapes_fp)?,
            Some(l) if l.shapes != shapes_fp => {
                return Err(ReinError::State {
                    name: "Shampoo".into(),
                    reason: format!(
                        "the model's parameters changed since the block assignment was made \
                         (now {shapes:?})"
                    ),
                });
            }
            Some(_) => {}
        }
        let Some(layout) = &self.layout else {
            unreachable!("the layout was just built")
        };
        // Check every parameter before touching any (identical on every rank).
        for (path, (_, shape)) in &grads.grads {
            let merged = merge_dims(shape.as_slice(), self.config.max_preconditioner_dim);
            match layout.params.get(path) {
                Some(p) if p.dims == merged => {}
                _ => {
                    return Err(ReinError::State {
                        name: path.clone(),
                        reason: format!(
                            "a gradient of shape {:?} for a parameter the block assignment \
                             does not have with merged dims {merged:?}",
                            shape.as_slice()
                        ),
                    });
                }
            }
        }
        // This rank's blocks: their final directions, in (path, block) order.
        let stepped: Vec<&str> = grads
            .grads
            .iter()
            .filter(|(_, (_, shape))| shape.num_elements() > 0)
            .map(|(p, _)| p.as_str())
            .collect();
        let mut send = Vec::new();
        // A preconditioner error is returned after the collective below, so that no rank is
        // left waiting in it; the failing block sends zeros.
        let mut error = None;
        {
            let Self {
                config,
                groups,
                state,
                root_failures,
                ..
            } = self;
            for &path in &stepped {
                let shard = state.get_mut(path).expect("adopted for every parameter");
                shard.step += 1;
                if shard.owned.is_empty() {
                    continue;
                }
                let (_, wd) = groups.resolve(path, config.lr, config.weight_decay);
                let g = host(grads.get(path).expect("stepped paths have gradients"));
                let w: Vec<f64> = if wd != 0.0 {
                    params.get(path).map(host).unwrap_or_default()
                } else {
                    Vec::new()
                };
                let (t, dims) = (shard.step, &shard.dims);
                for o in shard.owned.values_mut() {
                    let block = o.block.block.clone();
                    let gb = block_of(&g, dims, &block);
                    let wb = if wd != 0.0 {
                        gather(&w, dims, &block)
                    } else {
                        Vec::new()
                    };
                    match block_direction(config, o, &gb, &wb, wd, t, root_failures, path) {
                        Ok(dir) => send.extend(dir),
                        Err(e) => {
                            send.extend(std::iter::repeat_n(0.0, block.len()));
                            error.get_or_insert(e);
                        }
                    }
                }
            }
        }
        let fp = split_u64(self.step_fingerprint());
        send.extend(fp);
        let all = self.comm.all_gather_f64(&send)?;
        if let Some(e) = error {
            return Err(e);
        }
        let differing: Vec<usize> = (0..all.len())
            .filter(|&r| all[r].len() < 2 || all[r][all[r].len() - 2..] != fp)
            .collect();
        if !differing.is_empty() {
            return Err(mismatch(
                "Shampoo configuration",
                format!(
                    "ranks {differing:?} have another configuration or learning rate than rank {}",
                    self.comm.rank()
                ),
            ));
        }
        // Every rank's directions, scattered back into whole parameters.
        let mut cursor = vec![0usize; all.len()];
        let mut dirs: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for &path in &stepped {
            let p = &layout.params[path];
            let mut dir = vec![0.0; p.dims.iter().product()];
            for (b, &r) in p.blocks.iter().zip(&p.owner) {
                let (from, to) = (cursor[r], cursor[r] + b.len());
                let Some(values) = all[r].get(from..to) else {
                    return Err(mismatch(
                        "Shampoo directions",
                        format!(
                            "rank {r} sent {} values, fewer than its blocks",
                            all[r].len()
                        ),
                    ));
                };
                scatter(&mut dir, &p.dims, b, values);
                cursor[r] = to;
            }
            dirs.insert(path, dir);
        }
        if let Some(r) = (0..all.len()).find(|&r| cursor[r] + 2 != all[r].len()) {
            return Err(mismatch(
                "Shampoo directions",
                format!(
                    "rank {r} sent {} values, its blocks need {}",
                    all[r].len() - 2,
                    cursor[r]
                ),
            ));
        }
        let (base_lr, base_wd) = (self.config.lr, self.config.weight_decay);
        let groups = &self.groups;
        for (path, dir) in dirs {
            let (lr, _) = groups.resolve(path, base_lr, base_wd);
            params.update(path, |x| {
                let w = host(&x);
                let updated: Vec<f64> = w.iter().zip(&dir).map(|(wi, d)| wi - d * lr).collect();
                let n = updated.len();
                Tensor::from_data(
                    TensorData::new(updated, [n]).convert_dtype(x.dtype()),
                    &x.device(),
                )
            });
        }
        Ok(())
    }

    crate::optim::lr_accessors!();
}

impl Stateful for DistributedShampoo {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        out.put_u64s(
            &format!("{prefix}/ranks"),
            &[self.comm.rank() as u64, self.comm.size() as u64],
        );
        save_root_failures(prefix, self.root_failures, out);
        for (path, p) in &self.state {
            save_param_header(prefix, path, p.step, &p.dims, out);
            for (j, o) in &p.owned {
                let key = |name: &str| format!("{prefix}/{path}/block{j}/{name}");
                o.block.save(out, &key);
                o.elementwise.save(out, &key);
            }
        }
        Ok(())
    }

    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        let ranks_key = format!("{prefix}/ranks");
        let here = vec![self.comm.rank() as u64, self.comm.size() as u64];
        let saved = dict.get_u64s(&ranks_key)?;
        if saved != here {
            return Err(ReinError::State {
                name: ranks_key,
                reason: format!(
                    "saved by rank {:?} of {:?}, loaded by rank {} of {}: restore each rank \
                     from its own checkpoint, with the same number of ranks",
                    saved.first(),
                    saved.get(1),
                    here[0],
                    here[1]
                ),
            });
        }
        let c = &self.config;
        let mut state = BTreeMap::new();
        for saved in saved_params(prefix, dict)? {
            let path = saved.path;
            let mut owned = BTreeMap::new();
            for (j, block) in split_blocks(&saved.dims, c.max_preconditioner_dim)
                .into_iter()
                .enumerate()
            {
                let key = |name: &str| format!("{prefix}/{path}/block{j}/{name}");
                if !dict.contains(&key("factor0")) {
                    continue;
                }
                let n = block.len();
                let o = OwnedBlock {
                    block: BlockState::load(dict, &key, block, c)?,
                    elementwise: Elementwise::load(dict, &key, n)?,
                };
                owned.insert(j, o);
            }
            let shard = ParamShard {
                step: saved.step,
                dims: saved.dims,
                owned,
            };
            state.insert(path, shard);
        }
        self.root_failures = load_root_failures(prefix, dict)?;
        self.state = state;
        // The next step re-derives the assignment and checks the loaded blocks against it.
        self.layout = None;
        Ok(())
    }
}
