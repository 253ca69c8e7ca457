//! Ruin (SEMANTICS.md §3b, spec/semantics.md "Ruin") through the real CLI: on the first row
//! where the book's own equity is <= 0 the book is closed, `ruin_date` reports it, the table
//! says so, the daily file keeps the equity at its ruined level, and a sweep's lean path gives
//! the figures of `strat run --set` bit for bit.

mod common;

use common::{root, TempDir};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const CSV: &str = "date,a,b\n2021-01-04,100,50\n2021-01-05,110,55\n2021-01-06,44,22\n2021-01-07,66,33\n2021-01-08,66,33\n";

fn write(dir: &TempDir, src: &str) -> PathBuf {
    std::fs::write(dir.path().join("prices.csv"), CSV).unwrap();
    let file = dir.path().join("t.strat");
    std::fs::write(&file, src).unwrap();
    file
}

fn strat(args: &[&str], file: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_strat")).args(args).arg(file).output().unwrap()
}

fn json(args: &[&str], file: &Path) -> Value {
    let o = strat(args, file);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a finite number: {v}"))
}

/// The 11 metrics of a run or sweep row, as bits.
fn bits(m: &Value) -> Vec<u64> {
    m.as_object().unwrap().values().map(|v| f(v).to_bits()).collect()
}

#[test]
fn a_leveraged_hold_is_closed_on_its_ruin_row() {
    let dir = TempDir::new("ruin-hold");
    let file = write(&dir, "strategy t\ndata px = csv(\"prices.csv\")\nhold px.a weight 2\n");
    let v = json(&["run", "--json"], &file);
    // By hand: r1 = 2 * (110/100 - 1) = 0.2, E = 1.2; r2 = 2 * (44/110 - 1) = -1.2,
    // E = 1.2 * (1 - 1.2) = -0.24 <= 0: ruin on 2021-01-06; then 0, 0.
    let (r1, r2) = (2.0 * (110.0_f64 / 100.0 - 1.0), 2.0 * (44.0_f64 / 110.0 - 1.0));
    let e2 = (1.0 + r1) * (1.0 + r2);
    assert!((e2 + 0.24).abs() < 1e-12);
    assert_eq!(v["ruin_date"], "2021-01-06");
    let m = &v["metrics"];
    assert_eq!(f(&m["total_return"]), e2 - 1.0);
    assert_eq!(f(&m["cagr"]), -1.0);
    assert!((f(&m["max_drawdown"]) - (e2 / (1.0 + r1) - 1.0)).abs() < 1e-12);
    let x = [r1, r2, 0.0, 0.0];
    let mean = x.iter().sum::<f64>() / 4.0;
    let sd = (x.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / 3.0).sqrt();
    assert!((f(&m["ann_vol"]) - sd * 252f64.sqrt()).abs() < 1e-12);
    assert!((f(&m["sharpe"]) - mean / sd * 252f64.sqrt()).abs() < 1e-12);
    // Held 2 behind the first two returns, nothing behind the last two.
    assert_eq!(f(&m["avg_exposure"]), 1.0);
    // The key order: ruin_date right after the benchmark's figures (information_ratio,
    // active_return, tracking_error, beta, alpha).
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let i = keys.iter().position(|k| *k == "information_ratio").unwrap();
    assert_eq!(keys[i + 1..i + 6], ["active_return", "tracking_error", "beta", "alpha", "ruin_date"]);

    let table = String::from_utf8(strat(&["run"], &file).stdout).unwrap();
    assert!(table.contains("ruin: equity reached 0 on 2021-01-06; the book was closed"), "{table}");

    let out = dir.path().join("daily.csv");
    let o = Command::new(env!("CARGO_BIN_EXE_strat")).arg("run").arg(&file).arg("--out").arg(&out).output().unwrap();
    assert!(o.status.success());
    let daily = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<&str>> = daily.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let weights: Vec<f64> = rows.iter().map(|r| r[1].parse().unwrap()).collect();
    assert_eq!(weights, vec![2.0, 2.0, 0.0, 0.0, 0.0]);
    let equity: Vec<f64> = rows.iter().map(|r| r[3].parse().unwrap()).collect();
    assert_eq!(equity, vec![1.0, 1.0 + r1, e2, e2, e2]);
}

