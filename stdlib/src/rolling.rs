//! Rolling-window kernels over one series (SEMANTICS.md §1, §5), in O(1) per bar.
//!
//! Every kernel takes `x` (one value per bar, bar 0 first), a window length
//! `n` and an output slice `out` with `out.len() == x.len()`. The window at row
//! `t` covers rows `t-n+1 ..= t` (today included). Rows `t < n-1` (warm-up) are
//! NaN, and a window containing any NaN gives NaN.
//!
//! **The reference values** are the two-pass formulas of SEMANTICS.md §5 with compensated
//! (Neumaier) sums: the window mean is the Neumaier sum of its values divided by `n`; the std is
//! `sqrt(sum (v - mean)^2 / (n - 1))` with that mean and a Neumaier sum of the squared
//! deviations; a constant window has std exactly 0.
//!
//! **The kernels** keep shifted, compensated running sums (`sum x`, `sum (x - K)`,
//! `sum (x - K)^2`, with `K` the window mean at the last exact re-sum), add the entering value
//! and remove the leaving one, and re-sum the window exactly on the first complete window
//! without a NaN or an infinity (so after one leaves it) and every `n + 1` bars after that, so
//! error cannot accumulate. On every window each kernel bounds, from
//! the sums it keeps, how far its value can be from the reference value (rounding of both, the
//! standard bounds for compensated summation: Higham, *Accuracy and Stability of Numerical
//! Algorithms*, 2nd ed., §4.3) and uses the running value only when that bound is within
//! [`TOLERANCE`] relative; otherwise (an ill-conditioned window: a variance tiny against the
//! squared mean, a z-score numerator lost to cancellation, values near overflow or underflow) it
//! computes the reference value of that window in O(n). The policy is spec/stdlib.md's
//! "Numerical policy".
//!
//! Callers guarantee `n >= 1`; kernels panic on `n == 0` or on mismatched lengths.

/// How far (relative) a running value may be from the two-pass reference value of its window.
pub const TOLERANCE: f64 = 1e-12;

/// The unit roundoff of f64 (2^-53).
const U: f64 = f64::EPSILON / 2.0;

/// The smallest value a relative bound is computed on: below it (or above [`HUGE`]) rounding is
/// not relative (subnormals, overflow), so the reference value is used.
const TINY: f64 = 1e-280;

/// The largest magnitude a running sum is trusted with (squares of larger values overflow).
const HUGE: f64 = 1e150;

