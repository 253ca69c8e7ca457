//! Cross-sectional kernels against independent values: pandas 3.x
//! `DataFrame.count / mean / rank(axis=1, method='average', pct=True)` and
//! `(df - df.mean(axis=1)) / df.std(axis=1)` (constant rows set to NaN per
//! SEMANTICS.md §5), and a Python `sorted(key=(-value, asset))` selection with
//! `k = max(1, floor(n * Fraction(frac)))` for `top` / `bottom`, on an
//! 8-row x 5-asset panel with NaNs, ties, a constant row, an empty row, a
//! single-value row and a `0.0` / `-0.0` tie. Tables are row-major
//! (`[row][asset]`) for reading; [`panel`] transposes them to the kernels'
//! asset-major layout.

use super::*;
use crate::testutil::{assert_all_close, NAN};

const ROWS: usize = 8;
const ASSETS: usize = 5;

const X: [[f64; 5]; 8] = [
    [1.0, 2.0, 3.0, 4.0, 5.0],
    [3.0, NAN, 3.0, 1.0, 2.5],
    [NAN, NAN, NAN, NAN, NAN],
    [2.0, 2.0, 2.0, NAN, 2.0],
    [NAN, 0.7, NAN, NAN, NAN],
    [-0.5, 0.25, 0.25, -0.5, 0.1],
    [0.013, -0.021, 0.0045, 0.031, -0.007],
    [0.0, -0.0, 1.0, NAN, -1.0],
];
const COUNT: [f64; 8] = [5.0, 4.0, 0.0, 4.0, 1.0, 5.0, 5.0, 4.0];
const MEAN: [f64; 8] = [3.0, 2.375, NAN, 2.0, 0.7, -0.08, 0.0040999999999999995, 0.0];
const RANK: [[f64; 5]; 8] = [
    [0.2, 0.4, 0.6, 0.8, 1.0],
    [0.875, NAN, 0.875, 0.25, 0.5],
    [NAN, NAN, NAN, NAN, NAN],
    [0.625, 0.625, 0.625, NAN, 0.625],
    [NAN, 1.0, NAN, NAN, NAN],
    [0.3, 0.9, 0.9, 0.3, 0.6],
    [0.8, 0.2, 0.6, 1.0, 0.4],
    [0.625, 0.625, 1.0, NAN, 0.25],
];
const ZSCORE: [[f64; 5]; 8] = [
    [-1.2649110640673518, -0.6324555320336759, 0.0, 0.6324555320336759, 1.2649110640673518],
    [0.6603381797442178, NAN, 0.6603381797442178, -1.4527439954372794, 0.13206763594884358],
    [NAN, NAN, NAN, NAN, NAN],
    [NAN, NAN, NAN, NAN, NAN],
    [NAN, NAN, NAN, NAN, NAN],
    [-1.081734373000758, 0.8499341502148815, 0.8499341502148815, -1.081734373000758, 0.4636004455717535],
    [0.45121891492827537, -1.2725387376067092, 0.02027950179452924, 1.363796495682091, -0.5627561747981861],
    [0.0, -0.0, 1.224744871391589, NAN, -1.224744871391589],
];
const TOP_02: [[f64; 5]; 8] = [
    [0.0, 0.0, 0.0, 0.0, 1.0],
    [1.0, NAN, 0.0, 0.0, 0.0],
    [NAN, NAN, NAN, NAN, NAN],
    [1.0, 0.0, 0.0, NAN, 0.0],
    [NAN, 1.0, NAN, NAN, NAN],
    [0.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, 1.0, 0.0],
    [0.0, 0.0, 1.0, NAN, 0.0],
];
const BOTTOM_02: [[f64; 5]; 8] = [
    [1.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, NAN, 0.0, 1.0, 0.0],
    [NAN, NAN, NAN, NAN, NAN],
    [1.0, 0.0, 0.0, NAN, 0.0],
    [NAN, 1.0, NAN, NAN, NAN],
    [1.0, 0.0, 0.0, 0.0, 0.0],
    [0.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, 0.0, 0.0, NAN, 1.0],
];
const TOP_05: [[f64; 5]; 8] = [
    [0.0, 0.0, 0.0, 1.0, 1.0],
    [1.0, NAN, 1.0, 0.0, 0.0],
    [NAN, NAN, NAN, NAN, NAN],
    [1.0, 1.0, 0.0, NAN, 0.0],
    [NAN, 1.0, NAN, NAN, NAN],
    [0.0, 1.0, 1.0, 0.0, 0.0],
    [1.0, 0.0, 0.0, 1.0, 0.0],
    [1.0, 0.0, 1.0, NAN, 0.0],
];
const BOTTOM_05: [[f64; 5]; 8] = [
    [1.0, 1.0, 0.0, 0.0, 0.0],
    [0.0, NAN, 0.0, 1.0, 1.0],
    [NAN, NAN, NAN, NAN, NAN],
    [1.0, 1.0, 0.0, NAN, 0.0],
    [NAN, 1.0, NAN, NAN, NAN],
    [1.0, 0.0, 0.0, 1.0, 0.0],
    [0.0, 1.0, 0.0, 0.0, 1.0],
    [1.0, 0.0, 0.0, NAN, 1.0],
];
const TOP_06: [[f64; 5]; 8] = [
    [0.0, 0.0, 1.0, 1.0, 1.0],
    [1.0, NAN, 1.0, 0.0, 0.0],
    [NAN, NAN, NAN, NAN, NAN],
    [1.0, 1.0, 0.0, NAN, 0.0],
    [NAN, 1.0, NAN, NAN, NAN],
    [0.0, 1.0, 1.0, 0.0, 1.0],
    [1.0, 0.0, 1.0, 1.0, 0.0],
    [1.0, 0.0, 1.0, NAN, 0.0],
];
const BOTTOM_06: [[f64; 5]; 8] = [
    [1.0, 1.0, 1.0, 0.0, 0.0],
    [0.0, NAN, 0.0, 1.0, 1.0],
    [NAN, NAN, NAN, NAN, NAN],
    [1.0, 1.0, 0.0, NAN, 0.0],
    [NAN, 1.0, NAN, NAN, NAN],
    [1.0, 0.0, 0.0, 1.0, 1.0],
    [0.0, 1.0, 1.0, 0.0, 1.0],
    [1.0, 0.0, 0.0, NAN, 1.0],
];

