//! The single-asset backtest of language v0, exactly as SEMANTICS.md §1–§4 define it.
//!
//! Timing: the weight decided at the close of row `t` earns the return of row `t+1`:
//! `strategy_return[t+1] = w[t] * r[t+1] - cost_rate * |w[t] - w[t-1]|`, with
//! `r[t+1] = P[t+1] / P[t] - 1`. Weights before the first live row `t0` count as 0 (so entering
//! at `t0` costs `cost_rate * |w[t0]|`); a NaN weight after `t0` holds nothing on that bar. The
//! evaluation window is the return rows `t0+1 ..= T-1`; the benchmark (price held at weight 1,
//! no costs) is evaluated on the same rows.

use strat_stdlib::metrics::{equity_curve, information_ratio, mean, metrics, metrics_given_exposure, Metrics};

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
    /// The ruin row: the first row `t` whose own equity `E[t] <= 0` (SEMANTICS.md §3b). The book
    /// is closed from there: the weights held from its close on are 0, so every later return is
    /// 0 and the equity stays at `E[t]`. `None` when the equity stays above 0 (and always for a
    /// sleeve's own backtest: ruin is a property of the book).
    pub ruin: Option<usize>,
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

/// The full backtest; `book` applies the ruin rule and the equity check.
fn backtest_path(input: &BacktestInput, memo: Option<&BenchmarkMemo>, book: bool) -> Result<Backtest, BacktestError> {
    let (a, n) = shape(input);
    let t0 = first_live(input)?;
    let mut weights = vec![0.0; n * a];
    let mut sums = accumulate(input, t0, Some(&mut weights))?;
    let mut returns = sums.net_returns(t0, input.cost_rate);
    let ruin = match scan_path(&returns, t0, book) {
        Ok(ruin) => ruin,
        Err(BacktestError::NonFiniteReturn { row, value, .. }) => {
            return Err(BacktestError::NonFiniteReturn { row, asset: culprit(input, &weights, row), value })
        }
        Err(e) => return Err(e),
    };
    if let Some(i) = ruin {
        // The book is closed at the close of the ruin row t: nothing is held from there, the
        // closing trade (the gross held from t-1) is turnover that costs nothing (no later
        // return is charged), and every later return is 0.
        let t = t0 + 1 + i;
        returns[i + 1..].fill(0.0);
        for j in 0..a {
            weights[j * n + t..(j + 1) * n].fill(0.0);
        }
        sums.turnover[t] = sums.gross[t - 1];
        sums.turnover[t + 1..].fill(0.0);
        sums.gross[t..].fill(0.0);
    }
    // The exposure behind the return of row t is the gross held from row t-1 (see `RowSums`).
    let exposure = sums.gross[t0..n - 1].to_vec();
    let RowSums { turnover, gross, .. } = sums;
    let mut bt = finish(t0, weights, a, returns, exposure, turnover, gross, input.benchmark, input.periods_per_year, memo);
    bt.ruin = ruin.map(|i| t0 + 1 + i);
    Ok(bt)
}

/// Scans a book's returns (rows `t0+1 ..`, time order) with the equity `E *= 1 + r` that the
/// metrics compute: `Ok(Some(i))` for the first return `i` after which `E <= 0` (the ruin, when
/// `book`), `Ok(None)` without one. Errors at the first non-finite return (`asset: None`; the
/// caller names it) or, when `book`, at the first non-finite equity, whichever comes first
/// and before the ruin (a closed book earns nothing more).
fn scan_path(returns: &[f64], t0: usize, book: bool) -> Result<Option<usize>, BacktestError> {
    let mut e = 1.0_f64;
    for (i, &r) in returns.iter().enumerate() {
        let row = t0 + 1 + i;
        if !r.is_finite() {
            return Err(BacktestError::NonFiniteReturn { row, asset: None, value: r });
        }
        if !book {
            continue;
        }
        e *= 1.0 + r;
        if !e.is_finite() {
            return Err(BacktestError::NonFiniteEquity { row });
        }
        if e <= 0.0 {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The first asset whose term `held[t-1, j] * r[t, j]` of the return of row `t` is not finite
/// (`held`: the held weights, asset-major), if any.
fn culprit(input: &BacktestInput, held: &[f64], t: usize) -> Option<usize> {
    let (a, n) = shape(input);
    (0..a).find(|&j| {
        let w = held[j * n + t - 1];
        let r = simple_return(&input.price[j * n..(j + 1) * n], t);
        w != 0.0 && !r.is_nan() && !(w * r).is_finite()
    })
}

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
    let t0 = first_live(input)?;
    let sums = accumulate(input, t0, None)?;
    let returns = sums.net_returns(t0, input.cost_rate);
    if scan_path(&returns, t0, true) != Ok(None) {
        return backtest_memo(input, memo).map(|b| Summary::of(&b));
    }
    let avg_exposure = mean(&sums.gross[t0..n - 1]);
    let avg_turnover = mean(&sums.turnover[t0..n - 1]);
    Ok(summarize(t0, &returns, avg_exposure, avg_turnover, input.benchmark, input.periods_per_year, memo))
}

/// (assets, rows) of a backtest input; a panel of at least one asset.
fn shape(input: &BacktestInput) -> (usize, usize) {
    let a = input.assets.max(1);
    (a, input.price.len() / a)
}

/// Asset `j`'s target weights (`rows`): its column of the panel, or the single series that
/// [`BacktestInput::weight`] may give for every asset.
fn weight_column<'a>(input: &BacktestInput<'a>, j: usize, n: usize) -> &'a [f64] {
    if input.weight.len() == n {
        input.weight
    } else {
        &input.weight[j * n..(j + 1) * n]
    }
}

