//! Runs windowed and running plan operations through the `strat-stdlib` kernels. Both the JIT
//! executor and the reference evaluator call these, so windows are one implementation.

use crate::plan::{CrossOp, ScanOp, WindowOp};
use strat_stdlib::{cross_section, rolling, timeseries};

/// Computes `op(x, n)` into `out` (same length as `x`). `n` has been validated by binding.
pub fn run_window(op: WindowOp, x: &[f64], n: usize, out: &mut [f64]) {
    match op {
        WindowOp::Sma => rolling::sma(x, n, out),
        WindowOp::Std => rolling::std(x, n, out),
        WindowOp::Zscore => rolling::zscore(x, n, out),
        WindowOp::RollingMin => rolling::rolling_min(x, n, out),
        WindowOp::RollingMax => rolling::rolling_max(x, n, out),
        WindowOp::Ema => timeseries::ema(x, n, out),
        WindowOp::Ret => timeseries::ret(x, n, out),
        WindowOp::LogRet => timeseries::logret(x, n, out),
        WindowOp::Lag => timeseries::lag(x, n, out),
    }
}

/// Computes the running op over `x` into `out`.
pub fn run_scan(op: ScanOp, x: &[f64], out: &mut [f64]) {
    match op {
        ScanOp::Drawdown => timeseries::drawdown(x, out),
        ScanOp::Cumsum => timeseries::cumsum(x, out),
        ScanOp::Cumprod => timeseries::cumprod(x, out),
    }
}

/// Computes a cross-sectional op over the asset-major panel `x` (`rows * assets` values) into
/// `out` (`rows` values for `count`/`sum`/`mean`, else `rows * assets`). `frac` is the fraction
/// of `top`/`bottom`, whose result is 1 (selected) or 0 (not selected, or no value).
pub fn run_cross(op: CrossOp, x: &[f64], rows: usize, assets: usize, frac: f64, out: &mut [f64]) {
    match op {
        CrossOp::Count => cross_section::count(x, rows, assets, out),
        CrossOp::Sum => cross_section::sum_cs(x, rows, assets, out),
        CrossOp::Mean => cross_section::mean_cs(x, rows, assets, out),
        CrossOp::Rank => cross_section::rank(x, rows, assets, out),
        CrossOp::ZscoreCs => cross_section::zscore_cs(x, rows, assets, out),
        CrossOp::Top | CrossOp::Bottom => {
            if op == CrossOp::Top {
                cross_section::top(x, frac, rows, assets, out)
            } else {
                cross_section::bottom(x, frac, rows, assets, out)
            }
            // A bool panel: an asset without a value is not selected (false), never NaN.
            for v in out.iter_mut() {
                if v.is_nan() {
                    *v = 0.0;
                }
            }
        }
    }
}

/// Runs a window op on every asset of a column of `width` assets, `rows` values each.
pub fn run_window_panel(op: WindowOp, x: &[f64], rows: usize, width: usize, n: usize, out: &mut [f64]) {
    for j in 0..width {
        let r = j * rows..(j + 1) * rows;
        run_window(op, &x[r.clone()], n, &mut out[r]);
    }
}

/// Runs a running op on every asset of a column of `width` assets.
pub fn run_scan_panel(op: ScanOp, x: &[f64], rows: usize, width: usize, out: &mut [f64]) {
    for j in 0..width {
        let r = j * rows..(j + 1) * rows;
        run_scan(op, &x[r.clone()], &mut out[r]);
    }
}
