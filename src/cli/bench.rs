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
                "run_jit_s": jit_s, "run_reference_s": ref_s, "iterations": iterations})
        );
    } else {
        out!("{}: {} bars", file.display(), frame.len());
        out!("compile (parse, check, plan, Cranelift) {:>10.3} ms  (mean of {compile_reps})", compile_s * 1e3);
        out!("load data (CSV via polars, align)      {:>10.3} ms", load_s * 1e3);
        out!("run + backtest, JIT                    {:>10.3} ms  (mean of {iterations})", jit_s * 1e3);
        out!("run + backtest, reference evaluator    {:>10.3} ms  (mean of {iterations})", ref_s * 1e3);
    }
    0
}
