//! The in-memory table the runtime works on: one row per bar, a `date` index and `f64` columns.
//!
//! Dates are stored as days since 1970-01-01 (the proleptic Gregorian calendar), converted with
//! Howard Hinnant's `days_from_civil` / `civil_from_days` algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>, public domain).
//!
//! # Where a value came from
//!
//! Every column may carry an [`Origin`]: the file it was read from, its name in that file's
//! header, and the 1-based file line of each of its rows. [`crate::io::read_csv`] fills it in and
//! [`crate::io::inner_join`] keeps it in step with the rows it keeps, so a later check (e.g. "column
//! 'spx' has a non-positive price") can name the file and line of the offending row with
//! [`Frame::location`] or [`crate::io::DataError::at_row`]. Columns made in memory have no origin
//! (`None`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where the values of one column came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The file the column was read from (as given to the reader).
    pub file: PathBuf,
    /// The column's name in that file's header (without any join prefix).
    pub column: String,
    /// `lines[row]` is the 1-based line of the file holding `row` (header = line 1, first data
    /// row = line 2). Shared by all columns read from the same file in the same call.
    pub lines: Arc<Vec<u32>>,
}

/// A table of bars: `dates[t]` and `columns[j][t]` for rows `t = 0 .. len()-1`.
///
/// Invariants (kept by every constructor in this crate): `names`, `columns` and `origins` have the
/// same length; every column has `dates.len()` values; frames returned by the readers have strictly
/// increasing dates. A missing value is NaN.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frame {
    /// Days since 1970-01-01, one per row.
    pub dates: Vec<i32>,
    /// Column names, one per column.
    pub names: Vec<String>,
    /// Column values, `columns[j][t]`.
    pub columns: Vec<Vec<f64>>,
    /// Where each column came from, `origins[j]`; `None` for columns built in memory.
    pub origins: Vec<Option<Origin>>,
    /// The date of the data row right after this frame's last row, when the frame is a date
    /// window cut from longer data (`None` when it ends where the data ends). Calendar schedules
    /// need it: a row is a month-end when the *next row of the data* is in a later month.
    pub next_date: Option<i32>,
    /// Problems found while loading that do not stop a run, each naming its file (e.g. an asset
    /// of the universe without a record in a point-in-time source: NaN throughout). Shown as
    /// warnings with their codes.
    pub warnings: Vec<crate::io::DataError>,
}

impl Frame {
    /// A frame without origins.
    ///
    /// # Panics
    /// If `names` and `columns` differ in length or a column's length differs from `dates.len()`
    /// (a programming error, never a data error).
    pub fn new(dates: Vec<i32>, names: Vec<String>, columns: Vec<Vec<f64>>) -> Frame {
        assert_eq!(names.len(), columns.len(), "Frame::new: names and columns differ in length");
        for (n, c) in names.iter().zip(&columns) {
            assert_eq!(c.len(), dates.len(), "Frame::new: column '{n}' has the wrong length");
        }
        let origins = vec![None; names.len()];
        Frame { dates, names, columns, origins, next_date: None, warnings: vec![] }
    }

    /// Number of rows (bars).
    pub fn len(&self) -> usize {
        self.dates.len()
    }

    /// True when the frame has no rows.
    pub fn is_empty(&self) -> bool {
        self.dates.is_empty()
    }

    /// Number of columns (the date index not counted).
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// Index of the first column named `name`.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// The values of the first column named `name`.
    pub fn column(&self, name: &str) -> Option<&[f64]> {
        self.column_index(name).map(|j| self.columns[j].as_slice())
    }

    /// The origin of column `col`, if it was read from a file.
    pub fn origin(&self, col: usize) -> Option<&Origin> {
        self.origins.get(col).and_then(|o| o.as_ref())
    }

