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
        Diag {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: vec![Label { span, message: label.into() }],
            help: None,
        }
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
    pub fn with_source(self, name: &str, src: Arc<String>) -> SourceDiag {
        SourceDiag { diag: self, name: name.to_string(), src: miette::NamedSource::new(name, src) }
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
    src: miette::NamedSource<Arc<String>>,
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
