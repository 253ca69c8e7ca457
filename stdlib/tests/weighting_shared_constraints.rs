//! The shared constraints of the rebalance driver on hand-computed cases (no reference library
//! has them in this form): `min_active`, the max-drawdown filter and the portfolio vol target.
//! Expected values are computed here from their definitions, never by the code under test.

use ndarray::{Array2, ArrayView2};
use strat_stdlib::weighting::fallback::sharpe_proportional;
use strat_stdlib::weighting::{rebalance, Infeasibility, LogEntry, Method, Note, VolTarget, WeightError, WeightOptions};

/// Deterministic returns in about ±1 % with a positive drift (an LCG), `rows x n`.
fn synthetic(rows: usize, n: usize) -> Array2<f64> {
    let mut state: u64 = 7;
    Array2::from_shape_fn((rows, n), |(_, j)| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.3) * 0.02 * (1.0 + j as f64 * 0.5)
    })
}

/// No smoothing, no turnover cap: held = target.
fn plain() -> WeightOptions {
    WeightOptions { smoothing: 1.0, turnover_cap: None, ..WeightOptions::default() }
}

/// Sample standard deviation (ddof 1) of column `j`.
fn sd(x: ArrayView2<f64>, j: usize) -> f64 {
    let c: Vec<f64> = x.column(j).to_vec();
    let m = c.iter().sum::<f64>() / c.len() as f64;
    (c.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (c.len() - 1) as f64).sqrt()
}

#[test]
fn min_active_sends_a_concentrated_target_to_the_fallback() {
    let r = synthetic(30, 3);
    let when: Vec<bool> = (0..30).map(|t| t == 19).collect();
    let opts = WeightOptions { min_active: Some(4), ..plain() };
    let sched = rebalance(r.view(), &when, 10, &Method::InvVol, &opts).unwrap();
    let [LogEntry::Fallback { row: 19, record }] = sched.log.as_slice() else { panic!("{:?}", sched.log) };
    assert_eq!(record.cause, WeightError::Infeasible(Infeasibility::MinActive { min_active: 4, active: 3 }));
    let want = sharpe_proportional(r.slice(ndarray::s![10..20, ..]), None).unwrap();
    assert_eq!(sched.weights.row(19), want.view());
    // Three members meet min_active 3: inverse vol as usual.
    let ok = rebalance(r.view(), &when, 10, &Method::InvVol, &WeightOptions { min_active: Some(3), ..plain() }).unwrap();
    assert!(ok.log.is_empty(), "{:?}", ok.log);
}

#[test]
fn the_drawdown_filter_excludes_a_falling_member() {
    let mut r = synthetic(20, 3);
    for t in 0..20 {
        r[[t, 0]] = -0.03; // 10 rows at -3 %: a drawdown of 1 - 0.97^10 = 26 %
    }
    let when: Vec<bool> = (0..20).map(|t| t == 19).collect();
    let opts = WeightOptions { max_drawdown: Some(0.2), ..plain() };
    let sched = rebalance(r.view(), &when, 10, &Method::InvVol, &opts).unwrap();
    assert!(sched.log.contains(&LogEntry::Note { row: 19, note: Note::DrawdownFiltered(vec![0]) }), "{:?}", sched.log);
    let w = r.slice(ndarray::s![10..20, ..]);
    let inv = [1.0 / sd(w, 1), 1.0 / sd(w, 2)];
    let total = inv[0] + inv[1];
    let got = sched.weights.row(19);
    assert_eq!(got[0], 0.0);
    assert!((got[1] - inv[0] / total).abs() <= 1e-15 && (got[2] - inv[1] / total).abs() <= 1e-15, "{got}");
    // A 30 % limit keeps it.
    let kept = rebalance(r.view(), &when, 10, &Method::InvVol, &WeightOptions { max_drawdown: Some(0.3), ..plain() }).unwrap();
    assert!(kept.weights.row(19)[0] > 0.0);
    // Every member breaching: cash, logged.
    let mut all = r.clone();
    all.column_mut(1).fill(-0.03);
    all.column_mut(2).fill(-0.04);
    let cash = rebalance(all.view(), &when, 10, &Method::InvVol, &opts).unwrap();
    assert!(cash.weights.row(19).iter().all(|w| *w == 0.0));
    assert!(cash
        .log
        .iter()
        .any(|e| matches!(e, LogEntry::Fallback { record, .. } if record.cause == WeightError::Infeasible(Infeasibility::MaxDrawdown { max_drawdown: 0.2 }))));
}

