//! Data given in memory in place of the files a program names (the embedding APIs: a pandas or
//! polars frame from Python, columns from Rust or C).
//!
//! A [`MemoryTable`] replaces the file of a `data` source, a `universe`, or a wide `panel`
//! source; a [`MemoryLong`] replaces the file of a long `panel` source. They are validated as
//! strictly as a file ([`crate::io::read_csv_with`]): dates strictly increasing, every requested
//! column present, every value finite and in range or NaN (missing). Errors name the source, the
//! 0-based row and the column: the file of a [`DataError`] is `<memory NAME>` and its `line` is
//! the 0-based row ([`is_memory`]).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

use crate::frame::{format_date, Frame, Origin};
use crate::io::csv::out_of_range;
use crate::io::error::{DataError, OUT_OF_RANGE};
use crate::io::LongTable;

/// The file name a [`DataError`] carries for in-memory source `name`: `<memory NAME>`.
pub fn memory_file(name: &str) -> PathBuf {
    PathBuf::from(format!("<memory {name}>"))
}

/// True when `file` names an in-memory source ([`memory_file`]): its errors' `line` is then a
/// 0-based row, not a file line.
pub fn is_memory(file: &std::path::Path) -> bool {
    let s = file.to_string_lossy();
    s.starts_with("<memory ") && s.ends_with('>')
}

/// A wide table in memory: one row per bar, `dates[t]` and `columns[j][t]`.
///
/// Shapes: `names.len() == columns.len()`, every column `dates.len()` long (checked by
/// [`MemoryTable::new`]). Dates are days since 1970-01-01; values are in the source's units
/// (prices, index levels), NaN for missing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryTable {
    dates: Vec<i32>,
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
}

impl MemoryTable {
    /// A table of `columns` named `names` on `dates`.
    ///
    /// Errors (a [`DataError`] on `<memory SOURCE>`, `source` being the name used in messages):
    /// names and columns of different counts, a column whose length differs from the dates', a
    /// repeated or empty column name, or a column named `date`.
    pub fn new(source: &str, dates: Vec<i32>, names: Vec<String>, columns: Vec<Vec<f64>>) -> Result<MemoryTable, DataError> {
        let file = memory_file(source);
        if names.len() != columns.len() {
            return Err(DataError::new(&file, format!("{} column name(s) for {} column(s)", names.len(), columns.len())));
        }
        for (j, (n, c)) in names.iter().zip(&columns).enumerate() {
            if n.is_empty() {
                return Err(DataError::new(&file, format!("column {j} has an empty name")));
            }
            if n == "date" {
                return Err(DataError::new(&file, "a value column is named `date`")
                    .with_column(n.clone())
                    .with_help("pass the dates as the date index, not as a value column"));
            }
            if names[..j].contains(n) {
                return Err(DataError::new(&file, "the column name appears twice").with_column(n.clone()));
            }
            if c.len() != dates.len() {
                return Err(DataError::new(&file, format!("the column has {} value(s) for {} date(s)", c.len(), dates.len())).with_column(n.clone()));
            }
        }
        Ok(MemoryTable { dates, names, columns })
    }

    /// The dates (days since 1970-01-01), one per row.
    pub fn dates(&self) -> &[i32] {
        &self.dates
    }

    /// The column names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The frame of `wanted` columns (in that order) of this table, given for source `source`,
    /// validated as a file read would be.
    ///
    /// Errors: a wanted column the table lacks (the message lists those it has); no rows; a date
    /// equal to or earlier than the previous row's (unsorted or duplicate dates, both rows
    /// named); an infinite value, or one out of range ([`out_of_range`]).
    pub fn select(&self, source: &str, wanted: &[String]) -> Result<Frame, DataError> {
        let file = memory_file(source);
        if self.dates.is_empty() {
            return Err(DataError::new(&file, "the table has no rows"));
        }
        for t in 1..self.dates.len() {
            let (a, b) = (self.dates[t - 1], self.dates[t]);
            if b <= a {
                let what = if a == b { "repeats the date of" } else { "is earlier than" };
                return Err(DataError::new(&file, format!("the date {} of row {t} {what} row {} ({})", format_date(b), t - 1, format_date(a)))
                    .with_line(t)
                    .with_column("date")
                    .with_help("sort the rows by date and keep one row per date"));
            }
        }
        let rows = Arc::new((0..self.dates.len() as u32).collect::<Vec<u32>>());
        let mut columns = Vec::with_capacity(wanted.len());
        let mut origins = Vec::with_capacity(wanted.len());
        for w in wanted {
            let Some(j) = self.names.iter().position(|n| n == w) else {
                return Err(DataError::new(&file, format!("no column `{w}`; the table has: {}", self.names.join(", ")))
                    .with_column(w.clone())
                    .with_help("pass a frame with that column, or change the column the program reads"));
            };
            let col = &self.columns[j];
            for (t, &v) in col.iter().enumerate() {
                if v.is_infinite() {
                    return Err(DataError::new(&file, format!("the value {v} on {} is not finite (use NaN for a missing value)", format_date(self.dates[t])))
                        .with_line(t)
                        .with_column(w.clone()));
                }
                if let Some(m) = out_of_range(v) {
                    return Err(DataError::new(&file, format!("{m} on {}", format_date(self.dates[t])))
                        .with_code(OUT_OF_RANGE)
                        .with_line(t)
                        .with_column(w.clone()));
                }
            }
            columns.push(col.clone());
            origins.push(Some(Origin { file: file.clone(), column: w.clone(), lines: Arc::clone(&rows) }));
        }
        Ok(Frame { dates: self.dates.clone(), names: wanted.to_vec(), columns, origins, next_date: None, warnings: vec![] })
    }
}

