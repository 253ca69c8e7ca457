//! The sequential portfolio stage (SEMANTICS.md §3, §3b): after the column plan, one pass over
//! the bars holding the book's per-asset weights, its own equity, peak and the state of every
//! kill switch. It is the only place where the strategy's own path exists.
//!
//! On each row `t` from the first live row `t0`, in this order:
//! 1. (`t > t0`) the return of row `t` is earned by the weights held from `t-1`, net of the cost
//!    of the trade decided at `t-1`: `r[t] = s[t-1] * g[t] - cost[t-1]`, where `g[t] = sum_j
//!    w[t-1, j] * r[t, j]` is the book's gross return before switches (the column plan's weights
//!    scaled uniformly by `s`), plus the cash account's terms with a `cash` statement (interest
//!    on the cash balance `1 - sum_j w'[t-1, j]` at the rate of the close of `t-1`, financing of
//!    a negative balance, the borrow fee of the shorts); own equity, drawdown and day return of
//!    row `t` follow; ruin closes the book on the first row with `E <= 0`. A drifting hold
//!    (`drift`) earns `sum_j w'[t-1, j] * r[t, j]` of its own held weights, which then float
//!    with prices until its next rebalance row (spec/semantics.md §13, "Drift");
//! 2. every kill switch: `active[t] = trip[t] or (active[t-1] and not release[t])`, its
//!    conditions read own values of row `t` and data of rows `<= t`; the scale `s[t]` is the
//!    smallest scale of the active switches (1 if none);
//! 3. the volatility target's scale `v[t]` (from the own returns of rows `<= t`) multiplies the
//!    switches' scale, then the limits scale the book down (gross, then net) until they hold;
//!    `s[t]` is the product;
//! 4. the weights decided at `t` are `w'[t, j] = s[t] * w[t, j]`; the trade `|w'[t, j] -
//!    w'[t-1, j]|` of each asset is charged `cost[t] = sum_j c[t, j] * trade[t, j]` (a flat rate, or
//!    a per-asset rate that may read the trade and own equity).
//!
//! Per-asset work happens only on rows where the book's weights or the scale change (rebalance
//! rows, regime switches, trips and releases): elsewhere the trade is 0.

pub mod book;
pub mod path;

use crate::backtest::BacktestError;
use path::{OwnRow, PathEval};
use strat_compiler::ops::truthy;
pub use strat_compiler::program::LimitKind;
use strat_stdlib::metrics::{mean, std_ddof1};

/// The book before the portfolio stage: what the column plan and the sleeves decided.
pub struct BookPath<'a> {
    /// First live row `t0`.
    pub t0: usize,
    /// Bars.
    pub rows: usize,
    /// Assets of the combined book (sleeves' assets of one universe netted).
    pub assets: usize,
    /// Gross return of each return row `t0+1 ..= T-1` before costs and switches: `sum_j
    /// w[t-1, j] * r[t, j]` (index `t - t0 - 1`).
    pub gross: &'a [f64],
    /// Per row: whether the weights may differ from the row before (always true on `t0`).
    pub change: &'a [bool],
    /// Fills the weights `w[t, j]` decided at row `t` (before switches) into the slice of `assets` values.
    pub weights: &'a dyn Fn(usize, &mut [f64]),
    /// Whether to record every asset's trade ([`StageResult::trades`]).
    pub detail: bool,
    /// With `drift`: the book keeps its positions between rebalance rows (spec/semantics.md
    /// §13, "Drift"), so the stage computes its return from the per-asset returns.
    pub drift: Option<Drift<'a>>,
    /// With `limit weight`: the assets' simple returns `r[t, j]` (`rows * assets`, asset-major,
    /// NaN where undefined). The clipped book's weights are no longer a scale of the book's, so
    /// its return is computed from them asset by asset.
    pub asset_returns: Option<&'a [f64]>,
}

