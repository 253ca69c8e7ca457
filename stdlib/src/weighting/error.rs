//! Why a weighting step could not produce weights: the reasons the fallback
//! chain ([`super::fallback`]) records, and the errors of every method.
//!
//! Errors are span-less (STYLE.md): the compiler attaches the statement's
//! span when it reports them. Asset indices are column indices of the
//! return window (0-based).

use std::fmt;

/// A constraint set that admits no weight vector, naming the constraint.
#[derive(Debug, Clone, PartialEq)]
pub enum Infeasibility {
    /// `n * max_weight < 1`: `n` assets capped at `max_weight` cannot sum to 1.
    MaxWeight { max_weight: f64, assets: usize },
    /// `n * min_weight > 1`: `n` assets floored at `min_weight` exceed 1.
    MinWeight { min_weight: f64, assets: usize },
    /// `min_weight > max_weight`, or a bound that is negative or not finite.
    Bounds { min_weight: f64, max_weight: f64 },
    /// The QP solver proved the problem infeasible (a certificate), although
    /// the bound checks above passed; `status` is the solver's status.
    Solver { status: String },
    /// The target holds `active` members with a positive weight, fewer than
    /// `min_active`.
    MinActive { min_active: usize, active: usize },
    /// Every member's drawdown within the window is worse than `-max_drawdown`:
    /// the max-drawdown filter leaves nothing to weight.
    MaxDrawdown { max_drawdown: f64 },
}

impl fmt::Display for Infeasibility {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Infeasibility::MaxWeight { max_weight, assets } => write!(f, "max weight {max_weight} x {assets} assets = {} < 1", max_weight * *assets as f64),
            Infeasibility::MinWeight { min_weight, assets } => write!(f, "min weight {min_weight} x {assets} assets = {} > 1", min_weight * *assets as f64),
            Infeasibility::Bounds { min_weight, max_weight } => write!(f, "bounds min {min_weight} / max {max_weight} are not 0 <= min <= max"),
            Infeasibility::Solver { status } => write!(f, "solver reports {status}"),
            Infeasibility::MinActive { min_active, active } => {
                write!(f, "min_active {min_active}: the target holds {active} member(s)")
            }
            Infeasibility::MaxDrawdown { max_drawdown } => write!(f, "max_drawdown {max_drawdown}: every member fell further within the window"),
        }
    }
}

/// Why a method (or a fallback step) produced no weights.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightError {
    /// The window has `rows` rows; the step needs at least `needed`.
    InsufficientHistory { rows: usize, needed: usize },
    /// These columns hold a NaN (or infinite) return inside the window.
    NanReturns { assets: Vec<usize> },
    /// The covariance matrix is singular (or not positive definite) for the
    /// method: e.g. a zero-variance asset or collinear columns.
    SingularCovariance { detail: String },
    /// The constraint set is empty; the variant names the constraint.
    Infeasible(Infeasibility),
    /// No asset has a positive Sharpe ratio (or no feasible portfolio has a
    /// positive expected return): max-Sharpe and Sharpe-proportional weights
    /// are undefined.
    NoPositiveSharpe,
    /// The QP solver stopped without a solution (`status` is its status).
    SolverFailed { status: String },
    /// An iterative method did not converge to its tolerance.
    NotConverged { method: &'static str, iterations: usize, residual: f64 },
    /// No previous weights to keep (the last fallback step on a first
    /// rebalance).
    NoPrevious,
    /// A method produced a non-finite weight (a guard: never returned as a
    /// weight, always reported).
    NonFiniteWeights { method: &'static str },
    /// Malformed input: shapes, a parameter out of range.
    InvalidInput(String),
}

impl fmt::Display for WeightError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeightError::InsufficientHistory { rows, needed } => {
                write!(f, "insufficient history: {rows} rows, need {needed}")
            }
            WeightError::NanReturns { assets } => {
                write!(f, "NaN returns in the window for assets {assets:?}")
            }
            WeightError::SingularCovariance { detail } => {
                write!(f, "singular covariance: {detail}")
            }
            WeightError::Infeasible(c) => write!(f, "infeasible constraint set: {c}"),
            WeightError::NoPositiveSharpe => write!(f, "no positive Sharpe ratio is reachable"),
            WeightError::SolverFailed { status } => write!(f, "QP solver failed: {status}"),
            WeightError::NotConverged { method, iterations, residual } => {
                write!(f, "{method} did not converge in {iterations} iterations (residual {residual:e})")
            }
            WeightError::NoPrevious => write!(f, "no previous weights to keep"),
            WeightError::NonFiniteWeights { method } => {
                write!(f, "{method} produced a non-finite weight")
            }
            WeightError::InvalidInput(m) => write!(f, "invalid input: {m}"),
        }
    }
}

impl std::error::Error for WeightError {}

/// Checks a window (`rows x N`) for non-finite values and a minimum row
/// count; returns the window's shape `(rows, N)`.
///
/// Errors: [`WeightError::InvalidInput`] if `N == 0`,
/// [`WeightError::InsufficientHistory`] if `rows < min_rows`,
/// [`WeightError::NanReturns`] listing every column with a non-finite value.
pub fn check_window(window: ndarray::ArrayView2<f64>, min_rows: usize) -> Result<(usize, usize), WeightError> {
    let (rows, n) = window.dim();
    if n == 0 {
        return Err(WeightError::InvalidInput("no assets (0 columns)".into()));
    }
    if rows < min_rows {
        return Err(WeightError::InsufficientHistory { rows, needed: min_rows });
    }
    let bad: Vec<usize> = (0..n).filter(|&j| window.column(j).iter().any(|v| !v.is_finite())).collect();
    if !bad.is_empty() {
        return Err(WeightError::NanReturns { assets: bad });
    }
    Ok((rows, n))
}
