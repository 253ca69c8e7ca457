//! The language suite (issue 18): every `.strat` file under `tests/suite/` is a small program on
//! a tiny CSV beside it, with inline expectations (see `tests/suite/README.md`):
//!
//! ```text
//! //~ SERIES name @ 2020-01-03 = 1.5          a let's value on a date (`name.ASSET` for a panel)
//! //~ VALUE report_name = 0.25                a `report` value of the run
//! //~ METRIC sharpe = 1.2                      a metric of the run (`metrics.KEY`, else a top-level
//!                                              key of the run's JSON, or a dotted path into it)
//! //~ GRID = 5                                the number of bindings a sweep runs
//! //~ SET name = 3                             a param binding for the file's run
//! ... //~ ERROR code / //~ WARN code          a diagnostic on the marked line (as tests/diagnostics)
//! ```
//!
//! A value is a number, `NaN`, `inf`, `-inf`, `true` or `false`; ` tol 1e-9` after it widens the
//! default tolerance (1e-12 relative, absolute near zero); ` BUG: why` marks a known defect, which
//! is reported but does not fail; ` # ...` ends the line with how the value was computed
//! (`# py: EXPR` is re-evaluated by `tests/suite/check_expectations.py`).
//!
//! Each file runs on the JIT and on the reference evaluator, and every failing expectation of
//! every file is reported at once as `file:line: expected X, got Y (backend)`.

mod common;
use common::{root, strat_files, TempDir};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use strat::{Backend, Engine, Failure};

const TOL: f64 = 1e-12;

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    Series {
        name: String,
        date: String,
    },
    Value(String),
    Metric(String),
    /// The number of bindings of the sweep grid (after `when` and `where`).
    Grid,
    Set(String),
}

#[derive(Debug, Clone)]
struct Expect {
    line: usize,
    kind: Kind,
    /// The expected value as written.
    text: String,
    tol: f64,
    bug: Option<String>,
}

/// The diagnostics marked in `src`: (line, severity, code).
fn marked_diagnostics(src: &str) -> BTreeSet<(usize, String, String)> {
    let mut set = BTreeSet::new();
    for (i, line) in src.lines().enumerate() {
        if let Some(pos) = line.find("//~ ") {
            let mut parts = line[pos + 4..].split_whitespace();
            let sev = parts.next().unwrap_or_default();
            if sev == "ERROR" || sev == "WARN" {
                set.insert((i + 1, sev.to_string(), parts.next().unwrap_or_default().to_string()));
            }
        }
    }
    set
}

/// The value expectations and param settings of `src`, or the lines it cannot read.
fn expectations(src: &str) -> Result<Vec<Expect>, Vec<String>> {
    let (mut out, mut bad) = (vec![], vec![]);
    for (i, line) in src.lines().enumerate() {
        let Some(pos) = line.find("//~ ") else { continue };
        let body = &line[pos + 4..];
        let head = body.split_whitespace().next().unwrap_or_default();
        if head == "ERROR" || head == "WARN" {
            continue;
        }
        match parse_expect(body) {
            Some((kind, text, tol, bug)) => out.push(Expect { line: i + 1, kind, text, tol, bug }),
            None => bad.push(format!("line {}: cannot read the expectation `{body}`", i + 1)),
        }
    }
    if bad.is_empty() {
        Ok(out)
    } else {
        Err(bad)
    }
}

fn parse_expect(body: &str) -> Option<(Kind, String, f64, Option<String>)> {
    // `# how` ends the line; `BUG: why` before it marks a known defect.
    let main = body.split(" # ").next()?.trim();
    let (main, bug) = match main.split_once("BUG:") {
        Some((m, why)) => (m.trim(), Some(why.trim().to_string())),
        None => (main, None),
    };
    let (head, rest) = main.split_once(char::is_whitespace)?;
    let (lhs, rhs) = rest.split_once('=')?;
    let mut rhs = rhs.split_whitespace();
    let text = rhs.next()?.to_string();
    let tol = match (rhs.next(), rhs.next(), rhs.next()) {
        (None, _, _) => TOL,
        (Some("tol"), Some(t), None) => t.parse().ok()?,
        _ => return None,
    };
    let lhs = lhs.trim();
    let kind = match head {
        "SERIES" => {
            let (name, date) = lhs.split_once('@')?;
            Kind::Series { name: name.trim().to_string(), date: date.trim().to_string() }
        }
        "VALUE" => Kind::Value(lhs.to_string()),
        "METRIC" => Kind::Metric(lhs.to_string()),
        "GRID" if lhs.is_empty() => Kind::Grid,
        "SET" => Kind::Set(lhs.to_string()),
        _ => return None,
    };
    if !matches!(kind, Kind::Set(_)) {
        parse_value(&text)?;
    }
    Some((kind, text, tol, bug))
}

fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "true" => Some(1.0),
        "false" => Some(0.0),
        t => t.parse().ok(),
    }
}

/// Whether `got` meets `want` within `tol` (relative, absolute below 1 in magnitude).
fn close(want: f64, got: f64, tol: f64) -> bool {
    if want.is_nan() || got.is_nan() {
        return want.is_nan() && got.is_nan();
    }
    if want.is_infinite() || got.is_infinite() {
        return want == got;
    }
    (want - got).abs() <= tol * want.abs().max(1.0)
}

fn backend_name(b: Backend) -> &'static str {
    match b {
        Backend::Jit => "jit",
        Backend::Reference => "reference",
    }
}

/// What one run of a file found.
#[derive(Default)]
struct Outcome {
    failures: Vec<String>,
    /// Expectations marked `BUG:`, with what they got.
    bugs: Vec<String>,
    checked: usize,
}

/// A value of the run's JSON report: `metrics.KEY` for a bare key that is a metric, else the
/// top-level key; a dotted path walks objects by key and arrays by index or by `name`.
fn json_path(report: &serde_json::Value, key: &str) -> Option<f64> {
    let mut v = if key.contains('.') {
        report
    } else if report["metrics"].get(key).is_some() {
        &report["metrics"]
    } else {
        report
    };
    for part in key.split('.') {
        v = match v {
            serde_json::Value::Array(a) => match part.parse::<usize>() {
                Ok(i) => a.get(i)?,
                Err(_) => a.iter().find(|e| e["name"] == part)?,
            },
            _ => v.get(part)?,
        };
    }
    match v {
        serde_json::Value::Null => Some(f64::NAN),
        serde_json::Value::Bool(b) => Some(f64::from(u8::from(*b))),
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) if s == "inf" => Some(f64::INFINITY),
        serde_json::Value::String(s) if s == "-inf" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Runs the file at `path` on `backend` and checks every expectation; `shown` is how the file
/// is named in messages.
fn run_file(path: &Path, shown: &str, backend: Backend) -> Outcome {
    let mut o = Outcome::default();
    let be = backend_name(backend);
    let src = std::fs::read_to_string(path).unwrap();
    let expects = match expectations(&src) {
        Ok(e) => e,
        Err(bad) => {
            o.failures.extend(bad.into_iter().map(|b| format!("{shown}: {b}")));
            return o;
        }
    };
    let want_diags = marked_diagnostics(&src);
    let engine = Engine::new().with_backend(backend);
    let compiled = engine.compile_file(path);
    let diags: &[strat::SourceDiag] = match &compiled {
        Ok(s) => s.warnings(),
        Err(Failure::Program(d)) => d,
        Err(other) => {
            o.failures.push(format!("{shown}: does not compile: {other} ({be})"));
            return o;
        }
    };
    let marks_warnings = want_diags.iter().any(|w| w.1 == "WARN");
    let got_diags: BTreeSet<(usize, String, String)> = diags
        .iter()
        .map(|d| {
            let (line, _) = strat_grammar::line_col(&src, d.diag.span().start as usize);
            (line, if d.diag.is_error() { "ERROR" } else { "WARN" }.to_string(), d.diag.code.to_string())
        })
        .filter(|g| marks_warnings || g.1 == "ERROR")
        .collect();
    for d in want_diags.difference(&got_diags) {
        o.failures.push(format!("{shown}:{}: expected {} {}, got none ({be})", d.0, d.1, d.2));
    }
    for d in got_diags.difference(&want_diags) {
        o.failures.push(format!("{shown}:{}: unexpected {} {} ({be})", d.0, d.1, d.2));
    }
    o.checked += want_diags.len();
    let Ok(strategy) = compiled else {
        if !expects.iter().all(|e| matches!(e.kind, Kind::Set(_))) {
            o.failures.push(format!("{shown}: has value expectations but does not compile ({be})"));
        }
        return o;
    };
    let mut params = strategy.params();
    for e in expects.iter().filter(|e| matches!(e.kind, Kind::Set(_))) {
        let Kind::Set(name) = &e.kind else { unreachable!() };
        if let Err(m) = params.set(name, &e.text) {
            o.failures.push(format!("{shown}:{}: cannot set {name} = {}: {m} ({be})", e.line, e.text));
        }
    }
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(e) => {
            o.failures.push(format!("{shown}: cannot load its data: {e} ({be})"));
            return o;
        }
    };
    let dates: Vec<String> = frame.dates.iter().map(|&d| strat_runtime::frame::format_date(d)).collect();
    // Lets.
    let names: Vec<String> = expects
        .iter()
        .filter_map(|e| match &e.kind {
            Kind::Series { name, .. } => Some(name.split('.').next().unwrap().to_string()),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let lets = if names.is_empty() { Ok(vec![]) } else { strategy.let_values_with(&frame, &params, &names, backend) };
    // The run and its report.
    let needs_run = expects.iter().any(|e| matches!(e.kind, Kind::Value(_) | Kind::Metric(_)));
    let report =
        if needs_run { Some(strategy.run_with(&frame, &params, backend).map(|r| serde_json::to_value(strategy.report(&frame, &r)).unwrap())) } else { None };
    for e in &expects {
        let got: Result<f64, String> = match &e.kind {
            Kind::Set(_) => continue,
            Kind::Grid => Ok(strategy.grid().bindings.len() as f64),
            Kind::Series { name, date } => match &lets {
                Err(err) => Err(format!("the lets cannot be computed: {err}")),
                Ok(cols) => match (cols.iter().find(|c| &c.0 == name), dates.iter().position(|d| d == date)) {
                    (None, _) => Err(format!("no let `{name}` (a panel's column is `name.ASSET`)")),
                    (_, None) => Err(format!("no row dated {date}")),
                    (Some(c), Some(t)) => Ok(c.1[t]),
                },
            },
            Kind::Value(name) | Kind::Metric(name) => match report.as_ref().unwrap() {
                Err(err) => Err(format!("the run fails: {err}")),
                Ok(json) => {
                    let key = if matches!(e.kind, Kind::Value(_)) { format!("reports.{name}") } else { name.clone() };
                    json_path(json, &key).ok_or_else(|| format!("the run has no value `{key}`"))
                }
            },
        };
        let want = parse_value(&e.text).unwrap();
        o.checked += 1;
        let verdict = match got {
            Ok(g) if close(want, g, e.tol) => None,
            Ok(g) => Some(format!("{shown}:{}: expected {}, got {g:?} ({be})", e.line, e.text)),
            Err(why) => Some(format!("{shown}:{}: expected {}, but {why} ({be})", e.line, e.text)),
        };
        match (verdict, &e.bug) {
            (Some(v), None) => o.failures.push(v),
            (Some(v), Some(why)) => o.bugs.push(format!("{v} [known bug: {why}]")),
            (None, Some(why)) => o.failures.push(format!("{shown}:{}: marked BUG ({why}) but now passes ({be}): drop the mark", e.line)),
            (None, None) => {}
        }
    }
    o
}

fn suite_dir() -> PathBuf {
    root().join("tests/suite")
}

fn suite_files() -> Vec<PathBuf> {
    let mut files = vec![];
    strat_files(&suite_dir(), &mut files);
    files
}

/// Runs `path` on both backends.
fn run_both(path: &Path, shown: &str) -> Outcome {
    let mut all = Outcome::default();
    for b in [Backend::Jit, Backend::Reference] {
        let o = run_file(path, shown, b);
        all.failures.extend(o.failures);
        all.bugs.extend(o.bugs);
        all.checked += o.checked;
    }
    all
}

#[test]
fn every_suite_expectation_holds_on_both_backends() {
    let started = std::time::Instant::now();
    let files = suite_files();
    assert!(files.len() >= 30, "only {} suite files", files.len());
    let (mut failures, mut bugs, mut checked) = (vec![], vec![], 0);
    for f in &files {
        let shown = f.strip_prefix(root()).unwrap().display().to_string();
        let src = std::fs::read_to_string(f).unwrap();
        if !src.contains("//~ ") {
            failures.push(format!("{shown}: has no expectation"));
        }
        let o = run_both(f, &shown);
        failures.extend(o.failures);
        bugs.extend(o.bugs);
        checked += o.checked;
    }
    if !bugs.is_empty() {
        eprintln!("known bugs (marked BUG:, not failing):\n{}", bugs.join("\n"));
    }
    eprintln!("{checked} expectations checked in {} files on both backends in {:.1?}", files.len(), started.elapsed());
    assert!(failures.is_empty(), "{} failing expectations:\n{}", failures.len(), failures.join("\n"));
}

/// A copy of a suite file with one expected value changed fails on both backends, naming the
/// line, the planted value and what the backend computed.
#[test]
fn a_planted_wrong_value_fails_on_both_backends() {
    let src_dir = suite_dir().join("windows");
    let name = "sma.strat";
    let tmp = TempDir::new("suite-plant");
    for e in std::fs::read_dir(&src_dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, tmp.0.join(p.file_name().unwrap())).unwrap();
        }
    }
    let src = std::fs::read_to_string(src_dir.join(name)).unwrap();
    // The first SERIES line with a finite value: add 1 to it.
    let (idx, line) = src.lines().enumerate().find(|(_, l)| l.contains("//~ SERIES") && !l.contains("= NaN")).expect("a SERIES line with a number");
    let eq = line.find("= ").unwrap() + 2;
    let end = line[eq..].find(' ').map_or(line.len(), |k| eq + k);
    let old: f64 = line[eq..end].parse().unwrap();
    let planted = format!("{}", old + 1.0);
    let new_line = format!("{}{}{}", &line[..eq], planted, &line[end..]);
    let planted_src: String = src.lines().map(|l| if l == line { new_line.clone() } else { l.to_string() }).collect::<Vec<_>>().join("\n") + "\n";
    let copy = tmp.0.join(name);
    std::fs::write(&copy, planted_src).unwrap();
    // The original passes, the copy fails on exactly the planted line, once per backend.
    assert!(run_both(&src_dir.join(name), name).failures.is_empty());
    let o = run_both(&copy, "planted.strat");
    assert_eq!(o.failures.len(), 2, "{:#?}", o.failures);
    for (f, be) in o.failures.iter().zip(["jit", "reference"]) {
        let prefix = format!("planted.strat:{}: expected {planted}, got ", idx + 1);
        assert!(f.starts_with(&prefix) && f.ends_with(&format!("({be})")), "unreadable failure: {f}");
        let got: f64 = f[prefix.len()..].split(' ').next().unwrap().parse().unwrap();
        assert!(close(old, got, TOL), "{f}: the backend's value is not the original expectation {old}");
    }
}

