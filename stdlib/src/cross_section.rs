//! Cross-sectional kernels over a panel (SEMANTICS.md §5).
//!
//! A panel holds `assets` series of `rows` bars each, stored **asset-major**:
//! `x.len() == rows * assets`, asset `j`'s series is `x[j*rows .. (j+1)*rows]`
//! and row `t` of asset `j` is `x[j*rows + t]`. Kernels that return a panel
//! write `out` in the same layout (`out.len() == rows * assets`); per-row
//! reductions write `out.len() == rows`.
//!
//! Every kernel works row by row on the assets whose value on that row is
//! *defined* (not NaN); `n` is their number. A row uses only its own values,
//! so a value at row `t` depends on rows `<= t` only (no look-ahead).
//! Infinities are defined values (they rank and select like any number).
//! `-0.0` and `0.0` compare equal, so they tie.
//!
//! Kernels panic on mismatched lengths.

/// Checks `x.len() == rows * assets` and `out.len() == want_out`.
fn check(x: &[f64], rows: usize, assets: usize, out: &[f64], want_out: usize, what: &str) {
    let cells = rows
        .checked_mul(assets)
        .expect("rows * assets overflows usize");
    assert_eq!(x.len(), cells, "x must have rows * assets values");
    assert_eq!(out.len(), want_out, "{what}");
}

/// Checks a panel-to-panel kernel's shapes.
fn check_panel(x: &[f64], rows: usize, assets: usize, out: &[f64]) {
    check(
        x,
        rows,
        assets,
        out,
        x.len(),
        "out must have rows * assets values",
    );
}

/// Checks a per-row reduction's shapes.
fn check_rows(x: &[f64], rows: usize, assets: usize, out: &[f64]) {
    check(
        x,
        rows,
        assets,
        out,
        rows,
        "out must have one value per row",
    );
}

/// Collects row `t`'s defined values, in asset order, as `(value, asset)`.
fn defined_row(x: &[f64], rows: usize, assets: usize, t: usize, buf: &mut Vec<(f64, usize)>) {
    buf.clear();
    for j in 0..assets {
        let v = x[j * rows + t];
        if !v.is_nan() {
            buf.push((v, j));
        }
    }
}

/// Sum of the defined values on each row, added in asset order; `0.0` on a row with none
/// (pandas `DataFrame.sum(axis=1)` with its default `skipna=True, min_count=0`).
///
/// Shapes: `x` a `rows x assets` panel (asset-major), `out.len() == rows`.
pub fn sum_cs(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_rows(x, rows, assets, out);
    for (t, o) in out.iter_mut().enumerate() {
        let mut s = 0.0;
        for j in 0..assets {
            let v = x[j * rows + t];
            if !v.is_nan() {
                s += v;
            }
        }
        *o = s;
    }
}

/// Number of defined (non-NaN) values on each row.
///
/// Shapes: `x` a `rows x assets` panel (asset-major), `out.len() == rows`.
/// `out[t] = n` as a float; `0.0` on a row with no defined value (never NaN).
pub fn count(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_rows(x, rows, assets, out);
    for (t, o) in out.iter_mut().enumerate() {
        let n = (0..assets).filter(|&j| !x[j * rows + t].is_nan()).count();
        *o = n as f64;
    }
}

/// Mean of each row's defined values.
///
/// Shapes: `x` a `rows x assets` panel (asset-major), `out.len() == rows`.
/// `out[t] = (sum of the defined values) / n`, summed left to right in asset
/// order; NaN when `n = 0`. Units: those of `x`.
/// Convention: pandas `DataFrame.mean(axis=1)` (`skipna=True`), to rounding.
pub fn mean_cs(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_rows(x, rows, assets, out);
    for (t, o) in out.iter_mut().enumerate() {
        let mut s = 0.0;
        let mut n = 0usize;
        for j in 0..assets {
            let v = x[j * rows + t];
            if !v.is_nan() {
                s += v;
                n += 1;
            }
        }
        *o = if n == 0 { f64::NAN } else { s / n as f64 };
    }
}

