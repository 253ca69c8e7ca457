//! The report of one run.

use super::json;
use crate::{Frame, RunResult};
use serde::Serialize;
use strat_runtime::frame::format_date;
use strat_runtime::weights::WeightsRun;
use strat_stdlib::metrics::Metrics;

/// What one run produced, as the CLI's `run --json` prints it: `bars` counts the evaluated
/// returns and `start` / `end` are their first and last dates; `benchmark` is `None` without a
/// `benchmark` statement; `ruin_date` is the date of the ruin row (SEMANTICS.md §3b);
/// `avg_turnover` is the mean turnover over the decision rows and `cost_drag` the sum of the
/// costs charged against the evaluated returns (fractions of equity).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// The strategy's name.
    pub strategy: String,
    /// Evaluated returns.
    pub bars: usize,
    /// Date of the first evaluated return (empty without one).
    pub start: String,
    /// Date of the last evaluated return (empty without one).
    pub end: String,
    /// The strategy's metrics.
    #[serde(serialize_with = "json::metrics")]
    pub metrics: Metrics,
    /// The benchmark's metrics, if the program has a `benchmark`.
    #[serde(serialize_with = "json::metrics_opt")]
    pub benchmark: Option<Metrics>,
    /// Information ratio against the benchmark (NaN without one).
    #[serde(serialize_with = "json::float")]
    pub information_ratio: f64,
    /// Annualised mean active return (strategy minus benchmark; NaN without a benchmark).
    #[serde(serialize_with = "json::float")]
    pub active_return: f64,
    /// Tracking error: annualised standard deviation of the active return (NaN without one).
    #[serde(serialize_with = "json::float")]
    pub tracking_error: f64,
    /// Beta against the benchmark: `Σ(b − b̄)·r / Σ(b − b̄)²` (empyrical 0.5.5; NaN without one).
    #[serde(serialize_with = "json::float")]
    pub beta: f64,
    /// Alpha against the benchmark, `(1 + mean(r − beta·b))^P − 1` (empyrical 0.5.5, zero
    /// risk-free rate; NaN without one).
    #[serde(serialize_with = "json::float")]
    pub alpha: f64,
    /// The date the run's own equity reached 0, if it did.
    pub ruin_date: Option<String>,
    /// Mean turnover per decision bar.
    #[serde(serialize_with = "json::float")]
    pub avg_turnover: f64,
    /// Sum of the costs charged against the evaluated returns.
    #[serde(serialize_with = "json::float")]
    pub cost_drag: f64,
    /// The round trips of a `hold` book's assets summarised (`null` for ensembles and sleeve
    /// books): see [`TradesReport`].
    pub trades: Option<TradesReport>,
    /// Each kill switch.
    pub kill_switches: Vec<KillSwitchReport>,
    /// `report` values (means over the evaluated decision bars), in declaration order.
    #[serde(serialize_with = "json::named_floats")]
    pub reports: Vec<(String, f64)>,
    /// Each `weights` declaration the run computed.
    pub weights: Vec<WeightsReport>,
}

/// The round trips of a run summarised ([`strat_stdlib::periods::trade_stats`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradesReport {
    /// Round trips, closed and open.
    pub count: usize,
    /// Of them still open at the end.
    pub open: usize,
    /// Winning closed trades over closed trades.
    #[serde(serialize_with = "json::float")]
    pub win_rate: f64,
    /// Mean return of the winning closed trades.
    #[serde(serialize_with = "json::float")]
    pub avg_win: f64,
    /// Mean return of the losing closed trades.
    #[serde(serialize_with = "json::float")]
    pub avg_loss: f64,
    /// Sum of wins over the absolute sum of losses.
    #[serde(serialize_with = "json::float")]
    pub profit_factor: f64,
}

/// A kill switch over one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KillSwitchReport {
    /// The switch's name.
    pub name: String,
    /// Share of the decision rows on which it is active.
    #[serde(serialize_with = "json::float")]
    pub active_share: f64,
    /// Number of decision rows on which it turns on.
    pub trips: usize,
    /// The date it first turns on, if it does.
    pub first_trip: Option<String>,
}

/// One `weights` declaration over one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WeightsReport {
    /// The declaration's name.
    pub name: String,
    /// The method that ran.
    pub method: String,
    /// The members (assets or sleeves).
    pub members: Vec<String>,
    /// Number of rebalances.
    pub rebalances: usize,
    /// Date of the first rebalance.
    pub first: Option<String>,
    /// Date of the last rebalance.
    pub last: Option<String>,
    /// Mean turnover per rebalance after the first.
    #[serde(serialize_with = "json::float")]
    pub avg_rebalance_turnover: f64,
    /// Rebalances decided by the fallback chain.
    pub fallbacks: usize,
    /// The weights held after the last rebalance, per member (empty without a rebalance).
    #[serde(serialize_with = "json::named_floats")]
    pub last_weights: Vec<(String, f64)>,
    /// The weighting log.
    pub log: Vec<WeightsLogLine>,
}

/// One line of a weighting log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightsLogLine {
    /// The rebalance's date.
    pub date: String,
    /// What happened.
    pub message: String,
}

impl RunReport {
    /// The report of `r`, a run of strategy `name` on `frame`.
    pub fn new(name: &str, frame: &Frame, r: &RunResult) -> RunReport {
        let bt = &r.backtest;
        let date = |t: usize| format_date(frame.dates[t]);
        let (start, end) = if bt.rows.is_empty() { (String::new(), String::new()) } else { (date(bt.rows.start), date(bt.rows.end - 1)) };
        RunReport {
            strategy: name.to_string(),
            bars: bt.returns.len(),
            start,
            end,
            metrics: bt.metrics,
            benchmark: bt.benchmark,
            information_ratio: bt.information_ratio,
            active_return: bt.active_return,
            tracking_error: bt.tracking_error,
            beta: bt.beta,
            alpha: bt.alpha,
            ruin_date: bt.ruin.and_then(|t| frame.dates.get(t)).map(|&d| format_date(d)),
            avg_turnover: bt.avg_turnover(),
            cost_drag: bt.cost_drag(),
            trades: None,
            kill_switches: bt
                .kills
                .iter()
                .map(|k| KillSwitchReport { name: k.name.clone(), active_share: k.active_share, trips: k.trips, first_trip: k.first_trip.map(date) })
                .collect(),
            reports: r.reports.clone(),
            weights: r.weights.iter().map(|w| WeightsReport::new(frame, w)).collect(),
        }
    }
}

impl WeightsReport {
    /// The report of one `weights` run on `frame`.
    pub fn new(frame: &Frame, w: &WeightsRun) -> WeightsReport {
        let rows = &w.schedule.rebalance_rows;
        let date = |t: usize| format_date(frame.dates[t]);
        let last_weights = match rows.last() {
            Some(&t) => w.members.iter().enumerate().map(|(j, m)| (m.clone(), w.schedule.weights[[t, j]])).collect(),
            None => vec![],
        };
        WeightsReport {
            name: w.name.clone(),
            method: w.method.to_string(),
            members: w.members.clone(),
            rebalances: rows.len(),
            first: rows.first().map(|&t| date(t)),
            last: rows.last().map(|&t| date(t)),
            avg_rebalance_turnover: w.avg_rebalance_turnover(),
            fallbacks: w.fallbacks(),
            last_weights,
            log: w.log_lines().into_iter().map(|(t, message)| WeightsLogLine { date: date(t), message }).collect(),
        }
    }
}