#[test]
fn no_ruin_gives_a_null_ruin_date_and_no_table_line() {
    let dir = TempDir::new("ruin-none");
    let file = write(&dir, "strategy t\ndata px = csv(\"prices.csv\")\nhold px.a weight 0.5\n");
    let v = json(&["run", "--json"], &file);
    assert!(v["ruin_date"].is_null(), "{v}");
    let table = String::from_utf8(strat(&["run"], &file).stdout).unwrap();
    assert!(!table.contains("ruin"), "{table}");
}

#[test]
fn a_huge_cost_is_ruin_not_nan() {
    let dir = TempDir::new("ruin-cost");
    let file = write(&dir, "strategy t\ndata px = csv(\"prices.csv\")\nhold px.a weight 1\ncost 1e300bps\n");
    let v = json(&["run", "--json"], &file);
    // The entry costs 1e296 on the first return: E = 1 + 0.1 - 1e296 < 0.
    assert_eq!(v["ruin_date"], "2021-01-05");
    for (k, m) in v["metrics"].as_object().unwrap() {
        assert!(f(m).is_finite(), "{k}: {m}");
    }
    assert_eq!(f(&v["metrics"]["cagr"]), -1.0);
}

#[test]
fn ten_times_the_sp500_is_ruined_on_2020_03_16() {
    let dir = TempDir::new("ruin-spx");
    let file = dir.path().join("t.strat");
    let data = root().join("examples/data/spx_vix.csv");
    std::fs::write(&file, format!("strategy t\ndata mkt = csv(\"{}\")\nhold mkt.spx weight 10\nbenchmark mkt.spx\n", data.display())).unwrap();
    let v = json(&["run", "--json"], &file);
    assert_eq!(v["ruin_date"], "2020-03-16");
    assert_eq!(f(&v["metrics"]["cagr"]), -1.0);
    assert!(f(&v["metrics"]["total_return"]) <= -1.0);
    for (k, m) in v["metrics"].as_object().unwrap() {
        assert!(f(m).is_finite(), "{k}: {m}");
    }
}

#[test]
fn a_universe_book_is_ruined_on_its_total_equity() {
    let dir = TempDir::new("ruin-panel");
    let file = write(&dir, "strategy t\nuniverse px = csv(\"prices.csv\")\nhold px weight 1\n");
    let v = json(&["run", "--json"], &file);
    // Both assets at 1 (gross 2) move alike: the same path as `hold px.a weight 2`.
    assert_eq!(v["ruin_date"], "2021-01-06");
    assert_eq!(f(&v["metrics"]["avg_exposure"]), 1.0);
}

#[test]
fn an_ensemble_is_ruined_and_its_sweep_row_equals_its_run() {
    let dir = TempDir::new("ruin-ensemble");
    let src = "strategy t\ndata px = csv(\"prices.csv\")\nregime state {\n  UP when px.a > 0\n  DOWN otherwise\n}\nsleeve s { hold px.a weight 1 }\nparam lev in [1, 2]\nensemble by state {\n  UP => lev * s\n  DOWN => lev * s\n}\n";
    let file = write(&dir, src);
    let run = json(&["run", "--json", "--set", "lev=2"], &file);
    assert_eq!(run["ruin_date"], "2021-01-06");
    let hold = json(&["run", "--json"], &write(&TempDir::new("ruin-ensemble-hold"), "strategy t\ndata px = csv(\"prices.csv\")\nhold px.a weight 2\n"));
    assert_eq!(f(&run["metrics"]["total_return"]), f(&hold["metrics"]["total_return"]));
    let sweep = json(&["sweep", "--json", "--quiet"], &file);
    let row = sweep["rows"].as_array().unwrap().iter().find(|r| r["params"]["lev"] == 2.0).unwrap();
    assert_eq!(bits(&row["metrics"]), bits(&run["metrics"]));
}

