//! UCI Adult (census income, Kohavi 1996): predict whether income exceeds 50K, with sex or
//! race as the protected attribute. Fetched by `rein data fetch adult`.

use std::path::{Path, PathBuf};

use super::encoder::{Column, Encoder, Row, group_of};
use super::{Protected, ProtectedFeature};
use crate::data::{Dataset, Grouped, GroupedSplit};
use crate::error::DataError;

/// The fourteen attribute columns of `adult.data` / `adult.test`, in file order (the fifteenth
/// field is the income label).
const SCHEMA: [Column; 14] = [
    Column::continuous("age"),
    Column::categorical("workclass"),
    Column::continuous("fnlwgt"),
    Column::categorical("education"),
    Column::continuous("education-num"),
    Column::categorical("marital-status"),
    Column::categorical("occupation"),
    Column::categorical("relationship"),
    Column::categorical("race"),
    Column::categorical("sex"),
    Column::continuous("capital-gain"),
    Column::continuous("capital-loss"),
    Column::continuous("hours-per-week"),
    Column::categorical("native-country"),
];

/// Fields per line: the attributes plus the label.
const FIELDS: usize = SCHEMA.len() + 1;

/// The group names of [`Protected::Sex`].
const SEXES: [&str; 2] = ["Female", "Male"];

/// The group names of [`Protected::Race`]: the five race values of Adult.
const RACES: [&str; 5] = [
    "White",
    "Black",
    "Asian-Pac-Islander",
    "Amer-Indian-Eskimo",
    "Other",
];

/// Loader for UCI Adult from `adult.data` (train) and `adult.test` (test).
///
/// * Quirks handled: lines starting with `|` (the first line of `adult.test`) and blank lines
///   (both files end with one) are skipped; fields are separated by `", "` and trimmed; test
///   labels carry a trailing `.` (`">50K."`).
/// * Missing values `?` (in workclass, occupation, native-country) are kept as a category of
///   their own, so no row is dropped: 32561 train and 16281 test rows.
/// * Label: 1 if income is `>50K`, 0 if `<=50K`.
/// * Features (108 on the real files): the six continuous columns standardised with the
///   training mean and standard deviation, the eight categorical ones one-hot over the
///   training categories (sorted; a test value unseen in training is all zeros). The protected
///   column stays a feature unless [`ProtectedFeature::Drop`] is asked for.
/// * Groups: sex `Female`, `Male`; race `White`, `Black`, `Asian-Pac-Islander`,
///   `Amer-Indian-Eskimo`, `Other`.
#[derive(Debug, Clone, Copy)]
pub struct Adult;

impl Adult {
    /// Number of classes (income `<=50K`, `>50K`).
    pub const CLASSES: usize = 2;
    /// The command that fetches the files.
    pub const FETCH_COMMAND: &'static str = "rein data fetch adult";

