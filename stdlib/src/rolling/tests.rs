//! Rolling kernels against independent values: pandas 3.1 `rolling(5)`
//! (mean, min, max) and exact rational arithmetic with a 60-digit decimal
//! square root (std, zscore), on a fixed series with a constant stretch and
//! a NaN inside a window.

use super::*;
use crate::testutil::{assert_all_close, NAN};

const X: [f64; 30] = [
    10.0, 10.5, 10.2, 10.8, 11.1, 10.9, 11.4, 11.4, 11.4, 11.4, 11.4, 11.2, 10.7, 10.3, NAN, 10.6, 10.9, 11.3, 11.0, 11.6, 12.1, 11.8, 12.4, 12.0, 12.7, 13.1,
    12.9, 13.3, 12.2, 11.5,
];
const SMA5: [f64; 30] = [
    NAN,
    NAN,
    NAN,
    NAN,
    10.52,
    10.7,
    10.879999999999999,
    11.120000000000001,
    11.24,
    11.3,
    11.4,
    11.360000000000001,
    11.22,
    11.0,
    NAN,
    NAN,
    NAN,
    NAN,
    NAN,
    11.08,
    11.379999999999999,
    11.559999999999999,
    11.780000000000001,
    11.98,
    12.2,
    12.4,
    12.620000000000001,
    12.8,
    12.84,
    12.6,
];
const STD5: [f64; 30] = [
    NAN,
    NAN,
    NAN,
    NAN,
    0.44384682042344303,
    0.353553390593274,
    0.44384682042344326,
    0.2774887385102321,
    0.23021728866442687,
    0.22360679774997896,
    0.0,
    0.08944271909999206,
    0.3033150177620625,
    0.4847679857416328,
    NAN,
    NAN,
    NAN,
    NAN,
    NAN,
    0.3834057902536163,
    0.48682645778552314,
    0.4277849927241486,
    0.5310367218940703,
    0.3033150177620621,
    0.3535533905932734,
    0.5244044240850754,
    0.43243496620879296,
    0.5000000000000002,
    0.4219004621945802,
    0.7416198487095665,
];
const Z5: [f64; 30] = [
    NAN,
    NAN,
    NAN,
    NAN,
    1.3067571362720645,
    0.5656854249492386,
    1.1715753635542654,
    1.0090499582190267,
    0.6949955884209112,
    0.4472135954999579,
    NAN,
    -1.7888543819998317,
    -1.7143892308290456,
    -1.4439897447623096,
    NAN,
    NAN,
    NAN,
    NAN,
    NAN,
    1.3562653804889815,
    1.4789664540319698,
    0.5610294986546228,
    1.1675275445898,
    0.06593804733957845,
    1.4142135623730945,
    1.3348476249438297,
    0.6474962060880336,
    1.000000000000001,
    -1.5169454820479267,
    -1.4832396974191322,
];
const MIN5: [f64; 30] = [
    NAN, NAN, NAN, NAN, 10.0, 10.2, 10.2, 10.8, 10.9, 10.9, 11.4, 11.2, 10.7, 10.3, NAN, NAN, NAN, NAN, NAN, 10.6, 10.9, 11.0, 11.0, 11.6, 11.8, 11.8, 12.0,
    12.0, 12.2, 11.5,
];
const MAX5: [f64; 30] = [
    NAN, NAN, NAN, NAN, 11.1, 11.1, 11.4, 11.4, 11.4, 11.4, 11.4, 11.4, 11.4, 11.4, NAN, NAN, NAN, NAN, NAN, 11.6, 12.1, 12.1, 12.4, 12.4, 12.7, 13.1, 13.1,
    13.3, 13.3, 13.3,
];

fn run(f: fn(&[f64], usize, &mut [f64]), x: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    f(x, n, &mut out);
    out
}

#[test]
fn sma_matches_pandas() {
    assert_all_close(&run(sma, &X, 5), &SMA5, "sma");
}

#[test]
fn std_matches_exact_values() {
    assert_all_close(&run(std, &X, 5), &STD5, "std");
}

