//! Metrics against numpy 2.4 on fixed return series: `np.cumprod(1 + x)`,
//! `np.std(x, ddof=1)`, `np.percentile(x, 5)` (type 7), the sorted-tail mean,
//! with the SEMANTICS.md §4 formulas written out in numpy.
//! Field order of `M_*`: total_return, cagr, ann_vol, sharpe, sortino,
//! max_drawdown, calmar, var_95, cvar_95, omega, avg_exposure.

use super::*;
use crate::testutil::{assert_all_close, assert_close, NAN};

const R: [f64; 35] = [
    0.012, -0.004, 0.0075, -0.021, 0.003, 0.0, 0.0158, -0.0093, 0.0041, -0.0127, 0.0202, 0.0066, -0.0031, -0.0185, 0.0097, 0.0012, -0.0054, 0.0139, -0.0008,
    0.0071, 0.0044, -0.0162, 0.0109, 0.0023, -0.0036, 0.0081, -0.0119, 0.0057, 0.0018, -0.0029, 0.0133, -0.0071, 0.0026, 0.0, 0.0092,
];
const EXP: [f64; 35] = [
    1.0, 1.0, 0.85, 0.85, 0.65, 0.0, 1.0, 1.0, 0.7, 0.7, 1.0, 1.0, 0.85, 0.85, 0.65, 0.0, 1.0, 1.0, 0.7, 0.7, 1.0, 1.0, 0.85, 0.85, 0.65, 0.0, 1.0, 1.0, 0.7,
    0.7, 1.0, 0.45, 0.45, 1.0, 1.0,
];
const LOSS: [f64; 22] = [
    -0.02, 0.005, -0.031, -0.012, 0.008, -0.045, 0.011, -0.019, -0.007, 0.014, -0.026, -0.038, 0.004, -0.015, 0.021, -0.009, -0.052, 0.006, -0.011, -0.017,
    0.009, -0.024,
];
const M_R: [f64; 11] = [
    0.04209021764417664,
    0.34560718503358134,
    0.15613768132456612,
    1.9782540471952172,
    2.9123629254386474,
    -0.021542649999999997,
    16.042928100005405,
    -0.01689,
    -0.01975,
    1.3682403433476396,
    0.7757142857142858,
];
const M_LOSS: [f64; 11] = [
    -0.22403057491473521,
    -0.9851262002835631,
    0.3784512755499286,
    -10.872061267508204,
    -10.073355020896262,
    -0.22403057491473521,
    -4.397284614649124,
    -0.044649999999999995,
    -0.0485,
    0.23926380368098155,
    1.0,
];
const EQ_LOSS: [f64; 22] = [
    0.98,
    0.9848999999999999,
    0.9543680999999998,
    0.9429156827999998,
    0.9504590082623998,
    0.9076883528905918,
    0.9176729247723883,
    0.9002371392017129,
    0.8939354792273009,
    0.9064505759364831,
    0.8828828609621345,
    0.8493333122455734,
    0.8527306454945557,
    0.8399396858121373,
    0.8575784192141921,
    0.8498602134412644,
    0.8056674823423186,
    0.8105014872363725,
    0.8015859708767724,
    0.7879590093718672,
    0.795050640456214,
    0.7759694250852648,
];
const B: [f64; 35] = [
    0.01, -0.006, 0.008, -0.018, 0.002, 0.001, 0.013, -0.011, 0.005, -0.01, 0.017, 0.007, -0.002, -0.02, 0.011, 0.0, -0.004, 0.012, -0.001, 0.006, 0.005,
    -0.015, 0.009, 0.003, -0.002, 0.007, -0.013, 0.006, 0.001, -0.003, 0.012, -0.008, 0.003, 0.001, 0.01,
];
const IR: [f64; 1] = [2.087049943620889];
const PCT_R: [f64; 8] = [-0.021, -0.01689, -0.01238, -0.0038, 0.0023, 0.0085598, 0.014469999999999995, 0.0202];

fn fields(m: &Metrics) -> [f64; 11] {
    [m.total_return, m.cagr, m.ann_vol, m.sharpe, m.sortino, m.max_drawdown, m.calmar, m.var_95, m.cvar_95, m.omega, m.avg_exposure]
}

#[test]
fn metrics_match_numpy() {
    assert_all_close(&fields(&metrics(&R, &EXP, 252.0)), &M_R, "R");
}

