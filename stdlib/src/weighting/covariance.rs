//! Covariance estimators of a return window.
//!
//! Input: a window `x` of shape `rows x N` (rows = bars, oldest first;
//! columns = assets or strategies), simple returns as fractions per bar
//! (0.01 = 1 %). Output: an `N x N` covariance in (fraction per bar)^2, not
//! annualised. Means are left-to-right sums divided by the row count;
//! covariances are two-pass (the means first, then the centred products).

use super::error::{check_window, WeightError};
use ndarray::{Array1, Array2, ArrayView2};

/// Which covariance estimator a method uses (SEMANTICS.md §6: `sample` or
/// Ledoit–Wolf; EWMA is the third preprocessing option).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum CovEstimator {
    /// [`sample_cov`]: ddof 1 (the default).
    #[default]
    Sample,
    /// [`ledoit_wolf`]: scikit-learn's `ledoit_wolf`, centred, target `mu*I`.
    LedoitWolf,
    /// [`ewma_cov`] with this span (`alpha = 2 / (span + 1)`; see
    /// [`halflife_to_span`]).
    Ewma { span: f64 },
}

/// An estimated covariance and how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Covariance {
    /// `N x N`, symmetric, (fraction per bar)^2.
    pub matrix: Array2<f64>,
    /// True when the window was too short for a full-rank estimate
    /// (`rows <= N` for `Sample` / `Ewma`) and only the diagonal (the same
    /// estimator's variances) was kept.
    pub diagonal: bool,
    /// Ledoit–Wolf shrinkage intensity in `[0, 1]`, else `None`.
    pub shrinkage: Option<f64>,
}

/// Column means of `x` (`rows x N` -> `N`): left-to-right sum / rows.
pub fn column_means(x: ArrayView2<f64>) -> Array1<f64> {
    let rows = x.nrows() as f64;
    Array1::from_iter(x.columns().into_iter().map(|c| c.iter().sum::<f64>() / rows))
}

/// `x` minus its column means (`rows x N`).
fn centred(x: ArrayView2<f64>) -> Array2<f64> {
    let m = column_means(x);
    let mut c = x.to_owned();
    for mut row in c.rows_mut() {
        row -= &m;
    }
    c
}

/// Weighted cross products `sum_t w[t] c[t,i] c[t,j] / denom` of a centred
/// window, symmetric by construction.
fn cross(c: &Array2<f64>, w: impl Fn(usize) -> f64, denom: f64) -> Array2<f64> {
    let (rows, n) = c.dim();
    let mut s = Array2::<f64>::zeros((n, n));
    for i in 0..n {
        for j in i..n {
            let mut acc = 0.0;
            for t in 0..rows {
                acc += w(t) * c[[t, i]] * c[[t, j]];
            }
            s[[i, j]] = acc / denom;
            s[[j, i]] = s[[i, j]];
        }
    }
    s
}

/// Sample covariance with ddof 1: `S[i,j] = sum_t (x[t,i]-m_i)(x[t,j]-m_j) / (rows-1)`,
/// as `numpy.cov(x.T)` / `pandas.DataFrame.cov()`. Needs `rows >= 2` (else NaN).
pub fn sample_cov(x: ArrayView2<f64>) -> Array2<f64> {
    let c = centred(x);
    cross(&c, |_| 1.0, x.nrows() as f64 - 1.0)
}

/// Ledoit–Wolf shrunk covariance and its shrinkage, exactly as
/// scikit-learn 1.x `sklearn.covariance.ledoit_wolf(x)` (checked against
/// 1.9.1; `assume_centered=False`). Source: Ledoit & Wolf, "A well-conditioned
/// estimator for large-dimensional covariance matrices", J. Multivariate
/// Analysis 88 (2004).
///
/// With `X` the centred window (`n = rows`, `p = N`) and `E = X'X / n` (the
/// biased, ddof 0, empirical covariance): `mu = trace(E) / p`,
/// `delta_ = sum_ij (X'X)_ij^2 / n^2`, `beta_ = sum_ij (X2'X2)_ij` with
/// `X2 = X∘X`, `beta = (beta_ / n - delta_) / (p n)`,
/// `delta = (delta_ - 2 mu trace(E) + p mu^2) / p`, `beta = min(beta, delta)`,
/// `shrinkage = 0 if beta == 0 else beta / delta`; the estimate is
/// `(1 - shrinkage) E + shrinkage mu I`. With `p = 1` it is `E` and 0.
pub fn ledoit_wolf(x: ArrayView2<f64>) -> (Array2<f64>, f64) {
    let (rows, p) = x.dim();
    let n = rows as f64;
    let c = centred(x);
    let emp = cross(&c, |_| 1.0, n);
    if p == 1 {
        return (emp, 0.0);
    }
    let pf = p as f64;
    let trace: f64 = emp.diag().sum();
    let mu = trace / pf;
    // delta_ = sum of squared entries of X'X, over n^2.
    let mut delta_ = 0.0;
    for i in 0..p {
        for j in 0..p {
            let v = emp[[i, j]] * n;
            delta_ += v * v;
        }
    }
    delta_ /= n * n;
    // beta_ = sum_ij sum_t x_ti^2 x_tj^2 = sum_t (sum_i x_ti^2)^2.
    let mut beta_ = 0.0;
    for t in 0..rows {
        let r: f64 = (0..p).map(|i| c[[t, i]] * c[[t, i]]).sum();
        beta_ += r * r;
    }
    let beta = (beta_ / n - delta_) / (pf * n);
    let delta = (delta_ - 2.0 * mu * trace + pf * mu * mu) / pf;
    let beta = beta.min(delta);
    let shrinkage = if beta == 0.0 { 0.0 } else { beta / delta };
    let mut s = emp * (1.0 - shrinkage);
    for i in 0..p {
        s[[i, i]] += shrinkage * mu;
    }
    (s, shrinkage)
}