/// What a drifting book needs beyond [`BookPath`]: the assets' returns and its rebalance rows.
pub struct Drift<'a> {
    /// Simple returns `r[t, j]` of the assets, `rows * assets`, asset-major (NaN where a price
    /// is missing on `t` or `t-1`: the position then keeps its value over the bar).
    pub returns: &'a [f64],
    /// The rows on which the book trades back to its targets (`rows` values); `t0` always does.
    pub rebalance: &'a [bool],
}

/// One asset's trade decided at the close of a row (a `--costs-out` line).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AssetTrade {
    /// The row.
    pub row: usize,
    /// The asset (an index into the book's assets).
    pub asset: usize,
    /// Its weight after the trade (switches applied), a fraction of equity.
    pub weight: f64,
    /// The size of the trade `|w'[t, j] - w'[t-1, j]|`.
    pub trade: f64,
    /// Its cost, a fraction of equity (charged against the next row's return).
    pub cost: f64,
}

strat_stdlib::avx2_when_available! {
    /// Turnover `sum_j |w[j] - prev[j]|` and gross `sum_j |w[j]|`: four partial sums over the
    /// assets `j = 4i + l` (lane `l`), added as `(s0 + s1) + (s2 + s3)`, so that the sums do not wait
    /// on each other (every path of the stage uses this order).
    pub fn turnover_and_gross(w: &[f64], prev: &[f64]) -> (f64, f64) {
        let (mut tv, mut g) = ([0.0_f64; 4], [0.0_f64; 4]);
        let (wc, pc) = (w.chunks_exact(4), prev.chunks_exact(4));
        let (wr, pr) = (wc.remainder(), pc.remainder());
        for (x, p) in wc.zip(pc) {
            for l in 0..4 {
                tv[l] += (x[l] - p[l]).abs();
                g[l] += x[l].abs();
            }
        }
        for (l, (x, p)) in wr.iter().zip(pr).enumerate() {
            tv[l] += (x - p).abs();
            g[l] += x.abs();
        }
        ((tv[0] + tv[1]) + (tv[2] + tv[3]), (g[0] + g[1]) + (g[2] + g[3]))
    }
}

/// What a book pays per unit traded.
pub enum StageCost<'a> {
    /// One rate per unit of turnover (a fraction).
    Flat(f64),
    /// A rate per asset and bar (a fraction), which may read `own.trade` and `own.equity`.
    PerAsset(PathEval<'a>),
}

/// A kill switch ready to run.
pub struct StageKill<'a> {
    /// Its name.
    pub name: String,
    /// Trip condition (row mode).
    pub trip: PathEval<'a>,
    /// Release condition (row mode).
    pub release: PathEval<'a>,
    /// Scale while active, a fraction in `[0, 1]`.
    pub scale: f64,
}

/// A volatility target ready to run (spec/semantics.md, "Volatility target and position limits").
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StageVol {
    /// The annualised volatility to hit (> 0).
    pub target: f64,
    /// Own returns the volatility is measured on (>= 2).
    pub lookback: usize,
    /// The largest scale (> 0).
    pub cap: f64,
    /// Periods per year (`annualize`).
    pub periods: f64,
}

/// The book's cash account ready to run (spec/semantics.md, "Cash and financing").
#[derive(Debug, Clone, PartialEq)]
pub struct StageCash {
    /// The annualised rate (a fraction) known at the close of each row (`rows` values; NaN
    /// where undefined, which earns 0 and is counted).
    pub rate: Vec<f64>,
    /// The annualised spread over the rate paid on a negative cash balance (>= 0).
    pub financing: f64,
    /// The annualised fee paid on short positions (>= 0).
    pub borrow: f64,
    /// Periods per year (`annualize`).
    pub periods: f64,
}

/// What scales the book after the kill switches (a volatility target, then the limits), and
/// its cash account.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageRisk {
    /// The volatility target, if any.
    pub vol: Option<StageVol>,
    /// The limits in the order they apply (gross, then net), with their bounds.
    pub limits: Vec<(LimitKind, f64)>,
    /// The cash account, if any.
    pub cash: Option<StageCash>,
}

