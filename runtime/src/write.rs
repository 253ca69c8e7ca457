//! Output files through polars: typed columns written as CSV or Parquet (chosen by the file's
//! extension), or as JSON. NaN and a missing value are written as an empty CSV field, a Parquet
//! null or a JSON `null` (the same convention the readers use for a missing value).

use polars::prelude::*;
use std::io::Write as _;
use std::path::Path;

/// One column of an output table; every column of a table has the same length.
#[derive(Debug, Clone, PartialEq)]
pub enum Col {
    /// UTF-8 text (CSV: as is, quoted when needed; Parquet: `String`).
    Text(Vec<String>),
    /// Floats (Parquet: nullable `Float64`); NaN is a missing value.
    Float(Vec<f64>),
    /// Whole numbers (Parquet: nullable `Int64`); `None` is a missing value.
    Int(Vec<Option<i64>>),
    /// Dates as days since 1970-01-01 (Parquet: `Date`; CSV and JSON: `YYYY-MM-DD`).
    Date(Vec<i32>),
}

impl Col {
    /// Number of values.
    pub fn len(&self) -> usize {
        match self {
            Col::Text(v) => v.len(),
            Col::Float(v) => v.len(),
            Col::Int(v) => v.len(),
            Col::Date(v) => v.len(),
        }
    }

    /// Whether the column has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The file formats an output may take, by extension: `.csv`, `.parquet` or `.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header (polars' writer).
    Csv,
    /// Apache Parquet (polars' writer).
    Parquet,
    /// One JSON array of row objects (see [`write_columns`]).
    Json,
}

impl Format {
    /// The format named by `path`'s extension (case-sensitive: `csv`, `parquet`, `json`), or
    /// `None` for any other extension or none.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => Some(Format::Csv),
            Some("parquet") => Some(Format::Parquet),
            Some("json") => Some(Format::Json),
            _ => None,
        }
    }
}

/// Writes `date` plus the named float columns (all `dates.len()` long) to a CSV file at `path`,
/// replacing it. The caller decides whether overwriting is allowed.
pub fn write_csv(path: &Path, dates: &[String], columns: &[(&str, &[f64])]) -> PolarsResult<()> {
    let mut cols = vec![Column::new("date".into(), dates.to_vec())];
    for (name, values) in columns {
        let v: Vec<Option<f64>> = values.iter().map(|&x| if x.is_nan() { None } else { Some(x) }).collect();
        cols.push(Column::new((*name).into(), v));
    }
    let mut df = DataFrame::new(dates.len(), cols)?;
    let mut file = std::fs::File::create(path)?;
    CsvWriter::new(&mut file).include_header(true).finish(&mut df)
}

/// Writes a table of text columns then float columns (all the same length) at `path`: Parquet
/// when the extension is `.parquet`, else CSV. NaN is written as a missing value (an empty CSV
/// field, a Parquet null).
pub fn write_table(path: &Path, text: &[(String, Vec<String>)], nums: &[(String, Vec<f64>)]) -> PolarsResult<()> {
    let mut cols: Vec<(String, Col)> = text.iter().map(|(n, v)| (n.clone(), Col::Text(v.clone()))).collect();
    cols.extend(nums.iter().map(|(n, v)| (n.clone(), Col::Float(v.clone()))));
    let format = if Format::of(path) == Some(Format::Parquet) { Format::Parquet } else { Format::Csv };
    write_columns(path, format, &cols)
}

/// Writes the named typed columns (all the same length) at `path` in `format`, replacing the
/// file. CSV has a header and round-trip floats; Parquet has one typed column each ([`Col`]);
/// JSON is one array of row objects on one line (`[{"date":"2020-01-02","return":null,...},...]`)
/// and a newline, floats as the shortest round-trip decimal, NaN as `null`, infinities as
/// `"inf"` / `"-inf"`. The caller decides whether overwriting is allowed.
///
/// Errors: columns of different lengths, or the file cannot be created or written.
pub fn write_columns(path: &Path, format: Format, cols: &[(String, Col)]) -> PolarsResult<()> {
    let height = cols.first().map(|c| c.1.len()).unwrap_or(0);
    if cols.iter().any(|c| c.1.len() != height) {
        return Err(PolarsError::ShapeMismatch("the columns of an output have different lengths".into()));
    }
    if format == Format::Json {
        let mut w = std::io::BufWriter::new(std::fs::File::create(path)?);
        write_json(&mut w, height, cols)?;
        w.flush()?;
        return Ok(());
    }
    let mut w = TableWriter::new(path, format);
    w.push(cols)?;
    w.finish()
}

