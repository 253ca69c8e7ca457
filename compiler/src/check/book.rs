//! What the strategy holds: `regime` declarations, the program's `hold`, `sleeve`s,
//! `hold [sleeves] weight NAME`, the `ensemble`, and the checks that relate them (one book,
//! at least one).

use super::{Checker, Decl};
use crate::hir::*;
use crate::suggest::did_you_mean;
use crate::types::{Kind, Qual, Type};
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

impl Checker {
    /// `regime NAME { ARM when COND ... ARM otherwise }`.
    pub(super) fn regime_stmt(&mut self, n: &Ident, arms: &[RegimeArm], span: Span) {
        let r = self.regimes.len();
        let decl = self.regime(r, n, arms, span);
        self.regimes.push(decl);
    }

    /// `hold TARGET weight W [rebalance ...]`: the program's book, when no other came before.
    pub(super) fn hold_stmt(&mut self, target: &Expr, weight: &Expr, reb: Option<&Rebalance>, span: Span) {
        if !self.claim_hold(span) {
            return;
        }
        match self.check_hold(target, weight, reb) {
            Some(h) => self.hold = Some(h),
            None => self.hold_failed = true,
        }
    }

    /// `drift` after the program's `hold`: needs a rebalance schedule (without one the weights
    /// are reset every bar and there is nothing to drift between).
    pub(super) fn drift_clause(&mut self, has_rebalance: bool, span: Span) {
        if !has_rebalance {
            self.err(
                Diag::error("strat::drift::no_rebalance", "`drift` needs a rebalance schedule", span, "drift between what?")
                    .with_help("the weights are reset to their targets on every bar without a schedule: write e.g. `hold px weight w rebalance monthly drift`"),
            );
            return;
        }
        self.drift = true;
    }

    /// `hold [sleeves] weight NAME [rebalance ...]`: the program's book, when no other came before.
    pub(super) fn hold_sleeves_stmt(&mut self, sleeves: &[Ident], weight: &Expr, reb: Option<&Rebalance>, span: Span) {
        if !self.claim_hold(span) {
            return;
        }
        self.sleeve_hold_span = Some(span);
        match self.check_hold_sleeves(sleeves, weight, reb) {
            Some(k) => self.sleeve_book = Some(k),
            None => self.hold_failed = true,
        }
    }

    /// `sleeve NAME { hold ... }`. A hold that fails to check is kept as a placeholder.
    pub(super) fn sleeve_stmt(&mut self, n: &Ident, inner: &Stmt, span: Span) {
        if let StmtKind::Hold { target, weight, rebalance: reb, drift } = &inner.kind {
            if let Some(d) = drift {
                self.err(
                    Diag::error("strat::drift::in_sleeve", "a sleeve's weights cannot drift", *d, "drift in a sleeve")
                        .with_help("`drift` applies to the program's own `hold` of a series or a universe; drop it here (the combined book is rebalanced to its sleeves' targets)"),
                );
            }
            let h = self.check_hold(target, weight, reb.as_ref());
            let placeholder = HoldDecl {
                target: Holding::Universe(0),
                weight: HExpr { kind: HKind::Const(f64::NAN), ty: Type::num(Qual::Const), span },
                rebalance: RebalanceRule::Daily,
            };
            self.sleeves.push(SleeveDecl { name: n.name.clone(), hold: h.unwrap_or(placeholder), span });
        }
    }

    /// A `use` the compiler did not expand (its expansion failed, with an error): declares its
    /// name as a sleeve that holds nothing, so that its uses do not cascade into more errors.
    pub(super) fn unexpanded_use(&mut self, n: &Ident, span: Span) {
        self.unexpanded.get_or_insert(span);
        let placeholder = HoldDecl {
            target: Holding::Universe(0),
            weight: HExpr { kind: HKind::Const(f64::NAN), ty: Type::num(Qual::Const), span },
            rebalance: RebalanceRule::Daily,
        };
        self.sleeves.push(SleeveDecl { name: n.name.clone(), hold: placeholder, span });
    }

    /// `ensemble by REGIME { ... }`: the program's book, declared once.
    pub(super) fn ensemble_stmt(&mut self, r: &Ident, arms: &[(Ident, Expr)], span: Span) {
        if self.ensemble.is_some() {
            self.err(Diag::error("strat::stmt::duplicate", "a second `ensemble` statement", span, "second ensemble").with_help("a strategy has one ensemble"));
            return;
        }
        self.ensemble_span = Some(span);
        self.ensemble = self.check_ensemble(r, arms, span);
        if self.ensemble.is_none() {
            self.hold_failed = true;
        }
    }

