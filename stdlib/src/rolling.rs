//! Rolling-window kernels over one series (SEMANTICS.md §1, §5).
//!
//! Every kernel takes `x` (one value per bar, bar 0 first), a window length
//! `n` and an output slice `out` with `out.len() == x.len()`. The window at row
//! `t` covers rows `t-n+1 ..= t` (today included). Rows `t < n-1` (warm-up) are
//! NaN, and a window containing any NaN gives NaN.
//!
//! Sums are plain left-to-right (time order) sums recomputed per window
//! (O(n) per row), so each value is exactly the formula as written, with no
//! residue from running sums.
//! Callers guarantee `n >= 1`; kernels panic on `n == 0` or on mismatched
//! lengths.

/// Checks the shared preconditions of every kernel.
fn check(x: &[f64], n: usize, out: &[f64]) {
    assert!(n >= 1, "rolling window length must be >= 1");
    assert_eq!(x.len(), out.len(), "out must have the length of x");
}

/// Applies `f` to every complete, NaN-free window; warm-up rows and windows
/// holding a NaN are written as NaN.
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

/// Mean of a NaN-free window: left-to-right sum divided by its length.
fn window_mean(w: &[f64]) -> f64 {
    let mut s = 0.0;
    for &v in w {
        s += v;
    }
    s / w.len() as f64
}

/// Sample standard deviation (ddof = 1) of a NaN-free window: NaN if the
/// window has fewer than 2 values, exactly 0.0 if all values are equal
/// (compared exactly), otherwise two-pass `sqrt(sum (v - mean)^2 / (n - 1))`.
fn window_std(w: &[f64]) -> f64 {
    if w.len() < 2 {
        return f64::NAN;
    }
    if w.iter().all(|&v| v == w[0]) {
        return 0.0;
    }
    std_two_pass(w)
}

/// The two-pass std of a NaN-free window of at least 2 values that are not all equal.
fn std_two_pass(w: &[f64]) -> f64 {
    let m = window_mean(w);
    let mut ss = 0.0;
    for &v in w {
        let d = v - m;
        ss += d * d;
    }
    (ss / (w.len() - 1) as f64).sqrt()
}

/// Simple moving average: `out[t] = (x[t-n+1] + ... + x[t]) / n`, summed left
/// to right.
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1` and windows containing a NaN.
/// Convention: pandas 2.x `rolling(n).mean()` with `min_periods = n`
/// (agrees to rounding; pandas uses a running sum).
pub fn sma(x: &[f64], n: usize, out: &mut [f64]) {
    apply(x, n, out, |w, _| window_mean(w));
}

/// Rolling sample standard deviation (ddof = 1).
///
/// `out[t]` is exactly `0.0` when all `n` values of the window are equal
/// (compared exactly); otherwise two-pass: the window mean first (left-to-right
/// sum / n), then `sqrt(sum (x - mean)^2 / (n - 1))` (SEMANTICS.md §5).
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1`, windows containing a NaN, and every row when `n == 1`
/// (ddof = 1 leaves no degrees of freedom).
/// Convention: pandas 2.x `rolling(n).std(ddof=1)` with `min_periods = n`,
/// except that a constant window is exactly 0 (pandas' online algorithm can
/// leave residues such as 1e-9).
pub fn std(x: &[f64], n: usize, out: &mut [f64]) {
    // `apply(x, n, out, |w, _| window_std(w))`, with the two O(n) checks per window (any NaN,
    // all equal) answered in O(1) from the last NaN row and the length of the run of equal
    // values ending at each row (`==` is an equivalence on non-NaN values); the windows that need
    // the two-pass std are then computed [`LANES`] at a time (see [`std_two_pass_lanes`]), each
    // with exactly the operations of [`std_two_pass`], so the values are identical.
    check(x, n, out);
    let mut pending = [0usize; LANES];
    let mut k = 0;
    let mut last_nan: Option<usize> = None;
    let mut run = 0usize;
    for t in 0..x.len() {
        let v = x[t];
        if v.is_nan() {
            last_nan = Some(t);
            run = 0;
        } else if run > 0 && x[t - 1] == v {
            run += 1;
        } else {
            run = 1;
        }
        out[t] = if t + 1 < n || last_nan.is_some_and(|i| i + n > t) || n < 2 {
            f64::NAN
        } else if run >= n {
            0.0
        } else {
            pending[k] = t;
            k += 1;
            if k == LANES {
                std_two_pass_lanes(x, n, &pending, out);
                k = 0;
            }
            continue;
        };
    }
    for &t in &pending[..k] {
        out[t] = std_two_pass(&x[t + 1 - n..=t]);
    }
}

