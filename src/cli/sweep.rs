//! `strat sweep`: every binding of the grid, ranked, as tables, heatmaps, JSON and files.

use super::diagnostics::{fail, report_failure};
use super::output;
use super::outputs::{check_output_size, compile_for_outputs, planned_out, write_output, Planned};
use super::sweep_output;
use std::path::{Path, PathBuf};
use std::time::Instant;

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

#[allow(clippy::too_many_arguments)]
pub(super) fn sweep(
    file: &Path,
    out: Option<&Path>,
    force: bool,
    top: usize,
    by: &str,
    heatmaps: &[String],
    svg: Option<&Path>,
    json: bool,
    reference: bool,
    quiet: bool,
) -> i32 {
    use sweep_output as so;
    let by = match metric_arg("--by", by) {
        Ok(m) => m,
        Err(c) => return c,
    };
    let mut maps: Vec<&'static str> = vec![];
    for m in heatmaps {
        match metric_arg("--heatmap", m) {
            Ok(m) => maps.push(m),
            Err(c) => return c,
        }
    }
    let (mut outs, format) = match planned_out(out) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Some(prefix) = svg {
        for m in &maps {
            outs.push(Planned { flag: format!("--heatmap-svg ({m})"), path: PathBuf::from(format!("{}_{m}.svg", prefix.display())) });
        }
    }
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
    // The estimate comes before the grid is built: a grid too large for memory is never
    // materialised.
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::Sweep) {
        report_failure(&f);
        return 1;
    }
    let grid = strategy.grid();
    let params = strategy.params();
    if svg.is_some() && !maps.is_empty() && so::heatmap_axes(&params, &grid).is_none() {
        return fail(
            1,
            "strat::io::write",
            "--heatmap-svg: a heatmap needs two swept numeric params; no SVG written",
            "sweep two numeric params (`param x in ...`), or drop --heatmap-svg",
        );
    }
    let report_names: Vec<String> = strategy.program().reports.iter().map(|r| r.name.clone()).collect();
    if let (Some(o), Some(f)) = (outs.first().filter(|_| out.is_some()), format) {
        let n_weights = strategy.program().weights.len();
        let columns = grid.names.len() + 2 + output::METRIC_NAMES.len() + 2 + report_names.len() + 3 * n_weights;
        // JSON repeats the keys in every row.
        let columns = if f == strat_runtime::write::Format::Json { columns * 2 } else { columns };
        if let Err(c) = check_output_size(o, grid.bindings.len(), columns, 0) {
            return c;
        }
    }
    for o in outs.iter().skip(usize::from(out.is_some())) {
        // An SVG cell is a rectangle and a label (~256 bytes), plus the frame.
        if let Err(c) = check_output_size(o, grid.bindings.len(), 1, 4096 + 256 * grid.bindings.len() as u64) {
            return c;
        }
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
    if let (Some(o), Some(f)) = (out, format) {
        let planned = &outs[0];
        let res = if f == strat_runtime::write::Format::Json {
            std::fs::write(o, format!("{}\n", serde_json::to_string(&strategy.sweep_report(&grid, &rows)).unwrap_or_default()))
                .map_err(|e| fail(1, "strat::io::write", format!("cannot write {}: {e}", o.display()), "check that the folder exists and is writable"))
        } else {
            write_output(planned, f, &so::to_columns(&rows, &params, &grid, &report_names))
        };
        if let Err(c) = res {
            return c;
        }
    }
    if let Some(prefix) = svg {
        for m in &maps {
            let path = PathBuf::from(format!("{}_{m}.svg", prefix.display()));
            if let Err(e) = so::heatmap_svg(&path, &rows, &params, &grid, m, by, strategy.name()) {
                return fail(1, "strat::io::write", format!("cannot write {}: {e}", path.display()), "check that the folder exists and is writable");
            }
        }
    }
    let all_failed = !rows.is_empty() && rows.iter().all(|r| r.result.is_err());
    if json {
        out!("{}", serde_json::to_string(&strategy.sweep_report(&grid, &rows)).unwrap_or_default());
        return if all_failed { 1 } else { 0 };
    }
    let bars = rows.iter().find_map(|r| r.result.as_ref().ok().map(|s| s.bars)).unwrap_or(0);
    out!("{}: {} bindings x {} bars in {:.3} s (one compilation, {} threads)\n", strategy.name(), rows.len(), bars, elapsed, rayon::current_num_threads());
    outp!("{}", so::top_table(&rows, &params, &grid, by, top));
    outp!("{}", so::weights_table(&rows, &params, &grid, by, top, &frame.dates));
    for m in &maps {
        match so::heatmap(&rows, &params, &grid, m, by) {
            Some(h) => outp!("\n{h}"),
            None => eprintln!("note: --heatmap needs two swept numeric params"),
        }
    }
    if all_failed {
        return fail(1, "strat::run::failed", "every binding failed", "the table above names the first failure");
    }
    0
}
