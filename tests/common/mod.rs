//! Helpers shared by the end-to-end tests: the repository root, scratch folders, Python for the
//! independent references, and running a command that prints one JSON object.

#![allow(dead_code)]

pub mod cli;
pub mod compare;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Every `.strat` file under `dir` and its subfolders, depth first, sorted by path (panics on
/// an unreadable folder).
pub fn strat_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            strat_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "strat") {
            out.push(p);
        }
    }
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh folder under the system temp dir, removed on drop (tests never write into the tree).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new empty folder whose name contains `tag`, unique per process and call.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let p = std::env::temp_dir().join(format!("strat-test-{tag}-{}-{}-{nanos}", std::process::id(), N.fetch_add(1, Ordering::SeqCst)));
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The Python 3 interpreter for the reference implementations (`$PYTHON`, else `python3`);
/// panics with a clear message when there is none (CI has Python 3.11).
pub fn python() -> String {
    let py = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    match Command::new(&py).arg("--version").output() {
        Ok(o) if o.status.success() => py,
        Ok(o) => panic!("this test needs Python 3: `{py} --version` failed ({}): {}", o.status, String::from_utf8_lossy(&o.stderr)),
        Err(e) => panic!(
            "this test needs Python 3 on PATH (`{py}` could not be started: {e}). \
             Install python3 or set $PYTHON to a Python 3 interpreter."
        ),
    }
}

/// Runs `cmd`, requires success, and parses its stdout as one JSON object.
pub fn run_json(mut cmd: Command, what: &str) -> Value {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{what}: exit {}\nstdout:\n{stdout}\nstderr:\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{what}: output is not one JSON object ({e}):\n{stdout}"))
}

/// A Python 3 interpreter that imports pandas and numpy, for the references that need them
/// (`$PYTHON`, else `$STRAT_PYTHON`, else `python3`); panics (never skips) otherwise.
pub fn python_with_pandas() -> String {
    let env = |k: &str| std::env::var(k).ok().filter(|s| !s.trim().is_empty());
    let py = env("PYTHON").or_else(|| env("STRAT_PYTHON")).unwrap_or_else(|| "python3".to_string());
    let out = Command::new(&py).args(["-c", "import pandas, numpy"]).output();
    match out {
        Ok(o) if o.status.success() => py,
        Ok(o) => panic!(
            "this test needs Python 3 with pandas and numpy: `{py} -c 'import pandas, numpy'` failed ({}):\n{}\n\
             Install them (`{py} -m pip install pandas`), or set $STRAT_PYTHON to an interpreter that has them.",
            o.status,
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => panic!("this test needs Python 3 with pandas (`{py}` could not be started: {e}); set $STRAT_PYTHON to one that has pandas."),
    }
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Asserts `a` (Strat's) is within 1e-12 absolute or 1e-9 relative of `b` (a reference's).
pub fn close(label: &str, a: f64, b: f64) {
    let ok = (a - b).abs() <= 1e-12 || (a - b).abs() <= 1e-9 * b.abs().max(a.abs());
    assert!(ok, "{label}: strat {a} vs reference {b} (diff {:e})", (a - b).abs());
}

/// The `--out` file's column `name` as (date, value) rows, empty cells as NaN.
pub fn column(csv: &str, name: &str) -> Vec<(String, f64)> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let i = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[i].parse().unwrap_or(f64::NAN))
        })
        .collect()
}

/// `strat run FILE --json --out TAG.csv --force EXTRA...` (with `--reference` if asked), in
/// `dir`: the JSON and the `--out` text; panics when the run fails.
pub fn run_with_out(dir: &TempDir, file: &Path, extra: &[&str], reference: bool, tag: &str) -> (Value, String) {
    let out = dir.path().join(format!("{tag}.csv"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg("run").arg(file).arg("--json").arg("--out").arg(&out).arg("--force").args(extra);
    if reference {
        cmd.arg("--reference");
    }
    let v = run_json(cmd, &format!("strat run {} {extra:?} reference={reference}", file.display()));
    (v, std::fs::read_to_string(&out).unwrap())
}

/// `strat sweep FILE --json --quiet` (with `--reference` if asked): its JSON.
pub fn sweep_json(file: &Path, reference: bool) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg("sweep").arg(file).arg("--json").arg("--quiet");
    if reference {
        cmd.arg("--reference");
    }
    run_json(cmd, "strat sweep")
}

/// `rows` business days (Monday to Friday) as `YYYY-MM-DD`, from `first` (year, month, day),
/// which must be a Monday.
pub fn business_days(first: (u32, u32, u32), rows: usize) -> Vec<String> {
    let days_in = |y: u32, m: u32| match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let ((mut y, mut m, mut d), mut weekday) = (first, 0u32); // weekday 0 = Monday
    let mut out = Vec::with_capacity(rows);
    while out.len() < rows {
        if weekday < 5 {
            out.push(format!("{y:04}-{m:02}-{d:02}"));
        }
        weekday = (weekday + 1) % 7;
        d += 1;
        if d > days_in(y, m) {
            d = 1;
            m += 1;
            if m > 12 {
                m = 1;
                y += 1;
            }
        }
    }
    out
}
