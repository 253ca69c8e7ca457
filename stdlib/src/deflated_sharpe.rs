//! The Deflated Sharpe Ratio and the normal distribution functions it needs.
//!
//! Source: D. H. Bailey and M. López de Prado (2014), "The Deflated Sharpe
//! Ratio: Correcting for Selection Bias, Backtest Overfitting and
//! Non-Normality", *Journal of Portfolio Management* 40(5), 94–107
//! (SSRN 2460551). The Probabilistic Sharpe Ratio is from D. H. Bailey and
//! M. López de Prado (2012), "The Sharpe Ratio Efficient Frontier", *Journal
//! of Risk* 15(2), 3–44.
//!
//! - [`expected_max_sharpe`] is the paper's `SR0`, the expected maximum of
//!   `N` independent Sharpe-ratio estimates with variance `V` and true value 0
//!   (its eq. for `E[max SR_n]`, via the False Strategy theorem):
//!   `SR0 = sqrt(V) * ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))`,
//!   `γ` the Euler–Mascheroni constant.
//! - [`probabilistic_sharpe`] is `PSR(SR0) = Φ((SR - SR0) sqrt(T - 1) /
//!   sqrt(1 - γ3 SR + (γ4 - 1)/4 SR²))`, with `γ3` the skewness and `γ4` the
//!   (non-excess, Pearson) kurtosis of the returns.
//! - [`deflated_sharpe`] is `DSR = PSR(SR0)` with `SR0` from the number of
//!   trials and the variance of their Sharpe ratios.
//!
//! All Sharpe ratios here are **per period** (not annualised): `mean / std`
//! of the period returns, the same units as the trials' variance `V`. An
//! annualised Sharpe `S` over `P` periods a year is `S / sqrt(P)` per period,
//! and an annualised variance `V_a` is `V_a / P`.
//!
//! Worked example (the paper's, reproduced with SciPy): `N = 100` trials,
//! annualised variance of their Sharpe ratios `0.5`, `P = 250`, so
//! `V = 0.5 / 250` and `SR0 = 0.11317200186513214`; a selected strategy with
//! annualised Sharpe `2.5` (`SR = 2.5 / sqrt(250)`) over `T = 1250` returns
//! with skewness `-3` and kurtosis `10` has `DSR = 0.9003968344493903`
//! (the paper reports 0.9004).
//!
//! The normal CDF is built on W. J. Cody's rational Chebyshev approximations
//! of `erf` / `erfc` (W. J. Cody (1969), "Rational Chebyshev Approximations
//! for the Error Function", *Mathematics of Computation* 23(107), 631–637;
//! coefficients and evaluation scheme of his SPECFUN routine CALERF, Netlib
//! `specfun/erf`, as in TOMS Algorithm 715 (1993)), with relative error below
//! about 1e-15. Its inverse starts from P. J. Acklam's rational approximation
//! (2003, "An algorithm for computing the inverse normal cumulative
//! distribution function", relative error 1.15e-9) refined by one step of
//! Halley's method, which Acklam describes, to full double precision.

// Cody's and Acklam's coefficients are kept at their published precision.
#![allow(clippy::excessive_precision)]

/// The Euler–Mascheroni constant γ.
pub const EULER_MASCHERONI: f64 = 0.577_215_664_901_532_860_606_512_090_082_402_43;

/// `1 / sqrt(pi)`.
const SQRPI: f64 = 5.641_895_835_477_562_869_5e-1;
/// `sqrt(2 pi)`.
const SQRT_2PI: f64 = 2.506_628_274_631_000_502_415_765_284_811_045_25;
/// CALERF's switch between the erf and the erfc approximations.
const THRESH: f64 = 0.46875;
/// Below this `|x|`, `erf(x) = 2x/sqrt(pi)` to double precision (CALERF `XSMALL`).
const XSMALL: f64 = 1.11e-16;
/// Above this, `erfc(x)` underflows (CALERF `XBIG` for IEEE double).
const XBIG: f64 = 26.543;
/// Above this, `exp(x²) erfc(x) = 1 / (x sqrt(pi))` to double precision (CALERF `XHUGE`).
const XHUGE: f64 = 6.71e7;
/// Above this, `exp(x²) erfc(x)` underflows (CALERF `XMAX`).
const XMAX: f64 = 2.53e307;

