//! The fallback chain and the schedule's diagnostics on hand-computed cases
//! (no reference library has them): NaN returns, short histories, singular
//! covariances and infeasible constraint sets each produce the documented
//! fallback and a log entry, and never a NaN weight.

use ndarray::{array, s, Array2};
use strat_stdlib::weighting::fallback::{fallback, FallbackStep};
use strat_stdlib::weighting::{rebalance, target_weights, Bounds, Infeasibility, LogEntry, Method, Note, WeightError, WeightOptions};

const NAN: f64 = f64::NAN;

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= 1e-15, "got {got:?}, want {want:?}");
    }
}

/// Deterministic returns in about ±1 % with a positive drift (an LCG),
/// `rows x n`.
fn synthetic(rows: usize, n: usize) -> Array2<f64> {
    let mut state: u64 = 42;
    Array2::from_shape_fn((rows, n), |(_, j)| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((state >> 11) as f64 / (1u64 << 53) as f64 - 0.3) * 0.02 * (1.0 + j as f64 * 0.5)
    })
}

#[test]
fn nan_returns_fall_back_to_sharpe_proportional() {
    // Sharpe: col 0 mean 0.02 / sd 0.01 = 2; col 1 mean 0.01 / sd 0.01 = 1;
    // col 2 has a NaN: ineligible, weight 0. -> (2/3, 1/3, 0).
    let x = array![[0.01, 0.0, NAN], [0.02, 0.02, 0.01], [0.03, 0.01, 0.0]];
    let cause = target_weights(x.view(), &Method::InvVol, &WeightOptions::default()).unwrap_err();
    assert_eq!(cause, WeightError::NanReturns { assets: vec![2] });
    let (w, rec) = fallback(x.view(), None, None, cause.clone());
    close(w.as_slice().unwrap(), &[2.0 / 3.0, 1.0 / 3.0, 0.0]);
    assert_eq!(rec.step, FallbackStep::SharpeProportional);
    assert_eq!(rec.cause, cause);
    assert!(rec.skipped.is_empty());
}

#[test]
fn no_positive_sharpe_falls_back_to_equal() {
    let x = array![[-0.01, -0.02, NAN], [-0.02, 0.01, 0.01], [-0.03, -0.01, 0.0]];
    let (w, rec) = fallback(x.view(), None, None, WeightError::NanReturns { assets: vec![2] });
    close(w.as_slice().unwrap(), &[0.5, 0.5, 0.0]);
    assert_eq!(rec.step, FallbackStep::Equal);
    assert_eq!(rec.skipped, vec![(FallbackStep::SharpeProportional, WeightError::NoPositiveSharpe)]);
}

#[test]
fn infeasible_bounds_keep_previous_then_cash() {
    // Two eligible assets cannot satisfy w <= 0.4 with sum 1: Sharpe-
    // proportional and equal both fail naming the constraint.
    let x = array![[0.01, 0.0, NAN], [0.02, 0.02, 0.01], [0.03, 0.01, 0.0]];
    let infeasible = WeightError::Infeasible(Infeasibility::MaxWeight { max_weight: 0.4, assets: 2 });
    let prev = array![0.3, 0.3, 0.4];
    let b = Some(Bounds::SEMANTICS);
    let (w, rec) = fallback(x.view(), Some(prev.view()), b, WeightError::NanReturns { assets: vec![2] });
    assert_eq!(w, prev);
    assert_eq!(rec.step, FallbackStep::Previous);
    assert_eq!(rec.skipped, vec![(FallbackStep::SharpeProportional, infeasible.clone()), (FallbackStep::Equal, infeasible.clone()),]);
    let (w, rec) = fallback(x.view(), None, b, WeightError::NanReturns { assets: vec![2] });
    assert_eq!(w, array![0.0, 0.0, 0.0]);
    assert_eq!(rec.step, FallbackStep::Cash);
    assert_eq!(rec.skipped[2], (FallbackStep::Previous, WeightError::NoPrevious));
    assert!(rec.to_string().contains("max weight 0.4 x 2 assets"), "{rec}");
}

