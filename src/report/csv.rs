//! `latency.csv`: one row per timed run, `run,latency_ms`, as pandas'
//! `DataFrame.to_csv(index=False)` wrote it for the old lesson, so
//! `pd.read_csv("reports/latency.csv")["latency_ms"]` keeps working.

use std::fmt::Write;

/// The CSV bytes for `latencies_ms`, 0-based `run`.
pub fn latency_csv(latencies_ms: &[f64]) -> Vec<u8> {
    let mut s = String::with_capacity(16 + latencies_ms.len() * 24);
    s.push_str("run,latency_ms\n");
    for (run, ms) in latencies_ms.iter().enumerate() {
        // `{:?}` is Rust's shortest round-trip form and keeps a ".0" on whole
        // numbers, like Python's repr(float), so the file re-reads exactly.
        let _ = writeln!(s, "{run},{ms:?}");
    }
    s.into_bytes()
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
