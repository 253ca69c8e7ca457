//! Strat standard library: indicator kernels, cross-sectional operations and
//! performance metrics as plain functions over `f64` slices, and portfolio
//! weighting methods on ndarray (clarabel for the constrained QPs).
//!
//! The numbers follow SEMANTICS.md (§4 metrics, §5 indicators, §6 weighting)
//! to ~1e-12; each item documents its shapes, units, NaN rules and the
//! reference convention (pandas / numpy) it matches.
//!
//! - [`rolling`]: window kernels (`sma`, `std`, `zscore`, `rolling_min`,
//!   `rolling_max`); the window at row `t` is `t-n+1 ..= t`.
//! - [`timeseries`]: path kernels (`ret`, `logret`, `lag`, `ema`, `drawdown`,
//!   `cumsum`, `cumprod`).
//! - [`metrics`]: the metrics of an evaluation window ([`metrics::metrics`]),
//!   the equity curve, the information ratio and type-7 percentiles.
//! - [`cross_section`]: per-bar functions across the assets of a panel.
//! - [`deflated_sharpe`]: the deflated Sharpe ratio (Bailey & López de Prado).
//! - [`simd`]: AVX2 copies of the hot column loops, chosen at run time.
//! - [`weighting`]: inverse vol, ERC, HRP, min-var / max-Sharpe, fractional
//!   Kelly, regime mixture of experts, constraints, fallbacks, schedules.
//!
//! Kernels write into a caller-provided `out` slice of the input's length; the
//! value at row `t` depends on rows `<= t` only (no look-ahead).

pub mod cross_section;
pub mod deflated_sharpe;
pub mod metrics;
pub mod periods;
pub mod rolling;
pub mod simd;
pub mod timeseries;
pub mod weighting;

#[cfg(test)]
mod testutil;