#[test]
fn zscore_matches_exact_values() {
    assert_all_close(&run(zscore, &X, 5), &Z5, "zscore");
}

#[test]
fn min_max_match_pandas() {
    assert_all_close(&run(rolling_min, &X, 5), &MIN5, "min");
    assert_all_close(&run(rolling_max, &X, 5), &MAX5, "max");
}

#[test]
fn warm_up_and_nan_windows() {
    for f in [sma, std, zscore, rolling_min, rolling_max] {
        let out = run(f, &X, 5);
        assert!(out[..4].iter().all(|v| v.is_nan()), "warm-up rows");
        // X[14] is NaN: windows ending at rows 14..=18 contain it.
        assert!(out[14..19].iter().all(|v| v.is_nan()), "NaN window");
        assert!(!out[13].is_nan() && !out[19].is_nan());
    }
}

#[test]
fn std_is_exactly_zero_on_constant_window() {
    // Left-to-right means of these windows are off by an ulp
    // (0.1+0.1+0.1)/3 = 0.10000000000000002, so only the exact rule gives 0.
    let out = run(std, &[0.1, 0.1, 0.1], 3);
    assert_eq!(out[2].to_bits(), 0.0_f64.to_bits());
    let out = run(std, &[11.4; 7], 7);
    assert_eq!(out[6].to_bits(), 0.0_f64.to_bits());
    assert_eq!(run(std, &X, 5)[10].to_bits(), 0.0_f64.to_bits());
}

#[test]
fn zscore_is_nan_not_inf_on_constant_window() {
    let out = run(zscore, &[0.7, 0.7, 0.7, 0.7], 3);
    assert!(out.iter().all(|v| v.is_nan()));
    assert!(run(zscore, &X, 5)[10].is_nan());
}

#[test]
fn window_of_one() {
    let x = [1.0, NAN, 3.0];
    let s = run(std, &x, 1);
    assert!(s.iter().all(|v| v.is_nan()), "ddof=1 with n=1 is NaN");
    assert!(run(zscore, &x, 1).iter().all(|v| v.is_nan()));
    let m = run(sma, &x, 1);
    assert_eq!((m[0], m[2]), (1.0, 3.0));
    assert!(m[1].is_nan());
}

#[test]
fn short_series_is_all_warm_up() {
    assert!(run(sma, &[1.0, 2.0], 5).iter().all(|v| v.is_nan()));
    assert!(run(sma, &[], 5).is_empty());
}

#[test]
fn min_max_nan_and_signed_zero() {
    let x = [3.0, NAN, 1.0, 2.0, 0.0, -0.0, 5.0];
    let lo = run(rolling_min, &x, 2);
    let hi = run(rolling_max, &x, 2);
    assert!(lo[..3].iter().all(|v| v.is_nan()) && hi[..3].iter().all(|v| v.is_nan()));
    assert_eq!(&lo[3..5], &[1.0, 0.0]);
    assert_eq!(&hi[3..5], &[2.0, 2.0]);
    assert!(lo[5] == 0.0 && lo[5].is_sign_negative(), "min(0, -0) = -0");
    assert!(hi[5] == 0.0 && hi[5].is_sign_positive(), "max(0, -0) = +0");
    assert!(hi[6] == 5.0 && lo[6] == 0.0 && lo[6].is_sign_negative());
}

// ---- the O(1) kernels against a separate two-pass oracle (spec/stdlib.md, "Numerical policy") ----

/// The oracle: SEMANTICS.md §5's two-pass formulas, written here apart from the kernels. Sums are
/// compensated (Neumaier), as the reference values are defined.
mod oracle {
    fn sum(values: impl Iterator<Item = f64>) -> f64 {
        let (mut s, mut c) = (0.0f64, 0.0f64);
        for v in values {
            let t = s + v;
            c += if s.abs() >= v.abs() { (s - t) + v } else { (v - t) + s };
            s = t;
        }
        s + c
    }

    pub fn mean(w: &[f64]) -> f64 {
        sum(w.iter().copied()) / w.len() as f64
    }

