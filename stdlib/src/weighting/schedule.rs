//! The rebalance driver (SEMANTICS.md §6): at each rebalance row `t` with a
//! full `lookback`-row window (rows `t-lookback+1 ..= t`), compute the
//! method's target (or the fallback chain's), smooth it toward the
//! previously held weights and cap the turnover
//! ([`super::constraints::smooth_and_cap`]; the first rebalance takes its
//! target as is), and hold the result on every row up to the next
//! rebalance. Weights decided at row `t` earn row `t+1`'s return
//! (SEMANTICS.md §1); that shift is the backtester's job.

use super::constraints::{smooth_and_cap, turnover};
use super::fallback::{fallback_chain, FallbackRecord, FallbackStep};
use super::{covariance, Bounds, Infeasibility};
use super::{target_weights, Method, Note, WeightError, WeightOptions};
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};

/// One event of a rebalance, for the user's diagnostics.
#[derive(Debug, Clone, PartialEq)]
pub enum LogEntry {
    /// The method succeeded with a remark.
    Note { row: usize, note: Note },
    /// The method failed at `row`; the fallback chain supplied the target.
    Fallback { row: usize, record: FallbackRecord },
}

/// A rebalanced weight path.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    /// `rows x N`: the weights held at each row (0 before the first
    /// rebalance, which is the first live row, SEMANTICS.md §2).
    pub weights: Array2<f64>,
    /// The rows at which the method ran, in order.
    pub rebalance_rows: Vec<usize>,
    /// The targets computed at those rows (before smoothing / cap), `k x N`.
    pub targets: Array2<f64>,
    /// `||held_k - held_{k-1}||_1` per rebalance (the first against 0).
    pub turnover: Vec<f64>,
    /// Notes and fallbacks, in row order.
    pub log: Vec<LogEntry>,
}

/// Month-end flags of a calendar (SEMANTICS.md §1): row `t` is a month-end
/// when row `t+1` falls in a later month; the last row is one.
/// `year_month[t] = (year, month)` of row `t`'s date.
pub fn month_end_flags(year_month: &[(i32, u32)]) -> Vec<bool> {
    let n = year_month.len();
    (0..n).map(|t| t + 1 == n || year_month[t + 1] != year_month[t]).collect()
}

/// [`rebalance`] on the month-end rows (`month_end[t]`, see
/// [`month_end_flags`]); SEMANTICS.md §6 uses `lookback = 60`.
pub fn rebalance_monthly(
    returns: ArrayView2<f64>,
    month_end: &[bool],
    lookback: usize,
    method: &Method,
    opts: &WeightOptions,
) -> Result<Schedule, WeightError> {
    rebalance(returns, month_end, lookback, method, opts)
}

/// Rebalances `method` on the rows flagged in `when` (any calendar).
///
/// `returns`: `rows x N` simple returns (fractions); leading rows in which
/// every column is NaN (the undefined `r[0]` of SEMANTICS.md §0) are not
/// history, so with prices from row 0 the first full 60-return window ends
/// at row 60. A flagged row `t` rebalances when its window
/// `t-lookback+1 ..= t` lies after those rows. NaN inside a full window
/// (e.g. an asset that has not started) makes the method fail with
/// [`WeightError::NanReturns`] and the fallback chain decide, logged.
///
/// Errors (malformed input only): `when.len() != rows`, `lookback < 2`, a
/// regime spec whose arrays do not cover every row.
pub fn rebalance(returns: ArrayView2<f64>, when: &[bool], lookback: usize, method: &Method, opts: &WeightOptions) -> Result<Schedule, WeightError> {
    let (rows, n) = returns.dim();
    if when.len() != rows {
        return Err(WeightError::InvalidInput(format!("{} rebalance flags for {rows} rows", when.len())));
    }
    if lookback < 2 {
        return Err(WeightError::InvalidInput(format!("lookback {lookback} < 2")));
    }
    if let Method::RegimeMoe(spec) = method {
        if spec.regimes.len() != rows || spec.probs.nrows() != rows {
            return Err(WeightError::InvalidInput(format!("regime spec covers {} / {} rows of {rows}", spec.regimes.len(), spec.probs.nrows())));
        }
    }
    let first = (0..rows).find(|&t| returns.row(t).iter().any(|v| !v.is_nan())).unwrap_or(rows);
    let bounds = method.bounds(opts);
    let mut out =
        Schedule { weights: Array2::zeros((rows, n)), rebalance_rows: Vec::new(), targets: Array2::zeros((0, n)), turnover: Vec::new(), log: Vec::new() };
    let mut held: Option<Array1<f64>> = None;
    let mut targets = Vec::new();
    for (t, &flag) in when.iter().enumerate() {
        if flag && t + 1 >= first + lookback {
            let start = t + 1 - lookback;
            let window = returns.slice(s![start..=t, ..]);
            let m = match method {
                Method::RegimeMoe(spec) => Method::RegimeMoe(spec.rows(start, t + 1)),
                _ => method.clone(),
            };
            let (target, entries) = rebalance_target(window, held.as_ref().map(|h| h.view()), &m, opts, bounds, t);
            out.log.extend(entries);
            let new = smooth_and_cap(target.view(), held.as_ref().map(|h| h.view()), opts.smoothing, opts.turnover_cap);
            let before = held.clone().unwrap_or_else(|| Array1::zeros(n));
            out.turnover.push(turnover(new.view(), before.view()));
            out.rebalance_rows.push(t);
            targets.extend(target.iter().cloned());
            held = Some(new);
        }
        if let Some(h) = &held {
            out.weights.row_mut(t).assign(h);
        }
    }
    out.targets = Array2::from_shape_vec((out.rebalance_rows.len(), n), targets).map_err(|e| WeightError::InvalidInput(format!("targets: {e}")))?;
    Ok(out)
}

