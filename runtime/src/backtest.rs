//! The single-asset backtest of language v0, exactly as SEMANTICS.md §1–§4 define it.
//!
//! Timing: the weight decided at the close of row `t` earns the return of row `t+1`:
//! `strategy_return[t+1] = w[t] * r[t+1] - cost_rate * |w[t] - w[t-1]|`, with
//! `r[t+1] = P[t+1] / P[t] - 1`. Weights before the first live row `t0` count as 0 (so entering
//! at `t0` costs `cost_rate * |w[t0]|`); a NaN weight after `t0` holds nothing on that bar. The
//! evaluation window is the return rows `t0+1 ..= T-1`; the benchmark (price held at weight 1,
//! no costs) is evaluated on the same rows.

use strat_stdlib::metrics::{equity_curve, information_ratio, mean, metrics, Metrics};

/// What the backtest needs. Prices and weights are asset-major panels of `assets` series of
/// `rows` bars each (a single series is a panel of one asset): asset `j`'s row `t` is at
/// `j * rows + t`.
#[derive(Debug, Clone, Copy)]
pub struct BacktestInput<'a> {
    /// Traded prices (`rows * assets`); NaN where an asset has no price (it then holds nothing).
    pub price: &'a [f64],
    /// Number of assets.
    pub assets: usize,
    /// Target weights decided at each close (`rows * assets`, fractions of equity; negative = short).
    pub weight: &'a [f64],
    /// The weight's static warm-up: the first row at which all of its inputs are defined.
    pub weight_warmup: usize,
    /// Rebalance rows (`rows` flags); `None` resets to target every bar.
    pub rebalance: Option<&'a [bool]>,
    /// Cost per unit of turnover, as a fraction (`2bps` = 0.0002).
    pub cost_rate: f64,
    /// Benchmark price series (`rows`), if any.
    pub benchmark: Option<&'a [f64]>,
    /// Periods per year for annualisation.
    pub periods_per_year: f64,
}

/// The result of one backtest.
#[derive(Debug, Clone, PartialEq)]
pub struct Backtest {
    /// First live row `t0`: the first row past warm-up with a defined weight (and, with a
    /// rebalance schedule, the first rebalance row from there).
    pub first_live: usize,
    /// Weights as held (`rows * assets`, asset-major): 0 before `t0`; a NaN target or a missing
    /// price holds nothing; between rebalances the last rebalance row's targets.
    pub weights: Vec<f64>,
    /// Number of assets.
    pub assets: usize,
    /// Return rows evaluated: `t0+1 ..= T-1`.
    pub rows: std::ops::Range<usize>,
    /// Strategy returns on `rows` (net of costs).
    pub returns: Vec<f64>,
    /// Equity after each return on `rows` (`E[0] = 1` at row `t0` is implied).
    pub equity: Vec<f64>,
    /// Turnover `sum_j |w[t,j] - w[t-1,j]|` decided at each bar (one per bar).
    pub turnover: Vec<f64>,
    /// Gross exposure `sum_j |w[t,j]|` held from each bar's close (one per bar).
    pub gross: Vec<f64>,
    /// Strategy metrics.
    pub metrics: Metrics,
    /// Benchmark returns on `rows`, if a benchmark was given.
    pub benchmark_returns: Option<Vec<f64>>,
    /// Benchmark metrics on the same rows.
    pub benchmark: Option<Metrics>,
    /// Information ratio of the strategy against the benchmark (NaN without one).
    pub information_ratio: f64,
}

impl Backtest {
    /// Mean turnover over the decision rows `t0 ..= T-2` (fraction of equity traded per bar).
    pub fn avg_turnover(&self) -> f64 {
        if self.rows.is_empty() {
            return f64::NAN;
        }
        mean(&self.turnover[self.rows.start - 1..self.rows.end - 1])
    }
}

/// Why a backtest cannot be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum BacktestError {
    /// The weight is NaN or in warm-up on every row (or no rebalance row follows), or it becomes
    /// live only on the last row, so no return is evaluated.
    NeverLive { warmup: usize, rows: usize },
    /// A target weight is infinite (e.g. a division by zero in the weight expression).
    InfiniteWeight { row: usize, asset: usize },
}

