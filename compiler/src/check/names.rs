//! Declarations and names: the first pass that numbers every declaration (and reports
//! duplicates), then resolving a name or a `SOURCE.column` where it is used, declared above.

use super::{Checker, Decl};
use crate::builtins;
use crate::hir::*;
use crate::suggest::did_you_mean;
use crate::types::{Elem, Kind, Qual, Type};
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

impl Checker {
    /// First pass: every declared name, with duplicates reported.
    pub(super) fn collect(&mut self, program: &Program) {
        let mut counts = [0usize; 9];
        let mut enums = 0usize;
        for (i, stmt) in program.stmts.iter().enumerate() {
            let (ident, kind) = match &stmt.kind {
                StmtKind::Data { name, .. } => (name, 0),
                StmtKind::Param { name, .. } => (name, 1),
                StmtKind::Let { name, .. } => (name, 2),
                StmtKind::Regime { name, .. } => (name, 3),
                StmtKind::Universe { name, .. } => (name, 4),
                StmtKind::Sleeve { name, .. } | StmtKind::Use { alias: name, .. } => (name, 5),
                StmtKind::Weights { name, .. } => (name, 6),
                StmtKind::Kill { name, .. } => (name, 7),
                StmtKind::Panel { name, .. } => (name, 8),
                StmtKind::Hold { target, .. } => {
                    self.hold_target_ast.get_or_insert_with(|| target.clone());
                    continue;
                }
                StmtKind::Capital { value } => {
                    self.capital_ast.get_or_insert_with(|| value.clone());
                    continue;
                }
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
                6 => Decl::Weights(idx),
                7 => Decl::Kill(idx),
                _ => Decl::Panel(idx),
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
                self.err(
                    Diag::error("strat::name::shadows_builtin", format!("`{}` is a builtin function", ident.name), ident.span, "this name is taken")
                        .with_help("choose another name"),
                );
            }
            if let Some((_, prev)) = self.decls.get(&ident.name) {
                let prev = *prev;
                self.err(
                    Diag::error("strat::name::duplicate", format!("`{}` is declared twice", ident.name), ident.span, "second declaration")
                        .with_label(prev, "first declaration")
                        .with_help("names are declared once; rename one of them"),
                );
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

    /// Every declared name and arm name, sorted (the candidates of "did you mean").
    pub(super) fn all_names(&self) -> Vec<String> {
        let mut v: Vec<String> = self.decls.keys().cloned().collect();
        v.extend(self.arm_names.keys().cloned());
        v.sort();
        v
    }

    /// Reports a name that is not declared (or is a function used as a value).
    pub(super) fn unknown_name(&mut self, id: &Ident) {
        if builtins::lookup(&id.name).is_some() {
            self.err(
                Diag::error("strat::name::function_as_value", format!("`{}` is a function", id.name), id.span, "not a value")
                    .with_help(format!("call it: {}", builtins::lookup(&id.name).map(|s| s.doc).unwrap_or(""))),
            );
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
    pub(super) fn declared_above(&mut self, id: &Ident, dspan: Span) -> bool {
        let order = self.decl_order.get(&id.name).copied().unwrap_or(0);
        if order < self.current_stmt {
            return true;
        }
        let msg = if order == self.current_stmt {
            format!("`{}` is used in its own definition", id.name)
        } else {
            format!("`{}` is used before it is declared", id.name)
        };
        self.err(Diag::error("strat::name::use_before_declaration", msg, id.span, "used here").with_label(dspan, "declared here").with_help(
            "a name refers only to declarations above it; move the declaration up (there are no recursive definitions: use `x[1]` for the previous bar)",
        ));
        false
    }

    /// A bare name as a value: a param, let, universe, regime, weights or arm name.
    pub(super) fn name(&mut self, id: &Ident, span: Span) -> Option<HExpr> {
        let Some(&(decl, dspan)) = self.decls.get(&id.name) else {
            if let Some(arms) = self.arm_names.get(&id.name).cloned() {
                if arms.len() == 1 {
                    let (r, a) = arms[0];
                    return Some(HExpr { kind: HKind::Const(a as f64), ty: Type::of(Elem::Regime(r), Qual::Const), span });
                }
                self.err(
                    Diag::error("strat::name::ambiguous_arm", format!("`{}` is an arm of several regimes", id.name), id.span, "which regime?")
                        .with_help(format!("compare it with a regime value, e.g. `state == {}`", id.name)),
                );
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
                self.err(
                    Diag::error("strat::type::table_as_value", format!("`{}` is a data source, not a series", id.name), id.span, "a table of columns")
                        .with_help(format!("pick a column, e.g. `{}.{}`", id.name, example)),
                );
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
                self.err(
                    Diag::error("strat::type::sleeve_as_value", format!("`{}` is a sleeve, a return series of its own", id.name), id.span, "a sleeve")
                        .with_help("sleeves are combined in `ensemble by REGIME { ARM => 0.5 * a + 0.5 * b }`"),
                );
                None
            }
            Decl::Universe(u) => {
                if self.broken_universes.get(u).copied().unwrap_or(true) {
                    return None;
                }
                Some(HExpr { kind: HKind::Universe(u), ty: Type { elem: Elem::Num, qual: Qual::Series, kind: Kind::Price, panel: Some(u) }, span })
            }
            Decl::Panel(k) => self.panel_value(k, id, span),
            Decl::Let(i) => {
                self.let_used[i] = true;
                if self.let_own.get(i).copied().unwrap_or(false) && !self.own_allowed(id, span) {
                    return None;
                }
                let ty = self.let_types.get(i).copied().flatten()?;
                Some(HExpr { kind: HKind::Let(i), ty, span })
            }
            Decl::Kill(k) => self.kill_value(k, id, span),
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
    pub(super) fn weights_value(&mut self, k: usize, id: &Ident, span: Span) -> Option<HExpr> {
        let decl = self.weights.get(k).cloned().flatten()?;
        match decl.members {
            WeightMembersRef::Universe(u) => {
                Some(HExpr { kind: HKind::Weights(k), ty: Type { elem: Elem::Num, qual: Qual::Series, kind: Kind::Other, panel: Some(u) }, span })
            }
            WeightMembersRef::Sleeves(_) => {
                self.err(
                    Diag::error("strat::type::sleeve_weights_as_value", format!("`{}` weights sleeves, not assets", id.name), id.span, "sleeve weights")
                        .with_help(format!("hold them: `hold [{}] weight {}`", decl.member_names.join(", "), id.name)),
                );
                None
            }
        }
    }

    /// `SOURCE.column`: a price column of a `data` source.
    pub(super) fn field(&mut self, base: &Expr, col: &Ident, span: Span) -> Option<HExpr> {
        if let ExprKind::Name(id) = &base.kind {
            if id.name == "own" && !self.decls.contains_key("own") {
                return self.own_value(col, span);
            }
        }
        let (source, id) = match &base.kind {
            ExprKind::Name(id) => match self.decls.get(&id.name) {
                Some((Decl::Data(i), _)) => (*i, id),
                Some((Decl::Panel(k), _)) if self.decl_order.get(&id.name).copied().unwrap_or(0) < self.current_stmt => {
                    let k = *k;
                    return self.panel_field(k, id, col, span);
                }
                Some(_) => {
                    self.err(
                        Diag::error("strat::type::no_columns", format!("`{}` has no columns", id.name), base.span, "not a data source")
                            .with_help("only a `data` source has columns: `mkt.spx`"),
                    );
                    return None;
                }
                None => {
                    self.unknown_name(id);
                    return None;
                }
            },
            _ => {
                self.err(
                    Diag::error("strat::type::no_columns", "only a data source has columns", base.span, "not a data source")
                        .with_help("write `SOURCE.column`, e.g. `mkt.spx`"),
                );
                return None;
            }
        };
        // A source declared below is not in `self.data` yet: report the use before its declaration.
        if self.decl_order.get(&id.name).copied().unwrap_or(0) >= self.current_stmt {
            return self.name(&Ident { name: id.name.clone(), span: base.span }, base.span);
        }
        if self.broken_sources.get(source).copied().unwrap_or(true) {
            return None;
        }
        let ds = &self.data[source];
        if !ds.columns.iter().any(|c| c == &col.name) {
            let cols = ds.columns.clone();
            let (name, path) = (ds.name.clone(), ds.path.clone());
            let mut d =
                Diag::error("strat::name::unknown_column", format!("`{name}` has no column `{}`", col.name), col.span, format!("not a column of {path}"));
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

    /// How a type reads in a diagnostic (regimes by their names).
    pub(super) fn type_name(&self, t: Type) -> String {
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

    /// The name and arm names of regime `r` (declared or being declared).
    pub(super) fn regime_arms_of(&self, r: usize) -> (String, Vec<String>) {
        let name = self.decls.iter().find(|(_, (d, _))| *d == Decl::Regime(r)).map(|(n, _)| n.clone()).unwrap_or_default();
        let mut arms: Vec<(usize, String)> =
            self.arm_names.iter().flat_map(|(n, v)| v.iter().filter(|(rr, _)| *rr == r).map(move |(_, a)| (*a, n.clone()))).collect();
        arms.sort();
        (name, arms.into_iter().map(|a| a.1).collect())
    }

    /// The regime a bare name refers to (without reporting anything).
    pub(super) fn regime_of(&self, e: &Expr) -> Option<usize> {
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
}

#[cfg(test)]
mod tests {
    use crate::ast_to_hir;

    /// `SOURCE.column` before `data SOURCE = ...` is a use before declaration, not a panic
    /// (the source is not in the checker's list of data yet).
    #[test]
    fn a_column_of_a_source_declared_below_is_a_use_before_declaration() {
        let src = "hold mkt.spx weight 100%\ndata mkt = csv(\"a.csv\")\n";
        let (ast, parse_diags) = strat_grammar::source_to_ast(src);
        assert!(parse_diags.is_empty(), "{parse_diags:?}");
        let (hir, diags) = ast_to_hir(&ast, "t", &mut |_| Ok(vec!["spx".to_string()]));
        assert!(hir.is_none());
        let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["strat::name::use_before_declaration"], "{diags:?}");
    }
}
