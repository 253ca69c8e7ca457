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
//!    when the scan found the data lines *plain* (see [`Scan::plain`]); otherwise, or when that
//!    read fails or yields a NaN or an infinity, every column is read again as `String`.
//! 3. **Validation** (ours) of each kept cell: dates with [`parse_date`], strictly increasing;
//!    numbers with [`parse_number`] (the `String` read), or taken from the `Float64` read; then
//!    every number must be in range (see [`out_of_range`]), checked in the same cell order on
//!    both reads.
//!
//! The `Float64` read gives exactly [`parse_number`]'s values and accepts exactly its cells: on
//! plain data lines (no quote, space, tab or carriage return, every line shorter than
//! [`PLAIN_MAX_LINE`]) polars hands each cell's bytes unchanged to `fast_float2::parse`, whose
//! finite results are correctly rounded (as Rust's `f64::from_str`) for the grammar
//! `[+-]digits[.digits][(e|E)[+-]digits]` that [`parse_number`] accepts; everything else it
//! accepts (`nan`, `inf`, `infinity` in any case, overflow) is NaN or infinite, and sends the file
//! to the `String` read, which reports the error with its line and column. The line bound keeps
//! cells far below the 65,536-digit exponents at which fast_float2 clamps an exponent.

use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use polars::prelude::{CsvParseOptions, CsvReadOptions, DataFrame, DataType, PlSmallStr, Schema, SerReader};

use super::error::{self, escape, DataError};
use crate::frame::{format_date, parse_date, Frame, Origin};

const DATE: &str = "date";
const UTF8_BOM: &[u8] = b"\xef\xbb\xbf";

/// Default largest data file read, in bytes: 4 GiB (the default of `--max-data-bytes`).
pub const DEFAULT_MAX_BYTES: u64 = 4 << 30;

/// Longest header line (line 1, without its terminator) accepted, in bytes: 1 MiB. A longer first
/// line is not a CSV header (a binary file, a file without line breaks); reading stops there.
pub const MAX_HEADER_BYTES: usize = 1 << 20;

/// Largest magnitude of a number in a data file: `1e100`. The ratio or product of two accepted
/// nonzero values is then at most `1e200` in magnitude, far from overflow (`f64::MAX` ≈ `1.8e308`).
pub const MAX_ABS_VALUE: f64 = 1e100;

/// Smallest magnitude of a nonzero number in a data file: `1e-100` (0 itself is accepted). Every
/// subnormal value (below `f64::MIN_POSITIVE` ≈ `2.2e-308`) is below it.
pub const MIN_ABS_VALUE: f64 = 1e-100;

/// The help line of an out-of-range number.
const RANGE_HELP: &str = "Strat reads numbers of magnitude 1e-100 to 1e100, or 0: returns and \
products of values outside that range overflow or lose all precision; rescale the column (e.g. \
prices in thousands)";

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

/// `n` bytes for messages: `123 bytes`, or with a binary unit, `5368709120 bytes (5.0 GiB)`.
fn format_size(n: u64) -> String {
    const UNITS: [(&str, u64); 4] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (u, m) in UNITS {
        if n >= m {
            return if n.is_multiple_of(m) { format!("{n} bytes ({} {u})", n / m) } else { format!("{n} bytes ({:.1} {u})", n as f64 / m as f64) };
        }
    }
    format!("{n} bytes")
}

/// Opens `path` for reading after checking, from its metadata, that it is a regular file (not a
/// directory, device, FIFO or socket: reading those never ends, blocks or fails) of at most
/// `opts.max_bytes` bytes. Returns the file and its size.
fn open_regular(path: &Path, opts: &ReadOptions) -> Result<(std::fs::File, u64), DataError> {
    let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
    if !meta.is_file() {
        let ft = meta.file_type();
        let what = if ft.is_dir() { "a directory" } else { special_file_kind(&ft) };
        return Err(DataError::new(path, format!("not a regular file ({what})"))
            .with_code(error::NOT_A_FILE)
            .with_help("a data source must be a CSV file on disk; devices, pipes and directories are not read"));
    }
    let size = meta.len();
    if size > opts.max_bytes {
        return Err(too_large(path, size, opts));
    }
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    Ok((file, size))
}

