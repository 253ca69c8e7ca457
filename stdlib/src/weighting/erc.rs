//! Equal risk contribution (ERC) weights: the unique long-only, fully
//! invested portfolio whose assets contribute equally to its variance,
//! `w_i (S w)_i = w'Sw / N` for every `i`.
//!
//! Sources: Maillard, Roncalli & Teiletche, "The properties of equally
//! weighted risk contribution portfolios", J. Portfolio Management 36(4),
//! 2010 (existence and uniqueness); Spinu, "An algorithm for computing risk
//! parity weights", SSRN 2297383, 2013 (the convex formulation and Newton's
//! method used here). Reference library with the same problem and
//! convention (long-only, budgets 1/N, sum 1): skfolio 1.12
//! `RiskBudgeting(risk_measure=RiskMeasure.VARIANCE)` (also Riskfolio-Lib's
//! `rp_optimization(rm="MV")`), solved there by a general conic solver that
//! lands 9e-6..2e-5 from the exact solution on the test windows; this
//! solver reaches ~1e-15.
//!
//! Method: with `b_i = 1/N`, minimise the strictly convex
//! `f(y) = y'Sy / 2 - sum_i b_i ln y_i` over `y > 0`. Its stationarity
//! condition `(S y)_i = b_i / y_i`, i.e. `y_i (S y)_i = b_i`, is the ERC
//! condition, so `w = y / sum(y)`. Newton steps `H d = g` with
//! `g = S y - b / y`, `H = S + diag(b / y^2)` (solved by LU), halved until
//! `y - t d > 0` and `f` does not increase (once the residual is below
//! 1e-8, where `f` changes less than its rounding, only `y > 0` is
//! required); the start is the inverse
//! volatility vector scaled so that `y'Sy = 1` (its value at the optimum).
//! `S` is first divided by its mean variance (weights are scale-free).
//! Stops when `max_i |y_i (S y)_i - b_i| <= 1e-15` or the step no longer
//! moves `y`; an error if the residual then exceeds [`ERC_TOL`].

use super::error::WeightError;
use super::linalg::{mat_vec, quad_form, require_pd, solve};
use ndarray::{Array1, Array2, ArrayView2};

/// Largest accepted residual `max_i |y_i (S y)_i - 1/N|` (scaled problem);
/// relative risk contributions then agree with `1/N` to about this.
pub const ERC_TOL: f64 = 1e-12;

const MAX_ITER: usize = 200;

/// Residual below which Newton steps skip the decrease test on `f`.
const NEAR: f64 = 1e-8;

/// ERC weights of an `N x N` covariance (fraction per bar)^2.
///
/// Output: `N` weights, all positive, summing to 1 (long-only, no bounds:
/// SEMANTICS.md §6). Errors: [`WeightError::SingularCovariance`] if the
/// covariance is not positive definite; [`WeightError::NotConverged`] if the
/// residual stays above [`ERC_TOL`] (not seen on positive definite input).
pub fn erc(cov: ArrayView2<f64>) -> Result<Array1<f64>, WeightError> {
    let n = cov.nrows();
    require_pd(cov)?;
    let scale = cov.diag().sum() / n as f64;
    let s: Array2<f64> = cov.to_owned() / scale;
    let b = 1.0 / n as f64;
    let f = |y: &Array1<f64>| 0.5 * quad_form(s.view(), y.view()) - b * y.iter().map(|v| v.ln()).sum::<f64>();
    let residual = |y: &Array1<f64>| {
        let sy = mat_vec(s.view(), y.view());
        (0..n).fold(0.0_f64, |m, i| m.max((y[i] * sy[i] - b).abs()))
    };

    let u = Array1::from_iter((0..n).map(|i| 1.0 / s[[i, i]].sqrt()));
    let mut y = &u / quad_form(s.view(), u.view()).sqrt();
    let mut fy = f(&y);
    let mut res = residual(&y);
    let mut iterations = 0;
    while res > 1e-15 && iterations < MAX_ITER {
        iterations += 1;
        let sy = mat_vec(s.view(), y.view());
        let g = Array1::from_iter((0..n).map(|i| sy[i] - b / y[i]));
        let mut h = s.clone();
        for i in 0..n {
            h[[i, i]] += b / (y[i] * y[i]);
        }
        let Some(d) = solve(h.view(), g.view()) else { break };
        let mut t = 1.0;
        let mut moved = false;
        while t > 1e-12 {
            let cand = &y - &(&d * t);
            if cand.iter().all(|v| *v > 0.0) {
                let fc = f(&cand);
                // Near the optimum f changes by ~res^2, below its rounding:
                // there the (quadratically convergent) full step is taken.
                if fc <= fy || res < NEAR {
                    moved = cand != y;
                    y = cand;
                    fy = fc;
                    break;
                }
            }
            t *= 0.5;
        }
        if !moved {
            break;
        }
        let new_res = residual(&y);
        // At rounding level the residual stops shrinking: done.
        let stalled = new_res >= res && res < 1e-13;
        res = new_res;
        if stalled {
            break;
        }
    }
    if !(res <= ERC_TOL) {
        return Err(WeightError::NotConverged { method: "erc", iterations, residual: res });
    }
    let total = y.sum();
    Ok(y / total)
}

/// Relative risk contributions `w_i (S w)_i / (w'Sw)` of weights `w` (sum 1
/// for any `w` with `w'Sw > 0`); all `1/N` at the ERC solution.
pub fn risk_contributions(cov: ArrayView2<f64>, w: ndarray::ArrayView1<f64>) -> Array1<f64> {
    let sw = mat_vec(cov, w);
    let total = quad_form(cov, w);
    Array1::from_iter((0..w.len()).map(|i| w[i] * sw[i] / total))
}
