//! The declarations of a `weights` statement (spec/language.md "Weights"): the method, its
//! options (literals or params), the covariance estimator and the fallback chain. Expression-free,
//! so the checker builds them and the runtime's weighting engine reads them as they are.

use super::RebalanceRule;
use strat_grammar::Span;

/// A number in a weighting option: a literal, or a param (fixed for one run, sweepable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptValue {
    /// A literal (units applied: `40%` is 0.4).
    Const(f64),
    /// A param, by index into [`super::Program::params`].
    Param(usize),
}

impl OptValue {
    /// The value under `params` (one value per declared param).
    pub fn value(self, params: &[f64]) -> f64 {
        match self {
            OptValue::Const(v) => v,
            OptValue::Param(p) => params.get(p).copied().unwrap_or(f64::NAN),
        }
    }
}

/// The values a numeric weighting option accepts: one definition for the checker (literals, at
/// `strat check`) and the runtime (params, when a run binds them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OptionRange {
    /// Lower bound.
    pub lo: f64,
    /// Whether `lo` itself is accepted.
    pub lo_inclusive: bool,
    /// Upper bound (infinite: none).
    pub hi: f64,
    /// Whether `hi` itself is accepted.
    pub hi_inclusive: bool,
    /// Whether the value must be a whole number (a count: no unit either).
    pub whole: bool,
}

impl OptionRange {
    const fn new(lo: f64, lo_inclusive: bool, hi: f64, hi_inclusive: bool, whole: bool) -> OptionRange {
        OptionRange { lo, lo_inclusive, hi, hi_inclusive, whole }
    }
    /// A fraction in (0, 1]: `max_weight`, `max_drawdown`, `smooth ewma`, the Kelly fraction.
    pub const UNIT: OptionRange = OptionRange::new(0.0, false, 1.0, true, false);
    /// `min_weight`: [0, 1).
    pub const MIN_WEIGHT: OptionRange = OptionRange::new(0.0, true, 1.0, false, false);
    /// A positive finite number: `turnover`, `max_leverage`, `vol_target`, `tau`.
    pub const POSITIVE: OptionRange = OptionRange::new(0.0, false, f64::INFINITY, false, false);
    /// `lookback`, `min_history`: a whole number of returns >= 2.
    pub const WINDOW: OptionRange = OptionRange::new(2.0, true, 1e9, true, true);
    /// `min_active`: a whole number >= 1.
    pub const COUNT: OptionRange = OptionRange::new(1.0, true, 1e9, true, true);
    /// The EWMA covariance span: >= 1.
    pub const SPAN: OptionRange = OptionRange::new(1.0, true, f64::INFINITY, false, false);

    /// Whether `x` is accepted (NaN never is).
    pub fn contains(&self, x: f64) -> bool {
        let above = x > self.lo || (self.lo_inclusive && x == self.lo);
        let below = x < self.hi || (self.hi_inclusive && x == self.hi);
        above && below && (!self.whole || x.fract() == 0.0)
    }

    /// The range in words: `a whole number >= 2 and <= 1000000000`, `> 0 and <= 1`.
    pub fn describe(&self) -> String {
        let lo = if self.lo_inclusive { format!(">= {}", self.lo) } else { format!("> {}", self.lo) };
        let hi = if self.hi.is_infinite() {
            String::new()
        } else if self.hi_inclusive {
            format!(" and <= {}", self.hi)
        } else {
            format!(" and < {}", self.hi)
        };
        let whole = if self.whole { "a whole number " } else { "" };
        format!("{whole}{lo}{hi}")
    }
}

/// A weighting method (SEMANTICS.md §6; spec/language.md "Weights").
#[derive(Debug, Clone, PartialEq)]
pub enum WeightMethod {
    /// `inv_vol`: `w ∝ 1/sigma`.
    InvVol,
    /// `erc`: equal risk contribution.
    Erc,
    /// `hrp` / `hrp(linkage = single | ward)`.
    Hrp {
        /// Ward linkage instead of single.
        ward: bool,
    },
    /// `min_var`, within the `max_weight` / `min_weight` bounds.
    MinVar,
    /// `max_sharpe`, within the bounds (min-var when no positive Sharpe is reachable).
    MaxSharpe,
    /// `kelly(base = METHOD, fraction = F)`: fractional Kelly scaling of a base method.
    Kelly {
        /// The base method.
        base: Box<WeightMethod>,
        /// The Kelly fraction (0.25 by default).
        fraction: OptValue,
    },
    /// `regime_moe(R, tau = T)`: the regime mixture of experts over regime `R` (index
    /// into [`super::Program::regimes`]).
    RegimeMoe {
        /// The regime.
        regime: usize,
        /// The softmax temperature, in annualised-Sharpe units (1 by default).
        tau: OptValue,
    },
}

/// The method of a `weights` declaration: one method, or a choice param over method names.
#[derive(Debug, Clone, PartialEq)]
pub enum MethodChoice {
    /// `by erc`.
    Fixed(WeightMethod),
    /// `by m` with `param m in [inv_vol, erc, ...]`: the param's choice `i` selects `methods[i]`.
    Param {
        /// The choice param.
        param: usize,
        /// One method per choice.
        methods: Vec<WeightMethod>,
    },
}

/// The covariance estimator of a `weights` declaration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CovarianceChoice {
    /// `sample` (ddof 1; the default).
    Sample,
    /// `ledoit_wolf` (scikit-learn's `ledoit_wolf`).
    LedoitWolf,
    /// `ewma(span = N)`.
    Ewma {
        /// The span `N` (`alpha = 2 / (N + 1)`).
        span: OptValue,
    },
}

