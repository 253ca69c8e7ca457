//! Sweep results for people and machines: the top-N table, the terminal heatmap of a
//! two-parameter grid and the CSV table. The JSON document is [`strat::SweepReport`], serialised.

use crate::cli::output::{metric_values, METRIC_NAMES};
use strat::Params;
use strat_runtime::sweep::{Grid, SweepRow, SweepStats};
use strat_stdlib::metrics::{metric_def, RUN_MEASURES};

/// Names accepted by `--by` and `--heatmap`: the metrics plus the run measures
/// (`avg_turnover`, `information_ratio`; [`strat_stdlib::metrics::RUN_MEASURES`]).
pub fn metric_names() -> Vec<&'static str> {
    METRIC_NAMES.iter().copied().chain(RUN_MEASURES.iter().map(|r| r.0)).collect()
}

/// The column names the top table prints that are not metric names, with the metric each shows.
pub const COLUMN_ALIASES: [(&str, &str); 2] = [("max_dd", "max_drawdown"), ("turnover", "avg_turnover")];

/// The metric `name` denotes: a name of [`metric_names`], or a column name of the top table
/// ([`COLUMN_ALIASES`]: `max_dd`, `turnover`). `None` for any other name.
pub fn canonical_metric(name: &str) -> Option<&'static str> {
    metric_names().into_iter().find(|m| *m == name).or_else(|| COLUMN_ALIASES.iter().find(|a| a.0 == name).map(|a| a.1))
}

/// The closest accepted name to an unknown metric `name` (metric or table column), if any.
pub fn suggest_metric(name: &str) -> Option<&'static str> {
    let all: Vec<&'static str> = metric_names().into_iter().chain(COLUMN_ALIASES.iter().map(|a| a.0)).collect();
    strat_compiler::suggest::did_you_mean(name, all.iter().copied())
}

/// The value of metric `name` in `s` (None for an unknown name).
pub fn metric_of(s: &SweepStats, name: &str) -> Option<f64> {
    if let Some(d) = metric_def(name) {
        return Some((d.get)(&s.metrics));
    }
    match name {
        "avg_turnover" => Some(s.avg_turnover),
        "information_ratio" => Some(s.information_ratio),
        _ => None,
    }
}

/// Whether a larger value of `metric` is better (false for volatility and turnover): the
/// direction of the metrics table.
pub fn higher_is_better(metric: &str) -> bool {
    strat_stdlib::metrics::higher_is_better(metric)
}

/// Indices of the finished rows sorted best first by `metric` (NaN last; ties by grid order).
pub fn ranked(rows: &[SweepRow], metric: &str) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].result.is_ok()).collect();
    idx.sort_by(|&a, &b| rank_order(&rows[a], &rows[b], metric).then(a.cmp(&b)));
    idx
}

/// The params binding `index` uses and varies, as `name=value` pairs.
pub fn binding_text(params: &Params, grid: &Grid, index: usize) -> String {
    binding_text_of(params, &grid.varying, &grid.bindings[index], &grid.active[index])
}

