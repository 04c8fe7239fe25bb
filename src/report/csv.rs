//! CSV: the one writer every CSV file PiEdge Lab makes goes through
//! ([`CsvWriter`]: `latency.csv` here, the class board's export), and
//! `latency.csv` itself: one row per timed run, `run,latency_ms`, as
//! pandas' `DataFrame.to_csv(index=False)` wrote it for the old lesson, so
//! `pd.read_csv("reports/latency.csv")["latency_ms"]` keeps working.

use std::borrow::Cow;
use std::fmt::Write;

/// The CSV bytes for `latencies_ms`, 0-based `run`.
pub fn latency_csv(latencies_ms: &[f64]) -> Vec<u8> {
    let mut csv = CsvWriter::with_capacity(&["run", "latency_ms"], latencies_ms.len() * 24);
    let (mut run_cell, mut ms_cell) = (String::new(), String::new());
    for (run, ms) in latencies_ms.iter().enumerate() {
        run_cell.clear();
        ms_cell.clear();
        let _ = write!(run_cell, "{run}");
        // `{:?}` is Rust's shortest round-trip form and keeps a ".0" on whole
        // numbers, like Python's repr(float), so the file re-reads exactly.
        let _ = write!(ms_cell, "{ms:?}");
        csv.row([&run_cell, &ms_cell]);
    }
    csv.into_bytes()
}

/// A CSV file being written: a header, then rows of as many cells, each
/// cell defused and quoted by [`csv_cell`], lines ending in `\n`.
///
/// Hand-rolled rather than the `csv` crate: the quoting is six lines, the
/// defusing (which no CSV crate does) is the point, and the page's
/// WebAssembly, which writes the same files, stays smaller.
#[derive(Clone, Debug)]
pub struct CsvWriter {
    text: String,
    columns: usize,
}

impl CsvWriter {
    pub fn new(header: &[&str]) -> CsvWriter {
        CsvWriter::with_capacity(header, 0)
    }

    /// A writer with room for about `bytes` of rows.
    pub fn with_capacity(header: &[&str], bytes: usize) -> CsvWriter {
        let mut csv = CsvWriter {
            text: String::with_capacity(bytes + 64),
            columns: header.len(),
        };
        csv.row(header);
        csv
    }

    /// Appends a row; it must have as many cells as the header.
    pub fn row<S: AsRef<str>>(&mut self, cells: impl IntoIterator<Item = S>) {
        let mut n = 0;
        for cell in cells {
            if n > 0 {
                self.text.push(',');
            }
            self.text.push_str(&csv_cell(cell.as_ref()));
            n += 1;
        }
        debug_assert_eq!(n, self.columns, "a CSV row has as many cells as its header");
        self.text.push('\n');
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.text.into_bytes()
    }
}

/// One cell as a CSV file holds it, safe to open in a spreadsheet:
///
/// - text a spreadsheet would run as a formula (starting with `=`, `+`,
///   `-` or `@`) or that starts with a tab or a line break (which some
///   spreadsheets strip before they look for one) gets a leading `'`, the
///   mark spreadsheets read as "this is text"; a number, `-1.5` or
///   `+3e-7`, stays a number;
/// - a cell holding a comma, a quote or a line break is quoted, its
///   quotes doubled (RFC 4180), so that every row keeps its columns.
pub fn csv_cell(text: &str) -> Cow<'_, str> {
    let formula = text.starts_with(['=', '@', '\t', '\r', '\n'])
        || (text.starts_with(['+', '-']) && text.parse::<f64>().is_err());
    let text: Cow<'_, str> = if formula {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    };
    if text.contains([',', '"', '\n', '\r']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        text
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CsvError {
    #[error(
        "the file is not UTF-8 text; a latency CSV is plain text with a `run,latency_ms` header"
    )]
    NotText,
    #[error("the file is empty; expected a `run,latency_ms` header and one row per run")]
    Empty,
    #[error("the header `{0}` has no `latency_ms` column; expected `run,latency_ms` as written by `piedge bench`")]
    NoLatencyColumn(String),
    #[error("line {line}: expected {expected} comma-separated fields, found {found}")]
    FieldCount {
        line: usize,
        expected: usize,
        found: usize,
    },
    #[error("line {line}: `{value}` is not a number of milliseconds")]
    NotANumber { line: usize, value: String },
    #[error("line {line}: latency {value} is not a finite, non-negative number of milliseconds")]
    BadValue { line: usize, value: f64 },
    #[error("the file has a header but no rows; run at least one timed run")]
    NoRows,
}

