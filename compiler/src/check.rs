//! `ast_to_hir`: name resolution and type checking. Reports every semantic error of the file at
//! once; an expression that fails to check yields `None` so later uses of it do not cascade into
//! follow-up errors.

use crate::builtins::{self, Arg, Builtin, PRELUDE};
use crate::hir::*;
use crate::suggest::did_you_mean;
use crate::types::{Elem, Kind, Qual, Type};
use std::collections::HashMap;
use strat_grammar::ast::*;

mod weights;
pub use weights::{method_name, METHODS};
use strat_grammar::{Diag, Span};

/// What a top-level name refers to.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Decl {
    Sleeve(usize),
    Weights(usize),
    Data(usize),
    Universe(usize),
    Param(usize),
    Let(usize),
    Regime(usize),
}

/// Resolves and type-checks `program`. `default_name` names the strategy when the file has no
/// `strategy` statement; `columns_of(path)` returns the column names of a data file (after
/// `date`) or a message saying why it cannot be read. Returns the HIR when there is no error, and
/// every diagnostic (errors and warnings).
pub fn ast_to_hir(
    program: &Program,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
) -> (Option<Hir>, Vec<Diag>) {
    let mut cx = Checker {
        diags: vec![],
        decls: HashMap::new(),
        decl_order: HashMap::new(),
        data: vec![],
        sleeves: vec![],
        weights: vec![],
        weights_used: vec![],
        universes: vec![],
        broken_universes: vec![],
        choice_enum: std::collections::HashMap::new(),
        broken_sources: vec![],
        params: vec![],
        param_used: vec![],
        regimes: vec![],
        lets: vec![],
        let_types: vec![],
        let_used: vec![],
        arm_names: HashMap::new(),
        current_stmt: 0,
    };
    cx.collect(program);
    let mut name: Option<String> = None;
    let mut hold: Option<HoldDecl> = None;
    let mut ensemble: Option<EnsembleDecl> = None;
    let mut ensemble_span: Option<Span> = None;
    let mut hold_span: Option<Span> = None;
    let mut hold_failed = false;
    let mut sleeve_book: Option<usize> = None;
    let mut sleeve_hold_span: Option<Span> = None;
    let mut benchmark: Option<(ColumnRef, Span)> = None;
    let mut cost: Option<(f64, Span)> = None;
    let mut annualize: Option<(f64, Span)> = None;
    let mut reports: Vec<ReportDecl> = vec![];
    let mut constraints: Vec<HExpr> = vec![];
    let mut from: Option<String> = None;
    let mut to: Option<String> = None;
    let mut window_spans: [Option<Span>; 2] = [None, None];

    for (i, stmt) in program.stmts.iter().enumerate() {
        cx.current_stmt = i;
        match &stmt.kind {
            StmtKind::Strategy { name: n } => {
                if name.is_some() {
                    cx.err(Diag::error("strat::stmt::duplicate", "a second `strategy` statement", stmt.span, "already named above")
                        .with_help("a file declares one strategy; remove this line"));
                } else {
                    name = Some(n.name.clone());
                }
            }
            StmtKind::Data { name: n, format, path, path_span } => {
                if format.name != "csv" {
                    let mut d = Diag::error("strat::data::unknown_format", format!("unknown data format `{}`", format.name), format.span, "not a data format");
                    d = d.with_help(match did_you_mean(&format.name, ["csv"]) {
                        Some(s) => format!("did you mean `{s}`? v0 reads `csv(\"path\")`"),
                        None => "v0 reads `csv(\"path\")`".to_string(),
                    });
                    cx.err(d);
                }
                let columns = match columns_of(path) {
                    Ok(c) => {
                        cx.broken_sources.push(false);
                        c
                    }
                    Err(msg) => {
                        cx.err(Diag::error("strat::data::unreadable", format!("cannot read data source `{}`", n.name), *path_span, msg)
                            .with_help("paths are relative to the .strat file's folder"));
                        cx.broken_sources.push(true);
                        vec![]
                    }
                };
                cx.data.push(DataSource { name: n.name.clone(), path: path.clone(), path_span: *path_span, columns });
            }
            StmtKind::Universe { name: n, format, path, path_span, columns } => {
                if format.name != "csv" {
                    cx.err(Diag::error("strat::data::unknown_format", format!("unknown data format `{}`", format.name), format.span, "not a data format")
                        .with_help("a universe reads `csv(\"path\")` or `csv(\"path\", [asset, ...])`"));
                }
                let mut assets = vec![];
                match columns_of(path) {
                    Ok(all) => {
                        cx.broken_universes.push(false);
                        match columns {
                            None => assets = all,
                            Some(sel) => {
                                for c in sel {
                                    if assets.contains(&c.name) {
                                        cx.err(Diag::error("strat::name::duplicate", format!("asset `{}` is selected twice", c.name), c.span, "again")
                                            .with_help("list each asset once"));
                                    } else if all.contains(&c.name) {
                                        assets.push(c.name.clone());
                                    } else {
                                        let hint = match did_you_mean(&c.name, all.iter().map(|s| s.as_str())) {
                                            Some(s) => format!("did you mean `{s}`? columns: {}", all.join(", ")),
                                            None => format!("columns of {path}: {}", all.join(", ")),
                                        };
                                        cx.err(Diag::error("strat::name::unknown_column", format!("`{path}` has no column `{}`", c.name), c.span, "not a column of this file").with_help(hint));
                                    }
                                }
                            }
                        }
                        if assets.is_empty() && cx.broken_universes.last() == Some(&false) && columns.as_ref().is_none_or(|c| c.is_empty()) {
                            cx.err(Diag::error("strat::data::empty_universe", format!("universe `{}` has no assets", n.name), *path_span, "no columns besides date")
                                .with_help("a universe needs one price column per asset"));
                        }
                    }
                    Err(msg) => {
                        cx.err(Diag::error("strat::data::unreadable", format!("cannot read universe `{}`", n.name), *path_span, msg)
                            .with_help("paths are relative to the .strat file's folder"));
                        cx.broken_universes.push(true);
                    }
                }
                cx.universes.push(UniverseDecl { name: n.name.clone(), path: path.clone(), path_span: *path_span, assets });
            }
            StmtKind::Param { name: n, value } => {
                let i = cx.params.len();
                let decl = cx.param(i, n, value, stmt.span);
                cx.params.push(decl);
                cx.param_used.push(false);
            }
            StmtKind::Where { cond } => {
                if let Some(h) = cx.expr(cond).and_then(|h| cx.expect_bool(h, "a `where` constraint")) {
                    if h.ty.qual == Qual::Series {
                        cx.err(Diag::error("strat::type::where_not_param", "a `where` constraint relates params, not series", cond.span, "this varies by bar")
                            .with_help("write a condition on params, e.g. `where fast < slow`"));
                    } else {
                        constraints.push(h);
                    }
                }
            }
            StmtKind::From { date, span } | StmtKind::To { date, span } => {
                let is_from = matches!(stmt.kind, StmtKind::From { .. });
                if !valid_date(date) {
                    cx.err(Diag::error("strat::value::bad_date", format!("`{date}` is not a calendar date"), *span, "not a date")
                        .with_help("write YYYY-MM-DD, e.g. 2017-11-09"));
                } else {
                    let slot = if is_from { &mut from } else { &mut to };
                    if slot.is_some() {
                        cx.err(Diag::error("strat::stmt::duplicate", format!("a second `{}` statement", if is_from { "from" } else { "to" }), stmt.span, "again")
                            .with_help("declare the date window once"));
                    } else {
                        *slot = Some(date.clone());
                        window_spans[usize::from(!is_from)] = Some(stmt.span);
                    }
                }
            }
            StmtKind::Let { name: n, value } => {
                let h = cx.expr(value);
                cx.let_types.push(h.as_ref().map(|h| h.ty));
                cx.let_used.push(false);
                let placeholder = HExpr { kind: HKind::Const(f64::NAN), ty: Type::num(Qual::Const), span: value.span };
                cx.lets.push(LetDecl { name: n.name.clone(), value: h.unwrap_or(placeholder), span: stmt.span, name_span: n.span });
            }
            StmtKind::Regime { name: n, arms } => {
                let r = cx.regimes.len();
                let decl = cx.regime(r, n, arms, stmt.span);
                cx.regimes.push(decl);
            }
            StmtKind::Hold { target, weight, rebalance: reb } => {
                if !cx.claim_hold(&mut hold_span, stmt.span) {
                    continue;
                }
                match cx.check_hold(target, weight, reb.as_ref()) {
                    Some(h) => hold = Some(h),
                    None => hold_failed = true,
                }
            }
            StmtKind::Weights { name: n, members, method, clauses } => {
                let d = cx.check_weights(n, members, method, clauses, stmt.span);
                cx.weights.push(d);
                cx.weights_used.push((false, n.span));
            }
            StmtKind::HoldSleeves { sleeves, weight, rebalance: reb } => {
                if !cx.claim_hold(&mut hold_span, stmt.span) {
                    continue;
                }
                sleeve_hold_span = Some(stmt.span);
                match cx.check_hold_sleeves(sleeves, weight, reb.as_ref()) {
                    Some(k) => sleeve_book = Some(k),
                    None => hold_failed = true,
                }
            }
            StmtKind::Sleeve { name: n, hold: inner } => {
                if let StmtKind::Hold { target, weight, rebalance: reb } = &inner.kind {
                    let h = cx.check_hold(target, weight, reb.as_ref());
                    let placeholder = HoldDecl { target: Holding::Universe(0), weight: HExpr { kind: HKind::Const(f64::NAN), ty: Type::num(Qual::Const), span: stmt.span }, rebalance: RebalanceRule::Daily };
                    cx.sleeves.push(SleeveDecl { name: n.name.clone(), hold: h.unwrap_or(placeholder), span: stmt.span });
                }
            }
            StmtKind::Ensemble { regime: r, arms } => {
                if ensemble.is_some() {
                    cx.err(Diag::error("strat::stmt::duplicate", "a second `ensemble` statement", stmt.span, "second ensemble")
                        .with_help("a strategy has one ensemble"));
                    continue;
                }
                ensemble_span = Some(stmt.span);
                ensemble = cx.check_ensemble(r, arms, stmt.span);
                if ensemble.is_none() {
                    hold_failed = true;
                }
            }
            StmtKind::Cost { rate } => {
                if cost.is_some() {
                    cx.err(Diag::error("strat::stmt::duplicate", "a second `cost` statement", stmt.span, "second cost")
                        .with_help("declare the cost once"));
                    continue;
                }
                if rate.unit == Unit::None {
                    cx.err(Diag::error("strat::unit::missing", "a cost needs a unit", rate.span, "bps or %?")
                        .with_help(format!("write `cost {}bps` (basis points of traded value) or `cost {}%`", rate.text, rate.text)));
                } else if rate.value < 0.0 {
                    cx.err(Diag::error("strat::value::negative_cost", "a cost cannot be negative", rate.span, "negative")
                        .with_help("costs are charged on turnover: write a rate >= 0"));
                } else {
                    cost = Some((rate.value, stmt.span));
                }
            }
            StmtKind::Annualize { periods } => {
                if annualize.is_some() {
                    cx.err(Diag::error("strat::stmt::duplicate", "a second `annualize` statement", stmt.span, "second annualize")
                        .with_help("declare the periods per year once"));
                } else if periods.unit != Unit::None {
                    cx.err(Diag::error("strat::unit::unexpected", "`annualize` takes a plain count of periods per year", periods.span, "no unit here")
                        .with_help("e.g. `annualize 252` for trading days, `annualize 365` for calendar days"));
                } else if !(periods.value >= 1.0) {
                    cx.err(Diag::error("strat::value::bad_annualize", "periods per year must be at least 1", periods.span, "too small")
                        .with_help("e.g. `annualize 252`"));
                } else {
                    annualize = Some((periods.value, stmt.span));
                }
            }
            StmtKind::Benchmark { target } => {
                if benchmark.is_some() {
                    cx.err(Diag::error("strat::stmt::duplicate", "a second `benchmark` statement", stmt.span, "second benchmark")
                        .with_help("declare one benchmark"));
                    continue;
                }
                match cx.holding(target) {
                    Some(Holding::Column(c)) => benchmark = Some((c, stmt.span)),
                    Some(Holding::Universe(_)) => cx.err(Diag::error("strat::type::shape_mismatch", "a benchmark is one price series", target.span, "a universe")
                        .with_help("benchmark a single column, e.g. `benchmark mkt.spx`")),
                    None => {}
                }
            }
            StmtKind::Report { name: n, value } => {
                if let Some(prev) = reports.iter().find(|r| r.name == n.name) {
                    let prev = prev.span;
                    cx.err(Diag::error("strat::name::duplicate", format!("report `{}` is declared twice", n.name), n.span, "second declaration")
                        .with_label(prev, "first declaration")
                        .with_help("give each report its own name"));
                    continue;
                }
                if let Some(h) = cx.expr(value) {
                    if h.ty.panel.is_some() {
                        cx.err(Diag::error("strat::type::shape_mismatch", "a report averages one series", value.span, "a panel")
                            .with_help("reduce the panel first, e.g. `mean(x)` or `count(x)`"));
                    } else if matches!(h.ty.elem, Elem::Regime(_)) {
                        cx.err(Diag::error("strat::type::mismatch", "a report averages a number or a bool", value.span, "a regime value")
                            .with_help("report a condition instead, e.g. `state == BULL`"));
                    } else {
                        reports.push(ReportDecl { name: n.name.clone(), value: h, span: stmt.span });
                    }
                }
            }
        }
    }

    if let (Some(h), Some(e)) = (hold_span, ensemble_span) {
        let (first, second) = if h.start > e.start { (e, h) } else { (h, e) };
        cx.err(Diag::error("strat::stmt::hold_and_ensemble", "a strategy holds a series or an ensemble, not both", second, "second book")
            .with_label(first, "first book")
            .with_help("put the hold into a sleeve and give it a weight in the ensemble"));
    }
    if hold.is_none() && ensemble.is_none() && hold_span.is_none() && ensemble_span.is_none() && !hold_failed {
        let span = program.stmts.first().map(|s| s.span).unwrap_or_default();
        cx.err(Diag::error("strat::stmt::missing_hold", "the program never says what to hold", span, "no `hold` statement in this file")
            .with_help("add `hold SERIES weight EXPR`, e.g. `hold mkt.spx weight 100%`"));
    }
    if (ensemble_span.is_some() || sleeve_hold_span.is_some()) && cost.is_some() {
        let span = cost.map(|c| c.1).unwrap_or_default();
        cx.err(Diag::error("strat::stmt::unsupported", "costs on sleeves are not supported yet", span, "cost")
            .with_help("remove `cost`; ensembles and weighted sleeves are evaluated before costs in this version"));
    }
    if let (Some(f), Some(t), [Some(fs), Some(ts)]) = (&from, &to, window_spans) {
        // Both are valid YYYY-MM-DD dates, so text order is date order.
        if f > t {
            cx.err(Diag::error("strat::window::empty", format!("the date window is empty: `from {f}` is after `to {t}`"), fs, "the window starts here")
                .with_label(ts, "after it ends here")
                .with_help("swap the two dates, or move `from` before `to`"));
        }
    }
    cx.lint_unused();
    let has_error = cx.diags.iter().any(|d| d.is_error());
    if has_error {
        // Lints are noise next to errors.
        cx.diags.retain(|d| d.is_error());
    }
    let book = match (hold, ensemble, sleeve_book) {
        (Some(h), None, None) => Some(Book::Hold(h)),
        (None, Some(e), None) => Some(Book::Ensemble(e)),
        (None, None, Some(k)) => Some(Book::SleeveWeights(k)),
        _ => None,
    };
    let weights: Option<Vec<WeightsDecl>> = std::mem::take(&mut cx.weights).into_iter().collect();
    let hir = match (has_error, book, weights) {
        (false, Some(book), Some(weights)) => Some(Hir {
            weights,
            name: name.unwrap_or_else(|| default_name.to_string()),
            data: cx.data,
            universes: cx.universes,
            constraints,
            from,
            to,
            params: cx.params,
            regimes: cx.regimes,
            lets: cx.lets,
            book,
            sleeves: cx.sleeves,
            benchmark: benchmark.map(|b| b.0),
            cost_rate: cost.map(|c| c.0).unwrap_or(0.0),
            annualize: annualize.map(|a| a.0).unwrap_or(252.0),
            reports,
        }),
        _ => None,
    };
    (hir, cx.diags)
}

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
}

