//! The cash account (issue 19, item 2; spec/semantics.md "Cash and financing") against an
//! independent day-by-day pandas/numpy loop, `tests/reference/cash_ref.py`, on the bundled S&P
//! 500 / VIX closes and 3-month Treasury bill rates.
//!
//! Each case runs `strat run FILE --json --out x.csv` with the JIT and with `--reference` (which
//! must agree bit for bit) and compares, to 1e-12 absolute or 1e-9 relative: per row t0 .. T-1
//! the `--out` `weight`, `return` and `equity`; the JSON `total_return`, `sharpe` and `sortino`
//! (on excess returns) of the strategy and of the benchmark, `avg_turnover`, `cost_drag` and the
//! `cash` object (risk-free, cash earned, financing and borrow paid, missing rates). A run without
//! `cash` must keep its plain Sharpe; a missing rate earns 0 and is reported.
//!
//! Needs a Python 3 with pandas and numpy: `$PYTHON`, else `$STRAT_PYTHON`, else `python3`; the
//! test fails (never skips) without them.

use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::compare::bit_equal;
use common::{close, column, python_with_pandas as python, root, run_json, sweep_json, write, TempDir};

fn data(name: &str) -> String {
    root().join("examples/data").join(name).canonicalize().unwrap().to_string_lossy().into_owned()
}

/// The guard's weight (VIX tiers, capped on a spike), or a levered / short book.
fn program(rates: &str, book: &str, extra: &str) -> String {
    let weight = match book {
        "guard" => "let tier = tiers(mkt.vix) {\n  >= 50 => 45%\n  >= 40 => 65%\n  >= 30 => 85%\n  else  => 100%\n}\n\
                    let spike = zscore(mkt.vix, 60) > 2.5\nhold mkt.spx weight if spike then min(tier, 70%) else tier\n"
            .to_string(),
        _ => "hold mkt.spx weight if mkt.vix > 30 then -50% else 150%\n".to_string(),
    };
    format!("strategy cash_ref\ndata mkt = csv(\"{}\")\ndata rates = csv(\"{rates}\")\n{weight}cost 2bps\nbenchmark mkt.spx\n{extra}", data("spx_vix.csv"))
}

const KILL: &str = "kill crash when own.drawdown < -15% or own.day_return < -5% or mkt.vix > 70\n  release when mkt.vix < 25\n  scale 50%\n";

