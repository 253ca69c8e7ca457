//! CSV input (SEMANTICS.md §0): first column `date` (`YYYY-MM-DD`, strictly increasing), then
//! numeric columns; an empty field is NaN.
//!
//! Reading happens in three steps, so that every problem is reported with its file, line and
//! column and nothing panics on bad input. Before them, the path must be a regular file of at
//! most [`ReadOptions::max_bytes`] (checked from its metadata, so that `/dev/zero`, a FIFO or a
//! huge file is refused before any read), and the read itself is capped at that size.
//!
//! 1. **Structure scan** (ours): line 1 is at most [`MAX_HEADER_BYTES`] long and has no carriage
//!    return inside it (CR-only line endings); the bytes must be UTF-8; line 1 is the header;
//!    every following line is one record with exactly as many fields as the header (RFC 4180
//!    quoting is understood, a record may span lines inside quotes); no empty lines; at least one
//!    record. This also yields the 1-based file line on which each record starts, which polars
//!    does not report.
//! 2. **Parsing** (polars' CSV reader) of the same bytes with an explicit schema, projected to
//!    `date` plus the requested columns. No type inference: no cell is ever silently turned into
//!    a null. The `date` column is read as `String`. The numeric columns are read as `Float64`
//!    when the scan found the data lines *plain* (see `Scan::plain`); otherwise, or when that
//!    read fails or yields a NaN or an infinity, every column is read again as `String`.
//! 3. **Validation** (ours) of each kept cell: dates with [`parse_date`], strictly increasing;
//!    numbers with [`parse_number`] (the `String` read), or taken from the `Float64` read; then
//!    every number must be in range (see [`out_of_range`]), checked in the same cell order on
//!    both reads.
//!
//! The `Float64` read gives exactly [`parse_number`]'s values and accepts exactly its cells: on
//! plain data lines (no quote, space, tab or carriage return, every line shorter than
//! `PLAIN_MAX_LINE`) polars hands each cell's bytes unchanged to `fast_float2::parse`, whose
//! finite results are correctly rounded (as Rust's `f64::from_str`) for the grammar
//! `[+-]digits[.digits][(e|E)[+-]digits]` that [`parse_number`] accepts; everything else it
//! accepts (`nan`, `inf`, `infinity` in any case, overflow) is NaN or infinite, and sends the file
//! to the `String` read, which reports the error with its line and column. The line bound keeps
//! cells far below the 65,536-digit exponents at which fast_float2 clamps an exponent.
//!
//! The modules follow those steps: [`file`] opens and reads within the size limit, `header`
//! checks the first line, the header and the requested columns, `scan` (with `fields` for
//! RFC 4180 records) is step 1, `columns` step 2, `cells` step 3, and `number` holds the
//! number syntax and range every read applies.
//!
//! [`parse_date`]: crate::frame::parse_date

mod cells;
mod columns;
mod fields;
pub(crate) mod file;
mod header;
mod long;
mod number;
mod scan;
#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;

use super::error::{escape, DataError};
use crate::frame::{Frame, Origin};

pub(crate) use self::long::long_table;
pub use self::long::{read_long_csv, LongTable};
pub use self::number::{out_of_range, parse_number, MAX_ABS_VALUE, MIN_ABS_VALUE};

const DATE: &str = "date";
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Default largest data file read, in bytes: 4 GiB (the default of `--max-data-bytes`).
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

/// Longest header line (line 1, without its terminator) accepted, in bytes: 1 MiB. A longer first
/// line is not a CSV header (a binary file, a file without line breaks); reading stops there.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// How one data file is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Largest file read, in bytes (the `--max-data-bytes` limit); a larger file is a
    /// `strat::data::too_large` error before anything is read. Default [`DEFAULT_MAX_BYTES`].
    pub max_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions { max_bytes: DEFAULT_MAX_BYTES }
    }
}

/// The column names of a CSV file after its leading `date` column, in file order, with the
/// default [`ReadOptions`]. See [`read_header_with`].
pub fn read_header(path: &Path) -> Result<Vec<String>, DataError> {
    read_header_with(path, &ReadOptions::default())
}