#[test]
fn a_sweep_row_with_ruin_equals_strat_run_bit_for_bit() {
    let dir = TempDir::new("ruin-sweep");
    let data = root().join("examples/data/spx_vix.csv");
    let file = dir.path().join("t.strat");
    std::fs::write(
        &file,
        format!("strategy t\ndata mkt = csv(\"{}\")\nparam lev in [1, 10]\nhold mkt.spx weight lev\ncost 2bps\nbenchmark mkt.spx\n", data.display()),
    )
    .unwrap();
    let sweep = json(&["sweep", "--json", "--quiet"], &file);
    for row in sweep["rows"].as_array().unwrap() {
        let lev = f(&row["params"]["lev"]);
        let run = json(&["run", "--json", "--set", &format!("lev={lev}")], &file);
        assert_eq!(bits(&row["metrics"]), bits(&run["metrics"]), "lev={lev}");
        assert_eq!(f(&row["information_ratio"]).to_bits(), f(&run["information_ratio"]).to_bits(), "lev={lev}");
        assert_eq!(run["ruin_date"].is_null(), lev == 1.0, "lev={lev}");
    }
}

#[test]
fn a_sleeve_weighted_book_is_ruined_and_its_sweep_row_equals_its_run() {
    let dir = TempDir::new("ruin-sleeves");
    let csv = "date,a,b\n2021-01-04,100,50\n2021-01-05,101,51\n2021-01-06,103,50\n2021-01-07,102,52\n2021-01-08,104,51\n2021-01-11,50,25\n2021-01-12,52,26\n2021-01-13,53,27\n";
    std::fs::write(dir.path().join("prices.csv"), csv).unwrap();
    let file = dir.path().join("t.strat");
    std::fs::write(&file, "strategy t\ndata px = csv(\"prices.csv\")\nsleeve s1 { hold px.a weight 3 }\nsleeve s2 { hold px.b weight 3 }\nparam method in [inv_vol, erc]\nweights alloc = [s1, s2] by method lookback 3 rebalance every 1\nhold [s1, s2] weight alloc\n").unwrap();
    let run = json(&["run", "--json"], &file);
    assert_eq!(run["ruin_date"], "2021-01-11");
    let out = dir.path().join("daily.csv");
    assert!(Command::new(env!("CARGO_BIN_EXE_strat")).arg("run").arg(&file).arg("--out").arg(&out).status().unwrap().success());
    let daily = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<f64>> = daily.lines().skip(1).map(|l| l.split(',').skip(1).map(|x| x.parse().unwrap_or(f64::NAN)).collect()).collect();
    // Rows: 01-07 (t0), 01-08, 01-11 (ruin), 01-12, 01-13; columns weight_s1, weight_s2, return, equity.
    let (a1, a2) = (rows[1][0], rows[1][1]);
    // By hand: the sleeves hold 3x their asset, so the return of 01-11 is
    // a1 * 3 * (50/104 - 1) + a2 * 3 * (25/51 - 1), below -100 % of the equity.
    let r = a1 * (3.0 * (50.0 / 104.0 - 1.0)) + a2 * (3.0 * (25.0 / 51.0 - 1.0));
    assert!((rows[2][2] - r).abs() < 1e-12, "{daily}");
    assert!(rows[2][3] <= 0.0 && rows[1][3] > 0.0, "{daily}");
    for row in &rows[2..] {
        assert_eq!((row[0], row[1]), (0.0, 0.0), "closed from the ruin row on: {daily}");
        assert_eq!(row[3], rows[2][3], "the equity stays at its ruined level: {daily}");
    }
    for row in &rows[3..] {
        assert_eq!(row[2], 0.0, "{daily}");
    }
    let sweep = json(&["sweep", "--json", "--quiet"], &file);
    for row in sweep["rows"].as_array().unwrap() {
        let method = row["params"]["method"].as_str().unwrap();
        let run = json(&["run", "--json", "--set", &format!("method={method}")], &file);
        assert_eq!(bits(&row["metrics"]), bits(&run["metrics"]), "{method}");
    }
}
