//! Diagnostics: what every pass reports, with a stable code, labelled spans and a help line.
//!
//! Passes collect a `Vec<Diag>` rather than stopping at the first problem. A [`Diag`] holds no
//! source text; [`SourceDiag`] pairs it with the file for rendering through miette.

use crate::span::Span;
use std::fmt;
use std::sync::Arc;

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The program cannot run.
    Error,
    /// The program runs, but probably not as meant.
    Warning,
}

/// One labelled span of a diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is wrong there (short).
    pub message: String,
}

/// A diagnostic: stable code (e.g. `strat::type::mismatch`), message, labels and help.
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    /// Stable machine-readable code, `strat::<area>::<kind>`; `strat::internal` means a bug in Strat.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One-line description.
    pub message: String,
    /// Labelled spans; the first is the primary one.
    pub labels: Vec<Label>,
    /// How to fix it.
    pub help: Option<String>,
}

impl Diag {
    /// A new error with code `code`, message `message` and one primary label.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Diag {
        Diag { code, severity: Severity::Error, message: message.into(), labels: vec![Label { span, message: label.into() }], help: None }
    }

    /// A new warning with one primary label.
    pub fn warning(code: &'static str, message: impl Into<String>, span: Span, label: impl Into<String>) -> Diag {
        Diag { severity: Severity::Warning, ..Diag::error(code, message, span, label) }
    }

    /// Adds a help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diag {
        self.help = Some(help.into());
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diag {
        self.labels.push(Label { span, message: message.into() });
        self
    }

    /// The primary span (the first label's), or an empty span at 0.
    pub fn span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }

    /// True for errors (not warnings).
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Pairs the diagnostic with its source file for rendering.
    ///
    /// The source's line index is built once per source text and shared by every diagnostic
    /// paired with the same `Arc` (on this thread), so rendering a diagnostic costs the lines
    /// around its spans, not the whole file.
    pub fn with_source(self, name: &str, src: Arc<String>) -> SourceDiag {
        let lines = line_index(&src);
        SourceDiag { diag: self, name: name.to_string(), src: miette::NamedSource::new(name, LocalSource { text: src, lines }) }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)
    }
}

/// A [`Diag`] together with the named source text it points into; implements
/// [`miette::Diagnostic`] so it renders like rustc's errors.
#[derive(Debug)]
pub struct SourceDiag {
    /// The diagnostic.
    pub diag: Diag,
    /// The file name shown in the rendering.
    pub name: String,
    src: miette::NamedSource<LocalSource>,
}

/// Byte offsets of the start of every line of a source text (`0` first; a line ends at `\n`).
type LineIndex = Arc<Vec<usize>>;

thread_local! {
    /// The last source indexed on this thread, so that a batch of diagnostics of one file
    /// shares one index.
    static LAST_INDEX: std::cell::RefCell<Option<(std::sync::Weak<String>, LineIndex)>> = const { std::cell::RefCell::new(None) };
}

/// The line index of `src`, reused when the same text was indexed last on this thread.
fn line_index(src: &Arc<String>) -> LineIndex {
    LAST_INDEX.with(|last| {
        let mut last = last.borrow_mut();
        if let Some((weak, idx)) = last.as_ref() {
            if weak.upgrade().is_some_and(|s| Arc::ptr_eq(&s, src)) {
                return idx.clone();
            }
        }
        let idx: LineIndex = Arc::new(std::iter::once(0).chain(src.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1)).collect());
        *last = Some((Arc::downgrade(src), idx.clone()));
        idx
    })
}

/// A source text with its line index: miette reads a span's surrounding lines from it in time
/// proportional to those lines (miette's own `str` source scans from the start of the file for
/// every span). Lines and columns are 0-based; a column counts characters, not bytes.
#[derive(Debug, Clone)]
struct LocalSource {
    text: Arc<String>,
    lines: LineIndex,
}

impl LocalSource {
    /// The 0-based line holding byte `offset`.
    fn line_of(&self, offset: usize) -> usize {
        self.lines.partition_point(|&s| s <= offset).saturating_sub(1)
    }

    /// Byte offset of the start of line `line`, or the text's length past the last line.
    fn line_start(&self, line: usize) -> usize {
        self.lines.get(line).copied().unwrap_or(self.text.len())
    }
}

