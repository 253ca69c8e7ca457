//! A run for people and files: the terminal table, the weighting summary and warnings, and the
//! `--out` / `--weights-out` columns. The `--json` object is [`strat::RunReport`], serialised.

use strat::{Frame, RunReport, RunResult};
use strat_runtime::frame::format_date;
use strat_stdlib::metrics::Metrics;

/// The metric names, in display order (also the JSON keys): the names of
/// [`strat_stdlib::metrics::METRICS`].
pub const METRIC_NAMES: &[&str] = &strat_stdlib::metrics::METRIC_NAMES;

/// The metric values in [`METRIC_NAMES`] order.
pub fn metric_values(m: &Metrics) -> [f64; 11] {
    m.values()
}

/// The human summary of the `weights` runs: per declaration its method, rebalances, average
/// turnover per rebalance, fallbacks (grouped by cause) and the weights held after the last
/// rebalance.
pub fn weights_table(frame: &Frame, r: &RunResult) -> String {
    let mut s = String::new();
    let date = |t: usize| format_date(frame.dates[t]);
    for w in &r.weights {
        let rows = &w.schedule.rebalance_rows;
        let span = match (rows.first(), rows.last()) {
            (Some(&a), Some(&b)) => format!(" ({} .. {})", date(a), date(b)),
            _ => String::new(),
        };
        s += &format!(
            "\nweights {} ({} over {} members): {} rebalances{span}, avg turnover {} per rebalance, {} fallback(s)\n",
            w.name,
            w.method,
            w.members.len(),
            rows.len(),
            fmt_num(w.avg_rebalance_turnover()),
            w.fallbacks()
        );
        for g in w.fallback_groups() {
            let when = g.when(date);
            s += &format!("  fallback x{} ({when}): {}\n", g.count, g.example);
        }
        if let Some(&t) = rows.last() {
            s += &format!("  held from {}:", date(t));
            for (j, m) in w.members.iter().enumerate() {
                s += &format!(" {m} {}", fmt_num(w.schedule.weights[[t, j]]));
            }
            s += "\n";
        }
    }
    s
}

/// The cash account's warning: return rows whose rate is missing (they earn 0), with the first
/// date; none without a `cash` statement or a missing rate.
pub fn cash_warnings(frame: &Frame, r: &RunResult) -> Vec<String> {
    match &r.backtest.cash {
        Some(c) if c.missing > 0 => {
            let first = c.first_missing.map(|t| format_date(frame.dates[t])).unwrap_or_default();
            vec![format!(
                "the `cash` rate is missing on {} bar(s), first on {first}: the cash balance earns 0 over the next bar (the rate is not carried forward)",
                c.missing
            )]
        }
        _ => vec![],
    }
}

/// One `strat::weights::fallback` warning message per kind of fallback, for stderr: the user
/// learns that a method could not run (and why) without reading the whole log.
pub fn weights_warnings(frame: &Frame, r: &RunResult) -> Vec<String> {
    let date = |t: usize| format_date(frame.dates[t]);
    let mut out = vec![];
    for w in &r.weights {
        let total = w.schedule.rebalance_rows.len();
        for g in w.fallback_groups() {
            out.push(format!(
                "weights `{}`: {} of {total} rebalance(s) fell back to {} ({}), first on {}: {}",
                w.name,
                g.count,
                g.step,
                g.cause,
                date(g.first_row),
                g.example
            ));
        }
    }
    out
}

/// A float for the terminal tables (run, sweep, walk-forward), never more than 12 significant
/// digits: 4 decimals (`0.1235`, `-12.5000`) for ordinary magnitudes, scientific notation with
/// 4 decimals of mantissa (`1.2346e300`, `-5.0000e-7`) when `|x| >= 1e9` or `0 < |x| < 1e-4`,
/// `—` for NaN, `inf` / `-inf`. JSON and files keep the exact value ([`num`]).
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "—".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if x.abs() >= 1e9 || (x != 0.0 && x.abs() < 1e-4) {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}

/// [`fmt_num`] with a sign on every number (`+0.0123`, `-1.0000`, `+1.2346e300`), for
/// differences.
pub fn fmt_signed(x: f64) -> String {
    let s = fmt_num(x);
    if x >= 0.0 && !s.starts_with('-') {
        format!("+{s}")
    } else {
        s
    }
}

