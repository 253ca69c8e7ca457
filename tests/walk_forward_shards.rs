//! End-to-end tests of sharded walk-forwards (issue 14): `strat walk-forward FILE --shard I/N
//! --out PART.parquet` on the real CLI writes each shard's bindings' daily returns, and
//! `strat walk-forward FILE --merge PARTS...` chooses the folds over them: the same table, JSON
//! report and `--out` file as the single-machine walk-forward, byte for byte. Bad inputs (a
//! part of another program, a missing or repeated shard, a truncated part, a sweep's part, a
//! CSV part, an output over a part) are each a clear error.

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};
use std::path::{Path, PathBuf};

/// stdout without the elapsed time of the first line (`729 bindings in 1.234 s`).
fn untimed(text: &str) -> String {
    text.lines()
        .map(|l| l.find(" in ").filter(|_| l.ends_with(" s")).map(|a| l[..a].to_string()).unwrap_or_else(|| l.to_string()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `n` shards of `file`'s walk-forward (`flags` as the study's) into `dir/TAG-I.parquet`.
fn shards(dir: &Path, file: &Path, flags: &[&str], n: usize, tag: &str) -> Vec<PathBuf> {
    (1..=n)
        .map(|i| {
            let p = dir.join(format!("{tag}-{i}.parquet"));
            let mut args = vec!["walk-forward".to_string(), s(file), "--quiet".into(), "--shard".into(), format!("{i}/{n}"), "--out".into(), s(&p)];
            args.extend(flags.iter().map(|f| f.to_string()));
            let r = strat_in(dir, &args).code(0, "a shard");
            assert!(r.stdout.starts_with(&format!("shard {i}/{n} of ")), "{}", r.stdout);
            p
        })
        .collect()
}

#[test]
fn merged_shards_give_the_single_machine_walk_forward() {
    let cases: [(&str, &[&str], usize); 2] =
        [("regime_ensemble", &[], 3), ("tsmom_hedge", &["--train", "36m", "--test", "6m", "--by", "calmar", "--anchored"], 4)];
    for (example, flags, n) in cases {
        let dir = TempDir::new("wf-shards");
        let d = dir.path();
        let file = root().join(format!("examples/{example}.strat"));
        let parts = shards(d, &file, flags, n, "part");
        let run = |extra: &[&str]| {
            let mut args = vec!["walk-forward".to_string(), s(&file), "--quiet".into()];
            args.extend(flags.iter().chain(extra).map(|f| f.to_string()));
            strat_in(d, &args).code(0, "walk-forward")
        };
        let mut merge: Vec<String> = vec!["--merge".into()];
        merge.extend(parts.iter().rev().map(|p| s(p)));
        let merge: Vec<&str> = merge.iter().map(String::as_str).collect();
        let whole = run(&["--out", "whole.csv"]);
        let merged = run(&[&merge[..], &["--out", "merged.csv"]].concat());
        assert_eq!(untimed(&whole.stdout), untimed(&merged.stdout), "{example}: the table");
        assert!(std::fs::read(d.join("whole.csv")).unwrap() == std::fs::read(d.join("merged.csv")).unwrap(), "{example}: --out");
        let whole = run(&["--json"]);
        let merged = run(&[&merge[..], &["--json"]].concat());
        assert_eq!(whole.stdout, merged.stdout, "{example}: --json");
        assert!(whole.stdout.contains("\"folds\""), "{}", whole.stdout);
    }
}

#[test]
fn bad_parts_and_shards_are_refused() {
    let dir = TempDir::new("wf-bad");
    let d = dir.path();
    let regime = root().join("examples/regime_ensemble.strat");
    let tsmom = root().join("examples/tsmom_hedge.strat");
    let parts = shards(d, &regime, &[], 3, "r");
    let wf = |args: &[&str]| {
        let mut a = vec!["walk-forward".to_string(), s(&regime), "--quiet".into()];
        a.extend(args.iter().map(|x| x.to_string()));
        strat_in(d, &a)
    };
    let (p1, p2, p3) = (s(&parts[0]), s(&parts[1]), s(&parts[2]));
    // A shard's part is Parquet.
    wf(&["--shard", "1/3", "--out", "p.csv"]).code(2, "csv part").says("strat::cli::shard", "code").says("PART.parquet", "help");
    wf(&["--shard", "1/3"]).code(2, "no out").says("strat::cli::shard", "code");
    wf(&["--shard", "0/3", "--out", "p.parquet"]).code(2, "0/3").says("counts from 1", "why");
    wf(&["--shard", "1/3", "--merge", &p1]).code(2, "shard and merge");
    // A missing and a repeated shard.
    wf(&["--merge", &p1, &p2]).code(1, "missing").says("strat::merge::mismatch", "code").says("shard(s) 3/3 missing", "which");
    wf(&["--merge", &p1, &p2, &p2]).code(1, "twice").says("shard 2/3 is given twice", "which");
    // Parts of another program.
    let other = shards(d, &tsmom, &[], 3, "t");
    let o: Vec<String> = other.iter().map(|p| s(p)).collect();
    wf(&["--merge", &o[0], &o[1], &o[2]]).code(1, "other program").says("strat::merge::mismatch", "code").says("another study", "why");
    // A part cut in the middle.
    let bytes = std::fs::read(&parts[2]).unwrap();
    let cut = d.join("cut.parquet");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    wf(&["--merge", &p1, &p2, &s(&cut)]).code(1, "truncated").says("strat::merge::part", "code").says("truncated", "why");
    // A sweep's part is not a walk-forward part.
    let sp = d.join("sweep-3.parquet");
    strat_in(d, &["sweep", &s(&regime), "--quiet", "--shard", "3/3", "--out", &s(&sp)]).code(0, "sweep shard");
    wf(&["--merge", &p1, &p2, &s(&sp)]).code(1, "sweep part").says("not a part of a sharded walk-forward", "why");
    // An output over a part.
    wf(&["--merge", &p1, &p2, &p3, "--out", &p3]).code(2, "out is a part").says("strat::cli::output_is_input", "code");
    assert!(std::fs::read(&parts[2]).unwrap() == bytes, "the part is untouched");
}
