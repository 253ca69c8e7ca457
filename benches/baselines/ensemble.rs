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
/// return holds nothing). Also returns the sleeve's first rebalance row.
fn sleeve(
    px: &[Vec<f64>],
    month_end: &[bool],
    first: usize,
    mut target: impl FnMut(usize) -> Vec<f64>,
) -> (Vec<f64>, usize) {
    let t_n = month_end.len();
    let a_n = px.len();
    let mut out = vec![f64::NAN; t_n];
    let mut held: Option<Vec<f64>> = None;
    let mut first_reb = usize::MAX;
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
            held = Some(target(t));
            first_reb = first_reb.min(t);
        }
    }
    (out, first_reb)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = args.get(1).map(String::as_str).unwrap_or("examples/data");
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
    let (qm, qm0) = sleeve(&stocks, &month_end, 252, |t| {
        let mom: Vec<f64> = (0..a_n).map(|j| stocks[j][t - 21] / stocks[j][t - 252] - 1.0).collect();
        equal(&select(&mom, 5, true), a_n)
    });
    // lowvol: std of 63 daily returns, bottom quintile. Warm-up 63.
    let mut win = [0.0f64; 63];
    let (lowvol, lv0) = sleeve(&stocks, &month_end, 63, |t| {
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
    let (defensive, def0) = sleeve(&safe, &month_end, 0, |t| {
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

    let mut out = String::with_capacity(729 * 200);
    out.push_str("bull_qm,bull_lowvol,bear_lowvol,bear_defensive,hv_defensive,hv_lowvol,bars,");
    out.push_str(common::METRIC_HEADER);
    out.push('\n');
    let mut x = Vec::with_capacity(t_n);
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
                            let met = common::metrics(&x, P);
                            use std::fmt::Write;
                            let _ = write!(out, "{a:?},{b:?},{c:?},{d:?},{e:?},{f:?},{},", x.len());
                            common::push_metrics(&mut out, &met);
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
