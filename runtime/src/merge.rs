//! `strat merge`: the part files of a sharded sweep ([`crate::shard`]) combined into the table
//! a single-machine sweep writes, byte for byte.
//!
//! A part is the single-machine table of its shard's rows plus what ties it to its study:
//! - CSV and Parquet: a `binding` column first (the grid index) and three columns last,
//!   `shard` (`I/N`), `grid_bindings` (the grid's size) and `fingerprint`
//!   ([`crate::shard::fingerprint`]), the same in every row;
//! - JSON: the single-machine document of the shard's rows (`strategy`, `bindings`, `params`,
//!   `rows`) followed by `shard`, `grid_bindings`, `fingerprint` and `binding_ids` (the grid
//!   index of each row).
//!
//! Merging checks everything before it writes: one format throughout, one fingerprint, one
//! shard count and grid size, every shard exactly once, and every part holding exactly its
//! shard's bindings with whole rows (a part truncated in the middle is refused, never merged
//! into a table that looks whole). The merged table has the rows in grid order without the
//! `binding` and study columns; it is written to a temporary file beside `out` and renamed,
//! so `out` is either the whole table or untouched.

use crate::shard::Shard;
use crate::write::Format;
use polars::prelude::*;
use serde_json::value::RawValue;
use std::path::{Path, PathBuf};

/// The columns a CSV or Parquet part has after the single-machine table, in order.
pub const STUDY_COLUMNS: [&str; 3] = ["shard", "grid_bindings", "fingerprint"];

/// The column a CSV or Parquet part has first: the grid index of the row's binding.
pub const BINDING_COLUMN: &str = "binding";

/// Why parts could not be merged. Every message names the file it is about.
#[derive(Debug, Clone, PartialEq)]
pub enum MergeError {
    /// A part or the output has an extension other than `.csv`, `.parquet` or `.json`, or the
    /// parts and the output differ in format.
    Format(String),
    /// A file cannot be read or written.
    Io(String),
    /// A part is not a well-formed part file (not a part, truncated, a row cut short).
    Part(String),
    /// The parts do not belong together: different studies (fingerprints), shard counts or
    /// grid sizes, a shard given twice or missing.
    Mismatch(String),
}

impl std::fmt::Display for MergeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MergeError::Format(m) | MergeError::Io(m) | MergeError::Part(m) | MergeError::Mismatch(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for MergeError {}

/// What a part says about its study.
#[derive(Debug, Clone, PartialEq)]
pub struct PartInfo {
    /// The part's file.
    pub path: PathBuf,
    /// Its shard.
    pub shard: Shard,
    /// Bindings in the whole grid.
    pub grid_bindings: usize,
    /// The study's fingerprint.
    pub fingerprint: String,
    /// The grid index of each row, in file order.
    pub bindings: Vec<usize>,
}

/// What [`merge`] wrote.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// Rows written (the grid's bindings).
    pub rows: usize,
    /// Shards merged.
    pub shards: usize,
    /// The study's fingerprint.
    pub fingerprint: String,
}

/// Merges the part files `parts` (all in `out`'s format) into `out`, replacing it. The caller
/// decides whether overwriting is allowed and that `out` is none of the parts.
///
/// Errors: see [`MergeError`]; nothing is written unless every check passes.
pub fn merge(out: &Path, parts: &[PathBuf]) -> Result<Merged, MergeError> {
    let format = format_of(out, "the output")?;
    if parts.is_empty() {
        return Err(MergeError::Mismatch("no part files given".into()));
    }
    for p in parts {
        if format_of(p, "a part")? != format {
            return Err(MergeError::Format(format!(
                "{} is not a {} file like the output {}; every part and the output have one format",
                p.display(),
                ext(format),
                out.display()
            )));
        }
    }
    let bytes = match format {
        Format::Csv => merge_csv(parts)?,
        Format::Json => merge_json(parts)?,
        Format::Parquet => merge_parquet(parts)?,
    };
    let (bytes, merged) = bytes;
    write_atomically(out, &bytes)?;
    Ok(merged)
}

