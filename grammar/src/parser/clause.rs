//! The clauses statements share: rebalancing, a weighting method and its options, the `weights`
//! clauses, a named cost model, a parameter's domain.

use super::build::{ident, literal, parts, Ctx};
use super::expr::expr;
use super::Rule;
use crate::ast::*;
use crate::diag::Diag;
use pest::iterators::Pair;

/// A parameter's domain after `in`: a list of numbers or of names, or a range; `when` is its
/// optional condition.
pub(super) fn param_domain(cx: &mut Ctx, domain: &Pair<Rule>, when: Option<Expr>) -> Option<ParamValue> {
    match domain.as_rule() {
        Rule::param_list => param_list(cx, domain, when),
        Rule::param_range => {
            let items: Vec<Pair<Rule>> = parts(domain.clone());
            match items.as_slice() {
                [a, b, st] => Some(ParamValue::Range { start: literal(cx, a)?, end: literal(cx, b)?, step: literal(cx, st)?, when }),
                _ => {
                    cx.internal(domain, "range shape");
                    None
                }
            }
        }
        _ => {
            cx.internal(domain, "param domain");
            None
        }
    }
}

/// `[a, b, c]`: all numbers (a list) or all names (choices); a mix is an error.
fn param_list(cx: &mut Ctx, domain: &Pair<Rule>, when: Option<Expr>) -> Option<ParamValue> {
    let items: Vec<Pair<Rule>> = domain.clone().into_inner().collect();
    if items.iter().all(|i| i.as_rule() == Rule::ident) {
        Some(ParamValue::Choices(items.iter().map(|i| ident(cx, i)).collect(), when))
    } else if items.iter().all(|i| i.as_rule() == Rule::signed_number) {
        let mut lits = vec![];
        for i in &items {
            lits.push(literal(cx, i)?);
        }
        Some(ParamValue::List(lits, when))
    } else {
        let span = cx.span(domain);
        cx.diags.push(
            Diag::error("strat::syntax::mixed_param_list", "a param list mixes numbers and names", span, "numbers and names")
                .with_help("list either numbers (`[1, 2, 3]`) or choices (`[long_only, hedge]`)"),
        );
        None
    }
}

/// A named cost model `NAME(KEY = EXPR, ...)`.
pub(super) fn cost_model(cx: &mut Ctx, p: &Pair<Rule>) -> Option<CostModel> {
    let span = cx.span(p);
    let ps = parts(p.clone());
    let (name, args) = ps.split_first()?;
    let mut out = vec![];
    for a in args {
        match parts(a.clone()).as_slice() {
            [k, v] => out.push((ident(cx, k), expr(cx, v.clone())?)),
            _ => {
                cx.internal(a, "cost argument");
                return None;
            }
        }
    }
    Some(CostModel { name: ident(cx, name), args: out, span })
}

/// `rebalance monthly`, `rebalance weekly` or `rebalance every N`.
pub(super) fn rebalance(cx: &mut Ctx, r: &Pair<Rule>) -> Option<Rebalance> {
    let rp = parts(r.clone());
    match rp.as_slice() {
        [m] if m.as_rule() == Rule::kw_monthly => Some(Rebalance::Monthly(cx.span(m))),
        [m] if m.as_rule() == Rule::kw_weekly => Some(Rebalance::Weekly(cx.span(m))),
        [_, n] => Some(Rebalance::Every(literal(cx, n)?)),
        _ => {
            cx.internal(r, "rebalance clause");
            None
        }
    }
}

/// A method or clause option: a name or a number.
fn option_value(cx: &mut Ctx, p: &Pair<Rule>) -> Option<OptionValue> {
    Some(match p.as_rule() {
        Rule::ident => OptionValue::Name(ident(cx, p)),
        _ => OptionValue::Number(literal(cx, p)?),
    })
}

/// The members of a `weights` declaration: a list of names or one name.
pub(super) fn weight_members(cx: &mut Ctx, members: &Pair<Rule>) -> Option<WeightMembers> {
    Some(match parts(members.clone()).as_slice() {
        [l] if l.as_rule() == Rule::name_list => WeightMembers::List(l.clone().into_inner().map(|c| ident(cx, &c)).collect(), cx.span(l)),
        [i] => WeightMembers::Name(ident(cx, i)),
        _ => {
            cx.internal(members, "weights members");
            return None;
        }
    })
}

/// A weighting or covariance method `NAME` or `NAME(KEY = VALUE, VALUE, ...)`.
pub(super) fn method_spec(cx: &mut Ctx, p: &Pair<Rule>) -> Option<MethodSpec> {
    let span = cx.span(p);
    let ps = parts(p.clone());
    let (name, args) = ps.split_first()?;
    let mut out = vec![];
    for a in args {
        let aspan = cx.span(a);
        let ap = parts(a.clone());
        let (key, value) = match ap.as_slice() {
            [k, v] => (Some(ident(cx, k)), v),
            [v] => (None, v),
            _ => {
                cx.internal(a, "method option");
                return None;
            }
        };
        out.push(MethodArg { key, value: option_value(cx, value)?, span: aspan });
    }
    Some(MethodSpec { name: ident(cx, name), args: out, span })
}

/// One clause of a `weights` declaration: lookback, rebalance, covariance, constrain, smooth or
/// fallback.
pub(super) fn weight_clause(cx: &mut Ctx, c: &Pair<Rule>) -> Option<WeightClause> {
    let span = cx.span(c);
    let ps = parts(c.clone());
    Some(match (c.as_rule(), ps.as_slice()) {
        (Rule::lookback_clause, [v]) => WeightClause::Lookback(option_value(cx, v)?, span),
        (Rule::rebalance, _) => WeightClause::Rebalance(rebalance(cx, c)?, span),
        (Rule::covariance_clause, [m]) => WeightClause::Covariance(method_spec(cx, m)?, span),
        (Rule::constrain_clause, items) => {
            let mut out = vec![];
            for it in items {
                match parts(it.clone()).as_slice() {
                    [k, v] => out.push((ident(cx, k), option_value(cx, v)?)),
                    _ => {
                        cx.internal(it, "constraint");
                        return None;
                    }
                }
            }
            WeightClause::Constrain(out, span)
        }
        (Rule::smooth_clause, [v]) => WeightClause::Smooth(option_value(cx, v)?, span),
        (Rule::fallback_clause, steps) => WeightClause::Fallback(steps.iter().map(|s| ident(cx, s)).collect(), span),
        _ => {
            cx.internal(c, "weights clause");
            return None;
        }
    })
}