#[cfg(unix)]
fn special_file_kind(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_char_device() {
        "a character device"
    } else if ft.is_block_device() {
        "a block device"
    } else if ft.is_fifo() {
        "a FIFO (named pipe)"
    } else if ft.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

#[cfg(not(unix))]
fn special_file_kind(_: &std::fs::FileType) -> &'static str {
    "a device or other special file"
}

/// The data-file size limit error: names the size, the limit and the flag that raises it.
fn too_large(path: &Path, size: u64, opts: &ReadOptions) -> DataError {
    DataError::new(path, format!("the file is {}, larger than the data-file limit of {}", format_size(size), format_size(opts.max_bytes)))
        .with_code(error::TOO_LARGE)
        .with_help("raise the limit with --max-data-bytes, e.g. --max-data-bytes 16GiB, or keep only the rows and columns the strategy uses")
}

/// Checks the first line of a file (`first`, after any UTF-8 byte-order mark, with its `\n` if it
/// has one): not UTF-16, no CR-only line endings, not longer than [`MAX_HEADER_BYTES`].
fn check_first_line(path: &Path, first: &[u8]) -> Result<(), DataError> {
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
    let (file, _) = open_regular(path, opts)?;
    let mut first = Vec::new();
    BufReader::new(file.take(MAX_HEADER_BYTES as u64 + UTF8_BOM.len() as u64 + 2)).read_until(b'\n', &mut first).map_err(|e| io_error(path, &e))?;
    let bytes = first.strip_prefix(UTF8_BOM).unwrap_or(&first);
    check_first_line(path, bytes)?;
    if bytes.is_empty() {
        return Err(DataError::new(path, "the file is empty (expected a header `date,...`)"));
    }
    let text = std::str::from_utf8(bytes).map_err(|_| DataError::new(path, "the header is not valid UTF-8 text").with_line(1))?;
    let header = parse_header(path, text)?;
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
    let (file, size) = open_regular(path, opts)?;
    let mut bytes = Vec::with_capacity(usize::try_from(size.saturating_add(1)).unwrap_or(usize::MAX).min(1 << 30));
    file.take(opts.max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| io_error(path, &e))?;
    if bytes.len() as u64 > opts.max_bytes {
        return Err(too_large(path, bytes.len() as u64, opts));
    }
    let scan = scan(path, &bytes)?;

    // The requested columns must exist, once each.
    for (k, c) in columns.iter().enumerate() {
        if c == DATE {
            return Err(DataError::new(path, "'date' is the row index, not a data column").with_column(DATE));
        }
        if columns[..k].contains(c) {
            return Err(DataError::new(path, "column requested twice").with_column(c.as_str()));
        }
        if !scan.header[1..].contains(c) {
            let available: Vec<String> = scan.header[1..].iter().map(|n| format!("'{n}'")).collect();
            let available = if available.is_empty() { "none".to_string() } else { available.join(", ") };
            return Err(DataError::new(path, format!("no such column; the file has: {available}")).with_line(1).with_column(c.as_str()));
        }
    }

    let fast = if floats && scan.plain { read_with_polars(path, &bytes, &scan.header, columns, DataType::Float64).ok() } else { None };
    let (df, floats_read) = match fast.and_then(|df| float_columns(&df, columns).map(|v| (df, v))) {
        Some((df, v)) => (df, Some(v)),
        None => (read_with_polars(path, &bytes, &scan.header, columns, DataType::String)?, None),
    };
    if df.height() != scan.records.len() {
        return Err(DataError::new(
            path,
            format!("internal error: the CSV parser read {} rows but the file has {} data lines", df.height(), scan.records.len()),
        ));
    }
    let lines = scan.records;
    let dates = parse_dates(path, &df, &lines)?;
    let used_floats = floats_read.is_some();
    let values = match floats_read {
        Some(v) => v,
        None => parse_columns(path, &df, columns, &lines)?,
    };
    check_ranges(path, &values, columns, &lines)?;
    let lines = Arc::new(lines);
    let origins = columns.iter().map(|name| Some(Origin { file: path.to_path_buf(), column: name.clone(), lines: Arc::clone(&lines) })).collect();

    let frame = Frame { dates, names: columns.to_vec(), columns: values, origins, next_date: None };
    Ok((frame, used_floats))
}

