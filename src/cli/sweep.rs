//! `strat sweep`: every binding of the grid, ranked, as tables, heatmaps, JSON and files.

use super::args::SweepArgs;
use super::diagnostics::{fail, report_failure};
use super::output;
use super::outputs::{check_output_size, compile_for_outputs, planned_out, write_output, Planned};
use super::sweep_output;
use std::path::{Path, PathBuf};
use std::time::Instant;
use strat::{Frame, Params, Strategy};
use strat_runtime::sweep::{Grid, SweepRow};
use strat_runtime::write::Format;

/// A progress bar of `n()` bindings with the elapsed time and an ETA on stderr; hidden with
/// `quiet`, with `--json`, or when stderr is not a terminal.
pub(super) fn progress_bar(n: impl FnOnce() -> usize, quiet: bool, json: bool) -> indicatif::ProgressBar {
    if quiet || json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n() as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} bindings, {elapsed} elapsed, ETA {eta}") {
        bar.set_style(style);
    }
    bar
}

/// The metric `--by` or `--heatmap` names (a metric or a column name of the top table), or the
/// `strat::cli::metric` error (exit 2) with a did-you-mean.
pub(super) fn metric_arg(flag: &str, name: &str) -> Result<&'static str, i32> {
    use sweep_output as so;
    so::canonical_metric(name).ok_or_else(|| {
        let help = match so::suggest_metric(name) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("write one of: {}, or a column name of the table: max_dd, turnover", so::metric_names().join(", ")),
        };
        fail(2, "strat::cli::metric", format!("{flag}: unknown metric `{name}`; one of: {}", so::metric_names().join(", ")), help)
    })
}

/// The metrics of `--by` and of each `--heatmap`.
fn metric_args(by: &str, heatmaps: &[String]) -> Result<(&'static str, Vec<&'static str>), i32> {
    let by = metric_arg("--by", by)?;
    let maps = heatmaps.iter().map(|m| metric_arg("--heatmap", m)).collect::<Result<Vec<_>, i32>>()?;
    Ok((by, maps))
}

/// The files of a sweep: `--out` first (with its format), then one SVG per `--heatmap` under
/// the `--heatmap-svg` prefix.
fn planned_outputs(out: Option<&Path>, svg: Option<&Path>, maps: &[&str]) -> Result<(Vec<Planned>, Option<Format>), i32> {
    let (mut outs, format) = planned_out(out)?;
    if let Some(prefix) = svg {
        for m in maps {
            outs.push(Planned { flag: format!("--heatmap-svg ({m})"), path: svg_path(prefix, m) });
        }
    }
    Ok((outs, format))
}

/// The SVG file of the heatmap of `metric` under `prefix`: `PREFIX_METRIC.svg`.
fn svg_path(prefix: &Path, metric: &str) -> PathBuf {
    PathBuf::from(format!("{}_{metric}.svg", prefix.display()))
}

/// `strat sweep`: checks the metrics and outputs, compiles, loads, runs every binding, writes
/// the files and prints the tables and heatmaps or the JSON report; returns the exit code.
pub(super) fn sweep(args: &SweepArgs) -> i32 {
    let SweepArgs { file, out, force, top, by, heatmap: heatmaps, heatmap_svg, json, reference, quiet } = args;
    let (out, svg, force, top, json, reference, quiet) = (out.as_deref(), heatmap_svg.as_deref(), *force, *top, *json, *reference, *quiet);
    let (by, maps) = match metric_args(by, heatmaps) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (outs, format) = match planned_outputs(out, svg, &maps) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    super::diagnostics::data_warnings(&frame);
    // The estimate comes before the grid is built: a grid too large for memory is never
    // materialised.
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::Sweep) {
        report_failure(&f);
        return 1;
    }
    let grid = strategy.grid();
    if let Err(c) = check_sizes(&strategy, &grid, &outs, format, svg.is_some() && !maps.is_empty()) {
        return c;
    }
    let t = Instant::now();
    let bar = progress_bar(|| grid.bindings.len(), quiet, json);
    let rows = match strategy.sweep(&frame, &grid, &|| bar.inc(1)) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    bar.finish_and_clear();
    let elapsed = t.elapsed().as_secs_f64();
    if let Err(c) = write_files(&strategy, &grid, &rows, &outs, format, svg.map(|p| (p, maps.as_slice(), by))) {
        return c;
    }
    let all_failed = !rows.is_empty() && rows.iter().all(|r| r.result.is_err());
    if json {
        out!("{}", serde_json::to_string(&strategy.sweep_report(&grid, &rows)).unwrap_or_default());
        return if all_failed { 1 } else { 0 };
    }
    print_tables(&strategy, &frame, &grid, &rows, (by, top, &maps), elapsed);
    if all_failed {
        return fail(1, "strat::run::failed", "every binding failed", "the table above names the first failure");
    }
    0
}

