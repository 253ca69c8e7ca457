//! Walk-forward validation (SEMANTICS.md §6): for each test block of calendar years, choose the
//! binding with the best metric over the preceding training years, apply it to the test block,
//! and stitch the out-of-sample returns. Training uses only returns of rows before the test
//! block, and every decision inside a run uses data up to its own bar, so nothing leaks from the
//! future.

use crate::calendar::year_of;
use crate::executor::{Backend, Prepared};
use crate::sweep::{sweep_map, Grid};
use strat_compiler::Compiled;
use strat_stdlib::deflated_sharpe::deflated_sharpe;
use strat_stdlib::metrics::{metrics, Metrics};

/// Walk-forward settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkForwardSpec {
    /// Training years (calendar years).
    pub train_years: i32,
    /// Test years per fold.
    pub test_years: i32,
    /// Anchored: train on every year from the first (expanding window) instead of the last
    /// `train_years`.
    pub anchored: bool,
    /// Periods per year for annualised metrics.
    pub periods_per_year: f64,
}

/// One fold.
#[derive(Debug, Clone, PartialEq)]
pub struct Fold {
    /// First and last training year.
    pub train: (i32, i32),
    /// First and last test year.
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
    /// Test blocks (first and last year) left out because no binding had a training score.
    pub skipped: Vec<(i32, i32)>,
}

/// A metric of `x` by name (SEMANTICS.md §4 names); `None` for an unknown name.
pub fn metric_by_name(x: &[f64], name: &str, periods_per_year: f64) -> Option<f64> {
    let m = metrics(x, &vec![f64::NAN; x.len()], periods_per_year);
    Some(match name {
        "total_return" => m.total_return,
        "cagr" => m.cagr,
        "ann_vol" => -m.ann_vol,
        "sharpe" => m.sharpe,
        "sortino" => m.sortino,
        "max_drawdown" => m.max_drawdown,
        "calmar" => m.calmar,
        "var_95" => m.var_95,
        "cvar_95" => m.cvar_95,
        "omega" => m.omega,
        _ => return None,
    })
}

/// Runs the walk-forward of `grid` choosing by `metric` (higher is better; `ann_vol` is ranked
/// lower-is-better). Errors: an unknown metric, no binding that runs, or fewer calendar years
/// than training + one test block.
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
    if metric_by_name(&[0.0, 0.0], metric, 1.0).is_none() {
        return Err(format!("`{metric}` cannot rank a walk-forward; use sharpe, sortino, calmar, cagr, total_return, max_drawdown, ann_vol, var_95, cvar_95 or omega"));
    }
    if spec.train_years < 1 || spec.test_years < 1 {
        return Err("--train and --test must be at least 1y".into());
    }
    // Each binding's net returns, their exposures and their first row; nothing else is kept.
    let runs = sweep_map(compiled, prep, grid, backend, progress, |r| (r.backtest.rows.start, r.backtest.returns, r.backtest.exposure));
    let mut exposures: Vec<Vec<f64>> = vec![];
    let mut ok: Vec<(usize, usize, Vec<f64>)> = vec![];
    for (i, _, r) in runs {
        if let Ok((start, returns, exposure)) = r {
            ok.push((i, start, returns));
            exposures.push(exposure);
        }
    }
    if ok.is_empty() {
        return Err("no binding of the grid runs".into());
    }
    let year = |t: usize| year_of(dates[t]);
    let first_row = ok.iter().map(|r| r.1).min().unwrap_or(0);
    let last_row = dates.len() - 1;
    let (y0, yn) = (year(first_row), year(last_row));
    if yn - y0 + 1 < spec.train_years + spec.test_years {
        return Err(format!(
            "the evaluation window covers {} calendar year(s) ({y0}..{yn}); a walk-forward of {}y + {}y needs at least {}",
            yn - y0 + 1,
            spec.train_years,
            spec.test_years,
            spec.train_years + spec.test_years
        ));
    }
    // Returns of binding b over the years lo..=hi.
    let slice = |b: &(usize, usize, Vec<f64>), lo: i32, hi: i32| -> Vec<f64> {
        b.2.iter().enumerate().filter(|(i, _)| (lo..=hi).contains(&year(b.1 + i))).map(|(_, &x)| x).collect()
    };
    let mut folds = vec![];
    let mut skipped = vec![];
    let mut returns = vec![];
    let mut exposure = vec![];
    let mut rows = vec![];
    let mut y = y0 + spec.train_years;
    while y <= yn {
        let test_end = (y + spec.test_years - 1).min(yn);
        let train = (if spec.anchored { y0 } else { y - spec.train_years }, y - 1);
        let scores: Vec<f64> = ok
            .iter()
            .map(|b| {
                let x = slice(b, train.0, train.1);
                if x.len() < 2 { f64::NAN } else { metric_by_name(&x, metric, spec.periods_per_year).unwrap_or(f64::NAN) }
            })
            .collect();
        let best = scores.iter().copied().filter(|s| !s.is_nan()).fold(f64::NEG_INFINITY, f64::max);
        if best.is_finite() || best == f64::INFINITY {
            let tol = 1e-9 * best.abs().max(1.0);
            // Ties within the tolerance go to the lowest binding index (grid order).
            let k = scores.iter().position(|&s| !s.is_nan() && s >= best - tol).unwrap_or(0);
            let b = &ok[k];
            let oos = slice(b, y, test_end);
            for (i, &x) in b.2.iter().enumerate() {
                if (y..=test_end).contains(&year(b.1 + i)) {
                    returns.push(x);
                    exposure.push(exposures[k][i]);
                    rows.push(b.1 + i);
                }
            }
            let sign = if metric == "ann_vol" { -1.0 } else { 1.0 };
            folds.push(Fold {
                train,
                test: (y, test_end),
                chosen: b.0,
                in_sample: sign * best,
                out_of_sample: sign * metric_by_name(&oos, metric, spec.periods_per_year).unwrap_or(f64::NAN),
                bars: oos.len(),
            });
        } else {
            skipped.push((y, test_end));
        }
        y += spec.test_years;
    }
    let m = metrics(&returns, &exposure, spec.periods_per_year);
    let mean = |v: Vec<f64>| if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
    let in_sample_mean = mean(folds.iter().map(|f| f.in_sample).collect());
    let out_of_sample_mean = mean(folds.iter().map(|f| f.out_of_sample).collect());
    // Variance of the trials' per-period Sharpe ratios over the full sample.
    let srs: Vec<f64> = ok.iter().map(|b| metric_by_name(&b.2, "sharpe", 1.0).unwrap_or(f64::NAN)).filter(|s| s.is_finite()).collect();
    let var = if srs.len() > 1 {
        let mu = srs.iter().sum::<f64>() / srs.len() as f64;
        srs.iter().map(|s| (s - mu) * (s - mu)).sum::<f64>() / (srs.len() - 1) as f64
    } else {
        0.0
    };
    let dsr = deflated_sharpe(&returns, grid.bindings.len(), var);
    Ok(WalkForward { folds, returns, rows, metrics: m, in_sample_mean, out_of_sample_mean, deflated_sharpe: dsr, trials: grid.bindings.len(), skipped })
}
