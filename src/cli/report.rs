//! `strat report`: the tear sheet of one run as a self-contained HTML file
//! ([`strat::tearsheet`]).

use super::args::ReportArgs;
use super::diagnostics::{fail, report_failure};
use super::outputs::{compile_for_outputs, Planned};
use super::program::params_from;

/// `strat report`: checks the output, compiles, loads, runs, writes the page (to a temporary
/// file beside it, renamed when whole) and prints its path; returns the exit code.
pub(super) fn report(args: &ReportArgs) -> i32 {
    let ReportArgs { file, out, png, linear, force, set, reference, conventions } = args;
    let options = strat::tearsheet::TearSheetOptions { linear: *linear, conventions: conventions.conventions() };
    if let Some(dir) = png {
        if dir.exists() && !dir.is_dir() {
            return fail(2, "strat::cli::png", format!("--png {}: not a folder", dir.display()), "name a folder for the PNG files (it is created if missing)");
        }
    }
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
    let mut result = match strategy.run(&frame, &params) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    options.conventions.apply(&mut result);
    let drawn = match png {
        Some(_) => strat::tearsheet::tear_sheet_with_png(&strategy, &frame, &params, &result, &options),
        None => strat::tearsheet::tear_sheet(&strategy, &frame, &params, &result, &options).map(|h| (h, vec![])),
    };
    let (html, pngs) = match drawn {
        Ok(h) => h,
        Err(e) => return fail(1, "strat::io::write", format!("cannot draw the report: {e}"), "report this as a bug"),
    };
    // Every PNG is checked before anything is written: nothing is half-replaced.
    let files: Vec<(std::path::PathBuf, &[u8])> = match png {
        Some(dir) => pngs.iter().map(|(id, bytes)| (dir.join(format!("{id}.png")), bytes.as_slice())).collect(),
        None => vec![],
    };
    if let Some((p, _)) = files.iter().find(|(p, _)| !force && p.exists()) {
        return fail(1, "strat::io::exists", format!("{} already exists", p.display()), "pass --force to overwrite it, or choose another --png folder");
    }
    if let Err(c) = write_page(out, &html) {
        return c;
    }
    out!("{}: tear sheet of {} ({} KiB)", out.display(), strategy.name(), html.len().div_ceil(1024));
    if let Some(dir) = png {
        if let Err(e) = std::fs::create_dir_all(dir) {
            return fail(1, "strat::io::write", format!("cannot create {}: {e}", dir.display()), "check that the parent folder exists and is writable");
        }
        let mut bytes = 0;
        for (p, data) in &files {
            if let Err(c) = write_file(p, data) {
                return c;
            }
            bytes += data.len();
        }
        out!("{}: {} charts as PNG ({} KiB)", dir.display(), files.len(), bytes.div_ceil(1024));
    }
    0
}

/// Writes `data` to a temporary file beside `path`, then renames it (`strat::io::write`, exit 1).
fn write_file(path: &std::path::Path, data: &[u8]) -> Result<(), i32> {
    let tmp = super::sweep::temp_path(path);
    std::fs::write(&tmp, data).and_then(|_| std::fs::rename(&tmp, path)).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(1, "strat::io::write", format!("cannot write {}: {e}", path.display()), "check that the folder exists and is writable")
    })
}

/// Writes an HTML page to a temporary file beside `path`, then renames it: `path` is either the
/// whole page or untouched. `strat::io::write` (exit 1) when it cannot.
pub(super) fn write_page(path: &std::path::Path, html: &str) -> Result<(), i32> {
    write_file(path, html.as_bytes())
}
