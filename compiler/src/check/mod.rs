//! `ast_to_hir`: name resolution and type checking. Reports every semantic error of the file at
//! once; an expression that fails to check yields `None` so later uses of it do not cascade into
//! follow-up errors.
//!
//! The `Checker` walks the statements in source order, one method per statement kind, and
//! keeps what it has checked so far in its fields. By construct:
//! - `names`: the first pass over the declarations, and name and column resolution;
//! - `stmt`: data, universe, let, report, strategy, from/to, cost, annualize, benchmark;
//! - `params`: param domains (values, choices, ranges), sweeps' `when` and `where`;
//! - `expr`: expression typing; `call`: builtin calls and their window arguments;
//! - `book`: regime, hold, sleeve, ensemble (what the strategy holds);
//! - `weights`: `weights` declarations and `hold [sleeves] weight NAME`.

use crate::hir::*;
use crate::types::{Qual, Type};
use std::collections::HashMap;
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

mod alert;
mod book;
mod call;
mod expr;
mod names;
mod panel;
mod params;
mod portfolio;
mod stmt;
mod weights;

pub use expr::const_value;
pub use params::expand_range;
pub use weights::{method_name, METHODS};

/// What a top-level name refers to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decl {
    Sleeve(usize),
    Weights(usize),
    Data(usize),
    Universe(usize),
    Panel(usize),
    Param(usize),
    Let(usize),
    Regime(usize),
    Kill(usize),
}

/// Resolves and type-checks `program`. `default_name` names the strategy when the file has no
/// `strategy` statement; `columns_of(path)` returns the column names of a data file (after
/// `date`) or a message saying why it cannot be read. Returns the HIR when there is no error, and
/// every diagnostic (errors and warnings).
pub fn ast_to_hir(program: &Program, default_name: &str, columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>) -> (Option<Hir>, Vec<Diag>) {
    let mut cx = Checker::default();
    cx.collect(program);
    for (i, stmt) in program.stmts.iter().enumerate() {
        cx.current_stmt = i;
        cx.stmt(stmt, columns_of);
    }
    cx.finish(program);
    let hir = cx.build_hir(default_name);
    (hir, cx.diags)
}

/// The state of one check: the declarations seen so far (by kind, in source order) and the
/// program-wide settings, filled in statement by statement.
#[derive(Default)]
struct Checker {
    diags: Vec<Diag>,
    decls: HashMap<String, (Decl, Span)>,
    decl_order: HashMap<String, usize>,
    data: Vec<DataSource>,
    sleeves: Vec<SleeveDecl>,
    /// `weights` declarations (`None` where one failed to check).
    weights: Vec<Option<WeightsDecl>>,
    /// Whether each `weights` declaration is used, with its name's span.
    weights_used: Vec<(bool, Span)>,
    universes: Vec<UniverseDecl>,
    broken_universes: Vec<bool>,
    /// Point-in-time panel sources in declaration order.
    panels: Vec<PanelSource>,
    broken_panels: Vec<bool>,
    /// Choice param index → its enum (index into `regimes`).
    choice_enum: HashMap<usize, usize>,
    broken_sources: Vec<bool>,
    params: Vec<ParamDecl>,
    param_used: Vec<bool>,
    regimes: Vec<RegimeDecl>,
    lets: Vec<LetDecl>,
    let_types: Vec<Option<Type>>,
    let_used: Vec<bool>,
    arm_names: HashMap<String, Vec<(usize, usize)>>,
    current_stmt: usize,
    /// The `strategy` name, once declared.
    name: Option<String>,
    /// The program's `hold` of a series or universe, when it checked.
    hold: Option<HoldDecl>,
    /// The `ensemble`, when it checked.
    ensemble: Option<EnsembleDecl>,
    /// Where the `ensemble` statement is, once seen.
    ensemble_span: Option<Span>,
    /// Where the first `hold` statement (of any form) is, once seen.
    hold_span: Option<Span>,
    /// Whether a book (hold, sleeve hold or ensemble) failed to check.
    hold_failed: bool,
    /// The `weights` declaration held by `hold [sleeves] weight NAME`, when it checked.
    sleeve_book: Option<usize>,
    /// Where the `hold [sleeves] weight NAME` statement is, once seen.
    sleeve_hold_span: Option<Span>,
    benchmark: Option<(ColumnRef, Span)>,
    /// `benchmark SLEEVE`: the sleeve's index, with the statement's span.
    benchmark_sleeve: Option<(usize, Span)>,
    /// The checked `cost` statement.
    cost: Option<CostDecl>,
    /// Whether a `cost` statement was seen (also one that failed to check).
    cost_seen: bool,
    /// The checked `capital` statement, with its span.
    capital: Option<(HExpr, Span)>,
    /// The `capital` statement's expression as written, for the cost models that read it.
    capital_ast: Option<Expr>,
    /// The program hold's target as written (`hold TARGET weight ...`), the default price of a
    /// named cost model.
    hold_target_ast: Option<Expr>,
    /// Kill switches in declaration order (`None` where one failed to check).
    kills: Vec<Option<KillDecl>>,
    /// The checked `target_vol` statement.
    vol_target: Option<VolTargetDecl>,
    /// Where the first `target_vol` statement is (also one that failed to check).
    vol_target_span: Option<Span>,
    /// The checked `limit` statements, and where the first of each kind is.
    limits: Vec<LimitDecl>,
    limit_spans: Vec<(LimitKind, Span)>,
    /// The checked `cash` statement, and where the first one is (also one that failed to check).
    cash: Option<CashDecl>,
    cash_span: Option<Span>,
    /// Whether the program's `hold` drifts between rebalances (`drift`, checked).
    drift: bool,
    /// Alerts in declaration order (those that checked).
    alerts: Vec<AlertDecl>,
    /// Where own-path values may appear in the expression being checked (SEMANTICS.md §3b).
    own_ctx: portfolio::OwnCtx,
    /// Per `let`: whether it reads the strategy's own path.
    let_own: Vec<bool>,
    annualize: Option<(f64, Span)>,
    reports: Vec<ReportDecl>,
    /// The `where` constraints on params.
    constraints: Vec<HExpr>,
    from: Option<String>,
    to: Option<String>,
    /// The spans of the `from` and `to` statements.
    window_spans: [Option<Span>; 2],
    /// The first `use` statement left in the program (one whose expansion failed, or one given
    /// to the checker without expansion).
    unexpanded: Option<Span>,
}

