//! The executor: loads a program's data sources and universes into one aligned [`Frame`]
//! (restricted to the study's date window), prepares the plan's input columns once, runs the
//! compiled plan (JIT kernels, or the reference evaluator) for one parameter binding, and
//! backtests the result.

use crate::backtest::{backtest, report_mean, Backtest, BacktestError, BacktestInput};
use crate::calendar::{every_n, month_ends, week_ends};
use crate::frame::{parse_date, Frame, Origin};
use crate::io::{inner_join, read_csv, DataError};
use std::path::Path;
use strat_compiler::codegen::Cache;
use strat_compiler::hir::{ColumnRef, Holding, RebalanceRule};
use strat_compiler::plan::{Dims, InputRef};
use strat_compiler::{bind, eval_plan, Compiled, Hir};
use strat_grammar::Diag;

/// Which backend evaluates the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Cranelift kernels (the default).
    #[default]
    Jit,
    /// The plain reference evaluator (the JIT's oracle).
    Reference,
}

/// The name of a data column in the aligned frame: `source.column`.
pub fn frame_column_name(hir: &Hir, c: &ColumnRef) -> String {
    format!("{}.{}", hir.data[c.source].name, c.column)
}

/// The frame column names of universe `u`'s assets: `universe.asset`.
pub fn universe_columns(hir: &Hir, u: usize) -> Vec<String> {
    let un = &hir.universes[u];
    un.assets.iter().map(|a| format!("{}.{a}", un.name)).collect()
}

/// Reads every data source and universe of the program (paths relative to `base_dir`), keeping
/// only the columns it uses, inner-joins them on date, restricts the rows to the `from`/`to`
/// window, and validates traded prices: a held or benchmark column must be finite and > 0 on
/// every row; a universe's prices may be missing (empty) but not zero, negative or infinite.
///
/// Errors name the file, the line and the column (see [`DataError`]).
pub fn load_data(compiled: &Compiled, base_dir: &Path) -> Result<Frame, DataError> {
    let hir = &compiled.hir;
    let mut used: Vec<&ColumnRef> = compiled.lowered.plan.inputs.iter().filter_map(|i| match i { InputRef::Column(c) => Some(c), _ => None }).collect();
    if let Holding::Column(c) = &hir.hold_target {
        used.push(c);
    }
    if let Some(b) = &hir.benchmark {
        used.push(b);
    }
    let mut frames = vec![];
    for (i, ds) in hir.data.iter().enumerate() {
        let mut cols: Vec<String> = vec![];
        for c in used.iter().filter(|c| c.source == i) {
            if !cols.contains(&c.column) {
                cols.push(c.column.clone());
            }
        }
        frames.push((ds.name.clone(), read_csv(&base_dir.join(&ds.path), &cols)?));
    }
    for un in &hir.universes {
        frames.push((un.name.clone(), read_csv(&base_dir.join(&un.path), &un.assets)?));
    }
    let first_file = match (hir.data.first(), hir.universes.first()) {
        (Some(d), _) => base_dir.join(&d.path),
        (None, Some(u)) => base_dir.join(&u.path),
        _ => base_dir.to_path_buf(),
    };
    let frame = window(inner_join(frames), hir, &first_file)?;
    if frame.len() < 2 {
        return Err(DataError::new(
            first_file,
            format!("the data has {} row(s) after aligning the sources on date and applying the date window; a backtest needs at least 2", frame.len()),
        ));
    }
    let mut strict: Vec<String> = vec![];
    match &hir.hold_target {
        Holding::Column(c) => strict.push(frame_column_name(hir, c)),
        Holding::Universe(u) => {
            for name in universe_columns(hir, *u) {
                let Some(j) = frame.column_index(&name) else { continue };
                for (t, &v) in frame.columns[j].iter().enumerate() {
                    if !v.is_nan() && (!v.is_finite() || v <= 0.0) {
                        return Err(DataError::at_row(&frame, j, t, format!("the price {v} where a traded price is required (> 0, or empty when the asset does not trade)")));
                    }
                }
            }
        }
    }
    if let Some(b) = &hir.benchmark {
        strict.push(frame_column_name(hir, b));
    }
    for name in strict {
        let Some(j) = frame.column_index(&name) else { continue };
        for (t, &v) in frame.columns[j].iter().enumerate() {
            if !v.is_finite() || v <= 0.0 {
                let what = if v.is_nan() { "a missing price (empty field)".to_string() } else { format!("the price {v}") };
                return Err(DataError::at_row(&frame, j, t, format!("{what} where a traded price is required (finite and > 0)")));
            }
        }
    }
    Ok(frame)
}

