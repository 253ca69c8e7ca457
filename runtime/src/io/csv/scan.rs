//! Step 1, the structure scan: the header, one record per data line with as many fields as the
//! header, the line on which each record starts, and whether the file is [`Scan::plain`].

use std::path::Path;

use super::fields::count_fields;
use super::header::{check_first_line, parse_header};
use super::UTF8_BOM;
use crate::io::error::{self, DataError};

/// Result of the structure scan.
pub(super) struct Scan {
    /// All header names, `date` first.
    pub(super) header: Vec<String>,
    /// The 1-based file line on which each data record starts.
    pub(super) records: Vec<u32>,
    /// The file has no `"` and its data lines no space, tab or carriage return, and each line is
    /// shorter than [`PLAIN_MAX_LINE`] bytes: polars then parses every numeric cell exactly as
    /// [`parse_number`](super::parse_number) (see the module documentation).
    pub(super) plain: bool,
}

/// The longest line (in bytes, without its `\n`) of a [`Scan::plain`] file.
const PLAIN_MAX_LINE: usize = 65_535;

/// The structure scan (step 1).
pub(super) fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, DataError> {
    let text = decode(path, bytes)?;
    let quoted = text.as_bytes().contains(&b'"');
    let records = if quoted { quoted_records(text).into_iter().map(|(line, rec)| Line::counted(line, rec)).collect() } else { plain_lines(text) };
    let mut recs = records.into_iter();
    let Some(Line { text: header_line, .. }) = recs.next() else {
        return Err(DataError::new(path, "the file is empty (expected a header `date,...`)"));
    };
    let header = parse_header(path, header_line)?;

    let mut plain = !quoted;
    let mut lines = Vec::with_capacity(recs.len());
    for Line { line, text: rec, commas, odd } in recs {
        plain = plain && rec.len() <= PLAIN_MAX_LINE && !odd;
        // A line without a carriage return is its own text, and without quotes has one field
        // more than commas.
        let fields = (!quoted && !odd).then_some(commas + 1);
        lines.push(check_record(path, line, rec, quoted, header.len(), fields)?);
    }
    if lines.is_empty() {
        return Err(DataError::new(path, "no data rows (only a header)").with_line(1));
    }
    Ok(Scan { header, records: lines, plain })
}

/// The text of a file's `bytes` after any UTF-8 byte-order mark: its first line passes
/// [`check_first_line`], all of it is UTF-8 (else the error names the line of the first bad
/// byte), and it is not empty.
fn decode<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str, DataError> {
    let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    let first_end = body.iter().position(|&b| b == b'\n').map_or(body.len(), |i| i + 1);
    check_first_line(path, &body[..first_end])?;
    let text = std::str::from_utf8(body).map_err(|e| {
        let line = body[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        DataError::new(path, "not valid UTF-8 text").with_line(line)
    })?;
    if text.is_empty() {
        return Err(DataError::new(path, "the file is empty (expected a header `date,...`)"));
    }
    Ok(text)
}

/// Checks one data record: `rec` (without its `\n`) starts on file `line` of a file whose header
/// has `width` columns and which holds a `"` if `quoted`. The record must not be empty, must hold
/// no carriage return before its end when the file has no quotes (mixed CR line endings), and must
/// have `width` fields. `counted`: its fields, already known for an unquoted line without a
/// carriage return. Returns its line.
fn check_record(path: &Path, line: usize, rec: &str, quoted: bool, width: usize, counted: Option<usize>) -> Result<u32, DataError> {
    if counted == Some(width) && !rec.is_empty() {
        return u32::try_from(line).map_err(|_| DataError::new(path, "the file has too many lines").with_line(line));
    }
    let rec_text = rec.strip_suffix('\r').unwrap_or(rec);
    let at = |msg: String| DataError::new(path, msg).with_line(line);
    if rec_text.is_empty() {
        return Err(at("empty line".to_string()));
    }
    if !quoted && rec_text.contains('\r') {
        return Err(at("a carriage return (CR) inside the line: the file mixes CR line endings with LF".into())
            .with_code(error::LINE_ENDINGS)
            .with_help("save it with LF or CRLF line endings"));
    }
    let fields = if quoted {
        count_fields(rec_text).map_err(|m| at(m.to_string()))?
    } else {
        // Without quotes, `count_fields` finds exactly one field more than commas.
        count_bytes(rec_text, |b| b == b',') + 1
    };
    if fields != width {
        let e = at(format!("{} fields, but the header has {} columns", fields, width));
        return Err(if rec_text.contains(';') {
            e.with_code(error::DELIMITER).with_help("the line looks `;`-separated; Strat reads comma-separated files with `.` as the decimal point")
        } else {
            e
        });
    }
    u32::try_from(line).map_err(|_| at("the file has too many lines".into()))
}

/// The number of bytes of `text` for which `hit` holds (a branch-free loop the compiler
/// vectorises).
fn count_bytes(text: &str, hit: impl Fn(u8) -> bool) -> usize {
    text.bytes().map(|b| usize::from(hit(b))).sum()
}

/// One pass over a line: its commas, and whether it holds a space, a tab or a carriage
/// return. Byte-wide counters over blocks of 255 bytes, so the loop vectorises on whole
/// registers of bytes.
fn line_bytes(rec: &[u8]) -> (usize, bool) {
    let (mut commas, mut odd) = (0usize, 0u8);
    for block in rec.chunks(255) {
        let mut c = 0u8;
        for &b in block {
            c += u8::from(b == b',');
            odd |= u8::from(b == b' ') | u8::from(b == b'\t') | u8::from(b == b'\r');
        }
        commas += usize::from(c);
    }
    (commas, odd != 0)
}

/// One record of the scan with what [`line_bytes`] says of it.
#[derive(Debug, PartialEq)]
pub(super) struct Line<'a> {
    /// The 1-based file line on which the record starts.
    pub(super) line: usize,
    /// The record without its '\n'.
    pub(super) text: &'a str,
    /// Its commas.
    pub(super) commas: usize,
    /// Whether it holds a space, a tab or a carriage return.
    pub(super) odd: bool,
}