fn max_qual(ts: &[Type]) -> Qual {
    ts.iter().map(|t| t.qual).max().unwrap_or(Qual::Const)
}

impl Checker {
    fn err(&mut self, d: Diag) {
        self.diags.push(d);
    }

    /// Checks one statement (the current one, `self.current_stmt`).
    fn stmt(&mut self, stmt: &Stmt, columns_of: &mut stmt::ColumnsOf) {
        let span = stmt.span;
        match &stmt.kind {
            StmtKind::Strategy { name } => self.strategy_stmt(name, span),
            StmtKind::Data { name, format, path, path_span, asof } => self.data_stmt(name, format, path, *path_span, asof.is_some(), columns_of),
            StmtKind::Universe { name, format, path, path_span, columns } => self.universe_stmt(name, format, path, *path_span, columns.as_deref(), columns_of),
            StmtKind::Panel { name, format, path, path_span, on, available, lag } => self.panel_stmt(
                panel::PanelStmt { name, format, path, path_span: *path_span, on: on.as_ref(), available: available.as_ref(), lag: *lag },
                columns_of,
            ),
            StmtKind::Param { name, value } => self.param_stmt(name, value, span),
            StmtKind::Where { cond } => self.where_stmt(cond),
            StmtKind::From { date, span: date_span } => self.window_stmt(true, date, *date_span, span),
            StmtKind::To { date, span: date_span } => self.window_stmt(false, date, *date_span, span),
            StmtKind::Let { name, value } => self.let_stmt(name, value, span),
            StmtKind::Regime { name, arms } => self.regime_stmt(name, arms, span),
            StmtKind::Hold { target, weight, rebalance, drift } => {
                self.hold_stmt(target, weight, rebalance.as_ref(), span);
                if let Some(d) = drift {
                    self.drift_clause(rebalance.is_some(), *d);
                }
            }
            StmtKind::Weights { name, members, method, clauses } => self.weights_stmt(name, members, method, clauses, span),
            StmtKind::HoldSleeves { sleeves, weight, rebalance } => self.hold_sleeves_stmt(sleeves, weight, rebalance.as_ref(), span),
            StmtKind::Sleeve { name, hold } => self.sleeve_stmt(name, hold, span),
            StmtKind::Ensemble { regime, arms } => self.ensemble_stmt(regime, arms, span),
            StmtKind::Cost { cost } => self.cost_stmt(cost, span),
            StmtKind::Capital { value } => self.capital_stmt(value, span),
            StmtKind::Kill { name, trip, release, scale } => self.kill_stmt(name, trip, release.as_ref(), scale.as_ref(), span),
            StmtKind::VolTarget { target, lookback, cap } => self.vol_target_stmt(target, lookback.as_ref(), cap.as_ref(), span),
            StmtKind::Limit { kind, value } => self.limit_stmt(kind, value, span),
            StmtKind::Cash { rate, financing, borrow } => self.cash_stmt(rate, financing.as_ref(), borrow.as_ref(), span),
            StmtKind::Alert { name, when } => self.alert_stmt(name, when, span),
            StmtKind::Annualize { periods } => self.annualize_stmt(periods, span),
            StmtKind::Benchmark { target } => self.benchmark_stmt(target, span),
            StmtKind::Report { name, value } => self.report_stmt(name, value, span),
            StmtKind::Use { alias, .. } => self.unexpanded_use(alias, span),
        }
    }

