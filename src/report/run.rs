//! The report of one run.

use super::json;
use super::Conventions;
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
    /// The volatility target (absent from the JSON without a `target_vol`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vol_target: Option<VolTargetReport>,
    /// Each position limit, gross then net (absent from the JSON without a `limit`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub limits: Vec<LimitReport>,
    /// A combined book's attribution to its sleeves, costs and cash (absent from the JSON for
    /// a `hold`): one line per sleeve, then `costs` and `cash`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribution: Vec<AttributionLine>,
    /// The cash account (absent from the JSON without a `cash` statement).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cash: Option<CashReport>,
    /// Each `alert`, over the rows from the first live one to the last (absent from the JSON
    /// when the program has none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertReport>,
    /// `report` values (means over the evaluated decision bars), in declaration order.
    #[serde(serialize_with = "json::named_floats")]
    pub reports: Vec<(String, f64)>,
    /// Each `weights` declaration the run computed.
    pub weights: Vec<WeightsReport>,
    /// The conventions of `var_95` and the information ratio when they are not SEMANTICS.md
    /// §4's (`strat run --var parametric --ir per-period`; absent from the JSON otherwise).
    #[serde(skip_serializing_if = "Conventions::is_default")]
    pub conventions: Conventions,
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

/// A `target_vol` over one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VolTargetReport {
    /// The mean of its scale over the decision rows (1 on the rows before `lookback` own returns exist).
    #[serde(serialize_with = "json::float")]
    pub mean_scale: f64,
}

/// One line of a combined book's attribution (spec/semantics.md §5, "Attribution";
/// [`strat_runtime::backtest::attribution`]): a sleeve, `costs` or `cash`. The `return`s add up
/// to the annualised mean return, the `risk`s to `ann_vol`, the `risk_share`s to 1.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributionLine {
    /// The sleeve's name, `costs` or `cash`.
    pub name: String,
    /// Mean allocation over the decision rows (null for `costs` and `cash`).
    #[serde(serialize_with = "json::float")]
    pub mean_allocation: f64,
    /// Annualised mean contribution to the return.
    #[serde(rename = "return", serialize_with = "json::float")]
    pub return_contribution: f64,
    /// Sum of the contributions over the evaluated rows (not compounded).
    #[serde(serialize_with = "json::float")]
    pub total: f64,
    /// Contribution to the annualised volatility (Euler).
    #[serde(rename = "risk", serialize_with = "json::float")]
    pub risk_contribution: f64,
    /// Share of the annualised volatility.
    #[serde(serialize_with = "json::float")]
    pub risk_share: f64,
}

/// A `cash` account over one run (spec/semantics.md, "Cash and financing"): annualised means over
/// the return rows, fractions of equity per year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CashReport {
    /// The mean per-period cash rate `c[t]` times `annualize`: the risk-free rate Sharpe and
    /// Sortino are measured against.
    #[serde(serialize_with = "json::float")]
    pub risk_free: f64,
    /// Interest earned on the positive cash balance, mean per period times `annualize`.
    #[serde(serialize_with = "json::float")]
    pub cash_return: f64,
    /// Interest paid on the negative cash balance (rate plus spread), mean per period times `annualize`.
    #[serde(serialize_with = "json::float")]
    pub financing_cost: f64,
    /// The fee paid on short positions, mean per period times `annualize`.
    #[serde(serialize_with = "json::float")]
    pub borrow_cost: f64,
    /// Return rows whose rate (read on the row before) is missing: they earn 0 and pay only the spread.
    pub missing_rates: usize,
    /// The date of the first missing rate read, if any.
    pub first_missing_rate: Option<String>,
}

impl CashReport {
    /// The report of a cash account's trace; `date` names a row.
    pub fn new(c: &strat_runtime::portfolio::CashTrace, date: impl Fn(usize) -> String) -> CashReport {
        let m = |x: &[f64]| strat_stdlib::metrics::mean(x) * c.periods;
        CashReport {
            risk_free: m(&c.rf),
            cash_return: m(&c.earned),
            financing_cost: m(&c.financing),
            borrow_cost: m(&c.borrow),
            missing_rates: c.missing,
            first_missing_rate: c.first_missing.map(date),
        }
    }
}

/// A `limit` over one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LimitReport {
    /// `gross` or `net`.
    pub kind: String,
    /// The bound.
    #[serde(serialize_with = "json::float")]
    pub value: f64,
    /// Share of the decision rows on which it scaled the book down.
    #[serde(serialize_with = "json::float")]
    pub bound_share: f64,
}

