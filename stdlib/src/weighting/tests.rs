//! Unit tests of the weighting engine on small cases computed by hand from
//! the formulas (reference-library comparisons live in
//! `stdlib/tests/weighting_reference.rs`).

use super::constraints::{cap_weights, check_bounds, smooth_and_cap, Bounds};
use super::covariance::{self, CovEstimator};
use super::error::{Infeasibility, WeightError};
use super::qp::{solve_qp, Qp};
use super::{erc, hrp, inverse_vol, kelly, mean_variance, regime_moe, Linkage};
use ndarray::{array, Array1, Array2};

fn close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(want) {
        assert!((g - w).abs() <= tol, "got {got:?}, want {want:?}");
    }
}

fn diag(v: &[f64]) -> Array2<f64> {
    Array2::from_diag(&Array1::from(v.to_vec()))
}

#[test]
fn inv_vol_and_erc_by_hand() {
    // sigma = (0.2, 0.1): 1/sigma = (5, 10) -> (1/3, 2/3).
    let s = diag(&[0.04, 0.01]);
    close(inverse_vol::inv_vol(s.view()).unwrap().as_slice().unwrap(), &[1.0 / 3.0, 2.0 / 3.0], 1e-15);
    // Two assets: ERC is inverse volatility whatever the correlation.
    let c = array![[0.04, 0.012], [0.012, 0.01]];
    close(erc::erc(c.view()).unwrap().as_slice().unwrap(), &[1.0 / 3.0, 2.0 / 3.0], 1e-14);
    // Uncorrelated: ERC is inverse volatility too.
    let d = diag(&[0.01, 0.04, 0.09]);
    let w = erc::erc(d.view()).unwrap();
    close(w.as_slice().unwrap(), &[6.0 / 11.0, 3.0 / 11.0, 2.0 / 11.0], 1e-14);
    let z = diag(&[0.01, 0.0]);
    assert!(matches!(inverse_vol::inv_vol(z.view()), Err(WeightError::SingularCovariance { .. })));
    let collinear = array![[1.0, 1.0], [1.0, 1.0]];
    assert!(matches!(erc::erc(collinear.view()), Err(WeightError::SingularCovariance { .. })));
}

#[test]
fn hrp_two_assets_is_inverse_variance() {
    // One split: alpha = 1 - v0 / (v0 + v1) = v1 / (v0 + v1).
    let s = array![[0.04, 0.006], [0.006, 0.01]];
    for l in [Linkage::Single, Linkage::Ward] {
        let w = hrp::hrp(s.view(), l).unwrap();
        close(w.as_slice().unwrap(), &[0.2, 0.8], 1e-15);
    }
    // Distance sqrt((1 - rho) / 2): rho = 0.006 / (0.2 * 0.1) = 0.3.
    let d = hrp::correlation_distance(s.view()).unwrap();
    close(&d, &[0.35_f64.sqrt()], 1e-15);
}

#[test]
fn min_var_by_hand() {
    // Diagonal: inverse variance, capped. (1, 1/2, 1/100) / 1.51 puts 0.66
    // on asset 0 -> 0.4; the rest 0.6 splits 0.5 : 0.01 -> 0.588 > 0.4 ->
    // 0.4; asset 2 takes 0.2. KKT: 2 * 100 * 0.2 = 40 >= 2 * 1 * 0.4.
    let s = diag(&[1.0, 2.0, 100.0]);
    let w = mean_variance::min_var(s.view(), Bounds::SEMANTICS).unwrap();
    close(w.as_slice().unwrap(), &[0.4, 0.4, 0.2], 1e-12);
    let s4 = diag(&[1.0, 1.0, 1.0, 100.0]);
    let w = mean_variance::min_var(s4.view(), Bounds::SEMANTICS).unwrap();
    let base = 1.0 / 3.01;
    close(w.as_slice().unwrap(), &[base, base, base, 0.01 * base], 1e-12);
    // Two assets cannot sum to 1 under 0.4 each: which constraint is named.
    let err = mean_variance::min_var(diag(&[1.0, 1.0]).view(), Bounds::SEMANTICS).unwrap_err();
    assert_eq!(err, WeightError::Infeasible(Infeasibility::MaxWeight { max_weight: 0.4, assets: 2 }));
}

