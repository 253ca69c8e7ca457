//! The data a strategy reads, seen from an embedding program: which sources it declares and the
//! columns it needs of each ([`SourceInfo`]), and data given in memory instead of files
//! ([`InMemory`]; the Python module and the C library build one from their callers' frames).

use std::collections::HashMap;

use strat_runtime::load::memory::MemorySources;
pub use strat_runtime::load::memory::{MemoryLong, MemorySource, MemoryTable};

/// What kind of source a declaration is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// `data NAME = csv("path")`: a wide table of series (one column per series).
    Data,
    /// `universe NAME = csv("path")`: a wide table of prices, one column per asset.
    Universe,
    /// `panel NAME = csv("path") on U`: point-in-time records, long (`date, ticker, fields`).
    LongPanel,
    /// `panel NAME = csv("path") on U` of a wide file: one column per asset.
    WidePanel,
}

/// One source a strategy declares.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceInfo {
    name: String,
    kind: SourceKind,
    path: String,
    columns: Vec<String>,
    available: Option<String>,
}

impl SourceInfo {
    /// The name the program gives the source (the key of in-memory data).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Data, universe, or long / wide panel.
    pub fn kind(&self) -> SourceKind {
        self.kind
    }

    /// The path as written in the program (relative to the `.strat` file's folder).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The columns a run reads, besides `date`: of a data source the series the program uses
    /// (and holds or benchmarks), of a universe or wide panel its assets, of a long panel
    /// `ticker` and the fields the program uses.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Of a long panel declared `available COL`, that column (a date per record).
    pub fn available(&self) -> Option<&str> {
        self.available.as_deref()
    }
}

/// The sources of `compiled`, in declaration order (data, universes, panels).
pub(crate) fn source_infos(compiled: &strat_compiler::Compiled) -> Vec<SourceInfo> {
    use strat_compiler::program::PanelLayout;
    let program = compiled.program();
    let used = strat_runtime::load::used_columns(compiled);
    let mut out = vec![];
    for (d, columns) in program.data.iter().zip(used) {
        out.push(SourceInfo { name: d.name.clone(), kind: SourceKind::Data, path: d.path.clone(), columns, available: None });
    }
    for u in &program.universes {
        out.push(SourceInfo { name: u.name.clone(), kind: SourceKind::Universe, path: u.path.clone(), columns: u.assets.clone(), available: None });
    }
    let panels = strat_runtime::load::panels::used_panels(compiled);
    for (k, p) in program.panels.iter().enumerate() {
        let (kind, columns) = match &p.layout {
            PanelLayout::Long { .. } => {
                let mut c = vec!["ticker".to_string()];
                c.extend(panels.iter().filter(|r| r.source == k).filter_map(|r| r.field.clone()));
                (SourceKind::LongPanel, c)
            }
            PanelLayout::Wide { columns } => {
                (SourceKind::WidePanel, program.universes[p.universe].assets.iter().filter(|a| columns.contains(a)).cloned().collect())
            }
        };
        out.push(SourceInfo { name: p.name.clone(), kind, path: p.path.clone(), columns, available: p.available.clone() });
    }
    out
}

/// Data given in memory in place of the files a strategy names, by source name.
///
/// A [`MemoryTable`] (dates as days since 1970-01-01, `f64` columns, NaN for missing) replaces a
/// `data` source, a `universe` or a wide `panel`; a [`MemoryLong`] a long `panel`. They are
/// validated as strictly as files: see [`crate::Strategy::load_data_from`].
///
/// ```
/// use strat::{Engine, InMemory, MemoryTable};
///
/// let src = "data mkt = csv(\"prices.csv\")\nhold mkt.spx weight 1\n";
/// let mut data = InMemory::new();
/// let dates = vec![19000, 19001, 19002, 19005];
/// data.insert_table("mkt", MemoryTable::new("mkt", dates, vec!["spx".into()], vec![vec![100.0, 101.0, 99.0, 102.0]]).unwrap());
/// // No file is needed: the columns are known from the table.
/// let strategy = Engine::new().compile_source_with("demo.strat", "demo", src.into(), ".".as_ref(), &data).unwrap();
/// let frame = strategy.load_data_from(&data).unwrap();
/// let result = strategy.run(&frame, &strategy.params()).unwrap();
/// // Held from the first close: equity after the last bar is 102 / 100.
/// assert!((result.equity().last().unwrap() - 1.02).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InMemory {
    pub(crate) sources: MemorySources,
}