/// The params a binding with `values` and `active` params uses among the `varying` ones, as
/// `name=value` pairs.
pub fn binding_text_of(params: &Params, varying: &[bool], values: &[f64], active: &[bool]) -> String {
    (0..values.len())
        .filter(|&i| varying[i] && active[i])
        .map(|i| format!("{}={}", params.names[i], params.display_value(i, values[i])))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A table cell: [`crate::cli::output::fmt_num`] (4 decimals, scientific beyond 1e9 or below 1e-4).
fn f4(x: f64) -> String {
    crate::cli::output::fmt_num(x)
}

/// The order of [`ranked`] between two finished rows: better first by `metric` (NaN last),
/// ties by grid index.
fn rank_order(a: &SweepRow, b: &SweepRow, metric: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let key = |r: &SweepRow| r.result.as_ref().ok().and_then(|s| metric_of(s, metric)).unwrap_or(f64::NAN);
    let (x, y) = (key(a), key(b));
    match (x.is_nan(), y.is_nan()) {
        (true, true) => a.index.cmp(&b.index),
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => {
            let o = if higher_is_better(metric) { y.partial_cmp(&x) } else { x.partial_cmp(&y) };
            o.unwrap_or(Ordering::Equal).then(a.index.cmp(&b.index))
        }
    }
}

/// What the sweep tables show of a sweep, gathered one row at a time so that a sweep of any size
/// needs only this: the best `n` finished rows by a metric (streaming top-k, in the order of
/// [`ranked`]), the number of rows, finished rows and failures, the first failure and the bars
/// of the first finished row.
#[derive(Debug, Clone)]
pub struct Ranking {
    metric: &'static str,
    n: usize,
    /// The best rows so far, best first, each with its active params.
    kept: Vec<(SweepRow, Vec<bool>)>,
    total: usize,
    finished: usize,
    any_weights: bool,
    first_failed: Option<(SweepRow, Vec<bool>)>,
    first_bars: Option<(usize, usize)>,
}

impl Ranking {
    /// An empty ranking keeping the best `n` rows by `metric`.
    pub fn new(metric: &'static str, n: usize) -> Ranking {
        Ranking { metric, n, kept: vec![], total: 0, finished: 0, any_weights: false, first_failed: None, first_bars: None }
    }

    /// The ranking of every row of `grid` (a sweep held in memory).
    pub fn of(rows: &[SweepRow], grid: &Grid, metric: &'static str, n: usize) -> Ranking {
        let mut r = Ranking::new(metric, n);
        for row in rows {
            r.push(row.clone(), grid.active[row.index].clone());
        }
        r
    }

    /// Adds one row (in any order) with the params its binding uses.
    pub fn push(&mut self, row: SweepRow, active: Vec<bool>) {
        self.total += 1;
        match &row.result {
            Err(_) => {
                if self.first_failed.as_ref().is_none_or(|f| row.index < f.0.index) {
                    self.first_failed = Some((row, active));
                }
            }
            Ok(st) => {
                self.finished += 1;
                self.any_weights |= !st.weights.is_empty();
                if self.first_bars.is_none_or(|(i, _)| row.index < i) {
                    self.first_bars = Some((row.index, st.bars));
                }
                // Kept unsorted and cut back to the best `n` whenever it reaches `2 n`: amortised
                // O(log n) per row, whatever `n` (an insertion into a sorted list would be O(n)).
                if self.n > 0 {
                    self.kept.push((row, active));
                    if self.kept.len() >= 2 * self.n {
                        self.compact();
                    }
                }
            }
        }
    }

    /// Sorts the kept rows best first and keeps the best `n`.
    fn compact(&mut self) {
        let metric = self.metric;
        self.kept.sort_by(|a, b| rank_order(&a.0, &b.0, metric));
        self.kept.truncate(self.n);
    }

    /// The best rows, best first (at most `n`).
    pub fn best(&self) -> Vec<&(SweepRow, Vec<bool>)> {
        let mut v: Vec<&(SweepRow, Vec<bool>)> = self.kept.iter().collect();
        v.sort_by(|a, b| rank_order(&a.0, &b.0, self.metric));
        v.truncate(self.n);
        v
    }

    /// Rows pushed.
    pub fn total(&self) -> usize {
        self.total
    }

    /// Rows that failed.
    pub fn failed(&self) -> usize {
        self.total - self.finished
    }

    /// The bars of the first finished row in grid order (0 when none finished).
    pub fn bars(&self) -> usize {
        self.first_bars.map(|b| b.1).unwrap_or(0)
    }
}

/// The top-`n` table of a ranking (`varying`: the grid's varying params).
pub fn top_table(r: &Ranking, params: &Params, varying: &[bool]) -> String {
    let (metric, n) = (r.metric, r.n);
    let text = |k: &(SweepRow, Vec<bool>)| binding_text_of(params, varying, &k.0.params, &k.1);
    let mut s = format!("top {} of {} bindings by {metric}\n", n.min(r.finished), r.total);
    let best = r.best();
    let width = best.iter().map(|k| text(k).len()).max().unwrap_or(7).max(7);
    s += &format!("{:>4}  {:<width$} {:>9} {:>9} {:>9} {:>9} {:>9}\n", "#", "binding", "sharpe", "calmar", "max_dd", "cagr", "turnover");
    for (k, kept) in best.into_iter().enumerate() {
        let Ok(st) = &kept.0.result else { continue };
        s += &format!(
            "{:>4}  {:<width$} {:>9} {:>9} {:>9} {:>9} {:>9}\n",
            k + 1,
            text(kept),
            f4(st.metrics.sharpe),
            f4(st.metrics.calmar),
            f4(st.metrics.max_drawdown),
            f4(st.metrics.cagr),
            f4(st.avg_turnover)
        );
    }
    if let Some(f) = &r.first_failed {
        s += &format!("{} binding(s) failed; first: {} ({})\n", r.failed(), text(f), f.0.result.as_ref().err().cloned().unwrap_or_default());
    }
    s
}

/// The two params of the heatmap: the last two varying numeric params (rows = the earlier one).
pub fn heatmap_axes(params: &Params, grid: &Grid) -> Option<(usize, usize)> {
    let numeric: Vec<usize> = (0..grid.names.len()).filter(|&i| grid.varying[i] && params.choices[i].is_empty()).collect();
    if numeric.len() < 2 {
        return None;
    }
    Some((numeric[numeric.len() - 2], numeric[numeric.len() - 1]))
}

/// The cells of a two-parameter heatmap of `metric`.
pub struct HeatmapData<'a> {
    /// Row param (index) and column param.
    pub axes: (usize, usize),
    /// Column values, row values.
    pub xs: Vec<f64>,
    /// Row values.
    pub ys: Vec<f64>,
    /// `values[r][c]` for row `ys[r]` and column `xs[c]` (NaN: missing or failed).
    pub values: Vec<Vec<f64>>,
    /// Bindings outside the two-dimensional slice, listed under the map (empty when `slice` is
    /// set).
    pub others: Vec<&'a SweepRow>,
    /// When the slice was chosen through the best binding: which one and what it fixed.
    pub slice: Option<SliceNote>,
}

