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
    let mut df = DataFrame::new(height, columns)?;
    let mut file = std::fs::File::create(path)?;
    match format {
        Format::Parquet => ParquetWriter::new(&mut file).finish(&mut df).map(|_| ()),
        _ => CsvWriter::new(&mut file).include_header(true).finish(&mut df),
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
