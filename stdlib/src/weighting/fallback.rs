//! The fallback chain (issue 4): when a method cannot produce weights, take
//! the first step that can — Sharpe-proportional, then equal, then the
//! previous weights, then (on a first rebalance with nothing to keep) cash —
//! and record which step was taken and why each earlier one failed. No
//! reference library; tests check hand-computed cases.
//!
//! Eligible assets: the columns of the window with no NaN (or infinite)
//! return. Ineligible assets get weight 0 in the first two steps (an asset
//! with a NaN return holds nothing: SEMANTICS.md §0).

use super::constraints::{cap_weights, check_bounds, Bounds};
use super::error::WeightError;
use ndarray::{Array1, ArrayView1, ArrayView2};

/// A step of the fallback chain, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackStep {
    /// `w_i ∝ max(0, Sharpe_i)` over the eligible assets (Sharpe = mean /
    /// std, ddof 1, over the window; annualisation cancels).
    SharpeProportional,
    /// `1 / k` on each of the `k` eligible assets.
    Equal,
    /// The previously held weights, unchanged.
    Previous,
    /// All weights 0 (cash): taken only when every other step failed.
    Cash,
}

impl FallbackStep {
    /// The default chain: Sharpe-proportional, equal, previous (then cash).
    pub const CHAIN: [FallbackStep; 3] = [FallbackStep::SharpeProportional, FallbackStep::Equal, FallbackStep::Previous];

    /// `sharpe_proportional`, `equal`, `previous`, `cash`.
    pub fn name(self) -> &'static str {
        match self {
            FallbackStep::SharpeProportional => "sharpe_proportional",
            FallbackStep::Equal => "equal",
            FallbackStep::Previous => "previous",
            FallbackStep::Cash => "cash",
        }
    }
}

/// What the chain did at one rebalance: the method's error, the step taken,
/// and the steps that failed before it, each with its reason.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackRecord {
    /// Why the method itself failed.
    pub cause: WeightError,
    /// The step whose weights were used.
    pub step: FallbackStep,
    /// Earlier steps that failed, in order, with their reasons.
    pub skipped: Vec<(FallbackStep, WeightError)>,
}

impl std::fmt::Display for FallbackRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}; fell back to {}", self.cause, self.step.name())?;
        for (s, e) in &self.skipped {
            write!(f, " ({} failed: {e})", s.name())?;
        }
        Ok(())
    }
}

/// Columns of `window` without a non-finite value.
pub fn eligible_assets(window: ArrayView2<f64>) -> Vec<usize> {
    (0..window.ncols()).filter(|&j| window.column(j).iter().all(|v| v.is_finite())).collect()
}

/// Weights over the eligible assets `elig`, scattered into `n` columns and
/// capped to `bounds` (over the eligible assets) when given.
fn scatter(n: usize, elig: &[usize], raw: &[f64], bounds: Option<Bounds>) -> Result<Array1<f64>, WeightError> {
    let sub = match bounds {
        Some(b) => cap_weights(ArrayView1::from(raw), b)?,
        None => Array1::from(raw.to_vec()),
    };
    let mut w = Array1::<f64>::zeros(n);
    for (k, &j) in elig.iter().enumerate() {
        w[j] = sub[k];
    }
    Ok(w)
}