/// How a heatmap's slice was chosen among several two-dimensional slices ([`heatmap_data`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SliceNote {
    /// Grid index of the best binding by `--by`, whose slice is drawn.
    pub binding: usize,
    /// The values of the other varying params in that binding, as `name=value` pairs.
    pub fixed: String,
    /// Bindings outside the slice (not drawn, not listed).
    pub outside: usize,
}

/// Collects a two-dimensional slice of the grid over the two heatmap axes (the other params
/// fixed). The bindings are grouped by the values of the other params; a group is
/// *two-dimensional* when it has at least two values on each axis. With one such group (or
/// none), the slice is the largest group and every binding outside it (e.g. baselines under
/// another choice) is in `others`. With several (a grid of more than two numeric params), the
/// slice is the group of the best binding by `by` ([`ranked`]) among the two-dimensional groups,
/// `others` is empty and `fixed` names that binding and the group's size; `by` is a name of
/// [`metric_names`].
pub fn heatmap_data<'a>(rows: &'a [SweepRow], params: &Params, grid: &Grid, metric: &str, by: &str) -> Option<HeatmapData<'a>> {
    let (yi, xi) = heatmap_axes(params, grid)?;
    let key = |r: &SweepRow| -> Vec<u64> { r.params.iter().enumerate().filter(|(i, _)| *i != xi && *i != yi).map(|(_, v)| v.to_bits()).collect() };
    // (key, bindings, distinct column values, distinct row values)
    type Group = (Vec<u64>, usize, Vec<u64>, Vec<u64>);
    let mut groups: Vec<Group> = vec![];
    for r in rows {
        let k = key(r);
        let g = match groups.iter_mut().position(|g| g.0 == k) {
            Some(i) => &mut groups[i],
            None => {
                groups.push((k, 0, vec![], vec![]));
                groups.last_mut()?
            }
        };
        g.1 += 1;
        let (x, y) = (r.params[xi].to_bits(), r.params[yi].to_bits());
        if !g.2.contains(&x) {
            g.2.push(x);
        }
        if !g.3.contains(&y) {
            g.3.push(y);
        }
    }
    let two_d: Vec<&Vec<u64>> = groups.iter().filter(|g| g.2.len() >= 2 && g.3.len() >= 2).map(|g| &g.0).collect();
    let mut fixed = None;
    let best = if two_d.len() >= 2 {
        let top = ranked(rows, by).into_iter().find(|&i| two_d.contains(&&key(&rows[i])));
        let i = top.unwrap_or_else(|| rows.iter().position(|r| key(r) == *two_d[0]).unwrap_or(0));
        let k = key(&rows[i]);
        let text = (0..grid.names.len())
            .filter(|&p| p != xi && p != yi && grid.varying[p] && grid.active[rows[i].index][p])
            .map(|p| format!("{}={}", params.names[p], params.display_value(p, rows[i].params[p])))
            .collect::<Vec<_>>()
            .join(" ");
        fixed = Some(SliceNote { binding: rows[i].index, fixed: text, outside: rows.iter().filter(|r| key(r) != k).count() });
        k
    } else {
        groups.iter().max_by_key(|g| g.1)?.0.clone()
    };
    let slice: Vec<&SweepRow> = rows.iter().filter(|r| key(r) == best).collect();
    let mut xs: Vec<f64> = vec![];
    let mut ys: Vec<f64> = vec![];
    for r in &slice {
        if !xs.contains(&r.params[xi]) {
            xs.push(r.params[xi]);
        }
        if !ys.contains(&r.params[yi]) {
            ys.push(r.params[yi]);
        }
    }
    let val = |x: f64, y: f64| -> f64 {
        slice
            .iter()
            .find(|r| r.params[xi] == x && r.params[yi] == y)
            .and_then(|r| r.result.as_ref().ok())
            .and_then(|s| metric_of(s, metric))
            .unwrap_or(f64::NAN)
    };
    let values: Vec<Vec<f64>> = ys.iter().map(|&y| xs.iter().map(|&x| val(x, y)).collect()).collect();
    let others: Vec<&SweepRow> = if fixed.is_some() { vec![] } else { rows.iter().filter(|r| key(r) != best).collect() };
    Some(HeatmapData { axes: (yi, xi), xs, ys, values, others, slice: fixed })
}