/// How many windows [`std_two_pass_lanes`] computes side by side.
const LANES: usize = 8;

/// Writes `out[t] = std_two_pass(&x[t + 1 - n..=t])` for each `t` of `ends`, interleaving the
/// windows' sums so that their independent additions overlap in the CPU (one long dependency
/// chain per window otherwise bounds the speed). Each window is still summed left to right with
/// the same operations, so every value is bit-identical to [`std_two_pass`]'s.
// Indexing every lane at step `i` is the point: it keeps the lanes' sums side by side.
#[allow(clippy::needless_range_loop)]
fn std_two_pass_lanes(x: &[f64], n: usize, ends: &[usize; LANES], out: &mut [f64]) {
    let w: [&[f64]; LANES] = ends.map(|t| &x[t + 1 - n..=t]);
    let mut s = [0.0; LANES];
    for i in 0..n {
        for k in 0..LANES {
            s[k] += w[k][i];
        }
    }
    let m = s.map(|s| s / n as f64);
    let mut ss = [0.0; LANES];
    for i in 0..n {
        for k in 0..LANES {
            let d = w[k][i] - m[k];
            ss[k] += d * d;
        }
    }
    for k in 0..LANES {
        out[ends[k]] = (ss[k] / (n - 1) as f64).sqrt();
    }
}

/// Rolling z-score: `out[t] = (x[t] - mean(window)) / std(window)` with the
/// mean and the sample std (ddof = 1) of [`sma`] and [`std()`].
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: dimensionless.
/// NaN: rows `t < n-1`, windows containing a NaN, `n == 1`, and — never ±inf —
/// windows whose std is 0 (all values equal) (SEMANTICS.md §5).
pub fn zscore(x: &[f64], n: usize, out: &mut [f64]) {
    apply(x, n, out, |w, xt| {
        let s = window_std(w);
        if s == 0.0 || s.is_nan() {
            f64::NAN
        } else {
            (xt - window_mean(w)) / s
        }
    });
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

/// Rolling minimum of the window `x[t-n+1 ..= t]`.
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1`; any NaN in the window gives NaN (IEEE-754
/// `minimum`, SEMANTICS.md §5 — unlike pandas, which skips NaN).
/// Signed zeros follow IEEE-754 `minimum`: `-0.0` is below `0.0`.
pub fn rolling_min(x: &[f64], n: usize, out: &mut [f64]) {
    apply(x, n, out, |w, _| w.iter().fold(f64::INFINITY, |m, &v| ieee_min(m, v)));
}

/// Rolling maximum of the window `x[t-n+1 ..= t]`.
///
/// Shapes: `x`, `out` of equal length T; `n >= 1`. Units: those of `x`.
/// NaN: rows `t < n-1`; any NaN in the window gives NaN (IEEE-754
/// `maximum`, SEMANTICS.md §5 — unlike pandas, which skips NaN).
/// Signed zeros follow IEEE-754 `maximum`: `0.0` is above `-0.0`.
pub fn rolling_max(x: &[f64], n: usize, out: &mut [f64]) {
    apply(x, n, out, |w, _| w.iter().fold(f64::NEG_INFINITY, |m, &v| ieee_max(m, v)));
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod std_fast_path {
    use super::*;

    /// `std` (O(1) checks) against the window-by-window definition, bit for bit, on series with
    /// NaN gaps, constant runs (including 0.0 / -0.0) and noise, for many window lengths.
    #[test]
    fn std_equals_the_per_window_definition() {
        let mut seed = 12345u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut x = vec![];
        for i in 0..600 {
            let u = next();
            x.push(match i % 97 {
                10..=14 => f64::NAN,
                20..=40 => 1.5,
                41..=45 => {
                    if i % 2 == 0 {
                        0.0
                    } else {
                        -0.0
                    }
                }
                50 => f64::NAN,
                _ => {
                    if u < 0.1 {
                        2.0
                    } else {
                        u * 3.0 - 1.0
                    }
                }
            });
        }
        for n in [1, 2, 3, 5, 7, 21, 63, 100, 600, 700] {
            let mut fast = vec![0.0; x.len()];
            let mut slow = vec![0.0; x.len()];
            std(&x, n, &mut fast);
            apply(&x, n, &mut slow, |w, _| window_std(w));
            for t in 0..x.len() {
                assert_eq!(fast[t].to_bits(), slow[t].to_bits(), "n={n} t={t}");
            }
        }
    }
}