#[test]
fn the_vol_target_scales_the_portfolio_to_its_volatility() {
    let r = synthetic(40, 3);
    let when: Vec<bool> = (0..40).map(|t| t == 39).collect();
    let opts = WeightOptions { vol_target: Some(VolTarget { vol: 0.10, annualize: 252.0 }), ..plain() };
    let sched = rebalance(r.view(), &when, 20, &Method::InvVol, &opts).unwrap();
    let w = r.slice(ndarray::s![20..40, ..]);
    let got = sched.weights.row(39);
    // The sample covariance by hand, then the annualised portfolio volatility of the result.
    let n = w.nrows() as f64;
    let mean: Vec<f64> = (0..3).map(|j| w.column(j).sum() / n).collect();
    let cov = |i: usize, j: usize| (0..w.nrows()).map(|t| (w[[t, i]] - mean[i]) * (w[[t, j]] - mean[j])).sum::<f64>() / (n - 1.0);
    let var: f64 = (0..3).map(|i| (0..3).map(|j| got[i] * cov(i, j) * got[j]).sum::<f64>()).sum();
    assert!(((var * 252.0).sqrt() - 0.10).abs() <= 1e-12, "vol {}", (var * 252.0).sqrt());
    // Proportions are inverse vol's.
    let inv: Vec<f64> = (0..3).map(|j| 1.0 / sd(w, j)).collect();
    for j in 1..3 {
        assert!((got[j] / got[0] - inv[j] / inv[0]).abs() <= 1e-12);
    }
    assert!(sched.log.iter().any(|e| matches!(e, LogEntry::Note { note: Note::VolTargeted { .. }, .. })));
}

#[test]
fn min_history_keeps_members_with_enough_returns_on_the_rows_they_share() {
    let mut r = synthetic(30, 3);
    for t in 0..15 {
        r[[t, 2]] = f64::NAN; // member 2 starts at row 15
    }
    let when: Vec<bool> = (0..30).map(|t| t == 19).collect();
    // Without min_history the NaN fails the method (SEMANTICS.md §6): a fallback.
    let strict = rebalance(r.view(), &when, 10, &Method::InvVol, &plain()).unwrap();
    assert!(matches!(strict.log.as_slice(), [LogEntry::Fallback { .. }]), "{:?}", strict.log);
    // min_history 5: member 2 has rows 15..=19; inverse vol of all three on those rows.
    let five = rebalance(r.view(), &when, 10, &Method::InvVol, &WeightOptions { min_history: Some(5), ..plain() }).unwrap();
    assert!(five.log.is_empty(), "{:?}", five.log);
    let w5 = r.slice(ndarray::s![15..20, ..]);
    let inv: Vec<f64> = (0..3).map(|j| 1.0 / sd(w5, j)).collect();
    let total: f64 = inv.iter().sum();
    for (j, v) in inv.iter().enumerate() {
        assert!((five.weights[[19, j]] - v / total).abs() <= 1e-15);
    }
    // min_history 6: member 2 is left out; the others use the whole window.
    let six = rebalance(r.view(), &when, 10, &Method::InvVol, &WeightOptions { min_history: Some(6), ..plain() }).unwrap();
    assert_eq!(six.log, vec![LogEntry::Note { row: 19, note: Note::ShortHistoryExcluded(vec![2]) }]);
    let w10 = r.slice(ndarray::s![10..20, ..]);
    let inv: Vec<f64> = (0..2).map(|j| 1.0 / sd(w10, j)).collect();
    let total: f64 = inv.iter().sum();
    assert!((six.weights[[19, 0]] - inv[0] / total).abs() <= 1e-15 && (six.weights[[19, 1]] - inv[1] / total).abs() <= 1e-15);
    assert_eq!(six.weights[[19, 2]], 0.0);
}
