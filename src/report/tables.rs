//! The tables of a run, as columns (rows = bars or rebalances): the daily table, the `weights`
//! table and the trades. The CLI writes them to files (`--out`, `--weights-out`, `--costs-out`);
//! the Python module and the C library hand them to their callers.

use crate::{Frame, RunResult};
use strat_runtime::frame::format_date;

/// A table to write: named text columns, then named number columns (all the same length).
pub type Table = (Vec<(String, Vec<String>)>, Vec<(String, Vec<f64>)>);

/// The rows of `--costs-out`: one per asset traded at a close (SEMANTICS.md §3), as text columns
/// (`date`, `asset`: as the book names it; for a combined book its netted assets) and number
/// columns (`weight` after the trade, switches applied; `trade`, the size `|Δw|`; `cost`, a
/// fraction of equity charged against the next row's return).
pub fn cost_rows(frame: &Frame, r: &RunResult) -> Table {
    let (mut date, mut asset) = (vec![], vec![]);
    let (mut weight, mut trade, mut cost) = (vec![], vec![], vec![]);
    for t in &r.backtest.trades {
        date.push(format_date(frame.dates[t.row]));
        asset.push(r.asset_names.get(t.asset).cloned().unwrap_or_else(|| t.asset.to_string()));
        weight.push(t.weight);
        trade.push(t.trade);
        cost.push(t.cost);
    }
    (vec![("date".into(), date), ("asset".into(), asset)], vec![("weight".into(), weight), ("trade".into(), trade), ("cost".into(), cost)])
}

/// The rows of `--weights-out`: one per rebalance and member, as text columns (`date`, `weights`,
/// `asset`, `source`: the method or `fallback:STEP`) and number columns (`target` before
/// smoothing and the turnover cap, `held` after them, `turnover` of that rebalance).
pub fn weights_rows(frame: &Frame, r: &RunResult) -> Table {
    let (mut date, mut name, mut asset, mut source) = (vec![], vec![], vec![], vec![]);
    let (mut target, mut held, mut turnover) = (vec![], vec![], vec![]);
    for w in &r.weights {
        let sched = &w.schedule;
        for (k, &t) in sched.rebalance_rows.iter().enumerate() {
            let src = sched
                .log
                .iter()
                .find_map(|e| match e {
                    strat_stdlib::weighting::LogEntry::Fallback { row, record } if *row == t => Some(format!("fallback:{}", record.step.name())),
                    _ => None,
                })
                .unwrap_or_else(|| w.method.to_string());
            for (j, m) in w.members.iter().enumerate() {
                date.push(format_date(frame.dates[t]));
                name.push(w.name.clone());
                asset.push(m.clone());
                source.push(src.clone());
                target.push(sched.targets[[k, j]]);
                held.push(sched.weights[[t, j]]);
                turnover.push(sched.turnover[k]);
            }
        }
    }
    (
        vec![("date".into(), date), ("weights".into(), name), ("asset".into(), asset), ("source".into(), source)],
        vec![("target".into(), target), ("held".into(), held), ("turnover".into(), turnover)],
    )
}

/// The daily table (`strat run --out`, Python's `Result.daily`, the C library's series): one row per bar from the first live row `t0` to the end, with
/// `date`, the weight held from that close (`weight` for one series, `weight_ASSET` per asset of a
/// universe), `return` (earned on that date, net of costs; empty at `t0`), `equity` (1 at `t0`),
/// `turnover` (traded at that close), `cost` (of that trade, charged against the next row's
/// return), `kill_NAME` per kill switch (1 while active at that close) and `alert_NAME` per
/// alert (1 when it fires at that close), and `regime_NAME` per `regime` declaration (the index
/// of the arm that holds at that close, arms numbered from 0 in declaration order; filled by
/// runs, not sweeps). Dates are days since
/// 1970-01-01; `assets` names the book's columns ([`crate::Strategy::held_assets`]).
pub fn daily_columns(frame: &Frame, r: &RunResult, assets: &[String]) -> (Vec<i32>, Vec<(String, Vec<f64>)>) {
    let bt = &r.backtest;
    let t0 = bt.first_live;
    let rows = frame.len();
    let dates = frame.dates[t0..rows].to_vec();
    let mut cols = vec![];
    if bt.assets == 1 {
        cols.push(("weight".to_string(), bt.weights[t0..rows].to_vec()));
    } else {
        for j in 0..bt.assets {
            let name = assets.get(j).cloned().unwrap_or_else(|| j.to_string());
            cols.push((format!("weight_{name}"), bt.weights[j * rows + t0..j * rows + rows].to_vec()));
        }
    }
    let mut ret = vec![f64::NAN];
    ret.extend_from_slice(&bt.returns);
    let mut eq = vec![1.0];
    eq.extend_from_slice(&bt.equity);
    cols.push(("return".to_string(), ret));
    cols.push(("equity".to_string(), eq));
    cols.push(("turnover".to_string(), bt.turnover[t0..rows].to_vec()));
    let cost = if bt.cost.len() == rows { bt.cost[t0..rows].to_vec() } else { vec![0.0; rows - t0] };
    cols.push(("cost".to_string(), cost));
    for k in &bt.kills {
        cols.push((format!("kill_{}", k.name), k.active[t0..rows].iter().map(|&b| if b { 1.0 } else { 0.0 }).collect()));
    }
    for a in &r.alerts {
        cols.push((format!("alert_{}", a.name), a.fired[t0..rows].iter().map(|&b| if b { 1.0 } else { 0.0 }).collect()));
    }
    for g in &r.regimes {
        cols.push((format!("regime_{}", g.name), g.arm[t0..rows].iter().map(|&a| a as f64).collect()));
    }
    (dates, cols)
}