/// A terminal heatmap of `metric` over two varying params, on the slice [`heatmap_data`]
/// chooses (`by` ranks the bindings when several slices exist); bindings outside a single
/// two-dimensional slice (e.g. baselines under another choice) are listed under it, and a slice
/// chosen through the best binding says which values it fixed.
pub fn heatmap(rows: &[SweepRow], params: &Params, grid: &Grid, metric: &str, by: &str) -> Option<String> {
    let HeatmapData { axes: (yi, xi), xs, ys, values, others, slice } = heatmap_data(rows, params, grid, metric, by)?;
    let val = |x: f64, y: f64| -> f64 {
        let r = ys.iter().position(|&v| v == y).unwrap_or(0);
        let c = xs.iter().position(|&v| v == x).unwrap_or(0);
        values[r][c]
    };
    let all: Vec<f64> = values.iter().flatten().copied().filter(|v| !v.is_nan()).collect();
    let (lo, hi) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    const SHADES: [&str; 5] = [" ", "░", "▒", "▓", "█"];
    let shade = |v: f64| -> &str {
        if v.is_nan() || hi <= lo {
            return " ";
        }
        let mut f = (v - lo) / (hi - lo);
        if !higher_is_better(metric) {
            f = 1.0 - f;
        }
        SHADES[((f * 4.0).round() as usize).min(4)]
    };
    let mut s = format!("{metric}: rows {} x columns {} (darker = better)\n", grid.names[yi], grid.names[xi]);
    s += &format!("{:>10} ", "");
    for &x in &xs {
        s += &format!("{:>9}", trim(x));
    }
    s += "\n";
    for &y in &ys {
        s += &format!("{:>10} ", trim(y));
        for &x in &xs {
            let v = val(x, y);
            s += &format!("{:>8}{}", heat_cell(v), shade(v));
        }
        s += "\n";
    }
    for r in others {
        let v = r.result.as_ref().ok().and_then(|s| metric_of(s, metric)).unwrap_or(f64::NAN);
        s += &format!("  {}: {metric} {}\n", binding_text(params, grid, r.index), f4(v));
    }
    if let Some(n) = slice {
        s += &format!("  slice through the best binding by {by} (#{}): fixed {}; {} other binding(s) not shown\n", n.binding, n.fixed, n.outside);
    }
    Some(s)
}

fn trim(x: f64) -> String {
    let s = format!("{x}");
    if s.len() > 8 {
        crate::cli::output::fmt_num(x)
    } else {
        s
    }
}

/// A heatmap cell: 3 decimals, or scientific notation (`1.23e300`) when `|v| >= 1e6` or
/// `0 < |v| < 1e-3`, so a cell never prints hundreds of digits; `—` for NaN.
fn heat_cell(v: f64) -> String {
    if v.is_nan() {
        "—".to_string()
    } else if v.is_finite() && (v.abs() >= 1e6 || (v != 0.0 && v.abs() < 1e-3)) {
        format!("{v:.2e}")
    } else {
        format!("{v:.3}")
    }
}

