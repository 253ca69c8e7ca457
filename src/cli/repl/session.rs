//! The REPL session: the ordered declarations entered or loaded, each with its source text
//! (comments included), re-compiled as one program on every change.
//!
//! Redefinition: a statement replaces the session's statement with the same key, in place: a
//! name (`let`, `param`, `data`, `universe`, `regime`, `sleeve` share one namespace), a report
//! name, or the one-per-program statements (`strategy`, the book — `hold` or `ensemble` —,
//! `cost`, `annualize`, `benchmark`, `from`, `to`). `where` constraints accumulate.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use strat::{Engine, Failure, SourceDiag, Strategy};
use strat_grammar::ast::StmtKind;
use strat_grammar::{source_to_ast, Diag};

/// What a statement replaces when it is entered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    /// A declared name.
    Name(String),
    /// A report name.
    Report(String),
    /// An alert name.
    Alert(String),
    /// A statement a program has at most once.
    Single(&'static str),
}

impl Key {
    fn of(kind: &StmtKind) -> Option<Key> {
        Some(match kind {
            StmtKind::Strategy { .. } => Key::Single("strategy"),
            StmtKind::Data { name, .. }
            | StmtKind::Universe { name, .. }
            | StmtKind::Panel { name, .. }
            | StmtKind::Param { name, .. }
            | StmtKind::Let { name, .. }
            | StmtKind::Regime { name, .. }
            | StmtKind::Sleeve { name, .. }
            | StmtKind::Weights { name, .. }
            | StmtKind::Kill { name, .. }
            | StmtKind::Use { alias: name, .. } => Key::Name(name.name.clone()),
            StmtKind::Hold { .. } | StmtKind::HoldSleeves { .. } | StmtKind::Ensemble { .. } => Key::Single("book"),
            StmtKind::Cost { .. } => Key::Single("cost"),
            StmtKind::Capital { .. } => Key::Single("capital"),
            StmtKind::VolTarget { .. } => Key::Single("target_vol"),
            StmtKind::Cash { .. } => Key::Single("cash"),
            StmtKind::Limit { kind, .. } => match kind.name.as_str() {
                "gross" => Key::Single("limit gross"),
                "net" => Key::Single("limit net"),
                _ => return None,
            },
            StmtKind::Annualize { .. } => Key::Single("annualize"),
            StmtKind::Benchmark { .. } => Key::Single("benchmark"),
            StmtKind::From { .. } => Key::Single("from"),
            StmtKind::To { .. } => Key::Single("to"),
            StmtKind::Report { name, .. } => Key::Report(name.name.clone()),
            StmtKind::Alert { name, .. } => Key::Alert(name.name.clone()),
            StmtKind::Where { .. } => return None,
        })
    }
}

/// One declaration of the session: its text (ending with a newline) and its key.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The statement as written, with the comments around it.
    pub text: String,
    /// What a redefinition replaces.
    pub key: Option<Key>,
}

/// A statement cut out of a typed or loaded text.
#[derive(Debug, Clone)]
pub struct Piece {
    /// The entry.
    pub entry: Entry,
    /// Where its text starts in the text it was cut from.
    pub offset: usize,
}

/// Cuts `src` into statements: each keeps the comments and blank lines before it and a comment
/// on its last line; the last one keeps everything to the end. Syntax errors are returned with
/// spans into `src`. A text without statements (only comments) gives no piece.
pub fn split(src: &str) -> Result<Vec<Piece>, Vec<Diag>> {
    let (program, diags) = source_to_ast(src);
    if diags.iter().any(|d| d.is_error()) {
        return Err(diags);
    }
    let n = program.stmts.len();
    let mut pieces = Vec::with_capacity(n);
    let mut start = 0;
    for (i, st) in program.stmts.iter().enumerate() {
        let mut end = st.span.end as usize;
        let line_end = src[end..].find('\n').map(|k| end + k + 1).unwrap_or(src.len());
        let rest = src[end..line_end].trim();
        if rest.is_empty() || rest.starts_with("//") {
            end = line_end;
        }
        if i + 1 == n {
            end = src.len();
        }
        let mut text = src[start..end].to_string();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        pieces.push(Piece { entry: Entry { text, key: Key::of(&st.kind) }, offset: start });
        start = end;
    }
    Ok(pieces)
}

/// The lines above a statement's first line (comments, blank lines).
fn leading_trivia(text: &str) -> &str {
    let first = strat_grammar::tokens::tokens(text).into_iter().find(|t| t.tag != strat_grammar::tokens::Tag::Comment);
    let at = first.map(|t| t.span.start as usize).unwrap_or(0);
    let line_start = text[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
    &text[..line_start]
}

/// The text of the session's program plus what a compilation adds to it.
#[derive(Debug, Clone)]
pub struct Build {
    /// The program's source.
    pub source: String,
    /// Where each entry's text is in `source`.
    pub ranges: Vec<Range<usize>>,
    /// Where the expression of a synthetic `let __repl = EXPR` is (it runs to the end).
    pub expr_at: Option<usize>,
    /// Whether a `hold ... weight 0` was added because the session has no book yet.
    pub placeholder: bool,
}

/// The name of the synthetic `let` an expression is evaluated through.
pub const EXPR_LET: &str = "__repl";

/// Where a typed text went: the new entries (by index, with their offset in `text`) or the
/// expression (at an offset of `text`).
pub struct Typed<'a> {
    /// What the user typed (the statements, or the expression alone).
    pub text: &'a str,
    /// New entries: (index in the compiled entries, offset of their text in `text`).
    pub entries: Vec<(usize, usize)>,
    /// For an expression: its offset in `text`.
    pub expr: Option<usize>,
}

