//! The protected attribute that defines the groups of a tabular data set, and whether it is
//! also a model input.

use std::fmt;
use std::str::FromStr;

use crate::error::DataError;

/// The protected attribute whose values become the groups of a [`Grouped`](crate::Grouped)
/// tabular data set (see docs/data.md for each data set's groups).
///
/// Parsed from and written as `"sex"` / `"race"` (serde and [`FromStr`] / [`fmt::Display`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Protected {
    /// Groups `Female`, `Male`.
    Sex,
    /// Groups by race (Adult: five values; COMPAS: African-American, Caucasian, Other).
    Race,
}

impl Protected {
    /// Every choice, in the order of the error messages.
    pub const ALL: [Protected; 2] = [Protected::Sex, Protected::Race];

    /// The name used in configuration files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Protected::Sex => "sex",
            Protected::Race => "race",
        }
    }
}

impl fmt::Display for Protected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Protected {
    type Err = DataError;

    /// `"sex"` or `"race"`; anything else is an error listing the choices.
    fn from_str(s: &str) -> Result<Self, DataError> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| DataError::InvalidArgument {
                name: "protected",
                reason: format!(
                    "unknown protected attribute {s:?}; choices: {}",
                    Self::ALL.map(Protected::name).join(", ")
                ),
            })
    }
}

/// Whether the protected attribute's own column is one of the model's input features.
///
/// The default, [`ProtectedFeature::Keep`], trains on all attributes, as the fairness papers
/// do; [`ProtectedFeature::Drop`] leaves that column out ("fairness through unawareness").
/// The groups are the same either way.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum ProtectedFeature {
    /// The protected column is encoded like any other column.
    #[default]
    Keep,
    /// The protected column is not a feature.
    Drop,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_names_and_lists_choices_on_error() {
        assert_eq!("sex".parse::<Protected>().unwrap(), Protected::Sex);
        assert_eq!("race".parse::<Protected>().unwrap(), Protected::Race);
        assert_eq!(Protected::Race.to_string(), "race");
        let e = "gender".parse::<Protected>().unwrap_err().to_string();
        assert!(e.contains("\"gender\"") && e.contains("sex, race"), "{e}");
        // Case matters, as in the serde form.
        assert!("Sex".parse::<Protected>().is_err());
    }
}
