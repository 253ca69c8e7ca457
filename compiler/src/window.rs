//! Runs windowed and running plan operations through the `strat-stdlib` kernels. Both the
//! runtime's plan runner (`strat_runtime::plan_runner`, which executes the JIT kernels) and the
//! reference evaluator call these, so windows are one implementation.

use crate::plan::{CrossOp, ScanOp, WindowOp};
use rayon::prelude::*;
use strat_stdlib::{cross_section, rolling, timeseries};

/// Computes `op(x, n)` into `out` (same length as `x`). `n` has been validated by binding.
pub fn run_window(op: WindowOp, x: &[f64], n: usize, out: &mut [f64]) {
    match op {
        WindowOp::Sma => rolling::sma(x, n, out),
        WindowOp::Std => rolling::std(x, n, out),
        WindowOp::Zscore => rolling::zscore(x, n, out),
        WindowOp::RollingMin => rolling::rolling_min(x, n, out),
        WindowOp::RollingMax => rolling::rolling_max(x, n, out),
        WindowOp::Ema => timeseries::ema(x, n, out),
        WindowOp::Ret => timeseries::ret(x, n, out),
        WindowOp::LogRet => timeseries::logret(x, n, out),
        WindowOp::Lag => timeseries::lag(x, n, out),
    }
}

/// Computes the running op over `x` into `out`.
pub fn run_scan(op: ScanOp, x: &[f64], out: &mut [f64]) {
    match op {
        ScanOp::Drawdown => timeseries::drawdown(x, out),
        ScanOp::Cumsum => timeseries::cumsum(x, out),
        ScanOp::Cumprod => timeseries::cumprod(x, out),
    }
}

/// Computes a cross-sectional op over the asset-major panel `x` (`rows * assets` values) into
/// `out` (`rows` values for `count`/`sum`/`mean`, else `rows * assets`). `frac` is the fraction
/// of `top`/`bottom`, whose result is 1 (selected) or 0 (not selected, or no value). Rows are
/// independent: the panel-valued ops run on blocks of rows in parallel (rayon), each row with
/// exactly the operations of the whole-panel kernel.
pub fn run_cross(op: CrossOp, x: &[f64], rows: usize, assets: usize, frac: f64, out: &mut [f64]) {
    match op {
        CrossOp::Count => cross_section::count(x, rows, assets, out),
        CrossOp::Sum => cross_section::sum_cs(x, rows, assets, out),
        CrossOp::Mean => cross_section::mean_cs(x, rows, assets, out),
        CrossOp::Rank => per_row_block(x, rows, assets, out, |b| cross_section::rank_block(x, rows, assets, b)),
        CrossOp::ZscoreCs => per_row_block(x, rows, assets, out, |b| cross_section::zscore_cs_block(x, rows, assets, b)),
        // An asset without a value is NaN, not 0 (spec/semantics.md §10): a NaN bool reads as
        // false in `if`, `and`, `or`, `not` and in `==` / `!=` between bools.
        CrossOp::Top => per_row_block(x, rows, assets, out, |b| cross_section::top_block(x, frac, rows, assets, b)),
        CrossOp::Bottom => per_row_block(x, rows, assets, out, |b| cross_section::bottom_block(x, frac, rows, assets, b)),
    }
}

/// Rows per block of a parallel cross-sectional op: enough blocks to balance the threads, none so
/// small that the split costs more than the work.
const MIN_BLOCK_ROWS: usize = 256;