// How many windows took the O(n) reference path instead of the running sums (tests only: it
// shows the fast path is the common one).
#[cfg(test)]
thread_local! {
    static REFERENCE_WINDOWS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one window computed by its reference formula (tests only, per thread).
fn count_reference() {
    #[cfg(test)]
    REFERENCE_WINDOWS.with(|c| c.set(c.get() + 1));
}

/// Checks the shared preconditions of every kernel.
fn check(x: &[f64], n: usize, out: &[f64]) {
    assert!(n >= 1, "rolling window length must be >= 1");
    assert_eq!(x.len(), out.len(), "out must have the length of x");
}

/// Applies `f` to every complete, NaN-free window; warm-up rows and windows
/// holding a NaN are written as NaN: the O(n)-per-row definition the tests compare with.
#[cfg(test)]
fn apply(x: &[f64], n: usize, out: &mut [f64], f: impl Fn(&[f64], f64) -> f64) {
    check(x, n, out);
    for (t, o) in out.iter_mut().enumerate() {
        *o = if t + 1 < n {
            f64::NAN
        } else {
            let w = &x[t + 1 - n..=t];
            if w.iter().any(|v| v.is_nan()) {
                f64::NAN
            } else {
                f(w, x[t])
            }
        };
    }
}

/// A Neumaier (Kahan–Babuška) compensated running sum that also counts its operations and the
/// sum of the magnitudes of its terms (for the error bound).
#[derive(Clone, Copy, Default)]
struct Compensated {
    sum: f64,
    carry: f64,
    /// Sum of |term| over every term added or removed since the last reset.
    magnitude: f64,
    /// Terms added or removed since the last reset.
    terms: usize,
}

impl Compensated {
    #[inline(always)]
    fn add(&mut self, v: f64) {
        // Knuth's TwoSum: `e` is the exact rounding error of `sum + v`, the value Neumaier's
        // branch on the larger magnitude gives, without a branch that the signs of the
        // deviations would make unpredictable. TwoSum's own steps can overflow where Neumaier's
        // do not (a term of exactly ±f64::MAX added on a rounding tie, or a sum that overflows):
        // then `e` is not finite and Neumaier's form gives the value, so the carry is always
        // Neumaier's, bit for bit.
        let t = self.sum + v;
        let bv = t - self.sum;
        let mut e = (self.sum - (t - bv)) + (v - bv);
        if !e.is_finite() {
            e = if self.sum.abs() >= v.abs() { (self.sum - t) + v } else { (v - t) + self.sum };
        }
        self.carry += e;
        self.sum = t;
        self.magnitude += v.abs();
        self.terms += 1;
    }

    fn of(values: impl Iterator<Item = f64>) -> Compensated {
        let mut c = Compensated::default();
        for v in values {
            c.add(v);
        }
        c
    }

    #[inline(always)]
    fn value(&self) -> f64 {
        self.sum + self.carry
    }

    /// A bound on |value - exact sum of the terms| (Higham 2002, §4.3: `2u|s| + O(N u^2) sum
    /// |x_i|` for compensated summation; the constants here are generous).
    #[inline(always)]
    fn error(&self) -> f64 {
        let n = self.terms as f64;
        2.0 * U * self.value().abs() + 2.0 * (n + 2.0) * U * U * self.magnitude
    }
}

/// The reference mean of a NaN-free window: its Neumaier sum divided by its length.
fn window_mean(w: &[f64]) -> f64 {
    Compensated::of(w.iter().copied()).value() / w.len() as f64
}

/// The reference sample standard deviation (ddof = 1) of a NaN-free window: NaN if the window
/// has fewer than 2 values, exactly 0.0 if all values are equal (compared exactly), otherwise
/// two-pass: [`window_mean`], then `sqrt(sum (v - mean)^2 / (n - 1))` with a Neumaier sum.
fn window_std(w: &[f64]) -> f64 {
    if w.len() < 2 {
        return f64::NAN;
    }
    if w.iter().all(|&v| v == w[0]) {
        return 0.0;
    }
    let m = window_mean(w);
    let ss = Compensated::of(w.iter().map(|&v| (v - m) * (v - m))).value();
    (ss / (w.len() - 1) as f64).sqrt()
}

/// The reference z-score of a NaN-free window ending at `xt`: NaN when its std is 0 or NaN.
fn window_zscore(w: &[f64], xt: f64) -> f64 {
    let s = window_std(w);
    if s == 0.0 || s.is_nan() {
        f64::NAN
    } else {
        (xt - window_mean(w)) / s
    }
}

/// The running state shared by the kernels: where the windows are clean, the run of equal values,
/// and the shifted compensated sums since the last exact re-sum.
struct Window<'a> {
    x: &'a [f64],
    n: usize,
    /// The last row holding a NaN / an infinity.
    last_nan: Option<usize>,
    last_inf: Option<usize>,
    /// The length of the run of equal values ending at the current row.
    run: usize,
    /// Whether the sums hold the current window (false after a reset is due).
    live: bool,
    /// Rows added since the last exact re-sum.
    steps: usize,
    /// The shift `K`: the window mean at the last re-sum.
    shift: f64,
    /// Whether that mean was finite (so the rebuilt sums are the reference's).
    shift_exact: bool,
    sum: Compensated,
    dev: Compensated,
    dev2: Compensated,
    /// Whether the kernel needs the deviation sums (std, zscore) or only the plain sum (sma).
    moments: bool,
    /// `1 / n`, for the error bounds.
    inv_n: f64,
}

