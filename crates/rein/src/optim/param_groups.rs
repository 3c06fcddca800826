use crate::error::{Result, ensure_non_negative};

/// A parameter group: parameters whose path starts with one of `prefixes` get this group's
/// learning rate and weight decay. The first matching group wins; others use the optimizer's
/// defaults.
///
/// ```
/// use rein::optim::ParamGroup;
/// let gates = ParamGroup::new("gates", ["l1.log_alpha", "l2.log_alpha"]).lr(0.1);
/// # let _ = gates;
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ParamGroup {
    /// Name of the group (reports).
    pub name: String,
    /// Path prefixes that select the group's parameters.
    pub prefixes: Vec<String>,
    /// Learning rate of the group (`None`: the optimizer's).
    pub lr: Option<f64>,
    /// Weight decay of the group (`None`: the optimizer's).
    pub weight_decay: Option<f64>,
}

impl ParamGroup {
    /// A group selecting the parameters whose path starts with any of `prefixes`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        prefixes: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            prefixes: prefixes.into_iter().map(Into::into).collect(),
            lr: None,
            weight_decay: None,
        }
    }
    /// Sets the group's learning rate.
    pub fn lr(mut self, lr: f64) -> Self {
        self.lr = Some(lr);
        self
    }
    /// Sets the group's weight decay.
    pub fn weight_decay(mut self, w: f64) -> Self {
        self.weight_decay = Some(w);
        self
    }

    pub(crate) fn matches(&self, path: &str) -> bool {
        self.prefixes.iter().any(|p| path.starts_with(p.as_str()))
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if let Some(lr) = self.lr {
            ensure_non_negative("lr", lr)?;
        }
        if let Some(w) = self.weight_decay {
            ensure_non_negative("weight_decay", w)?;
        }
        Ok(())
    }
}

/// Resolves `(lr, weight_decay)` for a path.
pub(crate) fn resolve(groups: &[ParamGroup], path: &str, lr: f64, weight_decay: f64) -> (f64, f64) {
    match groups.iter().find(|g| g.matches(path)) {
        Some(g) => (g.lr.unwrap_or(lr), g.weight_decay.unwrap_or(weight_decay)),
        None => (lr, weight_decay),
    }
}
