//! Syntax diagnostics from pest errors: what was expected (each rule's name for people), what was
//! found, and a help line; an incomplete statement is reported at its end, not at the next one.

use super::Rule;
use crate::diag::Diag;
use crate::span::Span;

/// The byte offset where pest reports `e`.
pub(super) fn error_pos(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

/// What a rule is called in an "expected ..." label, or `None` for rules never named there.
fn rule_name(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of input",
        Rule::expr | Rule::or_expr | Rule::and_expr | Rule::not_expr | Rule::cmp_expr | Rule::add_expr | Rule::mul_expr | Rule::unary | Rule::postfix => {
            "an expression"
        }
        Rule::ident => "a name",
        Rule::number | Rule::signed_number => "a number",
        Rule::string => "a quoted path",
        Rule::cmp_op => "a comparison (>=, >, <=, <, ==, !=)",
        Rule::add_op | Rule::mul_op => "an operator",
        Rule::regime_arm => "a regime arm (NAME when COND, or NAME otherwise)",
        Rule::tier_arm => "a tier (>= VALUE => WEIGHT)",
        Rule::tier_else => "`else => VALUE`",
        Rule::strategy_decl
        | Rule::data_decl
        | Rule::param_decl
        | Rule::let_decl
        | Rule::regime_decl
        | Rule::hold_stmt
        | Rule::cost_stmt
        | Rule::annualize_stmt
        | Rule::benchmark_stmt
        | Rule::report_stmt => "a statement (strategy, data, param, let, regime, hold, cost, annualize, benchmark, report)",
        Rule::index => "`[`",
        Rule::field => "`.`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_weight => "`weight`",
        Rule::kw_when => "`when`",
        Rule::kw_otherwise => "`otherwise`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::bool_lit => "`true` or `false`",
        _ => return None,
    })
}

/// The `strat::syntax::unexpected` diagnostic of `e` on `src` (the text parsed from `offset`).
/// `at_keyword`: a statement keyword was found where the statement was not yet complete.
pub(super) fn syntax_diag(e: &pest::error::Error<Rule>, src: &str, offset: usize, at_keyword: bool) -> Diag {
    let pos = error_pos(e);
    let mut expected: Vec<&str> = Vec::new();
    if let pest::error::ErrorVariant::ParsingError { positives, .. } = &e.variant {
        for r in positives {
            if let Some(n) = rule_name(r) {
                if !expected.contains(&n) {
                    expected.push(n);
                }
            }
        }
    }
    let found_end = src[pos..].char_indices().find(|&(_, c)| c.is_whitespace()).map(|(i, _)| i).unwrap_or(src.len() - pos);
    let found_len = found_end.clamp(1, 24).min(src.len().saturating_sub(pos));
    let found = &src[pos..pos + floor_boundary(&src[pos..], found_len)];
    let span = Span::new(pos + offset, pos + offset + found.len());
    let what = if found.is_empty() { "end of input".to_string() } else { format!("`{found}`") };
    let label = if expected.is_empty() { "unexpected here".to_string() } else { format!("expected {}", join_or(&expected)) };
    if at_keyword {
        // Point at the end of the incomplete statement, not at the next one.
        let end = end_of_code(&src[..pos]);
        let prev = &src[..end];
        let start = prev.char_indices().last().map(|(i, _)| i).unwrap_or(0);
        let span = Span::new(start + offset, end + offset);
        let word = found.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or(found);
        return Diag::error(
            "strat::syntax::unexpected",
            format!("this statement is incomplete: found `{word}` on the next line"),
            span,
            format!("{label} after this"),
        )
        .with_help("finish the expression here; a statement ends where the next keyword (let, param, hold, ...) starts");
    }
    let mut d = Diag::error("strat::syntax::unexpected", format!("unexpected {what}"), span, label);
    if found == "=" || found.starts_with("=>") {
        d = d.with_help("comparisons are written `==`; `=` only follows `let`, `param`, `data` and `report` names");
    } else if expected.contains(&"`then`") {
        d = d.with_help("a conditional is written `if COND then A else B`");
    } else if expected.contains(&"`else`") {
        d = d.with_help("every `if` needs an `else` branch; `tiers` ends with `else => VALUE`");
    } else {
        d = d.with_help("see spec/language.md for the statement forms");
    }
    d
}

/// Byte offset just past the last character of code in `src` (skipping whitespace and `//`
/// comments at the end).
fn end_of_code(src: &str) -> usize {
    let mut end = src.len();
    loop {
        let trimmed = src[..end].trim_end();
        end = trimmed.len();
        let line_start = trimmed.rfind('\n').map(|i| i + 1).unwrap_or(0);
        let line = &trimmed[line_start..];
        match comment_start(line) {
            Some(c) => end = line_start + c,
            None => return end,
        }
        if end == 0 {
            return 0;
        }
    }
}

/// Where a `//` comment starts in one line, ignoring `//` inside a string.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let b = line.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'"' => in_string = !in_string,
            b'/' if !in_string && b.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
    }
    None
}

/// `i` (at most `s.len()`) lowered to the nearest character boundary of `s`.
fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `a`, `a or b`, `a, b or c`.
fn join_or(items: &[&str]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        _ => format!("{} or {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}
