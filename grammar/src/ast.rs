//! The abstract syntax tree of a `.strat` file. Every node keeps its [`Span`]; statements also
//! keep their source text (via the span) so tools can print a program back with its comments.
//! The AST knows nothing of types or evaluation.

use crate::span::Span;

/// A parsed `.strat` file: its statements in source order.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// Statements in the order written.
    pub stmts: Vec<Stmt>,
}

/// A name as written, with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The name.
    pub name: String,
    /// Where it was written.
    pub span: Span,
}

/// One statement and its span (the whole statement).
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What kind of statement.
    pub kind: StmtKind,
    /// The statement's full extent in the source.
    pub span: Span,
}

/// A whole number of calendar days as written (`90d`, `-5d`: the checker rejects a negative lag).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Days {
    /// The number of days (negative when written with `-`).
    pub days: i64,
    /// Where it was written.
    pub span: Span,
}

/// The statements of language v0 (see `spec/language.md`).
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `strategy NAME`
    Strategy { name: Ident },
    /// `data NAME = csv("path") [asof]`; `format` is the source function (`csv`); `asof` (its
    /// span) joins the source as of each bar's date instead of on it.
    Data { name: Ident, format: Ident, path: String, path_span: Span, asof: Option<Span> },
    /// `universe NAME = csv("path")` or `csv("path", [a, b])`: a panel, one column per asset.
    Universe { name: Ident, format: Ident, path: String, path_span: Span, columns: Option<Vec<Ident>> },
    /// `panel NAME = csv("path") [on UNIVERSE] [available COLUMN] [lag Nd]`: a point-in-time
    /// panel (SEMANTICS.md §3c) from a long file (`date, ticker, fields...`) or a wide one.
    Panel { name: Ident, format: Ident, path: String, path_span: Span, on: Option<Ident>, available: Option<Ident>, lag: Option<Days> },
    /// `param NAME = literal` or `param NAME in DOMAIN [when COND]`.
    Param { name: Ident, value: ParamValue },
    /// `sleeve NAME { hold ... }`: a named sub-strategy whose return series an ensemble mixes.
    Sleeve { name: Ident, hold: Box<Stmt> },
    /// `ensemble by REGIME { ARM => 0.7 * a + 0.3 * b ... }`.
    Ensemble { regime: Ident, arms: Vec<(Ident, Expr)> },
    /// `where COND`: a constraint between params; bindings where it is false are skipped.
    Where { cond: Expr },
    /// `from DATE`: the study starts at the first row on or after DATE.
    From { date: String, span: Span },
    /// `to DATE`: the study ends at the last row on or before DATE.
    To { date: String, span: Span },
    /// `let NAME = expr`
    Let { name: Ident, value: Expr },
    /// `regime NAME { ARM when cond ... ARM otherwise }`
    Regime { name: Ident, arms: Vec<RegimeArm> },
    /// `hold SERIES weight EXPR [rebalance ...]`
    /// `drift` (after the rebalance clause) keeps the positions between rebalances, so that the
    /// weights float with prices (spec/semantics.md §13, "Drift"); its span when written.
    Hold { target: Expr, weight: Expr, rebalance: Option<Rebalance>, drift: Option<Span> },
    /// `hold [s1, s2, ...] weight W`: a book of sleeves weighted by the sleeve weights `W`.
    HoldSleeves { sleeves: Vec<Ident>, weight: Expr, rebalance: Option<Rebalance> },
    /// `weights NAME = MEMBERS by METHOD CLAUSES...`: a portfolio weighting (spec/language.md).
    Weights { name: Ident, members: WeightMembers, method: MethodSpec, clauses: Vec<WeightClause> },
    /// `cost RATE` (SEMANTICS.md §3): a flat rate (`cost 2bps`), a rate expression per asset and
    /// bar, or a named model (`cost impact(volume = vol, ...)`).
    Cost { cost: CostSpec },
    /// `capital X`: the book's starting capital in currency units, which a cost model compares
    /// with a volume (a trade's notional is `|Δw| * capital * own equity`).
    Capital { value: Expr },
    /// `kill NAME when TRIP release when RELEASE scale SCALE` (SEMANTICS.md §3b): a latch on the
    /// strategy's own path. `release` and `scale` are optional in the syntax so that the checker
    /// can say what is missing.
    Kill { name: Ident, trip: Expr, release: Option<Expr>, scale: Option<Expr> },
    /// `target_vol TARGET lookback N cap C` (spec/semantics.md): scale the book so that the
    /// realised volatility of its own returns over the last `N` rows hits `TARGET`, at most `C`
    /// times. `lookback` and `cap` are optional in the syntax so that the checker can say what
    /// is missing.
    VolTarget { target: Expr, lookback: Option<Expr>, cap: Option<Expr> },
    /// `limit KIND VALUE` (`limit gross 150%`, `limit net 100%`): a position limit applied after
    /// every scaling. The kind is checked by the checker.
    Limit { kind: Ident, value: Expr },
    /// `cash RATE financing SPREAD borrow FEE` (spec/semantics.md, "Cash and financing"): the
    /// annualised rate (a fraction; a number, series or param) that the book's uninvested equity
    /// earns, the spread over it paid on a negative cash balance, and the fee paid on short
    /// positions. Both clauses are optional (0).
    Cash { rate: Expr, financing: Option<Expr>, borrow: Option<Expr> },
    /// `alert NAME when COND` (SEMANTICS.md §3b): a condition checked on every bar from the
    /// first live one, the last included; `strat monitor` reports whether it holds on the last.
    Alert { name: Ident, when: Expr },
    /// `annualize N` (periods per year)
    Annualize { periods: Literal },
    /// `benchmark SERIES`
    Benchmark { target: Expr },
    /// `report NAME = expr`
    Report { name: Ident, value: Expr },
    /// `use "PATH" as NAME [with P = V, Q in [...], ...]`: another program's book as the sleeve
    /// `NAME` (spec/language.md "use"); `PATH` is relative to this file's folder. The compiler
    /// replaces it by the used program's declarations before checking.
    Use { path: String, path_span: Span, alias: Ident, overrides: Vec<UseOverride> },
}