/// Restricts `frame` to the program's `from` / `to` dates (rows are then counted from the
/// window's first row, SEMANTICS.md §0).
fn window(frame: Frame, hir: &Hir, file: &Path) -> Result<Frame, DataError> {
    let parse = |d: &Option<String>| -> Result<Option<i32>, DataError> {
        match d {
            None => Ok(None),
            Some(s) => parse_date(s).map(Some).ok_or_else(|| DataError::new(file, format!("`{s}` is not a date"))),
        }
    };
    let (from, to) = (parse(&hir.from)?, parse(&hir.to)?);
    if from.is_none() && to.is_none() {
        return Ok(frame);
    }
    let start = from.map(|f| frame.dates.partition_point(|&d| d < f)).unwrap_or(0);
    let end = to.map(|t| frame.dates.partition_point(|&d| d <= t)).unwrap_or(frame.len());
    let end = end.max(start);
    let origins = frame
        .origins
        .iter()
        .map(|o| o.as_ref().map(|o| Origin { file: o.file.clone(), column: o.column.clone(), lines: std::sync::Arc::new(o.lines[start..end].to_vec()) }))
        .collect();
    Ok(Frame {
        dates: frame.dates[start..end].to_vec(),
        names: frame.names,
        columns: frame.columns.iter().map(|c| c[start..end].to_vec()).collect(),
        origins,
    })
}

/// Why a run failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// A parameter value does not fit the program (e.g. a window length of 2.5).
    Bind(Diag),
    /// The backtest cannot be evaluated.
    Backtest(BacktestError),
    /// The frame lacks a column the program needs (a frame not made by [`load_data`]).
    MissingColumn(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Bind(d) => write!(f, "{}", d.message),
            RunError::Backtest(e) => write!(f, "{e}"),
            RunError::MissingColumn(c) => write!(f, "the data has no column `{c}`"),
        }
    }
}

impl std::error::Error for RunError {}

/// The plan's inputs laid out once for any number of runs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Rows and asset counts.
    pub dims: Dims,
    /// One buffer per plan input: a series, or an asset-major panel.
    pub inputs: Vec<Vec<f64>>,
    /// The traded prices (asset-major panel; one asset for a single column).
    pub price: Vec<f64>,
    /// Number of traded assets.
    pub assets: usize,
    /// Benchmark prices, if any.
    pub benchmark: Option<Vec<f64>>,
    /// Rebalance rows for the program's schedule (`None`: every bar).
    pub rebalance: Option<Vec<bool>>,
}

fn gather(frame: &Frame, names: &[String]) -> Result<Vec<f64>, RunError> {
    let mut v = Vec::with_capacity(frame.len() * names.len());
    for n in names {
        v.extend_from_slice(frame.column(n).ok_or_else(|| RunError::MissingColumn(n.clone()))?);
    }
    Ok(v)
}