impl std::fmt::Display for BacktestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BacktestError::NeverLive { warmup, rows } => write!(
                f,
                "the weight is never live: its warm-up is {warmup} rows and the data has {rows} rows (or the weight is NaN after the warm-up, or no rebalance row follows, or it is live only on the last row)"
            ),
            BacktestError::InfiniteWeight { row, asset } => write!(f, "the weight of asset {asset} is infinite on row {row} (a division by zero?)"),
        }
    }
}

impl std::error::Error for BacktestError {}

/// Simple return of `p` at row `t` (`t >= 1`): `p[t] / p[t-1] - 1`.
#[inline]
pub fn simple_return(p: &[f64], t: usize) -> f64 {
    p[t] / p[t - 1] - 1.0
}

/// Runs the backtest (SEMANTICS.md §1–§3). Errors if the weight never becomes live.
pub fn backtest(input: &BacktestInput) -> Result<Backtest, BacktestError> {
    backtest_memo(input, None)
}

/// [`backtest`], reusing (or filling) a benchmark memo.
pub fn backtest_memo(input: &BacktestInput, memo: Option<&BenchmarkMemo>) -> Result<Backtest, BacktestError> {
    let a = input.assets.max(1);
    let n = input.price.len() / a;
    let w = |t: usize, j: usize| input.weight[j * n + t];
    let p = |t: usize, j: usize| input.price[j * n + t];
    let never = BacktestError::NeverLive { warmup: input.weight_warmup, rows: n };
    let t_live = (input.weight_warmup..n).find(|&t| (0..a).any(|j| !w(t, j).is_nan())).ok_or(never.clone())?;
    let t0 = match input.rebalance {
        None => t_live,
        Some(flags) => (t_live..n).find(|&t| flags[t]).ok_or(never)?,
    };
    if t0 + 1 >= n {
        return Err(BacktestError::NeverLive { warmup: input.weight_warmup, rows: n });
    }
    let mut weights = vec![0.0; n * a];
    let mut src = t0;
    for t in t0..n {
        if input.rebalance.is_none_or(|f| f[t]) {
            src = t;
        }
        for j in 0..a {
            let target = w(src, j);
            if target.is_infinite() && !p(t, j).is_nan() {
                return Err(BacktestError::InfiniteWeight { row: t, asset: j });
            }
            weights[j * n + t] = if target.is_nan() || p(t, j).is_nan() { 0.0 } else { target };
        }
    }
    let held = |t: usize, j: usize| weights[j * n + t];
    // Turnover and gross exposure in contiguous passes per asset: each row adds its assets in
    // the same order (j = 0..a) to the same neutral element as a row-wise `sum()`, so the values
    // are bit-identical, without strided reads.
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut turnover = vec![zero; n];
    let mut gross = vec![zero; n];
    for j in 0..a {
        let mut prev = 0.0;
        for ((tv, g), &x) in turnover.iter_mut().zip(gross.iter_mut()).zip(&weights[j * n..(j + 1) * n]) {
            *tv += (x - prev).abs();
            *g += x.abs();
            prev = x;
        }
    }
    let mut returns = Vec::with_capacity(n - t0 - 1);
    let mut exposure = Vec::with_capacity(n - t0 - 1);
    for t in (t0 + 1)..n {
        let mut gross = 0.0;
        let mut expo = 0.0;
        for j in 0..a {
            let wj = held(t - 1, j);
            let r = p(t, j) / p(t - 1, j) - 1.0;
            if wj != 0.0 && !r.is_nan() {
                gross += wj * r;
            }
            expo += wj.abs();
        }
        returns.push(gross - input.cost_rate * turnover[t - 1]);
        exposure.push(expo);
    }
    Ok(finish(t0, weights, a, returns, exposure, turnover, gross, input.benchmark, input.periods_per_year, memo))
}

/// The benchmark's returns and metrics on one evaluation window: they depend only on the window
/// (and the benchmark prices), so a sweep computes them once and shares them.
#[derive(Debug, Clone)]
struct BenchmarkRun {
    rows: std::ops::Range<usize>,
    periods_per_year: f64,
    returns: Vec<f64>,
    metrics: Metrics,
}

/// A memo of the benchmark of the first evaluation window seen (for one benchmark price series:
/// never share one between runs on different benchmarks). A run on another window computes its own.
#[derive(Debug, Default)]
pub struct BenchmarkMemo(std::sync::OnceLock<BenchmarkRun>);

