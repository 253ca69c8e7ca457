//! `strat fmt`: the canonical layout of a `.strat` program.
//!
//! The formatter works on the token stream ([`crate::tokens`]) and changes whitespace only:
//! every token (comments, literals as written: `45%`, `2bps`, `1e-3`) comes out with the same
//! text in the same order, and a program is formatted only if it parses, so the formatted
//! program has the same syntax tree (checked again on every call). It keeps the author's line
//! breaks and, collapsed to one, their blank lines. On each line:
//!
//! - tokens are spaced canonically: one space around binary operators and `=`, `=>`, `..=`;
//!   none inside brackets, before `,` or around `.`; none after a prefix minus or before the
//!   `(` of a call or the `[` of a lag; one space after `,` and inside a one-line `{ ... }`;
//! - indentation is two spaces per open bracket; a line at the top level that continues the
//!   statement above (it starts with no statement keyword) keeps its own indentation (at
//!   least four spaces), so `else if` arms stay aligned under their `if`;
//! - consecutive declarations of one kind (`let`, `param`, `data`, `report`, ...) align what
//!   follows their names (`=` or `in`); consecutive arms of a block align their `=>` (`tiers`,
//!   `ensemble`), and regime arms align their `when` / `otherwise`;
//! - the trailing comments of consecutive lines are aligned two spaces after the longest code.
//!
//! Formatting is idempotent: the output formats to itself.

use crate::tokens::{token_iter, Tag, Token, STATEMENT_KEYWORDS};

/// Why a source was not formatted.
#[derive(Debug, Clone, PartialEq)]
pub enum FormatError {
    /// The program does not parse: its diagnostics (format only what parses).
    Syntax(Vec<crate::diag::Diag>),
    /// The formatter would have changed the program's tokens or its syntax tree: a bug in the
    /// formatter, reported rather than written. Holds what differed.
    Changed(String),
}

/// One line of output before alignment: indentation, code, trailing comment.
struct Line {
    /// Spaces before the code.
    indent: usize,
    /// The code's tokens, spaced.
    code: String,
    /// Byte offsets in `code` of each token, with its text (for alignment).
    marks: Vec<(usize, String, Tag)>,
    /// A trailing `//` comment (the whole line's when `code` is empty).
    comment: Option<String>,
    /// Bracket depth at the line's start (after its leading closers).
    depth: usize,
    /// Blank lines before it in the output (0 or 1).
    blank_before: bool,
    /// A top-level line that continues the statement above: it neither joins nor breaks an
    /// alignment group of declarations.
    continuation: bool,
}

/// The formatted text of `src` (see the module documentation).
///
/// Errors: [`FormatError::Syntax`] when `src` does not parse; [`FormatError::Changed`] if the
/// result would not have the same tokens and syntax tree as `src` (never expected).
pub fn format_source(src: &str) -> Result<String, FormatError> {
    let (program, diags) = crate::source_to_ast(src);
    if diags.iter().any(|d| d.is_error()) {
        return Err(FormatError::Syntax(diags));
    }
    let out = layout(src);
    // The guarantee, checked: the same tokens in the same order, the same syntax tree.
    // (A comment loses its trailing whitespace.)
    let text = |s: &str, t: Token| if t.tag == Tag::Comment { t.text(s).trim_end().to_string() } else { t.text(s).to_string() };
    let before: Vec<(Tag, String)> = token_iter(src).map(|t| (t.tag, text(src, t))).collect();
    let after: Vec<(Tag, String)> = token_iter(&out).map(|t| (t.tag, text(&out, t))).collect();
    if before != after {
        let at = before.iter().zip(&after).position(|(a, b)| a != b).unwrap_or(before.len().min(after.len()));
        return Err(FormatError::Changed(format!("token {at}: {:?} became {:?}", before.get(at), after.get(at))));
    }
    let (formatted, _) = crate::source_to_ast(&out);
    if crate::print::program_tree(&formatted) != crate::print::program_tree(&program) {
        return Err(FormatError::Changed("the syntax tree".into()));
    }
    Ok(out)
}

/// Whether `src` is formatted (`format_source(src) == src`); `None` when it does not parse.
pub fn is_formatted(src: &str) -> Option<bool> {
    format_source(src).ok().map(|f| f == src)
}

