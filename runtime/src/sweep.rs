//! Parameter sweeps: the grid of bindings a program's `param ... in` declarations describe, and
//! running every binding in parallel (rayon) on one compiled program, with the columns that no
//! swept parameter touches computed once and shared. Each binding is reduced to its metrics as
//! soon as it finishes, so memory stays flat as the grid grows.

use crate::executor::{run_prepared, run_summary, sweep_cache, Backend, Prepared, RunError};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use strat_compiler::bind::eval_scalars;
use strat_compiler::program::ParamDomain;
use strat_compiler::Compiled;
use strat_stdlib::metrics::Metrics;

/// The bindings of a sweep, in grid order: the first declared param is the outermost loop.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Param names, in declaration order.
    pub names: Vec<String>,
    /// One value per param for each binding.
    pub bindings: Vec<Vec<f64>>,
    /// Which params take more than one value somewhere in the grid.
    pub varying: Vec<bool>,
    /// For each binding, which params it uses: a param whose `when` condition is false there
    /// keeps its default and is not shown (e.g. the hedge params of a baseline).
    pub active: Vec<Vec<bool>>,
}

/// Builds the grid of `compiled`: the cartesian product of every param's values, where a param
/// with `when COND` varies only in bindings where COND (over earlier params) holds and keeps its
/// default elsewhere, minus the bindings that fail a `where` constraint.
pub fn grid(compiled: &Compiled) -> Grid {
    grid_with(compiled, &domain_values(compiled))
}

/// The values each param takes in the grid, in declaration order: its default when fixed, its
/// list when swept, the indices of its choices.
pub fn domain_values(compiled: &Compiled) -> Vec<Vec<f64>> {
    compiled
        .program()
        .params
        .iter()
        .map(|p| match &p.domain {
            ParamDomain::Fixed => vec![p.default],
            ParamDomain::Values(v) => v.clone(),
            ParamDomain::Choices(c) => (0..c.len()).map(|i| i as f64).collect(),
        })
        .collect()
}

/// [`grid`] with the values of each param given (`values[i]` for param `i`, in declaration
/// order, none empty) instead of its domain; `when` conditions and `where` constraints apply as
/// in [`grid`].
///
/// # Panics
/// If `values` has not one list per param or a list is empty (a programming error).
pub fn grid_with(compiled: &Compiled, values: &[Vec<f64>]) -> Grid {
    let program = compiled.program();
    let plan = &compiled.lowered.plan;
    assert_eq!(values.len(), program.params.len(), "grid_with: one list of values per param");
    assert!(values.iter().all(|v| !v.is_empty()), "grid_with: a param without values");
    let mut current: Vec<f64> = program.params.iter().map(|p| p.default).collect();
    let mut g = Grid { names: program.params.iter().map(|p| p.name.clone()).collect(), bindings: vec![], varying: vec![false; values.len()], active: vec![] };
    let mut on = vec![true; values.len()];
    enumerate(compiled, plan, values, 0, &mut current, &mut on, &mut g);
    g
}

/// Extends the grid with every binding of params `i..` given `current[..i]`; `on[..i]` says which
/// of the earlier params their bindings use.
fn enumerate(compiled: &Compiled, plan: &strat_compiler::Plan, values: &[Vec<f64>], i: usize, current: &mut Vec<f64>, on: &mut Vec<bool>, g: &mut Grid) {
    if i == values.len() {
        let scalars = eval_scalars(plan, current);
        if compiled.program().constraints.iter().all(|c| scalars[c.index()] != 0.0) {
            g.bindings.push(current.clone());
            g.active.push(on.clone());
        }
        return;
    }
    on[i] = match compiled.program().params[i].when {
        None => true,
        Some(node) => eval_scalars(plan, current)[node.index()] != 0.0,
    };
    if !on[i] || values[i].len() == 1 {
        current[i] = compiled.program().params[i].default;
        enumerate(compiled, plan, values, i + 1, current, on, g);
        return;
    }
    g.varying[i] = true;
    for &v in &values[i] {
        current[i] = v;
        enumerate(compiled, plan, values, i + 1, current, on, g);
    }
    current[i] = compiled.program().params[i].default;
}

/// What a sweep keeps of one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepStats {
    /// Evaluated returns.
    pub bars: usize,
    /// Strategy metrics.
    pub metrics: Metrics,
    /// Mean turnover per decision bar.
    pub avg_turnover: f64,
    /// Information ratio against the benchmark (NaN without one).
    pub information_ratio: f64,
    /// Report values, in declaration order.
    pub reports: Vec<f64>,
    /// Per `weights` run: its summary (method, rebalances, turnover, fallbacks).
    pub weights: Vec<WeightsStats>,
}

/// What a sweep keeps of one `weights` run.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsStats {
    /// The declaration's name.
    pub name: String,
    /// The method that ran.
    pub method: &'static str,
    /// Number of rebalances.
    pub rebalances: usize,
    /// Rebalances decided by the fallback chain.
    pub fallbacks: usize,
    /// Mean turnover per rebalance after the first (fraction of equity).
    pub avg_rebalance_turnover: f64,
    /// The fallbacks grouped by cause and step.
    pub groups: Vec<crate::weights::FallbackGroup>,
}

