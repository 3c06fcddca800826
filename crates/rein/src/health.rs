//! Constraint-health diagnostics: an [`Observer`] that watches each constraint's multiplier and
//! violations and warns, naming the constraint, about the three ways a Lagrangian run commonly
//! goes wrong without producing a NaN (see docs/core.md, "Constraint health"):
//!
//! * **stalled growth** — over a window of `window` steps the multiplier kept rising (it ends
//!   higher than it started, having risen on most steps) while the strict violation did not
//!   shrink and stayed positive: the constraint is likely infeasible, or the primal step is too
//!   small to follow the multiplier.
//! * **oscillation** — within a window the multiplier stays positive and swings through its
//!   window mean (with a hysteresis band of a quarter of its range) at least four times, with a
//!   range over half its window maximum: the dual step is too large for the problem's curvature (try a smaller dual
//!   learning rate, nuPI, or the augmented Lagrangian).
//! * **proxy/strict disagreement** — for a constraint whose differentiable (proxy) violation and
//!   strict violation are both reported, their largest entries had opposite signs on at least
//!   90 % of a window's steps: the surrogate does not track the constraint it stands for.
//!
//! Each constraint reports a largest-entry summary per step: the largest multiplier, the
//! largest strict violation and the largest proxy violation over the observed entries. A window
//! is judged only when every step observed the same entries: an indexed constraint whose batch
//! observes other entries each step (one multiplier per sample) is not summarised this way, and
//! gets no warning. Each
//! (constraint, issue) pair warns once, at the end of the first window that shows it. Cost: a
//! few host operations per constraint per step; the windows are kept on the host.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::report::{Observer, StepReport};

/// What a [`HealthWarning`] is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum HealthIssue {
    /// The multiplier rose through a window while the violation did not shrink.
    StalledGrowth,
    /// The multiplier swung back and forth through a window.
    Oscillation,
    /// The proxy and the strict violation disagreed in sign through a window.
    ProxyStrictDisagreement,
}

/// One warning: the constraint, the issue, the window it was seen in and the figures.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HealthWarning {
    /// The constraint's name.
    pub constraint: String,
    /// What was seen.
    pub issue: HealthIssue,
    /// First step of the window.
    pub from_step: u64,
    /// Last step of the window.
    pub to_step: u64,
    /// The figures behind it, and what to try.
    pub detail: String,
}

impl fmt::Display for HealthWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "constraint `{}`, steps {}-{}: {}",
            self.constraint, self.from_step, self.to_step, self.detail
        )
    }
}

/// Settings of a [`HealthMonitor`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Steps per window (each issue is judged over one full window).
    pub window: usize,
}

impl Default for HealthConfig {
    fn default() -> Self {
        Self { window: 200 }
    }
}

/// Per-step summary of one constraint.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Sample {
    step: u64,
    /// Which entries were observed (windows are judged only when these agree).
    entries: Vec<usize>,
    multiplier: Option<f64>,
    strict: Option<f64>,
    proxy: Option<f64>,
}

/// Watches step reports and collects [`HealthWarning`]s. Use it as an observer
/// (`opt.add_observer(Box::new(monitor))` keeps it inside the optimizer) or call
/// [`HealthMonitor::observe`] with each report and read [`HealthMonitor::warnings`].
///
/// The monitor is serialisable, so a run resumed from a checkpoint warns exactly as the
/// uninterrupted run would.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct HealthMonitor {
    config: HealthConfig,
    windows: BTreeMap<String, Vec<Sample>>,
    /// Largest strict violation each constraint has shown so far (the scale of "material").
    peaks: BTreeMap<String, f64>,
    warned: BTreeSet<(String, HealthIssue)>,
    warnings: Vec<HealthWarning>,
}

fn max_of(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}

fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { 0.0 } else { sum / n as f64 }
}

impl HealthMonitor {
    /// A monitor with `config` (a zero window is treated as 1).
    pub fn new(config: HealthConfig) -> Self {
        Self {
            config: HealthConfig {
                window: config.window.max(1),
            },
            ..Self::default()
        }
    }

    /// The warnings so far, in the order they were raised.
    pub fn warnings(&self) -> &[HealthWarning] {
        &self.warnings
    }

    /// Records one step; judges a constraint's window when it is full, then starts the next.
    pub fn observe(&mut self, report: &StepReport) {
        for c in &report.constraints {
            let sample = Sample {
                step: report.step,
                entries: c.strict_indices.clone(),
                multiplier: max_of(&c.multipliers),
                strict: max_of(&c.strict_violation),
                proxy: max_of(&c.violation),
            };
            let peak = self.peaks.entry(c.name.clone()).or_insert(0.0);
            if let Some(v) = sample.strict {
                *peak = peak.max(v);
            }
            let peak = *peak;
            let window = self.windows.entry(c.name.clone()).or_default();
            window.push(sample);
            if window.len() >= self.config.window {
                let full = std::mem::take(window);
                for (issue, detail) in judge(&full, peak) {
                    self.warn(&c.name, issue, &full, detail);
                }
            }
        }
    }

