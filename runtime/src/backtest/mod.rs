//! The single-asset backtest of language v0, exactly as SEMANTICS.md §1–§4 define it.
//!
//! Timing: the weight decided at the close of row `t` earns the return of row `t+1`:
//! `strategy_return[t+1] = w[t] * r[t+1] - cost_rate * |w[t] - w[t-1]|`, with
//! `r[t+1] = P[t+1] / P[t] - 1`. Weights before the first live row `t0` count as 0 (so entering
//! at `t0` costs `cost_rate * |w[t0]|`); a NaN weight after `t0` holds nothing on that bar. The
//! evaluation window is the return rows `t0+1 ..= T-1`; the benchmark (price held at weight 1,
//! no costs) is evaluated on the same rows.

use strat_stdlib::metrics::{equity_curve, information_ratio, mean, metrics, metrics_given_exposure, Metrics};

mod attribution;
mod benchmark;
mod checks;
mod ensemble;
mod hold;
mod sleeves;
mod summary;
#[cfg(test)]
mod tests;

use self::{benchmark::*, checks::*, ensemble::*, hold::*};
pub use attribution::{attribution, Attribution, Contribution};
pub use benchmark::{finish as assemble, summarize as summary_of_path, BenchmarkMemo};
pub use ensemble::{ensemble, ensemble_gross, ensemble_memo, ensemble_spans, ensemble_spans_memo, ensemble_summary, EnsembleSpans, SpansMemo};
pub use hold::asset_returns;
pub use sleeves::sleeve_book;
pub use summary::{backtest_returns, backtest_summary, ReturnsPath, Summary};

/// What the backtest needs. Prices and weights are asset-major panels of `assets` series of
/// `rows` bars each (a single series is a panel of one asset): asset `j`'s row `t` is at
/// `j * rows + t`.
#[derive(Debug, Clone, Copy)]
pub struct BacktestInput<'a> {
    /// Traded prices (`rows * assets`); NaN where an asset has no price (it then holds nothing).
    pub price: &'a [f64],
    /// Number of assets.
    pub assets: usize,
    /// Target weights decided at each close (`rows * assets`, fractions of equity; negative =
    /// short), or one series (`rows`) that every asset takes.
    pub weight: &'a [f64],
    /// The weight's static warm-up: the first row at which all of its inputs are defined.
    pub weight_warmup: usize,
    /// Rebalance rows (`rows` flags); `None` resets to target every bar.
    pub rebalance: Option<&'a [bool]>,
    /// Cost per unit of turnover, as a fraction (`2bps` = 0.0002).
    pub cost_rate: f64,
    /// The prices' simple returns `price[t] / price[t-1] - 1` (`rows * assets`, asset-major; row
    /// 0 of each asset unused), computed once for many runs; `None` computes them as needed.
    pub asset_returns: Option<&'a [f64]>,
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
    /// Gross exposure behind each return on `rows` (held from the previous close; for an
    /// ensemble or weighted sleeves, `sum_k |a_k| * exposure_k`): what `avg_exposure` averages.
    pub exposure: Vec<f64>,
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
    /// Annualised mean active return, `mean(r - b) * periods_per_year` over the evaluated rows
    /// (NaN without a benchmark): against a `benchmark SLEEVE` base, an overlay's own
    /// contribution.
    pub active_return: f64,
    /// Tracking error, the annualised sample standard deviation (ddof = 1) of the active return
    /// `r - b`, `std * sqrt(periods_per_year)` (NaN without a benchmark or with fewer than 2
    /// returns).
    pub tracking_error: f64,
    /// Beta against the benchmark ([`strat_stdlib::metrics::beta_alpha`], empyrical's
    /// convention; NaN without a benchmark).
    pub beta: f64,
    /// Alpha against the benchmark, annualised by compounding the mean residual return
    /// (empyrical's convention, zero risk-free rate; NaN without a benchmark).
    pub alpha: f64,
    /// The ruin row: the first row `t` whose own equity `E[t] <= 0` (SEMANTICS.md §3b). The book
    /// is closed from there: the weights held from its close on are 0, so every later return is
    /// 0 and the equity stays at `E[t]`. `None` when the equity stays above 0 (and always for a
    /// sleeve's own backtest: ruin is a property of the book).
    pub ruin: Option<usize>,
    /// The cost of the trade decided on each bar (`rows` values, a fraction of equity), charged
    /// against the next bar's return (SEMANTICS.md §3).
    pub cost: Vec<f64>,
    /// What each kill switch did (SEMANTICS.md §3b), in declaration order.
    pub kills: Vec<crate::portfolio::KillTrace>,
    /// With a volatility target: its mean scale over the decision rows `t0 ..= T-2`.
    pub vol_scale: Option<f64>,
    /// What each position limit did (gross, then net).
    pub limits: Vec<crate::portfolio::LimitTrace>,
    /// With a `cash` statement: what the cash account earned and paid per return row (then
    /// `metrics.sharpe` and `metrics.sortino`, and the benchmark's, are on excess returns).
    pub cash: Option<crate::portfolio::CashTrace>,
    /// Every asset's trade with its cost (a run's book; empty for a sleeve or a sweep's
    /// binding). For a combined book the assets are its netted assets.
    pub trades: Vec<crate::portfolio::AssetTrade>,
    /// `weights` transposed to row-major (`rows * assets`, row `t`'s assets at `t * assets ..`),
    /// made on first use by [`Backtest::weights_row_major`]: a combined book reads its sleeves'
    /// weights row by row, and a sweep's bindings share the sleeves.
    pub row_major: std::sync::OnceLock<Vec<f64>>,
    /// The rows whose turnover is not 0 (the held weights changed), made on first use by
    /// [`Backtest::trade_rows`].
    pub changed_rows: std::sync::OnceLock<Vec<usize>>,
}