/// Rows per Parquet row group (and per CSV batch) of every table Strat writes: a table is
/// written in slices of this many rows, so the same rows give the same bytes whether they were
/// written at once ([`write_columns`]) or streamed in chunks of any size ([`TableWriter`]).
pub const ROW_GROUP_ROWS: usize = 16_384;

/// Writes `df` as Parquet to `w` in row groups of [`ROW_GROUP_ROWS`] rows: the bytes a
/// [`TableWriter`] writes for the same rows (what `strat merge` uses for a merged table).
///
/// Errors: the frame cannot be encoded or `w` cannot be written.
pub fn encode_parquet<W: std::io::Write + Send>(w: W, df: &DataFrame) -> PolarsResult<()> {
    let schema = df.schema().as_ref().clone();
    let mut batched = ParquetWriter::new(w).batched(&schema)?;
    let n = df.height();
    let mut offset = 0;
    loop {
        let mut slice = df.slice(offset as i64, ROW_GROUP_ROWS.min(n - offset));
        slice.rechunk_mut();
        batched.write_batch(&slice)?;
        offset += ROW_GROUP_ROWS;
        if offset >= n {
            break;
        }
    }
    batched.finish()?;
    Ok(())
}

/// The polars writer a [`TableWriter`] holds once its first slice has fixed the schema.
enum Batched {
    Csv(polars::io::csv::write::BatchedWriter<std::fs::File>),
    Parquet(Box<polars::io::parquet::write::BatchedWriter<std::fs::File>>),
}

/// A CSV or Parquet table written in slices as its rows arrive, holding at most
/// [`ROW_GROUP_ROWS`] rows: the output of a sweep too large to keep in memory. The bytes equal
/// those of [`write_columns`] on the whole table. Every [`TableWriter::push`] must bring the
/// same columns (names and kinds) in the same order.
pub struct TableWriter {
    path: std::path::PathBuf,
    format: Format,
    batched: Option<Batched>,
    pending: Vec<(String, Col)>,
    metadata: Vec<(String, String)>,
}

impl TableWriter {
    /// A writer of `path` in `format` (CSV or Parquet); the file is created at the first slice.
    pub fn new(path: &Path, format: Format) -> TableWriter {
        TableWriter { path: path.to_path_buf(), format, batched: None, pending: vec![], metadata: vec![] }
    }

    /// Adds file-level key-value metadata to a Parquet table (ignored for CSV): what ties a
    /// walk-forward part to its study.
    pub fn with_metadata(mut self, kv: Vec<(String, String)>) -> TableWriter {
        self.metadata = kv;
        self
    }

    /// Appends rows: `cols` as in [`write_columns`] (all the same length), the same columns as
    /// every earlier push. Writes every full slice of [`ROW_GROUP_ROWS`] rows.
    ///
    /// Errors: columns of different lengths or other than the earlier ones; JSON; the file
    /// cannot be created or written.
    pub fn push(&mut self, cols: &[(String, Col)]) -> PolarsResult<()> {
        let height = cols.first().map(|c| c.1.len()).unwrap_or(0);
        if cols.iter().any(|c| c.1.len() != height) {
            return Err(PolarsError::ShapeMismatch("the columns of an output have different lengths".into()));
        }
        if self.pending.is_empty() && self.batched.is_none() {
            self.pending = cols.iter().map(|(n, c)| (n.clone(), empty_like(c))).collect();
        }
        if self.pending.len() != cols.len() || self.pending.iter().zip(cols).any(|(p, c)| p.0 != c.0) {
            return Err(PolarsError::ShapeMismatch("a slice of an output has other columns than the first".into()));
        }
        for ((_, into), (_, from)) in self.pending.iter_mut().zip(cols) {
            append(into, from)?;
        }
        while self.pending_rows() >= ROW_GROUP_ROWS {
            let rest: Vec<(String, Col)> = self.pending.iter_mut().map(|(n, c)| (n.clone(), split_off(c, ROW_GROUP_ROWS))).collect();
            let head = std::mem::replace(&mut self.pending, rest);
            self.write_slice(&head)?;
        }
        Ok(())
    }

