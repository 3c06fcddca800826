//! Learning-rate schedules of the primal and the dual side.

use crate::error::{ReinError, Result};

/// A learning-rate schedule: the factor by which a scheme multiplies every learning rate of
/// one side (the primal optimizer's base rate and its groups', or every dual optimizer's) at
/// each step. `t` counts the steps taken before the current one (0 at the first step).
///
/// ```text
/// constant                  1
/// step {every, gamma}       gamma^floor(t / every)
/// cosine {steps, min}       min + (1 - min) (1 + cos(pi min(t, steps) / steps)) / 2
///                           (Loshchilov & Hutter 2017, SGDR, without restarts)
/// warmup {steps, then}      (t + 1) / steps  for t < steps,  then then(t - steps)
///                           (linear warm-up; Goyal et al. 2017)
/// ```
///
/// In a configuration file: `schedule = { kind = "cosine", steps = 4000, min = 0.0 }`, or
/// `schedule = { kind = "warmup", steps = 100, then = { kind = "constant" } }`.
///
/// ```
/// use rein::Schedule;
/// let s = Schedule::Warmup { steps: 4, then: Box::new(Schedule::Step { every: 10, gamma: 0.5 }) };
/// assert_eq!(s.factor(0), 0.25);
/// assert_eq!(s.factor(3), 1.0);
/// assert_eq!(s.factor(14), 0.5);
/// ```
#[derive(Debug, Clone, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Schedule {
    /// Factor 1 at every step.
    #[default]
    Constant,
    /// Multiply by `gamma` every `every` steps.
    Step {
        /// Steps between decays (> 0).
        every: u64,
        /// Decay factor (finite, > 0).
        gamma: f64,
    },
    /// Cosine decay from 1 to `min` over `steps` steps, then `min`.
    Cosine {
        /// Length of the decay (> 0).
        steps: u64,
        /// Final factor, in `[0, 1]`.
        #[serde(default)]
        min: f64,
    },
    /// Linear warm-up from `1 / steps` to 1 over `steps` steps, then the schedule `then`
    /// (counted from the end of the warm-up).
    Warmup {
        /// Length of the warm-up (> 0).
        steps: u64,
        /// The schedule after the warm-up.
        then: Box<Schedule>,
    },
}

impl Schedule {
    /// The factor at step `t` (steps taken before this one).
    pub fn factor(&self, t: u64) -> f64 {
        match self {
            Schedule::Constant => 1.0,
            Schedule::Step { every, gamma } => gamma.powf((t / every) as f64),
            Schedule::Cosine { steps, min } => {
                let p = t.min(*steps) as f64 / *steps as f64;
                min + (1.0 - min) * 0.5 * (1.0 + (std::f64::consts::PI * p).cos())
            }
            Schedule::Warmup { steps, then } => {
                if t < *steps {
                    (t + 1) as f64 / *steps as f64
                } else {
                    then.factor(t - steps)
                }
            }
        }
    }

    /// Checks the parameters; errors name the field.
    pub fn validate(&self) -> Result<()> {
        let bad = |key: &str, reason: String| {
            Err(ReinError::InvalidConfig {
                key: key.into(),
                reason,
            })
        };
        match self {
            Schedule::Constant => Ok(()),
            Schedule::Step { every, gamma } => {
                if *every == 0 {
                    return bad("schedule.every", "must be > 0".into());
                }
                if !(gamma.is_finite() && *gamma > 0.0) {
                    return bad("schedule.gamma", format!("{gamma}: must be finite and > 0"));
                }
                Ok(())
            }
            Schedule::Cosine { steps, min } => {
                if *steps == 0 {
                    return bad("schedule.steps", "must be > 0".into());
                }
                if !(0.0..=1.0).contains(min) {
                    return bad("schedule.min", format!("{min}: must be in [0, 1]"));
                }
                Ok(())
            }
            Schedule::Warmup { steps, then } => {
                if *steps == 0 {
                    return bad("schedule.steps", "must be > 0".into());
                }
                then.validate().map_err(|e| match e {
                    ReinError::InvalidConfig { key, reason } => ReinError::InvalidConfig {
                        key: key.replacen("schedule.", "schedule.then.", 1),
                        reason,
                    },
                    other => other,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factors() {
        assert_eq!(Schedule::Constant.factor(123), 1.0);
        let s = Schedule::Step {
            every: 2,
            gamma: 0.1,
        };
        assert_eq!([s.factor(0), s.factor(1)], [1.0, 1.0]);
        assert!((s.factor(2) - 0.1).abs() < 1e-15);
        let c = Schedule::Cosine {
            steps: 10,
            min: 0.1,
        };
        assert_eq!(c.factor(0), 1.0);
        assert!((c.factor(5) - 0.55).abs() < 1e-12);
        assert!((c.factor(10) - 0.1).abs() < 1e-12);
        assert!((c.factor(99) - 0.1).abs() < 1e-12);
        assert!(Schedule::Cosine { steps: 0, min: 0.0 }.validate().is_err());
        let w = Schedule::Warmup {
            steps: 2,
            then: Box::new(Schedule::Cosine { steps: 0, min: 0.0 }),
        };
        let e = w.validate().unwrap_err().to_string();
        assert!(e.contains("schedule.then.steps"), "{e}");
    }
}
