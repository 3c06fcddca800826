//! The fine-tuning problem of the Balancing Act recipe (Hashemizadeh, Ramirez, Sukumaran,
//! Farnadi, Lacoste-Julien & Gallego-Posada 2024, "Balancing Act: Constraining Disparate Impact
//! in Sparse Models", ICLR): CEAG, and the NFT and EL baselines, as one [`Cmp`].

use burn::tensor::{Device, Tensor};
use rein::{Cmp, CmpState, Constraint, ConstraintState, ReinError};
use rein_nn::{Grouped, Mlp, metrics};
use serde::{Deserialize, Serialize};

use super::buffer::ReplayBuffer;
use super::groups::{BatchGroups, GroupFigures};
use crate::feasible::cross_entropy_rows;

/// Name of CEAG's constraint group: one excess accuracy gap per group (indexed).
pub const EXCESS_GAP: &str = "excess-gap";
/// Name of EL's constraint group: one loss equality per group (indexed).
pub const EQUAL_LOSS: &str = "equal-loss";

/// What the sparse model is fine-tuned with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Constrained excess accuracy gap (the paper's method).
    Ceag,
    /// Naive fine-tuning: plain ERM with the mask fixed.
    Nft,
    /// Equalized loss: `L_g = L` for every group, equality constraints.
    El,
}

impl Method {
    /// The three methods, in the order reports list them.
    pub const ALL: [Method; 3] = [Method::Ceag, Method::Nft, Method::El];

    /// `ceag`, `nft`, `el`.
    pub fn name(self) -> &'static str {
        match self {
            Method::Ceag => "ceag",
            Method::Nft => "nft",
            Method::El => "el",
        }
    }

    /// The constraint the method registers with `groups` groups (none for NFT).
    pub fn constraint(self, groups: usize) -> Option<Constraint> {
        match self {
            Method::Ceag => Some(Constraint::inequality(EXCESS_GAP, groups).indexed()),
            Method::El => Some(Constraint::equality(EQUAL_LOSS, groups).indexed()),
            Method::Nft => None,
        }
    }

    /// The name of the method's constraint, if it has one.
    pub fn constraint_name(self) -> Option<&'static str> {
        match self {
            Method::Ceag => Some(EXCESS_GAP),
            Method::El => Some(EQUAL_LOSS),
            Method::Nft => None,
        }
    }
}

/// Fine-tuning a pruned model `theta_s` against the fixed dense model `theta_d`.
///
/// With `A_g`, `L_g` the accuracy and mean cross-entropy on group `g`, `A`, `L` over all rows,
/// and the dense figures `A_g^d = A_g(theta_d)`, `L_g^d`, `A^d`, `L^d` measured once on the
/// training set:
///
/// ```text
/// Delta_g = A_g^d - A_g(theta_s)      Delta = A^d - A(theta_s)      psi_g = Delta_g - Delta
///
/// CEAG:  min L(theta_s)  s.t.  psi_g(theta_s) <= eps           for every group g
///        primal (proxy, on the batch B):   psi~_g = (L_g,B - L_g^d) - (L_B - L^d) - eps
///        dual (strict, replay buffers):    psi^_g = (A_g^d - A^_g) - (A^d - A^) - eps
/// EL:    min L(theta_s)  s.t.  L_g,B - L_B = 0                  for every group g
/// NFT:   min L(theta_s)
/// ```
///
/// `L_g,B` is the mean cross-entropy over the batch rows of group `g`, `L_B` over the batch.
/// `A^_g` is the accuracy over group `g`'s replay buffer (the last `k` correctness bits of its
/// training rows seen, [`ReplayBuffer`]); `A^ = sum_g p_g A^_g / sum_g p_g` over the groups
/// whose buffer holds any bit, `p_g` the group's share of the training rows (kept up to date
/// in O(batch) per step). The primal term covers every group present in the batch; the dual
/// step updates only the groups present in the batch whose buffer is full (the indexed
/// multipliers' observed entries), so a step costs O(batch) whatever the number of groups.
pub struct FairnessProblem {
    train: Grouped,
    method: Method,
    dense: GroupFigures,
    eps: f64,
    buffer: ReplayBuffer,
    shares: Vec<f64>,
    weighted_accuracy: f64,
    weight_seen: f64,
    device: Device,
}

impl FairnessProblem {
    /// The problem on `train` (rows with groups) against the dense model's training-set
    /// figures `dense`, bound `eps` and replay buffers of `buffer` bits.
    pub fn new(
        train: Grouped,
        method: Method,
        dense: GroupFigures,
        eps: f64,
        buffer: usize,
        device: &Device,
    ) -> Self {
        let n = train.data.n.max(1) as f64;
        let shares = train.group_sizes().iter().map(|&s| s as f64 / n).collect();
        Self {
            buffer: ReplayBuffer::new(train.group_count(), buffer),
            train,
            method,
            dense,
            eps,
            shares,
            weighted_accuracy: 0.0,
            weight_seen: 0.0,
            device: device.clone(),
        }
    }

    /// The method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The replay buffers.
    pub fn buffer(&self) -> &ReplayBuffer {
        &self.buffer
    }