fn max_qual(ts: &[Type]) -> Qual {
    ts.iter().map(|t| t.qual).max().unwrap_or(Qual::Const)
}

impl Checker {
    fn err(&mut self, d: Diag) {
        self.diags.push(d);
    }

    /// First pass: every declared name, with duplicates reported.
    fn collect(&mut self, program: &Program) {
        let mut counts = [0usize; 7];
        let mut enums = 0usize;
        for (i, stmt) in program.stmts.iter().enumerate() {
            let (ident, kind) = match &stmt.kind {
                StmtKind::Data { name, .. } => (name, 0),
                StmtKind::Param { name, .. } => (name, 1),
                StmtKind::Let { name, .. } => (name, 2),
                StmtKind::Regime { name, .. } => (name, 3),
                StmtKind::Universe { name, .. } => (name, 4),
                StmtKind::Sleeve { name, .. } => (name, 5),
                StmtKind::Weights { name, .. } => (name, 6),
                _ => continue,
            };
            let idx = counts[kind];
            counts[kind] += 1;
            let decl = match kind {
                0 => Decl::Data(idx),
                1 => Decl::Param(idx),
                2 => Decl::Let(idx),
                3 => Decl::Regime(enums),
                4 => Decl::Universe(idx),
                5 => Decl::Sleeve(idx),
                _ => Decl::Weights(idx),
            };
            // Regimes and choice params share one numbering of enum types, in source order.
            let enum_idx = match &stmt.kind {
                StmtKind::Regime { .. } => Some(enums),
                StmtKind::Param { value: ParamValue::Choices(..), .. } => {
                    self.choice_enum.insert(idx, enums);
                    Some(enums)
                }
                _ => None,
            };
            if enum_idx.is_some() {
                enums += 1;
            }
            if builtins::lookup(&ident.name).is_some() {
                self.err(Diag::error("strat::name::shadows_builtin", format!("`{}` is a builtin function", ident.name), ident.span, "this name is taken")
                    .with_help("choose another name"));
            }
            if let Some((_, prev)) = self.decls.get(&ident.name) {
                let prev = *prev;
                self.err(Diag::error("strat::name::duplicate", format!("`{}` is declared twice", ident.name), ident.span, "second declaration")
                    .with_label(prev, "first declaration")
                    .with_help("names are declared once; rename one of them"));
                continue;
            }
            self.decls.insert(ident.name.clone(), (decl, ident.span));
            self.decl_order.insert(ident.name.clone(), i);
            match (&stmt.kind, enum_idx) {
                (StmtKind::Regime { arms, .. }, Some(e)) => {
                    for (a, arm) in arms.iter().enumerate() {
                        self.arm_names.entry(arm.name.name.clone()).or_default().push((e, a));
                    }
                }
                (StmtKind::Param { value: ParamValue::Choices(cs, _), .. }, Some(e)) => {
                    for (a, c) in cs.iter().enumerate() {
                        self.arm_names.entry(c.name.clone()).or_default().push((e, a));
                    }
                }
                _ => {}
            }
        }
    }

