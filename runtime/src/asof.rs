//! Point-in-time panels (SEMANTICS.md §3c): a `panel` source's records joined onto the bars as
//! of each bar's date.
//!
//! A record dated `d` (its period end, or its availability date when the source declares one)
//! is usable from the first bar dated `>= d + lag` (calendar days); on each bar an asset's value
//! is that of its latest usable record (a backward as-of join, exact date matches allowed, as
//! pandas `merge_asof(direction="backward")` on `d + lag`; among records usable from the same
//! day, the one with the latest period date). An asset with no usable record yet is NaN, and so
//! is a record's empty field: the latest record is taken as it is, never an older value.

use crate::frame::Frame;
use crate::io::LongTable;

/// The raw data of one `panel` source, before the join.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelData {
    /// A long file's records.
    Long(LongTable),
    /// A wide file read as it is: one column per asset of the universe the file has, rows
    /// strictly increasing in date.
    Wide(Frame),
}

/// The as-of join of one value series: `avail[i]` is the first day record `i` may be used
/// (sorted, non-decreasing) and `values[i]` its value; returns, for each of `dates` (sorted),
/// the value of the last record with `avail <= date` (NaN before the first).
pub fn asof_series(avail: &[i32], values: &[f64], dates: &[i32]) -> Vec<f64> {
    let ahead = fault_one_record_ahead();
    let mut out = Vec::with_capacity(dates.len());
    let mut next = 0usize;
    for &t in dates {
        while next < avail.len() && avail[next] <= t {
            next += 1;
        }
        out.push(match (next, ahead) {
            (0, false) => f64::NAN,
            (n, true) if n < values.len() => values[n],
            (n, _) => values[n - 1],
        });
    }
    out
}

/// A fault for testing `strat audit` (debug builds only; a release build never reads it): with
/// `STRAT_TEST_FAULT=asof_one_record_ahead` in the environment, the join reads the record after
/// the one it should (a planted look-ahead the audit must catch).
fn fault_one_record_ahead() -> bool {
    cfg!(debug_assertions) && std::env::var_os("STRAT_TEST_FAULT").is_some_and(|v| v == "asof_one_record_ahead")
}

/// The day from which a record of period date `d` (or availability date) may be used, with a
/// lag of `lag_days` calendar days (saturating at the ends of the date range).
fn usable_from(d: i32, lag_days: i64) -> i32 {
    (d as i64 + lag_days).clamp(i32::MIN as i64, i32::MAX as i64) as i32
}

/// The records of a long table by ticker index, each sorted by (usable-from day, period date).
/// `usable[i]` is record `i`'s usable-from day.
fn records_by_ticker(t: &LongTable, usable: &[i32]) -> Vec<Vec<usize>> {
    let mut by = vec![vec![]; t.names.len()];
    for (i, &k) in t.tickers.iter().enumerate() {
        by[k as usize].push(i);
    }
    for recs in &mut by {
        recs.sort_by_key(|&i| (usable[i], t.dates[i]));
    }
    by
}

/// The panel of field `field` (an index into `t.fields`) of a long table joined onto `dates`,
/// one series per asset of `assets` (asset-major), and the assets that have no record at all.
pub fn join_long(t: &LongTable, field: usize, assets: &[String], dates: &[i32], lag_days: i64) -> (Vec<Vec<f64>>, Vec<String>) {
    let base = t.available.as_deref().unwrap_or(&t.dates);
    let usable: Vec<i32> = base.iter().map(|&d| usable_from(d, lag_days)).collect();
    let by = records_by_ticker(t, &usable);
    let mut missing = vec![];
    let mut out = Vec::with_capacity(assets.len());
    for a in assets {
        match t.names.iter().position(|n| n == a) {
            Some(k) => {
                let recs = &by[k];
                let avail: Vec<i32> = recs.iter().map(|&i| usable[i]).collect();
                let vals: Vec<f64> = recs.iter().map(|&i| t.values[field][i]).collect();
                out.push(asof_series(&avail, &vals, dates));
            }
            None => {
                missing.push(a.clone());
                out.push(vec![f64::NAN; dates.len()]);
            }
        }
    }
    (out, missing)
}

/// A wide file's columns joined onto `dates`, one series per asset of `assets` (asset-major),
/// and the assets the file has no column for.
pub fn join_wide(f: &Frame, assets: &[String], dates: &[i32], lag_days: i64) -> (Vec<Vec<f64>>, Vec<String>) {
    let usable: Vec<i32> = f.dates.iter().map(|&d| usable_from(d, lag_days)).collect();
    let mut missing = vec![];
    let mut out = Vec::with_capacity(assets.len());
    for a in assets {
        match f.column_index(a) {
            Some(j) => out.push(asof_series(&usable, &f.columns[j], dates)),
            None => {
                missing.push(a.clone());
                out.push(vec![f64::NAN; dates.len()]);
            }
        }
    }
    (out, missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_latest_record_usable_by_each_day_exact_matches_included() {
        let out = asof_series(&[10, 20, 20, 35], &[1.0, 2.0, 3.0, 4.0], &[5, 10, 19, 20, 34, 35, 99]);
        let want = [f64::NAN, 1.0, 1.0, 3.0, 3.0, 4.0, 4.0];
        for (o, w) in out.iter().zip(want) {
            assert!(o.to_bits() == w.to_bits(), "{out:?}");
        }
    }

    #[test]
    fn a_lag_delays_each_record_and_missing_assets_are_nan() {
        let t = LongTable {
            dates: vec![100, 100, 190],
            tickers: vec![0, 1, 0],
            names: vec!["a".into(), "b".into()],
            fields: vec!["roe".into()],
            values: vec![vec![0.1, 0.2, 0.3]],
            lines: vec![2, 3, 4],
            ..LongTable::default()
        };
        let dates = [150, 189, 190, 279, 280];
        let (cols, missing) = join_long(&t, 0, &["a".into(), "c".into(), "b".into()], &dates, 90);
        assert_eq!(missing, vec!["c".to_string()]);
        let a: Vec<String> = cols[0].iter().map(|x| format!("{x}")).collect();
        assert_eq!(a, ["NaN", "NaN", "0.1", "0.1", "0.3"]);
        assert!(cols[1].iter().all(|x| x.is_nan()));
        assert_eq!(cols[2][2], 0.2);
    }
}
