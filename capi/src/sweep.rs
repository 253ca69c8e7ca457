//! A sweep of the grid: `StratSweep`, its rows and its JSON report.

use std::ffi::c_char;
use std::os::raw::c_int;

use strat_runtime::sweep::{Grid, SweepRow};
use strat_stdlib::metrics::{METRICS, METRIC_NAMES};

use crate::error::{guard, guard_value, Error};
use crate::result::unknown_metric;
use crate::strategy::StratStrategy;
use crate::{handle, handle_mut, str_arg, write_out};

/// One sweep of a strategy's grid (opaque): a row per binding, in grid order. Made by
/// `strat_sweep`, freed by `strat_sweep_free`; it owns all its data and outlives its
/// strategy.
pub struct StratSweep {
    grid: Grid,
    rows: Vec<SweepRow>,
    report_names: Vec<String>,
    json: String,
}

/// The names `strat_sweep_metric` takes besides the metrics and reports, in this order.
const ROW_FIELDS: [&str; 3] = ["avg_turnover", "information_ratio", "bars"];

impl StratSweep {
    fn row(&self, func: &str, row: usize) -> Result<&SweepRow, Error> {
        let n = self.rows.len();
        self.rows.get(row).ok_or_else(|| Error::bad_argument(format!("{func}: row {row} is out of range ({n} rows)")))
    }

    fn metric_names(&self) -> Vec<String> {
        let mut v: Vec<String> = METRIC_NAMES.iter().chain(&ROW_FIELDS).map(|s| s.to_string()).collect();
        v.extend(self.report_names.iter().map(|k| format!("report.{k}")));
        v
    }
}

/// Runs every binding of the strategy's grid in parallel (on rayon's global pool) and writes
/// the new sweep to `*out` (NULL on failure), as `strat sweep` does. The grid is the program's
/// (every value of each swept param, `when` and `where` applied), except that a param set with
/// `strat_param_set` / `strat_param_set_value` is fixed at its value; with none set it is
/// exactly the grid of `strat sweep`. A binding that fails does not fail the sweep: its row
/// holds the error (see `strat_sweep_metric`). The data is loaded as for `strat_run`.
///
/// Errors: `STRAT_ERR_DATA`, `STRAT_ERR_RUN` (the grid would exceed the
/// memory limit, or cannot be prepared), `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy (used by no other thread meanwhile); `out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn strat_sweep(strategy: *mut StratStrategy, out: *mut *mut StratSweep) -> c_int {
    const F: &str = "strat_sweep";
    guard(F, || {
        if out.is_null() {
            return Err(Error::null(F, "out"));
        }
        // SAFETY: non-null and writable by the caller's promise.
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: the caller's promise on `strategy`.
        let s = unsafe { handle_mut(F, "strategy", strategy) }?;
        s.frame()?;
        let (strategy, frame) = (&s.strategy, s.frame.as_ref().expect("loaded above"));
        strategy.check_memory(frame, strat_compiler::grid::Study::Sweep).map_err(|f| Error::failure(&f))?;
        let fixed: Vec<(String, Vec<f64>)> =
            s.params.names.iter().zip(&s.params.values).zip(&s.set).filter(|(_, set)| **set).map(|((n, v), _)| (n.clone(), vec![*v])).collect();
        let grid = if fixed.is_empty() { strategy.grid() } else { strategy.grid_with(&fixed).map_err(|m| Error::bad_argument(format!("{F}: {m}")))? };
        let rows = strategy.sweep(frame, &grid, &|| {}).map_err(|f| Error::failure(&f))?;
        let report = strategy.sweep_report(&grid, &rows);
        let report_names = report.report_names.clone();
        let json = format!("{}\n", serde_json::to_string(&report).map_err(|e| Error::new(crate::STRAT_ERR_RUN, "strat::capi::json", e.to_string()))?);
        let p = Box::into_raw(Box::new(StratSweep { grid, rows, report_names, json }));
        // SAFETY: checked non-null above.
        unsafe { out.write(p) };
        Ok(())
    })
}

/// Frees a sweep. NULL is accepted and ignored.
///
/// # Safety
///
/// `sweep` is NULL or a live sweep; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn strat_sweep_free(sweep: *mut StratSweep) {
    if sweep.is_null() {
        return;
    }
    // SAFETY: made by `Box::into_raw` in `strat_sweep`, handed back once.
    let b = unsafe { Box::from_raw(sweep) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(b)));
}

