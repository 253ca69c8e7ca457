//! The tear sheet's regime views: the bands that shade the equity chart by the arm of a
//! `regime`, and each regime's table of the strategy's returns split by arm.

use super::{charts, escape, num, pct, raw, spans_of};
use crate::{Frame, RunResult};
use strat_runtime::regimes::RegimeTrace;

/// The regime that shades the equity chart: the ensemble's regime when the book is an
/// `ensemble by REGIME`, else the first `regime` declared; `None` without one.
pub(super) fn shading<'r>(program: &strat_compiler::program::Program, r: &'r RunResult) -> Option<&'r RegimeTrace> {
    let by = match &program.book {
        strat_compiler::program::Book::Ensemble(e) => program.regimes.get(e.regime).map(|g| g.name.as_str()),
        _ => None,
    };
    by.and_then(|n| r.regimes.iter().find(|g| g.name == n)).or(r.regimes.first())
}

/// One band per arm of `g` over rows `t0 .. rows` (each row's arm shades the span to the next
/// row's date), as [`charts::year_of`] positions.
pub(super) fn bands<'g>(g: &'g RegimeTrace, frame: &Frame, t0: usize, rows: usize) -> Vec<charts::Band<'g>> {
    let x = |t: usize| charts::year_of(frame.dates[t]);
    (0..g.arms.len())
        .map(|a| {
            let on: Vec<bool> = g.arm.iter().map(|&k| k == a).collect();
            charts::Band { label: &g.arms[a], colour: charts::PALETTE[(a + 2) % charts::PALETTE.len()], spans: spans_of(&on, t0, rows, x) }
        })
        .collect()
}

/// The strategy's (and the benchmark's) net returns split by the arm of each regime: a return
/// earned from the close of row `t - 1` to `t` counts in the arm that held at `t - 1`, when the
/// position was taken. Per arm: its bars, their share, the returns compounded over them
/// (`∏(1 + r) − 1`), the annualised mean (`mean · P`), volatility and Sharpe ratio (SEMANTICS.md
/// §4's, on those returns), and the benchmark's compounded return. Each cell's exact value is in
/// `data-value`, keyed `regime.NAME.ARM.{bars,share,return,mean,volatility,sharpe,benchmark}`.
pub(super) fn section(r: &RunResult, ppy: f64) -> String {
    let bt = &r.backtest;
    let mut html = String::from("<section id=\"regimes\"><h2>Returns by regime</h2><p class=\"note\">A bar's return counts in the arm that held at the previous close, when the position was taken.</p>\n");
    for g in &r.regimes {
        html += &format!(
            "<h3>{}</h3><table><thead><tr><th>arm</th><th>bars</th><th>share</th><th>compounded</th><th>mean a year</th><th>volatility</th><th>Sharpe</th>{}</tr></thead><tbody>\n",
            escape(&g.name),
            if bt.benchmark_returns.is_some() { "<th>benchmark compounded</th>" } else { "" }
        );
        let n = bt.returns.len();
        for (a, arm) in g.arms.iter().enumerate() {
            let picked: Vec<usize> = bt.rows.clone().enumerate().filter(|&(_, t)| t > 0 && g.arm.get(t - 1) == Some(&a)).map(|(k, _)| k).collect();
            let rets: Vec<f64> = picked.iter().map(|&k| bt.returns[k]).collect();
            let m = strat_stdlib::metrics::metrics_given_exposure(&rets, f64::NAN, ppy);
            let compounded = rets.iter().fold(1.0, |e, r| e * (1.0 + r)) - 1.0;
            let mean = strat_stdlib::metrics::mean(&rets) * ppy;
            let share = if n == 0 { f64::NAN } else { rets.len() as f64 / n as f64 };
            let key = |k: &str| format!("regime.{}.{}.{k}", escape(&g.name), escape(arm));
            let cell = |k: &str, v: f64, text: String| format!("<td class=\"n\" data-key=\"{}\" data-value=\"{}\">{text}</td>", key(k), raw(v));
            html += &format!(
                "<tr><th>{}</th>{}{}{}{}{}{}",
                escape(arm),
                cell("bars", rets.len() as f64, rets.len().to_string()),
                cell("share", share, pct(share, 1)),
                cell("return", compounded, pct(compounded, 2)),
                cell("mean", mean, pct(mean, 2)),
                cell("volatility", m.ann_vol, pct(m.ann_vol, 2)),
                cell("sharpe", m.sharpe, num(m.sharpe)),
            );
            if let Some(b) = &bt.benchmark_returns {
                let bc = picked.iter().fold(1.0, |e, &k| e * (1.0 + b[k])) - 1.0;
                html += &cell("benchmark", bc, pct(bc, 2));
            }
            html += "</tr>\n";
        }
        html += "</tbody></table>\n";
    }
    html + "</section>\n"
}
