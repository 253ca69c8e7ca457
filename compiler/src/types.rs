//! The type of every Strat expression: shape × element type × qualifier × series kind.
//!
//! - Shape: a scalar (one value for the whole run), a series (one value per bar) or a panel (a
//!   series per asset of one universe). Elementwise operations broadcast scalar → series → panel;
//!   mixing two panels needs the same universe.
//! - Element: `num` (f64), `bool`, or the enum of a declared `regime`.
//! - Qualifier, as in Pine Script: `const` (a literal) < `param` (fixed for one run, sweepable)
//!   < `series` (varies by bar). Window lengths and lags must be `const` or `param`.
//! - Kind: whether a numeric series is a price level, a return, or anything else; `ret()` of a
//!   return and `hold` of anything but a price level are type errors.

use std::fmt;

/// Scalar, series or panel (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Shape {
    /// One value for the whole run.
    Scalar,
    /// One value per bar.
    Series,
    /// One series per asset of universe `u` (index into the program's universes).
    Panel(usize),
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
    /// `Some(u)` for a panel over universe `u` (then `qual` is `Series`).
    pub panel: Option<usize>,
}

impl Type {
    /// A numeric type with the given qualifier and kind `Other`.
    pub fn num(qual: Qual) -> Type {
        Type { elem: Elem::Num, qual, kind: Kind::Other, panel: None }
    }

    /// A boolean type with the given qualifier.
    pub fn bool(qual: Qual) -> Type {
        Type { elem: Elem::Bool, qual, kind: Kind::Other, panel: None }
    }

    /// A type of `elem` with qualifier `qual`, kind `Other`, no panel.
    pub fn of(elem: Elem, qual: Qual) -> Type {
        Type { elem, qual, kind: Kind::Other, panel: None }
    }

    /// Scalar or series.
    pub fn shape(&self) -> Shape {
        match (self.panel, self.qual) {
            (Some(u), _) => Shape::Panel(u),
            (None, Qual::Series) => Shape::Series,
            _ => Shape::Scalar,
        }
    }

    /// Renders the type for diagnostics, e.g. `series num (price)`; regimes print their name via
    /// `regime_names`.
    pub fn display(&self, regime_names: &[String]) -> String {
        let q = match (self.qual, self.panel) {
            (_, Some(_)) => "panel",
            (Qual::Const, _) => "const",
            (Qual::Param, _) => "param",
            (Qual::Series, _) => "series",
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
