//! Period views of a return series for tear sheets: compounded returns per calendar period, the
//! worst drawdown periods, and rolling Sharpe ratio and volatility. Shapes: one value per bar
//! (rows = bars); returns and drawdowns are fractions. The conventions follow pyfolio 0.9 /
//! empyrical (`get_top_drawdowns`, `aggregate_returns`, `rolling_sharpe`), on Strat's own metric
//! definitions (SEMANTICS.md §4: sample standard deviation, annualised by √P).

use crate::metrics::{beta_alpha, mean, std_ddof1};

/// The compounded return of `returns`: `∏(1 + r) − 1` (0 for an empty slice; NaN if any is).
pub fn compound(returns: &[f64]) -> f64 {
    returns.iter().fold(1.0, |e, r| e * (1.0 + r)) - 1.0
}

/// The compounded return of each run of equal `keys` (e.g. `(year, month)` per bar), in order:
/// `(key, compound(returns of the run))`. `keys` and `returns` have one entry per bar.
///
/// # Panics
/// If the lengths differ (a programming error).
pub fn compound_by<K: PartialEq + Copy>(keys: &[K], returns: &[f64]) -> Vec<(K, f64)> {
    assert_eq!(keys.len(), returns.len(), "compound_by: one key per return");
    let mut out: Vec<(K, f64)> = vec![];
    let mut start = 0;
    for t in 1..=keys.len() {
        if t == keys.len() || keys[t] != keys[start] {
            out.push((keys[start], compound(&returns[start..t])));
            start = t;
        }
    }
    out
}

/// One drawdown period of an equity curve (indices are bars of the curve).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrawdownPeriod {
    /// The bar of the peak the drawdown starts from.
    pub peak: usize,
    /// The bar of the lowest equity before recovery.
    pub trough: usize,
    /// The first bar whose equity is back at the peak's; `None` if not recovered by the end.
    pub recovery: Option<usize>,
    /// `equity[trough] / equity[peak] − 1` (negative).
    pub depth: f64,
}

/// The `k` deepest drawdown periods of `equity` (one value per bar, positive), deepest first,
/// without overlap: the deepest is found, its peak-to-recovery span removed, and the search
/// repeated on what is left, as pyfolio's `get_top_drawdowns`. Periods with no loss are not
/// listed, so fewer than `k` may come back.
pub fn worst_drawdowns(equity: &[f64], k: usize) -> Vec<DrawdownPeriod> {
    // Every underwater spell: from the running peak to the bar equity regains it.
    let mut spells: Vec<DrawdownPeriod> = vec![];
    let mut peak = 0;
    let mut open: Option<DrawdownPeriod> = None;
    for t in 0..equity.len() {
        if equity[t] >= equity[peak] {
            if let Some(mut s) = open.take() {
                s.recovery = Some(t);
                spells.push(s);
            }
            peak = t;
            continue;
        }
        let depth = equity[t] / equity[peak] - 1.0;
        let s = open.get_or_insert(DrawdownPeriod { peak, trough: t, recovery: None, depth });
        if depth < s.depth {
            s.trough = t;
            s.depth = depth;
        }
    }
    spells.extend(open);
    spells.sort_by(|a, b| a.depth.partial_cmp(&b.depth).unwrap_or(std::cmp::Ordering::Equal).then(a.peak.cmp(&b.peak)));
    spells.truncate(k);
    spells
}

/// The Sharpe ratio over each trailing window of `window` bars, annualised by `√periods_per_year`
/// (mean / sample standard deviation, as the metrics table); NaN for the first `window − 1` bars
/// and where the window's deviation is 0 or a return is NaN.
pub fn rolling_sharpe(returns: &[f64], window: usize, periods_per_year: f64) -> Vec<f64> {
    rolling(returns, window, |x| {
        let sd = std_ddof1(x);
        if sd > 0.0 {
            mean(x) / sd * periods_per_year.sqrt()
        } else {
            f64::NAN
        }
    })
}

/// The annualised volatility (sample standard deviation × `√periods_per_year`) over each trailing
/// window of `window` bars; NaN for the first `window − 1` bars.
pub fn rolling_volatility(returns: &[f64], window: usize, periods_per_year: f64) -> Vec<f64> {
    rolling(returns, window, |x| std_ddof1(x) * periods_per_year.sqrt())
}

