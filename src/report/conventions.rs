//! The two metric conventions a user can switch to where Strat's differ from what users of
//! quantstats and empyrical know (spec/report.md, "Compared with empyrical and quantstats"):
//! a parametric (normal) VaR, and a per-period information ratio.

use crate::RunResult;
use serde::Serialize;

/// `Φ⁻¹(1 − 0.95)`, the 5 % quantile of the standard normal, as quantstats 0.0.86 computes it
/// (`scipy.stats.norm.ppf(1 - 0.95)`; `1 − 0.95` rounds to 0.050000000000000044).
pub const NORMAL_Q05: f64 = -1.6448536269514722;

/// How `var_95` is estimated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum VarMethod {
    /// The 5 % quantile of the returns, linear interpolation (empyrical's `value_at_risk`;
    /// SEMANTICS.md §4). The default.
    #[default]
    Historical,
    /// `mean + Φ⁻¹(0.05) · std(ddof = 1)`: a normal fitted to the returns (quantstats 0.0.86's
    /// `value_at_risk`, the variance-covariance method).
    Parametric,
}

/// How the information ratio is scaled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum InformationRatio {
    /// `mean(x − b) / std(x − b) · √P` (SEMANTICS.md §4). The default.
    #[default]
    Annualised,
    /// `mean(x − b) / std(x − b)`, one period's (empyrical 0.7.1's `excess_sharpe`, quantstats'
    /// `information_ratio`).
    PerPeriod,
}

/// The conventions of one run's figures; the default is SEMANTICS.md §4's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Conventions {
    /// How `var_95` (strategy and benchmark) is estimated.
    pub var_95: VarMethod,
    /// How the information ratio is scaled.
    pub information_ratio: InformationRatio,
}

impl Conventions {
    /// Whether these are SEMANTICS.md §4's (nothing to change, nothing to say).
    pub fn is_default(&self) -> bool {
        *self == Conventions::default()
    }

    /// Rewrites the figures of `r` that these conventions change: `var_95` of the strategy and of
    /// the benchmark (from their returns, so `r`'s metrics no longer say §4's), and the
    /// information ratio (with a benchmark). Every other figure is left as it is.
    pub fn apply(&self, r: &mut RunResult) {
        let bt = &mut r.backtest;
        if self.var_95 == VarMethod::Parametric {
            bt.metrics.var_95 = parametric_var_95(&bt.returns);
            if let (Some(m), Some(b)) = (bt.benchmark.as_mut(), bt.benchmark_returns.as_deref()) {
                m.var_95 = parametric_var_95(b);
            }
        }
        if self.information_ratio == InformationRatio::PerPeriod {
            if let Some(b) = bt.benchmark_returns.as_deref() {
                bt.information_ratio = strat_stdlib::metrics::information_ratio(&bt.returns, b, 1.0);
            }
        }
    }

    /// One sentence naming the conventions that differ from §4's (empty for the default).
    pub fn describe(&self) -> String {
        let mut parts = vec![];
        if self.var_95 == VarMethod::Parametric {
            parts.push("var_95 is parametric (normal: mean + Φ⁻¹(0.05) · std, as quantstats)");
        }
        if self.information_ratio == InformationRatio::PerPeriod {
            parts.push("the information ratio is per period (not annualised, as empyrical's excess Sharpe)");
        }
        parts.join("; ")
    }
}

/// Parametric 95 % VaR of `returns` (fractions, one per bar): `mean + Φ⁻¹(0.05) · std(ddof = 1)`,
/// quantstats 0.0.86's `value_at_risk(returns, sigma=1, confidence=0.95)`. NaN with fewer than 2
/// returns or a NaN among them.
pub fn parametric_var_95(returns: &[f64]) -> f64 {
    if returns.len() < 2 {
        return f64::NAN;
    }
    strat_stdlib::metrics::mean(returns) + NORMAL_Q05 * strat_stdlib::metrics::std_ddof1(returns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parametric_var_is_the_normal_quantile() {
        // mean 0.01; deviations −0.02, 0, 0.02, so the sample std is √(0.0008 / 2) = 0.02.
        let x = [-0.01, 0.01, 0.03];
        let (m, s) = (0.01, 0.02);
        assert!((parametric_var_95(&x) - (m + NORMAL_Q05 * s)).abs() < 1e-15);
        assert!(parametric_var_95(&[0.1]).is_nan());
        assert!(Conventions::default().is_default());
        assert_eq!(Conventions::default().describe(), "");
    }
}
