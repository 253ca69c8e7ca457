//! Cross-check of `strat run --json` against an independent reference
//! implementation of the "VIX guard" study (SEMANTICS.md §0-§4, §6), written in
//! pure-stdlib Python: `tests/reference/vix_guard_ref.py`.
//!
//! For every case the real CLI is run twice (JIT and `--reference` evaluator)
//! and both outputs are compared with the Python reference: every metric, every
//! benchmark metric, `information_ratio`, the reports, `bars`, `start`, `end`
//! and `strategy`. Numbers must agree to a relative tolerance of 1e-9
//! (absolute 1e-12 near zero); `null` (NaN) must match `null`.
//!
//! The datasets under `tests/reference/data/` (columns date,spx,vix) are cut
//! from the real series in the shared data folder (see the README there); for
//! them the test writes a temporary copy of `examples/vix_guard.strat` with the
//! csv path pointing at the test file (absolute path) into a unique directory
//! under `std::env::temp_dir()`.
//!
//! Needs `python3` on PATH (or the interpreter named by `$PYTHON`).

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;
use common::{python, root, run_json, TempDir};

const REL_TOL: f64 = 1e-9;
const ABS_TOL: f64 = 1e-12;
const EXAMPLE_CSV: &str = "csv(\"data/spx_vix.csv\")";

const METRIC_KEYS: [&str; 11] =
    ["total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown", "calmar", "var_95", "cvar_95", "omega", "avg_exposure"];

fn run_strat(file: &Path, sets: &[(&str, &str)], reference_evaluator: bool) -> Value {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_strat"));
    cmd.arg("run").arg(file).arg("--json");
    for (k, v) in sets {
        cmd.arg("--set").arg(format!("{k}={v}"));
    }
    if reference_evaluator {
        cmd.arg("--reference");
    }
    let what = format!(
        "strat run {} --json{}{}",
        file.display(),
        sets.iter().map(|(k, v)| format!(" --set {k}={v}")).collect::<String>(),
        if reference_evaluator { " --reference" } else { "" }
    );
    run_json(cmd, &what)
}

fn run_python(data: &Path, spike_window: &str, spike_z: &str) -> Value {
    let script = root().join("tests/reference/vix_guard_ref.py");
    let mut cmd = Command::new(python());
    cmd.arg(&script).arg(data).args(["--spike-window", spike_window]).args(["--spike-z", spike_z]).args(["--cost-bps", "2"]).args(["--annualize", "252"]);
    run_json(cmd, &format!("python3 vix_guard_ref.py {} --spike-window {spike_window} --spike-z {spike_z}", data.display()))
}

/// Compares one number (or null / "inf" string); returns the relative difference.
fn cmp_num(path: &str, strat: &Value, refv: &Value, errors: &mut Vec<String>) -> f64 {
    match (strat, refv) {
        (Value::Null, Value::Null) => 0.0,
        (Value::String(a), Value::String(b)) if a == b => 0.0,
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            let diff = (a - b).abs();
            let scale = a.abs().max(b.abs());
            let rel = if scale > 0.0 { diff / scale } else { 0.0 };
            if !(diff <= ABS_TOL || diff <= REL_TOL * scale) {
                errors.push(format!("{path}: strat {a:?} vs reference {b:?} (abs diff {diff:e}, rel {rel:e})"));
            }
            if diff <= ABS_TOL {
                0.0
            } else {
                rel
            }
        }
        _ => {
            errors.push(format!("{path}: strat {strat} vs reference {refv}"));
            f64::INFINITY
        }
    }
}

/// Compares a Strat JSON result with the reference; panics with every mismatch.
/// Returns the largest relative difference seen.
fn compare(label: &str, strat: &Value, refv: &Value) -> f64 {
    let mut errors = Vec::new();
    let mut max_rel: f64 = 0.0;

    for key in ["strategy", "start", "end"] {
        match (strat.get(key), refv.get(key)) {
            (Some(Value::String(a)), Some(Value::String(b))) if a == b => {}
            (a, b) => errors.push(format!("{key}: strat {a:?} vs reference {b:?}")),
        }
    }
    match (strat.get("bars").and_then(Value::as_u64), refv.get("bars").and_then(Value::as_u64)) {
        (Some(a), Some(b)) if a == b => {}
        (a, b) => errors.push(format!("bars: strat {a:?} vs reference {b:?}")),
    }

    for section in ["metrics", "benchmark"] {
        let (s, r) = (&strat[section], &refv[section]);
        if !s.is_object() || !r.is_object() {
            errors.push(format!("{section}: missing (strat {s}, reference {r})"));
            continue;
        }
        for key in METRIC_KEYS {
            match (s.get(key), r.get(key)) {
                (Some(a), Some(b)) => max_rel = max_rel.max(cmp_num(&format!("{section}.{key}"), a, b, &mut errors)),
                (a, b) => errors.push(format!("{section}.{key}: strat {a:?} vs reference {b:?}")),
            }
        }
        let extra: Vec<_> = s.as_object().unwrap().keys().filter(|k| !METRIC_KEYS.contains(&k.as_str())).collect();
        if !extra.is_empty() {
            errors.push(format!("{section}: unexpected keys {extra:?}"));
        }
    }

    match (strat.get("information_ratio"), refv.get("information_ratio")) {
        (Some(a), Some(b)) => max_rel = max_rel.max(cmp_num("information_ratio", a, b, &mut errors)),
        (a, b) => errors.push(format!("information_ratio: strat {a:?} vs reference {b:?}")),
    }

    let (sr, rr) = (&strat["reports"], &refv["reports"]);
    match (sr.as_object(), rr.as_object()) {
        (Some(so), Some(ro)) => {
            let mut sk: Vec<_> = so.keys().collect();
            let mut rk: Vec<_> = ro.keys().collect();
            sk.sort();
            rk.sort();
            if sk != rk {
                errors.push(format!("reports: keys strat {sk:?} vs reference {rk:?}"));
            }
            for (k, b) in ro {
                if let Some(a) = so.get(k) {
                    max_rel = max_rel.max(cmp_num(&format!("reports.{k}"), a, b, &mut errors));
                }
            }
        }
        _ => errors.push(format!("reports: strat {sr} vs reference {rr}")),
    }

    if !errors.is_empty() {
        panic!("{label}: Strat disagrees with the reference implementation:\n  {}\nstrat:     {strat}\nreference: {refv}", errors.join("\n  "));
    }
    eprintln!("{label}: OK, max relative difference {max_rel:e}");
    max_rel
}

