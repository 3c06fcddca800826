//! Turning parsed table rows into feature vectors: standardised numbers, one-hot categories.
//!
//! The encoder is fitted on the training rows only and then applied unchanged to the test rows:
//!
//! * a continuous column `x` becomes `(x - mean) / std`, with the mean and the population
//!   standard deviation `std = sqrt(sum (x - mean)^2 / n)` of the training rows; a constant
//!   training column (`std = 0`) is divided by 1 instead, so it encodes as `0`, never NaN;
//! * a categorical column with training categories `c_1 < ... < c_k` (sorted by byte order)
//!   becomes `k` indicator features; a test value not seen in training encodes as all zeros.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::DataError;

/// How a column is read and encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A number, standardised.
    Continuous,
    /// A category name, one-hot encoded.
    Categorical,
}

/// A feature column of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    /// The column's name (the header of a CSV file, the UCI attribute name for Adult).
    pub name: &'static str,
    /// How it is parsed and encoded.
    pub kind: Kind,
}

impl Column {
    /// A continuous column.
    pub const fn continuous(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Continuous,
        }
    }

    /// A categorical column.
    pub const fn categorical(name: &'static str) -> Self {
        Self {
            name,
            kind: Kind::Categorical,
        }
    }

    /// Parses the text of this column (already trimmed), naming file, line and field on error.
    ///
    /// # Errors
    /// [`DataError::InvalidField`] for an empty field, or for a continuous field that is not a
    /// finite number.
    pub fn parse(
        &self,
        text: &str,
        file: &Path,
        line: usize,
        column: usize,
    ) -> Result<Value, DataError> {
        let invalid = |reason: &str| DataError::InvalidField {
            file: file.to_path_buf(),
            line,
            column,
            field: self.name.to_owned(),
            value: text.to_owned(),
            reason: reason.to_owned(),
        };
        if text.is_empty() {
            return Err(invalid("empty field"));
        }
        match self.kind {
            Kind::Continuous => match text.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(Value::Number(x)),
                _ => Err(invalid("expected a finite number")),
            },
            Kind::Categorical => Ok(Value::Category(text.to_owned())),
        }
    }
}

/// A parsed field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// A continuous column's value.
    Number(f64),
    /// A categorical column's value.
    Category(String),
}

/// One parsed row: its source line (for messages), its feature values (one per schema
/// column), its label and its group.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Row {
    /// 1-based line in the source file.
    pub line: usize,
    /// One value per column of the schema, in schema order.
    pub values: Vec<Value>,
    /// The class.
    pub label: usize,
    /// The group (index into the protected attribute's group names).
    pub group: usize,
}

/// The fitted encoding of one column.
#[derive(Debug, Clone, PartialEq)]
enum Fitted {
    /// `(x - mean) / scale`; `scale` is the training standard deviation, or 1 if that is 0.
    Continuous { mean: f64, scale: f64 },
    /// One indicator per training category (sorted).
    Categorical { categories: Vec<String> },
}

/// A fitted encoder: per used column, its standardisation or its category list.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Encoder {
    /// `(schema index, fitted encoding, column name)` of the columns that become features.
    columns: Vec<(usize, Fitted, &'static str)>,
}

impl Encoder {
    /// Fits the encoding of `schema`'s columns on `train`, leaving out the column named
    /// `exclude` (the protected attribute when it is not a feature).
    pub fn fit(schema: &[Column], train: &[Row], exclude: Option<&str>) -> Self {
        let columns = schema
            .iter()
            .enumerate()
            .filter(|(_, c)| Some(c.name) != exclude)
            .map(|(j, c)| {
                let fitted = match c.kind {
                    Kind::Continuous => {
                        let xs: Vec<f64> =
                            train.iter().filter_map(|r| number(&r.values[j])).collect();
                        let n = xs.len().max(1) as f64;
                        let mean = xs.iter().sum::<f64>() / n;
                        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
                        let std = var.sqrt();
                        Fitted::Continuous {
                            mean,
                            scale: if std > 0.0 { std } else { 1.0 },
                        }
                    }
                    Kind::Categorical => {
                        let set: BTreeSet<&str> = train
                            .iter()
                            .filter_map(|r| category(&r.values[j]))
                            .collect();
                        Fitted::Categorical {
                            categories: set.into_iter().map(str::to_owned).collect(),
                        }
                    }
                };
                (j, fitted, c.name)
            })
            .collect();
        Self { columns }
    }

    /// Number of features per row.
    pub fn width(&self) -> usize {
        self.columns
            .iter()
            .map(|(_, f, _)| match f {
                Fitted::Continuous { .. } => 1,
                Fitted::Categorical { categories } => categories.len(),
            })
            .sum()
    }

