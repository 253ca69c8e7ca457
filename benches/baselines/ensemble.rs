//! Plain-Rust baseline of the regime-ensemble study (SEMANTICS.md §6, "Regime ensemble"):
//! hand-written, single-threaded, std only, CSV parsing included.
//!
//!     ensemble [DATA_DIR]
//!
//! DATA_DIR defaults to examples/data: spx_vix.csv (S = spx, V = vix), stocks_adj_close.csv (all
//! 49 columns) and etf_adj_close.csv (tlt, ief, gld), inner-joined on date.
//! Regime at row t (from row 199): BULL if S > sma(S, 200) and V < 25, else HIGH_VOL if V >= 30,
//! else BEAR. Sleeves rebalance on month-end rows (the next row is in a later month, or the last
//! row), each from its own warm-up (qm: row 252, lowvol: row 63, defensive: row 0), and hold their
//! weights to the next rebalance: qm = equal weight of the top quintile (k = max(1, n div 5) of
//! the n assets with a value) by P[t-21] / P[t-252] - 1; lowvol = the bottom quintile by
//! std(r, 63); ties to the lower column index; defensive = equal weight of the defensive assets
//! with a price > 0 (cash if none). The ensemble's first live row t0 is the first month-end
//! >= 252; binding return x[t] = sum_k w[regime[t-1], k] * sleeve_k[t] for t = t0+1 .. T-1,
//! annualized with 252. 729 bindings, first key outermost.
//! Prints one CSV line per binding: the six weights, bars, then the metrics.
//!
//!     ensemble [DATA_DIR] [METRICS]
//!
//! METRICS: `six` (default) prints the six of `common::METRIC_HEADER`; `full` prints every
//! per-binding figure of `strat sweep --json`, the columns of `common::FULL_METRIC_HEADER`, then
//! `report.bull` and `report.high_vol` (the fraction of decision rows `t0 ..= T-2` in that
//! regime). The full figures need the book's per-asset weights (SEMANTICS.md §3: turnover and
//! exposure are taken on `w[t, j] = sum_k a[t, k] * w_k[t, j]`, the stocks of `qm` and `lowvol`
//! netting): a sleeve holds its last rebalance's target on an asset with a price, nothing on
//! one without. They are formed, as a careful hand-written loop would, only on the rows where
//! they can change (a rebalance, a change of regime, a price appearing or vanishing); the
//! sleeves' held vectors on those rows do not depend on the binding and are built once.
//! The benchmark is the S&P 500's close-to-close return on the same rows.

#[path = "common.rs"]
mod common;

const STOCKS: [&str; 49] = [
    "abt", "adbe", "amat", "amgn", "amzn", "axp", "ba", "bmy", "c", "cat", "cl", "cmcsa", "cop", "cost", "csco", "de",
    "dis", "duk", "emr", "gild", "googl", "gs", "hon", "ibm", "intc", "low", "ma", "mcd", "mdt", "mmm", "mo", "ms",
    "nee", "nke", "nvda", "orcl", "oxy", "qcom", "sbux", "slb", "so", "t", "tgt", "txn", "unp", "usb", "v", "vz", "wfc",
];
const SAFE: [&str; 3] = ["tlt", "ief", "gld"];
const BULL: u8 = 0;
const HIGH_VOL: u8 = 1;
const BEAR: u8 = 2;
const P: f64 = 252.0;

/// The month of an ISO date as y * 12 + m.
fn month(d: &str) -> u32 {
    let y: u32 = d[0..4].parse().unwrap();
    let m: u32 = d[5..7].parse().unwrap();
    y * 12 + m
}