impl StageRisk {
    /// Whether nothing scales the book after the kill switches (no volatility target, no limit).
    fn is_empty(&self) -> bool {
        self.vol.is_none() && self.limits.is_empty()
    }
}

/// What the cash account did over the run: per return row `t0+1 ..= T-1` (index `t - t0 - 1`),
/// fractions of equity.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CashTrace {
    /// The per-period cash rate `c[t] = rate[t-1] / annualize` (0 where the rate is NaN): the
    /// risk-free return of Sharpe and Sortino.
    pub rf: Vec<f64>,
    /// Interest earned on a positive cash balance, `max(b, 0) * c[t]`.
    pub earned: Vec<f64>,
    /// Interest paid on a negative cash balance, `max(-b, 0) * (c[t] + financing / annualize)`.
    pub financing: Vec<f64>,
    /// The fee paid on short positions, `borrow / annualize * sum_j max(-w'[t-1, j], 0)`.
    pub borrow: Vec<f64>,
    /// The return rows whose rate (read on the row before) is NaN.
    pub missing: usize,
    /// The first row whose rate is NaN and is read (the row before a return row), if any.
    pub first_missing: Option<usize>,
    /// Periods per year (`annualize`), to annualise the means.
    pub periods: f64,
}

/// The cash account's terms of one return row, given the per-period rate `c` (0 for NaN), the
/// held book's net `sum_j w'[t-1, j]` and short side `sum_j max(-w'[t-1, j], 0)`: (earned,
/// financing paid, borrow fee paid), each >= 0 for rates >= 0.
pub fn cash_terms(cash: &StageCash, c: f64, net: f64, short: f64) -> (f64, f64, f64) {
    let b = 1.0 - net;
    let earned = if b > 0.0 { b * c } else { 0.0 };
    let financing = if b < 0.0 { -b * (c + cash.financing / cash.periods) } else { 0.0 };
    (earned, financing, cash.borrow / cash.periods * short)
}

/// What a limit did over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitTrace {
    /// What it bounds.
    pub kind: LimitKind,
    /// Its bound.
    pub value: f64,
    /// Whether it scaled the book down at the close of each row (`rows` values).
    pub bound: Vec<bool>,
    /// Share of the decision rows `t0 ..= T-2` on which it bound.
    pub bound_share: f64,
}

/// The volatility target's scale decided at a close, given the own returns so far (`returns`,
/// in time order): 1 while fewer than `lookback` exist; else `min(target / sigma, cap)` with
/// `sigma` the sample std of the last `lookback` returns ([`std_ddof1`]: ddof 1, two-pass,
/// exactly 0 when they are all equal) times `sqrt(periods)`, and `cap` when `sigma = 0`.
pub fn vol_scale(v: &StageVol, returns: &[f64]) -> f64 {
    let l = v.lookback;
    if returns.len() < l {
        return 1.0;
    }
    let sigma = std_ddof1(&returns[returns.len() - l..]) * v.periods.sqrt();
    if sigma == 0.0 {
        v.cap
    } else {
        (v.target / sigma).min(v.cap)
    }
}

/// What a kill switch did over the run.
#[derive(Debug, Clone, PartialEq)]
pub struct KillTrace {
    /// The switch's name.
    pub name: String,
    /// Whether it is active at the close of each row (`rows` values; false before `t0`).
    pub active: Vec<bool>,
    /// Share of the decision rows `t0 ..= T-2` on which it is active.
    pub active_share: f64,
    /// Number of decision rows on which it turns on.
    pub trips: usize,
    /// The first row on which it turns on, if any.
    pub first_trip: Option<usize>,
}

