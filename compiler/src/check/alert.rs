//! `alert NAME when COND` (SEMANTICS.md §3b): a condition checked on every bar from the first
//! live one, the last included. It may read what a report may: data, lets, params, the own
//! path (`own.equity`, `own.drawdown`, `own.day_return`, their lags and windows) and the kill
//! switches' states. The values its comparisons compare are kept, so that `strat monitor` can
//! say what fired it.

use super::portfolio::OwnCtx;
use super::Checker;
use crate::hir::*;
use crate::types::Elem;
use strat_grammar::ast::*;
use strat_grammar::{expr_to_source, Diag, Span};

/// At most this many compared values are kept per alert (the first in source order).
pub const MAX_ALERT_VALUES: usize = 8;

/// The operands of the comparisons in `e` (through `and`, `or`, `not`), and the conditions it
/// combines that are not comparisons (`spike`, `crash`), in source order: what an alert's
/// condition reads.
fn compared<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match &e.kind {
        ExprKind::Binary(BinOp::And | BinOp::Or, a, b) => {
            compared(a, out);
            compared(b, out);
        }
        ExprKind::Unary(UnOp::Not, x) => compared(x, out),
        ExprKind::Binary(BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne, a, b) => {
            out.push(a);
            out.push(b);
        }
        _ => out.push(e),
    }
}

/// Whether `e` is a literal (a number, possibly negated, or a bool): nothing to show.
fn literal(e: &Expr) -> bool {
    match &e.kind {
        ExprKind::Number(_) | ExprKind::Bool(_) => true,
        ExprKind::Unary(UnOp::Neg, x) => literal(x),
        _ => false,
    }
}

impl Checker {
    /// `alert NAME when COND`.
    pub(super) fn alert_stmt(&mut self, name: &Ident, when: &Expr, span: Span) {
        if let Some(prev) = self.alerts.iter().find(|a| a.name == name.name) {
            let prev = prev.span;
            self.err(
                Diag::error("strat::name::duplicate", format!("alert `{}` is declared twice", name.name), name.span, "second declaration")
                    .with_label(prev, "first declaration")
                    .with_help("give each alert its own name"),
            );
            return;
        }
        let Some(h) = self.own_expr(when, OwnCtx::Alert) else { return };
        if h.ty.elem != Elem::Bool || h.ty.panel.is_some() {
            let (msg, label, help) = if h.ty.elem != Elem::Bool {
                (format!("the condition of alert `{}` is not a condition", name.name), "not a bool", "compare it, e.g. `alert high_vol when mkt.vix > 30`")
            } else {
                (
                    format!("the condition of alert `{}` is a condition per asset; an alert needs one per bar", name.name),
                    "one per asset",
                    "reduce it over the assets first, e.g. `count(if ret(stocks) < -5% then 1 else 0) > 10`",
                )
            };
            self.err(Diag::error("strat::type::expected_bool", msg, when.span, label).with_help(help));
            return;
        }
        // The operands already checked as parts of the condition; checking them again adds no
        // diagnostic worth keeping.
        let mut operands = vec![];
        compared(when, &mut operands);
        let mut values: Vec<(String, HExpr)> = vec![];
        let before = self.diags.len();
        for e in operands.into_iter().filter(|e| !literal(e)) {
            let text = expr_to_source(e);
            if values.len() == MAX_ALERT_VALUES || values.iter().any(|(t, _)| *t == text) {
                continue;
            }
            match self.own_expr(e, OwnCtx::Alert) {
                Some(v) if v.ty.panel.is_none() && matches!(v.ty.elem, Elem::Num | Elem::Bool) => values.push((text, v)),
                _ => {}
            }
        }
        self.diags.truncate(before);
        let span = Span { start: span.start, end: when.span.end };
        self.alerts.push(AlertDecl { name: name.name.clone(), text: expr_to_source(when), when: h, values, span });
    }

    /// `e` checked where own values are allowed as `ctx` says.
    fn own_expr(&mut self, e: &Expr, ctx: OwnCtx) -> Option<HExpr> {
        let h = self.with_own(ctx, |cx| cx.expr(e))?;
        self.check_own_expr(h, ctx)
    }
}