#[test]
fn the_expectation_syntax_is_read_as_documented() {
    let src = "let a = 1 //~ ERROR strat::x\n//~ SERIES p.btc @ 2020-01-03 = -1.5e-3 tol 1e-9 # py: 1\n//~ VALUE r = NaN BUG: broken # hand\n//~ METRIC kill_switches.k.trips = 2\n//~ SET n = 5%\n";
    assert_eq!(marked_diagnostics(src).into_iter().collect::<Vec<_>>(), vec![(1, "ERROR".to_string(), "strat::x".to_string())]);
    let e = expectations(src).unwrap();
    assert_eq!(e.len(), 4);
    assert_eq!(e[0].kind, Kind::Series { name: "p.btc".into(), date: "2020-01-03".into() });
    assert_eq!((e[0].text.as_str(), e[0].tol), ("-1.5e-3", 1e-9));
    assert_eq!(e[1].bug.as_deref(), Some("broken"));
    assert_eq!(e[2].kind, Kind::Metric("kill_switches.k.trips".into()));
    assert_eq!(e[3].kind, Kind::Set("n".into()));
    assert_eq!(expectations("//~ GRID = 5\n").unwrap()[0].kind, Kind::Grid);
    assert!(expectations("//~ GRID x = 5\n").is_err(), "GRID takes no name");
    assert!(expectations("//~ SERIES x = 1\n").is_err(), "a SERIES without a date");
    assert!(expectations("//~ VALUE x = one\n").is_err(), "a value that is not a number");
    assert!(close(1.0, 1.0 + 1e-13, TOL) && !close(1.0, 1.0 + 1e-11, TOL));
    assert!(close(f64::NAN, f64::NAN, TOL) && !close(0.0, f64::NAN, TOL) && !close(f64::NAN, 0.0, TOL));
    assert!(close(1e-20, 0.0, TOL) && !close(1e6, 1e6 + 1e-3, TOL));
}