/// The result of the stage.
#[derive(Debug, Clone, PartialEq)]
pub struct StageResult {
    /// Strategy returns of rows `t0+1 ..= T-1`, net of costs, switches applied.
    pub returns: Vec<f64>,
    /// Gross exposure `sum_j |w'[t-1, j]|` behind each return.
    pub exposure: Vec<f64>,
    /// Turnover `sum_j |w'[t, j] - w'[t-1, j]|` decided on each row (`rows` values).
    pub turnover: Vec<f64>,
    /// Cost of the trade decided on each row, charged against the next row's return (`rows`).
    pub cost: Vec<f64>,
    /// Gross exposure `sum_j |w'[t, j]|` held from each row's close (`rows`).
    pub gross: Vec<f64>,
    /// The scale `s[t]` applied on each row (`rows`; 1 without an active switch).
    pub scale: Vec<f64>,
    /// Each kill switch's trace.
    pub kills: Vec<KillTrace>,
    /// The volatility target's scale `v[t]` decided on each row (`rows`; 1 without a target).
    pub vol_scale: Vec<f64>,
    /// The mean of `v[t]` over the decision rows `t0 ..= T-2`, with a volatility target.
    pub vol_scale_mean: Option<f64>,
    /// Each limit's trace.
    pub limits: Vec<LimitTrace>,
    /// The cash account's trace, with a `cash` statement.
    pub cash: Option<CashTrace>,
    /// Each own-path report's value per row (`rows` values; NaN before `t0`).
    pub reports: Vec<Vec<f64>>,
    /// With `drift`: the weights `w'[t, j]` held from the close of each row (`rows * assets`,
    /// asset-major; 0 before `t0` and from a ruin on); empty otherwise.
    pub weights: Vec<f64>,
    /// The ruin row (SEMANTICS.md §3b), if any.
    pub ruin: Option<usize>,
    /// Every asset's trade, in row then asset order (with [`BookPath::detail`]; else empty).
    pub trades: Vec<AssetTrade>,
}

impl StageResult {
    /// An empty result for `rows` bars from `t0`, with a trace per switch and a row of values
    /// per own-path report.
    fn new(rows: usize, t0: usize, kills: &[StageKill], risk: &StageRisk, reports: usize) -> StageResult {
        StageResult {
            returns: Vec::with_capacity(rows - t0 - 1),
            exposure: Vec::with_capacity(rows - t0 - 1),
            turnover: vec![0.0; rows],
            cost: vec![0.0; rows],
            gross: vec![0.0; rows],
            scale: vec![1.0; rows],
            kills: kills.iter().map(|k| KillTrace { name: k.name.clone(), active: vec![false; rows], active_share: 0.0, trips: 0, first_trip: None }).collect(),
            vol_scale: vec![1.0; rows],
            vol_scale_mean: None,
            limits: risk.limits.iter().map(|&(kind, value)| LimitTrace { kind, value, bound: vec![false; rows], bound_share: 0.0 }).collect(),
            cash: risk.cash.as_ref().map(|c| CashTrace { periods: c.periods, ..CashTrace::default() }),
            reports: vec![vec![f64::NAN; rows]; reports],
            weights: vec![],
            ruin: None,
            trades: vec![],
        }
    }

    /// Books the return `r` of row `t` (earned by the weights held from `t-1`) and compounds
    /// `equity` with it. Errors on a return or an equity that is not finite.
    fn book_return(&mut self, t: usize, r: f64, equity: &mut f64) -> Result<(), StageError> {
        if !r.is_finite() {
            return Err(StageError::Backtest(BacktestError::NonFiniteReturn { row: t, asset: None, value: r }));
        }
        self.exposure.push(self.gross[t - 1]);
        self.returns.push(r);
        *equity *= 1.0 + r;
        if !equity.is_finite() {
            return Err(StageError::Backtest(BacktestError::NonFiniteEquity { row: t }));
        }
        Ok(())
    }
}

