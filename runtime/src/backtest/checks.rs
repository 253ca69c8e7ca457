//! Ruin and non-finite checks of a book's return path, and naming the asset that caused one.

use super::*;

/// Scans a book's returns (rows `t0+1 ..`, time order) with the equity `E *= 1 + r` that the
/// metrics compute: `Ok(Some(i))` for the first return `i` after which `E <= 0` (the ruin, when
/// `book`), `Ok(None)` without one. Errors at the first non-finite return (`asset: None`; the
/// caller names it) or, when `book`, at the first non-finite equity, whichever comes first
/// and before the ruin (a closed book earns nothing more).
pub(super) fn scan_path(returns: &[f64], t0: usize, book: bool) -> Result<Option<usize>, BacktestError> {
    let mut e = 1.0_f64;
    for (i, &r) in returns.iter().enumerate() {
        let row = t0 + 1 + i;
        if !r.is_finite() {
            return Err(BacktestError::NonFiniteReturn { row, asset: None, value: r });
        }
        if !book {
            continue;
        }
        e *= 1.0 + r;
        if !e.is_finite() {
            return Err(BacktestError::NonFiniteEquity { row });
        }
        if e <= 0.0 {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

/// The first asset whose term `held[t-1, j] * r[t, j]` of the return of row `t` is not finite
/// (`held`: the held weights, asset-major), if any.
pub(super) fn culprit(input: &BacktestInput, held: &[f64], t: usize) -> Option<usize> {
    let (a, n) = shape(input);
    (0..a).find(|&j| {
        let w = held[j * n + t - 1];
        let r = simple_return(&input.price[j * n..(j + 1) * n], t);
        w != 0.0 && !r.is_nan() && !(w * r).is_finite()
    })
}