impl Backtest {
    /// Mean turnover over the decision rows `t0 ..= T-2` (fraction of equity traded per bar).
    pub fn avg_turnover(&self) -> f64 {
        if self.rows.is_empty() {
            return f64::NAN;
        }
        mean(&self.turnover[self.rows.start - 1..self.rows.end - 1])
    }

    /// The held weights, row-major (see [`Backtest::row_major`]).
    pub fn weights_row_major(&self) -> &[f64] {
        self.row_major.get_or_init(|| {
            let a = self.assets.max(1);
            let n = self.weights.len() / a;
            let mut out = vec![0.0; self.weights.len()];
            for (j, col) in self.weights.chunks_exact(n.max(1)).enumerate() {
                for (t, &w) in col.iter().enumerate() {
                    out[t * a + j] = w;
                }
            }
            out
        })
    }

    /// The rows on which the held weights change (turnover not 0), in order.
    pub fn trade_rows(&self) -> &[usize] {
        self.changed_rows.get_or_init(|| self.turnover.iter().enumerate().filter(|(_, &x)| x != 0.0).map(|(t, _)| t).collect())
    }

    /// Every asset's trade of a book held at a flat rate (see [`Backtest::trades`]), from its
    /// held weights: the trades of rows `t0 ..`, in row then asset order.
    pub fn flat_trades(&self, rate: f64) -> Vec<crate::portfolio::AssetTrade> {
        let a = self.assets.max(1);
        let n = self.weights.len() / a;
        let mut out = vec![];
        for t in self.first_live..n {
            for j in 0..a {
                let (w, p) = (self.weights[j * n + t], if t > 0 { self.weights[j * n + t - 1] } else { 0.0 });
                let trade = (w - p).abs();
                if trade > 0.0 {
                    out.push(crate::portfolio::AssetTrade { row: t, asset: j, weight: w, trade, cost: rate * trade });
                }
            }
        }
        out
    }

    /// Total cost drag: the sum of the costs charged against the evaluated returns (a fraction
    /// of equity, not compounded), i.e. of the costs decided on rows `t0 ..= T-2`.
    pub fn cost_drag(&self) -> f64 {
        if self.rows.is_empty() || self.cost.is_empty() {
            return 0.0;
        }
        self.cost[self.rows.start - 1..self.rows.end - 1].iter().sum()
    }
}

/// Why a backtest cannot be evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum BacktestError {
    /// The weight is NaN or in warm-up on every row (or no rebalance row follows), or it becomes
    /// live only on the last row, so no return is evaluated.
    NeverLive { warmup: usize, rows: usize },
    /// The weight is past its static warm-up (row `warmup`) but NaN on every row from there, so
    /// it never becomes live (e.g. `weight 0/0`, or a signal that is NaN on every row).
    AllNaN { warmup: usize },
    /// A target weight is infinite (e.g. a division by zero in the weight expression) on `row`
    /// for `asset` (an index into the book's assets, or its sleeves for a combined book).
    InfiniteWeight { row: usize, asset: usize },
    /// The strategy return of `row` (net of costs) is not finite (an infinite or NaN return
    /// times a held weight, or a finite weight times a return that overflows). `asset` is the
    /// first asset (or sleeve) whose term `weight * return` is not finite, `None` when every
    /// term is finite and only their sum, or the cost, is not.
    NonFiniteReturn { row: usize, asset: Option<usize>, value: f64 },
    /// The equity `E[t]` of `row` overflows (is not finite) while every return is finite.
    NonFiniteEquity { row: usize },
}