/// Metrics, equity and benchmark of a finished return series (rows `t0+1 ..`).
#[allow(clippy::too_many_arguments)]
fn finish(t0: usize, weights: Vec<f64>, assets: usize, returns: Vec<f64>, exposure: Vec<f64>, turnover: Vec<f64>, gross: Vec<f64>, benchmark: Option<&[f64]>, periods_per_year: f64, memo: Option<&BenchmarkMemo>) -> Backtest {
    let rows = (t0 + 1)..(t0 + 1 + returns.len());
    let m = metrics(&returns, &exposure, periods_per_year);
    let equity = equity_curve(&returns);
    let (benchmark_returns, benchmark, ir) = match benchmark {
        Some(b) => {
            let (br, bm) = match memo.and_then(|m| m.0.get()).filter(|k| k.rows == rows && k.periods_per_year.to_bits() == periods_per_year.to_bits()) {
                Some(k) => (k.returns.clone(), k.metrics),
                None => {
                    let br: Vec<f64> = rows.clone().map(|t| simple_return(b, t)).collect();
                    let ones = vec![1.0; br.len()];
                    let bm = metrics(&br, &ones, periods_per_year);
                    if let Some(m) = memo {
                        let _ = m.0.set(BenchmarkRun { rows: rows.clone(), periods_per_year, returns: br.clone(), metrics: bm });
                    }
                    (br, bm)
                }
            };
            let ir = information_ratio(&returns, &br, periods_per_year);
            (Some(br), Some(bm), ir)
        }
        None => (None, None, f64::NAN),
    };
    Backtest { first_live: t0, weights, assets, rows, returns, equity, turnover, gross, metrics: m, benchmark_returns, benchmark, information_ratio: ir }
}

/// An ensemble of sleeves (SEMANTICS.md §6, regime ensemble): on return row `t`, the arm
/// `regime[t-1]` allocates `c_k` to sleeve `k`: `return[t] = sum_k c_k * sleeve_k[t]`, the
/// remainder in cash. Live from `t0 = max(regime warm-up, every sleeve's first live row)`.
///
/// `arms[a]` lists (sleeve, coefficient) pairs for arm `a`; the held "weights" of the result are
/// the allocations per sleeve (`rows * sleeves`, asset-major), its turnover their L1 change, and
/// its exposure `sum_k |c_k| * exposure_k`.
pub fn ensemble(regime: &[f64], regime_warmup: usize, sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>], benchmark: Option<&[f64]>, periods_per_year: f64) -> Result<Backtest, BacktestError> {
    ensemble_memo(regime, regime_warmup, sleeves, arms, benchmark, periods_per_year, None)
}

/// [`ensemble`], reusing (or filling) a benchmark memo.
pub fn ensemble_memo(regime: &[f64], regime_warmup: usize, sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>], benchmark: Option<&[f64]>, periods_per_year: f64, memo: Option<&BenchmarkMemo>) -> Result<Backtest, BacktestError> {
    let n = regime.len();
    let s = sleeves.len();
    // Live when the regime and every sleeve an arm allocates to are live.
    let used: Vec<bool> = (0..s).map(|k| arms.iter().any(|a| a.iter().any(|&(j, _)| j == k))).collect();
    let t0 = sleeves.iter().enumerate().filter(|(k, _)| used[*k]).map(|(_, b)| b.first_live).chain(std::iter::once(regime_warmup)).max().unwrap_or(0);
    if t0 + 1 >= n {
        return Err(BacktestError::NeverLive { warmup: t0, rows: n });
    }
    let sleeve_return = |k: usize, t: usize| -> f64 {
        let b = sleeves[k];
        if t < b.rows.start || t >= b.rows.end { 0.0 } else { b.returns[t - b.rows.start] }
    };
    let sleeve_exposure = |k: usize, t: usize| -> f64 { sleeves[k].gross[t] };
    let arm_of = |t: usize| -> usize { if regime[t].is_nan() { usize::MAX } else { regime[t] as usize } };
    let mut alloc = vec![0.0; n * s];
    for t in t0..n {
        if let Some(terms) = arms.get(arm_of(t)) {
            for &(k, c) in terms {
                alloc[k * n + t] += c;
            }
        }
    }
    // Turnover and gross in contiguous passes per sleeve: each row adds its sleeves in the same
    // order (k = 0..s) to the same neutral element as a row-wise `sum()`, so the values are
    // bit-identical, without strided reads.
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut turnover = vec![zero; n];
    let mut gross = vec![zero; n];
    for k in 0..s {
        let mut prev = 0.0;
        for ((tv, g), &x) in turnover.iter_mut().zip(gross.iter_mut()).zip(&alloc[k * n..(k + 1) * n]) {
            *tv += (x - prev).abs();
            *g += x.abs();
            prev = x;
        }
    }
    let mut returns = Vec::with_capacity(n - t0 - 1);
    let mut exposure = Vec::with_capacity(n - t0 - 1);
    for t in t0 + 1..n {
        let mut r = 0.0;
        let mut e = 0.0;
        if let Some(terms) = arms.get(arm_of(t - 1)) {
            for &(k, c) in terms {
                r += c * sleeve_return(k, t);
                e += c.abs() * sleeve_exposure(k, t - 1);
            }
        }
        returns.push(r);
        exposure.push(e);
    }
    Ok(finish(t0, alloc, s, returns, exposure, turnover, gross, benchmark, periods_per_year, memo))
}

