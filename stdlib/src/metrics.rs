//! Performance metrics of a return series, exactly as SEMANTICS.md §4
//! defines them.
//!
//! Input: the evaluation window's returns `x[1..N]` (simple returns per
//! period, a fraction: 0.01 = 1%) in time order, and `P` periods per year.
//! Sums are plain left-to-right sums in time order (in ascending order for
//! the tail mean of `cvar_95`); standard deviations are two-pass.

/// The metrics of one evaluation window (SEMANTICS.md §4; JSON keys are the
/// field names). Returns and drawdowns are fractions; ratios are annualised
/// with `sqrt(P)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// `E[N] - 1`.
    pub total_return: f64,
    /// `E[N]^(P/N) - 1` (years counted in periods); `-1` if `E[N] <= 0`.
    pub cagr: f64,
    /// `std(x, ddof=1) * sqrt(P)`; NaN if `N < 2`.
    pub ann_vol: f64,
    /// `mean(x) / std(x, ddof=1) * sqrt(P)`, risk-free 0; NaN if the std is 0
    /// or `N < 2`.
    pub sharpe: f64,
    /// `mean(x) / DD * sqrt(P)`, `DD = sqrt(sum min(x,0)^2 / N)`; NaN if `DD = 0`.
    pub sortino: f64,
    /// `min_i (E[i] / max(1, max_{k<=i} E[k]) - 1)`, `<= 0`.
    pub max_drawdown: f64,
    /// `cagr / |max_drawdown|`; NaN if `max_drawdown == 0`.
    pub calmar: f64,
    /// Historical 5% quantile of `x` (Hyndman–Fan type 7, numpy 'linear').
    pub var_95: f64,
    /// Mean of the `k = floor((N-1) * 0.05) + 1` smallest returns.
    pub cvar_95: f64,
    /// `sum max(x,0) / sum max(-x,0)`; `+inf` if only the denominator is 0,
    /// NaN if both are 0.
    pub omega: f64,
    /// Mean of the per-return gross exposure `sum_j |w[t-1, j]|`.
    pub avg_exposure: f64,
}

impl Metrics {
    /// Every field NaN: the metrics of an empty window.
    pub const NAN: Metrics = Metrics {
        total_return: f64::NAN,
        cagr: f64::NAN,
        ann_vol: f64::NAN,
        sharpe: f64::NAN,
        sortino: f64::NAN,
        max_drawdown: f64::NAN,
        calmar: f64::NAN,
        var_95: f64::NAN,
        cvar_95: f64::NAN,
        omega: f64::NAN,
        avg_exposure: f64::NAN,
    };
}

/// Arithmetic mean: left-to-right sum in slice order divided by the length.
///
/// NaN if `x` is empty; NaN inputs propagate.
pub fn mean(x: &[f64]) -> f64 {
    if x.is_empty() {
        return f64::NAN;
    }
    let mut s = 0.0;
    for &v in x {
        s += v;
    }
    s / x.len() as f64
}

/// Sample standard deviation (ddof = 1), two-pass: [`mean`] first, then
/// `sqrt(sum (v - mean)^2 / (len - 1))`.
///
/// NaN if `len < 2` or any input is NaN; exactly `0.0` when all values are
/// equal (compared exactly), as for rolling `std` (SEMANTICS.md §5), so a
/// constant series gets a NaN Sharpe rather than one blown up by a residue.
/// Otherwise numpy `np.std(x, ddof=1)` (to rounding).
pub fn std_ddof1(x: &[f64]) -> f64 {
    if x.len() < 2 || x.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    if x.iter().all(|&v| v == x[0]) {
        return 0.0;
    }
    let m = mean(x);
    let mut ss = 0.0;
    for &v in x {
        let d = v - m;
        ss += d * d;
    }
    (ss / (x.len() - 1) as f64).sqrt()
}

/// Quantile of an ascending-sorted sample by linear interpolation between
/// order statistics: Hyndman–Fan type 7, numpy's default `method='linear'`.
///
/// `q` is a fraction in `[0, 1]` (`0.05` for the 5th percentile), not a
/// percent. Reproduces numpy 2.x step by step: virtual index `h = (n-1) * q`,
/// `a = sorted[floor(h)]`, `b` the next one, `g = h - floor(h)`, and
/// `a + (b-a)*g` if `g < 0.5` else `b - (b-a)*(1-g)`; `h >= n-1` gives the
/// largest value, `h < 0` the smallest.
/// NaN if `sorted` is empty, `q` is NaN, or any element is NaN (numpy).
/// The caller guarantees `sorted` is ascending.
pub fn percentile_linear(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    if n == 0 || q.is_nan() || sorted.iter().any(|v| v.is_nan()) {
        return f64::NAN;
    }
    let h = (n - 1) as f64 * q;
    if h >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if h < 0.0 {
        return sorted[0];
    }
    interpolate(sorted, h)
}

