//! End-to-end tests of the CLI's output files and study commands (issue 9): two outputs naming
//! one file and an output naming an input are refused before anything is written; the output
//! size limit; `run --out` in CSV, Parquet and JSON; typed sweep columns; `--by` and `--heatmap`
//! taking the table's column names; `--heatmap-svg` without two numeric params; a heatmap slice
//! through the best binding; walk-forward in months and its `--out`; `--set` twice and values
//! outside a param's domain; the `--json` of `run`, `sweep` and `walk-forward` is the embedding
//! API's report (issue 10); a regime ensemble's lean sweep and walk-forward equal each binding's
//! run (issue 17). Everything is written under a fresh temp folder.

use polars::prelude::*;
use std::path::{Path, PathBuf};

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};

fn spx() -> String {
    s(&root().join("examples/data/spx_vix.csv"))
}

/// A program in `dir` named `name.strat` reading the S&P 500 / VIX data from the repository.
fn program(dir: &Path, name: &str, body: &str) -> PathBuf {
    let p = dir.join(format!("{name}.strat"));
    std::fs::write(&p, format!("data mkt = csv(\"{}\")\nfrom 2015-01-01\n{body}\n", spx())).unwrap();
    p
}

/// A sweep over a choice and two numeric params (2 x 3 x 2 = 12 bindings).
const SWEEP: &str = "param mode in [fast_exit, slow_exit]\n\
param window in [10, 20, 40]\n\
param cut in [20, 30]\n\
let calm = mkt.vix < cut and mkt.spx > sma(mkt.spx, window)\n\
hold mkt.spx weight if calm then 100% else (if mode == fast_exit then 0% else 50%)\n\
benchmark mkt.spx";

fn read_parquet(p: &Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(p).unwrap()).finish().unwrap()
}

#[test]
fn two_outputs_naming_one_file_are_refused_before_anything_is_written() {
    let w = root().join("examples/weighting.strat");
    let dir = TempDir::new("same-out");
    let a = dir.join("s.csv");
    // The reproduction: both flags on one path.
    strat_in(dir.path(), &["run", &s(&w), "--out", &s(&a), "--weights-out", &s(&a)])
        .code(2, "--out and --weights-out on one file")
        .says("strat::cli::same_output", "code")
        .says("--weights-out", "names the flag");
    assert!(!a.exists(), "nothing may be written");
    // Two spellings of one file: `./s.csv` and `s.csv`, `sub/../s.csv`.
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    strat_in(dir.path(), &["run", &s(&w), "--out", "./s.csv", "--weights-out", "sub/../s.csv", "--force"])
        .code(2, "./ and ..")
        .says("strat::cli::same_output", "code");
    assert!(!a.exists());
    // A symlinked folder, and a hard link to an existing file (same device and inode).
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.join("sub"), dir.join("link")).unwrap();
        strat_in(dir.path(), &["run", &s(&w), "--out", "sub/x.csv", "--weights-out", "link/x.csv"])
            .code(2, "symlinked folder")
            .says("strat::cli::same_output", "code");
        std::fs::write(dir.join("h1.csv"), "keep\n").unwrap();
        std::fs::hard_link(dir.join("h1.csv"), dir.join("h2.csv")).unwrap();
        strat_in(dir.path(), &["run", &s(&w), "--out", "h1.csv", "--weights-out", "h2.csv", "--force"])
            .code(2, "hard link")
            .says("strat::cli::same_output", "code");
        assert_eq!(std::fs::read_to_string(dir.join("h1.csv")).unwrap(), "keep\n");
    }
    // Sweep: one SVG per --heatmap, so a metric given twice names one file twice.
    let p = program(dir.path(), "grid", SWEEP);
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--heatmap", "sharpe", "--heatmap", "sharpe", "--heatmap-svg", "map"])
        .code(2, "one SVG twice")
        .says("strat::cli::same_output", "code");
    assert!(!dir.join("map_sharpe.svg").exists());
    // Distinct files still work.
    strat_in(dir.path(), &["run", &s(&w), "--set", "method=erc", "--out", "d.csv", "--weights-out", "w.csv"]).code(0, "distinct outputs");
    assert!(dir.join("d.csv").exists() && dir.join("w.csv").exists());
}