/// Indices of the k highest (`high`) or lowest values among the assets with a value;
/// ties go to the lower column index.
fn select(vals: &[f64], frac_den: usize, high: bool) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..vals.len()).filter(|&j| !vals[j].is_nan()).collect();
    let n = idx.len();
    if n == 0 {
        return idx;
    }
    let k = (n / frac_den).max(1);
    // Stable sort keeps column order among ties.
    if high {
        idx.sort_by(|&a, &b| vals[b].partial_cmp(&vals[a]).unwrap());
    } else {
        idx.sort_by(|&a, &b| vals[a].partial_cmp(&vals[b]).unwrap());
    }
    idx.truncate(k);
    idx
}

/// Daily returns of a sleeve whose weights are set at each month-end row >= `first` by `target`
/// and held to the next: out[t] = sum_j h[t-1, j] * r[t, j] (an asset with no weight or no
/// return holds nothing). Also returns the sleeve's first rebalance row and every rebalance's
/// (row, target).
fn sleeve(
    px: &[Vec<f64>],
    month_end: &[bool],
    first: usize,
    mut target: impl FnMut(usize) -> Vec<f64>,
) -> (Vec<f64>, usize, Vec<(usize, Vec<f64>)>) {
    let t_n = month_end.len();
    let a_n = px.len();
    let mut out = vec![f64::NAN; t_n];
    let mut held: Option<Vec<f64>> = None;
    let mut first_reb = usize::MAX;
    let mut targets = Vec::new();
    for t in 0..t_n {
        if let Some(h) = &held {
            let mut s = 0.0;
            for j in 0..a_n {
                let w = h[j];
                if w == 0.0 || w.is_nan() {
                    continue;
                }
                let r = px[j][t] / px[j][t - 1] - 1.0;
                if r.is_nan() {
                    continue;
                }
                s += w * r;
            }
            out[t] = s;
        }
        if t >= first && month_end[t] {
            let w = target(t);
            targets.push((t, w.clone()));
            held = Some(w);
            first_reb = first_reb.min(t);
        }
    }
    (out, first_reb, targets)
}

