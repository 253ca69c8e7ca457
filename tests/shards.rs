//! End-to-end tests of sharded sweeps (issue 14): `strat sweep --shard I/N --out PART` on the
//! real CLI, `strat merge` giving back the single-machine table byte for byte in CSV, Parquet
//! and JSON (with failed bindings whose messages hold commas and quotes), the bad inputs
//! (shard specs, parts of other programs or other data, truncated parts, a missing or repeated
//! shard) each a clear error with nothing written, and the JSON progress events.

use serde_json::Value;
use std::path::{Path, PathBuf};

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};

/// Runs `file`'s sweep whole into `dir/all.EXT` and as `n` shards into `dir/part-I.EXT`;
/// returns the part paths.
fn whole_and_parts(dir: &Path, file: &Path, ext: &str, n: usize) -> Vec<PathBuf> {
    let all = dir.join(format!("all.{ext}"));
    strat_in(dir, &["sweep", &s(file), "--quiet", "--out", &s(&all)]).code(0, "the whole sweep");
    (1..=n)
        .map(|i| {
            let p = dir.join(format!("part-{i}.{ext}"));
            let r = strat_in(dir, &["sweep", &s(file), "--quiet", "--shard", &format!("{i}/{n}"), "--out", &s(&p)]).code(0, "a shard");
            assert!(r.stdout.contains(&format!("shard {i}/{n} of ")), "{}", r.stdout);
            p
        })
        .collect()
}

/// Merges `parts` (given in reverse order: the order of the arguments does not matter) into
/// `dir/merged.EXT` and checks it equals `dir/all.EXT` byte for byte.
fn merge_equals_whole(dir: &Path, parts: &[PathBuf], ext: &str, what: &str) {
    let merged = dir.join(format!("merged.{ext}"));
    let mut args = vec!["merge".to_string(), s(&merged)];
    args.extend(parts.iter().rev().map(|p| s(p)));
    strat_in(dir, &args).code(0, "merge");
    let a = std::fs::read(dir.join(format!("all.{ext}"))).unwrap();
    let b = std::fs::read(&merged).unwrap();
    assert!(a == b, "{what}: the merged {ext} table differs from the single-machine one ({} vs {} bytes)", a.len(), b.len());
}

#[test]
fn three_shards_merge_into_the_single_machine_table_in_every_format() {
    for example in ["tsmom_hedge", "regime_ensemble"] {
        let file = root().join(format!("examples/{example}.strat"));
        for ext in ["csv", "parquet", "json"] {
            let dir = TempDir::new("shards");
            let parts = whole_and_parts(dir.path(), &file, ext, 3);
            merge_equals_whole(dir.path(), &parts, ext, &format!("{example} {ext}"));
        }
    }
}

/// A grid where some bindings fail with messages holding commas and parentheses, over a
/// choice param (text column) and two numeric params.
fn failing_grid(dir: &Path) -> PathBuf {
    let p = dir.join("grid.strat");
    let data = s(&root().join("examples/data/spx_vix.csv"));
    std::fs::write(
        &p,
        format!(
            "data mkt = csv(\"{data}\")\nfrom 2015-01-01\nparam mode in [fast_exit, slow_exit]\nparam window in [0, 10, 1000000]\nparam cut in [20, 30]\n\
             let calm = mkt.vix < cut and mkt.spx > sma(mkt.spx, window)\n\
             hold mkt.spx weight if calm then 100% else (if mode == fast_exit then 0% else 50%)\n"
        ),
    )
    .unwrap();
    p
}

#[test]
fn failed_bindings_and_uneven_shards_merge_exactly() {
    for ext in ["csv", "parquet", "json"] {
        let dir = TempDir::new("shards-failed");
        let file = failing_grid(dir.path());
        // 12 bindings in 5 shards: sizes 3, 3, 2, 2, 2.
        let parts = whole_and_parts(dir.path(), &file, ext, 5);
        let all = std::fs::read_to_string(dir.join("all.csv")).unwrap_or_default();
        if ext == "csv" {
            assert!(all.contains("\"a window length or lag must be a whole number from 1 to 1e9, got 0\""), "{all}");
        }
        merge_equals_whole(dir.path(), &parts, ext, &format!("failing grid {ext}"));
    }
}

#[test]
fn a_shard_whose_bindings_all_fail_keeps_the_weights_columns() {
    // Binding 0 (lookback 1, out of range) fails; shard 1/2 holds only it.
    let dir = TempDir::new("shard-weights");
    let p = dir.join("w.strat");
    let data = s(&root().join("examples/data/etf_adj_close.csv"));
    std::fs::write(
        &p,
        format!(
            "universe etfs = csv(\"{data}\", [spy, tlt, gld])\nfrom 2010-01-04\nparam lb in [1, 60]\n\
             weights w = etfs by inv_vol lookback lb rebalance monthly\nhold etfs weight w\n"
        ),
    )
    .unwrap();
    for ext in ["csv", "parquet", "json"] {
        let parts = whole_and_parts(dir.path(), &p, ext, 2);
        let all = std::fs::read_to_string(dir.join("all.csv")).unwrap_or_default();
        if ext == "csv" {
            assert!(all.lines().next().unwrap().ends_with("w.rebalances,w.fallbacks,w.avg_rebalance_turnover"), "{all}");
            assert!(all.contains("lookback"), "binding 0 failed on its lookback: {all}");
        }
        merge_equals_whole(dir.path(), &parts, ext, &format!("all-failed shard {ext}"));
    }
}