/// The first live row `t0`: the first row past warm-up where some asset has a defined weight
/// (then the first rebalance row from there); errors if there is none or it is the last row.
fn first_live(input: &BacktestInput) -> Result<usize, BacktestError> {
    let (a, n) = shape(input);
    let never = BacktestError::NeverLive { warmup: input.weight_warmup, rows: n };
    let defined = |t: usize| (0..a).any(|j| !weight_column(input, j, n)[t].is_nan());
    let t_live = match (input.weight_warmup..n).find(|&t| defined(t)) {
        Some(t) => t,
        None if input.weight_warmup < n => return Err(BacktestError::AllNaN { warmup: input.weight_warmup }),
        None => return Err(never),
    };
    let t0 = match input.rebalance {
        None => t_live,
        Some(flags) => (t_live..n).find(|&t| flags[t]).ok_or(never.clone())?,
    };
    if t0 + 1 >= n {
        return Err(never);
    }
    Ok(t0)
}

/// Per-row sums of a book over its assets (`rows` values each). Every row adds its assets in
/// order `j = 0..a`, as a row-wise loop would, so the values are bit-identical to it.
struct RowSums {
    /// `sum_j held[t-1, j] * r[t, j]` over the assets with a weight and a return (0 up to `t0`).
    earned: Vec<f64>,
    /// Turnover `sum_j |held[t, j] - held[t-1, j]|` decided at each row.
    turnover: Vec<f64>,
    /// Gross exposure `sum_j |held[t, j]|` from each row's close. Its value equals a sum of the
    /// same terms from `0.0` (the terms are `>= 0`, so the neutral element's sign never shows):
    /// it is also the exposure behind the return of row `t+1`.
    gross: Vec<f64>,
}

impl RowSums {
    /// Strategy returns on rows `t0+1 ..= T-1`: what the held weights earned, minus the cost of
    /// the turnover decided on the row before.
    fn net_returns(&self, t0: usize, cost_rate: f64) -> Vec<f64> {
        let n = self.earned.len();
        (t0 + 1..n).map(|t| self.earned[t] - cost_rate * self.turnover[t - 1]).collect()
    }
}

/// Runs the held weights of every asset from `t0`, one contiguous pass per asset: a NaN target
/// or a missing price holds nothing; between rebalances the last rebalance row's targets. Writes
/// the held weights (`rows * assets`, asset-major, 0 before `t0`) to `held` if given.
///
/// Errors on the first (row, then asset) infinite target of an asset with a price.
fn accumulate(input: &BacktestInput, t0: usize, mut held: Option<&mut [f64]>) -> Result<RowSums, BacktestError> {
    let (a, n) = shape(input);
    // The neutral element of a float `sum()`; rows before t0 add only zeros to it.
    let zero: f64 = std::iter::empty::<f64>().sum();
    let before = zero + 0.0;
    let mut sums = RowSums { earned: vec![0.0; n], turnover: vec![zero; n], gross: vec![zero; n] };
    sums.turnover[..t0].fill(before);
    sums.gross[..t0].fill(before);
    let mut scratch = if held.is_some() { vec![] } else { vec![0.0; n] };
    let mut error: Option<(usize, usize)> = None;
    for j in 0..a {
        let held_j = match held.as_deref_mut() {
            Some(h) => &mut h[j * n..(j + 1) * n],
            None => &mut scratch[..],
        };
        if let Err(t) = hold_targets(input, j, t0, held_j) {
            if error.is_none_or(|(row, _)| t < row) {
                error = Some((t, j));
            }
            continue;
        }
        let p = &input.price[j * n..(j + 1) * n];
        add_asset(p, input.asset_returns.map(|r| &r[j * n..(j + 1) * n]), held_j, t0, &mut sums);
    }
    match error {
        Some((row, asset)) => Err(BacktestError::InfiniteWeight { row, asset }),
        None => Ok(sums),
    }
}

