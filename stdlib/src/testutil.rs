//! Test helpers: comparisons with a relative tolerance of 1e-12.

/// Shorthand for the NaN constant in expected-value tables.
pub const NAN: f64 = f64::NAN;

/// Asserts `got` equals `want` to a relative 1e-12 (absolute 1e-15 near 0);
/// NaN matches only NaN and infinities match exactly.
pub fn assert_close(got: f64, want: f64, what: &str) {
    if want.is_nan() || want.is_infinite() {
        assert!(got.is_nan() && want.is_nan() || got == want, "{what}: got {got:?}, want {want:?}");
        return;
    }
    let tol = 1e-12 * want.abs().max(1e-3);
    assert!((got - want).abs() <= tol, "{what}: got {got:?}, want {want:?}");
}

/// [`assert_close`] row by row over two equal-length slices.
pub fn assert_all_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (t, (&g, &w)) in got.iter().zip(want).enumerate() {
        assert_close(g, w, &format!("{what}[{t}]"));
    }
}