/// The human table: metrics of the strategy and its benchmark side by side, then the reports.
pub fn to_table(name: &str, frame: &Frame, r: &RunResult) -> String {
    let report = RunReport::new(name, frame, r);
    let mut s = format!("{name}: {} bars, {} .. {}\n\n", report.bars, report.start, report.end);
    let has_bench = r.backtest.benchmark.is_some();
    s += &format!("{:<18} {:>12}", "metric", "strategy");
    if has_bench {
        s += &format!(" {:>12}", "benchmark");
    }
    s += "\n";
    let sv = metric_values(&r.backtest.metrics);
    let bv = r.backtest.benchmark.as_ref().map(metric_values);
    for (i, k) in METRIC_NAMES.iter().enumerate() {
        s += &format!("{:<18} {:>12}", k, fmt_num(sv[i]));
        if let Some(b) = &bv {
            s += &format!(" {:>12}", fmt_num(b[i]));
        }
        s += "\n";
    }
    if has_bench {
        s += &format!("{:<18} {:>12}\n", "information_ratio", fmt_num(r.backtest.information_ratio));
        s += &format!("{:<18} {:>12}\n", "active_return", fmt_num(r.backtest.active_return));
        s += &format!("{:<18} {:>12}\n", "tracking_error", fmt_num(r.backtest.tracking_error));
    }
    s += &format!("{:<18} {:>12}\n", "avg_turnover", fmt_num(r.backtest.avg_turnover()));
    s += &format!("{:<18} {:>12}\n", "cost_drag", fmt_num(r.backtest.cost_drag()));
    if let Some(d) = &report.ruin_date {
        s += &format!("\nruin: equity reached 0 on {d}; the book was closed\n");
    }
    if !report.kill_switches.is_empty() {
        s += &format!("\n{:<18} {:>12} {:>8}  {}\n", "kill switch", "active_share", "trips", "first trip");
        for k in &report.kill_switches {
            let first = k.first_trip.as_deref().unwrap_or("-");
            s += &format!("{:<18} {:>12} {:>8}  {first}\n", k.name, fmt_num(k.active_share), k.trips);
        }
    }
    if let Some(v) = &report.vol_target {
        s += &format!("\n{:<18} {:>12}\n", "avg_vol_scale", fmt_num(v.mean_scale));
    }
    if !report.limits.is_empty() {
        s += &format!("\n{:<18} {:>12} {:>12}\n", "limit", "bound", "bound_share");
        for l in &report.limits {
            s += &format!("{:<18} {:>12} {:>12}\n", l.kind, fmt_num(l.value), fmt_num(l.bound_share));
        }
    }
    if !report.attribution.is_empty() {
        s += &format!("\n{:<18} {:>12} {:>12} {:>12} {:>12}\n", "attribution", "allocation", "return", "risk", "risk_share");
        for l in &report.attribution {
            let alloc = if l.mean_allocation.is_nan() { String::new() } else { fmt_num(l.mean_allocation) };
            s += &format!(
                "{:<18} {:>12} {:>12} {:>12} {:>12}\n",
                l.name,
                alloc,
                fmt_num(l.return_contribution),
                fmt_num(l.risk_contribution),
                fmt_num(l.risk_share)
            );
        }
    }
    if let Some(c) = &report.cash {
        s += &format!("\n{:<18} {:>12}\n", "cash (per year)", "");
        for (k, v) in [("risk_free", c.risk_free), ("cash_return", c.cash_return), ("financing_cost", c.financing_cost), ("borrow_cost", c.borrow_cost)] {
            s += &format!("{k:<18} {:>12}\n", fmt_num(v));
        }
    }
    if !report.alerts.is_empty() {
        s += &format!("\n{:<18} {:>10} {:>8}  {:<10}  {:<10}  {}\n", "alert", "fired_bars", "episodes", "first", "last", "on the last bar");
        for a in &report.alerts {
            let (first, last) = (a.first.as_deref().unwrap_or("-"), a.last.as_deref().unwrap_or("-"));
            let now = if a.firing { "FIRING" } else { "quiet" };
            s += &format!("{:<18} {:>10} {:>8}  {first:<10}  {last:<10}  {now}\n", a.name, a.fired_bars, a.episodes.len());
        }
    }
    if !r.reports.is_empty() {
        s += "\nreports (mean over the evaluated decision bars)\n";
        for (k, v) in &r.reports {
            s += &format!("{:<18} {:>12}\n", k, fmt_num(*v));
        }
    }
    s += &weights_table(frame, r);
    s
}

#[cfg(test)]
mod tests {
    use super::{fmt_num, fmt_signed};

    #[test]
    fn table_numbers_never_print_more_than_twelve_significant_digits() {
        assert_eq!(fmt_num(0.123456), "0.1235");
        assert_eq!(fmt_num(-12.5), "-12.5000");
        assert_eq!(fmt_num(0.0), "0.0000");
        assert_eq!(fmt_num(999_999_999.0), "999999999.0000");
        assert_eq!(fmt_num(1e9), "1.0000e9");
        assert_eq!(fmt_num(-2.5855597875948933e297), "-2.5856e297");
        assert_eq!(fmt_num(5e-7), "5.0000e-7");
        assert_eq!(fmt_num(1e-4), "0.0001");
        assert_eq!(fmt_num(f64::NAN), "—");
        assert_eq!(fmt_num(f64::NEG_INFINITY), "-inf");
        assert_eq!(fmt_signed(0.5), "+0.5000");
        assert_eq!(fmt_signed(-0.5), "-0.5000");
        assert_eq!(fmt_signed(2e10), "+2.0000e10");
        for x in [1e300, -1e-300, 123456789.123, f64::MAX, f64::MIN_POSITIVE] {
            let digits = fmt_num(x).chars().take_while(|c| *c != 'e').filter(|c| c.is_ascii_digit()).count();
            assert!(digits <= 14, "{x}: {}", fmt_num(x));
        }
    }
}