/// Errors of the stage beyond the backtest's.
#[derive(Debug, Clone, PartialEq)]
pub enum StageError {
    /// A backtest error (a non-finite return or equity).
    Backtest(BacktestError),
    /// A per-asset cost rate that is NaN or negative on a row where the asset is traded.
    BadCostRate { row: usize, asset: usize, value: f64 },
    /// A kill switch's scale outside `[0, 1]` (a param value).
    BadScale { name: String, value: f64 },
    /// A kill switch whose release condition can never be evaluated on this data (its warm-up,
    /// or a window or lag of an own value, is at least as long as the run): once tripped it
    /// could never be released.
    ReleaseUndefined { name: String },
    /// A value of `target_vol` or `limit` out of its range (a param value): `what` names it.
    BadRisk { what: String, value: f64 },
}

/// Runs the stage over `book`. `reports` are own-path report expressions (row mode).
pub fn run_stage(
    book: &BookPath,
    cost: &mut StageCost,
    kills: &mut [StageKill],
    risk: &StageRisk,
    reports: &mut [PathEval],
) -> Result<StageResult, StageError> {
    for k in kills.iter() {
        if !(0.0..=1.0).contains(&k.scale) {
            return Err(StageError::BadScale { name: k.name.clone(), value: k.scale });
        }
    }
    check_risk(risk)?;
    let (n, a, t0) = (book.rows, book.assets, book.t0);
    // The flat path; `book::flat_stage` reads the same conditions from the program (the lean
    // path of an ensemble's sweep and walk-forward): keep the two in step.
    if let (true, true, true, true, None, StageCost::Flat(rate)) =
        (kills.is_empty(), reports.is_empty(), risk.is_empty(), risk.cash.is_none(), &book.drift, &*cost)
    {
        return flat_stage(book, *rate);
    }
    let mut out = StageResult::new(n, t0, kills, risk, reports.len());
    // `limit weight`: its bound and its index among the limits.
    let weight_limit = risk.limits.iter().position(|l| l.0 == LimitKind::Weight).map(|i| (i, risk.limits[i].1));
    // The per-asset returns, when the held weights are not a scale of the book's.
    let per_asset = book.drift.as_ref().map(|d| d.returns).or(book.asset_returns.filter(|_| weight_limit.is_some()));
    // A drifting or clipped book's held weights are the stage's own, recorded row by row.
    let record = book.drift.is_some() || weight_limit.is_some();
    if record {
        out.weights = vec![0.0; n * a];
    }
    // With drift: the book before the stage's scale, its targets on rebalance rows floated with
    // prices in between (`u[t, j]`); the held weights are `w'[t, j] = s[t] * u[t, j]`.
    let mut u = vec![0.0; a];
    // The book's weights before switches (refreshed on change rows), the held w' and the new w'.
    let (mut h, mut held, mut next) = (vec![0.0; a], vec![0.0; a], vec![0.0; a]);
    // The gross `sum_j |w[t, j]|` and net `sum_j w[t, j]` of `h`, for the limits.
    let (mut h_gross, mut h_net) = (0.0_f64, 0.0_f64);
    // The held book's net `sum_j w'[t-1, j]` and short side `sum_j max(-w'[t-1, j], 0)`, for the
    // cash account.
    let (mut held_net, mut held_short) = (0.0_f64, 0.0_f64);
    let mut active = vec![false; kills.len()];
    let (mut equity, mut peak, mut s_prev, mut cost_prev) = (1.0_f64, 1.0_f64, 1.0_f64, 0.0_f64);
    for t in t0..n {
        let mut day = f64::NAN;
        if t > t0 {
            // A closed book (ruin) earns nothing more; its own values stay where they are and
            // the switches and reports keep reading them.
            let g = match per_asset {
                // The held weights earn their assets' returns (a missing return counts 0).
                Some(ret) => held.iter().enumerate().map(|(j, w)| if *w == 0.0 || ret[j * n + t].is_nan() { 0.0 } else { w * ret[j * n + t] }).sum(),
                None => s_prev * book.gross[t - t0 - 1],
            };
            let mut r = if out.ruin.is_some() { 0.0 } else { g - cost_prev };
            if let (Some(cash), Some(trace)) = (&risk.cash, &mut out.cash) {
                let rate = cash.rate[t - 1];
                if rate.is_infinite() {
                    return Err(StageError::BadRisk { what: "the `cash` rate".to_string(), value: rate });
                }
                if rate.is_nan() && out.ruin.is_none() {
                    trace.missing += 1;
                    trace.first_missing.get_or_insert(t - 1);
                }
                let c = if rate.is_nan() { 0.0 } else { rate / cash.periods };
                let (earned, financing, borrow) = if out.ruin.is_some() { (0.0, 0.0, 0.0) } else { cash_terms(cash, c, held_net, held_short) };
                r += earned - financing - borrow;
                trace.rf.push(c);
                trace.earned.push(earned);
                trace.financing.push(financing);
                trace.borrow.push(borrow);
            }
            out.book_return(t, r, &mut equity)?;
            if let (Some(d), None, true) = (&book.drift, out.ruin, equity > 0.0) {
                // Positions are held in units: each weight grows with its asset and shrinks with
                // the book, `u[t, j] = u[t-1, j] * (1 + r[t, j]) / (1 + x[t])`, and the held
                // book after the move is `s[t-1] * u[t, j]`.
                for (j, (uj, hj)) in u.iter_mut().zip(held.iter_mut()).enumerate() {
                    let rj = d.returns[j * n + t];
                    let grow = if rj.is_nan() { 1.0 } else { 1.0 + rj };
                    *uj = *uj * grow / (1.0 + r);
                    *hj = s_prev * *uj;
                }
            }
            if equity <= 0.0 && out.ruin.is_none() {
                out.ruin = Some(t);
                out.turnover[t] = out.gross[t - 1];
            }
            peak = peak.max(equity);
            day = r;
        }
        let own = OwnRow { equity, drawdown: equity / peak - 1.0, day_return: day, trade: f64::NAN };
        let mut s = 1.0_f64;
        for (i, k) in kills.iter_mut().enumerate() {
            let trip = truthy(k.trip.row(t, &own, &active));
            let release = truthy(k.release.row(t, &own, &active));
            let on = trip || (active[i] && !release);
            if on && !active[i] && t + 1 < n {
                out.kills[i].trips += 1;
                out.kills[i].first_trip.get_or_insert(t);
            }
            active[i] = on;
            out.kills[i].active[t] = on;
            if on {
                s = s.min(k.scale);
            }
        }
        for (i, r) in reports.iter_mut().enumerate() {
            out.reports[i][t] = r.row(t, &own, &active);
        }
        // The book's weights before switches change only on change rows (read first at t0);
        // a drifting book takes its targets on its rebalance rows and floats in between.
        if let Some(d) = &book.drift {
            if out.ruin.is_none() {
                if d.rebalance[t] || t == t0 {
                    (book.weights)(t, &mut u);
                }
                h.copy_from_slice(&u);
                if !risk.is_empty() {
                    h_gross = turnover_and_gross(&h, &held).1;
                    h_net = h.iter().sum();
                }
            }
        } else if out.ruin.is_none() && (book.change[t] || t == t0) {
            (book.weights)(t, &mut h);
            if !risk.is_empty() {
                h_gross = turnover_and_gross(&h, &held).1;
                h_net = h.iter().sum();
            }
        }
        if out.ruin.is_none() && !risk.is_empty() {
            if let Some(v) = &risk.vol {
                let x = vol_scale(v, &out.returns);
                out.vol_scale[t] = x;
                s *= x;
            }
            for (i, &(kind, bound)) in risk.limits.iter().enumerate() {
                let size = match kind {
                    LimitKind::Gross => s * h_gross,
                    LimitKind::Net => (s * h_net).abs(),
                    // Applied to each asset below, after the scale.
                    LimitKind::Weight => continue,
                };
                if size > bound {
                    s *= bound / size;
                    out.limits[i].bound[t] = true;
                }
            }
        }
        out.scale[t] = s;
        if out.ruin.is_some() {
            // Nothing is held from the ruin row's close on (its closing trade costs nothing).
            s_prev = s;
            cost_prev = 0.0;
            continue;
        }
        if book.drift.is_some() || book.change[t] || s.to_bits() != s_prev.to_bits() || t == t0 {
            for (x, w) in next.iter_mut().zip(&h) {
                *x = s * w;
            }
            if let Some((i, bound)) = weight_limit {
                // Each asset's weight within [-bound, bound]; a drifting book then floats from
                // the clipped positions.
                let mut bound_here = false;
                for (j, x) in next.iter_mut().enumerate() {
                    if x.abs() > bound {
                        *x = bound.copysign(*x);
                        bound_here = true;
                        if book.drift.is_some() && s > 0.0 {
                            u[j] = *x / s;
                        }
                    }
                }
                out.limits[i].bound[t] = bound_here;
            }
            let (tv, g) = turnover_and_gross(&next, &held);
            let mut c = match cost {
                StageCost::Flat(rate) => *rate * tv,
                StageCost::PerAsset(_) => 0.0,
            };
            if book.detail || matches!(cost, StageCost::PerAsset(_)) {
                for j in 0..a {
                    let trade = (next[j] - held[j]).abs();
                    if trade == 0.0 {
                        continue;
                    }
                    let cj = match cost {
                        StageCost::Flat(rate) => *rate * trade,
                        StageCost::PerAsset(rate) => {
                            let v = rate.asset(t, j, &OwnRow { trade, ..own });
                            if v.is_nan() || v < 0.0 {
                                return Err(StageError::BadCostRate { row: t, asset: j, value: v });
                            }
                            c += v * trade;
                            v * trade
                        }
                    };
                    if book.detail {
                        out.trades.push(AssetTrade { row: t, asset: j, weight: next[j], trade, cost: cj });
                    }
                }
            }
            std::mem::swap(&mut held, &mut next);
            if risk.cash.is_some() {
                held_net = held.iter().sum();
                held_short = held.iter().map(|w| (-w).max(0.0)).sum();
            }
            out.turnover[t] = tv;
            out.gross[t] = g;
            out.cost[t] = c;
            cost_prev = c;
        } else {
            out.gross[t] = out.gross[t - 1];
            cost_prev = 0.0;
            if let Some((i, _)) = weight_limit {
                out.limits[i].bound[t] = out.limits[i].bound[t - 1];
            }
        }
        if record {
            for (j, w) in held.iter().enumerate() {
                out.weights[j * n + t] = *w;
            }
        }
        s_prev = s;
    }
    finish_traces(&mut out, t0, n, risk);
    Ok(out)
}

