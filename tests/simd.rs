//! The AVX2 copies of the hot column loops (`strat_stdlib::simd`) against the baseline x86-64
//! copies, end to end: `strat run --json` of every example and `strat sweep --json` of the
//! multi-asset studies print the same bytes with and without `STRAT_NO_AVX2=1`. On a processor
//! without AVX2 both runs take the baseline copy and the test compares it with itself.

use std::process::Command;

mod common;
use common::root;

/// Standard output of `strat ARGS` run in the repository root, with AVX2 forced off or not;
/// panics when the command fails.
fn output(args: &[&str], no_avx2: bool) -> Vec<u8> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.current_dir(root()).args(args).env_remove("STRAT_NO_AVX2");
    if no_avx2 {
        cmd.env("STRAT_NO_AVX2", "1");
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "strat {args:?} (STRAT_NO_AVX2={no_avx2}) failed: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn same_bytes(args: &[&str]) {
    let (avx2, baseline) = (output(args, false), output(args, true));
    assert!(!baseline.is_empty(), "strat {args:?} printed nothing");
    if avx2 != baseline {
        let at = avx2.iter().zip(&baseline).position(|(a, b)| a != b).unwrap_or(avx2.len().min(baseline.len()));
        let show = |b: &[u8]| String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())]).into_owned();
        panic!("strat {args:?}: the AVX2 and baseline copies differ at byte {at}:\n  avx2:     {}\n  baseline: {}", show(&avx2), show(&baseline));
    }
}

#[test]
fn every_example_runs_to_the_same_bytes_with_and_without_avx2() {
    let mut files = vec![];
    common::strat_files(&root().join("examples"), &mut files);
    assert!(files.len() >= 10, "examples/ lost its programs: {files:?}");
    for f in &files {
        let rel = f.strip_prefix(root()).unwrap_or(f);
        same_bytes(&["run", &rel.to_string_lossy(), "--json"]);
    }
}

#[test]
fn multi_asset_sweeps_give_the_same_bytes_with_and_without_avx2() {
    for f in ["examples/tsmom_hedge.strat", "examples/regime_ensemble_net.strat", "examples/sleeve_weighting.strat", "examples/qm_overlay.strat"] {
        assert!(root().join(f).exists(), "{f} is gone");
        same_bytes(&["sweep", f, "--json", "--quiet"]);
    }
}