/// Linear interpolation between the order statistics `floor(h)` and `floor(h)+1` of
/// `sorted`, computed as numpy 2.x does (`b - (b-a)*(1-g)` when `g >= 0.5`).
fn interpolate(sorted: &[f64], h: f64) -> f64 {
    let lo = h.floor();
    let i = lo as usize;
    let (a, b) = (sorted[i], sorted[i + 1]);
    let g = h - lo;
    let d = b - a;
    if g >= 0.5 {
        b - d * (1.0 - g)
    } else {
        a + d * g
    }
}

/// The 5% quantile of N returns from the ascending head of their order statistics (at least
/// the first floor((N-1)*0.05)+2 of them, or all): [`percentile_linear`]'s rule.
fn quantile_05(head: &[f64], n: usize) -> f64 {
    let h = (n - 1) as f64 * 0.05;
    if n == 1 {
        return head[0];
    }
    interpolate(head, h)
}

/// Equity curve `E[1..N]`: `E[0] = 1` (not included), `E[i] = E[i-1] * (1 +
/// x[i])`, a running product in time order (SEMANTICS.md §4).
///
/// Shape: one value per return. NaN returns propagate to every later value.
pub fn equity_curve(returns: &[f64]) -> Vec<f64> {
    let mut e = 1.0;
    returns
        .iter()
        .map(|&r| {
            e *= 1.0 + r;
            e
        })
        .collect()
}

/// Information ratio `mean(x - b) / std(x - b, ddof=1) * sqrt(P)` of returns
/// `x` against benchmark returns `b` on the same rows (SEMANTICS.md §4).
///
/// Shapes: `x.len() == b.len()` (panics otherwise). NaN if fewer than 2 rows,
/// if the active-return std is 0 (exactly-equal differences), or on NaN input.
pub fn information_ratio(x: &[f64], b: &[f64], periods_per_year: f64) -> f64 {
    assert_eq!(x.len(), b.len(), "returns and benchmark must align");
    let d: Vec<f64> = x.iter().zip(b).map(|(&xi, &bi)| xi - bi).collect();
    ratio(mean(&d), std_ddof1(&d), periods_per_year)
}

/// `num / den * sqrt(P)`, NaN if `den` is 0 or NaN.
fn ratio(num: f64, den: f64, periods_per_year: f64) -> f64 {
    if den == 0.0 || den.is_nan() {
        f64::NAN
    } else {
        num / den * periods_per_year.sqrt()
    }
}

/// Maximum drawdown of an equity curve whose start `E[0] = 1` counts as a
/// peak: `min_i (E[i] / max(1, max_{k<=i} E[k]) - 1)`; NaN if any `E` is NaN.
/// (The definition; [`metrics`] computes it fused with its other sums, and the test below checks
/// the two agree bit for bit.)
#[cfg(test)]
fn max_drawdown(equity: &[f64]) -> f64 {
    let mut peak = 1.0_f64;
    let mut worst = 0.0_f64;
    for &e in equity {
        if e.is_nan() {
            return f64::NAN;
        }
        if e > peak {
            peak = e;
        }
        let dd = e / peak - 1.0;
        if dd < worst {
            worst = dd;
        }
    }
    worst
}