/// Asset `j`'s held weights on rows `t0 ..` into `held[t0..]` (see [`accumulate`]); `Err(row)`
/// at its first infinite target on a row with a price.
fn hold_targets(input: &BacktestInput, j: usize, t0: usize, held: &mut [f64]) -> Result<(), usize> {
    let n = shape(input).1;
    let w = &weight_column(input, j, n)[..n];
    let p = &input.price[j * n..(j + 1) * n];
    let held = &mut held[..n];
    // A NaN target or a missing price holds nothing.
    let pick = |target: f64, price: f64| if target.is_nan() || price.is_nan() { 0.0 } else { target };
    match input.rebalance {
        None => {
            let mut infinite = false;
            for ((h, &target), &price) in held[t0..].iter_mut().zip(&w[t0..]).zip(&p[t0..]) {
                infinite |= target.is_infinite() && !price.is_nan();
                *h = pick(target, price);
            }
            if infinite {
                return Err((t0..n).find(|&t| w[t].is_infinite() && !p[t].is_nan()).unwrap_or(n));
            }
        }
        Some(flags) => {
            let mut src = t0;
            for t in t0..n {
                if flags[t] {
                    src = t;
                }
                if w[src].is_infinite() && !p[t].is_nan() {
                    return Err(t);
                }
                held[t] = pick(w[src], p[t]);
            }
        }
    }
    Ok(())
}

/// Adds one asset's terms to `sums` from its prices `p` (and their returns `r`, if given) and
/// held weights `held` (from `t0`; the weight before `t0` is 0): its turnover and gross from row
/// `t0`, and from row `t0+1` what the weight held from the row before earned (when it is not 0
/// and the return is defined).
fn add_asset(p: &[f64], r: Option<&[f64]>, held: &[f64], t0: usize, sums: &mut RowSums) {
    let n = p.len();
    let m = n - t0 - 1;
    let h = &held[t0..n];
    sums.turnover[t0] += h[0].abs();
    sums.gross[t0] += h[0].abs();
    // Equal-length slices, so the loops run without bounds checks (and vectorise).
    let (cur, prev) = (&h[1..=m], &h[..m]);
    let (tv, g) = (&mut sums.turnover[t0 + 1..n], &mut sums.gross[t0 + 1..n]);
    for i in 0..m {
        tv[i] += (cur[i] - prev[i]).abs();
        g[i] += cur[i].abs();
    }
    // Adding +0.0 (no weight, or no return) leaves a sum that is never -0.0 (it starts at +0.0)
    // unchanged, so the branch-free form gives the values of skipping those terms.
    let earned = &mut sums.earned[t0 + 1..n];
    let mut earn = |i: usize, r: f64| {
        earned[i] += if prev[i] != 0.0 && !r.is_nan() { prev[i] * r } else { 0.0 };
    };
    match r {
        Some(r) => {
            for (i, &ri) in r[t0 + 1..n].iter().enumerate() {
                earn(i, ri);
            }
        }
        None => {
            let (p1, p0) = (&p[t0 + 1..n], &p[t0..n - 1]);
            for i in 0..m {
                earn(i, p1[i] / p0[i] - 1.0);
            }
        }
    }
}

/// The simple returns `p[t] / p[t-1] - 1` of an asset-major price panel of `assets` assets
/// (row 0 of each asset, which has none, is NaN): [`BacktestInput::asset_returns`].
pub fn asset_returns(price: &[f64], assets: usize) -> Vec<f64> {
    let n = price.len() / assets.max(1);
    let mut r = vec![f64::NAN; price.len()];
    for (rj, pj) in r.chunks_exact_mut(n.max(1)).zip(price.chunks_exact(n.max(1))) {
        for t in 1..n {
            rj[t] = pj[t] / pj[t - 1] - 1.0;
        }
    }
    r
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
fn finish(
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
        ruin: None,
    }
}

/// The [`Summary`] of a finished return series (rows `t0+1 ..`), given the means of its
/// exposure and of its turnover.
fn summarize(
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
        Some(b) => information_ratio(returns, &benchmark_run(b, &rows, periods_per_year, memo).returns, periods_per_year),
        None => f64::NAN,
    };
    Summary { first_live: t0, rows, metrics, avg_turnover, information_ratio, ruin: None }
}

/// The benchmark's returns and metrics on `rows`: borrowed from `memo` when it holds this
/// window, else computed (and stored in `memo` if it is still empty).
fn benchmark_run<'m>(b: &[f64], rows: &std::ops::Range<usize>, periods_per_year: f64, memo: Option<&'m BenchmarkMemo>) -> BenchmarkView<'m> {
    let held = memo.and_then(|m| m.0.get()).filter(|k| k.rows == *rows && k.periods_per_year.to_bits() == periods_per_year.to_bits());
    if let Some(k) = held {
        return BenchmarkView { returns: std::borrow::Cow::Borrowed(&k.returns), metrics: k.metrics };
    }
    let br: Vec<f64> = rows.clone().map(|t| simple_return(b, t)).collect();
    let ones = vec![1.0; br.len()];
    let bm = metrics(&br, &ones, periods_per_year);
    if let Some(m) = memo {
        let _ = m.0.set(BenchmarkRun { rows: rows.clone(), periods_per_year, returns: br.clone(), metrics: bm });
    }
    BenchmarkView { returns: std::borrow::Cow::Owned(br), metrics: bm }
}

