//! End-to-end tests of the `strat` binary: `run` (table, `--json`, `--out`, `--force`, `--set`,
//! `--reference`), `check`, and data errors. Everything a test writes goes to a fresh folder under
//! the system temp dir, never into the repository.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::{root, TempDir};

/// The metric names of issue #2 item 7, in the documented order (also the JSON keys).
const METRICS: [&str; 11] = ["total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown", "calmar", "var_95", "cvar_95", "omega", "avg_exposure"];

/// The top-level keys of `--json`, in order.
const JSON_KEYS: [&str; 18] = [
    "strategy",
    "bars",
    "start",
    "end",
    "metrics",
    "benchmark",
    "information_ratio",
    "active_return",
    "tracking_error",
    "beta",
    "alpha",
    "ruin_date",
    "avg_turnover",
    "cost_drag",
    "trades",
    "kill_switches",
    "reports",
    "weights",
];

fn example() -> PathBuf {
    root().join("examples/vix_guard.strat")
}

fn example_csv() -> PathBuf {
    root().join("examples/data/spx_vix.csv")
}

/// The result of one invocation.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn strat<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let out: Output =
        Command::new(env!("CARGO_BIN_EXE_strat")).args(args).current_dir(std::env::temp_dir()).env("NO_COLOR", "1").output().expect("the strat binary starts");
    Run {
        code: out.status.code().expect("exited normally (not killed by a signal)"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

impl Run {
    fn ok(self, what: &str) -> Run {
        assert_eq!(self.code, 0, "{what}: exit {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }
    fn fails(self, what: &str) -> Run {
        assert_eq!(self.code, 1, "{what}: expected exit 1, got {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        assert!(self.stdout.is_empty(), "{what}: a failure printed to stdout:\n{}", self.stdout);
        assert!(!self.stderr.trim().is_empty(), "{what}: a failure without a message");
        self
    }
}

fn json_of(args: &[&str]) -> Value {
    let r = strat(args).ok("run --json");
    assert_eq!(r.stdout.lines().filter(|l| !l.trim().is_empty()).count(), 1, "--json prints one object on one line:\n{}", r.stdout);
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("--json output does not parse: {e}\n{}", r.stdout))
}

fn ex() -> String {
    example().display().to_string()
}

/// A JSON float: a number, `null` (NaN) or "inf"/"-inf".
fn f(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap(),
        Value::Null => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        other => panic!("not a JSON float: {other}"),
    }
}

/// How the table prints a float (4 decimals, scientific from 1e9 or below 1e-4; NaN as an em
/// dash).
fn table_fmt(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if x.abs() >= 1e9 || (x != 0.0 && x.abs() < 1e-4) {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}

/// The cells after the row label `name` in the table (whitespace-separated), if the row exists.
fn table_row<'a>(table: &'a str, name: &str) -> Option<Vec<&'a str>> {
    table.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(name)).then(|| it.collect())
    })
}

#[test]
fn run_prints_a_table_with_every_metric_for_strategy_and_benchmark() {
    let r = strat([ex()]);
    assert_eq!(r.code, 2, "`strat FILE` without a subcommand is a usage error");
    let r = strat(["run", &ex()]).ok("run");
    let t = &r.stdout;
    let header = table_row(t, "metric").unwrap_or_else(|| panic!("no header row:\n{t}"));
    assert_eq!(header, ["strategy", "benchmark"], "{t}");
    for m in METRICS {
        let row = table_row(t, m).unwrap_or_else(|| panic!("metric {m} missing from the table:\n{t}"));
        assert_eq!(row.len(), 2, "{m}: expected a strategy and a benchmark value:\n{t}");
    }
    assert_eq!(table_row(t, "information_ratio").map(|r| r.len()), Some(1), "{t}");
    assert_eq!(table_row(t, "guard_active").map(|r| r.len()), Some(1), "the report is shown:\n{t}");
    assert!(t.starts_with("vix_guard: "), "{t}");
}

