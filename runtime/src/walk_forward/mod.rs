//! Walk-forward validation (SEMANTICS.md §6): for each test block of calendar years (or months),
//! choose the binding with the best metric over the preceding training periods, apply it to the
//! test block, and stitch the out-of-sample returns. Training uses only returns of rows before the test
//! block, and every decision inside a run uses data up to its own bar, so nothing leaks from the
//! future.

pub mod part;

use crate::executor::{run_path, sweep_cache, Backend, Prepared};
use crate::frame::year_month_day;
use crate::sweep::Grid;
use rayon::prelude::*;
use std::sync::atomic::AtomicBool;
use strat_compiler::Compiled;
use strat_stdlib::deflated_sharpe::deflated_sharpe;
use strat_stdlib::metrics::{excess_sharpe_sortino, metric_def, metrics, metrics_given_exposure, sharpe_and_vol, sharpe_and_vol_lanes, MetricDef, Metrics};

/// The calendar period a walk-forward counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PeriodUnit {
    /// Calendar years: a period is numbered by its year (`2001`).
    #[default]
    Years,
    /// Calendar months: a period is numbered `year * 12 + month - 1` (2001-02 is `24013`).
    Months,
}

impl PeriodUnit {
    /// The period (see the variants) of a day count since 1970-01-01.
    pub fn period_of(self, days: i32) -> i32 {
        let (y, m, _) = year_month_day(days);
        match self {
            PeriodUnit::Years => y,
            PeriodUnit::Months => y * 12 + m as i32 - 1,
        }
    }

    /// A period as text: `2001` for a year, `2001-02` for a month.
    pub fn label(self, period: i32) -> String {
        match self {
            PeriodUnit::Years => format!("{period}"),
            PeriodUnit::Months => format!("{}-{:02}", period.div_euclid(12), period.rem_euclid(12) + 1),
        }
    }

    /// The suffix of a length in this unit: `y` or `m` (`5y`, `60m`).
    pub fn suffix(self) -> &'static str {
        match self {
            PeriodUnit::Years => "y",
            PeriodUnit::Months => "m",
        }
    }

    /// The unit's name in messages: `year` or `month`.
    pub fn name(self) -> &'static str {
        match self {
            PeriodUnit::Years => "year",
            PeriodUnit::Months => "month",
        }
    }
}

/// Walk-forward settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkForwardSpec {
    /// Training periods (calendar years or months, per `unit`).
    pub train: i32,
    /// Test periods per fold.
    pub test: i32,
    /// The unit of `train` and `test`.
    pub unit: PeriodUnit,
    /// Anchored: train on every period from the first (expanding window) instead of the last
    /// `train`.
    pub anchored: bool,
    /// Periods per year for annualised metrics.
    pub periods_per_year: f64,
}

/// One fold.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    /// First and last training period ([`PeriodUnit::period_of`]: a year, or a month number).
    pub train: (i32, i32),
    /// First and last test period.
    pub test: (i32, i32),
    /// The chosen binding (grid index).
    pub chosen: usize,
    /// Its metric over the training rows.
    pub in_sample: f64,
    /// Its metric over the test rows.
    pub out_of_sample: f64,
    /// Test rows.
    pub bars: usize,
}

/// The walk-forward result.
#[derive(Debug, Clone, PartialEq)]
pub struct WalkForward {
    /// The folds in time order.
    pub folds: Vec<Fold>,
    /// Stitched out-of-sample returns and their return rows.
    pub returns: Vec<f64>,
    /// Row of each out-of-sample return.
    pub rows: Vec<usize>,
    /// The binding (grid index) chosen for the fold of each out-of-sample return.
    pub bindings: Vec<usize>,
    /// Metrics of the stitched out-of-sample returns (and their exposures, for `avg_exposure`).
    pub metrics: Metrics,
    /// Mean of the folds' in-sample metric.
    pub in_sample_mean: f64,
    /// Mean of the folds' out-of-sample metric.
    pub out_of_sample_mean: f64,
    /// Deflated Sharpe ratio of the stitched returns (Bailey & López de Prado 2014), with the
    /// number of trials = bindings and the variance of the bindings' full-sample per-period Sharpe.
    pub deflated_sharpe: f64,
    /// Trials (bindings) behind the selection.
    pub trials: usize,
    /// Test blocks (first and last period) left out because no binding had a training score.
    pub skipped: Vec<(i32, i32)>,
}