/// The benchmark of one window, borrowed from a memo or owned.
struct BenchmarkView<'m> {
    returns: std::borrow::Cow<'m, [f64]>,
    metrics: Metrics,
}

/// An ensemble of sleeves (SEMANTICS.md §6, regime ensemble): on return row `t`, the arm
/// `regime[t-1]` allocates `c_k` to sleeve `k`: `return[t] = sum_k c_k * sleeve_k[t]`, the
/// remainder in cash. Live from `t0 = max(regime warm-up, every sleeve's first live row)`.
///
/// `arms[a]` lists (sleeve, coefficient) pairs for arm `a`; the held "weights" of the result are
/// the allocations per sleeve (`rows * sleeves`, asset-major), its turnover their L1 change, and
/// its exposure `sum_k |c_k| * exposure_k`.
pub fn ensemble(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
) -> Result<Backtest, BacktestError> {
    ensemble_memo(regime, regime_warmup, sleeves, arms, benchmark, periods_per_year, None)
}

/// [`ensemble`], reusing (or filling) a benchmark memo.
pub fn ensemble_memo(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Result<Backtest, BacktestError> {
    let n = regime.len();
    let s = sleeves.len();
    let t0 = ensemble_first_live(regime, regime_warmup, sleeves, arms)?;
    let allocs = ArmAllocations::new(arms, s);
    let mut alloc = vec![0.0; n * s];
    for t in t0..n {
        for (k, &c) in allocs.rows[allocs.index(regime, t)].iter().enumerate() {
            alloc[k * n + t] = c;
        }
    }
    let spans = allocs.spans(regime, t0);
    let (mut returns, mut exposure) = arm_returns(sleeves, arms, &spans, t0);
    let ruin = scan_path(&returns, t0, true)?;
    if let Some(i) = ruin {
        close_allocations(&mut alloc, n, s, t0 + 1 + i, &mut returns[i + 1..], &mut exposure[i + 1..]);
    }
    let (turnover, gross) = allocation_turnover_and_gross(&alloc, n, s);
    let mut bt = finish(t0, alloc, s, returns, exposure, turnover, gross, benchmark, periods_per_year, memo);
    bt.ruin = ruin.map(|i| t0 + 1 + i);
    Ok(bt)
}

/// Closes a combined book on its ruin row `t`: the allocations (`rows * sleeves`, asset-major)
/// are 0 from `t` on, and the returns and exposures after it (`later_*`) are 0.
fn close_allocations(alloc: &mut [f64], rows: usize, sleeves: usize, t: usize, later_returns: &mut [f64], later_exposure: &mut [f64]) {
    for k in 0..sleeves {
        alloc[k * rows + t..(k + 1) * rows].fill(0.0);
    }
    later_returns.fill(0.0);
    later_exposure.fill(0.0);
}

/// Turnover `sum_k |a[t,k] - a[t-1,k]|` (with `a[-1] = 0`) and gross `sum_k |a[t,k]|` per row of
/// an allocation matrix (`rows * sleeves`, asset-major, no NaN), in contiguous passes per
/// sleeve: each row adds its sleeves in the same order (k = 0..s) to the same neutral element as
/// a row-wise `sum()`, so the values are bit-identical, without strided reads.
fn allocation_turnover_and_gross(alloc: &[f64], rows: usize, sleeves: usize) -> (Vec<f64>, Vec<f64>) {
    let zero: f64 = std::iter::empty::<f64>().sum();
    let mut turnover = vec![zero; rows];
    let mut gross = vec![zero; rows];
    for k in 0..sleeves {
        let mut prev = 0.0;
        for ((tv, g), &x) in turnover.iter_mut().zip(gross.iter_mut()).zip(&alloc[k * rows..(k + 1) * rows]) {
            *tv += (x - prev).abs();
            *g += x.abs();
            prev = x;
        }
    }
    (turnover, gross)
}

/// [`ensemble_memo`] reduced to a [`Summary`]: the same arithmetic in the same order, so the
/// figures are bit-identical, without the allocation, gross, equity and benchmark vectors.
pub fn ensemble_summary(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Result<Summary, BacktestError> {
    let t0 = ensemble_first_live(regime, regime_warmup, sleeves, arms)?;
    let allocs = ArmAllocations::new(arms, sleeves.len());
    let spans = allocs.spans(regime, t0);
    let (returns, exposure) = arm_returns(sleeves, arms, &spans, t0);
    if scan_path(&returns, t0, true) != Ok(None) {
        // Ruin or a non-finite value (rare): the full path closes the book or reports it.
        return ensemble_memo(regime, regime_warmup, sleeves, arms, benchmark, periods_per_year, memo).map(|b| Summary::of(&b));
    }
    let avg_turnover = allocs.mean_turnover(&spans);
    Ok(summarize(t0, &returns, mean(&exposure), avg_turnover, benchmark, periods_per_year, memo))
}

/// The first live row of an ensemble: the regime and every sleeve an arm allocates to are live.
fn ensemble_first_live(regime: &[f64], regime_warmup: usize, sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>]) -> Result<usize, BacktestError> {
    let n = regime.len();
    let used = |k: usize| arms.iter().any(|a| a.iter().any(|&(j, _)| j == k));
    let t0 = sleeves.iter().enumerate().filter(|(k, _)| used(*k)).map(|(_, b)| b.first_live).chain(std::iter::once(regime_warmup)).max().unwrap_or(0);
    if t0 + 1 >= n {
        return Err(BacktestError::NeverLive { warmup: t0, rows: n });
    }
    Ok(t0)
}

/// The returns of rows `t0+1 ..= T-1` and the exposure behind each. Return row `t0+1+i` takes
/// the arm of decision row `t0+i` (see [`ArmSpan`]; no arm = cash), which gives
/// `sum_k c_k * sleeve_k[t]` and `sum_k |c_k| * gross_k[t-1]`, summed from 0 in the arm's term
/// order. Each span runs term by term over its rows: every row still adds its terms in order,
/// so the values are those of a row-by-row loop.
fn arm_returns(sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>], spans: &[ArmSpan], t0: usize) -> (Vec<f64>, Vec<f64>) {
    let len = spans.last().map_or(0, |s| s.end);
    let mut returns = vec![0.0; len];
    let mut exposure = vec![0.0; len];
    let mut columns: Vec<Option<SleeveColumns>> = vec![None; sleeves.len()];
    for span in spans {
        let Some(terms) = arms.get(span.arm) else { continue };
        for &(k, c) in terms {
            let (x, g) = columns[k].get_or_insert_with(|| (sleeve_returns_on(sleeves[k], t0 + 1, len), &sleeves[k].gross[t0..t0 + len]));
            let abs_c = c.abs();
            let rows = span.start..span.end;
            for ((r, &xi), (e, &gi)) in returns[rows.clone()].iter_mut().zip(&x[rows.clone()]).zip(exposure[rows.clone()].iter_mut().zip(&g[rows])) {
                *r += c * xi;
                *e += abs_c * gi;
            }
        }
    }
    (returns, exposure)
}