/// `strat run` with `--json --out`: the JSON, the `--out` text and stderr.
fn strat_run(dir: &TempDir, file: &Path, reference: bool, tag: &str) -> (Value, String, String) {
    let out = dir.path().join(format!("{tag}.csv"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg("run").arg(file).arg("--json").arg("--out").arg(&out).arg("--force");
    if reference {
        cmd.arg("--reference");
    }
    let o = cmd.output().unwrap();
    assert!(o.status.success(), "strat run {tag}: {}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    (v, std::fs::read_to_string(&out).unwrap(), String::from_utf8_lossy(&o.stderr).into_owned())
}

fn reference(rates: &str, args: &[&str]) -> Value {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/reference/cash_ref.py")).arg(data("spx_vix.csv")).arg(rates).args(args);
    run_json(cmd, &format!("cash_ref.py {args:?}"))
}

fn compare(label: &str, json: &Value, csv: &str, refv: &Value) {
    let rows = &refv["rows"];
    let dates: Vec<&str> = rows["date"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    for col in ["weight", "return", "equity"] {
        let got = column(csv, col);
        let want = rows[col].as_array().unwrap();
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
    let m = &json["metrics"];
    for k in ["total_return", "sharpe", "sortino"] {
        close(&format!("{label}: {k}"), m[k].as_f64().unwrap(), refv[k].as_f64().unwrap());
    }
    close(&format!("{label}: benchmark sharpe"), json["benchmark"]["sharpe"].as_f64().unwrap(), refv["benchmark_sharpe"].as_f64().unwrap());
    close(&format!("{label}: benchmark sortino"), json["benchmark"]["sortino"].as_f64().unwrap(), refv["benchmark_sortino"].as_f64().unwrap());
    close(&format!("{label}: avg_turnover"), json["avg_turnover"].as_f64().unwrap(), refv["avg_turnover"].as_f64().unwrap());
    close(&format!("{label}: cost_drag"), json["cost_drag"].as_f64().unwrap(), refv["cost_drag"].as_f64().unwrap());
    let c = &json["cash"];
    for k in ["risk_free", "cash_return", "financing_cost", "borrow_cost"] {
        close(&format!("{label}: cash.{k}"), c[k].as_f64().unwrap_or_else(|| panic!("{label}: no cash.{k} in {c}")), refv[k].as_f64().unwrap());
    }
    assert_eq!(c["missing_rates"], refv["missing_rates"], "{label}: missing_rates");
    assert_eq!(c["first_missing_rate"], refv["first_missing_rate"], "{label}: first_missing_rate");
}

/// Runs the program with the JIT and `--reference` (bit for bit equal) against the Python loop;
/// returns the JIT's JSON and stderr.
fn check(label: &str, rates: &str, book: &str, extra: &str, py: &[&str]) -> (Value, String) {
    let dir = TempDir::new("cash_ref");
    let file = write(&dir, "p.strat", &program(rates, book, extra));
    let jit = strat_run(&dir, &file, false, "jit");
    let interp = strat_run(&dir, &file, true, "interp");
    assert!(bit_equal(&jit.0, &interp.0), "{label}: JIT and --reference JSON differ:\n{}\n{}", jit.0, interp.0);
    assert_eq!(jit.1, interp.1, "{label}: JIT and --reference --out differ");
    let mut args = vec!["--book", book];
    args.extend_from_slice(py);
    let refv = reference(rates, &args);
    compare(label, &jit.0, &jit.1, &refv);
    (jit.0, jit.2)
}

#[test]
fn the_guard_earns_the_bill_rate_on_its_uninvested_equity() {
    let rates = data("treasury_yields_daily.csv");
    let (j, _) = check("guard + cash", &rates, "guard", "cash rates.dgs3mo / 100 financing 1% borrow 0.5%\n", &["--spread", "0.01", "--fee", "0.005"]);
    let c = &j["cash"];
    assert!(c["cash_return"].as_f64().unwrap() > 0.0, "{c}");
    assert_eq!(c["financing_cost"].as_f64(), Some(0.0), "a long-only book below 100 % never borrows: {c}");
    assert_eq!(c["borrow_cost"].as_f64(), Some(0.0), "{c}");
}

#[test]
fn a_levered_and_short_book_pays_financing_and_borrow_with_a_kill_switch_and_a_vol_target() {
    let rates = data("treasury_yields_daily.csv");
    let (j, _) = check(
        "levered/short + cash + kill + target_vol",
        &rates,
        "levered",
        &format!("cash rates.dgs3mo / 100 financing 1.5% borrow 0.75%\n{KILL}target_vol 15% lookback 40 cap 2\n"),
        &["--spread", "0.015", "--fee", "0.0075", "--kill", "--target", "0.15", "--lookback", "40", "--cap", "2"],
    );
    let c = &j["cash"];
    for k in ["cash_return", "financing_cost", "borrow_cost"] {
        assert!(c[k].as_f64().unwrap() > 0.0, "{k} in {c}");
    }
}

/// A rate missing on some bars earns 0 there (it is not carried forward), is counted and named
/// on stderr; the Python loop agrees on every row.
#[test]
fn a_missing_rate_earns_nothing_and_is_reported() {
    let dir = TempDir::new("cash_missing");
    let text = std::fs::read_to_string(data("treasury_yields_daily.csv")).unwrap();
    // Blank dgs3mo (the third field) on three dates in 2008.
    let holes = ["2008-03-03", "2008-03-04", "2008-10-01"];
    let edited: String = text
        .lines()
        .map(|l| {
            if holes.iter().any(|h| l.starts_with(h)) {
                let mut f: Vec<&str> = l.split(',').collect();
                f[2] = "";
                f.join(",")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n";
    let rates = write(&dir, "rates.csv", &edited).to_string_lossy().into_owned();
    let (j, err) = check("guard + cash with holes", &rates, "guard", "cash rates.dgs3mo / 100\n", &[]);
    assert_eq!(j["cash"]["missing_rates"].as_u64(), Some(3), "{}", j["cash"]);
    assert_eq!(j["cash"]["first_missing_rate"].as_str(), Some("2008-03-03"));
    assert!(err.contains("strat::run::missing_cash_rate") && err.contains("3 bar(s), first on 2008-03-03"), "{err}");
}

/// Without `cash` nothing changes: no `cash` object and the plain Sharpe; with a rate of 0 the
/// returns are the same bit for bit and only the `cash` object is added.
#[test]
fn a_zero_rate_changes_nothing_but_the_report() {
    let dir = TempDir::new("cash_zero");
    let rates = data("treasury_yields_daily.csv");
    let plain = strat_run(&dir, &write(&dir, "a.strat", &program(&rates, "levered", "")), false, "a");
    let zero = strat_run(&dir, &write(&dir, "b.strat", &program(&rates, "levered", "cash 0\n")), false, "b");
    assert!(plain.0.get("cash").is_none(), "{}", plain.0);
    assert!(bit_equal(&plain.0["metrics"], &zero.0["metrics"]), "{}\n{}", plain.0["metrics"], zero.0["metrics"]);
    assert_eq!(plain.1, zero.1, "--out differs with a zero rate");
    assert_eq!(zero.0["cash"]["risk_free"].as_f64(), Some(0.0));
}

/// A negative `financing` spread given through a param is a run error with a code, not a panic.
#[test]
fn a_bad_param_value_is_a_run_error() {
    let dir = TempDir::new("cash_bad");
    let rates = data("treasury_yields_daily.csv");
    let file = write(&dir, "p.strat", &program(&rates, "levered", "param fin = 1%\ncash rates.dgs3mo / 100 financing fin\n"));
    let out = Command::new(env!("CARGO_BIN_EXE_strat")).arg("run").arg(&file).args(["--set", "fin=-1%"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("strat::run::bad_risk_value") && err.contains("financing"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// A sweep over the `financing` spread (its lean path, with the excess Sharpe and Sortino) equals
/// single runs bit for bit, with the JIT and with `--reference`.
#[test]
fn a_sweep_over_the_spread_equals_single_runs() {
    let dir = TempDir::new("cash_sweep");
    let rates = data("treasury_yields_daily.csv");
    let file = write(&dir, "p.strat", &program(&rates, "levered", "param fin in [0%, 2%]\ncash rates.dgs3mo / 100 financing fin borrow 1%\n"));
    let sweep = |reference: bool| sweep_json(&file, reference);
    let (s, s_ref) = (sweep(false), sweep(true));
    assert!(bit_equal(&s["rows"], &s_ref["rows"]), "JIT and --reference sweeps differ");
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for (lit, v) in [("0%", 0.0), ("2%", 0.02)] {
        let row = rows.iter().find(|r| r["params"]["fin"].as_f64() == Some(v)).unwrap_or_else(|| panic!("no row fin={v}: {}", s["rows"]));
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
        cmd.arg("run").arg(&file).arg("--json").args(["--set", &format!("fin={lit}")]);
        let run = run_json(cmd, "strat run --set");
        for key in ["bars", "metrics", "avg_turnover"] {
            assert!(bit_equal(&run[key], &row[key]), "fin={lit}: {key} differs: run {} sweep {}", run[key], row[key]);
        }
    }
    let sharpe = |i: usize| rows[i]["metrics"]["sharpe"].as_f64().unwrap();
    assert_ne!(sharpe(0), sharpe(1), "the spread changes the levered book's returns");
}

/// `data rates = csv(...) asof`: the rates file (the bond market's days) takes no part in the
/// inner join, so no S&P day is lost; each bar reads the latest rate dated on or before it, the
/// bars before the file's first day have none (missing, earning 0), and the reference joins the
/// same way (`pandas.merge_asof`, backward).
#[test]
fn rates_read_as_of_each_bar_keep_every_trading_day() {
    let rates = data("treasury_yields_daily.csv");
    let text = program(&rates, "guard", "cash rates.dgs3mo / 100\n")
        .replace(&format!("data rates = csv(\"{rates}\")"), &format!("data rates = csv(\"{rates}\") asof"));
    assert!(text.contains(") asof"), "{text}");
    let dir = TempDir::new("cash_asof");
    let file = write(&dir, "p.strat", &text);
    let jit = strat_run(&dir, &file, false, "jit");
    let interp = strat_run(&dir, &file, true, "interp");
    assert!(bit_equal(&jit.0, &interp.0), "JIT and --reference JSON differ");
    let spx_rows = std::fs::read_to_string(data("spx_vix.csv")).unwrap().lines().count() - 1;
    assert_eq!(jit.0["bars"].as_u64(), Some(spx_rows as u64 - 60), "every S&P day but the 60 of the warm-up");
    let refv = reference(&rates, &["--book", "guard", "--asof", "1"]);
    compare("guard + cash, rates asof", &jit.0, &jit.1, &refv);
    assert!(jit.0["cash"]["missing_rates"].as_u64().unwrap() > 3000, "the bars before 2005 have no rate: {}", jit.0["cash"]);
}

/// A walk-forward of a book with a cash account ranks and reports Sharpe on the excess returns:
/// the stitched out-of-sample Sharpe is the excess Sharpe of the stitched days (`--out`) over
/// the reference's per-day risk-free return, and it is not the plain Sharpe of those days.
#[test]
fn a_walk_forward_measures_sharpe_over_the_cash_rate() {
    let dir = TempDir::new("cash_wf");
    let rates = data("treasury_yields_daily.csv");
    let file = write(&dir, "p.strat", &program(&rates, "levered", "param fin in [1%, 2%]\ncash rates.dgs3mo / 100 financing fin\n"));
    let oos = dir.path().join("oos.csv");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg("walk-forward").arg(&file).args(["--train", "3y", "--test", "2y", "--by", "sharpe", "--json", "--quiet", "--out"]).arg(&oos);
    let wf = run_json(cmd, "strat walk-forward");
    let refv = reference(&rates, &["--book", "levered", "--spread", "0.01"]);
    let dates: Vec<&str> = refv["rows"]["date"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    let rf_of: std::collections::HashMap<&str, f64> =
        dates.iter().zip(refv["rows"]["rf"].as_array().unwrap()).filter_map(|(d, v)| v.as_f64().map(|x| (*d, x))).collect();
    let days = column(&std::fs::read_to_string(&oos).unwrap(), "return");
    assert!(days.len() > 1000, "{} stitched days", days.len());
    let x: Vec<f64> = days.iter().map(|(d, r)| r - rf_of.get(d.as_str()).unwrap_or_else(|| panic!("no rate for {d}"))).collect();
    let sharpe = |v: &[f64]| {
        let m = v.iter().sum::<f64>() / v.len() as f64;
        let sd = (v.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt();
        m / sd * 252f64.sqrt()
    };
    let got = wf["out_of_sample"]["sharpe"].as_f64().unwrap();
    close("walk-forward excess Sharpe", got, sharpe(&x));
    let plain: Vec<f64> = days.iter().map(|d| d.1).collect();
    assert!((got - sharpe(&plain)).abs() > 1e-4, "the plain Sharpe {} would be {got}", sharpe(&plain));
}
