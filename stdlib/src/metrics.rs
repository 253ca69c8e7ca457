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

    /// The metric named `name` (a name of [`METRIC_NAMES`], as `strat run --json` keys it).
    pub fn get(&self, name: &str) -> Option<f64> {
        metric_def(name).map(|d| (d.get)(self))
    }

    /// The values in [`METRICS`] order (display order, also the JSON key order).
    pub fn values(&self) -> [f64; METRICS.len()] {
        METRICS.map(|d| (d.get)(self))
    }
}

/// One metric of [`Metrics`]: its name, how to read it, and which way is better.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    /// The name (JSON key, table row, `--by` / `--heatmap` value).
    pub name: &'static str,
    /// Reads the metric's value.
    pub get: fn(&Metrics) -> f64,
    /// Whether a larger value ranks better (false for volatility).
    pub higher_is_better: bool,
    /// Whether it follows from the returns alone, so a walk-forward can rank by it
    /// (false for `avg_exposure`, which needs the weights).
    pub from_returns: bool,
}

const fn def(name: &'static str, get: fn(&Metrics) -> f64, higher_is_better: bool, from_returns: bool) -> MetricDef {
    MetricDef { name, get, higher_is_better, from_returns }
}

/// The one table of metrics, in display order (the run table, every JSON `metrics` object,
/// the sweep columns); the sweep ranking and walk-forward's choice read their direction here.
pub const METRICS: [MetricDef; 11] = [
    def("total_return", |m| m.total_return, true, true),
    def("cagr", |m| m.cagr, true, true),
    def("ann_vol", |m| m.ann_vol, false, true),
    def("sharpe", |m| m.sharpe, true, true),
    def("sortino", |m| m.sortino, true, true),
    def("max_drawdown", |m| m.max_drawdown, true, true),
    def("calmar", |m| m.calmar, true, true),
    def("var_95", |m| m.var_95, true, true),
    def("cvar_95", |m| m.cvar_95, true, true),
    def("omega", |m| m.omega, true, true),
    def("avg_exposure", |m| m.avg_exposure, true, false),
];

/// The names of [`METRICS`], in its order.
pub const METRIC_NAMES: [&str; METRICS.len()] = {
    let mut names = [""; METRICS.len()];
    let mut i = 0;
    while i < METRICS.len() {
        names[i] = METRICS[i].name;
        i += 1;
    }
    names
};

/// Measures of a run that are not fields of [`Metrics`] but rank a sweep like one (after the
/// metrics, in this order): `(name, higher is better)`.
pub const RUN_MEASURES: [(&str, bool); 2] = [("avg_turnover", false), ("information_ratio", true)];

/// The entry of [`METRICS`] named `name`.
pub fn metric_def(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|d| d.name == name)
}