/// The weighting summary of a ranking's top bindings, side by side: per `weights` run its
/// method, rebalances, average turnover per rebalance and fallbacks, then the fallback log
/// grouped by cause (dates from `dates`, the frame's day numbers). Empty without `weights`.
pub fn weights_table(r: &Ranking, params: &Params, varying: &[bool], dates: &[i32]) -> String {
    use strat_runtime::frame::format_date;
    if !r.any_weights {
        return String::new();
    }
    let (metric, n) = (r.metric, r.n);
    let text = |k: &(SweepRow, Vec<bool>)| binding_text_of(params, varying, &k.0.params, &k.1);
    let best = r.best();
    let width = best.iter().map(|k| text(k).len()).max().unwrap_or(7).max(7);
    let mut s = format!("\nweighting of the top {} by {metric}\n", n.min(r.finished));
    s += &format!("{:>4}  {:<width$} {:<8} {:<12} {:>10} {:>11} {:>9}\n", "#", "binding", "weights", "method", "rebalances", "rb_turnover", "fallbacks");
    let mut log = String::new();
    let date = |t: usize| dates.get(t).map(|&d| format_date(d)).unwrap_or_default();
    for (k, kept) in best.into_iter().enumerate() {
        let Ok(st) = &kept.0.result else { continue };
        let b = text(kept);
        for w in &st.weights {
            s += &format!(
                "{:>4}  {:<width$} {:<8} {:<12} {:>10} {:>11} {:>9}\n",
                k + 1,
                b,
                w.name,
                w.method,
                w.rebalances,
                f4(w.avg_rebalance_turnover),
                w.fallbacks
            );
            for g in &w.groups {
                let when = g.when(date);
                log += &format!("{:>4}  {b} {}: x{} ({when}) {}\n", k + 1, w.name, g.count, g.example);
            }
        }
    }
    if !log.is_empty() {
        s += "\nfallback log (grouped by cause and step)\n";
        s += &log;
    }
    s
}

/// The sweep as typed columns for CSV and Parquet: one column per param in declaration order
/// (`Float64` for a numeric param, text with the choice name for a choice param), `error`
/// (text, empty when the binding ran), `bars` (`Int64`), the metrics, `avg_turnover`,
/// `information_ratio`, the reports, and per `weights` run `NAME.rebalances` and
/// `NAME.fallbacks` (`Int64`) and `NAME.avg_rebalance_turnover` (`Float64`). A failed binding
/// has missing values in every column after `error`.
///
/// `weights_layout` names the `weights` runs whose columns are written, in order
/// ([`weights_layout`]), so that every slice of a streamed table has the same columns.
pub fn to_columns(
    rows: &[SweepRow],
    params: &Params,
    names: &[String],
    report_names: &[String],
    weights_layout: &[String],
) -> Vec<(String, strat_runtime::write::Col)> {
    use strat_runtime::write::Col;
    let mut cols = vec![];
    for (i, name) in names.iter().enumerate() {
        let col = if params.choices[i].is_empty() {
            Col::Float(rows.iter().map(|r| r.params[i]).collect())
        } else {
            Col::Text(rows.iter().map(|r| params.display_value(i, r.params[i])).collect())
        };
        cols.push((name.clone(), col));
    }
    cols.push(("error".into(), Col::Text(rows.iter().map(|r| r.result.as_ref().err().cloned().unwrap_or_default()).collect())));
    let get = |f: &dyn Fn(&SweepStats) -> f64| -> Col { Col::Float(rows.iter().map(|r| r.result.as_ref().map(f).unwrap_or(f64::NAN)).collect()) };
    cols.push(("bars".to_string(), Col::Int(rows.iter().map(|r| r.result.as_ref().ok().map(|s| s.bars as i64)).collect())));
    for (k, name) in METRIC_NAMES.iter().enumerate() {
        cols.push((name.to_string(), get(&|s| metric_values(&s.metrics)[k])));
    }
    cols.push(("avg_turnover".into(), get(&|s| s.avg_turnover)));
    cols.push(("information_ratio".into(), get(&|s| s.information_ratio)));
    for (k, name) in report_names.iter().enumerate() {
        cols.push((name.clone(), get(&|s| s.reports.get(k).copied().unwrap_or(f64::NAN))));
    }
    for (k, w_name) in weights_layout.iter().enumerate() {
        let weights = |r: &SweepRow| weights_of(r, k).map(|w| (w.rebalances, w.fallbacks, w.avg_rebalance_turnover));
        cols.push((format!("{w_name}.rebalances"), Col::Int(rows.iter().map(|r| weights(r).map(|w| w.0 as i64)).collect())));
        cols.push((format!("{w_name}.fallbacks"), Col::Int(rows.iter().map(|r| weights(r).map(|w| w.1 as i64)).collect())));
        cols.push((format!("{w_name}.avg_rebalance_turnover"), Col::Float(rows.iter().map(|r| weights(r).map(|w| w.2).unwrap_or(f64::NAN)).collect())));
    }
    cols
}

