//! `strat sweep`: every binding of the grid, ranked, as tables, heatmaps, JSON and files.

use super::args::SweepArgs;
use super::diagnostics::{fail, report_failure};
use super::output;
use super::outputs::{check_output_size, compile_for_outputs, planned_out, write_output, Planned};
use super::progress::{event, Event, Progress};
use super::sweep_output;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;
use strat::{Frame, Params, Strategy};
use strat_runtime::merge::BINDING_COLUMN;
use strat_runtime::shard::Shard;
use strat_runtime::sweep::{Grid, SweepRow};
use strat_runtime::write::{Col, Format, TableWriter};

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

/// `strat sweep`: checks the metrics and outputs, compiles, loads, runs every binding (or one
/// shard's), writes the files and prints the tables and heatmaps or the JSON report; returns
/// the exit code.
pub(super) fn sweep(args: &SweepArgs) -> i32 {
    let SweepArgs { file, out, force, by, heatmap: heatmaps, heatmap_svg, reference, shard, progress_file, .. } = args;
    let (out, svg, force, reference, shard) = (out.as_deref(), heatmap_svg.as_deref(), *force, *reference, *shard);
    let (by, maps) = match metric_args(by, heatmaps) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Some(s) = shard {
        if out.is_none() {
            return fail(
                2,
                "strat::cli::shard",
                format!("--shard {s} needs --out FILE: the part file is what `strat merge` combines"),
                "add --out part-I.csv (or .parquet, .json) and merge the N parts with `strat merge OUT PARTS...`",
            );
        }
        if svg.is_some() {
            return fail(
                2,
                "strat::cli::shard",
                "--heatmap-svg draws the whole grid; a shard holds part of it",
                "drop --heatmap-svg, or run the sweep on one machine",
            );
        }
    }
    let (mut outs, format) = match planned_outputs(out, svg, &maps) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Some(r) = &args.report {
        if shard.is_some() {
            return fail(2, "strat::cli::shard", "--report draws the whole grid; a shard holds part of it", "drop --report, or run the sweep on one machine");
        }
        if r.extension().and_then(|e| e.to_str()) != Some("html") {
            return fail(2, "strat::cli::out", format!("--report {}: a report is an .html file", r.display()), "name the report FILE.html");
        }
    }
    let n_files = outs.len();
    if let Some(r) = &args.report {
        outs.push(Planned { flag: "--report".into(), path: r.clone() });
    }
    if let Some(p) = progress_file {
        outs.push(Planned { flag: "--progress-file".into(), path: p.clone() });
    }
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let progress = match Progress::new(args.progress, progress_file.as_ref(), args.quiet, args.json) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let outs = &outs[..n_files];
    progress.end(run_sweep(args, &strategy, outs, format, (by, &maps), &progress))
}

/// The sweep after the program compiled: loads, then runs the streamed sweep (tables and a
/// CSV / Parquet `--out`, in memory that does not grow with the grid) or, for `--json`, a JSON
/// `--out` and heatmaps, which need every row, the sweep held in memory (`metrics`: `--by` and
/// the heatmap metrics).
fn run_sweep(
    args: &SweepArgs,
    strategy: &Strategy,
    outs: &[Planned],
    format: Option<Format>,
    metrics: (&'static str, &[&'static str]),
    progress: &Progress,
) -> i32 {
    let (by, maps) = metrics;
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    super::diagnostics::data_warnings(&frame);
    let streamed = !args.json && maps.is_empty() && format != Some(Format::Json) && args.report.is_none();
    let study = if streamed { strat_compiler::grid::Study::SweepStreamed } else { strat_compiler::grid::Study::Sweep };
    // The estimate comes before the grid is walked: a grid too large for memory is never
    // materialised.
    if let Err(f) = strategy.check_memory(&frame, study) {
        report_failure(&f);
        return 1;
    }
    if streamed {
        run_streamed(args, strategy, &frame, outs, format, by, progress)
    } else {
        run_in_memory(args, strategy, &frame, outs, format, metrics, progress)
    }
}

/// The `strat::cli::shard` error of a shard with no binding among `grid_len`.
pub(super) fn empty_shard(s: Shard, grid_len: usize) -> i32 {
    fail(
        2,
        "strat::cli::shard",
        format!("shard {s} is empty: the grid has {grid_len} binding(s), fewer than the {} shards", s.count()),
        format!("split into at most {} shards", grid_len.max(1)),
    )
}

