//! `source_to_ast`: pest parse tree → [`Program`], with syntax diagnostics.
//!
//! Robustness rules: the nesting pre-scan ([`crate::nesting`]) runs first so pest's recursive
//! descent never meets unbounded nesting; after a syntax error the parser resumes at the next
//! statement keyword that starts a line, so several syntax errors are reported at once; the pairs →
//! AST builder never panics on an unexpected pair (it reports `strat::internal` instead).
//!
//! The modules: this one drives pest and the error recovery, `errors` turns a pest error into a
//! diagnostic, `build` holds the pairs → AST builder's context and its leaves (names, numbers),
//! `stmt` builds one statement per kind (their clauses in `clause`), `expr` one expression
//! per precedence level and primary kind.

mod build;
mod clause;
mod errors;
mod expr;
mod stmt;

use crate::ast::*;
use crate::diag::Diag;
use crate::nesting;
use pest::Parser as _;

pub use self::build::literal_value;

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
                    stmt::build_stmts(program, offset, &mut stmts, &mut diags);
                }
                break;
            }
            Err(e) => {
                let pos = errors::error_pos(&e);
                let at_keyword = pos > 0 && starts_with_keyword(&rest[pos..]);
                diags.push(errors::syntax_diag(&e, rest, offset, at_keyword));
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

/// Every line of `src` as (offset of its first non-blank character, the text from there).
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

/// `s` starts with a statement keyword as a whole word.
fn starts_with_keyword(s: &str) -> bool {
    STATEMENT_KEYWORDS.iter().any(|k| s.starts_with(k) && !s[k.len()..].starts_with(|c: char| c.is_alphanumeric() || c == '_'))
}

/// The first line after the one holding `pos` that starts with a statement keyword.
fn next_statement_start(src: &str, pos: usize) -> Option<usize> {
    line_starts(src).find(|&(start, text)| start > pos && starts_with_keyword(text)).map(|(s, _)| s)
}

/// Reports every expression of `s` deeper than `max_depth` (`strat::syntax::too_deep`).
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

#[cfg(test)]
mod tests;