fn ext(f: Format) -> &'static str {
    match f {
        Format::Csv => ".csv",
        Format::Parquet => ".parquet",
        Format::Json => ".json",
    }
}

fn format_of(p: &Path, what: &str) -> Result<Format, MergeError> {
    Format::of(p).ok_or_else(|| MergeError::Format(format!("{what} {} is not a .csv, .parquet or .json file", p.display())))
}

fn io(p: &Path, e: impl std::fmt::Display) -> MergeError {
    MergeError::Io(format!("cannot read {}: {e}", p.display()))
}

fn read(p: &Path) -> Result<Vec<u8>, MergeError> {
    std::fs::read(p).map_err(|e| io(p, e))
}

/// The parts as text (`format` names the format in the error for a file that is not UTF-8).
fn read_texts(parts: &[PathBuf], format: &str) -> Result<Vec<String>, MergeError> {
    parts.iter().map(|p| String::from_utf8(read(p)?).map_err(|_| MergeError::Part(format!("{} is not UTF-8 text; not a {format} part", p.display())))).collect()
}

/// Writes `bytes` to a temporary file beside `out`, then renames it to `out`.
fn write_atomically(out: &Path, bytes: &[u8]) -> Result<(), MergeError> {
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = out.with_file_name(format!(".{name}.strat-merge-{}", std::process::id()));
    let fail = |e: std::io::Error| MergeError::Io(format!("cannot write {}: {e}", out.display()));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, out).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// Checks that `infos` are the whole of one study: one fingerprint, shard count and grid
/// size, each shard once, each part exactly its shard's bindings. Returns the permutation
/// that puts the concatenated rows (parts in the given order) in grid order.
pub(crate) fn check_parts(infos: &[PartInfo]) -> Result<(Vec<usize>, Merged), MergeError> {
    let first = &infos[0];
    let n = first.shard.count();
    for p in &infos[1..] {
        if p.fingerprint != first.fingerprint {
            return Err(MergeError::Mismatch(format!(
                "{} and {} are parts of different studies (program, data or grid differ): fingerprints {} and {}",
                first.path.display(),
                p.path.display(),
                first.fingerprint,
                p.fingerprint
            )));
        }
        if p.shard.count() != n || p.grid_bindings != first.grid_bindings {
            return Err(MergeError::Mismatch(format!(
                "{} is shard {} of a {}-binding grid but {} is shard {} of a {}-binding grid; merge the parts of one split",
                first.path.display(),
                first.shard,
                first.grid_bindings,
                p.path.display(),
                p.shard,
                p.grid_bindings
            )));
        }
    }
    let mut by_shard: Vec<Option<&PartInfo>> = vec![None; n];
    for p in infos {
        let slot = &mut by_shard[p.shard.index() - 1];
        if let Some(q) = slot {
            return Err(MergeError::Mismatch(format!("shard {} is given twice: {} and {}", p.shard, q.path.display(), p.path.display())));
        }
        *slot = Some(p);
    }
    let missing: Vec<String> = (1..=n).filter(|i| by_shard[i - 1].is_none()).map(|i| format!("{i}/{n}")).collect();
    if !missing.is_empty() {
        return Err(MergeError::Mismatch(format!(
            "shard(s) {} missing: {} part(s) given of {n}; a merged table would not hold every binding",
            missing.join(", "),
            infos.len()
        )));
    }
    let m = first.grid_bindings;
    let mut perm = vec![usize::MAX; m];
    let mut offset = 0;
    for p in infos {
        let want = p.shard.bindings(m);
        if p.bindings != want {
            let at = p.bindings.iter().zip(&want).position(|(a, b)| a != b).unwrap_or(p.bindings.len().min(want.len()));
            let what = match want.get(at) {
                Some(b) => format!("binding {b} is missing from row {}", at + 1),
                None => format!("row {} holds binding {} that is not in the shard", at + 1, p.bindings[at]),
            };
            return Err(MergeError::Part(format!(
                "{} holds {} row(s) but shard {} of {m} bindings has {}: {what} (a truncated or edited part)",
                p.path.display(),
                p.bindings.len(),
                p.shard,
                want.len()
            )));
        }
        for (k, &b) in p.bindings.iter().enumerate() {
            perm[b] = offset + k;
        }
        offset += p.bindings.len();
    }
    Ok((perm, Merged { rows: m, shards: n, fingerprint: first.fingerprint.clone() }))
}

