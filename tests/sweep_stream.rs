//! End-to-end tests of the streamed sweep (issue 14, "million-binding sweeps"): `strat sweep`
//! without `--json` or heatmaps walks the grid in chunks and writes `--out` slice by slice,
//! holding neither the grid nor its rows. On a grid of 20,002 bindings (several chunks and
//! Parquet row groups) the streamed tables and files must equal, byte for byte, those of the
//! sweep held in memory (forced by `--heatmap`), and its shards must merge into them.

use std::path::{Path, PathBuf};

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};

/// The TSMOM hedge study with `t` hedge thresholds x `k` strengths (+ 2 baselines).
fn study(dir: &Path, t: usize, k: usize) -> PathBuf {
    let src = std::fs::read_to_string(root().join("examples/tsmom_hedge.strat")).unwrap();
    let data = s(&root().join("examples/data/crypto_close.csv"));
    let mut out = String::new();
    for line in src.lines() {
        let line = if line.starts_with("param hedge_threshold") {
            format!("param hedge_threshold in -0.30 ..= {} step 0.001 when mode == hedge", -0.30 + 0.001 * (t as f64 - 1.0))
        } else if line.starts_with("param hedge_strength") {
            format!("param hedge_strength in 0.01 ..= {} step 0.01 when mode == hedge", 0.01 * k as f64)
        } else {
            line.replace("\"data/crypto_close.csv\"", &format!("{data:?}"))
        };
        out += &line;
        out.push('\n');
    }
    let p = dir.join("scale.strat");
    std::fs::write(&p, out).unwrap();
    p
}

/// stdout without the elapsed time of the summary line (`in 1.234 s`).
fn untimed(text: &str) -> String {
    text.lines()
        .map(|l| match (l.find(" in "), l.find(" s (one compilation")) {
            (Some(a), Some(b)) if a < b => format!("{}{}", &l[..a], &l[b + 2..]),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_streamed_sweep_equals_the_sweep_held_in_memory() {
    let dir = TempDir::new("stream");
    let d = dir.path();
    let file = study(d, 200, 100);
    for ext in ["csv", "parquet"] {
        let streamed = d.join(format!("streamed.{ext}"));
        let held = d.join(format!("held.{ext}"));
        let a = strat_in(d, &["sweep", &s(&file), "--top", "7", "--by", "calmar", "--out", &s(&streamed)]).code(0, "streamed");
        let b = strat_in(d, &["sweep", &s(&file), "--top", "7", "--by", "calmar", "--out", &s(&held), "--heatmap", "sharpe"]).code(0, "held");
        assert!(a.stdout.contains("20002 bindings x "), "{}", a.stdout);
        let (a, b) = (untimed(&a.stdout), untimed(&b.stdout));
        assert!(b.starts_with(&a), "the streamed tables differ from the held ones:\n{a}\n---\n{b}");
        assert!(std::fs::read(&streamed).unwrap() == std::fs::read(&held).unwrap(), "{ext}: the streamed file differs");
        // No temporary file is left beside the output.
        let left: Vec<String> =
            std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).filter(|n| n.contains("strat-sweep")).collect();
        assert!(left.is_empty(), "{left:?}");
        // Shards of the streamed sweep merge into the same table.
        let parts: Vec<String> = (1..=3)
            .map(|i| {
                let p = d.join(format!("part-{i}.{ext}"));
                strat_in(d, &["sweep", &s(&file), "--quiet", "--shard", &format!("{i}/3"), "--out", &s(&p)]).code(0, "shard");
                s(&p)
            })
            .collect();
        let merged = d.join(format!("merged.{ext}"));
        let mut args = vec!["merge".to_string(), s(&merged)];
        args.extend(parts);
        strat_in(d, &args).code(0, "merge");
        assert!(std::fs::read(&merged).unwrap() == std::fs::read(&streamed).unwrap(), "{ext}: the merged shards differ");
    }
    // A streamed shard's part equals the part of the shard held in memory.
    let p1 = d.join("s.csv");
    let p2 = d.join("h.csv");
    strat_in(d, &["sweep", &s(&file), "--quiet", "--shard", "2/5", "--out", &s(&p1)]).code(0, "streamed shard");
    strat_in(d, &["sweep", &s(&file), "--quiet", "--shard", "2/5", "--out", &s(&p2), "--heatmap", "sharpe"]).code(0, "held shard");
    assert!(std::fs::read(&p1).unwrap() == std::fs::read(&p2).unwrap(), "the streamed part differs");
}

#[test]
fn a_streamed_sweep_reports_every_binding_as_a_progress_event() {
    let dir = TempDir::new("stream-progress");
    let d = dir.path();
    let file = study(d, 50, 100);
    let events = d.join("events.jsonl");
    strat_in(d, &["sweep", &s(&file), "--quiet", "--progress", "json", "--progress-file", &s(&events)]).code(0, "sweep");
    let text = std::fs::read_to_string(&events).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.first().unwrap()["bindings"], 5002);
    let mut ids: Vec<u64> = lines.iter().filter(|e| e["event"] == "binding").map(|e| e["binding"].as_u64().unwrap()).collect();
    ids.sort_unstable();
    assert_eq!(ids, (0..5002).collect::<Vec<u64>>());
    assert_eq!(lines.last().unwrap()["event"], "finished");
    assert_eq!(lines.last().unwrap()["bindings"], 5002);
}

#[test]
fn an_empty_grid_streams_a_table_with_its_header_and_reports_cleanly() {
    let dir = TempDir::new("stream-empty");
    let d = dir.path();
    let data = s(&root().join("examples/data/spx_vix.csv"));
    let file = d.join("empty.strat");
    std::fs::write(
        &file,
        format!("data mkt = csv({data:?})\nparam a in [20, 30]\nparam b in [1, 2]\nwhere a > 50\nhold mkt.spx weight if mkt.vix > a then 0 else b / 2\n"),
    )
    .unwrap();
    for ext in ["csv", "parquet"] {
        let streamed = d.join(format!("streamed.{ext}"));
        let held = d.join(format!("held.{ext}"));
        let a = strat_in(d, &["sweep", &s(&file), "--quiet", "--out", &s(&streamed)]).code(0, "streamed");
        strat_in(d, &["sweep", &s(&file), "--quiet", "--out", &s(&held), "--heatmap", "sharpe"]).code(0, "held");
        assert!(a.stdout.contains("0 bindings"), "{}", a.stdout);
        let bytes = std::fs::read(&streamed).unwrap();
        assert!(!bytes.is_empty() && bytes == std::fs::read(&held).unwrap(), "{ext}: the empty table differs from the held one");
    }
    strat_in(d, &["sweep", &s(&file), "--quiet", "--report", "r.html"]).code(0, "report of an empty grid");
}