/// A run of consecutive decision rows with the same regime value: rows `t0 + start ..
/// t0 + end` decide `arm` (an index into [`ArmAllocations::rows`]; the last one = no arm).
#[derive(Debug, Clone, Copy)]
struct ArmSpan {
    start: usize,
    end: usize,
    arm: usize,
}

/// A sleeve's returns on the ensemble's return rows and its gross exposure on the decision rows
/// before them (same length).
type SleeveColumns<'a> = (std::borrow::Cow<'a, [f64]>, &'a [f64]);

/// A sleeve's returns on rows `start .. start + len`, 0 outside its evaluated rows (borrowed
/// when its rows cover them).
fn sleeve_returns_on(b: &Backtest, start: usize, len: usize) -> std::borrow::Cow<'_, [f64]> {
    if b.rows.start <= start && start + len <= b.rows.end {
        return std::borrow::Cow::Borrowed(&b.returns[start - b.rows.start..start + len - b.rows.start]);
    }
    let at = |t: usize| if b.rows.contains(&t) { b.returns[t - b.rows.start] } else { 0.0 };
    std::borrow::Cow::Owned((start..start + len).map(at).collect())
}

/// Each arm's allocation per sleeve (the sum of its coefficients on that sleeve, in term
/// order), then the all-zero allocation of a row without an arm.
struct ArmAllocations {
    /// One row of `sleeves` values per arm, then the zero row.
    rows: Vec<Vec<f64>>,
}

impl ArmAllocations {
    fn new(arms: &[Vec<(usize, f64)>], sleeves: usize) -> Self {
        let mut rows: Vec<Vec<f64>> = arms
            .iter()
            .map(|terms| {
                let mut v = vec![0.0; sleeves];
                for &(k, c) in terms {
                    v[k] += c;
                }
                v
            })
            .collect();
        rows.push(vec![0.0; sleeves]);
        ArmAllocations { rows }
    }

    /// The index in `rows` of the allocation decided on row `t`: the regime's value as an arm
    /// index, or the zero row when it is NaN or names no arm.
    fn index(&self, regime: &[f64], t: usize) -> usize {
        let none = self.rows.len() - 1;
        if regime[t].is_nan() {
            none
        } else {
            (regime[t] as usize).min(none)
        }
    }

    /// The decision rows `t0 ..= T-2` as spans of equal regime value (bit for bit), with
    /// their arms ([`Self::index`]).
    fn spans(&self, regime: &[f64], t0: usize) -> Vec<ArmSpan> {
        let rows = &regime[t0..regime.len() - 1];
        let mut spans: Vec<ArmSpan> = vec![];
        let mut start = 0;
        let mut value = rows[0].to_bits();
        for (i, v) in rows.iter().enumerate().skip(1) {
            if v.to_bits() != value {
                spans.push(ArmSpan { start, end: i, arm: self.index(regime, t0 + start) });
                (start, value) = (i, v.to_bits());
            }
        }
        spans.push(ArmSpan { start, end: rows.len(), arm: self.index(regime, t0 + start) });
        spans
    }