#[test]
fn bad_shard_specs_are_usage_errors() {
    let file = root().join("examples/tsmom_hedge.strat");
    let dir = TempDir::new("shard-spec");
    for (spec, says) in [("0/2", "counts from 1"), ("3/2", "does not exist"), ("a/b", "whole numbers"), ("1/0", "at least 1 shard")] {
        strat_in(dir.path(), &["sweep", &s(&file), "--shard", spec, "--out", "p.csv"]).code(2, spec).says(says, spec);
    }
    strat_in(dir.path(), &["sweep", &s(&file), "--shard", "1/2"]).code(2, "no --out").says("strat::cli::shard", "code").says("needs --out", "why");
    // More shards than bindings: the 83rd of 83 is empty.
    strat_in(dir.path(), &["sweep", &s(&file), "--quiet", "--shard", "83/83", "--out", "p.csv"])
        .code(2, "empty shard")
        .says("is empty: the grid has 82 binding(s)", "why");
    assert!(!dir.join("p.csv").exists(), "nothing written");
}

#[test]
fn parts_of_other_studies_and_damaged_parts_are_refused_with_nothing_written() {
    let dir = TempDir::new("merge-bad");
    let d = dir.path();
    let tsmom = root().join("examples/tsmom_hedge.strat");
    for ext in ["csv", "parquet", "json"] {
        let parts = whole_and_parts(d, &tsmom, ext, 3);
        let out = d.join(format!("out.{ext}"));
        let merge = |list: &[&Path]| {
            let mut a = vec!["merge".to_string(), s(&out)];
            a.extend(list.iter().map(|p| s(p)));
            strat_in(d, &a)
        };
        // A part of another program (the regime ensemble's shard 2 of 3).
        let other = d.join(format!("other.{ext}"));
        strat_in(d, &["sweep", &s(&root().join("examples/regime_ensemble.strat")), "--quiet", "--shard", "2/3", "--out", &s(&other)]).code(0, "other");
        merge(&[&parts[0], &other, &parts[2]]).code(1, "other program").says("strat::merge::mismatch", "code").says("different studies", "why");
        // Same program, other data: one price changed in a copy of the data.
        let copy = d.join("copy");
        std::fs::create_dir_all(copy.join("data")).unwrap();
        let src = std::fs::read_to_string(&tsmom).unwrap();
        std::fs::write(copy.join("p.strat"), &src).unwrap();
        for f in std::fs::read_dir(root().join("examples/data")).unwrap() {
            let f = f.unwrap().path();
            if f.extension().and_then(|e| e.to_str()) == Some("csv") {
                std::fs::copy(&f, copy.join("data").join(f.file_name().unwrap())).unwrap();
            }
        }
        let data_file = src.split('"').find(|t| t.ends_with(".csv")).expect("the program names a CSV file");
        let path = copy.join(data_file);
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(String::from).collect();
        // A row near the end, inside the program's date window.
        let k = lines.len() - 3;
        // The `btc` column (one the program reads): one close 1% higher.
        let col = lines[0].split(',').position(|c| c == "btc").expect("a btc column");
        let mut fields: Vec<String> = lines[k].split(',').map(String::from).collect();
        fields[col] = (fields[col].parse::<f64>().unwrap() * 1.01).to_string();
        lines[k] = fields.join(",");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let moved = d.join(format!("moved.{ext}"));
        strat_in(d, &["sweep", &s(&copy.join("p.strat")), "--quiet", "--shard", "2/3", "--out", &s(&moved)]).code(0, "other data");
        merge(&[&parts[0], &moved, &parts[2]]).code(1, "other data").says("different studies", "why");
        // A missing shard, a repeated shard.
        merge(&[&parts[0], &parts[2]]).code(1, "missing").says("2/3 missing", "why");
        merge(&[&parts[0], &parts[1], &parts[1], &parts[2]]).code(1, "twice").says("given twice", "why");
        // A part cut in the middle.
        let bytes = std::fs::read(&parts[1]).unwrap();
        let cut = d.join(format!("cut.{ext}"));
        std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
        merge(&[&parts[0], &cut, &parts[2]]).code(1, "cut").says("strat::merge::part", "code").says("cut.", "names the part");
        assert!(!out.exists(), "{ext}: nothing is written when a merge is refused");
        // Mixed formats and an output that is a part.
        let csv_part = d.join("part-1.csv");
        if ext != "csv" && csv_part.exists() {
            merge(&[&csv_part, &parts[1], &parts[2]]).code(2, "mixed").says("one format", "why");
        }
        let mut a = vec!["merge".to_string(), s(&parts[0])];
        a.extend(parts.iter().map(|p| s(p)));
        strat_in(d, &a).code(2, "out is a part").says("strat::cli::output_is_input", "code");
        // OUT exists: refused without --force.
        merge(&parts.iter().map(|p| p.as_path()).collect::<Vec<_>>()).code(0, "merge");
        merge(&parts.iter().map(|p| p.as_path()).collect::<Vec<_>>()).code(1, "exists").says("strat::io::exists", "code");
        std::fs::remove_file(&out).unwrap();
    }
    // Rows dropped from the end of a CSV part (whole lines: the file still parses).
    let parts: Vec<PathBuf> = (1..=3).map(|i| d.join(format!("part-{i}.csv"))).collect();
    let text = std::fs::read_to_string(&parts[1]).unwrap();
    let short: String = text.lines().take(5).map(|l| format!("{l}\n")).collect();
    let short_path = d.join("short.csv");
    std::fs::write(&short_path, short).unwrap();
    strat_in(d, &["merge", "short-out.csv", &s(&parts[0]), &s(&short_path), &s(&parts[2])])
        .code(1, "short part")
        .says("holds 4 row(s) but shard 2/3 of 82 bindings has 27", "why");
    // A file that is not a part.
    strat_in(d, &["merge", "x-out.csv", &s(&d.join("all.csv"))]).code(1, "not a part").says("not a part of a sharded sweep", "why");
    assert!(!d.join("short-out.csv").exists() && !d.join("x-out.csv").exists());
}