    fn warn(&mut self, constraint: &str, issue: HealthIssue, window: &[Sample], detail: String) {
        let key = (constraint.to_string(), issue);
        if self.warned.insert(key) {
            self.warnings.push(HealthWarning {
                constraint: constraint.to_string(),
                issue,
                from_step: window[0].step,
                to_step: window[window.len() - 1].step,
                detail,
            });
        }
    }
}

impl Observer for HealthMonitor {
    fn observe(&mut self, report: &StepReport) {
        HealthMonitor::observe(self, report);
    }
}

/// The issues one full window shows, with their details.
fn judge(window: &[Sample], peak: f64) -> Vec<(HealthIssue, String)> {
    let mut issues = Vec::new();
    if window.iter().any(|s| s.entries != window[0].entries) {
        return issues;
    }
    let lambdas: Vec<f64> = window.iter().filter_map(|s| s.multiplier).collect();
    let stricts: Vec<f64> = window.iter().filter_map(|s| s.strict).collect();
    if lambdas.len() == window.len() && stricts.len() == window.len() {
        if let Some(detail) = stalled_growth(&lambdas, &stricts, peak) {
            issues.push((HealthIssue::StalledGrowth, detail));
        }
        if let Some(detail) = oscillation(&lambdas) {
            issues.push((HealthIssue::Oscillation, detail));
        }
    }
    let pairs: Vec<(f64, f64)> = window
        .iter()
        .filter_map(|s| Some((s.proxy?, s.strict?)))
        .collect();
    if pairs.len() == window.len() {
        let disagree = pairs
            .iter()
            .filter(|(p, s)| (*p > 0.0 && *s <= 0.0) || (*p <= 0.0 && *s > 0.0))
            .count();
        if disagree * 10 >= pairs.len() * 9 {
            let (p, s) = pairs[pairs.len() - 1];
            issues.push((
                HealthIssue::ProxyStrictDisagreement,
                format!(
                    "the proxy and the strict violation disagreed in sign on {disagree} of {} \
                     steps (last: proxy {p:.4}, strict {s:.4}); the surrogate does not track \
                     the constraint",
                    pairs.len()
                ),
            ));
        }
    }
    issues
}

/// Stalled growth: the multiplier ends higher, rose on most steps, and the strict violation's
/// last-quarter mean is at least 95 % of its first-quarter mean and material: at least 5 % of
/// the largest violation the constraint has shown (a violation hovering just above 0 while the
/// primal catches up is the normal approach, not a stall).
fn stalled_growth(lambdas: &[f64], stricts: &[f64], peak: f64) -> Option<String> {
    let n = lambdas.len();
    let q = (n / 4).max(1);
    let rises = lambdas.windows(2).filter(|w| w[1] > w[0]).count();
    let (first, last) = (lambdas[0], lambdas[n - 1]);
    let v_first = mean(stricts[..q].iter().copied());
    let v_last = mean(stricts[n - q..].iter().copied());
    let grew = last > first && rises * 4 >= (n - 1) * 3;
    let material = v_last > 0.0 && v_last >= 0.05 * peak;
    (grew && material && v_last >= 0.95 * v_first).then(|| {
        format!(
            "the multiplier rose from {first:.4} to {last:.4} while the violation did not shrink \
             ({v_first:.4} -> {v_last:.4}): the constraint may be infeasible, or the primal step \
             too small to follow the multiplier"
        )
    })
}

