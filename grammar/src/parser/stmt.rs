//! Statements: [`build_stmt`] matches a statement's rule and the shape of its inner pairs, and
//! builds it, in one line or through one function per statement kind. A shape the grammar cannot
//! produce is a `strat::internal` error, never a panic.

use super::build::{ident, literal, parts, Ctx};
use super::clause::{cost_model, method_spec, param_domain, rebalance, weight_clause, weight_members};
use super::expr::expr;
use super::Rule;
use crate::ast::*;
use crate::diag::Diag;
use pest::iterators::Pair;

/// Builds every statement of a parsed `program` (text starting at byte `offset` of the source)
/// into `stmts`. A statement dropped without a diagnostic is reported as an internal error.
pub(super) fn build_stmts(program: Pair<Rule>, offset: usize, stmts: &mut Vec<Stmt>, diags: &mut Vec<Diag>) {
    let mut cx = Ctx { offset, diags };
    for p in program.into_inner() {
        if p.as_rule() == Rule::EOI {
            continue;
        }
        let before = cx.diags.len();
        let span = cx.span(&p);
        match build_stmt(&mut cx, p) {
            Some(s) => stmts.push(s),
            None if cx.diags.len() == before => cx.diags.push(
                Diag::error("strat::internal", "internal parser error: statement dropped", span, "this statement")
                    .with_help("this is a bug in Strat; please report it with this file"),
            ),
            None => {}
        }
    }
}

/// One statement: a short match on the rule and the shape of its keyword-free inner pairs.
/// Within a statement, the order in which parts are built is the order their diagnostics appear
/// in, and the first failing part ends the statement.
fn build_stmt(cx: &mut Ctx, p: Pair<Rule>) -> Option<Stmt> {
    let span = cx.span(&p);
    let ps = parts(p.clone());
    let kind = match (p.as_rule(), ps.as_slice()) {
        (Rule::strategy_decl, [n]) => StmtKind::Strategy { name: ident(cx, n) },
        (Rule::data_decl, [n, f, s, rest @ ..]) => data_decl(cx, n, f, s, rest.first()),
        (Rule::universe_decl, [n, f, path, rest @ ..]) => universe_decl(cx, n, f, path, rest.first()),
        (Rule::panel_decl, [n, f, path, clauses @ ..]) => panel_decl(cx, n, f, path, clauses)?,
        (Rule::param_decl, [n, v]) if v.as_rule() == Rule::signed_number => StmtKind::Param { name: ident(cx, n), value: ParamValue::Fixed(literal(cx, v)?) },
        (Rule::param_decl, [n, domain, rest @ ..]) => param_decl(cx, n, domain, rest.first())?,
        (Rule::where_stmt, [e]) => StmtKind::Where { cond: expr(cx, e.clone())? },
        (Rule::sleeve_decl, [n, h]) => StmtKind::Sleeve { name: ident(cx, n), hold: Box::new(build_stmt(cx, h.clone())?) },
        (Rule::ensemble_stmt, [r, arms @ ..]) => ensemble_stmt(cx, r, arms)?,
        (Rule::from_stmt, [d]) => StmtKind::From { date: d.as_str().to_string(), span: cx.span(d) },
        (Rule::to_stmt, [d]) => StmtKind::To { date: d.as_str().to_string(), span: cx.span(d) },
        (Rule::let_decl, [n, e]) => StmtKind::Let { name: ident(cx, n), value: expr(cx, e.clone())? },
        (Rule::regime_decl, [n, arms @ ..]) => regime_decl(cx, n, arms)?,
        (Rule::hold_stmt, [t, w, rest @ ..]) => hold_stmt(cx, t, w, rest)?,
        (Rule::hold_sleeves, [l, w, rest @ ..]) => hold_sleeves(cx, l, w, rest.first())?,
        (Rule::weights_decl, [n, members, method, clauses @ ..]) => weights_decl(cx, n, members, method, clauses)?,
        (Rule::cost_stmt, [c]) if c.as_rule() == Rule::cost_model => StmtKind::Cost { cost: CostSpec::Model(cost_model(cx, c)?) },
        (Rule::cost_stmt, [e]) => StmtKind::Cost { cost: CostSpec::Rate(expr(cx, e.clone())?) },
        (Rule::capital_stmt, [e]) => StmtKind::Capital { value: expr(cx, e.clone())? },
        (Rule::kill_stmt, [n, trip, clauses @ ..]) => kill_stmt(cx, n, trip, clauses)?,
        (Rule::vol_target_stmt, [target, clauses @ ..]) => vol_target_stmt(cx, target, clauses)?,
        (Rule::limit_stmt, [k, e]) => StmtKind::Limit { kind: ident(cx, k), value: expr(cx, e.clone())? },
        (Rule::cash_stmt, [rate, clauses @ ..]) => cash_stmt(cx, rate, clauses)?,
        (Rule::alert_stmt, [n, e]) => StmtKind::Alert { name: ident(cx, n), when: expr(cx, e.clone())? },
        (Rule::annualize_stmt, [n]) => StmtKind::Annualize { periods: literal(cx, n)? },
        (Rule::benchmark_stmt, [t]) => StmtKind::Benchmark { target: expr(cx, t.clone())? },
        (Rule::report_stmt, [n, e]) => StmtKind::Report { name: ident(cx, n), value: expr(cx, e.clone())? },
        (Rule::use_stmt, [path, alias, rest @ ..]) => use_stmt(cx, path, alias, rest.first())?,
        _ => {
            cx.internal(&p, "unexpected statement shape");
            return None;
        }
    };
    Some(Stmt { kind, span })
}

