//! The line editor's helper: highlighting from the grammar crate's token stream, tab
//! completion (commands, keywords, builtins, bound names, data columns, file names), a hint
//! with the signature of the builtin being called, and multi-line input (an unclosed bracket,
//! or a trailing operator, continues the entry).

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::{Hint, Hinter};
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::Context;
use std::borrow::Cow;
use strat_compiler::builtins::{lookup, PRELUDE};
use strat_grammar::tokens::{open_brackets, tokens, Tag, CONTEXTUAL, KEYWORDS, OPERAND_FOLLOWS};

const RESET: &str = "\x1b[0m";

/// What completion knows about the session, refreshed after every change.
#[derive(Debug, Default, Clone)]
pub struct Names {
    /// Declared names, regime arms and choices.
    pub bound: Vec<String>,
    /// Each data source's columns.
    pub columns: Vec<(String, Vec<String>)>,
    /// Param names (for `:set`).
    pub params: Vec<String>,
}

/// The helper.
pub struct StratHelper {
    /// What completion knows.
    pub names: Names,
    /// Whether to colour the input.
    pub colour: bool,
    files: FilenameCompleter,
}

impl StratHelper {
    /// A helper; `colour` enables highlighting.
    pub fn new(colour: bool) -> StratHelper {
        StratHelper { names: Names::default(), colour, files: FilenameCompleter::new() }
    }
}

/// The ANSI colour of a token (`None`: plain).
fn colour_of(tag: Tag, text: &str) -> Option<&'static str> {
    Some(match tag {
        Tag::Keyword | Tag::Contextual => "\x1b[35m",
        Tag::Bool | Tag::Number | Tag::Date => "\x1b[33m",
        Tag::String => "\x1b[32m",
        Tag::Comment => "\x1b[90m",
        Tag::Operator => "\x1b[36m",
        Tag::Error => "\x1b[31;4m",
        Tag::Ident if lookup(text).is_some() => "\x1b[34m",
        Tag::Ident | Tag::Punct => return None,
    })
}

/// `code` with ANSI colours (same display width).
pub fn highlight_code(code: &str) -> String {
    let mut out = String::with_capacity(code.len() * 2);
    let mut at = 0;
    for t in tokens(code) {
        let (s, e) = (t.span.start as usize, t.span.end as usize);
        out.push_str(&code[at..s]);
        match colour_of(t.tag, &code[s..e]) {
            Some(c) => {
                out.push_str(c);
                out.push_str(&code[s..e]);
                out.push_str(RESET);
            }
            None => out.push_str(&code[s..e]),
        }
        at = e;
    }
    out.push_str(&code[at..]);
    out
}

/// The command word of a `:command` line and where its argument starts.
fn command_split(line: &str) -> Option<(&str, usize)> {
    if !line.starts_with(':') {
        return None;
    }
    let end = line.find(char::is_whitespace).unwrap_or(line.len());
    Some((&line[..end], end))
}

/// Commands whose argument is a file name rather than Strat code.
fn takes_file(cmd: &str) -> bool {
    matches!(cmd, ":load" | ":save" | ":save!")
}

/// Whether an entry needs more lines: an unclosed bracket, or (for code) a trailing operator or
/// a keyword that needs an operand, unless the last line is empty.
pub fn needs_more(input: &str) -> bool {
    if !open_brackets(input).is_empty() {
        return true;
    }
    if input.trim_start().starts_with(':') || input.ends_with('\n') {
        return false;
    }
    match tokens(input).last() {
        Some(t) if t.tag == Tag::Operator => true,
        Some(t) if t.tag == Tag::Keyword => OPERAND_FOLLOWS.contains(&t.text(input)),
        _ => false,
    }
}

/// The signature hint for the cursor at the end of `before`: the builtin whose call the cursor
/// is in, or the builtin name just typed.
pub fn signature_hint(before: &str) -> Option<&'static str> {
    if let Some(open) = open_brackets(before).last() {
        if open.text(before) == "(" {
            let toks = tokens(&before[..open.span.start as usize]);
            let callee = toks.last().filter(|t| t.tag == Tag::Ident && t.span.end == open.span.start)?;
            return lookup(callee.text(before)).map(|s| s.doc);
        }
    }
    let t = tokens(before).last().copied()?;
    (t.tag == Tag::Ident && t.span.end as usize == before.len()).then(|| lookup(t.text(before)).map(|s| s.doc)).flatten()
}

/// A hint shown after the cursor, never inserted.
pub struct DocHint(String);

impl Hint for DocHint {
    fn display(&self) -> &str {
        &self.0
    }
    fn completion(&self) -> Option<&str> {
        None
    }
}

impl Hinter for StratHelper {
    type Hint = DocHint;

    fn hint(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> Option<DocHint> {
        if pos < line.len() {
            return None;
        }
        let code = match command_split(line) {
            Some((cmd, _)) if takes_file(cmd) => return None,
            Some((_, at)) => &line[at..],
            None => line,
        };
        signature_hint(code).map(|d| DocHint(format!("  — {d}")))
    }
}

impl Highlighter for StratHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if !self.colour {
            return Cow::Borrowed(line);
        }
        match command_split(line) {
            Some((cmd, at)) => {
                let rest = &line[at..];
                let rest = if takes_file(cmd) { rest.to_string() } else { highlight_code(rest) };
                Cow::Owned(format!("\x1b[1;34m{cmd}{RESET}{rest}"))
            }
            None => Cow::Owned(highlight_code(line)),
        }
    }

    fn highlight_hint<'h>(&self, hint: &'h str) -> Cow<'h, str> {
        if self.colour {
            Cow::Owned(format!("\x1b[90m{hint}{RESET}"))
        } else {
            Cow::Borrowed(hint)
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.colour && kind != CmdKind::MoveCursor
    }
}