fn layout(src: &str) -> String {
    let toks: Vec<Token> = token_iter(src).collect();
    // Group tokens into source lines (line numbers counted as the tokens go).
    let mut groups: Vec<(usize, Vec<Token>)> = vec![];
    let (mut line, mut counted) = (0, 0);
    for t in toks {
        line += src[counted..t.span.start as usize].matches('\n').count();
        counted = t.span.start as usize;
        let l = line;
        match groups.last_mut() {
            Some((gl, v)) if *gl == l => v.push(t),
            _ => groups.push((l, vec![t])),
        }
    }
    let mut lines: Vec<Line> = vec![];
    let mut stack: Vec<&str> = vec![]; // open brackets
    let mut prev_line: Option<usize> = None;
    // The last code token so far and the one before it, across lines (to tell a prefix minus).
    let mut prev_tok: Option<(Tag, String)> = None;
    let mut before_last: Option<(Tag, String)> = None;
    for (l, ts) in &groups {
        let blank_before = prev_line.is_some_and(|p| l - p > 1);
        prev_line = Some(*l);
        // Leading closers lower this line's depth.
        let leading_closers = ts.iter().take_while(|t| matches!(t.text(src), ")" | "]" | "}")).count();
        let depth = stack.len().saturating_sub(leading_closers);
        let first = ts[0];
        let original_indent = {
            let start = src[..first.span.start as usize].rfind('\n').map_or(0, |i| i + 1);
            src[start..first.span.start as usize].chars().count()
        };
        let starts_statement = first.tag == Tag::Comment || leading_closers > 0 || STATEMENT_KEYWORDS.contains(&first.text(src));
        let indent = if depth > 0 {
            depth * 2
        } else if starts_statement || lines.is_empty() {
            0
        } else if original_indent > 0 {
            original_indent
        } else {
            4
        };
        let (code_toks, comment) = match ts.last() {
            Some(t) if t.tag == Tag::Comment => (&ts[..ts.len() - 1], Some(t.text(src).trim_end().to_string())),
            _ => (&ts[..], None),
        };
        let mut code = String::new();
        let mut marks = vec![];
        let mut last: Option<Token> = None;
        for &t in code_toks {
            let text = t.text(src);
            if let Some(a) = last {
                if space_between(src, a, t, before_last.as_ref()) {
                    code.push(' ');
                }
            }
            marks.push((code.len(), text.to_string(), t.tag));
            code.push_str(text);
            match text {
                "(" | "[" | "{" => stack.push(text),
                ")" | "]" | "}" => {
                    stack.pop();
                }
                _ => {}
            }
            before_last = prev_tok.take();
            prev_tok = Some((t.tag, text.to_string()));
            last = Some(t);
        }
        let continuation = depth == 0 && !starts_statement && !lines.is_empty();
        lines.push(Line { indent, code, marks, comment, depth, blank_before, continuation });
    }
    align_declarations(&mut lines);
    align_arrows(&mut lines);
    align_regime_arms(&mut lines);
    render(&mut lines)
}

/// Whether a `-` is a prefix minus: after nothing, an operator, an opening bracket, a comma or
/// a keyword (no keyword is an operand).
fn is_prefix_minus(prev: Option<&(Tag, String)>) -> bool {
    match prev {
        None => true,
        Some((Tag::Operator, _)) => true,
        Some((Tag::Punct, p)) => matches!(p.as_str(), "(" | "[" | "{" | ","),
        Some((Tag::Keyword | Tag::Contextual, _)) => true,
        _ => false,
    }
}