#[test]
fn max_sharpe_by_hand() {
    // S = I, mu = (3, 2, 1): unconstrained w ∝ mu gives 0.5 > 0.4, so
    // w0 = 0.4 and w1 maximises (1.8 + w1) / sqrt(0.52 - 1.2 w1 + 2 w1^2):
    // 0.52 - 1.2 w1 + 2 w1^2 = (1.8 + w1)(2 w1 - 0.6) -> w1 = 1.6 / 4.2.
    let s = diag(&[1.0, 1.0, 1.0]);
    let mu = array![3.0, 2.0, 1.0];
    let r = mean_variance::max_sharpe(s.view(), mu.view(), Bounds::SEMANTICS).unwrap();
    assert!(!r.min_var_fallback);
    let w1 = 1.6 / 4.2;
    close(r.weights.as_slice().unwrap(), &[0.4, w1, 0.6 - w1], 1e-12);
    // No positive mean: min-var, flagged.
    let neg = array![-1.0, -2.0, -0.5];
    let r = mean_variance::max_sharpe(s.view(), neg.view(), Bounds::SEMANTICS).unwrap();
    assert!(r.min_var_fallback);
    close(r.weights.as_slice().unwrap(), &[1.0 / 3.0; 3], 1e-12);
    // One positive mean is not enough under the 0.4 cap: the best mu'w is
    // 0.4 * 1 - 0.4 * 1 - 0.2 * 2 < 0, so this is min-var too.
    let one = array![1.0, -1.0, -2.0];
    let r = mean_variance::max_sharpe(s.view(), one.view(), Bounds::SEMANTICS).unwrap();
    assert!(r.min_var_fallback);
    // Greedy LP: 0.4 on -0.5, 0.4 on -1, 0.2 on -2.
    let best = mean_variance::max_expected_return(neg.view(), Bounds::SEMANTICS);
    assert!((best + 1.0).abs() < 1e-15);
}

#[test]
fn qp_polish_is_exact_on_a_bounded_problem() {
    // min 0.5 x'x s.t. x0 + x1 = 1, x0 <= 0.3: x = (0.3, 0.7) exactly.
    let qp = Qp { p: Array2::eye(2), q: Array1::zeros(2), a_eq: Array2::ones((1, 2)), b_eq: Array1::ones(1), g: array![[1.0, 0.0]], h: array![0.3] };
    let (x, polished) = solve_qp(&qp).unwrap();
    assert!(polished);
    close(x.as_slice().unwrap(), &[0.3, 0.7], 1e-15);
}

#[test]
fn kelly_by_hand() {
    let s = diag(&[0.0001, 0.0004]);
    let w = array![0.5, 0.5];
    let k = kelly::KellyOptions::default();
    // w'mu = 0.00015, w'Sw = 0.000125: L = 0.25 * 1.2 = 0.3; cash 0.7.
    let (kw, l) = kelly::kelly(s.view(), array![0.0002, 0.0001].view(), w.view(), k).unwrap();
    assert!((l - 0.3).abs() < 1e-15);
    close(kw.as_slice().unwrap(), &[0.15, 0.15], 1e-15);
    // L = 0.25 * 0.001 / 0.000125 = 2 (the cap); 0.25 * 0.002 / ... = 4 -> 2.
    let l2 = kelly::kelly_leverage(s.view(), array![0.004, 0.0].view(), w.view(), k).unwrap();
    assert_eq!(l2, 2.0);
    let l0 = kelly::kelly_leverage(s.view(), array![-0.001, 0.0].view(), w.view(), k).unwrap();
    assert_eq!(l0, 0.0);
    let zero = diag(&[0.0, 0.0]);
    assert_eq!(kelly::kelly_leverage(zero.view(), array![0.1, 0.0].view(), w.view(), k).unwrap(), 2.0);
}

#[test]
fn regime_moe_by_hand() {
    // Regime 0: Sharpe (1, -0.5), tau 0.5 -> scores (2, 0) -> softmax
    // (e^2, 1) / (e^2 + 1). Regime 1: (0.2, 0.6) -> (0.4, 1.2).
    let sh = array![[1.0, -0.5], [0.2, 0.6]];
    let p = array![0.25, 0.75];
    let w = regime_moe::moe_weights(sh.view(), p.view(), 0.5).unwrap();
    let e2 = 2.0_f64.exp();
    let r0 = [e2 / (e2 + 1.0), 1.0 / (e2 + 1.0)];
    let (a, b) = (0.4_f64.exp(), 1.2_f64.exp());
    let r1 = [a / (a + b), b / (a + b)];
    close(w.as_slice().unwrap(), &[0.25 * r0[0] + 0.75 * r1[0], 0.25 * r0[1] + 0.75 * r1[1]], 1e-15);
    // Sharpe per regime over a window, annualised with sqrt(252).
    let x = array![[0.01, 0.02], [0.03, -0.01], [0.02, 0.0], [-0.01, 0.01]];
    let s = regime_moe::regime_sharpes(x.view(), &[0, 0, 1, 1], 2, 252.0);
    let sd = |a: f64, b: f64| ((a - b) * (a - b) / 2.0).sqrt();
    let want = [0.02 / sd(0.01, 0.03), 0.005 / sd(0.02, -0.01), 0.005 / sd(0.02, -0.01), 0.005 / sd(0.0, 0.01)];
    let got: Vec<f64> = s.iter().map(|v| v / 252_f64.sqrt()).collect();
    close(&got, &want, 1e-12);
    // Bad inputs are errors, not NaN weights.
    assert!(regime_moe::moe_weights(sh.view(), array![0.5, 0.6].view(), 0.5).is_err());
    assert!(regime_moe::moe_weights(sh.view(), p.view(), 0.0).is_err());
}

