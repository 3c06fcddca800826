//! The Feasible Learning problem: one constraint per training sample, no objective (Ramirez
//! et al. 2025, "Feasible Learning", AISTATS).

use burn::tensor::activation::log_softmax;
use burn::tensor::{Device, Int, Tensor};
use rein::{Cmp, CmpState, Constraint, ConstraintState, ReinError};
use rein_nn::{Dataset, Mlp};

/// Name of the per-sample constraint (keys reports and checkpoints).
pub const FEASIBLE: &str = "feasible";

/// Rows per forward pass when evaluating every training sample. 1024 rows of MNIST hold ~6 MB
/// of features and activations at a time; 4096 held ~25 MB, which made the evaluation the
/// peak of a Feasible Learning run's resident memory (1.64x the arrays it must hold; 1.5x is
/// the goal in BENCHMARKS.md).
pub const EVAL_CHUNK: usize = 1024;

/// The loss bound of a per-sample probability target `p`: `eps = -ln p` (`p = 0.6`:
/// `eps = 0.5108`), i.e. `CE_i <= eps` iff the model gives sample `i`'s label a probability of
/// at least `p`.
pub fn epsilon(p: f64) -> f64 {
    -p.ln()
}

/// Feasible Learning (Ramirez et al. 2025): find parameters `x` under which every training
/// sample's loss is at most `eps`; there is no objective.
///
/// ```text
/// find x   s.t.   g_i(x) = CE_i(x) - eps <= 0        for every training sample i = 1..n
///
/// L(x, lambda) = sum_{i in B} lambda_i g_i(x)           (a SUM over the batch B, no mean)
///
/// lambda_i <- max(0, lambda_i + eta_dual g_i(x_t))      for i in B   (dual step first)
/// x_{t+1}  <- primal_step(x_t, grad_x L(x_t, lambda))                (then the primal step)
/// ```
///
/// with `CE_i(x) = -log softmax(f(x_i))_{y_i}` and one multiplier `lambda_i >= 0` per sample,
/// initialised at 0 and indexed by the batch's sample indices (only the observed entries are
/// updated). Dual first matters: at `lambda = 0` the primal gradient is zero. A sample with a
/// large multiplier is one the model has kept failing; the multipliers are the method's
/// per-sample weights.
///
/// The batch must hold distinct samples (every [`rein_nn::Batcher`] batch does).
pub struct FeasibleProblem {
    train: Dataset,
    eps: f64,
    device: Device,
}

impl FeasibleProblem {
    /// The problem on `train` with loss bound `eps` (see [`epsilon`]), batches built on
    /// `device`.
    pub fn new(train: Dataset, eps: f64, device: &Device) -> Self {
        Self {
            train,
            eps,
            device: device.clone(),
        }
    }

    /// The loss bound `eps`.
    pub fn eps(&self) -> f64 {
        self.eps
    }

    /// The training samples.
    pub fn train(&self) -> &Dataset {
        &self.train
    }

    /// The constraint this problem observes: an indexed inequality with one entry per
    /// training sample.
    pub fn constraint(&self) -> Constraint {
        Constraint::inequality(FEASIBLE, self.train.n).indexed()
    }

    /// `CE_i` of every training sample under `model`, evaluated in chunks of [`EVAL_CHUNK`]
    /// rows on `device` (pass the inner device and `model.valid()` to build no graph).
    pub fn losses(&self, model: &Mlp, device: &Device) -> rein::Result<Vec<f64>> {
        per_sample_ce(model, &self.train, device)
    }
}

/// Per-row cross-entropy `CE_i = -log_softmax(logits_i)[y_i]`, shape `[n]`.
pub fn cross_entropy_rows(logits: Tensor<2>, y: Tensor<1, Int>) -> Tensor<1> {
    let n = y.dims()[0];
    log_softmax(logits, 1)
        .gather(1, y.reshape([n, 1]))
        .reshape([n])
        .neg()
}

/// `CE_i` of every row of `data` under `model`, in chunks of [`EVAL_CHUNK`] rows.
pub fn per_sample_ce(model: &Mlp, data: &Dataset, device: &Device) -> rein::Result<Vec<f64>> {
    let mut out = Vec::with_capacity(data.n);
    for start in (0..data.n).step_by(EVAL_CHUNK) {
        let rows: Vec<usize> = (start..(start + EVAL_CHUNK).min(data.n)).collect();
        let (x, y) = data.batch_tensors(&rows, device);
        let ce = cross_entropy_rows(model.forward(x), y)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| ReinError::InvalidConstraintState {
                constraint: FEASIBLE.into(),
                reason: format!("reading the per-sample losses to the host: {e:?}"),
            })?;
        out.extend(ce.into_iter().map(f64::from));
    }
    Ok(out)
}

impl Cmp<Mlp> for FeasibleProblem {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.batch_tensors(batch, &self.device);
        let violation = cross_entropy_rows(model.forward(x), y).sub_scalar(self.eps);
        Ok(CmpState::new().observe(
            FEASIBLE,
            ConstraintState::new(violation).indices(batch.to_vec()),
        ))
    }
}