/// The number of rows (bindings) of the sweep (0 when `sweep` is NULL).
///
/// # Safety
///
/// `sweep` is NULL or a live sweep.
#[no_mangle]
pub unsafe extern "C" fn strat_sweep_len(sweep: *const StratSweep) -> usize {
    const F: &str = "strat_sweep_len";
    // SAFETY: the caller's promise on `sweep`.
    guard_value(F, 0, || Ok(unsafe { handle(F, "sweep", sweep) }?.rows.len()))
}

/// Reads one figure of sweep row `row` (0-based, grid order) into `*out` by name: a metric
/// (`sharpe`, `cagr`, ... as in `strat_result_metric`), `avg_turnover`,
/// `information_ratio`, `bars` (evaluated returns), or `report.NAME`: the keys of a row of
/// `strat sweep --json`.
///
/// Errors: `STRAT_ERR_RUN` when that binding failed (the message is its error),
/// `STRAT_ERR_UNKNOWN_NAME` (the message lists the names),
/// `STRAT_ERR_BAD_ARGUMENT` (`row` out of range, NULL).
///
/// # Safety
///
/// `sweep` is NULL or a live sweep; `name` NULL or a NUL-terminated string; `out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn strat_sweep_metric(sweep: *const StratSweep, row: usize, name: *const c_char, out: *mut f64) -> c_int {
    const F: &str = "strat_sweep_metric";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let s = unsafe { handle(F, "sweep", sweep) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let r = s.row(F, row)?;
        let known =
            METRIC_NAMES.contains(&name) || ROW_FIELDS.contains(&name) || name.strip_prefix("report.").is_some_and(|n| s.report_names.iter().any(|k| k == n));
        if !known {
            return Err(unknown_metric(F, name, &s.metric_names()));
        }
        let st = r.result.as_ref().map_err(|e| Error::new(crate::STRAT_ERR_RUN, "strat::run::failed", format!("{F}: row {row} failed: {e}")))?;
        let v = match METRICS.iter().find(|d| d.name == name) {
            Some(d) => (d.get)(&st.metrics),
            None => match name {
                "avg_turnover" => st.avg_turnover,
                "information_ratio" => st.information_ratio,
                "bars" => st.bars as f64,
                _ => {
                    let n = name.trim_start_matches("report.");
                    s.report_names.iter().position(|k| k == n).and_then(|i| st.reports.get(i).copied()).unwrap_or(f64::NAN)
                }
            },
        };
        unsafe { write_out(F, "out", out, v) }
    })
}

/// The value of param `name` in the binding of sweep row `row` into `*out` (a fraction; a
/// choice param's choice as its 0-based index). Works for failed rows too.
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME` (the message lists the params),
/// `STRAT_ERR_BAD_ARGUMENT` (`row` out of range, NULL).
///
/// # Safety
///
/// `sweep` is NULL or a live sweep; `name` NULL or a NUL-terminated string; `out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn strat_sweep_param(sweep: *const StratSweep, row: usize, name: *const c_char, out: *mut f64) -> c_int {
    const F: &str = "strat_sweep_param";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let s = unsafe { handle(F, "sweep", sweep) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let r = s.row(F, row)?;
        let names = &s.grid.names;
        let i = names.iter().position(|n| n == name).ok_or_else(|| {
            let list = if names.is_empty() { "the program declares no params".to_string() } else { format!("params: {}", names.join(", ")) };
            Error::unknown_name(format!("{F}: unknown param `{name}`; {list}"))
        })?;
        let v = r.params.get(i).copied().unwrap_or(f64::NAN);
        unsafe { write_out(F, "out", out, v) }
    })
}

/// The sweep's report as JSON, byte for byte what `strat sweep --json` prints for the same grid
/// (one line, with its final newline): `*out` receives a new string that the caller frees with
/// `strat_string_free`.
///
/// Errors: `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `sweep` is NULL or a live sweep; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_sweep_json(sweep: *const StratSweep, out: *mut *mut c_char) -> c_int {
    const F: &str = "strat_sweep_json";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let s = unsafe { handle(F, "sweep", sweep) }?;
        if out.is_null() {
            return Err(Error::null(F, "out"));
        }
        unsafe { write_out(F, "out", out, crate::owned_string(s.json.as_str())) }
    })
}