    /// The checks that relate statements to each other, after the last statement; then the
    /// lints, which are dropped when there is an error.
    fn finish(&mut self, program: &Program) {
        self.check_book(program);
        self.check_portfolio();
        self.check_window();
        self.check_sleeve_benchmark();
        self.lint_unused();
        if let Some(span) = self.unexpanded.filter(|_| !self.diags.iter().any(|d| d.is_error())) {
            self.err(
                Diag::error("strat::use::unexpanded", "a `use` was not expanded: this entry point reads no other .strat file", span, "this `use`")
                    .with_help("compile the file through `strat` or the library's `compile_file` / `compile_source`, which read the files a program uses"),
            );
        }
        if self.diags.iter().any(|d| d.is_error()) {
            // Lints are noise next to errors.
            self.diags.retain(|d| d.is_error());
        }
    }

    /// `benchmark SLEEVE` is charged the book's flat cost; a per-asset cost rate, or a book of
    /// sleeves, has no single rate to charge it.
    fn check_sleeve_benchmark(&mut self) {
        let Some((_, span)) = self.benchmark_sleeve else { return };
        if self.cost.as_ref().is_some_and(|c| c.rate.ty.qual == Qual::Series) {
            self.err(
                Diag::error("strat::stmt::sleeve_benchmark_cost", "a sleeve benchmark with a per-asset cost rate", span, "benchmarked sleeve")
                    .with_help("a benchmark sleeve is charged the book's flat rate (`cost 5bps`); benchmark a price column, or use a flat rate"),
            );
        }
        if self.hold.is_none() && !self.hold_failed {
            self.err(
                Diag::error("strat::stmt::sleeve_benchmark_book", "a sleeve benchmark needs a `hold` book", span, "benchmarked sleeve")
                    .with_help("benchmark a sleeve against `hold UNIVERSE weight ...`, e.g. an overlay against its base"),
            );
        }
    }

    /// The HIR, when there is no error and the book and every `weights` declaration checked.
    fn build_hir(&mut self, default_name: &str) -> Option<Hir> {
        let has_error = self.diags.iter().any(|d| d.is_error());
        let drift = self.drift && self.hold.is_some();
        let book = match (self.hold.take(), self.ensemble.take(), self.sleeve_book) {
            (Some(h), None, None) => Some(Book::Hold(h)),
            (None, Some(e), None) => Some(Book::Ensemble(e)),
            (None, None, Some(k)) => Some(Book::SleeveWeights(k)),
            _ => None,
        };
        let weights: Option<Vec<WeightsDecl>> = std::mem::take(&mut self.weights).into_iter().collect();
        let (false, Some(book), Some(weights)) = (has_error, book, weights) else { return None };
        Some(Hir {
            weights,
            name: self.name.take().unwrap_or_else(|| default_name.to_string()),
            data: std::mem::take(&mut self.data),
            universes: std::mem::take(&mut self.universes),
            panels: std::mem::take(&mut self.panels),
            constraints: std::mem::take(&mut self.constraints),
            from: self.from.take(),
            to: self.to.take(),
            params: std::mem::take(&mut self.params),
            regimes: std::mem::take(&mut self.regimes),
            lets: std::mem::take(&mut self.lets),
            book,
            sleeves: std::mem::take(&mut self.sleeves),
            benchmark: self.benchmark.take().map(|b| b.0),
            benchmark_sleeve: self.benchmark_sleeve.take().map(|b| b.0),
            cost: self.cost.take(),
            capital: self.capital.take().map(|c| c.0),
            kills: std::mem::take(&mut self.kills).into_iter().flatten().collect(),
            vol_target: self.vol_target.take(),
            limits: {
                let mut l = std::mem::take(&mut self.limits);
                l.sort_by_key(|d| match d.kind {
                    LimitKind::Gross => 0,
                    LimitKind::Net => 1,
                    LimitKind::Weight => 2,
                });
                l
            },
            cash: self.cash.take(),
            drift,
            alerts: std::mem::take(&mut self.alerts),
            annualize: self.annualize.map(|a| a.0).unwrap_or(252.0),
            reports: std::mem::take(&mut self.reports),
        })
    }

    pub(super) fn lint_unused(&mut self) {
        // With errors in the file, "unused" is mostly noise from the failed declarations.
        if self.diags.iter().any(|d| d.is_error()) {
            return;
        }
        for (i, l) in self.lets.iter().enumerate() {
            if !self.let_used[i] {
                self.diags.push(
                    Diag::warning("strat::lint::unused", format!("`{}` is never used", l.name), l.name_span, "unused let")
                        .with_help("use it in `hold`, a `report`, an `alert` or another `let`, or remove it"),
                );
            }
        }
        for (k, &(used, span)) in self.weights_used.iter().enumerate() {
            if !used {
                let name = self.weights.get(k).and_then(|w| w.as_ref()).map(|w| w.name.clone()).unwrap_or_default();
                self.diags.push(
                    Diag::warning("strat::lint::unused", format!("weights `{name}` are never used"), span, "unused weights")
                        .with_help("hold them (`hold UNIVERSE weight NAME` or `hold [sleeves] weight NAME`), use them in an expression, or remove them"),
                );
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            if !self.param_used[i] {
                self.diags.push(
                    Diag::warning("strat::lint::unused", format!("param `{}` is never used", p.name), p.name_span, "unused param")
                        .with_help("use it or remove it"),
                );
            }
        }
    }
}
