//! Long-format files (SEMANTICS.md §3c): `date, ticker, field...`, one record per company and
//! period (fundamentals), read into a [`LongTable`] of records. The same three steps as a wide
//! file (structure scan, polars' parse with an explicit schema, our validation of each kept
//! cell), except that dates need not be increasing: the records may come in any order, but a
//! `(date, ticker)` pair must appear once.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::cells::{check_ranges, parse_columns};
use super::columns::{read_cells, strings};
use super::{file, header, quoted, scan, ReadOptions, DATE};
use crate::frame::{format_date, parse_date};
use crate::io::error::DataError;

/// The records of a long file: record `i` is company `tickers[i]` (an index into `names`) at
/// period date `dates[i]`, with `values[k][i]` its value of `fields[k]` (NaN when empty).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LongTable {
    /// The file read.
    pub file: PathBuf,
    /// The period date of each record (days since 1970-01-01).
    pub dates: Vec<i32>,
    /// The availability date of each record, when the file's `available` column was read.
    pub available: Option<Vec<i32>>,
    /// The company of each record: an index into `names`.
    pub tickers: Vec<u32>,
    /// The distinct tickers, in order of first appearance.
    pub names: Vec<String>,
    /// The fields read, in the order requested.
    pub fields: Vec<String>,
    /// `values[k][i]`: field `k` of record `i`.
    pub values: Vec<Vec<f64>>,
    /// The 1-based file line of each record.
    pub lines: Vec<u32>,
}

impl LongTable {
    /// Number of records.
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// True when the table has no records.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }
}

/// Reads the `fields` of a long CSV file (`date, ticker, ...`), with the availability dates of
/// column `available` when given.
///
/// Errors ([`DataError`], naming the file, line and column): everything a wide read rejects
/// about the file's structure, header, numbers and range; a second column not named `ticker`; a
/// requested field or `available` column the file lacks; a missing or malformed date, ticker or
/// availability date; an availability date earlier than the record's period date; two records
/// with the same `(date, ticker)` (both lines named).
pub fn read_long_csv(path: &Path, fields: &[String], available: Option<&str>, opts: &ReadOptions) -> Result<LongTable, DataError> {
    let bytes = file::read_all(path, opts)?;
    let scan = scan::scan(path, &bytes)?;
    if scan.header.get(1).map(String::as_str) != Some(TICKER) {
        return Err(DataError::new(
            path,
            format!("a long file's second column must be named '{TICKER}', found {}", scan.header.get(1).map_or("nothing".into(), |h| quoted(h))),
        )
        .with_line(1)
        .with_help(format!("a long file is `date,{TICKER},field...`, one row per company and period")));
    }
    let mut text = vec![TICKER.to_string()];
    text.extend(available.map(str::to_string));
    let mut requested: Vec<String> = fields.to_vec();
    requested.extend(text.iter().skip(1).cloned());
    header::check_requested(path, &scan.header, &requested)?;
    let (df, floats) = read_cells(path, &bytes, &scan, fields, &text, true)?;
    let lines = scan.records;
    let values = match floats {
        Some(v) => v,
        None => parse_columns(path, &df, fields, &lines)?,
    };
    check_ranges(path, &values, fields, &lines)?;
    let dates = record_dates(path, strings(path, &df, DATE)?, &lines, DATE)?;
    let avail = match available {
        Some(col) => Some(record_dates(path, strings(path, &df, col)?, &lines, col)?),
        None => None,
    };
    long_table(path, dates, avail, strings(path, &df, TICKER)?, fields, values, lines, available)
}

/// A [`LongTable`] from its parsed columns (any reader's): checks that no availability date
/// (of column `available_name`) is before its period date, that every record has a ticker, and
/// that no `(date, ticker)` appears twice.
#[allow(clippy::too_many_arguments)]
pub(crate) fn long_table(
    path: &Path,
    dates: Vec<i32>,
    available: Option<Vec<i32>>,
    tickers: Vec<Option<&str>>,
    fields: &[String],
    values: Vec<Vec<f64>>,
    lines: Vec<u32>,
    available_name: Option<&str>,
) -> Result<LongTable, DataError> {
    if let Some(a) = &available {
        if let Some(i) = (0..a.len()).find(|&i| a[i] < dates[i]) {
            return Err(DataError::new(path, format!("available {} is before the period date {}", format_date(a[i]), format_date(dates[i])))
                .with_line(lines[i] as usize)
                .with_column(available_name.unwrap_or("available"))
                .with_help("a record cannot be public before its period ends; check the column order"));
        }
    }
    let (tickers, names) = record_tickers(path, tickers, &lines)?;
    check_unique(path, &dates, &tickers, &names, &lines)?;
    Ok(LongTable { file: path.to_path_buf(), dates, available, tickers, names, fields: fields.to_vec(), values, lines })
}

/// The column that names each record's company.
pub const TICKER: &str = "ticker";

/// The dates of `cells` (column `column`), each `YYYY-MM-DD` and a real day, in any order.
fn record_dates(path: &Path, cells: Vec<Option<&str>>, lines: &[u32], column: &str) -> Result<Vec<i32>, DataError> {
    let mut out = Vec::with_capacity(cells.len());
    for (row, cell) in cells.into_iter().enumerate() {
        let text = cell.unwrap_or("");
        let Some(d) = parse_date(text) else {
            let err = DataError::new(
                path,
                if text.is_empty() { "missing date".to_string() } else { format!("cannot parse {} as a date (expected YYYY-MM-DD)", quoted(text)) },
            );
            return Err(err.with_line(lines[row] as usize).with_column(column));
        };
        out.push(d);
    }
    Ok(out)
}

/// Each record's ticker as an index into the distinct tickers (in order of appearance).
fn record_tickers(path: &Path, cells: Vec<Option<&str>>, lines: &[u32]) -> Result<(Vec<u32>, Vec<String>), DataError> {
    let mut index: HashMap<&str, u32> = HashMap::new();
    let mut names = vec![];
    let mut out = Vec::with_capacity(cells.len());
    for (row, cell) in cells.into_iter().enumerate() {
        let Some(t) = cell.filter(|t| !t.trim().is_empty()) else {
            return Err(DataError::new(path, "missing ticker").with_line(lines[row] as usize).with_column(TICKER));
        };
        let k = *index.entry(t).or_insert_with(|| {
            names.push(t.to_string());
            (names.len() - 1) as u32
        });
        out.push(k);
    }
    Ok((out, names))
}

/// Refuses two records of one ticker with one date.
fn check_unique(path: &Path, dates: &[i32], tickers: &[u32], names: &[String], lines: &[u32]) -> Result<(), DataError> {
    let mut order: Vec<usize> = (0..dates.len()).collect();
    order.sort_unstable_by_key(|&i| (tickers[i], dates[i], lines[i]));
    for w in order.windows(2) {
        let (a, b) = (w[0], w[1]);
        if tickers[a] == tickers[b] && dates[a] == dates[b] {
            return Err(DataError::new(
                path,
                format!("duplicate record: ticker {} dated {} (also on line {})", quoted(&names[tickers[a] as usize]), format_date(dates[a]), lines[a]),
            )
            .with_line(lines[b] as usize)
            .with_column(DATE)
            .with_help("a long file has one row per company and period; remove or merge the repeated row"));
        }
    }
    Ok(())
}