/// Cross-sectional percentile rank: average 1-based rank among the row's
/// defined values, divided by `n`.
///
/// Shapes: `x`, `out` `rows x assets` panels (asset-major). Values in
/// `(0, 1]`; the largest defined value of a row gets `1.0`, a row with a
/// single defined value gets `1.0`. Tied values share the mean of the ranks
/// they span (`(first + last) / 2`, 1-based). NaN stays NaN.
/// Convention: pandas `DataFrame.rank(axis=1, method='average', pct=True)`
/// (`na_option='keep'`), SEMANTICS.md §5.
pub fn rank(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_panel(x, rows, assets, out);
    let mut buf = Vec::with_capacity(assets);
    for t in 0..rows {
        for j in 0..assets {
            out[j * rows + t] = f64::NAN;
        }
        defined_row(x, rows, assets, t, &mut buf);
        let n = buf.len();
        // Defined values are never NaN, so `partial_cmp` is total here.
        buf.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("defined values are not NaN"));
        let mut i = 0;
        while i < n {
            let mut k = i;
            while k + 1 < n && buf[k + 1].0 == buf[i].0 {
                k += 1;
            }
            // 1-based ranks i+1 ..= k+1 share their mean; exact in doubles.
            let avg = (i + k + 2) as f64 / 2.0;
            for &(_, j) in &buf[i..=k] {
                out[j * rows + t] = avg / n as f64;
            }
            i = k + 1;
        }
    }
}

/// Cross-sectional z-score: `(x - mean) / std` over the row's defined values.
///
/// Shapes: `x`, `out` `rows x assets` panels (asset-major). Units: none.
/// `mean` is summed in asset order (as [`mean_cs`]); `std` is the sample
/// standard deviation (ddof = 1), two-pass (the mean first, then the squared
/// deviations summed in asset order), and exactly `0` when all defined values
/// of the row are equal (compared exactly), as the rolling `std` of
/// SEMANTICS.md §5.
/// NaN: where `x` is NaN; on the whole row when `n < 2` or when that std is
/// 0 (never ±inf), and on a row holding an infinity (its std is NaN).
/// Convention: pandas `df.sub(df.mean(axis=1), axis=0).div(df.std(axis=1),
/// axis=0)`, except that a constant row is NaN here (pandas may leave a
/// rounding residue in its std).
pub fn zscore_cs(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_panel(x, rows, assets, out);
    let mut buf = Vec::with_capacity(assets);
    for t in 0..rows {
        for j in 0..assets {
            out[j * rows + t] = f64::NAN;
        }
        defined_row(x, rows, assets, t, &mut buf);
        let n = buf.len();
        if n < 2 || buf.iter().all(|&(v, _)| v == buf[0].0) {
            continue;
        }
        let mut s = 0.0;
        for &(v, _) in &buf {
            s += v;
        }
        let mean = s / n as f64;
        let mut ss = 0.0;
        for &(v, _) in &buf {
            let d = v - mean;
            ss += d * d;
        }
        let sd = (ss / (n - 1) as f64).sqrt();
        if sd == 0.0 || sd.is_nan() {
            // Infinities, or differences whose squares underflow.
            continue;
        }
        for &(v, j) in &buf {
            out[j * rows + t] = (v - mean) / sd;
        }
    }
}

/// The number of scaled fraction units per 1 (six decimal places).
const FRACTION_SCALE: u128 = 1_000_000;