fn events(text: &str) -> Vec<Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}"))).collect()
}

#[test]
fn progress_json_streams_one_event_per_binding_with_its_metrics() {
    let dir = TempDir::new("progress");
    let d = dir.path();
    let file = root().join("examples/tsmom_hedge.strat");
    let whole = strat_in(d, &["sweep", &s(&file), "--json", "--quiet"]).code(0, "--json");
    let doc: Value = serde_json::from_str(&whole.stdout).unwrap();
    let r = strat_in(d, &["sweep", &s(&file), "--progress", "json", "--shard", "2/3", "--out", "p.csv"]).code(0, "progress json");
    let ev = events(&r.stderr);
    assert_eq!(ev[0]["event"], "started");
    assert_eq!(ev[0]["bindings"], 27);
    assert_eq!(ev[0]["grid_bindings"], 82);
    assert_eq!(ev[0]["shard"], "2/3");
    let last = ev.last().unwrap();
    assert_eq!(last["event"], "finished");
    assert_eq!(last["bindings"], 27);
    let bindings: Vec<&Value> = ev.iter().filter(|e| e["event"] == "binding").collect();
    assert_eq!(bindings.len(), 27);
    let mut ids: Vec<u64> = bindings.iter().map(|e| e["binding"].as_u64().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, (1..82).step_by(3).collect::<Vec<u64>>());
    let mut done: Vec<u64> = bindings.iter().map(|e| e["done"].as_u64().unwrap()).collect();
    done.sort();
    assert_eq!(done, (1..=27).collect::<Vec<u64>>());
    for e in bindings {
        let i = e["binding"].as_u64().unwrap() as usize;
        assert_eq!(e["metrics"], doc["rows"][i]["metrics"], "binding {i}: the event's metrics are the sweep's");
        assert_eq!(e["params"], doc["rows"][i]["params"]);
    }
    // To a file, for a walk-forward: one fold event per fold of the report.
    let wf = strat_in(d, &["walk-forward", &s(&file), "--json"]).code(0, "walk-forward --json");
    let wf: Value = serde_json::from_str(&wf.stdout).unwrap();
    strat_in(d, &["walk-forward", &s(&file), "--progress-file", "wf.jsonl", "--quiet"]).code(0, "progress file");
    let ev = events(&std::fs::read_to_string(d.join("wf.jsonl")).unwrap());
    let folds: Vec<&Value> = ev.iter().filter(|e| e["event"] == "fold").collect();
    assert_eq!(folds.len(), wf["folds"].as_array().unwrap().len());
    assert_eq!(folds[0]["binding"], wf["folds"][0]["binding"]);
    assert_eq!(ev.iter().filter(|e| e["event"] == "binding").count(), 82);
    assert_eq!(ev.last().unwrap()["event"], "finished");
    // The progress file is an output: an existing one needs --force.
    strat_in(d, &["walk-forward", &s(&file), "--progress-file", "wf.jsonl"]).code(1, "exists").says("strat::io::exists", "code");
    // A run that fails after the program compiled ends with an error event: here the memory
    // estimate, checked after the data loads.
    let r = strat_in(d, &["sweep", &s(&file), "--progress", "json", "--max-memory", "1KiB"]).code(1, "over the memory limit");
    let last: Value = serde_json::from_str(r.stderr.lines().rfind(|l| l.starts_with('{')).expect("an event line")).unwrap();
    assert_eq!(last["event"], "error", "{}", r.stderr);
    assert_eq!(last["exit_code"], 1);
    assert!(last["code"].as_str().unwrap().starts_with("strat::limit"), "{last}");
}