    /// Writes the rows left (and the header or schema of an empty table) and closes the file.
    pub fn finish(mut self) -> PolarsResult<()> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() && (!rest[0].1.is_empty() || self.batched.is_none()) {
            self.write_slice(&rest)?;
        }
        if self.batched.is_none() {
            // No push at all: an empty file.
            std::fs::File::create(&self.path)?;
        }
        match self.batched.take() {
            Some(Batched::Csv(mut w)) => w.finish()?,
            Some(Batched::Parquet(w)) => {
                w.finish()?;
            }
            None => {}
        }
        Ok(())
    }

    fn pending_rows(&self) -> usize {
        self.pending.first().map(|c| c.1.len()).unwrap_or(0)
    }

    fn write_slice(&mut self, cols: &[(String, Col)]) -> PolarsResult<()> {
        let df = frame_of(cols)?;
        if self.batched.is_none() {
            let file = std::fs::File::create(&self.path)?;
            let schema = df.schema().as_ref().clone();
            self.batched = Some(match self.format {
                Format::Parquet => {
                    let kv = (!self.metadata.is_empty()).then(|| polars::io::parquet::write::KeyValueMetadata::from_static(self.metadata.clone()));
                    Batched::Parquet(Box::new(ParquetWriter::new(file).with_key_value_metadata(kv).batched(&schema)?))
                }
                Format::Csv => Batched::Csv(CsvWriter::new(file).include_header(true).batched(&schema)?),
                Format::Json => return Err(PolarsError::InvalidOperation("a JSON table is written at once".into())),
            });
        }
        match self.batched.as_mut() {
            Some(Batched::Parquet(w)) => w.write_batch(&df),
            Some(Batched::Csv(w)) => w.write_batch(&df),
            None => Ok(()),
        }
    }
}

/// The polars frame of typed columns (NaN and `None` as nulls; dates as `Date`).
fn frame_of(cols: &[(String, Col)]) -> PolarsResult<DataFrame> {
    let height = cols.first().map(|c| c.1.len()).unwrap_or(0);
    let mut columns = vec![];
    for (name, c) in cols {
        let name: PlSmallStr = name.as_str().into();
        columns.push(match c {
            Col::Text(v) => Column::new(name, v.clone()),
            Col::Float(v) => Column::new(name, v.iter().map(|&x| if x.is_nan() { None } else { Some(x) }).collect::<Vec<_>>()),
            Col::Int(v) => Column::new(name, v.clone()),
            Col::Date(v) => Column::new(name, v.clone()).cast(&DataType::Date)?,
        });
    }
    DataFrame::new(height, columns)
}

/// An empty column of the kind of `c`.
fn empty_like(c: &Col) -> Col {
    match c {
        Col::Text(_) => Col::Text(vec![]),
        Col::Float(_) => Col::Float(vec![]),
        Col::Int(_) => Col::Int(vec![]),
        Col::Date(_) => Col::Date(vec![]),
    }
}

/// Appends `from` to `into` (the same kind).
fn append(into: &mut Col, from: &Col) -> PolarsResult<()> {
    match (into, from) {
        (Col::Text(a), Col::Text(b)) => a.extend_from_slice(b),
        (Col::Float(a), Col::Float(b)) => a.extend_from_slice(b),
        (Col::Int(a), Col::Int(b)) => a.extend_from_slice(b),
        (Col::Date(a), Col::Date(b)) => a.extend_from_slice(b),
        _ => return Err(PolarsError::SchemaMismatch("a column of an output changed its kind between slices".into())),
    }
    Ok(())
}

/// Splits `c` at row `at`: `c` keeps the first `at` rows, the rest is returned.
fn split_off(c: &mut Col, at: usize) -> Col {
    match c {
        Col::Text(v) => Col::Text(v.split_off(at)),
        Col::Float(v) => Col::Float(v.split_off(at)),
        Col::Int(v) => Col::Int(v.split_off(at)),
        Col::Date(v) => Col::Date(v.split_off(at)),
    }
}

/// The JSON text of a string (quoted, with `"`, `\` and control characters escaped).
fn json_string(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// The JSON text of a float: the shortest round-trip decimal, `null` for NaN, `"inf"`/`"-inf"`.
fn json_float(x: f64) -> String {
    if x.is_nan() {
        "null".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "\"inf\"".into()
        } else {
            "\"-inf\"".into()
        }
    } else {
        format!("{x:?}")
    }
}