/// Refuses parts whose columns (`headers`, one per part) differ (checked after the
/// fingerprints, which name the likelier cause).
fn same_columns(parts: &[PathBuf], headers: &[String]) -> Result<(), MergeError> {
    match headers.iter().position(|h| *h != headers[0]) {
        Some(k) => {
            Err(MergeError::Mismatch(format!("{} and {} have different columns; they are not parts of one study", parts[0].display(), parts[k].display())))
        }
        None => Ok(()),
    }
}

/// The study columns' values (`shard`, `grid_bindings`, `fingerprint`) of a part, the same in
/// every row; `rows` yields them per row.
fn study_of<'a>(path: &Path, rows: impl Iterator<Item = (usize, [&'a str; 3])>) -> Result<Option<(Shard, usize, String)>, MergeError> {
    let mut seen: Option<[&str; 3]> = None;
    for (row, v) in rows {
        match seen {
            None => seen = Some(v),
            Some(s) if s != v => {
                return Err(MergeError::Part(format!("{} row {row}: the study columns differ from the first row's; a part holds one shard", path.display())))
            }
            _ => {}
        }
    }
    let Some([shard, grid, fp]) = seen else { return Ok(None) };
    let shard = Shard::parse(shard).map_err(|e| MergeError::Part(format!("{}: column shard: {e}", path.display())))?;
    let grid =
        grid.trim().parse::<usize>().map_err(|_| MergeError::Part(format!("{}: column grid_bindings: `{grid}` is not a whole number", path.display())))?;
    Ok(Some((shard, grid, fp.to_string())))
}

// ---------------------------------------------------------------------------------------------
// CSV: merged as text, so every field keeps the exact bytes the sweep wrote.

/// One CSV record: its text and the byte offsets of its top-level field separators.
#[derive(Debug)]
struct Record<'a> {
    text: &'a str,
    commas: Vec<usize>,
}

impl<'a> Record<'a> {
    fn fields(&self) -> usize {
        self.commas.len() + 1
    }

    /// Field `i` (raw text, quotes kept).
    fn field(&self, i: usize) -> &'a str {
        let start = if i == 0 { 0 } else { self.commas[i - 1] + 1 };
        let end = self.commas.get(i).copied().unwrap_or(self.text.len());
        &self.text[start..end]
    }

    /// The text from field `a` through field `b` (inclusive), separators included.
    fn span(&self, a: usize, b: usize) -> &'a str {
        let start = if a == 0 { 0 } else { self.commas[a - 1] + 1 };
        let end = self.commas.get(b).copied().unwrap_or(self.text.len());
        &self.text[start..end]
    }
}

