//! Portfolio weighting engine (issue 4; conventions of SEMANTICS.md §6
//! "Strategy weighting").
//!
//! Shapes and units: a return window is an ndarray `rows x N` — rows are
//! bars, oldest first; columns are assets, sleeves or strategies — of simple
//! returns as fractions per bar (0.01 = 1 %). A weight vector has `N`
//! entries, fractions of capital; every method but Kelly sums to 1 (Kelly
//! leaves the rest in cash). Covariances are `N x N` per bar^2.
//!
//! - [`covariance`]: sample (ddof 1), Ledoit–Wolf (scikit-learn), EWMA, the
//!   diagonal when samples are short.
//! - Methods, each `window -> weights`: [`inverse_vol`], [`erc`], [`hrp`],
//!   [`mean_variance`] (min-var, max-Sharpe through Clarabel, bounded
//!   `0 <= w <= 0.4`), [`kelly`] (fractional Kelly on a base method),
//!   [`regime_moe`] (regime mixture of experts).
//! - [`constraints`]: bounds, EWMA smoothing then the turnover cap.
//! - [`fallback`]: Sharpe-proportional, then equal, then the previous
//!   weights, with the reason recorded.
//! - [`schedule`]: the monthly rebalance driver ([`rebalance_monthly`]).
//!
//! [`target_weights`] runs one method on one window; it never returns a
//! non-finite weight (such a result is an error, which the schedule sends
//! to the fallback chain).

// `!(x > 0.0)` is deliberate throughout: it rejects NaN as well.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

pub mod constraints;
pub mod covariance;
pub mod erc;
pub mod error;
pub mod fallback;
pub mod hrp;
pub mod inverse_vol;
pub mod kelly;
mod linalg;
pub mod mean_variance;
mod qp;
pub mod regime_moe;
pub mod schedule;

#[cfg(test)]
mod tests;

pub use constraints::Bounds;
pub use covariance::CovEstimator;
pub use error::{Infeasibility, WeightError};
pub use fallback::{fallback_chain, FallbackRecord, FallbackStep};
pub use hrp::Linkage;
pub use kelly::KellyOptions;
pub use regime_moe::RegimeMoe;
pub use schedule::{month_end_flags, rebalance, rebalance_monthly, LogEntry, Schedule};

use ndarray::{Array1, ArrayView2};

/// A weighting method (SEMANTICS.md §6).
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// [`inverse_vol::inv_vol`]: `w ∝ 1/sigma`, long-only, unbounded.
    InvVol,
    /// [`erc::erc`]: equal risk contribution, long-only, unbounded.
    Erc,
    /// [`hrp::hrp`]: hierarchical risk parity with this linkage.
    Hrp(Linkage),
    /// [`mean_variance::min_var`] within [`WeightOptions::bounds`].
    MinVar,
    /// [`mean_variance::max_sharpe`] within [`WeightOptions::bounds`]
    /// (min-var when no positive Sharpe is reachable).
    MaxSharpe,
    /// [`kelly::kelly`] scaling of the base method's weights (with the
    /// base's mean and covariance). If the base fails, the fallback
    /// chain's weights are used unscaled (sum 1).
    Kelly { base: Box<Method>, kelly: KellyOptions },
    /// [`regime_moe::moe_window`]; its arrays cover the window's rows when
    /// called through [`target_weights`], all rows in the schedule.
    RegimeMoe(RegimeMoe),
}

impl Method {
    /// Short name for logs: `inv_vol`, `erc`, `hrp_single`, `hrp_ward`,
    /// `min_var`, `max_sharpe`, `kelly`, `regime_moe`.
    pub fn name(&self) -> &'static str {
        match self {
            Method::InvVol => "inv_vol",
            Method::Erc => "erc",
            Method::Hrp(Linkage::Single) => "hrp_single",
            Method::Hrp(Linkage::Ward) => "hrp_ward",
            Method::MinVar => "min_var",
            Method::MaxSharpe => "max_sharpe",
            Method::Kelly { .. } => "kelly",
            Method::RegimeMoe(_) => "regime_moe",
        }
    }

    /// The bounds the method's weights obey: `opts.bounds` for min-var and
    /// max-Sharpe (and Kelly on them), else `None` (long-only, unbounded).
    pub fn bounds(&self, opts: &WeightOptions) -> Option<Bounds> {
        match self {
            Method::MinVar | Method::MaxSharpe => Some(opts.bounds),
            Method::Kelly { base, .. } => base.bounds(opts),
            _ => None,
        }
    }
}

/// Options shared by the methods and the schedule; the defaults are
/// SEMANTICS.md §6's.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightOptions {
    /// Covariance estimator (default: sample, ddof 1).
    pub covariance: CovEstimator,
    /// Bounds of min-var / max-Sharpe (default `0 <= w <= 0.4`).
    pub bounds: Bounds,
    /// EWMA smoothing `a` of `v = a target + (1 - a) prev` (default 0.5).
    pub smoothing: f64,
    /// Turnover cap on `||v - prev||_1` (default `Some(0.2)`).
    pub turnover_cap: Option<f64>,
    /// Cap on a target's gross exposure `sum |w|` (fraction of equity); a target above it is
    /// scaled down to it before smoothing (default `None`; Kelly has its own cap).
    pub max_leverage: Option<f64>,
    /// The fallback steps, in order, before cash (default [`FallbackStep::CHAIN`]).
    pub fallback: Vec<FallbackStep>,
    /// Minimum history: with `Some(k)`, a member whose last `k` returns in the window are not
    /// all finite is left out of the rebalance (weight 0) instead of failing the method, and
    /// the method runs on the longest run of trailing rows where every remaining member has a
    /// return (at least `k` rows). `None` (the default, SEMANTICS.md §6): any NaN in the window
    /// fails the method and the fallback chain decides.
    pub min_history: Option<usize>,
    /// At least this many members with a positive target weight; a target with fewer fails
    /// with [`Infeasibility::MinActive`] and goes to the fallback chain (default `None`).
    pub min_active: Option<usize>,
    /// The max-drawdown filter: a member whose drawdown within the window (compounding its
    /// returns from the window's start) is worse than `-max_drawdown` gets weight 0 and the
    /// method runs on the others (default `None`; a fraction, `0.2` = 20 %).
    pub max_drawdown: Option<f64>,
    /// Portfolio volatility target: the target is scaled by `vol / sqrt(w'Sw * annualize)`
    /// (S: the window's covariance) before the leverage cap (default `None`).
    pub vol_target: Option<VolTarget>,
}