fn write_json(w: &mut impl std::io::Write, height: usize, cols: &[(String, Col)]) -> std::io::Result<()> {
    let keys: Vec<String> = cols.iter().map(|c| json_string(&c.0)).collect();
    w.write_all(b"[")?;
    for r in 0..height {
        if r > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"{")?;
        for (k, (key, (_, c))) in keys.iter().zip(cols).enumerate() {
            let v = match c {
                Col::Text(v) => json_string(&v[r]),
                Col::Float(v) => json_float(v[r]),
                Col::Int(v) => v[r].map(|x| x.to_string()).unwrap_or_else(|| "null".into()),
                Col::Date(v) => json_string(&crate::frame::format_date(v[r])),
            };
            write!(w, "{}{key}:{v}", if k > 0 { "," } else { "" })?;
        }
        w.write_all(b"}")?;
    }
    w.write_all(b"]\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_rows_escape_text_and_write_nan_as_null() {
        let dir = std::env::temp_dir().join(format!("strat-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("t.json");
        let cols = vec![
            ("date".to_string(), Col::Date(vec![0, 1])),
            ("name".to_string(), Col::Text(vec!["a\"b".into(), "c\\".into()])),
            ("x".to_string(), Col::Float(vec![f64::NAN, 1e300])),
            ("n".to_string(), Col::Int(vec![Some(3), None])),
        ];
        write_columns(&p, Format::Json, &cols).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "[{\"date\":\"1970-01-01\",\"name\":\"a\\\"b\",\"x\":null,\"n\":3},{\"date\":\"1970-01-02\",\"name\":\"c\\\\\",\"x\":1e300,\"n\":null}]\n"
        );
        let bad = vec![("a".to_string(), Col::Float(vec![1.0])), ("b".to_string(), Col::Float(vec![]))];
        assert!(write_columns(&p, Format::Csv, &bad).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::of(Path::new("a.csv")), Some(Format::Csv));
        assert_eq!(Format::of(Path::new("a.parquet")), Some(Format::Parquet));
        assert_eq!(Format::of(Path::new("a.json")), Some(Format::Json));
        assert_eq!(Format::of(Path::new("a.txt")), None);
        assert_eq!(Format::of(Path::new("a")), None);
    }
}

#[cfg(test)]
mod streamed_tests {
    use super::*;

    fn table(from: usize, to: usize) -> Vec<(String, Col)> {
        vec![
            ("name".to_string(), Col::Text((from..to).map(|i| format!("b{i},\"x\"")).collect())),
            ("x".to_string(), Col::Float((from..to).map(|i| if i % 7 == 0 { f64::NAN } else { i as f64 / 3.0 }).collect())),
            ("n".to_string(), Col::Int((from..to).map(|i| (i % 5 != 0).then_some(i as i64)).collect())),
            ("d".to_string(), Col::Date((from..to).map(|i| i as i32).collect())),
        ]
    }

    #[test]
    fn a_table_streamed_in_uneven_slices_has_the_bytes_of_one_write() {
        let dir = std::env::temp_dir().join(format!("strat-write-stream-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let n = 2 * ROW_GROUP_ROWS + 1234;
        for (format, ext) in [(Format::Csv, "csv"), (Format::Parquet, "parquet")] {
            let whole = dir.join(format!("whole.{ext}"));
            write_columns(&whole, format, &table(0, n)).unwrap();
            let streamed = dir.join(format!("streamed.{ext}"));
            let mut w = TableWriter::new(&streamed, format);
            let cuts = [0, 1, 8, 4096, ROW_GROUP_ROWS + 3, ROW_GROUP_ROWS + 3, n - 5, n];
            for c in cuts.windows(2) {
                w.push(&table(c[0], c[1])).unwrap();
            }
            w.finish().unwrap();
            assert!(std::fs::read(&whole).unwrap() == std::fs::read(&streamed).unwrap(), "{ext}");
            if format == Format::Parquet {
                let mut buf = vec![];
                encode_parquet(&mut buf, &frame_of(&table(0, n)).unwrap()).unwrap();
                assert!(buf == std::fs::read(&whole).unwrap(), "encode_parquet");
            }
            // An empty table still has its header (CSV) or schema (Parquet).
            let empty = dir.join(format!("empty.{ext}"));
            let mut w = TableWriter::new(&empty, format);
            w.push(&table(0, 0)).unwrap();
            w.finish().unwrap();
            let e = dir.join(format!("empty-whole.{ext}"));
            write_columns(&e, format, &table(0, 0)).unwrap();
            assert!(std::fs::read(&empty).unwrap() == std::fs::read(&e).unwrap(), "{ext} empty");
        }
        // A slice with other columns is refused.
        let mut w = TableWriter::new(&dir.join("bad.csv"), Format::Csv);
        w.push(&table(0, 3)).unwrap();
        assert!(w.push(&table(0, 3)[..2]).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