#[test]
fn short_history_is_an_error_not_a_weight() {
    let one = array![[0.01, 0.02, 0.03]];
    for m in [Method::InvVol, Method::Erc, Method::MinVar, Method::MaxSharpe] {
        assert_eq!(target_weights(one.view(), &m, &WeightOptions::default()).unwrap_err(), WeightError::InsufficientHistory { rows: 1, needed: 2 });
    }
}

#[test]
fn schedule_logs_late_asset_then_uses_it() {
    // Asset 2 starts at row 15; lookback 10, rebalance every 5th row.
    let mut r = synthetic(40, 3);
    r.slice_mut(s![..15, 2]).fill(NAN);
    let when: Vec<bool> = (0..40).map(|t| t % 5 == 4).collect();
    let sched = rebalance(r.view(), &when, 10, &Method::InvVol, &WeightOptions::default()).unwrap();
    assert_eq!(sched.rebalance_rows, vec![9, 14, 19, 24, 29, 34, 39]);
    let fallbacks: Vec<usize> = sched
        .log
        .iter()
        .filter_map(|e| match e {
            LogEntry::Fallback { row, record } => {
                assert_eq!(record.cause, WeightError::NanReturns { assets: vec![2] });
                assert_eq!(record.step, FallbackStep::SharpeProportional);
                Some(*row)
            }
            _ => None,
        })
        .collect();
    // Windows ending at rows 9, 14 and 19 contain rows < 15.
    assert_eq!(fallbacks, vec![9, 14, 19]);
    assert_eq!(sched.targets[[0, 2]], 0.0);
    assert!(sched.targets[[3, 2]] > 0.0);
    assert!(sched.weights.iter().all(|v| v.is_finite()));
}

#[test]
fn schedule_logs_infeasible_constraint_and_singular_covariance() {
    let r = synthetic(30, 3);
    let when: Vec<bool> = (0..30).map(|t| t % 10 == 9).collect();
    let opts = WeightOptions { bounds: Bounds { min_weight: 0.0, max_weight: 0.3 }, ..WeightOptions::default() };
    let sched = rebalance(r.view(), &when, 10, &Method::MinVar, &opts).unwrap();
    let want = WeightError::Infeasible(Infeasibility::MaxWeight { max_weight: 0.3, assets: 3 });
    let steps: Vec<FallbackStep> = sched
        .log
        .iter()
        .map(|e| match e {
            LogEntry::Fallback { record, .. } => {
                assert_eq!(record.cause, want);
                record.step
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(steps, vec![FallbackStep::Cash, FallbackStep::Previous, FallbackStep::Previous]);
    assert!(sched.weights.iter().all(|v| *v == 0.0));

    // A constant asset: singular covariance for ERC -> Sharpe-proportional.
    let mut c = synthetic(30, 3);
    c.column_mut(1).fill(0.001);
    let sched = rebalance(c.view(), &when, 10, &Method::Erc, &WeightOptions::default()).unwrap();
    for e in &sched.log {
        match e {
            LogEntry::Fallback { record, .. } => {
                assert!(matches!(record.cause, WeightError::SingularCovariance { .. }), "{record}")
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sched.log.len(), 3);
    assert!(sched.weights.iter().all(|v| v.is_finite()));
}

#[test]
fn schedule_notes_diagonal_covariance_when_window_is_short() {
    // lookback 3 <= 4 assets: the covariance is reduced to its diagonal, so
    // ERC is inverse volatility; the note says so.
    let r = synthetic(12, 4);
    let when: Vec<bool> = (0..12).map(|t| t == 11).collect();
    let sched = rebalance(r.view(), &when, 3, &Method::Erc, &WeightOptions::default()).unwrap();
    assert_eq!(sched.log, vec![LogEntry::Note { row: 11, note: Note::DiagonalCovariance { rows: 3, assets: 4 } }]);
    let iv = target_weights(r.slice(s![9..12, ..]), &Method::InvVol, &WeightOptions::default()).unwrap().weights;
    let erc = sched.weights.row(11);
    for j in 0..4 {
        assert!((erc[j] - iv[j]).abs() < 1e-13);
    }
}
