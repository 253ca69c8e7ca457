//! `strat._strat`: the native half of the Python module. The Python package (`python/strat`)
//! turns pandas and polars frames into contiguous NumPy buffers and shapes the results; this
//! crate compiles, loads and runs through the `strat` crate with the GIL released.
//!
//! Data crosses as buffers, one copy each way: a column in is a C-contiguous `float64` (dates
//! `int32` days since 1970-01-01) buffer copied once into the engine's frame; a column out is
//! a `bytearray` of native-endian `float64` that NumPy views without copying
//! (`numpy.frombuffer`). No per-value Python objects are made.
//!
//! Errors are raised as `NativeError(kind, payload)`, `kind` one of `compile`, `data`, `run`,
//! `io`, `param`, `interrupted`, and `payload` a dict; `strat/__init__.py` turns them into
//! `CompileError`, `DataError` and `RunError`.

// `strat::Failure` is returned once per call, never in a loop (see the facade's note).
#![allow(clippy::result_large_err)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use pyo3::buffer::PyBuffer;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList};

use strat::{Engine, Failure, InMemory, MemoryLong, MemoryTable, Params};

create_exception!(_strat, NativeError, PyException, "An error of the engine: args are (kind, payload dict).");

/// A Python error from a failure of the engine, with everything the wrapper needs to build
/// its exception.
fn failure(py: Python<'_>, f: &Failure) -> PyErr {
    failure_in(py, f, None)
}

/// [`failure`], with the program's source text to locate its diagnostics (line, column).
fn failure_in(py: Python<'_>, f: &Failure, source: Option<&str>) -> PyErr {
    let payload = PyDict::new(py);
    let rendered = strat::render::render_failure(f, false);
    let _ = payload.set_item("rendered", rendered);
    let kind = match f {
        Failure::Program(ds) => {
            let list = PyList::empty(py);
            for d in ds {
                let item = PyDict::new(py);
                let (line, column) = match (d.diag.labels.first(), source) {
                    (Some(l), Some(src)) => {
                        let (line, col) = line_col(src, l.span.start as usize);
                        (Some(line), Some(col))
                    }
                    _ => (None, None),
                };
                let _ = item.set_item("code", d.diag.code);
                let _ = item.set_item("severity", if d.diag.is_error() { "error" } else { "warning" });
                let _ = item.set_item("message", &d.diag.message);
                let _ = item.set_item("line", line);
                let _ = item.set_item("column", column);
                let _ = item.set_item("help", d.diag.help.clone());
                let _ = item.set_item("file", &d.name);
                let _ = list.append(item);
            }
            let _ = payload.set_item("diagnostics", list);
            "compile"
        }
        Failure::Run(d) => {
            let _ = payload.set_item("code", d.diag.code);
            let _ = payload.set_item("message", &d.diag.message);
            let _ = payload.set_item("help", d.diag.help.clone());
            "run"
        }
        Failure::Data(e) => {
            let memory = strat_runtime::load::memory::is_memory(&e.file);
            let file = e.file.display().to_string();
            let source = if memory { file.trim_start_matches("<memory ").trim_end_matches('>').to_string() } else { file.clone() };
            let _ = payload.set_item("code", e.code);
            let _ = payload.set_item("text", e.to_string());
            let _ = payload.set_item("message", &e.message);
            let _ = payload.set_item("help", e.help.clone());
            let _ = payload.set_item("column", e.column.clone());
            let _ = payload.set_item("file", if memory { None } else { Some(file) });
            let _ = payload.set_item("source", source);
            let _ = payload.set_item("row", if memory { e.line } else { None });
            let _ = payload.set_item("line", if memory { None } else { e.line });
            "data"
        }
        Failure::Io(p, e) => {
            let _ = payload.set_item("message", format!("cannot read {}: {e}", p.display()));
            "io"
        }
    };
    NativeError::new_err((kind, payload.unbind()))
}

/// 1-based line and column of byte `offset` of `src`.
fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rfind('\n').map(|i| before[i + 1..].chars().count()).unwrap_or_else(|| before.chars().count()) + 1;
    (line, col)
}