impl WeightsStats {
    /// The summary of one run.
    pub fn of(w: &crate::weights::WeightsRun) -> WeightsStats {
        WeightsStats {
            name: w.name.clone(),
            method: w.method,
            rebalances: w.schedule.rebalance_rows.len(),
            fallbacks: w.fallbacks(),
            avg_rebalance_turnover: w.avg_rebalance_turnover(),
            groups: w.fallback_groups(),
        }
    }
}

/// One binding's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepRow {
    /// Index in the grid.
    pub index: usize,
    /// Param values.
    pub params: Vec<f64>,
    /// The statistics, or why the binding could not run.
    pub result: Result<SweepStats, String>,
}

/// Runs every binding of `grid` on `prep` in parallel; `progress` is called once per finished
/// binding. Results come back in grid order. Each binding runs the lean path
/// ([`run_summary`]): only the returns and the sums behind the metrics, no per-row vectors.
pub fn sweep(compiled: &Compiled, prep: &Prepared, grid: &Grid, backend: Backend, progress: &(dyn Fn() + Sync)) -> Vec<SweepRow> {
    sweep_until(compiled, prep, grid, backend, progress, &AtomicBool::new(false)).unwrap_or_default()
}

/// [`sweep`], stopping early when `stop` becomes true (an embedding host's Ctrl-C): the
/// bindings not yet started are skipped and the result is `None`.
pub fn sweep_until(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    backend: Backend,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Option<Vec<SweepRow>> {
    let all: Vec<usize> = (0..grid.bindings.len()).collect();
    sweep_rows(compiled, prep, grid, &all, backend, &|_| progress(), stop)
}

/// Runs the bindings of `grid` at `indices` (grid indices, e.g. one shard's:
/// [`crate::shard::Shard::bindings`]) in parallel and returns their rows in the order of
/// `indices`; `on_row` sees each row as it finishes (any order, from worker threads), for
/// streaming progress. The columns no swept param touches are computed once from the grid's
/// first binding, whatever the subset, so a binding's row is the same bit for bit in a shard
/// and in the whole sweep. `None` when `stop` became true.
///
/// # Panics
/// If an index is not below `grid.bindings.len()` (a programming error).
pub fn sweep_rows(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    indices: &[usize],
    backend: Backend,
    on_row: &(dyn Fn(&SweepRow) + Sync),
    stop: &AtomicBool,
) -> Option<Vec<SweepRow>> {
    let cache = grid.bindings.first().map(|first| sweep_cache(compiled, prep, first, &grid.varying, backend));
    let stats = |params: &[f64]| {
        let (s, reports, weights) = run_summary(compiled, prep, params, backend, cache.as_ref())?;
        Ok(SweepStats {
            bars: s.rows.len(),
            metrics: s.metrics,
            avg_turnover: s.avg_turnover,
            information_ratio: s.information_ratio,
            reports,
            weights: weights.iter().map(|w| WeightsStats::of(w)).collect(),
        })
    };
    let rows: Vec<SweepRow> = indices
        .par_iter()
        .map(|&index| {
            let params = grid.bindings[index].clone();
            if stop.load(Ordering::Relaxed) {
                return SweepRow { index, params, result: Err("stopped".to_string()) };
            }
            let result = stats(&params).map_err(|e: RunError| e.to_string());
            let row = SweepRow { index, params, result };
            on_row(&row);
            row
        })
        .collect();
    if stop.load(Ordering::Relaxed) {
        return None;
    }
    Some(rows)
}

/// Runs every binding in parallel and reduces each run with `f` as soon as it finishes (so only
/// what `f` keeps stays in memory). Returns (grid index, params, result) in grid order.
pub fn sweep_map<T: Send>(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    backend: Backend,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    f: impl Fn(crate::executor::RunResult) -> T + Sync,
) -> Vec<(usize, Vec<f64>, Result<T, String>)> {
    let cache = grid.bindings.first().map(|first| sweep_cache(compiled, prep, first, &grid.varying, backend));
    for_each_binding(grid, progress, stop, |params| run_prepared(compiled, prep, params, backend, cache.as_ref()).map(&f))
}

/// Runs `run` on every binding of `grid` in parallel (rayon), calling `progress` after each;
/// once `stop` is true the bindings not yet started are skipped (an error "stopped").
/// Returns (grid index, params, result, errors as text) in grid order.
fn for_each_binding<T: Send>(
    grid: &Grid,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    run: impl Fn(&[f64]) -> Result<T, RunError> + Sync,
) -> Vec<(usize, Vec<f64>, Result<T, String>)> {
    grid.bindings
        .par_iter()
        .enumerate()
        .map(|(index, params)| {
            if stop.load(Ordering::Relaxed) {
                return (index, params.clone(), Err("stopped".to_string()));
            }
            let result = run(params).map_err(|e| e.to_string());
            progress();
            (index, params.clone(), result)
        })
        .collect()
}