/// The `started` progress event of a sweep of `bindings` of the `grid_len` bindings.
fn started_event(strategy: &Strategy, bindings: usize, grid_len: usize, shard: Option<Shard>, fingerprint: Option<&str>) -> Event {
    let mut started = Event::new();
    started.insert("command".into(), "sweep".into());
    started.insert("strategy".into(), strategy.name().into());
    started.insert("bindings".into(), bindings.into());
    started.insert("grid_bindings".into(), grid_len.into());
    started.insert("shard".into(), shard.map(|s| s.to_string()).into());
    if let Some(f) = fingerprint {
        started.insert("fingerprint".into(), f.to_string().into());
    }
    started.insert("threads".into(), rayon::current_num_threads().into());
    started
}

/// The `finished` progress event.
fn finished_event(bindings: usize, failed: usize, elapsed: f64) -> Event {
    let mut finished = event("finished");
    finished.insert("bindings".into(), bindings.into());
    finished.insert("failed".into(), failed.into());
    finished.insert("elapsed_s".into(), elapsed.into());
    finished
}

/// The streamed sweep: describes the grid (its size, varying params, first binding; a shard's
/// fingerprint walks it once), then runs
/// it chunk by chunk; each chunk's rows go to the `--out` table (a temporary file beside it,
/// renamed when complete) and to the ranking behind the tables, and are dropped. Holds one
/// chunk, one row group of the file and the top `--top` rows, whatever the grid's size.
fn run_streamed(args: &SweepArgs, strategy: &Strategy, frame: &Frame, outs: &[Planned], format: Option<Format>, by: &'static str, progress: &Progress) -> i32 {
    let shard = args.shard;
    let info = strategy.grid_info();
    let fingerprint = shard.map(|_| strategy.streamed_fingerprint(frame));
    let count = shard.map(|s| s.len_of(info.len)).unwrap_or(info.len);
    if let Some(s) = shard.filter(|_| count == 0) {
        return empty_shard(s, info.len);
    }
    if let Err(c) = check_sizes(strategy, info.len, outs, format, (count, shard.is_some())) {
        return c;
    }
    let params = strategy.params();
    let report_names: Vec<String> = strategy.program().reports.iter().map(|r| r.name.clone()).collect();
    let weights_names: Vec<String> = strategy.program().weights.iter().map(|w| w.name.clone()).collect();
    let t = Instant::now();
    progress.start(count, started_event(strategy, count, info.len, shard, fingerprint.as_deref()));
    let on_row = |row: &SweepRow| progress.binding(Some(row.index), || row_event(row, &params, &report_names));
    let part = shard.zip(fingerprint.as_deref()).map(|(s, f)| Part { shard: s, grid_bindings: info.len, fingerprint: f });
    let target = outs.first().zip(format);
    let temp = target.map(|(o, _)| temp_path(&o.path));
    let mut writer = target.zip(temp.as_ref()).map(|((_, f), tmp)| TableWriter::new(tmp, f));
    let mut ranking = sweep_output::Ranking::new(by, args.top);
    // The weights columns are those of the first binding that runs (as in a sweep held in
    // memory): rows before it wait (they failed, so they are small) until it is known.
    let mut layout: Option<Vec<String>> = None;
    let mut waiting: Vec<SweepRow> = vec![];
    let write_rows = |w: &mut TableWriter, rows: &[SweepRow], layout: &[String]| -> Result<(), String> {
        let table = sweep_output::to_columns(rows, &params, &info.names, &report_names, layout);
        let table = match &part {
            Some(p) => p.columns(rows, table),
            None => table,
        };
        w.push(&table).map_err(|e| e.to_string())
    };
    let mut sink = |chunk: Vec<(SweepRow, Vec<bool>)>| -> Result<(), String> {
        let (rows, actives): (Vec<SweepRow>, Vec<Vec<bool>>) = chunk.into_iter().unzip();
        if let Some(w) = writer.as_mut() {
            if layout.is_none() {
                layout = sweep_output::weights_layout(&rows);
            }
            match &layout {
                Some(l) => {
                    if !waiting.is_empty() {
                        write_rows(w, &std::mem::take(&mut waiting), l)?;
                    }
                    write_rows(w, &rows, l)?;
                }
                None => waiting.extend(rows.iter().cloned()),
            }
        }
        for (row, active) in rows.into_iter().zip(actives) {
            ranking.push(row, active);
        }
        Ok(())
    };
    let keep = |b: usize| shard.is_none_or(|s| s.contains(b));
    let outcome = strategy.sweep_chunks(frame, &info, &keep, &on_row, &AtomicBool::new(false), &mut sink);
    let remove_temp = || {
        if let Some(tmp) = &temp {
            let _ = std::fs::remove_file(tmp);
        }
    };
    match outcome {
        Ok(Ok(true)) => {}
        Ok(Ok(false)) => {
            remove_temp();
            return fail(1, "strat::run::stopped", "the sweep was stopped", "");
        }
        Ok(Err(e)) => {
            remove_temp();
            let o = &outs[0];
            return fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable");
        }
        Err(f) => {
            remove_temp();
            report_failure(&f);
            return 1;
        }
    }
    progress.clear();
    let elapsed = t.elapsed().as_secs_f64();
    if let (Some(mut w), Some(tmp), Some((o, _))) = (writer, &temp, target) {
        // No binding ran (or none at all): the rows that waited, or an empty table, with the
        // program's weights columns; a header or schema is written either way.
        let flushed = if layout.is_none() { write_rows(&mut w, &waiting, &weights_names) } else { Ok(()) };
        if let Err(e) = flushed.and_then(|_| w.finish().map_err(|e| e.to_string())).and_then(|_| std::fs::rename(tmp, &o.path).map_err(|e| e.to_string())) {
            remove_temp();
            return fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable");
        }
    }
    let failed = ranking.failed();
    progress.emit(finished_event(ranking.total(), failed, elapsed));
    if let Some(p) = &part {
        out!("shard {} of {}: {} of {} bindings (study {})", p.shard, strategy.name(), ranking.total(), p.grid_bindings, p.fingerprint);
    }
    print_tables(strategy, frame, &info.varying, &ranking, elapsed);
    // A shard's part is written whatever its rows; whether the study failed is the merged
    // table's to say.
    if shard.is_none() && ranking.total() > 0 && failed == ranking.total() {
        return fail(1, "strat::run::failed", "every binding failed", "the table above names the first failure");
    }
    0
}