/// One param override of a `use`: `NAME = VALUE` (a [`ParamValue::Fixed`] number, or a
/// one-choice [`ParamValue::Choices`]) or `NAME in DOMAIN`.
#[derive(Debug, Clone, PartialEq)]
pub struct UseOverride {
    /// The used program's param.
    pub name: Ident,
    /// Its value or domain in this program.
    pub value: ParamValue,
    /// The whole override.
    pub span: Span,
}

/// A parameter's value: one default, or a domain to sweep.
/// What a `cost` statement charges.
#[derive(Debug, Clone, PartialEq)]
pub enum CostSpec {
    /// A rate per unit traded: a literal (`2bps`), a param, or an expression per asset and bar.
    Rate(Expr),
    /// A named model with named arguments: `impact(volume = vol, base = 2bps, ...)`.
    Model(CostModel),
}

/// A named cost model call: `NAME(key = expr, ...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct CostModel {
    /// The model's name.
    pub name: Ident,
    /// The named arguments, in source order.
    pub args: Vec<(Ident, Expr)>,
    /// The whole call.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// `= literal`
    Fixed(Literal),
    /// `in [a, b, c]` (numbers).
    List(Vec<Literal>, Option<Expr>),
    /// `in [x, y, z]` (names: an enumerated parameter).
    Choices(Vec<Ident>, Option<Expr>),
    /// `in a ..= b step s`.
    Range { start: Literal, end: Literal, step: Literal, when: Option<Expr> },
}

/// When a `hold`'s target weights change.
#[derive(Debug, Clone, PartialEq)]
pub enum Rebalance {
    /// On the last row of each calendar month (SEMANTICS.md §1).
    Monthly(Span),
    /// On the last row of each ISO week.
    Weekly(Span),
    /// Every N rows, counting from the first live row.
    Every(Literal),
}

/// What a `weights` declaration weights: a list of sleeves, or a universe's assets.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightMembers {
    /// `[a, b, c]` (sleeves), with the list's span.
    List(Vec<Ident>, Span),
    /// `NAME` (a universe).
    Name(Ident),
}

/// `name` or `name(arg, key = value, ...)`: a weighting method or a covariance estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSpec {
    /// The method's name.
    pub name: Ident,
    /// Its options, in order.
    pub args: Vec<MethodArg>,
    /// The whole spec.
    pub span: Span,
}

/// One option of a [`MethodSpec`]: positional (`ward`) or named (`linkage = ward`).
#[derive(Debug, Clone, PartialEq)]
pub struct MethodArg {
    /// The option's name, if written.
    pub key: Option<Ident>,
    /// Its value.
    pub value: OptionValue,
    /// The whole option.
    pub span: Span,
}

/// The value of a weighting option: a number or a name (a param, a regime, a choice).
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A number literal (`60`, `40%`).
    Number(Literal),
    /// A name.
    Name(Ident),
}

impl OptionValue {
    /// Where the value was written.
    pub fn span(&self) -> Span {
        match self {
            OptionValue::Number(l) => l.span,
            OptionValue::Name(i) => i.span,
        }
    }
}

/// A clause of a `weights` declaration; each carries the clause's span.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightClause {
    /// `lookback N`
    Lookback(OptionValue, Span),
    /// `rebalance monthly | weekly | every N`
    Rebalance(Rebalance, Span),
    /// `covariance sample | ledoit_wolf | ewma(span = N)`
    Covariance(MethodSpec, Span),
    /// `constrain NAME VALUE, ...`
    Constrain(Vec<(Ident, OptionValue)>, Span),
    /// `smooth ewma A`
    Smooth(OptionValue, Span),
    /// `fallback STEP, ...`
    Fallback(Vec<Ident>, Span),
}

