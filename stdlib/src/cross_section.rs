//! Cross-sectional kernels over a panel (SEMANTICS.md §5).
//!
//! A panel holds `assets` series of `rows` bars each, stored **asset-major**:
//! `x.len() == rows * assets`, asset `j`'s series is `x[j*rows .. (j+1)*rows]`
//! and row `t` of asset `j` is `x[j*rows + t]`. Kernels that return a panel
//! write `out` in the same layout (`out.len() == rows * assets`); per-row
//! reductions write `out.len() == rows`.
//!
//! Every kernel works row by row on the assets whose value on that row is
//! *defined* (not NaN); `n` is their number. A row uses only its own values,
//! so a value at row `t` depends on rows `<= t` only (no look-ahead).
//! Infinities are defined values (they rank and select like any number).
//! `-0.0` and `0.0` compare equal, so they tie.
//!
//! Kernels panic on mismatched lengths.

/// Checks `x.len() == rows * assets` and `out.len() == want_out`.
fn check(x: &[f64], rows: usize, assets: usize, out: &[f64], want_out: usize, what: &str) {
    let cells = rows.checked_mul(assets).expect("rows * assets overflows usize");
    assert_eq!(x.len(), cells, "x must have rows * assets values");
    assert_eq!(out.len(), want_out, "{what}");
}

/// Checks a panel-to-panel kernel's shapes.
fn check_panel(x: &[f64], rows: usize, assets: usize, out: &[f64]) {
    check(x, rows, assets, out, x.len(), "out must have rows * assets values");
}

/// Checks a per-row reduction's shapes.
fn check_rows(x: &[f64], rows: usize, assets: usize, out: &[f64]) {
    check(x, rows, assets, out, rows, "out must have one value per row");
}

/// Rows `first .. first + len` of every asset of an asset-major output panel: one mutable slice
/// per asset, all of the same length. Row-wise kernels (`*_block`) write one block each, so the
/// blocks of a panel can be computed in parallel (they never overlap).
#[derive(Debug)]
pub struct RowBlock<'a> {
    /// The panel row of the blocks' first row.
    pub first: usize,
    /// `assets[j][i]` is row `first + i` of asset `j`.
    pub assets: Vec<&'a mut [f64]>,
}

impl RowBlock<'_> {
    /// The panel rows the block covers.
    pub fn rows(&self) -> std::ops::Range<usize> {
        let len = self.assets.first().map_or(0, |a| a.len());
        self.first..self.first + len
    }

    /// Writes `v` at panel row `t` of asset `j`.
    fn set(&mut self, j: usize, t: usize, v: f64) {
        self.assets[j][t - self.first] = v;
    }

    /// Writes `v` at panel row `t` of every asset.
    fn fill_row(&mut self, t: usize, v: f64) {
        let i = t - self.first;
        for a in &mut self.assets {
            a[i] = v;
        }
    }
}

/// Splits the asset-major panel `out` (`rows * assets` values, `rows > 0`) into consecutive row
/// blocks of at most `block_rows` rows (`>= 1`), in row order.
pub fn row_blocks(out: &mut [f64], rows: usize, block_rows: usize) -> Vec<RowBlock<'_>> {
    assert!(rows > 0 && block_rows > 0, "row blocks need rows and a block length");
    assert_eq!(out.len() % rows, 0, "out must hold whole assets");
    let n_blocks = rows.div_ceil(block_rows);
    let mut blocks: Vec<RowBlock<'_>> = (0..n_blocks).map(|b| RowBlock { first: b * block_rows, assets: vec![] }).collect();
    for mut asset in out.chunks_mut(rows) {
        for b in &mut blocks {
            let (head, tail) = asset.split_at_mut(block_rows.min(asset.len()));
            b.assets.push(head);
            asset = tail;
        }
    }
    blocks
}

/// The whole of `out` (`rows * assets` values) as one [`RowBlock`].
fn one_block(out: &mut [f64], rows: usize) -> RowBlock<'_> {
    let assets = if rows == 0 { vec![] } else { out.chunks_mut(rows).collect() };
    RowBlock { first: 0, assets }
}