/// The walk-forward windows of `train` / `test` (`5y`, `60m`) for `s`; a `ValueError`-like
/// param error for anything else.
fn walk_forward_spec(py: Python<'_>, s: &strat::Strategy, train: &str, test: &str, anchored: bool) -> PyResult<strat_runtime::walk_forward::WalkForwardSpec> {
    use strat_runtime::walk_forward::{parse_duration, windows, WalkForwardSpec};
    let dur = |t: &str, what: &str| {
        parse_duration(t).ok_or_else(|| native(py, "param", format!("{what} takes a number of calendar years or months such as 5y or 60m, got `{t}`")))
    };
    let (unit, train_n, test_n) = windows(dur(train, "train")?, dur(test, "test")?);
    Ok(WalkForwardSpec { train: train_n, test: test_n, unit, anchored, periods_per_year: s.program().annualize })
}

fn native(py: Python<'_>, kind: &str, message: String) -> PyErr {
    let payload = PyDict::new(py);
    let _ = payload.set_item("message", message);
    NativeError::new_err((kind.to_string(), payload.unbind()))
}

/// A C-contiguous buffer copied into a vector.
fn buffer_vec<T: pyo3::buffer::Element + Copy>(py: Python<'_>, obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<T>> {
    let buf = PyBuffer::<T>::get(obj).map_err(|e| native(py, "param", format!("{what}: {e}")))?;
    buf.to_vec(py)
}

/// The in-memory sources from the wrapper's tuples:
/// `("wide", name, dates int32, [column names], [float64 columns])` or
/// `("long", name, dates int32, available_name or None, available int32 or None,
///   ticker codes int64, [ticker names], [field names], [float64 columns])`.
fn in_memory(py: Python<'_>, tables: &Bound<'_, PyList>) -> PyResult<InMemory> {
    let mut data = InMemory::new();
    for item in tables.iter() {
        let kind: String = item.get_item(0)?.extract()?;
        let name: String = item.get_item(1)?.extract()?;
        let dates: Vec<i32> = buffer_vec(py, &item.get_item(2)?, "dates")?;
        match kind.as_str() {
            "wide" => {
                let names: Vec<String> = item.get_item(3)?.extract()?;
                let cols = item.get_item(4)?;
                let mut columns = Vec::with_capacity(names.len());
                for c in cols.try_iter()? {
                    columns.push(buffer_vec::<f64>(py, &c?, "a column")?);
                }
                let table = MemoryTable::new(&name, dates, names, columns).map_err(|e| failure(py, &Failure::Data(e)))?;
                data.insert_table(name, table);
            }
            "long" => {
                let available_name: Option<String> = item.get_item(3)?.extract()?;
                let available_obj = item.get_item(4)?;
                let available = match available_name {
                    Some(n) => Some((n, buffer_vec::<i32>(py, &available_obj, "available")?)),
                    None => None,
                };
                let codes: Vec<i64> = buffer_vec(py, &item.get_item(5)?, "tickers")?;
                let ticker_names: Vec<String> = item.get_item(6)?.extract()?;
                let fields: Vec<String> = item.get_item(7)?.extract()?;
                let mut values = Vec::with_capacity(fields.len());
                for c in item.get_item(8)?.try_iter()? {
                    values.push(buffer_vec::<f64>(py, &c?, "a field")?);
                }
                let mut tickers = Vec::with_capacity(codes.len());
                for &k in &codes {
                    let t = usize::try_from(k)
                        .ok()
                        .and_then(|k| ticker_names.get(k))
                        .ok_or_else(|| native(py, "param", format!("ticker code {k} out of range")))?;
                    tickers.push(t.clone());
                }
                data.insert_long(name, MemoryLong { dates, available, tickers, fields, values });
            }
            other => return Err(native(py, "param", format!("unknown table kind `{other}`"))),
        }
    }
    Ok(data)
}

/// `(name, kind, path, columns, available)` of a declared source.
type SourceTuple = (String, String, String, Vec<String>, Option<String>);

/// A compiled strategy (the wrapper's `Strategy` holds one).
#[pyclass(module = "strat._strat", frozen)]
struct NativeStrategy {
    inner: Arc<strat::Strategy>,
}

