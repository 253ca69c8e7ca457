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
        let rb = rolling_beta(&x, &b, 3);
        assert!(rb[1].is_nan() && (rb[4] - 2.0).abs() < 1e-12);
    }
}
