//! Plain-Rust baseline of the TSMOM-with-a-drawdown-hedge study (SEMANTICS.md §6):
//! hand-written, single-threaded, std only, CSV parsing included.
//!
//!     tsmom [CSV] [STRENGTH_STEPS] [METRICS]
//!
//! CSV defaults to examples/data/crypto_close.csv; the 8 coins btc, eth, bnb, xrp, ada, doge,
//! ltc, link from 2017-11-09 (the window's first row is row 0). STRENGTH_STEPS (default 10)
//! gives the hedge strengths i / STRENGTH_STEPS, i = 1 ..= STRENGTH_STEPS (10: 0.1 ..= 1.0 step
//! 0.1, the study's 82 bindings; 100: step 0.01, 802 bindings).
//! Prints one CSV line per binding: mode, threshold, strength, bars, then the metrics.
//!
//! METRICS: `six` (default) prints the six of `common::METRIC_HEADER`; `full` prints every
//! per-binding figure of `strat sweep --json`, the columns of `common::FULL_METRIC_HEADER`
//! (`information_ratio` is NaN: examples/tsmom_hedge.strat declares no benchmark), then
//! `report.net_long`, the fraction of decision rows `t0 ..= T-2` whose cross-sectional mean
//! position is > 0 (the study's `report net_long = mean(pos) > 0`).
//! E.g. `tsmom examples/data/crypto_close.csv 10 full`.

#[path = "common.rs"]
mod common;

const COINS: [&str; 8] = ["btc", "eth", "bnb", "xrp", "ada", "doge", "ltc", "link"];
const FROM: &str = "2017-11-09";
const L: usize = 30; // lookback
const VW: usize = 30; // vol window
const VOL_TARGET: f64 = 0.35;
const CAP: f64 = 2.0;
const P: f64 = 365.0;
const THRESHOLDS: [f64; 8] = [-0.05, -0.07, -0.10, -0.12, -0.15, -0.20, -0.25, -0.30];

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    LongOnly,
    Hedge,
    Full,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map(String::as_str).unwrap_or("examples/data/crypto_close.csv");
    let steps: usize = args.get(2).map(|s| s.parse().expect("STRENGTH_STEPS")).unwrap_or(10);
    let full = common::metric_set(args.get(3).map(String::as_str)) == common::MetricSet::Full;

    let tab = common::read_csv(path, &COINS);
    let start = tab.dates.iter().position(|d| d.as_str() >= FROM).expect("no row from 2017-11-09");
    let px: Vec<&[f64]> = tab.cols.iter().map(|c| &c[start..]).collect();
    let t_n = px[0].len();
    let a_n = COINS.len();

    // Per asset and bar: return, size, signal, drawdown. Rows count from the window's first row.
    let mut r = vec![vec![f64::NAN; t_n]; a_n];
    let mut size = vec![vec![f64::NAN; t_n]; a_n];
    let mut sig = vec![vec![f64::NAN; t_n]; a_n];
    let mut dd = vec![vec![f64::NAN; t_n]; a_n];
    let sqrt_p = 365f64.sqrt();
    for j in 0..a_n {
        let p = px[j];
        for t in 1..t_n {
            r[j][t] = p[t] / p[t - 1] - 1.0;
        }
        let mut peak = f64::NEG_INFINITY;
        for t in 0..t_n {
            if p[t] > peak {
                peak = p[t];
            }
            dd[j][t] = p[t] / peak - 1.0;
        }
        for t in VW..t_n {
            let sigma = common::std_ddof1(&r[j][t + 1 - VW..=t]) * sqrt_p;
            // min(vol_target / sigma, cap); sigma = 0 gives inf, hence cap. NaN propagates.
            let q = VOL_TARGET / sigma;
            size[j][t] = if q.is_nan() { f64::NAN } else { q.min(CAP) };
        }
        for t in L..t_n {
            let m = p[t] / p[t - L] - 1.0;
            sig[j][t] = if m > 0.0 { 1.0 } else if m < 0.0 { -1.0 } else if m == 0.0 { 0.0 } else { f64::NAN };
        }
    }
    // Static warm-up of the weight: max(W(std(ret, VW)) = VW, W(ret(p, L)) = L).
    let t0 = VW.max(L);
    let count = a_n as f64; // all eight coins are live over the window

    let mut bindings: Vec<(Mode, f64, f64)> = vec![(Mode::LongOnly, f64::NAN, f64::NAN)];
    for &thr in &THRESHOLDS {
        for i in 1..=steps {
            bindings.push((Mode::Hedge, thr, i as f64 / steps as f64));
        }
    }
    bindings.push((Mode::Full, f64::NAN, f64::NAN));

    let mut out = String::with_capacity(bindings.len() * if full { 340 } else { 160 });
    out.push_str("mode,hedge_threshold,hedge_strength,bars,");
    out.push_str(if full { common::FULL_METRIC_HEADER } else { common::METRIC_HEADER });
    out.push_str(if full { ",report.net_long\n" } else { "\n" });
    let mut x = Vec::with_capacity(t_n);
    // Full mode: gross exposure and turnover per decision row, the held weights of the row
    // before (0 before t0), and the order-statistics scratch.
    let (mut expo, mut turn, mut scratch) = (Vec::with_capacity(t_n), Vec::with_capacity(t_n), Vec::with_capacity(t_n));
    let mut held = [0.0f64; COINS.len()];
    for &(mode, thr, h) in &bindings {
        x.clear();
        if full {
            expo.clear();
            turn.clear();
            held = [0.0; COINS.len()];
        }
        let mut net_long = 0.0;
        for t in t0 + 1..t_n {
            let d = t - 1; // decision row
            let mut ret = 0.0;
            let (mut gross, mut tv, mut pos_sum, mut pos_n) = (0.0, 0.0, 0.0, 0usize);
            for j in 0..a_n {
                let m = size[j][d];
                let s = sig[j][d];
                let pos = if s > 0.0 {
                    m
                } else if s < 0.0 {
                    match mode {
                        Mode::Full => -m,
                        Mode::Hedge if dd[j][d] < thr => -h * m,
                        _ => 0.0,
                    }
                } else {
                    0.0
                };
                let w = pos / count;
                if full {
                    // The held weight: a NaN target holds nothing (every coin has a price here).
                    let hw = if w.is_nan() { 0.0 } else { w };
                    gross += hw.abs();
                    tv += (hw - held[j]).abs();
                    held[j] = hw;
                    if !pos.is_nan() {
                        pos_sum += pos;
                        pos_n += 1;
                    }
                }
                if w.is_nan() || r[j][t].is_nan() {
                    continue; // holds nothing on this bar
                }
                ret += w * r[j][t];
            }
            x.push(ret);
            if full {
                expo.push(gross);
                turn.push(tv);
                net_long += if pos_sum / pos_n as f64 > 0.0 { 1.0 } else { 0.0 };
            }
        }
        let name = match mode {
            Mode::LongOnly => "long_only",
            Mode::Hedge => "hedge",
            Mode::Full => "full",
        };
        use std::fmt::Write;
        let _ = write!(out, "{name},{:?},{:?},{},", thr, h, x.len());
        if full {
            let met = common::full_metrics(&x, &expo, &turn, None, P, &mut scratch);
            common::push_full_metrics(&mut out, &met);
            let _ = writeln!(out, ",{:?}", net_long / x.len() as f64);
        } else {
            common::push_metrics(&mut out, &common::metrics(&x, P));
            out.push('\n');
        }
    }
    use std::io::Write;
    std::io::stdout().lock().write_all(out.as_bytes()).unwrap();
}