/// The session.
#[derive(Debug)]
pub struct Session {
    /// The declarations, in order.
    pub entries: Vec<Entry>,
    /// Data paths are relative to this folder.
    pub base_dir: PathBuf,
    /// The file loaded last (for `:reload` and diagnostics).
    pub file: Option<PathBuf>,
    /// Whether the entries differ from the file's.
    pub edited: bool,
    engine: Engine,
}

impl Session {
    /// An empty session reading data relative to `base_dir`.
    pub fn new(base_dir: PathBuf) -> Session {
        Session { entries: vec![], base_dir, file: None, edited: false, engine: Engine::new() }
    }

    /// The name diagnostics show for the session's text.
    pub fn source_name(&self) -> String {
        match (&self.file, self.edited) {
            (Some(f), false) => f.display().to_string(),
            _ => "session".to_string(),
        }
    }

    fn default_name(&self) -> String {
        self.file.as_ref().and_then(|f| f.file_stem()).and_then(|s| s.to_str()).unwrap_or("repl").to_string()
    }

    /// Whether `entries` hold a `hold` or an `ensemble`.
    pub fn has_book(entries: &[Entry]) -> bool {
        entries.iter().any(|e| e.key == Some(Key::Single("book")))
    }

    /// `entries` with `pieces` applied: each replaces the entry with its key, or is appended.
    /// Returns the new entries and, per piece, its index and whether it replaced one.
    pub fn apply(entries: &[Entry], pieces: &[Piece]) -> (Vec<Entry>, Vec<(usize, bool)>) {
        let mut out = entries.to_vec();
        let mut at = vec![];
        for p in pieces {
            let found = p.entry.key.as_ref().and_then(|k| out.iter().position(|e| e.key.as_ref() == Some(k)));
            match found {
                Some(i) => {
                    // The comments and blank lines above the old statement stay above the new one.
                    let mut e = p.entry.clone();
                    if leading_trivia(&e.text).is_empty() {
                        e.text = format!("{}{}", leading_trivia(&out[i].text), e.text);
                    }
                    out[i] = e;
                    at.push((i, true));
                }
                None => {
                    out.push(p.entry.clone());
                    at.push((out.len() - 1, false));
                }
            }
        }
        (out, at)
    }

    /// The program text of `entries`, plus a placeholder book when they have none (so that
    /// expressions can be evaluated before the strategy is complete), plus `let __repl = EXPR`.
    pub fn build(&self, entries: &[Entry], expr: Option<&str>) -> Build {
        let mut source = String::new();
        let mut ranges = vec![];
        for e in entries {
            let s = source.len();
            source.push_str(&e.text);
            ranges.push(s..source.len());
        }
        let mut placeholder = false;
        if !Session::has_book(entries) {
            if let Some(h) = self.placeholder_hold(&source) {
                source.push_str(&h);
                placeholder = true;
            }
        }
        let expr_at = expr.map(|x| {
            source.push_str(&format!("let {EXPR_LET} = "));
            let at = source.len();
            source.push_str(x);
            source.push('\n');
            at
        });
        Build { source, ranges, expr_at, placeholder }
    }

    /// `hold SOURCE.FIRST_COLUMN weight 0` (or `hold UNIVERSE weight 0`) for the first data
    /// source of `source`, if it has one that can be read.
    fn placeholder_hold(&self, source: &str) -> Option<String> {
        let (program, _) = source_to_ast(source);
        for st in &program.stmts {
            match &st.kind {
                StmtKind::Data { name, path, .. } => {
                    let cols = strat_runtime::io::read_header(&self.base_dir.join(path)).ok()?;
                    return Some(format!("hold {}.{} weight 0\n", name.name, cols.first()?));
                }
                StmtKind::Universe { name, .. } => return Some(format!("hold {} weight 0\n", name.name)),
                _ => {}
            }
        }
        None
    }

    /// Compiles a build.
    pub fn compile(&self, b: &Build) -> Result<Strategy, Failure> {
        self.engine.compile_source(&self.source_name(), &self.default_name(), b.source.clone(), &self.base_dir)
    }