/// The ranking score of metric `name` over the returns `x`: its value, negated where lower is
/// better (the direction of [`METRICS`](strat_stdlib::metrics::METRICS)), so that larger is
/// always better. `None` for a name that is not a metric computable from returns alone.
pub fn metric_by_name(x: &[f64], name: &str, periods_per_year: f64) -> Option<f64> {
    let d = metric_def(name).filter(|d| d.from_returns)?;
    let value = match name {
        // The two need neither the equity curve nor the order statistics (the same values).
        "sharpe" => sharpe_and_vol(x, periods_per_year).0,
        "ann_vol" => sharpe_and_vol(x, periods_per_year).1,
        // The exposure does not enter a metric computed from returns alone.
        _ => (d.get)(&metrics_given_exposure(x, f64::NAN, periods_per_year)),
    };
    Some(direction(d) * value)
}

/// The metrics a walk-forward ranks by, as its error message lists them (a test checks them
/// against the metrics table).
const RANKABLE: &str = "sharpe, sortino, calmar, cagr, total_return, max_drawdown, ann_vol, var_95, cvar_95 or omega";

/// `1` where a larger value is better, `-1` where a smaller one is.
fn direction(d: &MetricDef) -> f64 {
    if d.higher_is_better {
        1.0
    } else {
        -1.0
    }
}

/// How many bindings' training Sharpe ratios are computed side by side
/// ([`sharpe_and_vol_lanes`]).
const LANES: usize = 4;

/// A walk-forward window as written (`5y`, `60m`): a whole number `N` from 1 to 100,000 of
/// calendar years or months; `None` for anything else.
pub fn parse_duration(text: &str) -> Option<(i32, PeriodUnit)> {
    let t = text.trim();
    [("y", PeriodUnit::Years), ("m", PeriodUnit::Months)]
        .into_iter()
        .find_map(|(suffix, unit)| t.strip_suffix(suffix).and_then(|n| n.parse::<i32>().ok()).filter(|n| (1..=100_000).contains(n)).map(|n| (n, unit)))
}

/// The unit and lengths of a training and a test window: years on both sides count in years;
/// months on either side count both in months.
pub fn windows(train: (i32, PeriodUnit), test: (i32, PeriodUnit)) -> (PeriodUnit, i32, i32) {
    let ((train_n, train_unit), (test_n, test_unit)) = (train, test);
    if train_unit == PeriodUnit::Years && test_unit == PeriodUnit::Years {
        return (PeriodUnit::Years, train_n, test_n);
    }
    let months = |n: i32, u: PeriodUnit| if u == PeriodUnit::Years { n.saturating_mul(12) } else { n };
    (PeriodUnit::Months, months(train_n, train_unit), months(test_n, test_unit))
}

/// Runs the walk-forward of `grid` choosing by `metric` (higher is better; `ann_vol` is ranked
/// lower-is-better). Errors: an unknown metric, no binding that runs, or fewer calendar periods
/// than training + one test block.
#[allow(clippy::too_many_arguments)]
pub fn walk_forward(
    compiled: &Compiled,
    prep: &Prepared,
    dates: &[i32],
    grid: &Grid,
    backend: Backend,
    metric: &str,
    spec: WalkForwardSpec,
    progress: &(dyn Fn() + Sync),
) -> Result<WalkForward, String> {
    walk_forward_until(compiled, prep, dates, grid, backend, metric, spec, progress, &AtomicBool::new(false))
}