/// Checks a row-block kernel's shapes: `x` holds `rows * assets` values and `block` one slice per
/// asset, within the panel's rows.
fn check_block(x: &[f64], rows: usize, assets: usize, block: &RowBlock<'_>) {
    let cells = rows.checked_mul(assets).expect("rows * assets overflows usize");
    assert_eq!(x.len(), cells, "x must have rows * assets values");
    assert!(rows == 0 || block.assets.len() == assets, "the block must have one slice per asset");
    assert!(block.rows().end <= rows, "the block must lie within the panel's rows");
    assert!(block.assets.iter().all(|a| a.len() == block.rows().len()), "the block's slices must have one length");
}

/// Collects row `t`'s defined values, in asset order, as `(value, asset)`.
fn defined_row(x: &[f64], rows: usize, assets: usize, t: usize, buf: &mut Vec<(f64, usize)>) {
    buf.clear();
    for j in 0..assets {
        let v = x[j * rows + t];
        if !v.is_nan() {
            buf.push((v, j));
        }
    }
}

/// Sum of the defined values on each row, added in asset order; `0.0` on a row with none
/// (pandas `DataFrame.sum(axis=1)` with its default `skipna=True, min_count=0`).
///
/// Shapes: `x` a `rows x assets` panel (asset-major), `out.len() == rows`.
pub fn sum_cs(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_rows(x, rows, assets, out);
    defined_sums(x, rows, assets, out, None);
}

crate::avx2_when_available! {
    /// `out[t]` = the sum of row `t`'s defined values, added in asset order from `0.0`, and (if
    /// given) `counts[t]` = how many there are. Runs asset by asset over contiguous columns (so the
    /// loops vectorise), which adds each row's values in the same order as a loop over the row.
    /// A NaN adds `0.0`, which leaves the sum unchanged: a sum that starts at `+0.0` is never `-0.0`
    /// under round-to-nearest.
    fn defined_sums(x: &[f64], rows: usize, assets: usize, out: &mut [f64], counts: Option<&mut [u32]>) {
        let mut counts = counts;
        out.fill(0.0);
        for col in x.chunks_exact(rows.max(1)).take(assets) {
            match counts.as_deref_mut() {
                Some(c) => {
                    for ((o, n), &v) in out.iter_mut().zip(c.iter_mut()).zip(col) {
                        let defined = !v.is_nan();
                        *o += if defined { v } else { 0.0 };
                        *n += defined as u32;
                    }
                }
                None => {
                    for (o, &v) in out.iter_mut().zip(col) {
                        *o += if v.is_nan() { 0.0 } else { v };
                    }
                }
            }
        }
    }
}

crate::avx2_when_available! {
    /// Number of defined (non-NaN) values on each row.
    ///
    /// Shapes: `x` a `rows x assets` panel (asset-major), `out.len() == rows`.
    /// `out[t] = n` as a float; `0.0` on a row with no defined value (never NaN).
    pub fn count(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
        check_rows(x, rows, assets, out);
        out.fill(0.0);
        for col in x.chunks_exact(rows.max(1)).take(assets) {
            for (o, &v) in out.iter_mut().zip(col) {
                *o += (!v.is_nan()) as u8 as f64;
            }
        }
    }
}

crate::avx2_when_available! {
    /// Mean of each row's defined values.
    ///
    /// Shapes: `x` a `rows x assets` panel (asset-major), `out.len() == rows`.
    /// `out[t] = (sum of the defined values) / n`, summed left to right in asset
    /// order; NaN when `n = 0`. Units: those of `x`.
    /// Convention: pandas `DataFrame.mean(axis=1)` (`skipna=True`), to rounding.
    pub fn mean_cs(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
        check_rows(x, rows, assets, out);
        let mut n = vec![0u32; rows];
        defined_sums(x, rows, assets, out, Some(&mut n));
        for (o, &n) in out.iter_mut().zip(&n) {
            *o = if n == 0 { f64::NAN } else { *o / n as f64 };
        }
    }
}

