//! `source_to_ast`: pest parse tree → [`Program`], with syntax diagnostics.
//!
//! Robustness rules: the nesting pre-scan ([`crate::nesting`]) runs first so pest's recursive
//! descent never meets unbounded nesting; after a syntax error the parser resumes at the next
//! statement keyword that starts a line, so several syntax errors are reported at once; the pairs →
//! AST builder never panics on an unexpected pair (it reports `strat::internal` instead).

use crate::ast::*;
use crate::diag::Diag;
use crate::nesting;
use crate::span::Span;
use pest::iterators::Pair;
use pest::Parser as _;

#[derive(pest_derive::Parser)]
#[grammar = "strat.pest"]
struct StratParser;

/// Default maximum expression tree depth (checked without recursion after parsing); the
/// `--max-depth` flag overrides it ([`source_to_ast_with_depth`]).
pub const DEFAULT_MAX_DEPTH: usize = 256;

/// Maximum number of syntax errors reported before giving up.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Statement keywords: where the parser resumes after a syntax error (the list lives with the
/// other keywords in [`crate::tokens`]).
pub use crate::tokens::STATEMENT_KEYWORDS;

/// Parses a whole `.strat` source. Returns the program and every syntax diagnostic found; if the
/// list holds an error, the program holds only the statements that parsed.
pub fn source_to_ast(src: &str) -> (Program, Vec<Diag>) {
    source_to_ast_with_depth(src, DEFAULT_MAX_DEPTH)
}

/// [`source_to_ast`] with a maximum expression depth of `max_depth` levels instead of
/// [`DEFAULT_MAX_DEPTH`]: an expression tree deeper than `max_depth`, or a nesting estimate of
/// the pre-scan above [`nesting::prescan_limit`]`(max_depth)`, is a `strat::syntax::too_deep`
/// error. The caller must give the parser a stack that fits `max_depth` levels.
pub fn source_to_ast_with_depth(src: &str, max_depth: usize) -> (Program, Vec<Diag>) {
    if let Some(d) = nesting::check(src, max_depth) {
        return (Program { stmts: vec![] }, vec![d]);
    }
    let mut stmts = Vec::new();
    let mut diags = Vec::new();
    let mut offset = 0usize;
    loop {
        let rest = &src[offset..];
        match StratParser::parse(Rule::program, rest) {
            Ok(mut pairs) => {
                if let Some(program) = pairs.next() {
                    build_stmts(program, offset, &mut stmts, &mut diags);
                }
                break;
            }
            Err(e) => {
                let pos = error_pos(&e);
                let at_keyword = pos > 0 && starts_with_keyword(&rest[pos..]);
                diags.push(syntax_diag(&e, rest, offset, at_keyword));
                if diags.len() >= MAX_SYNTAX_ERRORS {
                    break;
                }
                // A statement keyword where an expression was expected: the previous statement
                // is incomplete, so resume at that keyword; otherwise at the next statement.
                let resume = if at_keyword { Some(pos) } else { next_statement_start(rest, pos) };
                match resume {
                    Some(next) if next > 0 => offset += next,
                    _ => break,
                }
            }
        }
    }
    // After a syntax error only the statements after the last error were built; callers skip
    // checking when there is a syntax error, so drop them rather than return a partial program.
    if diags.iter().any(|d| d.is_error()) {
        stmts.clear();
    }
    for s in &stmts {
        check_depth(s, max_depth, &mut diags);
    }
    (Program { stmts }, diags)
}

fn line_starts(src: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut starts = vec![0usize];
    for (i, b) in src.bytes().enumerate() {
        if b == b'\n' {
            starts.push(i + 1);
        }
    }
    starts.into_iter().filter(move |&s| s <= src.len()).map(move |s| {
        let line = &src[s..];
        let trimmed = line.trim_start_matches([' ', '\t']);
        (s + (line.len() - trimmed.len()), trimmed)
    })
}

