//! Step 2: polars' CSV reader on the scanned bytes, projected to `date` and the requested
//! columns, with an explicit schema (no inference); the numbers read as `Float64` when the file
//! is plain, else as `String`.

use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::{CsvParseOptions, CsvReadOptions, DataFrame, DataType, PlSmallStr, Schema, SerReader};

use super::scan::Scan;
use super::DATE;
use crate::io::error::DataError;

/// The values of the requested columns, one `Vec` per column in the order requested.
pub(super) type Values = Vec<Vec<f64>>;

/// The parsed cells of `date` and `columns`: the `Float64` read and its values if `floats`, the
/// scan found the file plain and that read holds only finite numbers and nulls; otherwise the
/// `String` read and `None` (its cells are then parsed and checked by [`super::cells`]).
///
/// `text` names further columns projected as `String` (a long file's `ticker`).
pub(super) fn read_cells(
    path: &Path,
    bytes: &[u8],
    scan: &Scan,
    columns: &[String],
    text: &[String],
    floats: bool,
) -> Result<(DataFrame, Option<Values>), DataError> {
    let fast = if floats && scan.plain { read_with_polars(path, bytes, &scan.header, columns, text, DataType::Float64).ok() } else { None };
    Ok(match fast.and_then(|df| float_columns(&df, columns).map(|v| (df, v))) {
        Some((df, v)) => (df, Some(v)),
        None => (read_with_polars(path, bytes, &scan.header, columns, text, DataType::String)?, None),
    })
}

/// Step 2: polars' CSV reader on the scanned bytes, projected to `date` (read as `String`) plus
/// `columns` (read as `numbers`: `String` or `Float64`) and `text` (as `String`); the other
/// columns are typed `String`.
fn read_with_polars(path: &Path, bytes: &[u8], header: &[String], columns: &[String], text: &[String], numbers: DataType) -> Result<DataFrame, DataError> {
    let wanted: std::collections::HashSet<&str> = columns.iter().map(String::as_str).collect();
    let schema: Schema = header
        .iter()
        .map(|n| {
            let dtype = if wanted.contains(n.as_str()) { numbers.clone() } else { DataType::String };
            (PlSmallStr::from_str(n), dtype)
        })
        .collect();
    let projected: Arc<[PlSmallStr]> =
        std::iter::once(DATE).chain(text.iter().map(String::as_str)).chain(columns.iter().map(String::as_str)).map(PlSmallStr::from_str).collect();
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

/// The requested `columns` of `df` read as `Float64`, a null (empty field) as NaN; `None` if a
/// column is not `Float64` or holds a NaN or an infinity (a cell [`parse_number`](super::parse_number) rejects: the
/// caller then reads the file as text to report it).
fn float_columns(df: &DataFrame, columns: &[String]) -> Option<Values> {
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

/// The cells of `name` in `df`, read as `String` (a null, i.e. an empty field, is `None`).
pub(super) fn strings<'a>(path: &Path, df: &'a DataFrame, name: &str) -> Result<Vec<Option<&'a str>>, DataError> {
    let col = df.column(name).map_err(|e| polars_error(path, e))?;
    let ca = col.str().map_err(|e| polars_error(path, e))?;
    Ok(ca.into_iter().collect())
}

fn polars_error(path: &Path, e: polars::prelude::PolarsError) -> DataError {
    DataError::new(path, format!("CSV parser: {e}"))
}