/// [`walk_forward`], stopping early when `stop` becomes true (the error is then "stopped").
#[allow(clippy::too_many_arguments)]
pub fn walk_forward_until(
    compiled: &Compiled,
    prep: &Prepared,
    dates: &[i32],
    grid: &Grid,
    backend: Backend,
    metric: &str,
    spec: WalkForwardSpec,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Result<WalkForward, String> {
    check_request(metric, &spec)?;
    let all: Vec<usize> = (0..grid.bindings.len()).collect();
    let cache = grid.bindings.first().map(|first| sweep_cache(compiled, prep, first, &grid.varying, backend));
    // Only the chosen bindings' exposures are read (for `avg_exposure`): they are run again
    // below rather than kept for every binding, which halves the memory of a large grid.
    let runs = runs_in(compiled, prep, grid, cache.as_ref(), &all, backend, progress, stop, false);
    if stop.load(std::sync::atomic::Ordering::Relaxed) {
        return Err("stopped".into());
    }
    let ok: Vec<BindingRun> = runs.into_iter().filter_map(|(_, r)| r.ok()).collect();
    choose_with(&ok, dates, grid.bindings.len(), metric, spec, &|index| exposure_of(compiled, prep, grid, backend, cache.as_ref(), index))
}

/// One binding's run as a walk-forward keeps it: its net returns and exposures from its first
/// evaluated row on (rows = bars). The exposures are `None` where the walk-forward runs the
/// bindings it chooses again instead (see [`choose_with`]).
#[derive(Debug, Clone, PartialEq)]
pub struct BindingRun {
    /// The binding's grid index.
    pub index: usize,
    /// The data row of its first return.
    pub start: usize,
    /// Net returns (fractions), one per row from `start`.
    pub returns: Vec<f64>,
    /// Gross exposure (fraction of equity), one per return; `None` when not kept.
    pub exposure: Option<Vec<f64>>,
    /// With a `cash` account: the per-period risk-free return of each return row (the cash
    /// rate of the row before over `annualize`): Sharpe and Sortino rank and report the excess
    /// returns (spec/semantics.md §13, "Cash and financing").
    pub rf: Option<Vec<f64>>,
}

/// [`metric_by_name`] of a binding's returns `x` with their risk-free returns `rf` (`None`: 0):
/// Sharpe and Sortino of the excess returns ([`excess_sharpe_sortino`], empyrical's
/// convention), any other metric of the returns themselves.
pub fn score_with_rf(x: &[f64], rf: Option<&[f64]>, name: &str, periods_per_year: f64) -> Option<f64> {
    match (rf, name) {
        (Some(rf), "sharpe") => Some(excess_sharpe_sortino(x, rf, periods_per_year).0),
        (Some(rf), "sortino") => Some(excess_sharpe_sortino(x, rf, periods_per_year).1),
        _ => metric_by_name(x, name, periods_per_year),
    }
}

/// The exposures of binding `index` of `grid` (one per return, from its first return row), by
/// running it again with the sweep `cache` its returns were computed with: the values its
/// [`BindingRun`] would have kept.
///
/// Errors: the run fails (as it did not when its returns were computed only if the data changed).
fn exposure_of(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    backend: Backend,
    cache: Option<&crate::executor::SweepCache>,
    index: usize,
) -> Result<Vec<f64>, String> {
    run_path(compiled, prep, &grid.bindings[index], backend, cache).map(|((_, _, exposure), _)| exposure).map_err(|e| e.to_string())
}

/// Refuses a metric a walk-forward cannot rank by and windows shorter than one period.
pub fn check_request(metric: &str, spec: &WalkForwardSpec) -> Result<(), String> {
    if metric_by_name(&[0.0, 0.0], metric, 1.0).is_none() {
        return Err(format!("`{metric}` cannot rank a walk-forward; use {RANKABLE}"));
    }
    if spec.train < 1 || spec.test < 1 {
        return Err(format!("--train and --test must be at least 1{}", spec.unit.suffix()));
    }
    Ok(())
}

/// Runs the bindings of `grid` at `indices` in parallel (a whole grid, or one shard's) and
/// keeps what [`choose`] needs of each: its [`BindingRun`] with its exposures, or why it failed.
/// Results come back in the order of `indices`; `progress` is called once per binding. The
/// columns no swept param touches are computed from the grid's first binding whatever the
/// subset, so a binding's run is the same bit for bit in a shard and in the whole walk-forward.
pub fn binding_runs(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    indices: &[usize],
    backend: Backend,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
) -> Vec<(usize, Result<BindingRun, String>)> {
    let cache = grid.bindings.first().map(|first| sweep_cache(compiled, prep, first, &grid.varying, backend));
    runs_in(compiled, prep, grid, cache.as_ref(), indices, backend, progress, stop, true)
}

/// [`binding_runs`] with the sweep cache `cache` (see [`sweep_cache`]; built from the grid's
/// first binding), keeping each binding's exposures only if `keep_exposure` (a whole
/// walk-forward asks [`choose_with`] for the chosen bindings' instead).
#[allow(clippy::too_many_arguments)]
fn runs_in(
    compiled: &Compiled,
    prep: &Prepared,
    grid: &Grid,
    cache: Option<&crate::executor::SweepCache>,
    indices: &[usize],
    backend: Backend,
    progress: &(dyn Fn() + Sync),
    stop: &AtomicBool,
    keep_exposure: bool,
) -> Vec<(usize, Result<BindingRun, String>)> {
    indices
        .par_iter()
        .map(|&index| {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return (index, Err("stopped".to_string()));
            }
            let run = run_path(compiled, prep, &grid.bindings[index], backend, cache)
                .map(|((start, returns, exposure), rf)| BindingRun { index, start, returns, exposure: keep_exposure.then_some(exposure), rf })
                .map_err(|e| e.to_string());
            progress();
            (index, run)
        })
        .collect()
}