/// What the running sums say of the window ending at `t`, or why they cannot.
enum Moments {
    /// The window is in warm-up or holds a NaN.
    Nan,
    /// The window holds an infinity: use the reference value.
    Reference,
    /// The sums were just rebuilt from the window: they are the reference sums, term for term
    /// (the mean's sum, and the squared deviations from that mean).
    Rebuilt,
    /// The running sums: `sum x`, `sum (x-K)`, `sum (x-K)^2` with their error bounds.
    Running,
}

impl<'a> Window<'a> {
    fn new(x: &'a [f64], n: usize, moments: bool) -> Window<'a> {
        Window {
            x,
            n,
            last_nan: None,
            last_inf: None,
            run: 0,
            live: false,
            steps: 0,
            shift: 0.0,
            shift_exact: true,
            sum: Compensated::default(),
            dev: Compensated::default(),
            dev2: Compensated::default(),
            moments,
            inv_n: 1.0 / n as f64,
        }
    }

    /// Moves to row `t` (called for every row in order).
    #[inline(always)]
    fn step(&mut self, t: usize) -> Moments {
        let (x, n) = (self.x, self.n);
        let v = x[t];
        if v.is_nan() {
            self.last_nan = Some(t);
            self.run = 0;
        } else if self.run > 0 && x[t - 1] == v {
            self.run += 1;
        } else {
            self.run = 1;
        }
        if v.is_infinite() {
            self.last_inf = Some(t);
        }
        if t + 1 < n || self.last_nan.is_some_and(|i| i + n > t) {
            self.live = false;
            return Moments::Nan;
        }
        if self.last_inf.is_some_and(|i| i + n > t) {
            self.live = false;
            return Moments::Reference;
        }
        if !self.live || self.steps >= n {
            self.resum(t);
            // A sum that overflowed has no finite shift: those windows take the formulas.
            return if self.shift_exact { Moments::Rebuilt } else { Moments::Reference };
        }
        let old = x[t - n];
        self.sum.add(v);
        self.sum.add(-old);
        if self.moments {
            let (d_new, d_old) = (v - self.shift, old - self.shift);
            self.dev.add(d_new);
            self.dev.add(-d_old);
            self.dev2.add(d_new * d_new);
            self.dev2.add(-(d_old * d_old));
        }
        self.steps += 1;
        Moments::Running
    }

    /// Rebuilds the sums from the window ending at `t` (O(n)).
    #[inline(never)]
    fn resum(&mut self, t: usize) {
        let w = &self.x[t + 1 - self.n..=t];
        self.sum = Compensated::of(w.iter().copied());
        if self.moments {
            let k = self.sum.value() / self.n as f64;
            self.shift_exact = k.is_finite();
            self.shift = if k.is_finite() { k } else { 0.0 };
            let k = self.shift;
            self.dev = Compensated::of(w.iter().map(|&v| v - k));
            self.dev2 = Compensated::of(w.iter().map(|&v| (v - k) * (v - k)));
        }
        self.steps = 0;
        self.live = true;
    }

    fn window(&self, t: usize) -> &'a [f64] {
        &self.x[t + 1 - self.n..=t]
    }

    /// The running mean and a bound on its distance from the reference mean, or `None` when the
    /// bound is not within [`TOLERANCE`] relative.
    #[inline(always)]
    fn mean(&self) -> Option<(f64, f64)> {
        let nf = self.n as f64;
        let s = self.sum.value();
        let m = s / nf;
        // The reference sum's own error: its terms are the window's values, whose magnitudes sum
        // to at most the running magnitude.
        let reference = 2.0 * U * s.abs() + 2.0 * (nf + 2.0) * U * U * self.sum.magnitude;
        // Both divide by n (u|m| each).
        let bound = (self.sum.error() + reference) / nf + 2.0 * U * m.abs();
        (m.is_finite() && m.abs() < HUGE && bound <= TOLERANCE * (m.abs() - bound)).then_some((m, bound))
    }

