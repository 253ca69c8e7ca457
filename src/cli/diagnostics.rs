//! Everything the command line prints on stderr goes through miette: the program's diagnostics
//! (with their source), and the command line's own errors and warnings (a code, a message and a
//! help line, no span).

use strat::{Failure, SourceDiag};

/// The miette handler for stderr: unicode, without colour when `NO_COLOR` is set or stderr is
/// not a terminal.
pub(crate) fn handler() -> miette::GraphicalReportHandler {
    miette::GraphicalReportHandler::new_themed(if std::env::var_os("NO_COLOR").is_some() || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        miette::GraphicalTheme::unicode_nocolor()
    } else {
        miette::GraphicalTheme::unicode()
    })
}

pub(crate) fn print_diags(diags: &[SourceDiag]) {
    let handler = handler();
    let mut out = String::new();
    // Render at most MAX_SAME_CODE diagnostics of one code; the rest become one summary line each.
    let mut seen: Vec<(&str, usize)> = vec![];
    for d in diags {
        let n = match seen.iter_mut().find(|(c, _)| *c == d.diag.code) {
            Some((_, n)) => n,
            None => {
                seen.push((d.diag.code, 0));
                &mut seen.last_mut().expect("just pushed").1
            }
        };
        *n += 1;
        if *n <= MAX_SAME_CODE {
            let _ = handler.render_report(&mut out, d);
            out.push('\n');
        }
    }
    for (code, n) in seen {
        if n > MAX_SAME_CODE {
            let d = diags.iter().find(|d| d.diag.code == code).expect("seen");
            let kind = if d.diag.is_error() { "error" } else { "warning" };
            out.push_str(&format!("{kind}[{code}]: … and {} more like these ({MAX_SAME_CODE} shown)\n", thousands((n - MAX_SAME_CODE) as u64)));
        }
    }
    eprint!("{out}");
}

/// How many diagnostics of one code `print_diags` renders before it summarises the rest.
pub(super) const MAX_SAME_CODE: usize = 20;

/// `n` with thousands separators: `26,627`.
pub(super) fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prints a diagnostic of the command line (no source span) through miette: its code, message
/// and help line (none when `help` is empty). Lines are not wrapped, so that a long message (a
/// file path, a weighting fallback) stays one line to read and to search.
pub(crate) fn print_cli(severity: miette::Severity, code: &str, message: String, help: String) {
    let mut d = miette::MietteDiagnostic::new(message).with_code(code).with_severity(severity);
    if !help.is_empty() {
        d = d.with_help(help);
    }
    let mut out = String::new();
    let _ = handler().with_wrap_lines(false).render_report(&mut out, &d);
    eprintln!("{out}");
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
    match f {
        Failure::Program(ds) => {
            print_diags(ds);
            let n = ds.iter().filter(|d| d.diag.is_error()).count();
            eprintln!("error: {n} error(s) found");
        }
        Failure::Run(d) => print_diags(std::slice::from_ref(d)),
        Failure::Data(e) => print_cli(miette::Severity::Error, e.code, e.located(), e.help.clone().unwrap_or_default()),
        Failure::Io(p, e) => print_cli(miette::Severity::Error, "strat::io", format!("cannot read {}: {e}", p.display()), String::new()),
    }
}