#[test]
fn json_has_the_documented_keys_and_the_table_figures() {
    let j = json_of(&["run", &ex(), "--json"]);
    let obj = j.as_object().unwrap();
    assert_eq!(obj.keys().map(String::as_str).collect::<Vec<_>>(), JSON_KEYS, "{j}");
    assert_eq!(j["strategy"], "vix_guard");
    let bars = j["bars"].as_u64().unwrap();
    let is_date = |v: &Value| v.as_str().is_some_and(|s| s.len() == 10 && s.as_bytes()[4] == b'-' && s.as_bytes()[7] == b'-');
    assert!(is_date(&j["start"]) && is_date(&j["end"]), "{j}");
    assert!(j["start"].as_str() < j["end"].as_str());
    // 9192 data rows; the first live weight is row 59 (warm-up of zscore(vix, 60)), so the
    // evaluated returns are rows 60 ..= 9191 (SEMANTICS.md §6).
    assert_eq!(bars, 9192 - 60, "{j}");
    let csv = std::fs::read_to_string(example_csv()).unwrap();
    let dates: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(j["start"], dates[60]);
    assert_eq!(j["end"], *dates.last().unwrap());
    for part in ["metrics", "benchmark"] {
        let keys: Vec<&str> = j[part].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, METRICS, "{part}");
    }
    assert_eq!(j["reports"].as_object().unwrap().keys().collect::<Vec<_>>(), ["guard_active"]);
    assert_eq!(f(&j["benchmark"]["avg_exposure"]), 1.0);

    let table = strat(["run", &ex()]).ok("run").stdout;
    for m in METRICS {
        let row = table_row(&table, m).unwrap();
        assert_eq!(row[0], table_fmt(f(&j["metrics"][m])), "strategy {m}");
        assert_eq!(row[1], table_fmt(f(&j["benchmark"][m])), "benchmark {m}");
    }
    assert_eq!(table_row(&table, "information_ratio").unwrap()[0], table_fmt(f(&j["information_ratio"])));
    assert_eq!(table_row(&table, "guard_active").unwrap()[0], table_fmt(f(&j["reports"]["guard_active"])));
    // The first line names the bars and the window.
    let first = table.lines().next().unwrap();
    assert!(first.contains(&format!("{bars} bars")), "{first}");
    assert!(first.contains(j["start"].as_str().unwrap()) && first.contains(j["end"].as_str().unwrap()), "{first}");
}

/// Parses the `--out` file: (date, weight, return (NaN if empty), equity) per row; checks that
/// the `turnover` and `cost` columns (SEMANTICS.md §3) follow: the trade of each row is
/// `|w[t] - w[t-1]|` and the example's cost `2bps` of it.
fn read_daily(path: &Path) -> Vec<(String, f64, f64, f64)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("date,weight,return,equity,turnover,cost"));
    let mut prev = 0.0;
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 6, "{l}");
            let w: f64 = c[1].parse().unwrap();
            let (tv, cost): (f64, f64) = (c[4].parse().unwrap(), c[5].parse().unwrap());
            assert_eq!(tv, (w - prev).abs(), "{l}");
            assert!((cost - 0.0002 * tv).abs() <= 1e-18, "{l}");
            prev = w;
            let num = |s: &str| if s.is_empty() { f64::NAN } else { s.parse::<f64>().unwrap_or_else(|e| panic!("{s}: {e}")) };
            (c[0].to_string(), num(c[1]), num(c[2]), num(c[3]))
        })
        .collect()
}