/// An annualised volatility target (fraction, `0.1` = 10 % a year) and the periods per year
/// that annualise the per-bar covariance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolTarget {
    pub vol: f64,
    pub annualize: f64,
}

impl Default for WeightOptions {
    fn default() -> Self {
        WeightOptions {
            covariance: CovEstimator::Sample,
            bounds: Bounds::SEMANTICS,
            smoothing: 0.5,
            turnover_cap: Some(0.2),
            max_leverage: None,
            fallback: FallbackStep::CHAIN.to_vec(),
            min_history: None,
            min_active: None,
            max_drawdown: None,
            vol_target: None,
        }
    }
}

/// Something worth telling the user about a target that was still computed
/// by its method.
#[derive(Debug, Clone, PartialEq)]
pub enum Note {
    /// The window had `rows <= N`: the covariance was reduced to its diagonal.
    DiagonalCovariance { rows: usize, assets: usize },
    /// Max-Sharpe found no positive Sharpe ratio and returned min-var.
    MaxSharpeToMinVar,
    /// Fractional Kelly applied leverage `L` (weights sum to `L`).
    KellyLeverage(f64),
    /// The target's gross exposure `gross` exceeded `max_leverage` = `cap` and was scaled down.
    LeverageCapped { gross: f64, cap: f64 },
    /// These members (column indices) lacked `min_history` returns and were left out.
    ShortHistoryExcluded(Vec<usize>),
    /// The max-drawdown filter excluded these members (column indices) from the window.
    DrawdownFiltered(Vec<usize>),
    /// The vol target scaled the target by `scale` (portfolio vol `vol` before scaling,
    /// annualised).
    VolTargeted { vol: f64, scale: f64 },
    /// Regime-MoE Sharpe ratios that were undefined (fewer than 2 rows in the
    /// regime, or zero std) and counted as 0: `(regime, expert)` pairs.
    UndefinedRegimeSharpe(Vec<(usize, usize)>),
}

/// A method's target weights (`N`) and its notes.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub weights: Array1<f64>,
    pub notes: Vec<Note>,
}

/// Runs `method` on one window (`rows x N`, no NaN) and returns its target.
///
/// Errors: every [`WeightError`] of the covariance and the method —
/// [`WeightError::NanReturns`], [`WeightError::InsufficientHistory`] (fewer
/// than 2 rows), [`WeightError::SingularCovariance`],
/// [`WeightError::Infeasible`], solver failures, and
/// [`WeightError::NonFiniteWeights`] as a last guard.
pub fn target_weights(window: ArrayView2<f64>, method: &Method, opts: &WeightOptions) -> Result<Target, WeightError> {
    let mut notes = Vec::new();
    let weights = match method {
        Method::RegimeMoe(spec) => {
            error::check_window(window, 2)?;
            let (w, undefined) = regime_moe::moe_window(window, spec)?;
            if !undefined.is_empty() {
                notes.push(Note::UndefinedRegimeSharpe(undefined));
            }
            w
        }
        _ => {
            let cov = covariance::estimate(window, opts.covariance)?;
            if cov.diagonal {
                notes.push(Note::DiagonalCovariance { rows: window.nrows(), assets: window.ncols() });
            }
            let s = cov.matrix.view();
            match method {
                Method::InvVol => inverse_vol::inv_vol(s)?,
                Method::Erc => erc::erc(s)?,
                Method::Hrp(l) => hrp::hrp(s, *l)?,
                Method::MinVar => mean_variance::min_var(s, opts.bounds)?,
                Method::MaxSharpe => {
                    let mu = covariance::column_means(window);
                    let r = mean_variance::max_sharpe(s, mu.view(), opts.bounds)?;
                    if r.min_var_fallback {
                        notes.push(Note::MaxSharpeToMinVar);
                    }
                    r.weights
                }
                Method::Kelly { base, kelly: k } => {
                    let base_target = target_weights(window, base, opts)?;
                    let mu = covariance::column_means(window);
                    let (w, l) = kelly::kelly(s, mu.view(), base_target.weights.view(), *k)?;
                    notes.extend(base_target.notes.into_iter().filter(|n| !matches!(n, Note::DiagonalCovariance { .. })));
                    notes.push(Note::KellyLeverage(l));
                    w
                }
                Method::RegimeMoe(_) => unreachable!("handled above"),
            }
        }
    };
    if weights.iter().any(|w| !w.is_finite()) {
        return Err(WeightError::NonFiniteWeights { method: method.name() });
    }
    Ok(Target { weights, notes })
}