/// [`run_stage`] of a book with a flat cost and no switch or own-path report: nothing depends
/// on the own path but ruin, so the trades are taken on the change rows only and the returns
/// in one pass. The figures are those of the general loop, bit for bit.
fn flat_stage(book: &BookPath, rate: f64) -> Result<StageResult, StageError> {
    let (n, a, t0) = (book.rows, book.assets, book.t0);
    let mut out = StageResult::new(n, t0, &[], &StageRisk::default(), 0);
    let (mut h, mut held) = (vec![0.0; a], vec![0.0; a]);
    // From one change row to the next; between them nothing is traded and the gross holds.
    let mut next = Some(t0);
    while let Some(t) = next {
        next = book.change[t + 1..n].iter().position(|&c| c).map(|i| t + 1 + i);
        (book.weights)(t, &mut h);
        let (tv, g) = turnover_and_gross(&h, &held);
        if book.detail {
            for (j, (x, p)) in h.iter().zip(&held).enumerate() {
                let trade = (x - p).abs();
                if trade > 0.0 {
                    out.trades.push(AssetTrade { row: t, asset: j, weight: *x, trade, cost: rate * trade });
                }
            }
        }
        std::mem::swap(&mut h, &mut held);
        out.turnover[t] = tv;
        out.gross[t] = g;
        out.cost[t] = rate * tv;
        out.gross[t + 1..next.unwrap_or(n)].fill(g);
    }
    // The common case first, in loops without a call in them (a `push` that may grow spills
    // every float register on each row): every return finite and the equity finite and
    // positive throughout. Otherwise the row-by-row loop below reports the error or closes the
    // book at its ruin, as before.
    let returns: Vec<f64> = (t0 + 1..n).map(|t| book.gross[t - t0 - 1] - out.cost[t - 1]).collect();
    let mut equity = 1.0_f64;
    let mut clean = true;
    for &r in &returns {
        equity *= 1.0 + r;
        clean &= r.is_finite() & equity.is_finite() & (equity > 0.0);
    }
    if clean {
        out.returns = returns;
        out.exposure = out.gross[t0..n - 1].to_vec();
        return Ok(out);
    }
    let mut equity = 1.0_f64;
    for t in t0 + 1..n {
        let r = book.gross[t - t0 - 1] - out.cost[t - 1];
        out.book_return(t, r, &mut equity)?;
        if equity <= 0.0 {
            out.turnover[t + 1..].fill(0.0);
            out.cost[t..].fill(0.0);
            out.gross[t..].fill(0.0);
            close(&mut out, t, n);
            break;
        }
    }
    Ok(out)
}

