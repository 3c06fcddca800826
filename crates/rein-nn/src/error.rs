//! Errors raised while loading, validating or splitting data.

use std::path::PathBuf;

/// An error while reading, parsing or handling a data set.
///
/// File-related variants carry the file (or a descriptive source name such as
/// `"<bundled digits.csv.gz>"`), and parse variants the 1-based line and column.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// The file could not be opened, read or decompressed.
    #[error("cannot read {}: {source}", file.display())]
    Io {
        /// The file (or source name) being read.
        file: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A field could not be parsed as a number.
    #[error("{}:{line}: column {column}: cannot parse {field:?} as a number", file.display())]
    Parse {
        /// The file (or source name) being parsed.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column (field) number.
        column: usize,
        /// The offending text.
        field: String,
    },
    /// A row has the wrong number of fields.
    #[error("{}:{line}: expected {expected} fields, found {found}", file.display())]
    FieldCount {
        /// The file (or source name) being parsed.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Expected number of comma-separated fields.
        expected: usize,
        /// Number of fields found.
        found: usize,
    },
    /// A parsed value lies outside its allowed range.
    #[error("{}:{line}: column {column}: value {value} outside {allowed}", file.display())]
    OutOfRange {
        /// The file (or source name) being parsed.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column (field) number.
        column: usize,
        /// The parsed value.
        value: f64,
        /// Human-readable allowed range, e.g. `"0..=16"`.
        allowed: &'static str,
    },
    /// The file held a different number of rows than expected.
    #[error("{}: expected {expected} rows, found {found}", file.display())]
    RowCount {
        /// The file (or source name) being parsed.
        file: PathBuf,
        /// Expected number of rows (`None`-free: only checked when known).
        expected: usize,
        /// Number of rows found.
        found: usize,
    },
    /// Feature / label arrays do not fit together.
    #[error("inconsistent data set shape: {0}")]
    Shape(String),
    /// An argument is outside its valid domain (e.g. a test fraction of 1.5).
    #[error("invalid argument `{name}`: {reason}")]
    InvalidArgument {
        /// The argument's name.
        name: &'static str,
        /// Why it was rejected.
        reason: String,
    },
    /// A saved batcher state does not match the batcher it is restored into.
    #[error(
        "batcher state mismatch: field `{field}` is {saved} in the saved state but {current} here"
    )]
    StateMismatch {
        /// The mismatching field (`n` or `batch_size`).
        field: &'static str,
        /// Value in the saved state.
        saved: u64,
        /// Value of the batcher being restored.
        current: u64,
    },
    /// A binary file (e.g. IDX) is malformed: bad magic number, truncated, inconsistent sizes.
    #[error("{}: {reason}", file.display())]
    Format {
        /// The file being parsed.
        file: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A field of a text table holds a value its column does not accept (not a number, not one
    /// of the allowed categories, empty).
    #[error(
        "{}:{line}: field `{field}` (column {column}): {reason}, found {value:?}",
        file.display()
    )]
    InvalidField {
        /// The file (or source name) being parsed.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// 1-based column (field) number.
        column: usize,
        /// The column's name, e.g. `"race"`.
        field: String,
        /// The offending text.
        value: String,
        /// What the column accepts, e.g. `"expected one of Female, Male"`.
        reason: String,
    },
    /// A data set that must be fetched first is not present.
    #[error("{what} not found at {}; run `{command}` to fetch it", path.display())]
    NotFetched {
        /// Human-readable name of the data set or file.
        what: String,
        /// The missing directory or file.
        path: PathBuf,
        /// The command that fetches it, e.g. `rein data fetch mnist`.
        command: String,
    },
}
