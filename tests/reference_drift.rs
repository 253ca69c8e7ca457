//! A drifting hold (issue 19, item 3; spec/semantics.md §13 "Drift") against an independent
//! pandas/numpy loop, `tests/reference/drift_ref.py`, that keeps a real book in units on the
//! bundled ETF closes (and, in one case, the 3-month Treasury bill rate as its cash rate).
//!
//! Each case runs `strat run FILE --json --out x.csv` with the JIT and with `--reference` (bit
//! for bit equal) and compares, to 1e-12 absolute or 1e-9 relative: per row t0 .. T-1 the `--out`
//! per-asset weights, `return`, `equity`, `turnover` and `cost`; the JSON `total_return`,
//! `sharpe`, `sortino`, `avg_turnover` and `cost_drag`.
//!
//! Needs a Python 3 with pandas and numpy: `$PYTHON`, else `$STRAT_PYTHON`, else `python3`; the
//! test fails (never skips) without them.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::compare::bit_equal;
use common::{close, column, python_with_pandas as python, root, run_json, run_with_out, write, TempDir};

fn data(name: &str) -> String {
    root().join("examples/data").join(name).canonicalize().unwrap().to_string_lossy().into_owned()
}

const ASSETS: [&str; 3] = ["spy", "tlt", "ief"];

/// 40 % of each of three ETFs, rebalanced monthly, `drift` or not, with `extra` statements.
fn program(drift: bool, extra: &str) -> String {
    format!(
        "strategy drift_ref\nuniverse etf = csv(\"{}\", [spy, tlt, ief])\nfrom 2003-01-01\nhold etf weight 40% rebalance monthly{}\ncost 2bps\n{extra}",
        data("etf_adj_close.csv"),
        if drift { " drift" } else { "" }
    )
}

/// `strat run` with `--json --out`: the JSON and the `--out` text.
fn strat_run(dir: &TempDir, file: &Path, reference: bool, tag: &str) -> (Value, String) {
    run_with_out(dir, file, &[], reference, tag)
}

fn reference(args: &[&str]) -> Value {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/reference/drift_ref.py"))
        .arg(data("etf_adj_close.csv"))
        .args(["--assets", "spy,tlt,ief", "--weights", "0.4,0.4,0.4", "--from", "2003-01-01"])
        .args(args);
    run_json(cmd, &format!("drift_ref.py {args:?}"))
}

