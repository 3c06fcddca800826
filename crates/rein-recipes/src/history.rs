//! `history.csv`: one row per logged step, named `f64` columns that may appear over time.

use std::io;
use std::path::Path;

use rein_coin::write_atomic;

/// A table of logged values: a `step` column followed by named `f64` columns.
///
/// Columns are created the first time a row mentions them and keep that order; rows logged
/// before a column existed (or that omit it) have an empty cell there. Values are written with
/// Rust's shortest round-trip formatting (`NaN`, `inf` and `-inf` for non-finite values), so
/// [`History::read_csv`] restores them exactly.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    columns: Vec<String>,
    rows: Vec<(u64, Vec<Option<f64>>)>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a row for `step`. A name appearing twice in `values` keeps the last value.
    pub fn push(&mut self, step: u64, values: &[(&str, f64)]) {
        let mut row = vec![None; self.columns.len()];
        for &(name, value) in values {
            let j = match self.columns.iter().position(|c| c == name) {
                Some(j) => j,
                None => {
                    self.columns.push(name.to_string());
                    row.push(None);
                    self.columns.len() - 1
                }
            };
            row[j] = Some(value);
        }
        self.rows.push((step, row));
    }

    /// The column names (without `step`), in creation order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no row was logged.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The value of `column` in row `row`, if both exist and the cell is filled.
    pub fn get(&self, row: usize, column: &str) -> Option<f64> {
        let j = self.columns.iter().position(|c| c == column)?;
        self.rows.get(row)?.1.get(j).copied().flatten()
    }

    /// The `(step, value)` points of `column`, skipping empty cells: ready for
    /// plotting.
    pub fn series(&self, column: &str) -> Vec<(f64, f64)> {
        let Some(j) = self.columns.iter().position(|c| c == column) else {
            return Vec::new();
        };
        self.rows
            .iter()
            .filter_map(|(step, row)| Some((*step as f64, row.get(j).copied().flatten()?)))
            .collect()
    }

    /// The last filled value of `column`.
    pub fn last(&self, column: &str) -> Option<f64> {
        self.series(column).last().map(|&(_, v)| v)
    }

    /// Drops every row with a step `>= step` (used when a run resumes from a checkpoint taken
    /// before the last logged rows).
    pub fn truncate_from(&mut self, step: u64) {
        self.rows.retain(|(s, _)| *s < step);
    }

    /// The CSV text: header `step,<columns...>`, one line per row, `\n` line ends. Names that
    /// contain a comma, quote or line break are quoted (RFC 4180).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("step");
        for c in &self.columns {
            out.push(',');
            out.push_str(&quote(c));
        }
        out.push('\n');
        for (step, row) in &self.rows {
            out.push_str(&step.to_string());
            for j in 0..self.columns.len() {
                out.push(',');
                if let Some(v) = row.get(j).copied().flatten() {
                    out.push_str(&v.to_string());
                }
            }
            out.push('\n');
        }
        out
    }

    /// Writes [`History::to_csv`] to `path` atomically.
    ///
    /// # Errors
    /// Any I/O error.
    pub fn write_csv(&self, path: &Path) -> io::Result<()> {
        write_atomic(path, self.to_csv().as_bytes())
    }

    /// Parses CSV text as written by [`History::to_csv`].
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidData`] naming the line for a missing `step` header, a wrong
    /// field count or an unparsable number.
    pub fn from_csv(text: &str) -> io::Result<History> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.is_empty());
        let header = match lines.next() {
            Some((_, h)) => split_fields(h),
            None => return Ok(History::new()),
        };
        if header.first().map(String::as_str) != Some("step") {
            return Err(invalid(1, "header must start with `step`"));
        }
        let columns: Vec<String> = header[1..].to_vec();
        let mut rows = Vec::new();
        for (k, line) in lines {
            let fields = split_fields(line);
            if fields.len() != header.len() {
                let msg = format!("{} fields, expected {}", fields.len(), header.len());
                return Err(invalid(k + 1, &msg));
            }
            let step = fields[0]
                .parse::<u64>()
                .map_err(|_| invalid(k + 1, &format!("bad step {:?}", fields[0])))?;
            let values = fields[1..]
                .iter()
                .map(|f| {
                    if f.is_empty() {
                        Ok(None)
                    } else {
                        f.parse::<f64>()
                            .map(Some)
                            .map_err(|_| invalid(k + 1, &format!("bad number {f:?}")))
                    }
                })
                .collect::<io::Result<Vec<_>>>()?;
            rows.push((step, values));
        }
        Ok(History { columns, rows })
    }

    /// Reads a `history.csv` (see [`History::from_csv`]).
    ///
    /// # Errors
    /// An I/O error or a parse error as for [`History::from_csv`].
    pub fn read_csv(path: &Path) -> io::Result<History> {
        Self::from_csv(&std::fs::read_to_string(path)?)
    }
}

fn invalid(line: usize, msg: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("history.csv line {line}: {msg}"),
    )
}

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

/// Splits one CSV line, honouring double-quoted fields with `""` escapes.
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(std::mem::take(&mut field)),
            _ => field.push(c),
        }
    }
    fields.push(field);
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> History {
        let mut h = History::new();
        h.push(0, &[("loss", 2.5), ("acc", 0.1)]);
        h.push(10, &[("loss", 1.25)]);
        h.push(
            20,
            &[("acc", 0.75), ("lambda,0", 0.1 + 0.2), ("loss", f64::NAN)],
        );
        h
    }

    #[test]
    fn csv_text_has_growing_columns_and_empty_cells() {
        let h = sample();
        assert_eq!(h.columns(), ["loss", "acc", "lambda,0"]);
        assert_eq!(
            h.to_csv(),
            "step,loss,acc,\"lambda,0\"\n0,2.5,0.1,\n10,1.25,,\n20,NaN,0.75,0.30000000000000004\n"
        );
        assert_eq!(h.series("acc"), vec![(0.0, 0.1), (20.0, 0.75)]);
        assert_eq!(h.last("lambda,0"), Some(0.1 + 0.2));
        assert_eq!(h.get(1, "acc"), None);
        assert!(h.series("missing").is_empty());
    }

    #[test]
    fn write_then_read_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.csv");
        let h = sample();
        h.write_csv(&path).unwrap();
        let back = History::read_csv(&path).unwrap();
        assert_eq!(back.columns(), h.columns());
        assert_eq!(back.len(), 3);
        assert_eq!(back.to_csv(), h.to_csv());
        assert!(back.get(2, "loss").unwrap().is_nan());
        // Rewriting replaces the file in place.
        let mut more = back;
        more.push(30, &[("loss", 1.0)]);
        more.write_csv(&path).unwrap();
        assert_eq!(History::read_csv(&path).unwrap().len(), 4);
    }

    #[test]
    fn truncate_and_parse_errors() {
        let mut h = sample();
        h.truncate_from(10);
        assert_eq!(h.len(), 1);
        assert!(History::from_csv("").unwrap().is_empty());
        let err = History::from_csv("x,loss\n").unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        let err = History::from_csv("step,loss\n1,2\n2,abc\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        assert!(History::from_csv("step,loss\n1\n").is_err());
    }
}