/// Refuses heatmap SVGs without two swept numeric params, then checks the estimated size of
/// each file: `--out` (`out_format`, the first of `outs`, when given) and the SVGs after it.
fn check_sizes(strategy: &Strategy, grid: &Grid, outs: &[Planned], out_format: Option<Format>, svgs: bool) -> Result<(), i32> {
    if svgs && sweep_output::heatmap_axes(&strategy.params(), grid).is_none() {
        return Err(fail(
            1,
            "strat::io::write",
            "--heatmap-svg: a heatmap needs two swept numeric params; no SVG written",
            "sweep two numeric params (`param x in ...`), or drop --heatmap-svg",
        ));
    }
    let program = strategy.program();
    if let (Some(o), Some(f)) = (outs.first(), out_format) {
        let columns = grid.names.len() + 2 + output::METRIC_NAMES.len() + 2 + program.reports.len() + 3 * program.weights.len();
        // JSON repeats the keys in every row.
        let columns = if f == Format::Json { columns * 2 } else { columns };
        check_output_size(o, grid.bindings.len(), columns, 0)?;
    }
    for o in outs.iter().skip(usize::from(out_format.is_some())) {
        // An SVG cell is a rectangle and a label (~256 bytes), plus the frame.
        check_output_size(o, grid.bindings.len(), 1, 4096 + 256 * grid.bindings.len() as u64)?;
    }
    Ok(())
}

/// Writes `--out` (`out_format`: the first of `outs`) and, with `svg` (the prefix, the heatmap
/// metrics and `--by`), one heatmap SVG per metric.
fn write_files(
    strategy: &Strategy,
    grid: &Grid,
    rows: &[SweepRow],
    outs: &[Planned],
    out_format: Option<Format>,
    svg: Option<(&Path, &[&str], &str)>,
) -> Result<(), i32> {
    let params = strategy.params();
    if let (Some(o), Some(f)) = (outs.first(), out_format) {
        if f == Format::Json {
            std::fs::write(&o.path, format!("{}\n", serde_json::to_string(&strategy.sweep_report(grid, rows)).unwrap_or_default()))
                .map_err(|e| fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable"))?;
        } else {
            let report_names: Vec<String> = strategy.program().reports.iter().map(|r| r.name.clone()).collect();
            write_output(o, f, &sweep_output::to_columns(rows, &params, grid, &report_names))?;
        }
    }
    if let Some((prefix, maps, by)) = svg {
        for m in maps {
            let path = svg_path(prefix, m);
            if let Err(e) = sweep_output::heatmap_svg(&path, rows, &params, grid, m, by, strategy.name()) {
                return Err(fail(1, "strat::io::write", format!("cannot write {}: {e}", path.display()), "check that the folder exists and is writable"));
            }
        }
    }
    Ok(())
}

/// The sweep for people: a summary line, the top table by `by`, the weighting of the top
/// bindings and a heatmap per `--heatmap` metric (`table`: `by`, the rows of the top table,
/// the heatmap metrics).
fn print_tables(strategy: &Strategy, frame: &Frame, grid: &Grid, rows: &[SweepRow], table: (&str, usize, &[&str]), elapsed: f64) {
    use sweep_output as so;
    let (by, top, maps) = table;
    let params: Params = strategy.params();
    let bars = rows.iter().find_map(|r| r.result.as_ref().ok().map(|s| s.bars)).unwrap_or(0);
    out!("{}: {} bindings x {} bars in {:.3} s (one compilation, {} threads)\n", strategy.name(), rows.len(), bars, elapsed, rayon::current_num_threads());
    outp!("{}", so::top_table(rows, &params, grid, by, top));
    outp!("{}", so::weights_table(rows, &params, grid, by, top, &frame.dates));
    for m in maps {
        match so::heatmap(rows, &params, grid, m, by) {
            Some(h) => outp!("\n{h}"),
            None => eprintln!("note: --heatmap needs two swept numeric params"),
        }
    }
}
