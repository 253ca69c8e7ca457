//! The numbers of a data file: the decimal syntax every read accepts and the accepted range.

use super::quoted;

/// Largest magnitude of a number in a data file: `1e100`. The ratio or product of two accepted
/// nonzero values is then at most `1e200` in magnitude, far from overflow (`f64::MAX` ≈ `1.8e308`).
pub const MAX_ABS_VALUE: f64 = 1e100;

/// Smallest magnitude of a nonzero number in a data file: `1e-100` (0 itself is accepted). Every
/// subnormal value (below `f64::MIN_POSITIVE` ≈ `2.2e-308`) is below it.
pub const MIN_ABS_VALUE: f64 = 1e-100;

/// Parses one numeric cell: empty is NaN; otherwise a finite decimal number
/// `[+-]digits[.digits][(e|E)[+-]digits]` (digits on at least one side of the point). Text that
/// Rust's `f64::from_str` would also take — `nan`, `inf`, `infinity` — is rejected, as are
/// surrounding spaces, thousands separators, decimal commas and values that overflow to ±inf.
/// The error is the message for [`DataError`](crate::io::DataError).
pub fn parse_number(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Ok(f64::NAN);
    }
    if !is_decimal(text.as_bytes()) {
        let hint = match text.to_ascii_lowercase().trim_start_matches(['+', '-']) {
            "nan" | "na" | "n/a" | "null" | "none" => " (write an empty field for a missing value)",
            "inf" | "infinity" => " (infinite values are not accepted)",
            _ => "",
        };
        return Err(format!("cannot parse {} as a number{hint}", quoted(text)));
    }
    match text.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        _ => Err(format!("number {} is out of range", quoted(text))),
    }
}

pub(super) fn is_decimal(b: &[u8]) -> bool {
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Why `x` (a finite number or NaN read from a file) is outside the accepted range, or `None`:
/// NaN, 0 and magnitudes from [`MIN_ABS_VALUE`] to [`MAX_ABS_VALUE`] are in range.
pub fn out_of_range(x: f64) -> Option<String> {
    let a = x.abs();
    if x.is_nan() || x == 0.0 || (MIN_ABS_VALUE..=MAX_ABS_VALUE).contains(&a) {
        None
    } else if a > MAX_ABS_VALUE {
        Some(format!("number {x:e} is out of range (larger than 1e100 in magnitude)"))
    } else if x.is_subnormal() {
        Some(format!("number {x:e} is subnormal (too close to zero; nonzero numbers must be at least 1e-100 in magnitude)"))
    } else {
        Some(format!("number {x:e} is out of range (nonzero but smaller than 1e-100 in magnitude)"))
    }
}

/// `true` if `x` is certainly in range (NaN, 0 or an accepted magnitude): the branch-free test of
/// [`check_ranges`](super::cells::check_ranges)' first pass.
pub(super) fn in_range_fast(x: f64) -> bool {
    let a = x.abs();
    (MIN_ABS_VALUE..=MAX_ABS_VALUE).contains(&a) | (a == 0.0) | x.is_nan()
}