    /// The running variance numerator `sum (x - mean)^2` and a bound on its distance from the
    /// reference one, or `None` when that bound is not within [`TOLERANCE`] relative.
    #[inline(always)]
    fn sum_squares(&self) -> Option<(f64, f64)> {
        let (nf, inv_n) = (self.n as f64, self.inv_n);
        let a = self.dev2.value();
        let s1 = self.dev.value();
        let b = s1 * s1 / nf;
        let ss = a - b;
        if !(ss > TINY && a < HUGE * HUGE && self.sum.magnitude < HUGE) {
            return None;
        }
        // The bounds are computed with a multiplication by 1/n and a margin of 1 + 1e-9 on the
        // quantities they scale (their own rounding is far below it).
        // Running: the deviations of the window's values are rounded once (u |d|; a removed
        // term is rounded exactly as it was when added, so those cancel: the running magnitude,
        // which counts every term ever added or removed, bounds them), squared (3u d^2 in all),
        // then summed with compensation.
        let e_a = 3.0 * U * a + self.dev2.error();
        let e_1 = U * self.dev.magnitude + self.dev.error();
        let e_b = (2.0 * s1.abs() * e_1 + e_1 * e_1) * inv_n + 2.0 * U * b;
        let running = e_a + e_b + U * ss;
        // Reference: its mean is off by at most delta; the deviations are rounded and squared
        // (3u), summed with compensation (2u + O(n u^2)), and a shifted mean adds n delta^2.
        let s = self.sum.value();
        let delta = (2.0 * U * s.abs() + 2.0 * (nf + 2.0) * U * U * self.sum.magnitude) * inv_n + U * (s * inv_n).abs();
        let reference = (5.0 * U + 2.0 * (nf + 2.0) * U * U) * ss + nf * delta * delta;
        let bound = (running + reference) * (1.0 + 1e-9);
        // Relative to the smallest the reference could be.
        (bound <= TOLERANCE * (ss - bound)).then_some((ss, bound))
    }
}

/// Simple moving average: `out[t] = (x[t-n+1] + ... + x[t]) / n`.
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1` and windows containing a NaN.
/// Values: within [`TOLERANCE`] relative of the reference mean (a Neumaier sum / n) on every
/// window, computed in O(1) per row (see the module docs).
/// Convention: pandas 2.x `rolling(n).mean()` with `min_periods = n` (pandas also keeps a
/// compensated running sum).
pub fn sma(x: &[f64], n: usize, out: &mut [f64]) {
    check(x, n, out);
    run_every_row(Window::new(x, n, false), out, sma_value);
}

/// The [`sma`] of row `t` from the window's state there.
#[inline(always)]
fn sma_value(w: &Window, state: Moments, t: usize) -> f64 {
    match state {
        Moments::Nan => f64::NAN,
        Moments::Reference => window_mean(w.window(t)),
        Moments::Rebuilt => w.sum.value() / w.n as f64,
        Moments::Running => match w.mean() {
            Some((m, _)) => m,
            None => {
                count_reference();
                window_mean(w.window(t))
            }
        },
    }
}

/// Steps `w` over every row and writes `value` of each.
#[inline(always)]
fn run_every_row(mut w: Window, out: &mut [f64], value: impl Fn(&Window, Moments, usize) -> f64) {
    for (t, o) in out.iter_mut().enumerate() {
        let state = w.step(t);
        *o = value(&w, state, t);
    }
}

/// Steps `w` over every row up to the last of `at` (ascending, distinct) and writes `value`
/// on those rows only: the same state as [`run_every_row`], so the same values there.
fn run_at_rows(mut w: Window, at: &[usize], out: &mut [f64], value: impl Fn(&Window, Moments, usize) -> f64) {
    let mut row = 0;
    for &t in at {
        while row < t {
            w.step(row);
            row += 1;
        }
        let state = w.step(t);
        row = t + 1;
        out[t] = value(&w, state, t);
    }
}

/// [`sma`] of `x` on the rows `at` only (ascending, distinct, each `< x.len()`): the running
/// sums step over every row up to the last of them, as [`sma`] does, but the value (its error
/// bound) is formed on those rows only, so it is bit for bit [`sma`]'s there. Other rows of
/// `out` are left as they are. Shapes and units as [`sma`].
pub fn sma_at(x: &[f64], n: usize, at: &[usize], out: &mut [f64]) {
    check(x, n, out);
    run_at_rows(Window::new(x, n, false), at, out, sma_value);
}

/// [`std()`] of `x` on the rows `at` only, bit for bit its values there (see [`sma_at`]).
pub fn std_at(x: &[f64], n: usize, at: &[usize], out: &mut [f64]) {
    check(x, n, out);
    run_at_rows(Window::new(x, n, true), at, out, std_value);
}

/// [`zscore`] of `x` on the rows `at` only, bit for bit its values there (see [`sma_at`]).
pub fn zscore_at(x: &[f64], n: usize, at: &[usize], out: &mut [f64]) {
    check(x, n, out);
    run_at_rows(Window::new(x, n, true), at, out, zscore_value);
}

/// Rolling sample standard deviation (ddof = 1).
///
/// `out[t]` is exactly `0.0` when all `n` values of the window are equal (compared exactly);
/// otherwise within [`TOLERANCE`] relative of the two-pass value (the window mean first, then
/// `sqrt(sum (x - mean)^2 / (n - 1))`, SEMANTICS.md §5), in O(1) per row (see the module docs).
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1`, windows containing a NaN, and every row when `n == 1`
/// (ddof = 1 leaves no degrees of freedom).
/// Convention: pandas 2.x `rolling(n).std(ddof=1)` with `min_periods = n`,
/// except that a constant window is exactly 0 (pandas' online algorithm can
/// leave residues such as 1e-9).
pub fn std(x: &[f64], n: usize, out: &mut [f64]) {
    check(x, n, out);
    run_every_row(Window::new(x, n, true), out, std_value);
}

