//! Cross-check of the path-dependent portfolio stage (issue 11; SEMANTICS.md §3 costs, §3b own
//! path and kill switches) against an independent pure-stdlib Python reference written from
//! SEMANTICS.md and the programs only: `tests/reference/portfolio_ref.py`.
//!
//! Every case writes a .strat program into a temp dir (data paths absolute), runs
//! `strat run FILE --json --out x.csv` with the JIT and with `--reference`, and the Python
//! reference with the same program in its own option syntax. Checked, to 1e-12 absolute or 1e-9
//! relative (`null` = NaN must match `null`):
//!
//! * JSON: `strategy`, `bars`, `start`, `end`, `ruin_date`, every metric and benchmark metric,
//!   `information_ratio`, `avg_turnover`, `cost_drag`, `kill_switches` (`name`, `active_share`,
//!   `trips`, `first_trip`) and every report;
//! * `--out` per row (rows t0 .. T-1): `return`, `equity`, `turnover`, `cost`, one `kill_NAME` per
//!   switch, and `weight` (the gross exposure sum_j |w'[t, j]|) when the file has that column,
//!   the per-asset `weight_ASSET` of a universe hold, the `weight_SLEEVE` of an ensemble;
//! * the JIT and the reference evaluator agree bit for bit (the JSON numbers by their f64 bits, the
//!   `--out` files byte for byte);
//! * a sweep over a kill threshold (`param dd in [-10%, -15%, -20%]`, `own.drawdown < dd`) and the
//!   regime ensemble's sweep with `cost 10bps`: each row equals `strat run --set ...` bit for bit,
//!   the `--reference` sweep equals the JIT sweep, and the rows match the Python reference;
//! * walk-forward (`--train 5y --test 1y --by sharpe`, and 3y on the cut) over the kill threshold
//!   and over the 729 ensemble bindings with `cost 10bps`: folds, chosen bindings, in- and
//!   out-of-sample Sharpe and the stitched metrics against the reference (net returns; each
//!   binding's switch on its own full path).
//!
//! Cases: the VIX guard with the ARES7 kill switch (bundled data; 2007-2009), a lower drawdown
//! threshold, two switches (smallest scale applies), no switch; the regime ensemble with
//! `cost 10bps` (per-asset combined weights, qm and lowvol netting on `stocks`) for four bindings,
//! with a kill switch, and on the 2001-2009 cut; a top-momentum hold on stocks with a per-asset
//! rate expression `clamp(2bps + 0.5 * std(ret(stocks), 60) * sqrt(own.trade), 1bps, 50bps)`
//! (monthly, daily with a kill switch), with the `impact` model on real volumes
//! (`capital 10000000`; the 12-stock cut under tests/reference/data and the 49-stock panel of
//! examples/data), and a rate that is NaN on a traded bar (`strat::run::bad_cost_rate`); own
//! values in reports without a switch; a cost rate whose warm-up is later than the weight's.
//!
//! Needs `python3` on PATH (or the interpreter named by `$PYTHON`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::compare::{bit_equal, Cmp, ABS_TOL};
use common::{python, root, run_json, TempDir};

const ARES7: &str = "crash;dd<-15%|day<-5%|vix>70;vix<25;50%";
/// The same with a drawdown threshold that trips more often on the bundled data.
const ARES7_DD8: &str = "crash;dd<-8%|day<-5%|vix>70;vix<25;50%";
/// A second switch with a smaller scale.
const DEEP: &str = "deep;dd<-10%;vix<20;25%";

const RATE_EXPR: &str = "clamp(2bps + 0.5 * std(ret(stocks), 60) * sqrt(own.trade), 1bps, 50bps)";
const IMPACT: &str = "impact(volume = vol, close = px, base = 2bps, vol_coeff = 1.0, adv_coeff = 5.0, min = 1bps, max = 50bps)";

// --------------------------------------------------------------------------
// helpers
// --------------------------------------------------------------------------

fn abs_path(p: &Path) -> String {
    let s = p.canonicalize().unwrap_or_else(|e| panic!("canonicalize {}: {e}", p.display())).to_string_lossy().replace('\\', "/");
    assert!(!s.contains('"'), "path contains a quote: {s}");
    s
}

fn data(name: &str) -> String {
    abs_path(&root().join("examples/data").join(name))
}

fn test_data(name: &str) -> String {
    abs_path(&root().join("tests/reference/data").join(name))
}

/// `examples/NAME` with every `csv("data/` pointing at examples/data (absolute).
fn example_text(name: &str) -> String {
    let text = std::fs::read_to_string(root().join("examples").join(name)).unwrap_or_else(|e| panic!("read examples/{name}: {e}"));
    assert!(text.contains("csv(\"data/"), "examples/{name} no longer reads csv(\"data/...\"); update this test");
    let dir = abs_path(&root().join("examples/data"));
    text.replace("csv(\"data/", &format!("csv(\"{dir}/"))
}

/// `replace` that insists the text contains `from`.
fn must_replace(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "program no longer contains {from:?}; update this test");
    text.replace(from, to)
}

/// A kill spec of the reference (`NAME;TRIP;RELEASE;SCALE`, atoms `VAR OP VALUE` joined by `|`)
/// as a `kill` statement.
fn kill_stmt(spec: &str) -> String {
    let parts: Vec<&str> = spec.split(';').collect();
    assert_eq!(parts.len(), 4, "kill spec {spec}");
    let cond = |s: &str| -> String {
        s.split('|')
            .map(|atom| {
                let op = ["<=", ">=", "<", ">"].into_iter().find(|op| atom.contains(op)).unwrap_or_else(|| panic!("atom {atom}"));
                let (var, val) = atom.split_once(op).unwrap();
                let var = match var.trim() {
                    "dd" => "own.drawdown",
                    "day" => "own.day_return",
                    "eq" => "own.equity",
                    "vix" => "mkt.vix",
                    "spx" => "mkt.spx",
                    other => panic!("kill spec variable {other}"),
                };
                format!("{var} {op} {}", val.trim())
            })
            .collect::<Vec<_>>()
            .join(" or ")
    };
    format!("kill {} when {}\n     release when {}\n     scale {}\n", parts[0], cond(parts[1]), cond(parts[2]), parts[3])
}

fn kill_name(spec: &str) -> String {
    spec.split(';').next().unwrap().to_string()
}

