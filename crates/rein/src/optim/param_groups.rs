//! Parameter groups: parts of a model with their own learning rate and weight decay, and the
//! learning-rate scale that schedules set. Shared by every primal optimizer of the crate.

use crate::error::{ReinError, Result, ensure_non_negative};

/// A parameter group: the parameters whose path matches one of `params` get this group's
/// learning rate and weight decay. The first matching group wins; others use the optimizer's
/// defaults.
///
/// A pattern without `*` selects every path that starts with it (`"l1.log_alpha"`, or `"l1"`
/// for a whole layer); a pattern with `*` is a glob over the whole path, `*` matching any run
/// of characters (`"*log_alpha"`: every L0 gate of a model).
///
/// ```
/// use rein::optim::ParamGroup;
/// let gates = ParamGroup::new("gates", ["*log_alpha"]).lr(0.1);
/// assert!(gates.matches("layers.2.log_alpha"));
/// assert!(!gates.matches("layers.2.weight"));
/// let first = ParamGroup::new("first", ["layers.0"]);
/// assert!(first.matches("layers.0.weight"));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ParamGroup {
    /// Name of the group (reports, configuration keys).
    pub name: String,
    /// Path patterns that select the group's parameters.
    pub params: Vec<String>,
    /// Learning rate of the group (`None`: the optimizer's).
    pub lr: Option<f64>,
    /// Weight decay of the group (`None`: the optimizer's).
    pub weight_decay: Option<f64>,
}

impl ParamGroup {
    /// A group selecting the parameters whose path matches any of `params`.
    pub fn new<S: Into<String>>(
        name: impl Into<String>,
        params: impl IntoIterator<Item = S>,
    ) -> Self {
        Self {
            name: name.into(),
            params: params.into_iter().map(Into::into).collect(),
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

    /// Whether the parameter at `path` belongs to the group.
    pub fn matches(&self, path: &str) -> bool {
        self.params.iter().any(|p| pattern_matches(p, path))
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.params.is_empty() {
            return Err(ReinError::InvalidConfig {
                key: format!("groups.{}.params", self.name),
                reason: "a parameter group needs at least one path pattern".into(),
            });
        }
        if let Some(lr) = self.lr {
            ensure_non_negative("lr", lr)?;
        }
        if let Some(w) = self.weight_decay {
            ensure_non_negative("weight_decay", w)?;
        }
        Ok(())
    }
}

/// Whether `pattern` selects `path`: a prefix without `*`, else a whole-path glob.
pub(crate) fn pattern_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return path.starts_with(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !path.starts_with(first) || path.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &path[first.len()..];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// The parameter groups of an optimizer and the scale of every learning rate (set by
/// schedules; 1 by default).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParamGroups {
    groups: Vec<ParamGroup>,
    lr_scale: f64,
}

impl Default for ParamGroups {
    fn default() -> Self {
        Self {
            groups: Vec::new(),
            lr_scale: 1.0,
        }
    }
}

impl ParamGroups {
    /// Validates and adds a group; names must be unique.
    pub fn push(&mut self, group: ParamGroup) -> Result<()> {
        group.validate()?;
        if self.groups.iter().any(|g| g.name == group.name) {
            return Err(ReinError::InvalidConfig {
                key: format!("groups.{}", group.name),
                reason: "two parameter groups share this name".into(),
            });
        }
        self.groups.push(group);
        Ok(())
    }

    /// `(lr, weight_decay)` of the parameter at `path`: its group's values (else `lr`, `wd`),
    /// the learning rate times the schedule's scale.
    pub fn resolve(&self, path: &str, lr: f64, wd: f64) -> (f64, f64) {
        let (lr, wd) = match self.groups.iter().find(|g| g.matches(path)) {
            Some(g) => (g.lr.unwrap_or(lr), g.weight_decay.unwrap_or(wd)),
            None => (lr, wd),
        };
        (lr * self.lr_scale, wd)
    }

    /// Sets the learning-rate scale (finite, `>= 0`).
    pub fn set_lr_scale(&mut self, scale: f64) -> Result<()> {
        ensure_non_negative("lr_scale", scale)?;
        self.lr_scale = scale;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(pattern_matches("layers.0", "layers.0.weight"));
        assert!(pattern_matches("*log_alpha", "a.b.log_alpha"));
        assert!(pattern_matches("layers.*.bias", "layers.12.bias"));
        assert!(!pattern_matches("layers.*.bias", "layers.12.weight"));
        assert!(pattern_matches("*", "anything"));
        assert!(!pattern_matches("a*a", "a"));
        assert!(pattern_matches("a*a", "aa"));
    }

    #[test]
    fn groups_resolve_and_scale() {
        let mut g = ParamGroups::default();
        g.push(ParamGroup::new("gates", ["*log_alpha"]).lr(0.1))
            .unwrap();
        assert_eq!(g.resolve("l.log_alpha", 1.0, 0.5), (0.1, 0.5));
        assert_eq!(g.resolve("l.weight", 1.0, 0.5), (1.0, 0.5));
        g.set_lr_scale(0.5).unwrap();
        assert_eq!(g.resolve("l.log_alpha", 1.0, 0.5), (0.05, 0.5));
        assert!(g.push(ParamGroup::new("gates", ["x"])).is_err());
        assert!(
            g.push(ParamGroup::new("empty", Vec::<String>::new()))
                .is_err()
        );
        assert!(g.set_lr_scale(f64::NAN).is_err());
    }
}
