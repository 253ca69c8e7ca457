//! Run-time errors through the real CLI: a non-finite weight, return or equity is an error that
//! names the date and the asset (spec/diagnostics.md, "Run-time errors"), and a weight that is
//! NaN on every row after its warm-up says so.

mod common;

use common::TempDir;
use std::path::PathBuf;
use std::process::{Command, Output};

/// Writes `prices.csv` (columns date, a, b) and `t.strat` with `body` under a fresh folder.
fn program(dir: &TempDir, csv: &str, body: &str) -> PathBuf {
    std::fs::write(dir.path().join("prices.csv"), csv).unwrap();
    let file = dir.path().join("t.strat");
    std::fs::write(&file, format!("strategy t\ndata px = csv(\"prices.csv\")\n{body}\n")).unwrap();
    file
}

fn run(file: &PathBuf, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strat")).arg("run").arg(file).args(extra).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

const CSV: &str = "date,a,b\n2021-01-04,100,50\n2021-01-05,101,51\n2021-01-06,102,52\n2021-01-07,103,53\n";

#[test]
fn an_infinite_weight_names_the_asset_and_the_date() {
    let dir = TempDir::new("run-inf-weight");
    let file = program(&dir, CSV, "hold px.a weight 1/0");
    let o = run(&file, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("strat::run::non_finite_weight"), "{e}");
    assert!(e.contains("the weight of `px.a` is infinite on 2021-01-04"), "{e}");
    assert!(e.contains("help:"), "{e}");
    assert!(!e.contains("asset 0") && !e.contains("row "), "{e}");
}

#[test]
fn a_weight_nan_after_its_warm_up_says_so() {
    let dir = TempDir::new("run-nan-weight");
    // `sma(px.a, 2)` is defined from row 1 (2021-01-05); 0/0 is NaN on every row.
    let file = program(&dir, CSV, "hold px.a weight 0 / 0 * sma(px.a, 2)");
    let o = run(&file, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("strat::run::failed"), "{e}");
    assert!(e.contains("the weight is NaN on every row after its warm-up (first at 2021-01-05): it is never live"), "{e}");
    assert!(e.contains("help: a NaN weight holds nothing"), "{e}");
}

#[test]
fn an_overflowing_equity_is_an_error_with_its_date() {
    let dir = TempDir::new("run-inf-equity");
    // Weight 1e300 on a price up 1 %: E = 1 + 1e298 on 2021-01-05, then 1e298 * 1e298 overflows.
    let file = program(&dir, CSV, "hold px.a weight 1e300");
    let o = run(&file, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("strat::run::non_finite_return"), "{e}");
    assert!(e.contains("the equity is no longer finite on 2021-01-06"), "{e}");
}

#[test]
fn an_overflowing_return_names_the_asset_and_the_date() {
    let dir = TempDir::new("run-inf-return");
    // Prices stay within the readable range (1e-100 ..= 1e100), so a return is at most ~1e100;
    // asset b jumps from 1 to 1e100 on 2021-01-06 and a weight of 1e250 times that return
    // overflows to inf (a's return is 0, so nothing is ruined before).
    let csv = "date,a,b\n2021-01-04,100,1\n2021-01-05,100,1\n2021-01-06,100,1e100\n2021-01-07,100,1e100\n";
    std::fs::write(dir.path().join("prices.csv"), csv).unwrap();
    let file = dir.path().join("t.strat");
    std::fs::write(&file, "strategy t\nuniverse px = csv(\"prices.csv\")\nhold px weight 1e250\n").unwrap();
    let o = run(&file, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("strat::run::non_finite_return"), "{e}");
    assert!(e.contains("the return on 2021-01-06 is inf: the weight of `b` held from the previous close times its return is not finite"), "{e}");
}

#[test]
fn a_sweep_keeps_a_non_finite_binding_as_its_error() {
    let dir = TempDir::new("run-sweep-inf");
    let file = program(&dir, CSV, "param d in [0, 1]\nhold px.a weight 1 / d");
    let o = Command::new(env!("CARGO_BIN_EXE_strat")).args(["sweep", "--json", "--quiet"]).arg(&file).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|_| panic!("{}", stderr(&o)));
    let rows = v["rows"].as_array().unwrap();
    assert!(rows[0]["error"].as_str().unwrap().contains("the weight of `px.a` is infinite on 2021-01-04"), "{v}");
    assert!(rows[1]["metrics"].is_object(), "{v}");
}