fn starts_with_keyword(s: &str) -> bool {
    STATEMENT_KEYWORDS.iter().any(|k| s.starts_with(k) && !s[k.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The first line after the one holding `pos` that starts with a statement keyword.
fn next_statement_start(src: &str, pos: usize) -> Option<usize> {
    line_starts(src).find(|&(start, text)| start > pos && starts_with_keyword(text)).map(|(s, _)| s)
}

fn error_pos(e: &pest::error::Error<Rule>) -> usize {
    match e.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    }
}

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

fn syntax_diag(e: &pest::error::Error<Rule>, src: &str, offset: usize, at_keyword: bool) -> Diag {
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

fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn join_or(items: &[&str]) -> String {
    match items.len() {
        0 => String::new(),
        1 => items[0].to_string(),
        _ => format!("{} or {}", items[..items.len() - 1].join(", "), items[items.len() - 1]),
    }
}

fn check_depth(s: &Stmt, max_depth: usize, diags: &mut Vec<Diag>) {
    let exprs: Vec<&Expr> = match &s.kind {
        StmtKind::Let { value, .. } | StmtKind::Report { value, .. } => vec![value],
        StmtKind::Hold { target, weight, .. } => vec![target, weight],
        StmtKind::HoldSleeves { weight, .. } => vec![weight],
        StmtKind::Where { cond } => vec![cond],
        StmtKind::Ensemble { arms, .. } => arms.iter().map(|a| &a.1).collect(),
        StmtKind::Sleeve { hold, .. } => match &hold.kind {
            StmtKind::Hold { target, weight, .. } => vec![target, weight],
            _ => vec![],
        },
        StmtKind::Benchmark { target } => vec![target],
        StmtKind::Regime { arms, .. } => arms.iter().filter_map(|a| a.cond.as_ref()).collect(),
        _ => vec![],
    };
    for e in exprs {
        if e.depth() > max_depth {
            diags.push(
                Diag::error("strat::syntax::too_deep", format!("expression nests more than {max_depth} levels deep"), e.span, "this expression")
                    .with_help("split it into several `let` bindings (or raise the limit with --max-depth)"),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// pairs → AST

struct Ctx<'a> {
    offset: usize,
    diags: &'a mut Vec<Diag>,
}

impl Ctx<'_> {
    fn span(&self, p: &Pair<Rule>) -> Span {
        let s = p.as_span();
        Span::new(s.start() + self.offset, s.end() + self.offset)
    }

    fn internal(&mut self, p: &Pair<Rule>, what: &str) {
        let span = self.span(p);
        self.diags.push(
            Diag::error("strat::internal", format!("internal parser error: {what}"), span, "here")
                .with_help("this is a bug in Strat; please report it with this file"),
        );
    }
}

fn build_stmts(program: Pair<Rule>, offset: usize, stmts: &mut Vec<Stmt>, diags: &mut Vec<Diag>) {
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

/// Inner pairs with keyword tokens removed.
fn parts(p: Pair<Rule>) -> Vec<Pair<Rule>> {
    p.into_inner().filter(|q| !is_keyword_rule(q.as_rule())).collect()
}

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
            | Rule::kw_capital
            | Rule::kw_release
            | Rule::kw_scale
    )
}

fn build_stmt(cx: &mut Ctx, p: Pair<Rule>) -> Option<Stmt> {
    let span = cx.span(&p);
    let rule = p.as_rule();
    let ps = parts(p.clone());
    let kind = match (rule, ps.as_slice()) {
        (Rule::strategy_decl, [n]) => StmtKind::Strategy { name: ident(cx, n) },
        (Rule::data_decl, [n, f, s]) => {
            let raw = s.as_str();
            StmtKind::Data { name: ident(cx, n), format: ident(cx, f), path: raw[1..raw.len() - 1].to_string(), path_span: cx.span(s) }
        }
        (Rule::universe_decl, [n, f, path, rest @ ..]) => {
            let raw = path.as_str();
            let columns = rest.first().map(|l| l.clone().into_inner().map(|c| ident(cx, &c)).collect());
            StmtKind::Universe { name: ident(cx, n), format: ident(cx, f), path: raw[1..raw.len() - 1].to_string(), path_span: cx.span(path), columns }
        }
        (Rule::param_decl, [n, v]) if v.as_rule() == Rule::signed_number => StmtKind::Param { name: ident(cx, n), value: ParamValue::Fixed(literal(cx, v)?) },
        (Rule::param_decl, [n, domain, rest @ ..]) => {
            let when = match rest.first() {
                Some(e) => Some(expr(cx, e.clone())?),
                None => None,
            };
            let value = match domain.as_rule() {
                Rule::param_list => {
                    let items: Vec<Pair<Rule>> = domain.clone().into_inner().collect();
                    if items.iter().all(|i| i.as_rule() == Rule::ident) {
                        ParamValue::Choices(items.iter().map(|i| ident(cx, i)).collect(), when)
                    } else if items.iter().all(|i| i.as_rule() == Rule::signed_number) {
                        let mut lits = vec![];
                        for i in &items {
                            lits.push(literal(cx, i)?);
                        }
                        ParamValue::List(lits, when)
                    } else {
                        let span = cx.span(domain);
                        cx.diags.push(
                            Diag::error("strat::syntax::mixed_param_list", "a param list mixes numbers and names", span, "numbers and names")
                                .with_help("list either numbers (`[1, 2, 3]`) or choices (`[long_only, hedge]`)"),
                        );
                        return None;
                    }
                }
                Rule::param_range => {
                    let items: Vec<Pair<Rule>> = parts(domain.clone());
                    match items.as_slice() {
                        [a, b, st] => ParamValue::Range { start: literal(cx, a)?, end: literal(cx, b)?, step: literal(cx, st)?, when },
                        _ => {
                            cx.internal(domain, "range shape");
                            return None;
                        }
                    }
                }
                _ => {
                    cx.internal(domain, "param domain");
                    return None;
                }
            };
            StmtKind::Param { name: ident(cx, n), value }
        }
        (Rule::where_stmt, [e]) => StmtKind::Where { cond: expr(cx, e.clone())? },
        (Rule::sleeve_decl, [n, h]) => StmtKind::Sleeve { name: ident(cx, n), hold: Box::new(build_stmt(cx, h.clone())?) },
        (Rule::ensemble_stmt, [r, arms @ ..]) => {
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
            StmtKind::Ensemble { regime: ident(cx, r), arms: out }
        }
        (Rule::from_stmt, [d]) => StmtKind::From { date: d.as_str().to_string(), span: cx.span(d) },
        (Rule::to_stmt, [d]) => StmtKind::To { date: d.as_str().to_string(), span: cx.span(d) },
        (Rule::let_decl, [n, e]) => StmtKind::Let { name: ident(cx, n), value: expr(cx, e.clone())? },
        (Rule::regime_decl, [n, arms @ ..]) => {
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
            StmtKind::Regime { name: ident(cx, n), arms: out }
        }
        (Rule::hold_stmt, [t, w, rest @ ..]) => {
            let rebalance = match rest.first() {
                None => None,
                Some(r) => Some(rebalance(cx, r)?),
            };
            StmtKind::Hold { target: expr(cx, t.clone())?, weight: expr(cx, w.clone())?, rebalance }
        }
        (Rule::hold_sleeves, [l, w, rest @ ..]) => {
            let rebalance = match rest.first() {
                None => None,
                Some(r) => Some(rebalance(cx, r)?),
            };
            let sleeves = l.clone().into_inner().map(|c| ident(cx, &c)).collect();
            StmtKind::HoldSleeves { sleeves, weight: expr(cx, w.clone())?, rebalance }
        }
        (Rule::weights_decl, [n, members, method, clauses @ ..]) => {
            let members = match parts(members.clone()).as_slice() {
                [l] if l.as_rule() == Rule::name_list => WeightMembers::List(l.clone().into_inner().map(|c| ident(cx, &c)).collect(), cx.span(l)),
                [i] => WeightMembers::Name(ident(cx, i)),
                _ => {
                    cx.internal(members, "weights members");
                    return None;
                }
            };
            let method = method_spec(cx, method)?;
            let mut out = vec![];
            for c in clauses {
                out.push(weight_clause(cx, c)?);
            }
            StmtKind::Weights { name: ident(cx, n), members, method, clauses: out }
        }
        (Rule::cost_stmt, [c]) if c.as_rule() == Rule::cost_model => StmtKind::Cost { cost: CostSpec::Model(cost_model(cx, c)?) },
        (Rule::cost_stmt, [e]) => StmtKind::Cost { cost: CostSpec::Rate(expr(cx, e.clone())?) },
        (Rule::capital_stmt, [e]) => StmtKind::Capital { value: expr(cx, e.clone())? },
        (Rule::kill_stmt, [n, trip, clauses @ ..]) => {
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
            StmtKind::Kill { name: ident(cx, n), trip: expr(cx, trip.clone())?, release, scale }
        }
        (Rule::annualize_stmt, [n]) => StmtKind::Annualize { periods: literal(cx, n)? },
        (Rule::benchmark_stmt, [t]) => StmtKind::Benchmark { target: expr(cx, t.clone())? },
        (Rule::report_stmt, [n, e]) => StmtKind::Report { name: ident(cx, n), value: expr(cx, e.clone())? },
        _ => {
            cx.internal(&p, "unexpected statement shape");
            return None;
        }
    };
    Some(Stmt { kind, span })
}

fn cost_model(cx: &mut Ctx, p: &Pair<Rule>) -> Option<CostModel> {
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

fn rebalance(cx: &mut Ctx, r: &Pair<Rule>) -> Option<Rebalance> {
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

fn option_value(cx: &mut Ctx, p: &Pair<Rule>) -> Option<OptionValue> {
    Some(match p.as_rule() {
        Rule::ident => OptionValue::Name(ident(cx, p)),
        _ => OptionValue::Number(literal(cx, p)?),
    })
}

fn method_spec(cx: &mut Ctx, p: &Pair<Rule>) -> Option<MethodSpec> {
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

fn weight_clause(cx: &mut Ctx, c: &Pair<Rule>) -> Option<WeightClause> {
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

fn ident(cx: &Ctx, p: &Pair<Rule>) -> Ident {
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

fn literal(cx: &mut Ctx, p: &Pair<Rule>) -> Option<Literal> {
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

fn expr(cx: &mut Ctx, p: Pair<Rule>) -> Option<Expr> {
    let span = cx.span(&p);
    match p.as_rule() {
        Rule::expr | Rule::paren => {
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
        Rule::or_expr | Rule::and_expr | Rule::add_expr | Rule::mul_expr => {
            let op_for_kw = if p.as_rule() == Rule::or_expr { BinOp::Or } else { BinOp::And };
            let mut it = p.clone().into_inner();
            let first = it.next()?;
            let mut acc = expr(cx, first)?;
            while let Some(op) = it.next() {
                let bop = match op.as_rule() {
                    Rule::kw_or | Rule::kw_and => op_for_kw,
                    Rule::add_op if op.as_str() == "+" => BinOp::Add,
                    Rule::add_op => BinOp::Sub,
                    Rule::mul_op if op.as_str() == "*" => BinOp::Mul,
                    Rule::mul_op => BinOp::Div,
                    _ => {
                        cx.internal(&op, "binary operator");
                        return None;
                    }
                };
                let rhs_pair = it.next()?;
                let rhs = expr(cx, rhs_pair)?;
                let s = acc.span.to(rhs.span);
                acc = Expr { kind: ExprKind::Binary(bop, Box::new(acc), Box::new(rhs)), span: s };
            }
            Some(acc)
        }
        Rule::cmp_expr => {
            let mut it = p.clone().into_inner();
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
        Rule::not_expr | Rule::unary => {
            let mut it = p.clone().into_inner();
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
        Rule::postfix => {
            let mut it = p.clone().into_inner();
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
        Rule::if_expr => {
            let ps = parts(p.clone());
            match ps.as_slice() {
                [c, a, b] => {
                    Some(Expr { kind: ExprKind::If(Box::new(expr(cx, c.clone())?), Box::new(expr(cx, a.clone())?), Box::new(expr(cx, b.clone())?)), span })
                }
                _ => {
                    cx.internal(&p, "if shape");
                    None
                }
            }
        }
        Rule::tiers_expr => {
            let ps = parts(p.clone());
            let (subject, rest) = ps.split_first()?;
            let subject = expr(cx, subject.clone())?;
            let mut arms = Vec::new();
            let mut default = None;
            for a in rest {
                let aps = parts(a.clone());
                match (a.as_rule(), aps.as_slice()) {
                    (Rule::tier_arm, [op, t, v]) => arms.push(TierArm {
                        op: BinOp::comparison(op.as_str())?,
                        op_span: cx.span(op),
                        threshold: expr(cx, t.clone())?,
                        value: expr(cx, v.clone())?,
                    }),
                    (Rule::tier_else, [v]) => default = Some(expr(cx, v.clone())?),
                    _ => {
                        cx.internal(a, "tier arm shape");
                        return None;
                    }
                }
            }
            Some(Expr { kind: ExprKind::Tiers(Box::new(subject), arms, Box::new(default?)), span })
        }
        Rule::call => {
            let mut it = p.clone().into_inner();
            let name = ident(cx, &it.next()?);
            let mut args = Vec::new();
            for a in it {
                args.push(expr(cx, a)?);
            }
            Some(Expr { kind: ExprKind::Call(name, args), span })
        }
        Rule::number => Some(Expr { kind: ExprKind::Number(literal(cx, &p)?), span }),
        Rule::bool_lit => Some(Expr { kind: ExprKind::Bool(p.as_str() == "true"), span }),
        Rule::ident => Some(Expr { kind: ExprKind::Name(ident(cx, &p)), span }),
        _ => {
            cx.internal(&p, "unexpected expression rule");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    //! The portfolio stage's statements (`cost` in its three forms, `capital`, `kill`): their AST,
    //! its printed tree, and a round trip through each statement's own source text.

    use super::source_to_ast;
    use crate::ast::*;
    use crate::print::program_tree;

    /// Parses `src`, which must be free of syntax errors.
    fn parse(src: &str) -> Program {
        let (p, d) = source_to_ast(src);
        assert!(d.is_empty(), "{src}: {d:?}");
        p
    }

    /// The one statement of `src`.
    fn one(src: &str) -> StmtKind {
        let p = parse(src);
        assert_eq!(p.stmts.len(), 1, "{src}");
        p.stmts.into_iter().next().unwrap().kind
    }

    #[test]
    fn cost_takes_a_rate_a_param_or_an_expression() {
        let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost 10bps") else { panic!() };
        let ExprKind::Number(l) = e.kind else { panic!("{e:?}") };
        assert_eq!((l.text.as_str(), l.unit), ("10bps", Unit::Bps));
        assert!((l.value - 0.001).abs() < 1e-18);

        let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost c") else { panic!() };
        assert!(matches!(e.kind, ExprKind::Name(ref i) if i.name == "c"));

        // A negative literal is an expression now (the checker refuses it).
        let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost -2bps") else { panic!() };
        assert!(matches!(e.kind, ExprKind::Unary(UnOp::Neg, _)));

        assert_eq!(
            program_tree(&parse("cost clamp(2bps + 0.5 * std(ret(stocks), 60), 1bps, 50bps)")),
            "cost\n\
             └─ call clamp\n   \
                ├─ binary +\n   \
                │  ├─ number 2bps\n   \
                │  └─ binary *\n   \
                │     ├─ number 0.5\n   \
                │     └─ call std\n   \
                │        ├─ call ret\n   \
                │        │  └─ name stocks\n   \
                │        └─ number 60\n   \
                ├─ number 1bps\n   \
                └─ number 50bps\n"
        );
        assert_eq!(program_tree(&parse("cost 10bps\ncost c")), "cost 10bps\ncost\n└─ name c\n");
    }

    #[test]
    fn cost_takes_a_named_model_with_named_arguments() {
        let src = "cost impact(volume = vol, close = px, base = 2bps, vol_coeff = 1.0,\n  adv_coeff = 5.0, min = 1bps, max = 50bps,)";
        let StmtKind::Cost { cost: CostSpec::Model(m) } = one(src) else { panic!() };
        assert_eq!(m.name.name, "impact");
        let keys: Vec<&str> = m.args.iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(keys, ["volume", "close", "base", "vol_coeff", "adv_coeff", "min", "max"]);
        assert_eq!(&src[m.span.start as usize..m.span.end as usize], &src[5..]);
        assert_eq!(
            program_tree(&parse("cost impact(volume = vol, adv = sma(vol * px, 20))")),
            "cost impact\n├─ volume =\n│  └─ name vol\n└─ adv =\n   └─ call sma\n      ├─ binary *\n      │  ├─ name vol\n      │  └─ name px\n      └─ number 20\n"
        );
        // `name == value` is a comparison, so the call is an ordinary expression, not a model.
        let StmtKind::Cost { cost: CostSpec::Rate(e) } = one("cost impact(x == 1)") else { panic!() };
        assert!(matches!(e.kind, ExprKind::Call(ref f, _) if f.name == "impact"));
        // A model takes at least one argument; `f()` is a call.
        assert!(matches!(one("cost f()"), StmtKind::Cost { cost: CostSpec::Rate(_) }));
    }

    #[test]
    fn capital_takes_an_expression() {
        let StmtKind::Capital { value } = one("capital 10000000") else { panic!() };
        assert!(matches!(value.kind, ExprKind::Number(ref l) if l.value == 1e7 && l.unit == Unit::None));
        assert_eq!(program_tree(&parse("capital cap\ncapital 1e6")), "capital\n└─ name cap\ncapital\n└─ number 1e6\n");
    }

    #[test]
    fn kill_has_a_trip_a_release_and_a_scale() {
        let src = "kill crash when own.drawdown < -15% or own.day_return < -5% or mkt.vix > 70\n     release when mkt.vix < 25\n     scale 50%\n";
        let StmtKind::Kill { name, trip, release, scale } = one(src) else { panic!() };
        assert_eq!(name.name, "crash");
        assert!(matches!(trip.kind, ExprKind::Binary(BinOp::Or, _, _)));
        assert!(release.is_some() && scale.is_some());
        assert_eq!(
            program_tree(&parse(src)),
            "kill crash\n\
             ├─ when\n\
             │  └─ binary or\n\
             │     ├─ binary or\n\
             │     │  ├─ binary <\n\
             │     │  │  ├─ field .drawdown\n\
             │     │  │  │  └─ name own\n\
             │     │  │  └─ unary -\n\
             │     │  │     └─ number 15%\n\
             │     │  └─ binary <\n\
             │     │     ├─ field .day_return\n\
             │     │     │  └─ name own\n\
             │     │     └─ unary -\n\
             │     │        └─ number 5%\n\
             │     └─ binary >\n\
             │        ├─ field .vix\n\
             │        │  └─ name mkt\n\
             │        └─ number 70\n\
             ├─ release when\n\
             │  └─ binary <\n\
             │     ├─ field .vix\n\
             │     │  └─ name mkt\n\
             │     └─ number 25\n\
             └─ scale\n   \
                └─ number 50%\n"
        );
        // `release` and `scale` are optional in the syntax (the checker says which is missing).
        let StmtKind::Kill { release, scale, .. } = one("kill k when x > 1 scale 50%") else { panic!() };
        assert!(release.is_none() && scale.is_some());
        let StmtKind::Kill { release, scale, .. } = one("kill k when x > 1 release when x < 1") else { panic!() };
        assert!(release.is_some() && scale.is_none());
        assert_eq!(program_tree(&parse("kill k when x release when y")), "kill k\n├─ when\n│  └─ name x\n└─ release when\n   └─ name y\n");
        // The clauses come in order: trip, release, scale.
        let (_, d) = source_to_ast("kill k when x > 1 scale 50% release when x < 1");
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].code, "strat::syntax::unexpected");
    }

    #[test]
    fn the_new_words_stay_valid_names() {
        // `kill` and `capital` lead statements, `release` and `scale` are clause words: all four
        // remain names everywhere else, as `universe` and `rebalance` do.
        let p = parse(
            "data capital = csv(\"a.csv\")\nlet kill = capital.vix > 30\nlet scale = if kill then 50% else 100%\nlet release = scale\n\
             kill k when kill release when not kill scale release\nreport r = scale",
        );
        let kinds: Vec<&str> = p
            .stmts
            .iter()
            .map(|s| match &s.kind {
                StmtKind::Data { .. } => "data",
                StmtKind::Let { .. } => "let",
                StmtKind::Kill { .. } => "kill",
                StmtKind::Report { .. } => "report",
                _ => "other",
            })
            .collect();
        assert_eq!(kinds, ["data", "let", "let", "let", "kill", "report"]);
    }

    /// Every statement re-parsed from its own span gives the same tree: spans cover exactly what
    /// the statement is (also across lines and with trailing comments).
    #[test]
    fn portfolio_statements_round_trip_through_their_spans() {
        let src = "capital 10000000   // currency units\n\
                   cost impact(volume = vol, base = 2bps, vol_coeff = 1.0, adv_coeff = 5.0, min = 1bps, max = 50bps)\n\
                   kill crash when own.drawdown < -15% or own.day_return < -5% or mkt.vix > 70\n  release when mkt.vix < 25\n  scale 50%  // halve\n\
                   kill slow when sma(own.day_return, 20) < 0 release when own.drawdown > -5% scale cut\n\
                   report crash_on = crash\n";
        let p = parse(src);
        assert_eq!(p.stmts.len(), 5);
        for s in &p.stmts {
            let text = &src[s.span.start as usize..s.span.end as usize];
            let again = parse(text);
            assert_eq!(again.stmts.len(), 1, "{text}");
            assert_eq!(program_tree(&again), program_tree(&Program { stmts: vec![s.clone()] }), "{text}");
        }
        for alone in ["cost 10bps", "cost c", "cost clamp(2bps + 0.5 * std(ret(stocks), 60), 1bps, 50bps)", "capital cap"] {
            let p = parse(alone);
            let s = &p.stmts[0];
            assert_eq!(&alone[s.span.start as usize..s.span.end as usize], alone);
        }
    }
}