/// A book of sleeves held with per-bar allocations (`hold [s1, s2] weight W`; SEMANTICS.md §6
/// "Strategy weighting" applied to sleeves): on return row `t`, `return[t] = sum_k a_k[t-1] *
/// sleeve_k[t]`, the remainder in cash, where `alloc` (`rows * sleeves`, asset-major) holds the
/// allocations decided at each close, NaN before the first rebalance. Live from the first row
/// with a defined allocation; a sleeve earns 0 on rows it is not live.
///
/// As for [`ensemble`], the held "weights" of the result are the allocations, its turnover
/// their L1 change and its exposure `sum_k |a_k| * exposure_k`.
pub fn sleeve_book(alloc: &[f64], sleeves: &[&Backtest], benchmark: Option<&[f64]>, periods_per_year: f64, memo: Option<&BenchmarkMemo>) -> Result<Backtest, BacktestError> {
    let s = sleeves.len();
    let n = alloc.len().checked_div(s).unwrap_or(0);
    let t0 = (0..n).find(|&t| (0..s).any(|k| !alloc[k * n + t].is_nan())).unwrap_or(n);
    if t0 + 1 >= n {
        return Err(BacktestError::NeverLive { warmup: t0, rows: n });
    }
    let a = |k: usize, t: usize| -> f64 {
        let v = alloc[k * n + t];
        if v.is_nan() { 0.0 } else { v }
    };
    let sleeve_return = |k: usize, t: usize| -> f64 {
        let b = sleeves[k];
        if t < b.rows.start || t >= b.rows.end { 0.0 } else { b.returns[t - b.rows.start] }
    };
    let held: Vec<f64> = (0..s).flat_map(|k| (0..n).map(move |t| (k, t))).map(|(k, t)| if t < t0 { 0.0 } else { a(k, t) }).collect();
    let mut turnover = vec![0.0; n];
    let mut gross = vec![0.0; n];
    for (t, (tv, g)) in turnover.iter_mut().zip(gross.iter_mut()).enumerate() {
        for k in 0..s {
            let prev = if t == 0 { 0.0 } else { held[k * n + t - 1] };
            *tv += (held[k * n + t] - prev).abs();
            *g += held[k * n + t].abs();
        }
    }
    let mut returns = Vec::with_capacity(n - t0 - 1);
    let mut exposure = Vec::with_capacity(n - t0 - 1);
    for t in t0 + 1..n {
        let mut r = 0.0;
        let mut e = 0.0;
        for k in 0..s {
            r += held[k * n + t - 1] * sleeve_return(k, t);
            e += held[k * n + t - 1].abs() * sleeves[k].gross[t - 1];
        }
        returns.push(r);
        exposure.push(e);
    }
    Ok(finish(t0, held, s, returns, exposure, turnover, gross, benchmark, periods_per_year, memo))
}