impl Validator for StratHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        Ok(if needs_more(ctx.input()) { ValidationResult::Incomplete } else { ValidationResult::Valid(None) })
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

impl StratHelper {
    /// Completions of the word before `pos` in `line`: (start of the word, candidates).
    pub fn candidates(&self, line: &str, pos: usize) -> (usize, Vec<Pair>) {
        let before = &line[..pos];
        let start = before.char_indices().rev().find(|&(_, c)| !is_word(c)).map(|(i, c)| i + c.len_utf8()).unwrap_or(0);
        let prefix = &before[start..];
        let pair = |s: &str, repl: String| Pair { display: s.to_string(), replacement: repl };
        let mut out: Vec<Pair> = vec![];
        if let Some((cmd, at)) = command_split(before) {
            if at == before.len() {
                let cs = super::commands::COMMANDS.iter().filter(|(c, _, _)| c.starts_with(cmd)).map(|(c, _, _)| pair(c, format!("{c} "))).collect();
                return (0, cs);
            }
            if cmd == ":set" {
                let ps = self.names.params.iter().filter(|p| p.starts_with(prefix)).map(|p| pair(p, format!("{p}="))).collect();
                return (start, ps);
            }
        }
        if start > 0 && before[..start].ends_with('.') {
            let base_end = start - 1;
            let base_start = before[..base_end].char_indices().rev().find(|&(_, c)| !is_word(c)).map(|(i, c)| i + c.len_utf8()).unwrap_or(0);
            let base = &before[base_start..base_end];
            if let Some((_, cols)) = self.names.columns.iter().find(|(s, _)| s == base) {
                out.extend(cols.iter().filter(|c| c.starts_with(prefix)).map(|c| pair(c, c.clone())));
            }
            return (start, out);
        }
        if prefix.is_empty() {
            return (start, out);
        }
        for k in KEYWORDS.iter().chain(CONTEXTUAL) {
            if k.starts_with(prefix) {
                out.push(pair(k, k.to_string()));
            }
        }
        for s in PRELUDE {
            if s.name.starts_with(prefix) {
                out.push(pair(s.name, format!("{}(", s.name)));
            }
        }
        for n in &self.names.bound {
            if n.starts_with(prefix) && !out.iter().any(|p| &p.display == n) {
                out.push(pair(n, n.clone()));
            }
        }
        out.sort_by(|a, b| a.display.cmp(&b.display));
        (start, out)
    }
}

impl Completer for StratHelper {
    type Candidate = Pair;

    fn complete(&self, line: &str, pos: usize, _ctx: &Context<'_>) -> rustyline::Result<(usize, Vec<Pair>)> {
        if let Some((cmd, at)) = command_split(line) {
            if takes_file(cmd) && pos > at {
                return self.files.complete_path(line, pos);
            }
        }
        Ok(self.candidates(line, pos))
    }
}

impl rustyline::Helper for StratHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_line_rules() {
        assert!(needs_more("let t = tiers(x) {"));
        assert!(needs_more("let t = tiers(x) {\n >= 50 => 45%"));
        assert!(!needs_more("let t = tiers(x) {\n >= 50 => 45%\n else => 1\n}"));
        assert!(needs_more("let x = a +"));
        assert!(needs_more("let x = a and"));
        assert!(!needs_more("let x = a +\n"));
        assert!(!needs_more(":set x="));
        assert!(needs_more(":plot min(a,"));
        assert!(!needs_more("mkt.vix // (comment"));
    }

    #[test]
    fn hints() {
        assert_eq!(signature_hint("zscore(mkt.vix, "), lookup("zscore").map(|s| s.doc));
        assert_eq!(signature_hint("min(sma(x, 3), "), lookup("min").map(|s| s.doc));
        assert_eq!(signature_hint("sma"), lookup("sma").map(|s| s.doc));
        assert_eq!(signature_hint("(a + "), None);
        assert_eq!(signature_hint("smax"), None);
    }

    #[test]
    fn completion() {
        let mut h = StratHelper::new(false);
        h.names = Names {
            bound: vec!["spike".into(), "spike_z".into()],
            columns: vec![("mkt".into(), vec!["spx".into(), "vix".into()])],
            params: vec!["spike_z".into()],
        };
        let words = |line: &str| h.candidates(line, line.len()).1.into_iter().map(|p| p.replacement).collect::<Vec<_>>();
        assert_eq!(words("let x = sp"), ["spike", "spike_z"]);
        assert_eq!(words("zs"), ["zscore(", "zscore_cs("]);
        assert_eq!(words("mkt.v"), ["vix"]);
        assert_eq!(words("ten"), Vec::<String>::new());
        assert_eq!(words("rep"), ["report"]);
        assert_eq!(words(":pl"), [":plan ", ":plot "]);
        assert_eq!(words(":set sp"), ["spike_z="]);
        assert_eq!(h.candidates("mkt.v", 5).0, 4);
    }

    #[test]
    fn highlighting_keeps_the_text() {
        let src = "let x = sma(m.c, 20) > 2bps // c";
        let h = highlight_code(src);
        let plain: String = {
            let mut s = String::new();
            let mut skip = false;
            for ch in h.chars() {
                match ch {
                    '\x1b' => skip = true,
                    'm' if skip => skip = false,
                    c if !skip => s.push(c),
                    _ => {}
                }
            }
            s
        };
        assert_eq!(plain, src);
        assert!(h.contains("\x1b[35mlet\x1b[0m") && h.contains("\x1b[34msma\x1b[0m") && h.contains("\x1b[33m2bps\x1b[0m"));
    }
}