/// Compiles `source` (shown in diagnostics as `file_name`; data paths relative to `base_dir`),
/// taking the columns of the sources in `tables` from them.
#[pyfunction]
fn compile(py: Python<'_>, source: String, file_name: String, default_name: String, base_dir: String, tables: &Bound<'_, PyList>) -> PyResult<NativeStrategy> {
    let data = in_memory(py, tables)?;
    let src = source.clone();
    let r = py.detach(|| Engine::new().with_missing_data_files(true).compile_source_with(&file_name, &default_name, source, base_dir.as_ref(), &data));
    r.map(|s| NativeStrategy { inner: Arc::new(s) }).map_err(|f| failure_in(py, &f, Some(&src)))
}

/// Compiles the `.strat` file at `path` (data paths relative to its folder).
#[pyfunction]
fn compile_file(py: Python<'_>, path: String, tables: &Bound<'_, PyList>) -> PyResult<NativeStrategy> {
    let data = in_memory(py, tables)?;
    let p = std::path::PathBuf::from(&path);
    let source = std::fs::read_to_string(&p).map_err(|e| failure(py, &Failure::Io(p.clone(), e)))?;
    let base = p.parent().map(|d| if d.as_os_str().is_empty() { std::path::Path::new(".") } else { d }).unwrap_or(std::path::Path::new(".")).to_path_buf();
    let stem = p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "strategy".into());
    let src = source.clone();
    let r = py.detach(|| Engine::new().with_missing_data_files(true).compile_source_with(&path, &stem, source, &base, &data));
    r.map(|s| NativeStrategy { inner: Arc::new(s) }).map_err(|f| failure_in(py, &f, Some(&src)))
}

