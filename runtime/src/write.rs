//! Output files through polars: a date column plus float columns, written as CSV. NaN is written
//! as an empty field (the same convention the readers use for a missing value).

use polars::prelude::*;
use std::path::Path;

/// Writes `date` plus the named float columns (all `dates.len()` long) to a CSV file at `path`,
/// replacing it. The caller decides whether overwriting is allowed.
pub fn write_csv(path: &Path, dates: &[String], columns: &[(&str, &[f64])]) -> PolarsResult<()> {
    let mut cols = vec![Column::new("date".into(), dates.to_vec())];
    for (name, values) in columns {
        let v: Vec<Option<f64>> = values.iter().map(|&x| if x.is_nan() { None } else { Some(x) }).collect();
        cols.push(Column::new((*name).into(), v));
    }
    let mut df = DataFrame::new(dates.len(), cols)?;
    let mut file = std::fs::File::create(path)?;
    CsvWriter::new(&mut file).include_header(true).finish(&mut df)
}

/// Writes a table of text columns then float columns (all the same length) at `path`: Parquet
/// when the extension is `.parquet`, else CSV. NaN is written as a missing value (an empty CSV
/// field, a Parquet null).
pub fn write_table(path: &Path, text: &[(String, Vec<String>)], nums: &[(String, Vec<f64>)]) -> PolarsResult<()> {
    let height = text.first().map(|c| c.1.len()).or(nums.first().map(|c| c.1.len())).unwrap_or(0);
    let mut cols = vec![];
    for (name, v) in text {
        cols.push(Column::new(name.as_str().into(), v.clone()));
    }
    for (name, v) in nums {
        let v: Vec<Option<f64>> = v.iter().map(|&x| if x.is_nan() { None } else { Some(x) }).collect();
        cols.push(Column::new(name.as_str().into(), v));
    }
    let mut df = DataFrame::new(height, cols)?;
    let mut file = std::fs::File::create(path)?;
    if path.extension().is_some_and(|e| e == "parquet") {
        ParquetWriter::new(&mut file).finish(&mut df).map(|_| ())
    } else {
        CsvWriter::new(&mut file).include_header(true).finish(&mut df)
    }
}