/// Splits the `rows * assets` output panel `out` into row blocks and calls `f` on each, in
/// parallel when there is more than one block.
fn per_row_block(x: &[f64], rows: usize, assets: usize, out: &mut [f64], f: impl Fn(&mut cross_section::RowBlock<'_>) + Sync) {
    assert_eq!(x.len(), rows * assets, "x must hold rows * assets values");
    assert_eq!(out.len(), rows * assets, "out must hold rows * assets values");
    if rows == 0 || assets == 0 {
        return;
    }
    let block_rows = rows.div_ceil(4 * rayon::current_num_threads()).max(MIN_BLOCK_ROWS);
    cross_section::row_blocks(out, rows, block_rows).into_par_iter().for_each(|mut b| f(&mut b));
}

/// Runs a window op on every asset of a column of `width` assets, `rows` values each (asset-major,
/// `x` and `out` of `rows * width` values). The assets are independent, so they run in parallel
/// (rayon); each asset's values are those of [`run_window`] on its own series.
pub fn run_window_panel(op: WindowOp, x: &[f64], rows: usize, width: usize, n: usize, out: &mut [f64]) {
    per_asset(x, rows, width, out, |x, out| run_window(op, x, n, out));
}

/// Runs a running op on every asset of a column of `width` assets, in parallel as
/// [`run_window_panel`].
pub fn run_scan_panel(op: ScanOp, x: &[f64], rows: usize, width: usize, out: &mut [f64]) {
    per_asset(x, rows, width, out, |x, out| run_scan(op, x, out));
}

/// Calls `f(asset series, asset output)` for each of the `width` assets of the asset-major
/// panels `x` and `out`, in parallel when there is more than one asset.
fn per_asset(x: &[f64], rows: usize, width: usize, out: &mut [f64], f: impl Fn(&[f64], &mut [f64]) + Sync) {
    assert_eq!(x.len(), rows * width, "x must hold rows * width values");
    assert_eq!(out.len(), rows * width, "out must hold rows * width values");
    if width <= 1 || rows == 0 {
        if width == 1 {
            f(x, out);
        }
        return;
    }
    x.par_chunks(rows).zip(out.par_chunks_mut(rows)).for_each(|(x, out)| f(x, out));
}

/// [`run_window`] at the rows `at` only (ascending, distinct, each `< x.len()`): `out[t]` for
/// each `t` in `at` is bit for bit the value [`run_window`] gives there; the other rows of `out`
/// are left as they are. `n` is the length (or lag) of [`run_window`].
///
/// Every kernel is a function of the rows up to `t`, so the values are the whole-series
/// kernel's on a slice that starts where its value no longer depends on anything earlier. A
/// lag or a return reads two rows (`x[t-k]`, `x[t]`), computed by the kernel on those two
/// values. A run of consecutive rows `u ..= v` of the other windows is computed on `x[a ..=
/// v]`: `a = u - n + 1` (or 0) for a minimum or maximum, and for `sma` / `std` / `zscore` the start
/// of the window of the running sums' last exact re-sum (`rolling` re-sums on the first row of
/// a stretch of complete, finite windows and every `n + 1` rows after it, so a slice that
/// starts one window before that row rebuilds the same sums at the same row). When those
/// slices together are not shorter than the series (rows closer together than about two
/// windows), the running windows step over every row and form their value (the costly part:
/// its error bound) on `at` only (`rolling::std_at` and its siblings), and a minimum or maximum
/// is computed on the whole series, as `ema` (which depends on every earlier row) always is.
pub fn run_window_at(op: WindowOp, x: &[f64], n: usize, at: &[usize], out: &mut [f64]) {
    assert_eq!(x.len(), out.len(), "out must have the length of x");
    if matches!(op, WindowOp::Lag | WindowOp::Ret | WindowOp::LogRet) {
        let mut got = [0.0; 2];
        for &t in at {
            out[t] = if t < n {
                f64::NAN
            } else if n == 0 {
                run_window(op, &x[t..=t], 0, &mut got[..1]);
                got[0]
            } else {
                run_window(op, &[x[t - n], x[t]], 1, &mut got);
                got[1]
            };
        }
        return;
    }
    // The slices (a, u, v), and the rows they cover together.
    let mut slices: Vec<(usize, usize, usize)> = vec![];
    let mut cost = 0usize;
    // The last row `< scanned` holding a NaN or an infinity (for the re-sum rows).
    let (mut scanned, mut last_bad): (usize, Option<usize>) = (0, None);
    let mut i = 0;
    while i < at.len() && op != WindowOp::Ema {
        // The run of consecutive rows u ..= v.
        let u = at[i];
        let mut v = u;
        while i + 1 < at.len() && at[i + 1] == v + 1 {
            i += 1;
            v += 1;
        }
        i += 1;
        let a = match op {
            WindowOp::Sma | WindowOp::Std | WindowOp::Zscore => {
                while scanned <= u {
                    if !x[scanned].is_finite() {
                        last_bad = Some(scanned);
                    }
                    scanned += 1;
                }
                // The first row of the stretch of complete windows without a NaN or an
                // infinity that `u` is in; a row outside one needs only its own window.
                let start = last_bad.map_or(0, |b| b + n).max(n - 1);
                if u < start {
                    (u + 1).saturating_sub(n)
                } else {
                    let resum = start + (u - start) / (n + 1) * (n + 1);
                    resum + 1 - n
                }
            }
            _ => (u + 1).saturating_sub(n),
        };
        slices.push((a, u, v));
        cost += v + 1 - a;
    }
    let mut tmp = Vec::new();
    if cost >= x.len() {
        // The running windows step over every row but form their value on `at` only.
        match op {
            WindowOp::Sma => return rolling::sma_at(x, n, at, out),
            WindowOp::Std => return rolling::std_at(x, n, at, out),
            WindowOp::Zscore => return rolling::zscore_at(x, n, at, out),
            _ => {}
        }
    }
    if op == WindowOp::Ema || cost >= x.len() {
        tmp.resize(x.len(), 0.0);
        run_window(op, x, n, &mut tmp);
        for &t in at {
            out[t] = tmp[t];
        }
        return;
    }
    for (a, u, v) in slices {
        tmp.clear();
        tmp.resize(v + 1 - a, 0.0);
        run_window(op, &x[a..=v], n, &mut tmp);
        out[u..=v].copy_from_slice(&tmp[u - a..]);
    }
}

/// [`run_window_panel`] at the rows `at` of every asset only (see [`run_window_at`]).
pub fn run_window_panel_at(op: WindowOp, x: &[f64], rows: usize, width: usize, n: usize, at: &[usize], out: &mut [f64]) {
    per_asset(x, rows, width, out, |x, out| run_window_at(op, x, n, at, out));
}

/// [`run_cross`] at the rows `at` only (ascending, distinct, each `< rows`): the rows are
/// gathered into a smaller panel, computed with the same kernel and scattered back, so `out`
/// holds on those rows exactly what [`run_cross`] gives (each row of a cross-sectional op
/// depends on that row alone); its other rows are left as they are.
pub fn run_cross_at(op: CrossOp, x: &[f64], rows: usize, assets: usize, frac: f64, at: &[usize], out: &mut [f64]) {
    assert_eq!(x.len(), rows * assets, "x must hold rows * assets values");
    let m = at.len();
    let mut xs = Vec::with_capacity(m * assets);
    for j in 0..assets {
        let col = &x[j * rows..(j + 1) * rows];
        xs.extend(at.iter().map(|&t| col[t]));
    }
    let width = if out.len() == rows { 1 } else { assets };
    let mut os = vec![f64::NAN; m * width];
    run_cross(op, &xs, m, assets, frac, &mut os);
    for j in 0..width {
        let (col, got) = (&mut out[j * rows..(j + 1) * rows], &os[j * m..(j + 1) * m]);
        for (&t, &v) in at.iter().zip(got) {
            col[t] = v;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small seeded generator (the workspace has no property-testing crate).
    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: usize) -> usize {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((self.0 >> 33) % n as u64) as usize
        }

        fn unit(&mut self) -> f64 {
            self.below(1 << 30) as f64 / (1u64 << 30) as f64
        }
    }

    const OPS: [WindowOp; 9] = [
        WindowOp::Sma,
        WindowOp::Std,
        WindowOp::Zscore,
        WindowOp::RollingMin,
        WindowOp::RollingMax,
        WindowOp::Ema,
        WindowOp::Ret,
        WindowOp::LogRet,
        WindowOp::Lag,
    ];

    /// A series with runs of equal values, NaN gaps, infinities and a large offset: every state
    /// the running windows track.
    fn series(rng: &mut Lcg, len: usize) -> Vec<f64> {
        let mut x = Vec::with_capacity(len);
        while x.len() < len {
            let v = match rng.below(12) {
                0 => f64::NAN,
                1 => f64::INFINITY,
                2 | 3 => 5.0,
                4 | 5 => rng.unit() - 0.5,
                _ => 1e6 + 1e3 * (rng.unit() - 0.5),
            };
            // Runs of one value, up to a dozen rows.
            for _ in 0..1 + rng.below(3) * rng.below(5) {
                x.push(v);
            }
        }
        x.truncate(len);
        x
    }

    /// Every window op at random rows of random series equals the whole-series kernel there,
    /// bit for bit, and leaves the other rows alone.
    #[test]
    fn a_window_at_some_rows_equals_the_whole_series() {
        let mut rng = Lcg(17);
        for case in 0..400 {
            let len = rng.below(200);
            let x = series(&mut rng, len);
            let n0 = 1 + rng.below(14);
            let density = 1 + rng.below(8);
            let mask: Vec<bool> = (0..x.len()).map(|_| rng.below(density) == 0).collect();
            let at: Vec<usize> = (0..x.len()).filter(|&t| mask[t]).collect();
            for op in OPS {
                let n = n0.max(op.min_length());
                let mut want = vec![0.0; x.len()];
                run_window(op, &x, n, &mut want);
                let mut got = vec![-7.0; x.len()];
                run_window_at(op, &x, n, &at, &mut got);
                for t in 0..x.len() {
                    let expect = if mask[t] { want[t] } else { -7.0 };
                    assert_eq!(got[t].to_bits(), expect.to_bits(), "case {case}: {op:?} n={n} row {t}: {} vs {}", got[t], expect);
                }
            }
        }
    }

    /// A cross-sectional op at random rows equals the whole panel's on those rows.
    #[test]
    fn a_cross_section_at_some_rows_equals_the_whole_panel() {
        let mut rng = Lcg(5);
        for case in 0..200 {
            let (rows, assets) = (1 + rng.below(40), 1 + rng.below(7));
            let x: Vec<f64> = (0..rows * assets)
                .map(|_| match rng.below(10) {
                    0 => f64::NAN,
                    1 => 0.5,
                    _ => rng.unit() - 0.5,
                })
                .collect();
            let mask: Vec<bool> = (0..rows).map(|_| rng.below(3) == 0).collect();
            let at: Vec<usize> = (0..rows).filter(|&t| mask[t]).collect();
            for op in [CrossOp::Count, CrossOp::Sum, CrossOp::Mean, CrossOp::Rank, CrossOp::ZscoreCs, CrossOp::Top, CrossOp::Bottom] {
                let width = if matches!(op, CrossOp::Count | CrossOp::Sum | CrossOp::Mean) { 1 } else { assets };
                let mut want = vec![0.0; rows * width];
                run_cross(op, &x, rows, assets, 0.4, &mut want);
                let mut got = vec![-7.0; rows * width];
                run_cross_at(op, &x, rows, assets, 0.4, &at, &mut got);
                for j in 0..width {
                    for t in 0..rows {
                        let expect = if mask[t] { want[j * rows + t] } else { -7.0 };
                        assert_eq!(got[j * rows + t].to_bits(), expect.to_bits(), "case {case}: {op:?} asset {j} row {t}");
                    }
                }
            }
        }
    }

    /// Month-end-like rows of a long series with a NaN gap: re-sum rows far from the start.
    #[test]
    fn a_window_at_sparse_rows_of_a_long_series_equals_the_whole_series() {
        let x: Vec<f64> = (0..3000).map(|t| if (1200..1210).contains(&t) { f64::NAN } else { 100.0 + ((t * 37) % 101) as f64 * 0.013 }).collect();
        let at: Vec<usize> = (0..3000).filter(|t| t % 21 == 20 || *t < 80).collect();
        for op in OPS {
            for n in [2, 20, 63, 64] {
                let mut want = vec![0.0; x.len()];
                run_window(op, &x, n, &mut want);
                let mut got = vec![0.0; x.len()];
                run_window_at(op, &x, n, &at, &mut got);
                for &t in &at {
                    assert_eq!(got[t].to_bits(), want[t].to_bits(), "{op:?} n={n} row {t}");
                }
            }
        }
    }
}