/// The kill statements and, with `report_own`, `report NAME_on = NAME` per switch and
/// `report own_dd = own.drawdown`, `report own_eq = own.equity` (the reference's `--report-own`).
fn kill_block(kills: &[&str], report_own: bool) -> String {
    let mut s = String::new();
    for k in kills {
        s.push_str(&kill_stmt(k));
    }
    if report_own {
        for k in kills {
            let n = kill_name(k);
            s.push_str(&format!("report {n}_on = {n}\n"));
        }
        s.push_str("report own_dd = own.drawdown\nreport own_eq = own.equity\n");
    }
    s
}

fn py_args_kills(kills: &[&str], report_own: bool) -> Vec<String> {
    let mut v = Vec::new();
    for k in kills {
        v.push("--kill".to_string());
        v.push(k.to_string());
    }
    if report_own {
        v.push("--report-own".to_string());
    }
    v
}

fn strat_cmd(sub: &str, file: &Path, extra: &[String]) -> (Command, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg(sub).arg(file).args(extra);
    let what = format!("strat {sub} {} {}", file.display(), extra.join(" "));
    (cmd, what)
}

fn python_ref(args: &[String]) -> Value {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/reference/portfolio_ref.py")).args(args);
    run_json(cmd, &format!("python3 portfolio_ref.py {}", args.join(" ")))
}

/// A parsed `--out` CSV: header and rows of fields.
struct Csv {
    text: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read_out(path: &Path) -> Csv {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap_or("").split(',').map(|s| s.trim().to_string()).collect();
    let rows = lines.filter(|l| !l.trim().is_empty()).map(|l| l.split(',').map(|s| s.trim().to_string()).collect()).collect();
    Csv { text, header, rows }
}

/// The portfolio checks on top of the shared comparison ([`Cmp`]).
trait PortfolioCmp {
    fn kill_switches(&mut self, path: &str, strat: &Value, refv: &Value);
    fn run_json(&mut self, strat: &Value, refv: &Value);
    fn out_rows(&mut self, csv: &Csv, refv: &Value, kills: &[String]);
}

impl PortfolioCmp for Cmp {
    fn kill_switches(&mut self, path: &str, strat: &Value, refv: &Value) {
        let r = refv.as_array().expect("reference kill_switches");
        let s = match strat.as_array() {
            Some(s) => s.clone(),
            None if strat.is_null() && r.is_empty() => Vec::new(),
            None => {
                self.errors.push(format!("{path}: strat {strat} vs reference {refv}"));
                return;
            }
        };
        if s.len() != r.len() {
            self.errors.push(format!("{path}: strat {} switches vs reference {}: {strat} vs {refv}", s.len(), r.len()));
            return;
        }
        for rk in r {
            let name = rk["name"].as_str().unwrap();
            let Some(sk) = s.iter().find(|k| k["name"].as_str() == Some(name)) else {
                self.errors.push(format!("{path}: no switch {name:?} in {strat}"));
                continue;
            };
            let p = format!("{path}.{name}");
            self.num(&format!("{p}.active_share"), sk.get("active_share"), rk.get("active_share"));
            self.eq(&format!("{p}.trips"), sk.get("trips"), rk.get("trips"));
            self.eq(&format!("{p}.first_trip"), sk.get("first_trip"), rk.get("first_trip"));
        }
    }

    /// The whole `strat run --json` against the reference.
    fn run_json(&mut self, strat: &Value, refv: &Value) {
        for key in ["strategy", "bars", "start", "end", "ruin_date"] {
            self.eq(key, strat.get(key), refv.get(key));
        }
        self.metrics("metrics", &strat["metrics"], &refv["metrics"], &[]);
        if refv["benchmark"].is_null() {
            if !strat["benchmark"].is_null() {
                self.errors.push(format!("benchmark: strat {} vs reference none", strat["benchmark"]));
            }
        } else {
            self.metrics("benchmark", &strat["benchmark"], &refv["benchmark"], &[]);
        }
        self.num("information_ratio", strat.get("information_ratio"), refv.get("information_ratio"));
        self.num("avg_turnover", strat.get("avg_turnover"), refv.get("avg_turnover"));
        self.num("cost_drag", strat.get("cost_drag"), refv.get("cost_drag"));
        self.kill_switches("kill_switches", &strat["kill_switches"], &refv["kill_switches"]);
        self.reports("reports", &strat["reports"], &refv["reports"]);
    }

