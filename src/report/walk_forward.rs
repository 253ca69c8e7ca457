//! The report of a walk-forward validation.

use super::json::{self, ParamValue, Period};
use super::sweep::param_values;
use crate::Params;
use serde::Serialize;
use strat_runtime::frame::format_date;
use strat_runtime::sweep::Grid;
use strat_runtime::walk_forward::{PeriodUnit, WalkForward, WalkForwardSpec};
use strat_stdlib::metrics::Metrics;

/// A walk-forward validation as the CLI's `walk-forward --json` prints it (spec/studies.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WalkForwardReport {
    /// The strategy's name.
    pub strategy: String,
    /// The metric that chose the binding in each training window.
    pub by: String,
    /// The window lengths: `train_years` / `test_years`, or `train_months` / `test_months`.
    #[serde(flatten)]
    pub windows: Windows,
    /// Whether every training window starts at the first period (expanding window).
    pub anchored: bool,
    /// Bindings of the grid.
    pub bindings: usize,
    /// Stitched out-of-sample returns.
    pub bars: usize,
    /// Date of the first out-of-sample return (empty without one).
    pub start: String,
    /// Date of the last out-of-sample return (empty without one).
    pub end: String,
    /// The folds in time order.
    pub folds: Vec<FoldReport>,
    /// Metrics of the stitched out-of-sample returns.
    #[serde(serialize_with = "json::metrics")]
    pub out_of_sample: Metrics,
    /// Mean of the folds' in-sample metric.
    #[serde(serialize_with = "json::float")]
    pub in_sample_mean: f64,
    /// Mean of the folds' out-of-sample metric.
    #[serde(serialize_with = "json::float")]
    pub out_of_sample_mean: f64,
    /// `out_of_sample_mean - in_sample_mean`.
    #[serde(serialize_with = "json::float")]
    pub degradation: f64,
    /// Deflated Sharpe ratio of the stitched returns (Bailey & López de Prado 2014).
    #[serde(serialize_with = "json::float")]
    pub deflated_sharpe: f64,
    /// Trials (bindings) behind the selection.
    pub trials: usize,
    /// Test blocks (first and last period) left out because no binding had a training score.
    pub skipped: Vec<[Period; 2]>,
}

/// The lengths of the training and test windows, in the unit they count in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Windows {
    /// Calendar years.
    Years {
        /// Training years.
        train_years: i32,
        /// Test years.
        test_years: i32,
    },
    /// Calendar months.
    Months {
        /// Training months.
        train_months: i32,
        /// Test months.
        test_months: i32,
    },
}

/// One fold of a walk-forward.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoldReport {
    /// First and last training period.
    pub train: [Period; 2],
    /// First and last test period.
    pub test: [Period; 2],
    /// The chosen binding (grid index).
    pub binding: usize,
    /// Its param values.
    #[serde(serialize_with = "json::named_params")]
    pub params: Vec<(String, ParamValue)>,
    /// Its metric over the training rows.
    #[serde(serialize_with = "json::float")]
    pub in_sample: f64,
    /// Its metric over the test rows.
    #[serde(serialize_with = "json::float")]
    pub out_of_sample: f64,
    /// Test rows.
    pub bars: usize,
}

impl Period {
    /// Period `p` of `unit` ([`PeriodUnit::period_of`]).
    pub fn of(unit: PeriodUnit, p: i32) -> Period {
        match unit {
            PeriodUnit::Years => Period::Year(p),
            PeriodUnit::Months => Period::Month(unit.label(p)),
        }
    }
}

impl WalkForwardReport {
    /// The report of `wf`, a walk-forward of strategy `name` by metric `by` under `spec` over
    /// `grid` (of `params`); `dates` are the frame's day numbers.
    pub fn new(name: &str, by: &str, spec: &WalkForwardSpec, params: &Params, grid: &Grid, wf: &WalkForward, dates: &[i32]) -> WalkForwardReport {
        let unit = spec.unit;
        let period = |p: i32| Period::of(unit, p);
        let (start, end) = match (wf.rows.first(), wf.rows.last()) {
            (Some(&a), Some(&b)) => (format_date(dates[a]), format_date(dates[b])),
            _ => (String::new(), String::new()),
        };
        let windows = match unit {
            PeriodUnit::Years => Windows::Years { train_years: spec.train, test_years: spec.test },
            PeriodUnit::Months => Windows::Months { train_months: spec.train, test_months: spec.test },
        };
        let folds = wf
            .folds
            .iter()
            .map(|f| FoldReport {
                train: [period(f.train.0), period(f.train.1)],
                test: [period(f.test.0), period(f.test.1)],
                binding: f.chosen,
                params: param_values(params, &grid.bindings[f.chosen]),
                in_sample: f.in_sample,
                out_of_sample: f.out_of_sample,
                bars: f.bars,
            })
            .collect();
        WalkForwardReport {
            strategy: name.to_string(),
            by: by.to_string(),
            windows,
            anchored: spec.anchored,
            bindings: grid.bindings.len(),
            bars: wf.returns.len(),
            start,
            end,
            folds,
            out_of_sample: wf.metrics,
            in_sample_mean: wf.in_sample_mean,
            out_of_sample_mean: wf.out_of_sample_mean,
            degradation: wf.out_of_sample_mean - wf.in_sample_mean,
            deflated_sharpe: wf.deflated_sharpe,
            trials: wf.trials,
            skipped: wf.skipped.iter().map(|&(a, b)| [period(a), period(b)]).collect(),
        }
    }
}