/// Whether one space goes between `a` and `b`, adjacent code tokens on one line; `before_a` is
/// the code token before `a`, on this line or an earlier one (to tell a prefix minus).
fn space_between(src: &str, a: Token, b: Token, before_a: Option<&(Tag, String)>) -> bool {
    let (x, y) = (a.text(src), b.text(src));
    if x == "-" && a.tag == Tag::Operator && is_prefix_minus(before_a) {
        return false;
    }
    // A number and its unit written together (`90d`): one literal.
    if a.span.end == b.span.start && a.tag == Tag::Number && matches!(b.tag, Tag::Ident | Tag::Keyword | Tag::Contextual | Tag::Bool) {
        return false;
    }
    if matches!(y, "," | ")" | "]" | ".") || matches!(x, "(" | "[" | ".") {
        return false;
    }
    if x == "{" || y == "}" || x == "," {
        return true;
    }
    if y == "(" {
        // A call: a name (or `tiers`) right before its arguments.
        return !(a.tag == Tag::Ident || x == "tiers" || (a.tag == Tag::Contextual && a.span.end == b.span.start));
    }
    if y == "[" {
        // A lag `x[1]`: right after a name or a closing bracket; a list literal otherwise.
        return !(a.tag == Tag::Ident || matches!(x, ")" | "]") || (a.tag == Tag::Contextual && a.span.end == b.span.start));
    }
    true
}

/// Declarations `KEYWORD NAME =` / `in` / `{` / `when` (let, param, data, universe, panel,
/// report, weights, sleeve, alert, kill): consecutive ones of one keyword at one depth pad
/// their names.
fn align_declarations(lines: &mut [Line]) {
    let key = |l: &Line| -> Option<(String, usize)> {
        let m = &l.marks;
        if m.len() >= 3
            && m[0].2 == Tag::Keyword
            && matches!(m[0].1.as_str(), "let" | "param" | "data" | "universe" | "panel" | "report" | "weights" | "sleeve" | "alert" | "kill")
            && matches!(m[1].2, Tag::Ident | Tag::Contextual)
            && matches!(m[2].1.as_str(), "=" | "in" | "{" | "when")
        {
            Some((m[0].1.clone(), m[2].0))
        } else {
            None
        }
    };
    align_groups(lines, |l| key(l).map(|(k, at)| (format!("{k}/{}", l.depth), at)));
}

/// Consecutive lines at one depth holding a `=>` pad what comes before it.
fn align_arrows(lines: &mut [Line]) {
    align_groups(lines, |l| if l.depth > 0 { l.marks.iter().find(|m| m.1 == "=>").map(|m| (format!("=>/{}", l.depth), m.0)) } else { None });
}

/// Regime arms `NAME when ...` / `NAME otherwise` inside a block pad their names.
fn align_regime_arms(lines: &mut [Line]) {
    align_groups(lines, |l| {
        let m = &l.marks;
        (l.depth > 0 && m.len() >= 2 && matches!(m[0].2, Tag::Ident | Tag::Contextual) && matches!(m[1].1.as_str(), "when" | "otherwise"))
            .then(|| (format!("arm/{}", l.depth), m[1].0))
    });
}

/// For each run of consecutive lines (no blank line between) whose `key` gives the same group,
/// pads the code at each line's offset so the offsets line up at the run's largest.
fn align_groups(lines: &mut [Line], key: impl Fn(&Line) -> Option<(String, usize)>) {
    let mut i = 0;
    while i < lines.len() {
        let Some((g, _)) = key(&lines[i]) else {
            i += 1;
            continue;
        };
        // The run: lines of the group, with the continuation lines of its statements between.
        let mut members = vec![i];
        let mut j = i + 1;
        while j < lines.len() && !lines[j].blank_before {
            if key(&lines[j]).is_some_and(|(h, _)| h == g) {
                members.push(j);
            } else if !lines[j].continuation {
                break;
            }
            j += 1;
        }
        if members.len() > 1 {
            // The offset where padding goes: the space before the aligned token.
            let target = members.iter().filter_map(|&k| key(&lines[k]).map(|(_, at)| at)).max().unwrap_or(0);
            for &k in &members {
                let line = &mut lines[k];
                if let Some((_, at)) = key(line) {
                    let pad = target - at;
                    if pad > 0 {
                        line.code.insert_str(at.saturating_sub(1), &" ".repeat(pad));
                        for m in line.marks.iter_mut().filter(|m| m.0 >= at) {
                            m.0 += pad;
                        }
                    }
                }
            }
        }
        i = j;
    }
}