/// The cells of `name` in `df`, read as `String` (a null, i.e. an empty field, is `None`).
fn strings<'a>(path: &Path, df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>, DataError> {
    let col = df.column(name).map_err(|e| polars_error(path, e))?;
    let ca = col.str().map_err(|e| polars_error(path, e))?;
    Ok(ca.into_iter().collect())
}

/// The `date` column of `df` (read as `String`), validated: every date `YYYY-MM-DD`, a real day,
/// strictly increasing. `lines[row]` is the file line of each row, for the errors.
fn parse_dates(path: &Path, df: &DataFrame, lines: &[u32]) -> Result<Vec<i32>, DataError> {
    let mut dates = Vec::with_capacity(lines.len());
    for (row, cell) in strings(path, df, DATE)?.into_iter().enumerate() {
        let line = lines[row] as usize;
        let err = |msg: String| DataError::new(path, msg).with_line(line).with_column(DATE);
        let text = cell.unwrap_or("");
        let Some(d) = parse_date(text) else {
            return Err(if text.is_empty() {
                err("missing date".to_string())
            } else {
                err(format!("cannot parse {} as a date (expected YYYY-MM-DD)", quoted(text)))
            });
        };
        if let Some(&prev) = dates.last() {
            let prev_line = lines[row - 1];
            if d == prev {
                return Err(err(format!("duplicate date {} (also on line {prev_line})", format_date(d))));
            }
            if d < prev {
                return Err(err(format!(
                    "date {} is earlier than {} on line {prev_line} (dates must be strictly increasing)",
                    format_date(d),
                    format_date(prev)
                )));
            }
        }
        dates.push(d);
    }
    Ok(dates)
}

/// The requested `columns` of `df` (read as `String`), each cell parsed with [`parse_number`];
/// the first bad cell, in column then row order, is the error.
fn parse_columns(path: &Path, df: &DataFrame, columns: &[String], lines: &[u32]) -> Result<Vec<Vec<f64>>, DataError> {
    let mut values = Vec::with_capacity(columns.len());
    for name in columns {
        let mut v = Vec::with_capacity(lines.len());
        for (row, cell) in strings(path, df, name)?.into_iter().enumerate() {
            let text = cell.unwrap_or("");
            match parse_number(text) {
                Ok(x) => match out_of_range(x) {
                    None => v.push(x),
                    Some(why) => return Err(range_error(path, why, lines[row], name)),
                },
                Err(why) => {
                    let e = DataError::new(path, why).with_line(lines[row] as usize).with_column(name.as_str());
                    // Decimal syntax that fails to parse has overflowed to ±inf.
                    return Err(if is_decimal(text.as_bytes()) { e.with_code(error::OUT_OF_RANGE).with_help(RANGE_HELP) } else { e });
                }
            }
        }
        values.push(v);
    }
    Ok(values)
}