/// A long (point-in-time) table in memory (SEMANTICS.md §3c): record `i` is company
/// `tickers[i]` at period date `dates[i]`, usable from `available[i]` when given, with
/// `values[k][i]` its value of field `fields[k]` (NaN when missing).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemoryLong {
    /// Period dates (days since 1970-01-01), one per record.
    pub dates: Vec<i32>,
    /// The availability column's name and its dates, one per record, for a source declared
    /// `available COL` (the name must be `COL`).
    pub available: Option<(String, Vec<i32>)>,
    /// The company of each record.
    pub tickers: Vec<String>,
    /// Field names.
    pub fields: Vec<String>,
    /// `values[k][i]`: field `k` of record `i`.
    pub values: Vec<Vec<f64>>,
}

impl MemoryLong {
    /// The records of the `wanted` fields as a [`LongTable`] for source `source`, validated as
    /// [`crate::io::read_long_csv`] validates a file: lengths agree, every wanted field present,
    /// an availability date when `needs_available` and never before its period date, values
    /// finite and in range or NaN, and no `(date, ticker)` pair twice (both rows named). Its
    /// `lines` are the 0-based rows.
    pub fn select(&self, source: &str, wanted: &[String], needs_available: bool) -> Result<LongTable, DataError> {
        let file = memory_file(source);
        let n = self.dates.len();
        if self.tickers.len() != n || self.values.iter().any(|v| v.len() != n) || self.available.as_ref().is_some_and(|(_, a)| a.len() != n) {
            return Err(DataError::new(&file, "the record columns differ in length"));
        }
        if self.fields.len() != self.values.len() {
            return Err(DataError::new(&file, format!("{} field name(s) for {} value column(s)", self.fields.len(), self.values.len())));
        }
        let available = match (&self.available, needs_available) {
            (None, true) => {
                return Err(DataError::new(&file, "the program reads an availability date but the table has none")
                    .with_column("available")
                    .with_help("pass the availability column, or drop `available` from the panel declaration"))
            }
            (Some((_, a)), true) => {
                for (i, (&av, &d)) in a.iter().zip(&self.dates).enumerate() {
                    if av < d {
                        return Err(DataError::new(&file, format!("available {} is before the period date {}", format_date(av), format_date(d)))
                            .with_line(i)
                            .with_column("available"));
                    }
                }
                Some(a.clone())
            }
            (_, false) => None,
        };
        let mut names: Vec<String> = vec![];
        let mut index: HashMap<&str, u32> = HashMap::new();
        let mut tickers = Vec::with_capacity(n);
        for (i, t) in self.tickers.iter().enumerate() {
            if t.is_empty() {
                return Err(DataError::new(&file, "an empty ticker").with_line(i).with_column("ticker"));
            }
            let k = *index.entry(t.as_str()).or_insert_with(|| {
                names.push(t.clone());
                (names.len() - 1) as u32
            });
            tickers.push(k);
        }
        let mut seen: BTreeMap<(i32, u32), usize> = BTreeMap::new();
        for (i, (&d, &k)) in self.dates.iter().zip(&tickers).enumerate() {
            if let Some(first) = seen.insert((d, k), i) {
                return Err(DataError::new(&file, format!("rows {first} and {i} are both {} on {}", self.tickers[i], format_date(d)))
                    .with_line(i)
                    .with_help("keep one record per company and period date"));
            }
        }
        let mut values = Vec::with_capacity(wanted.len());
        for w in wanted {
            let Some(k) = self.fields.iter().position(|f| f == w) else {
                return Err(DataError::new(&file, format!("no field `{w}`; the table has: {}", self.fields.join(", "))).with_column(w.clone()));
            };
            for (i, &v) in self.values[k].iter().enumerate() {
                if v.is_infinite() {
                    return Err(DataError::new(&file, format!("the value {v} is not finite (use NaN for a missing value)"))
                        .with_line(i)
                        .with_column(w.clone()));
                }
                if let Some(m) = out_of_range(v) {
                    return Err(DataError::new(&file, m).with_code(OUT_OF_RANGE).with_line(i).with_column(w.clone()));
                }
            }
            values.push(self.values[k].clone());
        }
        Ok(LongTable { file, dates: self.dates.clone(), available, tickers, names, fields: wanted.to_vec(), values, lines: (0..n as u32).collect() })
    }
}