/// A sleeve's held weights on row `t`: the target of its last rebalance row `<= t` (nothing
/// before the first) on the assets with a price at `t`.
fn held_on(targets: &[(usize, Vec<f64>)], px: &[Vec<f64>], t: usize, out: &mut [f64]) {
    let last = targets.partition_point(|(m, _)| *m <= t);
    for (j, o) in out.iter_mut().enumerate() {
        *o = if last == 0 || px[j][t].is_nan() { 0.0 } else { targets[last - 1].1[j] };
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(String::as_str).unwrap_or("examples/data");
    let full = common::metric_set(args.get(2).map(String::as_str)) == common::MetricSet::Full;
    let mkt = common::read_csv(&format!("{dir}/spx_vix.csv"), &["spx", "vix"]);
    let stk = common::read_csv(&format!("{dir}/stocks_adj_close.csv"), &STOCKS);
    let etf = common::read_csv(&format!("{dir}/etf_adj_close.csv"), &SAFE);
    let (dates, rows) = common::inner_join(&[&mkt, &stk, &etf]);
    let t_n = dates.len();
    let pick = |tab: &common::Table, r: &[usize]| -> Vec<Vec<f64>> {
        tab.cols.iter().map(|c| r.iter().map(|&i| c[i]).collect()).collect()
    };
    let m = pick(&mkt, &rows[0]);
    let (spx, vix) = (&m[0], &m[1]);
    let stocks = pick(&stk, &rows[1]);
    let safe = pick(&etf, &rows[2]);

    // Month-end rows: the next row falls in a later month, and the last row.
    let months: Vec<u32> = dates.iter().map(|d| month(d)).collect();
    let month_end: Vec<bool> = (0..t_n).map(|t| t + 1 == t_n || months[t + 1] != months[t]).collect();

    // Regime from row 199.
    let mut regime = vec![u8::MAX; t_n];
    for t in 199..t_n {
        let mut s = 0.0;
        for &v in &spx[t - 199..=t] {
            s += v;
        }
        let sma = s / 200.0;
        regime[t] = if spx[t] > sma && vix[t] < 25.0 {
            BULL
        } else if vix[t] >= 30.0 {
            HIGH_VOL
        } else {
            BEAR
        };
    }

    let a_n = STOCKS.len();
    let equal = |sel: &[usize], n: usize| -> Vec<f64> {
        let mut w = vec![0.0; n];
        let k = sel.len() as f64;
        for &j in sel {
            w[j] = 1.0 / k;
        }
        w
    };
    // qm: 12-1 month momentum, top quintile. Warm-up 252.
    let (qm, qm0, qm_targets) = sleeve(&stocks, &month_end, 252, |t| {
        let mom: Vec<f64> = (0..a_n).map(|j| stocks[j][t - 21] / stocks[j][t - 252] - 1.0).collect();
        equal(&select(&mom, 5, true), a_n)
    });
    // lowvol: std of 63 daily returns, bottom quintile. Warm-up 63.
    let mut win = [0.0f64; 63];
    let (lowvol, lv0, lv_targets) = sleeve(&stocks, &month_end, 63, |t| {
        let vol: Vec<f64> = (0..a_n)
            .map(|j| {
                let p = &stocks[j];
                for (i, t2) in (t - 62..=t).enumerate() {
                    win[i] = p[t2] / p[t2 - 1] - 1.0;
                }
                if win.iter().any(|v| v.is_nan()) { f64::NAN } else { common::std_ddof1(&win) }
            })
            .collect();
        equal(&select(&vol, 5, false), a_n)
    });
    // defensive: equal weight of the defensive assets with a price, cash if none.
    let (defensive, def0, def_targets) = sleeve(&safe, &month_end, 0, |t| {
        let sel: Vec<usize> = (0..SAFE.len()).filter(|&j| safe[j][t] > 0.0).collect();
        equal(&sel, SAFE.len())
    });
    // The ensemble is live when the regime (row 199) and every sleeve are.
    let t0 = qm0.max(lv0).max(def0).max(199);

    let g = |a: f64, b: f64, c: f64| [a, b, c];
    let bull_qm = g(0.6, 0.7, 0.8);
    let bull_lowvol = g(0.2, 0.3, 0.4);
    let bear_lowvol = g(0.4, 0.5, 0.6);
    let bear_defensive = g(0.4, 0.5, 0.6);
    let hv_defensive = g(0.7, 0.8, 0.9);
    let hv_lowvol = g(0.1, 0.2, 0.3);

    // Full mode, param-invariant: the rows where the book's per-asset weights can change
    // (t0, a rebalance, a change of regime, a price appearing or vanishing), each with the
    // sleeves' held vectors there and the number of decision rows it stands for (to the next
    // change row, or T-1); the benchmark's returns; the reports.
    let s_n = SAFE.len();
    let mut changes: Vec<(usize, usize)> = Vec::new(); // (row, decision rows held)
    let mut held_q: Vec<f64> = Vec::new(); // per change row, a_n values
    let mut held_l: Vec<f64> = Vec::new();
    let mut held_d: Vec<f64> = Vec::new(); // per change row, s_n values
    let mut bench_ret = Vec::new();
    let (mut bull_rows, mut hv_rows) = (0usize, 0usize);
    if full {
        let is_rebalance = |targets: &[(usize, Vec<f64>)], t: usize| targets.binary_search_by_key(&t, |(m, _)| *m).is_ok();
        let flips = |px: &[Vec<f64>], t: usize| px.iter().any(|p| p[t].is_nan() != p[t - 1].is_nan());
        for t in t0..t_n - 1 {
            let change = t == t0
                || regime[t] != regime[t - 1]
                || is_rebalance(&qm_targets, t)
                || is_rebalance(&lv_targets, t)
                || is_rebalance(&def_targets, t)
                || flips(&stocks, t)
                || flips(&safe, t);
            if change {
                if let Some(last) = changes.last_mut() {
                    last.1 = t - last.0;
                }
                changes.push((t, 0));
                let at = held_q.len();
                held_q.resize(at + a_n, 0.0);
                held_l.resize(at + a_n, 0.0);
                held_d.resize(held_d.len() + s_n, 0.0);
                held_on(&qm_targets, &stocks, t, &mut held_q[at..]);
                held_on(&lv_targets, &stocks, t, &mut held_l[at..]);
                let d = held_d.len() - s_n;
                held_on(&def_targets, &safe, t, &mut held_d[d..]);
            }
            bull_rows += usize::from(regime[t] == BULL);
            hv_rows += usize::from(regime[t] == HIGH_VOL);
        }
        if let Some(last) = changes.last_mut() {
            last.1 = t_n - 1 - last.0;
        }
        bench_ret.extend((t0 + 1..t_n).map(|t| spx[t] / spx[t - 1] - 1.0));
    }
    let decisions = (t_n - 1 - t0) as f64;

    let mut out = String::with_capacity(729 * if full { 400 } else { 200 });
    out.push_str("bull_qm,bull_lowvol,bear_lowvol,bear_defensive,hv_defensive,hv_lowvol,bars,");
    out.push_str(if full { common::FULL_METRIC_HEADER } else { common::METRIC_HEADER });
    out.push_str(if full { ",report.bull,report.high_vol\n" } else { "\n" });
    let mut x = Vec::with_capacity(t_n);
    let mut scratch = Vec::with_capacity(t_n);
    let mut prev = vec![0.0f64; a_n + s_n];
    for &a in &bull_qm {
        for &b in &bull_lowvol {
            for &c in &bear_lowvol {
                for &d in &bear_defensive {
                    for &e in &hv_defensive {
                        for &f in &hv_lowvol {
                            x.clear();
                            for t in t0 + 1..t_n {
                                x.push(match regime[t - 1] {
                                    BULL => a * qm[t] + b * lowvol[t],
                                    BEAR => c * lowvol[t] + d * defensive[t],
                                    _ => e * defensive[t] + f * lowvol[t],
                                });
                            }
                            use std::fmt::Write;
                            let _ = write!(out, "{a:?},{b:?},{c:?},{d:?},{e:?},{f:?},{},", x.len());
                            if full {
                                // Turnover and gross exposure of w[t, j] = sum_k a[t, k] * w_k[t, j].
                                prev.fill(0.0);
                                let (mut turnover, mut exposure) = (0.0, 0.0);
                                for (i, &(t, rows)) in changes.iter().enumerate() {
                                    let (aq, al, ad) = match regime[t] {
                                        BULL => (a, b, 0.0),
                                        BEAR => (0.0, c, d),
                                        _ => (0.0, f, e),
                                    };
                                    let (q, l) = (&held_q[i * a_n..(i + 1) * a_n], &held_l[i * a_n..(i + 1) * a_n]);
                                    let dd = &held_d[i * s_n..(i + 1) * s_n];
                                    let mut gross = 0.0;
                                    for j in 0..a_n {
                                        let w = aq * q[j] + al * l[j];
                                        turnover += (w - prev[j]).abs();
                                        gross += w.abs();
                                        prev[j] = w;
                                    }
                                    for j in 0..s_n {
                                        let w = ad * dd[j];
                                        turnover += (w - prev[a_n + j]).abs();
                                        gross += w.abs();
                                        prev[a_n + j] = w;
                                    }
                                    exposure += gross * rows as f64;
                                }
                                let met = common::full_metrics_given(&x, exposure / decisions, turnover / decisions, Some(&bench_ret), P, &mut scratch);
                                common::push_full_metrics(&mut out, &met);
                                let _ = write!(out, ",{:?},{:?}", bull_rows as f64 / decisions, hv_rows as f64 / decisions);
                            } else {
                                common::push_metrics(&mut out, &common::metrics(&x, P));
                            }
                            out.push('\n');
                        }
                    }
                }
            }
        }
    }
    use std::io::Write;
    std::io::stdout().lock().write_all(out.as_bytes()).unwrap();
}