/// `report NAME = e`: the mean of `e` over the decision rows whose returns are evaluated,
/// rows `t0 ..= T-2` (SEMANTICS.md §4); a bool column (0/1) gives the fraction of those rows.
pub fn report_mean(e: &[f64], bt: &Backtest) -> f64 {
    let (start, end) = (bt.rows.start - 1, bt.rows.end - 1);
    mean(&e[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_costs_and_first_live_row() {
        // Prices 100, 110, 99, 99, 108.9; weight NaN (warm-up) on row 0, then 1, 0.5, 0.5, 1.
        let price = [100.0, 110.0, 99.0, 99.0, 108.9];
        let weight = [f64::NAN, 1.0, 0.5, 0.5, 1.0];
        let bt = backtest(&BacktestInput { price: &price, assets: 1, weight: &weight, weight_warmup: 0, rebalance: None, cost_rate: 0.001, benchmark: Some(&price), periods_per_year: 252.0 }).unwrap();
        assert_eq!(bt.first_live, 1);
        assert_eq!(bt.rows, 2..5);
        // Row 2 return: w[1] = 1 earns 99/110 - 1, minus the entry cost 0.001 * |1 - 0|.
        let r2 = 1.0 * (99.0 / 110.0 - 1.0) - 0.001 * 1.0;
        // Row 3: w[2] = 0.5 earns 0, minus cost 0.001 * 0.5.
        let r3 = 0.5 * (99.0 / 99.0 - 1.0) - 0.001 * 0.5;
        // Row 4: w[3] = 0.5 earns 108.9/99 - 1, no turnover.
        let r4 = 0.5 * (108.9 / 99.0 - 1.0) - 0.0;
        assert_eq!(bt.returns, vec![r2, r3, r4]);
        assert_eq!(bt.benchmark_returns.clone().unwrap(), vec![99.0 / 110.0 - 1.0, 0.0, 108.9 / 99.0 - 1.0]);
        let bool_col = [0.0, 1.0, 0.0, 1.0, 1.0];
        // Decision rows 1..=3: 1, 0, 1.
        assert_eq!(report_mean(&bool_col, &bt), 2.0 / 3.0);
    }

    #[test]
    fn warmup_delays_the_first_live_row_even_when_the_weight_is_defined() {
        let price = [1.0, 2.0, 3.0, 4.0];
        let weight = [1.0, 1.0, 1.0, 1.0];
        let bt = backtest(&BacktestInput { price: &price, assets: 1, weight: &weight, weight_warmup: 2, rebalance: None, cost_rate: 0.0, benchmark: None, periods_per_year: 252.0 }).unwrap();
        assert_eq!(bt.first_live, 2);
        assert_eq!(bt.returns, vec![4.0 / 3.0 - 1.0]);
        assert!(backtest(&BacktestInput { price: &price, assets: 1, weight: &[f64::NAN; 4], weight_warmup: 0, rebalance: None, cost_rate: 0.0, benchmark: None, periods_per_year: 252.0 }).is_err());
    }

    #[test]
    fn panel_with_late_asset_and_monthly_rebalance() {
        // Two assets, 5 rows; asset 1 has no price on rows 0-1. Rebalance on rows 1 and 3.
        let price = [10.0, 11.0, 12.0, 12.0, 13.2, f64::NAN, f64::NAN, 20.0, 22.0, 11.0];
        let weight = [0.5, 0.5, 0.6, 0.7, 0.8, 0.5, 0.5, 0.5, 0.4, 0.3];
        let flags = [false, true, false, true, true];
        let bt = backtest(&BacktestInput { price: &price, assets: 2, weight: &weight, weight_warmup: 0, rebalance: Some(&flags), cost_rate: 0.01, benchmark: None, periods_per_year: 252.0 }).unwrap();
        assert_eq!(bt.first_live, 1);
        // Held: row 1 target (0.5, 0.5) but asset 1 has no price on row 1 -> (0.5, 0); row 2
        // keeps row 1's targets -> (0.5, 0.5); row 3 rebalances -> (0.7, 0.4); row 4 -> (0.8, 0.3).
        assert_eq!(bt.weights, vec![0.0, 0.5, 0.5, 0.7, 0.8, 0.0, 0.0, 0.5, 0.4, 0.3]);
        let d = |a: f64, b: f64| (a - b).abs();
        assert_eq!(bt.turnover, vec![0.0, 0.5 + 0.0, d(0.5, 0.5) + d(0.5, 0.0), d(0.7, 0.5) + d(0.4, 0.5), d(0.8, 0.7) + d(0.3, 0.4)]);
        let r2 = 0.5 * (12.0 / 11.0 - 1.0) - 0.01 * 0.5;
        let r3 = (0.5 * (12.0 / 12.0 - 1.0) + 0.5 * (22.0 / 20.0 - 1.0)) - 0.01 * bt.turnover[2];
        assert_eq!(bt.returns[0], r2);
        assert_eq!(bt.returns[1], r3);
        assert_eq!(bt.avg_turnover(), (0.5 + 0.5 + bt.turnover[3]) / 3.0);
    }
}