    /// Saves the evolving state (buffers and the running `A^`) under `name/` (checkpoints).
    ///
    /// # Errors
    /// Serialisation failed.
    pub fn save_state(
        &self,
        dict: &mut rein::checkpoint::StateDict,
        name: &str,
    ) -> crate::Result<()> {
        crate::session::put_json(dict, &format!("{name}/buffer"), &self.buffer)?;
        dict.put_f64s(
            &format!("{name}/overall"),
            &[self.weighted_accuracy, self.weight_seen],
        );
        Ok(())
    }

    /// Restores the state saved by [`FairnessProblem::save_state`].
    ///
    /// # Errors
    /// Missing or malformed entries.
    pub fn load_state(
        &mut self,
        dict: &rein::checkpoint::StateDict,
        name: &str,
    ) -> crate::Result<()> {
        let buffer: ReplayBuffer = crate::session::get_json(dict, &format!("{name}/buffer"))?;
        let overall = dict.get_f64s(&format!("{name}/overall"))?;
        let [weighted, seen] = overall[..] else {
            return Err(crate::RecipeError::config(
                "checkpoints",
                format!("{name}/overall: expected 2 values"),
            ));
        };
        self.buffer = buffer;
        self.weighted_accuracy = weighted;
        self.weight_seen = seen;
        Ok(())
    }

    /// The buffers' estimate `A^` of the overall accuracy (`None` before the first batch).
    pub fn overall_estimate(&self) -> Option<f64> {
        (self.weight_seen > 0.0).then(|| self.weighted_accuracy / self.weight_seen)
    }

    /// Records the correctness bits of a batch in the buffers and keeps `A^` up to date.
    fn record(&mut self, groups: &BatchGroups, row_groups: &[usize], correct: &[bool]) {
        let before: Vec<Option<f64>> = groups
            .present
            .iter()
            .map(|&g| self.buffer.partial_accuracy(g))
            .collect();
        for (&g, &c) in row_groups.iter().zip(correct) {
            self.buffer.push(g, c);
        }
        for (&g, old) in groups.present.iter().zip(before) {
            let new = self.buffer.partial_accuracy(g).unwrap_or(0.0);
            let p = self.shares[g];
            match old {
                Some(old) => self.weighted_accuracy += p * (new - old),
                None => {
                    self.weighted_accuracy += p * new;
                    self.weight_seen += p;
                }
            }
        }
    }

    /// The strict violations `psi^_g - eps` of the present groups with a full buffer.
    fn strict(&self, groups: &BatchGroups) -> (Vec<usize>, Vec<f64>) {
        let overall = self.overall_estimate().unwrap_or(self.dense.accuracy);
        let delta = self.dense.accuracy - overall;
        groups
            .present
            .iter()
            .filter_map(|&g| {
                self.buffer
                    .accuracy(g)
                    .map(|a| (g, (self.dense.group_accuracy[g] - a) - delta - self.eps))
            })
            .unzip()
    }
}

impl Cmp<Mlp> for FairnessProblem {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.data.batch_tensors(batch, &self.device);
        let logits = model.forward(x);
        let classes = logits.dims()[1];
        let host = logits
            .to_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| ReinError::InvalidConstraintState {
                constraint: EXCESS_GAP.into(),
                reason: format!("reading the logits to the host: {e:?}"),
            })?;
        let predicted = metrics::argmax_rows(&host, classes);
        let correct: Vec<bool> = batch
            .iter()
            .zip(&predicted)
            .map(|(&i, &p)| self.train.data.labels[i] == p)
            .collect();
        let batch_accuracy =
            correct.iter().filter(|&&c| c).count() as f64 / correct.len().max(1) as f64;
        let row_groups: Vec<usize> = batch.iter().map(|&i| self.train.groups[i]).collect();
        let groups = BatchGroups::new(&row_groups);
        self.record(&groups, &row_groups, &correct);

        let rows = cross_entropy_rows(logits, y);
        let loss = rows.clone().mean();
        let mut state = CmpState::new()
            .loss(loss.clone())
            .misc("batch_accuracy", batch_accuracy)
            .misc("groups_present", groups.present.len() as f64);
        if let Some(a) = self.overall_estimate() {
            state = state.misc("buffer_accuracy", a);
        }
        let group_loss = groups.means(rows);
        let p = groups.present.len();
        let excess_loss: Tensor<1> = group_loss.sub(loss.repeat_dim(0, p));
        match self.method {
            Method::Nft => {}
            Method::El => {
                state = state.observe(
                    EQUAL_LOSS,
                    ConstraintState::new(excess_loss).indices(groups.present.clone()),
                );
            }
            Method::Ceag => {
                // (L_g - L_g^d) - (L - L^d) - eps = (L_g - L) - (L_g^d - L^d + eps)
                let offsets: Vec<f32> = groups
                    .present
                    .iter()
                    .map(|&g| (self.dense.group_loss[g] - self.dense.loss + self.eps) as f32)
                    .collect();
                let offsets = Tensor::<1>::from_data(
                    burn::tensor::TensorData::new(offsets, [p]),
                    &self.device,
                );
                let proxy = excess_loss.sub(offsets);
                let (full, strict) = self.strict(&groups);
                if let Some(m) = strict.iter().copied().reduce(f64::max) {
                    state = state.misc("max_buffer_excess_gap", m + self.eps);
                }
                state = state.misc("groups_full", full.len() as f64);
                let constraint = ConstraintState::new(proxy)
                    .indices(groups.present.clone())
                    .strict(strict)
                    .strict_indices(full);
                state = state.observe(EXCESS_GAP, constraint);
            }
        }
        Ok(state)
    }
}
