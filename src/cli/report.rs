//! `strat report`: the tear sheet of one run as a self-contained HTML file
//! ([`strat::tearsheet`]).

use super::args::ReportArgs;
use super::diagnostics::{fail, report_failure};
use super::outputs::{compile_for_outputs, Planned};
use super::program::params_from;

/// `strat report`: checks the output, compiles, loads, runs, writes the page (to a temporary
/// file beside it, renamed when whole) and prints its path; returns the exit code.
pub(super) fn report(args: &ReportArgs) -> i32 {
    let ReportArgs { file, out, force, set, reference } = args;
    if out.extension().and_then(|e| e.to_str()) != Some("html") {
        return fail(2, "strat::cli::out", format!("--out {}: a report is an .html file", out.display()), "name the report FILE.html");
    }
    let planned = [Planned { flag: "--out".into(), path: out.clone() }];
    let strategy = match compile_for_outputs(file, &planned, *force, *reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let params = match params_from(&strategy, set) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let result = match strategy.run(&frame, &params) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let html = match strat::tearsheet::tear_sheet(&strategy, &frame, &params, &result) {
        Ok(h) => h,
        Err(e) => return fail(1, "strat::io::write", format!("cannot draw the report: {e}"), "report this as a bug"),
    };
    if let Err(c) = write_page(out, &html) {
        return c;
    }
    out!("{}: tear sheet of {} ({} KiB)", out.display(), strategy.name(), html.len().div_ceil(1024));
    0
}

/// Writes an HTML page to a temporary file beside `path`, then renames it: `path` is either the
/// whole page or untouched. `strat::io::write` (exit 1) when it cannot.
pub(super) fn write_page(path: &std::path::Path, html: &str) -> Result<(), i32> {
    let tmp = super::sweep::temp_path(path);
    std::fs::write(&tmp, html.as_bytes()).and_then(|_| std::fs::rename(&tmp, path)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(1, "strat::io::write", format!("cannot write {}: {e}", path.display()), "check that the folder exists and is writable")
    })
}
