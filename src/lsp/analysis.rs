//! What the language server knows about one document: its diagnostics (from the real compiler),
//! its declarations, and the word under a position. Pure functions of the text (and, for
//! diagnostics and columns, of the data files next to it); positions are LSP's (0-based line,
//! UTF-16 column).

use crate::Engine;
use serde_json::{json, Value};
use std::path::Path;
use strat_grammar::ast::{Ident, StmtKind};
use strat_grammar::span::Span;
use strat_grammar::tokens::{token_iter, Tag, Token, KEYWORDS};

/// The LSP position (line, UTF-16 column) of byte `offset` of `src` (clamped to its end; an
/// offset inside a character counts from that character's start).
pub fn position(src: &str, offset: usize) -> Value {
    let mut offset = offset.min(src.len());
    while !src.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = src[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = src[..line_start].matches('\n').count();
    let col: usize = src[line_start..offset].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": col})
}

/// The LSP range of `span` in `src`.
pub fn range(src: &str, span: Span) -> Value {
    json!({"start": position(src, span.start as usize), "end": position(src, span.end as usize)})
}

/// The byte offset of LSP position (`line`, `character` in UTF-16 units) in `src` (clamped).
pub fn offset(src: &str, line: usize, character: usize) -> usize {
    let mut start = 0;
    for _ in 0..line {
        match src[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return src.len(),
        }
    }
    let end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let mut units = 0;
    for (i, c) in src[start..end].char_indices() {
        if units >= character {
            return start + i;
        }
        units += c.len_utf16();
    }
    end
}

/// The diagnostics of `src` (the file `path`, its data read from beside it) as LSP
/// `Diagnostic`s: the compiler's errors and warnings with their codes, the primary span as the
/// range, the other labels as related information and the help line appended to the message.
pub fn diagnostics(engine: &Engine, uri: &str, path: &Path, src: &str) -> Vec<Value> {
    let base = path.parent().unwrap_or(Path::new("."));
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "strategy".into());
    let name = path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let diags: Vec<strat_grammar::diag::Diag> = engine.check_source(&name, &stem, src.to_string(), base).into_iter().map(|d| d.diag).collect();
    diags
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(h) = &d.help {
                message += &format!("\nhelp: {h}");
            }
            let related: Vec<Value> =
                d.labels.iter().skip(1).map(|l| json!({"location": {"uri": uri, "range": range(src, l.span)}, "message": l.message})).collect();
            let mut v = json!({
                "range": range(src, d.span()),
                "severity": if d.is_error() { 1 } else { 2 },
                "code": d.code,
                "source": "strat",
                "message": message,
            });
            if !related.is_empty() {
                v["relatedInformation"] = Value::Array(related);
            }
            v
        })
        .collect()
}

/// One declaration: its kind (`let`, `param`, `data`, ...), its name and where, the whole
/// statement's span, and for a data source its file.
#[derive(Debug, Clone)]
pub struct Decl {
    /// The declaring keyword.
    pub kind: &'static str,
    /// The name as written.
    pub name: Ident,
    /// The whole statement.
    pub span: Span,
    /// A data source's file, as written.
    pub file: Option<String>,
}

/// The declarations of `src` (whatever parses of it), in source order: data sources, params,
/// lets, regimes and their arms, sleeves, weights, kill switches, alerts and reports.
pub fn declarations(src: &str) -> Vec<Decl> {
    let (program, _) = strat_grammar::source_to_ast(src);
    let mut out = vec![];
    for s in &program.stmts {
        let d = |kind, name: &Ident, file: Option<&String>| Decl { kind, name: name.clone(), span: s.span, file: file.cloned() };
        match &s.kind {
            StmtKind::Data { name, path, .. } => out.push(d("data", name, Some(path))),
            StmtKind::Universe { name, path, .. } => out.push(d("universe", name, Some(path))),
            StmtKind::Panel { name, path, .. } => out.push(d("panel", name, Some(path))),
            StmtKind::Param { name, .. } => out.push(d("param", name, None)),
            StmtKind::Let { name, .. } => out.push(d("let", name, None)),
            StmtKind::Regime { name, arms } => {
                out.push(d("regime", name, None));
                for a in arms {
                    out.push(Decl { kind: "regime arm", name: a.name.clone(), span: a.span, file: None });
                }
            }
            StmtKind::Sleeve { name, .. } => out.push(d("sleeve", name, None)),
            StmtKind::Weights { name, .. } => out.push(d("weights", name, None)),
            StmtKind::Kill { name, .. } => out.push(d("kill", name, None)),
            StmtKind::Alert { name, .. } => out.push(d("alert", name, None)),
            StmtKind::Report { name, .. } => out.push(d("report", name, None)),
            _ => {}
        }
    }
    out
}

/// The name token at byte `at` of `src` (a name, or a word reserved only in context), if any.
pub fn word_at(src: &str, at: usize) -> Option<Token> {
    token_iter(src).find(|t| matches!(t.tag, Tag::Ident | Tag::Contextual) && (t.span.start as usize) <= at && at <= t.span.end as usize)
}

/// Every use of the name `name` in `src` as a name (not as a column after a `.`), with its
/// declaration.
pub fn references(src: &str, name: &str) -> Vec<Span> {
    let toks: Vec<Token> = token_iter(src).collect();
    toks.iter()
        .enumerate()
        .filter(|(i, t)| matches!(t.tag, Tag::Ident | Tag::Contextual) && t.text(src) == name && !(*i > 0 && toks[i - 1].text(src) == "."))
        .map(|(_, t)| t.span)
        .collect()
}

