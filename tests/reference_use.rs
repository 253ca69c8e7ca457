//! `use "file.strat" as NAME` (issue 19, item 1; spec/language.md "use", spec/semantics.md §5
//! "Attribution") through the real CLI:
//!
//! - `tests/use/top.strat` (a regime ensemble of two used files, whose data paths are relative
//!   to their own folder, with a param override and `cost 10bps`) against an independent pandas
//!   loop, `tests/reference/use_ref.py`: per row t0 .. T-1 the `--out` return, equity, turnover,
//!   cost and allocations; the JSON metrics, cost drag, average turnover and every attribution
//!   line, to 1e-12 absolute or 1e-9 relative. The JIT and `--reference` agree bit for bit;
//! - the same book written with inline sleeves gives the same `--out` file byte for byte and the
//!   same JSON metrics bit for bit;
//! - a swept param of a used file (`with lookback in [40, 60]`) is a param of the sweep
//!   (`trend.lookback`), each row equal to `strat run --set trend.lookback=...` and the reference.
//!
//! The error cases (cycles, unreadable and invalid files, unknown overrides, conflicting
//! settings, combined books) are golden diagnostics: tests/diagnostics/use.strat.
//! Needs Python 3 with pandas (`$PYTHON`).

use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;

mod common;
use common::compare::bit_equal;
use common::{close, column, python_with_pandas as python, root, run_json, run_with_out, sweep_json, TempDir};

fn use_dir() -> PathBuf {
    root().join("tests/use")
}

fn reference(lookback: &str) -> Value {
    let mut cmd = Command::new(python());
    cmd.arg(root().join("tests/reference/use_ref.py")).arg(use_dir().join("data")).args([lookback, "20", "10"]);
    run_json(cmd, "use_ref.py")
}

