//! The one error type of data input: says which file, which line and which column.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::frame::Frame;

/// A problem with an input data file.
///
/// Displayed as `FILE[:LINE]: [column 'COL': ]MESSAGE`, e.g.
/// `data/x.csv:14: column 'vix': cannot parse "abc" as a number`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError {
    /// The file, as the caller named it.
    pub file: PathBuf,
    /// 1-based line of the file: the header is line 1, the first data row line 2.
    pub line: Option<usize>,
    /// The column concerned, as named in the file's header.
    pub column: Option<String>,
    /// What is wrong, without the location.
    pub message: String,
}

impl DataError {
    /// An error about the file as a whole.
    pub fn new(file: impl Into<PathBuf>, message: impl Into<String>) -> DataError {
        DataError {
            file: file.into(),
            line: None,
            column: None,
            message: message.into(),
        }
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
                file: o.file.clone(),
                line: o.lines.get(row).map(|&l| l as usize),
                column: Some(o.column.clone()),
                message: message.into(),
            },
            None => DataError {
                file: PathBuf::from("<memory>"),
                line: None,
                column: frame.names.get(col).cloned(),
                message: message.into(),
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
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        f.write_str(": ")?;
        if let Some(col) = &self.column {
            write!(f, "column '{col}': ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for DataError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display() {
        let e = DataError::new("data/x.csv", "cannot parse \"abc\" as a number")
            .with_line(14)
            .with_column("vix");
        assert_eq!(
            e.to_string(),
            "data/x.csv:14: column 'vix': cannot parse \"abc\" as a number"
        );
        let e = DataError::new("data/x.csv", "no such file");
        assert_eq!(e.to_string(), "data/x.csv: no such file");
    }
}