    /// The mean turnover over the decision rows of `spans` (the row before the first holds
    /// nothing), summed in time order as [`mean`] does. Inside a span the allocation repeats:
    /// its turnover `sum_k |c_k - c_k|` is `+0.0` unless a coefficient is not finite, and adding
    /// `+0.0` leaves the sum (never `-0.0`: it starts at `+0.0` and adds values `>= 0`) unchanged,
    /// so those rows are added only when they are not `+0.0`.
    fn mean_turnover(&self, spans: &[ArmSpan]) -> f64 {
        let mut prev = self.rows.len() - 1;
        let mut sum = 0.0;
        for span in spans {
            let cur = &self.rows[span.arm];
            sum += Self::turnover(&self.rows[prev], cur);
            let repeat = Self::turnover(cur, cur);
            if repeat.to_bits() != 0 {
                for _ in span.start + 1..span.end {
                    sum += repeat;
                }
            }
            prev = span.arm;
        }
        sum / spans.last().map_or(0, |s| s.end) as f64
    }

    /// `sum_k |cur[k] - prev[k]|` from the neutral element of a float `sum()`, in sleeve order.
    fn turnover(prev: &[f64], cur: &[f64]) -> f64 {
        let mut tv: f64 = std::iter::empty::<f64>().sum();
        for (&x, &p) in cur.iter().zip(prev) {
            tv += (x - p).abs();
        }
        tv
    }
}

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

/// `report NAME = e`: the mean of `e` over the decision rows whose returns are evaluated,
/// rows `t0 ..= T-2` (SEMANTICS.md §4); a bool column (0/1) gives the fraction of those rows.
pub fn report_mean(e: &[f64], bt: &Backtest) -> f64 {
    report_mean_on(e, &bt.rows)
}

