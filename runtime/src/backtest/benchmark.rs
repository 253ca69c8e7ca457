//! Finishing a backtest: its metrics, equity and benchmark (memoised per evaluation window).

use super::*;

/// The benchmark's returns and metrics on one evaluation window: they depend only on the window
/// (and the benchmark prices), so a sweep computes them once and shares them.
#[derive(Debug, Clone)]
pub(super) struct BenchmarkRun {
    rows: std::ops::Range<usize>,
    periods_per_year: f64,
    returns: Vec<f64>,
    metrics: Metrics,
}

/// A memo of one benchmark price series (never share one between runs on different benchmarks):
/// its simple return on every row, computed once and sliced by each evaluation window, and the
/// metrics of the first window seen (a run on another window computes its own metrics).
#[derive(Debug, Default)]
pub struct BenchmarkMemo {
    /// The metrics (and returns) of the first evaluation window seen.
    first: std::sync::OnceLock<BenchmarkRun>,
    /// `simple_return(b, t)` for every row `t >= 1` (index `t`; NaN at row 0).
    returns: std::sync::OnceLock<Vec<f64>>,
}

/// The benchmark's returns on `rows` (`rows.start >= 1`): a slice of the memo's all-rows returns
/// when there is a memo (a window-independent value, so every window of a sweep shares it), else
/// computed for these rows. The same values either way: each is `simple_return(b, t)`.
fn benchmark_returns<'m>(b: &[f64], rows: &std::ops::Range<usize>, memo: Option<&'m BenchmarkMemo>) -> std::borrow::Cow<'m, [f64]> {
    match memo {
        Some(m) => {
            let all = m.returns.get_or_init(|| (0..b.len()).map(|t| if t == 0 { f64::NAN } else { simple_return(b, t) }).collect());
            std::borrow::Cow::Borrowed(&all[rows.clone()])
        }
        None => std::borrow::Cow::Owned(rows.clone().map(|t| simple_return(b, t)).collect()),
    }
}

/// The backtest of a finished return series (rows `t0+1 ..`): its metrics, equity and
/// benchmark. `weights` (`rows * assets`, asset-major) are the held weights (or a combined
/// book's allocations per sleeve); `exposure` is per return row; `turnover`, `gross` per row.
/// Re-exported as `backtest::assemble` for the portfolio stage.
#[allow(clippy::too_many_arguments)]
pub fn finish(
    t0: usize,
    weights: Vec<f64>,
    assets: usize,
    returns: Vec<f64>,
    exposure: Vec<f64>,
    turnover: Vec<f64>,
    gross: Vec<f64>,
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Backtest {
    let rows = (t0 + 1)..(t0 + 1 + returns.len());
    let m = metrics(&returns, &exposure, periods_per_year);
    let equity = equity_curve(&returns);
    let (benchmark_returns, benchmark, ir) = match benchmark {
        Some(b) => {
            let bench = benchmark_run(b, &rows, periods_per_year, memo);
            let ir = information_ratio(&returns, &bench.returns, periods_per_year);
            (Some(bench.returns.into_owned()), Some(bench.metrics), ir)
        }
        None => (None, None, f64::NAN),
    };
    let (active_return, tracking_error) = match &benchmark_returns {
        Some(b) => active_stats(&returns, b, periods_per_year),
        None => (f64::NAN, f64::NAN),
    };
    let (beta, alpha) = match &benchmark_returns {
        Some(b) => strat_stdlib::metrics::beta_alpha(&returns, b, periods_per_year),
        None => (f64::NAN, f64::NAN),
    };
    Backtest {
        first_live: t0,
        weights,
        assets,
        rows,
        returns,
        exposure,
        equity,
        turnover,
        gross,
        metrics: m,
        benchmark_returns,
        benchmark,
        information_ratio: ir,
        active_return,
        tracking_error,
        beta,
        alpha,
        ruin: None,
        cost: vec![],
        kills: vec![],
        vol_scale: None,
        cash: None,
        limits: vec![],
        trades: vec![],
        row_major: std::sync::OnceLock::new(),
        changed_rows: std::sync::OnceLock::new(),
    }
}

/// The annualised mean and sample standard deviation (ddof = 1, two-pass) of the active return
/// `r - b`: (`mean * ppy`, `std * sqrt(ppy)`); NaN where undefined.
fn active_stats(r: &[f64], b: &[f64], periods_per_year: f64) -> (f64, f64) {
    let n = r.len().min(b.len());
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let d = |i: usize| r[i] - b[i];
    let m = (0..n).map(d).sum::<f64>() / n as f64;
    let sd = if n < 2 { f64::NAN } else { ((0..n).map(|i| (d(i) - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt() };
    (m * periods_per_year, sd * periods_per_year.sqrt())
}

/// The [`Summary`] of a finished return series (rows `t0+1 ..`), given the means of its
/// exposure and of its turnover: the sweep's lean path, without per-row vectors. Re-exported
/// as `backtest::summary_of_path` for the portfolio stage.
pub fn summarize(
    t0: usize,
    returns: &[f64],
    avg_exposure: f64,
    avg_turnover: f64,
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Summary {
    let rows = (t0 + 1)..(t0 + 1 + returns.len());
    let metrics = metrics_given_exposure(returns, avg_exposure, periods_per_year);
    let information_ratio = match benchmark {
        // The lean path needs only the benchmark's returns, not its metrics.
        Some(b) => information_ratio(returns, &benchmark_returns(b, &rows, memo), periods_per_year),
        None => f64::NAN,
    };
    Summary { first_live: t0, rows, metrics, avg_turnover, information_ratio, ruin: None }
}

/// The benchmark's returns and metrics on `rows`: borrowed from `memo` when it holds this
/// window, else computed (and stored in `memo` if it is still empty).
pub(super) fn benchmark_run<'m>(b: &[f64], rows: &std::ops::Range<usize>, periods_per_year: f64, memo: Option<&'m BenchmarkMemo>) -> BenchmarkView<'m> {
    let held = memo.and_then(|m| m.first.get()).filter(|k| k.rows == *rows && k.periods_per_year.to_bits() == periods_per_year.to_bits());
    if let Some(k) = held {
        return BenchmarkView { returns: std::borrow::Cow::Borrowed(&k.returns), metrics: k.metrics };
    }
    let br = benchmark_returns(b, rows, memo);
    let ones = vec![1.0; br.len()];
    let bm = metrics(&br, &ones, periods_per_year);
    if let Some(m) = memo {
        let _ = m.first.set(BenchmarkRun { rows: rows.clone(), periods_per_year, returns: br.to_vec(), metrics: bm });
    }
    BenchmarkView { returns: br, metrics: bm }
}

/// The benchmark of one window, borrowed from a memo or owned.
pub(super) struct BenchmarkView<'m> {
    returns: std::borrow::Cow<'m, [f64]>,
    metrics: Metrics,
}