/// Cross-sectional percentile rank: average 1-based rank among the row's
/// defined values, divided by `n`.
///
/// Shapes: `x`, `out` `rows x assets` panels (asset-major). Values in
/// `(0, 1]`; the largest defined value of a row gets `1.0`, a row with a
/// single defined value gets `1.0`. Tied values share the mean of the ranks
/// they span (`(first + last) / 2`, 1-based). NaN stays NaN.
/// Convention: pandas `DataFrame.rank(axis=1, method='average', pct=True)`
/// (`na_option='keep'`), SEMANTICS.md §5.
pub fn rank(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_panel(x, rows, assets, out);
    rank_block(x, rows, assets, &mut one_block(out, rows));
}

/// [`rank`] on the rows of one [`RowBlock`] of the output (the other rows are not touched).
///
/// Shapes: `x` a `rows x assets` panel (asset-major); `block` from [`row_blocks`] on an output of
/// the same shape.
pub fn rank_block(x: &[f64], rows: usize, assets: usize, block: &mut RowBlock<'_>) {
    check_block(x, rows, assets, block);
    let mut buf = Vec::with_capacity(assets);
    for t in block.rows() {
        block.fill_row(t, f64::NAN);
        defined_row(x, rows, assets, t, &mut buf);
        let n = buf.len();
        // Ties share one value whatever their order, so an unstable sort by (value, asset) gives
        // the same ranks as a stable one.
        buf.sort_unstable_by(by_value_then_asset);
        let mut i = 0;
        while i < n {
            let mut k = i;
            while k + 1 < n && buf[k + 1].0 == buf[i].0 {
                k += 1;
            }
            // 1-based ranks i+1 ..= k+1 share their mean; exact in doubles.
            let avg = (i + k + 2) as f64 / 2.0;
            for &(_, j) in &buf[i..=k] {
                block.set(j, t, avg / n as f64);
            }
            i = k + 1;
        }
    }
}

/// Ascending by value, then by asset index: a total order on defined `(value, asset)` pairs (the
/// values are never NaN). `-0.0` and `0.0` are equal values, so they are ordered by asset.
fn by_value_then_asset(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    a.0.partial_cmp(&b.0).expect("defined values are not NaN").then(a.1.cmp(&b.1))
}

/// Descending by value, then ascending by asset index (see [`by_value_then_asset`]).
fn by_value_desc_then_asset(a: &(f64, usize), b: &(f64, usize)) -> std::cmp::Ordering {
    b.0.partial_cmp(&a.0).expect("defined values are not NaN").then(a.1.cmp(&b.1))
}

/// Cross-sectional z-score: `(x - mean) / std` over the row's defined values.
///
/// Shapes: `x`, `out` `rows x assets` panels (asset-major). Units: none.
/// `mean` is summed in asset order (as [`mean_cs`]); `std` is the sample
/// standard deviation (ddof = 1), two-pass (the mean first, then the squared
/// deviations summed in asset order), and exactly `0` when all defined values
/// of the row are equal (compared exactly), as the rolling `std` of
/// SEMANTICS.md §5.
/// NaN: where `x` is NaN; on the whole row when `n < 2` or when that std is
/// 0 (never ±inf), and on a row holding an infinity (its std is NaN).
/// Convention: pandas `df.sub(df.mean(axis=1), axis=0).div(df.std(axis=1),
/// axis=0)`, except that a constant row is NaN here (pandas may leave a
/// rounding residue in its std).
pub fn zscore_cs(x: &[f64], rows: usize, assets: usize, out: &mut [f64]) {
    check_panel(x, rows, assets, out);
    zscore_cs_block(x, rows, assets, &mut one_block(out, rows));
}

