//! Parquet input for `panel` sources (SEMANTICS.md §3c): the same tables as the CSV readers, read
//! through polars' Parquet reader. `date` is a Parquet `Date` or `YYYY-MM-DD` text; a long file's
//! `ticker` is text; numbers are any integer or float type, a null is NaN. Parquet has no lines:
//! an error's "line" is the 1-based row number plus 1, as if the file had a header line, so that
//! the first row is reported as line 2 in both formats.

use std::path::Path;

use polars::prelude::{DataFrame, DataType, ParquetReader, SerReader};

use super::csv::file::open_regular;
use super::csv::{out_of_range, LongTable, ReadOptions};
use super::error::DataError;
use crate::frame::{parse_date, Frame};

const DATE: &str = "date";
const TICKER: &str = "ticker";

/// Whether `path` names a Parquet file (by its extension, `.parquet`).
pub fn is_parquet(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "parquet")
}

/// The column names of a Parquet file after its leading `date` column, from its schema.
pub fn read_parquet_header(path: &Path, opts: &ReadOptions) -> Result<Vec<String>, DataError> {
    let (file, _) = open_regular(path, opts)?;
    let schema = ParquetReader::new(file).schema().map_err(|e| polars_error(path, e))?;
    let names: Vec<String> = schema.iter_names().map(|n| n.to_string()).collect();
    if names.first().map(String::as_str) != Some(DATE) {
        return Err(DataError::new(path, format!("the first column must be named 'date', found {:?}", names.first().cloned().unwrap_or_default())));
    }
    Ok(names[1..].to_vec())
}

/// Reads `date` and `columns` of a Parquet file: the whole file, projected.
fn read(path: &Path, columns: &[String], opts: &ReadOptions) -> Result<DataFrame, DataError> {
    let (file, _) = open_regular(path, opts)?;
    let mut want = vec![DATE.to_string()];
    want.extend(columns.iter().cloned());
    let header = read_parquet_header(path, opts)?;
    if let Some(c) = columns.iter().find(|c| !header.contains(c)) {
        return Err(DataError::new(path, format!("no such column; the file has: {}", header.join(", "))).with_column(c.as_str()));
    }
    ParquetReader::new(file).with_columns(Some(want)).finish().map_err(|e| polars_error(path, e))
}

/// The dates of column `name` (a `Date` column, or `YYYY-MM-DD` text), every row present.
fn dates(path: &Path, df: &DataFrame, name: &str) -> Result<Vec<i32>, DataError> {
    let col = df.column(name).map_err(|e| polars_error(path, e))?;
    let err = |row: usize, what: String| DataError::new(path, what).with_line(row + 2).with_column(name);
    match col.dtype() {
        DataType::Date => {
            let phys = col.cast(&DataType::Int32).map_err(|e| polars_error(path, e))?;
            let ca = phys.i32().map_err(|e| polars_error(path, e))?;
            ca.into_iter().enumerate().map(|(row, v)| v.ok_or_else(|| err(row, "missing date".into()))).collect()
        }
        DataType::String => {
            let ca = col.str().map_err(|e| polars_error(path, e))?;
            ca.into_iter()
                .enumerate()
                .map(|(row, v)| {
                    let text = v.unwrap_or("");
                    parse_date(text).ok_or_else(|| {
                        err(row, if text.is_empty() { "missing date".into() } else { format!("cannot parse {text:?} as a date (expected YYYY-MM-DD)") })
                    })
                })
                .collect()
        }
        other => Err(DataError::new(path, format!("a date column must be a Parquet Date or YYYY-MM-DD text, not {other}")).with_column(name)),
    }
}

/// The numbers of column `name` as f64 (a null is NaN), each finite and in range.
fn numbers(path: &Path, df: &DataFrame, name: &str) -> Result<Vec<f64>, DataError> {
    let col = df.column(name).map_err(|e| polars_error(path, e))?;
    if !col.dtype().is_primitive_numeric() {
        return Err(DataError::new(path, format!("column of type {} where numbers are expected", col.dtype())).with_column(name));
    }
    let cast = col.cast(&DataType::Float64).map_err(|e| polars_error(path, e))?;
    let ca = cast.f64().map_err(|e| polars_error(path, e))?;
    let mut out = Vec::with_capacity(ca.len());
    for (row, v) in ca.into_iter().enumerate() {
        let x = v.unwrap_or(f64::NAN);
        if !x.is_nan() {
            if let Some(why) = out_of_range(x) {
                return Err(DataError::new(path, why).with_line(row + 2).with_column(name));
            }
        }
        out.push(x);
    }
    Ok(out)
}

/// [`crate::io::read_long_csv`] for a Parquet file: the `fields` of a long table (`date`,
/// `ticker`, ...), with the availability dates of column `available` when given. The same
/// checks (a duplicate `(date, ticker)`, a missing ticker, an availability before its period).
pub fn read_long_parquet(path: &Path, fields: &[String], available: Option<&str>, opts: &ReadOptions) -> Result<LongTable, DataError> {
    let header = read_parquet_header(path, opts)?;
    if header.first().map(String::as_str) != Some(TICKER) {
        return Err(DataError::new(path, "a long file's second column must be named 'ticker'"));
    }
    let mut cols = vec![TICKER.to_string()];
    cols.extend(available.map(str::to_string));
    cols.extend(fields.iter().cloned());
    let df = read(path, &cols, opts)?;
    let d = dates(path, &df, DATE)?;
    let a = available.map(|c| dates(path, &df, c)).transpose()?;
    let tickers: Vec<Option<String>> =
        df.column(TICKER).and_then(|c| c.str().map(|ca| ca.into_iter().map(|s| s.map(str::to_string)).collect())).map_err(|e| polars_error(path, e))?;
    let values = fields.iter().map(|f| numbers(path, &df, f)).collect::<Result<Vec<_>, _>>()?;
    let lines: Vec<u32> = (0..d.len()).map(|r| r as u32 + 2).collect();
    let tickers: Vec<Option<&str>> = tickers.iter().map(|t| t.as_deref()).collect();
    super::csv::long_table(path, d, a, tickers, fields, values, lines, available)
}

/// [`crate::io::read_csv_with`] for a Parquet file: `date` (strictly increasing) and `columns`.
pub fn read_wide_parquet(path: &Path, columns: &[String], opts: &ReadOptions) -> Result<Frame, DataError> {
    let df = read(path, columns, opts)?;
    let d = dates(path, &df, DATE)?;
    if let Some(k) = (1..d.len()).find(|&k| d[k] <= d[k - 1]) {
        return Err(DataError::new(path, "dates must be strictly increasing").with_line(k + 2).with_column(DATE));
    }
    let values = columns.iter().map(|c| numbers(path, &df, c)).collect::<Result<Vec<_>, _>>()?;
    Ok(Frame::new(d, columns.to_vec(), values))
}

fn polars_error(path: &Path, e: polars::prelude::PolarsError) -> DataError {
    DataError::new(path, format!("Parquet reader: {e}"))
}
