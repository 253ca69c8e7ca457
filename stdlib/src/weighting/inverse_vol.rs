//! Inverse-volatility ("naive risk parity") weights.
//!
//! Source: Maillard, Roncalli & Teiletche, "The properties of equally
//! weighted risk contribution portfolios", J. Portfolio Management 36(4),
//! 2010 (the diagonal-covariance special case of ERC). Reference library:
//! skfolio 1.12 `skfolio.optimization.InverseVolatility` with its default
//! `EmpiricalPrior` (sample covariance, ddof 1), whose weights are
//! `(1/sigma) / sum(1/sigma)`.

use super::error::WeightError;
use ndarray::{Array1, ArrayView2};

/// `w_i = (1 / sigma_i) / sum_j (1 / sigma_j)` with `sigma_i = sqrt(cov[i,i])`.
///
/// Input: an `N x N` covariance (fraction per bar)^2. Output: `N` weights,
/// long-only, summing to 1 (no bounds: SEMANTICS.md §6).
///
/// Errors: [`WeightError::SingularCovariance`] if a variance is not
/// positive and finite (the asset's inverse volatility is undefined).
pub fn inv_vol(cov: ArrayView2<f64>) -> Result<Array1<f64>, WeightError> {
    let n = cov.nrows();
    let mut inv = Array1::<f64>::zeros(n);
    for i in 0..n {
        let v = cov[[i, i]];
        if !(v > 0.0 && v.is_finite()) {
            return Err(WeightError::SingularCovariance { detail: format!("asset {i} has variance {v} (inverse volatility undefined)") });
        }
        inv[i] = 1.0 / v.sqrt();
    }
    let total = inv.sum();
    Ok(inv / total)
}