/// The requested `columns` of `df` read as `Float64`, a null (empty field) as NaN; `None` if a
/// column is not `Float64` or holds a NaN or an infinity (a cell [`parse_number`] rejects: the
/// caller then reads the file as text to report it).
fn float_columns(df: &DataFrame, columns: &[String]) -> Option<Vec<Vec<f64>>> {
    let mut values = Vec::with_capacity(columns.len());
    for name in columns {
        let ca = df.column(name).ok()?.f64().ok()?;
        let mut v = Vec::with_capacity(ca.len());
        for cell in ca {
            match cell {
                None => v.push(f64::NAN),
                Some(x) if x.is_finite() => v.push(x),
                Some(_) => return None,
            }
        }
        values.push(v);
    }
    Some(values)
}

/// Why `x` (a finite number or NaN read from a file) is outside the accepted range, or `None`:
/// NaN, 0 and magnitudes from [`MIN_ABS_VALUE`] to [`MAX_ABS_VALUE`] are in range.
pub fn out_of_range(x: f64) -> Option<String> {
    let a = x.abs();
    if x.is_nan() || x == 0.0 || (MIN_ABS_VALUE..=MAX_ABS_VALUE).contains(&a) {
        None
    } else if a > MAX_ABS_VALUE {
        Some(format!("number {x:e} is out of range (larger than 1e100 in magnitude)"))
    } else if x.is_subnormal() {
        Some(format!("number {x:e} is subnormal (too close to zero; nonzero numbers must be at least 1e-100 in magnitude)"))
    } else {
        Some(format!("number {x:e} is out of range (nonzero but smaller than 1e-100 in magnitude)"))
    }
}

/// The first value out of range (see [`out_of_range`]), in column then row order, as an error
/// naming its line and column (the `String` read checks each cell as it parses it, in the same
/// order, so both reads report the same cell). `values[k]` is column `columns[k]`; `lines[row]` the row's line.
fn check_ranges(path: &Path, values: &[Vec<f64>], columns: &[String], lines: &[u32]) -> Result<(), DataError> {
    for (name, col) in columns.iter().zip(values) {
        // A cheap pass first: nearly every file is entirely in range.
        if col.iter().all(|&x| in_range_fast(x)) {
            continue;
        }
        for (row, &x) in col.iter().enumerate() {
            if let Some(why) = out_of_range(x) {
                return Err(range_error(path, why, lines[row], name));
            }
        }
    }
    Ok(())
}

/// The `strat::data::out_of_range` error of the cell on `line` of `column`.
fn range_error(path: &Path, why: String, line: u32, column: &str) -> DataError {
    DataError::new(path, why).with_line(line as usize).with_column(column).with_code(error::OUT_OF_RANGE).with_help(RANGE_HELP)
}

/// `true` if `x` is certainly in range (NaN, 0 or an accepted magnitude): the branch-free test of
/// [`check_ranges`]' first pass.
fn in_range_fast(x: f64) -> bool {
    let a = x.abs();
    (MIN_ABS_VALUE..=MAX_ABS_VALUE).contains(&a) | (a == 0.0) | x.is_nan()
}

/// Parses one numeric cell: empty is NaN; otherwise a finite decimal number
/// `[+-]digits[.digits][(e|E)[+-]digits]` (digits on at least one side of the point). Text that
/// Rust's `f64::from_str` would also take — `nan`, `inf`, `infinity` — is rejected, as are
/// surrounding spaces, thousands separators, decimal commas and values that overflow to ±inf.
/// The error is the message for [`DataError`].
pub fn parse_number(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    if !is_decimal(text.as_bytes()) {
        let hint = match text.to_ascii_lowercase().trim_start_matches(['+', '-']) {
            "nan" | "na" | "n/a" | "null" | "none" => " (write an empty field for a missing value)",
            "inf" | "infinity" => " (infinite values are not accepted)",
            _ => "",
        };
        return Err(format!("cannot parse {} as a number{hint}", quoted(text)));
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("number {} is out of range", quoted(text))),
    }
}

fn is_decimal(b: &[u8]) -> bool {
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
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

fn io_error(path: &Path, e: &std::io::Error) -> DataError {
    let what = match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => format!("cannot read the file: {e}"),
    };
    DataError::new(path, what)
}