#[test]
fn an_output_naming_an_input_is_refused_even_with_force() {
    let dir = TempDir::new("out-in");
    let data = dir.join("mkt.csv");
    std::fs::copy(root().join("examples/data/spx_vix.csv"), &data).unwrap();
    let p = dir.join("p.strat");
    std::fs::write(&p, "data mkt = csv(\"mkt.csv\")\nparam w in [50%, 100%]\nhold mkt.spx weight w\n").unwrap();
    let before = std::fs::read(&data).unwrap();
    for args in [
        vec!["run", "p.strat", "--out", "mkt.csv", "--force"],
        vec!["run", "p.strat", "--out", "./mkt.csv", "--force"],
        vec!["sweep", "p.strat", "--quiet", "--out", "mkt.csv", "--force"],
        vec!["walk-forward", "p.strat", "--quiet", "--out", "mkt.csv", "--force"],
    ] {
        strat_in(dir.path(), &args).code(2, &args.join(" ")).says("strat::cli::output_is_input", "code").says("mkt.csv", "names the file");
        assert_eq!(std::fs::read(&data).unwrap(), before, "{}: the data file changed", args.join(" "));
    }
    // The program itself (a .json name for it is still the program).
    let pj = dir.join("p.json");
    std::fs::copy(&p, &pj).unwrap();
    strat_in(dir.path(), &["run", "p.json", "--out", "p.json", "--force"]).code(2, "--out the program").says("strat::cli::output_is_input", "code");
    assert_eq!(std::fs::read(&pj).unwrap(), std::fs::read(&p).unwrap());
}

#[test]
fn an_output_over_the_size_limit_is_refused_with_the_flag_named() {
    let dir = TempDir::new("out-size");
    let vg = s(&root().join("examples/vix_guard.strat"));
    let out = dir.join("d.csv");
    strat_in(dir.path(), &["run", &vg, "--out", &s(&out), "--max-output-bytes", "10KiB"])
        .code(1, "run --out over the limit")
        .says("strat::limits::output", "code")
        .says("--max-output-bytes", "names the flag");
    assert!(!out.exists());
    let p = program(dir.path(), "grid", SWEEP);
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--out", "g.json", "--max-output-bytes", "1KiB"])
        .code(1, "sweep --out over the limit")
        .says("strat::limits::output", "code");
    assert!(!dir.join("g.json").exists());
    strat_in(dir.path(), &["run", &vg, "--out", &s(&out), "--max-output-bytes", "10MiB"]).code(0, "under the limit");
}

#[test]
fn run_out_writes_csv_parquet_or_json_by_extension_and_refuses_others() {
    let dir = TempDir::new("run-out");
    let vg = s(&root().join("examples/vix_guard.strat"));
    for ext in ["csv", "parquet", "json"] {
        strat_in(dir.path(), &["run", &vg, "--out", &format!("d.{ext}")]).code(0, ext);
    }
    let csv = std::fs::read_to_string(dir.join("d.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "date,weight,return,equity,turnover,cost");
    let pq = read_parquet(&dir.join("d.parquet"));
    assert_eq!(pq.height(), lines.len() - 1, "one Parquet row per CSV row");
    assert_eq!(pq.column("date").unwrap().dtype(), &DataType::Date, "dates are a Date column");
    for c in ["weight", "return", "equity"] {
        assert_eq!(pq.column(c).unwrap().dtype(), &DataType::Float64, "{c}");
    }
    let eq = pq.column("equity").unwrap().f64().unwrap();
    let last_csv: f64 = lines.last().unwrap().split(',').nth(3).unwrap().parse().unwrap();
    assert_eq!(eq.get(pq.height() - 1), Some(last_csv), "the same numbers as the CSV");
    assert_eq!(pq.column("return").unwrap().f64().unwrap().get(0), None, "the first return is missing");
    let first_date = pq.column("date").unwrap().cast(&DataType::String).unwrap();
    assert_eq!(first_date.str().unwrap().get(0), Some(lines[1].split(',').next().unwrap()));
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(dir.join("d.json")).unwrap()).unwrap();
    let rows = json.as_array().expect("an array of rows");
    assert_eq!(rows.len(), lines.len() - 1);
    assert!(rows[0]["return"].is_null());
    assert_eq!(rows.last().unwrap()["equity"].as_f64(), Some(last_csv));
    assert_eq!(rows[0]["date"].as_str(), Some(lines[1].split(',').next().unwrap()));
    strat_in(dir.path(), &["run", &vg, "--out", "d.txt"]).code(2, "d.txt").says("strat::cli::out", "code");
    strat_in(dir.path(), &["run", &vg, "--out", "noext"]).code(2, "no extension").says("strat::cli::out", "code");
    assert!(!dir.join("d.txt").exists() && !dir.join("noext").exists());
}

#[test]
fn sweep_files_have_typed_columns() {
    let dir = TempDir::new("sweep-types");
    let p = program(dir.path(), "grid", SWEEP);
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--out", "g.parquet"]).code(0, "sweep --out parquet");
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--out", "g.csv"]).code(0, "sweep --out csv");
    let df = read_parquet(&dir.join("g.parquet"));
    assert_eq!(df.height(), 12);
    assert_eq!(df.column("mode").unwrap().dtype(), &DataType::String, "a choice param is text");
    assert_eq!(df.column("window").unwrap().dtype(), &DataType::Float64, "a numeric param is Float64");
    assert_eq!(df.column("cut").unwrap().dtype(), &DataType::Float64);
    assert_eq!(df.column("bars").unwrap().dtype(), &DataType::Int64, "bars is an integer");
    assert_eq!(df.column("sharpe").unwrap().dtype(), &DataType::Float64);
    assert_eq!(df.column("window").unwrap().f64().unwrap().get(2), Some(20.0), "grid order: cut varies fastest");
    let csv = std::fs::read_to_string(dir.join("g.csv")).unwrap();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..5], ["mode", "window", "cut", "error", "bars"]);
    let first: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(first[0], "fast_exit");
    assert_eq!(first[1].parse::<f64>().unwrap(), 10.0);
    assert!(first[4].parse::<u64>().is_ok(), "bars is written as a whole number: {}", first[4]);
}

