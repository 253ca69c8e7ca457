//! A book of sleeves held with per-bar allocations (`hold [s1, s2] weight W`).

use super::*;

/// A book of sleeves held with per-bar allocations (`hold [s1, s2] weight W`; SEMANTICS.md §6
/// "Strategy weighting" applied to sleeves): on return row `t`, `return[t] = sum_k a_k[t-1] *
/// sleeve_k[t]`, the remainder in cash, where `alloc` (`rows * sleeves`, asset-major) holds the
/// allocations decided at each close, NaN before the first rebalance. Live from the first row
/// with a defined allocation; a sleeve earns 0 on rows it is not live.
///
/// As for [`ensemble`], the held "weights" of the result are the allocations, its turnover
/// their L1 change and its exposure `sum_k |a_k| * exposure_k`.
pub fn sleeve_book(
    alloc: &[f64],
    sleeves: &[&Backtest],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Result<Backtest, BacktestError> {
    let s = sleeves.len();
    let n = alloc.len().checked_div(s).unwrap_or(0);
    let t0 = (0..n).find(|&t| (0..s).any(|k| !alloc[k * n + t].is_nan())).unwrap_or(n);
    if t0 + 1 >= n {
        return Err(BacktestError::NeverLive { warmup: t0, rows: n });
    }
    // Held allocations: 0 before t0, and 0 for a sleeve without one (NaN) after it.
    let mut held: Vec<f64> = alloc.iter().enumerate().map(|(i, &v)| if i % n < t0 || v.is_nan() { 0.0 } else { v }).collect();
    let rets: Vec<_> = sleeves.iter().map(|b| sleeve_returns_on(b, t0 + 1, n - t0 - 1)).collect();
    let mut returns = Vec::with_capacity(n - t0 - 1);
    let mut exposure = Vec::with_capacity(n - t0 - 1);
    for t in t0 + 1..n {
        let mut r = 0.0;
        let mut e = 0.0;
        for k in 0..s {
            r += held[k * n + t - 1] * rets[k][t - t0 - 1];
            e += held[k * n + t - 1].abs() * sleeves[k].gross[t - 1];
        }
        returns.push(r);
        exposure.push(e);
    }
    let ruin = scan_path(&returns, t0, true)?;
    if let Some(i) = ruin {
        close_allocations(&mut held, n, s, t0 + 1 + i, &mut returns[i + 1..], &mut exposure[i + 1..]);
    }
    let (turnover, gross) = allocation_turnover_and_gross(&held, n, s);
    let mut bt = finish(t0, held, s, returns, exposure, turnover, gross, benchmark, periods_per_year, memo);
    bt.ruin = ruin.map(|i| t0 + 1 + i);
    Ok(bt)
}