impl WeightClause {
    /// The clause's keyword, for diagnostics.
    pub fn keyword(&self) -> &'static str {
        match self {
            WeightClause::Lookback(..) => "lookback",
            WeightClause::Rebalance(..) => "rebalance",
            WeightClause::Covariance(..) => "covariance",
            WeightClause::Constrain(..) => "constrain",
            WeightClause::Smooth(..) => "smooth",
            WeightClause::Fallback(..) => "fallback",
        }
    }

    /// Where the clause was written.
    pub fn span(&self) -> Span {
        match self {
            WeightClause::Lookback(_, s)
            | WeightClause::Rebalance(_, s)
            | WeightClause::Covariance(_, s)
            | WeightClause::Constrain(_, s)
            | WeightClause::Smooth(_, s)
            | WeightClause::Fallback(_, s) => *s,
        }
    }
}

/// One arm of a `regime` declaration. `cond` is `None` for `otherwise`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeArm {
    /// The arm's name (a regime value).
    pub name: Ident,
    /// The condition, or `None` for `otherwise`.
    pub cond: Option<Expr>,
    /// The arm's extent.
    pub span: Span,
}

/// The unit suffix of a number literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// No suffix.
    None,
    /// `%`: hundredths.
    Percent,
    /// `bps`: ten-thousandths.
    Bps,
}

/// A number literal. `value` is the double nearest the decimal written (`45%` is the double
/// nearest 0.45, not `45 * 0.01`), as SEMANTICS.md §0 requires.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    /// The double nearest the written decimal value, units applied.
    pub value: f64,
    /// The unit suffix.
    pub unit: Unit,
    /// The text as written (sign included).
    pub text: String,
    /// Where.
    pub span: Span,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    /// `-x`
    Neg,
    /// `not b`
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::And => "and",
            BinOp::Or => "or",
        }
    }

    /// True for `< <= > >= == !=`.
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne)
    }

    /// Parses a comparison operator token.
    pub fn comparison(text: &str) -> Option<BinOp> {
        Some(match text {
            "<" => BinOp::Lt,
            "<=" => BinOp::Le,
            ">" => BinOp::Gt,
            ">=" => BinOp::Ge,
            "==" => BinOp::Eq,
            "!=" => BinOp::Ne,
            _ => return None,
        })
    }
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What kind of expression.
    pub kind: ExprKind,
    /// Its extent.
    pub span: Span,
}

/// One arm of `tiers(x) { OP threshold => value ... else => value }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TierArm {
    /// The comparison applied as `x OP threshold`.
    pub op: BinOp,
    /// Where the operator was written.
    pub op_span: Span,
    /// The threshold.
    pub threshold: Expr,
    /// The value when this arm is the first that matches.
    pub value: Expr,
}

/// Expression forms.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Number(Literal),
    /// `true` / `false`.
    Bool(bool),
    /// A bare name (a let, param, data source, regime or regime arm).
    Name(Ident),
    /// `base.field` (a data column).
    Field(Box<Expr>, Ident),
    /// `base[k]`: the value k bars ago.
    Index(Box<Expr>, Box<Expr>),
    /// `f(args...)`.
    Call(Ident, Vec<Expr>),
    /// `-x`, `not b`.
    Unary(UnOp, Box<Expr>),
    /// `a OP b`.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b`.
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    /// `tiers(x) { ... else => v }`.
    Tiers(Box<Expr>, Vec<TierArm>, Box<Expr>),
}

impl Expr {
    /// The direct sub-expressions, in source order.
    pub fn children(&self) -> Vec<&Expr> {
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Bool(_) | ExprKind::Name(_) => vec![],
            ExprKind::Field(b, _) => vec![b],
            ExprKind::Index(b, k) => vec![b, k],
            ExprKind::Call(_, args) => args.iter().collect(),
            ExprKind::Unary(_, x) => vec![x],
            ExprKind::Binary(_, a, b) => vec![a, b],
            ExprKind::If(c, a, b) => vec![c, a, b],
            ExprKind::Tiers(x, arms, d) => {
                let mut v = vec![&**x];
                for a in arms {
                    v.push(&a.threshold);
                    v.push(&a.value);
                }
                v.push(d);
                v
            }
        }
    }

    /// Depth of the expression tree, computed without recursion (so it is safe on any input).
    pub fn depth(&self) -> usize {
        let mut max = 0;
        let mut stack = vec![(self, 1usize)];
        while let Some((e, d)) = stack.pop() {
            max = max.max(d);
            for c in e.children() {
                stack.push((c, d + 1));
            }
        }
        max
    }
}