#[test]
fn out_writes_the_daily_file_whose_equity_compounds_the_returns() {
    let dir = TempDir::new("out");
    let out = dir.path().join("daily.csv");
    let json = strat(["run", &ex(), "--json", "--out", out.to_str().unwrap()]).ok("run --out");
    let j: Value = serde_json::from_str(&json.stdout).unwrap();
    let rows = read_daily(&out);
    // One row per bar from the first live row t0 to the end: bars + 1.
    assert_eq!(rows.len() as u64, j["bars"].as_u64().unwrap() + 1);
    assert!(rows[0].2.is_nan(), "no return on the first live row");
    assert_eq!(rows[0].3, 1.0, "equity starts at 1");
    assert_eq!(rows[1].0, j["start"].as_str().unwrap());
    assert_eq!(rows.last().unwrap().0, j["end"].as_str().unwrap());
    assert!(rows.windows(2).all(|w| w[0].0 < w[1].0), "dates increase");
    let mut e = 1.0f64;
    for (i, (d, _, r, eq)) in rows.iter().enumerate().skip(1) {
        assert!(r.is_finite(), "{d}: return {r}");
        e *= 1.0 + r;
        assert!((e - eq).abs() <= 1e-12 * e.abs().max(1.0), "row {i} ({d}): equity {eq} but the returns compound to {e}");
    }
    let last = rows.last().unwrap().3;
    let tr = f(&j["metrics"]["total_return"]);
    assert!((last - 1.0 - tr).abs() <= 1e-12, "last equity - 1 = {} but total_return = {tr}", last - 1.0);
    // avg_exposure is the mean |weight of the previous row| over the return rows.
    let exposure: f64 = rows[..rows.len() - 1].iter().map(|r| r.1.abs()).sum::<f64>() / (rows.len() - 1) as f64;
    assert!((exposure - f(&j["metrics"]["avg_exposure"])).abs() <= 1e-12, "{exposure} vs {}", j["metrics"]["avg_exposure"]);
    // The guard's exposures only.
    for (d, w, _, _) in &rows {
        assert!([0.45, 0.65, 0.7, 0.85, 1.0].contains(w), "{d}: weight {w}");
    }
    // guard_active = fraction of evaluated rows whose previous weight is < 1.
    let active = rows[..rows.len() - 1].iter().filter(|r| r.1 < 1.0).count() as f64 / (rows.len() - 1) as f64;
    assert!((active - f(&j["reports"]["guard_active"])).abs() <= 1e-12);
}

#[test]
fn out_refuses_to_overwrite_without_force() {
    let dir = TempDir::new("force");
    let out = dir.path().join("exists.csv");
    let before = "do not overwrite me\n";
    std::fs::write(&out, before).unwrap();
    let r = strat(["run", &ex(), "--out", out.to_str().unwrap()]).fails("--out onto an existing file");
    assert!(r.stderr.contains("exists.csv") && r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), before, "the existing file was modified");
    let r = strat(["run", &ex(), "--json", "--out", out.to_str().unwrap()]).fails("--out onto an existing file, --json");
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), before);

    strat(["run", &ex(), "--out", out.to_str().unwrap(), "--force"]).ok("--out --force");
    let rows = read_daily(&out);
    assert_eq!(rows.len(), 9192 - 59);
    // A failing run (bad --set) with --force leaves the file as it was.
    let written = std::fs::read(&out).unwrap();
    strat(["run", &ex(), "--out", out.to_str().unwrap(), "--force", "--set", "nosuch=1"]).fails("bad --set with --force");
    assert_eq!(std::fs::read(&out).unwrap(), written);
    // --out into a folder that does not exist fails cleanly.
    let missing = dir.path().join("no/such/dir/x.csv");
    let r = strat(["run", &ex(), "--out", missing.to_str().unwrap()]).fails("--out into a missing folder");
    assert!(r.stderr.contains("x.csv"), "{}", r.stderr);
}

