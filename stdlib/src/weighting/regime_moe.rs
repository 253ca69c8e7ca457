//! Regime-conditional mixture of experts (SEMANTICS.md §6 / issue 4):
//! per regime `r`, expert (column) weights
//! `w_i(r) = softmax_i(max(0, Sharpe_i(r)) / tau)`, and at the decision row
//! `t` the blend `w(t) = sum_r p_t(r) w(r)` by the regime probabilities.
//!
//! No reference library implements it (the design note defines
//! it); tests check small cases computed by hand from these formulas.
//! Softmax: Bridle, "Probabilistic interpretation of feedforward
//! classification network outputs", 1990 (computed stably, subtracting the
//! largest score first).

use super::error::WeightError;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2};

/// A mixture-of-experts specification over the rows of a return matrix.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeMoe {
    /// Regime label of each row, `0 .. n_regimes` (the regime known at the
    /// close of that row).
    pub regimes: Vec<usize>,
    /// `rows x n_regimes`: `p_t(r)` per row, non-negative, summing to 1
    /// (a hard regime is a one-hot row).
    pub probs: Array2<f64>,
    /// Softmax temperature `tau > 0` (in annualised-Sharpe units).
    pub tau: f64,
    /// Periods per year for the Sharpe ratios (252 for daily bars).
    pub annualize: f64,
}

impl RegimeMoe {
    /// Number of regimes (columns of `probs`).
    pub fn n_regimes(&self) -> usize {
        self.probs.ncols()
    }

    /// The specification restricted to rows `start .. end` (a window).
    pub fn rows(&self, start: usize, end: usize) -> RegimeMoe {
        RegimeMoe {
            regimes: self.regimes[start..end].to_vec(),
            probs: self.probs.slice(s![start..end, ..]).to_owned(),
            tau: self.tau,
            annualize: self.annualize,
        }
    }
}

/// `Sharpe_i(r)`: the annualised Sharpe ratio (SEMANTICS.md §4:
/// `mean / std(ddof 1) * sqrt(annualize)`, two-pass) of each column of
/// `window` (`rows x N`) over the rows labelled `r`. Output
/// `n_regimes x N`; NaN where the regime has fewer than 2 rows or the std
/// is exactly 0.
pub fn regime_sharpes(window: ArrayView2<f64>, regimes: &[usize], n_regimes: usize, annualize: f64) -> Array2<f64> {
    let n = window.ncols();
    let mut out = Array2::<f64>::from_elem((n_regimes, n), f64::NAN);
    for r in 0..n_regimes {
        let rows: Vec<usize> = (0..window.nrows()).filter(|&t| regimes[t] == r).collect();
        if rows.len() < 2 {
            continue;
        }
        for j in 0..n {
            let k = rows.len() as f64;
            let mean = rows.iter().map(|&t| window[[t, j]]).sum::<f64>() / k;
            let ss: f64 = rows.iter().map(|&t| (window[[t, j]] - mean).powi(2)).sum();
            let sd = (ss / (k - 1.0)).sqrt();
            let all_equal = rows.iter().all(|&t| window[[t, j]] == window[[rows[0], j]]);
            if !all_equal && sd > 0.0 {
                out[[r, j]] = mean / sd * annualize.sqrt();
            }
        }
    }
    out
}

/// `softmax(max(0, s) / tau)` over the experts of one regime; an undefined
/// (NaN) Sharpe counts as 0 (no evidence of skill).
pub fn expert_weights(sharpes: ArrayView1<f64>, tau: f64) -> Array1<f64> {
    let z: Vec<f64> = sharpes.iter().map(|&v| if v > 0.0 { v / tau } else { 0.0 }).collect();
    let m = z.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|v| (v - m).exp()).collect();
    let total: f64 = e.iter().sum();
    Array1::from_iter(e.iter().map(|v| v / total))
}

/// The blend `w = sum_r p(r) w(r)` of the regimes' [`expert_weights`]
/// (`sharpes`: `n_regimes x N`; `p`: `n_regimes`). Sums to 1.
///
/// Errors: [`WeightError::InvalidInput`] if `tau <= 0`, shapes disagree, or
/// `p` has a negative / non-finite entry or does not sum to 1 (to 1e-9).
pub fn moe_weights(sharpes: ArrayView2<f64>, p: ArrayView1<f64>, tau: f64) -> Result<Array1<f64>, WeightError> {
    if !(tau > 0.0) {
        return Err(WeightError::InvalidInput(format!("softmax temperature tau = {tau}")));
    }
    if p.len() != sharpes.nrows() {
        return Err(WeightError::InvalidInput(format!("{} regime probabilities for {} regimes", p.len(), sharpes.nrows())));
    }
    if p.iter().any(|v| !(*v >= 0.0 && v.is_finite())) || (p.sum() - 1.0).abs() > 1e-9 {
        return Err(WeightError::InvalidInput(format!("regime probabilities {p} must be >= 0 and sum to 1")));
    }
    let mut w = Array1::<f64>::zeros(sharpes.ncols());
    for (r, &pr) in p.iter().enumerate() {
        if pr > 0.0 {
            w.scaled_add(pr, &expert_weights(sharpes.row(r), tau));
        }
    }
    Ok(w)
}

/// `(regime, expert)` pairs whose Sharpe ratio was undefined.
pub type UndefinedSharpes = Vec<(usize, usize)>;

/// Mixture-of-experts weights of a window (`rows x N` expert returns) for a
/// `spec` covering exactly the window's rows: Sharpe ratios per regime over
/// the window, blended by the probabilities of its last row (the decision
/// row). Also returns the `(regime, expert)` pairs whose Sharpe was
/// undefined and counted as 0, for the log.
pub fn moe_window(window: ArrayView2<f64>, spec: &RegimeMoe) -> Result<(Array1<f64>, UndefinedSharpes), WeightError> {
    let rows = window.nrows();
    if spec.regimes.len() != rows || spec.probs.nrows() != rows || rows == 0 {
        return Err(WeightError::InvalidInput(format!(
            "regime spec covers {} labels / {} probability rows for a {rows}-row window",
            spec.regimes.len(),
            spec.probs.nrows()
        )));
    }
    let nr = spec.n_regimes();
    if let Some(&bad) = spec.regimes.iter().find(|&&r| r >= nr) {
        return Err(WeightError::InvalidInput(format!("regime label {bad} >= {nr} regimes")));
    }
    let sharpes = regime_sharpes(window, &spec.regimes, nr, spec.annualize);
    let p = spec.probs.row(rows - 1);
    let undefined =
        (0..nr).filter(|&r| p[r] > 0.0).flat_map(|r| (0..sharpes.ncols()).map(move |j| (r, j))).filter(|&(r, j)| sharpes[[r, j]].is_nan()).collect();
    Ok((moe_weights(sharpes.view(), p, spec.tau)?, undefined))
}