    pub fn std(w: &[f64]) -> f64 {
        if w.len() < 2 {
            return f64::NAN;
        }
        if w.iter().all(|&v| v == w[0]) {
            return 0.0;
        }
        let m = mean(w);
        (sum(w.iter().map(|&v| (v - m) * (v - m))) / (w.len() - 1) as f64).sqrt()
    }

    pub fn zscore(w: &[f64], xt: f64) -> f64 {
        let s = std(w);
        if s == 0.0 || s.is_nan() {
            f64::NAN
        } else {
            (xt - mean(w)) / s
        }
    }
}

/// A small deterministic generator.
struct Lcg(u64);

impl Lcg {
    fn unit(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.unit() * n as f64) as usize % n.max(1)
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.unit().max(1e-300), self.unit());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// A random series: a level `mu` with noise `sigma` (mu^2 / sigma^2 up to 1e12), as a random
/// walk or white noise, with NaN gaps, constant runs (signed zeros among them) and, rarely,
/// infinities.
fn series(rng: &mut Lcg, len: usize) -> Vec<f64> {
    let sigma = 10f64.powi(rng.below(7) as i32 - 3);
    let mu = sigma * [0.0, 1.0, 1e2, 1e4, 1e6][rng.below(5)] * if rng.unit() < 0.3 { -1.0 } else { 1.0 };
    let walk = rng.unit() < 0.4;
    let mut level = mu;
    let mut x = Vec::with_capacity(len);
    while x.len() < len {
        match rng.below(40) {
            0 => x.extend(std::iter::repeat_n(f64::NAN, 1 + rng.below(5))),
            1 => {
                let v = if rng.unit() < 0.3 { [0.0, -0.0][rng.below(2)] } else { level };
                x.extend(std::iter::repeat_n(v, 1 + rng.below(12)));
            }
            2 if rng.unit() < 0.1 => x.push(if rng.unit() < 0.5 { f64::INFINITY } else { f64::NEG_INFINITY }),
            _ => {
                let e = sigma * rng.normal();
                if walk {
                    level += e;
                    x.push(level);
                } else {
                    x.push(mu + e);
                }
            }
        }
    }
    x.truncate(len);
    x
}

/// Checks `got` against `want` row by row: the same NaN rows, exact zeros kept, else within the
/// tolerance relative. Infinities must match exactly.
fn check_close(got: &[f64], want: &[f64], what: &str) {
    for (t, (&g, &w)) in got.iter().zip(want).enumerate() {
        if w.is_nan() || g.is_nan() {
            assert!(w.is_nan() && g.is_nan(), "{what} row {t}: got {g}, want {w}");
        } else if w == 0.0 || w.is_infinite() {
            assert_eq!(g.to_bits(), w.to_bits(), "{what} row {t}: got {g:e}, want {w:e}");
        } else {
            let rel = ((g - w) / w).abs();
            assert!(rel <= TOLERANCE, "{what} row {t}: got {g:e}, want {w:e}, relative {rel:e}");
        }
    }
}

#[test]
fn running_kernels_stay_within_the_tolerance_of_the_two_pass_oracle() {
    let mut rng = Lcg(0x0005_eed0_fa11);
    for case in 0..400 {
        let len = 1 + rng.below(900);
        let x = series(&mut rng, len);
        let mut windows = vec![1, 2, 3, 1 + rng.below(20), 1 + rng.below(300), len, len + 1];
        windows.retain(|&n| n >= 1);
        for n in windows {
            let what = |k: &str| format!("case {case} {k}(n = {n}, len = {len})");
            let (mut got, mut want) = (vec![0.0; len], vec![0.0; len]);
            sma(&x, n, &mut got);
            apply(&x, n, &mut want, |w, _| oracle::mean(w));
            check_close(&got, &want, &what("sma"));
            std(&x, n, &mut got);
            apply(&x, n, &mut want, |w, _| oracle::std(w));
            check_close(&got, &want, &what("std"));
            zscore(&x, n, &mut got);
            apply(&x, n, &mut want, oracle::zscore);
            check_close(&got, &want, &what("zscore"));
        }
    }
}