/// Runs one case with both evaluators and compares each with the reference.
fn check(label: &str, strat_file: &Path, data: &Path, spike_window: &str, spike_z: &str) {
    let mut sets: Vec<(&str, &str)> = Vec::new();
    if spike_window != "60" {
        sets.push(("spike_window", spike_window));
    }
    if spike_z != "2.5" {
        sets.push(("spike_z", spike_z));
    }
    let refv = run_python(data, spike_window, spike_z);
    let jit = run_strat(strat_file, &sets, false);
    let interp = run_strat(strat_file, &sets, true);
    let a = compare(&format!("{label} [jit]"), &jit, &refv);
    let b = compare(&format!("{label} [--reference]"), &interp, &refv);
    eprintln!("{label}: max relative difference {:e}", a.max(b));
}

/// Writes examples/vix_guard.strat with its csv path replaced by the absolute
/// path of `data` into a fresh temp dir.
fn strat_for(data_name: &str) -> (TempDir, PathBuf, PathBuf) {
    let data = root().join("tests/reference/data").join(data_name);
    assert!(data.is_file(), "missing test data {}", data.display());
    let text = std::fs::read_to_string(root().join("examples/vix_guard.strat")).expect("read examples/vix_guard.strat");
    assert!(text.contains(EXAMPLE_CSV), "examples/vix_guard.strat no longer contains {EXAMPLE_CSV}; update this test");
    let abs = data.canonicalize().expect("canonicalize data path").to_string_lossy().replace('\\', "/");
    assert!(!abs.contains('"'), "data path contains a quote: {abs}");
    let text = text.replace(EXAMPLE_CSV, &format!("csv(\"{abs}\")"));
    let dir = TempDir::new(data_name.trim_end_matches(".csv"));
    let file = dir.0.join("vix_guard.strat");
    std::fs::write(&file, text).expect("write temp .strat");
    (dir, file, data)
}

fn example_paths() -> (PathBuf, PathBuf) {
    (root().join("examples/vix_guard.strat"), root().join("examples/data/spx_vix.csv"))
}

// (a) the bundled example, default parameters
#[test]
fn example_default_params() {
    let (file, data) = example_paths();
    check("example spx_vix.csv", &file, &data, "60", "2.5");
}

// (b) the bundled example with --set spike_z=1.5 --set spike_window=20
#[test]
fn example_spike_z_1_5_window_20() {
    let (file, data) = example_paths();
    check("example spx_vix.csv z=1.5 n=20", &file, &data, "20", "1.5");
}

// (c) data the example has not seen
#[test]
fn gfc_2007_2009() {
    let (_dir, file, data) = strat_for("spx_vix_2007_2009.csv");
    check("spx_vix_2007_2009", &file, &data, "60", "2.5");
    check("spx_vix_2007_2009 z=1.5 n=20", &file, &data, "20", "1.5");
}

#[test]
fn covid_2019q4_2020() {
    let (_dir, file, data) = strat_for("spx_vix_2019q4_2020.csv");
    check("spx_vix_2019q4_2020", &file, &data, "60", "2.5");
    check("spx_vix_2019q4_2020 z=2 n=30", &file, &data, "30", "2");
}

#[test]
fn spy_adj_close_vix_high_1997_2003() {
    let (_dir, file, data) = strat_for("spy_adj_vix_high_1997_2003.csv");
    check("spy_adj_vix_high_1997_2003", &file, &data, "60", "2.5");
    check("spy_adj_vix_high_1997_2003 z=1.5 n=20", &file, &data, "20", "1.5");
}

// Edge case with hand-edited VIX values on real SPX closes (see the data
// README): NaN VIX at the start and inside the live window, a constant VIX
// window (std exactly 0 -> z NaN), values exactly on the tier boundaries.
#[test]
fn edge_synthetic_2008() {
    let (_dir, file, data) = strat_for("spx_vix_2008_edge_synthetic.csv");
    check("spx_vix_2008_edge_synthetic", &file, &data, "60", "2.5");
    check("spx_vix_2008_edge_synthetic z=1.5 n=20", &file, &data, "20", "1.5");
    // With a naive two-pass std a constant window of 33.33 gives std ~3e-14
    // and z ~ +0.99 (not NaN), which would fire a spike at z > 0.5: this
    // binding tells the exact-zero rule apart (0.85 vs 0.70 on rows 64-79).
    check("spx_vix_2008_edge_synthetic z=0.5 n=60", &file, &data, "60", "0.5");
}