/// The lines as text: trailing comments of consecutive code lines aligned, one blank line at
/// most between lines, one newline at the end.
fn render(lines: &mut [Line]) -> String {
    let width = |l: &Line| l.indent + l.code.chars().count();
    let mut col = vec![0; lines.len()];
    // A section: consecutive code lines (no blank or comment-only line between); the trailing
    // comments of its lines line up two spaces after the longest line that has one.
    let mut i = 0;
    while i < lines.len() {
        if lines[i].code.is_empty() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < lines.len() && !lines[j].blank_before && !lines[j].code.is_empty() {
            j += 1;
        }
        let c = (i..j).filter(|&k| lines[k].comment.is_some()).map(|k| width(&lines[k])).max().unwrap_or(0) + 2;
        col[i..j].iter_mut().for_each(|x| *x = c);
        i = j;
    }
    let mut out = String::new();
    for (k, l) in lines.iter().enumerate() {
        if l.blank_before && k > 0 {
            out.push('\n');
        }
        out.push_str(&" ".repeat(l.indent));
        out.push_str(&l.code);
        if let Some(c) = &l.comment {
            if !l.code.is_empty() {
                out.push_str(&" ".repeat(col[k].saturating_sub(width(l)).max(1)));
            }
            out.push_str(c);
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(s: &str) -> String {
        format_source(s).unwrap_or_else(|e| panic!("{e:?}"))
    }

    #[test]
    fn spacing_is_canonical_and_literals_kept() {
        let got = fmt("strategy  s\ndata mkt=csv( \"d.csv\" )\nlet x=-mkt.spx [1]*45%+2bps\nhold mkt.spx weight if x>0 then 1 else -0.5\n");
        assert_eq!(got, "strategy s\ndata mkt = csv(\"d.csv\")\nlet x = -mkt.spx[1] * 45% + 2bps\nhold mkt.spx weight if x > 0 then 1 else -0.5\n");
    }

    #[test]
    fn blocks_are_indented_and_arms_aligned() {
        let src = "strategy s\ndata mkt = csv(\"d.csv\")\nlet t = tiers(mkt.vix) {\n>= 50 => 45%\n      >= 40 => 65%\nelse => 100%\n}\nhold mkt.spx weight t\n";
        let got = fmt(src);
        assert_eq!(
            got,
            "strategy s\ndata mkt = csv(\"d.csv\")\nlet t = tiers(mkt.vix) {\n  >= 50 => 45%\n  >= 40 => 65%\n  else  => 100%\n}\nhold mkt.spx weight t\n"
        );
        assert_eq!(fmt(&got), got, "idempotent");
    }

    #[test]
    fn comments_blank_lines_and_declarations() {
        let src = "strategy s // name\n\n\n// data\ndata mkt = csv(\"d.csv\")   // closes\nlet a = 1 // one\nlet long_name = 2     // two\n\nhold mkt.spx weight a\n\n";
        let got = fmt(src);
        assert_eq!(got, "strategy s  // name\n\n// data\ndata mkt = csv(\"d.csv\")  // closes\nlet a         = 1        // one\nlet long_name = 2        // two\n\nhold mkt.spx weight a\n");
        assert_eq!(fmt(&got), got, "idempotent");
    }

    #[test]
    fn minus_units_and_regime_arms() {
        let got = fmt("strategy s\ndata m = csv(\"d.csv\")\nparam t in [-5%,-7%]\nregime r {\nUP when m.a>-1\nDOWN otherwise\n}\nlet x = 1-(-m.a)*-2\nhold m.a weight x\n");
        assert!(got.contains("param t in [-5%, -7%]"), "{got}");
        assert!(got.contains("  UP   when m.a > -1\n  DOWN otherwise\n"), "{got}");
        assert!(got.contains("let x = 1 - (-m.a) * -2"), "{got}");
    }

    #[test]
    fn a_number_keeps_its_unit_suffix() {
        // `90d` lexes as a number and a word written together: they stay together.
        let toks: Vec<Token> = token_iter("lag 90d").collect();
        assert!(!space_between("lag 90d", toks[1], toks[2], None));
    }

    #[test]
    fn a_program_that_does_not_parse_is_not_formatted() {
        assert!(matches!(format_source("let = 1\n"), Err(FormatError::Syntax(_))));
    }
}