/// [`zscore_cs`] on the rows of one [`RowBlock`] of the output (the other rows are not touched).
///
/// Shapes: as [`rank_block`].
pub fn zscore_cs_block(x: &[f64], rows: usize, assets: usize, block: &mut RowBlock<'_>) {
    check_block(x, rows, assets, block);
    let mut buf = Vec::with_capacity(assets);
    for t in block.rows() {
        block.fill_row(t, f64::NAN);
        defined_row(x, rows, assets, t, &mut buf);
        let n = buf.len();
        if n < 2 || buf.iter().all(|&(v, _)| v == buf[0].0) {
            continue;
        }
        let mut s = 0.0;
        for &(v, _) in &buf {
            s += v;
        }
        let mean = s / n as f64;
        let mut ss = 0.0;
        for &(v, _) in &buf {
            let d = v - mean;
            ss += d * d;
        }
        let sd = (ss / (n - 1) as f64).sqrt();
        if sd == 0.0 || sd.is_nan() {
            // Infinities, or differences whose squares underflow.
            continue;
        }
        for &(v, j) in &buf {
            block.set(j, t, (v - mean) / sd);
        }
    }
}

/// The number of scaled fraction units per 1 (six decimal places).
const FRACTION_SCALE: u128 = 1_000_000;

/// `floor(n * frac)` with `frac` taken as its exact decimal literal.
///
/// `frac` is read as the decimal `m / 1e6` with `m = round(frac * 1e6)` (an
/// integer), i.e. the literal's value for literals with up to six decimal
/// places, and the result is `floor(n * m / 1e6)` in integer arithmetic. So
/// `count_of_fraction(100, 0.29) == 29` although the double product
/// `100.0 * 0.29` is `28.999999999999996` (and `0.57 * 100.0` is
/// `56.99999999999999`); products that land just above an integer
/// (`0.7 * 10.0 = 7.000000000000001`) floor correctly either way. For any
/// `frac` within a few ulps of a six-place decimal, `frac * 1e6` is within
/// far less than 0.5 of `m`, so the rounding recovers the literal exactly.
///
/// Literals with more than six decimal places are rounded to six
/// (`1/3` counts as `0.333333`). A NaN, negative or zero `frac` gives 0; a
/// `frac` above 1 gives more than `n` (callers clamp); the result saturates
/// at `usize::MAX`.
pub fn count_of_fraction(n: usize, frac: f64) -> usize {
    let scaled = (frac * FRACTION_SCALE as f64).round();
    if scaled.is_nan() || scaled <= 0.0 {
        return 0;
    }
    // `as` saturates for huge values (and +inf).
    let m = scaled as u128;
    match (n as u128).checked_mul(m) {
        Some(p) => usize::try_from(p / FRACTION_SCALE).unwrap_or(usize::MAX),
        None => usize::MAX,
    }
}

/// Shared body of [`top_block`] and [`bottom_block`]: marks the first `k` defined values of each
/// row of `block` in the order of a stable sort by value (descending when `highest`), i.e. the
/// `k` smallest under (value, then asset index): ties go to the lower asset index in both
/// directions. Marked values are 1, the other defined ones 0, the rest NaN.
fn select(x: &[f64], frac: f64, rows: usize, assets: usize, block: &mut RowBlock<'_>, highest: bool) {
    check_block(x, rows, assets, block);
    let mut buf = Vec::with_capacity(assets);
    for t in block.rows() {
        block.fill_row(t, f64::NAN);
        defined_row(x, rows, assets, t, &mut buf);
        let n = buf.len();
        if n == 0 {
            continue;
        }
        let k = count_of_fraction(n, frac).max(1).min(n);
        // A total order, so the k first after partitioning are exactly the k first of a sort.
        // (The comparators are passed as items, not as one fn pointer, so that they inline.)
        if highest {
            buf.select_nth_unstable_by(k - 1, by_value_desc_then_asset);
        } else {
            buf.select_nth_unstable_by(k - 1, by_value_then_asset);
        }
        for (rank, &(_, j)) in buf.iter().enumerate() {
            block.set(j, t, if rank < k { 1.0 } else { 0.0 });
        }
    }
}