impl<'a> Line<'a> {
    fn counted(line: usize, text: &'a str) -> Line<'a> {
        let (commas, odd) = line_bytes(text.as_bytes());
        Line { line, text, commas, odd }
    }
}

/// Splits a text without any `"` into records, one per line (a final '\n' ends the last
/// record, as [`quoted_records`] on such a text), counting each one's commas and odd bytes
/// ([`line_bytes`]' counts) in the same pass. One loop over the bytes instead of a search for
/// each '\n' and a second pass per line: 30 % fewer instructions for a file of short lines
/// (`examples/data/spx_vix.csv`: 4.3 M -> 3.0 M; a search per line and then the line, or a
/// branch-free loop, both cost more).
pub(super) fn plain_lines(text: &str) -> Vec<Line<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len() / 16 + 1);
    let (mut start, mut commas, mut odd) = (0usize, 0usize, false);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' => {
                // '\n' is ASCII: both ends are character boundaries.
                out.push(Line { line: out.len() + 1, text: &text[start..i], commas, odd });
                (start, commas, odd) = (i + 1, 0, false);
            }
            b',' => commas += 1,
            b' ' | b'\t' | b'\r' => odd = true,
            _ => {}
        }
    }
    if start < bytes.len() {
        out.push(Line { line: out.len() + 1, text: &text[start..], commas, odd });
    }
    out
}

/// Splits a text without any `"` into records: one per line, `(1-based line, text without its
/// '\n')`, a final '\n' ending the last record (as [`quoted_records`] on such a text). The
/// tests' definition of [`plain_lines`]' records.
#[cfg(test)]
pub(super) fn plain_records(text: &str) -> Vec<(usize, &str)> {
    text.split_terminator('\n').enumerate().map(|(i, r)| (i + 1, r)).collect()
}

/// Splits a text into records: a record ends at a '\n' outside quotes (the quoting rules are
/// those of `split_record`, which reports malformed quoting). Returns `(1-based line on which the
/// record starts, text without its '\n')`.
pub(super) fn quoted_records(text: &str) -> Vec<(usize, &str)> {
    #[derive(Clone, Copy, PartialEq)]
    enum St {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    let mut records: Vec<(usize, &str)> = Vec::new();
    let mut line = 1usize;
    let mut start = 0usize;
    let mut start_line = 1usize;
    let mut st = St::FieldStart;
    for (i, b) in text.bytes().enumerate() {
        st = match (st, b) {
            (St::Quoted, b'"') => St::QuoteInQuoted,
            (St::Quoted, b'\n') => {
                line += 1;
                St::Quoted
            }
            (St::Quoted, _) => St::Quoted,
            (St::QuoteInQuoted, b'"') => St::Quoted,
            (St::FieldStart, b'"') => St::Quoted,
            (_, b',') => St::FieldStart,
            (_, b'\n') => {
                records.push((start_line, &text[start..i]));
                line += 1;
                start = i + 1;
                start_line = line;
                St::FieldStart
            }
            _ => St::Unquoted,
        };
    }
    if start < text.len() {
        records.push((start_line, &text[start..]));
    }
    records
}
