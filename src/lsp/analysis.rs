//! What the language server knows about one document: its diagnostics (from the real compiler),
//! its declarations, and the word under a position. Pure functions of the text (and, for
//! diagnostics and columns, of the data files next to it); positions are LSP's (0-based line,
//! UTF-16 column).

use crate::Engine;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use strat_compiler::Outline;
use strat_grammar::ast::{Ident, StmtKind};
use strat_grammar::span::Span;
use strat_grammar::tokens::{token_iter, Tag, Token, KEYWORDS, STATEMENT_KEYWORDS};

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

/// One open document and what the server knows of it, computed once per change: its tokens,
/// declarations, diagnostics and (from the last version that checked) the outline of its names.
pub struct Document {
    /// The text.
    pub text: String,
    /// The folder its data paths are relative to.
    pub base: PathBuf,
    /// Its tokens.
    pub tokens: Vec<Token>,
    /// Its declarations (whatever parses; see [`declarations`]).
    pub decls: Vec<Decl>,
    /// Its diagnostics as LSP `Diagnostic`s.
    pub diagnostics: Vec<Value>,
    /// The types, warm-ups and param values of the last version without errors.
    pub outline: Option<Outline>,
    /// Whether this version has no error.
    checks: bool,
    /// Whether [`Document::refresh`] is still to run.
    stale: bool,
    /// Where it is.
    path: PathBuf,
    /// Data file headers read so far (path as written → columns).
    columns: std::cell::RefCell<HashMap<String, Vec<String>>>,
}

impl Document {
    /// Checks `text`, the document at `path` (data read from beside it), for its diagnostics;
    /// [`Document::refresh`] then makes the rest.
    pub fn new(engine: &Engine, uri: &str, path: &Path, text: String, previous: Option<Document>) -> Document {
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let (name, stem) = names_of(path);
        let diags: Vec<strat_grammar::diag::Diag> = engine.check_source(&name, &stem, text.clone(), &base).into_iter().map(|d| d.diag).collect();
        let diagnostics = lsp_diagnostics(uri, &text, &diags);
        let checks = !diags.iter().any(|d| d.is_error());
        Document {
            tokens: vec![],
            decls: vec![],
            diagnostics,
            outline: previous.and_then(|p| p.outline),
            checks,
            stale: true,
            path: path.to_path_buf(),
            base,
            text,
            columns: Default::default(),
        }
    }

    /// Makes what the requests read, once per version: the tokens, the declarations and, when
    /// this version checks, the outline of its names (types, warm-ups, param values: lowering and
    /// binding the defaults). The server runs it after it has published the diagnostics, so
    /// typing never waits for it.
    pub fn refresh(&mut self, engine: &Engine) {
        if !std::mem::take(&mut self.stale) {
            return;
        }
        self.tokens = token_iter(&self.text).collect();
        self.decls = declarations(&self.text);
        if !self.checks {
            return;
        }
        let (name, stem) = names_of(&self.path);
        if let (_, Some(outline)) = engine.outline_source(&name, &stem, self.text.clone(), &self.base) {
            self.outline = Some(outline);
        }
    }

    /// The declaration of `name`, if any.
    pub fn decl(&self, name: &str) -> Option<&Decl> {
        self.decls.iter().find(|d| d.name.name == name)
    }

    /// The columns of the data file `file` (read once).
    pub fn columns(&self, file: &str) -> Vec<String> {
        self.columns.borrow_mut().entry(file.to_string()).or_insert_with(|| csv_columns(&self.base, file)).clone()
    }

    /// The name token at byte `at`, if any.
    pub fn word_at(&self, at: usize) -> Option<Token> {
        self.tokens.iter().copied().find(|t| matches!(t.tag, Tag::Ident | Tag::Contextual) && (t.span.start as usize) <= at && at <= t.span.end as usize)
    }

    /// Every use of `name` as a name (not as a column after a `.`), its declaration included.
    pub fn references(&self, name: &str) -> Vec<Span> {
        let (src, toks) = (&self.text, &self.tokens);
        toks.iter()
            .enumerate()
            .filter(|(i, t)| matches!(t.tag, Tag::Ident | Tag::Contextual) && t.text(src) == name && !(*i > 0 && toks[i - 1].text(src) == "."))
            .map(|(_, t)| t.span)
            .collect()
    }
}

/// The file name and the default strategy name (the stem) of `path`.
fn names_of(path: &Path) -> (String, String) {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "strategy".into());
    (path.file_name().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(), stem)
}

