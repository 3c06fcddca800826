//! The recall problem: classify the 8x8 digits, subject to a recall floor on one class,
//! measured on every training sample of that class (proxy constraints, Cotter, Jiang, Gupta,
//! Wang, Narayan, You & Sridharan 2019, "Optimization with non-differentiable constraints with
//! applications to fairness, recall, churn, and other goals", JMLR 20).

use burn::nn::loss::{CrossEntropyLoss, CrossEntropyLossConfig};
use burn::tensor::{Device, Tensor};
use rein::{Cmp, CmpState, ConstraintState, ReinError};
use rein_nn::{Dataset, Mlp, metrics};

/// Name of the recall constraint (keys reports and checkpoints).
pub const RECALL: &str = "recall";

/// `min CE(model)  s.t.  recall_k(model) >= r_min` on the training set.
///
/// ```text
/// recall_k(x)      = (1/|S_k|) sum_{i in S_k} 1[argmax_j f_j(x_i) = k]           (S_k: class-k rows)
/// soft_recall_k(x) = (1/|S_k|) sum_{i in S_k} sigmoid((f_k(x_i) - max_{j != k} f_j(x_i)) / T)
///
/// g_proxy(x)  = r_min - soft_recall_k(x)    differentiable: drives the primal step
/// g_strict(x) = r_min - recall_k(x)         the real constraint: drives the dual step
/// ```
///
/// The Lagrangian `CE_B(x) + lambda g_proxy(x)` is minimised in `x` while `lambda` ascends
/// on `g_strict` (proxy constraints, Cotter et al. 2019): the multiplier moves only while the
/// real, piecewise-constant recall is below the floor. `T` is the temperature of the sigmoid
/// surrogate ([`metrics::soft_recall`]).
///
/// The loss uses a minibatch; the constraint uses all training samples of class `k` (about
/// 145 rows for the digits), so the strict violation is exact, not a minibatch estimate.
pub struct RecallProblem {
    train: Dataset,
    class_rows: Tensor<2>,
    class_labels: Vec<usize>,
    class: usize,
    min_recall: f64,
    temperature: f64,
    constrained: bool,
    loss: CrossEntropyLoss,
    device: Device,
}

impl RecallProblem {
    /// The problem on `train` for class `class` and floor `min_recall`. With `constrained`
    /// false the constraint is not observed (the unconstrained baseline).
    pub fn new(
        train: Dataset,
        class: usize,
        min_recall: f64,
        temperature: f64,
        constrained: bool,
        device: &Device,
    ) -> Self {
        let rows: Vec<usize> = (0..train.n).filter(|&i| train.labels[i] == class).collect();
        let (class_rows, _) = train.batch_tensors(&rows, device);
        Self {
            class_labels: vec![class; rows.len()],
            train,
            class_rows,
            class,
            min_recall,
            temperature,
            constrained,
            loss: CrossEntropyLossConfig::new().init(device),
            device: device.clone(),
        }
    }

    /// The constrained class.
    pub fn class(&self) -> usize {
        self.class
    }

    /// True recall of the class over its training rows.
    pub fn recall_of(&self, logits: Tensor<2>) -> f64 {
        let classes = logits.dims()[1];
        let values = logits
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap_or_default();
        let predicted = metrics::argmax_rows(&values, classes);
        let hits = predicted.iter().filter(|&&p| p == self.class).count();
        hits as f64 / predicted.len().max(1) as f64
    }
}

impl Cmp<Mlp> for RecallProblem {
    type Batch = [usize];

    fn compute_cmp_state(&mut self, model: &Mlp, batch: &[usize]) -> rein::Result<CmpState> {
        let (x, y) = self.train.batch_tensors(batch, &self.device);
        let logits = model.forward(x);
        let labels: Vec<usize> = batch.iter().map(|&i| self.train.labels[i]).collect();
        let predicted = {
            let v = logits
                .to_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap_or_default();
            metrics::argmax_rows(&v, logits.dims()[1])
        };
        let batch_accuracy = metrics::accuracy(&predicted, &labels).unwrap_or(0.0);
        let loss = self.loss.forward(logits, y);
        let mut state = CmpState::new()
            .loss(loss)
            .misc("batch_accuracy", batch_accuracy);
        let class_logits = model.forward(self.class_rows.clone());
        let recall = self.recall_of(class_logits.clone().detach());
        state = state.misc("train_recall", recall);
        if self.constrained {
            let soft = metrics::soft_recall(
                class_logits,
                &self.class_labels,
                self.class,
                self.temperature,
            )
            .ok_or_else(|| ReinError::InvalidConstraintState {
                constraint: RECALL.into(),
                reason: format!("no training sample of class {}", self.class),
            })?;
            let violation = soft.neg().add_scalar(self.min_recall);
            state = state.observe(
                RECALL,
                ConstraintState::new(violation).strict(vec![self.min_recall - recall]),
            );
        }
        Ok(state)
    }
}