/// The first line of a statement's source (its declaration as written).
pub fn first_line(src: &str, span: Span) -> String {
    let s = &src[span.start as usize..(span.end as usize).min(src.len())];
    s.lines().next().unwrap_or("").trim_end().to_string()
}

/// The header columns of the CSV file `file` (relative to `base`), without `date`; empty when it
/// cannot be read.
pub fn csv_columns(base: &Path, file: &str) -> Vec<String> {
    let Ok(text) = std::fs::File::open(base.join(file)).and_then(|f| {
        use std::io::BufRead as _;
        let mut line = String::new();
        std::io::BufReader::new(f).read_line(&mut line).map(|_| line)
    }) else {
        return vec![];
    };
    text.trim_end().split(',').map(|c| c.trim().trim_matches('"').to_string()).filter(|c| !c.is_empty() && c != "date").collect()
}

/// Hover text (Markdown) for byte `at` of `src`: a builtin's signature and doc, or a declared
/// name's declaration (with a data source's file and columns).
pub fn hover(src: &str, base: &Path, at: usize) -> Option<(Span, String)> {
    let t = word_at(src, at)?;
    let word = t.text(src);
    let toks: Vec<Token> = token_iter(src).collect();
    let i = toks.iter().position(|x| x.span == t.span)?;
    // A column: `source.column`.
    if i >= 2 && toks[i - 1].text(src) == "." {
        let source = toks[i - 2].text(src);
        let d = declarations(src).into_iter().find(|d| d.name.name == source)?;
        let file = d.file?;
        return Some((t.span, format!("column `{word}` of `{source}` (`{file}`)")));
    }
    if let Some(sig) = strat_compiler::builtins::lookup(word) {
        if toks.get(i + 1).is_some_and(|n| n.text(src) == "(") {
            return Some((t.span, format!("```strat\n{}\n```\nbuiltin", sig.doc)));
        }
    }
    let d = declarations(src).into_iter().find(|d| d.name.name == word)?;
    let mut text = format!("```strat\n{}\n```\n{} `{}`", first_line(src, d.span), d.kind, word);
    if let Some(f) = &d.file {
        let cols = csv_columns(base, f);
        text += &format!(" — `{f}`");
        if !cols.is_empty() {
            text += &format!(", columns: {}", cols.join(", "));
        }
    }
    Some((t.span, text))
}

/// Completion items at byte `at` of `src`: after `source.`, that source's columns (from its
/// file's header); else the builtins (as call snippets), the declared names and the keywords.
pub fn completion(src: &str, base: &Path, at: usize) -> Vec<Value> {
    let before = &src[..at.min(src.len())];
    let toks: Vec<Token> = token_iter(before).collect();
    // The word being typed, if any, and what precedes it.
    let mut k = toks.len();
    if k > 0 && matches!(toks[k - 1].tag, Tag::Ident | Tag::Contextual | Tag::Keyword) && toks[k - 1].span.end as usize == before.len() {
        k -= 1;
    }
    if k >= 2 && toks[k - 1].text(before) == "." {
        let source = toks[k - 2].text(before);
        let Some(file) = declarations(src).into_iter().find(|d| d.name.name == source).and_then(|d| d.file) else { return vec![] };
        return csv_columns(base, &file).into_iter().map(|c| json!({"label": c, "kind": 5, "detail": format!("column of {source} ({file})")})).collect();
    }
    let mut items: Vec<Value> = strat_compiler::builtins::PRELUDE
        .iter()
        .map(|s| json!({"label": s.name, "kind": 3, "detail": s.doc, "insertText": format!("{}($1)", s.name), "insertTextFormat": 2}))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for d in declarations(src) {
        if seen.insert(d.name.name.clone()) {
            let kind = match d.kind {
                "data" | "universe" | "panel" => 9,
                "param" => 21,
                "regime arm" => 20,
                _ => 6,
            };
            items.push(json!({"label": d.name.name, "kind": kind, "detail": first_line(src, d.span)}));
        }
    }
    items.extend(KEYWORDS.iter().map(|k| json!({"label": k, "kind": 14})));
    items
}

/// The document symbols of `src`: each declaration, with its statement's range.
pub fn symbols(src: &str) -> Vec<Value> {
    declarations(src)
        .into_iter()
        .filter(|d| d.kind != "regime arm")
        .map(|d| {
            let kind = match d.kind {
                "data" | "universe" | "panel" => 19,
                "param" => 14,
                "regime" => 10,
                "sleeve" | "weights" => 5,
                "kill" | "alert" => 24,
                _ => 13,
            };
            json!({"name": d.name.name, "detail": d.kind, "kind": kind, "range": range(src, d.span), "selectionRange": range(src, d.name.span)})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let src = "let é = 1\nlet x = é";
        assert_eq!(position(src, 6), json!({"line": 0, "character": 5}));
        // An offset inside a character counts from the character's start.
        assert_eq!(position(src, 5), json!({"line": 0, "character": 4}));
        assert_eq!(position(src, src.len()), json!({"line": 1, "character": 9}));
        assert_eq!(offset(src, 1, 8), src.len() - "é".len());
        assert_eq!(offset(src, 9, 0), src.len());
    }

    #[test]
    fn references_skip_columns() {
        let src = "data spx = csv(\"a.csv\")\nlet x = spx.spx + spx.vix\nreport r = x";
        assert_eq!(references(src, "spx").len(), 3);
        assert_eq!(references(src, "x").len(), 2);
    }
}
