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
    if input.assets <= 1 {
        let t0 = first_live(input)?;
        if let Some(path) = single_asset_path(input, t0) {
            let s = summarize(t0, &path.returns, path.avg_exposure, path.avg_turnover, input.benchmark, input.periods_per_year, memo);
            // `path.clean` rules out a non-finite return and any return at or below -100 %, so
            // the equity `prod (1 + r)` only grows or shrinks by positive factors: it ends
            // finite and positive iff it never left (0, inf), i.e. no ruin (what `scan_path`
            // checks row by row). The test on `total_return = equity - 1` is a little stricter
            // (an equity below 2^-53 reads as -1); anything it refuses takes the full path,
            // which reports what happened with the same figures.
            if path.clean && s.metrics.total_return.is_finite() && s.metrics.total_return > -1.0 {
                return Ok(s);
            }
            return backtest_memo(input, memo).map(|b| Summary::of(&b));
        }
    }
    let Some((t0, sums, returns)) = lean_path(input)? else {
        return backtest_memo(input, memo).map(|b| Summary::of(&b));
    };
    let avg_exposure = mean(&sums.gross[t0..n - 1]);
    let avg_turnover = mean(&sums.turnover[t0..n - 1]);
    Ok(summarize(t0, &returns, avg_exposure, avg_turnover, input.benchmark, input.periods_per_year, memo))
}

/// The lean path of a one-asset book: its held weights, then one pass over its rows.
struct SingleAssetPath {
    /// Net returns, rows `t0+1 ..= T-1`.
    returns: Vec<f64>,
    /// The means of the gross exposure and of the turnover over rows `t0 ..= T-2`.
    avg_exposure: f64,
    avg_turnover: f64,
    /// Every return is finite and above -100 %.
    clean: bool,
    /// The held weight of rows `t0 ..= T-1`.
    held: Vec<f64>,
}

/// The net returns and mean exposure and turnover of a one-asset book from its first live row
/// `t0`: the held weights, then one pass without the per-row sum vectors. The values of
/// [`accumulate`] (one asset: a row's turnover and gross are that asset's terms, its earned
/// return `0.0 +` its term) and [`RowSums::net_returns`], and the [`mean`]s of their rows, bit
/// for bit. `None` when a target is infinite on a row with a price (the general path reports
/// it).
fn single_asset_path(input: &BacktestInput, t0: usize) -> Option<SingleAssetPath> {
    let n = shape(input).1;
    let w = &weight_column(input, 0, n)[..n];
    let p = &input.price[..n];
    // The held weight of each row from `t0` (a NaN target or a missing price holds nothing),
    // and whether a target is infinite on a row with a price.
    let mut held = Vec::with_capacity(n - t0);
    let mut infinite = false;
    match input.rebalance {
        None => held.extend(w[t0..].iter().zip(&p[t0..]).map(|(&v, &price)| {
            infinite |= v.is_infinite() & !price.is_nan();
            if v.is_nan() | price.is_nan() {
                0.0
            } else {
                v
            }
        })),
        Some(flags) => {
            let mut src = t0;
            held.extend((t0..n).map(|t| {
                if flags[t] {
                    src = t;
                }
                let v = w[src];
                infinite |= v.is_infinite() & !p[t].is_nan();
                if v.is_nan() | p[t].is_nan() {
                    0.0
                } else {
                    v
                }
            }));
        }
    }
    if infinite {
        return None;
    }
    let m = n - 1 - t0;
    // Rows t0 .. T-2: the weight held into each return row and the turnover decided on it.
    let h = &held[..m];
    let returns = match input.asset_returns {
        Some(r) => single_asset_returns(h, &r[t0 + 1..n], input.cost_rate),
        None => {
            let simple: Vec<f64> = p[t0 + 1..n].iter().zip(&p[t0..n - 1]).map(|(&p1, &p0)| p1 / p0 - 1.0).collect();
            single_asset_returns(h, &simple, input.cost_rate)
        }
    };
    let (returns, gross_sum, turnover_sum, clean) = returns;
    let rows = m as f64;
    Some(SingleAssetPath { returns, avg_exposure: gross_sum / rows, avg_turnover: turnover_sum / rows, clean, held })
}

/// The net returns of a one-asset book holding `h[i]` into return row `i` whose asset returns
/// are `r[i]` (`h[0]` bought on the row before the first return), with the sums of the gross
/// and the turnover behind them (from 0.0, in row order) and whether every return is finite and
/// above -100 %.
fn single_asset_returns(h: &[f64], r: &[f64], cost: f64) -> (Vec<f64>, f64, f64, bool) {
    // Written in place: a `push` could call the allocator inside the loop, and around a call
    // every float register is spilled (they are all caller-saved).
    let mut returns = vec![0.0; h.len().min(r.len())];
    let (mut gross_sum, mut turnover_sum, mut clean) = (0.0, 0.0, true);
    let mut before = 0.0;
    for ((out, &prev), &rt) in returns.iter_mut().zip(h).zip(r) {
        // The turnover of the first row is its whole position (`|h - 0.0|`).
        let turnover = (prev - before).abs();
        gross_sum += prev.abs();
        turnover_sum += turnover;
        let earned = 0.0 + if prev != 0.0 && !rt.is_nan() { prev * rt } else { 0.0 };
        let net = earned - cost * turnover;
        clean &= net.is_finite() & (net > -1.0);
        *out = net;
        before = prev;
    }
    (returns, gross_sum, turnover_sum, clean)
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
    if input.assets <= 1 {
        let t0 = first_live(input)?;
        if let Some(path) = single_asset_path(input, t0) {
            if !(path.clean && scan_path(&path.returns, t0, true) == Ok(None)) {
                return Ok(None);
            }
            // The gross exposure behind each return: the weight held from the row before.
            let exposure = path.held[..path.returns.len()].iter().map(|h| h.abs()).collect();
            return Ok(Some((t0 + 1, path.returns, exposure)));
        }
    }
    Ok(lean_path(input)?.map(|(t0, sums, returns)| (t0 + 1, returns, sums.gross[t0..n - 1].to_vec())))
}
