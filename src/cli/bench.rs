//! `strat bench`: timings of compilation, data loading and runs on both backends.

use super::diagnostics::{fail, report_failure};
use super::limits::engine;
use super::program::params_from;
use std::path::Path;
use std::time::Instant;
use strat::{Backend, Failure};

pub(super) fn bench(file: &Path, iterations: usize, json: bool, set: &[String]) -> i32 {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => return fail(1, "strat::io", format!("cannot read {}: {e}", file.display()), ""),
    };
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let t = Instant::now();
    let mut compiled = None;
    let compile_reps = 20;
    for _ in 0..compile_reps {
        match engine().compile_source(&file.display().to_string(), "bench", src.clone(), &base) {
            Ok(s) => compiled = Some(s),
            Err(f) => {
                report_failure(&f);
                return 1;
            }
        }
    }
    let compile_s = t.elapsed().as_secs_f64() / compile_reps as f64;
    let Some(strategy) = compiled else { return 1 };
    let t = Instant::now();
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let load_s = t.elapsed().as_secs_f64();
    let panels = match panel_times(&strategy, &base, &frame) {
        Ok(p) => p,
        Err(e) => {
            report_failure(&Failure::Data(e));
            return 1;
        }
    };
    let params = match params_from(&strategy, set) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let time = |backend: Backend| -> Result<f64, Failure> {
        let t = Instant::now();
        for _ in 0..iterations {
            strategy.run_with(&frame, &params, backend)?;
        }
        Ok(t.elapsed().as_secs_f64() / iterations as f64)
    };
    let (jit_s, ref_s) = match (time(Backend::Jit), time(Backend::Reference)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(f), _) | (_, Err(f)) => {
            report_failure(&f);
            return 1;
        }
    };
    if json {
        out!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "bars": frame.len(), "compile_s": compile_s, "load_s": load_s,
                "panels": panels.iter().map(|p| serde_json::json!({"name": p.name, "records": p.records, "read_s": p.read_s, "join_s": p.join_s})).collect::<Vec<_>>(),
                "run_jit_s": jit_s, "run_reference_s": ref_s, "iterations": iterations})
        );
    } else {
        out!("{}: {} bars", file.display(), frame.len());
        out!("compile (parse, check, plan, Cranelift) {:>10.3} ms  (mean of {compile_reps})", compile_s * 1e3);
        out!("load data (CSV via polars, align)      {:>10.3} ms", load_s * 1e3);
        for p in &panels {
            out!(
                "  panel {:<12} read {:>9.3} ms, as-of join {:>8.3} ms  ({} records, mean of {PANEL_REPS})",
                p.name,
                p.read_s * 1e3,
                p.join_s * 1e3,
                p.records
            );
        }
        out!("run + backtest, JIT                    {:>10.3} ms  (mean of {iterations})", jit_s * 1e3);
        out!("run + backtest, reference evaluator    {:>10.3} ms  (mean of {iterations})", ref_s * 1e3);
    }
    0
}

/// Repetitions of each panel source's read and join.
const PANEL_REPS: usize = 5;

/// The load time of one `panel` source: reading (and pivoting) its file, and joining it as of
/// each bar.
struct PanelTime {
    name: String,
    records: usize,
    read_s: f64,
    join_s: f64,
}

/// Times each `panel` source of `strategy`: its read (only the fields the plan uses) and its as-of
/// join onto `frame`'s bars, each the mean of [`PANEL_REPS`] repetitions.
fn panel_times(strategy: &strat::Strategy, base: &Path, frame: &strat::Frame) -> Result<Vec<PanelTime>, strat::DataError> {
    use strat_runtime::asof::PanelData;
    let compiled = strategy.compiled();
    let opts = strat_runtime::io::ReadOptions { max_bytes: strategy.limits().max_data_bytes };
    let program = compiled.program();
    if program.panels.is_empty() {
        return Ok(vec![]);
    }
    let t = Instant::now();
    let mut data = vec![];
    for _ in 0..PANEL_REPS {
        data = strat_runtime::load::panels::read_panels(compiled, base, &opts)?;
    }
    let read_s = t.elapsed().as_secs_f64() / PANEL_REPS as f64;
    let t = Instant::now();
    for _ in 0..PANEL_REPS {
        let mut f = strat::Frame { warnings: vec![], ..frame.clone() };
        strat_runtime::load::panels::join_panels(compiled, &mut f, &data, base);
    }
    let join_s = t.elapsed().as_secs_f64() / PANEL_REPS as f64;
    let records: usize = data
        .iter()
        .map(|d| {
            if let PanelData::Long(t) = d {
                t.len()
            } else if let PanelData::Wide(f) = d {
                f.len()
            } else {
                0
            }
        })
        .sum();
    let names: Vec<String> = program.panels.iter().map(|p| p.name.clone()).collect();
    Ok(vec![PanelTime { name: names.join(","), records, read_s, join_s }])
}