/// `w_i ∝ max(0, Sharpe_i)` over the eligible assets, summing to 1 (then
/// capped to `bounds`, if any). A constant column has no Sharpe ratio
/// (std exactly 0) and gets 0.
///
/// Errors: [`WeightError::InsufficientHistory`] with fewer than 2 rows,
/// [`WeightError::NanReturns`] with no eligible asset,
/// [`WeightError::NoPositiveSharpe`], bound infeasibility.
pub fn sharpe_proportional(window: ArrayView2<f64>, bounds: Option<Bounds>) -> Result<Array1<f64>, WeightError> {
    let (rows, n) = window.dim();
    if rows < 2 {
        return Err(WeightError::InsufficientHistory { rows, needed: 2 });
    }
    let elig = eligible_assets(window);
    if elig.is_empty() {
        return Err(WeightError::NanReturns { assets: (0..n).collect() });
    }
    let sharpe: Vec<f64> = elig
        .iter()
        .map(|&j| {
            let c = window.column(j);
            let m = c.sum() / rows as f64;
            let sd = (c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (rows as f64 - 1.0)).sqrt();
            // A constant column has std exactly 0 (SEMANTICS.md §5): no Sharpe.
            let constant = c.iter().all(|v| *v == c[0]);
            if !constant && sd > 0.0 && m > 0.0 {
                m / sd
            } else {
                0.0
            }
        })
        .collect();
    let total: f64 = sharpe.iter().sum();
    if !(total > 0.0) {
        return Err(WeightError::NoPositiveSharpe);
    }
    let raw: Vec<f64> = sharpe.iter().map(|s| s / total).collect();
    if let Some(b) = bounds {
        check_bounds(b, elig.len())?;
    }
    scatter(n, &elig, &raw, bounds)
}

/// `1 / k` on each of the `k` eligible assets.
///
/// Errors: [`WeightError::InsufficientHistory`] with no rows,
/// [`WeightError::NanReturns`] with no eligible asset, bound infeasibility
/// for `k` assets (e.g. `k * 0.4 < 1`).
pub fn equal(window: ArrayView2<f64>, bounds: Option<Bounds>) -> Result<Array1<f64>, WeightError> {
    let (rows, n) = window.dim();
    if rows == 0 {
        return Err(WeightError::InsufficientHistory { rows, needed: 1 });
    }
    let elig = eligible_assets(window);
    if elig.is_empty() {
        return Err(WeightError::NanReturns { assets: (0..n).collect() });
    }
    if let Some(b) = bounds {
        check_bounds(b, elig.len())?;
    }
    let raw = vec![1.0 / elig.len() as f64; elig.len()];
    scatter(n, &elig, &raw, bounds)
}

/// Runs the chain after a method failed with `cause`: returns the weights
/// (`N`, finite) and the record. `prev` is the previously held weights
/// (`None` on a first rebalance); `bounds` those of the failed method
/// (SEMANTICS.md §6: min-var / max-Sharpe only).
pub fn fallback(window: ArrayView2<f64>, prev: Option<ArrayView1<f64>>, bounds: Option<Bounds>, cause: WeightError) -> (Array1<f64>, FallbackRecord) {
    fallback_chain(window, prev, bounds, cause, &FallbackStep::CHAIN)
}

/// [`fallback`] with the steps to try, in order (a user's `fallback equal, previous`); cash is
/// the last resort after them. A [`FallbackStep::Cash`] in `steps` is ignored.
pub fn fallback_chain(
    window: ArrayView2<f64>,
    prev: Option<ArrayView1<f64>>,
    bounds: Option<Bounds>,
    cause: WeightError,
    steps: &[FallbackStep],
) -> (Array1<f64>, FallbackRecord) {
    let mut skipped = Vec::new();
    let attempt = |step: FallbackStep| -> Result<Array1<f64>, WeightError> {
        match step {
            FallbackStep::SharpeProportional => sharpe_proportional(window, bounds),
            FallbackStep::Equal => equal(window, bounds),
            FallbackStep::Previous => prev.map(|p| p.to_owned()).ok_or(WeightError::NoPrevious),
            FallbackStep::Cash => Err(WeightError::InvalidInput("cash is the last resort".into())),
        }
    };
    for &step in steps.iter().filter(|s| **s != FallbackStep::Cash) {
        let run = || attempt(step);
        match run() {
            Ok(w) if w.iter().all(|v| v.is_finite()) => {
                return (w, FallbackRecord { cause, step, skipped });
            }
            Ok(_) => skipped.push((step, WeightError::NonFiniteWeights { method: step.name() })),
            Err(e) => skipped.push((step, e)),
        }
    }
    let w = Array1::zeros(window.ncols());
    (w, FallbackRecord { cause, step: FallbackStep::Cash, skipped })
}
