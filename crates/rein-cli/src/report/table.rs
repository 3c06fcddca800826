//! A plain-text table with aligned columns, for the final results printed by `rein`.

use std::fmt;

/// Horizontal alignment of a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Pad on the right.
    Left,
    /// Pad on the left.
    Right,
    /// Right-align if every non-empty cell of the column parses as a number, else left.
    Auto,
}

/// A text table: a header row, a dashed rule, then the rows, columns separated by two spaces.
///
/// ```text
/// method      accuracy  recall[3]
/// ----------  --------  ---------
/// lagrangian    0.9521     0.9000
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    align: Vec<Align>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers, all [`Align::Auto`].
    pub fn new<S: Into<String>>(headers: impl IntoIterator<Item = S>) -> Self {
        let headers: Vec<String> = headers.into_iter().map(Into::into).collect();
        let align = vec![Align::Auto; headers.len()];
        Self {
            headers,
            align,
            rows: Vec::new(),
        }
    }

    /// Sets the alignment of column `column` (ignored if out of range).
    pub fn align(mut self, column: usize, align: Align) -> Self {
        if let Some(a) = self.align.get_mut(column) {
            *a = align;
        }
        self
    }

    /// Appends a row; missing cells are left blank and extra cells are dropped.
    pub fn add_row<S: Into<String>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// Number of rows (without the header).
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, each line ending in `\n`, without trailing spaces.
    pub fn render(&self) -> String {
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|j| {
                self.rows
                    .iter()
                    .map(|r| r[j].chars().count())
                    .chain([self.headers[j].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let right: Vec<bool> = (0..self.headers.len())
            .map(|j| match self.align[j] {
                Align::Left => false,
                Align::Right => true,
                Align::Auto => {
                    let mut cells = self
                        .rows
                        .iter()
                        .map(|r| r[j].trim())
                        .filter(|c| !c.is_empty());
                    let mut any = false;
                    cells.all(|c| {
                        any = true;
                        is_number(c)
                    }) && any
                }
            })
            .collect();
        let mut out = String::new();
        let rule: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        for line in std::iter::once(&self.headers)
            .chain(std::iter::once(&rule))
            .chain(&self.rows)
        {
            let cells: Vec<String> = line
                .iter()
                .enumerate()
                .map(|(j, c)| {
                    let w = widths[j];
                    if right[j] {
                        format!("{c:>w$}")
                    } else {
                        format!("{c:<w$}")
                    }
                })
                .collect();
            out.push_str(cells.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render())
    }
}

/// Formats `value` with `decimals` digits after the point, or `-` for `None`.
pub fn fmt_opt(value: Option<f64>, decimals: usize) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.decimals$}"))
}

fn is_number(cell: &str) -> bool {
    let cell = cell.trim_end_matches('%');
    cell == "-" || cell.parse::<f64>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aligns_text_left_and_numbers_right() {
        let mut t = Table::new(["method", "accuracy", "recall[3]"]);
        t.add_row(["lagrangian", "0.9521", "0.9000"]);
        t.add_row(["erm".to_string(), fmt_opt(Some(0.96), 4), fmt_opt(None, 4)]);
        assert_eq!(
            t.render(),
            "method      accuracy  recall[3]\n\
             ----------  --------  ---------\n\
             lagrangian    0.9521     0.9000\n\
             erm           0.9600          -\n"
        );
        assert_eq!(t.to_string(), t.render());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn explicit_alignment_and_ragged_rows() {
        let mut t = Table::new(["a", "b"]).align(1, Align::Left);
        t.add_row(["1"]);
        t.add_row(["22", "3", "dropped"]);
        assert_eq!(t.render(), " a  b\n--  -\n 1\n22  3\n");
    }
}