#[test]
fn set_overrides_params_and_rejects_unknown_names_and_bad_values() {
    let base = json_of(&["run", &ex(), "--json"]);
    let z3 = json_of(&["run", &ex(), "--json", "--set", "spike_z=3"]);
    assert_ne!(base["metrics"], z3["metrics"], "--set spike_z=3 changes the metrics");
    assert_ne!(base["reports"], z3["reports"]);
    // A stricter spike threshold guards less often.
    assert!(f(&z3["reports"]["guard_active"]) < f(&base["reports"]["guard_active"]));
    // The benchmark does not depend on params.
    assert_eq!(base["benchmark"], z3["benchmark"]);
    // The default value given explicitly changes nothing; nor do units or spaces.
    assert_eq!(json_of(&["run", &ex(), "--json", "--set", "spike_z=2.5"]), base);
    assert_eq!(json_of(&["run", &ex(), "--json", "--set", "spike_z=250%"]), base);
    assert_eq!(json_of(&["run", &ex(), "--json", "--set", "spike_z=3", "--set", "spike_window=60"]), z3);
    // A different window changes the warm-up, hence the bars.
    let w20 = json_of(&["run", &ex(), "--json", "--set", "spike_window=20"]);
    assert_eq!(w20["bars"].as_u64().unwrap(), 9192 - 20);

    let r = strat(["run", &ex(), "--set", "nosuch=1"]).fails("--set nosuch=1");
    assert!(r.stderr.contains("nosuch"), "{}", r.stderr);
    // A name far from every param lists them; a near miss gets a did-you-mean.
    assert!(r.stderr.contains("spike_window") && r.stderr.contains("spike_z"), "the known params are listed: {}", r.stderr);
    let r = strat(["run", &ex(), "--set", "spike_zz=3"]).fails("--set spike_zz=3");
    assert!(r.stderr.contains("did you mean") && r.stderr.contains("spike_z"), "{}", r.stderr);
    let r = strat(["run", &ex(), "--set", "spike_windw=30"]).fails("--set spike_windw=30");
    assert!(r.stderr.contains("did you mean `spike_window`"), "{}", r.stderr);

    let r = strat(["run", &ex(), "--set", "spike_window=2.5"]).fails("--set spike_window=2.5");
    assert!(r.stderr.contains("strat::value::bad_window"), "a coded diagnostic: {}", r.stderr);
    assert!(r.stderr.contains("2.5"), "{}", r.stderr);
    assert!(r.stderr.contains("vix_guard.strat"), "points into the program: {}", r.stderr);
    for bad in ["spike_window=0", "spike_window=-5"] {
        let r = strat(["run", &ex(), "--set", bad]).fails(bad);
        assert!(r.stderr.contains("strat::value::bad_window"), "{bad}: {}", r.stderr);
    }
    for bad in ["spike_z=abc", "spike_z=", "spike_z", "=3", "spike_z=1e999", "spike_z=nan", "spike_z=inf"] {
        strat(["run", &ex(), "--set", bad]).fails(bad);
    }
}

#[test]
fn reference_backend_prints_the_same_json_as_the_jit() {
    let e = ex();
    for set in [None, Some("spike_z=3"), Some("spike_window=20")] {
        let mut args = vec!["run", e.as_str(), "--json"];
        if let Some(s) = set {
            args.extend(["--set", s]);
        }
        let jit = strat(&args).ok("jit");
        args.push("--reference");
        let reference = strat(&args).ok("reference");
        assert_eq!(jit.stdout, reference.stdout, "--reference differs from the JIT with {set:?}");
    }
    // And the table.
    assert_eq!(strat(["run", &ex()]).ok("jit").stdout, strat(["run", &ex(), "--reference"]).ok("ref").stdout);
}

#[test]
fn check_accepts_the_example_and_reports_all_three_mistakes() {
    let r = strat(["check", &ex()]).ok("check example");
    assert!(r.stdout.contains("ok"), "{}", r.stdout);
    strat(["check", &ex(), "--plan"]).ok("check --plan");
    let clif = strat(["check", &ex(), "--clif"]).ok("check --clif");
    assert!(clif.stdout.contains("function"), "CLIF printed:\n{}", clif.stdout);

    let bad = root().join("tests/diagnostics/three_mistakes.strat");
    let r = strat(["check", bad.to_str().unwrap()]).fails("check three_mistakes");
    for code in ["strat::name::unknown_function", "strat::type::window_not_param", "strat::name::unknown_column"] {
        // The code heads its diagnostic on a line of its own (it also appears in the quoted source).
        assert_eq!(r.stderr.lines().filter(|l| l.trim() == code).count(), 1, "{code} once in:\n{}", r.stderr);
    }
    assert!(r.stderr.contains("3 error(s)"), "{}", r.stderr);
    // Each diagnostic points at its line of the file.
    for line in [5, 6, 7] {
        assert!(r.stderr.contains(&format!("three_mistakes.strat:{line}:")), "line {line}:\n{}", r.stderr);
    }
    // `run` on the same file fails the same way, before touching data.
    let r = strat(["run", bad.to_str().unwrap()]).fails("run three_mistakes");
    assert!(r.stderr.contains("strat::name::unknown_column"));

    let r = strat(["check", "/no/such/file.strat"]).fails("check a missing file");
    assert!(r.stderr.contains("/no/such/file.strat"), "{}", r.stderr);
}