/// The `weights` runs a sweep table has columns for: those of the first binding in `rows` that
/// ran; `None` when none did (the caller then takes the program's `weights` declarations, e.g.
/// for a shard whose bindings all failed).
pub fn weights_layout(rows: &[SweepRow]) -> Option<Vec<String>> {
    rows.iter().find_map(|r| r.result.as_ref().ok().map(|s| s.weights.iter().map(|w| w.name.clone()).collect()))
}

/// The `k`-th `weights` summary of a binding that ran.
fn weights_of(r: &SweepRow, k: usize) -> Option<&strat_runtime::sweep::WeightsStats> {
    r.result.as_ref().ok().and_then(|s| s.weights.get(k))
}

/// Writes the heatmap of `metric` as an SVG file (plotters): one coloured cell per binding of
/// the two-dimensional slice, its value printed in the cell, brighter = better.
/// `by` chooses the slice as in [`heatmap_data`]; a slice through the best binding is named under
/// the title.
pub fn heatmap_svg(path: &std::path::Path, rows: &[SweepRow], params: &Params, grid: &Grid, metric: &str, by: &str, title: &str) -> Result<(), String> {
    let svg = heatmap_svg_text(rows, params, grid, metric, by, title)?;
    std::fs::write(path, svg).map_err(|e| e.to_string())
}

/// The SVG text of [`heatmap_svg`] (for a report page).
pub fn heatmap_svg_text(rows: &[SweepRow], params: &Params, grid: &Grid, metric: &str, by: &str, title: &str) -> Result<String, String> {
    let mut svg = String::new();
    draw_heatmap(&mut svg, rows, params, grid, metric, by, title)?;
    Ok(svg)
}