/// Beta against `benchmark` over each trailing window of `window` bars
/// ([`crate::metrics::beta_alpha`]); NaN for the first `window − 1` bars.
///
/// # Panics
/// If the lengths differ.
pub fn rolling_beta(returns: &[f64], benchmark: &[f64], window: usize) -> Vec<f64> {
    assert_eq!(returns.len(), benchmark.len(), "rolling_beta: one benchmark return per return");
    let w = window.max(2);
    (0..returns.len()).map(|t| if t + 1 < w { f64::NAN } else { beta_alpha(&returns[t + 1 - w..=t], &benchmark[t + 1 - w..=t], 1.0).0 }).collect()
}

/// One round trip of one asset: a maximal run of bars holding it with one sign.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RoundTrip {
    /// The bar whose close opened it (its first bar with a weight).
    pub entry: usize,
    /// The bar whose close closed it (the first bar after the run), `None` if still open at the end.
    pub exit: Option<usize>,
    /// The weight held from the entry's close (a fraction of equity; negative = short).
    pub entry_weight: f64,
    /// The mean weight over its bars.
    pub mean_weight: f64,
    /// Bars held.
    pub bars: usize,
    /// Its contribution to equity: `∏ (1 + w[t] · r[t+1]) − 1` over its bars `t` (the asset's
    /// return from `t` to `t+1` times the weight held; a last bar with no next return adds
    /// nothing).
    pub ret: f64,
}

/// The round trips of one asset from bar `from` on: `weights[t]` is the weight held from close `t`
/// to close `t + 1` (one per bar; 0 or NaN = not held), `returns[t]` the asset's return from close
/// `t − 1` to close `t` (one per bar). A trade opens when the weight becomes non-zero and closes
/// when it returns to 0 or changes sign (a flip closes one trade and opens the next on the same
/// bar), as pyfolio's round trips do on positions.
///
/// # Panics
/// If the lengths differ.
pub fn round_trips(weights: &[f64], returns: &[f64], from: usize) -> Vec<RoundTrip> {
    assert_eq!(weights.len(), returns.len(), "round_trips: one return per weight");
    let n = weights.len();
    let held = |t: usize| weights[t].is_finite() && weights[t] != 0.0;
    let mut out = vec![];
    let mut t = from;
    while t < n {
        if !held(t) {
            t += 1;
            continue;
        }
        let (a, sign) = (t, weights[t].signum());
        let (mut growth, mut sum) = (1.0, 0.0);
        while t < n && held(t) && weights[t].signum() == sign {
            sum += weights[t];
            if t + 1 < n {
                let r = returns[t + 1];
                growth *= 1.0 + weights[t] * if r.is_finite() { r } else { 0.0 };
            }
            t += 1;
        }
        let bars = t - a;
        out.push(RoundTrip { entry: a, exit: (t < n).then_some(t), entry_weight: weights[a], mean_weight: sum / bars as f64, bars, ret: growth - 1.0 });
    }
    out
}

/// Win rate, average win and loss, and profit factor of closed round trips.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TradeStats {
    /// Round trips, closed and open.
    pub count: usize,
    /// Of them still open at the end (not in the ratios below).
    pub open: usize,
    /// Closed trades with a positive return over the closed trades (NaN without one).
    pub win_rate: f64,
    /// Mean return of the winning closed trades (NaN without one).
    pub avg_win: f64,
    /// Mean return of the losing closed trades (negative; NaN without one).
    pub avg_loss: f64,
    /// Sum of winning returns over the absolute sum of losing ones (+inf with wins and no
    /// loss; NaN with neither).
    pub profit_factor: f64,
}

/// The [`TradeStats`] of `trips`.
pub fn trade_stats(trips: &[RoundTrip]) -> TradeStats {
    let closed: Vec<f64> = trips.iter().filter(|t| t.exit.is_some()).map(|t| t.ret).collect();
    let wins: Vec<f64> = closed.iter().copied().filter(|&r| r > 0.0).collect();
    let losses: Vec<f64> = closed.iter().copied().filter(|&r| r < 0.0).collect();
    let avg = |v: &[f64]| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    let (gain, loss) = (wins.iter().sum::<f64>(), -losses.iter().sum::<f64>());
    TradeStats {
        count: trips.len(),
        open: trips.len() - closed.len(),
        win_rate: if closed.is_empty() { f64::NAN } else { wins.len() as f64 / closed.len() as f64 },
        avg_win: avg(&wins),
        avg_loss: avg(&losses),
        profit_factor: if loss > 0.0 {
            gain / loss
        } else if gain > 0.0 {
            f64::INFINITY
        } else {
            f64::NAN
        },
    }
}

