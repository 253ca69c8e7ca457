//! The metrics a re-run prints: one line per metric and report, with the change from the
//! previous run of the session.

use crate::cli::output::{metric_values, METRIC_NAMES};
use std::fmt::Write as _;
use strat::{Frame, RunResult};
use strat_runtime::frame::format_date;

/// The numbers of one run, by name (metrics, then reports).
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// (name, value) pairs.
    pub values: Vec<(String, f64)>,
}

impl Snapshot {
    /// The metrics and reports of `r`.
    pub fn of(r: &RunResult) -> Snapshot {
        let mut values: Vec<(String, f64)> = METRIC_NAMES.iter().map(|k| k.to_string()).zip(metric_values(&r.backtest.metrics)).collect();
        values.extend(r.reports.iter().map(|(k, v)| (format!("report {k}"), *v)));
        Snapshot { values }
    }

    fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
    }
}

/// Equal up to floating-point noise (a relative 1e-9): re-associated sums differ in the last bits.
fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-300)
}

fn num(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else {
        format!("{x:.4}")
    }
}

/// The lines for `now`, with changes from `before`; `colour` paints rises green and falls red
/// (for a drawdown or a loss quantile a rise is an improvement too: the colours follow the sign
/// of the change, not its merit).
pub fn compare(name: &str, frame: &Frame, r: &RunResult, now: &Snapshot, before: Option<&Snapshot>, colour: bool) -> String {
    let mut s = String::new();
    let rows = &r.backtest.rows;
    let span =
        if rows.is_empty() { String::new() } else { format!(", {} .. {}", format_date(frame.dates[rows.start]), format_date(frame.dates[rows.end - 1])) };
    if before.is_some_and(|b| b.values.len() == now.values.len() && b.values.iter().zip(&now.values).all(|(x, y)| x.0 == y.0 && same(x.1, y.1))) {
        let sharpe = now.get("sharpe").unwrap_or(f64::NAN);
        let _ = writeln!(s, "{name}: metrics unchanged (sharpe {})", num(sharpe));
        return s;
    }
    let _ = writeln!(s, "{name}: {} bars{span}", r.backtest.returns.len());
    for (k, v) in &now.values {
        let change = match before.and_then(|b| b.get(k)) {
            Some(p) if same(p, *v) => "".to_string(),
            Some(p) => {
                let d = v - p;
                let text = format!("{d:+.4}");
                let text = if text == "+0.0000" || text == "-0.0000" { format!("{d:+.2e}") } else { text };
                match (colour, d > 0.0, d < 0.0) {
                    (true, true, _) => format!("  \x1b[32m{text}\x1b[0m  (was {})", num(p)),
                    (true, _, true) => format!("  \x1b[31m{text}\x1b[0m  (was {})", num(p)),
                    _ => format!("  {text}  (was {})", num(p)),
                }
            }
            None => String::new(),
        };
        let _ = writeln!(s, "  {k:<22} {:>10}{change}", num(*v));
    }
    s
}