/// The [`std()`] of row `t` from the window's state there.
#[inline(always)]
fn std_value(w: &Window, state: Moments, t: usize) -> f64 {
    let n = w.n;
    match state {
        Moments::Nan => f64::NAN,
        _ if n < 2 => f64::NAN,
        _ if w.run >= n => 0.0,
        Moments::Reference => window_std(w.window(t)),
        Moments::Rebuilt => (w.dev2.value() / (n - 1) as f64).sqrt(),
        Moments::Running => match w.sum_squares() {
            Some((ss, _)) => (ss / (n - 1) as f64).sqrt(),
            None => {
                count_reference();
                window_std(w.window(t))
            }
        },
    }
}

/// Rolling z-score: `out[t] = (x[t] - mean(window)) / std(window)` with the
/// mean and the sample std (ddof = 1) of [`sma`] and [`std()`].
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: dimensionless.
/// NaN: rows `t < n-1`, windows containing a NaN, `n == 1`, and — never ±inf —
/// windows whose std is 0 (all values equal) (SEMANTICS.md §5).
/// Values: within [`TOLERANCE`] relative of the reference z-score on every window, in O(1) per
/// row; a window whose numerator `x - mean` is too small against the mean's rounding for that
/// (a z-score within about `4e-4 |mean| / std` of 0) takes the reference mean of its window.
pub fn zscore(x: &[f64], n: usize, out: &mut [f64]) {
    check(x, n, out);
    run_every_row(Window::new(x, n, true), out, zscore_value);
}

/// The [`zscore`] of row `t` from the window's state there.
#[inline(always)]
fn zscore_value(w: &Window, state: Moments, t: usize) -> f64 {
    let (n, x) = (w.n, w.x);
    match state {
        Moments::Nan => f64::NAN,
        _ if n < 2 || w.run >= n => f64::NAN,
        Moments::Reference => window_zscore(w.window(t), x[t]),
        Moments::Rebuilt => {
            let s = (w.dev2.value() / (n - 1) as f64).sqrt();
            if s == 0.0 || s.is_nan() {
                f64::NAN
            } else {
                (x[t] - w.sum.value() / n as f64) / s
            }
        }
        Moments::Running => running_zscore(w, x[t], t).unwrap_or_else(|| {
            count_reference();
            window_zscore(w.window(t), x[t])
        }),
    }
}

