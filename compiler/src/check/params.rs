//! `param` declarations (a fixed value, or a swept domain of values, choices or a range, with
//! an optional `when` condition) and `where` constraints between params.

use super::Checker;
use crate::builtins;
use crate::hir::*;
use crate::types::Qual;
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

impl Checker {
    /// `param NAME = VALUE` or `param NAME in DOMAIN [when COND]`.
    pub(super) fn param_stmt(&mut self, n: &Ident, value: &ParamValue, span: Span) {
        let i = self.params.len();
        let decl = self.param(i, n, value, span);
        self.params.push(decl);
        self.param_used.push(false);
    }

    /// `where COND`: a condition on params that every binding of a sweep must meet.
    pub(super) fn where_stmt(&mut self, cond: &Expr) {
        if let Some(h) = self.expr(cond).and_then(|h| self.expect_bool(h, "a `where` constraint")) {
            if h.ty.qual == Qual::Series {
                self.err(
                    Diag::error("strat::type::where_not_param", "a `where` constraint relates params, not series", cond.span, "this varies by bar")
                        .with_help("write a condition on params, e.g. `where fast < slow`"),
                );
            } else {
                self.constraints.push(h);
            }
        }
    }

    /// A `param` declaration (the `i`th): its default, its sweep domain and its `when` condition.
    fn param(&mut self, i: usize, n: &Ident, value: &ParamValue, span: Span) -> ParamDecl {
        let mut decl = ParamDecl {
            name: n.name.clone(),
            default: f64::NAN,
            domain: ParamDomain::Fixed,
            when: None,
            choice_enum: None,
            text: String::new(),
            span,
            name_span: n.span,
        };
        let when_expr = match value {
            ParamValue::Fixed(l) => {
                decl.default = l.value;
                decl.text = l.text.clone();
                None
            }
            ParamValue::List(ls, w) => {
                self.list_domain(ls, &mut decl);
                w.as_ref()
            }
            ParamValue::Choices(cs, w) => {
                self.choice_domain(i, n, cs, &mut decl);
                w.as_ref()
            }
            ParamValue::Range { start, end, step, when } => {
                self.range_domain(start, end, step, &mut decl);
                when.as_ref()
            }
        };
        if let Some(w) = when_expr {
            decl.when = self.when_cond(w);
        }
        decl
    }

    /// `in [v1, v2, ...]`: the listed values, each once; the first is the default.
    fn list_domain(&mut self, ls: &[Literal], decl: &mut ParamDecl) {
        let vals: Vec<f64> = ls.iter().map(|l| l.value).collect();
        for (k, l) in ls.iter().enumerate() {
            if vals[..k].contains(&l.value) {
                self.err(
                    Diag::error("strat::param::duplicate_value", format!("`{}` is listed twice", l.text), l.span, "again").with_help("list each value once"),
                );
            }
        }
        decl.default = vals[0];
        decl.text = ls[0].text.clone();
        decl.domain = ParamDomain::Values(vals);
    }

    /// `in [name1, name2, ...]`: the choices of the `i`th param `n`, an enum that takes its
    /// slot among the regimes; the first choice is the default.
    fn choice_domain(&mut self, i: usize, n: &Ident, cs: &[Ident], decl: &mut ParamDecl) {
        let span = decl.span;
        let names: Vec<String> = cs.iter().map(|c| c.name.clone()).collect();
        for (k, c) in cs.iter().enumerate() {
            if names[..k].contains(&c.name) {
                self.err(
                    Diag::error("strat::name::duplicate", format!("choice `{}` is listed twice", c.name), c.span, "again").with_help("list each choice once"),
                );
            }
            if self.decls.contains_key(&c.name) || builtins::lookup(&c.name).is_some() {
                self.err(
                    Diag::error("strat::name::duplicate", format!("choice `{}` has the name of a declaration", c.name), c.span, "taken")
                        .with_help("rename the choice"),
                );
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
    }

    /// `in a ..= b step s`: the expanded range; the start is the default.
    fn range_domain(&mut self, start: &Literal, end: &Literal, step: &Literal, decl: &mut ParamDecl) {
        match expand_range(start, end, step) {
            Ok(vals) => {
                decl.default = vals[0];
                decl.text = start.text.clone();
                decl.domain = ParamDomain::Values(vals);
            }
            Err(msg) => {
                self.err(
                    Diag::error("strat::param::bad_range", msg, start.span.to(step.span), "this range")
                        .with_help("write `a ..= b step s` with s > 0, a <= b and at most 100,000 values"),
                );
                decl.default = start.value;
            }
        }
    }

    /// A swept param's `when COND`: a condition on earlier params, not on series.
    fn when_cond(&mut self, w: &Expr) -> Option<HExpr> {
        let h = self.expr(w).and_then(|h| self.expect_bool(h, "a `when` condition"))?;
        if h.ty.qual == Qual::Series {
            self.err(
                Diag::error("strat::type::where_not_param", "a `when` condition relates params, not series", w.span, "this varies by bar")
                    .with_help("write a condition on earlier params, e.g. `when mode == hedge`"),
            );
            return None;
        }
        Some(h)
    }
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