/// The column names of a CSV file after its leading `date` column, in file order.
///
/// Reads only the first line, and at most [`MAX_HEADER_BYTES`] + 1 bytes of it. Errors: the path
/// is not a regular file (`strat::data::not_a_file`) or is larger than `opts.max_bytes`
/// (`strat::data::too_large`), both checked from its metadata before it is opened; the file cannot
/// be opened or read, is empty, is UTF-16 (`strat::data::encoding`) or otherwise not UTF-8; its
/// first line is longer than [`MAX_HEADER_BYTES`] (`strat::data::header_too_long`) or holds a
/// carriage return not followed by a line feed (CR line endings, `strat::data::line_endings`);
/// the header is malformed (unterminated quote), `;`-, tab- or `|`-separated
/// (`strat::data::delimiter`), its first column is not named `date`, a column name is empty,
/// holds a control character or appears twice.
pub fn read_header_with(path: &Path, opts: &ReadOptions) -> Result<Vec<String>, DataError> {
    let first = file::read_first_line(path, opts)?;
    let bytes = first.strip_prefix(UTF8_BOM).unwrap_or(&first);
    header::check_first_line(path, bytes)?;
    if bytes.is_empty() {
        return Err(DataError::new(path, "the file is empty (expected a header `date,...`)"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DataError::new(path, "the header is not valid UTF-8 text").with_line(1))?;
    let header = header::parse_header(path, text)?;
    Ok(header[1..].to_vec())
}

/// [`read_csv_with`] with the default [`ReadOptions`].
pub fn read_csv(path: &Path, columns: &[String]) -> Result<Frame, DataError> {
    read_csv_with(path, columns, &ReadOptions::default())
}

/// Reads `date` and the requested `columns` (in the order requested) of a CSV file into a
/// [`Frame`] whose column names are the file's names and whose [`Origin`]s record, for every row,
/// its 1-based file line.
///
/// Errors ([`DataError`], always naming the file, and the line and column where there is one):
/// everything [`read_header_with`] rejects (the size limit `opts.max_bytes` is checked before
/// reading and again while reading, should the file grow); a line with more or fewer fields than
/// the header (with a hint when the line holds `;`); an empty line; a carriage return inside a
/// line of a file without quotes (mixed CR line endings); no data rows; a requested column the file
/// lacks (the message lists those it has) or requested twice, or `date` requested as a data column;
/// a date that is not `YYYY-MM-DD` or not a real day; a date equal to or earlier than the previous
/// row's; a cell of a requested column that is neither empty (NaN) nor a finite decimal number
/// (see [`parse_number`]); then a number of a requested column outside the accepted range:
/// nonzero and smaller than [`MIN_ABS_VALUE`] (every subnormal is) or larger than
/// [`MAX_ABS_VALUE`] in magnitude (`strat::data::out_of_range`). Columns not requested are not
/// validated beyond their field count.
pub fn read_csv_with(path: &Path, columns: &[String], opts: &ReadOptions) -> Result<Frame, DataError> {
    read_csv_via(path, columns, true, opts).map(|(frame, _)| frame)
}

/// [`read_csv_with`], reading the numbers as `Float64` only if `floats` (and the file is plain),
/// and telling whether it did (the tests compare both reads).
fn read_csv_via(path: &Path, columns: &[String], floats: bool, opts: &ReadOptions) -> Result<(Frame, bool), DataError> {
    let bytes = file::read_all(path, opts)?;
    let scan = scan::scan(path, &bytes)?;
    header::check_requested(path, &scan.header, columns)?;
    let (df, floats_read) = columns::read_cells(path, &bytes, &scan, columns, &[], floats)?;
    if df.height() != scan.records.len() {
        return Err(DataError::new(
            path,
            format!("internal error: the CSV parser read {} rows but the file has {} data lines", df.height(), scan.records.len()),
        ));
    }
    let lines = scan.records;
    let dates = cells::parse_dates(path, &df, &lines)?;
    let used_floats = floats_read.is_some();
    let values = match floats_read {
        Some(v) => v,
        None => cells::parse_columns(path, &df, columns, &lines)?,
    };
    cells::check_ranges(path, &values, columns, &lines)?;
    let lines = Arc::new(lines);
    let origins = columns.iter().map(|name| Some(Origin { file: path.to_path_buf(), column: name.clone(), lines: Arc::clone(&lines) })).collect();

    let frame = Frame { dates, names: columns.to_vec(), columns: values, origins, next_date: None, warnings: vec![] };
    Ok((frame, used_floats))
}

/// `"text"`, shortened to at most 40 characters, with `"` and `\\` escaped as `\"` and `\\\\`
/// and control characters as [`escape`] shows them (`\0`, `\x07`).
fn quoted(text: &str) -> String {
    let mut s: String = text.chars().take(40).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    format!("\"{}\"", escape(&s.replace('\\', "\\\\").replace('"', "\\\"")))
}