/// The z-score from the running sums, when their bounds allow: the std always from them, the
/// mean from them too unless the numerator `x - mean` is too small against the means' rounding,
/// then from the window (the reference mean, O(n)).
#[inline(always)]
fn running_zscore(w: &Window, xt: f64, t: usize) -> Option<f64> {
    let (ss, bound) = w.sum_squares()?;
    let nf = w.n as f64;
    let s = (ss / (nf - 1.0)).sqrt();
    // The std's relative error: half the variance's, plus the square root and the division.
    let rel_s = 0.5 * bound / (ss - bound) + 2.0 * U;
    let sum = w.sum.value();
    let m = sum / nf;
    // Both means are within dm of each other.
    let reference = 2.0 * U * sum.abs() + 2.0 * (nf + 2.0) * U * U * w.sum.magnitude;
    let dm = (w.sum.error() + reference) * w.inv_n + 2.0 * U * m.abs();
    let num = xt - m;
    // The numerator's error (both means, both subtractions), the std's, the division.
    let rel = (dm + 2.0 * U * num.abs()) / num.abs() + rel_s + 2.0 * U;
    if num.abs() > TINY && rel <= TOLERANCE {
        return Some(num / s);
    }
    count_reference();
    // The reference numerator exactly; only the std's error is left.
    let num = xt - window_mean(w.window(t));
    (rel_s + 2.0 * U <= TOLERANCE).then_some(num / s)
}

/// IEEE-754 `minimum` of two non-NaN values: `-0.0` is below `0.0`.
fn ieee_min(a: f64, b: f64) -> f64 {
    if b < a || (b == a && b.is_sign_negative()) {
        b
    } else {
        a
    }
}

/// IEEE-754 `maximum` of two non-NaN values: `0.0` is above `-0.0`.
fn ieee_max(a: f64, b: f64) -> f64 {
    if b > a || (b == a && b.is_sign_positive()) {
        b
    } else {
        a
    }
}

/// Rolling minimum of the window `x[t-n+1 ..= t]`, in O(1) amortised per row (a monotone deque
/// of candidate rows).
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1`; any NaN in the window gives NaN (IEEE-754
/// `minimum`, SEMANTICS.md §5 — unlike pandas, which skips NaN).
/// Signed zeros follow IEEE-754 `minimum`: `-0.0` is below `0.0`.
pub fn rolling_min(x: &[f64], n: usize, out: &mut [f64]) {
    extremum(x, n, out, |a, b| ieee_min(a, b).to_bits() == a.to_bits() && a.to_bits() != b.to_bits());
}

/// Rolling maximum of the window `x[t-n+1 ..= t]`, in O(1) amortised per row (a monotone deque
/// of candidate rows).
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1`; any NaN in the window gives NaN (IEEE-754
/// `maximum`, SEMANTICS.md §5 — unlike pandas, which skips NaN).
/// Signed zeros follow IEEE-754 `maximum`: `0.0` is above `-0.0`.
pub fn rolling_max(x: &[f64], n: usize, out: &mut [f64]) {
    extremum(x, n, out, |a, b| ieee_max(a, b).to_bits() == a.to_bits() && a.to_bits() != b.to_bits());
}

/// The sliding-window extremum: `beats(a, b)` says `a` is strictly more extreme than `b` (for
/// non-NaN values; `-0.0` and `0.0` are distinct). The deque holds rows of the window whose
/// values each beat every later one, so its front is the window's extremum; NaN rows empty it.
fn extremum(x: &[f64], n: usize, out: &mut [f64], beats: impl Fn(f64, f64) -> bool) {
    check(x, n, out);
    let mut deque = std::collections::VecDeque::with_capacity(n.min(x.len()));
    let mut last_nan: Option<usize> = None;
    for t in 0..x.len() {
        let v = x[t];
        if v.is_nan() {
            last_nan = Some(t);
            deque.clear();
        } else {
            while deque.back().is_some_and(|&j: &usize| !beats(x[j], v)) {
                deque.pop_back();
            }
            deque.push_back(t);
        }
        while deque.front().is_some_and(|&j| j + n <= t) {
            deque.pop_front();
        }
        out[t] = if t + 1 < n || last_nan.is_some_and(|i| i + n > t) { f64::NAN } else { x[*deque.front().expect("a clean window has a row")] };
    }
}

#[cfg(test)]
mod tests;
