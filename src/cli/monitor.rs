//! `strat monitor`: for cron. Runs the program on its data and reports which alerts fire on the
//! last bar, with the values that fired them. Exit 0 when every alert is quiet, 1 when one
//! fires, 2 on any error (the program, the data, the flags), so that a scheduler can tell an
//! alert from a broken job.

use super::args::MonitorArgs;
use super::diagnostics::{data_warnings, fail, report_failure};
use super::program::{compile, params_from};
use serde::Serialize;
use strat::report::AlertReport;
use strat::Backend;

/// What `strat monitor --json` prints.
#[derive(Debug, Serialize)]
struct MonitorReport {
    /// The strategy's name.
    strategy: String,
    /// The date of the last bar.
    date: Option<String>,
    /// The names of the alerts that fire on it.
    firing: Vec<String>,
    /// Every alert, in declaration order.
    alerts: Vec<AlertReport>,
}

/// `strat monitor`: returns 0 (quiet), 1 (an alert fires on the last bar) or 2 (an error).
pub(super) fn monitor(args: &MonitorArgs) -> i32 {
    let backend = if args.reference { Backend::Reference } else { Backend::Jit };
    // Every failure is exit 2: 1 means an alert fired.
    let Ok(strategy) = compile(&args.file, backend) else { return 2 };
    if strategy.program().alerts.is_empty() {
        return fail(
            2,
            "strat::cli::no_alerts",
            format!("{} declares no `alert`", args.file.display()),
            "declare one, e.g. `alert high_vol when mkt.vix > 30`",
        );
    }
    let Ok(params) = params_from(&strategy, &args.set) else { return 2 };
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 2;
        }
    };
    let result = match strategy.run(&frame, &params) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 2;
        }
    };
    data_warnings(&frame);
    let alerts: Vec<AlertReport> = result.alerts.iter().map(|a| AlertReport::new(&frame, a)).collect();
    let report = MonitorReport {
        strategy: strategy.name().to_string(),
        date: alerts.first().and_then(|a| a.date.clone()),
        firing: alerts.iter().filter(|a| a.firing).map(|a| a.name.clone()).collect(),
        alerts,
    };
    if args.json {
        out!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        outp!("{}", text(&report));
    }
    i32::from(!report.firing.is_empty())
}

/// The text report: a line per alert (FIRING / quiet, name, condition), then the values it
/// read on the last bar, and since when a firing alert has fired.
fn text(r: &MonitorReport) -> String {
    let date = r.date.as_deref().unwrap_or("-");
    let mut s = format!("{}: last bar {date}\n\n", r.strategy);
    let width = r.alerts.iter().map(|a| a.name.len()).max().unwrap_or(0);
    for a in &r.alerts {
        let state = if a.firing { "FIRING" } else { "quiet " };
        s += &format!("{state}  {:<width$}  {}\n", a.name, a.condition);
        if !a.values.is_empty() {
            let values: Vec<String> = a.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            s += &format!("        {:<width$}  {}\n", "", values.join(", "));
        }
        if a.firing {
            if let Some(e) = a.episodes.last() {
                s += &format!("        {:<width$}  firing since {} ({} bars)\n", "", e.start, e.bars);
            }
        } else if let Some(last) = &a.last {
            s += &format!("        {:<width$}  last fired {last}\n", "");
        }
    }
    s += &format!("\n{} of {} alerts firing\n", r.firing.len(), r.alerts.len());
    s
}