/// Row-major `[row][asset]` table to the asset-major panel layout.
fn panel(t: &Table) -> Vec<f64> {
    let mut p = vec![0.0; ROWS * ASSETS];
    for (r, row) in t.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            p[j * ROWS + r] = v;
        }
    }
    p
}

/// Runs a panel-to-panel kernel on [`X`].
fn run(f: impl Fn(&[f64], &mut [f64])) -> Vec<f64> {
    let x = panel(&X);
    let mut out = vec![0.0; x.len()];
    f(&x, &mut out);
    out
}

/// Exact comparison (NaN matches NaN) for the 0/1 selection masks.
fn assert_mask(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert!((g.is_nan() && w.is_nan()) || g == w, "{what}[asset {}, row {}]: got {g:?}, want {w:?}", i / ROWS, i % ROWS);
    }
}

#[test]
fn layout_is_asset_major() {
    // 2 rows x 3 assets: asset j's series is x[j*2 .. j*2+2].
    let x = [10.0, 11.0, 30.0, 5.0, 20.0, 21.0];
    let mut out = [0.0; 6];
    rank(&x, 2, 3, &mut out);
    assert_eq!(out, [1.0 / 3.0, 2.0 / 3.0, 1.0, 1.0 / 3.0, 2.0 / 3.0, 1.0]);
    let mut m = [0.0; 2];
    mean_cs(&x, 2, 3, &mut m);
    assert_eq!(m, [20.0, 37.0 / 3.0]);
}

#[test]
fn count_and_mean_match_pandas() {
    let x = panel(&X);
    let mut out = vec![0.0; ROWS];
    count(&x, ROWS, ASSETS, &mut out);
    assert_eq!(out, COUNT);
    mean_cs(&x, ROWS, ASSETS, &mut out);
    assert_all_close(&out, &MEAN, "mean_cs");
    // Summed in asset order: bit-identical to a left-to-right sum.
    assert_eq!(out[6], (((0.013 + -0.021) + 0.0045) + 0.031 + -0.007) / 5.0);
}

#[test]
fn rank_matches_pandas() {
    let got = run(|x, o| rank(x, ROWS, ASSETS, o));
    // Ranks are small rationals: exact.
    assert_mask(&got, &panel(&RANK), "rank");
}

#[test]
fn zscore_matches_pandas() {
    let got = run(|x, o| zscore_cs(x, ROWS, ASSETS, o));
    assert_all_close(&got, &panel(&ZSCORE), "zscore_cs");
}

#[test]
fn zscore_constant_row_is_nan_not_residue() {
    // 0.1 + 0.2 style values whose mean is not exactly representable: the
    // equal-values check must give NaN, not a z-score of a 1e-17 residue.
    let x = [0.1, 0.1, 0.1];
    let mut out = [0.0; 3];
    zscore_cs(&x, 1, 3, &mut out);
    assert!(out.iter().all(|v| v.is_nan()));
    // Two defined values: n >= 2 suffices.
    let x = [1.0, NAN, 3.0];
    zscore_cs(&x, 1, 3, &mut out);
    assert_eq!(out[0], -1.0 / 2f64.sqrt());
    assert!(out[1].is_nan());
    assert_eq!(out[2], 1.0 / 2f64.sqrt());
}

