//! Builtin calls: arity, each argument against the builtin's signature (series, panel,
//! number, window length, fraction), and the type of the result.

use super::expr::const_value;
use super::{max_qual, Checker};
use crate::builtins::{self, Arg, Builtin, Signature, PRELUDE};
use crate::hir::*;
use crate::suggest::did_you_mean;
use crate::types::{Elem, Kind, Qual, Type};
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

impl Checker {
    /// `f(args...)`: a builtin call, its arity and each argument checked against the signature.
    pub(super) fn call(&mut self, f: &Ident, args: &[Expr], span: Span) -> Option<HExpr> {
        let Some(sig) = builtins::lookup(&f.name) else {
            let mut d = Diag::error("strat::name::unknown_function", format!("unknown function `{}`", f.name), f.span, "not a builtin");
            let names: Vec<&str> = PRELUDE.iter().map(|s| s.name).collect();
            d = d.with_help(match did_you_mean(&f.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`? {}", builtins::lookup(s).map(|s| s.doc).unwrap_or("")),
                None => format!("the builtins are: {}", names.join(", ")),
            });
            self.err(d);
            // Still check the arguments so their errors are reported too.
            for a in args {
                let _ = self.expr(a);
            }
            return None;
        };
        let (min_args, max_args) = (sig.args.len() - sig.optional, if sig.variadic { usize::MAX } else { sig.args.len() });
        if args.len() < min_args || args.len() > max_args {
            let expected = if sig.variadic {
                format!("at least {min_args}")
            } else if sig.optional > 0 {
                format!("{min_args} to {max_args}")
            } else {
                format!("{min_args}")
            };
            self.err(
                Diag::error("strat::type::arity", format!("`{}` takes {expected} arguments, got {}", f.name, args.len()), span, "wrong number of arguments")
                    .with_help(sig.doc),
            );
            return None;
        }
        let mut hs = vec![];
        let mut ok = true;
        for (i, a) in args.iter().enumerate() {
            let spec = sig.args[i.min(sig.args.len() - 1)];
            match self.call_arg(sig, spec, f, a) {
                Some(h) => hs.push(h),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let ty = self.call_type(sig.builtin, &hs, span)?;
        Some(HExpr { kind: HKind::Call(sig.builtin, hs), ty, span })
    }

    /// One argument `a` of a call of `f` (signature `sig`), of the kind `spec`.
    fn call_arg(&mut self, sig: &Signature, spec: Arg, f: &Ident, a: &Expr) -> Option<HExpr> {
        match spec {
            Arg::Window => {
                let what = if matches!(sig.builtin, Builtin::Ret | Builtin::LogRet) { "a return horizon" } else { "a window length" };
                // A sample standard deviation (ddof = 1) needs two values.
                let min = if matches!(sig.builtin, Builtin::Std | Builtin::Zscore) { 2 } else { 1 };
                self.window_arg(a, min, what)
            }
            Arg::Series => self.expr(a).and_then(|h| {
                let h = self.expect_num(h, &format!("the argument of `{}`", f.name), sig.doc)?;
                if h.ty.qual != Qual::Series {
                    self.err(
                        Diag::error("strat::type::expected_series", format!("`{}` needs a series", f.name), h.span, "this is fixed for the run")
                            .with_help(format!("{}; pass a data column or an expression of one", sig.doc)),
                    );
                    return None;
                }
                if matches!(sig.builtin, Builtin::Ret | Builtin::LogRet) && h.ty.kind == Kind::Return {
                    self.err(
                        Diag::error("strat::type::return_of_return", format!("`{}` of a return series", f.name), h.span, "this is already a return")
                            .with_help("ret() takes a price level; use the return itself, or cumprod(1 + r) for its level"),
                    );
                    return None;
                }
                Some(h)
            }),
            Arg::Num => self.expr(a).and_then(|h| self.expect_num(h, &format!("an argument of `{}`", f.name), sig.doc)),
            Arg::Panel => self.expr(a).and_then(|h| {
                let h = self.expect_num(h, &format!("the argument of `{}`", f.name), sig.doc)?;
                if h.ty.panel.is_none() {
                    self.err(
                        Diag::error("strat::type::expected_panel", format!("`{}` works across the assets of a panel", f.name), h.span, "not a panel")
                            .with_help(format!("{}; pass an expression of a universe", sig.doc)),
                    );
                    return None;
                }
                Some(h)
            }),
            Arg::Fraction => self.fraction_arg(sig, a),
        }
    }

    /// A fraction of the assets (`top(x, 20%)`): a const or param in (0, 1].
    fn fraction_arg(&mut self, sig: &Signature, a: &Expr) -> Option<HExpr> {
        if let ExprKind::Number(l) = &a.kind {
            if !(l.value > 0.0 && l.value <= 1.0) {
                self.err(
                    Diag::error("strat::value::bad_fraction", "a fraction of the assets must be in (0, 1]", a.span, format!("this is {}", l.value))
                        .with_help("e.g. `top(x, 20%)` for the top quintile"),
                );
                return None;
            }
        }
        let h = self.expr(a)?;
        let h = self.expect_num(h, "a fraction", sig.doc)?;
        if let Some(v) = const_value(&h) {
            if !(v > 0.0 && v <= 1.0) {
                self.err(
                    Diag::error("strat::value::bad_fraction", "a fraction of the assets must be in (0, 1]", a.span, format!("this is {v}"))
                        .with_help("e.g. `top(x, 20%)` for the top quintile"),
                );
                return None;
            }
        }
        if h.ty.qual == Qual::Series {
            self.err(
                Diag::error("strat::type::window_not_param", "a fraction must be a `const` or `param`", h.span, "this varies by bar")
                    .with_help("write a literal such as `20%`, or a param"),
            );
            return None;
        }
        Some(h)
    }

    /// The type of a call of `builtin` on the checked arguments `hs`.
    fn call_type(&mut self, builtin: Builtin, hs: &[HExpr], span: Span) -> Option<Type> {
        let first_panel = hs.first().and_then(|h| h.ty.panel);
        let (qual, kind, panel, elem) = match builtin {
            Builtin::Ret | Builtin::LogRet => (Qual::Series, Kind::Return, first_panel, Elem::Num),
            Builtin::Sma
            | Builtin::Ema
            | Builtin::Std
            | Builtin::Zscore
            | Builtin::RollingMin
            | Builtin::RollingMax
            | Builtin::Drawdown
            | Builtin::Cumsum
            | Builtin::Cumprod => (Qual::Series, Kind::Other, first_panel, Elem::Num),
            Builtin::Count | Builtin::Sum | Builtin::Mean => (Qual::Series, Kind::Other, None, Elem::Num),
            Builtin::Rank | Builtin::ZscoreCs => (Qual::Series, Kind::Other, first_panel, Elem::Num),
            Builtin::Top | Builtin::Bottom => (Qual::Series, Kind::Other, first_panel, Elem::Bool),
            _ => {
                let panel = self.panel_of(&hs.iter().collect::<Vec<_>>(), span)?;
                (max_qual(&hs.iter().map(|h| h.ty).collect::<Vec<_>>()), Kind::Other, panel, Elem::Num)
            }
        };
        Some(Type { elem, qual, kind, panel })
    }

    /// A window length or lag argument: a const or param integer >= `min`.
    pub(super) fn window_arg(&mut self, e: &Expr, min: i64, what: &str) -> Option<HExpr> {
        if let ExprKind::Number(l) = &e.kind {
            if l.unit != Unit::None {
                self.err(
                    Diag::error("strat::unit::unexpected", format!("{what} is a count of bars"), e.span, "no unit here")
                        .with_help(format!("write a plain integer, e.g. `{}`", l.text.trim_end_matches(['%', 'b', 'p', 's']))),
                );
                return None;
            }
        }
        let h = self.expr(e)?;
        if h.ty.elem != Elem::Num {
            let t = self.type_name(h.ty);
            self.err(
                Diag::error("strat::type::mismatch", format!("{what} must be an integer"), e.span, format!("this is {t}"))
                    .with_help("write a count of bars, e.g. `60`"),
            );
            return None;
        }
        if h.ty.qual == Qual::Series {
            self.err(
                Diag::error("strat::type::window_not_param", format!("{what} must be a `const` or `param`, not a series"), e.span, "this varies by bar")
                    .with_help("window lengths and lags are fixed for a run: declare `param n = 60` and pass `n`"),
            );
            return None;
        }
        if let Some(v) = const_value(&h) {
            if v.fract() != 0.0 || v < min as f64 || !v.is_finite() || v > 1e9 {
                self.err(
                    Diag::error("strat::value::bad_window", format!("{what} must be an integer >= {min}"), e.span, format!("this is {v}"))
                        .with_help(format!("use a whole number of bars >= {min}")),
                );
                return None;
            }
        }
        Some(h)
    }
}