/// The temporary file a streamed `--out` is written to before it is renamed to `path`: beside
/// it (the same file system, so the rename is atomic), hidden, named by the process.
pub(super) fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.strat-sweep-{}", std::process::id()))
}

/// The `binding` progress event's fields of a row: its report as JSON.
fn row_event(row: &SweepRow, params: &Params, report_names: &[String]) -> Event {
    match serde_json::to_value(strat::SweepRowReport::new(row, params, report_names)) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => Default::default(),
    }
}

/// The sweep held in memory, for what needs every row: `--json`, a JSON `--out` and heatmaps.
fn run_in_memory(
    args: &SweepArgs,
    strategy: &Strategy,
    frame: &Frame,
    outs: &[Planned],
    format: Option<Format>,
    metrics: (&'static str, &[&'static str]),
    progress: &Progress,
) -> i32 {
    let (by, maps) = metrics;
    let (svg, top, json, shard) = (args.heatmap_svg.as_deref(), args.top, args.json, args.shard);
    let grid = strategy.grid();
    let indices: Vec<usize> = match shard {
        Some(s) => s.bindings(grid.bindings.len()),
        None => (0..grid.bindings.len()).collect(),
    };
    if let Some(s) = shard.filter(|_| indices.is_empty()) {
        return empty_shard(s, grid.bindings.len());
    }
    if svg.is_some() && !maps.is_empty() && sweep_output::heatmap_axes(&strategy.params(), &grid).is_none() {
        return fail(
            1,
            "strat::io::write",
            "--heatmap-svg: a heatmap needs two swept numeric params; no SVG written",
            "sweep two numeric params (`param x in ...`), or drop --heatmap-svg",
        );
    }
    if let Err(c) = check_sizes(strategy, grid.bindings.len(), outs, format, (indices.len(), shard.is_some())) {
        return c;
    }
    let fingerprint = shard.map(|_| strategy.fingerprint(frame, &grid));
    let params = strategy.params();
    let report_names: Vec<String> = strategy.program().reports.iter().map(|r| r.name.clone()).collect();
    let t = Instant::now();
    progress.start(indices.len(), started_event(strategy, indices.len(), grid.bindings.len(), shard, fingerprint.as_deref()));
    let on_row = |row: &SweepRow| progress.binding(Some(row.index), || row_event(row, &params, &report_names));
    let rows = match strategy.sweep_rows(frame, &grid, &indices, &on_row, &AtomicBool::new(false)) {
        Ok(Some(r)) => r,
        Ok(None) => return fail(1, "strat::run::stopped", "the sweep was stopped", ""),
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    progress.clear();
    let elapsed = t.elapsed().as_secs_f64();
    let failed = rows.iter().filter(|r| r.result.is_err()).count();
    let part = shard.zip(fingerprint.as_deref()).map(|(s, f)| Part { shard: s, grid_bindings: grid.bindings.len(), fingerprint: f });
    if let Err(c) = write_files(strategy, &grid, &rows, outs, format, svg.map(|p| (p, maps, by)), part.as_ref()) {
        return c;
    }
    if let Some(path) = &args.report {
        let page = report_page(strategy, &grid, &rows, (by, maps), top).and_then(|p| strat::tearsheet::studies::sweep_page(&p));
        match page {
            Ok(p) => {
                if let Err(c) = super::report::write_page(path, &p) {
                    return c;
                }
            }
            Err(e) => return fail(1, "strat::io::write", format!("cannot draw the report: {e}"), "report this as a bug"),
        }
    }
    progress.emit(finished_event(rows.len(), failed, elapsed));
    // A shard's part is written whatever its rows; whether the study failed is the merged
    // table's to say.
    let all_failed = shard.is_none() && !rows.is_empty() && failed == rows.len();
    if json {
        let doc = serde_json::to_string(&strategy.sweep_report(&grid, &rows)).unwrap_or_default();
        out!("{}", part.as_ref().map(|p| p.json(&doc, &rows)).unwrap_or(doc));
        return if all_failed { 1 } else { 0 };
    }
    if let Some(p) = &part {
        out!("shard {} of {}: {} of {} bindings (study {})", p.shard, strategy.name(), rows.len(), p.grid_bindings, p.fingerprint);
    }
    print_tables(strategy, frame, &grid.varying, &sweep_output::Ranking::of(&rows, &grid, by, top), elapsed);
    for m in maps {
        match sweep_output::heatmap(&rows, &params, &grid, m, by) {
            Some(h) => outp!("\n{h}"),
            None => eprintln!("note: --heatmap needs two swept numeric params"),
        }
    }
    if all_failed {
        return fail(1, "strat::run::failed", "every binding failed", "the table above names the first failure");
    }
    0
}

/// The pieces of the sweep's report page: the top `top` bindings by `by`, a heatmap of each
/// `--heatmap` metric (or of `by` alone) when two numeric params are swept, and `by` of every
/// binding.
fn report_page<'a>(
    strategy: &'a Strategy,
    grid: &Grid,
    rows: &[SweepRow],
    metrics: (&'static str, &[&'static str]),
    top: usize,
) -> Result<strat::tearsheet::studies::SweepPage<'a>, String> {
    let (by, maps) = metrics;
    let params = strategy.params();
    let ranking = sweep_output::Ranking::of(rows, grid, by, top);
    let order = sweep_output::ranked(rows, by);
    let best: Vec<(usize, String, strat_stdlib::metrics::Metrics, f64)> = order
        .iter()
        .take(top)
        .filter_map(|&i| {
            rows[i].result.as_ref().ok().map(|s| (rows[i].index, sweep_output::binding_text(&params, grid, rows[i].index), s.metrics, s.avg_turnover))
        })
        .collect();
    let wanted: Vec<&str> = if maps.is_empty() { vec![by] } else { maps.to_vec() };
    let mut heatmaps = vec![];
    // No heatmap without two swept numeric params or without rows (every binding failed a
    // `where`).
    if sweep_output::heatmap_axes(&params, grid).is_some() && sweep_output::heatmap_data(rows, &params, grid, by, by).is_some() {
        for m in wanted {
            heatmaps.push((m.to_string(), sweep_output::heatmap_svg_text(rows, &params, grid, m, by, strategy.name())?));
        }
    }
    let swept = grid.names.iter().enumerate().filter(|(i, _)| grid.varying[*i]).map(|(i, n)| {
        let mut vals: Vec<u64> = grid.bindings.iter().map(|b| b[i].to_bits()).collect();
        vals.sort_unstable();
        vals.dedup();
        (n.clone(), vals.len())
    });
    Ok(strat::tearsheet::studies::SweepPage {
        strategy: strategy.name(),
        bindings: ranking.total(),
        failed: ranking.failed(),
        by,
        swept: swept.collect(),
        top: best,
        heatmaps,
        by_values: rows.iter().filter_map(|r| r.result.as_ref().ok().and_then(|s| sweep_output::metric_of(s, by))).collect(),
    })
}

