//! One run: `StratResult`, its metrics, dates, daily series and JSON report.

use std::ffi::{c_char, CString};
use std::os::raw::c_int;

use strat::RunReport;
use strat_stdlib::metrics::{Metrics, METRICS, METRIC_NAMES};

use crate::error::{guard, guard_value, Error};
use crate::strategy::StratStrategy;
use crate::{copy_out, handle, handle_mut, str_arg, write_out};

/// One run of a strategy (opaque): its report (what `strat run --json` prints), its dates and
/// its daily series. Made by `strat_run`, freed by `strat_result_free`; it owns all its
/// data and outlives its strategy.
pub struct StratResult {
    report: RunReport,
    json: String,
    dates: Vec<i32>,
    series: Vec<(String, Vec<f64>)>,
    series_names: Vec<CString>,
}

/// The names `strat_result_metric` takes besides the metrics, in this order.
const RUN_FIELDS: [&str; 6] = ["information_ratio", "active_return", "tracking_error", "avg_turnover", "cost_drag", "bars"];

impl StratResult {
    fn metric(&self, name: &str) -> Option<f64> {
        let of = |m: &Metrics, n: &str| METRICS.iter().find(|d| d.name == n).map(|d| (d.get)(m));
        let r = &self.report;
        if let Some(v) = of(&r.metrics, name) {
            return Some(v);
        }
        if let Some(n) = name.strip_prefix("benchmark.") {
            return METRICS.iter().find(|d| d.name == n).map(|d| r.benchmark.as_ref().map_or(f64::NAN, |b| (d.get)(b)));
        }
        if let Some(n) = name.strip_prefix("report.") {
            return r.reports.iter().find(|(k, _)| k == n).map(|(_, v)| *v);
        }
        match name {
            "information_ratio" => Some(r.information_ratio),
            "active_return" => Some(r.active_return),
            "tracking_error" => Some(r.tracking_error),
            "avg_turnover" => Some(r.avg_turnover),
            "cost_drag" => Some(r.cost_drag),
            "bars" => Some(r.bars as f64),
            _ => None,
        }
    }

    fn metric_names(&self) -> Vec<String> {
        let mut v: Vec<String> = METRIC_NAMES.iter().chain(&RUN_FIELDS).map(|s| s.to_string()).collect();
        v.extend(METRIC_NAMES.iter().map(|n| format!("benchmark.{n}")));
        v.extend(self.report.reports.iter().map(|(k, _)| format!("report.{k}")));
        v
    }

    fn series(&self, func: &str, name: &str) -> Result<&[f64], Error> {
        match self.series.iter().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v),
            None => {
                let names: Vec<&str> = self.series.iter().map(|(n, _)| n.as_str()).collect();
                let hint = strat_compiler::suggest::did_you_mean(name, names.iter().copied()).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                Err(Error::unknown_name(format!("{func}: unknown series `{name}`; {hint}series: {}", names.join(", "))))
            }
        }
    }
}

/// Unknown-name error for metric `name` among `names`.
pub(crate) fn unknown_metric(func: &str, name: &str, names: &[String]) -> Error {
    let hint = strat_compiler::suggest::did_you_mean(name, names.iter().map(String::as_str)).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
    Error::unknown_name(format!("{func}: unknown metric `{name}`; {hint}names: {}", names.join(", ")))
}

/// Runs the strategy with its current params (see `strat_param_set`) and writes the new result
/// to `*out` (NULL on failure), as `strat run` does. The first run (or sweep) reads the data
/// files the program names, relative to its `.strat` file's folder (or `base_dir`), and the
/// strategy keeps them for the next ones.
///
/// Errors: `STRAT_ERR_DATA` (a data file missing or malformed), `STRAT_ERR_RUN`
/// (the run failed: a weight never live, a non-finite weight, a memory limit),
/// `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `strategy` is NULL or a live strategy (used by no other thread meanwhile); `out` is NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn strat_run(strategy: *mut StratStrategy, out: *mut *mut StratResult) -> c_int {
    const F: &str = "strat_run";
    guard(F, || {
        if out.is_null() {
            return Err(Error::null(F, "out"));
        }
        // SAFETY: non-null and writable by the caller's promise.
        unsafe { out.write(std::ptr::null_mut()) };
        // SAFETY: the caller's promise on `strategy`.
        let s = unsafe { handle_mut(F, "strategy", strategy) }?;
        s.frame()?;
        let (strategy, params, frame) = (&s.strategy, &s.params, s.frame.as_ref().expect("loaded above"));
        let result = strategy.run(frame, params).map_err(|f| Error::failure(&f))?;
        let report = strategy.report(frame, &result);
        let json = format!("{}\n", serde_json::to_string(&report).map_err(|e| Error::new(crate::STRAT_ERR_RUN, "strat::capi::json", e.to_string()))?);
        let (dates, series) = strat::report::tables::daily_columns(frame, &result, &strategy.held_assets());
        let series_names = series.iter().map(|(n, _)| crate::c_string(n.as_str())).collect();
        let r = Box::into_raw(Box::new(StratResult { report, json, dates, series, series_names }));
        // SAFETY: checked non-null above.
        unsafe { out.write(r) };
        Ok(())
    })
}