#[test]
fn by_and_heatmap_take_the_table_column_names_with_a_did_you_mean() {
    let dir = TempDir::new("by");
    let p = program(dir.path(), "grid", SWEEP);
    let r = strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--by", "turnover", "--heatmap", "max_dd"]).code(0, "--by turnover");
    assert!(r.stdout.contains("by avg_turnover"), "{}", r.stdout);
    assert!(r.stdout.contains("max_drawdown: rows window x columns cut"), "{}", r.stdout);
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--by", "sharp"])
        .code(2, "typo")
        .says("strat::cli::metric", "code")
        .says("did you mean `sharpe`?", "suggestion");
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--heatmap", "turnovr"]).code(2, "typo").says("did you mean `turnover`?", "suggestion");
}

#[test]
fn heatmap_svg_without_two_numeric_params_is_an_error() {
    let dir = TempDir::new("svg");
    let p = program(dir.path(), "one", "param mode in [a, b]\nparam w in [50%, 100%]\nhold mkt.spx weight if mode == a then w else 30%");
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--heatmap", "sharpe", "--heatmap-svg", "map"])
        .code(1, "--heatmap-svg with one numeric param")
        .says("a heatmap needs two swept numeric params", "message");
    assert!(!dir.join("map_sharpe.svg").exists());
    let p = program(dir.path(), "grid", SWEEP);
    strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--heatmap", "sharpe", "--heatmap-svg", "map"]).code(0, "two numeric params");
    assert!(std::fs::read_to_string(dir.join("map_sharpe.svg")).unwrap().contains("<svg"));
}

#[test]
fn heatmap_of_more_than_two_numeric_params_slices_through_the_best_binding() {
    let dir = TempDir::new("slice");
    let p = program(
        dir.path(),
        "three",
        "param lo in [15, 25]\nparam window in [10, 40]\nparam cut in [20, 30, 40]\n\
         hold mkt.spx weight if mkt.vix < cut and mkt.vix > lo / 2 and mkt.spx > sma(mkt.spx, window) then 100% else 20%",
    );
    let r = strat_in(dir.path(), &["sweep", &s(&p), "--quiet", "--top", "1", "--heatmap", "sharpe"]).code(0, "sweep");
    // The best binding of the table fixes `lo` in the slice.
    let best = r.stdout.lines().find(|l| l.trim_start().starts_with("1  ")).expect("a top row");
    let lo = best.split_whitespace().find(|w| w.starts_with("lo=")).expect("lo in the best binding");
    let note = r.stdout.lines().find(|l| l.contains("slice through the best binding by sharpe")).unwrap_or_else(|| panic!("no slice note:\n{}", r.stdout));
    assert!(note.contains(&format!("fixed {lo};")), "{note} vs best {best}");
    assert!(note.contains("6 other binding(s) not shown"), "{note}");
}