/// Oscillation: at least four crossings of the window mean through a hysteresis band of a
/// quarter of the range, with the range over half the window maximum.
fn oscillation(lambdas: &[f64]) -> Option<String> {
    let lo = lambdas.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = lambdas.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let range = hi - lo;
    // A multiplier that returns to 0 (dual restarts, or a constraint that turns inactive and
    // active again) is doing its job, not oscillating: only swings of a positive multiplier count.
    if !(lo > 0.0 && range > 0.5 * hi.abs()) {
        return None;
    }
    let centre = mean(lambdas.iter().copied());
    let band = 0.25 * range;
    let mut side = 0i8;
    let mut crossings = 0;
    for &l in lambdas {
        let now = if l > centre + band {
            1
        } else if l < centre - band {
            -1
        } else {
            0
        };
        if now != 0 && side != 0 && now != side {
            crossings += 1;
        }
        if now != 0 {
            side = now;
        }
    }
    (crossings >= 4).then(|| {
        format!(
            "the multiplier swung {crossings} times between about {lo:.4} and {hi:.4}: the dual \
             step may be too large (smaller dual learning rate, nuPI or the augmented Lagrangian)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constraint::ConstraintKind;
    use crate::report::{ConstraintReport, KktResiduals};

    fn report(step: u64, lambda: f64, strict: f64, proxy: Option<f64>) -> StepReport {
        StepReport {
            step,
            loss: None,
            lagrangian: 0.0,
            constraints: vec![ConstraintReport {
                name: "c".into(),
                kind: ConstraintKind::Inequality,
                indices: vec![0],
                violation: proxy.into_iter().collect(),
                strict_indices: vec![0],
                strict_violation: vec![strict],
                multipliers: vec![lambda],
                penalty: vec![],
            }],
            kkt: KktResiduals::default(),
            primal_lr: 0.1,
            dual_lr: Some(0.1),
            misc: BTreeMap::new(),
        }
    }

    fn issues(f: impl Fn(u64) -> (f64, f64, Option<f64>)) -> Vec<HealthIssue> {
        let mut m = HealthMonitor::new(HealthConfig { window: 100 });
        for t in 1..=300 {
            let (l, s, p) = f(t);
            m.observe(&report(t, l, s, p));
        }
        m.warnings().iter().map(|w| w.issue).collect()
    }

    #[test]
    fn a_rising_multiplier_over_a_flat_violation_is_stalled_growth() {
        assert_eq!(
            issues(|t| (0.1 * t as f64, 1.0, None)),
            vec![HealthIssue::StalledGrowth]
        );
        // Rising while the violation shrinks (the normal approach to feasibility): no warning.
        assert!(issues(|t| (0.1 * t as f64, 1.0 / t as f64, None)).is_empty());
        // Feasible (violation <= 0): no warning even if lambda drifts up.
        assert!(issues(|t| (0.1 * t as f64, -0.5, None)).is_empty());
        // Hovering just above 0 after a large initial violation: the normal approach.
        let approach = |t: u64| {
            let v = if t < 50 {
                0.8
            } else {
                0.0005 + 1e-6 * t as f64
            };
            (0.01 * t as f64, v, None)
        };
        assert!(issues(approach).is_empty());
    }

    #[test]
    fn a_swinging_multiplier_is_an_oscillation() {
        let swing = |t: u64| (5.5 + 5.0 * (t as f64 / 4.0).sin(), 0.1, None);
        assert_eq!(issues(swing), vec![HealthIssue::Oscillation]);
        // Returning to 0 again and again (dual restarts) is not an oscillation.
        let restarts = |t: u64| (((t % 20) as f64 - 10.0).max(0.0), 0.1, None);
        assert!(issues(restarts).is_empty());
        // Small noise around a converged multiplier is not an oscillation.
        let noisy = |t: u64| (5.0 + 0.1 * (t as f64 * 1.7).sin(), 0.0, None);
        assert!(issues(noisy).is_empty());
    }

    #[test]
    fn proxy_and_strict_of_opposite_signs_disagree() {
        let apart = |t: u64| (1.0 + (t % 2) as f64 * 1e-3, 0.2, Some(-0.3));
        assert_eq!(issues(apart), vec![HealthIssue::ProxyStrictDisagreement]);
        let together = |t: u64| (1.0, 0.2 - 0.001 * t as f64, Some(0.25 - 0.001 * t as f64));
        assert!(issues(together).is_empty());
    }

    #[test]
    fn windows_over_changing_entries_are_not_judged() {
        // An indexed constraint observing another entry each step: its largest multiplier
        // jumps around by construction, which is not an oscillation.
        let mut m = HealthMonitor::new(HealthConfig { window: 100 });
        for t in 1..=300u64 {
            let mut r = report(t, 5.0 + 5.0 * (t as f64 / 4.0).sin(), 0.1, None);
            r.constraints[0].strict_indices = vec![t as usize % 7];
            m.observe(&r);
        }
        assert!(m.warnings().is_empty(), "{:?}", m.warnings());
    }

    #[test]
    fn each_issue_warns_once_and_names_the_constraint() {
        let mut m = HealthMonitor::new(HealthConfig { window: 10 });
        for t in 1..=100 {
            m.observe(&report(t, t as f64, 1.0, None));
        }
        assert_eq!(m.warnings().len(), 1);
        let w = &m.warnings()[0];
        assert_eq!((w.from_step, w.to_step), (1, 10));
        assert!(
            w.to_string().starts_with("constraint `c`, steps 1-10:"),
            "{w}"
        );
    }
}