#[test]
fn a_nan_condition_is_warned_once_with_its_count_and_first_date() {
    let dir = TempDir::new("run-nan-condition");
    // b is empty on 2021-01-05 and 2021-01-07: `px.b > 30` is false there (the else branch).
    let csv = "date,a,b\n2021-01-04,100,20\n2021-01-05,101,\n2021-01-06,102,35\n2021-01-07,103,\n2021-01-08,104,10\n";
    let file = program(&dir, csv, "let w = if px.b > 30 then 0.5 else 1\nlet t = tiers(px.b) {\n  >= 50 => 45%\n  else => 100%\n}\nhold px.a weight min(w, t)");
    let o = run(&file, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{e}");
    assert_eq!(e.matches("strat::run::nan_condition").count(), 1, "{e}");
    assert!(e.contains("`px.b` is NaN on 2 row(s) after its warm-up (first on 2021-01-05): the condition `px.b > 30` is false there"), "{e}");
    // The same data without gaps: no warning.
    let clean = program(&TempDir::new("run-nan-condition-clean"), CSV, "hold px.a weight if px.b > 30 then 0.5 else 1");
    let e = stderr(&run(&clean, &[]));
    assert!(!e.contains("nan_condition"), "{e}");
}

/// The check of NaN conditions reads the series the run computed (an input, a window) and
/// evaluates again only an operand the JIT fused into a kernel: on both backends, and with
/// nothing taken from the run, the same warnings. Through the CLI, one per operand.
#[test]
fn a_nan_condition_reads_the_runs_own_columns_on_both_backends() {
    let dir = TempDir::new("run-nan-operands");
    // b is empty on 2021-01-06: `px.b` (an input), `sma(px.b, 2)` (a window: NaN on 01-06 and
    // 01-07) and `px.b * 2 + px.a` (computed inside a fused kernel) are NaN there.
    let csv = "date,a,b\n2021-01-04,100,20\n2021-01-05,101,25\n2021-01-06,102,\n2021-01-07,103,35\n2021-01-08,104,10\n2021-01-11,105,12\n";
    let body = "let u = if px.b > 30 then 0.5 else 1\nlet v = if sma(px.b, 2) < 22 then 0.8 else 1\nlet w = if px.b * 2 + px.a > 150 then 0.9 else 1\nhold px.a weight u * v * w";
    let file = program(&dir, csv, body);
    let strategy = strat::Engine::new().compile_file(&file).expect("compiles");
    let frame = strategy.load_data().expect("loads");
    let params = strategy.params();
    let messages = |r: &strat::RunResult| strategy.nan_condition_warnings(&frame, &params, r).iter().map(|d| d.diag.message.clone()).collect::<Vec<_>>();
    let jit = strategy.run_with(&frame, &params, strat::Backend::Jit).expect("runs");
    let reference = strategy.run_with(&frame, &params, strat::Backend::Reference).expect("runs");
    assert_eq!(jit.condition_operands.len(), 3);
    assert!(jit.condition_operands[..2].iter().all(Option::is_some), "the input and the window are the run's own columns");
    assert!(reference.condition_operands.iter().all(Option::is_some));
    let mut bare = strategy.run_with(&frame, &params, strat::Backend::Jit).expect("runs");
    bare.condition_operands.clear();
    let expected = vec![
        "`px.b` is NaN on 1 row(s) after its warm-up (first on 2021-01-06): the condition `px.b > 30` is false there and takes its `else` branch".to_string(),
        "`sma(px.b, 2)` is NaN on 2 row(s) after its warm-up (first on 2021-01-06): the condition `sma(px.b, 2) < 22` is false there and takes its `else` branch".to_string(),
        "`px.b * 2 + px.a` is NaN on 1 row(s) after its warm-up (first on 2021-01-06): the condition `px.b * 2 + px.a > 150` is false there and takes its `else` branch".to_string(),
    ];
    assert_eq!(messages(&jit), expected);
    assert_eq!(messages(&reference), expected);
    assert_eq!(messages(&bare), expected);
    let e = stderr(&run(&file, &[]));
    assert_eq!(e.matches("strat::run::nan_condition").count(), 3, "{e}");
    assert!(e.contains(&expected[1]), "{e}");
}

/// A kill switch whose release is NaN on every row could never be released once tripped: a run
/// error with its name. A param scale outside 0..1 is a run error too (a literal one is refused
/// by the checker).
#[test]
fn a_kill_switch_that_can_never_be_released_or_has_a_bad_scale_is_an_error() {
    let dir = TempDir::new("run-kill");
    let file = program(&dir, CSV, "hold px.a weight 1\nkill k when px.a > 101.5 release when sma(px.a, 50) < 100 scale 50%");
    let o = run(&file, &[]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("strat::run::release_undefined") && e.contains("kill switch `k`"), "{e}");
    let file = program(&dir, CSV, "param s = 50%\nhold px.a weight 1\nkill k when px.a > 101.5 release when px.a < 100 scale s");
    let o = run(&file, &["--set", "s=1.5"]);
    let e = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{e}");
    assert!(e.contains("strat::run::bad_scale") && e.contains("kill switch `k` has scale 1.5"), "{e}");
    assert_eq!(run(&file, &[]).status.code(), Some(0));
}