impl InMemory {
    /// Nothing in memory: every source is read from its file.
    pub fn new() -> InMemory {
        InMemory::default()
    }

    /// Gives source `name` as a wide table.
    pub fn insert_table(&mut self, name: impl Into<String>, table: MemoryTable) {
        self.sources.insert(name, MemorySource::Wide(table));
    }

    /// Gives long panel source `name` as records.
    pub fn insert_long(&mut self, name: impl Into<String>, records: MemoryLong) {
        self.sources.insert(name, MemorySource::Long(records));
    }

    /// True when nothing is given.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The header a file of each given source would have after `date` (what the compiler checks
    /// column names against): a table's column names; `ticker`, the fields and `available` for
    /// records.
    pub(crate) fn headers(&self) -> HashMap<String, Vec<String>> {
        self.sources
            .names()
            .filter_map(|n| {
                let cols = match self.sources.get(n)? {
                    MemorySource::Wide(t) => t.names().to_vec(),
                    MemorySource::Long(l) => {
                        let mut c = vec!["ticker".to_string()];
                        c.extend(l.fields.iter().cloned());
                        if let Some((name, _)) = &l.available {
                            c.push(name.clone());
                        }
                        c
                    }
                };
                Some((n.to_string(), cols))
            })
            .collect()
    }
}

/// The paths of the sources named in `headers`, from a parse of `src`: path → header.
pub(crate) fn headers_by_path(src: &str, max_depth: usize, headers: &HashMap<String, Vec<String>>) -> HashMap<String, Vec<String>> {
    use strat_grammar::ast::StmtKind;
    if headers.is_empty() {
        return HashMap::new();
    }
    let (ast, _) = strat_grammar::source_to_ast_with_depth(src, max_depth);
    let mut out = HashMap::new();
    for st in &ast.stmts {
        let (name, path) = match &st.kind {
            StmtKind::Data { name, path, .. } | StmtKind::Universe { name, path, .. } | StmtKind::Panel { name, path, .. } => (name, path),
            _ => continue,
        };
        if let Some(h) = headers.get(&name.name) {
            out.insert(path.clone(), h.clone());
        }
    }
    out
}

/// For each `data` source whose file does not exist under `base_dir`, the columns the program
/// reads of it: every `NAME.column` in the source text outside comments and strings, in order of
/// first use (path → columns). See [`crate::Engine::with_missing_data_files`].
pub(crate) fn headers_from_uses(src: &str, max_depth: usize, base_dir: &std::path::Path) -> HashMap<String, Vec<String>> {
    use strat_grammar::ast::StmtKind;
    let (ast, _) = strat_grammar::source_to_ast_with_depth(src, max_depth);
    let missing: Vec<(String, String)> = ast
        .stmts
        .iter()
        .filter_map(|st| match &st.kind {
            StmtKind::Data { name, path, .. } if !base_dir.join(path).exists() => Some((name.name.clone(), path.clone())),
            _ => None,
        })
        .collect();
    if missing.is_empty() {
        return HashMap::new();
    }
    let code = code_only(src);
    let bytes = code.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (name, path) in missing {
        let mut cols: Vec<String> = vec![];
        let pat = format!("{name}.");
        let mut from = 0;
        while let Some(k) = code[from..].find(&pat) {
            let at = from + k;
            from = at + pat.len();
            if at > 0 && ident(bytes[at - 1]) {
                continue;
            }
            let end = bytes[from..].iter().position(|&b| !ident(b)).map(|n| from + n).unwrap_or(bytes.len());
            let col = &code[from..end];
            if !col.is_empty() && !cols.iter().any(|c| c == col) {
                cols.push(col.to_string());
            }
        }
        out.insert(path, cols);
    }
    out
}

/// `src` with comments (`// ...`) and string literals blanked out (same length).
fn code_only(src: &str) -> String {
    let mut out = String::with_capacity(src.len());
    let mut chars = src.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(if c == '\n' { '\n' } else { ' ' });
            if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(' ');
        } else if c == '/' && chars.peek() == Some(&'/') {
            out.push(' ');
            for c in chars.by_ref() {
                if c == '\n' {
                    out.push('\n');
                    break;
                }
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}