/// What replaces a source's file.
#[derive(Debug, Clone, PartialEq)]
pub enum MemorySource {
    /// A wide table: for a `data` source, a `universe`, or a wide `panel`.
    Wide(MemoryTable),
    /// Long records: for a long `panel`.
    Long(MemoryLong),
}

/// Sources given in memory, by the name the program declares them with (`data vix = ...`,
/// `universe stocks = ...`, `panel fund = ...`); the others are read from their files.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MemorySources {
    tables: Vec<(String, MemorySource)>,
}

impl MemorySources {
    /// No sources in memory: every file is read.
    pub fn new() -> MemorySources {
        MemorySources::default()
    }

    /// Gives source `name` in memory (replacing an earlier one of that name).
    pub fn insert(&mut self, name: impl Into<String>, source: MemorySource) {
        let name = name.into();
        self.tables.retain(|(n, _)| *n != name);
        self.tables.push((name, source));
    }

    /// The source given for `name`.
    pub fn get(&self, name: &str) -> Option<&MemorySource> {
        self.tables.iter().find(|(n, _)| n == name).map(|(_, s)| s)
    }

    /// The names given, in insertion order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tables.iter().map(|(n, _)| n.as_str())
    }

    /// True when no source is given.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> MemoryTable {
        MemoryTable::new("spx", vec![10, 11, 12], vec!["close".into(), "vix".into()], vec![vec![1.0, 2.0, 3.0], vec![f64::NAN, 20.0, 21.0]]).unwrap()
    }

    #[test]
    fn select_keeps_the_wanted_columns_with_row_origins() {
        let f = table().select("spx", &["vix".into()]).unwrap();
        assert_eq!(f.names, vec!["vix"]);
        assert_eq!(f.dates, vec![10, 11, 12]);
        assert!(f.columns[0][0].is_nan());
        let e = DataError::at_row(&f, 0, 2, "bad");
        assert_eq!(e.line, Some(2));
        assert!(is_memory(&e.file));
    }

    #[test]
    fn unsorted_and_duplicate_dates_name_the_row() {
        let t = MemoryTable::new("spx", vec![10, 12, 11], vec!["close".into()], vec![vec![1.0; 3]]).unwrap();
        let e = t.select("spx", &["close".into()]).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("date")));
        assert!(e.message.contains("earlier"), "{e}");
        let t = MemoryTable::new("spx", vec![10, 11, 11], vec!["close".into()], vec![vec![1.0; 3]]).unwrap();
        let e = t.select("spx", &["close".into()]).unwrap_err();
        assert!(e.message.contains("repeats"), "{e}");
        assert_eq!(e.to_string().split(':').next(), Some("<memory spx> row 2"));
    }

    #[test]
    fn missing_column_and_infinite_value() {
        let e = table().select("spx", &["volume".into()]).unwrap_err();
        assert!(e.message.contains("close, vix"), "{e}");
        let t = MemoryTable::new("spx", vec![1, 2], vec!["close".into()], vec![vec![1.0, f64::INFINITY]]).unwrap();
        let e = t.select("spx", &["close".into()]).unwrap_err();
        assert_eq!((e.line, e.column.as_deref()), (Some(1), Some("close")));
    }

    #[test]
    fn shapes_are_checked() {
        assert!(MemoryTable::new("x", vec![1, 2], vec!["a".into()], vec![vec![1.0]]).is_err());
        assert!(MemoryTable::new("x", vec![1], vec!["a".into(), "a".into()], vec![vec![1.0], vec![1.0]]).is_err());
        assert!(MemoryTable::new("x", vec![1], vec!["date".into()], vec![vec![1.0]]).is_err());
    }

    #[test]
    fn long_records_reject_a_repeated_pair() {
        let l = MemoryLong {
            dates: vec![1, 1, 2],
            available: None,
            tickers: vec!["A".into(), "B".into(), "A".into()],
            fields: vec!["roe".into()],
            values: vec![vec![0.1, 0.2, 0.3]],
        };
        let t = l.select("fund", &["roe".into()], false).unwrap();
        assert_eq!(t.names, vec!["A", "B"]);
        assert_eq!(t.tickers, vec![0, 1, 0]);
        let mut bad = l.clone();
        bad.tickers[1] = "A".into();
        let e = bad.select("fund", &["roe".into()], false).unwrap_err();
        assert!(e.message.contains("rows 0 and 1"), "{e}");
        assert!(l.select("fund", &["roe".into()], true).is_err());
    }
}
