//! Per-vertex segmentation as an (unconstrained) rein problem, for EMAN and for the `xyz`
//! baseline: the mean cross-entropy of the vertex labels.

use rein::{Cmp, CmpState};
use rein_nn::eman::{Eman, XyzGraphNet};

use super::data::Sample;
use crate::feasible::cross_entropy_rows;

/// `min_θ (1/V) Σ_p CE(logits_θ(p), y_p)` on one mesh copy.
#[derive(Debug, Clone, Copy, Default)]
pub struct Segmentation;

impl Cmp<Eman> for Segmentation {
    type Batch = Sample;

    fn compute_cmp_state(&mut self, model: &Eman, batch: &Sample) -> rein::Result<CmpState> {
        let logits = model.forward(&batch.input, &batch.graph);
        Ok(CmpState::new().loss(cross_entropy_rows(logits, batch.labels.clone()).mean()))
    }
}

impl Cmp<XyzGraphNet> for Segmentation {
    type Batch = Sample;

    fn compute_cmp_state(&mut self, model: &XyzGraphNet, batch: &Sample) -> rein::Result<CmpState> {
        let logits = model.forward(&batch.graph);
        Ok(CmpState::new().loss(cross_entropy_rows(logits, batch.labels.clone()).mean()))
    }
}