impl std::fmt::Display for BacktestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BacktestError::NeverLive { warmup, rows } => write!(
                f,
                "the weight is never live: its warm-up is {warmup} rows and the data has {rows} rows (or the weight is NaN after the warm-up, or no rebalance row follows, or it is live only on the last row)"
            ),
            BacktestError::AllNaN { warmup } => write!(f, "the weight is NaN on every row after its warm-up (first at row {warmup})"),
            BacktestError::InfiniteWeight { row, asset } => write!(f, "the weight of asset {asset} is infinite on row {row} (a division by zero?)"),
            BacktestError::NonFiniteReturn { row, asset: Some(asset), value } => write!(f, "the strategy return on row {row} is {value}: the held weight of asset {asset} times its return is not finite"),
            BacktestError::NonFiniteReturn { row, asset: None, value } => write!(f, "the strategy return on row {row} is {value} (not finite)"),
            BacktestError::NonFiniteEquity { row } => write!(f, "the equity overflows on row {row} (it is not finite)"),
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

/// [`backtest`], reusing (or filling) a benchmark memo. The result is a book: it is closed on
/// ruin (see [`Backtest::ruin`]).
///
/// Errors: [`BacktestError::NeverLive`] / [`BacktestError::AllNaN`] when no row is live,
/// [`BacktestError::InfiniteWeight`] for an infinite target of an asset with a price,
/// [`BacktestError::NonFiniteReturn`] / [`BacktestError::NonFiniteEquity`] for a return or an
/// equity that is not finite before any ruin.
pub fn backtest_memo(input: &BacktestInput, memo: Option<&BenchmarkMemo>) -> Result<Backtest, BacktestError> {
    backtest_path(input, memo, true)
}

/// A sleeve's own backtest: [`backtest`] without the ruin rule (ruin is a property of the book
/// that holds the sleeve, SEMANTICS.md §3b), still an error on a non-finite return.
pub fn sleeve_backtest(input: &BacktestInput) -> Result<Backtest, BacktestError> {
    backtest_path(input, None, false)
}

/// `report NAME = e`: the mean of `e` over the decision rows whose returns are evaluated,
/// rows `t0 ..= T-2` (SEMANTICS.md §4); a bool column (0/1) gives the fraction of those rows.
pub fn report_mean(e: &[f64], bt: &Backtest) -> f64 {
    report_mean_on(e, &bt.rows)
}

/// [`report_mean`] given the evaluated return rows (`rows.start >= 1`) instead of a backtest.
pub fn report_mean_on(e: &[f64], rows: &std::ops::Range<usize>) -> f64 {
    mean(&e[rows.start - 1..rows.end - 1])
}

/// A sweep's report means of the columns every binding shares (a param-invariant column): one
/// per report, for the first evaluation window seen; a binding on another window computes its
/// own. The values are [`report_mean_on`]'s.
#[derive(Debug, Default)]
pub struct ReportMemo {
    first: Vec<std::sync::OnceLock<(std::ops::Range<usize>, f64)>>,
}

impl ReportMemo {
    /// A memo for `reports` reports.
    pub fn new(reports: usize) -> ReportMemo {
        ReportMemo { first: (0..reports).map(|_| std::sync::OnceLock::new()).collect() }
    }

    /// [`report_mean_on`] of report `i`'s column `e` over `rows`, from the memo when `e` is
    /// `shared` (the same column for every binding of the sweep) and the window is the first
    /// one seen.
    pub fn mean_on(&self, i: usize, e: &[f64], shared: bool, rows: &std::ops::Range<usize>) -> f64 {
        if let (true, Some(slot)) = (shared, self.first.get(i)) {
            let (r, v) = slot.get_or_init(|| (rows.clone(), report_mean_on(e, rows)));
            if r == rows {
                return *v;
            }
        }
        report_mean_on(e, rows)
    }
}