    /// The name of each feature: the column name for a continuous column, `name=category` for
    /// each indicator of a categorical one.
    pub fn feature_names(&self) -> Vec<String> {
        let mut names = Vec::with_capacity(self.width());
        for (_, fitted, name) in &self.columns {
            match fitted {
                Fitted::Continuous { .. } => names.push((*name).to_owned()),
                Fitted::Categorical { categories } => {
                    names.extend(categories.iter().map(|c| format!("{name}={c}")));
                }
            }
        }
        names
    }

    /// The row-major features of `rows` (`rows.len() * width()` values).
    pub fn encode(&self, rows: &[Row]) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len() * self.width());
        for row in rows {
            for (j, fitted, _) in &self.columns {
                match fitted {
                    Fitted::Continuous { mean, scale } => {
                        let x = number(&row.values[*j]).unwrap_or(*mean);
                        out.push(((x - mean) / scale) as f32);
                    }
                    Fitted::Categorical { categories } => {
                        let hit = category(&row.values[*j])
                            .and_then(|v| categories.binary_search_by(|c| c.as_str().cmp(v)).ok());
                        out.extend(
                            (0..categories.len()).map(|k| f32::from(u8::from(hit == Some(k)))),
                        );
                    }
                }
            }
        }
        out
    }
}

/// The number of a continuous value.
fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(x) => Some(*x),
        Value::Category(_) => None,
    }
}

/// The name of a categorical value.
fn category(v: &Value) -> Option<&str> {
    match v {
        Value::Category(c) => Some(c),
        Value::Number(_) => None,
    }
}

/// The index of `value` in `names`, or a [`DataError::InvalidField`] listing the names.
pub(crate) fn group_of(
    value: &str,
    names: &[&str],
    field: &str,
    (file, line, column): (&Path, usize, usize),
) -> Result<usize, DataError> {
    names
        .iter()
        .position(|n| *n == value)
        .ok_or_else(|| DataError::InvalidField {
            file: file.to_path_buf(),
            line,
            column,
            field: field.to_owned(),
            value: value.to_owned(),
            reason: format!("expected one of {}", names.join(", ")),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: [Column; 2] = [Column::continuous("age"), Column::categorical("color")];

    fn row(age: f64, color: &str) -> Row {
        Row {
            line: 1,
            values: vec![Value::Number(age), Value::Category(color.into())],
            label: 0,
            group: 0,
        }
    }

    #[test]
    fn standardises_with_train_stats_and_one_hots_train_categories() {
        let train = [row(1.0, "red"), row(3.0, "blue"), row(5.0, "red")];
        let enc = Encoder::fit(&SCHEMA, &train, None);
        assert_eq!(enc.width(), 3);
        assert_eq!(enc.feature_names(), ["age", "color=blue", "color=red"]);
        // mean 3, population std sqrt(8/3).
        let s = (8.0f64 / 3.0).sqrt();
        let x = enc.encode(&train);
        let expect = [-2.0 / s, 0.0, 1.0, 0.0, 1.0, 0.0, 2.0 / s, 0.0, 1.0];
        for (a, b) in x.iter().zip(expect) {
            assert!((f64::from(*a) - b).abs() < 1e-6, "{x:?}");
        }
        // A test row: train statistics, an unseen category is all zeros.
        let t = enc.encode(&[row(7.0, "green")]);
        assert!((f64::from(t[0]) - 4.0 / s).abs() < 1e-6);
        assert_eq!(&t[1..], &[0.0, 0.0]);
    }

    #[test]
    fn constant_column_encodes_as_zero_and_excluded_column_is_left_out() {
        let train = [row(2.0, "a"), row(2.0, "b")];
        let enc = Encoder::fit(&SCHEMA, &train, None);
        assert_eq!(enc.encode(&[row(2.0, "a")]), vec![0.0, 1.0, 0.0]);
        let enc = Encoder::fit(&SCHEMA, &train, Some("color"));
        assert_eq!(enc.feature_names(), ["age"]);
        assert_eq!(enc.encode(&train), vec![0.0, 0.0]);
    }

    #[test]
    fn parse_errors_name_file_line_and_field() {
        let file = Path::new("t.csv");
        let e = SCHEMA[0].parse("4x", file, 7, 1).unwrap_err().to_string();
        assert!(
            e.contains("t.csv:7") && e.contains("`age`") && e.contains("\"4x\""),
            "{e}"
        );
        assert!(SCHEMA[0].parse("inf", file, 7, 1).is_err());
        assert!(SCHEMA[1].parse("", file, 7, 2).is_err());
        let e = group_of("X", &["A", "B"], "sex", (file, 3, 9))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("t.csv:3") && e.contains("expected one of A, B"),
            "{e}"
        );
    }
}
