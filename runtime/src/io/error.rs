//! The one error type of data input: says which file, which line and which column.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::frame::Frame;

/// A problem with an input data file.
///
/// Displayed as `FILE[:LINE]: [column 'COL': ]MESSAGE`, e.g.
/// `data/x.csv:14: column 'vix': cannot parse "abc" as a number`, followed by
/// `\n  help: HELP` when there is a help line. Control characters of the file name and the
/// column name are shown escaped (`\0`, `\x07`, see [`escape`]), never raw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// Stable code of the kind of problem, `strat::data::...` (spec/diagnostics.md); most
    /// problems are `strat::data::invalid`.
    pub code: &'static str,
    /// The file, as the caller named it.
    pub file: PathBuf,
    /// 1-based line of the file: the header is line 1, the first data row line 2 (for an
    /// in-memory source, `<memory NAME>`, the 0-based row).
    pub line: Option<usize>,
    /// The column concerned, as named in the file's header.
    pub column: Option<String>,
    /// What is wrong, without the location.
    pub message: String,
    /// What to do about it, when there is more to say than the message.
    pub help: Option<String>,
}

/// The code of a data error without a more specific one.
pub const INVALID: &str = "strat::data::invalid";
/// The path names a directory, a device (`/dev/zero`), a FIFO or a socket, not a regular file.
pub const NOT_A_FILE: &str = "strat::data::not_a_file";
/// The file is larger than the data-file limit (`--max-data-bytes`).
pub const TOO_LARGE: &str = "strat::data::too_large";
/// The first line is longer than [`crate::io::csv::MAX_HEADER_BYTES`]: not a CSV header.
pub const HEADER_TOO_LONG: &str = "strat::data::header_too_long";
/// The file uses CR-only (old Mac) line endings.
pub const LINE_ENDINGS: &str = "strat::data::line_endings";
/// The file is separated by `;`, tabs or `|` rather than commas.
pub const DELIMITER: &str = "strat::data::delimiter";
/// The file is UTF-16 (or another non-UTF-8 encoding recognised by its byte-order mark).
pub const ENCODING: &str = "strat::data::encoding";
/// A number overflows, is subnormal, or lies outside the accepted magnitudes
/// ([`crate::io::csv::MIN_ABS_VALUE`] ..= [`crate::io::csv::MAX_ABS_VALUE`], or 0).
pub const OUT_OF_RANGE: &str = "strat::data::out_of_range";

/// A warning: an asset of the universe has no record (no column) in a point-in-time source, so
/// its panel is NaN throughout.
pub const NO_RECORDS: &str = "strat::data::no_records";
/// A warning: a wide point-in-time source has columns that are not assets of its universe (they
/// are not read).
pub const EXTRA_COLUMNS: &str = "strat::data::extra_columns";

impl DataError {
    /// An error about the file as a whole.
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> DataError {
        DataError { code: INVALID, file: file.into(), line: None, column: None, message: message.into(), help: None }
    }