fn compare(label: &str, run: &(Value, String), refv: &Value) {
    let (json, csv) = run;
    let rows = &refv["rows"];
    let dates: Vec<&str> = rows["date"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    for col in ["return", "equity", "turnover", "cost", "weight_trend", "weight_bal"] {
        let got = column(csv, col);
        let want = rows[col].as_array().unwrap();
        assert_eq!(got.first().map(|g| g.0.as_str()), Some(dates[0]), "{label}: the first --out row is the first live row");
        assert_eq!(got.len(), want.len(), "{label}: {col} rows");
        for (k, w) in want.iter().enumerate() {
            let (d, g) = &got[k];
            assert_eq!(d, dates[k], "{label}: dates");
            match w.as_f64() {
                Some(w) => close(&format!("{label}: {col} on {d}"), *g, w),
                None => assert!(g.is_nan(), "{label}: {col} on {d}: {g} where the reference has none"),
            }
        }
    }
    assert_eq!(json["bars"], refv["bars"], "{label}: bars");
    for m in ["total_return", "sharpe", "ann_vol"] {
        close(&format!("{label}: {m}"), json["metrics"][m].as_f64().unwrap(), refv[m].as_f64().unwrap());
    }
    close(&format!("{label}: cost_drag"), json["cost_drag"].as_f64().unwrap(), refv["cost_drag"].as_f64().unwrap());
    close(&format!("{label}: avg_turnover"), json["avg_turnover"].as_f64().unwrap(), refv["avg_turnover"].as_f64().unwrap());
    let got = json["attribution"].as_array().unwrap_or_else(|| panic!("{label}: no attribution in {json}"));
    let want = refv["attribution"].as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{label}: attribution lines");
    let (mut ret, mut risk, mut share) = (0.0, 0.0, 0.0);
    for (g, w) in got.iter().zip(want) {
        assert_eq!(g["name"], w["name"], "{label}: attribution order");
        for key in ["mean_allocation", "return", "total", "risk", "risk_share"] {
            match w[key].as_f64() {
                Some(x) => close(&format!("{label}: attribution {} {key}", w["name"]), g[key].as_f64().unwrap(), x),
                None => assert!(g[key].is_null(), "{label}: attribution {} {key} should be null", w["name"]),
            }
        }
        ret += g["return"].as_f64().unwrap();
        risk += g["risk"].as_f64().unwrap();
        share += g["risk_share"].as_f64().unwrap();
    }
    // The lines add up: to the annualised mean return, the annualised volatility and 1.
    let r = column(csv, "return").into_iter().filter(|x| !x.1.is_nan()).map(|x| x.1).collect::<Vec<_>>();
    close(&format!("{label}: returns add up"), ret, r.iter().sum::<f64>() / r.len() as f64 * 252.0);
    close(&format!("{label}: risks add up"), risk, json["metrics"]["ann_vol"].as_f64().unwrap());
    close(&format!("{label}: shares add up"), share, 1.0);
}

#[test]
fn used_files_as_ensemble_sleeves_match_the_reference() {
    let dir = TempDir::new("use_ref");
    let file = use_dir().join("top.strat");
    let jit = run_with_out(&dir, &file, &[], false, "jit");
    let interp = run_with_out(&dir, &file, &[], true, "interp");
    assert!(bit_equal(&jit.0, &interp.0), "JIT and --reference JSON differ:\n{}\n{}", jit.0, interp.0);
    assert_eq!(jit.1, interp.1, "JIT and --reference --out differ");
    compare("top.strat", &jit, &reference("40"));
    // Both sleeves hold spy: the book trades the net, so its first trade is smaller than the
    // sum of the sleeves' (0.3 * 1/4 * 3 assets up + 0.6 * spy ...): the reference nets too, and
    // the turnover column matched it row by row above.
}

/// The same book with the sleeves written inline: the same numbers, bit for bit.
#[test]
fn a_used_file_is_the_same_as_an_inline_sleeve() {
    let dir = TempDir::new("use_inline");
    let data = |f: &str| use_dir().join("data").join(f).canonicalize().unwrap().display().to_string();
    let inline = format!(
        "strategy combo\ndata mkt = csv(\"{spx}\")\nuniverse etf = csv(\"{etf}\")\nparam lookback = 40\n\
         let up = if etf > etf[lookback] then 1 else 0\nsleeve trend {{ hold etf weight up / 4 rebalance monthly }}\n\
         data etf2 = csv(\"{etf}\")\ndata mkt2 = csv(\"{spx}\")\nparam calm = 20\n\
         sleeve bal {{ hold etf2.spy weight if mkt2.vix < calm then 100% else 40% }}\n\
         regime state {{\n  CALM when mkt.vix < 15\n  NERVOUS otherwise\n}}\n\
         ensemble by state {{\n  CALM => 0.7 * trend + 0.5 * bal\n  NERVOUS => 0.3 * trend + 0.6 * bal\n}}\ncost 10bps\n",
        spx = data("spx_vix_2015_2017.csv"),
        etf = data("etf_2015_2017.csv"),
    );
    let inline_file = dir.path().join("inline.strat");
    std::fs::write(&inline_file, inline).unwrap();
    let a = run_with_out(&dir, &use_dir().join("top.strat"), &[], false, "used");
    let b = run_with_out(&dir, &inline_file, &[], false, "inline");
    assert_eq!(a.1, b.1, "--out of the used and the inline program differ");
    for key in ["bars", "start", "end", "metrics", "avg_turnover", "cost_drag", "attribution"] {
        assert!(bit_equal(&a.0[key], &b.0[key]), "{key}: used {} vs inline {}", a.0[key], b.0[key]);
    }
}

/// A used file's param swept from the outer program (`with lookback in [40, 60]`).
#[test]
fn a_used_param_is_swept_and_set_by_its_qualified_name() {
    let dir = TempDir::new("use_sweep");
    let top = std::fs::read_to_string(use_dir().join("top.strat")).unwrap().replace("with lookback = 40", "with lookback in [40, 60]");
    // The used paths are relative to the program's folder: write it beside top.strat's data.
    let file = dir.path().join("top.strat");
    let abs = use_dir().canonicalize().unwrap().display().to_string();
    std::fs::write(&file, top.replace("\"data/", &format!("\"{abs}/data/")).replace("\"sleeves/", &format!("\"{abs}/sleeves/"))).unwrap();
    let sweep = |reference: bool| sweep_json(&file, reference);
    let (s, s_ref) = (sweep(false), sweep(true));
    assert!(bit_equal(&s["rows"], &s_ref["rows"]), "JIT and --reference sweeps differ");
    let rows = s["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{}", s["rows"]);
    for lb in ["40", "60"] {
        let row = rows
            .iter()
            .find(|r| r["params"]["trend.lookback"].as_f64() == lb.parse().ok())
            .unwrap_or_else(|| panic!("no row trend.lookback={lb}: {}", s["rows"]));
        let run = run_with_out(&dir, &file, &["--set", &format!("trend.lookback={lb}")], false, &format!("lb{lb}"));
        for key in ["bars", "metrics", "avg_turnover"] {
            assert!(bit_equal(&run.0[key], &row[key]), "lookback {lb}: {key}: run {} sweep {}", run.0[key], row[key]);
        }
        compare(&format!("trend.lookback={lb}"), &run, &reference(lb));
    }
}

/// A run error inside a used file (a bad value of its param) is reported on the `use`, with the
/// used file's line and column, never with a span into the wrong source.
#[test]
fn a_run_error_in_a_used_file_points_at_the_use() {
    let out = Command::new(env!("CARGO_BIN_EXE_strat")).arg("run").arg(use_dir().join("top.strat")).args(["--set", "trend.lookback=2.5"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("strat::value::bad_window") && err.contains("in sleeves/trend.strat:5:"), "{err}");
    assert!(err.contains("use \"sleeves/trend.strat\" as trend"), "the label shows the use statement: {err}");
    assert!(!err.contains("Failed to read contents"), "{err}");
}
