//! Step 3: validation of each kept cell, in column then row order, with the line and column of
//! the first bad one: dates real and strictly increasing, numbers well-formed and in range.

use std::path::Path;

use polars::prelude::DataFrame;

use super::columns::strings;
use super::number::{in_range_fast, is_decimal, out_of_range, parse_number};
use super::{quoted, DATE};
use crate::frame::{format_date, parse_date};
use crate::io::error::{self, DataError};

/// The help line of an out-of-range number.
const RANGE_HELP: &str = "Strat reads numbers of magnitude 1e-100 to 1e100, or 0: returns and \
products of values outside that range overflow or lose all precision; rescale the column (e.g. \
prices in thousands)";

/// The `date` column of `df` (read as `String`), validated: every date `YYYY-MM-DD`, a real day,
/// strictly increasing. `lines[row]` is the file line of each row, for the errors.
pub(super) fn parse_dates(path: &Path, df: &DataFrame, lines: &[u32]) -> Result<Vec<i32>, DataError> {
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
pub(super) fn parse_columns(path: &Path, df: &DataFrame, columns: &[String], lines: &[u32]) -> Result<Vec<Vec<f64>>, DataError> {
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

/// The first value out of range (see [`out_of_range`]), in column then row order, as an error
/// naming its line and column (the `String` read checks each cell as it parses it, in the same
/// order, so both reads report the same cell). `values[k]` is column `columns[k]`; `lines[row]` the row's line.
pub(super) fn check_ranges(path: &Path, values: &[Vec<f64>], columns: &[String], lines: &[u32]) -> Result<(), DataError> {
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