    /// Sets the code (`strat::data::...`).
    pub fn with_code(mut self, code: &'static str) -> DataError {
        self.code = code;
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> DataError {
        self.help = Some(help.into());
        self
    }

    /// The located message without the help line: `FILE[:LINE]: [column 'COL': ]MESSAGE`.
    /// For an in-memory source ([`crate::load::memory::is_memory`]) the line is a 0-based row:
    /// `<memory NAME> row ROW: ...`.
    pub fn located(&self) -> String {
        let mut s = escape(&self.file.display().to_string());
        if let Some(line) = self.line {
            if crate::load::memory::is_memory(&self.file) {
                s.push_str(&format!(" row {line}"));
            } else {
                s.push_str(&format!(":{line}"));
            }
        }
        s.push_str(": ");
        if let Some(col) = &self.column {
            s.push_str(&format!("column '{}': ", escape(col)));
        }
        s.push_str(&self.message);
        s
    }

    /// Sets the line.
    pub fn with_line(mut self, line: usize) -> DataError {
        self.line = Some(line);
        self
    }

    /// Sets the column.
    pub fn with_column(mut self, column: impl Into<String>) -> DataError {
        self.column = Some(column.into());
        self
    }

    /// An error about row `row` of column `col` of a frame, located through the column's
    /// [`crate::frame::Origin`] (file, header name, file line). For a column without origin the
    /// file is `<memory>`, the line is unknown and the column is the frame's column name.
    ///
    /// ```
    /// # use strat_runtime::{frame::Frame, io::DataError};
    /// let f = Frame::new(vec![0], vec!["spx".into()], vec![vec![-1.0]]);
    /// let e = DataError::at_row(&f, 0, 0, "non-positive price -1");
    /// assert_eq!(e.to_string(), "<memory>: column 'spx': non-positive price -1");
    /// ```
    pub fn at_row(frame: &Frame, col: usize, row: usize, message: impl Into<String>) -> DataError {
        match frame.origin(col) {
            Some(o) => DataError {
                code: INVALID,
                file: o.file.clone(),
                line: o.lines.get(row).map(|&l| l as usize),
                column: Some(o.column.clone()),
                message: message.into(),
                help: None,
            },
            None => DataError {
                code: INVALID,
                file: PathBuf::from("<memory>"),
                line: None,
                column: frame.names.get(col).cloned(),
                message: message.into(),
                help: None,
            },
        }
    }

    /// The file, for display.
    pub fn file(&self) -> &Path {
        &self.file
    }
}

impl fmt::Display for DataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.located())?;
        if let Some(help) = &self.help {
            write!(f, "\n  help: {help}")?;
        }
        Ok(())
    }
}

/// `text` with every control character escaped, so that text from a data file never prints raw
/// bytes to a terminal: NUL is `\0` (`\x00` before a digit), tab `\t`, line feed `\n`, carriage return `\r`, other
/// ASCII controls and DEL `\xNN` (e.g. BEL is `\x07`), other Unicode controls
/// `\u{NN}`. Everything else is unchanged.
///
/// ```
/// # use strat_runtime::io::error::escape;
/// assert_eq!(escape("a\0b\x07\r"), "a\\0b\\x07\\r");
/// assert_eq!(escape("spx é"), "spx é");
/// ```
pub fn escape(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `\0` before a digit would read as an octal escape: `\x00` there.
            '\0' if chars.peek().is_some_and(char::is_ascii_digit) => s.push_str("\\x00"),
            '\0' => s.push_str("\\0"),
            '\t' => s.push_str("\\t"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => s.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

impl std::error::Error for DataError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let e = DataError::new("data/x.csv", "cannot parse \"abc\" as a number").with_line(14).with_column("vix");
        assert_eq!(e.to_string(), "data/x.csv:14: column 'vix': cannot parse \"abc\" as a number");
        let e = DataError::new("data/x.csv", "no such file");
        assert_eq!(e.to_string(), "data/x.csv: no such file");
        assert_eq!(e.code, "strat::data::invalid");
        let e = e.with_help("check the path").with_code("strat::data::x");
        assert_eq!(e.to_string(), "data/x.csv: no such file\n  help: check the path");
        assert_eq!(e.located(), "data/x.csv: no such file");
        assert_eq!(e.code, "strat::data::x");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("a\u{0}b"), "a\\0b");
        assert_eq!(escape("4\u{0}2"), "4\\x002");
        assert_eq!(escape("\u{7}\u{1b}[31m\u{7f}"), "\\x07\\x1b[31m\\x7f");
        assert_eq!(escape("x\u{85}y"), "x\\u{85}y");
        assert_eq!(escape("tab\there\r\n"), "tab\\there\\r\\n");
        let e = DataError::new("bad\u{0}.csv", "m").with_column("a\u{7}b").with_line(2);
        assert_eq!(e.to_string(), "bad\\0.csv:2: column 'a\\x07b': m");
    }
}
