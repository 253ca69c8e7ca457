//! The header: the first line's encoding, line endings and length, the column names (`date`
//! first, no empty, duplicate or control-character name, a hint for `;`-, tab- and
//! `|`-separated files), and the requested columns against them.

use std::path::Path;

use super::fields::split_record;
use super::{quoted, DATE, MAX_HEADER_BYTES};
use crate::io::error::{self, DataError};

/// Checks the first line of a file (`first`, after any UTF-8 byte-order mark, with its `\n` if it
/// has one): not UTF-16, no CR-only line endings, not longer than [`MAX_HEADER_BYTES`].
pub(super) fn check_first_line(path: &Path, first: &[u8]) -> Result<(), DataError> {
    if first.starts_with(b"\xff\xfe") || first.starts_with(b"\xfe\xff") {
        return Err(DataError::new(path, "the file is UTF-16 text, not UTF-8")
            .with_line(1)
            .with_code(error::ENCODING)
            .with_help("save it as UTF-8 (in Excel: \"CSV UTF-8 (comma delimited)\")"));
    }
    let terminated = first.last() == Some(&b'\n');
    let line = if terminated { &first[..first.len() - 1] } else { first };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.contains(&b'\r') {
        return Err(DataError::new(path, "the file uses CR line endings (old Mac style): the whole file reads as one line")
            .with_line(1)
            .with_code(error::LINE_ENDINGS)
            .with_help("save it with LF or CRLF line endings"));
    }
    if line.len() > MAX_HEADER_BYTES {
        return Err(DataError::new(path, "header line longer than 1 MiB — is this a CSV file?")
            .with_line(1)
            .with_code(error::HEADER_TOO_LONG)
            .with_help("line 1 must be the header `date,...`; the file has no line break in its first 1 MiB"));
    }
    Ok(())
}

/// Checks and splits the header line (line 1, without its terminator).
pub(super) fn parse_header(path: &Path, line: &str) -> Result<Vec<String>, DataError> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let line = line.strip_suffix('\r').unwrap_or(line);
    let at1 = |msg: String| DataError::new(path, msg).with_line(1);
    if line.is_empty() {
        return Err(at1("the header line is empty (expected `date,...`)".into()));
    }
    // A `;`-, tab- or `|`-separated header (European Excel exports, TSV) reads as one field: the
    // header has the separator and either no comma or `date` (in any case) before the separator.
    for (sep, name) in [(';', "`;`"), ('\t', "tab"), ('|', "`|`")] {
        let first = line.split(sep).next().unwrap_or("").trim_matches('"');
        if !line.starts_with("date,") && line.contains(sep) && (!line.contains(',') || first.eq_ignore_ascii_case(DATE)) {
            return Err(at1(format!("the header looks {name}-separated; Strat reads comma-separated files"))
                .with_code(error::DELIMITER)
                .with_help("save the file as CSV with `,` between fields and `.` as the decimal point"));
        }
    }
    let names = split_record(line).map_err(|m| at1(format!("header: {m}")))?;
    if let Some((k, n)) = names.iter().enumerate().find(|(_, n)| n.chars().any(char::is_control)) {
        return Err(at1(format!("the name of column {} holds a control character: {}", k + 1, quoted(n))));
    }
    if names[0] != DATE {
        return Err(at1(format!("the first column must be named 'date', found {}", quoted(&names[0]))).with_column(names[0].as_str()));
    }
    for (k, n) in names.iter().enumerate() {
        if n.is_empty() {
            return Err(at1(format!("column {} has an empty name", k + 1)));
        }
        if let Some(first) = names[..k].iter().position(|m| m == n) {
            return Err(at1(format!("duplicate column name (columns {} and {})", first + 1, k + 1)).with_column(n.as_str()));
        }
    }
    Ok(names)
}

/// Checks the requested `columns` against the file's `header` (all names, `date` first): each
/// exists, is requested once and is not `date`.
pub(super) fn check_requested(path: &Path, header: &[String], columns: &[String]) -> Result<(), DataError> {
    for (k, c) in columns.iter().enumerate() {
        if c == DATE {
            return Err(DataError::new(path, "'date' is the row index, not a data column").with_column(DATE));
        }
        if columns[..k].contains(c) {
            return Err(DataError::new(path, "column requested twice").with_column(c.as_str()));
        }
        if !header[1..].contains(c) {
            let available: Vec<String> = header[1..].iter().map(|n| format!("'{n}'")).collect();
            let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
            return Err(DataError::new(path, format!("no such column; the file has: {available}")).with_line(1).with_column(c.as_str()));
        }
    }
    Ok(())
}