/// Whether a larger value of `name` ranks better: the direction of [`METRICS`] or
/// [`RUN_MEASURES`]; true for any other name.
pub fn higher_is_better(name: &str) -> bool {
    match metric_def(name) {
        Some(d) => d.higher_is_better,
        None => RUN_MEASURES.iter().find(|r| r.0 == name).is_none_or(|r| r.1),
    }
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
    if ss.is_infinite() {
        return root_mean_square_scaled(x.iter().map(|&v| v - m), (x.len() - 1) as f64);
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

/// The `m` smallest values of `x` (`1 <= m <= x.len()`) in ascending
/// [`f64::total_cmp`] order: the first `m` values of `x` sorted by it.
///
/// A strided sample of `x` gives a threshold a little above the `m`-th
/// smallest; the values at or below it are selected from. When at least `m`
/// values pass, they include all `m` smallest, so the result is that of a
/// selection over all of `x`; otherwise (an unlucky sample) it is one.
fn smallest(x: &[f64], m: usize) -> Vec<f64> {
    if let Some(threshold) = sample_threshold(x, m) {
        // Branch-free: every value is written, and kept by advancing past it when it passes.
        let mut passed = vec![0.0; x.len()];
        let mut kept = 0;
        for &v in x {
            passed[kept] = v;
            kept += v.total_cmp(&threshold).is_le() as usize;
        }
        if kept >= m {
            passed.truncate(kept);
            return sorted_head(passed, m);
        }
    }
    sorted_head(x.to_vec(), m)
}

/// A value of `x` that clearly more than `m` of its values are at or below,
/// judged on a strided sample of about 256 values: the sample's order statistic
/// at `m`'s share of it plus a margin of two standard deviations and 4
/// (sample-rank units). `None` when that is not clearly fewer than all values.
fn sample_threshold(x: &[f64], m: usize) -> Option<f64> {
    const SAMPLE: usize = 256;
    let n = x.len();
    let stride = n / SAMPLE;
    if stride < 2 {
        return None;
    }
    let mut sample: Vec<f64> = x.iter().copied().step_by(stride).collect();
    let s = sample.len();
    let share = (m * s) as f64 / n as f64;
    let rank = (share + 2.0 * share.sqrt() + 4.0).ceil() as usize;
    if rank >= s / 2 {
        return None;
    }
    Some(*sample.select_nth_unstable_by(rank, f64::total_cmp).1)
}

/// The `m` smallest of `v` (`m <= v.len()`) sorted by [`f64::total_cmp`].
fn sorted_head(mut v: Vec<f64>, m: usize) -> Vec<f64> {
    if m < v.len() {
        v.select_nth_unstable_by(m - 1, f64::total_cmp);
        v.truncate(m);
    }
    v.sort_by(f64::total_cmp);
    v
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

/// Beta and alpha of returns `x` against benchmark returns `b` on the same rows, as
/// empyrical 0.5.5 `alpha_beta_aligned` with a zero risk-free rate: `beta = Σ(b − b̄)·x /
/// Σ(b − b̄)²` and `alpha = (1 + mean(x − beta·b))^P − 1` (annualised by compounding over `P`
/// periods a year). NaN for both with fewer than 2 rows, NaN input, or a constant benchmark
/// (a benchmark variance below 1e-30, as empyrical).
///
/// # Panics
/// If `x.len() != b.len()`.
pub fn beta_alpha(x: &[f64], b: &[f64], periods_per_year: f64) -> (f64, f64) {
    assert_eq!(x.len(), b.len(), "beta_alpha: one benchmark return per return");
    if x.len() < 2 || x.iter().chain(b).any(|v| v.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    let mb = mean(b);
    let (mut cov, mut var) = (0.0, 0.0);
    for (&xi, &bi) in x.iter().zip(b) {
        cov += (bi - mb) * xi;
        var += (bi - mb) * (bi - mb);
    }
    // empyrical treats a variance below 1e-30 as zero (a constant benchmark leaves rounding
    // noise, e.g. 6e-34 for three equal returns of 0.1).
    if var / (x.len() as f64) < 1e-30 {
        return (f64::NAN, f64::NAN);
    }
    let beta = cov / var;
    let residual = x.iter().zip(b).map(|(&xi, &bi)| xi - beta * bi).sum::<f64>() / x.len() as f64;
    (beta, (1.0 + residual).powf(periods_per_year) - 1.0)
}

/// Information ratio `mean(x - b) / std(x - b, ddof=1) * sqrt(P)` of returns
/// `x` against benchmark returns `b` on the same rows (SEMANTICS.md §4).
///
/// Shapes: `x.len() == b.len()` (panics otherwise). NaN if fewer than 2 rows,
/// if the active-return std is 0 (exactly-equal differences), or on NaN input.
/// The differences are recomputed in each pass rather than stored; the sums are
/// those of [`mean`] and [`std_ddof1`] over them, in the same order.
pub fn information_ratio(x: &[f64], b: &[f64], periods_per_year: f64) -> f64 {
    assert_eq!(x.len(), b.len(), "returns and benchmark must align");
    let n = x.len();
    if n == 0 {
        return ratio(f64::NAN, f64::NAN, periods_per_year);
    }
    let d = |i: usize| x[i] - b[i];
    let first = d(0);
    let (mut sum, mut any_nan, mut all_equal) = (0.0, false, true);
    for i in 0..n {
        let v = d(i);
        sum += v;
        any_nan |= v.is_nan();
        all_equal &= v == first;
    }
    let m = sum / n as f64;
    let sd = if n < 2 || any_nan {
        f64::NAN
    } else if all_equal {
        0.0
    } else {
        let mut ss = 0.0;
        for i in 0..n {
            let e = d(i) - m;
            ss += e * e;
        }
        if ss.is_infinite() {
            root_mean_square_scaled((0..n).map(|i| d(i) - m), (n - 1) as f64)
        } else {
            (ss / (n - 1) as f64).sqrt()
        }
    };
    ratio(m, sd, periods_per_year)
}

/// `sqrt(sum v^2 / div)` of finite values whose squares overflow (the plain sum is infinite),
/// computed as `s * sqrt(sum (v/s)^2 / div)` with `s = max |v|`: finite whenever the result
/// is. Only called when the plain sum is infinite, so every other result is unchanged.
fn root_mean_square_scaled(values: impl Iterator<Item = f64> + Clone, div: f64) -> f64 {
    let s = values.clone().fold(0.0_f64, |a, v| a.max(v.abs()));
    if s == 0.0 || !s.is_finite() {
        return f64::INFINITY;
    }
    let ss: f64 = values.map(|v| (v / s) * (v / s)).sum();
    s * (ss / div).sqrt()
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
    if returns.is_empty() {
        return Metrics::NAN;
    }
    metrics_given_exposure(returns, mean(exposure), periods_per_year)
}

/// [`metrics`] given the mean exposure (`avg_exposure`, the [`mean`] of the
/// per-return gross exposures) instead of the exposures themselves, for callers
/// that sum them as they go. Every field NaN if `returns` is empty.
pub fn metrics_given_exposure(returns: &[f64], avg_exposure: f64, periods_per_year: f64) -> Metrics {
    let n = returns.len();
    if n == 0 {
        return Metrics::NAN;
    }
    let p = periods_per_year;
    // One fused pass in time order for the equity curve and its drawdown, the sum behind the
    // mean, the all-equal test of `std_ddof1`, and the downside / omega sums. Each accumulator
    // is updated exactly as its separate loop would (same order, same operations), so the
    // values are those of `equity_curve`, `max_drawdown`, `mean` and `std_ddof1`.
    let first = returns[0];
    let mut e = 1.0_f64;
    let (mut peak, mut worst) = (1.0_f64, 0.0_f64);
    let mut sum = 0.0;
    let mut all_equal = true;
    let mut down_sq = 0.0;
    let (mut gains, mut losses) = (0.0, 0.0);
    for &r in returns {
        e *= 1.0 + r;
        // Once NaN the equity stays NaN, and a NaN equity leaves `peak` and `worst` as they
        // are (its comparisons are false): the drawdown is NaN iff the final equity is.
        if e > peak {
            peak = e;
        }
        let dd = e / peak - 1.0;
        if dd < worst {
            worst = dd;
        }
        sum += r;
        all_equal &= r == first;
        let lo = r.min(0.0);
        down_sq += lo * lo;
        gains += r.max(0.0);
        losses += (-r).max(0.0);
    }
    // A NaN return makes `sum` NaN; only then look for one (`sum` can also be NaN from
    // infinite returns of both signs).
    if sum.is_nan() && returns.iter().any(|v| v.is_nan()) {
        return Metrics { avg_exposure, ..Metrics::NAN };
    }
    let end = e;
    let cagr = if end <= 0.0 { -1.0 } else { end.powf(p / n as f64) - 1.0 };
    let m = sum / n as f64;
    let sd = sd_about(returns, m, all_equal);
    let dd = if down_sq.is_infinite() { root_mean_square_scaled(returns.iter().map(|&v| v.min(0.0)), n as f64) } else { (down_sq / n as f64).sqrt() };

    let mdd = if end.is_nan() { f64::NAN } else { worst };
    let calmar = if mdd == 0.0 { f64::NAN } else { cagr / mdd.abs() };

    // Only the k+1 smallest returns are needed (the 5% quantile reads order
    // statistics floor(h) and floor(h)+1 <= k).
    // k = floor((N-1) * 0.05) + 1, in exact integer arithmetic (the double
    // product never crosses an integer, so this equals the float formula).
    let k = (n - 1) / 20 + 1;
    let head = smallest(returns, (k + 1).min(n));
    let sorted = &head[..];
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

/// The sample standard deviation (ddof 1) of `returns` about their mean `m`, given whether all
/// of them are equal (then exactly 0): the second pass of [`metrics`]; NaN for fewer than 2.
fn sd_about(returns: &[f64], m: f64, all_equal: bool) -> f64 {
    let n = returns.len();
    if n < 2 {
        f64::NAN
    } else if all_equal {
        0.0
    } else {
        let mut ss = 0.0;
        for &v in returns {
            let d = v - m;
            ss += d * d;
        }
        if ss.is_infinite() {
            root_mean_square_scaled(returns.iter().map(|&v| v - m), (n - 1) as f64)
        } else {
            (ss / (n - 1) as f64).sqrt()
        }
    }
}

/// Sharpe and Sortino ratios of `returns` in excess of a per-period risk-free return `rf` (same
/// length, time order; panics otherwise): with `x[i] = returns[i] - rf[i]`, `sharpe = mean(x) /
/// std(x, ddof 1) * sqrt(P)` and `sortino = mean(x) / sqrt(sum(min(x[i], 0)^2) / N) * sqrt(P)`,
/// empyrical 0.5.5's `sharpe_ratio(returns, risk_free=rf)` and `sortino_ratio(returns,
/// required_return=rf)`; the rules of [`metrics`] (NaN for a zero or undefined denominator,
/// `std` exactly 0 for a constant `x`). With `rf` all 0 these are [`metrics`]' values bit for bit.
pub fn excess_sharpe_sortino(returns: &[f64], rf: &[f64], periods_per_year: f64) -> (f64, f64) {
    assert_eq!(returns.len(), rf.len(), "one risk-free return per return");
    let x: Vec<f64> = returns.iter().zip(rf).map(|(r, f)| r - f).collect();
    let Some(&first) = x.first() else {
        return (f64::NAN, f64::NAN);
    };
    let n = x.len() as f64;
    let (mut sum, mut all_equal, mut down_sq) = (0.0, true, 0.0);
    for &v in &x {
        sum += v;
        all_equal &= v == first;
        let lo = v.min(0.0);
        down_sq += lo * lo;
    }
    if sum.is_nan() && x.iter().any(|v| v.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    let m = sum / n;
    let sd = sd_about(&x, m, all_equal);
    let dd = if down_sq.is_infinite() { root_mean_square_scaled(x.iter().map(|&v| v.min(0.0)), n) } else { (down_sq / n).sqrt() };
    (ratio(m, sd, periods_per_year), ratio(m, dd, periods_per_year))
}

/// [`metrics`]' `sharpe` and `ann_vol` of `returns` alone, bit for bit the same values (the same
/// sum in the same order, the same all-equal test and second pass), without the equity curve,
/// the downside sums or the order statistics: for callers that rank many windows by one of them
/// (walk-forward training scores). `(NaN, NaN)` for no returns or a NaN return.
pub fn sharpe_and_vol(returns: &[f64], periods_per_year: f64) -> (f64, f64) {
    let Some(&first) = returns.first() else {
        return (f64::NAN, f64::NAN);
    };
    let mut sum = 0.0;
    let mut all_equal = true;
    for &r in returns {
        sum += r;
        all_equal &= r == first;
    }
    if sum.is_nan() && returns.iter().any(|v| v.is_nan()) {
        return (f64::NAN, f64::NAN);
    }
    let m = sum / returns.len() as f64;
    let sd = sd_about(returns, m, all_equal);
    (ratio(m, sd, periods_per_year), sd * periods_per_year.sqrt())
}

/// [`sharpe_and_vol`] of `L` return series of equal length at once, bit for bit the values of
/// `L` separate calls: each series keeps its own sums in its own order, but the `L` dependent
/// chains of additions run side by side instead of one after another (a walk-forward scores
/// every binding on the same training rows). Series of different lengths are scored one by one.
// The loops go row by row across the lanes (`xs[l][i]`): an iterator over one series would
// put the lanes' chains one after another again.
#[allow(clippy::needless_range_loop)]
pub fn sharpe_and_vol_lanes<const L: usize>(xs: [&[f64]; L], periods_per_year: f64) -> [(f64, f64); L] {
    let n = xs[0].len();
    if n == 0 || xs.iter().any(|x| x.len() != n) {
        return xs.map(|x| sharpe_and_vol(x, periods_per_year));
    }
    let xs = xs.map(|x| &x[..n]);
    let first = xs.map(|x| x[0]);
    let mut sum = [0.0_f64; L];
    let mut all_equal = [true; L];
    for i in 0..n {
        for l in 0..L {
            let r = xs[l][i];
            sum[l] += r;
            all_equal[l] &= r == first[l];
        }
    }
    // A NaN (or sums of infinities of both signs) in a lane: every lane as its own call.
    if sum.iter().any(|s| s.is_nan()) {
        return xs.map(|x| sharpe_and_vol(x, periods_per_year));
    }
    let m = sum.map(|s| s / n as f64);
    let mut ss = [0.0_f64; L];
    for i in 0..n {
        for l in 0..L {
            let d = xs[l][i] - m[l];
            ss[l] += d * d;
        }
    }
    std::array::from_fn(|l| {
        let sd = if n < 2 {
            f64::NAN
        } else if all_equal[l] {
            0.0
        } else if ss[l].is_infinite() {
            root_mean_square_scaled(xs[l].iter().map(|&v| v - m[l]), (n - 1) as f64)
        } else {
            (ss[l] / (n - 1) as f64).sqrt()
        };
        (ratio(m[l], sd, periods_per_year), sd * periods_per_year.sqrt())
    })
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fused_pass {
    use super::*;

    /// [`sharpe_and_vol`] where [`metrics`] has no value: no returns, a NaN return, infinities.
    #[test]
    fn sharpe_and_vol_agree_with_metrics_on_undefined_values() {
        let b = |v: f64| v.to_bits();
        assert!(sharpe_and_vol(&[], 252.0).0.is_nan());
        for x in [vec![0.01, f64::NAN, 0.02], vec![f64::INFINITY, 0.01], vec![f64::INFINITY, f64::NEG_INFINITY], vec![0.5], vec![0.0, -0.0]] {
            let m = metrics(&x, &vec![1.0; x.len()], 252.0);
            let (sharpe, vol) = sharpe_and_vol(&x, 252.0);
            assert_eq!((b(sharpe), b(vol)), (b(m.sharpe), b(m.ann_vol)), "{x:?}");
        }
    }

    /// [`sharpe_and_vol_lanes`] against one call per series, bit for bit: equal and unequal
    /// lengths, a NaN in one lane, a constant lane, infinities, one value.
    #[test]
    fn sharpe_and_vol_lanes_equal_one_call_each() {
        let b = |v: (f64, f64)| (v.0.to_bits(), v.1.to_bits());
        let base: Vec<f64> = (0..500).map(|i| ((i * 37 % 101) as f64 - 50.0) * 1e-4).collect();
        let mut nan = base.clone();
        nan[77] = f64::NAN;
        let constant = vec![0.003; 500];
        let mut inf = base.clone();
        inf[3] = f64::INFINITY;
        let short = base[..300].to_vec();
        let big: Vec<f64> = base.iter().map(|v| v * 1e160).collect();
        let shifted: Vec<f64> = base[1..].iter().chain(&[0.01]).copied().collect();
        let cases: Vec<[&[f64]; 4]> = vec![
            [&base, &constant, &big, &shifted],
            [&base, &nan, &constant, &inf],
            [&base, &short, &constant, &base],
            [&base[..1], &base[1..2], &constant[..1], &big[..1]],
        ];
        for c in cases {
            let got = sharpe_and_vol_lanes(c, 252.0);
            for (l, x) in c.iter().enumerate() {
                assert_eq!(b(got[l]), b(sharpe_and_vol(x, 252.0)), "lane {l}");
            }
        }
    }

    /// The fused pass of [`metrics`] against the separate definitions, bit for bit.
    #[test]
    fn metrics_equal_the_separate_definitions() {
        let mut seed = 987654321u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut cases: Vec<Vec<f64>> =
            vec![vec![0.01], vec![0.0, 0.0, 0.0], vec![0.02; 50], vec![-0.0, 0.0, -0.0], vec![-1.0, 0.5, 0.2], vec![1e300, 1e300, -1.0, 0.3]];
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
            let (sharpe, vol) = sharpe_and_vol(&x, 252.0);
            assert_eq!((b(sharpe), b(vol)), (b(m.sharpe), b(m.ann_vol)), "{x:?}");
        }
    }

    /// The sampled selection of [`smallest`] against a full sort, including inputs on which the
    /// sample misleads (sorted descending, constant with outliers) and signed zeros.
    #[test]
    fn smallest_equals_a_full_sort() {
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64 - 0.5
        };
        let mut cases: Vec<Vec<f64>> =
            vec![(0..5000).map(|_| next()).collect(), (0..5000).map(|i| -(i as f64)).collect(), (0..5000).map(|i| i as f64).collect()];
        let mut outliers = vec![0.0; 5000];
        for i in (0..5000).step_by(97) {
            outliers[i] = -1.0 - i as f64;
        }
        cases.push(outliers);
        cases.push((0..3000).map(|i| if i % 3 == 0 { -0.0 } else { 0.0 }).collect());
        cases.push((0..600).map(|_| (next() * 8.0).round()).collect());
        for x in cases {
            let mut all = x.clone();
            all.sort_by(f64::total_cmp);
            for m in [1, 2, (x.len() - 1) / 20 + 2, x.len() / 2, x.len()] {
                let got: Vec<u64> = smallest(&x, m).iter().map(|v| v.to_bits()).collect();
                let want: Vec<u64> = all[..m].iter().map(|v| v.to_bits()).collect();
                assert_eq!(got, want, "m = {m}");
            }
        }
    }

    /// The streaming information ratio against its definition on stored differences.
    #[test]
    fn information_ratio_equals_the_definition() {
        let x: Vec<f64> = (0..300).map(|i| ((i * 37 % 101) as f64 - 50.0) * 1e-4).collect();
        let b: Vec<f64> = (0..300).map(|i| ((i * 53 % 89) as f64 - 44.0) * 1e-4).collect();
        for len in [0, 1, 2, 300] {
            let d: Vec<f64> = x[..len].iter().zip(&b[..len]).map(|(p, q)| p - q).collect();
            let want = ratio(mean(&d), std_ddof1(&d), 252.0);
            assert_eq!(information_ratio(&x[..len], &b[..len], 252.0).to_bits(), want.to_bits(), "len {len}");
        }
        assert!(information_ratio(&x[..5], &x[..5], 252.0).is_nan());
    }
}