// CALERF coefficients: erf on |x| <= 0.46875.
const A: [f64; 5] = [3.16112374387056560e00, 1.13864154151050156e02, 3.77485237685302021e02, 3.20937758913846947e03, 1.85777706184603153e-1];
const B: [f64; 4] = [2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03, 2.84423683343917062e03];
// erfc on 0.46875 < |x| <= 4.
const C: [f64; 9] = [
    5.64188496988670089e-1,
    8.88314979438837594e00,
    6.61191906371416295e01,
    2.98635138197400131e02,
    8.81952221241769090e02,
    1.71204761263407058e03,
    2.05107837782607147e03,
    1.23033935479799725e03,
    2.15311535474403846e-8,
];
const D: [f64; 8] = [
    1.57449261107098347e01,
    1.17693950891312499e02,
    5.37181101862009858e02,
    1.62138957456669019e03,
    3.29079923573345963e03,
    4.36261909014324716e03,
    3.43936767414372164e03,
    1.23033935480374942e03,
];
// erfc on |x| > 4.
const P: [f64; 6] =
    [3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2];
const Q: [f64; 5] = [2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1, 6.05183413124413191e-2, 2.33520497626869185e-3];

/// `erf(x)` for `|x| <= 0.46875` (CALERF's first interval).
fn erf_small(x: f64) -> f64 {
    let y = x.abs();
    let ysq = if y > XSMALL { y * y } else { 0.0 };
    let mut xnum = A[4] * ysq;
    let mut xden = ysq;
    for i in 0..3 {
        xnum = (xnum + A[i]) * ysq;
        xden = (xden + B[i]) * ysq;
    }
    x * (xnum + A[3]) / (xden + B[3])
}

/// The scaled complement `exp(y²) erfc(y)` for `y > 0.46875` (CALERF's
/// second and third intervals, before the `exp(-y²)` factor).
fn erfcx_large(y: f64) -> f64 {
    if y <= 4.0 {
        let mut xnum = C[8] * y;
        let mut xden = y;
        for i in 0..7 {
            xnum = (xnum + C[i]) * y;
            xden = (xden + D[i]) * y;
        }
        (xnum + C[7]) / (xden + D[7])
    } else if y >= XMAX {
        0.0
    } else if y >= XHUGE {
        SQRPI / y
    } else {
        let ysq = 1.0 / (y * y);
        let mut xnum = P[5] * ysq;
        let mut xden = ysq;
        for i in 0..4 {
            xnum = (xnum + P[i]) * ysq;
            xden = (xden + Q[i]) * ysq;
        }
        let r = ysq * (xnum + P[4]) / (xden + Q[4]);
        (SQRPI - r) / y
    }
}

/// `exp(-y² / 2)` for `y >= 0`, with `y²` split as in CALERF so that the
/// rounding of `y * y` does not enter: `y = h + (y - h)` with `h = trunc(16 y)
/// / 16`, `y² = h² + (y - h)(y + h)`, `h²` exact.
fn exp_neg_half_sq(y: f64) -> f64 {
    let h = (y * 16.0).trunc() / 16.0;
    let del = (y - h) * (y + h);
    (-h * h * 0.5).exp() * (-del * 0.5).exp()
}

/// The complementary error function `erfc(x) = 1 - erf(x)`.
///
/// W. J. Cody's CALERF (see the module docs): rational approximations on
/// `|x| <= 0.46875`, `0.46875 < |x| <= 4` and `|x| > 4`, with the `exp(-x²)`
/// factor split to avoid the rounding error of `x * x`; `erfc(-x) = 2 -
/// erfc(x)`. Relative error below about 1e-15 (absolute for `x < 0`). Returns
/// `0.0` for `x >= 26.543` (where the value is below the smallest normal
/// double), `2.0` for very negative `x`, NaN for NaN.
pub fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let y = x.abs();
    if y <= THRESH {
        return 1.0 - erf_small(x);
    }
    let r = if y >= XBIG {
        0.0
    } else {
        let h = (y * 16.0).trunc() / 16.0;
        let del = (y - h) * (y + h);
        (-h * h).exp() * (-del).exp() * erfcx_large(y)
    };
    if x < 0.0 {
        2.0 - r
    } else {
        r
    }
}

