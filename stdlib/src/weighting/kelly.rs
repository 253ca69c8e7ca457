//! Fractional Kelly scaling of a base portfolio (SEMANTICS.md §6).
//!
//! Sources: Kelly, "A new interpretation of information rate", Bell System
//! Technical Journal 35, 1956; the continuous-time growth-optimal leverage
//! `f* = mu / sigma^2` of a portfolio with excess return `mu` and variance
//! `sigma^2` (Thorp, "The Kelly criterion in blackjack, sports betting and
//! the stock market", 2006, §7); fractional Kelly: MacLean, Thorp & Ziemba,
//! "The Kelly Capital Growth Investment Criterion", World Scientific 2011.
//! No reference library implements this exact rule (PyPortfolioOpt,
//! skfolio and Riskfolio-Lib have none); tests check it by hand.

use super::error::WeightError;
use super::linalg::quad_form;
use ndarray::{Array1, ArrayView1, ArrayView2};

/// Kelly fraction and leverage cap: SEMANTICS.md §6 uses `0.25` and `2`
/// (the issue allows fractions in `[0.25, 0.5]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KellyOptions {
    pub fraction: f64,
    pub max_leverage: f64,
}

impl Default for KellyOptions {
    fn default() -> Self {
        KellyOptions { fraction: 0.25, max_leverage: 2.0 }
    }
}

/// The leverage `L = clip(fraction * (w'mu) / (w'Sw), 0, max_leverage)` of
/// base weights `w` (`N`, fractions, normally summing to 1), with `mu` the
/// window's mean returns per bar and `S` its covariance (per bar^2; the
/// ratio is the same at any horizon). A zero-variance base portfolio gets
/// the limit: `max_leverage` if `w'mu > 0`, else 0.
///
/// Errors: [`WeightError::InvalidInput`] for mismatched lengths, a
/// non-finite `w'mu` or `w'Sw`, a negative fraction or cap.
pub fn kelly_leverage(cov: ArrayView2<f64>, mu: ArrayView1<f64>, w: ArrayView1<f64>, opts: KellyOptions) -> Result<f64, WeightError> {
    let n = w.len();
    if mu.len() != n || cov.nrows() != n || cov.ncols() != n {
        return Err(WeightError::InvalidInput(format!("kelly: w has {n} entries, mu {}, cov {:?}", mu.len(), cov.dim())));
    }
    if !(opts.fraction >= 0.0 && opts.max_leverage >= 0.0) {
        return Err(WeightError::InvalidInput(format!("kelly options {opts:?}")));
    }
    let ret = mu.dot(&w);
    let var = quad_form(cov, w);
    if !ret.is_finite() || !var.is_finite() {
        return Err(WeightError::InvalidInput(format!("kelly: w'mu = {ret}, w'Sw = {var}")));
    }
    if var <= 0.0 {
        return Ok(if ret > 0.0 { opts.max_leverage } else { 0.0 });
    }
    Ok((opts.fraction * ret / var).clamp(0.0, opts.max_leverage))
}

/// Fractional-Kelly weights `L * w` ([`kelly_leverage`]); the rest,
/// `1 - L * sum(w)`, is cash (negative = borrowed, at no cost:
/// SEMANTICS.md §3). Returns the weights and `L`.
pub fn kelly(cov: ArrayView2<f64>, mu: ArrayView1<f64>, w: ArrayView1<f64>, opts: KellyOptions) -> Result<(Array1<f64>, f64), WeightError> {
    let l = kelly_leverage(cov, mu, w, opts)?;
    Ok((w.mapv(|v| l * v), l))
}