/// The walk-forward's choice over the runs of the bindings that ran (`runs`, in grid order;
/// `trials`: the grid's size, failed bindings included) on data with `dates` (one per row):
/// the folds, the chosen bindings, the stitched out-of-sample returns and their metrics.
///
/// Errors: no binding ran, or fewer calendar periods than training + one test block.
pub fn choose(runs: &[BindingRun], dates: &[i32], trials: usize, metric: &str, spec: WalkForwardSpec) -> Result<WalkForward, String> {
    choose_with(runs, dates, trials, metric, spec, &|index| Err(format!("binding {index} kept no exposures")))
}

/// [`choose`], asking `exposure_of(index)` for the exposures (one per return, from the run's
/// `start`) of a chosen binding whose run did not keep them; each binding is asked at most once.
///
/// Errors: as [`choose`], and an error of `exposure_of`.
pub fn choose_with(
    runs: &[BindingRun],
    dates: &[i32],
    trials: usize,
    metric: &str,
    spec: WalkForwardSpec,
    exposure_of: &dyn Fn(usize) -> Result<Vec<f64>, String>,
) -> Result<WalkForward, String> {
    if runs.is_empty() {
        return Err("no binding of the grid runs".into());
    }
    let unit = spec.unit;
    let year = |t: usize| unit.period_of(dates[t]);
    let first_row = runs.iter().map(|r| r.start).min().unwrap_or(0);
    let last_row = dates.len() - 1;
    let (y0, yn) = (year(first_row), year(last_row));
    if yn - y0 + 1 < spec.train + spec.test {
        return Err(format!(
            "the evaluation window covers {} calendar {}(s) ({}..{}); a walk-forward of {}{u} + {}{u} needs at least {}",
            yn - y0 + 1,
            unit.name(),
            unit.label(y0),
            unit.label(yn),
            spec.train,
            spec.test,
            spec.train + spec.test,
            u = unit.suffix()
        ));
    }
    // The period of every row, nondecreasing because the dates are sorted: the rows of the
    // periods lo..=hi are one contiguous range, found by two binary searches.
    let periods: Vec<i32> = dates.iter().map(|&d| unit.period_of(d)).collect();
    // The returns of binding b over the periods lo..=hi (in time order, as a filter over its
    // rows would keep them).
    let slice = |b: &'_ BindingRun, lo: i32, hi: i32| -> std::ops::Range<usize> {
        let end = b.start + b.returns.len();
        let a = periods.partition_point(|&p| p < lo).clamp(b.start, end);
        let z = periods.partition_point(|&p| p <= hi).clamp(a, end);
        a - b.start..z - b.start
    };
    let mut folds = vec![];
    let mut skipped = vec![];
    let mut returns = vec![];
    // The stitched risk-free returns (0 for a binding without a cash account).
    let (mut rf, mut any_rf) = (vec![], false);
    let mut exposure = vec![];
    let mut rows = vec![];
    let mut bindings = vec![];
    let mut fetched: std::collections::HashMap<usize, Vec<f64>> = std::collections::HashMap::new();
    let mut y = y0 + spec.train;
    while y <= yn {
        let test_end = (y + spec.test - 1).min(yn);
        let train = (if spec.anchored { y0 } else { y - spec.train }, y - 1);
        // Each binding's training score: independent of the others, so in parallel.
        let score = |b: &BindingRun| {
            let r = slice(b, train.0, train.1);
            let x = &b.returns[r.clone()];
            if x.len() < 2 {
                f64::NAN
            } else {
                score_with_rf(x, b.rf.as_ref().map(|f| &f[r]), metric, spec.periods_per_year).unwrap_or(f64::NAN)
            }
        };
        let scores: Vec<f64> = match metric {
            // Without a cash rate, four bindings' Sharpe or volatility at once (the same values).
            "sharpe" | "ann_vol" => runs
                .par_chunks(LANES)
                .flat_map_iter(|chunk| match <&[BindingRun; LANES]>::try_from(chunk) {
                    Ok(four) if four.iter().all(|b| b.rf.is_none()) => {
                        let xs = four.each_ref().map(|b| &b.returns[slice(b, train.0, train.1)]);
                        let lanes = sharpe_and_vol_lanes(xs, spec.periods_per_year);
                        let dir = metric_def(metric).map_or(1.0, direction);
                        let pick = |(sharpe, vol): (f64, f64)| dir * if metric == "sharpe" { sharpe } else { vol };
                        xs.iter().zip(lanes).map(|(x, v)| if x.len() < 2 { f64::NAN } else { pick(v) }).collect::<Vec<_>>()
                    }
                    _ => chunk.iter().map(score).collect(),
                })
                .collect(),
            _ => runs.par_iter().map(score).collect(),
        };
        let best = scores.iter().copied().filter(|s| !s.is_nan()).fold(f64::NEG_INFINITY, f64::max);
        if best.is_finite() || best == f64::INFINITY {
            let tol = 1e-9 * best.abs().max(1.0);
            // Ties within the tolerance go to the lowest binding index (grid order).
            let k = scores.iter().position(|&s| !s.is_nan() && s >= best - tol).unwrap_or(0);
            let b = &runs[k];
            let test = slice(b, y, test_end);
            let oos = &b.returns[test.clone()];
            returns.extend_from_slice(oos);
            match &b.rf {
                Some(f) => rf.extend_from_slice(&f[test.clone()]),
                None => rf.extend(std::iter::repeat_n(0.0, oos.len())),
            }
            any_rf |= b.rf.is_some();
            let kept = match &b.exposure {
                Some(e) => e,
                None => {
                    if let std::collections::hash_map::Entry::Vacant(v) = fetched.entry(b.index) {
                        v.insert(exposure_of(b.index)?);
                    }
                    &fetched[&b.index]
                }
            };
            exposure.extend_from_slice(&kept[test.clone()]);
            rows.extend(test.clone().map(|i| b.start + i));
            bindings.extend(std::iter::repeat_n(b.index, oos.len()));
            let sign = metric_def(metric).map_or(1.0, direction);
            folds.push(Fold {
                train,
                test: (y, test_end),
                chosen: b.index,
                in_sample: sign * best,
                out_of_sample: sign * score_with_rf(oos, b.rf.as_ref().map(|f| &f[test.clone()]), metric, spec.periods_per_year).unwrap_or(f64::NAN),
                bars: oos.len(),
            });
        } else {
            skipped.push((y, test_end));
        }
        y += spec.test;
    }
    let mut m = metrics(&returns, &exposure, spec.periods_per_year);
    if any_rf {
        (m.sharpe, m.sortino) = excess_sharpe_sortino(&returns, &rf, spec.periods_per_year);
    }
    let mean = |v: Vec<f64>| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    let in_sample_mean = mean(folds.iter().map(|f| f.in_sample).collect());
    let out_of_sample_mean = mean(folds.iter().map(|f| f.out_of_sample).collect());
    // Variance of the trials' per-period Sharpe ratios over the full sample.
    let srs: Vec<f64> =
        runs.par_iter().map(|b| score_with_rf(&b.returns, b.rf.as_deref(), "sharpe", 1.0).unwrap_or(f64::NAN)).filter(|s| s.is_finite()).collect();
    let var = if srs.len() > 1 {
        let mu = srs.iter().sum::<f64>() / srs.len() as f64;
        srs.iter().map(|s| (s - mu) * (s - mu)).sum::<f64>() / (srs.len() - 1) as f64
    } else {
        0.0
    };
    let excess: Vec<f64> = returns.iter().zip(&rf).map(|(r, f)| r - f).collect();
    let dsr = deflated_sharpe(if any_rf { &excess } else { &returns }, trials, var);
    Ok(WalkForward { folds, returns, rows, bindings, metrics: m, in_sample_mean, out_of_sample_mean, deflated_sharpe: dsr, trials, skipped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::parse_date;

    #[test]
    fn periods_are_calendar_years_or_months() {
        let d = |s: &str| parse_date(s).unwrap();
        assert_eq!(PeriodUnit::Years.period_of(d("2001-02-01")), 2001);
        assert_eq!(PeriodUnit::Months.period_of(d("2001-02-01")), 2001 * 12 + 1);
        assert_eq!(PeriodUnit::Months.period_of(d("2001-02-28")), PeriodUnit::Months.period_of(d("2001-02-01")));
        assert_eq!(PeriodUnit::Months.period_of(d("2001-03-01")), PeriodUnit::Months.period_of(d("2001-02-28")) + 1);
        assert_eq!(PeriodUnit::Months.period_of(d("2002-01-01")), PeriodUnit::Months.period_of(d("2001-12-31")) + 1);
        assert_eq!(PeriodUnit::Months.label(2001 * 12 + 1), "2001-02");
        assert_eq!(PeriodUnit::Months.label(2001 * 12 + 11), "2001-12");
        assert_eq!(PeriodUnit::Years.label(2001), "2001");
        assert_eq!((PeriodUnit::Years.suffix(), PeriodUnit::Months.suffix()), ("y", "m"));
    }

    #[test]
    fn the_unknown_metric_message_lists_every_metric_computable_from_returns() {
        let mut listed: Vec<&str> = RANKABLE.split(", ").flat_map(|s| s.split(" or ")).collect();
        let mut table: Vec<&str> = strat_stdlib::metrics::METRICS.iter().filter(|d| d.from_returns).map(|d| d.name).collect();
        listed.sort_unstable();
        table.sort_unstable();
        assert_eq!(listed, table);
        assert_eq!(metric_by_name(&[0.01, 0.02], "ann_vol", 1.0), Some(-metrics(&[0.01, 0.02], &[f64::NAN; 2], 1.0).ann_vol));
        assert_eq!(metric_by_name(&[0.01, 0.02], "avg_exposure", 1.0), None);
    }
}
