//! The executor: loads a program's data sources into one aligned [`Frame`], runs its compiled plan
//! (JIT kernels, or the reference evaluator) for one parameter binding, and backtests the result.

use crate::backtest::{backtest, report_mean, Backtest, BacktestError, BacktestInput};
use crate::frame::Frame;
use crate::io::{inner_join, read_csv, DataError};
use std::path::Path;
use strat_compiler::hir::ColumnRef;
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

/// The name of a column in the aligned frame: `source.column`.
pub fn frame_column_name(hir: &Hir, c: &ColumnRef) -> String {
    format!("{}.{}", hir.data[c.source].name, c.column)
}

/// Reads every data source of `hir` (paths relative to `base_dir`), keeping only the columns the
/// program uses, inner-joins them on date, and validates the traded and benchmark price columns
/// (finite and > 0 on every row).
///
/// Errors name the file, the line and the column (see [`DataError`]).
pub fn load_data(compiled: &Compiled, base_dir: &Path) -> Result<Frame, DataError> {
    let hir = &compiled.hir;
    let mut used: Vec<&ColumnRef> = compiled.lowered.plan.inputs.iter().collect();
    used.push(&hir.hold_target);
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
        let path = base_dir.join(&ds.path);
        let f = read_csv(&path, &cols)?;
        frames.push((ds.name.clone(), f));
    }
    let first_file = base_dir.join(&hir.data[hir.hold_target.source].path);
    let frame = inner_join(frames);
    if frame.len() < 2 {
        return Err(DataError::new(
            first_file,
            format!("the data sources share {} date(s) after aligning them on date; a backtest needs at least 2", frame.len()),
        ));
    }
    let mut prices = vec![&hir.hold_target];
    if let Some(b) = &hir.benchmark {
        prices.push(b);
    }
    for c in prices {
        let name = frame_column_name(hir, c);
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

/// One run: the backtest, the report values and the computed output columns.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The backtest.
    pub backtest: Backtest,
    /// `report` values, in declaration order.
    pub reports: Vec<(String, f64)>,
    /// The target weight as computed (before the liveness rule), one per bar.
    pub target_weight: Vec<f64>,
}

/// The columns of `frame` that feed the plan's inputs, in plan order.
pub fn plan_inputs<'a>(compiled: &Compiled, frame: &'a Frame) -> Result<Vec<&'a [f64]>, RunError> {
    compiled
        .lowered
        .plan
        .inputs
        .iter()
        .map(|c| {
            let name = frame_column_name(&compiled.hir, c);
            frame.column(&name).ok_or(RunError::MissingColumn(name))
        })
        .collect()
}

/// Runs `compiled` over `frame` with `params` (one value per declared param) on `backend`.
pub fn run(compiled: &Compiled, frame: &Frame, params: &[f64], backend: Backend) -> Result<RunResult, RunError> {
    let plan = &compiled.lowered.plan;
    let binding = bind(plan, params).map_err(RunError::Bind)?;
    let inputs = plan_inputs(compiled, frame)?;
    let outputs = compiled.outputs();
    let cols = match backend {
        Backend::Jit => compiled.kernels.run(plan, &inputs, frame.len(), &binding),
        Backend::Reference => eval_plan(plan, &inputs, frame.len(), &binding, &outputs),
    };
    let hir = &compiled.hir;
    let price_name = frame_column_name(hir, &hir.hold_target);
    let price = frame.column(&price_name).ok_or(RunError::MissingColumn(price_name))?;
    let bench = match &hir.benchmark {
        Some(b) => {
            let n = frame_column_name(hir, b);
            Some(frame.column(&n).ok_or(RunError::MissingColumn(n))?)
        }
        None => None,
    };
    let bt = backtest(&BacktestInput {
        price,
        weight: &cols[0],
        weight_warmup: binding.warmup_of(compiled.lowered.weight),
        cost_rate: hir.cost_rate,
        benchmark: bench,
        periods_per_year: hir.annualize,
    })
    .map_err(RunError::Backtest)?;
    let reports = compiled.lowered.reports.iter().enumerate().map(|(i, (name, _))| (name.clone(), report_mean(&cols[i + 1], &bt))).collect();
    let mut cols = cols;
    let target_weight = cols.swap_remove(0);
    Ok(RunResult { backtest: bt, reports, target_weight })
}