    /// Renders `d` (with spans into `b.source`) against what the user typed when it points
    /// there, else against the session's text.
    pub fn locate(&self, b: &Build, typed: &Typed, d: Diag) -> SourceDiag {
        let pos = (d.span().start as usize).min(b.source.len());
        // The region of b.source the primary span is in, and where that region starts in the
        // typed text.
        let region: Option<(Range<usize>, usize)> = match b.expr_at {
            Some(at) if pos >= at => typed.expr.map(|o| (at..b.source.len(), o)),
            _ => typed.entries.iter().find_map(|&(k, o)| {
                let r = b.ranges.get(k)?;
                (r.contains(&pos) || (pos == r.end && pos == b.source.len())).then(|| (r.clone(), o))
            }),
        };
        match region {
            Some((r, o)) if !typed.text.is_empty() => {
                let mut d = d;
                d.labels.retain(|l| r.contains(&(l.span.start as usize)) || l.span.start as usize == r.end);
                for l in &mut d.labels {
                    let s = (l.span.start as usize - r.start + o).min(typed.text.len());
                    let e = (l.span.end as usize).min(r.end).saturating_sub(r.start) + o;
                    l.span = strat_grammar::Span::new(s, e.clamp(s, typed.text.len()));
                }
                d.with_source("input", Arc::new(typed.text.to_string()))
            }
            _ => d.with_source(&self.source_name(), Arc::new(b.source.clone())),
        }
    }

    /// The session's text as a `.strat` file written at `target`: data paths are rewritten
    /// relative to the target's folder when it is not the session's. Returns the text and the
    /// rewritten paths (old, new).
    pub fn saved_text(&self, target: &Path) -> (String, Vec<(String, String)>) {
        let base = absolute(&self.base_dir);
        let dir = absolute(target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")));
        let mut out = String::new();
        let mut changed = vec![];
        for e in &self.entries {
            let mut text = e.text.clone();
            if base != dir {
                let (program, _) = source_to_ast(&e.text);
                // Right to left, so earlier spans stay valid.
                for st in program.stmts.iter().rev() {
                    if let StmtKind::Data { path, path_span, .. } | StmtKind::Universe { path, path_span, .. } | StmtKind::Panel { path, path_span, .. } =
                        &st.kind
                    {
                        let new = relative_to(&normalize(&base.join(path)), &dir);
                        let new = new.to_string_lossy().replace('\\', "/");
                        if new != *path && !new.contains('"') {
                            text.replace_range(path_span.start as usize..path_span.end as usize, &format!("\"{new}\""));
                            changed.push((path.clone(), new));
                        }
                    }
                }
            }
            out.push_str(&text);
        }
        (out, changed)
    }
}

/// `p` made absolute (against the current directory) and normalized, without touching the
/// file system beyond the current directory.
fn absolute(p: &Path) -> PathBuf {
    let p = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    normalize(&p)
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// `path` relative to folder `dir` (both absolute and normalized); `path` itself when they
/// share no root (another drive).
fn relative_to(path: &Path, dir: &Path) -> PathBuf {
    let a: Vec<Component> = path.components().collect();
    let b: Vec<Component> = dir.components().collect();
    if a.first() != b.first() {
        return path.to_path_buf();
    }
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    // Sharing only the root: the absolute path reads better than a climb to it.
    if common <= 1 {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    for c in &a[common..] {
        out.push(c.as_os_str());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_comments_and_text() {
        let src = "// header\nstrategy s // name\n\nlet a = 1 // one\nlet b = tiers(a) {\n  >= 1 => 2\n  else => 3\n}\n// tail\n";
        let pieces = split(src).unwrap();
        let texts: Vec<&str> = pieces.iter().map(|p| p.entry.text.as_str()).collect();
        assert_eq!(texts.concat(), src);
        assert_eq!(texts[0], "// header\nstrategy s // name\n");
        assert_eq!(texts[1], "\nlet a = 1 // one\n");
        assert_eq!(pieces[2].entry.key, Some(Key::Name("b".into())));
        assert_eq!(pieces[1].offset, src.find("\nlet a").unwrap());
    }

    #[test]
    fn redefinition_replaces_in_place() {
        let entries = split("let a = 1\nlet b = a\nhold x weight b\n").unwrap().into_iter().map(|p| p.entry).collect::<Vec<_>>();
        let new = split("let a = 2").unwrap();
        let (out, at) = Session::apply(&entries, &new);
        assert_eq!(at, [(0, true)]);
        assert_eq!(out[0].text, "let a = 2\n");
        let commented = split("// one\nlet a = 1\n").unwrap().into_iter().map(|p| p.entry).collect::<Vec<_>>();
        let (out, _) = Session::apply(&commented, &new);
        assert_eq!(out[0].text, "// one\nlet a = 2\n");
        let (out, at) = Session::apply(&entries, &split("report r = a").unwrap());
        assert_eq!(at, [(3, false)]);
        assert_eq!(out.len(), 4);
    }

    #[test]
    fn relative_paths() {
        assert_eq!(relative_to(Path::new("/a/b/data/x.csv"), Path::new("/a/c")), PathBuf::from("../b/data/x.csv"));
        assert_eq!(relative_to(Path::new("/a/x.csv"), Path::new("/a")), PathBuf::from("x.csv"));
        assert_eq!(relative_to(Path::new("/work/x.csv"), Path::new("/tmp/t")), PathBuf::from("/work/x.csv"));
        assert_eq!(normalize(Path::new("/a/./b/../c")), PathBuf::from("/a/c"));
    }
}
