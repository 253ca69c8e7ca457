//! Everything the command line prints on stderr goes through miette: the program's diagnostics
//! (with their source), and the command line's own errors and warnings (a code, a message and a
//! help line, no span).

use strat::{Failure, SourceDiag};

/// The miette handler for stderr: unicode, without colour when `NO_COLOR` is set or stderr is
/// not a terminal.
pub(crate) fn handler() -> miette::GraphicalReportHandler {
    strat::render::handler(color())
}

/// Colour on stderr: when it is a terminal and `NO_COLOR` is not set.
fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none() && std::io::IsTerminal::is_terminal(&std::io::stderr())
}

pub(crate) fn print_diags(diags: &[SourceDiag]) {
    eprint!("{}", strat::render::render_diagnostics(diags, color()));
}

/// Prints a diagnostic of the command line (no source span) through miette: its code, message
/// and help line (none when `help` is empty). Lines are not wrapped, so that a long message (a
/// file path, a weighting fallback) stays one line to read and to search.
pub(crate) fn print_cli(severity: miette::Severity, code: &str, message: String, help: String) {
    if severity == miette::Severity::Error {
        remember(code, &message);
    }
    eprintln!("{}", strat::render::render_plain(severity, code, message, help, color()));
}

/// Prints a command-line error with its code and help line; returns the exit code `exit`.
pub(crate) fn fail(exit: i32, code: &str, message: impl Into<String>, help: impl Into<String>) -> i32 {
    print_cli(miette::Severity::Error, code, message.into(), help.into());
    exit
}

/// Prints a command-line warning with its code and help line (none when `help` is empty).
pub(crate) fn warn(code: &str, message: impl Into<String>, help: impl Into<String>) {
    print_cli(miette::Severity::Warning, code, message.into(), help.into());
}

/// Prints why a program could not be compiled or run: its diagnostics (and their count), or the
/// data or file error with its code and help line.
/// Prints the warnings found while loading `frame` (e.g. assets without point-in-time data).
pub(crate) fn data_warnings(frame: &strat::Frame) {
    for w in &frame.warnings {
        warn(w.code, w.located(), w.help.clone().unwrap_or_default());
    }
}

pub(crate) fn report_failure(f: &Failure) {
    let code = match f {
        Failure::Program(ds) => ds.iter().find(|d| d.diag.is_error()).map(|d| d.diag.code).unwrap_or("strat::program"),
        Failure::Run(d) => d.diag.code,
        Failure::Data(e) => e.code,
        Failure::Io(..) => "strat::io",
    };
    let message = match f {
        Failure::Data(e) => e.located(),
        Failure::Program(ds) => ds.iter().find(|d| d.diag.is_error()).map(|d| d.diag.message.clone()).unwrap_or_else(|| f.to_string()),
        _ => f.to_string(),
    };
    remember(code, &message);
    eprint!("{}", strat::render::render_failure(f, color()));
}

/// The last error printed (code, message), for the `error` progress event.
static LAST_ERROR: std::sync::Mutex<Option<(String, String)>> = std::sync::Mutex::new(None);

fn remember(code: &str, message: &str) {
    if let Ok(mut l) = LAST_ERROR.lock() {
        *l = Some((code.to_string(), message.to_string()));
    }
}

/// The code and message of the last error printed on stderr, if any.
pub(crate) fn last_error() -> Option<(String, String)> {
    LAST_ERROR.lock().ok().and_then(|l| l.clone())
}
