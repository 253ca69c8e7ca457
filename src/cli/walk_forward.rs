//! `strat walk-forward`: folds of training and test windows, stitched out of sample.

use super::args::WalkForwardArgs;
use super::diagnostics::{fail, report_failure};
use super::output;
use super::outputs::{check_output_size, compile_for_outputs, planned_out, same_file, write_output, Planned};
use super::progress::{event, Event, Progress};
use super::sweep_output;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use strat::{Frame, Strategy, WalkForwardReport};
use strat_runtime::shard::Shard;
use strat_runtime::sweep::Grid;
use strat_runtime::walk_forward::{BindingRun, PeriodUnit, WalkForward, WalkForwardSpec};
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
    let WalkForwardArgs { file, train, test, anchored, by, json, reference, out, force, quiet, progress, progress_file, shard, merge, report } = args;
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
    if let Some(s) = shard {
        if format != Some(Format::Parquet) {
            return fail(
                2,
                "strat::cli::shard",
                format!("--shard {s} needs --out PART.parquet: a walk-forward part holds every bar of its bindings' returns, as Parquet"),
                "add --out part-I.parquet and choose the folds with `strat walk-forward FILE --merge PARTS...`",
            );
        }
    }
    if let Some(r) = report {
        if shard.is_some() {
            return fail(
                2,
                "strat::cli::shard",
                "--report draws the whole walk-forward; a shard holds part of it",
                "drop --report, or pass it to the --merge run",
            );
        }
        if r.extension().and_then(|e| e.to_str()) != Some("html") {
            return fail(2, "strat::cli::out", format!("--report {}: a report is an .html file", r.display()), "name the report FILE.html");
        }
        outs.push(Planned { flag: "--report".into(), path: r.clone() });
    }
    if let Some(c) = merge_parts_clash(merge, &outs, progress_file.as_deref()) {
        return c;
    }
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
    let report = report.as_deref();
    let outs = &outs[..usize::from(out.is_some())];
    let spec = WalkForwardSpec { train: train_n, test: test_n, unit, anchored, periods_per_year: strategy.program().annualize };
    let mode = match (shard, merge.is_empty()) {
        (Some(s), _) => Mode::Shard(*s),
        (None, false) => Mode::Merge(merge),
        (None, true) => Mode::Whole,
    };
    progress.end(run_walk_forward(&strategy, spec, by, (outs, format, report), json, mode, &progress))
}

/// What a walk-forward does: every binding here, one shard's runs to a part, or the folds over
/// the parts of every shard.
#[derive(Clone, Copy)]
enum Mode<'a> {
    Whole,
    Shard(Shard),
    Merge(&'a [PathBuf]),
}

/// Refuses an output (`--out`, `--progress-file`) that names one of the `--merge` parts:
/// `strat::cli::output_is_input`, exit 2.
fn merge_parts_clash(parts: &[PathBuf], outs: &[Planned], progress_file: Option<&std::path::Path>) -> Option<i32> {
    let outputs = outs.iter().map(|o| (o.flag.as_str(), o.path.as_path())).chain(progress_file.map(|p| ("--progress-file", p)));
    for (flag, path) in outputs {
        if let Some(p) = parts.iter().find(|p| same_file(p, path)) {
            return Some(fail(
                2,
                "strat::cli::output_is_input",
                format!("{flag} {} is the part {} given to --merge; writing it would destroy it", path.display(), p.display()),
                "write the output to another file",
            ));
        }
    }
    None
}

