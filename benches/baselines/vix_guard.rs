//! Plain-Rust baseline of the VIX guard window x threshold sweep (`benches/vix_guard_grid.strat`,
//! SEMANTICS.md §6 with the spike window and threshold swept): hand-written, single-threaded, std
//! only, CSV parsing included.
//!
//!     vix_guard [CSV] [MODE] [METRICS]
//!
//! CSV defaults to examples/data/spx_vix.csv. The grid: `spike_window` 20 ..= 739 (720 windows) x
//! `spike_z` 1.5 ..= 3.3 step 0.2 (10 thresholds), 7,200 bindings, the last param turning fastest.
//! MODE says how the rolling z-score of the VIX is computed:
//!
//! - `naive` (default): recomputed for every binding, each window summed from scratch (two-pass
//!   mean and ddof-1 std, O(bars x window) per binding), the loop a first version would be;
//! - `shared`: computed once per window length and reused by its 10 thresholds, still two-pass
//!   per window (O(bars x window) per length), what a careful hand-written study does;
//! - `running`: computed once per window length from running sums of x and x^2 (O(bars) per
//!   length, no compensation, no re-sum), the fastest loop one would write by hand. Its z-scores
//!   differ from the two-pass ones in the last digits (more where the VIX sits still), which can
//!   flip a comparison right at a threshold; `compare.py` reports any binding that moves.
//!
//! `naive` and `shared` give the same z-scores, so the same metrics. Costs: 2 bps of turnover, the position
//! entered at the first live row charged in full (SEMANTICS.md §3). Prints one CSV line per
//! binding: the params, `bars`, then the metrics.
//!
//! METRICS says which metrics: `six` (default) prints the six of `common::METRIC_HEADER`;
//! `full` prints every per-binding figure of `strat sweep --json`, the columns of
//! `common::FULL_METRIC_HEADER` (the eleven metrics, `avg_turnover`, and `information_ratio`
//! against the unguarded index, the grid's `benchmark mkt.spx`), then `report.guard_active`, the
//! fraction of decision rows `t0 ..= T-2` whose exposure is below 100% (the grid's `report`).
//! E.g. `vix_guard examples/data/spx_vix.csv running full`.

#[path = "common.rs"]
mod common;

const TIERS: [(f64, f64); 3] = [(50.0, 0.45), (40.0, 0.65), (30.0, 0.85)];
const CAP: f64 = 0.70;
const COST: f64 = 2e-4;
const P: f64 = 252.0;

/// The rolling z-score of `v` over `n` bars (NaN in warm-up and where the window's std is 0):
/// the two-pass mean and ddof-1 std of `common::std_ddof1`, window by window.
fn zscore(v: &[f64], n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(v.len(), f64::NAN);
    for t in n - 1..v.len() {
        let w = &v[t + 1 - n..=t];
        let mut s = 0.0;
        for &x in w {
            s += x;
        }
        let m = s / n as f64;
        let sd = common::std_ddof1(w);
        out[t] = if sd == 0.0 || sd.is_nan() { f64::NAN } else { (v[t] - m) / sd };
    }
}