/// What ties a shard's part file to its study ([`strat_runtime::merge`]).
struct Part<'a> {
    shard: Shard,
    grid_bindings: usize,
    fingerprint: &'a str,
}

impl Part<'_> {
    /// The JSON part: the sweep document `doc` of the shard's `rows` with `shard`,
    /// `grid_bindings`, `fingerprint` and `binding_ids` added at the end.
    fn json(&self, doc: &str, rows: &[SweepRow]) -> String {
        let ids: Vec<String> = rows.iter().map(|r| r.index.to_string()).collect();
        let head = doc.strip_suffix('}').unwrap_or(doc);
        format!(
            "{head},\"shard\":\"{}\",\"grid_bindings\":{},\"fingerprint\":\"{}\",\"binding_ids\":[{}]}}",
            self.shard,
            self.grid_bindings,
            self.fingerprint,
            ids.join(",")
        )
    }

    /// The CSV / Parquet part: `binding` first, the single-machine columns, then `shard`,
    /// `grid_bindings` and `fingerprint` in every row.
    fn columns(&self, rows: &[SweepRow], table: Vec<(String, Col)>) -> Vec<(String, Col)> {
        let n = rows.len();
        let mut cols = vec![(BINDING_COLUMN.to_string(), Col::Int(rows.iter().map(|r| Some(r.index as i64)).collect()))];
        cols.extend(table);
        cols.push(("shard".into(), Col::Text(vec![self.shard.to_string(); n])));
        cols.push(("grid_bindings".into(), Col::Int(vec![Some(self.grid_bindings as i64); n])));
        cols.push(("fingerprint".into(), Col::Text(vec![self.fingerprint.to_string(); n])));
        cols
    }
}