/// spec/stdlib.md's summary links every builtin of the compiler to suite files that exist and
/// call it.
#[test]
fn every_builtin_has_a_suite_file_linked_from_the_spec() {
    let spec = std::fs::read_to_string(root().join("spec/stdlib.md")).unwrap();
    let mut missing = vec![];
    for sig in strat_compiler::builtins::PRELUDE {
        let row = spec.lines().find(|l| l.starts_with(&format!("| [`{}`]", sig.name)));
        let Some(row) = row else {
            missing.push(format!("{}: no row in spec/stdlib.md's summary", sig.name));
            continue;
        };
        let links: Vec<&str> = row.split("](../tests/suite/").skip(1).map(|s| s.split(')').next().unwrap()).collect();
        if links.is_empty() {
            missing.push(format!("{}: no suite file linked in its summary row", sig.name));
        }
        for l in links {
            let path = suite_dir().join(l);
            match std::fs::read_to_string(&path) {
                Err(_) => missing.push(format!("{}: linked file tests/suite/{l} does not exist", sig.name)),
                Ok(src) if !src.contains(&format!("{}(", sig.name)) => missing.push(format!("{}: tests/suite/{l} does not call it", sig.name)),
                Ok(_) => {}
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// Every statement kind of spec/language.md §2 appears in some suite file.
#[test]
fn every_statement_kind_has_a_suite_file() {
    let sources: Vec<String> = suite_files().iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let starts = |kw: &str| sources.iter().any(|s| s.lines().any(|l| l.trim_start().starts_with(&format!("{kw} "))));
    let missing: Vec<&str> = [
        "strategy",
        "data",
        "universe",
        "panel",
        "from",
        "to",
        "param",
        "where",
        "let",
        "regime",
        "hold",
        "sleeve",
        "ensemble",
        "weights",
        "cost",
        "capital",
        "kill",
        "alert",
        "annualize",
        "benchmark",
        "report",
    ]
    .into_iter()
    .filter(|kw| !starts(kw))
    .collect();
    assert!(missing.is_empty(), "statements without a suite file: {missing:?}");
}

/// `tests/suite/check_expectations.py` re-evaluates every `# py:` expression against the files'
/// CSVs, on the Python of `$PYTHON` (as scripts/test.sh sets it), else `$STRAT_PYTHON`, else
/// `python3`, which must have pandas and numpy: the test fails, never skips, without them.
#[test]
fn python_expressions_give_the_expected_values() {
    let env = |k: &str| std::env::var(k).ok().filter(|s| !s.trim().is_empty());
    let py = env("PYTHON").or_else(|| env("STRAT_PYTHON")).unwrap_or_else(|| "python3".to_string());
    let probe = std::process::Command::new(&py).args(["-c", "import pandas, numpy"]).output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs Python 3 with pandas and numpy (`{py} -c 'import pandas, numpy'` failed): install them \
         (`{py} -m pip install pandas`) or set $STRAT_PYTHON to an interpreter that has them"
    );
    let out = std::process::Command::new(py).arg(suite_dir().join("check_expectations.py")).output().expect("python starts");
    assert!(out.status.success(), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}