/// The walk-forward after the program compiled: loads, runs (every binding, or one shard's to
/// its part, or none with the parts of `--merge`), writes `--out`, prints.
fn run_walk_forward(
    strategy: &Strategy,
    spec: WalkForwardSpec,
    by: &str,
    out: (&[Planned], Option<Format>, Option<&std::path::Path>),
    json: bool,
    mode: Mode,
    progress: &Progress,
) -> i32 {
    let (outs, format, report_page) = out;
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    super::diagnostics::data_warnings(&frame);
    if let (Some(o), Mode::Whole | Mode::Merge(_)) = (outs.first(), mode) {
        if let Err(c) = check_output_size(o, frame.len(), 4, 0) {
            return c;
        }
    }
    if let Err(f) = strategy.check_walk_forward(by, &spec) {
        report_failure(&f);
        return 1;
    }
    let t = Instant::now();
    // The memory estimate comes before the progress bar counts the grid's bindings.
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::WalkForward) {
        report_failure(&f);
        return 1;
    }
    let grid = strategy.grid();
    let bindings = grid.bindings.len();
    let indices: Vec<usize> = match mode {
        Mode::Shard(s) => s.bindings(bindings),
        Mode::Merge(_) => vec![],
        Mode::Whole => (0..bindings).collect(),
    };
    if let Mode::Shard(s) = mode {
        if indices.is_empty() {
            return super::sweep::empty_shard(s, bindings);
        }
    }
    let fingerprint = matches!(mode, Mode::Shard(_) | Mode::Merge(_)).then(|| strategy.fingerprint(&frame, &grid));
    let mut started = Event::new();
    started.insert("command".into(), "walk-forward".into());
    started.insert("strategy".into(), strategy.name().into());
    started.insert("bindings".into(), indices.len().into());
    started.insert("grid_bindings".into(), bindings.into());
    started.insert("shard".into(), if let Mode::Shard(s) = mode { s.to_string().into() } else { serde_json::Value::Null });
    if let Some(f) = &fingerprint {
        started.insert("fingerprint".into(), f.clone().into());
    }
    started.insert("threads".into(), rayon::current_num_threads().into());
    progress.start(indices.len(), started);
    let done = || progress.binding(None, Event::new);
    let chosen = match mode {
        Mode::Merge(parts) => {
            let runs = match read_parts(parts, fingerprint.as_deref().unwrap_or_default(), bindings) {
                Ok(r) => r,
                Err(c) => return c,
            };
            progress.clear();
            let ok: Vec<BindingRun> = runs.into_iter().filter_map(Result::ok).collect();
            strategy.walk_forward_from_runs(&frame, &grid, &ok, by, spec)
        }
        Mode::Shard(s) => {
            // A shard's part holds every binding's returns and exposures.
            let runs = match strategy.walk_forward_runs(&frame, &grid, &indices, &done, &AtomicBool::new(false)) {
                Ok(Some(r)) => r,
                Ok(None) => return fail(1, "strat::run::stopped", "the walk-forward was stopped", ""),
                Err(f) => {
                    report_failure(&f);
                    return 1;
                }
            };
            progress.clear();
            let fp = fingerprint.unwrap_or_default();
            return write_shard(strategy, &outs[0], s, bindings, &fp, runs, json, t, progress);
        }
        // The whole study in this process: one preparation and sweep cache serve the bindings'
        // returns and the chosen bindings' exposures.
        Mode::Whole => {
            let wf = strategy.walk_forward(&frame, by, spec, &done).map(|(_, wf)| wf);
            progress.clear();
            wf
        }
    };
    let wf = match chosen {
        Ok(w) => w,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    if let (Some(o), Some(f)) = (outs.first(), format) {
        if let Err(c) = write_days(o, f, &frame, &wf) {
            return c;
        }
    }
    let elapsed = t.elapsed().as_secs_f64();
    let report = strategy.walk_forward_report(&frame, by, &spec, &grid, &wf);
    if let Some(path) = report_page {
        let params = strategy.params();
        let text = |i: usize| sweep_output::binding_text(&params, &grid, i);
        let page = match strat::tearsheet::studies::walk_forward_page(&report, &wf, &frame.dates, &text) {
            Ok(p) => p,
            Err(e) => return fail(1, "strat::io::write", format!("cannot draw the report: {e}"), "report this as a bug"),
        };
        if let Err(c) = super::report::write_page(path, &page) {
            return c;
        }
    }
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
        e.insert("bindings".into(), indices.len().into());
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

/// The runs of every binding, in grid order (`Ok` for those that ran), from the `--merge`
/// parts, which must be the whole of the study `fingerprint` of `grid_bindings` bindings.
fn read_parts(parts: &[PathBuf], fingerprint: &str, grid_bindings: usize) -> Result<Vec<Result<BindingRun, String>>, i32> {
    use strat_runtime::merge::MergeError;
    use strat_runtime::walk_forward::part;
    let merge_fail = |e: MergeError| {
        let code = match e {
            MergeError::Mismatch(_) => "strat::merge::mismatch",
            _ => "strat::merge::part",
        };
        fail(1, code, e.to_string(), "give --merge the parts of every shard of one `strat walk-forward FILE --shard I/N` split of this program and data")
    };
    let mut read = vec![];
    for p in parts {
        let bytes = std::fs::read(p).map_err(|e| fail(1, "strat::io::read", format!("cannot read {}: {e}", p.display()), "check the part's path"))?;
        read.push(part::read_part(p, bytes).map_err(merge_fail)?);
    }
    let runs = part::assemble(read, fingerprint, grid_bindings).map_err(merge_fail)?;
    Ok(runs.into_iter().map(Ok).collect())
}

/// Writes a shard's part (to a temporary file beside `o`, renamed when whole) and prints what
/// it holds: `shard I/N of NAME: K of B bindings, F failed (study FINGERPRINT)`, or as JSON.
#[allow(clippy::too_many_arguments)]
fn write_shard(
    strategy: &Strategy,
    o: &Planned,
    shard: Shard,
    grid_bindings: usize,
    fingerprint: &str,
    runs: Vec<(usize, Result<BindingRun, String>)>,
    json: bool,
    t: Instant,
    progress: &Progress,
) -> i32 {
    let tmp = super::sweep::temp_path(&o.path);
    let written = strat_runtime::walk_forward::part::write_part(&tmp, shard, grid_bindings, fingerprint, &runs)
        .map_err(|e| e.to_string())
        .and_then(|_| std::fs::rename(&tmp, &o.path).map_err(|e| e.to_string()));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable");
    }
    let failed = runs.iter().filter(|r| r.1.is_err()).count();
    let mut e = event("finished");
    e.insert("bindings".into(), runs.len().into());
    e.insert("failed".into(), failed.into());
    e.insert("elapsed_s".into(), t.elapsed().as_secs_f64().into());
    progress.emit(e);
    if json {
        let doc = serde_json::json!({
            "strategy": strategy.name(),
            "shard": shard.to_string(),
            "bindings": runs.len(),
            "failed": failed,
            "grid_bindings": grid_bindings,
            "fingerprint": fingerprint,
        });
        out!("{doc}");
    } else {
        out!("shard {shard} of {}: {} of {grid_bindings} bindings, {failed} failed (study {fingerprint})", strategy.name(), runs.len());
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
