//! Expressions: [`expr`] dispatches on the rule, one function per precedence level (`or`/`and`,
//! comparison, `+ -`, `* /`, unary, postfix) and per primary kind (parentheses, `if`, `tiers`,
//! call, number, bool, name). An unexpected pair is a `strat::internal` error, never a panic.

use super::build::{ident, literal, parts, Ctx};
use super::Rule;
use crate::ast::*;
use pest::iterators::Pair;

/// One expression, dispatched on its rule.
pub(super) fn expr(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    match p.as_rule() {
        Rule::expr | Rule::paren => wrapped(cx, p),
        Rule::or_expr | Rule::and_expr | Rule::add_expr | Rule::mul_expr => binary_chain(cx, p),
        Rule::cmp_expr => comparison(cx, p),
        Rule::not_expr | Rule::unary => unary(cx, p),
        Rule::postfix => postfix(cx, p),
        Rule::if_expr => if_expr(cx, p),
        Rule::tiers_expr => tiers(cx, p),
        Rule::call => call(cx, p),
        Rule::number | Rule::bool_lit | Rule::ident => atom(cx, &p),
        _ => {
            cx.internal(&p, "unexpected expression rule");
            None
        }
    }
}

/// `expr` (its one inner expression) or `( expr )`, whose span then covers the parentheses.
fn wrapped(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let span = cx.span(&p);
    let inner = parts(p.clone());
    match inner.into_iter().next() {
        Some(q) => {
            let mut e = expr(cx, q)?;
            if p.as_rule() == Rule::paren {
                e.span = span;
            }
            Some(e)
        }
        None => {
            cx.internal(&p, "empty expression");
            None
        }
    }
}

/// A left-associative chain `a OP b OP c` of `or`, `and`, `+`/`-` or `*`/`/`.
fn binary_chain(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let op_for_kw = if p.as_rule() == Rule::or_expr { BinOp::Or } else { BinOp::And };
    let mut it = p.into_inner();
    let first = it.next()?;
    let mut acc = expr(cx, first)?;
    while let Some(op) = it.next() {
        let bop = binary_op(cx, &op, op_for_kw)?;
        let rhs_pair = it.next()?;
        let rhs = expr(cx, rhs_pair)?;
        let s = acc.span.to(rhs.span);
        acc = Expr { kind: ExprKind::Binary(bop, Box::new(acc), Box::new(rhs)), span: s };
    }
    Some(acc)
}

/// The operator of one link of a [`binary_chain`]; `op_for_kw` is the chain's `or` or `and`.
fn binary_op(cx: &mut Ctx, op: &Pair<Rule>, op_for_kw: BinOp) -> Option<BinOp> {
    Some(match op.as_rule() {
        Rule::kw_or | Rule::kw_and => op_for_kw,
        Rule::add_op if op.as_str() == "+" => BinOp::Add,
        Rule::add_op => BinOp::Sub,
        Rule::mul_op if op.as_str() == "*" => BinOp::Mul,
        Rule::mul_op => BinOp::Div,
        _ => {
            cx.internal(op, "binary operator");
            return None;
        }
    })
}

/// `a CMP b` (not chained), or `a` alone.
fn comparison(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let mut it = p.into_inner();
    let lhs = expr(cx, it.next()?)?;
    match (it.next(), it.next()) {
        (Some(op), Some(r)) => {
            let bop = BinOp::comparison(op.as_str())?;
            let rhs = expr(cx, r)?;
            let s = lhs.span.to(rhs.span);
            Some(Expr { kind: ExprKind::Binary(bop, Box::new(lhs), Box::new(rhs)), span: s })
        }
        _ => Some(lhs),
    }
}

/// `not a` or `-a`, or the operand alone.
fn unary(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let span = cx.span(&p);
    let mut it = p.into_inner();
    let first = it.next()?;
    match first.as_rule() {
        Rule::not_op | Rule::neg_op => {
            let op = if first.as_rule() == Rule::not_op { UnOp::Not } else { UnOp::Neg };
            let x = expr(cx, it.next()?)?;
            Some(Expr { kind: ExprKind::Unary(op, Box::new(x)), span })
        }
        _ => expr(cx, first),
    }
}

/// A primary followed by any number of `[index]` and `.field`.
fn postfix(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let mut it = p.into_inner();
    let mut acc = expr(cx, it.next()?)?;
    for q in it {
        let qspan = cx.span(&q);
        let s = acc.span.to(qspan);
        match q.as_rule() {
            Rule::index => {
                let k = expr(cx, q.into_inner().next()?)?;
                acc = Expr { kind: ExprKind::Index(Box::new(acc), Box::new(k)), span: s };
            }
            Rule::field => {
                let f = q.into_inner().next()?;
                let id = ident(cx, &f);
                acc = Expr { kind: ExprKind::Field(Box::new(acc), id), span: s };
            }
            _ => {
                cx.internal(&q, "postfix operator");
                return None;
            }
        }
    }
    Some(acc)
}

/// `if COND then A else B`.
fn if_expr(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let span = cx.span(&p);
    let ps = parts(p.clone());
    match ps.as_slice() {
        [c, a, b] => Some(Expr { kind: ExprKind::If(Box::new(expr(cx, c.clone())?), Box::new(expr(cx, a.clone())?), Box::new(expr(cx, b.clone())?)), span }),
        _ => {
            cx.internal(&p, "if shape");
            None
        }
    }
}

/// `tiers(SUBJECT) { CMP T => V ... else => D }`.
fn tiers(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let span = cx.span(&p);
    let ps = parts(p);
    let (subject, rest) = ps.split_first()?;
    let subject = expr(cx, subject.clone())?;
    let mut arms = Vec::new();
    let mut default = None;
    for a in rest {
        let aps = parts(a.clone());
        match (a.as_rule(), aps.as_slice()) {
            (Rule::tier_arm, [op, t, v]) => {
                arms.push(TierArm { op: BinOp::comparison(op.as_str())?, op_span: cx.span(op), threshold: expr(cx, t.clone())?, value: expr(cx, v.clone())? })
            }
            (Rule::tier_else, [v]) => default = Some(expr(cx, v.clone())?),
            _ => {
                cx.internal(a, "tier arm shape");
                return None;
            }
        }
    }
    Some(Expr { kind: ExprKind::Tiers(Box::new(subject), arms, Box::new(default?)), span })
}

/// `NAME(ARG, ...)`.
fn call(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let span = cx.span(&p);
    let mut it = p.into_inner();
    let name = ident(cx, &it.next()?);
    let mut args = Vec::new();
    for a in it {
        args.push(expr(cx, a)?);
    }
    Some(Expr { kind: ExprKind::Call(name, args), span })
}

/// A number, `true` or `false`, or a name.
fn atom(cx: &mut Ctx, p: &Pair<Rule>) -> Option<Expr> {
    let span = cx.span(p);
    let kind = match p.as_rule() {
        Rule::number => ExprKind::Number(literal(cx, p)?),
        Rule::bool_lit => ExprKind::Bool(p.as_str() == "true"),
        _ => ExprKind::Name(ident(cx, p)),
    };
    Some(Expr { kind, span })
}
