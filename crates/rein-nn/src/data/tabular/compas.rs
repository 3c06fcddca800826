//! ProPublica's COMPAS two-year recidivism table (Angwin et al. 2016, "Machine Bias"): predict
//! re-offence within two years, with sex or race as the protected attribute. Fetched by
//! `rein data fetch compas`.

use std::path::{Path, PathBuf};

use super::encoder::{Column, Encoder, Row, Value};
use super::{Protected, ProtectedFeature};
use crate::data::{Dataset, Grouped, GroupedSplit};
use crate::error::DataError;

/// The file inside the fetched directory.
const FILE: &str = "compas-scores-two-years.csv";

/// The feature columns. COMPAS's own outputs (`decile_score`, `score_text`) are not features.
const SCHEMA: [Column; 9] = [
    Column::continuous("age"),
    Column::continuous("priors_count"),
    Column::continuous("juv_fel_count"),
    Column::continuous("juv_misd_count"),
    Column::continuous("juv_other_count"),
    Column::categorical("c_charge_degree"),
    Column::categorical("sex"),
    Column::categorical("race"),
    Column::categorical("age_cat"),
];

/// The label column (0 or 1).
const LABEL: &str = "two_year_recid";

/// The columns of ProPublica's row filter.
const FILTER: [&str; 4] = [
    "days_b_screening_arrest",
    "is_recid",
    "c_charge_degree",
    "score_text",
];

/// The group names of [`Protected::Sex`].
const SEXES: [&str; 2] = ["Female", "Male"];

/// The group names of [`Protected::Race`]: the two largest races, and every other race
/// (Hispanic, Other, Asian, Native American) together.
const RACES: [&str; 3] = ["African-American", "Caucasian", "Other"];

/// Loader for ProPublica's `compas-scores-two-years.csv`.
///
/// * Parsing: an RFC 4180 CSV with a header row, CRLF line ends and quoted fields holding
///   commas (`"Poss 3,4 MDMA (Ecstasy)"`); read with the `csv` crate. Columns are found by
///   header name (the first one when a name repeats, as `priors_count` does).
/// * Rows: ProPublica's filter keeps rows with `days_b_screening_arrest` in `[-30, 30]` (an
///   empty value drops the row, as R's `NA` does), `is_recid != -1`, `c_charge_degree != "O"`
///   and `score_text != "N/A"`: 6172 of 7214 rows.
/// * Label: `two_year_recid` (1 = re-offended within two years).
/// * Features (18 on the real file): `age`, `priors_count`, `juv_fel_count`,
///   `juv_misd_count`, `juv_other_count` standardised, and `c_charge_degree`, `sex`, `race`,
///   `age_cat` one-hot, all fitted on the training part only (see the encoder in
///   docs/data.md). `decile_score` and `score_text` are COMPAS's own prediction and are not
///   features. The protected column stays a feature unless [`ProtectedFeature::Drop`].
/// * Groups: sex `Female`, `Male`; race `African-American`, `Caucasian`, `Other` (Hispanic,
///   Other, Asian, Native American: the last two are too small for groups of their own).
/// * Split: no official one; the rows of [`Grouped::split`] with the given fraction and seed
///   (stratified by label).
#[derive(Debug, Clone, Copy)]
pub struct Compas;

impl Compas {
    /// Number of classes (no re-offence, re-offence).
    pub const CLASSES: usize = 2;
    /// The fraction of rows [`Compas::load`] holds out for testing.
    pub const TEST_FRACTION: f64 = 0.2;
    /// The command that fetches the file.
    pub const FETCH_COMMAND: &'static str = "rein data fetch compas";

