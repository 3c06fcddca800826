//! Weight decay, shared by the primal optimizers.

use burn::tensor::Tensor;

use crate::error::{Result, ensure_non_negative};

/// Weight decay of a primal optimizer: none, L2 (added to the gradient), or decoupled
/// (Loshchilov & Hutter 2019, "Decoupled weight decay regularization": AdamW, SGDW).
///
/// ```text
/// L2:         g <- g + w x                  (before the rule's moments or momentum)
/// Decoupled:  x <- x (1 - lr w)             (before the rule's step)
/// ```
///
/// For plain SGD without momentum the two coincide; with Adam or momentum they differ.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WeightDecay {
    /// No weight decay.
    #[default]
    None,
    /// `g <- g + w x` before the moments.
    L2(f64),
    /// `x <- x (1 - lr w)` before the step.
    Decoupled(f64),
}

impl WeightDecay {
    /// The coefficient `w` (0 for [`WeightDecay::None`]).
    pub fn value(self) -> f64 {
        match self {
            WeightDecay::None => 0.0,
            WeightDecay::L2(w) | WeightDecay::Decoupled(w) => w,
        }
    }

    pub(crate) fn validate(self) -> Result<()> {
        ensure_non_negative("weight_decay", self.value())
    }

    /// A parameter group may set its own coefficient only if the optimizer has a decay kind.
    pub(crate) fn check_group(self, group: &super::ParamGroup) -> Result<()> {
        if self == WeightDecay::None && group.weight_decay.is_some() {
            return Err(crate::error::ReinError::InvalidConfig {
                key: format!("groups.{}.weight_decay", group.name),
                reason: "the optimizer has no weight decay kind: set its weight_decay to l2 or \
                         decoupled (with 0 as the default coefficient) to decay a group"
                    .into(),
            });
        }
        Ok(())
    }

    /// Whether [`WeightDecay::apply`] with factor `w` changes the gradient (L2 decay does;
    /// decoupled decay changes the parameter only).
    pub(crate) fn changes_gradient(self, w: f64) -> bool {
        matches!(self, WeightDecay::L2(_)) && w != 0.0
    }

    /// Applies the decay with coefficient `w` (a parameter group's, or [`WeightDecay::value`])
    /// and learning rate `lr` to the parameter `x` and its gradient `g`; returns `(x, g)`.
    pub(crate) fn apply(
        self,
        w: f64,
        lr: f64,
        x: Tensor<1>,
        g: Tensor<1>,
    ) -> (Tensor<1>, Tensor<1>) {
        match self {
            WeightDecay::L2(_) if w != 0.0 => {
                let g = g + x.clone().mul_scalar(w);
                (x, g)
            }
            WeightDecay::Decoupled(_) if w != 0.0 => (x.mul_scalar(1.0 - lr * w), g),
            _ => (x, g),
        }
    }
}
