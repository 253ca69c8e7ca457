//! Parameter sweeps: the grid of bindings a program's `param ... in` declarations describe, and
//! running every binding in parallel (rayon) on one compiled program, with the columns that no
//! swept parameter touches computed once and shared. Each binding is reduced to its metrics as
//! soon as it finishes, so memory stays flat as the grid grows.

mod grid;

pub use grid::{domain_values, grid, grid_info, grid_with, Binding, Grid, GridInfo, GridWalk};

use crate::executor::{run_prepared, run_summary, sweep_cache, Backend, Prepared, RunError, SweepCache};
use rayon::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use strat_compiler::Compiled;
use strat_stdlib::metrics::Metrics;

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
    let bindings: Vec<Binding> = indices.iter().map(|&index| Binding { index, params: grid.bindings[index].clone(), active: vec![] }).collect();
    let rows = run_bindings(compiled, prep, cache.as_ref(), &bindings, backend, on_row, stop);
    if stop.load(Ordering::Relaxed) {
        return None;
    }
    Some(rows)
}

/// The cache of a sweep whose first binding is `first` and whose swept params are `varying`
/// ([`Grid::varying`]): the columns no swept param touches, computed once.
pub fn cache_for(compiled: &Compiled, prep: &Prepared, first: &[f64], varying: &[bool], backend: Backend) -> SweepCache {
    sweep_cache(compiled, prep, first, varying, backend)
}

/// Runs `bindings` in parallel (rayon) on the lean path with `cache` (from [`cache_for`] with
/// the grid's first binding) and returns their rows in the order given; `on_row` sees each row
/// as it finishes (any order, from worker threads). Once `stop` is true the bindings not yet
/// started are skipped (an error "stopped").
pub fn run_bindings(
    compiled: &Compiled,
    prep: &Prepared,
    cache: Option<&SweepCache>,
    bindings: &[Binding],
    backend: Backend,
    on_row: &(dyn Fn(&SweepRow) + Sync),
    stop: &AtomicBool,
) -> Vec<SweepRow> {
    let stats = |params: &[f64]| {
        let (s, reports, weights) = run_summary(compiled, prep, params, backend, cache)?;
        Ok(SweepStats {
            bars: s.rows.len(),
            metrics: s.metrics,
            avg_turnover: s.avg_turnover,
            information_ratio: s.information_ratio,
            reports,
            weights: weights.iter().map(|w| WeightsStats::of(w)).collect(),
        })
    };
    bindings
        .par_iter()
        .map(|b| {
            let (index, params) = (b.index, b.params.clone());
            if stop.load(Ordering::Relaxed) {
                return SweepRow { index, params, result: Err("stopped".to_string()) };
            }
            let result = stats(&params).map_err(|e: RunError| e.to_string());
            let row = SweepRow { index, params, result };
            on_row(&row);
            row
        })
        .collect()
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
    let all: Vec<usize> = (0..grid.bindings.len()).collect();
    sweep_map_at(compiled, prep, grid, &all, backend, progress, stop, f)
}

/// [`sweep_map`] over the bindings at `indices` (grid indices, e.g. one shard's), in that
/// order; the cache comes from the grid's first binding whatever the subset, so each result is
/// the one of the whole sweep bit for bit. Once `stop` is true the bindings not yet started are
/// skipped (an error "stopped").
///
/// # Panics
/// If an index is not below `grid.bindings.len()` (a programming error).
#[allow(clippy::too_many_arguments)]
pub fn sweep_map_at<T: Send>(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    indices: &[usize],
    backend: Backend,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    f: impl Fn(crate::executor::RunResult) -> T + Sync,
) -> Vec<(usize, Vec<f64>, Result<T, String>)> {
    let cache = grid.bindings.first().map(|first| sweep_cache(compiled, prep, first, &grid.varying, backend));
    indices
        .par_iter()
        .map(|&index| {
            let params = &grid.bindings[index];
            if stop.load(Ordering::Relaxed) {
                return (index, params.clone(), Err("stopped".to_string()));
            }
            let result = run_prepared(compiled, prep, params, backend, cache.as_ref()).map(&f).map_err(|e| e.to_string());
            progress();
            (index, params.clone(), result)
        })
        .collect()
}

/// What receives a streamed sweep's chunks ([`sweep_chunks`]): each chunk's rows in grid order,
/// each with its binding's active params; an error stops the sweep.
pub type ChunkSink<'a> = dyn FnMut(Vec<(SweepRow, Vec<bool>)>) -> Result<(), String> + 'a;

/// Bindings run per chunk of a streamed sweep ([`sweep_chunks`]): enough to keep every thread
/// busy, few enough that a chunk's rows take a few MiB.
pub const SWEEP_CHUNK: usize = strat_compiler::grid::SWEEP_CHUNK;

/// A sweep in memory that does not grow with the grid: walks the grid of `values` (one list per
/// param, as [`grid_with`]), takes the bindings whose index `keep` accepts (all, or one shard's),
/// runs them `chunk` at a time in parallel ([`run_bindings`], the cache from `info.first` so that
/// every row equals its row in [`sweep_rows`] bit for bit) and hands each chunk's rows, in grid
/// order with each binding's active params, to `sink` before the next chunk starts. Only one
/// chunk's bindings and rows are alive at a time.
///
/// Returns `Ok(false)` when `stop` became true (the rows of the interrupted chunk are not
/// handed over), `Ok(true)` when every binding ran.
///
/// Errors: the first error `sink` returns (the sweep stops there).
#[allow(clippy::too_many_arguments)]
pub fn sweep_chunks(
    compiled: &Compiled,
    prep: &Prepared,
    values: &[Vec<f64>],
    info: &GridInfo,
    keep: &dyn Fn(usize) -> bool,
    chunk: usize,
    backend: Backend,
    on_row: &(dyn Fn(&SweepRow) + Sync),
    stop: &AtomicBool,
    sink: &mut ChunkSink,
) -> Result<bool, String> {
    let cache = info.first.as_ref().map(|first| sweep_cache(compiled, prep, first, &info.varying, backend));
    let mut walk = GridWalk::new(compiled, values.to_vec()).filter(|b| keep(b.index));
    loop {
        let bindings: Vec<Binding> = walk.by_ref().take(chunk.max(1)).collect();
        if bindings.is_empty() {
            return Ok(true);
        }
        let rows = run_bindings(compiled, prep, cache.as_ref(), &bindings, backend, on_row, stop);
        if stop.load(Ordering::Relaxed) {
            return Ok(false);
        }
        sink(rows.into_iter().zip(bindings.into_iter().map(|b| b.active)).collect())?;
    }
}