/// The standard normal cumulative distribution function `Φ(x) = P(Z <= x)`.
///
/// `Φ(x) = erfc(-x / sqrt(2)) / 2`, evaluated with Cody's approximations
/// ([`erfc`]): for `|x| / sqrt(2) <= 0.46875`, `(1 + erf(x / sqrt 2)) / 2`;
/// beyond, the tail `Φ(-|x|) = exp(-x²/2) · erfcx(|x| / sqrt 2) / 2` with the
/// Gaussian factor computed from `x` itself (split as in CALERF), so the
/// lower tail keeps a relative error of about 1e-15 down to the underflow
/// (`Φ(-37.5) = 4.6e-308`; subnormal below, `0.0` below about -38.5;
/// at most 6e-16 against mpmath on a grid over `[-38, 9]`), and
/// `Φ(x) = 1 - Φ(-x)` for `x > 0`. NaN for NaN; `Φ(-inf) = 0`, `Φ(inf) = 1`.
pub fn norm_cdf(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    let z = x * std::f64::consts::FRAC_1_SQRT_2;
    if z.abs() <= THRESH {
        return 0.5 + 0.5 * erf_small(z);
    }
    let tail = if x.is_infinite() {
        0.0
    } else {
        // Larger factors first to delay underflow into subnormals.
        0.5 * erfcx_large(z.abs()) * exp_neg_half_sq(x.abs())
    };
    if x < 0.0 {
        tail
    } else {
        1.0 - tail
    }
}

// Acklam's coefficients.
const ACK_A: [f64; 6] =
    [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00];
const ACK_B: [f64; 5] = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01];
const ACK_C: [f64; 6] =
    [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00];
const ACK_D: [f64; 4] = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00];
/// Acklam's break point between the lower tail and the central region.
const ACK_P_LOW: f64 = 0.02425;

/// Acklam's approximation of `Φ⁻¹(p)` for `0 < p <= 0.5` (relative error
/// below 1.15e-9).
fn acklam_lower(p: f64) -> f64 {
    if p < ACK_P_LOW {
        let q = (-2.0 * p.ln()).sqrt();
        (((((ACK_C[0] * q + ACK_C[1]) * q + ACK_C[2]) * q + ACK_C[3]) * q + ACK_C[4]) * q + ACK_C[5])
            / ((((ACK_D[0] * q + ACK_D[1]) * q + ACK_D[2]) * q + ACK_D[3]) * q + 1.0)
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((ACK_A[0] * r + ACK_A[1]) * r + ACK_A[2]) * r + ACK_A[3]) * r + ACK_A[4]) * r + ACK_A[5]) * q
            / (((((ACK_B[0] * r + ACK_B[1]) * r + ACK_B[2]) * r + ACK_B[3]) * r + ACK_B[4]) * r + 1.0)
    }
}

/// `Φ⁻¹(p)` for `0 < p <= 0.5`: Acklam's estimate and one Halley step
/// `x -= u / (1 + x u / 2)`, `u = (Φ(x) - p) sqrt(2π) exp(x²/2)`. The step is
/// skipped for subnormal `p` (where `exp(x²/2)` would overflow and `p` itself
/// has lost precision).
fn inv_lower(p: f64) -> f64 {
    let x = acklam_lower(p);
    if p < f64::MIN_POSITIVE {
        return x;
    }
    let z = x * std::f64::consts::FRAC_1_SQRT_2;
    // Φ(x) - p; near the centre as `erf(z)/2 - (p - 1/2)`, where `p - 1/2` is
    // exact (p >= 0.25 there), so x keeps its relative accuracy near 0.
    let e = if z.abs() <= THRESH { 0.5 * erf_small(z) - (p - 0.5) } else { norm_cdf(x) - p };
    let u = e * SQRT_2PI * (0.5 * x * x).exp();
    x - u / (1.0 + 0.5 * x * u)
}