#[test]
fn walk_forward_takes_months_and_writes_the_stitched_days() {
    let dir = TempDir::new("wf");
    let p = program(dir.path(), "grid", SWEEP);
    let j: serde_json::Value = serde_json::from_str(
        &strat_in(dir.path(), &["walk-forward", &s(&p), "--train", "24m", "--test", "6m", "--json", "--out", "oos.csv"]).code(0, "months").stdout,
    )
    .unwrap();
    assert_eq!(j["train_months"], 24);
    assert_eq!(j["test_months"], 6);
    let folds = j["folds"].as_array().unwrap();
    assert_eq!(folds[0]["train"], serde_json::json!(["2015-01", "2016-12"]));
    assert_eq!(folds[0]["test"], serde_json::json!(["2017-01", "2017-06"]));
    assert_eq!(folds[1]["test"][0], "2017-07", "test blocks step by 6 months");
    let csv = std::fs::read_to_string(dir.join("oos.csv")).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(csv.lines().next(), Some("date,binding,return,equity"));
    assert_eq!(rows.len() as u64, j["bars"].as_u64().unwrap(), "one row per stitched return");
    assert_eq!(rows[0][0], j["start"].as_str().unwrap());
    assert_eq!(rows[0][1], folds[0]["binding"].to_string(), "the first fold's binding");
    let mut eq = 1.0;
    for r in &rows {
        eq *= 1.0 + r[2].parse::<f64>().unwrap();
        assert!((eq - r[3].parse::<f64>().unwrap()).abs() <= 1e-12 * eq, "equity compounds the returns");
    }
    assert!((eq - 1.0 - j["out_of_sample"]["total_return"].as_f64().unwrap()).abs() < 1e-9);
    // Years and months may be mixed (both count in months); text output names months.
    let r = strat_in(dir.path(), &["walk-forward", &s(&p), "--train", "2y", "--test", "6m", "--quiet"]).code(0, "2y + 6m");
    assert!(r.stdout.contains("train 24m, test 6m") && r.stdout.contains("2015-01..2016-12  2017-01..2017-06"), "{}", r.stdout);
    // A bad duration.
    strat_in(dir.path(), &["walk-forward", &s(&p), "--train", "0m"]).code(2, "0m").says("strat::cli::duration", "code");
    strat_in(dir.path(), &["walk-forward", &s(&p), "--train", "5w"]).code(2, "5w").says("strat::cli::duration", "code");
}

#[test]
fn set_twice_is_an_error_and_a_value_off_the_domain_warns() {
    let dir = TempDir::new("set");
    let p = program(dir.path(), "grid", &format!("{SWEEP}\nparam fixed_n = 3"));
    strat_in(dir.path(), &["run", &s(&p), "--set", "window=20", "--set", "window=40"])
        .code(2, "--set twice")
        .says("strat::cli::set_twice", "code")
        .says("window=20", "first value")
        .says("window=40", "second value");
    let r = strat_in(dir.path(), &["run", &s(&p), "--set", "window=-1e300"]);
    assert!(r.stderr.contains("strat::param::domain") && r.stderr.contains("`[10, 20, 40]`"), "{}", r.stderr);
    let r = strat_in(dir.path(), &["run", &s(&p), "--set", "window=15"]);
    assert!(r.stderr.contains("strat::param::domain"), "a value between a list's values: {}", r.stderr);
    let r = strat_in(dir.path(), &["run", &s(&p), "--set", "window=40", "--set", "fixed_n=7"]).code(0, "on the grid");
    assert!(!r.stderr.contains("strat::param::domain"), "no warning on the grid or for a fixed param: {}", r.stderr);
    let ts = s(&root().join("examples/tsmom_hedge.strat"));
    let r = strat_in(dir.path(), &["run", &ts, "--set", "mode=hedge", "--set", "hedge_strength=5"]);
    assert!(r.stderr.contains("`0.1 ..= 1.0 step 0.1`"), "names the declared range: {}", r.stderr);
}

