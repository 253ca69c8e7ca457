//! `strat audit`: the look-ahead audit of a program on its own data ([`strat::audit`]).
//!
//! Exit codes: 0 when no decision at or before a sampled row changed, 1 when one did (each leak
//! printed: the source, the row's date, the first changed decision and the `let` it traces to)
//! or when the program or its data fails, 2 on bad usage. Warnings (the data's, and a long
//! source used with no lag) go to stderr; `--json` prints the report as one JSON object.

use super::diagnostics::{fail, report_failure, warn};
use super::program::{compile, params_from};
use std::path::Path;
use strat::audit::{AuditOptions, AuditReport, Leak};
use strat::Backend;

/// `strat audit FILE`: compiles, audits `rows` sampled rows with `seed`, prints the result;
/// returns the exit code.
pub(super) fn audit(file: &Path, rows: usize, seed: u64, json: bool, set: &[String]) -> i32 {
    let strategy = match compile(file, Backend::Jit) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let params = match params_from(&strategy, set) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let started = std::time::Instant::now();
    let report = match strategy.audit(&AuditOptions { rows, seed, params: Some(params) }) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let secs = started.elapsed().as_secs_f64();
    data_warnings_of(&report);
    for w in &report.warnings {
        let place = match w.line {
            Some(l) => format!("{}:{l}: ", file.display()),
            None => String::new(),
        };
        warn(&w.code, format!("{place}{}", w.message), w.help.clone());
    }
    if json {
        match serde_json::to_string(&report) {
            Ok(s) => out!("{s}"),
            Err(e) => return fail(1, "strat::internal", format!("cannot serialise the audit: {e}"), "this is a bug in Strat; please report it"),
        }
    } else {
        print_human(&report, secs);
    }
    if report.found_look_ahead() {
        let n = report.leaks.len() + report.failures.iter().filter(|f| f.live).count();
        return fail(
            1,
            "strat::audit::look_ahead",
            format!(
                "look-ahead: in {n} of {} perturbed run(s), a decision at or before row t changed when only what was unknown at t was perturbed",
                report.runs
            ),
            "a decision may use only the bars up to its own and the panel records usable by its date; see the `let` named above",
        );
    }
    0
}

/// Prints the data-load warnings the audit collected, as `strat run` prints them.
fn data_warnings_of(report: &AuditReport) {
    for w in &report.data_warnings {
        warn(&w.code, w.message.clone(), w.help.clone());
    }
}

/// A number for the summary: every digit (two values that differ in the last bit print
/// differently), NaN as `NaN`.
fn num(x: f64) -> String {
    format!("{x}")
}

/// One line per leak.
fn leak_line(l: &Leak, panel: bool) -> String {
    let what = if panel { format!("the records of `{}` usable after {}", l.source, l.t_date) } else { format!("`{}` after {}", l.source, l.t_date) };
    let asset = if l.asset.is_empty() { String::new() } else { format!(" of {}", l.asset) };
    let expr = match &l.expression {
        Some(e) => match (&e.line, &e.text) {
            (Some(line), Some(text)) => format!("; first changed let: `{}` (line {line}: {text})", e.name),
            _ => format!("; first changed let: `{}`", e.name),
        },
        None => "; no `let` changed (the weight expression itself reads it)".to_string(),
    };
    format!("leak: perturbing {what} changed the {} weight{asset} on {} ({} -> {}){expr}", l.decision, l.row_date, num(l.before), num(l.after))
}

/// The human summary: each leak and failed run, then one line.
fn print_human(report: &AuditReport, secs: f64) {
    let is_panel = |name: &str| report.sources.iter().any(|s| s.name == name && s.kind.starts_with("panel"));
    for l in &report.leaks {
        out!("{}", leak_line(l, is_panel(&l.source)));
    }
    for f in &report.failures {
        let kind = if f.live { "leak" } else { "note" };
        out!("{kind}: perturbing `{}` after {} made the run fail: {}", f.source, f.t_date, f.error);
    }
    let names: Vec<&str> = report.sources.iter().map(|s| s.name.as_str()).collect();
    let span = match (report.dates.first(), report.dates.last()) {
        (Some(a), Some(b)) => format!(" from {a} to {b}"),
        _ => String::new(),
    };
    let verdict = if report.found_look_ahead() {
        format!("look-ahead in {} of {} runs", report.leaks.len() + report.failures.iter().filter(|f| f.live).count(), report.runs)
    } else {
        "no decision at or before t changed".to_string()
    };
    out!("checked {} rows x {} sources ({}){span}, {} runs in {secs:.1} s: {verdict}", report.rows.len(), report.sources.len(), names.join(", "), report.runs);
}