/// Exponentially weighted covariance, PyPortfolioOpt 1.6 convention
/// (`risk_models.exp_cov(returns, returns_data=True, span=span, frequency=1)`):
/// the columns are centred by their plain (unweighted) means, and each
/// product series `c_i c_j` is averaged with pandas' `ewm(span).mean()`
/// (`adjust=True`) at the last row:
/// `S[i,j] = sum_t a^(rows-1-t) c[t,i] c[t,j] / sum_t a^(rows-1-t)`,
/// `a = 1 - alpha`, `alpha = 2 / (span + 1)`. Like pandas' weights this is a
/// biased (ddof 0) estimate. `span >= 1`; span = infinity gives the ddof-0
/// sample covariance. Source: RiskMetrics Technical Document (J.P. Morgan,
/// 1996), exponential weighting.
pub fn ewma_cov(x: ArrayView2<f64>, span: f64) -> Array2<f64> {
    let rows = x.nrows();
    let a = 1.0 - 2.0 / (span + 1.0);
    let weights: Vec<f64> = (0..rows).map(|t| a.powi((rows - 1 - t) as i32)).collect();
    let total: f64 = weights.iter().sum();
    cross(&centred(x), |t| weights[t], total)
}

/// The span whose EWMA decay equals a half-life of `h` bars:
/// `alpha = 1 - exp(ln(0.5) / h)`, `span = 2 / alpha - 1` (pandas' `ewm`
/// relation between `halflife` and `span`).
pub fn halflife_to_span(h: f64) -> f64 {
    let alpha = 1.0 - (0.5_f64.ln() / h).exp();
    2.0 / alpha - 1.0
}

/// Correlation matrix of a covariance: `S[i,j] / sqrt(S[i,i] S[j,j])`, with
/// an exact 1 on the diagonal. NaN where a variance is 0.
pub fn cov_to_corr(s: ArrayView2<f64>) -> Array2<f64> {
    let n = s.nrows();
    let sd: Vec<f64> = (0..n).map(|i| s[[i, i]].sqrt()).collect();
    Array2::from_shape_fn((n, n), |(i, j)| {
        if i == j {
            if sd[i] > 0.0 {
                1.0
            } else {
                f64::NAN
            }
        } else {
            s[[i, j]] / (sd[i] * sd[j])
        }
    })
}

/// Estimates the covariance of a window with `est`.
///
/// Short samples: with `rows <= N` the sample and EWMA estimates have rank
/// `< N` (singular), so only their diagonal is kept and
/// [`Covariance::diagonal`] is set (the caller logs it). Ledoit–Wolf is
/// always full rank when `mu > 0` and is used as is.
///
/// Errors: [`WeightError::InsufficientHistory`] if `rows < 2`,
/// [`WeightError::NanReturns`] for non-finite values,
/// [`WeightError::InvalidInput`] for an EWMA span `< 1`.
pub fn estimate(x: ArrayView2<f64>, est: CovEstimator) -> Result<Covariance, WeightError> {
    let (rows, n) = check_window(x, 2)?;
    let (mut matrix, shrinkage) = match est {
        CovEstimator::Sample => (sample_cov(x), None),
        CovEstimator::LedoitWolf => {
            let (m, s) = ledoit_wolf(x);
            (m, Some(s))
        }
        CovEstimator::Ewma { span } => {
            if !(span >= 1.0) {
                return Err(WeightError::InvalidInput(format!("EWMA span {span} < 1")));
            }
            (ewma_cov(x, span), None)
        }
    };
    let diagonal = shrinkage.is_none() && rows <= n && n > 1;
    if diagonal {
        for i in 0..n {
            for j in 0..n {
                if i != j {
                    matrix[[i, j]] = 0.0;
                }
            }
        }
    }
    Ok(Covariance { matrix, diagonal, shrinkage })
}