    /// After the last statement: one book (a hold or an ensemble, not both), at least one, and
    /// no `cost` with sleeves.
    pub(super) fn check_book(&mut self, program: &Program) {
        if let (Some(h), Some(e)) = (self.hold_span, self.ensemble_span) {
            let (first, second) = if h.start > e.start { (e, h) } else { (h, e) };
            self.err(
                Diag::error("strat::stmt::hold_and_ensemble", "a strategy holds a series or an ensemble, not both", second, "second book")
                    .with_label(first, "first book")
                    .with_help("put the hold into a sleeve and give it a weight in the ensemble"),
            );
        }
        if self.hold.is_none() && self.ensemble.is_none() && self.hold_span.is_none() && self.ensemble_span.is_none() && !self.hold_failed {
            let span = program.stmts.first().map(|s| s.span).unwrap_or_default();
            self.err(
                Diag::error("strat::stmt::missing_hold", "the program never says what to hold", span, "no `hold` statement in this file")
                    .with_help("add `hold SERIES weight EXPR`, e.g. `hold mkt.spx weight 100%`"),
            );
        }
    }

    /// A `regime` declaration (the `r`th enum): its arms and their conditions.
    fn regime(&mut self, r: usize, name: &Ident, arms: &[RegimeArm], span: Span) -> RegimeDecl {
        let mut names: Vec<String> = vec![];
        let mut conds = vec![];
        if arms.is_empty() {
            self.err(
                Diag::error("strat::regime::empty", format!("regime `{}` has no arms", name.name), span, "empty regime")
                    .with_help("list arms as `NAME when COND`, ending with `NAME otherwise`"),
            );
        }
        for (i, arm) in arms.iter().enumerate() {
            if let Some(prev) = arms[..i].iter().find(|a| a.name.name == arm.name.name) {
                self.err(
                    Diag::error("strat::name::duplicate", format!("arm `{}` appears twice", arm.name.name), arm.name.span, "second arm")
                        .with_label(prev.name.span, "first arm")
                        .with_help("each arm of a regime needs its own name"),
                );
            }
            if self.decls.contains_key(&arm.name.name) {
                let prev = self.decls[&arm.name.name].1;
                self.err(
                    Diag::error("strat::name::duplicate", format!("arm `{}` has the name of a declaration", arm.name.name), arm.name.span, "arm name")
                        .with_label(prev, "declared here")
                        .with_help("rename the arm or the declaration"),
                );
            }
            let last = i + 1 == arms.len();
            match (&arm.cond, last) {
                (None, false) => self.err(
                    Diag::error("strat::regime::otherwise_not_last", "`otherwise` must be the last arm", arm.span, "later arms can never match")
                        .with_help("move this arm to the end"),
                ),
                (Some(_), true) => self.err(
                    Diag::error("strat::regime::no_otherwise", format!("regime `{}` has no `otherwise` arm", name.name), arm.span, "last arm has a condition")
                        .with_help(format!("every bar needs a regime: end with e.g. `{} otherwise`", arm.name.name)),
                ),
                _ => {}
            }
            let cond = arm.cond.as_ref().and_then(|c| {
                let h = self.expr(c)?;
                let h = self.expect_bool(h, "a regime condition")?;
                if h.ty.panel.is_some() {
                    self.err(
                        Diag::error("strat::type::shape_mismatch", "a regime is one state per bar, not per asset", h.span, "a panel condition")
                            .with_help("reduce the panel, e.g. `mean(x) > 0` or `count(x) > 3`"),
                    );
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

    /// Claims the program's single book for the `hold` at `span`; reports
    /// `strat::stmt::duplicate_hold` (false) when a `hold` came before.
    fn claim_hold(&mut self, span: Span) -> bool {
        if let Some(prev) = self.hold_span {
            self.err(Diag::error("strat::stmt::duplicate_hold", "a second `hold` statement", span, "second hold").with_label(prev, "first hold").with_help(
                "a strategy holds one series, universe or set of weighted sleeves; combine weights in one expression, or use sleeves and an ensemble",
            ));
            return false;
        }
        self.hold_span = Some(span);
        true
    }

    /// A `hold` / `benchmark` target: a data column or a universe of prices (possibly through
    /// `let` bindings).
    pub(super) fn holding(&mut self, e: &Expr) -> Option<Holding> {
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
        self.err(
            Diag::error("strat::type::not_a_price", "only prices can be held or benchmarked", e.span, format!("this is {found}"))
                .with_help(format!("{what} takes a data column or a universe of prices, e.g. `hold mkt.spx weight ...`; put the sizing logic in `weight`")),
        );
        None
    }

    /// Checks `hold TARGET weight W [rebalance ...]` (the program's or a sleeve's).
    fn check_hold(&mut self, target: &Expr, weight: &Expr, reb: Option<&Rebalance>) -> Option<HoldDecl> {
        let t = self.holding(target);
        let w = self.expr(weight);
        let w = w.and_then(|w| self.expect_num(w, "a weight", "a weight is a number: the fraction of equity held"));
        let w = match (&t, w) {
            (Some(Holding::Column(_)), Some(w)) if w.ty.panel.is_some() => {
                self.err(
                    Diag::error("strat::type::shape_mismatch", "a panel weight for a single series", w.span, "one weight per asset")
                        .with_help("hold a universe to trade a panel of weights, or reduce the panel, e.g. mean(w)"),
                );
                None
            }
            (Some(Holding::Universe(u)), Some(w)) if w.ty.panel.is_some_and(|p| p != *u) => {
                let (a, b) = (self.universes[*u].name.clone(), self.universes[w.ty.panel.unwrap_or(0)].name.clone());
                self.err(
                    Diag::error("strat::type::shape_mismatch", format!("weights over `{b}` for holdings of `{a}`"), w.span, "another universe")
                        .with_help("the weight panel must be over the held universe"),
                );
                None
            }
            (_, w) => w,
        };
        let rebalance = match reb {
            None => RebalanceRule::Daily,
            Some(r) => self.rebalance_rule(r)?,
        };
        Some(HoldDecl { target: t?, weight: w?, rebalance })
    }

    /// `rebalance monthly | weekly | every N` (N a whole number of bars >= 1).
    pub(super) fn rebalance_rule(&mut self, r: &Rebalance) -> Option<RebalanceRule> {
        Some(match r {
            Rebalance::Monthly(_) => RebalanceRule::Monthly,
            Rebalance::Weekly(_) => RebalanceRule::Weekly,
            Rebalance::Every(n) => {
                if n.unit != Unit::None || n.value.fract() != 0.0 || n.value < 1.0 || n.value > 1e9 {
                    self.err(
                        Diag::error("strat::value::bad_window", "`rebalance every N` needs a whole number of bars >= 1", n.span, "not a bar count")
                            .with_help("e.g. `rebalance every 21`"),
                    );
                    return None;
                }
                RebalanceRule::Every(n.value as usize)
            }
        })
    }

    /// Checks `ensemble by REGIME { ARM => c * sleeve + ... }`.
    fn check_ensemble(&mut self, r: &Ident, arms: &[(Ident, Expr)], span: Span) -> Option<EnsembleDecl> {
        let regime = match self.decls.get(&r.name) {
            Some((Decl::Regime(e), _)) => *e,
            Some(_) => {
                self.err(
                    Diag::error("strat::type::not_a_regime", format!("`{}` is not a regime", r.name), r.span, "not a regime")
                        .with_help("declare `regime NAME { ARM when COND ... ARM otherwise }` and name it here"),
                );
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
                self.err(
                    Diag::error("strat::name::unknown", format!("`{}` is not an arm of regime `{}`", arm.name, r.name), arm.span, "unknown arm")
                        .with_help(hint),
                );
                ok = false;
                continue;
            };
            if out[k].is_some() {
                self.err(
                    Diag::error("strat::name::duplicate", format!("arm `{}` appears twice", arm.name), arm.span, "again")
                        .with_help("give each arm one allocation"),
                );
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
                self.diags.push(
                    Diag::warning("strat::lint::cash_arm", format!("arm `{}` has no allocation: it holds cash", arm_names[k]), span, "ensemble")
                        .with_help(format!("add `{} => ...` if that is not meant", arm_names[k])),
                );
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
                self.err(
                    Diag::error("strat::type::not_a_sleeve_mix", "an ensemble arm is a weighted sum of sleeves", t.span, "not `weight * sleeve`")
                        .with_help("write e.g. `BULL => 0.7 * qm + 0.3 * lowvol` with declared sleeves"),
                );
                ok = false;
                continue;
            };
            if !self.decl_order.contains_key(&self.sleeves.get(k).map(|s| s.name.clone()).unwrap_or_default()) && k >= self.sleeves.len() {
                self.err(
                    Diag::error("strat::name::use_before_declaration", "a sleeve is used before it is declared", t.span, "declared later")
                        .with_help("declare sleeves before the ensemble"),
                );
                ok = false;
                continue;
            }
            let c = match coef {
                None => HExpr { kind: HKind::Const(1.0), ty: Type::num(Qual::Const), span: t.span },
                Some(c) => match self.expr(c).and_then(|h| self.expect_num(h, "a sleeve weight", "an allocation is a number, e.g. 0.7 or 70%")) {
                    Some(h) if h.ty.qual == Qual::Series => {
                        self.err(
                            Diag::error("strat::type::window_not_param", "a sleeve weight must be a `const` or `param`", h.span, "this varies by bar")
                                .with_help("allocations change with the regime arm; each arm's weights are fixed for a run"),
                        );
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
        if ok {
            Some(out)
        } else {
            None
        }
    }
}