#[test]
fn losing_series_matches_numpy() {
    let m = metrics(&LOSS, &[1.0; 22], 365.0);
    assert_all_close(&fields(&m), &M_LOSS, "LOSS");
    // The first return is a loss, so the drawdown is measured from E[0] = 1.
    assert_close(m.max_drawdown, m.total_return, "mdd from the start");
    assert_all_close(&equity_curve(&LOSS), &EQ_LOSS, "equity");
}

#[test]
fn information_ratio_matches_numpy() {
    assert_close(information_ratio(&R, &B, 252.0), IR[0], "IR");
    assert!(information_ratio(&R, &R, 252.0).is_nan(), "zero tracking error");
    assert!(information_ratio(&[0.01], &[0.0], 252.0).is_nan());
}

#[test]
fn percentile_type7_numpy_examples() {
    // numpy.percentile docs: a = [[10, 7, 4], [3, 2, 1]], percentile(a, 50) = 3.5.
    let a = [1.0, 2.0, 3.0, 4.0, 7.0, 10.0];
    assert_eq!(percentile_linear(&a, 0.5), 3.5);
    // Type 7 on 1..=5 at q = 0.3: h = 4 * 0.3 = 1.2 -> 2 + 0.2 * (3 - 2) = 2.2.
    assert_close(percentile_linear(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.3), 2.2, "q=.3");
    assert_eq!(percentile_linear(&a, 0.0), 1.0);
    assert_eq!(percentile_linear(&a, 1.0), 10.0);
    assert_eq!(percentile_linear(&[4.0], 0.05), 4.0);
    assert!(percentile_linear(&[], 0.5).is_nan());
    assert!(percentile_linear(&[1.0, NAN], 0.5).is_nan());
    let mut s = R.to_vec();
    s.sort_by(f64::total_cmp);
    let qs = [0.0, 0.05, 0.10, 0.25, 0.50, 0.777, 0.95, 1.0];
    for (q, want) in qs.iter().zip(PCT_R) {
        assert_close(percentile_linear(&s, *q), want, &format!("q={q}"));
    }
}

#[test]
fn mean_and_std() {
    assert!(mean(&[]).is_nan());
    assert_eq!(mean(&[1.0, 2.0, 4.0]), 7.0 / 3.0);
    assert!(std_ddof1(&[1.0]).is_nan());
    assert_eq!(std_ddof1(&[0.1, 0.1, 0.1]).to_bits(), 0.0_f64.to_bits());
    assert_eq!(std_ddof1(&[1.0, 3.0]), 2.0_f64.sqrt());
}

#[test]
fn empty_window_is_all_nan() {
    let m = metrics(&[], &[], 252.0);
    assert!(fields(&m).iter().all(|v| v.is_nan()));
}

#[test]
fn single_return() {
    let m = metrics(&[-0.02], &[0.5], 252.0);
    assert!(m.ann_vol.is_nan() && m.sharpe.is_nan());
    assert_close(m.total_return, -0.02, "tr");
    assert_close(m.max_drawdown, -0.02, "mdd");
    assert_close(m.sortino, -252.0_f64.sqrt(), "sortino");
    assert_eq!((m.var_95, m.cvar_95, m.omega, m.avg_exposure), (-0.02, -0.02, 0.0, 0.5));
    assert_close(m.cagr, 0.98_f64.powf(252.0) - 1.0, "cagr");
}

#[test]
fn degenerate_rules() {
    // Flat: std exactly 0, DD 0, no drawdown, omega 0/0.
    let m = metrics(&[0.0; 5], &[0.0; 5], 252.0);
    assert!(m.sharpe.is_nan() && m.sortino.is_nan() && m.calmar.is_nan());
    assert!(m.omega.is_nan());
    assert_eq!((m.ann_vol, m.max_drawdown, m.total_return, m.cagr), (0.0, 0.0, 0.0, 0.0));
    // Constant positive returns: std exactly 0 (not a residue) -> NaN Sharpe.
    let m = metrics(&[0.1; 3], &[1.0; 3], 252.0);
    assert!(m.sharpe.is_nan() && m.sortino.is_nan() && m.calmar.is_nan());
    assert_eq!(m.omega, f64::INFINITY);
    // Total loss: cagr = -1.
    let m = metrics(&[0.05, -1.0, 0.1], &[1.0; 3], 252.0);
    assert_eq!((m.cagr, m.max_drawdown), (-1.0, -1.0));
    // A NaN return poisons everything but the exposure.
    let m = metrics(&[0.01, NAN], &[1.0, 0.0], 252.0);
    assert!(fields(&m)[..10].iter().all(|v| v.is_nan()));
    assert_eq!(m.avg_exposure, 0.5);
}

