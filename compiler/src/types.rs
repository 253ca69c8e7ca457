//! The type of every Strat expression: shape × element type × qualifier × series kind.
//!
//! - Shape: a scalar (one value for the whole run) or a series (one value per bar). Panels (a series
//!   per asset) come with the panel language; the shape enum is where they plug in.
//! - Element: `num` (f64), `bool`, or the enum of a declared `regime`.
//! - Qualifier, as in Pine Script: `const` (a literal) < `param` (fixed for one run, sweepable)
//!   < `series` (varies by bar). Window lengths and lags must be `const` or `param`.
//! - Kind: whether a numeric series is a price level, a return, or anything else; `ret()` of a
//!   return and `hold` of anything but a price level are type errors.

use std::fmt;

/// Scalar or series (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// One value for the whole run.
    Scalar,
    /// One value per bar.
    Series,
}

/// Index of a declared `regime` in [`crate::hir::Hir::regimes`].
pub type RegimeId = usize;

/// Element type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Elem {
    /// A 64-bit float.
    Num,
    /// A boolean (stored as 0.0 / 1.0 in columns).
    Bool,
    /// A value of a declared regime (stored as the arm index 0, 1, ...).
    Regime(RegimeId),
}

/// Qualifier: how often a value may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Qual {
    /// Written as a literal.
    Const,
    /// Fixed for one run; may be swept or set with `--set`.
    Param,
    /// Varies by bar.
    Series,
}

/// What a numeric series measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A price level (a data column, or a `let` bound to one).
    Price,
    /// A return (`ret`, `logret`).
    Return,
    /// Anything else.
    Other,
}

/// The full type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Type {
    /// Element type.
    pub elem: Elem,
    /// Qualifier (determines the shape: `Series` ⇔ a series).
    pub qual: Qual,
    /// Price / return / other.
    pub kind: Kind,
}

impl Type {
    /// A numeric type with the given qualifier and kind `Other`.
    pub fn num(qual: Qual) -> Type {
        Type { elem: Elem::Num, qual, kind: Kind::Other }
    }

    /// A boolean type with the given qualifier.
    pub fn bool(qual: Qual) -> Type {
        Type { elem: Elem::Bool, qual, kind: Kind::Other }
    }

    /// Scalar or series.
    pub fn shape(&self) -> Shape {
        if self.qual == Qual::Series {
            Shape::Series
        } else {
            Shape::Scalar
        }
    }

    /// Renders the type for diagnostics, e.g. `series num (price)`; regimes print their name via
    /// `regime_names`.
    pub fn display(&self, regime_names: &[String]) -> String {
        let q = match self.qual {
            Qual::Const => "const",
            Qual::Param => "param",
            Qual::Series => "series",
        };
        let e = match self.elem {
            Elem::Num => "num".to_string(),
            Elem::Bool => "bool".to_string(),
            Elem::Regime(r) => regime_names.get(r).cloned().unwrap_or_else(|| "regime".into()),
        };
        match (self.elem, self.kind) {
            (Elem::Num, Kind::Price) => format!("{q} {e} (price)"),
            (Elem::Num, Kind::Return) => format!("{q} {e} (return)"),
            _ => format!("{q} {e}"),
        }
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.display(&[]))
    }
}