/// A row-major 8 x 5 table.
type Table = [[f64; 5]; 8];

#[test]
fn top_bottom_match_reference() {
    let cases: [(f64, &Table, &Table); 3] = [(0.2, &TOP_02, &BOTTOM_02), (0.5, &TOP_05, &BOTTOM_05), (0.6, &TOP_06, &BOTTOM_06)];
    for (frac, want_top, want_bottom) in cases {
        let got = run(|x, o| top(x, frac, ROWS, ASSETS, o));
        assert_mask(&got, &panel(want_top), &format!("top {frac}"));
        let got = run(|x, o| bottom(x, frac, ROWS, ASSETS, o));
        assert_mask(&got, &panel(want_bottom), &format!("bottom {frac}"));
    }
}

#[test]
fn top_bottom_edge_fractions() {
    let x = [4.0, 1.0, 3.0, 2.0];
    let mut out = [0.0; 4];
    // frac = 0 (and anything flooring to 0) still selects one asset.
    top(&x, 0.0, 1, 4, &mut out);
    assert_eq!(out, [1.0, 0.0, 0.0, 0.0]);
    bottom(&x, 0.1, 1, 4, &mut out);
    assert_eq!(out, [0.0, 1.0, 0.0, 0.0]);
    // frac = 1 selects every defined asset; frac > 1 is capped at n.
    top(&x, 1.0, 1, 4, &mut out);
    assert_eq!(out, [1.0; 4]);
    bottom(&x, 2.5, 1, 4, &mut out);
    assert_eq!(out, [1.0; 4]);
    // All ties: the lowest asset indices win, in both directions.
    let x = [7.0, NAN, 7.0, 7.0, 7.0];
    let mut out = [0.0; 5];
    top(&x, 0.5, 1, 5, &mut out);
    assert_mask(&out, &[1.0, NAN, 1.0, 0.0, 0.0], "top ties");
    bottom(&x, 0.5, 1, 5, &mut out);
    assert_mask(&out, &[1.0, NAN, 1.0, 0.0, 0.0], "bottom ties");
    // Infinities are defined values.
    let x = [f64::NEG_INFINITY, 0.0, f64::INFINITY];
    let mut out = [0.0; 3];
    top(&x, 0.2, 1, 3, &mut out);
    assert_eq!(out, [0.0, 0.0, 1.0]);
    rank(&x, 1, 3, &mut out);
    assert_eq!(out, [1.0 / 3.0, 2.0 / 3.0, 1.0]);
}

#[test]
fn count_of_fraction_uses_the_decimal_literal() {
    // Double products that land on the wrong side of an integer.
    assert_eq!(0.29 * 100.0, 28.999999999999996);
    assert_eq!(count_of_fraction(100, 0.29), 29);
    assert_eq!(0.57 * 100.0, 56.99999999999999);
    assert_eq!(count_of_fraction(100, 0.57), 57);
    assert_eq!(count_of_fraction(10, 0.7), 7);
    assert_eq!(count_of_fraction(10, 0.3), 3);
    assert_eq!(count_of_fraction(5, 0.2), 1);
    assert_eq!(count_of_fraction(4, 0.2), 0);
    assert_eq!(count_of_fraction(0, 0.5), 0);
    assert_eq!(count_of_fraction(7, 1.0), 7);
    assert_eq!(count_of_fraction(3, 1.5), 4);
    assert_eq!(count_of_fraction(1_000_000, 0.123456), 123_456);
    assert_eq!(count_of_fraction(999_999, 0.000001), 0);
    assert_eq!(count_of_fraction(10, 0.0), 0);
    assert_eq!(count_of_fraction(10, -0.5), 0);
    assert_eq!(count_of_fraction(10, f64::NAN), 0);
    assert_eq!(count_of_fraction(10, f64::INFINITY), usize::MAX);
    // More than six places: rounded to six.
    assert_eq!(count_of_fraction(6, 1.0 / 3.0), 1);
}

#[test]
fn count_of_fraction_agrees_with_exact_decimals() {
    // Every 3-place literal 0.000 ..= 1.000 for n = 0 ..= 300, parsed from its
    // decimal text as the compiler would, against integer arithmetic.
    for m in 0..=1000u64 {
        let frac: f64 = format!("{}.{:03}", m / 1000, m % 1000).parse().unwrap();
        for n in 0..=300u64 {
            let want = (n * m / 1000) as usize;
            assert_eq!(count_of_fraction(n as usize, frac), want, "n={n} frac={frac}");
        }
    }
    // A sweep of 6-place literals.
    for m in (0..1_000_000u64).step_by(997) {
        let frac: f64 = format!("0.{m:06}").parse().unwrap();
        for n in [1u64, 7, 10, 99, 1000, 123_457] {
            assert_eq!(count_of_fraction(n as usize, frac), (n * m / 1_000_000) as usize);
        }
    }
}
