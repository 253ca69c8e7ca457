//! The pairs → AST builder's context ([`Ctx`]: the offset of the parsed text and the diagnostics)
//! and the leaves every statement and expression builder uses: keyword-free inner pairs, names,
//! number literals.

use super::Rule;
use crate::ast::*;
use crate::diag::Diag;
use crate::span::Span;
use pest::iterators::Pair;

/// The builder's context: `offset` is the byte offset of the parsed text in the whole source
/// (pest parses from the resume point after a syntax error); `diags` collects the diagnostics.
pub(super) struct Ctx<'a> {
    pub(super) offset: usize,
    pub(super) diags: &'a mut Vec<Diag>,
}

impl Ctx<'_> {
    /// The span of `p` in the whole source.
    pub(super) fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(s.start() + self.offset, s.end() + self.offset)
    }

    /// Reports a pair the grammar cannot produce here: a bug, never a panic.
    pub(super) fn internal(&mut self, p: &Pair<Rule>, what: &str) {
        let span = self.span(p);
        self.diags.push(
            Diag::error("strat::internal", format!("internal parser error: {what}"), span, "here")
                .with_help("this is a bug in Strat; please report it with this file"),
        );
    }
}

/// Inner pairs with keyword tokens removed.
pub(super) fn parts(p: Pair<Rule>) -> Vec<Pair<Rule>> {
    p.into_inner().filter(|q| !is_keyword_rule(q.as_rule())).collect()
}

/// The keyword tokens [`parts`] drops.
fn is_keyword_rule(r: Rule) -> bool {
    matches!(
        r,
        Rule::kw_strategy
            | Rule::kw_data
            | Rule::kw_param
            | Rule::kw_let
            | Rule::kw_regime
            | Rule::kw_hold
            | Rule::kw_weight
            | Rule::kw_cost
            | Rule::kw_annualize
            | Rule::kw_benchmark
            | Rule::kw_report
            | Rule::kw_when
            | Rule::kw_otherwise
            | Rule::kw_if
            | Rule::kw_then
            | Rule::kw_else
            | Rule::kw_and
            | Rule::kw_or
            | Rule::kw_tiers
            | Rule::kw_universe
            | Rule::kw_in
            | Rule::kw_step
            | Rule::kw_where
            | Rule::kw_from
            | Rule::kw_to
            | Rule::kw_rebalance
            | Rule::kw_sleeve
            | Rule::kw_use
            | Rule::kw_asof
            | Rule::kw_as
            | Rule::kw_with
            | Rule::kw_ensemble
            | Rule::kw_by
            | Rule::kw_weights
            | Rule::kw_lookback
            | Rule::kw_covariance
            | Rule::kw_constrain
            | Rule::kw_smooth
            | Rule::kw_ewma
            | Rule::kw_fallback
            | Rule::kw_kill
            | Rule::kw_alert
            | Rule::kw_capital
            | Rule::kw_release
            | Rule::kw_scale
            | Rule::kw_panel
            | Rule::kw_on
            | Rule::kw_available
            | Rule::kw_lag
            | Rule::kw_target_vol
            | Rule::kw_cap
            | Rule::kw_limit
            | Rule::kw_cash
            | Rule::kw_financing
            | Rule::kw_borrow
            | Rule::kw_drift
    )
}

/// A name and its span.
pub(super) fn ident(cx: &Ctx, p: &Pair<Rule>) -> Ident {
    Ident { name: p.as_str().to_string(), span: cx.span(p) }
}

/// Parses a number literal's text (`45%`, `-2bps`, `2.5`, `1e-3`) into the double nearest its
/// decimal value, units applied by shifting the decimal exponent (never by multiplying).
pub fn literal_value(text: &str) -> Option<(f64, Unit)> {
    let (body, unit, shift) = if let Some(b) = text.strip_suffix('%') {
        (b, Unit::Percent, 2)
    } else if let Some(b) = text.strip_suffix("bps") {
        (b, Unit::Bps, 4)
    } else {
        (text, Unit::None, 0)
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let v: f64 = format!("{mantissa}e{}", exp - shift).parse().ok()?;
    Some((v, unit))
}

/// A number literal; one out of the double range is a `strat::syntax::bad_number` error.
pub(super) fn literal(cx: &mut Ctx, p: &Pair<Rule>) -> Option<Literal> {
    let text = p.as_str().to_string();
    let span = cx.span(p);
    match literal_value(&text) {
        Some((value, unit)) if value.is_finite() => Some(Literal { value, unit, text, span }),
        _ => {
            cx.diags.push(
                Diag::error("strat::syntax::bad_number", format!("number `{text}` is out of range"), span, "not a finite double")
                    .with_help("write a number between -1.7e308 and 1.7e308"),
            );
            None
        }
    }
}