/// The inverse of the standard normal CDF (the quantile function, probit):
/// the `x` with `Φ(x) = p`.
///
/// Acklam's algorithm refined by one Halley step with [`norm_cdf`] (see the
/// module docs); relative error below 1e-15 (at most 5.2e-16 against mpmath
/// on a grid of 3,200 probabilities from 1e-300 to 1 - 1e-15, including
/// near `p = 0.5`, where the residual `Φ(x) - p` is taken as
/// `erf(x/√2)/2 - (p - 1/2)`). The lower half is computed directly and `p > 0.5` by symmetry,
/// `Φ⁻¹(p) = -Φ⁻¹(1 - p)` (`1 - p` is exact there), so both tails are
/// accurate. `Φ⁻¹(0) = -inf`, `Φ⁻¹(1) = inf`, `Φ⁻¹(0.5) = 0`; NaN for `p`
/// outside `[0, 1]` or NaN. For subnormal `p` (or `1 - p`) the result is
/// Acklam's estimate alone (relative error below 1.15e-9).
pub fn norm_inv_cdf(p: f64) -> f64 {
    if !(0.0..=1.0).contains(&p) {
        return f64::NAN;
    }
    if p == 0.0 {
        return f64::NEG_INFINITY;
    }
    if p == 1.0 {
        return f64::INFINITY;
    }
    if p == 0.5 {
        return 0.0;
    }
    if p < 0.5 {
        inv_lower(p)
    } else {
        -inv_lower(1.0 - p)
    }
}

/// The expected maximum Sharpe ratio `SR0` of `n_trials` independent trials
/// whose Sharpe-ratio estimates have variance `var_sharpe` around a true
/// Sharpe of 0 (Bailey & López de Prado 2014; per-period units, see the
/// module docs):
/// `SR0 = sqrt(V) * ((1 - γ) Φ⁻¹(1 - 1/N) + γ Φ⁻¹(1 - 1/(N e)))`.
///
/// Conventions: `n_trials = 1` gives `0.0` (no selection; the formula's
/// `Φ⁻¹(0) = -inf` is not meant there); `n_trials = 0` gives NaN;
/// `var_sharpe = 0` gives `0.0`; a negative or NaN `var_sharpe` gives NaN.
pub fn expected_max_sharpe(n_trials: usize, var_sharpe: f64) -> f64 {
    if n_trials == 0 || var_sharpe.is_nan() || var_sharpe < 0.0 {
        return f64::NAN;
    }
    if n_trials == 1 {
        return 0.0;
    }
    let n = n_trials as f64;
    let g = EULER_MASCHERONI;
    let z = (1.0 - g) * norm_inv_cdf(1.0 - 1.0 / n) + g * norm_inv_cdf(1.0 - 1.0 / (n * std::f64::consts::E));
    var_sharpe.sqrt() * z
}

/// The Probabilistic Sharpe Ratio: the probability that the true Sharpe
/// ratio exceeds `sr0`, given an estimate `sr` from `n_obs` returns with
/// skewness `skew` and non-excess (Pearson) kurtosis `kurtosis` (3 for a
/// normal distribution):
/// `PSR = Φ((SR - SR0) sqrt(T - 1) / sqrt(1 - skew SR + (kurtosis - 1)/4 SR²))`.
///
/// `sr` and `sr0` are per-period (not annualised). NaN when `n_obs < 2`, when
/// the term under the square root is not positive, or for NaN inputs.
pub fn probabilistic_sharpe(sr: f64, sr0: f64, n_obs: usize, skew: f64, kurtosis: f64) -> f64 {
    if n_obs < 2 {
        return f64::NAN;
    }
    let v = 1.0 - skew * sr + (kurtosis - 1.0) / 4.0 * sr * sr;
    if v.is_nan() || v <= 0.0 {
        return f64::NAN;
    }
    let z = (sr - sr0) * ((n_obs - 1) as f64).sqrt() / v.sqrt();
    norm_cdf(z)
}

