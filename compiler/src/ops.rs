//! Scalar semantics of every elementwise operation: one definition that the reference evaluator
//! calls and that the Cranelift code generator must reproduce bit for bit (SEMANTICS.md §5).
//!
//! Booleans are 0.0 / 1.0; a comparison involving NaN is false (0.0), `!=` included (it is the
//! ordered not-equal, Cranelift's `one`); `min` / `max` propagate
//! NaN and order -0.0 below +0.0 (IEEE 754-2019 `minimum` / `maximum`, as Cranelift's
//! `fmin` / `fmax`); `sign(0) = 0`, `sign(NaN) = NaN`.

/// Elementwise unary operations of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `not b` (b is 0/1)
    Not,
    /// `abs(x)`
    Abs,
    /// `sign(x)`
    Sign,
    /// `sqrt(x)`
    Sqrt,
    /// natural `log(x)`
    Log,
    /// `exp(x)`
    Exp,
    /// 1 if x is NaN, else 0 (used by `tiers` to propagate NaN)
    IsNan,
}

/// Elementwise binary operations of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Min,
    Max,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

/// IEEE `minimum`: NaN if either is NaN; `min(-0, +0) = -0`.
#[inline]
pub fn fmin(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() {
            a
        } else {
            b
        }
    } else if a < b {
        a
    } else {
        b
    }
}

/// IEEE `maximum`: NaN if either is NaN; `max(-0, +0) = +0`.
#[inline]
pub fn fmax(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else if a == b {
        if a.is_sign_negative() {
            b
        } else {
            a
        }
    } else if a > b {
        a
    } else {
        b
    }
}

/// `sign(x)`: 1, -1, 0 (for ±0), NaN for NaN.
#[inline]
pub fn sign(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// Natural logarithm; the JIT calls this same function.
pub extern "C" fn strat_log(x: f64) -> f64 {
    x.ln()
}

/// Exponential; the JIT calls this same function.
pub extern "C" fn strat_exp(x: f64) -> f64 {
    x.exp()
}

#[inline]
fn b(c: bool) -> f64 {
    if c {
        1.0
    } else {
        0.0
    }
}

/// Applies a unary op to one value.
#[inline]
pub fn unary(op: UnaryOp, x: f64) -> f64 {
    match op {
        UnaryOp::Neg => -x,
        UnaryOp::Not => b(!truthy(x)),
        UnaryOp::Abs => x.abs(),
        UnaryOp::Sign => sign(x),
        UnaryOp::Sqrt => x.sqrt(),
        UnaryOp::Log => strat_log(x),
        UnaryOp::Exp => strat_exp(x),
        UnaryOp::IsNan => b(x.is_nan()),
    }
}

/// Applies a binary op to one pair of values.
#[inline]
#[allow(clippy::double_comparisons)] // see `Ne`
pub fn binary(op: BinaryOp, x: f64, y: f64) -> f64 {
    match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => x / y,
        BinaryOp::Min => fmin(x, y),
        BinaryOp::Max => fmax(x, y),
        BinaryOp::Lt => b(x < y),
        BinaryOp::Le => b(x <= y),
        BinaryOp::Gt => b(x > y),
        BinaryOp::Ge => b(x >= y),
        BinaryOp::Eq => b(x == y),
        // Not `x != y`: that is true when either side is NaN, and a comparison with NaN is false
        // (SEMANTICS.md §5), so `!=` is "less or greater".
        BinaryOp::Ne => b(x < y || x > y),
        BinaryOp::And => b(truthy(x) && truthy(y)),
        BinaryOp::Or => b(truthy(x) || truthy(y)),
    }
}

/// Whether a stored bool is true: non-zero and not NaN. A bool is NaN only while it is still in
/// warm-up (e.g. `cond[1]` on the first row); it counts as false, as a NaN comparison does.
#[inline]
#[allow(clippy::double_comparisons)] // `c != 0.0` would make NaN true.
pub fn truthy(c: f64) -> bool {
    c < 0.0 || c > 0.0
}

/// `if c then a else b` on one row: `a` when `c` is true ([`truthy`]), else `b`.
#[inline]
pub fn select(c: f64, a: f64, b: f64) -> f64 {
    if truthy(c) {
        a
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_rules() {
        assert!(fmin(f64::NAN, 2.0).is_nan());
        assert!(fmax(2.0, f64::NAN).is_nan());
        assert!(fmin(0.0, -0.0).is_sign_negative());
        assert!(fmax(-0.0, 0.0).is_sign_positive());
        assert_eq!(sign(-0.0), 0.0);
        assert!(sign(f64::NAN).is_nan());
        assert_eq!(binary(BinaryOp::Gt, f64::NAN, 1.0), 0.0);
        assert_eq!(binary(BinaryOp::Ne, f64::NAN, 1.0), 0.0);
        assert_eq!(select(0.0, 1.0, 2.0), 2.0);
        // A bool still in warm-up (NaN) is false everywhere.
        assert_eq!(select(f64::NAN, 1.0, 2.0), 2.0);
        assert_eq!(binary(BinaryOp::Or, f64::NAN, 0.0), 0.0);
        assert_eq!(unary(UnaryOp::Not, f64::NAN), 1.0);
    }
}