/// A copy of the example next to a data file made by `edit` from the bundled CSV's first 300 lines.
fn broken_copy(tag: &str, edit: impl FnOnce(&mut Vec<String>)) -> (TempDir, PathBuf, PathBuf) {
    let dir = TempDir::new(tag);
    std::fs::create_dir_all(dir.path().join("data")).unwrap();
    let strat_file = dir.path().join("vix_guard.strat");
    std::fs::copy(example(), &strat_file).unwrap();
    let csv = dir.path().join("data/spx_vix.csv");
    let mut lines: Vec<String> = std::fs::read_to_string(example_csv()).unwrap().lines().take(300).map(String::from).collect();
    edit(&mut lines);
    std::fs::write(&csv, lines.join("\n") + "\n").unwrap();
    (dir, strat_file, csv)
}

/// Sets field `col` (0 = date) of file line `line` (1-based; the header is line 1).
fn set_cell(lines: &mut [String], line: usize, col: usize, value: &str) {
    let mut cells: Vec<String> = lines[line - 1].split(',').map(String::from).collect();
    cells[col] = value.to_string();
    lines[line - 1] = cells.join(",");
}

#[test]
fn data_errors_name_the_file_the_line_and_the_column() {
    // The unedited 300-line copy runs (so each failure below is the edit's doing).
    let (_d, ok, _) = broken_copy("fine", |_| {});
    strat(["run", ok.to_str().unwrap()]).ok("unbroken copy");

    type Edit = Box<dyn FnOnce(&mut Vec<String>)>;
    let cases: Vec<(&str, Edit, usize, &str)> = vec![
        ("unsorted date", Box::new(|l: &mut Vec<String>| l.swap(100, 101)), 102, "date"),
        (
            "duplicate date",
            Box::new(|l: &mut Vec<String>| {
                let d = l[150].split(',').next().unwrap().to_string();
                set_cell(l, 152, 0, &d);
            }),
            152,
            "date",
        ),
        ("unparsable date", Box::new(|l: &mut Vec<String>| set_cell(l, 40, 0, "1990-02-30")), 40, "date"),
        ("zero price", Box::new(|l: &mut Vec<String>| set_cell(l, 151, 1, "0")), 151, "spx"),
        ("negative price", Box::new(|l: &mut Vec<String>| set_cell(l, 200, 1, "-359.69")), 200, "spx"),
        ("empty price", Box::new(|l: &mut Vec<String>| set_cell(l, 180, 1, "")), 180, "spx"),
        // Before the warm-up ends: the price is still required (it is traded from the data's start).
        ("empty price in the warm-up", Box::new(|l: &mut Vec<String>| set_cell(l, 6, 1, "")), 6, "spx"),
        ("empty price on the last line", Box::new(|l: &mut Vec<String>| set_cell(l, 300, 1, "")), 300, "spx"),
        ("unparsable price", Box::new(|l: &mut Vec<String>| set_cell(l, 77, 1, "12;5")), 77, "spx"),
        ("unparsable vix", Box::new(|l: &mut Vec<String>| set_cell(l, 88, 2, "abc")), 88, "vix"),
    ];
    for (what, edit, line, col) in cases {
        let (_dir, file, csv) = broken_copy(&what.replace(' ', "-"), edit);
        for args in [vec!["run", file.to_str().unwrap()], vec!["run", file.to_str().unwrap(), "--json"]] {
            let r = strat(&args).fails(what);
            let e = &r.stderr;
            assert!(e.contains(csv.to_str().unwrap()), "{what}: the file {} is not named:\n{e}", csv.display());
            assert!(e.contains(&format!("spx_vix.csv:{line}:")), "{what}: line {line} is not named:\n{e}");
            assert!(e.contains(&format!("column '{col}'")), "{what}: column {col} is not named:\n{e}");
        }
    }

    // A missing file: the .strat file and the line of its `data` statement, and the missing path.
    let dir = TempDir::new("missing");
    let file = dir.path().join("vix_guard.strat");
    std::fs::copy(example(), &file).unwrap();
    for sub in ["run", "check"] {
        let r = strat([sub, file.to_str().unwrap()]).fails("missing data file");
        let e = &r.stderr;
        assert!(e.contains("vix_guard.strat:3:"), "the data statement's line:\n{e}");
        assert!(e.contains(dir.path().join("data/spx_vix.csv").to_str().unwrap()), "the missing path:\n{e}");
        assert!(e.contains("strat::data::"), "{e}");
    }
    // A missing column (the file lacks `vix`).
    let (_d, file, _) = broken_copy("nocol", |l| {
        for x in l.iter_mut() {
            *x = x.rsplit_once(',').unwrap().0.to_string();
        }
    });
    let r = strat(["run", file.to_str().unwrap()]).fails("missing column");
    assert!(r.stderr.contains("vix") && r.stderr.contains("vix_guard.strat:"), "{}", r.stderr);
}