/// The per-period Sharpe ratio, skewness and non-excess kurtosis of
/// `returns`, as [`deflated_sharpe`] uses them.
///
/// `SR = mean / std` with `std` the sample standard deviation (ddof = 1,
/// two-pass; SEMANTICS.md §4 `sharpe` without the `sqrt(P)` factor);
/// `skew = m3 / m2^1.5` and `kurtosis = m4 / m2²` with the population central
/// moments `m_k = (1/T) sum (x - mean)^k` (scipy `stats.skew(x)` and
/// `stats.kurtosis(x, fisher=False)`, both with their default `bias=True`).
/// Sums run in time order.
/// All three are NaN when `T < 2`, when a return is NaN, or when all returns
/// are equal (compared exactly: the std is 0).
pub fn sharpe_moments(returns: &[f64]) -> (f64, f64, f64) {
    let nan = (f64::NAN, f64::NAN, f64::NAN);
    let t = returns.len();
    if t < 2 || returns.iter().any(|v| v.is_nan()) || returns.iter().all(|&v| v == returns[0]) {
        return nan;
    }
    let mut s = 0.0;
    for &v in returns {
        s += v;
    }
    let mean = s / t as f64;
    let (mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0);
    for &v in returns {
        let d = v - mean;
        let d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    let sd = (m2 / (t - 1) as f64).sqrt();
    let (m2, m3, m4) = (m2 / t as f64, m3 / t as f64, m4 / t as f64);
    (mean / sd, m3 / m2.powf(1.5), m4 / (m2 * m2))
}

/// The Deflated Sharpe Ratio of a selected strategy's `returns`, after
/// `n_trials` trials whose (per-period) Sharpe ratios have variance
/// `trial_sharpes_var`: `PSR(SR0)` with `SR0 =`
/// [`expected_max_sharpe`]`(n_trials, trial_sharpes_var)` and the Sharpe
/// ratio, skewness and kurtosis of `returns` from [`sharpe_moments`], `T =
/// returns.len()`.
///
/// A probability in `[0, 1]`; NaN when the moments are undefined (fewer than
/// two returns, a NaN return, constant returns), when `n_trials = 0` or the
/// variance is negative / NaN, or when the PSR denominator is not positive.
/// With `n_trials = 1` it is the PSR against 0.
pub fn deflated_sharpe(returns: &[f64], n_trials: usize, trial_sharpes_var: f64) -> f64 {
    let (sr, skew, kurt) = sharpe_moments(returns);
    let sr0 = expected_max_sharpe(n_trials, trial_sharpes_var);
    if sr.is_nan() || sr0.is_nan() {
        return f64::NAN;
    }
    probabilistic_sharpe(sr, sr0, returns.len(), skew, kurt)
}

#[cfg(test)]
mod tests {
    //! Reference values: `Φ` from mpmath 1.3 at 50 digits (SciPy 1.17's
    //! `norm.cdf` agrees to 6e-14 relative on these points, except that it
    //! underflows to 0 at -38); `Φ⁻¹` and `erfc` from SciPy 1.17 (`norm.ppf`,
    //! `special.erfc`; checked against mpmath to 4e-16); `SR0`, PSR and DSR
    //! from the formulas evaluated with SciPy (`norm`, `stats.skew`,
    //! `stats.kurtosis(fisher=False)`, `np.euler_gamma`).

    use super::*;

    /// `|got - want| <= tol * max(|want|, floor)`.
    fn close(got: f64, want: f64, tol: f64, floor: f64, what: &str) {
        assert!((got - want).abs() <= tol * want.abs().max(floor), "{what}: got {got:?}, want {want:?}, rel {:e}", (got - want).abs() / want.abs().max(floor));
    }

    const CDF: [(f64, f64); 20] = [
        (-37.5, 4.605353009581955e-308),
        (-30.0, 4.906713927148187e-198),
        (-20.0, 2.7536241186062337e-89),
        (-10.0, 7.619853024160525e-24),
        (-8.5, 9.479534822203318e-18),
        (-5.0, 2.866515718791939e-07),
        (-3.3, 0.0004834241423837775),
        (-1.5, 0.06680720126885807),
        (-0.6, 0.2742531177500736),
        (-0.3, 0.3820885778110474),
        (-0.001, 0.49960105778608893),
        (0.0, 0.5),
        (0.2, 0.579259709439103),
        (0.6628, 0.7462706731792129),
        (1.0, 0.8413447460685429),
        (2.3, 0.9892758899783242),
        (4.2, 0.9999866542509841),
        (7.0, 0.9999999999987201),
        (8.3, 1.0),
        (40.0, 1.0),
    ];

    const PPF: [(f64, f64); 18] = [
        (1e-300, -37.0470962993612),
        (1e-100, -21.273453560965322),
        (1e-20, -9.262340089798409),
        (1e-10, -6.361340902404056),
        (0.001, -3.090232306167813),
        (0.02, -2.053748910631823),
        (0.02425, -1.972961051311885),
        (0.1, -1.2815515655446004),
        (0.3, -0.5244005127080409),
        (0.4999, -0.0002506628300880075),
        (0.5, 0.0),
        (0.500001, 2.5066282747057052e-06),
        (0.7, 0.5244005127080407),
        (0.975, 1.959963984540054),
        (0.99, 2.3263478740408408),
        (0.9963212055882856, 2.6802104449668875),
        (0.999999, 4.753424308817087),
        (0.9999999999, 6.361340889697422),
    ];

    const ERFC: [(f64, f64); 17] = [
        (-5.0, 1.9999999999984626),
        (-1.0, 1.8427007929497148),
        (-0.3, 1.3286267594591274),
        (0.0, 1.0),
        (1e-05, 0.9999887162083294),
        (0.3, 0.6713732405408726),
        (0.46875, 0.507386526782062),
        (0.5, 0.4795001221869535),
        (1.0, 0.15729920705028516),
        (2.0, 0.004677734981047266),
        (3.9, 3.479224859723178e-08),
        (4.0, 1.541725790028002e-08),
        (4.1, 6.7000276540849075e-09),
        (6.0, 2.1519736712498913e-17),
        (10.0, 2.0884875837625446e-45),
        (26.0, 5.663192408856145e-296),
        (27.0, 0.0),
    ];

    #[test]
    fn erfc_matches_scipy() {
        for (x, want) in ERFC {
            close(erfc(x), want, 1e-14, 0.0, &format!("erfc({x})"));
        }
        assert!(erfc(f64::NAN).is_nan());
        assert_eq!(erfc(f64::INFINITY), 0.0);
        assert_eq!(erfc(f64::NEG_INFINITY), 2.0);
    }

    #[test]
    fn norm_cdf_matches_reference() {
        for (x, want) in CDF {
            close(norm_cdf(x), want, 1e-13, 0.0, &format!("Φ({x})"));
        }
        // Subnormal tail: mpmath gives 2.88542835e-316.
        close(norm_cdf(-38.0), 2.88542835e-316, 1e-6, 0.0, "Φ(-38)");
        assert_eq!(norm_cdf(-40.0), 0.0);
        assert_eq!(norm_cdf(f64::NEG_INFINITY), 0.0);
        assert_eq!(norm_cdf(f64::INFINITY), 1.0);
        assert!(norm_cdf(f64::NAN).is_nan());
        // Symmetry Φ(x) + Φ(-x) = 1 across the region switch at |x| = 0.6629.
        for i in 0..=400 {
            let x = i as f64 * 0.01;
            close(norm_cdf(x) + norm_cdf(-x), 1.0, 4e-16, 1.0, &format!("sym {x}"));
        }
    }

    #[test]
    fn norm_inv_cdf_matches_scipy() {
        for (p, want) in PPF {
            // Relative, also near p = 0.5 (the centre uses erf, not Φ - p).
            close(norm_inv_cdf(p), want, 2e-15, 0.0, &format!("Φ⁻¹({p})"));
        }
        assert_eq!(norm_inv_cdf(0.0), f64::NEG_INFINITY);
        assert_eq!(norm_inv_cdf(1.0), f64::INFINITY);
        assert_eq!(norm_inv_cdf(0.5), 0.0);
        for p in [-0.1, 1.1, f64::NAN] {
            assert!(norm_inv_cdf(p).is_nan());
        }
        // Subnormal p: Acklam's estimate alone, finite and close.
        let x = norm_inv_cdf(1e-310);
        assert!(x.is_finite() && (x - -37.6).abs() < 0.1, "{x}");
        // Round trip Φ(Φ⁻¹(p)) = p across both tails and the centre.
        for k in 1..1000 {
            let p = k as f64 / 1000.0;
            close(norm_cdf(norm_inv_cdf(p)), p, 2e-15, 0.0, &format!("round trip {p}"));
        }
        // In the far tail the round trip is limited by the condition number
        // of Φ (a relative error ε in x moves Φ by about x² ε).
        for e in 1..300 {
            let p = 10f64.powi(-e);
            let x = norm_inv_cdf(p);
            let tol = 4e-16 * (1.0 + x * x);
            close(norm_cdf(x), p, tol, 0.0, &format!("round trip {p}"));
        }
    }

    #[test]
    fn expected_max_sharpe_matches_scipy() {
        // The paper's example: N = 100, annualised V = 1/2, 250 periods a year.
        close(expected_max_sharpe(100, 0.5 / 250.0), 0.11317200186513214, 1e-13, 0.0, "paper");
        close(expected_max_sharpe(2, 0.01), 0.05197553442805939, 1e-13, 0.0, "N=2");
        close(expected_max_sharpe(10, 0.0004), 0.031491966026915, 1e-13, 0.0, "N=10");
        close(expected_max_sharpe(1000, 1.0), 3.255121513652723, 1e-13, 0.0, "N=1000");
        assert_eq!(expected_max_sharpe(7, 0.0), 0.0);
        assert_eq!(expected_max_sharpe(1, 0.3), 0.0);
        assert!(expected_max_sharpe(0, 0.3).is_nan());
        assert!(expected_max_sharpe(5, -0.1).is_nan());
        assert!(expected_max_sharpe(5, f64::NAN).is_nan());
    }

    #[test]
    fn probabilistic_sharpe_matches_scipy() {
        // The paper's example: annualised SR 2.5 (250 periods a year), T = 1250,
        // skewness -3, kurtosis 10: DSR = 0.9004 in the paper.
        let sr = 2.5 / 250f64.sqrt();
        let dsr = probabilistic_sharpe(sr, 0.11317200186513214, 1250, -3.0, 10.0);
        close(dsr, 0.9003968344493903, 1e-13, 0.0, "paper DSR");
        close(probabilistic_sharpe(0.1, 0.05, 500, 0.5, 5.0), 0.8728458091432858, 1e-13, 0.0, "a");
        close(probabilistic_sharpe(0.05, 0.1, 30, -1.0, 8.0), 0.3965746047863433, 1e-13, 0.0, "b");
        assert_eq!(probabilistic_sharpe(0.1, 0.1, 100, 0.0, 3.0), 0.5);
        assert!(probabilistic_sharpe(0.1, 0.0, 1, 0.0, 3.0).is_nan());
        // 1 - skew SR + (kurt - 1)/4 SR² <= 0.
        assert!(probabilistic_sharpe(1.0, 0.0, 100, 3.0, 1.0).is_nan());
    }

    /// 60 returns (Student-t(4) noise, drift, occasional -2% jumps; NumPy
    /// seed 11, rounded to 4 places).
    const RET: [f64; 60] = [
        0.0047, -0.0018, 0.0109, -0.0077, 0.0124, 0.0083, 0.0032, -0.0098, -0.0255, -0.0226, -0.0047, 0.0078, 0.0087, -0.0033, 0.0265, -0.0179, 0.0124, 0.0117,
        0.0242, 0.021, 0.0024, 0.0043, 0.0113, 0.0006, 0.0029, 0.0474, 0.0098, 0.0294, 0.0362, -0.0086, 0.0602, 0.0091, -0.0028, 0.0014, -0.012, -0.0327,
        0.0003, 0.0075, -0.0257, 0.0447, 0.0139, 0.0009, 0.0047, 0.0165, 0.0157, 0.0083, 0.0161, -0.0053, -0.0017, -0.0059, 0.0062, -0.0051, 0.0091, -0.0033,
        -0.0105, 0.0085, 0.0217, 0.0004, -0.0125, -0.0207,
    ];

    #[test]
    fn deflated_sharpe_matches_scipy() {
        let (sr, skew, kurt) = sharpe_moments(&RET);
        close(sr, 0.2905438086604785, 1e-13, 0.0, "sr");
        close(skew, 0.6420181345048821, 1e-12, 0.0, "skew");
        close(kurt, 4.316283518059792, 1e-12, 0.0, "kurtosis");
        let cases = [(1, 0.3, 0.9912102385936645), (5, 0.004, 0.960623294009384), (20, 0.0005, 0.9786705009358401), (100, 0.002, 0.9264013936849492)];
        for (n, v, want) in cases {
            close(deflated_sharpe(&RET, n, v), want, 1e-12, 0.0, &format!("DSR N={n} V={v}"));
        }
        assert!(deflated_sharpe(&RET, 0, 0.1).is_nan());
        assert!(deflated_sharpe(&[0.01], 5, 0.1).is_nan());
        assert!(deflated_sharpe(&[0.01; 10], 5, 0.1).is_nan());
        assert!(deflated_sharpe(&[0.01, f64::NAN, 0.02], 5, 0.1).is_nan());
    }
}
