//! Shared pieces of the plain-Rust baselines (std only): a CSV reader for the bundled
//! wide files, an inner join on date, and the metrics of SEMANTICS.md §4.
//!
//! Included with `#[path = "common.rs"] mod common;` so every baseline stays one
//! `rustc -O` invocation, with no Cargo involvement.
#![allow(dead_code)]

use std::fs;

/// A wide CSV: `date` first, then numeric columns. Only the requested columns are parsed.
pub struct Table {
    pub dates: Vec<String>,
    /// `cols[c][t]`: the value of requested column `c` at row `t` (NaN for an empty field).
    pub cols: Vec<Vec<f64>>,
}

/// Reads `path`, keeping the `date` column and the columns named in `want` (in that order).
/// Unquoted CSV only (the bundled files have no quoting); `\n` or `\r\n`; a UTF-8 BOM is skipped.
pub fn read_csv(path: &str, want: &[&str]) -> Table {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut lines = text.split('\n');
    let header = lines.next().expect("empty file").trim_end_matches('\r');
    let names: Vec<&str> = header.split(',').collect();
    assert_eq!(names[0], "date", "{path}: first column is not date");
    let idx: Vec<usize> = want
        .iter()
        .map(|w| names.iter().position(|n| n == w).unwrap_or_else(|| panic!("{path}: no column {w}")))
        .collect();
    // Map field position -> requested slot (usize::MAX = skip).
    let mut slot = vec![usize::MAX; names.len()];
    for (k, &i) in idx.iter().enumerate() {
        slot[i] = k;
    }
    let mut dates = Vec::new();
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); want.len()];
    for line in lines {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            continue; // the final newline
        }
        let mut fields = line.split(',');
        dates.push(fields.next().unwrap().to_string());
        for (i, f) in fields.enumerate() {
            let k = slot[i + 1];
            if k != usize::MAX {
                cols[k].push(if f.is_empty() { f64::NAN } else { f.parse::<f64>().unwrap_or_else(|_| panic!("{path}: bad number {f:?}")) });
            }
        }
    }
    for c in &cols {
        assert_eq!(c.len(), dates.len(), "{path}: ragged rows");
    }
    Table { dates, cols }
}

/// Inner join on date of several tables (dates are ISO `YYYY-MM-DD`, strictly increasing, so
/// string order is date order). Returns the common dates and, per table, the row index of each.
pub fn inner_join(tables: &[&Table]) -> (Vec<String>, Vec<Vec<usize>>) {
    let mut pos = vec![0usize; tables.len()];
    let mut dates = Vec::new();
    let mut rows: Vec<Vec<usize>> = vec![Vec::new(); tables.len()];
    'outer: loop {
        // The largest current date among the tables; advance the others up to it.
        let mut hi: &str = "";
        for (k, t) in tables.iter().enumerate() {
            if pos[k] >= t.dates.len() {
                break 'outer;
            }
            if t.dates[pos[k]].as_str() > hi {
                hi = &t.dates[pos[k]];
            }
        }
        let mut all = true;
        for (k, t) in tables.iter().enumerate() {
            while pos[k] < t.dates.len() && t.dates[pos[k]].as_str() < hi {
                pos[k] += 1;
            }
            if pos[k] >= t.dates.len() {
                break 'outer;
            }
            if t.dates[pos[k]] != hi {
                all = false;
            }
        }
        if all {
            dates.push(hi.to_string());
            for k in 0..tables.len() {
                rows[k].push(pos[k]);
                pos[k] += 1;
            }
        }
    }
    (dates, rows)
}

/// The metrics the benchmark compares (SEMANTICS.md §4).
#[derive(Clone, Copy)]
pub struct Metrics {
    pub total_return: f64,
    pub cagr: f64,
    pub ann_vol: f64,
    pub sharpe: f64,
    pub max_drawdown: f64,
    pub calmar: f64,
}

/// Sample standard deviation (ddof = 1), two-pass, exactly 0 when all values are equal.
pub fn std_ddof1(x: &[f64]) -> f64 {
    let n = x.len();
    if n < 2 {
        return f64::NAN;
    }
    if x.iter().all(|&v| v == x[0]) {
        return 0.0;
    }
    let mut s = 0.0;
    for &v in x {
        s += v;
    }
    let m = s / n as f64;
    let mut ss = 0.0;
    for &v in x {
        ss += (v - m) * (v - m);
    }
    (ss / (n - 1) as f64).sqrt()
}

/// Metrics of the evaluation window's returns `x[1..N]` with `p` periods per year.
pub fn metrics(x: &[f64], p: f64) -> Metrics {
    let n = x.len();
    let mut e = 1.0f64;
    let mut peak = 1.0f64;
    let mut mdd = 0.0f64;
    let mut sum = 0.0;
    for &r in x {
        sum += r;
        e *= 1.0 + r;
        if e > peak {
            peak = e;
        }
        let d = e / peak - 1.0;
        if d < mdd {
            mdd = d;
        }
    }
    let mean = sum / n as f64;
    let sd = std_ddof1(x);
    let sq = p.sqrt();
    let sharpe = if sd == 0.0 || sd.is_nan() { f64::NAN } else { mean / sd * sq };
    let cagr = if e <= 0.0 { -1.0 } else { e.powf(p / n as f64) - 1.0 };
    let calmar = if mdd == 0.0 { f64::NAN } else { cagr / mdd.abs() };
    Metrics { total_return: e - 1.0, cagr, ann_vol: sd * sq, sharpe, max_drawdown: mdd, calmar }
}

/// Appends the metric columns of one binding to a CSV line.
pub fn push_metrics(out: &mut String, m: &Metrics) {
    use std::fmt::Write;
    let _ = write!(out, "{:?},{:?},{:?},{:?},{:?},{:?}", m.sharpe, m.calmar, m.max_drawdown, m.cagr, m.total_return, m.ann_vol);
}

pub const METRIC_HEADER: &str = "sharpe,calmar,max_drawdown,cagr,total_return,ann_vol";
