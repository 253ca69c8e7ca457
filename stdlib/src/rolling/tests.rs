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