#[test]
fn regime_moe_undefined_sharpe_counts_as_zero() {
    // Regime 1 has one row: its Sharpe is undefined -> equal weights there.
    let x = array![[0.01, 0.02], [0.03, -0.01], [0.02, 0.0]];
    let spec = regime_moe::RegimeMoe { regimes: vec![0, 0, 1], probs: array![[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], tau: 1.0, annualize: 252.0 };
    let (w, undefined) = regime_moe::moe_window(x.view(), &spec).unwrap();
    close(w.as_slice().unwrap(), &[0.5, 0.5], 1e-15);
    assert_eq!(undefined, vec![(1, 0), (1, 1)]);
}

#[test]
fn smoothing_then_cap_by_hand() {
    let prev = array![0.5, 0.5, 0.0];
    let target = array![0.0, 0.5, 0.5];
    // First rebalance: the target as is.
    assert_eq!(smooth_and_cap(target.view(), None, 0.5, Some(0.2)), target);
    // v = (0.25, 0.5, 0.25), ||v - prev||_1 = 0.5 > 0.2 -> step * 0.4.
    let v = smooth_and_cap(target.view(), Some(prev.view()), 0.5, Some(0.2));
    close(v.as_slice().unwrap(), &[0.4, 0.5, 0.1], 1e-15);
    // Under the cap: the smoothed weights.
    let v = smooth_and_cap(array![0.6, 0.4].view(), Some(array![0.5, 0.5].view()), 0.5, Some(0.2));
    close(v.as_slice().unwrap(), &[0.55, 0.45], 1e-15);
}

#[test]
fn bounds_by_hand() {
    let w = cap_weights(array![0.7, 0.2, 0.1].view(), Bounds::SEMANTICS).unwrap();
    close(w.as_slice().unwrap(), &[0.4, 0.4, 0.2], 1e-15);
    let floor = Bounds { min_weight: 0.1, max_weight: 1.0 };
    let w = cap_weights(array![0.95, 0.05, 0.0].view(), floor).unwrap();
    close(w.as_slice().unwrap(), &[0.8, 0.1, 0.1], 1e-15);
    assert_eq!(
        check_bounds(Bounds { min_weight: 0.5, max_weight: 1.0 }, 3),
        Err(WeightError::Infeasible(Infeasibility::MinWeight { min_weight: 0.5, assets: 3 }))
    );
    assert!(matches!(check_bounds(Bounds { min_weight: 0.5, max_weight: 0.4 }, 3), Err(WeightError::Infeasible(Infeasibility::Bounds { .. }))));
}

#[test]
fn covariance_edge_cases() {
    // rows <= N: diagonal only.
    let x = array![[0.01, 0.02, 0.0], [0.03, -0.01, 0.01]];
    let c = covariance::estimate(x.view(), CovEstimator::Sample).unwrap();
    assert!(c.diagonal);
    close(c.matrix.as_slice().unwrap(), &[0.0002, 0.0, 0.0, 0.0, 0.00045, 0.0, 0.0, 0.0, 0.00005], 1e-18);
    let one = array![[0.01, 0.02]];
    assert_eq!(covariance::estimate(one.view(), CovEstimator::Sample).unwrap_err(), WeightError::InsufficientHistory { rows: 1, needed: 2 });
    let nan = array![[0.01, f64::NAN], [0.02, 0.01], [0.0, 0.0]];
    assert_eq!(covariance::estimate(nan.view(), CovEstimator::LedoitWolf).unwrap_err(), WeightError::NanReturns { assets: vec![1] });
    // Half-life 1 bar: alpha = 1/2 -> span 3. An infinite span is the
    // ddof-0 sample covariance.
    assert!((covariance::halflife_to_span(1.0) - 3.0).abs() < 1e-12);
    let y = array![[0.01, 0.02], [0.03, -0.01], [0.02, 0.0], [-0.01, 0.01]];
    let e = covariance::ewma_cov(y.view(), f64::INFINITY);
    let s = covariance::sample_cov(y.view()) * (3.0 / 4.0);
    close(e.as_slice().unwrap(), s.as_slice().unwrap(), 1e-18);
    // One asset: Ledoit-Wolf is the ddof-0 variance, shrinkage 0.
    let (m, sh) = covariance::ledoit_wolf(y.slice(ndarray::s![.., 0..1]));
    assert_eq!(sh, 0.0);
    assert!((m[[0, 0]] - 2.1875e-4).abs() < 1e-18);
}
