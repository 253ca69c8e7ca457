//! Point-in-time panels end to end (issue 12, SEMANTICS.md §3c): tiny long and wide files whose
//! as-of values are worked out by hand below, read through the real `strat` binary
//! (`--values-out`), and the bad inputs a user meets: a duplicate `(date, ticker)`, a ticker of the
//! universe without records, an availability date before its period, an unsorted long file.

use std::path::Path;
use std::process::Command;

mod common;
use common::TempDir;

/// Runs `strat ARGS` in `dir`: (exit code, stdout, stderr).
fn strat(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_strat")).args(args).current_dir(dir).env("NO_COLOR", "1").output().expect("start strat");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// Prices of three assets on eight weekdays, 2024-01-01 .. 2024-01-10.
const PRICES: &str = "date,a,b,c\n\
2024-01-01,10,20,30\n2024-01-02,11,21,31\n2024-01-03,12,22,32\n2024-01-04,13,23,33\n\
2024-01-05,14,24,34\n2024-01-08,15,25,35\n2024-01-09,16,26,36\n2024-01-10,17,27,37\n";

/// A folder with `px.csv`, `f.csv` (= `long`) and `s.strat` (= `program`).
fn setup(long: &str, program: &str) -> TempDir {
    let dir = TempDir::new("panel-data");
    std::fs::write(dir.join("px.csv"), PRICES).unwrap();
    std::fs::write(dir.join("f.csv"), long).unwrap();
    std::fs::write(dir.join("s.strat"), program).unwrap();
    dir
}

/// The column `name` of a `--values-out` CSV, as text cells.
fn column(csv: &str, name: &str) -> Vec<String> {
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let j = header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name} in {header:?}"));
    lines.map(|l| l.split(',').nth(j).unwrap().to_string()).collect()
}

/// Cell text as a number (empty or NaN: NaN).
fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

fn same(got: &[String], want: &[f64]) -> bool {
    got.len() == want.len() && got.iter().zip(want).all(|(g, w)| (num(g).is_nan() && w.is_nan()) || num(g) == *w)
}

const N: f64 = f64::NAN;