    /// The group names of `protected`, in group-id order.
    pub fn group_names(protected: Protected) -> &'static [&'static str] {
        match protected {
            Protected::Sex => &SEXES,
            Protected::Race => &RACES,
        }
    }

    /// Loads the filtered table from `dir` (e.g. `data/fetched/compas`), grouped by
    /// `protected` (which stays a feature), split 80/20 with `seed`.
    ///
    /// # Errors
    /// As [`Compas::load_with`].
    pub fn load(
        dir: impl AsRef<Path>,
        protected: Protected,
        seed: u64,
    ) -> Result<GroupedSplit, DataError> {
        Self::load_with(
            dir,
            protected,
            ProtectedFeature::Keep,
            Self::TEST_FRACTION,
            seed,
        )
    }

    /// Loads the filtered table from `dir`, grouped by `protected`, and splits it: the rows
    /// of [`Grouped::split`]`(test_fraction, seed)` (stratified by label); the encoder is
    /// fitted on the training rows.
    ///
    /// # Errors
    /// [`DataError::NotFetched`] (naming `rein data fetch compas`) if `dir` or the file is
    /// missing; [`DataError::Io`] if it cannot be read; [`DataError::Format`] for a header
    /// without a needed column or a broken CSV record; [`DataError::FieldCount`] or
    /// [`DataError::InvalidField`] (file, line, field) for a malformed row;
    /// [`DataError::InvalidArgument`] unless `0 < test_fraction < 1`.
    pub fn load_with(
        dir: impl AsRef<Path>,
        protected: Protected,
        feature: ProtectedFeature,
        test_fraction: f64,
        seed: u64,
    ) -> Result<GroupedSplit, DataError> {
        Ok(Self::load_with_names(dir, protected, feature, test_fraction, seed)?.0)
    }

    /// As [`Compas::load_with`], plus the name of every feature column: `"age"` for a
    /// continuous column, `"race=Caucasian"` for an indicator.
    ///
    /// # Errors
    /// As [`Compas::load_with`].
    pub fn load_with_names(
        dir: impl AsRef<Path>,
        protected: Protected,
        feature: ProtectedFeature,
        test_fraction: f64,
        seed: u64,
    ) -> Result<(GroupedSplit, Vec<String>), DataError> {
        let dir = dir.as_ref();
        if !dir.is_dir() {
            return Err(DataError::NotFetched {
                what: "compas directory".into(),
                path: dir.to_path_buf(),
                command: Self::FETCH_COMMAND.into(),
            });
        }
        let path = dir.join(FILE);
        if !path.is_file() {
            return Err(DataError::NotFetched {
                what: format!("compas file {FILE}"),
                path,
                command: Self::FETCH_COMMAND.into(),
            });
        }
        let bytes = std::fs::read(&path).map_err(|source| DataError::Io {
            file: path.clone(),
            source,
        })?;
        let rows = parse_rows(&bytes, &path, protected)?;
        split_and_encode(rows, protected, feature, test_fraction, seed)
    }
}

/// Splits `rows` as [`Grouped::split`] would (the split depends only on the labels), fits the
/// encoder on the training rows and encodes both parts; also returns the feature names.
fn split_and_encode(
    rows: Vec<Row>,
    protected: Protected,
    feature: ProtectedFeature,
    test_fraction: f64,
    seed: u64,
) -> Result<(GroupedSplit, Vec<String>), DataError> {
    let labels: Vec<usize> = rows.iter().map(|r| r.label).collect();
    let by_label = Dataset::new(vec![0.0; labels.len()], labels, 1, Compas::CLASSES)?;
    let split = by_label.split(test_fraction, seed)?;
    let pick = |idx: &[usize]| idx.iter().map(|&i| rows[i].clone()).collect::<Vec<_>>();
    let (train, test) = (pick(&split.train_indices), pick(&split.test_indices));
    let exclude = (feature == ProtectedFeature::Drop).then_some(protected.name());
    let encoder = Encoder::fit(&SCHEMA, &train, exclude);
    let names: Vec<String> = Compas::group_names(protected)
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let grouped = |rows: &[Row]| -> Result<Grouped, DataError> {
        let data = Dataset::new(
            encoder.encode(rows),
            rows.iter().map(|r| r.label).collect(),
            encoder.width(),
            Compas::CLASSES,
        )?;
        Grouped::new(data, rows.iter().map(|r| r.group).collect(), names.clone())
    };
    let split = GroupedSplit {
        train: grouped(&train)?,
        test: grouped(&test)?,
    };
    Ok((split, encoder.feature_names()))
}