/// Runs `work` on another thread with the GIL released, checking for Ctrl-C every 50 ms:
/// on `KeyboardInterrupt` sets `stop`, waits for the work to wind down and re-raises.
/// With `progress`, prints `done/total` on stderr. `drain` runs with the GIL between checks
/// (and once at the end), e.g. to hand finished rows to a Python callback; its error stops the
/// work the same way.
fn interruptible<T: Send>(
    py: Python<'_>,
    stop: &AtomicBool,
    done: &AtomicUsize,
    total: usize,
    progress: bool,
    drain: &dyn Fn(Python<'_>) -> PyResult<()>,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    std::thread::scope(|s| {
        let handle = s.spawn(work);
        let mut shown = usize::MAX;
        loop {
            py.detach(|| {
                for _ in 0..10 {
                    if handle.is_finished() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
            if progress {
                let d = done.load(Ordering::Relaxed);
                if d != shown {
                    eprint!("\r{d}/{total} bindings");
                    shown = d;
                }
            }
            let drained = drain(py);
            if handle.is_finished() && drained.is_ok() {
                if progress {
                    eprintln!();
                }
                let out = handle.join().map_err(|_| native(py, "run", "the engine crashed (a bug in Strat; please report it)".into()))?;
                drain(py)?;
                return Ok(out);
            }
            if let Err(e) = drained.and_then(|_| py.check_signals()) {
                stop.store(true, Ordering::Relaxed);
                let _ = py.detach(|| handle.join());
                if progress {
                    eprintln!();
                }
                return Err(e);
            }
        }
    })
}

/// No rows to hand over.
fn no_drain(_: Python<'_>) -> PyResult<()> {
    Ok(())
}

#[pymethods]
impl NativeStrategy {
    /// The strategy's name.
    fn name(&self) -> String {
        self.inner.name().to_string()
    }

    /// Warnings found while compiling, rendered as the CLI prints them ("" when none).
    fn warnings(&self) -> String {
        strat::render::render_diagnostics(self.inner.warnings(), false)
    }

    /// `[(name, default, kind, values)]`: kind `fixed`, `values` (the swept list) or `choices`
    /// (the choice names; the default is the index).
    fn params(&self, py: Python<'_>) -> Vec<(String, f64, String, Vec<Py<PyAny>>)> {
        use strat_compiler::program::ParamDomain;
        {
            self.inner
                .program()
                .params
                .iter()
                .map(|p| {
                    let (kind, values) = match &p.domain {
                        ParamDomain::Fixed => ("fixed", vec![]),
                        ParamDomain::Values(v) => ("values", v.iter().map(|x| x.into_pyobject(py).expect("float").into_any().unbind()).collect()),
                        ParamDomain::Choices(c) => ("choices", c.iter().map(|x| x.into_pyobject(py).expect("str").into_any().unbind()).collect()),
                    };
                    (p.name.clone(), p.default, kind.to_string(), values)
                })
                .collect()
        }
    }

    /// `[(name, kind, path, columns, available)]` of the declared sources.
    fn data_sources(&self) -> Vec<SourceTuple> {
        self.inner
            .data_sources()
            .iter()
            .map(|s| {
                let kind = serde_json::to_value(s.kind()).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                (s.name().to_string(), kind, s.path().to_string(), s.columns().to_vec(), s.available().map(str::to_string))
            })
            .collect()
    }

    /// Runs once. `params` is `[(name, value)]`, a value a float or literal text (`45%`,
    /// a choice name). Returns a dict: `json` (what `strat run --json` prints), `dates`
    /// (int32 bytes), `daily` (`[(name, float64 bytes)]`), `weights` (`(text columns,
    /// [(name, float64 bytes)])`), `warnings` (rendered).
    fn run<'py>(&self, py: Python<'py>, tables: &Bound<'py, PyList>, params: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyDict>> {
        let data = in_memory(py, tables)?;
        let p = self.params_from(py, params)?;
        let s = Arc::clone(&self.inner);
        let out = py.detach(move || -> Result<_, Failure> {
            let frame = if data.is_empty() { s.load_data()? } else { s.load_data_from(&data)? };
            let result = s.run(&frame, &p)?;
            let report = s.report(&frame, &result);
            let json = serde_json::to_string_pretty(&report).unwrap_or_default();
            let (dates, daily) = strat::report::tables::daily_columns(&frame, &result, &s.held_assets());
            let weights = strat::report::tables::weights_rows(&frame, &result);
            let mut warnings: Vec<String> = frame.warnings.iter().map(|w| w.to_string()).collect();
            warnings.extend(s.weight_warnings(&frame, &result).into_iter().map(|(_, m)| m));
            Ok((json, dates, daily, weights, warnings))
        });
        let (json, dates, daily, weights, warnings) = out.map_err(|f| failure(py, &f))?;
        let d = PyDict::new(py);
        d.set_item("json", json)?;
        d.set_item("dates", i32_bytes(py, &dates)?)?;
        let cols = PyList::empty(py);
        for (name, v) in &daily {
            cols.append((name, f64_bytes(py, v)?))?;
        }
        d.set_item("daily", cols)?;
        let (text, nums) = weights;
        let wnums = PyList::empty(py);
        for (name, v) in &nums {
            wnums.append((name, f64_bytes(py, v)?))?;
        }
        d.set_item("weights", (text, wnums))?;
        d.set_item("warnings", warnings)?;
        Ok(d)
    }

    /// Sweeps the grid (`overrides`: `[(name, [values])]` replacing those params' domains),
    /// or with `shard` `(I, N)` only shard I of N ([`strat_runtime::shard::Shard`]); returns
    /// what `strat sweep --json` prints, and for a shard the part document of
    /// `strat sweep --shard I/N --out PART.json` (with `binding_ids`). `on_row`, when given, is
    /// called on the Python thread with each finished row's JSON progress event
    /// (`{"event": "binding", "binding": i, "done": k, "total": n, ...the row}`).
    #[pyo3(signature = (tables, overrides, progress, shard=None, on_row=None))]
    fn sweep(
        &self,
        py: Python<'_>,
        tables: &Bound<'_, PyList>,
        overrides: Vec<(String, Vec<f64>)>,
        progress: bool,
        shard: Option<(usize, usize)>,
        on_row: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        use strat_runtime::shard::Shard;
        let data = in_memory(py, tables)?;
        let s = Arc::clone(&self.inner);
        let grid = if overrides.is_empty() { s.grid() } else { s.grid_with(&overrides).map_err(|m| native(py, "param", m))? };
        let shard = shard.map(|(i, n)| Shard::new(i, n)).transpose().map_err(|m| native(py, "param", m))?;
        let indices: Vec<usize> = match shard {
            Some(sh) => sh.bindings(grid.bindings.len()),
            None => (0..grid.bindings.len()).collect(),
        };
        let frame = py.detach(|| if data.is_empty() { s.load_data() } else { s.load_data_from(&data) }).map_err(|f| failure(py, &f))?;
        s.check_memory(&frame, strat_compiler::grid::Study::Sweep).map_err(|f| failure(py, &f))?;
        let stop = AtomicBool::new(false);
        let done = AtomicUsize::new(0);
        let total = indices.len();
        let params = s.params();
        let report_names: Vec<String> = s.program().reports.iter().map(|r| r.name.clone()).collect();
        let queue: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(vec![]);
        let want_rows = on_row.is_some();
        let drain = |py: Python<'_>| -> PyResult<()> {
            let Some(cb) = &on_row else { return Ok(()) };
            let batch = std::mem::take(&mut *queue.lock().map_err(|_| native(py, "run", "a sweep thread panicked".into()))?);
            for e in batch {
                cb.call1(py, (e,))?;
            }
            Ok(())
        };
        let rows = interruptible(py, &stop, &done, total, progress, &drain, || {
            s.sweep_rows(
                &frame,
                &grid,
                &indices,
                &|row| {
                    let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if want_rows {
                        let mut e = serde_json::Map::new();
                        e.insert("event".into(), "binding".into());
                        e.insert("binding".into(), row.index.into());
                        e.insert("done".into(), k.into());
                        e.insert("total".into(), total.into());
                        if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(strat::SweepRowReport::new(row, &params, &report_names)) {
                            e.extend(m);
                        }
                        if let Ok(mut q) = queue.lock() {
                            q.push(serde_json::Value::Object(e).to_string());
                        }
                    }
                },
                &stop,
            )
        })?;
        let rows = match rows.map_err(|f| failure(py, &f))? {
            Some(rows) => rows,
            None => return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err("sweep stopped")),
        };
        let doc = serde_json::to_string(&s.sweep_report(&grid, &rows)).unwrap_or_default();
        Ok(match shard {
            Some(sh) => {
                let ids: Vec<String> = rows.iter().map(|r| r.index.to_string()).collect();
                let head = doc.strip_suffix('}').unwrap_or(&doc);
                format!(
                    "{head},\"shard\":\"{sh}\",\"grid_bindings\":{},\"fingerprint\":\"{}\",\"binding_ids\":[{}]}}",
                    grid.bindings.len(),
                    s.fingerprint(&frame, &grid),
                    ids.join(",")
                )
            }
            None => doc,
        })
    }

    /// Bindings in the grid (`overrides` as in `sweep`).
    fn grid_len(&self, py: Python<'_>, overrides: Vec<(String, Vec<f64>)>) -> PyResult<usize> {
        let s = &self.inner;
        let grid = if overrides.is_empty() { s.grid() } else { s.grid_with(&overrides).map_err(|m| native(py, "param", m))? };
        Ok(grid.bindings.len())
    }

    /// The program's source text.
    fn source(&self) -> String {
        self.inner.source().to_string()
    }

    /// The folder its data paths are relative to.
    fn base_dir(&self) -> String {
        self.inner.base_dir().display().to_string()
    }

    /// The file name shown in diagnostics.
    fn file_name(&self) -> String {
        self.inner.file_name().to_string()
    }

    /// Walk-forward of the grid: `train` / `test` windows such as `5y`, `60m`; ranks by `by`.
    /// Returns what `strat walk-forward --json` prints.
    #[pyo3(signature = (tables, train, test, by, anchored, progress))]
    #[allow(clippy::too_many_arguments)]
    fn walk_forward(&self, py: Python<'_>, tables: &Bound<'_, PyList>, train: &str, test: &str, by: &str, anchored: bool, progress: bool) -> PyResult<String> {
        let data = in_memory(py, tables)?;
        let s = Arc::clone(&self.inner);
        let spec = walk_forward_spec(py, &s, train, test, anchored)?;
        let frame = py.detach(|| if data.is_empty() { s.load_data() } else { s.load_data_from(&data) }).map_err(|f| failure(py, &f))?;
        let stop = AtomicBool::new(false);
        let done = AtomicUsize::new(0);
        let total = s.grid().bindings.len();
        let out = interruptible(py, &stop, &done, total, progress, &no_drain, || {
            s.walk_forward_until(
                &frame,
                by,
                spec,
                &|| {
                    done.fetch_add(1, Ordering::Relaxed);
                },
                &stop,
            )
        })?;
        if stop.load(Ordering::Relaxed) {
            return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err("walk-forward stopped"));
        }
        let (grid, wf) = out.map_err(|f| failure(py, &f))?;
        Ok(serde_json::to_string(&s.walk_forward_report(&frame, by, &spec, &grid, &wf)).unwrap_or_default())
    }

    /// Shard `I` of `N` of the walk-forward: the part file `strat walk-forward --shard I/N --out
    /// PART.parquet` writes (each of the shard's bindings' daily returns and exposures, the
    /// study in its metadata), as bytes, for `walk_forward_merge`.
    fn walk_forward_part(&self, py: Python<'_>, tables: &Bound<'_, PyList>, shard: (usize, usize)) -> PyResult<Py<PyBytes>> {
        use strat_runtime::shard::Shard;
        let data = in_memory(py, tables)?;
        let s = Arc::clone(&self.inner);
        let sh = Shard::new(shard.0, shard.1).map_err(|m| native(py, "param", m))?;
        let frame = py.detach(|| if data.is_empty() { s.load_data() } else { s.load_data_from(&data) }).map_err(|f| failure(py, &f))?;
        s.check_memory(&frame, strat_compiler::grid::Study::WalkForward).map_err(|f| failure(py, &f))?;
        let grid = s.grid();
        let indices = sh.bindings(grid.bindings.len());
        let stop = AtomicBool::new(false);
        let done = AtomicUsize::new(0);
        let runs = interruptible(py, &stop, &done, indices.len(), false, &no_drain, || {
            s.walk_forward_runs(
                &frame,
                &grid,
                &indices,
                &|| {
                    done.fetch_add(1, Ordering::Relaxed);
                },
                &stop,
            )
        })?;
        let Some(runs) = runs.map_err(|f| failure(py, &f))? else {
            return Err(pyo3::exceptions::PyKeyboardInterrupt::new_err("walk-forward stopped"));
        };
        let fingerprint = s.fingerprint(&frame, &grid);
        static PARTS: AtomicUsize = AtomicUsize::new(0);
        let tmp = std::env::temp_dir().join(format!("strat-wf-part-{}-{}.parquet", std::process::id(), PARTS.fetch_add(1, Ordering::Relaxed)));
        let written = strat_runtime::walk_forward::part::write_part(
            &tmp,
            sh,
            grid.bindings.len(),
            &fingerprint,
            &indices.into_iter().zip(runs.into_iter().map(|r| r.1)).collect::<Vec<_>>(),
        )
        .map_err(|e| e.to_string())
        .and_then(|_| std::fs::read(&tmp).map_err(|e| e.to_string()));
        let _ = std::fs::remove_file(&tmp);
        let bytes = written.map_err(|e| native(py, "run", format!("cannot write the walk-forward part: {e}")))?;
        Ok(PyBytes::new(py, &bytes).unbind())
    }

    /// The walk-forward chosen over `parts` (the bytes of every shard's `walk_forward_part`, in
    /// any order): what `strat walk-forward --json` prints, equal to `walk_forward` on one
    /// machine. Refuses parts of another program or data, a missing or repeated shard, a part
    /// that is not whole.
    #[pyo3(signature = (tables, parts, train, test, by, anchored))]
    #[allow(clippy::too_many_arguments)]
    fn walk_forward_merge(
        &self,
        py: Python<'_>,
        tables: &Bound<'_, PyList>,
        parts: Vec<Bound<'_, PyBytes>>,
        train: &str,
        test: &str,
        by: &str,
        anchored: bool,
    ) -> PyResult<String> {
        use strat_runtime::walk_forward::part;
        let data = in_memory(py, tables)?;
        let s = Arc::clone(&self.inner);
        let spec = walk_forward_spec(py, &s, train, test, anchored)?;
        s.check_walk_forward(by, &spec).map_err(|f| failure(py, &f))?;
        let frame = py.detach(|| if data.is_empty() { s.load_data() } else { s.load_data_from(&data) }).map_err(|f| failure(py, &f))?;
        let grid = s.grid();
        let fingerprint = s.fingerprint(&frame, &grid);
        let mut read = vec![];
        for (k, b) in parts.iter().enumerate() {
            let name = std::path::PathBuf::from(format!("<part {}>", k + 1));
            read.push(part::read_part(&name, b.as_bytes().to_vec()).map_err(|e| native(py, "run", e.to_string()))?);
        }
        let runs = part::assemble(read, &fingerprint, grid.bindings.len()).map_err(|e| native(py, "run", e.to_string()))?;
        let wf = s.walk_forward_from_runs(&frame, &grid, &runs, by, spec).map_err(|f| failure(py, &f))?;
        Ok(serde_json::to_string(&s.walk_forward_report(&frame, by, &spec, &grid, &wf)).unwrap_or_default())
    }

    /// Seconds per call of the Rust API alone on in-memory data (for benches/python_overhead.py):
    /// `load_data_from` + `run` + the JSON report + the daily table, from an `InMemory` built
    /// once; the median of `iterations` calls.
    fn bench_rust_api(&self, py: Python<'_>, tables: &Bound<'_, PyList>, iterations: usize) -> PyResult<f64> {
        let data = in_memory(py, tables)?;
        let s = Arc::clone(&self.inner);
        let p = s.params();
        let times = py.detach(move || -> Result<Vec<f64>, Failure> {
            let mut times = Vec::with_capacity(iterations.max(1));
            for _ in 0..iterations.max(1) {
                let t0 = std::time::Instant::now();
                let frame = s.load_data_from(&data)?;
                let result = s.run(&frame, &p)?;
                let json = serde_json::to_string_pretty(&s.report(&frame, &result)).unwrap_or_default();
                let daily = strat::report::tables::daily_columns(&frame, &result, &s.held_assets());
                std::hint::black_box((json, daily));
                times.push(t0.elapsed().as_secs_f64());
            }
            Ok(times)
        });
        let mut times = times.map_err(|f| failure(py, &f))?;
        times.sort_by(f64::total_cmp);
        Ok(times[times.len() / 2])
    }
}

