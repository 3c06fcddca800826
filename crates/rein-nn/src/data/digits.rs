//! The 8x8 handwritten digits data set (UCI "Optical Recognition of Handwritten Digits", test
//! part, as shipped by scikit-learn), bundled in the crate.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

use super::Dataset;
use crate::error::DataError;

/// The gzip-compressed CSV compiled into the crate (see `data/README.md` for provenance).
static BUNDLED: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../data/digits.csv.gz"
));

/// Loader for the 8x8 digits data set.
///
/// The file is a gzip-compressed CSV without header: 1797 rows of 64 pixel intensities in
/// `0..=16` (an 8x8 image, row-major) followed by the label `0..=9`. Features are scaled to
/// `[0, 1]` by dividing by 16.
#[derive(Debug, Clone, Copy)]
pub struct Digits;

impl Digits {
    /// Number of rows in the bundled file.
    pub const ROWS: usize = 1797;
    /// Number of pixel features per row (8 x 8).
    pub const FEATURES: usize = 64;
    /// Number of classes (digits 0 to 9).
    pub const CLASSES: usize = 10;
    /// Largest raw pixel value; features are divided by it.
    pub const MAX_PIXEL: f32 = 16.0;

    /// The copy of `digits.csv.gz` embedded at compile time.
    ///
    /// # Errors
    /// A [`DataError`] if the embedded file is corrupt (it is checked by the tests), or if it
    /// does not hold exactly [`Digits::ROWS`] rows.
    pub fn load_bundled() -> Result<Dataset, DataError> {
        let source = Path::new("<bundled data/digits.csv.gz>");
        let ds = Self::parse(GzDecoder::new(BUNDLED), source)?;
        if ds.n != Self::ROWS {
            return Err(DataError::RowCount {
                file: source.to_path_buf(),
                expected: Self::ROWS,
                found: ds.n,
            });
        }
        Ok(ds)
    }

    /// Loads a digits CSV from `path`: gzip-compressed if the name ends in `.gz`, plain text
    /// otherwise. Any number of rows is accepted.
    ///
    /// # Errors
    /// [`DataError::Io`] if the file cannot be read, parse errors naming line and column.
    pub fn load(path: impl AsRef<Path>) -> Result<Dataset, DataError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|source| DataError::Io {
            file: path.to_path_buf(),
            source,
        })?;
        if path.extension().is_some_and(|e| e == "gz") {
            Self::parse(GzDecoder::new(file), path)
        } else {
            Self::parse(file, path)
        }
    }

    /// Parses uncompressed digits CSV text from `reader`; `source` names it in errors.
    ///
    /// Blank lines are skipped. Each other line must have 65 comma-separated numbers: 64 pixels
    /// in `0..=16` and an integer label in `0..=9`.
    ///
    /// # Errors
    /// [`DataError::Io`], [`DataError::FieldCount`], [`DataError::Parse`] or
    /// [`DataError::OutOfRange`], with 1-based line and column numbers.
    pub fn parse(reader: impl Read, source: &Path) -> Result<Dataset, DataError> {
        let file = || source.to_path_buf();
        let mut features = Vec::with_capacity(Self::ROWS * Self::FEATURES);
        let mut labels = Vec::with_capacity(Self::ROWS);
        for (k, line) in BufReader::new(reader).lines().enumerate() {
            let line_no = k + 1;
            let line = line.map_err(|source| DataError::Io {
                file: file(),
                source,
            })?;
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let fields: Vec<&str> = line.split(',').collect();
            if fields.len() != Self::FEATURES + 1 {
                return Err(DataError::FieldCount {
                    file: file(),
                    line: line_no,
                    expected: Self::FEATURES + 1,
                    found: fields.len(),
                });
            }
            for (j, field) in fields.iter().enumerate() {
                let column = j + 1;
                let value = parse_number(field, source, line_no, column)?;
                let is_label = j == Self::FEATURES;
                let (max, allowed) = if is_label {
                    (9.0, "0..=9 (integer label)")
                } else {
                    (f64::from(Self::MAX_PIXEL), "0..=16")
                };
                if !(0.0..=max).contains(&value) || (is_label && value.fract() != 0.0) {
                    return Err(DataError::OutOfRange {
                        file: file(),
                        line: line_no,
                        column,
                        value,
                        allowed,
                    });
                }
                if is_label {
                    labels.push(value as usize);
                } else {
                    features.push(value as f32 / Self::MAX_PIXEL);
                }
            }
        }
        Dataset::new(features, labels, Self::FEATURES, Self::CLASSES)
    }
}