/// An `alert` over one run (SEMANTICS.md §3b): evaluated at the close of every row from the
/// first live row to the last.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertReport {
    /// The alert's name.
    pub name: String,
    /// Its condition as written.
    pub condition: String,
    /// Whether it fires on the last row (what `strat monitor` reports).
    pub firing: bool,
    /// The date of the last row.
    pub date: Option<String>,
    /// The values its condition reads, on the last row: numbers, and `true` / `false` for the
    /// conditions it combines (`null` where undefined, e.g. in warm-up).
    #[serde(serialize_with = "alert_values")]
    pub values: Vec<(String, AlertValue)>,
    /// Rows on which it fires.
    pub fired_bars: usize,
    /// Share of the evaluated rows on which it fires.
    #[serde(serialize_with = "json::float")]
    pub fired_share: f64,
    /// First date it fires.
    pub first: Option<String>,
    /// Last date it fires.
    pub last: Option<String>,
    /// Each run of consecutive firing rows, in time order.
    pub episodes: Vec<AlertEpisode>,
}

/// A value an alert's condition reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AlertValue {
    /// A number (NaN where undefined).
    Number(f64),
    /// A condition (`None` where undefined).
    Bool(Option<bool>),
}

impl std::fmt::Display for AlertValue {
    /// Numbers with up to 6 significant decimals, conditions as `true` / `false`, undefined as `—`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            AlertValue::Bool(Some(b)) => write!(f, "{b}"),
            AlertValue::Bool(None) => write!(f, "—"),
            AlertValue::Number(x) if x.is_nan() => write!(f, "—"),
            AlertValue::Number(x) => write!(f, "{}", format!("{x:.6}").trim_end_matches('0').trim_end_matches('.')),
        }
    }
}

fn alert_values<S: serde::Serializer>(v: &[(String, AlertValue)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (k, x) in v {
        match x {
            AlertValue::Number(x) => m.serialize_entry(k, &json::Float(*x))?,
            AlertValue::Bool(b) => m.serialize_entry(k, b)?,
        }
    }
    m.end()
}

/// A run of consecutive rows on which an alert fires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertEpisode {
    /// Its first date.
    pub start: String,
    /// Its last date (the last row of the run while it still fires).
    pub end: String,
    /// Its rows.
    pub bars: usize,
}

impl AlertReport {
    /// The report of `a` on `frame`.
    pub fn new(frame: &Frame, a: &strat_runtime::alerts::AlertTrace) -> AlertReport {
        let date = |t: usize| format_date(frame.dates[t]);
        let episodes: Vec<AlertEpisode> = a.episodes().into_iter().map(|(s, e)| AlertEpisode { start: date(s), end: date(e), bars: e - s + 1 }).collect();
        let last_row = a.rows().last();
        AlertReport {
            name: a.name.clone(),
            condition: a.condition.clone(),
            firing: a.firing(),
            date: last_row.map(date),
            values: last_row.map_or_else(Vec::new, |t| {
                a.values_at(t)
                    .into_iter()
                    .zip(&a.value_is_bool)
                    .map(|((k, x), &b)| (k, if b { AlertValue::Bool((!x.is_nan()).then_some(x != 0.0)) } else { AlertValue::Number(x) }))
                    .collect()
            }),
            fired_bars: a.fired_count(),
            fired_share: a.fired_share(),
            first: episodes.first().map(|e| e.start.clone()),
            last: episodes.last().map(|e| e.end.clone()),
            episodes,
        }
    }
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
            vol_target: bt.vol_scale.map(|mean_scale| VolTargetReport { mean_scale }),
            limits: bt.limits.iter().map(|l| LimitReport { kind: l.kind.name().to_string(), value: l.value, bound_share: l.bound_share }).collect(),
            attribution: r
                .attribution
                .iter()
                .flat_map(|a| &a.lines)
                .map(|l| AttributionLine {
                    name: l.name.clone(),
                    mean_allocation: l.mean_allocation,
                    return_contribution: l.return_contribution,
                    total: l.total,
                    risk_contribution: l.risk_contribution,
                    risk_share: l.risk_share,
                })
                .collect(),
            cash: bt.cash.as_ref().map(|c| CashReport::new(c, date)),
            alerts: r.alerts.iter().map(|a| AlertReport::new(frame, a)).collect(),
            reports: r.reports.clone(),
            weights: r.weights.iter().map(|w| WeightsReport::new(frame, w)).collect(),
            conventions: Conventions::default(),
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