fn rolling(x: &[f64], window: usize, f: impl Fn(&[f64]) -> f64) -> Vec<f64> {
    let w = window.max(2);
    (0..x.len()).map(|t| if t + 1 < w { f64::NAN } else { f(&x[t + 1 - w..=t]) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compounded_periods_and_drawdowns_follow_their_definitions() {
        assert!((compound(&[0.1, -0.1]) - (1.1 * 0.9 - 1.0)).abs() < 1e-15);
        assert_eq!(compound_by(&[1, 1, 2, 3, 3], &[0.1, 0.1, 0.5, -0.5, 0.0]), vec![(1, 1.1f64 * 1.1 - 1.0), (2, 0.5), (3, -0.5)]);
        //            0    1    2    3    4    5    6    7    8
        let eq = [1.0, 1.2, 0.9, 1.0, 1.3, 1.1, 1.2, 1.4, 1.3];
        let d = worst_drawdowns(&eq, 5);
        assert_eq!(d.len(), 3);
        assert_eq!((d[0].peak, d[0].trough, d[0].recovery), (1, 2, Some(4)));
        assert!((d[0].depth - (0.9 / 1.2 - 1.0)).abs() < 1e-15);
        assert_eq!((d[1].peak, d[1].trough, d[1].recovery), (4, 5, Some(7)));
        assert_eq!((d[2].peak, d[2].trough, d[2].recovery), (7, 8, None));
        assert_eq!(worst_drawdowns(&eq, 1).len(), 1);
        assert!(worst_drawdowns(&[1.0, 2.0, 3.0], 5).is_empty());
        let r = [0.01, -0.02, 0.03, 0.0, 0.01];
        let s = rolling_sharpe(&r, 3, 252.0);
        assert!(s[0].is_nan() && s[1].is_nan());
        assert!((s[2] - mean(&r[..3]) / std_ddof1(&r[..3]) * 252f64.sqrt()).abs() < 1e-12);
        let v = rolling_volatility(&r, 3, 252.0);
        assert!((v[4] - std_ddof1(&r[2..5]) * 252f64.sqrt()).abs() < 1e-15);
        // Beta and alpha: x = 2 b + 0.001 exactly gives beta 2 and alpha (1.001)^P - 1.
        let b = [0.01, -0.02, 0.015, 0.0, -0.005];
        let x: Vec<f64> = b.iter().map(|v| 2.0 * v + 0.001).collect();
        let (beta, alpha) = beta_alpha(&x, &b, 252.0);
        assert!((beta - 2.0).abs() < 1e-12 && (alpha - (1.001f64.powf(252.0) - 1.0)).abs() < 1e-9, "{beta} {alpha}");
        assert!(beta_alpha(&x, &[0.01; 5], 252.0).0.is_nan());
        assert!(beta_alpha(&x[..3], &[0.1; 3], 252.0).0.is_nan(), "rounding noise is no variance");
        let rb = rolling_beta(&x, &b, 3);
        assert!(rb[1].is_nan() && (rb[4] - 2.0).abs() < 1e-12);
        // Round trips: long 0.5 on bars 1-2, flip short on 3, flat 4, long again 5 to the end.
        let w = [0.0, 0.5, 0.5, -1.0, 0.0, 1.0, 1.0];
        let r = [0.0, 0.1, 0.2, -0.1, 0.05, 0.0, 0.3];
        let t = round_trips(&w, &r, 0);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].entry, t[0].exit, t[0].bars), (1, Some(3), 2));
        assert!((t[0].ret - ((1.0 + 0.5 * 0.2) * (1.0 + 0.5 * -0.1) - 1.0)).abs() < 1e-15);
        assert_eq!((t[1].entry, t[1].exit, t[1].entry_weight), (3, Some(4), -1.0));
        assert!((t[1].ret + 0.05).abs() < 1e-15);
        assert_eq!((t[2].entry, t[2].exit, t[2].bars), (5, None, 2));
        assert!((t[2].ret - 0.3).abs() < 1e-15);
        let s = trade_stats(&t);
        assert_eq!((s.count, s.open), (3, 1));
        assert_eq!(s.win_rate, 0.5);
        assert!((s.profit_factor - t[0].ret / 0.05).abs() < 1e-12);
    }
}