    /// The group names of `protected`, in group-id order.
    pub fn group_names(protected: Protected) -> &'static [&'static str] {
        match protected {
            Protected::Sex => &SEXES,
            Protected::Race => &RACES,
        }
    }

    /// Loads the official train/test split from `dir` (e.g. `data/fetched/adult`), grouped by
    /// `protected`, which also stays a feature.
    ///
    /// # Errors
    /// As [`Adult::load_with`].
    pub fn load(dir: impl AsRef<Path>, protected: Protected) -> Result<GroupedSplit, DataError> {
        Self::load_with(dir, protected, ProtectedFeature::Keep)
    }

    /// Loads the official train/test split from `dir`, grouped by `protected`; `feature`
    /// says whether the protected column is also a model input.
    ///
    /// # Errors
    /// [`DataError::NotFetched`] (naming `rein data fetch adult`) if `dir` or a file is
    /// missing; [`DataError::Io`] if a file cannot be read; [`DataError::FieldCount`] or
    /// [`DataError::InvalidField`] (file, line, field) for a malformed line.
    pub fn load_with(
        dir: impl AsRef<Path>,
        protected: Protected,
        feature: ProtectedFeature,
    ) -> Result<GroupedSplit, DataError> {
        Ok(Self::load_with_names(dir, protected, feature)?.0)
    }

    /// As [`Adult::load_with`], plus the name of every feature column: `"age"` for a
    /// continuous column, `"sex=Female"` for an indicator.
    ///
    /// # Errors
    /// As [`Adult::load_with`].
    pub fn load_with_names(
        dir: impl AsRef<Path>,
        protected: Protected,
        feature: ProtectedFeature,
    ) -> Result<(GroupedSplit, Vec<String>), DataError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::NotFetched {
                what: "adult directory".into(),
                path: dir.to_path_buf(),
                command: Self::FETCH_COMMAND.into(),
            });
        }
        let train = read_rows(&find(dir, "adult.data")?, protected)?;
        let test = read_rows(&find(dir, "adult.test")?, protected)?;
        let exclude = (feature == ProtectedFeature::Drop).then_some(protected.name());
        let encoder = Encoder::fit(&SCHEMA, &train, exclude);
        let names: Vec<String> = Self::group_names(protected)
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let split = GroupedSplit {
            train: grouped(&encoder, train, &names)?,
            test: grouped(&encoder, test, &names)?,
        };
        Ok((split, encoder.feature_names()))
    }
}

/// `dir/name`, or a [`DataError::NotFetched`].
fn find(dir: &Path, name: &str) -> Result<PathBuf, DataError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(DataError::NotFetched {
            what: format!("adult file {name}"),
            path,
            command: Adult::FETCH_COMMAND.into(),
        })
    }
}

/// Encodes `rows` into a [`Grouped`] data set.
fn grouped(encoder: &Encoder, rows: Vec<Row>, names: &[String]) -> Result<Grouped, DataError> {
    let features = encoder.encode(&rows);
    let labels = rows.iter().map(|r| r.label).collect();
    let groups = rows.iter().map(|r| r.group).collect();
    let data = Dataset::new(features, labels, encoder.width(), Adult::CLASSES)?;
    Grouped::new(data, groups, names.to_vec())
}

/// Reads and parses an Adult file.
fn read_rows(path: &Path, protected: Protected) -> Result<Vec<Row>, DataError> {
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    parse_rows(&text, path, protected)
}

/// Parses the text of an Adult file (`path` only names it in errors): skips `|` comment lines
/// and blank lines, splits each other line at commas and trims the fields.
pub(super) fn parse_rows(
    text: &str,
    path: &Path,
    protected: Protected,
) -> Result<Vec<Row>, DataError> {
    let group_field = SCHEMA
        .iter()
        .position(|c| c.name == protected.name())
        .expect("sex and race are Adult columns");
    let mut rows = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('|') {
            continue;
        }
        let fields: Vec<&str> = raw.split(',').map(str::trim).collect();
        if fields.len() != FIELDS {
            return Err(DataError::FieldCount {
                file: path.to_path_buf(),
                line,
                expected: FIELDS,
                found: fields.len(),
            });
        }
        let values = SCHEMA
            .iter()
            .zip(&fields)
            .enumerate()
            .map(|(j, (col, text))| col.parse(text, path, line, j + 1))
            .collect::<Result<Vec<_>, _>>()?;
        let income = fields[FIELDS - 1];
        let label = match income.strip_suffix('.').unwrap_or(income) {
            "<=50K" => 0,
            ">50K" => 1,
            _ => {
                return Err(DataError::InvalidField {
                    file: path.to_path_buf(),
                    line,
                    column: FIELDS,
                    field: "income".into(),
                    value: income.into(),
                    reason: "expected >50K or <=50K (optionally followed by '.')".into(),
                });
            }
        };
        let group = group_of(
            fields[group_field],
            Adult::group_names(protected),
            protected.name(),
            (path, line, group_field + 1),
        )?;
        rows.push(Row {
            line,
            values,
            label,
            group,
        });
    }
    Ok(rows)
}