    /// The `--out` rows against the reference's per-row columns.
    fn out_rows(&mut self, csv: &Csv, refv: &Value, kills: &[String]) {
        let rr = &refv["rows"];
        let dates = rr["date"].as_array().expect("reference rows.date");
        if csv.rows.len() != dates.len() {
            self.errors.push(format!(
                "--out: {} rows ({} .. {}) vs reference {} rows ({} .. {})",
                csv.rows.len(),
                csv.rows.first().map(|r| r[0].as_str()).unwrap_or("-"),
                csv.rows.last().map(|r| r[0].as_str()).unwrap_or("-"),
                dates.len(),
                dates.first().and_then(Value::as_str).unwrap_or("-"),
                dates.last().and_then(Value::as_str).unwrap_or("-")
            ));
            return;
        }
        let mut cols: Vec<String> = ["return", "equity", "turnover", "cost"].iter().map(|s| s.to_string()).collect();
        cols.extend(kills.iter().map(|k| format!("kill_{k}")));
        // the gross exposure `weight` when the file has it (a single-series hold); the per-asset
        // `weight_ASSET` columns of a universe hold (the reference has them for the stocks books),
        // the `weight_SLEEVE` columns of an ensemble (allocation times the switches' scale)
        if csv.header.iter().any(|h| h == "weight") {
            cols.push("weight".to_string());
        }
        if let Some(obj) = rr.as_object() {
            cols.extend(obj.keys().filter(|k| k.starts_with("weight_")).cloned());
        }
        if !cols.iter().any(|c| c.starts_with("weight")) {
            eprintln!("note: --out weights not compared (header {:?})", csv.header);
        }
        let mut shown = 0;
        for col in &cols {
            let Some(ci) = csv.header.iter().position(|h| h == col) else {
                self.errors.push(format!("--out: no column {col:?} (header {:?})", csv.header));
                continue;
            };
            let refcol = rr[col.as_str()].as_array().unwrap_or_else(|| panic!("reference rows.{col}"));
            let mut bad = 0usize;
            for (i, row) in csv.rows.iter().enumerate() {
                if row[0] != dates[i].as_str().unwrap() {
                    self.errors.push(format!("--out row {i}: date {} vs reference {}", row[0], dates[i]));
                    return;
                }
                let field = row.get(ci).map(String::as_str).unwrap_or("");
                let a = match field {
                    "" => f64::NAN,
                    "true" => 1.0,
                    "false" => 0.0,
                    s => s.parse::<f64>().unwrap_or_else(|_| panic!("--out row {i} column {col}: {s:?}")),
                };
                let b = refcol[i].as_f64().unwrap_or(f64::NAN);
                self.numbers += 1;
                let same = (a.is_nan() && b.is_nan()) || (!a.is_nan() && !b.is_nan() && Self::close(a, b));
                if !same {
                    bad += 1;
                    if shown < 12 {
                        shown += 1;
                        self.errors.push(format!("--out row {i} ({}) {col}: strat {a:?} vs reference {b:?}", row[0]));
                    }
                } else if !a.is_nan() {
                    let diff = (a - b).abs();
                    if diff > ABS_TOL && a.abs().max(b.abs()) > 0.0 {
                        self.max_rel = self.max_rel.max(diff / a.abs().max(b.abs()));
                    }
                }
            }
            if bad > 0 {
                self.errors.push(format!("--out column {col}: {bad} of {} rows differ", csv.rows.len()));
            }
        }
    }
}

// --------------------------------------------------------------------------
// one case
// --------------------------------------------------------------------------

struct Case {
    label: String,
    /// the .strat source
    text: String,
    /// `--set NAME=VALUE` for strat
    sets: Vec<(String, String)>,
    /// arguments of portfolio_ref.py (without --rows)
    py: Vec<String>,
    /// kill switch names (the `kill_NAME` columns)
    kills: Vec<String>,
}

/// Runs `strat run FILE --json --out OUT` (JIT or --reference); returns the JSON and the CSV.
fn strat_run(dir: &Path, file: &Path, sets: &[(String, String)], reference: bool, tag: &str) -> (Value, Csv) {
    let out = dir.join(format!("{tag}.csv"));
    let mut extra = vec!["--json".to_string(), "--out".to_string(), out.to_string_lossy().to_string()];
    for (k, v) in sets {
        extra.push("--set".to_string());
        extra.push(format!("{k}={v}"));
    }
    if reference {
        extra.push("--reference".to_string());
    }
    let (cmd, what) = strat_cmd("run", file, &extra);
    let json = run_json(cmd, &what);
    (json, read_out(&out))
}

fn write_program(tag: &str, text: &str) -> (TempDir, PathBuf) {
    let dir = TempDir::new(tag);
    let file = dir.join(format!("{tag}.strat"));
    std::fs::write(&file, text).expect("write temp .strat");
    (dir, file)
}

/// JIT vs reference evaluator bit for bit (JSON and --out bytes).
fn assert_backends_equal(label: &str, jit: &(Value, Csv), interp: &(Value, Csv)) {
    assert!(bit_equal(&jit.0, &interp.0), "{label}: JIT and --reference JSON differ:\njit:       {}\nreference: {}", jit.0, interp.0);
    if jit.1.text != interp.1.text {
        let first = jit.1.text.lines().zip(interp.1.text.lines()).enumerate().find(|(_, (a, b))| a != b);
        panic!("{label}: JIT and --reference --out files differ; first differing line: {first:?}");
    }
}

fn check(case: &Case) -> Value {
    let label = &case.label;
    let tag: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let (dir, file) = write_program(&tag, &case.text);
    let mut py = case.py.clone();
    py.push("--rows".to_string());
    let refv = python_ref(&py);
    let jit = strat_run(&dir, &file, &case.sets, false, "jit");
    let interp = strat_run(&dir, &file, &case.sets, true, "interp");

    let mut c = Cmp::default();
    c.run_json(&jit.0, &refv);
    c.out_rows(&jit.1, &refv, &case.kills);
    if !c.errors.is_empty() {
        eprintln!("{label}: program:\n{}\nreference args: {}", case.text, py.join(" "));
    }
    c.finish(label);
    assert_backends_equal(label, &jit, &interp);
    eprintln!(
        "{label}: sharpe {} avg_turnover {} cost_drag {} kill_switches {}",
        refv["metrics"]["sharpe"], refv["avg_turnover"], refv["cost_drag"], refv["kill_switches"]
    );
    refv
}

// --------------------------------------------------------------------------
// VIX guard with kill switches
// --------------------------------------------------------------------------

/// The VIX guard (examples/vix_guard.strat) with `kills` appended; `csv`: a file under
/// tests/reference/data instead of the bundled spx_vix.csv; `cost`: a flat rate in bps instead of
/// 2bps, or `wN`: the rate expression `clamp(2bps + 0.5 * std(ret(mkt.spx), N) * sqrt(own.trade),
/// 1bps, 50bps)`; `report_own`: the own-value reports.
fn vix_guard_case(label: &str, csv: Option<&str>, kills: &[&str], cost: Option<&str>, report_own: bool) -> Case {
    let mut text = example_text("vix_guard.strat");
    let data_path = match csv {
        Some(name) => {
            let p = test_data(name);
            text = must_replace(&text, &format!("csv(\"{}\")", data("spx_vix.csv")), &format!("csv(\"{p}\")"));
            p
        }
        None => data("spx_vix.csv"),
    };
    let mut py = vec!["vix_guard".to_string(), data_path];
    match cost {
        Some(w) if w.starts_with('w') => {
            let n = &w[1..];
            text = must_replace(&text, "cost 2bps", &format!("cost clamp(2bps + 0.5 * std(ret(mkt.spx), {n}) * sqrt(own.trade), 1bps, 50bps)"));
            py.extend(["--rate-window".to_string(), n.to_string()]);
        }
        Some(bps) => {
            text = must_replace(&text, "cost 2bps", &format!("cost {bps}bps"));
            py.extend(["--cost-bps".to_string(), bps.to_string()]);
        }
        None => {}
    }
    text.push_str(&kill_block(kills, report_own));
    py.extend(py_args_kills(kills, report_own));
    Case { label: label.to_string(), text, sets: Vec::new(), py, kills: kills.iter().map(|k| kill_name(k)).collect() }
}

#[test]
fn vix_guard_ares7_kill_switch() {
    let r = check(&vix_guard_case("vix guard + ARES7 kill", None, &[ARES7], None, true));
    assert!(r["kill_switches"][0]["trips"].as_u64().unwrap() > 0, "the ARES7 switch should trip on the bundled data: {}", r["kill_switches"]);
}

#[test]
fn vix_guard_kill_dd8_trips() {
    let r = check(&vix_guard_case("vix guard + kill at -8%", None, &[ARES7_DD8], None, true));
    assert!(r["kill_switches"][0]["trips"].as_u64().unwrap() > 0, "the -8% switch should trip: {}", r["kill_switches"]);
}

#[test]
fn vix_guard_two_switches_smallest_scale() {
    let r = check(&vix_guard_case("vix guard + two switches", None, &[ARES7, DEEP], None, true));
    for k in r["kill_switches"].as_array().unwrap() {
        assert!(k["trips"].as_u64().unwrap() > 0, "both switches should trip: {}", r["kill_switches"]);
    }
}

#[test]
fn vix_guard_no_switch_costs_columns() {
    check(&vix_guard_case("vix guard, cost 2bps, no switch", None, &[], None, false));
}

/// Own values in reports of a program without a kill switch (SEMANTICS §3b: own values may
/// appear in reports): `report own_dd = own.drawdown`, `report own_eq = own.equity`.
#[test]
fn own_values_in_reports_without_switch() {
    check(&vix_guard_case("vix guard, own-value reports, no switch", None, &[], None, true));
}

/// A cost rate expression on the index's own volatility: std(ret(mkt.spx), 100) is defined from
/// row 100, later than the guard's row 59, so the book is live from row 100 (SEMANTICS §3b: a
/// cost model's inputs extend the weight's warm-up); with a 30-row window the guard's row 59 stays.
#[test]
fn vix_guard_rate_expression_extends_warm_up() {
    check(&vix_guard_case("vix guard, rate std(ret, 100)", None, &[ARES7], Some("w100"), true));
}

#[test]
fn vix_guard_rate_expression_within_warm_up() {
    check(&vix_guard_case("vix guard, rate std(ret, 30)", None, &[ARES7], Some("w30"), true));
}

// 2007-2009: VIX above 70 in October-November 2008; a 10bps cost
#[test]
fn vix_guard_ares7_2007_2009() {
    let r = check(&vix_guard_case("vix guard + ARES7 kill 2007-2009", Some("spx_vix_2007_2009.csv"), &[ARES7], Some("10"), true));
    assert!(r["kill_switches"][0]["trips"].as_u64().unwrap() > 0);
}

/// The ARES7 switch on the other cuts of tests/reference/data: 2019Q4-2020 (VIX above 70 in
/// March 2020), SPY with the VIX high 1997-2003, and the synthetic edge file (NaN VIX rows inside
/// the live window: NaN comparisons are false for the trip and the release alike).
#[test]
fn vix_guard_ares7_other_data() {
    for (file, cost) in [("spx_vix_2019q4_2020.csv", None), ("spy_adj_vix_high_1997_2003.csv", Some("10")), ("spx_vix_2008_edge_synthetic.csv", None)] {
        check(&vix_guard_case(&format!("vix guard + ARES7 + two switches on {file}"), Some(file), &[ARES7, DEEP], cost, true));
    }
}

/// Ruin in the portfolio stage (SEMANTICS §3b): the guard levered 15x on 2007-2009 loses more
/// than everything on 2008-09-29; from that row the book is closed (weights 0, the closing trade
/// counted in turnover but not charged, later returns 0, equity stays where it is), `ruin_date`
/// is that date and `cagr = -1`. A switch that never trips keeps the own path on, so the reports
/// of own values read E (which stays at its ruin value) and D after the ruin too.
#[test]
fn ruin_in_the_portfolio_stage() {
    let mut case = vix_guard_case("vix guard x15 ruin 2007-2009", Some("spx_vix_2007_2009.csv"), &["never;vix>1000;vix<25;50%"], None, true);
    case.text = must_replace(&case.text, "hold mkt.spx weight exposure", "hold mkt.spx weight 15 * exposure");
    case.py.extend(["--leverage".to_string(), "15".to_string()]);
    let r = check(&case);
    assert_eq!(r["ruin_date"], "2008-09-29", "{}", r["ruin_date"]);
}

// --------------------------------------------------------------------------
// kill threshold sweep == single runs
// --------------------------------------------------------------------------

const SWEEP_KEYS: [&str; 7] = ["bars", "metrics", "information_ratio", "reports", "avg_turnover", "cost_drag", "kill_switches"];

/// `strat run --set` must equal the sweep row bit for bit on every key both have (at least
/// bars, metrics, reports, avg_turnover).
fn assert_run_equals_row(label: &str, run: &Value, row: &Value) {
    for key in SWEEP_KEYS {
        let (a, b) = (&run[key], &row[key]);
        if b.is_null() && !matches!(key, "bars" | "metrics" | "reports" | "avg_turnover") {
            if !a.is_null() {
                eprintln!("{label}: the sweep row has no `{key}` (run: {a})");
            }
            continue;
        }
        assert!(bit_equal(a, b), "{label}: `strat run` {key} differs from the sweep row:\nrun:   {a}\nsweep: {b}");
    }
}

#[test]
fn kill_threshold_sweep_equals_single_runs() {
    let mut text = example_text("vix_guard.strat");
    text.push_str("param dd in [-10%, -15%, -20%]\n");
    text.push_str("kill crash when own.drawdown < dd or own.day_return < -5% or mkt.vix > 70\n     release when mkt.vix < 25\n     scale 50%\n");
    text.push_str("report crash_on = crash\nreport own_dd = own.drawdown\nreport own_eq = own.equity\n");
    let (dir, file) = write_program("kill_sweep", &text);
    let quiet = ["--json".to_string(), "--quiet".to_string()];
    let (cmd, what) = strat_cmd("sweep", &file, &quiet);
    let sweep = run_json(cmd, &what);
    let mut q2 = quiet.to_vec();
    q2.push("--reference".to_string());
    let (cmd, what) = strat_cmd("sweep", &file, &q2);
    let sweep_ref = run_json(cmd, &what);
    assert!(bit_equal(&sweep["rows"], &sweep_ref["rows"]), "kill sweep: JIT and --reference sweeps differ:\n{}\n{}", sweep["rows"], sweep_ref["rows"]);
    let rows = sweep["rows"].as_array().expect("sweep rows");
    assert_eq!(rows.len(), 3, "kill sweep: rows {}", sweep["rows"]);
    let mut shares = Vec::new();
    for (lit, val) in [("-10%", -0.1f64), ("-15%", -0.15), ("-20%", -0.2)] {
        let row = rows
            .iter()
            .find(|r| r["params"]["dd"].as_f64().map(f64::to_bits) == Some(val.to_bits()))
            .unwrap_or_else(|| panic!("kill sweep: no row with dd = {val}: {}", sweep["rows"]));
        let sets = vec![("dd".to_string(), lit.to_string())];
        let jit = strat_run(&dir, &file, &sets, false, &format!("jit{val}"));
        let interp = strat_run(&dir, &file, &sets, true, &format!("interp{val}"));
        let l = format!("kill sweep dd={lit}");
        assert_backends_equal(&l, &jit, &interp);
        assert_run_equals_row(&l, &jit.0, row);
        let spec = format!("crash;dd<{lit}|day<-5%|vix>70;vix<25;50%");
        let mut py = vec!["vix_guard".to_string(), data("spx_vix.csv")];
        py.extend(py_args_kills(&[&spec], true));
        py.push("--rows".to_string());
        let refv = python_ref(&py);
        let mut c = Cmp::default();
        c.run_json(&jit.0, &refv);
        c.out_rows(&jit.1, &refv, &["crash".to_string()]);
        c.finish(&l);
        shares.push(refv["kill_switches"][0]["active_share"].as_f64().unwrap());
    }
    assert!(shares[0] > shares[2], "a tighter threshold should be active more often: {shares:?}");
}

/// Walk-forward (`--train 5y --test 1y --by sharpe`) over the kill threshold: each binding's
/// switch runs on its own full net path (SEMANTICS §3b), the folds choose on net Sharpe and
/// stitch the chosen binding's own net returns; folds (train, test, binding, params, bars, in-
/// and out-of-sample Sharpe), the stitched metrics, bars, start and end against the reference,
/// and `--reference` equal to the JIT bit for bit.
#[test]
fn kill_threshold_walk_forward() {
    let mut text = example_text("vix_guard.strat");
    text.push_str("param dd in [-10%, -15%, -20%]\n");
    text.push_str("kill crash when own.drawdown < dd or own.day_return < -5% or mkt.vix > 70\n     release when mkt.vix < 25\n     scale 50%\n");
    text.push_str("report crash_on = crash\n");
    let (_dir, file) = write_program("kill_wf", &text);
    let args: Vec<String> = ["--train", "5y", "--test", "1y", "--by", "sharpe", "--json"].iter().map(|s| s.to_string()).collect();
    let (cmd, what) = strat_cmd("walk-forward", &file, &args);
    let wf = run_json(cmd, &what);
    let mut a2 = args.clone();
    a2.push("--reference".to_string());
    let (cmd, what) = strat_cmd("walk-forward", &file, &a2);
    let wf_ref = run_json(cmd, &what);
    assert!(bit_equal(&wf, &wf_ref), "kill walk-forward: JIT and --reference differ:\n{wf}\n{wf_ref}");
    let py: Vec<String> = [
        "vix_guard",
        &data("spx_vix.csv"),
        "--kill-grid",
        "crash;dd<{}|day<-5%|vix>70;vix<25;50%",
        "--grid",
        "-10%,-15%,-20%",
        "--walk-forward",
        "--train",
        "5",
        "--test",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let refv = python_ref(&py);
    let rw = &refv["walk_forward"];
    let sf = wf["folds"].as_array().expect("walk-forward folds");
    let rf = rw["folds"].as_array().expect("reference folds");
    assert_eq!(sf.len(), rf.len(), "number of folds: strat {} vs reference {}", wf["folds"], rw["folds"]);
    let dds = [-0.1f64, -0.15, -0.2];
    let mut c = Cmp::default();
    for (k, (s, r)) in sf.iter().zip(rf).enumerate() {
        let p = format!("fold {k} (test {})", r["test"]);
        for key in ["train", "test", "binding", "bars"] {
            c.eq(&format!("{p}.{key}"), s.get(key), r.get(key));
        }
        let b = r["binding"].as_u64().unwrap() as usize;
        if s["params"]["dd"].as_f64().map(f64::to_bits) != Some(dds[b].to_bits()) {
            c.errors.push(format!("{p}.params: strat {} vs reference dd = {}", s["params"], dds[b]));
        }
        c.num(&format!("{p}.in_sample"), s.get("in_sample"), r.get("in_sample"));
        c.num(&format!("{p}.out_of_sample"), s.get("out_of_sample"), r.get("out_of_sample"));
    }
    for key in ["bars", "start", "end"] {
        c.eq(&format!("walk_forward.{key}"), wf.get(key), rw.get(key));
    }
    c.metrics("walk_forward.out_of_sample", &wf["out_of_sample"], &rw["out_of_sample"], &[]);
    c.finish("kill walk-forward");
    let chosen: std::collections::BTreeSet<u64> = rf.iter().map(|f| f["binding"].as_u64().unwrap()).collect();
    eprintln!("kill walk-forward: {} folds, bindings chosen {chosen:?}", rf.len());
}

// --------------------------------------------------------------------------
// regime ensemble with cost 10bps
// --------------------------------------------------------------------------

const ENSEMBLE_PARAMS: [(&str, [&str; 3]); 6] = [
    ("bull_qm", ["0.6", "0.7", "0.8"]),
    ("bull_lowvol", ["0.2", "0.3", "0.4"]),
    ("bear_lowvol", ["0.4", "0.5", "0.6"]),
    ("bear_defensive", ["0.4", "0.5", "0.6"]),
    ("hv_defensive", ["0.7", "0.8", "0.9"]),
    ("hv_lowvol", ["0.1", "0.2", "0.3"]),
];

/// The params of grid index `i` (first key outermost).
fn ensemble_binding(i: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rem = i;
    for (name, vals) in ENSEMBLE_PARAMS.iter().rev() {
        out.push((name.to_string(), vals[rem % 3].to_string()));
        rem /= 3;
    }
    assert_eq!(rem, 0, "binding {i} out of range");
    out.reverse();
    out
}

fn ensemble_case(label: &str, binding: usize, kills: &[&str], cut: bool) -> Case {
    let mut text = example_text("regime_ensemble.strat");
    let mut py = vec!["ensemble".to_string(), "--cost-bps".to_string(), "10".to_string()];
    if cut {
        for (name, cut_name, flag) in [
            ("spx_vix.csv", "ensemble_mkt_2001_2009.csv", "--mkt"),
            ("stocks_adj_close.csv", "ensemble_stocks_2001_2009.csv", "--stocks"),
            ("etf_adj_close.csv", "ensemble_safe_2001_2009.csv", "--safe"),
        ] {
            let p = test_data(cut_name);
            text = must_replace(&text, &format!("csv(\"{}\"", data(name)), &format!("csv(\"{p}\""));
            py.extend([flag.to_string(), p]);
        }
    } else {
        py.extend([
            "--mkt".to_string(),
            data("spx_vix.csv"),
            "--stocks".to_string(),
            data("stocks_adj_close.csv"),
            "--safe".to_string(),
            data("etf_adj_close.csv"),
        ]);
    }
    text.push_str("cost 10bps\n");
    text.push_str(&kill_block(kills, !kills.is_empty()));
    py.extend(py_args_kills(kills, !kills.is_empty()));
    let sets = if binding == 0 { Vec::new() } else { ensemble_binding(binding) };
    for (k, v) in &sets {
        py.extend(["--set".to_string(), format!("{k}={v}")]);
    }
    Case { label: label.to_string(), text, sets, py, kills: kills.iter().map(|k| kill_name(k)).collect() }
}

#[test]
fn ensemble_cost_10bps_defaults() {
    check(&ensemble_case("ensemble cost 10bps (defaults)", 0, &[], false));
}

#[test]
fn ensemble_cost_10bps_bindings() {
    for b in [364, 500, 728] {
        check(&ensemble_case(&format!("ensemble cost 10bps binding {b}"), b, &[], false));
    }
}

/// lowvol reads its stocks through a second declaration: of the same file (weights net with
/// qm's: the same result as one declaration) or of a copy of the file under another path (they
/// do not net: SEMANTICS §3b, "the same file and column"; more turnover).
fn lowvol_via(label: &str, path: &str, separate: bool) {
    let mut case = ensemble_case(label, 0, &[], false);
    let calm = "let calm     = if bottom(std(ret(stocks), 63), 20%) then 1 else 0";
    case.text =
        must_replace(&case.text, calm, &format!("universe stocks2 = csv(\"{path}\")\nlet calm     = if bottom(std(ret(stocks2), 63), 20%) then 1 else 0"));
    case.text = must_replace(&case.text, "sleeve lowvol    { hold stocks weight", "sleeve lowvol    { hold stocks2 weight");
    if separate {
        case.py.push("--lowvol-separate".to_string());
    }
    check(&case);
}

#[test]
fn ensemble_netting_same_file_two_declarations() {
    lowvol_via("ensemble cost 10bps, lowvol via a second declaration of the same file", &data("stocks_adj_close.csv"), false);
}

#[test]
fn ensemble_no_netting_across_files() {
    let dir = TempDir::new("stocks_copy");
    let copy = dir.join("stocks_copy.csv");
    std::fs::copy(root().join("examples/data/stocks_adj_close.csv"), &copy).expect("copy stocks");
    lowvol_via("ensemble cost 10bps, lowvol on a copy of the stocks file", &abs_path(&copy), true);
}

#[test]
fn ensemble_cost_10bps_kill_switch() {
    let r = check(&ensemble_case("ensemble cost 10bps + kill", 0, &["crash;dd<-10%|vix>45;vix<20;50%"], false));
    assert!(r["kill_switches"][0]["trips"].as_u64().unwrap() > 0);
}

#[test]
fn ensemble_cost_10bps_cut_2001_2009() {
    check(&ensemble_case("ensemble cost 10bps cut 2001-2009", 0, &[], true));
    check(&ensemble_case("ensemble cost 10bps cut 2001-2009 binding 728", 728, &[], true));
}

/// The 729-binding sweep with costs: rows 0, 364, 728 equal `strat run --set` bit for bit and the
/// reference; the --reference sweep equals the JIT sweep on those rows.
#[test]
fn ensemble_cost_sweep_rows_equal_runs() {
    let case = ensemble_case("ensemble sweep", 0, &[], false);
    let (dir, file) = write_program("ensemble_sweep", &case.text);
    let (cmd, what) = strat_cmd("sweep", &file, &["--json".to_string(), "--quiet".to_string()]);
    let sweep = run_json(cmd, &what);
    let (cmd, what) = strat_cmd("sweep", &file, &["--json".to_string(), "--quiet".to_string(), "--reference".to_string()]);
    let sweep_ref = run_json(cmd, &what);
    let rows = sweep["rows"].as_array().expect("sweep rows");
    assert_eq!(rows.len(), 729);
    for b in [0usize, 364, 728] {
        let sets = ensemble_binding(b);
        let row = &rows[b];
        for (k, v) in &sets {
            let want: f64 = v.parse().unwrap();
            assert_eq!(row["params"][k.as_str()].as_f64().map(f64::to_bits), Some(want.to_bits()), "sweep row {b}: params {}", row["params"]);
        }
        assert!(bit_equal(row, &sweep_ref["rows"][b]), "ensemble sweep row {b}: JIT and --reference differ:\n{row}\n{}", sweep_ref["rows"][b]);
        let jit = strat_run(&dir, &file, &sets, false, &format!("jit{b}"));
        assert_run_equals_row(&format!("ensemble sweep row {b}"), &jit.0, row);
        let mut py = case.py.clone();
        for (k, v) in &sets {
            py.extend(["--set".to_string(), format!("{k}={v}")]);
        }
        let refv = python_ref(&py);
        let mut c = Cmp::default();
        c.metrics("metrics", &row["metrics"], &refv["metrics"], &[]);
        c.num("information_ratio", row.get("information_ratio"), refv.get("information_ratio"));
        c.num("avg_turnover", row.get("avg_turnover"), refv.get("avg_turnover"));
        if row.get("cost_drag").is_some() {
            c.num("cost_drag", row.get("cost_drag"), refv.get("cost_drag"));
        }
        c.reports("reports", &row["reports"], &refv["reports"]);
        c.finish(&format!("ensemble sweep row {b} vs reference"));
    }
}

/// Walk-forward of the 729-binding ensemble with `cost 10bps` (SEMANTICS §3b: choose on net
/// Sharpe, stitch each chosen binding's own net returns, no extra cost at a fold boundary): folds,
/// chosen bindings and params, in- and out-of-sample Sharpe, the stitched metrics, bars, start and
/// end against the reference (which computes all 729 net paths). (`--reference` is not run here:
/// it takes over a minute on a shared machine; the JIT/evaluator agreement on the ensemble with
/// costs is checked by the run and sweep cases above.)
fn check_ensemble_walk_forward(label: &str, cut: bool, train: u32) {
    let case = ensemble_case(label, 0, &[], cut);
    let (_dir, file) = write_program("ensemble_wf", &case.text);
    let tr = format!("{train}y");
    let args: Vec<String> = ["--train", tr.as_str(), "--test", "1y", "--by", "sharpe", "--json"].iter().map(|s| s.to_string()).collect();
    let (cmd, what) = strat_cmd("walk-forward", &file, &args);
    let wf = run_json(cmd, &what);
    let mut py = case.py.clone();
    py.extend(["--walk-forward".to_string(), "--train".to_string(), train.to_string(), "--test".to_string(), "1".to_string()]);
    let refv = python_ref(&py);
    let rw = &refv["walk_forward"];
    let sf = wf["folds"].as_array().expect("walk-forward folds");
    let rf = rw["folds"].as_array().expect("reference folds");
    assert_eq!(sf.len(), rf.len(), "{label}: number of folds: strat {} vs reference {}", wf["folds"], rw["folds"]);
    let mut c = Cmp::default();
    for (k, (s, r)) in sf.iter().zip(rf).enumerate() {
        let p = format!("fold {k} (test {})", r["test"]);
        for key in ["train", "test", "binding", "bars"] {
            c.eq(&format!("{p}.{key}"), s.get(key), r.get(key));
        }
        for (name, _) in ENSEMBLE_PARAMS {
            if s["params"][name].as_f64().map(f64::to_bits) != r["params"][name].as_f64().map(f64::to_bits) {
                c.errors.push(format!("{p}.params.{name}: strat {} vs reference {}", s["params"], r["params"]));
            }
        }
        c.num(&format!("{p}.in_sample"), s.get("in_sample"), r.get("in_sample"));
        c.num(&format!("{p}.out_of_sample"), s.get("out_of_sample"), r.get("out_of_sample"));
    }
    for key in ["bars", "start", "end"] {
        c.eq(&format!("walk_forward.{key}"), wf.get(key), rw.get(key));
    }
    c.metrics("walk_forward.out_of_sample", &wf["out_of_sample"], &rw["out_of_sample"], &[]);
    c.finish(label);
}

#[test]
fn ensemble_cost_walk_forward() {
    check_ensemble_walk_forward("ensemble cost 10bps walk-forward 5y/1y", false, 5);
}

#[test]
fn ensemble_cost_walk_forward_cut() {
    check_ensemble_walk_forward("ensemble cost 10bps walk-forward 3y/1y (cut 2001-2009)", true, 3);
}

// --------------------------------------------------------------------------
// per-asset cost models on stocks
// --------------------------------------------------------------------------

const CUT_STOCKS: &str = "ensemble_stocks_2001_2009.csv";
const CUT_VOLUME: &str = "stocks_volume_2001_2009.csv";
const CUT_CLOSE: &str = "stocks_close_2001_2009.csv";

/// A top-quintile hold on a stocks panel: `mom` (12-1 month momentum, monthly) or `ret60`
/// (60-day return, daily); `cost` is `rate` (RATE_EXPR) or `impact` (IMPACT, capital 10M).
fn stocks_case(label: &str, files: [String; 3], signal: &str, cost: &str, kills: &[&str]) -> Case {
    let [stocks, volume, close] = files;
    let (score, rebalance) = match signal {
        "mom" => ("stocks[21] / stocks[252] - 1", " rebalance monthly"),
        "ret60" => ("ret(stocks, 60)", ""),
        "ret5" => ("ret(stocks, 5)", ""),
        other => panic!("signal {other}"),
    };
    let mut text = format!("strategy stock_costs\nuniverse stocks = csv(\"{stocks}\")\n");
    let mut py = vec!["stocks".to_string(), "--stocks".to_string(), stocks.clone(), "--signal".to_string(), signal.to_string()];
    py.extend(["--rebalance".to_string(), (if rebalance.is_empty() { "daily" } else { "monthly" }).to_string(), "--cost".to_string(), cost.to_string()]);
    let cost_line = match cost {
        "rate" => RATE_EXPR.to_string(),
        "impact" => {
            text.push_str(&format!("universe vol = csv(\"{volume}\")\nuniverse px = csv(\"{close}\")\ncapital 10000000\n"));
            py.extend(["--volume".to_string(), volume, "--close".to_string(), close, "--capital".to_string(), "10000000".to_string()]);
            IMPACT.to_string()
        }
        other => panic!("cost {other}"),
    };
    text.push_str(&format!("let score = {score}\nlet winners = if top(score, 20%) then 1 else 0\n"));
    text.push_str(&format!("hold stocks weight winners / sum(winners){rebalance}\ncost {cost_line}\n"));
    // the stocks book has no market data: kill conditions use own values only
    text.push_str(&kill_block(kills, !kills.is_empty()));
    py.extend(py_args_kills(kills, !kills.is_empty()));
    Case { label: label.to_string(), text, sets: Vec::new(), py, kills: kills.iter().map(|k| kill_name(k)).collect() }
}

fn cut_files() -> [String; 3] {
    [test_data(CUT_STOCKS), test_data(CUT_VOLUME), test_data(CUT_CLOSE)]
}

#[test]
fn stocks_rate_expression_monthly() {
    check(&stocks_case("stocks momentum, rate expression, monthly", cut_files(), "mom", "rate", &[]));
}

#[test]
fn stocks_rate_expression_daily_with_kill() {
    let r = check(&stocks_case("stocks ret60, rate expression, daily, kill", cut_files(), "ret60", "rate", &["slump;dd<-30%;dd>-20%;50%"]));
    assert!(r["kill_switches"][0]["trips"].as_u64().unwrap() > 0, "{}", r["kill_switches"]);
}

#[test]
fn stocks_impact_model_cut() {
    check(&stocks_case("stocks momentum, impact model (cut)", cut_files(), "mom", "impact", &[]));
    check(&stocks_case("stocks ret60 daily, impact model (cut)", cut_files(), "ret60", "impact", &[]));
}

/// `impact(volume = vol, close = px)` without the other arguments is the ARES7 model (base 2bps,
/// vol_coeff 1.0, adv_coeff 5.0, min 1bps, max 50bps): bit for bit the explicit program.
#[test]
fn stocks_impact_defaults_are_ares7() {
    let case = stocks_case("stocks impact defaults", cut_files(), "mom", "impact", &[]);
    let short = must_replace(&case.text, IMPACT, "impact(volume = vol, close = px)");
    let (dir, file) = write_program("impact_explicit", &case.text);
    let (_dir2, file2) = write_program("impact_defaults", &short);
    let a = strat_run(&dir, &file, &[], false, "a");
    let b = strat_run(&dir, &file2, &[], false, "b");
    assert!(bit_equal(&a.0, &b.0), "impact defaults differ from the explicit ARES7 arguments:\n{}\n{}", a.0, b.0);
    assert_eq!(a.1.text, b.1.text, "impact defaults: --out differs");
}

/// `capital` as a swept param: each row of the sweep equals `strat run --set cap=...` bit for bit
/// and the reference with that capital (the trade's share of ADV scales with it).
#[test]
fn stocks_impact_capital_sweep() {
    let case = stocks_case("stocks impact capital sweep", cut_files(), "mom", "impact", &[]);
    let text = must_replace(&case.text, "capital 10000000\n", "param cap in [1000000, 10000000, 1000000000]\ncapital cap\n");
    let (dir, file) = write_program("capital_sweep", &text);
    let (cmd, what) = strat_cmd("sweep", &file, &["--json".to_string(), "--quiet".to_string()]);
    let sweep = run_json(cmd, &what);
    let rows = sweep["rows"].as_array().expect("sweep rows");
    assert_eq!(rows.len(), 3, "capital sweep rows: {}", sweep["rows"]);
    let mut drags = Vec::new();
    for cap in ["1000000", "10000000", "1000000000"] {
        let v: f64 = cap.parse().unwrap();
        let row = rows
            .iter()
            .find(|r| r["params"]["cap"].as_f64().map(f64::to_bits) == Some(v.to_bits()))
            .unwrap_or_else(|| panic!("no sweep row with cap = {cap}: {}", sweep["rows"]));
        let sets = vec![("cap".to_string(), cap.to_string())];
        let jit = strat_run(&dir, &file, &sets, false, &format!("jit{cap}"));
        let interp = strat_run(&dir, &file, &sets, true, &format!("interp{cap}"));
        let l = format!("capital sweep cap={cap}");
        assert_backends_equal(&l, &jit, &interp);
        assert_run_equals_row(&l, &jit.0, row);
        let mut py = case.py.clone();
        let i = py.iter().position(|a| a == "--capital").unwrap();
        py[i + 1] = cap.to_string();
        py.push("--rows".to_string());
        let refv = python_ref(&py);
        let mut c = Cmp::default();
        c.run_json(&jit.0, &refv);
        c.out_rows(&jit.1, &refv, &[]);
        c.finish(&l);
        drags.push(refv["cost_drag"].as_f64().unwrap());
    }
    assert!(drags[0] < drags[1] && drags[1] < drags[2], "a larger capital should cost more: {drags:?}");
}

/// The 49-stock panel of examples/data with real volumes and closes.
#[test]
fn stocks_impact_model_49_stocks() {
    for f in ["stocks_volume.csv", "stocks_close.csv"] {
        assert!(root().join("examples/data").join(f).is_file(), "examples/data/{f} is missing (it is bundled with issue 11)");
    }
    let files = [data("stocks_adj_close.csv"), data("stocks_volume.csv"), data("stocks_close.csv")];
    check(&stocks_case("49 stocks momentum, impact model", files.clone(), "mom", "impact", &[]));
    check(&stocks_case("49 stocks ret60 daily, impact model, kill", files, "ret60", "impact", &["slump;dd<-30%;dd>-20%;50%"]));
}

/// ret(stocks, 5) makes googl (IPO 2004-08-19) eligible on 2004-08-26, before its 60-day
/// volatility (and so the cost rate) is defined: a NaN rate on a traded bar is a run error. The
/// book is live from row 60 (the rate's static warm-up extends the weight's, SEMANTICS §3b), so
/// the first NaN rate on a traded bar is googl's, not one of rows 5 .. 59.
#[test]
fn stocks_nan_rate_on_traded_bar_is_an_error() {
    nan_rate_error("rate");
}

/// The same with the impact model (its 60-day volatility).
#[test]
fn stocks_nan_impact_rate_on_traded_bar_is_an_error() {
    nan_rate_error("impact");
}

fn nan_rate_error(cost: &str) {
    let case = stocks_case("stocks ret5 NaN rate", cut_files(), "ret5", cost, &[]);
    // the reference refuses the same bar
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/reference/portfolio_ref.py")).args(&case.py);
    let out = cmd.output().expect("python");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("2004-08-26"), "reference: {err}");
    let (dir, file) = write_program("nan_rate", &case.text);
    for reference in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
        cmd.arg("run").arg(&file).arg("--json").arg("--out").arg(dir.join("x.csv"));
        if reference {
            cmd.arg("--reference");
        }
        let out = cmd.output().expect("strat");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(!out.status.success(), "a NaN cost rate on a traded bar must fail (reference={reference}):\n{text}");
        assert!(text.contains("strat::run::bad_cost_rate"), "expected strat::run::bad_cost_rate:\n{text}");
        assert!(text.contains("2004-08-26") && text.contains("googl"), "the error should name 2004-08-26 and googl:\n{text}");
        assert!(!text.contains("panicked"), "{text}");
    }
}
