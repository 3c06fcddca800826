//! Data-parallel training: every rank holds a replica of the model and of the multipliers, takes
//! its shard of each global minibatch, and the ranks agree on
//!
//! * the primal gradient: [`DataParallel`] averages the ranks' gradients before the wrapped
//!   optimizer steps (`grad = 1/N sum_r grad_r`);
//! * the quantities that drive the dual update: [`DistributedCmp`] replaces each rank's loss and
//!   dense violations by their mean over ranks, and gathers the observed entries of indexed
//!   constraints (per-sample losses) from every rank.
//!
//! The replacement keeps each rank's own gradient path: a dense violation `g_r` becomes
//! `g_r - stop(g_r) + mean_r' g_r'`: its value is the global mean (what the dual step and the
//! augmented-Lagrangian coefficients see), its gradient `grad g_r`, which [`DataParallel`] then
//! averages. With equal shards this is exactly the serial step on the global batch: the mean of
//! shard means is the global mean, and for the augmented term `1/2 c g^2` the averaged gradient
//! `c g_mean (1/N sum_r grad g_r)` is the serial one. An indexed constraint sums over its
//! entries (`sum_i lambda_i g_i`), not a mean, so a rank's own entries enter as
//! `N g_i - stop(N g_i - g_i)`: after the 1/N average of the gradients each entry contributes
//! `lambda_i grad g_i` as in the serial run.
//!
//! Collectives are all-gathers summed in rank order (see [`all_reduce_mean`]), so every rank
//! computes identical bits and the replicas never drift apart. Shards must have equal sizes
//! ([`shard`]). Not supported yet: implicit multipliers (constraint features).

use std::rc::Rc;

use burn::tensor::{Tensor, TensorData};

use super::communicator::{Communicator, all_reduce_mean, mismatch};
use crate::checkpoint::{StateDict, Stateful};
use crate::error::Result;
use crate::optim::{ParamGrads, ParamSet, PrimalOptimizer};
use crate::problem::{Cmp, CmpState, ConstraintState};

/// This rank's contiguous slice of a global minibatch: rank `r` of `N` takes
/// `batch[r B/N .. (r+1) B/N]`. Errors unless `N` divides the batch size (unequal shards would
/// weight samples differently from the serial run).
pub fn shard<'a, T>(batch: &'a [T], comm: &dyn Communicator) -> Result<&'a [T]> {
    let (n, b) = (comm.size(), batch.len());
    if !b.is_multiple_of(n) {
        return Err(mismatch(
            "minibatch",
            format!("a batch of {b} samples does not split evenly over {n} ranks"),
        ));
    }
    let per = b / n;
    Ok(&batch[comm.rank() * per..(comm.rank() + 1) * per])
}

/// A primal optimizer that averages the gradients over ranks, then steps the wrapped one.
/// Its state is the wrapped optimizer's (identical on every rank).
pub struct DataParallel<O> {
    inner: O,
    comm: Rc<dyn Communicator>,
}

impl<O: std::fmt::Debug> std::fmt::Debug for DataParallel<O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataParallel")
            .field("inner", &self.inner)
            .field("rank", &self.comm.rank())
            .field("size", &self.comm.size())
            .finish()
    }
}

impl<O: PrimalOptimizer> DataParallel<O> {
    /// Wraps `inner`; `comm` is shared with the [`DistributedCmp`].
    pub fn new(inner: O, comm: Rc<dyn Communicator>) -> Self {
        Self { inner, comm }
    }

    /// The wrapped optimizer.
    pub fn inner(&self) -> &O {
        &self.inner
    }
}

