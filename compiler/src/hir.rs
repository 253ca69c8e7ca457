//! The typed high-level IR: the program after name resolution and type checking. Names are
//! resolved to indices, every expression carries its [`Type`] and span. `ast_to_hir` builds it
//! (see [`crate::check`]); `hir_to_plan` lowers it (see [`crate::lower`]).

use crate::builtins::Builtin;
use crate::types::Type;
use strat_grammar::ast::{BinOp, UnOp};
use strat_grammar::Span;

/// The expression-free declarations live in [`crate::program`]; re-exported here so the checker
/// builds them under their HIR names.
pub use crate::program::{
    ColumnRef, CovarianceChoice, DataSource, FallbackChoice, Holding, LimitKind, MethodChoice, OptValue, OptionRange, PanelLayout, PanelRef, PanelSource,
    ParamDomain, RebalanceRule, UniverseDecl, WeightMembersRef, WeightMethod, WeightsDecl,
};

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
    /// A point-in-time panel (a field of a long source, or a wide source).
    Panel(PanelRef),
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
    /// A value of the strategy's own path (`own.equity`, ...): portfolio stage only.
    Own(crate::program::OwnValue),
    /// Whether kill switch `k` (index into [`Hir::kills`]) is active: portfolio stage only.
    Kill(usize),
}

impl HExpr {
    /// Whether the expression reads an own-path value or a kill switch (SEMANTICS.md §3b),
    /// directly or through a `let` of `lets`; `memo` (one slot per let) caches the lets' answers.
    pub fn reads_own(&self, lets: &[LetDecl], memo: &mut [Option<bool>]) -> bool {
        match &self.kind {
            HKind::Own(_) | HKind::Kill(_) => true,
            HKind::Let(i) => {
                if let Some(v) = memo.get(*i).copied().flatten() {
                    return v;
                }
                let v = lets.get(*i).is_some_and(|l| l.value.reads_own(lets, memo));
                if let Some(m) = memo.get_mut(*i) {
                    *m = Some(v);
                }
                v
            }
            HKind::Unary(_, x) => x.reads_own(lets, memo),
            HKind::Binary(_, a, b) | HKind::Lag(a, b) => a.reads_own(lets, memo) || b.reads_own(lets, memo),
            HKind::If(c, a, b) => c.reads_own(lets, memo) || a.reads_own(lets, memo) || b.reads_own(lets, memo),
            HKind::Tiers(x, arms, d) => {
                x.reads_own(lets, memo) || d.reads_own(lets, memo) || arms.iter().any(|(_, t, v)| t.reads_own(lets, memo) || v.reads_own(lets, memo))
            }
            HKind::Call(_, args) => args.iter().any(|a| a.reads_own(lets, memo)),
            HKind::Const(_) | HKind::Param(_) | HKind::Column(_) | HKind::Universe(_) | HKind::Panel(_) | HKind::Regime(_) | HKind::Weights(_) => false,
        }
    }
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

/// A checked `cost` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct CostDecl {
    /// The rate per unit traded (a fraction).
    pub rate: HExpr,
    /// The named model it expands, if any (`impact`).
    pub model: Option<String>,
    /// Extra expressions whose warm-up delays the book (a named model's volatility and ADV).
    pub warmup: Vec<HExpr>,
    /// The statement.
    pub span: Span,
}

/// A checked `kill` statement (SEMANTICS.md §3b).
#[derive(Debug, Clone, PartialEq)]
pub struct KillDecl {
    /// The switch's name.
    pub name: String,
    /// The trip condition (bool series).
    pub trip: HExpr,
    /// The release condition (bool series).
    pub release: HExpr,
    /// The scale while active (const or param, a fraction).
    pub scale: HExpr,
    /// The statement.
    pub span: Span,
}

/// A checked `target_vol` statement (spec/semantics.md, "Volatility target and position limits").
#[derive(Debug, Clone, PartialEq)]
pub struct VolTargetDecl {
    /// The annualised volatility to hit (const or param, a fraction > 0).
    pub target: HExpr,
    /// How many of the book's own returns the realised volatility is measured on (const or
    /// param, a whole number >= 2).
    pub lookback: HExpr,
    /// The largest scale (const or param, > 0).
    pub cap: HExpr,
    /// The statement.
    pub span: Span,
}

/// A checked `limit` statement.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitDecl {
    /// What it bounds.
    pub kind: LimitKind,
    /// The bound (const or param, a fraction > 0).
    pub value: HExpr,
    /// The statement.
    pub span: Span,
}

/// A checked `cash` statement (spec/semantics.md, "Cash and financing").
#[derive(Debug, Clone, PartialEq)]
pub struct CashDecl {
    /// The annualised rate the book's uninvested equity earns, a fraction: a number (a const, a
    /// param, an expression of them) or a series, read at the close of the bar before the one it
    /// accrues over.
    pub rate: HExpr,
    /// The annualised spread over the rate paid on a negative cash balance (const or param, a
    /// fraction >= 0; the constant 0 when the clause is absent).
    pub financing: HExpr,
    /// The annualised fee paid on short positions (const or param, a fraction >= 0; the
    /// constant 0 when the clause is absent).
    pub borrow: HExpr,
    /// The statement.
    pub span: Span,
}

/// A checked `alert` statement (SEMANTICS.md §3b).
#[derive(Debug, Clone, PartialEq)]
pub struct AlertDecl {
    /// The alert's name.
    pub name: String,
    /// The condition (a bool series; NaN counts as false).
    pub when: HExpr,
    /// The condition as written (on one line).
    pub text: String,
    /// The values the condition reads, each with its source text: the operands of its
    /// comparisons, and the conditions it combines that are not comparisons, that are not
    /// literals, in source order without repeats (what `strat monitor`
    /// prints beside a firing alert).
    pub values: Vec<(String, HExpr)>,
    /// The statement.
    pub span: Span,
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
    /// Point-in-time panel sources in declaration order.
    pub panels: Vec<PanelSource>,
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
    /// `benchmark SLEEVE`: the sleeve (index into [`Hir::sleeves`]) benchmarked against.
    pub benchmark_sleeve: Option<usize>,
    /// The cost rate per unit traded (SEMANTICS.md §3): a scalar (flat), or a series or panel
    /// (per asset and bar; may read `own.trade` and `own.equity`). A named model is already
    /// expanded into its formula. `None` without a `cost` statement.
    pub cost: Option<CostDecl>,
    /// `capital X` (a const or param scalar), if declared.
    pub capital: Option<HExpr>,
    /// Kill switches in declaration order.
    pub kills: Vec<KillDecl>,
    /// `target_vol`, if declared.
    pub vol_target: Option<VolTargetDecl>,
    /// Position limits, in the order they apply (gross, then net).
    pub limits: Vec<LimitDecl>,
    /// `cash`, if declared.
    pub cash: Option<CashDecl>,
    /// Whether the program's `hold` (of a series or a universe) drifts between its rebalances.
    pub drift: bool,
    /// Alerts in declaration order.
    pub alerts: Vec<AlertDecl>,
    /// Periods per year for annualised metrics (default 252).
    pub annualize: f64,
    /// User statistics.
    pub reports: Vec<ReportDecl>,
}