    /// File and 1-based line of row `row` of column `col`, if the column was read from a file.
    pub fn location(&self, col: usize, row: usize) -> Option<(&Path, usize)> {
        let o = self.origin(col)?;
        let line = *o.lines.get(row)?;
        Some((o.file.as_path(), line as usize))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's `days_from_civil`).
/// `m` in 1..=12, `d` in 1..=31 (not checked here).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400; // [0, 399]
    let m = m as i64;
    let mp = if m > 2 { m - 3 } else { m + 9 }; // [0, 11], March = 0
    let doy = (153 * mp + 2) / 5 + d as i64 - 1; // [0, 365]
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; // [0, 146096]
    era * 146097 + doe - 719468
}

/// Proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01
/// (Hinnant's `civil_from_days`).
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// True for Gregorian leap years.
pub fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Number of days of month `m` (1..=12) of year `y`; 0 for an invalid month.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Parses a strict `YYYY-MM-DD` date (exactly 10 ASCII characters, four-digit year, two-digit
/// month and day, a real calendar day) into days since 1970-01-01. Anything else gives `None`:
/// no surrounding whitespace, no time part, no `2024-2-3`, no `2023-02-29`.
pub fn parse_date(s: &str) -> Option<i32> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, &c| if c.is_ascii_digit() { Some(acc * 10 + u32::from(c - b'0')) } else { None })
    };
    let y = num(0..4)? as i64;
    let m = num(5..7)?;
    let d = num(8..10)?;
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    // Years 0000..=9999 are always within i32 days.
    i32::try_from(days_from_civil(y, m, d)).ok()
}

/// `(year, month, day)` of a day count since 1970-01-01.
pub fn year_month_day(days: i32) -> (i32, u32, u32) {
    let (y, m, d) = civil_from_days(days as i64);
    // |days| <= 2^31 keeps |y| below 6 million: always fits.
    (y as i32, m, d)
}

/// Formats a day count since 1970-01-01 as `YYYY-MM-DD` (the inverse of [`parse_date`] for years
/// 0..=9999; other years print with their sign / more digits).
pub fn format_date(days: i32) -> String {
    let (y, m, d) = year_month_day(days);
    if y >= 0 {
        format!("{y:04}-{m:02}-{d:02}")
    } else {
        format!("-{:04}-{m:02}-{d:02}", -(y as i64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_and_known_dates() {
        assert_eq!(parse_date("1970-01-01"), Some(0));
        assert_eq!(parse_date("1970-01-02"), Some(1));
        assert_eq!(parse_date("1969-12-31"), Some(-1));
        assert_eq!(parse_date("2000-03-01"), Some(11017));
        assert_eq!(parse_date("1990-01-02"), Some(7306));
        assert_eq!(parse_date("2026-07-09"), Some(20643));
        assert_eq!(format_date(20643), "2026-07-09");
        assert_eq!(format_date(-1), "1969-12-31");
        assert_eq!(year_month_day(11016), (2000, 2, 29));
    }

    #[test]
    fn leap_years() {
        assert!(parse_date("2000-02-29").is_some());
        assert!(parse_date("2024-02-29").is_some());
        assert!(parse_date("1900-02-29").is_none());
        assert!(parse_date("2023-02-29").is_none());
        assert!(parse_date("2023-02-28").is_some());
        assert!(parse_date("2100-02-29").is_none());
    }

    #[test]
    fn strictness() {
        for bad in [
            "",
            "2024-1-01",
            "2024-01-1",
            "24-01-01",
            "2024/01/01",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-04-31",
            " 2024-01-01",
            "2024-01-01 ",
            "2024-01-01T00:00",
            "+024-01-01",
            "2024-0a-01",
            "２０２４-01-01",
            "2024-01-3１",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn round_trip_every_day() {
        // 0001-01-01 .. 9999-12-31
        let lo = parse_date("0001-01-01").unwrap();
        let hi = parse_date("9999-12-31").unwrap();
        let mut prev = (0i32, 12u32, 31u32);
        for z in lo..=hi {
            let s = format_date(z);
            assert_eq!(parse_date(&s), Some(z), "{s}");
            let ymd = year_month_day(z);
            // consecutive days advance the calendar by exactly one day
            if ymd.2 == 1 {
                assert!(prev.2 == days_in_month(prev.0 as i64, prev.1));
            } else {
                assert_eq!(ymd.2, prev.2 + 1);
            }
            prev = ymd;
        }
    }

    #[test]
    fn extreme_days_do_not_panic() {
        for z in [i32::MIN, i32::MIN + 1, -1_000_000, 3_000_000, i32::MAX] {
            let (y, m, d) = year_month_day(z);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            assert_eq!(days_from_civil(y as i64, m, d), z as i64);
            let _ = format_date(z);
        }
    }

    #[test]
    fn frame_basics() {
        let f = Frame::new(vec![1, 2], vec!["a".into(), "b".into()], vec![vec![1.0, 2.0], vec![3.0, 4.0]]);
        assert_eq!(f.len(), 2);
        assert_eq!(f.column("b"), Some(&[3.0, 4.0][..]));
        assert_eq!(f.column("c"), None);
        assert_eq!(f.location(0, 0), None);
    }
}