fn parse_number(field: &str, source: &Path, line: usize, column: usize) -> Result<f64, DataError> {
    field
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| DataError::Parse {
            file: PathBuf::from(source),
            line,
            column,
            field: field.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pixel: &str, label: &str) -> String {
        let mut fields = vec!["0"; Digits::FEATURES];
        fields[2] = pixel;
        fields.push(label);
        fields.join(",")
    }

    #[test]
    fn bundled_digits_have_the_expected_shape() {
        let ds = Digits::load_bundled().unwrap();
        assert_eq!((ds.n, ds.d, ds.classes), (1797, 64, 10));
        let counts = ds.class_counts();
        assert_eq!(counts.iter().sum::<usize>(), 1797);
        assert!(
            counts.iter().all(|&c| (170..=190).contains(&c)),
            "{counts:?}"
        );
        assert!(ds.features().iter().all(|&x| (0.0..=1.0).contains(&x)));
        assert!(ds.features().contains(&1.0));
        // First row of the file: "0,0,5,13,9,1,0,0,..." with label 0.
        assert_eq!(&ds.row(0)[..4], &[0.0, 0.0, 5.0 / 16.0, 13.0 / 16.0]);
        assert_eq!(ds.labels[0], 0);
        assert_eq!(ds.labels[1], 1);
    }

    #[test]
    fn load_reads_plain_and_gz_files() {
        let dir = std::env::temp_dir().join(format!("rein-nn-digits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let plain = dir.join("two.csv");
        std::fs::write(&plain, format!("{}\n\n{}\n", row("16", "3"), row("8", "9"))).unwrap();
        let ds = Digits::load(&plain).unwrap();
        assert_eq!(ds.labels, vec![3, 9]);
        assert_eq!(ds.row(0)[2], 1.0);
        assert_eq!(ds.row(1)[2], 0.5);
        let gz = dir.join("digits.csv.gz");
        std::fs::write(&gz, BUNDLED).unwrap();
        assert_eq!(Digits::load(&gz).unwrap().n, Digits::ROWS);
        let missing = Digits::load(dir.join("missing.csv")).unwrap_err();
        assert!(matches!(missing, DataError::Io { .. }));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parse_errors_name_line_and_column() {
        let src = Path::new("t.csv");
        let text = format!("{}\n{}\n", row("1", "0"), row("x", "0"));
        match Digits::parse(text.as_bytes(), src).unwrap_err() {
            DataError::Parse {
                line,
                column,
                field,
                ..
            } => assert_eq!((line, column, field.as_str()), (2, 3, "x")),
            e => panic!("unexpected {e}"),
        }
        let err = Digits::parse(row("17", "0").as_bytes(), src).unwrap_err();
        assert!(matches!(
            err,
            DataError::OutOfRange {
                line: 1,
                column: 3,
                ..
            }
        ));
        assert!(err.to_string().starts_with("t.csv:1: column 3"), "{err}");
        let err = Digits::parse(row("1", "10").as_bytes(), src).unwrap_err();
        assert!(matches!(err, DataError::OutOfRange { column: 65, .. }));
        let err = Digits::parse(row("1", "2.5").as_bytes(), src).unwrap_err();
        assert!(matches!(err, DataError::OutOfRange { column: 65, .. }));
        let err = Digits::parse("1,2,3\n".as_bytes(), src).unwrap_err();
        assert!(matches!(
            err,
            DataError::FieldCount {
                line: 1,
                found: 3,
                ..
            }
        ));
    }
}