/// Selects the `k` highest defined values of each row.
///
/// Shapes: `x`, `out` `rows x assets` panels (asset-major); `frac` a fraction
/// in `(0, 1]` given as a decimal literal.
/// `k = max(1, floor(n * frac))` with the floor taken on the exact decimal
/// value of `frac` ([`count_of_fraction`]), capped at `n`. `out` is `1.0` for
/// the `k` selected assets, `0.0` for the other defined ones and NaN where
/// `x` is NaN; a row with `n = 0` selects nothing (all NaN).
/// Ties: among equal values the lower asset index is selected first (a stable
/// selection), SEMANTICS.md §5. A `frac` of 0 (or negative, or NaN) still
/// selects one asset per non-empty row.
pub fn top(x: &[f64], frac: f64, rows: usize, assets: usize, out: &mut [f64]) {
    check_panel(x, rows, assets, out);
    top_block(x, frac, rows, assets, &mut one_block(out, rows));
}

/// [`top`] on the rows of one [`RowBlock`] of the output (the other rows are not touched).
///
/// Shapes: as [`rank_block`].
pub fn top_block(x: &[f64], frac: f64, rows: usize, assets: usize, block: &mut RowBlock<'_>) {
    select(x, frac, rows, assets, block, true);
}

/// Selects the `k` lowest defined values of each row.
///
/// As [`top`], with the lowest values: `k = max(1, floor(n * frac))` (exact
/// decimal `frac`, capped at `n`); `1.0` selected, `0.0` other defined, NaN
/// where `x` is NaN; among equal values the lower asset index is selected
/// first; a row with `n = 0` selects nothing.
pub fn bottom(x: &[f64], frac: f64, rows: usize, assets: usize, out: &mut [f64]) {
    check_panel(x, rows, assets, out);
    bottom_block(x, frac, rows, assets, &mut one_block(out, rows));
}

/// [`bottom`] on the rows of one [`RowBlock`] of the output (the other rows are not touched).
///
/// Shapes: as [`rank_block`].
pub fn bottom_block(x: &[f64], frac: f64, rows: usize, assets: usize, block: &mut RowBlock<'_>) {
    select(x, frac, rows, assets, block, false);
}

#[cfg(test)]
mod sum_tests {
    #[test]
    fn sum_skips_nan_and_is_zero_when_empty() {
        // 2 rows x 3 assets, asset-major.
        let x = [1.0, f64::NAN, 2.5, f64::NAN, 4.0, f64::NAN];
        let mut out = [0.0; 2];
        super::sum_cs(&x, 2, 3, &mut out);
        assert_eq!(out, [1.0 + 2.5 + 4.0, 0.0]);
    }