impl NativeStrategy {
    fn params_from(&self, py: Python<'_>, params: &Bound<'_, PyList>) -> PyResult<Params> {
        let mut p = self.inner.params();
        for item in params.iter() {
            let name: String = item.get_item(0)?.extract()?;
            let value = item.get_item(1)?;
            let r = if let Ok(text) = value.extract::<String>() {
                p.set(&name, &text)
            } else if let Ok(v) = value.extract::<f64>() {
                p.set_value(&name, v)
            } else {
                Err(format!("param `{name}` takes a number or literal text such as \"45%\", got {}", value.get_type().name()?))
            };
            r.map_err(|m| native(py, "param", m))?;
        }
        Ok(p)
    }
}

/// `v` as a `bytearray` of native-endian `float64`, written in place (one copy); a writable
/// buffer, so the NumPy view and the DataFrame over it can be modified by the caller.
fn f64_bytes<'py>(py: Python<'py>, v: &[f64]) -> PyResult<Bound<'py, PyByteArray>> {
    PyByteArray::new_with(py, std::mem::size_of_val(v), |buf| {
        for (chunk, x) in buf.chunks_exact_mut(8).zip(v) {
            chunk.copy_from_slice(&x.to_ne_bytes());
        }
        Ok(())
    })
}

/// `v` as a `bytes` object of native-endian `int32`.
fn i32_bytes<'py>(py: Python<'py>, v: &[i32]) -> PyResult<Bound<'py, PyBytes>> {
    PyBytes::new_with(py, std::mem::size_of_val(v), |buf| {
        for (chunk, x) in buf.chunks_exact_mut(4).zip(v) {
            chunk.copy_from_slice(&x.to_ne_bytes());
        }
        Ok(())
    })
}

/// The extension module.
#[pymodule]
fn _strat(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(compile, m)?)?;
    m.add_function(wrap_pyfunction!(compile_file, m)?)?;
    m.add_class::<NativeStrategy>()?;
    m.add("NativeError", m.py().get_type::<NativeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
