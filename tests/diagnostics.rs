//! Golden diagnostics: every `.strat` file in `tests/diagnostics/` marks the lines that must
//! produce a diagnostic with `//~ ERROR code` or `//~ WARN code` (rustc's UI-test style). The
//! test compiles each file and requires exactly the marked (line, severity, code) set — so
//! every error of a file is reported at once, and nothing else is.

use std::collections::BTreeSet;
use std::path::Path;
use strat::{Engine, Failure};

fn expected(src: &str) -> BTreeSet<(usize, String, String)> {
    let mut set = BTreeSet::new();
    for (i, line) in src.lines().enumerate() {
        if let Some(pos) = line.find("//~ ") {
            let mut parts = line[pos + 4..].split_whitespace();
            let sev = parts.next().unwrap_or_default().to_string();
            let code = parts.next().unwrap_or_default().to_string();
            set.insert((i + 1, sev, code));
        }
    }
    set
}

fn actual(path: &Path) -> BTreeSet<(usize, String, String)> {
    let src = std::fs::read_to_string(path).unwrap();
    let diags = match Engine::new().compile_file(path) {
        Ok(s) => s.into_warnings(),
        Err(Failure::Program(d)) => d,
        Err(other) => panic!("{}: unexpected failure {other}", path.display()),
    };
    diags
        .iter()
        .map(|d| {
            let (line, _) = strat_grammar::line_col(&src, d.diag.span().start as usize);
            let sev = if d.diag.is_error() { "ERROR" } else { "WARN" };
            (line, sev.to_string(), d.diag.code.to_string())
        })
        .collect()
}

#[test]
fn golden_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "strat")).collect();
    files.sort();
    assert!(files.len() >= 6);
    let mut failures = vec![];
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let want = expected(&src);
        // Warnings are only compared in files that mark at least one.
        let marks_warnings = want.iter().any(|w| w.1 == "WARN");
        let got: BTreeSet<_> = actual(f).into_iter().filter(|g| marks_warnings || g.1 == "ERROR").collect();
        if want != got {
            let missing: Vec<_> = want.difference(&got).collect();
            let extra: Vec<_> = got.difference(&want).collect();
            failures.push(format!("{}:\n  missing {missing:?}\n  unexpected {extra:?}", f.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every diagnostic has a stable code, a labelled span inside the file and a help line.
#[test]
fn every_diagnostic_has_code_span_and_help() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_none_or(|e| e != "strat") {
            continue;
        }
        let src = std::fs::read_to_string(&p).unwrap();
        let diags = match Engine::new().compile_file(&p) {
            Ok(s) => s.into_warnings(),
            Err(Failure::Program(d)) => d,
            Err(other) => panic!("{other}"),
        };
        for d in diags {
            assert!(d.diag.code.starts_with("strat::"), "{}", d.diag.code);
            assert!(!d.diag.labels.is_empty(), "{}: {} has no label", p.display(), d.diag.code);
            let s = d.diag.span();
            assert!((s.end as usize) <= src.len() && s.start <= s.end, "{}: span out of range", d.diag.code);
            assert!(d.diag.help.as_deref().is_some_and(|h| !h.is_empty()), "{}: {} has no help", p.display(), d.diag.code);
        }
    }
}

/// Programs that use every statement of the portfolio stage correctly (`capital`, the three
/// forms of `cost`, `kill`, own values in lets, switches and reports) pass `strat check` with
/// exit code 0 and no warning.
#[test]
fn portfolio_statements_check_clean() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/diagnostics");
    for name in ["portfolio_clean.strat", "portfolio_clean_ensemble.strat", "portfolio_clean_panels.strat"] {
        let path = dir.join(name);
        let out =
            std::process::Command::new(env!("CARGO_BIN_EXE_strat")).arg("check").arg(&path).env("NO_COLOR", "1").output().expect("the strat binary starts");
        let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "{name}: exit {:?}\n{stdout}\n{stderr}", out.status.code());
        assert!(stdout.starts_with("ok: strategy "), "{name}: {stdout}");
        assert!(stderr.trim().is_empty(), "{name}: warnings or errors:\n{stderr}");
    }
}