#[test]
fn cvar_tail_size() {
    // k = floor((N-1) * 0.05) + 1: N = 20 -> 1, N = 21 -> 2, N = 41 -> 3.
    for (n, k) in [(20usize, 1usize), (21, 2), (40, 2), (41, 3)] {
        let x: Vec<f64> = (0..n).map(|i| i as f64 * 0.001 - 0.01).collect();
        let want = x[..k].iter().sum::<f64>() / k as f64;
        let m = metrics(&x, &vec![1.0; n], 252.0);
        assert_close(m.cvar_95, want, &format!("cvar N={n}"));
    }
}

#[test]
fn a_standard_deviation_whose_squares_overflow_is_still_finite() {
    // [-1e296, 0, 0, 0]: mean -0.25e296, deviations -0.75e296 and 3 x 0.25e296, whose squares
    // overflow; the scaled sum gives sqrt((0.5625 + 3 * 0.0625) / 3) * 1e296.
    let x = [-1e296, 0.0, 0.0, 0.0];
    let expected = ((0.5625f64 + 3.0 * 0.0625) / 3.0).sqrt() * 1e296;
    assert!((std_ddof1(&x) / expected - 1.0).abs() < 1e-12, "{}", std_ddof1(&x));
    let m = metrics(&x, &[1.0; 4], 252.0);
    assert!((m.ann_vol / (expected * 252f64.sqrt()) - 1.0).abs() < 1e-12, "{m:?}");
    // Downside deviation sqrt(1e592 / 4) = 0.5e296: sortino = -0.25e296 / 0.5e296 * sqrt(252).
    assert!((m.sortino / (-0.5 * 252f64.sqrt()) - 1.0).abs() < 1e-12, "{m:?}");
    // An ordinary series takes the plain formula, unchanged.
    assert_eq!(std_ddof1(&[1.0, 2.0, 4.0]), (((1.0f64 - 7.0 / 3.0).powi(2) + (2.0f64 - 7.0 / 3.0).powi(2) + (4.0f64 - 7.0 / 3.0).powi(2)) / 2.0).sqrt());
}

#[test]
fn the_metrics_table_reads_every_field_in_display_order() {
    let m = Metrics {
        total_return: 1.0,
        cagr: 2.0,
        ann_vol: 3.0,
        sharpe: 4.0,
        sortino: 5.0,
        max_drawdown: 6.0,
        calmar: 7.0,
        var_95: 8.0,
        cvar_95: 9.0,
        omega: 10.0,
        avg_exposure: 11.0,
    };
    assert_eq!(m.values(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0]);
    assert_eq!(METRIC_NAMES[2], "ann_vol");
    let lower: Vec<&str> = METRIC_NAMES.iter().chain(RUN_MEASURES.iter().map(|r| &r.0)).copied().filter(|n| !higher_is_better(n)).collect();
    assert_eq!(lower, ["ann_vol", "avg_turnover"]);
    assert!(metric_def("avg_exposure").is_some_and(|d| !d.from_returns));
}

#[test]
fn excess_ratios_with_a_zero_rate_are_the_plain_ones_and_subtract_the_rate_otherwise() {
    let r = [0.01, -0.02, 0.005, 0.0, 0.015, -0.007, 0.003];
    let m = metrics(&r, &[1.0; 7], 252.0);
    let (sh, so) = excess_sharpe_sortino(&r, &[0.0; 7], 252.0);
    assert_eq!((sh.to_bits(), so.to_bits()), (m.sharpe.to_bits(), m.sortino.to_bits()));
    // With a rate: the ratios of x = r - rf (empyrical 0.5.5 sharpe_ratio(r, risk_free=rf),
    // sortino_ratio(r, required_return=rf)).
    let rf = [1e-4, 2e-4, 1e-4, 0.0, 3e-4, 1e-4, 2e-4];
    let x: Vec<f64> = r.iter().zip(&rf).map(|(a, b)| a - b).collect();
    let mx = x.iter().sum::<f64>() / 7.0;
    let sd = (x.iter().map(|v| (v - mx) * (v - mx)).sum::<f64>() / 6.0).sqrt();
    let dd = (x.iter().map(|v| v.min(0.0).powi(2)).sum::<f64>() / 7.0).sqrt();
    let (sh, so) = excess_sharpe_sortino(&r, &rf, 252.0);
    assert!((sh - mx / sd * 252f64.sqrt()).abs() < 1e-12, "{sh}");
    assert!((so - mx / dd * 252f64.sqrt()).abs() < 1e-12, "{so}");
    assert!(excess_sharpe_sortino(&[], &[], 252.0).0.is_nan());
}