/// [`report_mean`] given the evaluated return rows (`rows.start >= 1`) instead of a backtest.
pub fn report_mean_on(e: &[f64], rows: &std::ops::Range<usize>) -> f64 {
    mean(&e[rows.start - 1..rows.end - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timing_costs_and_first_live_row() {
        // Prices 100, 110, 99, 99, 108.9; weight NaN (warm-up) on row 0, then 1, 0.5, 0.5, 1.
        let price = [100.0, 110.0, 99.0, 99.0, 108.9];
        let weight = [f64::NAN, 1.0, 0.5, 0.5, 1.0];
        let bt = backtest(&BacktestInput {
            price: &price,
            assets: 1,
            weight: &weight,
            weight_warmup: 0,
            rebalance: None,
            cost_rate: 0.001,
            asset_returns: None,
            benchmark: Some(&price),
            periods_per_year: 252.0,
        })
        .unwrap();
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
        let bt = backtest(&BacktestInput {
            price: &price,
            assets: 1,
            weight: &weight,
            weight_warmup: 2,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        })
        .unwrap();
        assert_eq!(bt.first_live, 2);
        assert_eq!(bt.returns, vec![4.0 / 3.0 - 1.0]);
        assert!(backtest(&BacktestInput {
            price: &price,
            assets: 1,
            weight: &[f64::NAN; 4],
            weight_warmup: 0,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0
        })
        .is_err());
    }

    #[test]
    fn panel_with_late_asset_and_monthly_rebalance() {
        // Two assets, 5 rows; asset 1 has no price on rows 0-1. Rebalance on rows 1 and 3.
        let price = [10.0, 11.0, 12.0, 12.0, 13.2, f64::NAN, f64::NAN, 20.0, 22.0, 11.0];
        let weight = [0.5, 0.5, 0.6, 0.7, 0.8, 0.5, 0.5, 0.5, 0.4, 0.3];
        let flags = [false, true, false, true, true];
        let bt = backtest(&BacktestInput {
            price: &price,
            assets: 2,
            weight: &weight,
            weight_warmup: 0,
            rebalance: Some(&flags),
            cost_rate: 0.01,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        })
        .unwrap();
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
    /// The figures of a summary, bit for bit.
    fn summary_bits(s: &Summary) -> Vec<u64> {
        let m = s.metrics;
        let v = [
            m.total_return,
            m.cagr,
            m.ann_vol,
            m.sharpe,
            m.sortino,
            m.max_drawdown,
            m.calmar,
            m.var_95,
            m.cvar_95,
            m.omega,
            m.avg_exposure,
            s.avg_turnover,
            s.information_ratio,
        ];
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// The summary of a full backtest, for comparison with the lean paths.
    fn summary_of(bt: &Backtest) -> Summary {
        Summary::of(bt)
    }

    /// A deterministic pseudo-random price panel (`assets` x `rows`, asset-major) with gaps.
    fn panel(assets: usize, rows: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        let mut next = move || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (s >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut p = vec![];
        for j in 0..assets {
            let mut x = 100.0;
            for t in 0..rows {
                x *= 1.0 + (next() - 0.5) * 0.04;
                p.push(if j == 1 && t < 7 { f64::NAN } else { x });
            }
        }
        p
    }

    #[test]
    fn lean_backtest_matches_the_full_one() {
        let (a, n) = (3, 60);
        let price = panel(a, n, 7);
        let bench: Vec<f64> = price[..n].to_vec();
        let weight: Vec<f64> = (0..a * n).map(|i| if i % n < 4 || i % 11 == 0 { f64::NAN } else { ((i * 7 % 13) as f64 - 6.0) / 10.0 }).collect();
        let flags: Vec<bool> = (0..n).map(|t| t % 5 == 4).collect();
        let series: Vec<f64> = (0..n).map(|t| (t % 3) as f64 * 0.4 - 0.2).collect();
        for (w, rebalance) in [(&weight, None), (&weight, Some(&flags[..])), (&series, None)] {
            let input = BacktestInput {
                price: &price,
                assets: a,
                weight: w,
                weight_warmup: 2,
                rebalance,
                cost_rate: 0.001,
                asset_returns: None,
                benchmark: Some(&bench),
                periods_per_year: 252.0,
            };
            let full = backtest(&input).unwrap();
            let lean = backtest_summary(&input, None).unwrap();
            let returns = asset_returns(&price, a);
            let given = backtest_summary(&BacktestInput { asset_returns: Some(&returns), ..input }, None).unwrap();
            assert_eq!(summary_bits(&given), summary_bits(&lean));
            assert_eq!((lean.first_live, &lean.rows), (full.first_live, &full.rows));
            assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
        }
        let mut inf = weight.clone();
        inf[n + 30] = f64::INFINITY;
        inf[2 * n + 20] = f64::NEG_INFINITY;
        let input = BacktestInput {
            price: &price,
            assets: a,
            weight: &inf,
            weight_warmup: 2,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        };
        assert_eq!(backtest_summary(&input, None), Err(BacktestError::InfiniteWeight { row: 20, asset: 2 }));
        assert_eq!(backtest(&input).map(|b| b.first_live), Err(BacktestError::InfiniteWeight { row: 20, asset: 2 }));
    }

    #[test]
    fn ruin_closes_the_book_and_the_lean_path_agrees() {
        // Prices 100, 110, 44, 66, 66 held at weight 2, no cost: E = 1.2 after row 1, then
        // 1.2 * (1 + 2 * (44/110 - 1)) < 0 on row 2: the book is closed there.
        let price = [100.0, 110.0, 44.0, 66.0, 66.0];
        let weight = [2.0; 5];
        let input = BacktestInput {
            price: &price,
            assets: 1,
            weight: &weight,
            weight_warmup: 0,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: Some(&price),
            periods_per_year: 252.0,
        };
        let bt = backtest(&input).unwrap();
        let (r1, r2) = (2.0 * (110.0 / 100.0 - 1.0), 2.0 * (44.0 / 110.0 - 1.0));
        assert_eq!(bt.ruin, Some(2));
        assert_eq!(bt.returns, vec![r1, r2, 0.0, 0.0]);
        let e2 = (1.0 + r1) * (1.0 + r2);
        assert!(e2 < 0.0);
        assert_eq!(bt.equity, vec![1.0 + r1, e2, e2, e2]);
        assert_eq!(bt.weights, vec![2.0, 2.0, 0.0, 0.0, 0.0]);
        // The closing trade on row 2 is turnover; nothing after it.
        assert_eq!(bt.turnover, vec![2.0, 0.0, 2.0, 0.0, 0.0]);
        assert_eq!(bt.exposure, vec![2.0, 2.0, 0.0, 0.0]);
        assert_eq!(bt.metrics.cagr, -1.0);
        assert_eq!(bt.metrics.total_return, e2 - 1.0);
        assert_eq!(bt.metrics.avg_exposure, 1.0);
        let lean = backtest_summary(&input, None).unwrap();
        assert_eq!(lean.ruin, Some(2));
        assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&bt)));
        // A sleeve's own path is not closed.
        let sleeve = sleeve_backtest(&input).unwrap();
        assert_eq!(sleeve.ruin, None);
        assert_eq!(sleeve.returns[2], 2.0 * (66.0 / 44.0 - 1.0));
        // A cost that takes a return below -100 % is ruin too, with finite metrics.
        let cost = BacktestInput { cost_rate: 1e296, ..input };
        let bt = backtest(&cost).unwrap();
        assert_eq!(bt.ruin, Some(1));
        assert!(bt.returns[1..].iter().all(|&r| r == 0.0));
        assert_eq!(bt.metrics.cagr, -1.0);
    }

    #[test]
    fn non_finite_values_are_errors_naming_row_and_asset() {
        // A weight of 1e300 on a price that doubles twice: the equity overflows on row 2.
        let price = [1.0, 2.0, 4.0, 8.0];
        let big = [1e300; 4];
        let input = BacktestInput {
            price: &price,
            assets: 1,
            weight: &big,
            weight_warmup: 0,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        };
        assert_eq!(backtest(&input).map(|b| b.ruin), Err(BacktestError::NonFiniteEquity { row: 2 }));
        assert_eq!(backtest_summary(&input, None).map(|s| s.ruin), Err(BacktestError::NonFiniteEquity { row: 2 }));
        // A return that overflows: asset 1's price jumps from 1e-300 to 1e300, held at 1.
        let panel = [1.0, 1.0, 1.0, 1e-300, 1e300, 1e300];
        let w = [0.5; 6];
        let input = BacktestInput {
            price: &panel,
            assets: 2,
            weight: &w,
            weight_warmup: 0,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        };
        assert_eq!(backtest(&input).map(|b| b.ruin), Err(BacktestError::NonFiniteReturn { row: 1, asset: Some(1), value: f64::INFINITY }));
        assert_eq!(backtest_summary(&input, None).map(|s| s.ruin), Err(BacktestError::NonFiniteReturn { row: 1, asset: Some(1), value: f64::INFINITY }));
        // NaN on every row after the warm-up.
        let nan = [f64::NAN; 4];
        let input = BacktestInput {
            price: &price,
            assets: 1,
            weight: &nan,
            weight_warmup: 1,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        };
        assert_eq!(backtest(&input).map(|b| b.ruin), Err(BacktestError::AllNaN { warmup: 1 }));
        let late = BacktestInput { weight_warmup: 9, ..input };
        assert_eq!(backtest(&late).map(|b| b.ruin), Err(BacktestError::NeverLive { warmup: 9, rows: 4 }));
    }

    #[test]
    fn ruin_of_an_ensemble_and_of_a_sleeve_book() {
        let price = [100.0, 110.0, 44.0, 66.0, 66.0];
        let one = [1.0; 5];
        let s = backtest(&BacktestInput {
            price: &price,
            assets: 1,
            weight: &one,
            weight_warmup: 0,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        })
        .unwrap();
        // One arm allocating 2 to the sleeve: the ensemble is the hold at weight 2.
        let regime = [0.0; 5];
        let arms = vec![vec![(0, 2.0)]];
        let full = ensemble(&regime, 0, &[&s], &arms, Some(&price), 252.0).unwrap();
        assert_eq!(full.ruin, Some(2));
        assert_eq!(&full.returns[2..], &[0.0, 0.0]);
        assert_eq!(full.weights, vec![2.0, 2.0, 0.0, 0.0, 0.0]);
        let lean = ensemble_summary(&regime, 0, &[&s], &arms, Some(&price), 252.0, None).unwrap();
        assert_eq!(lean.ruin, Some(2));
        assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
        let alloc = [2.0; 5];
        let book = sleeve_book(&alloc, &[&s], None, 252.0, None).unwrap();
        assert_eq!(book.ruin, Some(2));
        assert_eq!(book.equity[1..], [book.equity[1]; 3]);
        assert_eq!(book.turnover, vec![2.0, 0.0, 2.0, 0.0, 0.0]);
    }

    #[test]
    fn lean_ensemble_matches_the_full_one() {
        let (a, n) = (2, 80);
        let price = panel(a, n, 11);
        let sleeve = |w: f64, warmup: usize| {
            let weight = vec![w; a * n];
            backtest(&BacktestInput {
                price: &price,
                assets: a,
                weight: &weight,
                weight_warmup: warmup,
                rebalance: None,
                cost_rate: 0.0,
                asset_returns: None,
                benchmark: None,
                periods_per_year: 252.0,
            })
            .unwrap()
        };
        let (s0, s1, s2) = (sleeve(0.5, 3), sleeve(-0.25, 9), sleeve(1.0, 0));
        let sleeves = [&s0, &s1, &s2];
        // Runs of arms, a NaN row, an arm index past the arms (cash), and a sleeve listed twice.
        let regime: Vec<f64> = (0..n)
            .map(|t| {
                if t == 30 {
                    f64::NAN
                } else if t == 50 {
                    7.0
                } else {
                    ((t / 6) % 3) as f64
                }
            })
            .collect();
        let arms = vec![vec![(0, 0.6), (1, 0.4)], vec![(2, 0.9), (2, 0.05), (0, 0.1)], vec![]];
        let bench: Vec<f64> = price[n..].to_vec();
        let full = ensemble(&regime, 12, &sleeves, &arms, Some(&bench), 252.0).unwrap();
        let lean = ensemble_summary(&regime, 12, &sleeves, &arms, Some(&bench), 252.0, None).unwrap();
        assert_eq!((lean.first_live, &lean.rows), (full.first_live, &full.rows));
        assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
    }
}