/// Reads the `latency_ms` column of a CSV written by `piedge bench` or the
/// old lesson. Other columns are ignored; blank lines are skipped.
pub fn parse_latency_csv(bytes: &[u8]) -> Result<Vec<f64>, CsvError> {
    let text = std::str::from_utf8(bytes).map_err(|_| CsvError::NotText)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let (_, header) = lines.next().ok_or(CsvError::Empty)?;
    let columns: Vec<&str> = header
        .split(',')
        .map(|c| c.trim().trim_matches('"'))
        .collect();
    let col = columns
        .iter()
        .position(|c| *c == "latency_ms")
        .ok_or_else(|| CsvError::NoLatencyColumn(header.trim().to_string()))?;
    let mut out = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() != columns.len() {
            return Err(CsvError::FieldCount {
                line: line_no,
                expected: columns.len(),
                found: fields.len(),
            });
        }
        let raw = fields[col].trim().trim_matches('"');
        let value: f64 = raw.parse().map_err(|_| CsvError::NotANumber {
            line: line_no,
            value: raw.chars().take(40).collect(),
        })?;
        if !value.is_finite() || value < 0.0 {
            return Err(CsvError::BadValue {
                line: line_no,
                value,
            });
        }
        out.push(value);
    }
    if out.is_empty() {
        return Err(CsvError::NoRows);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_old_layout() {
        let bytes = latency_csv(&[0.5089999995107064, 2.0, 1e-7]);
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "run,latency_ms\n0,0.5089999995107064\n1,2.0\n2,1e-7\n"
        );
    }

    #[test]
    fn cells_are_defused_and_quoted() {
        let check = |cell: &str, written: &str| assert_eq!(csv_cell(cell), written, "{cell:?}");
        check("Ada", "Ada");
        check("", "");
        check("1.5", "1.5");
        check("-1.5", "-1.5");
        check("+3e-7", "+3e-7");
        check("-", "'-");
        check("=1+1", "'=1+1");
        check("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0");
        check("+cmd", "'+cmd");
        check("-2+3", "'-2+3");
        check("@SUM(A1)", "'@SUM(A1)");
        check("\tTab", "'\tTab");
        check("\r=x", "\"'\r=x\"");
        check("a,b", "\"a,b\"");
        check("say \"hi\"", "\"say \"\"hi\"\"\"");
        check("two\nlines", "\"two\nlines\"");
        check("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"");
        let mut csv = CsvWriter::new(&["a", "b"]);
        csv.row(["x\ny", "=1"]);
        assert_eq!(csv.into_bytes(), b"a,b\n\"x\ny\",'=1\n");
    }

    #[test]
    fn round_trips_exactly() {
        let xs = [0.1 + 0.2, 1.0 / 3.0, 123456.789, 5e-9];
        assert_eq!(parse_latency_csv(&latency_csv(&xs)).unwrap(), xs);
    }

    #[test]
    fn reads_pandas_variants() {
        // pandas with an index column, CRLF line ends and a BOM.
        let text = "\u{feff},run,latency_ms\r\n0,0,1.5\r\n1,1,2.5\r\n";
        assert_eq!(parse_latency_csv(text.as_bytes()).unwrap(), vec![1.5, 2.5]);
    }

    fn err(text: &str) -> String {
        parse_latency_csv(text.as_bytes()).unwrap_err().to_string()
    }

    #[test]
    fn malformed_files_say_what_is_wrong() {
        assert!(err("").contains("empty"));
        assert!(err("a,b\n1,2\n").contains("no `latency_ms` column"));
        assert!(err("run,latency_ms\n").contains("no rows"));
        assert_eq!(
            err("run,latency_ms\n0,1.0\n1,abc\n"),
            "line 3: `abc` is not a number of milliseconds"
        );
        assert!(err("run,latency_ms\n0,NaN\n").starts_with("line 2: latency NaN"));
        assert!(err("run,latency_ms\n0,inf\n").contains("finite"));
        assert!(err("run,latency_ms\n0,-1\n").contains("non-negative"));
        assert!(err("run,latency_ms\n0\n").contains("expected 2"));
        assert!(matches!(
            parse_latency_csv(&[0xff, 0xfe, 0x00]),
            Err(CsvError::NotText)
        ));
    }
}
