//! `strat walk-forward`: folds of training and test windows, stitched out of sample.

use super::args::WalkForwardArgs;
use super::diagnostics::{fail, report_failure};
use super::output;
use super::outputs::Planned;
use super::outputs::{check_output_size, compile_for_outputs, planned_out, write_output};
use super::progress::{event, Event, Progress};
use super::sweep_output;
use std::time::Instant;
use strat::{Frame, Strategy, WalkForwardReport};
use strat_runtime::sweep::Grid;
use strat_runtime::walk_forward::{PeriodUnit, WalkForward, WalkForwardSpec};
use strat_runtime::write::Format;

/// A walk-forward window: a whole number `N >= 1` of calendar years (`5y`) or months (`60m`).
pub(super) fn duration(text: &str, flag: &str) -> Result<(i32, PeriodUnit), i32> {
    strat_runtime::walk_forward::parse_duration(text).ok_or_else(|| {
        fail(
            2,
            "strat::cli::duration",
            format!("{flag} takes a number of calendar years or months such as 5y or 60m, got `{text}`"),
            "write Ny (years) or Nm (months) with N >= 1",
        )
    })
}

/// The unit and lengths of `--train` and `--test`: years on both sides count in years; months on
/// either side count both in months.
fn windows(train: &str, test: &str) -> Result<(PeriodUnit, i32, i32), i32> {
    match (duration(train, "--train"), duration(test, "--test")) {
        (Ok(a), Ok(b)) => Ok(strat_runtime::walk_forward::windows(a, b)),
        (Err(c), _) | (_, Err(c)) => Err(c),
    }
}

/// `strat walk-forward`: checks the output, compiles, loads, runs the folds, writes `--out` and
/// prints the table or the JSON report; returns the exit code.
pub(super) fn walk_forward(args: &WalkForwardArgs) -> i32 {
    let WalkForwardArgs { file, train, test, anchored, by, json, reference, out, force, quiet, progress, progress_file } = args;
    let (anchored, json, reference, out, force, quiet) = (*anchored, *json, *reference, out.as_deref(), *force, *quiet);
    let (unit, train_n, test_n) = match windows(train, test) {
        Ok(w) => w,
        Err(c) => return c,
    };
    // The walk-forward ranks by the metric names; the table's `max_dd` is `max_drawdown`.
    let by = sweep_output::COLUMN_ALIASES.iter().find(|a| a.0 == by).map(|a| a.1).unwrap_or(by);
    let (mut outs, format) = match planned_out(out) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Some(p) = progress_file {
        outs.push(Planned { flag: "--progress-file".into(), path: p.clone() });
    }
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let progress = match Progress::new(*progress, progress_file.as_ref(), quiet, json) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let outs = &outs[..outs.len() - usize::from(progress_file.is_some())];
    let spec = WalkForwardSpec { train: train_n, test: test_n, unit, anchored, periods_per_year: strategy.program().annualize };
    progress.end(run_walk_forward(&strategy, spec, by, outs, format, json, &progress))
}

/// The walk-forward after the program compiled: loads, runs, writes `--out`, prints.
fn run_walk_forward(strategy: &Strategy, spec: WalkForwardSpec, by: &str, outs: &[Planned], format: Option<Format>, json: bool, progress: &Progress) -> i32 {
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    super::diagnostics::data_warnings(&frame);
    if let Some(o) = outs.first() {
        if let Err(c) = check_output_size(o, frame.len(), 4, 0) {
            return c;
        }
    }
    let t = Instant::now();
    // The memory estimate comes before the progress bar counts the grid's bindings.
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::WalkForward) {
        report_failure(&f);
        return 1;
    }
    let bindings = strategy.grid().bindings.len();
    let mut started = Event::new();
    started.insert("command".into(), "walk-forward".into());
    started.insert("strategy".into(), strategy.name().into());
    started.insert("bindings".into(), bindings.into());
    started.insert("grid_bindings".into(), bindings.into());
    started.insert("shard".into(), serde_json::Value::Null);
    started.insert("threads".into(), rayon::current_num_threads().into());
    progress.start(bindings, started);
    let (grid, wf) = match strategy.walk_forward(&frame, by, spec, &|| progress.binding(None, Event::new)) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    progress.clear();
    if let (Some(o), Some(f)) = (outs.first(), format) {
        if let Err(c) = write_days(o, f, &frame, &wf) {
            return c;
        }
    }
    let elapsed = t.elapsed().as_secs_f64();
    let report = strategy.walk_forward_report(&frame, by, &spec, &grid, &wf);
    if progress.is_json() {
        for (k, f) in report.folds.iter().enumerate() {
            let mut e = event("fold");
            e.insert("fold".into(), (k + 1).into());
            if let Ok(serde_json::Value::Object(m)) = serde_json::to_value(f) {
                e.extend(m);
            }
            progress.emit(e);
        }
        let mut e = event("finished");
        e.insert("bindings".into(), bindings.into());
        e.insert("folds".into(), report.folds.len().into());
        e.insert("elapsed_s".into(), elapsed.into());
        progress.emit(e);
    }
    if json {
        out!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        print_table(strategy, &spec, &grid, &wf, &report, elapsed);
    }
    0
}