#[test]
fn min_and_max_equal_the_per_window_fold_bit_for_bit() {
    let mut rng = Lcg(0x00de_c0de);
    for _ in 0..300 {
        let len = 1 + rng.below(400);
        let x = series(&mut rng, len);
        for n in [1, 2, 5, 1 + rng.below(60), len + 2] {
            let (mut got, mut want) = (vec![0.0; len], vec![0.0; len]);
            rolling_min(&x, n, &mut got);
            apply(&x, n, &mut want, |w, _| w.iter().fold(f64::INFINITY, |m, &v| ieee_min(m, v)));
            assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())), "min n={n}");
            rolling_max(&x, n, &mut got);
            apply(&x, n, &mut want, |w, _| w.iter().fold(f64::NEG_INFINITY, |m, &v| ieee_max(m, v)));
            assert!(got.iter().zip(&want).all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())), "max n={n}");
        }
    }
}

#[test]
fn the_running_sums_serve_almost_every_window_of_a_well_conditioned_series() {
    // A VIX-like level (mean 20, std 5) with daily noise, long windows: the fast path must serve
    // nearly every row, or the kernels are O(n) again.
    let mut rng = Lcg(7);
    let x: Vec<f64> = (0..6000).map(|_| 20.0 + 5.0 * rng.normal()).collect();
    let mut out = vec![0.0; x.len()];
    for n in [20, 250, 2000] {
        let before = REFERENCE_WINDOWS.with(|c| c.get());
        sma(&x, n, &mut out);
        std(&x, n, &mut out);
        zscore(&x, n, &mut out);
        let fallbacks = REFERENCE_WINDOWS.with(|c| c.get()) - before;
        // About 0.2 % of the z-scores sit within 0.009 of the mean (the numerator bound for a
        // mean of 20); an O(n) kernel would count every one of the 3 x (6000 - n) windows.
        assert!(fallbacks < 60, "n = {n}: {fallbacks} windows fell back to two-pass");
    }
}

/// Neumaier's compensated add, as written before the branch-free form: the oracle of
/// `compensated_add_is_neumaiers`.
fn neumaier(sum: f64, carry: f64, v: f64) -> (f64, f64) {
    let t = sum + v;
    let e = if sum.abs() >= v.abs() { (sum - t) + v } else { (v - t) + sum };
    (t, carry + e)
}

/// The branch-free add keeps Neumaier's sum and carry bit for bit: ordinary values, signed
/// zeros, values that cancel, and the overflow edges where TwoSum's own steps overflow (a term
/// of exactly ±f64::MAX on a rounding tie; a sum that overflows).
#[test]
fn compensated_add_is_neumaiers() {
    let tie = -3.0 * 2f64.powi(970);
    let cases: Vec<Vec<f64>> = vec![
        vec![1.0, 1e-17, -1.0, 3.5, -0.0, 0.0, 1e300, -1e300, 2.0],
        vec![-0.0, -0.0, 0.0],
        vec![tie, f64::MAX],
        vec![f64::MAX, tie],
        vec![-tie, -f64::MAX, 1.0],
        vec![f64::MAX, f64::MAX, -f64::MAX],
        vec![0.1, 0.2, 0.3, -0.6, 1e16, 1.0, -1e16],
    ];
    for values in cases {
        let mut c = Compensated::default();
        let (mut sum, mut carry) = (0.0, 0.0);
        for &v in &values {
            c.add(v);
            (sum, carry) = neumaier(sum, carry, v);
            assert_eq!((c.sum.to_bits(), c.carry.to_bits()), (sum.to_bits(), carry.to_bits()), "{values:?} at {v}");
        }
    }
    // The window that exposed it: the mean of [-3 * 2^970, MAX] is finite (pandas agrees).
    let x = [tie, f64::MAX];
    let mut out = [0.0; 2];
    sma(&x, 2, &mut out);
    assert_eq!(out[1], 8.988465674311578e307);
}
