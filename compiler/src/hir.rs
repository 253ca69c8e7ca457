//! The typed high-level IR: the program after name resolution and type checking. Names are
//! resolved to indices, every expression carries its [`Type`] and span. `ast_to_hir` builds it
//! (see [`crate::check`]); `hir_to_plan` lowers it (see [`crate::lower`]).

use crate::builtins::Builtin;
use crate::types::Type;
use strat_grammar::ast::{BinOp, UnOp};
use strat_grammar::Span;

/// A data column: source index into [`Hir::data`] and the column name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnRef {
    /// Index into [`Hir::data`].
    pub source: usize,
    /// Column name in that source's file.
    pub column: String,
}

/// `data NAME = csv("path")`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// The source's name in the program.
    pub name: String,
    /// The path as written (relative to the `.strat` file).
    pub path: String,
    /// Where the path was written.
    pub path_span: Span,
    /// The columns the file has (after `date`), as read by the host.
    pub columns: Vec<String>,
}

/// `universe NAME = csv("path"[, [assets]])`: a panel of prices, one column per asset.
#[derive(Debug, Clone, PartialEq)]
pub struct UniverseDecl {
    /// The universe's name in the program.
    pub name: String,
    /// The path as written (relative to the `.strat` file).
    pub path: String,
    /// Where the path was written.
    pub path_span: Span,
    /// The assets (column names), in order: the selection, or every column of the file.
    pub assets: Vec<String>,
}

/// The values a parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamDomain {
    /// One value (`param x = 3`).
    Fixed,
    /// A list to sweep (`in [..]` or `in a ..= b step s`, expanded; SEMANTICS.md §0 decimals).
    Values(Vec<f64>),
    /// Named choices (`in [long_only, hedge]`); the value is the choice's index.
    Choices(Vec<String>),
}

/// `param NAME = literal` or `param NAME in DOMAIN [when COND]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Name.
    pub name: String,
    /// Default value (the literal, or the first value of the domain).
    pub default: f64,
    /// The values a sweep takes.
    pub domain: ParamDomain,
    /// `when COND`: the param varies only in bindings where COND (over earlier params) holds;
    /// elsewhere it keeps its default.
    pub when: Option<HExpr>,
    /// Index into [`Hir::regimes`] of the enum type of a choice param.
    pub choice_enum: Option<usize>,
    /// The literal as written.
    pub text: String,
    /// Where the declaration is.
    pub span: Span,
    /// Where the name is.
    pub name_span: Span,
}

/// `regime NAME { ARM when cond ... ARM otherwise }`, or the value set of a choice param
/// (`param mode in [a, b]`, then `param` is its index and `conds` is empty).
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeDecl {
    /// For the enum of a choice param: that param's index.
    pub param: Option<usize>,
    /// Name.
    pub name: String,
    /// Arm names; the value of the regime on a bar is the index of the first arm that matches.
    pub arms: Vec<String>,
    /// Conditions, `None` for the final `otherwise`.
    pub conds: Vec<Option<HExpr>>,
    /// Where the declaration is.
    pub span: Span,
}

/// `let NAME = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct LetDecl {
    /// Name.
    pub name: String,
    /// Value.
    pub value: HExpr,
    /// Where the declaration is.
    pub span: Span,
    /// Where the name is.
    pub name_span: Span,
}

/// `report NAME = expr`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportDecl {
    /// Name (the JSON key under `reports`).
    pub name: String,
    /// The expression averaged over the evaluated decision rows.
    pub value: HExpr,
    /// Where the declaration is.
    pub span: Span,
}

/// A typed expression.
#[derive(Debug, Clone, PartialEq)]
pub struct HExpr {
    /// What it is.
    pub kind: HKind,
    /// Its type.
    pub ty: Type,
    /// Where it was written.
    pub span: Span,
}

/// Typed expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum HKind {
    /// A number (bools are 0/1, regime arms their index).
    Const(f64),
    /// A parameter by index into [`Hir::params`].
    Param(usize),
    /// A data column.
    Column(ColumnRef),
    /// A universe's prices (a panel).
    Universe(usize),
    /// A `let` by index into [`Hir::lets`].
    Let(usize),
    /// A regime's value by index into [`Hir::regimes`].
    Regime(usize),
    /// `-x`, `not b`.
    Unary(UnOp, Box<HExpr>),
    /// `a OP b`.
    Binary(BinOp, Box<HExpr>, Box<HExpr>),
    /// `if c then a else b`.
    If(Box<HExpr>, Box<HExpr>, Box<HExpr>),
    /// `tiers(x) { OP t => v ... else => d }`.
    Tiers(Box<HExpr>, Vec<(BinOp, HExpr, HExpr)>, Box<HExpr>),
    /// A builtin call.
    Call(Builtin, Vec<HExpr>),
    /// `x[k]`: the value k bars ago.
    Lag(Box<HExpr>, Box<HExpr>),
    /// The held weights of a `weights` declaration over a universe (index into [`Hir::weights`]).
    Weights(usize),
}