    /// The column-by-column sums, counts and means against the row-by-row definitions, bit for
    /// bit: NaN gaps, signed zeros, rows with no value, values of very different sizes.
    #[test]
    fn column_passes_equal_the_row_definitions() {
        let (rows, assets) = (97, 7);
        let mut seed = 42u64;
        let mut next = move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 11) as f64 / (1u64 << 53) as f64
        };
        let x: Vec<f64> = (0..rows * assets)
            .map(|i| match (i % rows, next()) {
                (5, _) => f64::NAN,
                (6, _) => -0.0,
                (_, u) if u < 0.2 => f64::NAN,
                (_, u) if u < 0.25 => -0.0,
                (_, u) => (u - 0.6) * 10f64.powi((i % 5) as i32 * 4),
            })
            .collect();
        let row = |t: usize| (0..assets).map(|j| x[j * rows + t]).filter(|v| !v.is_nan()).collect::<Vec<f64>>();
        let (mut sum, mut n, mut mean) = (vec![0.0; rows], vec![0.0; rows], vec![0.0; rows]);
        super::sum_cs(&x, rows, assets, &mut sum);
        super::count(&x, rows, assets, &mut n);
        super::mean_cs(&x, rows, assets, &mut mean);
        for t in 0..rows {
            let v = row(t);
            let s = v.iter().fold(0.0, |a, b| a + b);
            assert_eq!(sum[t].to_bits(), s.to_bits(), "sum, row {t}");
            assert_eq!(n[t], v.len() as f64, "count, row {t}");
            let m = if v.is_empty() { f64::NAN } else { s / v.len() as f64 };
            assert_eq!(mean[t].to_bits(), m.to_bits(), "mean, row {t}");
        }
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod block_tests {
    use super::*;

    /// A `rows x assets` panel with NaN gaps, many ties (including 0.0 / -0.0) and noise.
    fn panel(rows: usize, assets: usize) -> Vec<f64> {
        let mut seed = 99u64;
        (0..rows * assets)
            .map(|_| {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (seed >> 33) as f64 / (1u64 << 31) as f64;
                match (u * 10.0) as u32 {
                    0 => f64::NAN,
                    1 => 0.0,
                    2 => -0.0,
                    3 => 1.5,
                    _ => u,
                }
            })
            .collect()
    }

    /// `top` / `bottom` as first written: a stable sort of each row by value, the first `k` marked.
    fn select_by_stable_sort(x: &[f64], frac: f64, rows: usize, assets: usize, highest: bool) -> Vec<f64> {
        let mut out = vec![f64::NAN; x.len()];
        let mut buf = vec![];
        for t in 0..rows {
            defined_row(x, rows, assets, t, &mut buf);
            let n = buf.len();
            if n == 0 {
                continue;
            }
            let k = count_of_fraction(n, frac).max(1).min(n);
            if highest {
                buf.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap());
            } else {
                buf.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            }
            for (r, &(_, j)) in buf.iter().enumerate() {
                out[j * rows + t] = if r < k { 1.0 } else { 0.0 };
            }
        }
        out
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    /// Selection by partitioning on (value, asset) marks exactly the assets a stable sort marks.
    #[test]
    fn select_equals_the_stable_sort_definition() {
        let (rows, assets) = (300, 23);
        let x = panel(rows, assets);
        for frac in [0.0, 0.1, 0.2, 0.29, 0.5, 0.57, 1.0, 2.0] {
            let mut out = vec![0.0; x.len()];
            top(&x, frac, rows, assets, &mut out);
            assert_eq!(bits(&out), bits(&select_by_stable_sort(&x, frac, rows, assets, true)), "top {frac}");
            bottom(&x, frac, rows, assets, &mut out);
            assert_eq!(bits(&out), bits(&select_by_stable_sort(&x, frac, rows, assets, false)), "bottom {frac}");
        }
    }

    /// Every row-block kernel, run block by block, writes exactly the whole-panel result.
    #[test]
    fn blocks_equal_the_whole_panel() {
        let (rows, assets) = (301, 17);
        let x = panel(rows, assets);
        type Whole = fn(&[f64], usize, usize, &mut [f64]);
        type Block = fn(&[f64], usize, usize, &mut RowBlock<'_>);
        let kernels: [(&str, Whole, Block); 4] = [
            ("rank", rank, rank_block),
            ("zscore_cs", zscore_cs, zscore_cs_block),
            ("top", |x, r, a, o| top(x, 0.3, r, a, o), |x, r, a, b| top_block(x, 0.3, r, a, b)),
            ("bottom", |x, r, a, o| bottom(x, 0.3, r, a, o), |x, r, a, b| bottom_block(x, 0.3, r, a, b)),
        ];
        for (name, whole, block) in kernels {
            let mut want = vec![0.0; x.len()];
            whole(&x, rows, assets, &mut want);
            for block_rows in [1, 7, 100, 301, 1000] {
                let mut got = vec![0.0; x.len()];
                for mut b in row_blocks(&mut got, rows, block_rows) {
                    block(&x, rows, assets, &mut b);
                }
                assert_eq!(bits(&got), bits(&want), "{name}, blocks of {block_rows}");
            }
        }
    }
}
