//! `strat fmt`: formats .strat files in place ([`strat_grammar::format`]), checks them
//! (`--check`, a diff and exit 1 when one is not formatted), or formats standard input.

use super::diagnostics::{fail, print_diags};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strat_grammar::format::{format_source, FormatError};

/// `strat fmt`: formats each of `paths` (a folder: every `.strat` file under it), or standard
/// input to standard output without one. Exit 0 when everything is (now) formatted; 1 under
/// `--check` when a file is not (its diff printed); 2 when a file does not parse (its
/// diagnostics printed, the file untouched) or cannot be read or written.
pub(super) fn fmt(paths: &[PathBuf], check: bool) -> i32 {
    if paths.is_empty() {
        return stdin(check);
    }
    let mut files = vec![];
    for p in paths {
        if p.is_dir() {
            collect(p, &mut files);
        } else {
            files.push(p.clone());
        }
    }
    let (mut unformatted, mut changed, mut failed) = (0, 0, false);
    for f in &files {
        let src = match std::fs::read_to_string(f) {
            Ok(s) => s,
            Err(e) => {
                fail(2, "strat::io::read", format!("cannot read {}: {e}", f.display()), "check the path");
                failed = true;
                continue;
            }
        };
        let Some(out) = formatted(&f.display().to_string(), &src) else {
            failed = true;
            continue;
        };
        if out == src {
            continue;
        }
        if check {
            unformatted += 1;
            print_diff(&f.display().to_string(), &src, &out);
        } else {
            let tmp =
                f.with_file_name(format!(".{}.strat-fmt-{}", f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(), std::process::id()));
            if let Err(e) = std::fs::write(&tmp, &out).and_then(|_| std::fs::rename(&tmp, f)) {
                let _ = std::fs::remove_file(&tmp);
                fail(2, "strat::io::write", format!("cannot write {}: {e}", f.display()), "check that the file is writable");
                failed = true;
                continue;
            }
            changed += 1;
            out!("{}: formatted", f.display());
        }
    }
    if failed {
        2
    } else if check && unformatted > 0 {
        eprintln!("{unformatted} of {} file(s) not formatted: run `strat fmt` on them", files.len());
        1
    } else {
        if !check && changed == 0 && files.len() > 1 {
            out!("{} file(s) already formatted", files.len());
        }
        0
    }
}

/// Standard input formatted to standard output (`--check`: the diff, exit 1, when it is not
/// formatted).
fn stdin(check: bool) -> i32 {
    let mut src = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut src) {
        return fail(2, "strat::io::read", format!("cannot read standard input: {e}"), "pipe a .strat program in, or name files");
    }
    let Some(out) = formatted("<stdin>", &src) else { return 2 };
    if check {
        if out != src {
            print_diff("<stdin>", &src, &out);
            return 1;
        }
        return 0;
    }
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
    0
}

/// The formatted text of `src`, or `None` after printing why not.
fn formatted(name: &str, src: &str) -> Option<String> {
    match format_source(src) {
        Ok(out) => Some(out),
        Err(FormatError::Syntax(diags)) => {
            let text = Arc::new(src.to_string());
            let diags: Vec<_> = diags.into_iter().map(|d| d.with_source(name, text.clone())).collect();
            print_diags(&diags);
            None
        }
        Err(FormatError::Changed(what)) => {
            fail(
                2,
                "strat::fmt::changed",
                format!("{name}: formatting would change the program ({what}); the file is left as it is"),
                "report this as a bug, with the file",
            );
            None
        }
    }
}

/// A unified diff of `name` from `old` to `new` on standard output.
fn print_diff(name: &str, old: &str, new: &str) {
    let diff = similar::TextDiff::from_lines(old, new);
    let text = diff.unified_diff().context_radius(2).header(name, &format!("{name} (formatted)")).to_string();
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// Every `.strat` file under `dir`, sorted, hidden folders and `target` skipped.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if p.is_dir() {
            if !name.starts_with('.') && name != "target" {
                collect(&p, out);
            }
        } else if p.extension().is_some_and(|e| e == "strat") {
            out.push(p);
        }
    }
}
