//! Runs windowed and running plan operations through the `strat-stdlib` kernels. Both the JIT
//! executor and the reference evaluator call these, so windows are one implementation.

use crate::plan::{ScanOp, WindowOp};
use strat_stdlib::{rolling, timeseries};

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