/// The most bytes of a long line shown on each side of a span (a 1 MB line is not printed whole).
const CONTEXT_BYTES: usize = 160;
/// Context longer than this on one side of a span is cut to [`CONTEXT_BYTES`].
const LONG_CONTEXT: usize = 1024;

impl miette::SourceCode for LocalSource {
    fn read_span<'a>(&'a self, span: &miette::SourceSpan, before: usize, after: usize) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let text = self.text.as_str();
        let (start, len) = (span.offset(), span.len());
        let end = start.checked_add(len).ok_or(miette::MietteError::OutOfBounds)?;
        if end > text.len() {
            return Err(miette::MietteError::OutOfBounds);
        }
        let first = self.line_of(start);
        // The last byte of the span decides its last line (an empty span: its start).
        let last = self.line_of(end.saturating_sub(1).max(start));
        let from_line = first.saturating_sub(before);
        let to_line = (last + after + 1).min(self.lines.len());
        // When the context lines are very long (over LONG_CONTEXT bytes on a side), drop the
        // other lines and show at most CONTEXT_BYTES of the span's own line on that side.
        let mut data_start = if before == 0 { start } else { self.line_start(from_line) };
        if start - data_start > LONG_CONTEXT {
            data_start = self.line_start(first).max(start.saturating_sub(CONTEXT_BYTES));
        }
        let mut data_end = self.line_start(to_line).max(end);
        if data_end - end > LONG_CONTEXT {
            data_end = self.line_start(last + 1).min(end.saturating_add(CONTEXT_BYTES)).max(end);
        }
        // Stay on character boundaries (a span from a bad input could split a character).
        while !text.is_char_boundary(data_start) {
            data_start -= 1;
        }
        while !text.is_char_boundary(data_end) {
            data_end += 1;
        }
        let line_start = self.line_start(first);
        let column = if before == 0 { text.get(line_start..data_start).map_or(0, |s| s.chars().count()) } else { 0 };
        let line = if before == 0 { first } else { self.line_of(data_start) };
        let data = &text.as_bytes()[data_start..data_end];
        // As miette's own sources do, count the lines from the start of the text to the end of
        // the data (its renderer merges two labels' snippets when they reach each other).
        let line_count = self.lines.partition_point(|&s| s <= data_end).saturating_sub(1);
        Ok(Box::new(miette::MietteSpanContents::new(data, (data_start, data_end - data_start).into(), line, column, line_count)))
    }
}

impl fmt::Display for SourceDiag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.diag.message)
    }
}

impl std::error::Error for SourceDiag {}

impl miette::Diagnostic for SourceDiag {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.diag.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.diag.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.src)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        Some(Box::new(self.diag.labels.iter().enumerate().map(|(i, l)| {
            let text = if l.message.is_empty() { None } else { Some(l.message.clone()) };
            if i == 0 {
                miette::LabeledSpan::new_primary_with_span(text, l.span)
            } else {
                miette::LabeledSpan::new_with_span(text, l.span)
            }
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miette::SourceCode;

    #[test]
    fn a_span_reads_its_lines_with_char_columns() {
        let src = Arc::new("let a = 1\nlet é = 2\nlet ñ = é\nhold x weight 1\n".to_string());
        let s = LocalSource { lines: line_index(&src), text: src.clone() };
        let at = src.find("é = 2").unwrap() + "é = ".len();
        let c = s.read_span(&(at, 1).into(), 0, 0).unwrap();
        assert_eq!((c.line(), c.column()), (1, 8), "0-based, in characters (9 in bytes)");
        let c = s.read_span(&(at, 1).into(), 1, 1).unwrap();
        assert_eq!(c.line(), 0);
        assert_eq!(std::str::from_utf8(c.data()).unwrap(), "let a = 1\nlet é = 2\nlet ñ = é\n");
        assert!(s.read_span(&(src.len(), 5).into(), 0, 0).is_err());
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let text = format!("{}let é = 1{}\n", "x ".repeat(50_000), " y".repeat(50_000));
        let src = Arc::new(text);
        let s = LocalSource { lines: line_index(&src), text: src.clone() };
        let at = src.find('é').unwrap();
        let c = s.read_span(&(at, 2).into(), 1, 1).unwrap();
        assert!(c.data().len() <= 2 * CONTEXT_BYTES + 2, "{} bytes", c.data().len());
        assert_eq!(c.line(), 0);
        let h = s.read_span(&(at, 2).into(), 0, 0).unwrap();
        assert_eq!((h.line(), h.column()), (0, 100_004));
    }
}
