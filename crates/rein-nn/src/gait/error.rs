//! Errors of the GAIT functions: bad arguments, named.

/// A bad argument to a GAIT function (shape, weights, kernel parameter or order), naming the
/// argument and saying what is wrong with its value.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("GAIT: `{name}`: {reason}")]
pub struct GaitError {
    /// The argument (`p`, `q`, `sigma`, `order`, `similarity`, ...).
    pub name: &'static str,
    /// What is wrong with it.
    pub reason: String,
}

impl GaitError {
    pub(crate) fn new(name: &'static str, reason: impl Into<String>) -> Self {
        Self {
            name,
            reason: reason.into(),
        }
    }
}

/// `Ok(())` when `ok`, else the error naming `name`.
pub(crate) fn ensure(
    ok: bool,
    name: &'static str,
    reason: impl FnOnce() -> String,
) -> Result<(), GaitError> {
    if ok {
        Ok(())
    } else {
        Err(GaitError::new(name, reason()))
    }
}