/// Closes the book at its ruin row `t`: nothing is held from its close on (the closing trade
/// costs nothing: no later return is charged), every later return is 0.
fn close(out: &mut StageResult, t: usize, n: usize) {
    out.ruin = Some(t);
    out.turnover[t] = out.gross[t - 1];
    for _ in t + 1..n {
        out.returns.push(0.0);
        out.exposure.push(0.0);
    }
}

/// The switches' and limits' shares and the volatility target's mean scale over the decision
/// rows `t0 ..= T-2`.
fn finish_traces(out: &mut StageResult, t0: usize, n: usize, risk: &StageRisk) {
    let decisions = (n - 1 - t0) as f64;
    for k in &mut out.kills {
        let on = k.active[t0..n - 1].iter().filter(|&&b| b).count();
        k.active_share = on as f64 / decisions;
    }
    for l in &mut out.limits {
        let on = l.bound[t0..n - 1].iter().filter(|&&b| b).count();
        l.bound_share = on as f64 / decisions;
    }
    if risk.vol.is_some() {
        out.vol_scale_mean = Some(mean(&out.vol_scale[t0..n - 1]));
    }
}

/// The values of `target_vol`, `limit` and `cash` (params included) in their ranges.
fn check_risk(risk: &StageRisk) -> Result<(), StageError> {
    let bad = |what: &str, value: f64| Err(StageError::BadRisk { what: what.to_string(), value });
    if let Some(c) = &risk.cash {
        if !(c.financing.is_finite() && c.financing >= 0.0) {
            return bad("the `financing` spread of `cash`", c.financing);
        }
        if !(c.borrow.is_finite() && c.borrow >= 0.0) {
            return bad("the `borrow` fee of `cash`", c.borrow);
        }
    }
    if let Some(v) = &risk.vol {
        if !(v.target.is_finite() && v.target > 0.0) {
            return bad("the volatility target", v.target);
        }
        if !(v.cap.is_finite() && v.cap > 0.0) {
            return bad("the leverage cap of `target_vol`", v.cap);
        }
    }
    for &(kind, value) in &risk.limits {
        if !(value.is_finite() && value > 0.0) {
            return bad(&format!("`limit {}`", kind.name()), value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