/// Averages `grads` over ranks in place: all parameters in one all-gather, summed in rank
/// order (identical bits on every rank).
///
/// The layout check rides on the same collective: two trailing values carry a fingerprint of
/// the parameter paths and sizes (a `u64` as two exactly representable `f64`), so a rank whose
/// parameters differ is caught at the step where they first differ, on every rank together,
/// at no extra collective (the check used to be a separate all-gather every step; checking
/// only when the local layout changes would let one rank call a collective the others do not,
/// which hangs under MPI).
///
/// # Errors
/// If the ranks' parameter sets or sizes differ.
pub fn average_gradients(comm: &dyn Communicator, grads: &mut ParamGrads) -> Result<()> {
    if comm.size() == 1 {
        return Ok(());
    }
    let mut flat = Vec::new();
    let mut layout = Vec::new();
    for (path, (g, _)) in &grads.grads {
        let values = g
            .to_data()
            .convert::<f64>()
            .try_into_vec::<f64>()
            .map_err(|e| {
                mismatch(
                    "gradient",
                    format!("reading the gradient of `{path}`: {e:?}"),
                )
            })?;
        layout.push((path.clone(), values.len(), g.dtype(), g.device()));
        flat.extend(values);
    }
    let names: String = layout
        .iter()
        .map(|(p, n, ..)| format!("{p}:{n};"))
        .collect();
    let fp = split_u64(super::fingerprint(names.as_bytes()));
    let n = flat.len();
    flat.extend(fp);
    let gathered = comm.all_gather_f64(&flat)?;
    let differing: Vec<usize> = (0..gathered.len())
        .filter(|&r| gathered[r].len() != n + 2 || gathered[r][n..] != fp)
        .collect();
    if !differing.is_empty() {
        return Err(mismatch(
            "parameters",
            format!(
                "ranks {differing:?} have other parameter paths or sizes than rank {} \
                 ({} parameters, {n} values)",
                comm.rank(),
                layout.len()
            ),
        ));
    }
    let size = gathered.len() as f64;
    let mut mean = vec![0.0; n];
    for (k, out) in mean.iter_mut().enumerate() {
        let mut sum = 0.0;
        for v in &gathered {
            sum += v[k];
        }
        *out = sum / size;
    }
    let mut offset = 0;
    for (path, len, dtype, device) in layout {
        let values = mean[offset..offset + len].to_vec();
        offset += len;
        let t =
            Tensor::<1>::from_data(TensorData::new(values, [len]).convert_dtype(dtype), &device);
        grads.set(&path, t);
    }
    Ok(())
}

/// A `u64` as two exactly representable `f64` (to travel with `f64` payloads).
pub(crate) fn split_u64(x: u64) -> [f64; 2] {
    [(x >> 32) as f64, (x & 0xffff_ffff) as f64]
}

impl<O: PrimalOptimizer> PrimalOptimizer for DataParallel<O> {
    fn update(&mut self, params: &mut ParamSet, grads: &ParamGrads) -> Result<()> {
        let mut averaged = grads.clone();
        average_gradients(self.comm.as_ref(), &mut averaged)?;
        self.inner.update(params, &averaged)
    }

    fn learning_rate(&self) -> f64 {
        self.inner.learning_rate()
    }

    fn set_learning_rate(&mut self, lr: f64) -> Result<()> {
        self.inner.set_learning_rate(lr)
    }

    fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        self.inner.set_lr_scale(scale)
    }
}

impl<O: PrimalOptimizer> Stateful for DataParallel<O> {
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        self.inner.save_state(prefix, out)
    }

    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        self.inner.load_state(prefix, dict)
    }
}

/// A problem evaluated on this rank's shard whose loss, violations and diagnostics are made
/// global; see the module docs of `rein::dist`. The batch passed to each rank's step is its shard.
pub struct DistributedCmp<P> {
    inner: P,
    comm: Rc<dyn Communicator>,
}

impl<P> DistributedCmp<P> {
    /// Wraps `inner`; `comm` is shared with the [`DataParallel`] optimizer.
    pub fn new(inner: P, comm: Rc<dyn Communicator>) -> Self {
        Self { inner, comm }
    }

    /// The wrapped problem.
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// The wrapped problem, mutably.
    pub fn inner_mut(&mut self) -> &mut P {
        &mut self.inner
    }

    fn globalise(&self, mut state: CmpState) -> Result<CmpState> {
        let comm = self.comm.as_ref();
        if comm.size() == 1 {
            return Ok(state);
        }
        // The same constraints, in the same order, on every rank.
        let names: String = state
            .observed
            .iter()
            .map(|(n, c)| format!("{n}:{};", c.indices.is_some()))
            .collect();
        super::ensure_same_on_all_ranks(
            comm,
            "observed constraints",
            super::fingerprint(names.as_bytes()),
        )?;
        if let Some(loss) = state.loss.take() {
            state.loss = Some(global_mean(comm, loss, "loss")?);
        }
        let size = comm.size() as f64;
        let mut observed = Vec::with_capacity(state.observed.len());
        for (name, c) in state.observed {
            if c.features.is_some() {
                return Err(mismatch(
                    &name,
                    "implicit multipliers (constraint features) are not supported in \
                     data-parallel runs yet"
                        .into(),
                ));
            }
            observed.push((name.clone(), globalise_constraint(comm, &name, c, size)?));
        }
        state.observed = observed;
        let keys: Vec<String> = state.misc.keys().cloned().collect();
        let mut values: Vec<f64> = keys.iter().map(|k| state.misc[k]).collect();
        all_reduce_mean(comm, &mut values, "diagnostics")?;
        for (k, v) in keys.into_iter().zip(values) {
            state.misc.insert(k, v);
        }
        Ok(state)
    }
}