/// A step of the fallback chain (SEMANTICS.md §6 "Strategy weighting"; spec/language.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FallbackChoice {
    /// `sharpe_proportional`
    SharpeProportional,
    /// `equal`
    Equal,
    /// `previous`
    Previous,
}

/// What a `weights` declaration weights.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightMembersRef {
    /// Sleeves (indices into [`super::Program::sleeves`]), weighting their return series.
    Sleeves(Vec<usize>),
    /// The assets of a universe, weighting their simple returns.
    Universe(usize),
}

/// `weights NAME = MEMBERS by METHOD ...`: a weight path over sleeves or a universe's assets,
/// recomputed on the rebalance rows from a trailing window of returns (spec/language.md).
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsDecl {
    /// Name.
    pub name: String,
    /// What is weighted.
    pub members: WeightMembersRef,
    /// The members' names, in order (sleeve names, or the universe's assets).
    pub member_names: Vec<String>,
    /// The method.
    pub method: MethodChoice,
    /// Returns per window (`lookback`, default 60).
    pub lookback: OptValue,
    /// When the method runs (default monthly).
    pub rebalance: RebalanceRule,
    /// Covariance estimator (default sample).
    pub covariance: CovarianceChoice,
    /// `constrain max_weight X` (bounds of min-var / max-Sharpe; default 1).
    pub max_weight: Option<OptValue>,
    /// `constrain min_weight X` (default 0).
    pub min_weight: Option<OptValue>,
    /// `constrain turnover X`: the cap on `||w_t - w_{t-1}||_1` per rebalance (default none).
    pub turnover: Option<OptValue>,
    /// `constrain max_leverage X`: the cap on gross exposure `sum |w|` (Kelly's cap, default 2).
    pub max_leverage: Option<OptValue>,
    /// `constrain min_history K`: members with fewer than K trailing returns in the window are
    /// left out of a rebalance instead of failing it (default: any NaN fails the method).
    pub min_history: Option<OptValue>,
    /// `constrain min_active K`: a target with fewer than K positive weights falls back.
    pub min_active: Option<OptValue>,
    /// `constrain max_drawdown X`: members whose drawdown within the window is worse than -X
    /// are excluded (weight 0) at that rebalance.
    pub max_drawdown: Option<OptValue>,
    /// `constrain vol_target X`: the target is scaled to an annualised portfolio volatility X.
    pub vol_target: Option<OptValue>,
    /// `smooth ewma A`: `w = A target + (1 - A) previous` (default 1: no smoothing).
    pub smoothing: Option<OptValue>,
    /// The fallback chain, in order (default: sharpe_proportional, equal, previous).
    pub fallback: Vec<FallbackChoice>,
    /// Where it is declared.
    pub span: Span,
}

impl WeightsDecl {
    /// The params this declaration's weights depend on (method choice and option values).
    pub fn params(&self) -> Vec<usize> {
        let mut v = vec![];
        let mut opt = |o: &Option<OptValue>| {
            if let Some(OptValue::Param(p)) = o {
                v.push(*p);
            }
        };
        opt(&Some(self.lookback));
        opt(&self.max_weight);
        opt(&self.min_weight);
        opt(&self.turnover);
        opt(&self.max_leverage);
        opt(&self.min_history);
        opt(&self.min_active);
        opt(&self.max_drawdown);
        opt(&self.vol_target);
        opt(&self.smoothing);
        if let CovarianceChoice::Ewma { span } = self.covariance {
            opt(&Some(span));
        }
        fn method_params(m: &WeightMethod, v: &mut Vec<usize>) {
            match m {
                WeightMethod::Kelly { base, fraction } => {
                    if let OptValue::Param(p) = fraction {
                        v.push(*p);
                    }
                    method_params(base, v);
                }
                WeightMethod::RegimeMoe { tau: OptValue::Param(p), .. } => v.push(*p),
                _ => {}
            }
        }
        match &self.method {
            MethodChoice::Fixed(m) => method_params(m, &mut v),
            MethodChoice::Param { param, methods } => {
                v.push(*param);
                for m in methods {
                    method_params(m, &mut v);
                }
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// The regimes its methods read (for `regime_moe`).
    pub fn regimes(&self) -> Vec<usize> {
        fn of(m: &WeightMethod, v: &mut Vec<usize>) {
            match m {
                WeightMethod::RegimeMoe { regime, .. } => v.push(*regime),
                WeightMethod::Kelly { base, .. } => of(base, v),
                _ => {}
            }
        }
        let mut v = vec![];
        match &self.method {
            MethodChoice::Fixed(m) => of(m, &mut v),
            MethodChoice::Param { methods, .. } => methods.iter().for_each(|m| of(m, &mut v)),
        }
        v.sort_unstable();
        v.dedup();
        v
    }
}

impl WeightMethod {
    /// The method's name as written in a program and printed in results (`hrp_ward` for
    /// `hrp(linkage = ward)`).
    pub fn name(&self) -> &'static str {
        match self {
            WeightMethod::InvVol => "inv_vol",
            WeightMethod::Erc => "erc",
            WeightMethod::Hrp { ward: false } => "hrp",
            WeightMethod::Hrp { ward: true } => "hrp_ward",
            WeightMethod::MinVar => "min_var",
            WeightMethod::MaxSharpe => "max_sharpe",
            WeightMethod::Kelly { .. } => "kelly",
            WeightMethod::RegimeMoe { .. } => "regime_moe",
        }
    }
}