/// The CLI's `--json` of `run`, `sweep` and `walk-forward` is the embedding API's report
/// (`strat::report`) serialised: one definition for every front end, byte for byte.
#[test]
fn every_json_is_the_embedding_apis_report() {
    let file = root().join("examples/tsmom_hedge.strat");
    let strategy = strat::Engine::new().compile_file(&file).expect("compiles");
    let frame = strategy.load_data().expect("loads");
    let result = strategy.run(&frame, &strategy.params()).expect("runs");
    let run = strat_in(&root(), &["run", &s(&file), "--json"]).code(0, "run --json");
    assert_eq!(run.stdout, format!("{}\n", serde_json::to_string(&strategy.report(&frame, &result)).unwrap()));

    let grid = strategy.grid();
    let rows = strategy.sweep(&frame, &grid, &|| {}).expect("sweeps");
    let sweep = strat_in(&root(), &["sweep", &s(&file), "--json", "--quiet"]).code(0, "sweep --json");
    assert_eq!(sweep.stdout, format!("{}\n", serde_json::to_string(&strategy.sweep_report(&grid, &rows)).unwrap()));
    let report = strategy.sweep_report(&grid, &rows);
    assert_eq!(report.row_reports().count(), grid.bindings.len());

    let spec = strat_runtime::walk_forward::WalkForwardSpec {
        train: 36,
        test: 6,
        unit: strat_runtime::walk_forward::PeriodUnit::Months,
        anchored: false,
        periods_per_year: strategy.program().annualize,
    };
    let (grid, wf) = strategy.walk_forward(&frame, "sharpe", spec, &|| {}).expect("walks forward");
    let walk = strat_in(&root(), &["walk-forward", &s(&file), "--train", "36m", "--test", "6m", "--json", "--quiet"]).code(0, "walk-forward --json");
    assert_eq!(walk.stdout, format!("{}\n", serde_json::to_string(&strategy.walk_forward_report(&frame, "sharpe", &spec, &grid, &wf)).unwrap()));
}

/// `--costs-out` lists every asset's trade (SEMANTICS.md §3): per date its costs add up to the
/// `cost` column of `--out`, for a combined book (netted stocks of two sleeves plus ETFs) and for
/// the `impact` model; a combined book names its netted assets; `--force` is needed to replace it.
#[test]
fn costs_out_lists_each_assets_trade_and_adds_up_to_the_daily_cost() {
    let dir = TempDir::new("costs-out");
    for (example, assets) in [("regime_ensemble_net", 52), ("momentum_impact", 49)] {
        let file = s(&root().join(format!("examples/{example}.strat")));
        strat_in(dir.path(), &["run", &file, "--out", &format!("{example}.csv"), "--costs-out", &format!("{example}-costs.csv")]).code(0, example);
        let read = |name: &str| -> Vec<Vec<String>> {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            text.lines().map(|l| l.split(',').map(str::to_string).collect()).collect()
        };
        let (daily, costs) = (read(&format!("{example}.csv")), read(&format!("{example}-costs.csv")));
        assert_eq!(costs[0], ["date", "asset", "weight", "trade", "cost"]);
        let col = |name: &str| daily[0].iter().position(|c| c == name).unwrap();
        let (date_col, cost_col, tv_col) = (col("date"), col("cost"), col("turnover"));
        let mut per_day: std::collections::HashMap<&str, (f64, f64)> = Default::default();
        let mut names = std::collections::BTreeSet::new();
        for r in &costs[1..] {
            let e = per_day.entry(r[0].as_str()).or_default();
            e.0 += r[4].parse::<f64>().unwrap();
            e.1 += r[3].parse::<f64>().unwrap();
            names.insert(r[1].clone());
        }
        assert!(names.len() <= assets && names.len() > 10, "{example}: {} assets traded", names.len());
        let mut traded_days = 0;
        for r in &daily[1..] {
            let (c, tv) = per_day.get(r[date_col].as_str()).copied().unwrap_or((0.0, 0.0));
            let (want_c, want_tv): (f64, f64) = (r[cost_col].parse().unwrap(), r[tv_col].parse().unwrap());
            assert!((c - want_c).abs() <= 1e-15 + 1e-12 * want_c, "{example} {}: costs {c} vs daily {want_c}", r[date_col]);
            assert!((tv - want_tv).abs() <= 1e-12, "{example} {}: trades {tv} vs turnover {want_tv}", r[date_col]);
            traded_days += usize::from(want_tv > 0.0);
        }
        assert!(traded_days > 100, "{example}: {traded_days} days with trades");
    }
    let file = s(&root().join("examples/regime_ensemble_net.strat"));
    strat_in(dir.path(), &["run", &file, "--costs-out", "regime_ensemble_net-costs.csv"]).code(1, "no --force").says("strat::io::exists", "no --force");
}