/// Lays out the inputs of `compiled` from `frame` (see [`Prepared`]).
pub fn prepare(compiled: &Compiled, frame: &Frame) -> Result<Prepared, RunError> {
    let hir = &compiled.hir;
    let dims = Dims { rows: frame.len(), assets: hir.universes.iter().map(|u| u.assets.len()).collect() };
    let mut inputs = vec![];
    for i in &compiled.lowered.plan.inputs {
        inputs.push(match i {
            InputRef::Column(c) => gather(frame, &[frame_column_name(hir, c)])?,
            InputRef::Universe(u) => gather(frame, &universe_columns(hir, *u))?,
        });
    }
    let (price, assets) = match &hir.hold_target {
        Holding::Column(c) => (gather(frame, &[frame_column_name(hir, c)])?, 1),
        Holding::Universe(u) => (gather(frame, &universe_columns(hir, *u))?, hir.universes[*u].assets.len()),
    };
    let benchmark = match &hir.benchmark {
        Some(b) => Some(gather(frame, &[frame_column_name(hir, b)])?),
        None => None,
    };
    let rebalance = match hir.rebalance {
        RebalanceRule::Daily => None,
        RebalanceRule::Monthly => Some(month_ends(&frame.dates)),
        RebalanceRule::Weekly => Some(week_ends(&frame.dates)),
        // `every N` counts from the first live row, which depends on the binding: see `run`.
        RebalanceRule::Every(_) => None,
    };
    Ok(Prepared { dims, inputs, price, assets, benchmark, rebalance })
}

/// One run: the backtest, the report values and the target weights.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The backtest.
    pub backtest: Backtest,
    /// `report` values, in declaration order.
    pub reports: Vec<(String, f64)>,
    /// The target weights as computed (before the liveness and rebalance rules), asset-major.
    pub target_weight: Vec<f64>,
}

/// Runs `compiled` over `frame` with `params` (one value per declared param) on `backend`.
pub fn run(compiled: &Compiled, frame: &Frame, params: &[f64], backend: Backend) -> Result<RunResult, RunError> {
    let prepared = prepare(compiled, frame)?;
    run_prepared(compiled, &prepared, params, backend, None)
}

/// Runs on prepared inputs, reusing the param-invariant columns in `cache` if given (JIT only).
pub fn run_prepared(compiled: &Compiled, prep: &Prepared, params: &[f64], backend: Backend, cache: Option<&Cache>) -> Result<RunResult, RunError> {
    let plan = &compiled.lowered.plan;
    let binding = bind(plan, params).map_err(RunError::Bind)?;
    let inputs: Vec<&[f64]> = prep.inputs.iter().map(|v| v.as_slice()).collect();
    let outputs = compiled.outputs();
    let cols = match backend {
        Backend::Jit => compiled.kernels.run_cached(plan, &inputs, &prep.dims, &binding, cache),
        Backend::Reference => eval_plan(plan, &inputs, &prep.dims, &binding, &outputs),
    };
    let hir = &compiled.hir;
    let rows = prep.dims.rows;
    // Broadcast a series or scalar weight to every traded asset.
    let mut cols = cols.into_iter();
    let target_weight = cols.next().unwrap_or_default();
    let report_cols: Vec<Vec<f64>> = cols.collect();
    let weight: Vec<f64> = if target_weight.len() == rows * prep.assets {
        target_weight.clone()
    } else {
        (0..prep.assets).flat_map(|_| target_weight.iter().copied()).collect()
    };
    let warmup = binding.warmup_of(compiled.lowered.weight);
    let every;
    let rebalance = match hir.rebalance {
        RebalanceRule::Every(n) => {
            // Counted from the first row past warm-up with a defined weight.
            let start = (warmup..rows).find(|&t| (0..prep.assets).any(|j| !weight[j * rows + t].is_nan())).unwrap_or(rows);
            every = every_n(rows, start, n);
            Some(every.as_slice())
        }
        _ => prep.rebalance.as_deref(),
    };
    let bt = backtest(&BacktestInput {
        price: &prep.price,
        assets: prep.assets,
        weight: &weight,
        weight_warmup: warmup,
        rebalance,
        cost_rate: hir.cost_rate,
        benchmark: prep.benchmark.as_deref(),
        periods_per_year: hir.annualize,
    })
    .map_err(RunError::Backtest)?;
    let reports = compiled.lowered.reports.iter().zip(&report_cols).map(|((name, _), c)| (name.clone(), report_mean(c, &bt))).collect();
    Ok(RunResult { backtest: bt, reports, target_weight })
}