/// Frees a result. NULL is accepted and ignored.
///
/// # Safety
///
/// `result` is NULL or a live result; it must not be used afterwards.
#[no_mangle]
pub unsafe extern "C" fn strat_result_free(result: *mut StratResult) {
    if result.is_null() {
        return;
    }
    // SAFETY: made by `Box::into_raw` in `strat_run`, handed back once.
    let b = unsafe { Box::from_raw(result) };
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(b)));
}

/// Reads one figure of the run into `*out` by name:
///
/// - a key of the `metrics` object of `strat run --json`: `total_return`, `cagr`, `ann_vol`,
///   `sharpe`, `sortino`, `max_drawdown`, `calmar`, `var_95`, `cvar_95`, `omega`,
///   `avg_exposure` (fractions; ratios annualised);
/// - a top-level figure of that JSON: `information_ratio`, `active_return`, `tracking_error`
///   (NaN without a `benchmark`), `avg_turnover`, `cost_drag`, `bars` (the number of evaluated
///   returns, as a double);
/// - `benchmark.NAME`: the benchmark's metric `NAME` (NaN without a `benchmark`);
/// - `report.NAME`: the value of the program's `report NAME` (a mean over the evaluated
///   decision bars).
///
/// NaN means undefined (JSON `null`).
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME` (the message lists every valid name),
/// `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `result` is NULL or a live result; `name` NULL or a NUL-terminated string; `out` NULL or
/// writable.
#[no_mangle]
pub unsafe extern "C" fn strat_result_metric(result: *const StratResult, name: *const c_char, out: *mut f64) -> c_int {
    const F: &str = "strat_result_metric";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let r = unsafe { handle(F, "result", result) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let v = r.metric(name).ok_or_else(|| unknown_metric(F, name, &r.metric_names()))?;
        unsafe { write_out(F, "out", out, v) }
    })
}

/// The number of rows of the daily series and dates (0 when `result` is NULL): one per bar
/// from the first close at which the book holds a weight to the last bar, i.e. the number of
/// evaluated returns (`bars`) plus one. This is the row count of `strat run --out`.
///
/// # Safety
///
/// `result` is NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn strat_result_len(result: *const StratResult) -> usize {
    const F: &str = "strat_result_len";
    // SAFETY: the caller's promise on `result`.
    guard_value(F, 0, || Ok(unsafe { handle(F, "result", result) }?.dates.len()))
}

/// The dates of the daily rows, as days since 1970-01-01 (format one with
/// `strat_format_date`), copied into the caller's buffer `buf` of `cap` values;
/// `*len` receives the number of rows (`strat_result_len`).
///
/// Errors: `STRAT_ERR_BUFFER_TOO_SMALL` when `cap` is smaller than that (nothing is
/// copied; `*len` holds the needed count, so `cap` 0 and `buf` NULL ask for it),
/// `STRAT_ERR_BAD_ARGUMENT` (NULL `result`, or NULL `buf` with a room for values).
///
/// # Safety
///
/// `result` is NULL or a live result; `buf` NULL or valid for writes of `cap` values; `len`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_result_dates(result: *const StratResult, buf: *mut i32, cap: usize, len: *mut usize) -> c_int {
    const F: &str = "strat_result_dates";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let r = unsafe { handle(F, "result", result) }?;
        unsafe { copy_out(F, &r.dates, buf, cap, len) }
    })
}

/// The dates of the daily rows (days since 1970-01-01) without a copy: `*data` points at
/// `*len` values owned by the result, valid until it is freed.
///
/// Errors: `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `result` is NULL or a live result; `data` and `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_result_dates_data(result: *const StratResult, data: *mut *const i32, len: *mut usize) -> c_int {
    const F: &str = "strat_result_dates_data";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let r = unsafe { handle(F, "result", result) }?;
        if data.is_null() {
            return Err(Error::null(F, "data"));
        }
        unsafe { write_out(F, "len", len, r.dates.len()) }?;
        unsafe { write_out(F, "data", data, r.dates.as_ptr()) }
    })
}