/// The text of a quoted path literal, without its quotes.
fn unquote(s: &Pair<Rule>) -> String {
    let raw = s.as_str();
    raw[1..raw.len() - 1].to_string()
}

/// `data NAME = FORMAT("PATH")`.
fn data_decl(cx: &mut Ctx, n: &Pair<Rule>, f: &Pair<Rule>, s: &Pair<Rule>, asof: Option<&Pair<Rule>>) -> StmtKind {
    StmtKind::Data { name: ident(cx, n), format: ident(cx, f), path: unquote(s), path_span: cx.span(s), asof: asof.map(|a| cx.span(a)) }
}

/// `use "PATH" as NAME [with OVERRIDE, ...]`.
fn use_stmt(cx: &mut Ctx, path: &Pair<Rule>, alias: &Pair<Rule>, with: Option<&Pair<Rule>>) -> Option<StmtKind> {
    let mut overrides = vec![];
    for set in with.map(|w| parts(w.clone())).unwrap_or_default() {
        let span = cx.span(&set);
        let value = match parts(set.clone()).as_slice() {
            [n, v] if v.as_rule() == Rule::use_fixed => {
                let v = v.clone().into_inner().next()?;
                let value = if v.as_rule() == Rule::ident { ParamValue::Choices(vec![ident(cx, &v)], None) } else { ParamValue::Fixed(literal(cx, &v)?) };
                (ident(cx, n), value)
            }
            [n, domain] => (ident(cx, n), param_domain(cx, domain, None)?),
            _ => {
                cx.internal(&set, "use override shape");
                return None;
            }
        };
        overrides.push(UseOverride { name: value.0, value: value.1, span });
    }
    Some(StmtKind::Use { path: unquote(path), path_span: cx.span(path), alias: ident(cx, alias), overrides })
}

/// `universe NAME = FORMAT("PATH")`, with the optional list of its columns (`, [A, B]`).
fn universe_decl(cx: &mut Ctx, n: &Pair<Rule>, f: &Pair<Rule>, path: &Pair<Rule>, columns: Option<&Pair<Rule>>) -> StmtKind {
    let columns = columns.map(|l| l.clone().into_inner().map(|c| ident(cx, &c)).collect());
    StmtKind::Universe { name: ident(cx, n), format: ident(cx, f), path: unquote(path), path_span: cx.span(path), columns }
}

/// `panel NAME = FORMAT("PATH")` with its optional `on U`, `available COLUMN` and `lag Nd`.
fn panel_decl(cx: &mut Ctx, n: &Pair<Rule>, f: &Pair<Rule>, path: &Pair<Rule>, clauses: &[Pair<Rule>]) -> Option<StmtKind> {
    let (mut on, mut available, mut lag) = (None, None, None);
    for c in clauses {
        let inner = parts(c.clone());
        let [x] = inner.as_slice() else {
            cx.internal(c, "panel clause");
            return None;
        };
        match c.as_rule() {
            Rule::panel_on => on = Some(ident(cx, x)),
            Rule::panel_available => available = Some(ident(cx, x)),
            _ => {
                let text = x.as_str().trim_end_matches('d');
                let Ok(days) = text.parse::<i64>() else {
                    cx.diags.push(
                        Diag::error("strat::syntax::bad_number", format!("`{}` is not a number of days", x.as_str()), cx.span(x), "too large")
                            .with_help("a lag is a whole number of calendar days, e.g. `lag 90d`"),
                    );
                    return None;
                };
                lag = Some(Days { days, span: cx.span(x) });
            }
        }
    }
    Some(StmtKind::Panel { name: ident(cx, n), format: ident(cx, f), path: unquote(path), path_span: cx.span(path), on, available, lag })
}

/// `param NAME in DOMAIN` (a list or a range), with the optional `when COND`.
fn param_decl(cx: &mut Ctx, n: &Pair<Rule>, domain: &Pair<Rule>, when: Option<&Pair<Rule>>) -> Option<StmtKind> {
    let when = match when {
        Some(e) => Some(expr(cx, e.clone())?),
        None => None,
    };
    let value = param_domain(cx, domain, when)?;
    Some(StmtKind::Param { name: ident(cx, n), value })
}

/// `ensemble by REGIME { ARM => WEIGHT ... }`.
fn ensemble_stmt(cx: &mut Ctx, r: &Pair<Rule>, arms: &[Pair<Rule>]) -> Option<StmtKind> {
    let mut out = vec![];
    for a in arms {
        let ap = parts(a.clone());
        match ap.as_slice() {
            [n, e] => out.push((ident(cx, n), expr(cx, e.clone())?)),
            _ => {
                cx.internal(a, "ensemble arm shape");
                return None;
            }
        }
    }
    Some(StmtKind::Ensemble { regime: ident(cx, r), arms: out })
}