/// Splits CSV text into records (RFC 4180: quoted fields may hold commas, quotes doubled and
/// newlines). Errors: an unterminated quote or a last record without its newline (a file cut
/// short), with the record's number.
fn csv_records<'a>(path: &Path, text: &'a str) -> Result<Vec<Record<'a>>, MergeError> {
    let mut out = vec![];
    let bytes = text.as_bytes();
    let (mut start, mut quoted, mut commas) = (0usize, false, vec![]);
    for (i, &c) in bytes.iter().enumerate() {
        match c {
            b'"' => quoted = !quoted,
            b',' if !quoted => commas.push(i - start),
            b'\n' if !quoted => {
                let end = if i > start && bytes[i - 1] == b'\r' { i - 1 } else { i };
                out.push(Record { text: &text[start..end], commas: std::mem::take(&mut commas) });
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < bytes.len() {
        return Err(MergeError::Part(format!(
            "{} ends in the middle of line {}{}: the part is truncated",
            path.display(),
            out.len() + 1,
            if quoted { " (inside a quoted field)" } else { "" }
        )));
    }
    Ok(out)
}

fn merge_csv(parts: &[PathBuf]) -> Result<(Vec<u8>, Merged), MergeError> {
    let texts = read_texts(parts, "CSV")?;
    let mut infos = vec![];
    let mut headers: Vec<String> = vec![];
    let mut bodies: Vec<Vec<&str>> = vec![];
    for (p, text) in parts.iter().zip(&texts) {
        let records = csv_records(p, text)?;
        let Some(head) = records.first() else {
            return Err(MergeError::Part(format!("{} is empty; not a part", p.display())));
        };
        let w = head.fields();
        let names: Vec<&str> = (0..w).map(|i| head.field(i)).collect();
        if w < 5 || names[0] != BINDING_COLUMN || names[w - 3..] != STUDY_COLUMNS {
            return Err(MergeError::Part(format!(
                "{} is not a part of a sharded sweep: its header does not start with `binding` and end with `shard,grid_bindings,fingerprint` (write parts with `strat sweep --shard I/N --out FILE`)",
                p.display()
            )));
        }
        headers.push(head.span(1, w - 4).to_string());
        let mut ids = vec![];
        let mut body = vec![];
        for (k, r) in records.iter().enumerate().skip(1) {
            if r.fields() != w {
                return Err(MergeError::Part(format!("{} line {}: {} fields where the header has {w} (a row cut short)", p.display(), k + 1, r.fields())));
            }
            let id = r
                .field(0)
                .parse::<usize>()
                .map_err(|_| MergeError::Part(format!("{} line {}: column binding: `{}` is not a grid index", p.display(), k + 1, r.field(0))))?;
            ids.push(id);
            body.push(r.span(1, w - 4));
        }
        let study = study_of(p, records.iter().enumerate().skip(1).map(|(k, r)| (k + 1, [r.field(w - 3), r.field(w - 2), r.field(w - 1)])))?;
        let Some((shard, grid_bindings, fingerprint)) = study else {
            return Err(MergeError::Part(format!("{} has a header and no rows; a part holds at least one binding", p.display())));
        };
        infos.push(PartInfo { path: p.clone(), shard, grid_bindings, fingerprint, bindings: ids });
        bodies.push(body);
    }
    let (perm, merged) = check_parts(&infos)?;
    same_columns(parts, &headers)?;
    let all: Vec<&str> = bodies.into_iter().flatten().collect();
    let mut out = String::with_capacity(texts.iter().map(String::len).sum());
    out.push_str(&headers[0]);
    out.push('\n');
    for &i in &perm {
        out.push_str(all[i]);
        out.push('\n');
    }
    Ok((out.into_bytes(), merged))
}

// ---------------------------------------------------------------------------------------------
// JSON: the rows are kept as raw text and reordered.

#[derive(serde::Deserialize)]
struct JsonPart<'a> {
    #[serde(borrow)]
    strategy: &'a RawValue,
    #[serde(borrow)]
    params: &'a RawValue,
    #[serde(borrow)]
    rows: Vec<&'a RawValue>,
    shard: String,
    grid_bindings: usize,
    fingerprint: String,
    binding_ids: Vec<usize>,
}

fn merge_json(parts: &[PathBuf]) -> Result<(Vec<u8>, Merged), MergeError> {
    let texts = read_texts(parts, "JSON")?;
    let mut infos = vec![];
    let mut docs = vec![];
    for (p, text) in parts.iter().zip(&texts) {
        let doc: JsonPart = serde_json::from_str(text).map_err(|e| {
            let why = if e.is_eof() {
                "the part is truncated".to_string()
            } else {
                "not a part of a sharded sweep (write parts with `strat sweep --shard I/N --out FILE.json`)".to_string()
            };
            MergeError::Part(format!("{}: {e}; {why}", p.display()))
        })?;
        if doc.rows.len() != doc.binding_ids.len() {
            return Err(MergeError::Part(format!(
                "{}: {} rows but {} binding_ids; the part was edited or cut",
                p.display(),
                doc.rows.len(),
                doc.binding_ids.len()
            )));
        }
        let shard = Shard::parse(&doc.shard).map_err(|e| MergeError::Part(format!("{}: shard: {e}", p.display())))?;
        infos.push(PartInfo {
            path: p.clone(),
            shard,
            grid_bindings: doc.grid_bindings,
            fingerprint: doc.fingerprint.clone(),
            bindings: doc.binding_ids.clone(),
        });
        docs.push(doc);
    }
    let (perm, merged) = check_parts(&infos)?;
    let first = &docs[0];
    for (p, d) in parts.iter().zip(&docs).skip(1) {
        if d.strategy.get() != first.strategy.get() || d.params.get() != first.params.get() {
            return Err(MergeError::Mismatch(format!("{} and {} name different strategies or params", parts[0].display(), p.display())));
        }
    }
    let all: Vec<&str> = docs.iter().flat_map(|d| d.rows.iter().map(|r| r.get())).collect();
    let mut out = format!("{{\"strategy\":{},\"bindings\":{},\"params\":{},\"rows\":[", first.strategy.get(), merged.rows, first.params.get());
    for (k, &i) in perm.iter().enumerate() {
        if k > 0 {
            out.push(',');
        }
        out.push_str(all[i]);
    }
    out.push_str("]}\n");
    Ok((out.into_bytes(), merged))
}

// ---------------------------------------------------------------------------------------------
// Parquet: read with polars, stacked, reordered, written with the sweep's writer.

fn merge_parquet(parts: &[PathBuf]) -> Result<(Vec<u8>, Merged), MergeError> {
    let mut infos = vec![];
    let mut frames: Vec<DataFrame> = vec![];
    let mut names: Vec<String> = vec![];
    for p in parts {
        let file = std::fs::File::open(p).map_err(|e| io(p, e))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| MergeError::Part(format!("{} is not a readable Parquet file ({e}); the part is truncated or damaged", p.display())))?;
        let cols: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).collect();
        let w = cols.len();
        if w < 5 || cols[0] != BINDING_COLUMN || cols[w - 3..] != STUDY_COLUMNS {
            return Err(MergeError::Part(format!(
                "{} is not a part of a sharded sweep: its columns do not start with `binding` and end with `shard, grid_bindings, fingerprint`",
                p.display()
            )));
        }
        names.push(cols[1..w - 3].join(","));
        let bad = |c: &str, e: PolarsError| MergeError::Part(format!("{}: column {c}: {e}", p.display()));
        let ids = df.column(BINDING_COLUMN).and_then(|c| c.i64().cloned()).map_err(|e| bad(BINDING_COLUMN, e))?;
        let ids: Vec<usize> = ids
            .into_iter()
            .enumerate()
            .map(|(k, v)| {
                v.and_then(|v| usize::try_from(v).ok())
                    .ok_or_else(|| MergeError::Part(format!("{} row {}: column binding: not a grid index", p.display(), k + 1)))
            })
            .collect::<Result<_, _>>()?;
        let shard = df.column("shard").and_then(|c| c.str().cloned()).map_err(|e| bad("shard", e))?;
        let grid = df.column("grid_bindings").and_then(|c| c.i64().cloned()).map_err(|e| bad("grid_bindings", e))?;
        let fp = df.column("fingerprint").and_then(|c| c.str().cloned()).map_err(|e| bad("fingerprint", e))?;
        let grid_text: Vec<String> = grid.into_iter().map(|v| v.map(|v| v.to_string()).unwrap_or_default()).collect();
        let rows = shard.into_iter().zip(&grid_text).zip(&fp).enumerate().map(|(k, ((s, g), f))| (k + 1, [s.unwrap_or(""), g.as_str(), f.unwrap_or("")]));
        let Some((shard, grid_bindings, fingerprint)) = study_of(p, rows)? else {
            return Err(MergeError::Part(format!("{} has no rows; a part holds at least one binding", p.display())));
        };
        infos.push(PartInfo { path: p.clone(), shard, grid_bindings, fingerprint, bindings: ids });
        let keep: Vec<PlSmallStr> = cols[1..w - 3].iter().map(|s| s.as_str().into()).collect();
        frames.push(df.select(keep).map_err(|e| MergeError::Part(format!("{}: {e}", p.display())))?);
    }
    let (perm, merged) = check_parts(&infos)?;
    same_columns(parts, &names)?;
    let polars_err = |e: PolarsError| MergeError::Part(format!("the parts cannot be stacked: {e}"));
    let mut all = frames[0].clone();
    for f in &frames[1..] {
        all.vstack_mut(f).map_err(|e| MergeError::Mismatch(format!("the parts' columns have different types: {e}")))?;
    }
    let idx = IdxCa::from_vec("idx".into(), perm.iter().map(|&i| i as IdxSize).collect());
    let mut df = all.take(&idx).map_err(polars_err)?;
    df.rechunk_mut();
    let mut buf = vec![];
    crate::write::encode_parquet(&mut buf, &df).map_err(|e| MergeError::Io(format!("cannot encode the merged table: {e}")))?;
    Ok((buf, merged))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_records_keep_quoted_commas_and_newlines_and_refuse_a_cut_file() {
        let p = Path::new("t.csv");
        let text = "a,b\n1,\"x,\"\"y\"\"\nz\"\n";
        let r = csv_records(p, text).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[1].fields(), 2);
        assert_eq!(r[1].field(1), "\"x,\"\"y\"\"\nz\"");
        assert_eq!(r[1].span(0, 1), "1,\"x,\"\"y\"\"\nz\"");
        assert!(csv_records(p, "a,b\n1,2").unwrap_err().to_string().contains("middle of line 2"));
        assert!(csv_records(p, "a,b\n1,\"2\n").unwrap_err().to_string().contains("inside a quoted field"));
    }

    fn info(path: &str, shard: &str, fp: &str, grid: usize, ids: Vec<usize>) -> PartInfo {
        PartInfo { path: path.into(), shard: Shard::parse(shard).unwrap(), grid_bindings: grid, fingerprint: fp.into(), bindings: ids }
    }

    #[test]
    fn parts_must_be_one_whole_study() {
        let a = info("a", "1/2", "f", 5, vec![0, 2, 4]);
        let b = info("b", "2/2", "f", 5, vec![1, 3]);
        let (perm, m) = check_parts(&[b.clone(), a.clone()]).unwrap();
        assert_eq!(perm, vec![2, 0, 3, 1, 4]);
        assert_eq!(m.rows, 5);
        let other = info("c", "2/2", "g", 5, vec![1, 3]);
        assert!(check_parts(&[a.clone(), other]).unwrap_err().to_string().contains("different studies"));
        assert!(check_parts(std::slice::from_ref(&a)).unwrap_err().to_string().contains("2/2 missing"));
        assert!(check_parts(&[a.clone(), a.clone()]).unwrap_err().to_string().contains("given twice"));
        let cut = info("b", "2/2", "f", 5, vec![1]);
        let e = check_parts(&[a.clone(), cut]).unwrap_err().to_string();
        assert!(e.contains("binding 3 is missing from row 2"), "{e}");
        let three = info("b", "2/3", "f", 5, vec![1, 4]);
        assert!(check_parts(&[a, three]).unwrap_err().to_string().contains("one split"));
    }
}
