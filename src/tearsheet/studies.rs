//! Report pages of studies: the walk-forward's (`strat walk-forward --report`) with its folds,
//! the stitched out-of-sample equity and drawdown, and the deflated Sharpe ratio; and the
//! sweep's (`strat sweep --report`) with the top bindings, heatmaps and the distribution of the
//! ranking metric over the grid. Same conventions as the tear sheet: one self-contained page,
//! numbers in `data-value` as in `--json`.

use super::charts::{self, Line, Unit};
use super::{escape, metric_cell, num, page_end, page_start, pct, raw};
use crate::report::{Period, Windows};
use crate::WalkForwardReport;
use strat_runtime::walk_forward::WalkForward;
use strat_stdlib::metrics::METRIC_NAMES;

fn period(p: &Period) -> String {
    match p {
        Period::Year(y) => y.to_string(),
        Period::Month(m) => m.clone(),
    }
}

/// The walk-forward page of `report` (what `--json` prints) and `wf` on data with `dates`;
/// `binding_text(i)` names binding `i`'s varying params.
///
/// Errors: a chart cannot be drawn.
pub fn walk_forward_page(report: &WalkForwardReport, wf: &WalkForward, dates: &[i32], binding_text: &dyn Fn(usize) -> String) -> Result<String, String> {
    let title = format!("{} — walk-forward", report.strategy);
    let mut html = page_start(&title);
    let (train, test) = match report.windows {
        Windows::Years { train_years, test_years } => (format!("{train_years}y"), format!("{test_years}y")),
        Windows::Months { train_months, test_months } => (format!("{train_months}m"), format!("{test_months}m")),
    };
    html += &format!(
        "<header><h1>{}</h1><p>walk-forward {}, train {train}, test {test}, chosen by {} over {} bindings · out of sample {} bars, {} to {} · Strat {}</p></header>\n",
        escape(&report.strategy),
        if report.anchored { "anchored" } else { "rolling" },
        escape(&report.by),
        report.bindings,
        report.bars,
        escape(&report.start),
        escape(&report.end),
        env!("CARGO_PKG_VERSION")
    );
    html += &format!(
        "<section id=\"selection\"><h2>Selection</h2><table><tbody>\
         <tr><th>{by}, in-sample mean</th><td class=\"n\" data-key=\"in_sample_mean\" data-value=\"{}\">{}</td></tr>\
         <tr><th>{by}, out-of-sample mean</th><td class=\"n\" data-key=\"out_of_sample_mean\" data-value=\"{}\">{}</td></tr>\
         <tr><th>degradation (out − in)</th><td class=\"n\" data-key=\"degradation\" data-value=\"{}\">{}</td></tr>\
         <tr><th>deflated Sharpe ratio ({} trials)</th><td class=\"n\" data-key=\"deflated_sharpe\" data-value=\"{}\">{}</td></tr>\
         </tbody></table><p class=\"note\">The deflated Sharpe ratio (Bailey &amp; López de Prado 2014) is the probability that the stitched \
         out-of-sample Sharpe ratio beats the best of {} trials drawn by luck; above 0.95 the selection is unlikely to be an artefact of the search.</p></section>\n",
        raw(report.in_sample_mean),
        num(report.in_sample_mean),
        raw(report.out_of_sample_mean),
        num(report.out_of_sample_mean),
        raw(report.degradation),
        num(report.degradation),
        report.trials,
        raw(report.deflated_sharpe),
        num(report.deflated_sharpe),
        report.trials,
        by = escape(&report.by)
    );
    html += "<section id=\"folds\"><h2>Folds</h2><table><thead><tr><th>#</th><th>train</th><th>test</th><th>chosen binding</th><th>in-sample</th><th>out of sample</th><th>bars</th></tr></thead><tbody>\n";
    for (k, f) in report.folds.iter().enumerate() {
        html += &format!(
            "<tr><td>{}</td><td>{}–{}</td><td>{}–{}</td><td>#{} {}</td><td class=\"n\" data-key=\"fold.{}.in_sample\" data-value=\"{}\">{}</td><td class=\"n\" data-key=\"fold.{}.out_of_sample\" data-value=\"{}\">{}</td><td class=\"n\">{}</td></tr>\n",
            k + 1,
            period(&f.train[0]),
            period(&f.train[1]),
            period(&f.test[0]),
            period(&f.test[1]),
            f.binding,
            escape(&binding_text(f.binding)),
            k + 1,
            raw(f.in_sample),
            num(f.in_sample),
            k + 1,
            raw(f.out_of_sample),
            num(f.out_of_sample),
            f.bars
        );
    }
    for s in &report.skipped {
        html += &format!(
            "<tr><td></td><td></td><td>{}–{}</td><td colspan=\"4\">skipped: no binding has a {} over its training window</td></tr>\n",
            period(&s[0]),
            period(&s[1]),
            escape(&report.by)
        );
    }
    html += "</tbody></table></section>\n";
    let fold_bars: Vec<(String, f64)> = report.folds.iter().map(|f| (period(&f.test[0]), f.out_of_sample)).collect();
    html += &super::chart_section("fold-chart", &format!("Out-of-sample {} per fold", report.by), charts::values("By test window", &fold_bars, Unit::Number)?);
    html += "<section id=\"metrics\"><h2>Stitched out-of-sample metrics</h2><table class=\"metrics\"><tbody>\n";
    for key in METRIC_NAMES.iter() {
        html += &format!("<tr><th>{}</th>{}</tr>\n", super::label(key), metric_cell("oos", key, report.out_of_sample.get(key).unwrap_or(f64::NAN)));
    }
    html += "</tbody></table></section>\n";
    let x: Vec<f64> = wf.rows.iter().map(|&t| charts::year_of(dates[t])).collect();
    let equity = strat_stdlib::metrics::equity_curve(&wf.returns);
    let line = Line { name: "out of sample", colour: charts::STRATEGY, points: x.iter().copied().zip(equity.iter().copied()).collect() };
    html += &super::chart_section(
        "equity",
        "Stitched out-of-sample equity (growth of 1, log scale)",
        charts::lines("Out-of-sample equity, log scale", &[line], Unit::Growth)?,
    );
    let mut peak = 1.0f64;
    let dd: Vec<(f64, f64)> = x
        .iter()
        .zip(&equity)
        .map(|(&x, &e)| {
            peak = peak.max(e);
            (x, e / peak - 1.0)
        })
        .collect();
    html += &super::chart_section("underwater", "Out-of-sample drawdown", charts::underwater("Drawdown", &dd)?);
    html += &format!("<p class=\"note\">Worst out-of-sample drawdown {}.</p>", pct(report.out_of_sample.max_drawdown, 2));
    html += &page_end();
    Ok(html)
}