/// Parses the CSV bytes (`path` only names the file in errors) and applies ProPublica's row
/// filter.
pub(super) fn parse_rows(
    bytes: &[u8],
    path: &Path,
    protected: Protected,
) -> Result<Vec<Row>, DataError> {
    let file = || path.to_path_buf();
    let lines = LineIndex::new(bytes);
    let mut reader = csv::ReaderBuilder::new().from_reader(bytes);
    let header = reader
        .headers()
        .map_err(|e| csv_error(e, path, &lines))?
        .iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let index = |name: &str| -> Result<usize, DataError> {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| DataError::Format {
                file: file(),
                reason: format!("the header has no column `{name}`"),
            })
    };
    let feature_cols = SCHEMA
        .iter()
        .map(|c| index(c.name))
        .collect::<Result<Vec<_>, _>>()?;
    let [days, is_recid, degree, score_text] = FILTER.map(index);
    let (days, is_recid, degree, score_text) = (days?, is_recid?, degree?, score_text?);
    let label_col = index(LABEL)?;
    let group_col = index(protected.name())?;

    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(e, path, &lines))?;
        let line = record.position().map_or(0, |p| lines.line_at(p.byte()));
        let field = |j: usize| record.get(j).unwrap_or("").trim();
        let invalid = |j: usize, reason: &str| DataError::InvalidField {
            file: file(),
            line,
            column: j + 1,
            field: header[j].clone(),
            value: field(j).to_owned(),
            reason: reason.to_owned(),
        };
        let integer = |j: usize| -> Result<i64, DataError> {
            field(j)
                .parse::<i64>()
                .map_err(|_| invalid(j, "expected an integer"))
        };
        // ProPublica's filter.
        if field(days).is_empty() || !(-30..=30).contains(&integer(days)?) {
            continue;
        }
        if integer(is_recid)? == -1 || field(degree) == "O" || field(score_text) == "N/A" {
            continue;
        }
        let values = SCHEMA
            .iter()
            .zip(&feature_cols)
            .map(|(col, &j)| col.parse(field(j), path, line, j + 1))
            .collect::<Result<Vec<Value>, _>>()?;
        let label = match field(label_col) {
            "0" => 0,
            "1" => 1,
            _ => return Err(invalid(label_col, "expected 0 or 1")),
        };
        let group = match (protected, field(group_col)) {
            (_, "") => return Err(invalid(group_col, "empty field")),
            (Protected::Race, race) => RACES[..2].iter().position(|r| *r == race).unwrap_or(2),
            (Protected::Sex, sex) => SEXES
                .iter()
                .position(|s| *s == sex)
                .ok_or_else(|| invalid(group_col, "expected one of Female, Male"))?,
        };
        rows.push(Row {
            line,
            values,
            label,
            group,
        });
    }
    Ok(rows)
}

/// The 1-based line of a byte offset where a CSV record starts.
///
/// The `csv` crate's own `Position::line` is one too small for files with CRLF line ends (the
/// COMPAS file has them): a record's position points at the `\n` of the previous line's
/// `\r\n`. So the line is counted here from the byte offset, after skipping line-end bytes.
struct LineIndex<'a> {
    /// The file's bytes.
    bytes: &'a [u8],
    /// Offsets of every `\n`, ascending.
    newlines: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let newlines = bytes
            .iter()
            .enumerate()
            .filter_map(|(i, &b)| (b == b'\n').then_some(i))
            .collect();
        Self { bytes, newlines }
    }

    /// The line of the first byte at or after `byte` that is not `\r` or `\n`.
    fn line_at(&self, byte: u64) -> usize {
        let mut at = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.bytes.len());
        while at < self.bytes.len() && matches!(self.bytes[at], b'\r' | b'\n') {
            at += 1;
        }
        1 + self.newlines.partition_point(|&n| n < at)
    }
}

/// A `csv` crate error as a [`DataError`] naming the file and line.
fn csv_error(e: csv::Error, path: &Path, lines: &LineIndex<'_>) -> DataError {
    let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
    match e.into_kind() {
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => DataError::FieldCount {
            file: path.to_path_buf(),
            line,
            expected: expected_len as usize,
            found: len as usize,
        },
        csv::ErrorKind::Io(source) => DataError::Io {
            file: path.to_path_buf(),
            source,
        },
        other => DataError::Format {
            file: PathBuf::from(format!("{}:{line}", path.display())),
            reason: format!("{:?}", other),
        },
    }
}