/// The rolling z-score from running sums of `x` and `x^2` (the textbook one-pass variance):
/// O(1) per bar, exact zero only where the sums cancel exactly.
fn zscore_running(v: &[f64], n: usize, out: &mut Vec<f64>) {
    out.clear();
    out.resize(v.len(), f64::NAN);
    let (mut s, mut s2) = (0.0, 0.0);
    let nf = n as f64;
    for t in 0..v.len() {
        s += v[t];
        s2 += v[t] * v[t];
        if t >= n {
            s -= v[t - n];
            s2 -= v[t - n] * v[t - n];
        }
        if t + 1 >= n {
            let m = s / nf;
            let var = (s2 - s * m) / (nf - 1.0);
            out[t] = if var <= 0.0 { f64::NAN } else { (v[t] - m) / var.sqrt() };
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let path = args.get(1).map(String::as_str).unwrap_or("examples/data/spx_vix.csv");
    let mode = args.get(2).map(String::as_str).unwrap_or("naive");
    let (shared, running) = match mode {
        "naive" => (false, false),
        "shared" => (true, false),
        "running" => (true, true),
        other => panic!("MODE is naive, shared or running, not {other}"),
    };
    let full = common::metric_set(args.get(3).map(String::as_str)) == common::MetricSet::Full;
    let tab = common::read_csv(path, &["spx", "vix"]);
    let (spx, vix) = (&tab.cols[0], &tab.cols[1]);
    let t_n = spx.len();
    // The asset's return of each row, and the tier exposure of each row (no warm-up).
    let mut r = vec![f64::NAN; t_n];
    for t in 1..t_n {
        r[t] = spx[t] / spx[t - 1] - 1.0;
    }
    let tier: Vec<f64> = vix.iter().map(|&v| TIERS.iter().find(|&&(lo, _)| v >= lo).map_or(1.0, |&(_, w)| w)).collect();
    // The thresholds as the exact decimals 1.5, 1.7, ..., 3.3 (k / 10 is correctly rounded).
    let thresholds: Vec<f64> = (0..10).map(|k| (15 + 2 * k) as f64 / 10.0).collect();

    let mut out = String::with_capacity(7200 * if full { 340 } else { 160 });
    out.push_str("spike_window,spike_z,bars,");
    out.push_str(if full { common::FULL_METRIC_HEADER } else { common::METRIC_HEADER });
    out.push_str(if full { ",report.guard_active\n" } else { "\n" });
    let mut z = Vec::with_capacity(t_n);
    let mut x = Vec::with_capacity(t_n);
    // Full mode: the exposure and turnover of each decision row, and the order-statistics scratch.
    let (mut expo, mut turn, mut scratch) = (Vec::with_capacity(t_n), Vec::with_capacity(t_n), Vec::with_capacity(t_n));
    for n in 20..=739usize {
        if running {
            zscore_running(vix, n, &mut z);
        } else if shared {
            zscore(vix, n, &mut z);
        }
        for &zt in &thresholds {
            if !shared {
                zscore(vix, n, &mut z);
            }
            // The first live weight is row n - 1 (the z-score's warm-up); the exposure is never
            // NaN (a NaN z-score compares false), so the weight is live from there on.
            let t0 = n - 1;
            x.clear();
            let mut prev = 0.0;
            use std::fmt::Write;
            if !full {
                for t in t0..t_n - 1 {
                    let w = if z[t] > zt { tier[t].min(CAP) } else { tier[t] };
                    let cost = COST * (w - prev).abs();
                    x.push(w * r[t + 1] - cost);
                    prev = w;
                }
                let m = common::metrics(&x, P);
                let _ = write!(out, "{:?},{:?},{},", n as f64, zt, x.len());
                common::push_metrics(&mut out, &m);
                out.push('\n');
                continue;
            }
            expo.clear();
            turn.clear();
            let mut guarded = 0.0;
            for t in t0..t_n - 1 {
                let w = if z[t] > zt { tier[t].min(CAP) } else { tier[t] };
                let tv = (w - prev).abs();
                x.push(w * r[t + 1] - COST * tv);
                expo.push(w.abs());
                turn.push(tv);
                guarded += if w < 1.0 { 1.0 } else { 0.0 };
                prev = w;
            }
            // The benchmark (the index held at weight 1, no costs) on the same return rows.
            let m = common::full_metrics(&x, &expo, &turn, Some(&r[t0 + 1..]), P, &mut scratch);
            let _ = write!(out, "{:?},{:?},{},", n as f64, zt, x.len());
            common::push_full_metrics(&mut out, &m);
            let _ = writeln!(out, ",{:?}", guarded / x.len() as f64);
        }
    }
    use std::io::Write;
    std::io::stdout().lock().write_all(out.as_bytes()).unwrap();
}
