//! The tear sheet of one run (`strat report`): one self-contained HTML page, inline CSS and
//! inline SVG charts, no script and no network, that reads like quantstats' or pyfolio's:
//! the metrics of strategy and benchmark, equity on a log axis, the underwater chart with the
//! five worst drawdowns, monthly and annual returns, rolling Sharpe and volatility, exposure,
//! kill switches, and the program with its params and data.
//!
//! Every number that is also in `strat run --json` is the same value (the page carries it in a
//! `data-value` attribute as the shortest round-trip decimal, beside its formatted text).

pub mod charts;
mod regimes;
pub mod studies;

use crate::{Frame, Params, RunResult, Strategy};
use charts::{Line, Unit};
use strat_runtime::frame::{format_date, year_month_day};
use strat_stdlib::metrics::METRIC_NAMES;
use strat_stdlib::periods::{compound_by, rolling_sharpe, rolling_volatility, worst_drawdowns};

/// The spans (as date positions `x(t)`) of the runs of `on` over rows `t0 .. rows`: each from
/// the row it turns on to the row it turns off (the last row for a run still on at the end).
fn spans_of(on: &[bool], t0: usize, rows: usize, x: impl Fn(usize) -> f64) -> Vec<(f64, f64)> {
    let mut out = vec![];
    let mut start = None;
    for t in t0..rows {
        match (on.get(t).copied().unwrap_or(false), start) {
            (true, None) => start = Some(t),
            (false, Some(s)) => {
                out.push((x(s), x(t)));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((x(s), x(rows - 1)));
    }
    out
}

/// The runs of consecutive true rows of a condition over `t0 .. rows`: how many, the first
/// row of the first and the last row of the last.
struct TrueRuns {
    count: usize,
    first: Option<usize>,
    last: Option<usize>,
}

impl TrueRuns {
    fn of(on: &[bool], t0: usize, rows: usize) -> TrueRuns {
        let mut r = TrueRuns { count: 0, first: None, last: None };
        for t in t0..rows {
            if on[t] {
                if t == t0 || !on[t - 1] {
                    r.count += 1;
                }
                r.first.get_or_insert(t);
                r.last = Some(t);
            }
        }
        r
    }
}

/// The alerts: how often and when each fired, its state on the last bar with the values its
/// condition read, its last episodes, and a chart of when each fired.
fn alerts_section(frame: &Frame, r: &RunResult, reports: &[crate::report::AlertReport], t0: usize, rows: usize, pngs: &mut Pngs) -> Result<String, String> {
    let x = |d: i32| charts::year_of(d);
    let mut html = String::from(
        "<section id=\"alerts\"><h2>Alerts</h2><table><thead><tr><th>alert</th><th>condition</th><th>fired bars</th><th>share</th><th>episodes</th><th>first</th><th>last</th><th>on the last bar</th></tr></thead><tbody>\n",
    );
    let mut lines: Vec<charts::Strip> = vec![];
    let mut recent = String::new();
    for (i, (a, rep)) in r.alerts.iter().zip(reports).enumerate() {
        let values: Vec<String> = rep.values.iter().map(|(k, v)| format!("{} = {v}", escape(k))).collect();
        let state = if rep.firing { "<strong class=\"loss\">FIRING</strong>" } else { "quiet" };
        html += &format!(
            "<tr data-alert=\"{}\"><th>{}</th><td><code>{}</code></td><td class=\"n\" data-key=\"alert.{}.fired_bars\" data-value=\"{}\">{}</td><td class=\"n\" data-key=\"alert.{}.fired_share\" data-value=\"{}\">{}</td><td class=\"n\" data-key=\"alert.{}.episodes\" data-value=\"{}\">{}</td><td>{}</td><td>{}</td><td>{state}<br><small>{}</small></td></tr>\n",
            escape(&a.name),
            escape(&a.name),
            escape(&a.condition),
            escape(&a.name),
            rep.fired_bars,
            rep.fired_bars,
            escape(&a.name),
            raw(rep.fired_share),
            pct(rep.fired_share, 1),
            escape(&a.name),
            rep.episodes.len(),
            rep.episodes.len(),
            rep.first.as_deref().unwrap_or("never"),
            rep.last.as_deref().unwrap_or("never"),
            values.join(", ")
        );
        for e in rep.episodes.iter().rev().take(5) {
            recent += &format!("<tr><th>{}</th><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>\n", escape(&a.name), e.start, e.end, e.bars);
        }
        lines.push(charts::Strip {
            name: &a.name,
            colour: charts::PALETTE[i % charts::PALETTE.len()],
            spans: spans_of(&a.fired, t0, rows, |t| x(frame.dates[t])),
        });
    }
    html += "</tbody></table>\n";
    if !recent.is_empty() {
        html += "<h3>Last episodes of each alert</h3><table><thead><tr><th>alert</th><th>from</th><th>to</th><th>bars</th></tr></thead><tbody>\n";
        html += &recent;
        html += "</tbody></table>\n";
    }
    html += "</section>\n";
    let (x0, x1) = (x(frame.dates[t0.min(rows - 1)]), x(frame.dates[rows - 1]));
    html += &pngs.section(
        "alerts-fired",
        "When each alert fired (one row per alert, filled while it fires)",
        charts::Chart::strips("Alerts firing", x0, x1, &lines),
    )?;
    Ok(html)
}

/// The rows of `frame` where a column read from the file `path` (as the program names it) has a
/// value: (first row, last row, number of such rows); `None` when no column of the frame comes
/// from that file (an in-memory source) or none has a value.
fn source_range(frame: &Frame, path: &str) -> Option<(usize, usize, usize)> {
    let cols: Vec<&Vec<f64>> =
        frame.columns.iter().zip(&frame.origins).filter(|(_, o)| o.as_ref().is_some_and(|o| o.file.ends_with(path))).map(|(c, _)| c).collect();
    let has = |t: usize| cols.iter().any(|c| c[t].is_finite());
    let rows: Vec<usize> = (0..frame.len()).filter(|&t| has(t)).collect();
    Some((*rows.first()?, *rows.last()?, rows.len()))
}

/// `s` with `&`, `<`, `>` and `"` escaped for HTML text and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A float as `data-value` holds it: the shortest decimal that reads back to the same `f64`
/// (`NaN`, `inf`, `-inf` as such).
pub(crate) fn raw(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else {
        format!("{x:?}")
    }
}

/// The text of a value that is not a finite number (`—` for NaN, `+∞`, `−∞`), `None` for a
/// finite one.
fn not_finite(x: f64) -> Option<String> {
    if x.is_nan() {
        Some("—".into())
    } else if x.is_infinite() {
        Some(if x > 0.0 { "+∞" } else { "−∞" }.into())
    } else {
        None
    }
}

/// A fraction as percent with `d` decimals; `—` for NaN.
pub(crate) fn pct(x: f64, d: usize) -> String {
    not_finite(x).unwrap_or_else(|| format!("{:.*}%", d, x * 100.0))
}

/// A ratio with 2 decimals; `—` for NaN.
pub(crate) fn num(x: f64) -> String {
    not_finite(x).unwrap_or_else(|| format!("{x:.2}"))
}

/// Whether a metric is a fraction shown as percent (returns, drawdowns, volatility, exposure).
fn is_fraction(name: &str) -> bool {
    matches!(
        name,
        "total_return"
            | "cagr"
            | "ann_vol"
            | "max_drawdown"
            | "var_95"
            | "cvar_95"
            | "avg_exposure"
            | "avg_turnover"
            | "cost_drag"
            | "active_return"
            | "tracking_error"
            | "alpha"
    )
}

/// A table cell of metric `key` for `who` (`strategy`, `benchmark`).
pub(crate) fn metric_cell(who: &str, key: &str, x: f64) -> String {
    let text = if is_fraction(key) { pct(x, 2) } else { num(x) };
    format!("<td class=\"n\" data-key=\"{who}.{key}\" data-value=\"{}\">{}</td>", raw(x), escape(&text))
}

/// A human label of a metric key.
pub(crate) fn label(key: &str) -> &str {
    match key {
        "total_return" => "Total return",
        "cagr" => "CAGR",
        "ann_vol" => "Volatility (ann.)",
        "sharpe" => "Sharpe ratio",
        "sortino" => "Sortino ratio",
        "max_drawdown" => "Max drawdown",
        "calmar" => "Calmar ratio",
        "var_95" => "VaR 95% (daily, historical)",
        "cvar_95" => "CVaR 95% (daily, historical)",
        "omega" => "Omega ratio",
        "avg_exposure" => "Average exposure",
        "information_ratio" => "Information ratio",
        "active_return" => "Active return (ann.)",
        "tracking_error" => "Tracking error",
        "beta" => "Beta",
        "alpha" => "Alpha (ann.)",
        "avg_turnover" => "Average turnover per bar",
        "cost_drag" => "Cost drag",
        other => other,
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// The background of a return cell: green for gains, red for losses, stronger with size.
fn heat(x: f64) -> String {
    if !x.is_finite() {
        return "#f4f4f4".into();
    }
    let f = (x.abs() / 0.10).min(1.0);
    let (r, g, b) = if x >= 0.0 { (230.0 - 130.0 * f, 245.0 - 45.0 * f, 230.0 - 130.0 * f) } else { (250.0 - 20.0 * f, 230.0 - 140.0 * f, 230.0 - 140.0 * f) };
    format!("rgb({:.0},{:.0},{:.0})", r, g, b)
}

/// What a tear sheet shows beyond the run: the scale of the equity axis and the metric
/// conventions the run's figures follow (the footnote names them).
#[derive(Debug, Clone, Copy, Default)]
pub struct TearSheetOptions {
    /// Draw the equity chart on a linear axis (default: log).
    pub linear: bool,
    /// The conventions [`crate::report::Conventions::apply`] applied to the run's figures.
    pub conventions: crate::report::Conventions,
}

/// The tear sheet of `result`, the run of `strategy` with `params` on `frame`, as one HTML page.
///
/// Errors: a chart cannot be drawn (a message naming it).
pub fn tear_sheet(strategy: &Strategy, frame: &Frame, params: &Params, result: &RunResult, options: &TearSheetOptions) -> Result<String, String> {
    tear_sheet_into(strategy, frame, params, result, options, &mut Pngs(None))
}

/// [`tear_sheet`], with every chart also drawn as a PNG: the page and the charts as (section
/// id, PNG bytes) in page order (`equity`, `underwater`, `annual`, ...).
pub fn tear_sheet_with_png(
    strategy: &Strategy,
    frame: &Frame,
    params: &Params,
    result: &RunResult,
    options: &TearSheetOptions,
) -> Result<(String, Vec<NamedPng>), String> {
    let mut pngs = Pngs(Some(vec![]));
    let html = tear_sheet_into(strategy, frame, params, result, options, &mut pngs)?;
    Ok((html, pngs.0.unwrap_or_default()))
}

fn tear_sheet_into(
    strategy: &Strategy,
    frame: &Frame,
    params: &Params,
    result: &RunResult,
    options: &TearSheetOptions,
    pngs: &mut Pngs,
) -> Result<String, String> {
    let mut report = strategy.report(frame, result);
    report.conventions = options.conventions;
    let bt = &result.backtest;
    let t0 = bt.first_live;
    let ppy = strategy.program().annualize;
    // Dates of the equity curve: t0 (equity 1) then every return row.
    let eq_days: Vec<i32> = std::iter::once(frame.dates[t0]).chain(bt.rows.clone().map(|t| frame.dates[t])).collect();
    let equity: Vec<f64> = std::iter::once(1.0).chain(bt.equity.iter().copied()).collect();
    let ret_days: Vec<i32> = bt.rows.clone().map(|t| frame.dates[t]).collect();
    let x = charts::year_of;
    let name = strategy.name();
    let mut html = page_start(&format!("{name} — tear sheet"));
    html += &format!(
        "<header><h1>{}</h1><p>{} bars, {} to {} · {} bars a year · Strat {}</p></header>\n",
        escape(name),
        report.bars,
        escape(&report.start),
        escape(&report.end),
        ppy,
        env!("CARGO_PKG_VERSION")
    );

    // Metrics.
    html += "<section id=\"metrics\"><h2>Metrics</h2><table class=\"metrics\"><thead><tr><th>metric</th><th>strategy</th>";
    if report.benchmark.is_some() {
        html += "<th>benchmark</th>";
    }
    html += "</tr></thead><tbody>\n";
    for key in METRIC_NAMES.iter() {
        let v = report.metrics.get(key).unwrap_or(f64::NAN);
        html += &format!("<tr><th>{}</th>{}", label(key), metric_cell("strategy", key, v));
        if let Some(b) = &report.benchmark {
            html += &metric_cell("benchmark", key, b.get(key).unwrap_or(f64::NAN));
        }
        html += "</tr>\n";
    }
    let extra: [(&str, f64); 7] = [
        ("information_ratio", report.information_ratio),
        ("active_return", report.active_return),
        ("tracking_error", report.tracking_error),
        ("beta", report.beta),
        ("alpha", report.alpha),
        ("avg_turnover", report.avg_turnover),
        ("cost_drag", report.cost_drag),
    ];
    for (key, v) in extra {
        if v.is_nan() && report.benchmark.is_none() && key != "avg_turnover" && key != "cost_drag" {
            continue;
        }
        html += &format!("<tr><th>{}</th>{}", label(key), metric_cell("strategy", key, v));
        if report.benchmark.is_some() {
            html += "<td></td>";
        }
        html += "</tr>\n";
    }
    html += "</tbody></table>";
    if let Some(d) = &report.ruin_date {
        html += &format!("<p class=\"warn\">The book was ruined on {} (equity ≤ 0); it is closed from there.</p>", escape(d));
    }
    html += "</section>\n";

    // Equity.
    let mut eq_lines = vec![Line { name: "strategy", colour: charts::STRATEGY, points: eq_days.iter().zip(&equity).map(|(&d, &e)| (x(d), e)).collect() }];
    if let Some(b) = &bt.benchmark_returns {
        let be: Vec<f64> = std::iter::once(1.0).chain(strat_stdlib::metrics::equity_curve(b)).collect();
        eq_lines.push(Line { name: "benchmark", colour: charts::BENCHMARK, points: eq_days.iter().zip(&be).map(|(&d, &e)| (x(d), e)).collect() });
    }
    let rows = frame.len();
    let (unit, scale) = if options.linear { (Unit::GrowthLinear, "linear scale") } else { (Unit::Growth, "log scale") };
    let chart_title = format!("Cumulative return, {scale}");
    match regimes::shading(strategy.program(), result) {
        Some(g) => {
            let bands = regimes::bands(g, frame, t0, rows);
            let title = format!("Equity (growth of 1, {scale}), shaded by the arm of `{}`", g.name);
            html += &pngs.section("equity", &title, charts::Chart::lines_with_bands(&chart_title, &eq_lines, unit, &bands))?;
        }
        None => html += &pngs.section("equity", &format!("Equity (growth of 1, {scale})"), charts::Chart::lines(&chart_title, &eq_lines, unit))?,
    }

    // Drawdowns.
    let mut peak = f64::NEG_INFINITY;
    let dd: Vec<(f64, f64)> = eq_days
        .iter()
        .zip(&equity)
        .map(|(&d, &e)| {
            peak = peak.max(e);
            (x(d), e / peak - 1.0)
        })
        .collect();
    html += &pngs.section("underwater", "Underwater (drawdown from the running peak)", charts::Chart::underwater("Drawdown", &dd))?;
    html += "<section id=\"worst-drawdowns\"><h2>Worst drawdowns</h2><table><thead><tr><th>#</th><th>peak</th><th>trough</th><th>recovery</th><th>depth</th><th>bars</th><th>days</th></tr></thead><tbody>\n";
    for (k, w) in worst_drawdowns(&equity, 5).iter().enumerate() {
        let end = w.recovery.unwrap_or(equity.len() - 1);
        html += &format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\" data-key=\"drawdown.{}\" data-value=\"{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>\n",
            k + 1,
            format_date(eq_days[w.peak]),
            format_date(eq_days[w.trough]),
            w.recovery.map(|r| format_date(eq_days[r])).unwrap_or_else(|| "not recovered".into()),
            k + 1,
            raw(w.depth),
            pct(w.depth, 2),
            end - w.peak,
            eq_days[end] - eq_days[w.peak]
        );
    }
    html += "</tbody></table></section>\n";

    // Monthly and annual returns.
    let ym: Vec<(i32, u32)> = ret_days
        .iter()
        .map(|&d| {
            let (y, m, _) = year_month_day(d);
            (y, m)
        })
        .collect();
    let monthly = compound_by(&ym, &bt.returns);
    let years: Vec<i32> = ym.iter().map(|k| k.0).collect();
    let annual = compound_by(&years, &bt.returns);
    html += "<section id=\"monthly\"><h2>Monthly returns</h2><table class=\"monthly\"><thead><tr><th>year</th>";
    for m in MONTHS {
        html += &format!("<th>{m}</th>");
    }
    html += "<th>year</th></tr></thead><tbody>\n";
    for &(y, total) in &annual {
        html += &format!("<tr><th>{y}</th>");
        for m in 1..=12u32 {
            match monthly.iter().find(|((yy, mm), _)| *yy == y && *mm == m) {
                Some((_, v)) => {
                    html += &format!(
                        "<td class=\"n\" style=\"background:{}\" data-key=\"month.{y}-{m:02}\" data-value=\"{}\">{}</td>",
                        heat(*v),
                        raw(*v),
                        pct(*v, 1)
                    )
                }
                None => html += "<td></td>",
            }
        }
        html += &format!(
            "<td class=\"n year\" style=\"background:{}\" data-key=\"year.{y}\" data-value=\"{}\">{}</td></tr>\n",
            heat(total / 3.0),
            raw(total),
            pct(total, 1)
        );
    }
    html += "</tbody></table><p class=\"note\">Each month (and year) compounds the strategy's net returns of its bars: ∏(1 + r) − 1. A partial first or last period covers only the bars in the data.</p></section>\n";
    let bars: Vec<(String, f64)> = annual.iter().map(|(y, v)| (y.to_string(), *v)).collect();
    html += &pngs.section("annual", "Annual returns", charts::Chart::bars("Return per calendar year", &bars))?;

    // Rolling Sharpe and volatility.
    let p = ppy.round().max(2.0) as usize;
    let half = (p / 2).max(2);
    let pts = |v: Vec<f64>| -> Vec<(f64, f64)> { ret_days.iter().zip(v).map(|(&d, y)| (x(d), y)).collect() };
    let rs = [
        Line { name: "6 months", colour: charts::SECOND, points: pts(rolling_sharpe(&bt.returns, half, ppy)) },
        Line { name: "12 months", colour: charts::STRATEGY, points: pts(rolling_sharpe(&bt.returns, p, ppy)) },
    ];
    html += &pngs.section(
        "rolling-sharpe",
        &format!("Rolling Sharpe ratio ({half} and {p} bars)"),
        charts::Chart::lines("Rolling Sharpe ratio", &rs, Unit::Number),
    )?;
    let mut rv = vec![
        Line { name: "6 months", colour: charts::SECOND, points: pts(rolling_volatility(&bt.returns, half, ppy)) },
        Line { name: "12 months", colour: charts::STRATEGY, points: pts(rolling_volatility(&bt.returns, p, ppy)) },
    ];
    if let Some(b) = &bt.benchmark_returns {
        rv.push(Line { name: "benchmark, 12 months", colour: charts::BENCHMARK, points: pts(rolling_volatility(b, p, ppy)) });
    }
    if let Some(b) = &bt.benchmark_returns {
        let rb = [Line { name: "12 months", colour: charts::STRATEGY, points: pts(strat_stdlib::periods::rolling_beta(&bt.returns, b, p)) }];
        html += &pngs.section("rolling-beta", &format!("Rolling beta to the benchmark ({p} bars)"), charts::Chart::lines("Rolling beta", &rb, Unit::Number))?;
    }
    html += &pngs.section("rolling-volatility", "Rolling volatility (annualised)", charts::Chart::lines("Rolling volatility", &rv, Unit::Percent))?;

    // Exposure: gross held from each close, and net (the sum of signed weights).
    let net: Vec<f64> = (t0..rows).map(|t| (0..bt.assets).map(|j| bt.weights[j * rows + t]).filter(|w| w.is_finite()).sum()).collect();
    let gross: Vec<f64> = bt.gross.get(t0..rows).map(<[f64]>::to_vec).unwrap_or_default();
    let days: Vec<i32> = frame.dates[t0..rows].to_vec();
    let exp = [
        Line { name: "gross", colour: charts::STRATEGY, points: days.iter().zip(&gross).map(|(&d, &g)| (x(d), g)).collect() },
        Line { name: "net", colour: charts::SECOND, points: days.iter().zip(&net).map(|(&d, &n)| (x(d), n)).collect() },
    ];
    html += &pngs.section(
        "exposure",
        "Exposure (fraction of equity, held from each close)",
        charts::Chart::lines("Gross and net exposure", &exp, Unit::Percent),
    )?;

    // Per-asset weights (a panel or sleeves): the largest 8 by mean |weight|, the rest as "other".
    if bt.assets > 1 {
        let names = strategy.held_assets();
        let abs_w = |j: usize| -> Vec<f64> { (t0..rows).map(|t| bt.weights[j * rows + t].abs()).map(|w| if w.is_finite() { w } else { 0.0 }).collect() };
        let mut by_size: Vec<(usize, f64)> = (0..bt.assets).map(|j| (j, strat_stdlib::metrics::mean(&abs_w(j)))).collect();
        by_size.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut layers: Vec<(String, Vec<f64>)> =
            by_size.iter().take(8).map(|&(j, _)| (names.get(j).cloned().unwrap_or_else(|| j.to_string()), abs_w(j))).collect();
        if bt.assets > 8 {
            let mut other = vec![0.0; rows - t0];
            for &(j, _) in &by_size[8..] {
                for (o, w) in other.iter_mut().zip(abs_w(j)) {
                    *o += w;
                }
            }
            layers.push((format!("other {}", bt.assets - 8), other));
        }
        let xs: Vec<f64> = days.iter().map(|&d| x(d)).collect();
        let step = (xs.len() / 1500).max(1);
        html += &pngs.section(
            "weights",
            "Weights by asset (absolute, stacked; the 8 largest on average)",
            charts::Chart::stacked("Absolute weight held from each close", &xs, &layers, step),
        )?;
    }

    // Costs: the cumulative cost charged, as a fraction of equity.
    if bt.cost.iter().any(|&c| c != 0.0) {
        let mut acc = 0.0;
        // The cost decided on the last bar is never charged (no return follows): as cost_drag.
        let cum: Vec<(f64, f64)> = (t0..rows.saturating_sub(1))
            .map(|t| {
                acc += bt.cost.get(t).copied().filter(|c| c.is_finite()).unwrap_or(0.0);
                (x(frame.dates[t]), acc)
            })
            .collect();
        let line = [Line { name: "cumulative cost", colour: charts::LOSS, points: cum }];
        html +=
            &pngs.section("costs", "Cost drag (cumulative cost charged, fraction of equity)", charts::Chart::lines("Cumulative cost", &line, Unit::Percent))?;
    }

    // Round trips.
    if let Some(t) = &report.trades {
        html += &format!(
            "<section id=\"trades\"><h2>Round trips</h2><table><tbody>\
             <tr><th>round trips (open at the end)</th><td class=\"n\">{} ({})</td></tr>\
             <tr><th>win rate (closed)</th><td class=\"n\" data-key=\"trades.win_rate\" data-value=\"{}\">{}</td></tr>\
             <tr><th>average win</th><td class=\"n\" data-key=\"trades.avg_win\" data-value=\"{}\">{}</td></tr>\
             <tr><th>average loss</th><td class=\"n\" data-key=\"trades.avg_loss\" data-value=\"{}\">{}</td></tr>\
             <tr><th>profit factor</th><td class=\"n\" data-key=\"trades.profit_factor\" data-value=\"{}\">{}</td></tr>\
             </tbody></table><p class=\"note\">A round trip holds one asset with one sign; its return is its contribution to equity. \
             `strat run --trades FILE` lists them.</p></section>\n",
            t.count,
            t.open,
            raw(t.win_rate),
            pct(t.win_rate, 1),
            raw(t.avg_win),
            pct(t.avg_win, 2),
            raw(t.avg_loss),
            pct(t.avg_loss, 2),
            raw(t.profit_factor),
            num(t.profit_factor)
        );
    }

    // Kill switches.
    if !bt.kills.is_empty() {
        let mut ks: Vec<charts::Strip> = vec![];
        html += "<section id=\"kill-switches\"><h2>Kill switches</h2><table><thead><tr><th>kill switch</th><th>active share</th><th>trips</th><th>first trip</th></tr></thead><tbody>\n";
        for k in &bt.kills {
            html += &format!(
                "<tr><th>{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}</td></tr>\n",
                escape(&k.name),
                pct(k.active_share, 1),
                k.trips,
                k.first_trip.map(|t| format_date(frame.dates[t])).unwrap_or_else(|| "never".into())
            );
            ks.push(charts::Strip { name: &k.name, colour: charts::LOSS, spans: spans_of(&k.active, t0, rows, |t| x(frame.dates[t])) });
        }
        html += "</tbody></table></section>\n";
        html += &pngs.section(
            "kill-active",
            "When each kill switch was active (filled while it scales the book)",
            charts::Chart::strips("Kill switch active", x(frame.dates[t0]), x(frame.dates[rows - 1]), &ks),
        )?;
    }

    // Reported conditions (a guard's periods): the reports that are 1 / 0 on every row.
    let conditions: Vec<(&str, f64, Vec<bool>)> = result
        .reports
        .iter()
        .zip(&result.report_series)
        .filter(|(_, v)| v.len() == rows && v[t0..].iter().all(|&x| x == 0.0 || x == 1.0))
        .map(|((name, mean), v)| (name.as_str(), *mean, v.iter().map(|&x| x == 1.0).collect()))
        .collect();
    if !conditions.is_empty() {
        html += "<section id=\"conditions\"><h2>Reported conditions</h2><p class=\"note\">Each <code>report</code> that is a condition (a guard, a regime test): its share of the evaluated decision bars (its <code>--json</code> value), and its runs on the bars from the first live one.</p><table><thead><tr><th>report</th><th>share of bars</th><th>episodes</th><th>first</th><th>last</th></tr></thead><tbody>\n";
        let mut strips = vec![];
        for (name, share, on) in &conditions {
            let (runs, share) = (TrueRuns::of(on, t0, rows), *share);
            html += &format!(
                "<tr><th>{}</th><td class=\"n\" data-key=\"condition.{}.share\" data-value=\"{}\">{}</td><td class=\"n\" data-key=\"condition.{}.episodes\" data-value=\"{}\">{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(name),
                escape(name),
                raw(share),
                pct(share, 1),
                escape(name),
                runs.count,
                runs.count,
                runs.first.map(|t| format_date(frame.dates[t])).unwrap_or_else(|| "never".into()),
                runs.last.map(|t| format_date(frame.dates[t])).unwrap_or_else(|| "never".into()),
            );
            strips.push(charts::Strip { name, colour: charts::SECOND, spans: spans_of(on, t0, rows, |t| x(frame.dates[t])) });
        }
        html += "</tbody></table></section>\n";
        html += &pngs.section(
            "conditions-on",
            "When each reported condition held (filled while it is true)",
            charts::Chart::strips("Reported conditions", x(frame.dates[t0]), x(frame.dates[rows - 1]), &strips),
        )?;
    }

    // Alerts.
    if !result.alerts.is_empty() {
        html += &alerts_section(frame, result, &report.alerts, t0, rows, pngs)?;
    }

    // Regimes.
    if !result.regimes.is_empty() {
        html += &regimes::section(result, ppy);
    }

    // The program.
    html += "<section id=\"program\"><h2>Program</h2><table><thead><tr><th>param</th><th>value</th></tr></thead><tbody>\n";
    for (i, n) in params.names.iter().enumerate() {
        html += &format!("<tr><th>{}</th><td>{}</td></tr>\n", escape(n), escape(&params.display_value(i, params.values[i])));
    }
    html += "</tbody></table><table><thead><tr><th>source</th><th>file</th><th>first</th><th>last</th><th>rows with data</th><th>columns</th></tr></thead><tbody>\n";
    for s in strategy.data_sources() {
        let (first, last, n) = match source_range(frame, s.path()) {
            Some((a, b, n)) => (format_date(frame.dates[a]), format_date(frame.dates[b]), n.to_string()),
            None => ("—".into(), "—".into(), "—".into()),
        };
        html += &format!(
            "<tr data-source=\"{}\"><th>{}</th><td>{}</td><td>{first}</td><td>{last}</td><td class=\"n\">{n}</td><td>{}</td></tr>\n",
            escape(s.name()),
            escape(s.name()),
            escape(s.path()),
            escape(&s.columns().join(", "))
        );
    }
    html += &format!(
        "</tbody></table><p>Data rows {} to {} ({} rows after alignment and the date window).</p><pre>{}</pre></section>\n",
        frame.dates.first().map(|&d| format_date(d)).unwrap_or_default(),
        frame.dates.last().map(|&d| format_date(d)).unwrap_or_default(),
        frame.len(),
        escape(strategy.source())
    );
    if !options.conventions.is_default() {
        html += &format!("<p class=\"note\" id=\"conventions\">Asked for: {}.</p>\n", escape(&options.conventions.describe()));
    }
    html += &page_end();
    Ok(html)
}

/// The head of a page titled `title`, with the inline style sheet, and the opening `<body>`.
pub(crate) fn page_start(title: &str) -> String {
    let mut html = String::with_capacity(1 << 20);
    html += &format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} · Strat</title><style>{}</style></head><body>\n",
        escape(title),
        CSS
    );
    html
}

/// The conventions footnote and the end of a page.
pub(crate) fn page_end() -> String {
    format!("{FOOTNOTE}</body></html>\n")
}

/// The PNG of each chart drawn, collected when `strat report --png` asks for them: (section id,
/// PNG bytes), in page order.
pub struct Pngs(pub Option<Vec<NamedPng>>);

/// One chart as PNG: (section id such as `equity`, the PNG file's bytes).
pub type NamedPng = (String, Vec<u8>);

impl Pngs {
    /// The chart's section (its inline SVG); with collection on, also its PNG under `id`.
    pub(crate) fn section(&mut self, id: &str, title: &str, chart: charts::Chart) -> Result<String, String> {
        if let Some(v) = &mut self.0 {
            v.push((id.to_string(), chart.png()?));
        }
        Ok(chart_section(id, title, chart.svg()?))
    }
}

/// A titled section holding one SVG chart.
pub(crate) fn chart_section(id: &str, title: &str, svg: String) -> String {
    format!("<section id=\"{id}\" class=\"chart\"><h2>{}</h2><figure>{svg}</figure></section>\n", escape(title))
}

const CSS: &str = "body{font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#222;max-width:1000px;margin:24px auto;padding:0 16px}\
h1{margin:0 0 4px;font-size:26px}header p{color:#666;margin:0 0 16px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}\
table{border-collapse:collapse;margin:8px 0;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}\
table.monthly td,table.monthly th{padding:3px 5px;font-size:12px}td.year{font-weight:600}figure{margin:0}figure svg{width:100%;height:auto}\
pre{background:#f7f7f7;padding:10px;font-size:12px;overflow-x:auto}.note,footer{color:#666;font-size:12px}.warn,.loss{color:#b00}h3{font-size:14px;margin:16px 0 4px}";

const FOOTNOTE: &str = "<footer><h2>Conventions</h2><p>Metrics follow Strat's SEMANTICS.md §4 and agree with \
empyrical-reloaded 0.7.1 and quantstats 0.0.86 to 1e-12 (CAGR by periods a year; Sharpe and volatility with the sample \
standard deviation, ddof = 1; historical VaR and CVaR; zero risk-free rate), except: the information ratio is annualised \
by √P (empyrical's excess Sharpe is per period); quantstats' VaR is a normal estimate; omega is +∞ and Sortino undefined \
when there is no loss (empyrical: NaN and +∞). Rolling windows end at each bar and use only that bar and earlier ones.</p></footer>\n";