/// The figures of one sweep row and of `strat run --json` with its params that must agree bit
/// for bit (as JSON text: shortest round-trip numbers).
fn row_equals_run(label: &str, file: &Path, row: &serde_json::Value) {
    let mut args = vec!["run".to_string(), s(file), "--json".to_string()];
    for (name, v) in row["params"].as_object().expect("params") {
        args.extend(["--set".to_string(), format!("{name}={}", v.as_f64().expect("a number"))]);
    }
    let out = strat_in(&root(), &args).code(0, label);
    let run: serde_json::Value = serde_json::from_str(out.stdout.trim()).expect("run --json");
    for key in ["bars", "metrics", "avg_turnover", "information_ratio", "reports"] {
        assert_eq!(run[key].to_string(), row[key].to_string(), "{label}: {key} of `strat run` differs from the sweep row {}", row["params"]);
    }
}

/// A sweep or a walk-forward of a regime ensemble with a flat cost takes a lean path (only the
/// change rows' trades, no per-row vectors: `strat_runtime::portfolio::book::ensemble_flat`);
/// `strat run` takes the portfolio stage. Their figures agree bit for bit, the turnover and the
/// costs included, on every binding of a program whose sleeves net the same assets in another
/// order, whose arms allocate 0 to a sleeve, and whose cost is swept; and each walk-forward
/// return is its binding's. (`tests/reference_portfolio.rs` checks the example's grid with
/// costs against runs and the Python reference.)
#[test]
fn an_ensembles_lean_sweep_and_walk_forward_equal_each_bindings_run() {
    let dir = TempDir::new("lean-ensemble");
    let etf = s(&root().join("examples/data/etf_adj_close.csv"));
    let text = format!(
        "strategy lean\ndata mkt = csv(\"{}\")\n\
         universe all = csv(\"{etf}\", [spy, tlt, gld, ief])\nuniverse two = csv(\"{etf}\", [gld, spy])\n\
         regime state {{\n  CALM when mkt.vix < 20\n  STORM otherwise\n}}\n\
         let trend = if all > sma(all, 50) then 1 else 0\n\
         sleeve a {{ hold all weight trend / 4 rebalance weekly }}\nsleeve b {{ hold two weight 0.5 rebalance monthly }}\n\
         param calm_a in [0, 0.5, 1]\nparam storm_b in [0.5, 1.5]\nparam fee in [0bps, 25bps]\n\
         ensemble by state {{\n  CALM => calm_a * a + 0.5 * b\n  STORM => storm_b * b\n}}\ncost fee\n",
        spx()
    );
    let file = dir.join("lean.strat");
    std::fs::write(&file, text).unwrap();
    let sweep = common::sweep_json(&file, false);
    let rows = sweep["rows"].as_array().expect("sweep rows");
    assert_eq!(rows.len(), 12);
    for (i, row) in rows.iter().enumerate() {
        row_equals_run(&format!("lean.strat binding {i}"), &file, row);
    }
    // The walk-forward takes the same lean path: each stitched return is its binding's own
    // return in `strat run --out` on that date, as text (shortest round trip), so bit for bit.
    let wf: serde_json::Value = serde_json::from_str(
        &strat_in(dir.path(), &["walk-forward", &s(&file), "--train", "5y", "--test", "1y", "--json", "--out", "oos.csv"]).code(0, "walk-forward").stdout,
    )
    .unwrap();
    let oos = std::fs::read_to_string(dir.join("oos.csv")).unwrap();
    let (mut checked, mut seen) = (0, std::collections::BTreeSet::new());
    for fold in wf["folds"].as_array().expect("folds") {
        let b = fold["binding"].as_u64().expect("binding");
        if !seen.insert(b) {
            continue;
        }
        let mut args = vec!["run".to_string(), s(&file), "--out".to_string(), format!("run{b}.csv"), "--force".to_string()];
        for (name, v) in fold["params"].as_object().expect("params") {
            args.extend(["--set".to_string(), format!("{name}={}", v.as_f64().expect("a number"))]);
        }
        strat_in(dir.path(), &args).code(0, "run a fold's binding");
        let daily = std::fs::read_to_string(dir.join(format!("run{b}.csv"))).unwrap();
        let col = daily.lines().next().unwrap().split(',').position(|c| c == "return").expect("a return column");
        let by_date: std::collections::HashMap<&str, &str> =
            daily.lines().skip(1).map(|l| (l.split(',').next().unwrap(), l.split(',').nth(col).unwrap())).collect();
        for line in oos.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            if f[1] == b.to_string() {
                assert_eq!(Some(&f[2]), by_date.get(f[0]), "walk-forward return of binding {b} on {} differs from its run", f[0]);
                checked += 1;
            }
        }
    }
    assert_eq!(checked as u64, wf["bars"].as_u64().unwrap(), "every stitched return checked");
}