/// The number of daily series (0 when `result` is NULL).
///
/// # Safety
///
/// `result` is NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn strat_result_series_count(result: *const StratResult) -> usize {
    const F: &str = "strat_result_series_count";
    // SAFETY: the caller's promise on `result`.
    guard_value(F, 0, || Ok(unsafe { handle(F, "result", result) }?.series.len()))
}

/// The name of daily series `index` (0-based), or NULL when `result` is NULL or `index` is out
/// of range. Owned by the result: valid until it is freed. The series are the number columns
/// of `strat run --out`, in its order: `weight` (or `weight_ASSET` per asset of a universe,
/// sleeve or `weights` member), `return`, `equity`, `turnover`, `cost`, then `kill_NAME` per
/// kill switch.
///
/// # Safety
///
/// `result` is NULL or a live result.
#[no_mangle]
pub unsafe extern "C" fn strat_result_series_name(result: *const StratResult, index: usize) -> *const c_char {
    const F: &str = "strat_result_series_name";
    guard_value(F, std::ptr::null(), || {
        // SAFETY: the caller's promise on `result`.
        let r = unsafe { handle(F, "result", result) }?;
        let n = r.series_names.len();
        r.series_names.get(index).map(|c| c.as_ptr()).ok_or_else(|| Error::bad_argument(format!("{F}: index {index} is out of range ({n} series)")))
    })
}

/// Copies daily series `name` into the caller's buffer `buf` of `cap` doubles; `*len`
/// receives its length (`strat_result_len` values, one per daily row). The series, one value
/// per row (row 0 is the first close at which the book holds a weight):
///
/// - `weight`: the weight held from that close (a fraction of equity; `weight_ASSET` per asset
///   of a universe, sleeve or `weights` member);
/// - `return`: the strategy's return earned on that date, net of costs (NaN on row 0);
/// - `equity`: the equity after it (1 on row 0);
/// - `turnover`: the sum of `|Δw|` traded at that close;
/// - `cost`: the cost of that trade, charged against the next row's return (a fraction of
///   equity);
/// - `kill_NAME`: 1 while kill switch `NAME` is active at that close, else 0.
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME` (the message lists the series),
/// `STRAT_ERR_BUFFER_TOO_SMALL` (`cap` too small: nothing is copied and `*len` holds
/// the needed count; `buf` NULL with `cap` 0 asks for it), `STRAT_ERR_BAD_ARGUMENT`
/// (NULL).
///
/// # Safety
///
/// `result` is NULL or a live result; `name` NULL or a NUL-terminated string; `buf` NULL or
/// valid for writes of `cap` doubles; `len` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_result_series(result: *const StratResult, name: *const c_char, buf: *mut f64, cap: usize, len: *mut usize) -> c_int {
    const F: &str = "strat_result_series";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let r = unsafe { handle(F, "result", result) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let v = r.series(F, name)?;
        unsafe { copy_out(F, v, buf, cap, len) }
    })
}

/// Daily series `name` (see `strat_result_series`) without a copy: `*data` points at `*len`
/// doubles owned by the result, valid until it is freed.
///
/// Errors: `STRAT_ERR_UNKNOWN_NAME`, `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `result` is NULL or a live result; `name` NULL or a NUL-terminated string; `data` and `len`
/// NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_result_series_data(result: *const StratResult, name: *const c_char, data: *mut *const f64, len: *mut usize) -> c_int {
    const F: &str = "strat_result_series_data";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let r = unsafe { handle(F, "result", result) }?;
        let name = unsafe { str_arg(F, "name", name) }?;
        let v = r.series(F, name)?;
        if data.is_null() {
            return Err(Error::null(F, "data"));
        }
        unsafe { write_out(F, "len", len, v.len()) }?;
        unsafe { write_out(F, "data", data, v.as_ptr()) }
    })
}

/// The run's report as JSON, byte for byte what `strat run --json` prints for the same params
/// (one line, with its final newline): `*out` receives a new string that the caller frees with
/// `strat_string_free`. Floats are round-trip exact; NaN is `null`, the infinities
/// `"inf"` / `"-inf"`.
///
/// Errors: `STRAT_ERR_BAD_ARGUMENT` (NULL).
///
/// # Safety
///
/// `result` is NULL or a live result; `out` NULL or writable.
#[no_mangle]
pub unsafe extern "C" fn strat_result_json(result: *const StratResult, out: *mut *mut c_char) -> c_int {
    const F: &str = "strat_result_json";
    guard(F, || {
        // SAFETY: the caller's promises on the pointers.
        let r = unsafe { handle(F, "result", result) }?;
        if out.is_null() {
            return Err(Error::null(F, "out"));
        }
        unsafe { write_out(F, "out", out, crate::owned_string(r.json.as_str())) }
    })
}
