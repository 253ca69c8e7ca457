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

/// `param NAME = literal`.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDecl {
    /// Name.
    pub name: String,
    /// Default value (the literal, units applied).
    pub default: f64,
    /// The literal as written.
    pub text: String,
    /// Where the declaration is.
    pub span: Span,
    /// Where the name is.
    pub name_span: Span,
}

/// `regime NAME { ARM when cond ... ARM otherwise }`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeDecl {
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
}

/// The typed program.
#[derive(Debug, Clone, PartialEq)]
pub struct Hir {
    /// `strategy NAME` (or the file stem).
    pub name: String,
    /// Data sources in declaration order.
    pub data: Vec<DataSource>,
    /// Parameters in declaration order.
    pub params: Vec<ParamDecl>,
    /// Regimes in declaration order.
    pub regimes: Vec<RegimeDecl>,
    /// Lets in declaration order (a let only refers to earlier ones).
    pub lets: Vec<LetDecl>,
    /// The traded price column.
    pub hold_target: ColumnRef,
    /// The weight expression (a fraction of equity; 1 = fully invested).
    pub hold_weight: HExpr,
    /// The benchmark price column, if declared.
    pub benchmark: Option<ColumnRef>,
    /// Cost per unit of turnover, as a fraction (`2bps` = 0.0002).
    pub cost_rate: f64,
    /// Periods per year for annualised metrics (default 252).
    pub annualize: f64,
    /// User statistics.
    pub reports: Vec<ReportDecl>,
}