/// A sweep computes a rebalanced sleeve's weight (its cross-sectional selection, its windows)
/// on its rebalance rows only, and every row up to its first rebalance past warm-up
/// (`Plan::demand`, `plan_runner::build_cache_at`); its figures equal each binding's `strat
/// run`, bit for bit: with a report reading the selected series on every row, and with a
/// sleeve whose weight is first defined between two rebalance rows after its first one, where
/// the sweep must compute every row instead (its first live row would move otherwise).
#[test]
fn a_sweep_of_sleeves_computed_on_their_rebalance_rows_equals_each_bindings_run() {
    let dir = TempDir::new("rebalance-rows");
    let dates = common::business_days((2021, 1, 4), 320);
    // z is 0 up to the first month-end and on the second, so `z / z` is NaN there.
    let first_end = dates.iter().position(|d| d.starts_with("2021-02")).unwrap() - 1;
    let second_end = dates.iter().position(|d| d.starts_with("2021-03")).unwrap() - 1;
    let mut csv = String::from("date,a,b,c,d,m,z\n");
    let mut px = [100.0f64, 50.0, 80.0, 20.0];
    for (t, date) in dates.iter().enumerate() {
        for (j, p) in px.iter_mut().enumerate() {
            *p *= 1.0 + 0.01 * ((t * (j + 3)) as f64 * 0.37).sin() + 0.002 * j as f64 - 0.003;
        }
        let m = 100.0 + 10.0 * (t as f64 * 0.05).sin();
        let z = if t <= first_end || t == second_end { 0.0 } else { 1.0 };
        csv.push_str(&format!("{date},{},{},{},{},{m},{z}\n", px[0], px[1], px[2], px[3]));
    }
    let data = dir.join("panel.csv");
    std::fs::write(&data, csv).unwrap();
    let body = |late: bool| {
        format!(
            "strategy rows\ndata mkt = csv(\"{d}\")\nuniverse u = csv(\"{d}\", [a, b, c, d])\n\
             regime state {{\n  UP when mkt.m > sma(mkt.m, 10)\n  DOWN otherwise\n}}\n\
             let vol = std(ret(u), 8)\n\
             let calm = if bottom(vol, 50%) then 1 else 0\n\
             sleeve low {{ hold u weight calm / sum(calm) rebalance monthly }}\n\
             sleeve mom {{ hold u weight {mom} rebalance monthly }}\n\
             param up_low in [0.3, 0.7]\nparam fee in [0bps, 20bps]\n\
             ensemble by state {{\n  UP => up_low * low + 0.5 * mom\n  DOWN => 0.8 * low\n}}\ncost fee\n\
             report calm_day = mean(vol) < 0.01\n",
            d = s(&data),
            // `sum` over the assets is cross-sectional, so the sweep computes it on the sleeve's
            // rows only.
            mom = if late { "0.25 * sum(0 * u + mkt.z) / sum(0 * u + mkt.z)" } else { "if top(u[2] / u[12] - 1, 50%) then 0.5 else 0" }
        )
    };
    for late in [false, true] {
        let file = dir.join(if late { "late.strat" } else { "rows.strat" });
        std::fs::write(&file, body(late)).unwrap();
        let sweep = common::sweep_json(&file, false);
        let rows = sweep["rows"].as_array().expect("sweep rows");
        assert_eq!(rows.len(), 4);
        for (i, row) in rows.iter().enumerate() {
            row_equals_run(&format!("{} binding {i}", file.display()), &file, row);
        }
    }
}
