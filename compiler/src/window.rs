//! Runs windowed and running plan operations through the `strat-stdlib` kernels. Both the
//! runtime's plan runner (`strat_runtime::plan_runner`, which executes the JIT kernels) and the
//! reference evaluator call these, so windows are one implementation.

use crate::plan::{CrossOp, ScanOp, WindowOp};
use rayon::prelude::*;
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
/// of `top`/`bottom`, whose result is 1 (selected) or 0 (not selected, or no value). Rows are
/// independent: the panel-valued ops run on blocks of rows in parallel (rayon), each row with
/// exactly the operations of the whole-panel kernel.
pub fn run_cross(op: CrossOp, x: &[f64], rows: usize, assets: usize, frac: f64, out: &mut [f64]) {
    match op {
        CrossOp::Count => cross_section::count(x, rows, assets, out),
        CrossOp::Sum => cross_section::sum_cs(x, rows, assets, out),
        CrossOp::Mean => cross_section::mean_cs(x, rows, assets, out),
        CrossOp::Rank => per_row_block(x, rows, assets, out, |b| cross_section::rank_block(x, rows, assets, b)),
        CrossOp::ZscoreCs => per_row_block(x, rows, assets, out, |b| cross_section::zscore_cs_block(x, rows, assets, b)),
        // An asset without a value is NaN, not 0 (spec/semantics.md §10): a NaN bool reads as
        // false in `if`, `and`, `or`, `not` and in `==` / `!=` between bools.
        CrossOp::Top => per_row_block(x, rows, assets, out, |b| cross_section::top_block(x, frac, rows, assets, b)),
        CrossOp::Bottom => per_row_block(x, rows, assets, out, |b| cross_section::bottom_block(x, frac, rows, assets, b)),
    }
}

/// Rows per block of a parallel cross-sectional op: enough blocks to balance the threads, none so
/// small that the split costs more than the work.
const MIN_BLOCK_ROWS: usize = 256;

/// Splits the `rows * assets` output panel `out` into row blocks and calls `f` on each, in
/// parallel when there is more than one block.
fn per_row_block(x: &[f64], rows: usize, assets: usize, out: &mut [f64], f: impl Fn(&mut cross_section::RowBlock<'_>) + Sync) {
    assert_eq!(x.len(), rows * assets, "x must hold rows * assets values");
    assert_eq!(out.len(), rows * assets, "out must hold rows * assets values");
    if rows == 0 || assets == 0 {
        return;
    }
    let block_rows = rows.div_ceil(4 * rayon::current_num_threads()).max(MIN_BLOCK_ROWS);
    cross_section::row_blocks(out, rows, block_rows).into_par_iter().for_each(|mut b| f(&mut b));
}

/// Runs a window op on every asset of a column of `width` assets, `rows` values each (asset-major,
/// `x` and `out` of `rows * width` values). The assets are independent, so they run in parallel
/// (rayon); each asset's values are those of [`run_window`] on its own series.
pub fn run_window_panel(op: WindowOp, x: &[f64], rows: usize, width: usize, n: usize, out: &mut [f64]) {
    per_asset(x, rows, width, out, |x, out| run_window(op, x, n, out));
}

/// Runs a running op on every asset of a column of `width` assets, in parallel as
/// [`run_window_panel`].
pub fn run_scan_panel(op: ScanOp, x: &[f64], rows: usize, width: usize, out: &mut [f64]) {
    per_asset(x, rows, width, out, |x, out| run_scan(op, x, out));
}

/// Calls `f(asset series, asset output)` for each of the `width` assets of the asset-major
/// panels `x` and `out`, in parallel when there is more than one asset.
fn per_asset(x: &[f64], rows: usize, width: usize, out: &mut [f64], f: impl Fn(&[f64], &mut [f64]) + Sync) {
    assert_eq!(x.len(), rows * width, "x must hold rows * width values");
    assert_eq!(out.len(), rows * width, "out must hold rows * width values");
    if width <= 1 || rows == 0 {
        if width == 1 {
            f(x, out);
        }
        return;
    }
    x.par_chunks(rows).zip(out.par_chunks_mut(rows)).for_each(|(x, out)| f(x, out));
}