/// Whether a member's drawdown within the window, compounding its returns from the window's
/// start (equity 1), is worse than `-limit`. A NaN return never breaches (the method or the
/// fallback chain deals with it).
fn breaches_drawdown(r: ArrayView1<f64>, limit: f64) -> bool {
    let (mut equity, mut peak) = (1.0f64, 1.0f64);
    for &x in r {
        equity *= 1.0 + x;
        peak = peak.max(equity);
        if equity / peak - 1.0 < -limit {
            return true;
        }
    }
    false
}

/// The target of one rebalance row and its log entries, in this order: the minimum-history
/// filter (members and trailing rows), the max-drawdown filter, the method (failing to the
/// fallback chain, also when the target has fewer than `min_active` members), the vol target,
/// then the leverage cap. Excluded members get weight 0.
fn rebalance_target(
    window: ArrayView2<f64>,
    prev: Option<ArrayView1<f64>>,
    method: &Method,
    opts: &WeightOptions,
    bounds: Option<Bounds>,
    row: usize,
) -> (Array1<f64>, Vec<LogEntry>) {
    let (rows, n) = window.dim();
    let mut log = vec![];
    // Minimum history: members with a full trailing `k` rows, on the rows they all have.
    let (mut keep, first_row): (Vec<usize>, usize) = match opts.min_history {
        None => ((0..n).collect(), 0),
        Some(k) => {
            let k = k.clamp(1, rows);
            let (keep, out): (Vec<usize>, Vec<usize>) = (0..n).partition(|&j| window.column(j).iter().skip(rows - k).all(|v| v.is_finite()));
            if !out.is_empty() {
                log.push(LogEntry::Note { row, note: Note::ShortHistoryExcluded(out) });
            }
            let first = (0..rows).rev().find(|&t| keep.iter().any(|&j| !window[[t, j]].is_finite())).map(|t| t + 1).unwrap_or(0);
            (keep, first)
        }
    };
    let window = window.slice(s![first_row.., ..]);
    if let Some(limit) = opts.max_drawdown {
        let (kept, out): (Vec<usize>, Vec<usize>) = keep.iter().partition(|&&j| !breaches_drawdown(window.column(j), limit));
        if !out.is_empty() {
            log.push(LogEntry::Note { row, note: Note::DrawdownFiltered(out) });
        }
        keep = kept;
    }
    if keep.is_empty() {
        let cause = match opts.max_drawdown {
            Some(max_drawdown) => WeightError::Infeasible(Infeasibility::MaxDrawdown { max_drawdown }),
            None => WeightError::InsufficientHistory { rows: 0, needed: opts.min_history.unwrap_or(0) },
        };
        log.push(LogEntry::Fallback { row, record: FallbackRecord { cause, step: FallbackStep::Cash, skipped: vec![] } });
        return (Array1::zeros(n), log);
    }
    let filtered = keep.len() < n;
    let sub_owned = filtered.then(|| window.select(Axis(1), &keep));
    let sub = sub_owned.as_ref().map(|w| w.view()).unwrap_or(window);
    let sub_prev: Option<Array1<f64>> = prev.map(|p| Array1::from_iter(keep.iter().map(|&j| p[j])));
    let result = target_weights(sub, method, opts).and_then(|tw| match opts.min_active {
        Some(k) => {
            let active = tw.weights.iter().filter(|w| **w > 1e-9).count();
            if active < k {
                Err(WeightError::Infeasible(Infeasibility::MinActive { min_active: k, active }))
            } else {
                Ok(tw)
            }
        }
        None => Ok(tw),
    });
    let target_sub = match result {
        Ok(tw) => {
            log.extend(tw.notes.into_iter().map(|note| LogEntry::Note { row, note }));
            tw.weights
        }
        Err(cause) => {
            let (w, record) = fallback_chain(sub, sub_prev.as_ref().map(|p| p.view()), bounds, cause, &opts.fallback);
            log.push(LogEntry::Fallback { row, record });
            w
        }
    };
    let mut target = if filtered {
        let mut t = Array1::zeros(n);
        for (i, &j) in keep.iter().enumerate() {
            t[j] = target_sub[i];
        }
        t
    } else {
        target_sub
    };
    if let Some(vt) = opts.vol_target {
        // The kept members' covariance on the rows they were weighted on (the others hold 0).
        if let Ok(cov) = covariance::estimate(sub, opts.covariance) {
            let w: Vec<f64> = keep.iter().map(|&j| target[j]).collect();
            let m = w.len();
            let var: f64 = (0..m).map(|i| (0..m).map(|j| w[i] * cov.matrix[[i, j]] * w[j]).sum::<f64>()).sum();
            let vol = (var * vt.annualize).sqrt();
            if vol > 0.0 && vol.is_finite() {
                let scale = vt.vol / vol;
                log.push(LogEntry::Note { row, note: Note::VolTargeted { vol, scale } });
                target.mapv_inplace(|x| x * scale);
            }
        }
    }
    if let Some(cap) = opts.max_leverage {
        let gross: f64 = target.iter().map(|w| w.abs()).sum();
        if gross > cap {
            log.push(LogEntry::Note { row, note: Note::LeverageCapped { gross, cap } });
            target.mapv_inplace(|w| w * (cap / gross));
        }
    }
    (target, log)
}