/// `regime NAME { ARM when COND ... ARM otherwise }`.
fn regime_decl(cx: &mut Ctx, n: &Pair<Rule>, arms: &[Pair<Rule>]) -> Option<StmtKind> {
    let mut out = Vec::new();
    for a in arms {
        let aspan = cx.span(a);
        let aps = parts(a.clone());
        match aps.as_slice() {
            [name] => out.push(RegimeArm { name: ident(cx, name), cond: None, span: aspan }),
            [name, c] => out.push(RegimeArm { name: ident(cx, name), cond: Some(expr(cx, c.clone())?), span: aspan }),
            _ => {
                cx.internal(a, "regime arm shape");
                return None;
            }
        }
    }
    Some(StmtKind::Regime { name: ident(cx, n), arms: out })
}

/// `hold TARGET weight WEIGHT`, with the optional rebalance clause and `drift` word in `rest`.
fn hold_stmt(cx: &mut Ctx, t: &Pair<Rule>, w: &Pair<Rule>, rest: &[Pair<Rule>]) -> Option<StmtKind> {
    let (mut rebalance, mut drift) = (None, None);
    for r in rest {
        if r.as_rule() == Rule::drift {
            drift = Some(cx.span(r));
        } else {
            rebalance = Some(self::rebalance(cx, r)?);
        }
    }
    Some(StmtKind::Hold { target: expr(cx, t.clone())?, weight: expr(cx, w.clone())?, rebalance, drift })
}

/// `hold [SLEEVE, ...] weight WEIGHT`, with the optional rebalance clause `r`.
fn hold_sleeves(cx: &mut Ctx, l: &Pair<Rule>, w: &Pair<Rule>, r: Option<&Pair<Rule>>) -> Option<StmtKind> {
    let rebalance = match r {
        None => None,
        Some(r) => Some(rebalance(cx, r)?),
    };
    let sleeves = l.clone().into_inner().map(|c| ident(cx, &c)).collect();
    Some(StmtKind::HoldSleeves { sleeves, weight: expr(cx, w.clone())?, rebalance })
}

/// `weights NAME = MEMBERS by METHOD`, then its clauses (lookback, rebalance, covariance, ...).
fn weights_decl(cx: &mut Ctx, n: &Pair<Rule>, members: &Pair<Rule>, method: &Pair<Rule>, clauses: &[Pair<Rule>]) -> Option<StmtKind> {
    let members = weight_members(cx, members)?;
    let method = method_spec(cx, method)?;
    let mut out = vec![];
    for c in clauses {
        out.push(weight_clause(cx, c)?);
    }
    Some(StmtKind::Weights { name: ident(cx, n), members, method, clauses: out })
}

/// `kill NAME when TRIP`, with the optional `release when COND` and `scale EXPR` clauses. The
/// clauses are built before the trip condition (the first bad number reported is theirs).
fn kill_stmt(cx: &mut Ctx, n: &Pair<Rule>, trip: &Pair<Rule>, clauses: &[Pair<Rule>]) -> Option<StmtKind> {
    let (mut release, mut scale) = (None, None);
    for c in clauses {
        let inner = parts(c.clone());
        let [e] = inner.as_slice() else {
            cx.internal(c, "kill clause");
            return None;
        };
        let e = Some(expr(cx, e.clone())?);
        match c.as_rule() {
            Rule::kill_release => release = e,
            _ => scale = e,
        }
    }
    Some(StmtKind::Kill { name: ident(cx, n), trip: expr(cx, trip.clone())?, release, scale })
}

/// `target_vol TARGET`, with the optional `lookback N` and `cap C` clauses.
fn vol_target_stmt(cx: &mut Ctx, target: &Pair<Rule>, clauses: &[Pair<Rule>]) -> Option<StmtKind> {
    let (mut lookback, mut cap) = (None, None);
    for c in clauses {
        let inner = parts(c.clone());
        let [e] = inner.as_slice() else {
            cx.internal(c, "target_vol clause");
            return None;
        };
        let e = Some(expr(cx, e.clone())?);
        match c.as_rule() {
            Rule::vol_lookback => lookback = e,
            _ => cap = e,
        }
    }
    Some(StmtKind::VolTarget { target: expr(cx, target.clone())?, lookback, cap })
}

/// `cash RATE`, with the optional `financing SPREAD` and `borrow FEE` clauses.
fn cash_stmt(cx: &mut Ctx, rate: &Pair<Rule>, clauses: &[Pair<Rule>]) -> Option<StmtKind> {
    let (mut financing, mut borrow) = (None, None);
    for c in clauses {
        let inner = parts(c.clone());
        let [e] = inner.as_slice() else {
            cx.internal(c, "cash clause");
            return None;
        };
        let e = Some(expr(cx, e.clone())?);
        match c.as_rule() {
            Rule::cash_financing => financing = e,
            _ => borrow = e,
        }
    }
    Some(StmtKind::Cash { rate: expr(cx, rate.clone())?, financing, borrow })
}
