//! Failures as text, exactly as the `strat` command prints them on stderr: the program's
//! diagnostics rendered by miette with their source, a data or file error with its code and
//! help line. The Python module's `CompileError` and the C library's error messages use it.

use crate::{Failure, SourceDiag};

/// How many diagnostics of one code [`render_diagnostics`] renders before it summarises the
/// rest in one line.
pub const MAX_SAME_CODE: usize = 20;

/// The miette handler: unicode, coloured only when `color`.
pub fn handler(color: bool) -> miette::GraphicalReportHandler {
    miette::GraphicalReportHandler::new_themed(if color { miette::GraphicalTheme::unicode() } else { miette::GraphicalTheme::unicode_nocolor() })
}

/// `diags` rendered with their source (at most [`MAX_SAME_CODE`] of one code, then a summary
/// line `error[CODE]: … and N more like these`), each followed by a blank line.
pub fn render_diagnostics(diags: &[SourceDiag], color: bool) -> String {
    let handler = handler(color);
    let mut out = String::new();
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
    out
}

/// A diagnostic without a source span (a data or file error): its code, message and help line
/// (none when `help` is empty), lines not wrapped.
pub fn render_plain(severity: miette::Severity, code: &str, message: String, help: String, color: bool) -> String {
    let mut d = miette::MietteDiagnostic::new(message).with_code(code).with_severity(severity);
    if !help.is_empty() {
        d = d.with_help(help);
    }
    let mut out = String::new();
    let _ = handler(color).with_wrap_lines(false).render_report(&mut out, &d);
    out
}

/// What the `strat` command prints on stderr for `f` (without a trailing newline's guarantee):
/// a program's diagnostics and their count, a run's located diagnostic, a data error with its
/// file, line, column, code and help, or a file that cannot be read.
pub fn render_failure(f: &Failure, color: bool) -> String {
    match f {
        Failure::Program(ds) => {
            let n = ds.iter().filter(|d| d.diag.is_error()).count();
            format!("{}error: {n} error(s) found\n", render_diagnostics(ds, color))
        }
        Failure::Run(d) => render_diagnostics(std::slice::from_ref(d), color),
        Failure::Data(e) => render_plain(miette::Severity::Error, e.code, e.located(), e.help.clone().unwrap_or_default(), color) + "\n",
        Failure::Io(p, e) => render_plain(miette::Severity::Error, "strat::io", format!("cannot read {}: {e}", p.display()), String::new(), color) + "\n",
    }
}

/// `n` with thousands separators: `26,627`.
pub fn thousands(n: u64) -> String {
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