/// Checks the estimated size of each file: `--out` (`out_format`, the first of `outs`, when
/// given) and the heatmap SVGs after it (`grid_len` cells at most). `rows`: the rows `--out`
/// holds and whether it is a shard's part (four more columns).
fn check_sizes(strategy: &Strategy, grid_len: usize, outs: &[Planned], out_format: Option<Format>, rows: (usize, bool)) -> Result<(), i32> {
    let program = strategy.program();
    if let (Some(o), Some(f)) = (outs.first(), out_format) {
        let columns = program.params.len() + 2 + output::METRIC_NAMES.len() + 2 + program.reports.len() + 3 * program.weights.len() + 4 * usize::from(rows.1);
        // JSON repeats the keys in every row.
        let columns = if f == Format::Json { columns * 2 } else { columns };
        check_output_size(o, rows.0, columns, 0)?;
    }
    for o in outs.iter().skip(usize::from(out_format.is_some())) {
        // An SVG cell is a rectangle and a label (~256 bytes), plus the frame.
        check_output_size(o, grid_len, 1, 4096 + 256 * grid_len as u64)?;
    }
    Ok(())
}

/// Writes `--out` (`out_format`: the first of `outs`; a shard's part with `part`) and, with
/// `svg` (the prefix, the heatmap metrics and `--by`), one heatmap SVG per metric.
fn write_files(
    strategy: &Strategy,
    grid: &Grid,
    rows: &[SweepRow],
    outs: &[Planned],
    out_format: Option<Format>,
    svg: Option<(&Path, &[&str], &str)>,
    part: Option<&Part>,
) -> Result<(), i32> {
    let params = strategy.params();
    if let (Some(o), Some(f)) = (outs.first(), out_format) {
        if f == Format::Json {
            let doc = serde_json::to_string(&strategy.sweep_report(grid, rows)).unwrap_or_default();
            let doc = part.map(|p| p.json(&doc, rows)).unwrap_or(doc);
            std::fs::write(&o.path, format!("{doc}\n"))
                .map_err(|e| fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable"))?;
        } else {
            let report_names: Vec<String> = strategy.program().reports.iter().map(|r| r.name.clone()).collect();
            let weights_names: Vec<String> = strategy.program().weights.iter().map(|w| w.name.clone()).collect();
            let layout = sweep_output::weights_layout(rows).unwrap_or(weights_names);
            let table = sweep_output::to_columns(rows, &params, &grid.names, &report_names, &layout);
            let table = match part {
                Some(p) => p.columns(rows, table),
                None => table,
            };
            write_output(o, f, &table)?;
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

/// The sweep for people: a summary line, the top table and the weighting of the top bindings
/// (`varying`: the grid's varying params).
fn print_tables(strategy: &Strategy, frame: &Frame, varying: &[bool], ranking: &sweep_output::Ranking, elapsed: f64) {
    use sweep_output as so;
    let params: Params = strategy.params();
    out!(
        "{}: {} bindings x {} bars in {:.3} s (one compilation, {} threads)\n",
        strategy.name(),
        ranking.total(),
        ranking.bars(),
        elapsed,
        rayon::current_num_threads()
    );
    outp!("{}", so::top_table(ranking, &params, varying));
    outp!("{}", so::weights_table(ranking, &params, varying, &frame.dates));
}