/// When a hold's target weights change (SEMANTICS.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebalanceRule {
    /// Every bar (the default): weights are reset to target daily.
    Daily,
    /// The last row of each calendar month.
    Monthly,
    /// The last row of each ISO week.
    Weekly,
    /// Every N rows counting from the first live row.
    Every(usize),
}

/// What a `hold` trades: one price column or a universe.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holding {
    /// A single price series.
    Column(ColumnRef),
    /// Every asset of a universe.
    Universe(usize),
}

/// A `hold`: what is traded, the target weights, and when they change.
#[derive(Debug, Clone, PartialEq)]
pub struct HoldDecl {
    /// What is traded.
    pub target: Holding,
    /// The target weight (fraction of equity; 1 = fully invested; a panel for a universe).
    pub weight: HExpr,
    /// When the target weights change.
    pub rebalance: RebalanceRule,
}

/// `sleeve NAME { hold ... }`: a sub-strategy whose return series an ensemble mixes.
#[derive(Debug, Clone, PartialEq)]
pub struct SleeveDecl {
    /// Name.
    pub name: String,
    /// Its hold.
    pub hold: HoldDecl,
    /// Where it is declared.
    pub span: Span,
}

/// `ensemble by REGIME { ARM => c1 * s1 + c2 * s2 ... }`: on each bar, the arm of the regime at
/// the previous close allocates `c_k` of equity to sleeve `k`; the remainder is cash.
#[derive(Debug, Clone, PartialEq)]
pub struct EnsembleDecl {
    /// The regime (index into [`Hir::regimes`]).
    pub regime: usize,
    /// For each arm of the regime (by arm index): (sleeve index, coefficient) pairs.
    pub arms: Vec<Vec<(usize, HExpr)>>,
}

/// What the strategy trades.
#[derive(Debug, Clone, PartialEq)]
pub enum Book {
    /// `hold ...`
    Hold(HoldDecl),
    /// `ensemble by ...`
    Ensemble(EnsembleDecl),
    /// `hold [s1, s2, ...] weight W`: sleeves weighted by the sleeve weights `W` (index into
    /// [`Hir::weights`]); the sleeves are `W`'s members, in order.
    SleeveWeights(usize),
}

/// A number in a weighting option: a literal, or a param (fixed for one run, sweepable).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OptValue {
    /// A literal (units applied: `40%` is 0.4).
    Const(f64),
    /// A param, by index into [`Hir::params`].
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
    /// into [`Hir::regimes`]).
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
    /// Sleeves (indices into [`Hir::sleeves`]), weighting their return series.
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

/// The typed program.
#[derive(Debug, Clone, PartialEq)]
pub struct Hir {
    /// `strategy NAME` (or the file stem).
    pub name: String,
    /// Data sources in declaration order.
    pub data: Vec<DataSource>,
    /// Universes (panels) in declaration order.
    pub universes: Vec<UniverseDecl>,
    /// Parameters in declaration order.
    pub params: Vec<ParamDecl>,
    /// Regimes in declaration order.
    pub regimes: Vec<RegimeDecl>,
    /// Lets in declaration order (a let only refers to earlier ones).
    pub lets: Vec<LetDecl>,
    /// What the strategy trades: a hold, or an ensemble of sleeves.
    pub book: Book,
    /// Sleeves in declaration order.
    pub sleeves: Vec<SleeveDecl>,
    /// `weights` declarations in declaration order.
    pub weights: Vec<WeightsDecl>,
    /// `where` constraints between params.
    pub constraints: Vec<HExpr>,
    /// `from DATE` (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// `to DATE` (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// The benchmark price column, if declared.
    pub benchmark: Option<ColumnRef>,
    /// Cost per unit of turnover, as a fraction (`2bps` = 0.0002).
    pub cost_rate: f64,
    /// Periods per year for annualised metrics (default 252).
    pub annualize: f64,
    /// User statistics.
    pub reports: Vec<ReportDecl>,
}