/// What a sweep's report page shows, gathered by the caller (the CLI's ranking and heatmaps).
#[derive(Debug, Clone)]
pub struct SweepPage<'a> {
    /// The strategy's name.
    pub strategy: &'a str,
    /// Bindings in the grid, and how many failed.
    pub bindings: usize,
    /// Bindings that failed.
    pub failed: usize,
    /// The ranking metric.
    pub by: &'a str,
    /// The swept params with their number of values.
    pub swept: Vec<(String, usize)>,
    /// The best bindings by `by`, best first: grid index, its varying params as text, metrics,
    /// mean turnover per bar.
    pub top: Vec<(usize, String, strat_stdlib::metrics::Metrics, f64)>,
    /// Heatmaps: the metric and its SVG.
    pub heatmaps: Vec<(String, String)>,
    /// `by` of every binding that ran (NaN included), for its distribution.
    pub by_values: Vec<f64>,
}

/// The sweep's report page: the grid, the top bindings, the heatmaps and a histogram of the
/// ranking metric over the bindings.
///
/// Errors: a chart cannot be drawn.
pub fn sweep_page(p: &SweepPage) -> Result<String, String> {
    let mut html = page_start(&format!("{} — sweep", p.strategy));
    let swept: Vec<String> = p.swept.iter().map(|(n, k)| format!("{} ({k} values)", escape(n))).collect();
    html += &format!(
        "<header><h1>{}</h1><p>sweep of {} bindings ({} failed) over {} · ranked by {} · Strat {}</p></header>\n",
        escape(p.strategy),
        p.bindings,
        p.failed,
        if swept.is_empty() { "no swept param".to_string() } else { swept.join(", ") },
        escape(p.by),
        env!("CARGO_PKG_VERSION")
    );
    html += &format!(
        "<section id=\"top\"><h2>Top {} by {}</h2><table><thead><tr><th>#</th><th>binding</th><th>Sharpe</th><th>Calmar</th><th>max drawdown</th><th>CAGR</th><th>volatility</th><th>turnover</th></tr></thead><tbody>\n",
        p.top.len(),
        escape(p.by)
    );
    for (k, (index, text, m, turnover)) in p.top.iter().enumerate() {
        html += &format!(
            "<tr><td>{}</td><td>#{index} {}</td>{}{}{}{}{}<td class=\"n\">{}</td></tr>\n",
            k + 1,
            escape(text),
            metric_cell(&format!("top.{}", k + 1), "sharpe", m.sharpe),
            metric_cell(&format!("top.{}", k + 1), "calmar", m.calmar),
            metric_cell(&format!("top.{}", k + 1), "max_drawdown", m.max_drawdown),
            metric_cell(&format!("top.{}", k + 1), "cagr", m.cagr),
            metric_cell(&format!("top.{}", k + 1), "ann_vol", m.ann_vol),
            pct(*turnover, 2)
        );
    }
    html += "</tbody></table></section>\n";
    for (metric, svg) in &p.heatmaps {
        html += &super::chart_section(&format!("heatmap-{metric}"), &format!("Heatmap of {metric}"), svg.clone());
    }
    // The distribution of the ranking metric: 30 bins over the finite values.
    let v: Vec<f64> = p.by_values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.len() > 1 {
        let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
        let n = 30usize.min(v.len().max(2));
        let width = if hi > lo { (hi - lo) / n as f64 } else { 1.0 };
        let mut counts = vec![0usize; n];
        for &x in &v {
            let i = if hi > lo { (((x - lo) / width) as usize).min(n - 1) } else { 0 };
            counts[i] += 1;
        }
        let bins: Vec<(String, f64)> = counts.iter().enumerate().map(|(i, &c)| (format!("{:.2}", lo + width * (i as f64 + 0.5)), c as f64)).collect();
        html += &super::chart_section(
            "distribution",
            &format!("Distribution of {} over {} bindings", p.by, v.len()),
            charts::values(&format!("Bindings per {} bin", p.by), &bins, Unit::Count)?,
        );
        let mut sorted = v.clone();
        sorted.sort_by(f64::total_cmp);
        let q = |f: f64| strat_stdlib::metrics::percentile_linear(&sorted, f);
        html += &format!(
            "<p class=\"note\">{}: min {}, 25% {}, median {}, 75% {}, max {} over the bindings that ran. A best binding far in the tail of a wide \
             distribution is the one most likely to be luck; see the walk-forward's deflated Sharpe ratio.</p>",
            escape(p.by),
            num(sorted[0]),
            num(q(0.25)),
            num(q(0.5)),
            num(q(0.75)),
            num(sorted[sorted.len() - 1])
        );
    }
    html += &page_end();
    Ok(html)
}