/// Writes the stitched out-of-sample days (date, binding, return, equity) to `o`.
fn write_days(o: &Planned, format: Format, frame: &Frame, wf: &WalkForward) -> Result<(), i32> {
    use strat_runtime::write::Col;
    let cols = vec![
        ("date".to_string(), Col::Date(wf.rows.iter().map(|&t| frame.dates[t]).collect())),
        ("binding".to_string(), Col::Int(wf.bindings.iter().map(|&b| Some(b as i64)).collect())),
        ("return".to_string(), Col::Float(wf.returns.clone())),
        ("equity".to_string(), Col::Float(strat_stdlib::metrics::equity_curve(&wf.returns))),
    ];
    write_output(o, format, &cols)
}

/// The walk-forward for people: the folds, the skipped blocks, the stitched metrics and the
/// in-sample / out-of-sample comparison.
fn print_table(strategy: &Strategy, spec: &WalkForwardSpec, grid: &Grid, wf: &WalkForward, report: &WalkForwardReport, elapsed: f64) {
    let (unit, by) = (spec.unit, &report.by);
    let params = strategy.params();
    let text = |i: usize| sweep_output::binding_text(&params, grid, i);
    out!(
        "{}: walk-forward {}, train {}{u}, test {}{u}, by {by}; {} bindings in {:.3} s\n",
        strategy.name(),
        if spec.anchored { "anchored" } else { "rolling" },
        spec.train,
        spec.test,
        grid.bindings.len(),
        elapsed,
        u = unit.suffix()
    );
    // Years print as `2001-2005`, months as `2001-02..2006-01`.
    let (sep, w) = match unit {
        PeriodUnit::Years => ("-", 11),
        PeriodUnit::Months => ("..", 17),
    };
    let span = |a: i32, b: i32| format!("{}{sep}{}", unit.label(a), unit.label(b));
    out!("{:<w$} {:<w$} {:>10} {:>10} {:>6}  chosen binding", "train", "test", "in-sample", "out", "bars");
    for f in &wf.folds {
        let test = if f.test.0 == f.test.1 { unit.label(f.test.0) } else { span(f.test.0, f.test.1) };
        out!(
            "{:<w$} {:<w$} {:>10} {:>10} {:>6}  #{} {}",
            span(f.train.0, f.train.1),
            test,
            output::fmt_num(f.in_sample),
            output::fmt_num(f.out_of_sample),
            f.bars,
            f.chosen,
            text(f.chosen)
        );
    }
    for (lo, hi) in &wf.skipped {
        out!("{}: skipped (no binding has a {by} over its training {}s)", span(*lo, *hi), unit.name());
    }
    out!("\nout of sample, stitched: {} bars, {} .. {}", report.bars, report.start, report.end);
    for (k, v) in output::METRIC_NAMES.iter().zip(output::metric_values(&wf.metrics)) {
        out!("{:<18} {:>12}", k, output::fmt_num(v));
    }
    out!(
        "\n{by}: in-sample mean {}, out-of-sample mean {}, degradation {}",
        output::fmt_num(wf.in_sample_mean),
        output::fmt_num(wf.out_of_sample_mean),
        output::fmt_signed(wf.out_of_sample_mean - wf.in_sample_mean)
    );
    out!("deflated Sharpe ratio (Bailey & Lopez de Prado 2014, {} trials): {}", wf.trials, output::fmt_num(wf.deflated_sharpe));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_years_or_months() {
        assert_eq!(duration("5y", "--train"), Ok((5, PeriodUnit::Years)));
        assert_eq!(duration("60m", "--train"), Ok((60, PeriodUnit::Months)));
        for bad in ["5", "0y", "0m", "-1y", "5w", "y", "1.5y", "100001m"] {
            assert_eq!(duration(bad, "--train"), Err(2), "{bad}");
        }
    }
}
