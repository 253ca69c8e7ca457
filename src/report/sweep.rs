//! The report of a sweep: one row per binding, serialised one at a time.

use super::json::{self, ParamValue};
use crate::Params;
use serde::ser::{SerializeStruct, Serializer};
use serde::Serialize;
use strat_runtime::sweep::{Grid, SweepRow, WeightsStats};
use strat_stdlib::metrics::Metrics;

/// A sweep as the CLI's `sweep --json` prints it: `{"strategy", "bindings", "params" (the
/// param names), "rows"}`, one [`SweepRowReport`] per binding in grid order. It borrows the
/// grid and the rows and builds each row's report as it is serialised, so a large sweep is
/// never held twice.
#[derive(Debug, Clone)]
pub struct SweepReport<'a> {
    /// The strategy's name.
    pub strategy: String,
    /// The params (names, choices) the grid binds.
    pub params: Params,
    /// The names of the program's reports, in declaration order.
    pub report_names: Vec<String>,
    /// The grid swept.
    pub grid: &'a Grid,
    /// Its rows, in grid order.
    pub rows: &'a [SweepRow],
}

/// One binding of a sweep: its statistics, or why it could not run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum SweepRowReport {
    /// The binding ran.
    Ran {
        /// Evaluated returns.
        bars: usize,
        /// The strategy's metrics.
        #[serde(serialize_with = "json::metrics")]
        metrics: Metrics,
        /// Mean turnover per decision bar.
        #[serde(serialize_with = "json::float")]
        avg_turnover: f64,
        /// Information ratio against the benchmark (NaN without one).
        #[serde(serialize_with = "json::float")]
        information_ratio: f64,
        /// Report values, in declaration order.
        #[serde(serialize_with = "json::named_floats")]
        reports: Vec<(String, f64)>,
        /// Each `weights` run's summary.
        weights: Vec<SweepWeightsReport>,
        /// The binding's param values, in declaration order.
        #[serde(serialize_with = "json::named_params")]
        params: Vec<(String, ParamValue)>,
    },
    /// The binding failed.
    Failed {
        /// The binding's param values, in declaration order.
        #[serde(serialize_with = "json::named_params")]
        params: Vec<(String, ParamValue)>,
        /// Why.
        error: String,
    },
}

/// What a sweep row keeps of one `weights` run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepWeightsReport {
    /// The declaration's name.
    pub name: String,
    /// The method that ran.
    pub method: String,
    /// Number of rebalances.
    pub rebalances: usize,
    /// Rebalances decided by the fallback chain.
    pub fallbacks: usize,
    /// Mean turnover per rebalance after the first.
    #[serde(serialize_with = "json::float")]
    pub avg_rebalance_turnover: f64,
}

/// The values of a binding as named [`ParamValue`]s: numbers, or the choice of a choice param.
pub(crate) fn param_values(params: &Params, values: &[f64]) -> Vec<(String, ParamValue)> {
    values
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let value = if params.choices[i].is_empty() { ParamValue::Number(v) } else { ParamValue::Choice(params.display_value(i, v)) };
            (params.names[i].clone(), value)
        })
        .collect()
}

impl SweepRowReport {
    /// The report of `row`, a binding of a sweep over `params`; `report_names` names its reports.
    pub fn new(row: &SweepRow, params: &Params, report_names: &[String]) -> SweepRowReport {
        let params = param_values(params, &row.params);
        match &row.result {
            Ok(st) => SweepRowReport::Ran {
                bars: st.bars,
                metrics: st.metrics,
                avg_turnover: st.avg_turnover,
                information_ratio: st.information_ratio,
                reports: report_names.iter().cloned().zip(st.reports.iter().copied()).collect(),
                weights: st.weights.iter().map(SweepWeightsReport::new).collect(),
                params,
            },
            Err(e) => SweepRowReport::Failed { params, error: e.clone() },
        }
    }
}

impl SweepWeightsReport {
    /// The summary of one `weights` run of a sweep row.
    pub fn new(w: &WeightsStats) -> SweepWeightsReport {
        SweepWeightsReport {
            name: w.name.clone(),
            method: w.method.to_string(),
            rebalances: w.rebalances,
            fallbacks: w.fallbacks,
            avg_rebalance_turnover: w.avg_rebalance_turnover,
        }
    }
}

impl SweepReport<'_> {
    /// The report of each row, in grid order.
    pub fn row_reports(&self) -> impl Iterator<Item = SweepRowReport> + '_ {
        self.rows.iter().map(|r| SweepRowReport::new(r, &self.params, &self.report_names))
    }
}

impl Serialize for SweepReport<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The rows, serialised one at a time.
        struct Rows<'b, 'a>(&'b SweepReport<'a>);
        impl Serialize for Rows<'_, '_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_seq(self.0.row_reports())
            }
        }
        let mut m = s.serialize_struct("SweepReport", 4)?;
        m.serialize_field("strategy", &self.strategy)?;
        m.serialize_field("bindings", &self.rows.len())?;
        m.serialize_field("params", &self.grid.names)?;
        m.serialize_field("rows", &Rows(self))?;
        m.end()
    }
}
