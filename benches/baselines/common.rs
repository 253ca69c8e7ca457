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

// ---------------------------------------------------------------------------------------------
// Full-metric mode: every figure `strat sweep --json` reports per binding.
// ---------------------------------------------------------------------------------------------

/// Every per-binding figure of `strat sweep --json` (SEMANTICS.md §4, the conventions of
/// `stdlib/src/metrics.rs`): the eleven `metrics`, then `avg_turnover` and `information_ratio`.
#[derive(Clone, Copy)]
pub struct FullMetrics {
    pub total_return: f64,
    pub cagr: f64,
    pub ann_vol: f64,
    pub sharpe: f64,
    pub sortino: f64,
    pub max_drawdown: f64,
    pub calmar: f64,
    pub var_95: f64,
    pub cvar_95: f64,
    pub omega: f64,
    pub avg_exposure: f64,
    pub avg_turnover: f64,
    pub information_ratio: f64,
}

/// The full header, in strat's order (its `metrics` object, then the two run measures).
pub const FULL_METRIC_HEADER: &str =
    "total_return,cagr,ann_vol,sharpe,sortino,max_drawdown,calmar,var_95,cvar_95,omega,avg_exposure,avg_turnover,information_ratio";

/// Arithmetic mean, a left-to-right sum divided by the length; NaN when empty.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let mut s = 0.0;
    for &v in x {
        s += v;
    }
    s / x.len() as f64
}

/// `sqrt(sum v^2 / div)` when the plain sum of squares overflows: scaled by `max |v|` first.
fn rms_scaled(v: impl Iterator<Item = f64> + Clone, div: f64) -> f64 {
    let s = v.clone().fold(0.0_f64, |a, x| a.max(x.abs()));
    if s == 0.0 || !s.is_finite() {
        return f64::INFINITY;
    }
    let mut ss = 0.0;
    for x in v {
        ss += (x / s) * (x / s);
    }
    s * (ss / div).sqrt()
}

/// `num / den * sqrt(P)`, NaN when `den` is 0 or NaN.
fn ratio(num: f64, den: f64, p: f64) -> f64 {
    if den == 0.0 || den.is_nan() {
        f64::NAN
    } else {
        num / den * p.sqrt()
    }
}

/// The information ratio `mean(x - b) / std(x - b, ddof 1) * sqrt(P)`; NaN for fewer than two
/// rows, NaN input, or exactly-equal differences (std exactly 0).
pub fn information_ratio(x: &[f64], b: &[f64], p: f64) -> f64 {
    assert_eq!(x.len(), b.len(), "one benchmark return per return");
    let n = x.len();
    if n == 0 {
        return f64::NAN;
    }
    let first = x[0] - b[0];
    let (mut sum, mut any_nan, mut all_equal) = (0.0, false, true);
    for i in 0..n {
        let d = x[i] - b[i];
        sum += d;
        any_nan |= d.is_nan();
        all_equal &= d == first;
    }
    let m = sum / n as f64;
    let sd = if n < 2 || any_nan {
        f64::NAN
    } else if all_equal {
        0.0
    } else {
        let mut ss = 0.0;
        for i in 0..n {
            let e = x[i] - b[i] - m;
            ss += e * e;
        }
        if ss.is_infinite() {
            rms_scaled((0..n).map(|i| x[i] - b[i] - m), (n - 1) as f64)
        } else {
            (ss / (n - 1) as f64).sqrt()
        }
    };
    ratio(m, sd, p)
}

/// Every per-binding figure of the returns `x[1..N]` (time order) with `P` periods per year:
/// `exposure[i]` is the gross exposure behind `x[i]` (the weight held from the row before),
/// `turnover` the turnover of the decision rows `t0 ..= T-2` (one per return), `bench` the
/// benchmark's returns on the same rows (None: `information_ratio` NaN). `scratch` is reused for
/// the order statistics of VaR / CVaR.
///
/// Rules (stdlib/src/metrics.rs): `N = 0` gives NaN throughout; a NaN return makes every metric
/// except `avg_exposure` NaN; std is two-pass ddof 1 and exactly 0 for a constant series (Sharpe
/// NaN there); Sortino's downside deviation divides by N; `omega` is gains / losses, +inf with
/// gains and no losses, NaN with neither; `var_95` is numpy's linear 5% quantile; `cvar_95` the
/// mean of the k = floor((N-1) * 0.05) + 1 smallest returns, summed in ascending order.
pub fn full_metrics(x: &[f64], exposure: &[f64], turnover: &[f64], bench: Option<&[f64]>, p: f64, scratch: &mut Vec<f64>) -> FullMetrics {
    assert_eq!(x.len(), exposure.len(), "one exposure per return");
    full_metrics_given(x, mean(exposure), mean(turnover), bench, p, scratch)
}