impl<M, P: Cmp<M>> Cmp<M> for DistributedCmp<P> {
    type Batch = P::Batch;

    fn compute_cmp_state(&mut self, model: &M, batch: &P::Batch) -> Result<CmpState> {
        let state = self.inner.compute_cmp_state(model, batch)?;
        self.globalise(state)
    }

    fn compute_violations(&mut self, model: &M, batch: &P::Batch) -> Option<Result<CmpState>> {
        let state = self.inner.compute_violations(model, batch);
        // Every rank must take the same branch, or the collectives would not match.
        let provided = u64::from(state.is_some());
        if let Err(e) =
            super::ensure_same_on_all_ranks(self.comm.as_ref(), "compute_violations", provided)
        {
            return Some(Err(e));
        }
        state.map(|s| s.and_then(|s| self.globalise(s)))
    }
}

fn host(t: &Tensor<1>, what: &str) -> Result<Vec<f64>> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map_err(|e| mismatch(what, format!("reading values: {e:?}")))
}

/// `t - stop(t) + mean_ranks(t)`: exactly the global mean's value (identical bits on every
/// rank), with this rank's gradient.
fn global_mean(comm: &dyn Communicator, t: Tensor<1>, what: &str) -> Result<Tensor<1>> {
    let mut mean = host(&t, what)?;
    all_reduce_mean(comm, &mut mean, what)?;
    let n = mean.len();
    let mean = Tensor::<1>::from_data(
        TensorData::new(mean, [n]).convert_dtype(t.dtype()),
        &t.device(),
    );
    Ok(t.clone() - t.detach() + mean)
}

fn globalise_constraint(
    comm: &dyn Communicator,
    name: &str,
    mut c: ConstraintState,
    size: f64,
) -> Result<ConstraintState> {
    match c.indices.take() {
        None => {
            if let Some(v) = c.violation.take() {
                c.violation = Some(global_mean(comm, v, name)?);
            }
            if let Some(s) = c.strict_violation.as_mut() {
                all_reduce_mean(comm, s, name)?;
            }
        }
        Some(indices) => {
            let idx: Vec<u64> = indices.iter().map(|&i| i as u64).collect();
            let all_idx = comm.all_gather_u64(&idx)?;
            let global_indices: Vec<usize> =
                all_idx.iter().flatten().map(|&i| i as usize).collect();
            if let Some(v) = c.violation.take() {
                let local = host(&v, name)?;
                let all = comm.all_gather_f64(&local)?;
                let (dtype, device) = (v.dtype(), v.device());
                let constant = |vals: Vec<f64>| {
                    let n = vals.len();
                    Tensor::<1>::from_data(TensorData::new(vals, [n]).convert_dtype(dtype), &device)
                };
                let mut parts = Vec::with_capacity(all.len());
                for (r, vals) in all.into_iter().enumerate() {
                    if vals.is_empty() {
                        continue;
                    }
                    if r == comm.rank() {
                        // Value g_i, gradient N grad g_i (undone by the 1/N gradient average).
                        let scaled = v.clone().mul_scalar(size);
                        parts.push(scaled.clone() - scaled.detach() + constant(vals));
                    } else {
                        parts.push(constant(vals));
                    }
                }
                c.violation = Some(Tensor::cat(parts, 0));
            }
            if let Some(strict) = c.strict_violation.take() {
                c.strict_violation = Some(comm.all_gather_f64(&strict)?.concat());
                if let Some(si) = c.strict_indices.take() {
                    let si: Vec<u64> = si.iter().map(|&i| i as u64).collect();
                    c.strict_indices = Some(
                        comm.all_gather_u64(&si)?
                            .into_iter()
                            .flatten()
                            .map(|i| i as usize)
                            .collect(),
                    );
                }
            }
            c.indices = Some(global_indices);
        }
    }
    Ok(c)
}