fn compare(label: &str, json: &Value, csv: &str, refv: &Value) {
    let rows = &refv["rows"];
    let dates: Vec<&str> = rows["date"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let mut cols: Vec<String> = ASSETS.iter().map(|a| format!("weight_{a}")).collect();
    cols.extend(["return", "equity", "turnover", "cost"].map(String::from));
    for col in &cols {
        let got = column(csv, col);
        let want = rows[col.as_str()].as_array().unwrap();
        let start = got.iter().position(|(d, _)| d == dates[0]).unwrap_or_else(|| panic!("{label}: no row {} in --out", dates[0]));
        assert_eq!(got.len() - start, want.len(), "{label}: {col} rows");
        for (k, w) in want.iter().enumerate() {
            let (d, g) = &got[start + k];
            assert_eq!(d, dates[k], "{label}: dates");
            match w.as_f64() {
                Some(w) => close(&format!("{label}: {col} on {d}"), *g, w),
                None => assert!(g.is_nan() || k == 0, "{label}: {col} on {d}: {g} where the reference has none"),
            }
        }
    }
    for k in ["total_return", "sharpe", "sortino"] {
        close(&format!("{label}: {k}"), json["metrics"][k].as_f64().unwrap(), refv[k].as_f64().unwrap());
    }
    close(&format!("{label}: avg_turnover"), json["avg_turnover"].as_f64().unwrap(), refv["avg_turnover"].as_f64().unwrap());
    close(&format!("{label}: cost_drag"), json["cost_drag"].as_f64().unwrap(), refv["cost_drag"].as_f64().unwrap());
}

/// Runs the program with the JIT and `--reference` (bit for bit equal) against the Python book;
/// returns the JIT's JSON and `--out`.
fn check(label: &str, text: &str, py: &[&str]) -> (Value, String) {
    let dir = TempDir::new("drift_ref");
    let file = write(&dir, "p.strat", text);
    let jit = strat_run(&dir, &file, false, "jit");
    let interp = strat_run(&dir, &file, true, "interp");
    assert!(bit_equal(&jit.0, &interp.0), "{label}: JIT and --reference JSON differ:\n{}\n{}", jit.0, interp.0);
    assert_eq!(jit.1, interp.1, "{label}: JIT and --reference --out differ");
    compare(label, &jit.0, &jit.1, &reference(py));
    jit
}

#[test]
fn a_drifting_book_holds_units_between_month_ends() {
    let (_, csv) = check("drift 3 x 40%", &program(true, ""), &[]);
    // Between month-ends the weights float and nothing is traded; at a month-end the book trades
    // back to 40 % each.
    let w = column(&csv, "weight_spy");
    let tv = column(&csv, "turnover");
    let floating = w.iter().filter(|(_, x)| (x - 0.4).abs() > 1e-6).count();
    assert!(floating > w.len() / 2, "{floating} of {} rows float", w.len());
    let trades = tv.iter().filter(|(_, x)| *x > 0.0).count();
    assert!(trades < tv.len() / 15, "trades only on month-ends: {trades} of {}", tv.len());
}

#[test]
fn a_drifting_book_with_cash_financing_and_a_gross_limit() {
    let rates = data("treasury_yields_daily.csv");
    let extra = format!("data rates = csv(\"{rates}\")\ncash rates.dgs3mo / 100 financing 1%\nlimit gross 100%\n");
    check("drift + cash + limit gross 100%", &program(true, &extra), &["--rates", &rates, "--spread", "0.01", "--gross", "1.0"]);
}

/// Without `drift` the same book is reset to its targets every bar: its results differ.
#[test]
fn without_drift_the_weights_do_not_float() {
    let dir = TempDir::new("drift_off");
    let plain = strat_run(&dir, &write(&dir, "a.strat", &program(false, "")), false, "a");
    let drift = strat_run(&dir, &write(&dir, "b.strat", &program(true, "")), false, "b");
    assert!(column(&plain.1, "weight_spy").iter().all(|(_, x)| *x == 0.4 || x.is_nan()));
    assert_ne!(plain.0["metrics"]["total_return"], drift.0["metrics"]["total_return"]);
}

/// A sweep of a drifting book (its lean path) equals single runs bit for bit.
#[test]
fn a_sweep_of_a_drifting_book_equals_single_runs() {
    let dir = TempDir::new("drift_sweep");
    let text = program(true, "").replace("cost 2bps", "param c in [1bps, 5bps]\ncost c");
    let file = write(&dir, "p.strat", &text);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg("sweep").arg(&file).arg("--json").arg("--quiet");
    let s = run_json(cmd, "strat sweep");
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (lit, v) in [("1bps", 0.0001), ("5bps", 0.0005)] {
        let row = rows.iter().find(|r| r["params"]["c"].as_f64() == Some(v)).unwrap_or_else(|| panic!("no row c={v}: {}", s["rows"]));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
        cmd.arg("run").arg(&file).arg("--json").args(["--set", &format!("c={lit}")]);
        let run = run_json(cmd, "strat run --set");
        for key in ["bars", "metrics", "avg_turnover"] {
            assert!(bit_equal(&run[key], &row[key]), "c={lit}: {key} differs: run {} sweep {}", run[key], row[key]);
        }
    }
}

/// `limit weight`: each asset's weight clipped after the gross limit; a drifting book floats
/// from its clipped positions and is clipped again when one drifts above the bound.
#[test]
fn a_weight_limit_clips_a_drifting_book() {
    let (json, csv) = check("drift + limit weight 42%", &program(true, "limit weight 42%\n"), &["--max-weight", "0.42"]);
    let share = json["limits"].as_array().unwrap().iter().find(|l| l["kind"] == "weight").expect("the weight limit's trace")["bound_share"].as_f64().unwrap();
    assert!(share > 0.0 && share < 1.0, "the limit binds on some rows: {share}");
    for a in ASSETS {
        assert!(column(&csv, &format!("weight_{a}")).iter().all(|(_, w)| w.is_nan() || *w <= 0.42), "{a} above the bound");
    }
}

/// `limit weight` on a book reset to its targets, after `limit gross`: 3 x 40% scaled to 100%
/// gross (1/3 each), then clipped to 30%.
#[test]
fn a_weight_limit_after_a_gross_limit() {
    let (json, _) = check(
        "limit gross 100% + limit weight 30%",
        &program(false, "limit weight 30%\nlimit gross 100%\n"),
        &["--no-drift", "1", "--gross", "1.0", "--max-weight", "0.30"],
    );
    let kinds: Vec<&str> = json["limits"].as_array().unwrap().iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["gross", "weight"], "gross, net, then weight, whatever the order written");
}