/// [`full_metrics`] with the mean exposure and turnover already known (a loop that sums them
/// as it goes needs no per-row vectors).
pub fn full_metrics_given(x: &[f64], avg_exposure: f64, avg_turnover: f64, bench: Option<&[f64]>, p: f64, scratch: &mut Vec<f64>) -> FullMetrics {
    let n = x.len();
    let information_ratio = bench.map_or(f64::NAN, |b| information_ratio(x, b, p));
    let nan = FullMetrics {
        total_return: f64::NAN,
        cagr: f64::NAN,
        ann_vol: f64::NAN,
        sharpe: f64::NAN,
        sortino: f64::NAN,
        max_drawdown: f64::NAN,
        calmar: f64::NAN,
        var_95: f64::NAN,
        cvar_95: f64::NAN,
        omega: f64::NAN,
        avg_exposure,
        avg_turnover,
        information_ratio,
    };
    if n == 0 {
        return FullMetrics { avg_exposure: f64::NAN, ..nan };
    }
    // One pass in time order: equity and drawdown, the sum, the constant test, the downside
    // squares and the omega sums.
    let first = x[0];
    let (mut e, mut peak, mut mdd) = (1.0f64, 1.0f64, 0.0f64);
    let (mut sum, mut all_equal, mut down_sq, mut gains, mut losses) = (0.0, true, 0.0, 0.0, 0.0);
    let mut any_nan = false;
    for &r in x {
        e *= 1.0 + r;
        if e > peak {
            peak = e;
        }
        let d = e / peak - 1.0;
        if d < mdd {
            mdd = d;
        }
        sum += r;
        all_equal &= r == first;
        any_nan |= r.is_nan();
        let lo = r.min(0.0);
        down_sq += lo * lo;
        gains += r.max(0.0);
        losses += (-r).max(0.0);
    }
    if any_nan {
        return nan;
    }
    let m = sum / n as f64;
    // Sample std (ddof 1), two-pass about the mean.
    let sd = if n < 2 {
        f64::NAN
    } else if all_equal {
        0.0
    } else {
        let mut ss = 0.0;
        for &r in x {
            ss += (r - m) * (r - m);
        }
        if ss.is_infinite() {
            rms_scaled(x.iter().map(|&r| r - m), (n - 1) as f64)
        } else {
            (ss / (n - 1) as f64).sqrt()
        }
    };
    let dd = if down_sq.is_infinite() { rms_scaled(x.iter().map(|&r| r.min(0.0)), n as f64) } else { (down_sq / n as f64).sqrt() };
    let cagr = if e <= 0.0 { -1.0 } else { e.powf(p / n as f64) - 1.0 };
    let mdd = if e.is_nan() { f64::NAN } else { mdd };
    let calmar = if mdd == 0.0 { f64::NAN } else { cagr / mdd.abs() };
    let omega = if losses > 0.0 {
        gains / losses
    } else if gains > 0.0 {
        f64::INFINITY
    } else {
        f64::NAN
    };

    // VaR / CVaR: only the k + 1 smallest returns matter (k = floor((N-1) * 0.05) + 1, in
    // integer arithmetic); select them, then sort that head.
    let k = (n - 1) / 20 + 1;
    let head = (k + 1).min(n);
    scratch.clear();
    scratch.extend_from_slice(x);
    if head < n {
        scratch.select_nth_unstable_by(head - 1, f64::total_cmp);
    }
    let s = &mut scratch[..head];
    s.sort_unstable_by(f64::total_cmp);
    let mut tail = 0.0;
    for &v in &s[..k] {
        tail += v;
    }
    // numpy's 'linear' quantile at q = 0.05: h = (N-1) * 0.05, between s[floor h] and the next.
    let var_95 = if n == 1 {
        s[0]
    } else {
        let h = (n - 1) as f64 * 0.05;
        let lo = h.floor();
        let i = lo as usize;
        let (a, b) = (s[i], s[i + 1]);
        let g = h - lo;
        if g >= 0.5 {
            b - (b - a) * (1.0 - g)
        } else {
            a + (b - a) * g
        }
    };

    FullMetrics {
        total_return: e - 1.0,
        cagr,
        ann_vol: sd * p.sqrt(),
        sharpe: ratio(m, sd, p),
        sortino: ratio(m, dd, p),
        max_drawdown: mdd,
        calmar,
        var_95,
        cvar_95: tail / k as f64,
        omega,
        avg_exposure,
        avg_turnover,
        information_ratio,
    }
}

/// Appends the columns of [`FULL_METRIC_HEADER`] of one binding to a CSV line.
pub fn push_full_metrics(out: &mut String, m: &FullMetrics) {
    use std::fmt::Write;
    let _ = write!(
        out,
        "{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?},{:?}",
        m.total_return,
        m.cagr,
        m.ann_vol,
        m.sharpe,
        m.sortino,
        m.max_drawdown,
        m.calmar,
        m.var_95,
        m.cvar_95,
        m.omega,
        m.avg_exposure,
        m.avg_turnover,
        m.information_ratio
    );
}

/// Which metric set a baseline prints: the six of [`METRIC_HEADER`] or the full set.
#[derive(Clone, Copy, PartialEq)]
pub enum MetricSet {
    Six,
    Full,
}

/// Parses the optional METRICS argument (`six`, the default, or `full`).
pub fn metric_set(arg: Option<&str>) -> MetricSet {
    match arg.unwrap_or("six") {
        "six" => MetricSet::Six,
        "full" => MetricSet::Full,
        other => panic!("METRICS is six or full, not {other}"),
    }
}