fn polars_error(path: &Path, e: polars::prelude::PolarsError) -> DataError {
    DataError::new(path, format!("CSV parser: {e}"))
}

/// Result of the structure scan.
struct Scan {
    /// All header names, `date` first.
    header: Vec<String>,
    /// The 1-based file line on which each data record starts.
    records: Vec<u32>,
    /// The file has no `"` and its data lines no space, tab or carriage return, and each line is
    /// shorter than [`PLAIN_MAX_LINE`] bytes: polars then parses every numeric cell exactly as
    /// [`parse_number`] (see the module documentation).
    plain: bool,
}

/// The longest line (in bytes, without its `\n`) of a [`Scan::plain`] file.
const PLAIN_MAX_LINE: usize = 65_535;

/// Splits one record (without its line terminator) into fields, RFC 4180 style: a field that
/// starts with `"` is quoted, `""` inside it is a literal quote, and the closing quote must end the
/// field. Returns the unquoted fields, or a message.
fn split_record(rec: &str) -> Result<Vec<String>, &'static str> {
    let mut fields = Vec::new();
    let mut chars = rec.chars().peekable();
    loop {
        let mut field = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unterminated quoted field"),
                    Some('"') if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    Some('"') => break,
                    Some(c) => field.push(c),
                }
            }
            match chars.peek() {
                None | Some(',') => {}
                Some(_) => return Err("unexpected text after a closing quote"),
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ',' {
                    break;
                }
                if c == '"' {
                    return Err("a '\"' inside an unquoted field (quote the whole field)");
                }
                field.push(c);
                chars.next();
            }
        }
        fields.push(field);
        match chars.next() {
            Some(',') => continue,
            _ => return Ok(fields),
        }
    }
}

/// The number of fields of one record, with exactly [`split_record`]'s checks and messages, but
/// without building the fields (the structure scan only needs their count).
fn count_fields(rec: &str) -> Result<usize, &'static str> {
    let b = rec.as_bytes();
    let mut i = 0;
    let mut n = 0;
    loop {
        if i < b.len() && b[i] == b'"' {
            i += 1;
            loop {
                match b.get(i) {
                    None => return Err("unterminated quoted field"),
                    Some(b'"') if b.get(i + 1) == Some(&b'"') => i += 2,
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(_) => i += 1,
                }
            }
            match b.get(i) {
                None | Some(b',') => {}
                Some(_) => return Err("unexpected text after a closing quote"),
            }
        } else {
            while let Some(&c) = b.get(i) {
                if c == b',' {
                    break;
                }
                if c == b'"' {
                    return Err("a '\"' inside an unquoted field (quote the whole field)");
                }
                i += 1;
            }
        }
        n += 1;
        match b.get(i) {
            Some(b',') => i += 1,
            _ => return Ok(n),
        }
    }
}

