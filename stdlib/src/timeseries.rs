//! Path-dependent kernels over one series: lagged returns, lags, EMA,
//! drawdown and running sums/products (SEMANTICS.md §1, §5).
//!
//! Every kernel takes `x` (one value per bar, bar 0 first) and an output slice
//! `out` with `out.len() == x.len()` (checked; a mismatch panics). A value at
//! row `t` uses rows `<= t` only.

/// Checks that `out` has the length of `x`.
fn check(x: &[f64], out: &[f64]) {
    assert_eq!(x.len(), out.len(), "out must have the length of x");
}

/// Simple `k`-bar return: `out[t] = x[t] / x[t-k] - 1`.
///
/// Shapes: `x`, `out` of equal length T; any `k >= 0` (`k = 0` gives 0 where
/// `x[t]` is finite and nonzero). Units: fraction (0.01 = 1%).
/// NaN: rows `t < k`, and wherever either price is NaN (IEEE arithmetic
/// otherwise: a zero base gives ±inf or NaN).
/// Convention: pandas `x.pct_change(k)` without fill, `x / x.shift(k) - 1`.
pub fn ret(x: &[f64], k: usize, out: &mut [f64]) {
    check(x, out);
    for (t, o) in out.iter_mut().enumerate() {
        *o = if t < k { f64::NAN } else { x[t] / x[t - k] - 1.0 };
    }
}

/// Log `k`-bar return: `out[t] = ln(x[t] / x[t-k])` (the ratio is formed
/// first, then its natural log).
///
/// Shapes: `x`, `out` of equal length T; any `k >= 0`. Units: log-return.
/// NaN: rows `t < k`, NaN inputs, and a negative ratio (IEEE `ln`).
/// Convention: numpy `np.log(x / x.shift(k))`.
pub fn logret(x: &[f64], k: usize, out: &mut [f64]) {
    check(x, out);
    for (t, o) in out.iter_mut().enumerate() {
        *o = if t < k { f64::NAN } else { (x[t] / x[t - k]).ln() };
    }
}

/// Lag by `k` bars: `out[t] = x[t-k]`; `k = 0` copies `x`.
///
/// Shapes: `x`, `out` of equal length T. Units: those of `x`.
/// NaN: rows `t < k` (and wherever the lagged value is NaN).
/// Convention: pandas `x.shift(k)`.
pub fn lag(x: &[f64], k: usize, out: &mut [f64]) {
    check(x, out);
    for (t, o) in out.iter_mut().enumerate() {
        *o = if t < k { f64::NAN } else { x[t - k] };
    }
}

/// Exponential moving average with `alpha = 2.0 / (span as f64 + 1.0)`.
///
/// Seeded with the first non-NaN value: `e[t0] = x[t0]`; then
/// `e[t] = alpha * x[t] + (1.0 - alpha) * e[prev]`, evaluated exactly in that
/// form (SEMANTICS.md §5).
///
/// Shapes: `x`, `out` of equal length T; `span >= 0` (`span = 1` gives
/// `alpha = 1`, a copy of `x`). Units: those of `x`.
/// NaN rules (Strat's choice): rows before the seed are NaN; a NaN input after
/// the seed gives NaN on that row and leaves the state unchanged, so the next
/// defined value updates from the last defined EMA (the gap is skipped, not
/// decayed).
/// Convention: pandas `ewm(span=span, adjust=False, ignore_na=True).mean()`
/// on the rows where `x` is defined (pandas repeats the previous value on NaN
/// rows where Strat writes NaN; pandas normalises by `(1-alpha) + alpha`,
/// which can differ from 1 by one ulp).
pub fn ema(x: &[f64], span: usize, out: &mut [f64]) {
    check(x, out);
    let alpha = 2.0 / (span as f64 + 1.0);
    let mut state: Option<f64> = None;
    for (o, &v) in out.iter_mut().zip(x) {
        if v.is_nan() {
            *o = f64::NAN;
            continue;
        }
        let e = match state {
            None => v,
            Some(prev) => alpha * v + (1.0 - alpha) * prev,
        };
        state = Some(e);
        *o = e;
    }
}

/// Drawdown from the running peak: `out[t] = x[t] / max(x[0..=t]) - 1`.
///
/// The peak runs from row 0 of the data (warm-up rows included,
/// SEMANTICS.md §5). Shapes: `x`, `out` of equal length T. Units: fraction,
/// `<= 0` for positive prices.
/// NaN: a NaN input gives NaN on that row and does not update the peak; rows
/// before the first non-NaN value are NaN.
/// Convention: pandas `x / x.cummax() - 1` (cummax with skipna).
pub fn drawdown(x: &[f64], out: &mut [f64]) {
    check(x, out);
    let mut peak: Option<f64> = None;
    for (o, &v) in out.iter_mut().zip(x) {
        if v.is_nan() {
            *o = f64::NAN;
            continue;
        }
        let p = match peak {
            Some(p) if p >= v => p,
            _ => v,
        };
        peak = Some(p);
        *o = v / p - 1.0;
    }
}

/// Running fold in time order with pandas skipna semantics: starts at the
/// first non-NaN value, writes NaN on NaN rows and carries the state over.
fn scan(x: &[f64], out: &mut [f64], f: impl Fn(f64, f64) -> f64) {
    let mut acc: Option<f64> = None;
    for (o, &v) in out.iter_mut().zip(x) {
        if v.is_nan() {
            *o = f64::NAN;
            continue;
        }
        let a = acc.map_or(v, |a| f(a, v));
        acc = Some(a);
        *o = a;
    }
}

/// Running sum in time order, starting at the first non-NaN value.
///
/// Shapes: `x`, `out` of equal length T. Units: those of `x`.
/// NaN: rows before the first non-NaN value; a NaN input gives NaN on that row
/// and the running total carries over to the next defined row.
/// Convention: pandas `x.cumsum()` (skipna=True).
pub fn cumsum(x: &[f64], out: &mut [f64]) {
    check(x, out);
    scan(x, out, |acc, v| acc + v);
}

/// Running product in time order, starting at the first non-NaN value.
///
/// Shapes: `x`, `out` of equal length T. Units: those of `x` (use growth
/// factors `1 + r` for an equity curve).
/// NaN: rows before the first non-NaN value; a NaN input gives NaN on that row
/// and the running product carries over to the next defined row.
/// Convention: pandas `x.cumprod()` (skipna=True).
pub fn cumprod(x: &[f64], out: &mut [f64]) {
    check(x, out);
    scan(x, out, |acc, v| acc * v);
}

#[cfg(test)]
mod tests;
