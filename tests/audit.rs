//! End-to-end tests of `strat audit` (spec/semantics.md "Auditing for look-ahead"): the real
//! binary on the examples finds no look-ahead; with the test-only fault that makes the as-of
//! join read one record ahead (`STRAT_TEST_FAULT=asof_one_record_ahead`, debug builds) it finds
//! a leak through the panel source; a long source used with no lag is warned about; bad usage
//! exits 2.

use serde_json::Value;
use std::process::Command;

mod common;
use common::{root, TempDir};

/// The result of one invocation.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn strat(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.args(args).current_dir(std::env::temp_dir()).env("NO_COLOR", "1").env_remove("STRAT_TEST_FAULT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("the strat binary starts");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

fn json(r: &Run) -> Value {
    serde_json::from_str(r.stdout.trim()).unwrap_or_else(|e| panic!("stdout is one JSON object ({e}):\n{}\nstderr:\n{}", r.stdout, r.stderr))
}

#[test]
fn the_qm_overlay_has_no_look_ahead() {
    let qm = example("qm_overlay.strat");
    let r = strat(&["audit", &qm, "--rows", "6"], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("checked 6 rows x 2 sources"), "{}", r.stdout);
    assert!(r.stdout.contains("no decision at or before t changed"), "{}", r.stdout);
    assert!(!r.stdout.contains("leak"), "{}", r.stdout);
    // The program has a lag: no warning about it.
    assert!(!r.stderr.contains("strat::audit::no_lag"), "{}", r.stderr);

    let r = strat(&["audit", &qm, "--rows", "6", "--json"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = json(&r);
    assert_eq!(v["strategy"], "qm_overlay");
    assert_eq!(v["rows"].as_array().unwrap().len(), 6);
    assert_eq!(v["runs"], 12);
    let sources: Vec<(&str, &str)> = v["sources"].as_array().unwrap().iter().map(|s| (s["name"].as_str().unwrap(), s["kind"].as_str().unwrap())).collect();
    assert_eq!(sources, [("stocks", "universe"), ("fund", "panel (long)")]);
    assert_eq!(v["leaks"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["failures"].as_array().unwrap().len(), 0, "{v}");
    // The rows are spread over the live rows (the momentum warm-up is a year of bars).
    let dates: Vec<&str> = v["dates"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] < w[1]), "{dates:?}");
    assert!(dates[0] > "1994-06-30" && dates[5] > "2014-01-01" && dates[5] <= "2018-06-29", "{dates:?}");
}

/// The planted fault (an as-of join that reads the record after the right one) is a debug-only
/// hook: a release build never reads the variable, and this test checks nothing there.
#[test]
fn a_join_that_reads_one_record_ahead_is_caught() {
    if !cfg!(debug_assertions) {
        return;
    }
    let qm = example("qm_overlay.strat");
    let fault = [("STRAT_TEST_FAULT", "asof_one_record_ahead")];
    let r = strat(&["audit", &qm, "--rows", "6"], &fault);
    assert_eq!(r.code, 1, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("leak: perturbing the records of `fund` usable after"), "{}", r.stdout);
    assert!(r.stdout.contains("first changed let: `quality`"), "{}", r.stdout);
    assert!(r.stderr.contains("strat::audit::look_ahead"), "{}", r.stderr);

    let r = strat(&["audit", &qm, "--rows", "6", "--json"], &fault);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = json(&r);
    let leaks = v["leaks"].as_array().unwrap();
    assert!(!leaks.is_empty(), "{v}");
    for l in leaks {
        // Only the panel is joined as of a date: the universe's perturbation changes nothing.
        assert_eq!(l["source"], "fund", "{l}");
        assert!(l["row_date"].as_str().unwrap() <= l["t_date"].as_str().unwrap(), "{l}");
        assert_eq!(l["expression"]["name"], "quality", "{l}");
        assert!(l["expression"]["text"].as_str().unwrap().starts_with("let quality ="), "{l}");
        assert_ne!(l["before"], l["after"], "{l}");
    }
    // Caught at most of the rows, not by chance at one.
    assert!(leaks.len() >= 4, "caught at only {} of 6 rows: {v}", leaks.len());
}

#[test]
fn a_long_source_with_no_lag_is_warned_about() {
    let dir = TempDir::new("audit-nolag");
    let data = root().join("examples/data").display().to_string();
    let src = std::fs::read_to_string(root().join("examples/qm_overlay.strat")).unwrap();
    assert!(src.contains(" on stocks lag 90d"));
    let src = src.replace(" on stocks lag 90d", " on stocks").replace("csv(\"data/", &format!("csv(\"{data}/"));
    let path = dir.path().join("no_lag.strat");
    std::fs::write(&path, src).unwrap();
    let r = strat(&["audit", &path.display().to_string(), "--rows", "2"], &[]);
    // Perturbation cannot see this: the run is "clean", with the warning.
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    assert!(r.stderr.contains("strat::audit::no_lag"), "{}", r.stderr);
    assert!(r.stderr.contains("`fund` is a long-format source with no lag"), "{}", r.stderr);
    assert!(r.stderr.contains("rarely when the numbers became public"), "{}", r.stderr);
    assert!(r.stderr.contains("no_lag.strat:10:"), "the warning names the panel's line: {}", r.stderr);
    assert!(r.stderr.contains("add `lag 90d` or `available COLUMN`"), "{}", r.stderr);

    let r = strat(&["audit", &path.display().to_string(), "--rows", "2", "--json"], &[]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let w = &json(&r)["warnings"];
    assert_eq!(w.as_array().unwrap().len(), 1, "{w}");
    assert_eq!(w[0]["code"], "strat::audit::no_lag");
    assert_eq!(w[0]["source"], "fund");
    assert_eq!(w[0]["line"], 10);
}

#[test]
fn a_wide_data_source_has_no_look_ahead() {
    let vix = example("vix_guard.strat");
    let r = strat(&["audit", &vix, "--rows", "6", "--json"], &[]);
    assert_eq!(r.code, 0, "stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    let v = json(&r);
    assert_eq!(v["sources"], serde_json::json!([{"name": "mkt", "kind": "data"}]));
    assert_eq!(v["runs"], 6);
    assert_eq!(v["leaks"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["warnings"].as_array().unwrap().len(), 0, "{v}");
    // The fault is in the as-of join only: a program without panels is unaffected.
    if cfg!(debug_assertions) {
        let r = strat(&["audit", &vix, "--rows", "6"], &[("STRAT_TEST_FAULT", "asof_one_record_ahead")]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert!(r.stdout.contains("checked 6 rows x 1 sources"), "{}", r.stdout);
    }
    // The same seed, the same rows.
    let again = json(&strat(&["audit", &vix, "--rows", "6", "--json"], &[]));
    assert_eq!(again["dates"], v["dates"]);
    let other = json(&strat(&["audit", &vix, "--rows", "6", "--seed", "7", "--json"], &[]));
    assert_ne!(other["dates"], v["dates"]);
}

#[test]
fn bad_usage_exits_2() {
    let vix = example("vix_guard.strat");
    for args in
        [vec!["audit", &vix, "--rows", "0"], vec!["audit", &vix, "--rows", "x"], vec!["audit"], vec!["audit", &vix, "--set", "spike_z=1", "--set", "spike_z=2"]]
    {
        let r = strat(&args, &[]);
        assert_eq!(r.code, 2, "{args:?}: {}", r.stderr);
    }
    // A missing file is a failure of the program, as for every command.
    let r = strat(&["audit", "/nonexistent/x.strat"], &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
}