    fn all_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.decls.keys().cloned().collect();
        v.extend(self.arm_names.keys().cloned());
        v.sort();
        v
    }

    fn regime(&mut self, r: usize, name: &Ident, arms: &[RegimeArm], span: Span) -> RegimeDecl {
        let mut names: Vec<String> = vec![];
        let mut conds = vec![];
        if arms.is_empty() {
            self.err(Diag::error("strat::regime::empty", format!("regime `{}` has no arms", name.name), span, "empty regime")
                .with_help("list arms as `NAME when COND`, ending with `NAME otherwise`"));
        }
        for (i, arm) in arms.iter().enumerate() {
            if let Some(prev) = arms[..i].iter().find(|a| a.name.name == arm.name.name) {
                self.err(Diag::error("strat::name::duplicate", format!("arm `{}` appears twice", arm.name.name), arm.name.span, "second arm")
                    .with_label(prev.name.span, "first arm")
                    .with_help("each arm of a regime needs its own name"));
            }
            if self.decls.contains_key(&arm.name.name) {
                let prev = self.decls[&arm.name.name].1;
                self.err(Diag::error("strat::name::duplicate", format!("arm `{}` has the name of a declaration", arm.name.name), arm.name.span, "arm name")
                    .with_label(prev, "declared here")
                    .with_help("rename the arm or the declaration"));
            }
            let last = i + 1 == arms.len();
            match (&arm.cond, last) {
                (None, false) => self.err(Diag::error("strat::regime::otherwise_not_last", "`otherwise` must be the last arm", arm.span, "later arms can never match")
                    .with_help("move this arm to the end")),
                (Some(_), true) => self.err(Diag::error("strat::regime::no_otherwise", format!("regime `{}` has no `otherwise` arm", name.name), arm.span, "last arm has a condition")
                    .with_help(format!("every bar needs a regime: end with e.g. `{} otherwise`", arm.name.name))),
                _ => {}
            }
            let cond = arm.cond.as_ref().and_then(|c| {
                let h = self.expr(c)?;
                let h = self.expect_bool(h, "a regime condition")?;
                if h.ty.panel.is_some() {
                    self.err(Diag::error("strat::type::shape_mismatch", "a regime is one state per bar, not per asset", h.span, "a panel condition")
                        .with_help("reduce the panel, e.g. `mean(x) > 0` or `count(x) > 3`"));
                    return None;
                }
                Some(h)
            });
            names.push(arm.name.name.clone());
            conds.push(cond);
        }
        let _ = r;
        RegimeDecl { param: None, name: name.name.clone(), arms: names, conds, span }
    }

    fn expect_num(&mut self, h: HExpr, what: &str, help: &str) -> Option<HExpr> {
        if h.ty.elem == Elem::Num {
            return Some(h);
        }
        let found = self.type_name(h.ty);
        let mut d = Diag::error("strat::type::mismatch", format!("{what} must be a number"), h.span, format!("this is {found}"));
        d = d.with_help(if h.ty.elem == Elem::Bool {
            format!("{help}; turn a condition into a number with `if COND then 1 else 0`")
        } else {
            help.to_string()
        });
        self.err(d);
        None
    }

    fn expect_bool(&mut self, h: HExpr, what: &str) -> Option<HExpr> {
        if h.ty.elem == Elem::Bool {
            return Some(h);
        }
        let found = self.type_name(h.ty);
        self.err(Diag::error("strat::type::mismatch", format!("{what} must be a condition (bool)"), h.span, format!("this is {found}"))
            .with_help("compare it, e.g. `x > 0`"));
        None
    }

    fn type_name(&self, t: Type) -> String {
        let names: Vec<String> = self.regimes.iter().map(|r| r.name.clone()).collect();
        let mut names = names;
        // Regimes being declared are not yet in `self.regimes`; fall back to the declared order.
        for (n, (d, _)) in &self.decls {
            if let Decl::Regime(i) = d {
                if names.len() <= *i {
                    names.resize(*i + 1, String::new());
                }
                names[*i] = n.clone();
            }
        }
        t.display(&names)
    }

    /// A `hold` / `benchmark` target: a data column or a universe of prices (possibly through
    /// `let` bindings).
    fn holding(&mut self, e: &Expr) -> Option<Holding> {
        let what = "hold";
        let h = self.expr(e)?;
        let mut cur = &h;
        loop {
            match &cur.kind {
                HKind::Column(c) => return Some(Holding::Column(c.clone())),
                HKind::Universe(u) => return Some(Holding::Universe(*u)),
                HKind::Let(i) if self.lets[*i].value.ty.kind == Kind::Price => cur = &self.lets[*i].value,
                _ => break,
            }
        }
        let found = self.type_name(h.ty);
        self.err(Diag::error("strat::type::not_a_price", "only prices can be held or benchmarked", e.span, format!("this is {found}"))
            .with_help(format!("{what} takes a data column or a universe of prices, e.g. `hold mkt.spx weight ...`; put the sizing logic in `weight`")));
        None
    }

    /// Checks `hold TARGET weight W [rebalance ...]` (the program's or a sleeve's).
    fn check_hold(&mut self, target: &Expr, weight: &Expr, reb: Option<&Rebalance>) -> Option<HoldDecl> {
        let t = self.holding(target);
        let w = self.expr(weight);
        let w = w.and_then(|w| self.expect_num(w, "a weight", "a weight is a number: the fraction of equity held"));
        let w = match (&t, w) {
            (Some(Holding::Column(_)), Some(w)) if w.ty.panel.is_some() => {
                self.err(Diag::error("strat::type::shape_mismatch", "a panel weight for a single series", w.span, "one weight per asset")
                    .with_help("hold a universe to trade a panel of weights, or reduce the panel, e.g. mean(w)"));
                None
            }
            (Some(Holding::Universe(u)), Some(w)) if w.ty.panel.is_some_and(|p| p != *u) => {
                let (a, b) = (self.universes[*u].name.clone(), self.universes[w.ty.panel.unwrap_or(0)].name.clone());
                self.err(Diag::error("strat::type::shape_mismatch", format!("weights over `{b}` for holdings of `{a}`"), w.span, "another universe")
                    .with_help("the weight panel must be over the held universe"));
                None
            }
            (_, w) => w,
        };
        let rebalance = match reb {
            None => RebalanceRule::Daily,
            Some(Rebalance::Monthly(_)) => RebalanceRule::Monthly,
            Some(Rebalance::Weekly(_)) => RebalanceRule::Weekly,
            Some(Rebalance::Every(n)) => {
                if n.unit != Unit::None || n.value.fract() != 0.0 || n.value < 1.0 || n.value > 1e9 {
                    self.err(Diag::error("strat::value::bad_window", "`rebalance every N` needs a whole number of bars >= 1", n.span, "not a bar count")
                        .with_help("e.g. `rebalance every 21`"));
                    return None;
                }
                RebalanceRule::Every(n.value as usize)
            }
        };
        Some(HoldDecl { target: t?, weight: w?, rebalance })
    }

    /// Checks `ensemble by REGIME { ARM => c * sleeve + ... }`.
    fn check_ensemble(&mut self, r: &Ident, arms: &[(Ident, Expr)], span: Span) -> Option<EnsembleDecl> {
        let regime = match self.decls.get(&r.name) {
            Some((Decl::Regime(e), _)) => *e,
            Some(_) => {
                self.err(Diag::error("strat::type::not_a_regime", format!("`{}` is not a regime", r.name), r.span, "not a regime")
                    .with_help("declare `regime NAME { ARM when COND ... ARM otherwise }` and name it here"));
                return None;
            }
            None => {
                self.unknown_name(r);
                return None;
            }
        };
        let arm_names: Vec<String> = self.regimes.get(regime).map(|d| d.arms.clone()).unwrap_or_default();
        let mut out: Vec<Option<Vec<(usize, HExpr)>>> = vec![None; arm_names.len()];
        let mut ok = true;
        for (arm, e) in arms {
            let Some(k) = arm_names.iter().position(|a| *a == arm.name) else {
                let hint = match did_you_mean(&arm.name, arm_names.iter().map(|s| s.as_str())) {
                    Some(s) => format!("did you mean `{s}`? arms of `{}`: {}", r.name, arm_names.join(", ")),
                    None => format!("arms of `{}`: {}", r.name, arm_names.join(", ")),
                };
                self.err(Diag::error("strat::name::unknown", format!("`{}` is not an arm of regime `{}`", arm.name, r.name), arm.span, "unknown arm").with_help(hint));
                ok = false;
                continue;
            };
            if out[k].is_some() {
                self.err(Diag::error("strat::name::duplicate", format!("arm `{}` appears twice", arm.name), arm.span, "again")
                    .with_help("give each arm one allocation"));
                ok = false;
                continue;
            }
            match self.linear_sleeves(e) {
                Some(terms) => out[k] = Some(terms),
                None => ok = false,
            }
        }
        for (k, a) in out.iter().enumerate() {
            if a.is_none() && ok {
                self.diags.push(Diag::warning("strat::lint::cash_arm", format!("arm `{}` has no allocation: it holds cash", arm_names[k]), span, "ensemble")
                    .with_help(format!("add `{} => ...` if that is not meant", arm_names[k])));
            }
        }
        if !ok {
            return None;
        }
        Some(EnsembleDecl { regime, arms: out.into_iter().map(|a| a.unwrap_or_default()).collect() })
    }

    /// An ensemble arm: a sum of `coefficient * sleeve` terms (coefficients const or param).
    fn linear_sleeves(&mut self, e: &Expr) -> Option<Vec<(usize, HExpr)>> {
        let mut terms: Vec<&Expr> = vec![];
        let mut stack = vec![e];
        while let Some(x) = stack.pop() {
            match &x.kind {
                ExprKind::Binary(BinOp::Add, a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                _ => terms.push(x),
            }
        }
        let sleeve_of = |me: &Self, x: &Expr| -> Option<usize> {
            match &x.kind {
                ExprKind::Name(id) => match me.decls.get(&id.name) {
                    Some((Decl::Sleeve(k), _)) => Some(*k),
                    _ => None,
                },
                _ => None,
            }
        };
        let mut out: Vec<(usize, HExpr)> = vec![];
        let mut ok = true;
        for t in terms {
            let (k, coef) = match &t.kind {
                _ if sleeve_of(self, t).is_some() => (sleeve_of(self, t), None),
                ExprKind::Binary(BinOp::Mul, a, b) if sleeve_of(self, b).is_some() => (sleeve_of(self, b), Some(&**a)),
                ExprKind::Binary(BinOp::Mul, a, b) if sleeve_of(self, a).is_some() => (sleeve_of(self, a), Some(&**b)),
                _ => (None, None),
            };
            let Some(k) = k else {
                self.err(Diag::error("strat::type::not_a_sleeve_mix", "an ensemble arm is a weighted sum of sleeves", t.span, "not `weight * sleeve`")
                    .with_help("write e.g. `BULL => 0.7 * qm + 0.3 * lowvol` with declared sleeves"));
                ok = false;
                continue;
            };
            if self.decl_order.get(&self.sleeves.get(k).map(|s| s.name.clone()).unwrap_or_default()).is_none() && k >= self.sleeves.len() {
                self.err(Diag::error("strat::name::use_before_declaration", "a sleeve is used before it is declared", t.span, "declared later")
                    .with_help("declare sleeves before the ensemble"));
                ok = false;
                continue;
            }
            let c = match coef {
                None => HExpr { kind: HKind::Const(1.0), ty: Type::num(Qual::Const), span: t.span },
                Some(c) => match self.expr(c).and_then(|h| self.expect_num(h, "a sleeve weight", "an allocation is a number, e.g. 0.7 or 70%")) {
                    Some(h) if h.ty.qual == Qual::Series => {
                        self.err(Diag::error("strat::type::window_not_param", "a sleeve weight must be a `const` or `param`", h.span, "this varies by bar")
                            .with_help("allocations change with the regime arm; each arm's weights are fixed for a run"));
                        ok = false;
                        continue;
                    }
                    Some(h) => h,
                    None => {
                        ok = false;
                        continue;
                    }
                },
            };
            out.push((k, c));
        }
        if ok { Some(out) } else { None }
    }

    /// A `param` declaration: its default, its sweep domain and its `when` condition.
    fn param(&mut self, i: usize, n: &Ident, value: &ParamValue, span: Span) -> ParamDecl {
        let mut decl = ParamDecl { name: n.name.clone(), default: f64::NAN, domain: ParamDomain::Fixed, when: None, choice_enum: None, text: String::new(), span, name_span: n.span };
        let when_expr = match value {
            ParamValue::Fixed(l) => {
                decl.default = l.value;
                decl.text = l.text.clone();
                None
            }
            ParamValue::List(ls, w) => {
                let vals: Vec<f64> = ls.iter().map(|l| l.value).collect();
                for (k, l) in ls.iter().enumerate() {
                    if vals[..k].contains(&l.value) {
                        self.err(Diag::error("strat::param::duplicate_value", format!("`{}` is listed twice", l.text), l.span, "again")
                            .with_help("list each value once"));
                    }
                }
                decl.default = vals[0];
                decl.text = ls[0].text.clone();
                decl.domain = ParamDomain::Values(vals);
                w.as_ref()
            }
            ParamValue::Choices(cs, w) => {
                let names: Vec<String> = cs.iter().map(|c| c.name.clone()).collect();
                for (k, c) in cs.iter().enumerate() {
                    if names[..k].contains(&c.name) {
                        self.err(Diag::error("strat::name::duplicate", format!("choice `{}` is listed twice", c.name), c.span, "again")
                            .with_help("list each choice once"));
                    }
                    if self.decls.contains_key(&c.name) || builtins::lookup(&c.name).is_some() {
                        self.err(Diag::error("strat::name::duplicate", format!("choice `{}` has the name of a declaration", c.name), c.span, "taken")
                            .with_help("rename the choice"));
                    }
                }
                let e = self.choice_enum.get(&i).copied();
                decl.choice_enum = e;
                decl.default = 0.0;
                decl.text = names[0].clone();
                decl.domain = ParamDomain::Choices(names.clone());
                // The enum of a choice param takes its slot among the regimes.
                if let Some(e) = e {
                    while self.regimes.len() < e {
                        self.regimes.push(RegimeDecl { param: None, name: String::new(), arms: vec![], conds: vec![], span });
                    }
                    self.regimes.push(RegimeDecl { param: Some(i), name: n.name.clone(), arms: names, conds: vec![], span });
                }
                w.as_ref()
            }
            ParamValue::Range { start, end, step, when } => {
                match expand_range(start, end, step) {
                    Ok(vals) => {
                        decl.default = vals[0];
                        decl.text = start.text.clone();
                        decl.domain = ParamDomain::Values(vals);
                    }
                    Err(msg) => {
                        self.err(Diag::error("strat::param::bad_range", msg, start.span.to(step.span), "this range")
                            .with_help("write `a ..= b step s` with s > 0, a <= b and at most 100,000 values"));
                        decl.default = start.value;
                    }
                }
                when.as_ref()
            }
        };
        if let Some(w) = when_expr {
            if let Some(h) = self.expr(w).and_then(|h| self.expect_bool(h, "a `when` condition")) {
                if h.ty.qual == Qual::Series {
                    self.err(Diag::error("strat::type::where_not_param", "a `when` condition relates params, not series", w.span, "this varies by bar")
                        .with_help("write a condition on earlier params, e.g. `when mode == hedge`"));
                } else {
                    decl.when = Some(h);
                }
            }
        }
        decl
    }

    fn lint_unused(&mut self) {
        // With errors in the file, "unused" is mostly noise from the failed declarations.
        if self.diags.iter().any(|d| d.is_error()) {
            return;
        }
        for (i, l) in self.lets.iter().enumerate() {
            if !self.let_used[i] {
                self.diags.push(Diag::warning("strat::lint::unused", format!("`{}` is never used", l.name), l.name_span, "unused let")
                    .with_help("use it in `hold`, a `report`, or another `let`, or remove it"));
            }
        }
        for (k, &(used, span)) in self.weights_used.iter().enumerate() {
            if !used {
                let name = self.weights.get(k).and_then(|w| w.as_ref()).map(|w| w.name.clone()).unwrap_or_default();
                self.diags.push(Diag::warning("strat::lint::unused", format!("weights `{name}` are never used"), span, "unused weights")
                    .with_help("hold them (`hold UNIVERSE weight NAME` or `hold [sleeves] weight NAME`), use them in an expression, or remove them"));
            }
        }
        for (i, p) in self.params.iter().enumerate() {
            if !self.param_used[i] {
                self.diags.push(Diag::warning("strat::lint::unused", format!("param `{}` is never used", p.name), p.name_span, "unused param")
                    .with_help("use it or remove it"));
            }
        }
    }

    fn unknown_name(&mut self, id: &Ident) {
        if builtins::lookup(&id.name).is_some() {
            self.err(Diag::error("strat::name::function_as_value", format!("`{}` is a function", id.name), id.span, "not a value")
                .with_help(format!("call it: {}", builtins::lookup(&id.name).map(|s| s.doc).unwrap_or(""))));
            return;
        }
        let names = self.all_names();
        let mut d = Diag::error("strat::name::unknown", format!("unknown name `{}`", id.name), id.span, "not declared");
        d = d.with_help(match did_you_mean(&id.name, names.iter().map(|s| s.as_str())) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "declare it with `let`, `param`, `data` or `regime` before this line".to_string(),
        });
        self.err(d);
    }

    /// Whether `id` (declared at `dspan`) is declared above the current statement; reports
    /// `strat::name::use_before_declaration` when it is not.
    fn declared_above(&mut self, id: &Ident, dspan: Span) -> bool {
        let order = self.decl_order.get(&id.name).copied().unwrap_or(0);
        if order < self.current_stmt {
            return true;
        }
        let msg = if order == self.current_stmt {
            format!("`{}` is used in its own definition", id.name)
        } else {
            format!("`{}` is used before it is declared", id.name)
        };
        self.err(Diag::error("strat::name::use_before_declaration", msg, id.span, "used here")
            .with_label(dspan, "declared here")
            .with_help("a name refers only to declarations above it; move the declaration up (there are no recursive definitions: use `x[1]` for the previous bar)"));
        false
    }

    /// Claims the program's single book for the `hold` at `span`; reports
    /// `strat::stmt::duplicate_hold` (false) when a `hold` came before.
    fn claim_hold(&mut self, first: &mut Option<Span>, span: Span) -> bool {
        if let Some(prev) = *first {
            self.err(Diag::error("strat::stmt::duplicate_hold", "a second `hold` statement", span, "second hold")
                .with_label(prev, "first hold")
                .with_help("a strategy holds one series, universe or set of weighted sleeves; combine weights in one expression, or use sleeves and an ensemble"));
            return false;
        }
        *first = Some(span);
        true
    }

    fn name(&mut self, id: &Ident, span: Span) -> Option<HExpr> {
        let Some(&(decl, dspan)) = self.decls.get(&id.name) else {
            if let Some(arms) = self.arm_names.get(&id.name).cloned() {
                if arms.len() == 1 {
                    let (r, a) = arms[0];
                    return Some(HExpr { kind: HKind::Const(a as f64), ty: Type::of(Elem::Regime(r), Qual::Const), span });
                }
                self.err(Diag::error("strat::name::ambiguous_arm", format!("`{}` is an arm of several regimes", id.name), id.span, "which regime?")
                    .with_help(format!("compare it with a regime value, e.g. `state == {}`", id.name)));
                return None;
            }
            self.unknown_name(id);
            return None;
        };
        if !self.declared_above(id, dspan) {
            return None;
        }
        match decl {
            Decl::Data(i) => {
                let example = self.data.get(i).and_then(|d| d.columns.first().cloned()).unwrap_or_else(|| "close".into());
                self.err(Diag::error("strat::type::table_as_value", format!("`{}` is a data source, not a series", id.name), id.span, "a table of columns")
                    .with_help(format!("pick a column, e.g. `{}.{}`", id.name, example)));
                None
            }
            Decl::Param(i) => {
                self.param_used[i] = true;
                let ty = match self.choice_enum.get(&i) {
                    Some(&e) => Type::of(Elem::Regime(e), Qual::Param),
                    None => Type::num(Qual::Param),
                };
                Some(HExpr { kind: HKind::Param(i), ty, span })
            }
            Decl::Sleeve(_) => {
                self.err(Diag::error("strat::type::sleeve_as_value", format!("`{}` is a sleeve, a return series of its own", id.name), id.span, "a sleeve")
                    .with_help("sleeves are combined in `ensemble by REGIME { ARM => 0.5 * a + 0.5 * b }`"));
                None
            }
            Decl::Universe(u) => {
                if self.broken_universes.get(u).copied().unwrap_or(true) {
                    return None;
                }
                Some(HExpr { kind: HKind::Universe(u), ty: Type { elem: Elem::Num, qual: Qual::Series, kind: Kind::Price, panel: Some(u) }, span })
            }
            Decl::Let(i) => {
                self.let_used[i] = true;
                let ty = self.let_types.get(i).copied().flatten()?;
                Some(HExpr { kind: HKind::Let(i), ty, span })
            }
            Decl::Regime(r) => Some(HExpr { kind: HKind::Regime(r), ty: Type::of(Elem::Regime(r), Qual::Series), span }),
            Decl::Weights(k) => {
                if let Some(u) = self.weights_used.get_mut(k) {
                    u.0 = true;
                }
                self.weights_value(k, id, span)
            }
        }
    }

    /// A `weights` name as a value: the held-weight panel of universe weights (sleeve weights
    /// are held with `hold [..] weight NAME`, never used as a value).
    fn weights_value(&mut self, k: usize, id: &Ident, span: Span) -> Option<HExpr> {
        let decl = self.weights.get(k).cloned().flatten()?;
        match decl.members {
            WeightMembersRef::Universe(u) => Some(HExpr { kind: HKind::Weights(k), ty: Type { elem: Elem::Num, qual: Qual::Series, kind: Kind::Other, panel: Some(u) }, span }),
            WeightMembersRef::Sleeves(_) => {
                self.err(Diag::error("strat::type::sleeve_weights_as_value", format!("`{}` weights sleeves, not assets", id.name), id.span, "sleeve weights")
                    .with_help(format!("hold them: `hold [{}] weight {}`", decl.member_names.join(", "), id.name)));
                None
            }
        }
    }

    fn field(&mut self, base: &Expr, col: &Ident, span: Span) -> Option<HExpr> {
        let source = match &base.kind {
            ExprKind::Name(id) => match self.decls.get(&id.name) {
                Some((Decl::Data(i), _)) => *i,
                Some(_) => {
                    self.err(Diag::error("strat::type::no_columns", format!("`{}` has no columns", id.name), base.span, "not a data source")
                        .with_help("only a `data` source has columns: `mkt.spx`"));
                    return None;
                }
                None => {
                    self.unknown_name(id);
                    return None;
                }
            },
            _ => {
                self.err(Diag::error("strat::type::no_columns", "only a data source has columns", base.span, "not a data source")
                    .with_help("write `SOURCE.column`, e.g. `mkt.spx`"));
                return None;
            }
        };
        // Used above its `data` statement: `self.data` has no entry for it yet, so ask by name.
        if let ExprKind::Name(id) = &base.kind {
            if self.decl_order.get(&id.name).copied().unwrap_or(0) >= self.current_stmt {
                return self.name(id, base.span);
            }
        }
        if self.broken_sources.get(source).copied().unwrap_or(true) {
            return None;
        }
        let ds = &self.data[source];
        if !ds.columns.iter().any(|c| c == &col.name) {
            let cols = ds.columns.clone();
            let (name, path) = (ds.name.clone(), ds.path.clone());
            let mut d = Diag::error("strat::name::unknown_column", format!("`{name}` has no column `{}`", col.name), col.span, format!("not a column of {path}"));
            d = d.with_help(match did_you_mean(&col.name, cols.iter().map(|s| s.as_str())) {
                Some(s) => format!("did you mean `{s}`? columns: {}", cols.join(", ")),
                None => format!("columns of {path}: {}", cols.join(", ")),
            });
            self.err(d);
            return None;
        }
        Some(HExpr {
            kind: HKind::Column(ColumnRef { source, column: col.name.clone() }),
            ty: Type { elem: Elem::Num, qual: Qual::Series, kind: Kind::Price, panel: None },
            span,
        })
    }

    /// Checks every element of `es`; `None` if any failed (after checking all of them).
    fn exprs(&mut self, es: &[&Expr]) -> Option<Vec<HExpr>> {
        let hs: Vec<Option<HExpr>> = es.iter().map(|e| self.expr(e)).collect();
        hs.into_iter().collect()
    }

    /// Type-checks one expression.
    fn expr(&mut self, e: &Expr) -> Option<HExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Number(l) => Some(HExpr { kind: HKind::Const(l.value), ty: Type::num(Qual::Const), span }),
            ExprKind::Bool(b) => Some(HExpr { kind: HKind::Const(if *b { 1.0 } else { 0.0 }), ty: Type::bool(Qual::Const), span }),
            ExprKind::Name(id) => self.name(id, span),
            ExprKind::Field(base, col) => self.field(base, col, span),
            ExprKind::Index(base, k) => {
                let b = self.expr(base);
                let k = self.window_arg(k, 0, "a lag");
                let (b, k) = (b?, k?);
                if b.ty.qual != Qual::Series {
                    self.err(Diag::error("strat::type::expected_series", "only a series has past values", b.span, "not a series")
                        .with_help("`x[k]` is the value of the series `x` k bars ago"));
                    return None;
                }
                let kind = if b.ty.kind == Kind::Price { Kind::Other } else { b.ty.kind };
                let ty = Type { kind, ..b.ty };
                Some(HExpr { kind: HKind::Lag(Box::new(b), Box::new(k)), ty, span })
            }
            ExprKind::Call(f, args) => self.call(f, args, span),
            ExprKind::Unary(op, x) => {
                let h = self.expr(x)?;
                let h = match op {
                    UnOp::Neg => self.expect_num(h, "the operand of `-`", "negate a number")?,
                    UnOp::Not => self.expect_bool(h, "the operand of `not`")?,
                };
                // `-r` of a return is still a return (so `ret(-ret(p))` is caught).
                let kind = if h.ty.kind == Kind::Return { Kind::Return } else { Kind::Other };
                let ty = Type { kind, ..h.ty };
                Some(HExpr { kind: HKind::Unary(*op, Box::new(h)), ty, span })
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ExprKind::If(c, a, b) => {
                let hs = self.exprs(&[c, a, b])?;
                let [c, a, b]: [HExpr; 3] = hs.try_into().ok()?;
                let c = self.expect_bool(c, "the condition of `if`")?;
                if a.ty.elem != b.ty.elem {
                    let (ta, tb) = (self.type_name(a.ty), self.type_name(b.ty));
                    self.err(Diag::error("strat::type::mismatch", "the branches of `if` have different types", span, "branches differ")
                        .with_label(a.span, format!("this is {ta}"))
                        .with_label(b.span, format!("this is {tb}"))
                        .with_help("both branches must be numbers, both conditions, or both values of one regime"));
                    return None;
                }
                let panel = self.panel_of(&[&c, &a, &b], span)?;
                let ty = Type { elem: a.ty.elem, qual: max_qual(&[c.ty, a.ty, b.ty]), kind: Kind::Other, panel };
                Some(HExpr { kind: HKind::If(Box::new(c), Box::new(a), Box::new(b)), ty, span })
            }
            ExprKind::Tiers(x, arms, default) => {
                let mut all: Vec<&Expr> = vec![x];
                for a in arms {
                    all.push(&a.threshold);
                    all.push(&a.value);
                }
                all.push(default);
                let hs = self.exprs(&all)?;
                let mut ok = true;
                let mut checked = vec![];
                for (i, h) in hs.into_iter().enumerate() {
                    let what = if i == 0 { "the subject of `tiers`" } else if i % 2 == 1 && i + 1 < all.len() { "a tier threshold" } else { "a tier value" };
                    match self.expect_num(h, what, "tiers compares a number with thresholds and yields numbers") {
                        Some(h) => checked.push(h),
                        None => ok = false,
                    }
                }
                if !ok {
                    return None;
                }
                let qual = max_qual(&checked.iter().map(|h| h.ty).collect::<Vec<_>>());
                let panel = self.panel_of(&checked.iter().collect::<Vec<_>>(), span)?;
                let mut it = checked.into_iter();
                let subject = it.next()?;
                let mut harms = vec![];
                for a in arms {
                    let t = it.next()?;
                    let v = it.next()?;
                    harms.push((a.op, t, v));
                }
                let d = it.next()?;
                Some(HExpr { kind: HKind::Tiers(Box::new(subject), harms, Box::new(d)), ty: Type { panel, ..Type::num(qual) }, span })
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, span: Span) -> Option<HExpr> {
        // `state == BULL`: resolve a bare arm name against the regime on the other side.
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let (ha, hb) = (self.arm_aware(a, b), self.arm_aware(b, a));
            let (ha, hb) = (ha?, hb?);
            if let (Elem::Regime(ra), Elem::Regime(rb)) = (ha.ty.elem, hb.ty.elem) {
                if ra != rb {
                    let (ta, tb) = (self.type_name(ha.ty), self.type_name(hb.ty));
                    self.err(Diag::error("strat::type::mismatch", "comparing values of two different regimes", span, "never equal")
                        .with_label(ha.span, ta).with_label(hb.span, tb)
                        .with_help("compare a regime with one of its own arms"));
                    return None;
                }
                let panel = self.panel_of(&[&ha, &hb], span)?;
                let ty = Type { panel, ..Type::bool(max_qual(&[ha.ty, hb.ty])) };
                return Some(HExpr { kind: HKind::Binary(op, Box::new(ha), Box::new(hb)), ty, span });
            }
            return self.binary_typed(op, ha, hb, span);
        }
        let hs = self.exprs(&[a, b])?;
        let [ha, hb]: [HExpr; 2] = hs.try_into().ok()?;
        self.binary_typed(op, ha, hb, span)
    }

    /// Checks `e`; when `e` is a bare name that is an arm of the regime `other` has, resolves it
    /// to that arm.
    fn arm_aware(&mut self, e: &Expr, other: &Expr) -> Option<HExpr> {
        if let ExprKind::Name(id) = &e.kind {
            if !self.decls.contains_key(&id.name) {
                if let Some(arms) = self.arm_names.get(&id.name).cloned() {
                    if let Some(r) = self.regime_of(other) {
                        if let Some(&(_, a)) = arms.iter().find(|(rr, _)| *rr == r) {
                            return Some(HExpr { kind: HKind::Const(a as f64), ty: Type::of(Elem::Regime(r), Qual::Const), span: e.span });
                        }
                        let (rname, rarms) = self.regime_arms_of(r);
                        self.err(Diag::error("strat::type::mismatch", format!("`{}` is not an arm of regime `{rname}`", id.name), e.span, "an arm of another regime")
                            .with_help(format!("the arms of `{rname}` are: {}", rarms.join(", "))));
                        return None;
                    }
                }
            }
        }
        self.expr(e)
    }

    /// The panel of an elementwise combination of `hs`: none, or the one universe they share.
    /// Mixing two universes is an error (`None` is returned after reporting it).
    fn panel_of(&mut self, hs: &[&HExpr], span: Span) -> Option<Option<usize>> {
        let mut found: Option<(usize, Span)> = None;
        for h in hs {
            if let Some(u) = h.ty.panel {
                match found {
                    Some((v, vspan)) if v != u => {
                        let (a, b) = (self.universes.get(v).map(|x| x.name.clone()).unwrap_or_default(), self.universes.get(u).map(|x| x.name.clone()).unwrap_or_default());
                        self.err(Diag::error("strat::type::shape_mismatch", format!("mixing panels of `{a}` and `{b}`"), span, "two universes")
                            .with_label(vspan, format!("over `{a}`"))
                            .with_label(h.span, format!("over `{b}`"))
                            .with_help("elementwise operations combine panels of the same assets only"));
                        return None;
                    }
                    None => found = Some((u, h.span)),
                    _ => {}
                }
            }
        }
        Some(found.map(|f| f.0))
    }

    /// The name and arm names of regime `r` (declared or being declared).
    fn regime_arms_of(&self, r: usize) -> (String, Vec<String>) {
        let name = self.decls.iter().find(|(_, (d, _))| *d == Decl::Regime(r)).map(|(n, _)| n.clone()).unwrap_or_default();
        let mut arms: Vec<(usize, String)> = self.arm_names.iter().flat_map(|(n, v)| v.iter().filter(|(rr, _)| *rr == r).map(move |(_, a)| (*a, n.clone()))).collect();
        arms.sort();
        (name, arms.into_iter().map(|a| a.1).collect())
    }

    /// The regime a bare name refers to (without reporting anything).
    fn regime_of(&self, e: &Expr) -> Option<usize> {
        if let ExprKind::Name(id) = &e.kind {
            match self.decls.get(&id.name) {
                Some((Decl::Regime(r), _)) => return Some(*r),
                Some((Decl::Param(p), _)) => return self.choice_enum.get(p).copied(),
                Some((Decl::Let(i), _)) => {
                    if let Some(Some(t)) = self.let_types.get(*i) {
                        if let Elem::Regime(r) = t.elem {
                            return Some(r);
                        }
                    }
                }
                _ => {}
            }
        }
        None
    }

    fn binary_typed(&mut self, op: BinOp, a: HExpr, b: HExpr, span: Span) -> Option<HExpr> {
        let qual = max_qual(&[a.ty, b.ty]);
        let result_elem = match op {
            BinOp::And | BinOp::Or => {
                let a = self.expect_bool(a.clone(), &format!("the left side of `{}`", op.symbol()));
                let b = self.expect_bool(b.clone(), &format!("the right side of `{}`", op.symbol()));
                a?;
                b?;
                Elem::Bool
            }
            BinOp::Eq | BinOp::Ne if a.ty.elem == Elem::Bool && b.ty.elem == Elem::Bool => Elem::Bool,
            _ => {
                if a.ty.elem != Elem::Num || b.ty.elem != Elem::Num {
                    let (ta, tb) = (self.type_name(a.ty), self.type_name(b.ty));
                    let mut d = Diag::error("strat::type::mismatch", format!("`{}` needs two numbers", op.symbol()), span, format!("{ta} {} {tb}", op.symbol()));
                    if a.ty.elem != Elem::Num {
                        d = d.with_label(a.span, format!("this is {ta}"));
                    }
                    if b.ty.elem != Elem::Num {
                        d = d.with_label(b.span, format!("this is {tb}"));
                    }
                    let help = if matches!(a.ty.elem, Elem::Regime(_)) || matches!(b.ty.elem, Elem::Regime(_)) {
                        "a regime value can only be compared with `==` / `!=` against one of its arms"
                    } else {
                        "combine conditions with `and` / `or`; turn a condition into a number with `if COND then 1 else 0`"
                    };
                    self.err(d.with_help(help));
                    return None;
                }
                if op.is_comparison() { Elem::Bool } else { Elem::Num }
            }
        };
        let panel = self.panel_of(&[&a, &b], span)?;
        let ty = Type { elem: result_elem, qual, kind: Kind::Other, panel };
        Some(HExpr { kind: HKind::Binary(op, Box::new(a), Box::new(b)), ty, span })
    }

    /// A window length or lag argument: a const or param integer >= `min`.
    fn window_arg(&mut self, e: &Expr, min: i64, what: &str) -> Option<HExpr> {
        if let ExprKind::Number(l) = &e.kind {
            if l.unit != Unit::None {
                self.err(Diag::error("strat::unit::unexpected", format!("{what} is a count of bars"), e.span, "no unit here")
                    .with_help(format!("write a plain integer, e.g. `{}`", l.text.trim_end_matches(['%', 'b', 'p', 's']))));
                return None;
            }
        }
        let h = self.expr(e)?;
        if h.ty.elem != Elem::Num {
            let t = self.type_name(h.ty);
            self.err(Diag::error("strat::type::mismatch", format!("{what} must be an integer"), e.span, format!("this is {t}"))
                .with_help("write a count of bars, e.g. `60`"));
            return None;
        }
        if h.ty.qual == Qual::Series {
            self.err(Diag::error("strat::type::window_not_param", format!("{what} must be a `const` or `param`, not a series"), e.span, "this varies by bar")
                .with_help("window lengths and lags are fixed for a run: declare `param n = 60` and pass `n`"));
            return None;
        }
        if let Some(v) = const_value(&h) {
            if v.fract() != 0.0 || v < min as f64 || !v.is_finite() || v > 1e9 {
                self.err(Diag::error("strat::value::bad_window", format!("{what} must be an integer >= {min}"), e.span, format!("this is {v}"))
                    .with_help(format!("use a whole number of bars >= {min}")));
                return None;
            }
        }
        Some(h)
    }

    fn call(&mut self, f: &Ident, args: &[Expr], span: Span) -> Option<HExpr> {
        let Some(sig) = builtins::lookup(&f.name) else {
            let mut d = Diag::error("strat::name::unknown_function", format!("unknown function `{}`", f.name), f.span, "not a builtin");
            let names: Vec<&str> = PRELUDE.iter().map(|s| s.name).collect();
            d = d.with_help(match did_you_mean(&f.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? {}", builtins::lookup(s).map(|s| s.doc).unwrap_or("")),
                None => format!("the builtins are: {}", names.join(", ")),
            });
            self.err(d);
            // Still check the arguments so their errors are reported too.
            for a in args {
                let _ = self.expr(a);
            }
            return None;
        };
        let (min_args, max_args) = (sig.args.len() - sig.optional, if sig.variadic { usize::MAX } else { sig.args.len() });
        if args.len() < min_args || args.len() > max_args {
            let expected = if sig.variadic { format!("at least {min_args}") } else if sig.optional > 0 { format!("{min_args} to {max_args}") } else { format!("{min_args}") };
            self.err(Diag::error("strat::type::arity", format!("`{}` takes {expected} arguments, got {}", f.name, args.len()), span, "wrong number of arguments")
                .with_help(sig.doc));
            return None;
        }
        let mut hs = vec![];
        let mut ok = true;
        for (i, a) in args.iter().enumerate() {
            let spec = sig.args[i.min(sig.args.len() - 1)];
            let h = match spec {
                Arg::Window => {
                    let what = if matches!(sig.builtin, Builtin::Ret | Builtin::LogRet) { "a return horizon" } else { "a window length" };
                    // A sample standard deviation (ddof = 1) needs two values.
                    let min = if matches!(sig.builtin, Builtin::Std | Builtin::Zscore) { 2 } else { 1 };
                    self.window_arg(a, min, what)
                }
                Arg::Series => self.expr(a).and_then(|h| {
                    let h = self.expect_num(h, &format!("the argument of `{}`", f.name), sig.doc)?;
                    if h.ty.qual != Qual::Series {
                        self.err(Diag::error("strat::type::expected_series", format!("`{}` needs a series", f.name), h.span, "this is fixed for the run")
                            .with_help(format!("{}; pass a data column or an expression of one", sig.doc)));
                        return None;
                    }
                    if matches!(sig.builtin, Builtin::Ret | Builtin::LogRet) && h.ty.kind == Kind::Return {
                        self.err(Diag::error("strat::type::return_of_return", format!("`{}` of a return series", f.name), h.span, "this is already a return")
                            .with_help("ret() takes a price level; use the return itself, or cumprod(1 + r) for its level"));
                        return None;
                    }
                    Some(h)
                }),
                Arg::Num => self.expr(a).and_then(|h| self.expect_num(h, &format!("an argument of `{}`", f.name), sig.doc)),
                Arg::Panel => self.expr(a).and_then(|h| {
                    let h = self.expect_num(h, &format!("the argument of `{}`", f.name), sig.doc)?;
                    if h.ty.panel.is_none() {
                        self.err(Diag::error("strat::type::expected_panel", format!("`{}` works across the assets of a panel", f.name), h.span, "not a panel")
                            .with_help(format!("{}; pass an expression of a universe", sig.doc)));
                        return None;
                    }
                    Some(h)
                }),
                Arg::Fraction => {
                    if let ExprKind::Number(l) = &a.kind {
                        if !(l.value > 0.0 && l.value <= 1.0) {
                            self.err(Diag::error("strat::value::bad_fraction", "a fraction of the assets must be in (0, 1]", a.span, format!("this is {}", l.value))
                                .with_help("e.g. `top(x, 20%)` for the top quintile"));
                            return None;
                        }
                    }
                    self.expr(a).and_then(|h| {
                        let h = self.expect_num(h, "a fraction", sig.doc)?;
                        if let Some(v) = const_value(&h) {
                            if !(v > 0.0 && v <= 1.0) {
                                self.err(Diag::error("strat::value::bad_fraction", "a fraction of the assets must be in (0, 1]", a.span, format!("this is {v}"))
                                    .with_help("e.g. `top(x, 20%)` for the top quintile"));
                                return None;
                            }
                        }
                        if h.ty.qual == Qual::Series {
                            self.err(Diag::error("strat::type::window_not_param", "a fraction must be a `const` or `param`", h.span, "this varies by bar")
                                .with_help("write a literal such as `20%`, or a param"));
                            return None;
                        }
                        Some(h)
                    })
                }
            };
            match h {
                Some(h) => hs.push(h),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let first_panel = hs.first().and_then(|h| h.ty.panel);
        let (qual, kind, panel, elem) = match sig.builtin {
            Builtin::Ret | Builtin::LogRet => (Qual::Series, Kind::Return, first_panel, Elem::Num),
            Builtin::Sma | Builtin::Ema | Builtin::Std | Builtin::Zscore | Builtin::RollingMin | Builtin::RollingMax
            | Builtin::Drawdown | Builtin::Cumsum | Builtin::Cumprod => (Qual::Series, Kind::Other, first_panel, Elem::Num),
            Builtin::Count | Builtin::Sum | Builtin::Mean => (Qual::Series, Kind::Other, None, Elem::Num),
            Builtin::Rank | Builtin::ZscoreCs => (Qual::Series, Kind::Other, first_panel, Elem::Num),
            Builtin::Top | Builtin::Bottom => (Qual::Series, Kind::Other, first_panel, Elem::Bool),
            _ => {
                let panel = self.panel_of(&hs.iter().collect::<Vec<_>>(), span)?;
                (max_qual(&hs.iter().map(|h| h.ty).collect::<Vec<_>>()), Kind::Other, panel, Elem::Num)
            }
        };
        Some(HExpr { kind: HKind::Call(sig.builtin, hs), ty: Type { elem, qual, kind, panel }, span })
    }
}

/// The value of a constant expression, if it is one (literals and arithmetic on them).
pub fn const_value(h: &HExpr) -> Option<f64> {
    if h.ty.qual != Qual::Const {
        return None;
    }
    match &h.kind {
        HKind::Const(v) => Some(*v),
        HKind::Unary(UnOp::Neg, x) => Some(-const_value(x)?),
        HKind::Binary(op, a, b) => {
            let (a, b) = (const_value(a)?, const_value(b)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div => Some(a / b),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A strict `YYYY-MM-DD` calendar date (leap years included).
fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// A literal's value as an integer count of `10^-decimals` (its exact decimal value), e.g.
/// `-12%` → (-12, 2), `0.1` → (1, 1), `2bps` → (2, 4).
fn decimal_parts(text: &str) -> Option<(i128, u32)> {
    let (body, shift) = if let Some(b) = text.strip_suffix('%') {
        (b, 2i64)
    } else if let Some(b) = text.strip_suffix("bps") {
        (b, 4)
    } else {
        (text, 0)
    };
    let (mant, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits: String = format!("{int}{frac}");
    let mut v: i128 = digits.parse().ok()?;
    let mut dec = frac.len() as i64 + shift - exp;
    while dec < 0 {
        v = v.checked_mul(10)?;
        dec += 1;
    }
    if dec > 30 {
        return None;
    }
    Some((if neg { -v } else { v }, dec as u32))
}

/// Expands `start ..= end step step` into `start + i*step`, each the double nearest its exact
/// decimal value (SEMANTICS.md §0: 0.1, 0.2, 0.3 — never 0.30000000000000004), `end` included
/// when reached.
pub fn expand_range(start: &Literal, end: &Literal, step: &Literal) -> Result<Vec<f64>, String> {
    let bad = || format!("cannot expand `{} ..= {} step {}`", start.text, end.text, step.text);
    let (a, da) = decimal_parts(&start.text).ok_or_else(bad)?;
    let (b, db) = decimal_parts(&end.text).ok_or_else(bad)?;
    let (s, ds) = decimal_parts(&step.text).ok_or_else(bad)?;
    let d = da.max(db).max(ds);
    let scale = |v: i128, dv: u32| v.checked_mul(10i128.checked_pow(d - dv)?);
    let (a, b, s) = (scale(a, da).ok_or_else(bad)?, scale(b, db).ok_or_else(bad)?, scale(s, ds).ok_or_else(bad)?);
    if s <= 0 {
        return Err(format!("the step `{}` must be positive", step.text));
    }
    if b < a {
        return Err(format!("the range `{} ..= {}` is empty", start.text, end.text));
    }
    let n = (b - a) / s + 1;
    if n > 100_000 {
        return Err(format!("the range has {n} values; the limit is 100,000"));
    }
    Ok((0..n).map(|i| format!("{}e-{d}", a + i * s).parse::<f64>().unwrap_or(f64::NAN)).collect())
}