/// Checks and splits the header line (line 1, without its terminator).
fn parse_header(path: &Path, line: &str) -> Result<Vec<String>, DataError> {
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

/// The structure scan (step 1).
fn scan(path: &Path, bytes: &[u8]) -> Result<Scan, DataError> {
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

    let quoted = text.as_bytes().contains(&b'"');
    let records = if quoted { quoted_records(text) } else { plain_records(text) };
    let mut recs = records.into_iter();
    let Some((_, header_line)) = recs.next() else {
        return Err(DataError::new(path, "the file is empty (expected a header `date,...`)"));
    };
    let header = parse_header(path, header_line)?;

    let mut plain = !quoted;
    let mut lines = Vec::new();
    for (line, rec) in recs {
        plain = plain && rec.len() <= PLAIN_MAX_LINE && count_bytes(rec, |b| matches!(b, b' ' | b'\t' | b'\r')) == 0;
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
        if fields != header.len() {
            let e = at(format!("{} fields, but the header has {} columns", fields, header.len()));
            return Err(if rec_text.contains(';') {
                e.with_code(error::DELIMITER).with_help("the line looks `;`-separated; Strat reads comma-separated files with `.` as the decimal point")
            } else {
                e
            });
        }
        let line = u32::try_from(line).map_err(|_| at("the file has too many lines".into()))?;
        lines.push(line);
    }
    if lines.is_empty() {
        return Err(DataError::new(path, "no data rows (only a header)").with_line(1));
    }
    Ok(Scan { header, records: lines, plain })
}

/// The number of bytes of `text` for which `hit` holds (a branch-free loop the compiler
/// vectorises).
fn count_bytes(text: &str, hit: impl Fn(u8) -> bool) -> usize {
    text.bytes().map(|b| usize::from(hit(b))).sum()
}

/// Splits a text without any `"` into records: one per line, `(1-based line, text without its
/// '\n')`, a final '\n' ending the last record (as [`quoted_records`] on such a text).
fn plain_records(text: &str) -> Vec<(usize, &str)> {
    text.split_terminator('\n').enumerate().map(|(i, r)| (i + 1, r)).collect()
}

/// Splits a text into records: a record ends at a '\n' outside quotes (the quoting rules are
/// those of `split_record`, which reports malformed quoting). Returns `(1-based line on which the
/// record starts, text without its '\n')`.
fn quoted_records(text: &str) -> Vec<(usize, &str)> {
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

/// Step 2: polars' CSV reader on the scanned bytes, projected to `date` (read as `String`) plus
/// `columns` (read as `numbers`: `String` or `Float64`); the other columns are typed `String`.
fn read_with_polars(path: &Path, bytes: &[u8], header: &[String], columns: &[String], numbers: DataType) -> Result<DataFrame, DataError> {
    let wanted: std::collections::HashSet<&str> = columns.iter().map(String::as_str).collect();
    let schema: Schema = header
        .iter()
        .map(|n| {
            let dtype = if wanted.contains(n.as_str()) { numbers.clone() } else { DataType::String };
            (PlSmallStr::from_str(n), dtype)
        })
        .collect();
    let projected: Arc<[PlSmallStr]> = std::iter::once(DATE).chain(columns.iter().map(String::as_str)).map(PlSmallStr::from_str).collect();
    CsvReadOptions::default()
        .with_has_header(true)
        .with_schema(Some(Arc::new(schema)))
        .with_columns(Some(projected))
        .with_infer_schema_length(Some(0))
        .with_raise_if_empty(true)
        .with_ignore_errors(false)
        .with_parse_options(
            CsvParseOptions::default()
                .with_separator(b',')
                .with_quote_char(Some(b'"'))
                .with_eol_char(b'\n')
                .with_missing_is_null(true)
                .with_truncate_ragged_lines(false),
        )
        .into_reader_with_file_handle(Cursor::new(bytes))
        .finish()
        .map_err(|e| polars_error(path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        for (s, x) in [("1", 1.0f64), ("-2.5", -2.5), ("+.5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("1.06606e+11", 1.06606e11), ("0.1", 0.1), ("-0", -0.0)] {
            assert_eq!(parse_number(s).unwrap().to_bits(), x.to_bits(), "{s}");
        }
        assert!(parse_number("").unwrap().is_nan());
        for bad in ["nan", "NaN", "inf", "-inf", "infinity", "abc", " 1", "1 ", "1,5", "1e", "e5", ".", "-", "1.2.3", "0x10", "1_000", "1e400", "--1"] {
            assert!(parse_number(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_number("nan").unwrap_err(), "cannot parse \"nan\" as a number (write an empty field for a missing value)");
        assert_eq!(parse_number("1e400").unwrap_err(), "number \"1e400\" is out of range");
    }

    /// A temporary CSV file `date,x` with one row per cell, removed on drop.
    struct TempCsv(std::path::PathBuf);

    impl TempCsv {
        fn new(tag: &str, cells: &[&str]) -> TempCsv {
            let path = std::env::temp_dir().join(format!("strat-csv-{}-{tag}.csv", std::process::id()));
            let mut text = String::from("date,x\n");
            for (i, c) in cells.iter().enumerate() {
                text.push_str(&format!("{},{c}\n", format_date(parse_date("2000-01-01").unwrap() + i as i32)));
            }
            std::fs::write(&path, text).unwrap();
            TempCsv(path)
        }
    }

    impl Drop for TempCsv {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn bits(f: &Frame) -> Vec<Vec<u64>> {
        f.columns.iter().map(|c| c.iter().map(|x| x.to_bits()).collect()).collect()
    }

    /// Both reads of a file: the same frame to the bit, or the same error.
    fn same_both_ways(path: &Path, columns: &[String]) -> Option<bool> {
        let opts = ReadOptions::default();
        match (read_csv_via(path, columns, true, &opts), read_csv_via(path, columns, false, &opts)) {
            (Ok((a, used)), Ok((b, false))) => {
                assert_eq!(a.dates, b.dates, "{}", path.display());
                assert_eq!(bits(&a), bits(&b), "{}", path.display());
                Some(used)
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "{}", path.display());
                None
            }
            (a, b) => panic!("{}: {:?} against {:?}", path.display(), a.map(|f| f.1), b.map(|f| f.1)),
        }
    }

    /// Every bundled data file reads to the same bits through polars' `Float64` parser as through
    /// `parse_number`, and takes the `Float64` read.
    #[test]
    fn float_read_is_bit_identical_on_the_bundled_data() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
        let mut n = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "csv") {
                let columns = read_header(&path).unwrap();
                assert_eq!(same_both_ways(&path, &columns), Some(true), "{}", path.display());
                n += 1;
            }
        }
        assert!(n >= 4, "the bundled data files were not found in {}", dir.display());
    }

    /// Cells that `parse_number` accepts read to the same bits through `Float64` (correct rounding
    /// on hard cases), and every cell it rejects is rejected with the same error: the `Float64`
    /// read accepts no more than `parse_number`.
    #[test]
    fn float_read_accepts_exactly_parse_number() {
        let good = [
            "0",
            "-0",
            "+0",
            "1",
            "-2.5",
            "+.5",
            "5.",
            ".5",
            "1e3",
            "1E+3",
            "1e-3",
            "1.e5",
            "007",
            "0.1",
            "0.2",
            "0.3",
            "9007199254740993",
            "1e100",
            "-1e100",
            "1e-100",
            "-1e-100",
            "9.99999999999999999999999e99",
            "1.00000000000000000000001e-100",
            "1e-400",
            "0e999999",
            "1.00000000000000011102230246251565404236316680908203125",
            "1.00000000000000011102230246251565404236316680908203124",
            "0.000000000000000000000000000000000000000000000000000000001234567890123456789012345",
            "123456789012345678901234567890123456789012345678901234567890e-30",
            "",
        ];
        let file = TempCsv::new("good", &good);
        assert_eq!(same_both_ways(&file.0, &["x".to_string()]), Some(true));
        let mut bad: Vec<String> = [
            "nan",
            "NaN",
            "+nan",
            "-nan",
            "inf",
            "-inf",
            "+inf",
            "Infinity",
            "-INFINITY",
            "infin",
            "1e400",
            "-1e400",
            "1e99999999999",
            "1.7976931348623157e308",
            "2.2250738585072011e-308",
            "4.9e-324",
            "2.4703282292062328e-324",
            "1e-320",
            "-1e-320",
            "1e101",
            "-1.0000001e100",
            "1e309",
            "9.9e-101",
            "abc",
            "1e",
            "e5",
            ".",
            "-",
            "+",
            "1.2.3",
            "0x10",
            "1_000",
            "--1",
            "+-1",
            "1e+",
            "1e-",
            ".e5",
            "1,5",
            "1d5",
            "1f",
            "0b1",
            "١",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Short strings over the number alphabet, from a fixed pseudo-random sequence.
        let mut seed = 7u64;
        let alphabet = b"0123456789.+-eE";
        for _ in 0..300 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let len = 1 + (seed >> 60) as usize % 6;
            let cell: String = (0..len).map(|i| alphabet[((seed >> (8 * i)) % alphabet.len() as u64) as usize] as char).collect();
            if parse_number(&cell).map_or(true, |x| out_of_range(x).is_some()) {
                bad.push(cell);
            } else {
                let file = TempCsv::new("fuzz", &[&cell]);
                assert_eq!(same_both_ways(&file.0, &["x".to_string()]), Some(true), "{cell:?}");
            }
        }
        for (i, cell) in bad.iter().enumerate() {
            let file = TempCsv::new(&format!("bad{i}"), &["1", cell]);
            assert_eq!(same_both_ways(&file.0, &["x".to_string()]), None, "{cell:?} was accepted");
        }
    }

    /// The new test files (range, line endings, separators) give the same error both ways.
    #[test]
    fn both_reads_agree_on_the_bad_test_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
        let cols = ["spx".to_string(), "vix".to_string()];
        for name in ["huge_value.csv", "inf_value.csv", "subnormal.csv", "semicolon_row.csv", "mixed_cr.csv", "nul_byte.csv"] {
            assert_eq!(same_both_ways(&dir.join(name), &cols), None, "{name} was accepted");
        }
        assert_eq!(same_both_ways(&dir.join("range_edges.csv"), &cols), Some(true));
    }

    #[test]
    fn range() {
        for x in [0.0, -0.0, f64::NAN, 1e100, -1e100, 1e-100, -1e-100, 4742.83, 1.0] {
            assert_eq!(out_of_range(x), None, "{x}");
            assert!(in_range_fast(x), "{x}");
        }
        for x in [1e101, -1e300, f64::MAX, 1e-101, -1e-200, 1e-320, f64::MIN_POSITIVE, 5e-324, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(out_of_range(x).is_some(), "{x}");
            assert!(!in_range_fast(x), "{x}");
        }
        assert_eq!(out_of_range(1e-320).unwrap(), "number 1e-320 is subnormal (too close to zero; nonzero numbers must be at least 1e-100 in magnitude)");
        assert_eq!(out_of_range(-1.5e150).unwrap(), "number -1.5e150 is out of range (larger than 1e100 in magnitude)");
    }

    #[test]
    fn sizes() {
        assert_eq!(format_size(12), "12 bytes");
        assert_eq!(format_size(4 << 30), "4294967296 bytes (4 GiB)");
        assert_eq!(format_size(1536), "1536 bytes (1.5 KiB)");
    }

    #[test]
    fn plain_records_split_as_quoted_records() {
        for text in ["a\nb\n", "a\nb", "a\n\nb", "\n", "a", "a,b\n\n", "x\r\ny\r\n"] {
            assert_eq!(plain_records(text), quoted_records(text), "{text:?}");
        }
    }

    #[test]
    fn records() {
        assert_eq!(split_record("a,b,,c").unwrap(), ["a", "b", "", "c"]);
        assert_eq!(split_record("\"a,b\",\"x\"\"y\"").unwrap(), ["a,b", "x\"y"]);
        assert_eq!(split_record("").unwrap(), [""]);
        assert!(split_record("\"a").is_err());
        assert!(split_record("\"a\"b").is_err());
        for rec in ["a,b,,c", "\"a,b\",\"x\"\"y\"", "", "\"a", "\"a\"b", "a\"b", ",", "\"\"", "\"\",", "é,\"ü\"\"\",x"] {
            assert_eq!(count_fields(rec), split_record(rec).map(|f| f.len()), "{rec}");
        }
    }
}