fn draw_heatmap(svg: &mut String, rows: &[SweepRow], params: &Params, grid: &Grid, metric: &str, by: &str, title: &str) -> Result<(), String> {
    use plotters::prelude::*;
    let d = heatmap_data(rows, params, grid, metric, by).ok_or("a heatmap needs two swept numeric params")?;
    let (nr, nc) = (d.ys.len(), d.xs.len());
    let (cell_w, cell_h, left, top) = (70i32, 32i32, 110i32, 60i32);
    let width = (left + cell_w * nc as i32 + 30) as u32;
    let height = (top + cell_h * nr as i32 + 60) as u32;
    let root = SVGBackend::with_string(svg, (width, height)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| e.to_string();
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let all: Vec<f64> = d.values.iter().flatten().copied().filter(|v| !v.is_nan()).collect();
    let (lo, hi) = all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let colour = |v: f64| -> RGBColor {
        if v.is_nan() || hi <= lo {
            return RGBColor(220, 220, 220);
        }
        let mut f = (v - lo) / (hi - lo);
        if !higher_is_better(metric) {
            f = 1.0 - f;
        }
        // Dark blue (worst) to yellow (best).
        let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
        RGBColor(lerp(40.0, 250.0), lerp(30.0, 220.0), lerp(110.0, 50.0))
    };
    let text = |s: String, x: i32, y: i32, size: i32| Text::new(s, (x, y), ("sans-serif", size).into_font());
    root.draw(&text(format!("{title}: {metric}"), 10, 10, 16)).map_err(|e| err(&e))?;
    let axes = format!("rows {} / columns {}", grid.names[d.axes.0], grid.names[d.axes.1]);
    let axes = match &d.slice {
        Some(n) => format!("{axes}; slice through #{} (best by {by}): {}", n.binding, n.fixed),
        None => axes,
    };
    root.draw(&text(axes, 10, 32, 12)).map_err(|e| err(&e))?;
    for (c, x) in d.xs.iter().enumerate() {
        root.draw(&text(trim(*x), left + c as i32 * cell_w + 8, top + nr as i32 * cell_h + 8, 12)).map_err(|e| err(&e))?;
    }
    for (r, y) in d.ys.iter().enumerate() {
        root.draw(&text(trim(*y), 10, top + r as i32 * cell_h + 10, 12)).map_err(|e| err(&e))?;
        for c in 0..nc {
            let v = d.values[r][c];
            let (x0, y0) = (left + c as i32 * cell_w, top + r as i32 * cell_h);
            root.draw(&Rectangle::new([(x0, y0), (x0 + cell_w - 2, y0 + cell_h - 2)], colour(v).filled())).map_err(|e| err(&e))?;
            let label = if v.is_nan() { "—".to_string() } else { format!("{v:.3}") };
            let RGBColor(r8, g8, b8) = colour(v);
            let light = 0.299 * r8 as f64 + 0.587 * g8 as f64 + 0.114 * b8 as f64 > 140.0;
            let ink = if light { BLACK } else { WHITE };
            root.draw(&Text::new(label, (x0 + 10, y0 + 9), ("sans-serif", 12).into_font().color(&ink))).map_err(|e| err(&e))?;
        }
    }
    root.present().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_column_names_denote_their_metrics() {
        assert_eq!(canonical_metric("sharpe"), Some("sharpe"));
        assert_eq!(canonical_metric("turnover"), Some("avg_turnover"));
        assert_eq!(canonical_metric("max_dd"), Some("max_drawdown"));
        assert_eq!(canonical_metric("avg_turnover"), Some("avg_turnover"));
        assert_eq!(canonical_metric("sharp"), None);
        assert_eq!(suggest_metric("sharp"), Some("sharpe"));
        assert_eq!(suggest_metric("turnovr"), Some("turnover"));
        assert_eq!(suggest_metric("zzzzzzzz"), None);
    }

    /// A row whose metrics come from `returns` (so its sharpe, calmar, ... are those of the
    /// series), or a failure.
    fn row(index: usize, returns: Option<&[f64]>) -> SweepRow {
        let result = match returns {
            Some(r) => Ok(SweepStats {
                bars: r.len(),
                metrics: strat_stdlib::metrics::metrics(r, &vec![1.0; r.len()], 252.0),
                avg_turnover: index as f64,
                information_ratio: f64::NAN,
                reports: vec![],
                weights: vec![],
            }),
            None => Err(format!("binding {index} failed")),
        };
        SweepRow { index, params: vec![index as f64], result }
    }

    #[test]
    fn the_streaming_ranking_keeps_the_top_rows_of_the_full_ranking() {
        // 300 rows: some failed, some with NaN metrics (a flat series has no Sharpe), many ties.
        let series: Vec<Vec<f64>> = (0..300).map(|i| (0..20).map(|t| (((i * 7 + t * 13) % 11) as f64 - 5.0 + (i % 4) as f64) / 1000.0).collect()).collect();
        let rows: Vec<SweepRow> = (0..300)
            .map(|i| match i % 10 {
                3 => row(i, None),
                5 => row(i, Some(&[0.0; 20])),
                _ => row(i, Some(&series[i])),
            })
            .collect();
        let grid =
            Grid { names: vec!["x".into()], bindings: rows.iter().map(|r| r.params.clone()).collect(), varying: vec![true], active: vec![vec![true]; 300] };
        for metric in ["sharpe", "max_drawdown", "ann_vol", "avg_turnover"] {
            for n in [0, 1, 5, 20, 400] {
                let want: Vec<usize> = ranked(&rows, metric).into_iter().take(n).map(|i| rows[i].index).collect();
                // Rows arrive in any order (a reversed and an interleaved one).
                let orders: [Vec<usize>; 2] = [(0..300).rev().collect(), (0..300).map(|i| (i * 77) % 300).collect()];
                for order in orders {
                    let mut r = Ranking::new(canonical_metric(metric).unwrap(), n);
                    for &i in &order {
                        r.push(rows[i].clone(), vec![true]);
                    }
                    let got: Vec<usize> = r.best().iter().map(|k| k.0.index).collect();
                    assert_eq!(got, want, "{metric} top {n}");
                    assert_eq!((r.total(), r.failed(), r.bars()), (300, 30, 20));
                    assert_eq!(r.first_failed.as_ref().map(|f| f.0.index), Some(3));
                }
                assert_eq!(Ranking::of(&rows, &grid, canonical_metric(metric).unwrap(), n).best().iter().map(|k| k.0.index).collect::<Vec<_>>(), want);
            }
        }
    }
}
