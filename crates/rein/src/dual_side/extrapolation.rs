//! Saving and restoring the multipliers around an extragradient extrapolation.

use super::DualSide;
use crate::evaluation::Evaluation;
use crate::multiplier::SavedValues;

/// Multipliers saved before an extrapolation: values at the entries the step observes, and
/// whole implicit models (their parameters are the multipliers).
#[derive(Debug, Default)]
pub(crate) struct SavedMultipliers {
    saved: Vec<(usize, SavedValues)>,
}

impl DualSide {
    /// Saves the multipliers at the entries `ev` will update.
    pub(crate) fn save_observed(&self, ev: &Evaluation) -> SavedMultipliers {
        let saved = ev
            .observed
            .iter()
            .filter(|o| o.dual)
            .filter_map(|o| {
                let m = self.constraints.entries[o.entry].multiplier.as_ref()?;
                Some((o.entry, m.save_observed(o)))
            })
            .collect();
        SavedMultipliers { saved }
    }

    /// Restores multipliers saved by [`DualSide::save_observed`] (dual-optimizer state is
    /// kept: it advances on both extragradient calls; implicit models are restored whole,
    /// parameters and their optimizer's state).
    pub(crate) fn restore_observed(&mut self, saved: &SavedMultipliers) {
        for (entry, values) in &saved.saved {
            if let Some(m) = &mut self.constraints.entries[*entry].multiplier {
                m.restore(values);
            }
        }
    }
}
