//! The sweep's lean path: a backtest's figures without its per-row vectors.

use super::*;

/// What a sweep keeps of one backtest: the figures of [`Backtest`] without its per-row vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// First live row `t0` (as [`Backtest::first_live`]).
    pub first_live: usize,
    /// Return rows evaluated: `t0+1 ..= T-1`.
    pub rows: std::ops::Range<usize>,
    /// Strategy metrics (as [`Backtest::metrics`]).
    pub metrics: Metrics,
    /// Mean turnover over the decision rows (as [`Backtest::avg_turnover`]).
    pub avg_turnover: f64,
    /// Information ratio against the benchmark (NaN without one).
    pub information_ratio: f64,
    /// The ruin row (as [`Backtest::ruin`]).
    pub ruin: Option<usize>,
}

impl Summary {
    /// The summary of a full backtest: the same figures.
    pub fn of(b: &Backtest) -> Summary {
        Summary {
            first_live: b.first_live,
            rows: b.rows.clone(),
            metrics: b.metrics,
            avg_turnover: b.avg_turnover(),
            information_ratio: b.information_ratio,
            ruin: b.ruin,
        }
    }
}

/// [`backtest_memo`] reduced to a [`Summary`]: the same arithmetic in the same order, so the
/// figures are bit-identical, but without the held-weight, equity and benchmark vectors. A run
/// that ends in ruin or fails on a non-finite value (rare) takes the full path.
pub fn backtest_summary(input: &BacktestInput, memo: Option<&BenchmarkMemo>) -> Result<Summary, BacktestError> {
    let n = shape(input).1;
    let Some((t0, sums, returns)) = lean_path(input)? else {
        return backtest_memo(input, memo).map(|b| Summary::of(&b));
    };
    let avg_exposure = mean(&sums.gross[t0..n - 1]);
    let avg_turnover = mean(&sums.turnover[t0..n - 1]);
    Ok(summarize(t0, &returns, avg_exposure, avg_turnover, input.benchmark, input.periods_per_year, memo))
}

/// The first live row, the per-row sums and the net returns of a book without its held weights;
/// `None` when the returns end in ruin or meet a non-finite value (the full path reports it).
fn lean_path(input: &BacktestInput) -> Result<Option<(usize, RowSums, Vec<f64>)>, BacktestError> {
    let t0 = first_live(input)?;
    let sums = accumulate(input, t0, None)?;
    let returns = sums.net_returns(t0, input.cost_rate);
    Ok((scan_path(&returns, t0, true) == Ok(None)).then_some((t0, sums, returns)))
}

/// A run's first return row, its net returns (fractions, one per row from there) and the gross
/// exposure behind each (fraction of equity).
pub type ReturnsPath = (usize, Vec<f64>, Vec<f64>);

/// A walk-forward's lean path: the first return row `t0 + 1`, the net returns (rows
/// `t0+1 ..= T-1`) and the exposure behind each (the gross held from the row before), the values
/// of [`backtest_memo`]'s `returns` and `exposure` bit for bit, without its held-weight, equity
/// and benchmark vectors or its metrics. `Ok(None)` for a run that ends in ruin or meets a
/// non-finite value (rare): the caller then takes the full path, which reports it.
///
/// Errors: as [`backtest_memo`] before the returns exist (never live, an infinite target).
pub fn backtest_returns(input: &BacktestInput) -> Result<Option<ReturnsPath>, BacktestError> {
    let n = shape(input).1;
    Ok(lean_path(input)?.map(|(t0, sums, returns)| (t0 + 1, returns, sums.gross[t0..n - 1].to_vec())))
}