/// `floor(n * frac)` with `frac` taken as its exact decimal literal.
///
/// `frac` is read as the decimal `m / 1e6` with `m = round(frac * 1e6)` (an
/// integer), i.e. the literal's value for literals with up to six decimal
/// places, and the result is `floor(n * m / 1e6)` in integer arithmetic. So
/// `count_of_fraction(100, 0.29) == 29` although the double product
/// `100.0 * 0.29` is `28.999999999999996` (and `0.57 * 100.0` is
/// `56.99999999999999`); products that land just above an integer
/// (`0.7 * 10.0 = 7.000000000000001`) floor correctly either way. For any
/// `frac` within a few ulps of a six-place decimal, `frac * 1e6` is within
/// far less than 0.5 of `m`, so the rounding recovers the literal exactly.
///
/// Literals with more than six decimal places are rounded to six
/// (`1/3` counts as `0.333333`). A NaN, negative or zero `frac` gives 0; a
/// `frac` above 1 gives more than `n` (callers clamp); the result saturates
/// at `usize::MAX`.
pub fn count_of_fraction(n: usize, frac: f64) -> usize {
    let scaled = (frac * FRACTION_SCALE as f64).round();
    if scaled.is_nan() || scaled <= 0.0 {
        return 0;
    }
    // `as` saturates for huge values (and +inf).
    let m = scaled as u128;
    match (n as u128).checked_mul(m) {
        Some(p) => usize::try_from(p / FRACTION_SCALE).unwrap_or(usize::MAX),
        None => usize::MAX,
    }
}

/// Shared body of [`top`] and [`bottom`]: marks the first `k` defined values
/// of each row sorted by value (descending when `highest`); the stable sort
/// keeps the asset order among ties.
fn select(x: &[f64], frac: f64, rows: usize, assets: usize, out: &mut [f64], highest: bool) {
    check_panel(x, rows, assets, out);
    let mut buf = Vec::with_capacity(assets);
    for t in 0..rows {
        for j in 0..assets {
            out[j * rows + t] = f64::NAN;
        }
        defined_row(x, rows, assets, t, &mut buf);
        let n = buf.len();
        if n == 0 {
            continue;
        }
        let k = count_of_fraction(n, frac).max(1).min(n);
        // Stable sort: equal values keep the asset order, so ties go to the
        // lower asset index in both directions.
        if highest {
            buf.sort_by(|a, b| b.0.partial_cmp(&a.0).expect("defined values are not NaN"));
        } else {
            buf.sort_by(|a, b| a.0.partial_cmp(&b.0).expect("defined values are not NaN"));
        }
        for (rank, &(_, j)) in buf.iter().enumerate() {
            out[j * rows + t] = if rank < k { 1.0 } else { 0.0 };
        }
    }
}

/// Selects the `k` highest defined values of each row.
///
/// Shapes: `x`, `out` `rows x assets` panels (asset-major); `frac` a fraction
/// in `(0, 1]` given as a decimal literal.
/// `k = max(1, floor(n * frac))` with the floor taken on the exact decimal
/// value of `frac` ([`count_of_fraction`]), capped at `n`. `out` is `1.0` for
/// the `k` selected assets, `0.0` for the other defined ones and NaN where
/// `x` is NaN; a row with `n = 0` selects nothing (all NaN).
/// Ties: among equal values the lower asset index is selected first (a stable
/// selection), SEMANTICS.md §5. A `frac` of 0 (or negative, or NaN) still
/// selects one asset per non-empty row.
pub fn top(x: &[f64], frac: f64, rows: usize, assets: usize, out: &mut [f64]) {
    select(x, frac, rows, assets, out, true);
}

/// Selects the `k` lowest defined values of each row.
///
/// As [`top`], with the lowest values: `k = max(1, floor(n * frac))` (exact
/// decimal `frac`, capped at `n`); `1.0` selected, `0.0` other defined, NaN
/// where `x` is NaN; among equal values the lower asset index is selected
/// first; a row with `n = 0` selects nothing.
pub fn bottom(x: &[f64], frac: f64, rows: usize, assets: usize, out: &mut [f64]) {
    select(x, frac, rows, assets, out, false);
}

#[cfg(test)]
mod sum_tests {
    #[test]
    fn sum_skips_nan_and_is_zero_when_empty() {
        // 2 rows x 3 assets, asset-major.
        let x = [1.0, f64::NAN, 2.5, f64::NAN, 4.0, f64::NAN];
        let mut out = [0.0; 2];
        super::sum_cs(&x, 2, 3, &mut out);
        assert_eq!(out, [1.0 + 2.5 + 4.0, 0.0]);
    }
}

#[cfg(test)]
mod tests;