#[test]
fn a_long_file_is_joined_as_of_each_bar_after_its_lag() {
    // Records (unsorted on purpose): a's period ends 2023-12-31 (usable with a 3-day lag from
    // 2024-01-03) and 2024-01-04 (usable from 01-07, a Sunday: first bar 01-08); b's 2024-01-02
    // record has an empty value, so from its usable day (01-05) b is NaN again, not the older
    // value. c has no record: NaN throughout, with a warning.
    let long = "date,ticker,v\n2024-01-04,a,2.0\n2023-12-31,a,1.0\n2023-12-30,b,5.0\n2024-01-02,b,\n";
    let program = "universe px = csv(\"px.csv\")\npanel f = csv(\"f.csv\") on px lag 3d\nlet x = f.v\nhold px weight 1 / count(px)\n";
    let dir = setup(long, program);
    let (code, _, err) = strat(&dir, &["run", "s.strat", "--values-out", "v.csv", "--value", "x"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("strat::data::no_records") && err.contains("1 of the 3 assets") && err.contains(": c"), "{err}");
    let csv = std::fs::read_to_string(dir.join("v.csv")).unwrap();
    //                     01-01 01-02 01-03 01-04 01-05 01-08 01-09 01-10
    assert!(same(&column(&csv, "x.a"), &[N, N, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]), "{csv}");
    assert!(same(&column(&csv, "x.b"), &[N, 5.0, 5.0, 5.0, N, N, N, N]), "{csv}");
    assert!(same(&column(&csv, "x.c"), &[N; 8]), "{csv}");
}

#[test]
fn an_available_column_dates_each_record_and_lag_zero_allows_the_same_day() {
    // a's 2023-12-31 record was filed 2024-01-04: usable that very day (exact match, lag 0).
    let long = "date,ticker,filed,v\n2023-12-31,a,2024-01-04,7.5\n2023-12-31,b,2024-01-01,3.0\n2023-12-31,c,2024-01-09,1.0\n";
    let program = "universe px = csv(\"px.csv\")\npanel f = csv(\"f.csv\") on px available filed\nlet x = f.v\nhold px weight 1 / count(px)\n";
    let dir = setup(long, program);
    let (code, _, err) = strat(&dir, &["run", "s.strat", "--values-out", "v.csv", "--value", "x"]);
    assert_eq!(code, Some(0), "{err}");
    let csv = std::fs::read_to_string(dir.join("v.csv")).unwrap();
    assert!(same(&column(&csv, "x.a"), &[N, N, N, 7.5, 7.5, 7.5, 7.5, 7.5]), "{csv}");
    assert!(same(&column(&csv, "x.b"), &[3.0; 8]), "{csv}");
    assert!(same(&column(&csv, "x.c"), &[N, N, N, N, N, N, 1.0, 1.0]), "{csv}");
}

#[test]
fn a_wide_weights_file_is_held_from_each_row_until_the_next() {
    // Target weights decided on 01-02 and 01-08 (a Monday), held as of each bar; column d is
    // not an asset of the universe (warned, not read).
    let weights = "date,a,b,d\n2024-01-02,0.5,0.5,0.1\n2024-01-08,0.25,0.75,0.1\n";
    let program = "universe px = csv(\"px.csv\")\npanel base = csv(\"f.csv\") on px\nlet w = base\nhold px weight coalesce(base, 0)\n";
    let dir = setup(weights, program);
    let (code, _, err) = strat(&dir, &["run", "s.strat", "--values-out", "v.csv", "--value", "w", "--out", "d.csv"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("strat::data::extra_columns") && err.contains(": d"), "{err}");
    assert!(err.contains("strat::data::no_records") && err.contains(": c"), "{err}");
    let csv = std::fs::read_to_string(dir.join("v.csv")).unwrap();
    assert!(same(&column(&csv, "w.a"), &[N, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25]), "{csv}");
    assert!(same(&column(&csv, "w.b"), &[N, 0.5, 0.5, 0.5, 0.5, 0.75, 0.75, 0.75]), "{csv}");
    // The daily file: b's weight held from each close.
    let daily = std::fs::read_to_string(dir.join("d.csv")).unwrap();
    let (dates, wb) = (column(&daily, "date"), column(&daily, "weight_b"));
    let at = |d: &str| num(&wb[dates.iter().position(|x| x == d).unwrap_or_else(|| panic!("no {d} in {daily}"))]);
    assert_eq!((at("2024-01-02"), at("2024-01-05"), at("2024-01-08"), at("2024-01-10")), (0.5, 0.5, 0.75, 0.75), "{daily}");
}

#[test]
fn a_duplicate_date_and_ticker_names_the_file_and_both_lines() {
    let long = "date,ticker,v\n2023-12-31,a,1.0\n2023-12-31,b,2.0\n2023-12-31,a,3.0\n";
    let program = "universe px = csv(\"px.csv\")\npanel f = csv(\"f.csv\") on px lag 3d\nhold px weight if f.v > 0 then 0.3 else 0\n";
    let dir = setup(long, program);
    let (code, _, err) = strat(&dir, &["run", "s.strat"]);
    assert_eq!(code, Some(1), "{err}");
    for needle in ["f.csv:4", "column 'date'", "duplicate record", "\"a\"", "2023-12-31", "also on line 2"] {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
}

#[test]
fn an_availability_date_before_its_period_and_a_missing_ticker_are_errors() {
    let program = "universe px = csv(\"px.csv\")\npanel f = csv(\"f.csv\") on px available filed\nhold px weight if f.v > 0 then 0.3 else 0\n";
    let dir = setup("date,ticker,filed,v\n2023-12-31,a,2023-12-01,1.0\n", program);
    let (code, _, err) = strat(&dir, &["run", "s.strat"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("f.csv:2") && err.contains("column 'filed'") && err.contains("before the period date"), "{err}");
    let dir = setup("date,ticker,v\n2023-12-31,,1.0\n", &program.replace(" available filed", " lag 1d"));
    let (code, _, err) = strat(&dir, &["run", "s.strat"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("f.csv:2") && err.contains("column 'ticker'") && err.contains("missing ticker"), "{err}");
}

#[test]
fn check_reports_the_panel_errors_of_a_program_at_once() {
    let program = "universe px = csv(\"px.csv\")\npanel f = csv(\"f.csv\") on px lag -1d\nlet y = f.vv\nhold px weight 0.3\n";
    let dir = setup("date,ticker,v\n2023-12-31,a,1.0\n", program);
    let (code, _, err) = strat(&dir, &["check", "s.strat"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("strat::value::negative_lag"), "{err}");
    assert!(err.contains("strat::name::unknown_column") && err.contains("did you mean `v`?"), "{err}");
}

#[test]
fn a_weights_file_in_percent_is_reported_with_its_file_date_and_column() {
    let weights = "date,a,b,c\n2024-01-02,50,30,20\n";
    let program = "universe px = csv(\"px.csv\")\npanel base = csv(\"f.csv\") on px\nhold px weight coalesce(base, 0)\n";
    let dir = setup(weights, program);
    let (code, _, err) = strat(&dir, &["run", "s.strat"]);
    assert_eq!(code, Some(0), "{err}");
    for needle in ["strat::run::implausible_weights", "on 2024-01-02", "gross exposure of 100", "largest: a at 50", "f.csv column 'a'", "fractions of equity"] {
        assert!(err.contains(needle), "stderr lacks {needle:?}:\n{err}");
    }
}

#[test]
fn a_long_parquet_file_joins_like_its_csv() {
    use polars::prelude::*;
    // The records of `a_long_file_is_joined_as_of_each_bar_after_its_lag`, with `date` as a
    // Parquet Date and a null value.
    let days = |d: &str| strat_runtime::frame::parse_date(d).unwrap();
    let date = Series::new(PlSmallStr::from_static("date"), [days("2024-01-04"), days("2023-12-31"), days("2023-12-30"), days("2024-01-02")])
        .cast(&DataType::Date)
        .unwrap();
    let ticker = Series::new(PlSmallStr::from_static("ticker"), ["a", "a", "b", "b"]);
    let v = Series::new(PlSmallStr::from_static("v"), [Some(2.0), Some(1.0), Some(5.0), None::<f64>]);
    let mut df = DataFrame::new(4, vec![date.into(), ticker.into(), v.into()]).unwrap();
    let program = "universe px = csv(\"px.csv\")\npanel f = parquet(\"f.parquet\") on px lag 3d\nlet x = f.v\nhold px weight 1 / count(px)\n";
    let dir = setup("", program);
    ParquetWriter::new(std::fs::File::create(dir.join("f.parquet")).unwrap()).finish(&mut df).unwrap();
    let (code, _, err) = strat(&dir, &["run", "s.strat", "--values-out", "v.csv", "--value", "x"]);
    assert_eq!(code, Some(0), "{err}");
    let csv = std::fs::read_to_string(dir.join("v.csv")).unwrap();
    assert!(same(&column(&csv, "x.a"), &[N, N, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]), "{csv}");
    assert!(same(&column(&csv, "x.b"), &[N, 5.0, 5.0, 5.0, N, N, N, N]), "{csv}");
    // A duplicate record names the Parquet row (as line = row + 1 after a header).
    let date = Series::new(PlSmallStr::from_static("date"), [days("2023-12-31"), days("2023-12-31")]).cast(&DataType::Date).unwrap();
    let ticker = Series::new(PlSmallStr::from_static("ticker"), ["a", "a"]);
    let v = Series::new(PlSmallStr::from_static("v"), [1.0, 2.0]);
    let mut df = DataFrame::new(2, vec![date.into(), ticker.into(), v.into()]).unwrap();
    ParquetWriter::new(std::fs::File::create(dir.join("f.parquet")).unwrap()).finish(&mut df).unwrap();
    let (code, _, err) = strat(&dir, &["run", "s.strat"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("f.parquet:3") && err.contains("duplicate record") && err.contains("also on line 2"), "{err}");
}