#[test]
fn bench_reports_figures() {
    let r = strat(["bench", &ex(), "--iterations", "1", "--json"]).ok("bench");
    let j: Value = serde_json::from_str(r.stdout.trim()).unwrap();
    for k in ["compile_s", "load_s", "run_jit_s", "run_reference_s"] {
        assert!(f(&j[k]) > 0.0, "{k}: {j}");
    }
    assert_eq!(j["bars"], 9192);
}

#[test]
fn run_warns_about_a_binding_a_sweep_would_skip_or_ignore() {
    let dir = TempDir::new("binding-warnings");
    let file = dir.join("cross.strat");
    let data = root().join("examples/data/spx_vix.csv");
    std::fs::write(
        &file,
        format!(
            "data mkt = csv(\"{}\")\nparam fast in [10, 20]\nparam slow in [50, 100]\nwhere fast < slow\n\
             param mode in [plain, scaled]\nparam scale in [0.5, 0.8] when mode == scaled\n\
             let w = if sma(mkt.spx, fast) > sma(mkt.spx, slow) then 1 else 0\n\
             hold mkt.spx weight if mode == scaled then scale * w else w\n",
            data.display()
        ),
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let clean = strat(["run", f]).ok("defaults");
    // Warnings print through miette: the code, then `⚠ MESSAGE`.
    assert!(!clean.stderr.contains('⚠'), "{}", clean.stderr);
    let r = strat(["run", f, "--set", "fast=100", "--set", "slow=50", "--set", "scale=0.8"]).ok("a binding outside the grid still runs");
    assert!(r.stderr.contains("strat::param::binding"), "{}", r.stderr);
    assert!(r.stderr.contains("⚠ this binding fails `where fast < slow`: a sweep skips it"), "{}", r.stderr);
    assert!(r.stderr.contains("param `scale` is set, but its `when mode == scaled` is false"), "{}", r.stderr);
    let ok = strat(["run", f, "--set", "mode=scaled", "--set", "scale=0.8"]).ok("scaled");
    assert!(!ok.stderr.contains('⚠'), "{}", ok.stderr);
}

/// The `strat` executable is linked at a fixed address (`build.rs`: `-no-pie`), so the dynamic
/// loader has almost no relocations to apply before `main`: as a position-independent
/// executable it applied about 83,000, which wrote 1.8 MB of pages on every start (about a sixth
/// of a short `strat run`'s CPU time). Reads the ELF header's `e_type` (offset 16): 2 is a
/// fixed-address executable, 3 a position-independent one.
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
#[test]
fn the_executable_is_linked_at_a_fixed_address() {
    let bytes = std::fs::read(env!("CARGO_BIN_EXE_strat")).expect("the strat binary reads");
    assert_eq!(&bytes[..4], b"\x7fELF", "not an ELF file");
    let e_type = u16::from_le_bytes([bytes[16], bytes[17]]);
    assert_eq!(e_type, 2, "e_type {e_type}: the executable is position-independent (3) instead of fixed-address (2); see build.rs");
}