/// All SEMANTICS.md §4 metrics of `returns` (`x[1..N]`, time order).
///
/// `exposure[i]` is the gross exposure `sum_j |w[t-1, j]|` behind `returns[i]`
/// (same length, panics otherwise); `periods_per_year` is `P` (252 daily).
/// Rules (Strat's choices where §4 is silent):
/// - `N = 0`: every field NaN ([`Metrics::NAN`]).
/// - `N = 1`: `ann_vol`, `sharpe` NaN (ddof = 1); the others are defined.
/// - Returns are expected NaN-free (flat rows are 0); a NaN return makes every
///   field except `avg_exposure` NaN.
/// - `omega`: `+inf` if there are gains and no losses, NaN if neither.
/// - `std` is [`std_ddof1`] (exactly 0 for a constant series, so `sharpe` is
///   NaN there).
pub fn metrics(returns: &[f64], exposure: &[f64], periods_per_year: f64) -> Metrics {
    assert_eq!(returns.len(), exposure.len(), "one exposure per return");
    let n = returns.len();
    if n == 0 {
        return Metrics::NAN;
    }
    let avg_exposure = mean(exposure);
    if returns.iter().any(|v| v.is_nan()) {
        return Metrics {
            avg_exposure,
            ..Metrics::NAN
        };
    }
    let p = periods_per_year;
    // One fused pass in time order for the equity curve and its drawdown, the sum behind the
    // mean, the all-equal test of `std_ddof1`, and the downside / omega sums. Each accumulator
    // is updated exactly as its separate loop would (same order, same operations), so the
    // values are those of `equity_curve`, `max_drawdown`, `mean` and `std_ddof1`.
    let first = returns[0];
    let mut e = 1.0_f64;
    let (mut peak, mut worst, mut equity_nan) = (1.0_f64, 0.0_f64, false);
    let mut sum = 0.0;
    let mut all_equal = true;
    let mut down_sq = 0.0;
    let (mut gains, mut losses) = (0.0, 0.0);
    for &r in returns {
        e *= 1.0 + r;
        if e.is_nan() {
            equity_nan = true;
        } else if !equity_nan {
            if e > peak {
                peak = e;
            }
            let dd = e / peak - 1.0;
            if dd < worst {
                worst = dd;
            }
        }
        sum += r;
        all_equal &= r == first;
        let lo = r.min(0.0);
        down_sq += lo * lo;
        gains += r.max(0.0);
        losses += (-r).max(0.0);
    }
    let end = e;
    let cagr = if end <= 0.0 {
        -1.0
    } else {
        end.powf(p / n as f64) - 1.0
    };
    let m = sum / n as f64;
    let sd = if n < 2 {
        f64::NAN
    } else if all_equal {
        0.0
    } else {
        let mut ss = 0.0;
        for &v in returns {
            let d = v - m;
            ss += d * d;
        }
        (ss / (n - 1) as f64).sqrt()
    };
    let dd = (down_sq / n as f64).sqrt();

    let mdd = if equity_nan { f64::NAN } else { worst };
    let calmar = if mdd == 0.0 {
        f64::NAN
    } else {
        cagr / mdd.abs()
    };

    // Only the k+1 smallest returns are needed (the 5% quantile reads order
    // statistics floor(h) and floor(h)+1 <= k): partition, then sort that
    // head. The same values as a full sort, in O(N) + O(k log k).
    let mut sorted = returns.to_vec();
    // k = floor((N-1) * 0.05) + 1, in exact integer arithmetic (the double
    // product never crosses an integer, so this equals the float formula).
    let k = (n - 1) / 20 + 1;
    let head = (k + 1).min(n);
    if head < n {
        sorted.select_nth_unstable_by(head - 1, f64::total_cmp);
    }
    sorted[..head].sort_by(f64::total_cmp);
    let sorted = &sorted[..head];
    let mut tail = 0.0;
    for &v in &sorted[..k] {
        tail += v;
    }

    let omega = if losses > 0.0 {
        gains / losses
    } else if gains > 0.0 {
        f64::INFINITY
    } else {
        f64::NAN
    };

    Metrics {
        total_return: end - 1.0,
        cagr,
        ann_vol: sd * p.sqrt(),
        sharpe: ratio(m, sd, p),
        sortino: ratio(m, dd, p),
        max_drawdown: mdd,
        calmar,
        var_95: quantile_05(sorted, n),
        cvar_95: tail / k as f64,
        omega,
        avg_exposure,
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fused_pass {
    use super::*;

    /// The fused pass of [`metrics`] against the separate definitions, bit for bit.
    #[test]
    fn metrics_equal_the_separate_definitions() {
        let mut seed = 987654321u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut cases: Vec<Vec<f64>> = vec![vec![0.01], vec![0.0, 0.0, 0.0], vec![0.02; 50], vec![-0.0, 0.0, -0.0], vec![-1.0, 0.5, 0.2], vec![1e300, 1e300, -1.0, 0.3]];
        for len in [2usize, 3, 20, 21, 250, 1000] {
            cases.push((0..len).map(|_| next() * 0.1 - 0.05).collect());
        }
        for x in cases {
            let ones = vec![1.0; x.len()];
            let m = metrics(&x, &ones, 252.0);
            let eq = equity_curve(&x);
            let end = eq[x.len() - 1];
            let mdd = max_drawdown(&eq);
            let sd = std_ddof1(&x);
            let b = |v: f64| v.to_bits();
            assert_eq!(b(m.max_drawdown), b(mdd), "{x:?}");
            assert_eq!(b(m.total_return), b(end - 1.0), "{x:?}");
            assert_eq!(b(m.ann_vol), b(sd * 252f64.sqrt()), "{x:?}");
            assert_eq!(b(m.sharpe), b(ratio(mean(&x), sd, 252.0)), "{x:?}");
        }
    }
}