/// `diags` of `src` as LSP `Diagnostic`s: the compiler's errors and warnings with their codes,
/// the primary span as the range, the other labels as related information and the help line
/// appended to the message.
fn lsp_diagnostics(uri: &str, src: &str, diags: &[strat_grammar::diag::Diag]) -> Vec<Value> {
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

/// The declarations of `src`, in source order: data sources, params, lets, regimes and their
/// arms, sleeves, weights, kill switches, alerts and reports. When the whole text does not
/// parse, each statement (from a statement keyword outside braces to the next) is parsed on its
/// own, so a mistake in one statement hides only that statement's declarations.
pub fn declarations(src: &str) -> Vec<Decl> {
    let (program, diags) = strat_grammar::source_to_ast(src);
    if !diags.iter().any(|d| d.is_error()) {
        return declarations_of(&program, 0);
    }
    let mut starts = vec![];
    let mut depth = 0i32;
    for t in token_iter(src) {
        match t.text(src) {
            "{" => depth += 1,
            "}" => depth -= 1,
            w if depth <= 0 && t.tag == Tag::Keyword && STATEMENT_KEYWORDS.contains(&w) => starts.push(t.span.start as usize),
            _ => {}
        }
    }
    starts.push(src.len());
    let mut out = vec![];
    for w in starts.windows(2) {
        let (program, diags) = strat_grammar::source_to_ast(&src[w[0]..w[1]]);
        if !diags.iter().any(|d| d.is_error()) {
            out.extend(declarations_of(&program, w[0] as u32));
        }
    }
    out
}

/// The declarations of a parsed `program` whose text starts at byte `shift` of the document.
fn declarations_of(program: &strat_grammar::ast::Program, shift: u32) -> Vec<Decl> {
    let moved = |s: Span| Span { start: s.start + shift, end: s.end + shift };
    let mut out = vec![];
    for s in &program.stmts {
        let ident = |name: &Ident| Ident { span: moved(name.span), ..name.clone() };
        let d = |kind, name: &Ident, file: Option<&String>| Decl { kind, name: ident(name), span: moved(s.span), file: file.cloned() };
        match &s.kind {
            StmtKind::Data { name, path, .. } => out.push(d("data", name, Some(path))),
            StmtKind::Universe { name, path, .. } => out.push(d("universe", name, Some(path))),
            StmtKind::Panel { name, path, .. } => out.push(d("panel", name, Some(path))),
            StmtKind::Param { name, .. } => out.push(d("param", name, None)),
            StmtKind::Let { name, .. } => out.push(d("let", name, None)),
            StmtKind::Regime { name, arms } => {
                out.push(d("regime", name, None));
                for a in arms {
                    out.push(Decl { kind: "regime arm", name: ident(&a.name), span: moved(a.span), file: None });
                }
            }
            StmtKind::Sleeve { name, .. } => out.push(d("sleeve", name, None)),
            // A used program is a sleeve (its hover shows the `use` line).
            StmtKind::Use { alias, .. } => out.push(d("sleeve", alias, None)),
            StmtKind::Weights { name, .. } => out.push(d("weights", name, None)),
            StmtKind::Kill { name, .. } => out.push(d("kill", name, None)),
            StmtKind::Alert { name, .. } => out.push(d("alert", name, None)),
            StmtKind::Report { name, .. } => out.push(d("report", name, None)),
            _ => {}
        }
    }
    out
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

/// Hover text (Markdown) for byte `at` of `doc`: a builtin's signature, doc and warm-up; a
/// declared name's declaration with its type and warm-up (a `let`), its values (a `param`) or its
/// file and columns (a data source); a column's source file.
pub fn hover(doc: &Document, at: usize) -> Option<(Span, String)> {
    let (src, toks) = (&doc.text, &doc.tokens);
    let t = doc.word_at(at)?;
    let word = t.text(src);
    let i = toks.iter().position(|x| x.span == t.span)?;
    // A column: `source.column`.
    if i >= 2 && toks[i - 1].text(src) == "." {
        let source = toks[i - 2].text(src);
        let file = doc.decl(source)?.file.clone()?;
        return Some((t.span, format!("column `{word}` of `{source}` (`{file}`)")));
    }
    if let Some(sig) = strat_compiler::builtins::lookup(word) {
        if toks.get(i + 1).is_some_and(|n| n.text(src) == "(") {
            let warmup = strat_compiler::builtins::warmup_added(sig.builtin);
            return Some((t.span, format!("```strat\n{}\n```\nbuiltin · adds warm-up `{warmup}` to its input's (spec/stdlib.md)", sig.doc)));
        }
    }
    let d = doc.decl(word)?;
    let mut text = format!("```strat\n{}\n```\n{} `{}`", first_line(src, d.span), d.kind, word);
    if let Some(f) = &d.file {
        let cols = doc.columns(f);
        text += &format!(" — `{f}`");
        if !cols.is_empty() {
            text += &format!(", columns: {}", cols.join(", "));
        }
    }
    let outline = doc.outline.as_ref();
    if d.kind == "let" {
        if let Some(l) = outline.and_then(|o| o.lets.iter().find(|l| l.name == word)) {
            text += &format!("\n\ntype `{}`", l.ty);
            match l.warmup {
                Some(w) => text += &format!(" · warm-up {w} {} (first defined at row {w}, params at their defaults)", if w == 1 { "row" } else { "rows" }),
                None if l.reads_own => text += " · reads the strategy's own path (live from the book's first live row)",
                None => {}
            }
        }
    }
    if d.kind == "param" {
        if let Some(p) = outline.and_then(|o| o.params.iter().find(|p| p.name == word)) {
            text += &format!("\n\ndefault `{}`", p.default);
            if !p.values.is_empty() {
                text += &format!(" · {} values swept: {}", p.values.len(), p.values.join(", "));
            }
        }
    }
    Some((t.span, text))
}

/// Completion items at byte `at` of `doc`: after `source.`, that source's columns (from its
/// file's header); after `PARAM ==` or `PARAM !=`, that param's values; else the builtins (as call
/// snippets), the declared names and the keywords.
pub fn completion(doc: &Document, at: usize) -> Vec<Value> {
    let src = &doc.text;
    let at = at.min(src.len());
    let toks: Vec<Token> = doc.tokens.iter().copied().take_while(|t| (t.span.end as usize) <= at).collect();
    // The word being typed, if any, and what precedes it.
    let mut k = toks.len();
    if k > 0 && matches!(toks[k - 1].tag, Tag::Ident | Tag::Contextual | Tag::Keyword) && toks[k - 1].span.end as usize == at {
        k -= 1;
    }
    if k >= 2 && toks[k - 1].text(src) == "." {
        let source = toks[k - 2].text(src);
        let Some(file) = doc.decl(source).and_then(|d| d.file.clone()) else { return vec![] };
        return doc.columns(&file).into_iter().map(|c| json!({"label": c, "kind": 5, "detail": format!("column of {source} ({file})")})).collect();
    }
    if k >= 2 && matches!(toks[k - 1].text(src), "==" | "!=") {
        let name = toks[k - 2].text(src);
        if let Some(p) = doc.outline.as_ref().and_then(|o| o.params.iter().find(|p| p.name == name)).filter(|p| !p.values.is_empty()) {
            return p.values.iter().map(|v| json!({"label": v, "kind": 20, "detail": format!("a value of param {name}")})).collect();
        }
    }
    let mut items: Vec<Value> = strat_compiler::builtins::PRELUDE
        .iter()
        .map(|s| json!({"label": s.name, "kind": 3, "detail": s.doc, "insertText": call_snippet(s), "insertTextFormat": 2}))
        .collect();
    let mut seen = std::collections::HashSet::new();
    for d in &doc.decls {
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

/// A builtin's call as an LSP snippet with its required arguments as placeholders, from the
/// signature line of its doc: `sma(${1:x}, ${2:n})`; optional and repeated arguments are left
/// for the author to add.
pub fn call_snippet(sig: &strat_compiler::builtins::Signature) -> String {
    let inner = sig.doc.split_once('(').and_then(|(_, rest)| rest.split_once(')')).map_or("", |(args, _)| args);
    let args: Vec<&str> = inner.split(',').map(str::trim).filter(|a| !a.is_empty() && !a.contains('=') && *a != "...").collect();
    let holes: Vec<String> = args.iter().enumerate().map(|(i, a)| format!("${{{}:{a}}}", i + 1)).collect();
    format!("{}({})", sig.name, holes.join(", "))
}

/// The document symbols of `doc`: each declaration, with its statement's range.
pub fn symbols(doc: &Document) -> Vec<Value> {
    let src = &doc.text;
    doc.decls
        .iter()
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
    fn a_mistake_hides_only_its_own_statement() {
        let src = "data mkt = csv(\"d.csv\")\nsleeve s { hold mkt.spx weight 1 }\nlet trend = sma(mkt.spx, 5)\nlet bad = trend +\nlet z = 1\n";
        let names: Vec<String> = declarations(src).into_iter().map(|d| d.name.name).collect();
        assert_eq!(names, ["mkt", "s", "trend", "z"]);
        let d = declarations(src).into_iter().find(|d| d.name.name == "z").unwrap();
        assert_eq!(&src[d.name.span.start as usize..d.name.span.end as usize], "z");
    }

    #[test]
    fn call_snippets_name_the_required_arguments() {
        let snippet = |name| call_snippet(strat_compiler::builtins::lookup(name).unwrap());
        assert_eq!(snippet("sma"), "sma(${1:x}, ${2:n})");
        assert_eq!(snippet("ret"), "ret(${1:price})");
        assert_eq!(snippet("max"), "max(${1:a}, ${2:b})");
        assert_eq!(snippet("top"), "top(${1:panel}, ${2:f})");
        for s in strat_compiler::builtins::PRELUDE {
            let n = call_snippet(s).matches("${").count();
            assert!(n >= s.args.len() - s.optional - usize::from(s.variadic) && n >= 1, "{}: {}", s.name, call_snippet(s));
        }
    }

    #[test]
    fn references_skip_columns() {
        let src = "data spx = csv(\"a.csv\")\nlet x = spx.spx + spx.vix\nreport r = x";
        let engine = Engine::new();
        let mut doc = Document::new(&engine, "file:///t.strat", Path::new("/nonexistent/t.strat"), src.to_string(), None);
        doc.refresh(&engine);
        assert_eq!(doc.references("spx").len(), 3);
        assert_eq!(doc.references("x").len(), 2);
    }
}
