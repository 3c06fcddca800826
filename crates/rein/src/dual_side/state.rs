//! Named state of the dual side for checkpoints.

use super::DualSide;
use crate::checkpoint::{StateDict, Stateful};
use crate::error::{ReinError, Result};

impl Stateful for DualSide {
    /// Saves, per constraint `name`: `name/multipliers`, `name/dual_state` (entry-major, shape
    /// `[size, slots]`), `name/implicit/...` and `name/penalty`.
    fn save_state(&self, prefix: &str, out: &mut StateDict) -> Result<()> {
        for e in &self.constraints.entries {
            let base = format!("{prefix}/{}", e.config.name);
            if let Some(m) = &e.multiplier {
                m.save_state(&base, out)?;
            }
            if let Some(p) = &e.penalty {
                out.put_f64s(&format!("{base}/penalty"), p.values());
            }
        }
        Ok(())
    }

    fn load_state(&mut self, prefix: &str, dict: &StateDict) -> Result<()> {
        // Read and check everything before mutating anything.
        let mut staged = Vec::new();
        for (k, e) in self.constraints.entries.iter().enumerate() {
            let base = format!("{prefix}/{}", e.config.name);
            let mult = match &e.multiplier {
                Some(m) => Some(m.stage_load(&base, dict)?),
                None => None,
            };
            let pen = match &e.penalty {
                Some(p) => {
                    let name = format!("{base}/penalty");
                    let v = dict.get_f64s(&name)?;
                    if v.len() != p.values().len() {
                        return Err(ReinError::State {
                            name,
                            reason: format!(
                                "length {}, constraint expects {}",
                                v.len(),
                                p.values().len()
                            ),
                        });
                    }
                    Some(v)
                }
                None => None,
            };
            staged.push((k, mult, pen));
        }
        for (k, mult, pen) in staged {
            let e = &mut self.constraints.entries[k];
            if let (Some(m), Some(staged)) = (&mut e.multiplier, mult) {
                m.apply(staged);
            }
            if let (Some(p), Some(v)) = (&mut e.penalty, pen) {
                *p.values_mut() = v;
            }
        }
        Ok(())
    }
}
