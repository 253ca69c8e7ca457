//! Lowering of the expressions the portfolio stage evaluates (SEMANTICS.md §3b): every maximal
//! sub-expression that does not read the strategy's own path becomes a plan node (the column
//! plan computes it); what does becomes a [`PathExpr`] operation over those nodes.

use super::{binop, Lowerer};
use crate::builtins::Builtin;
use crate::hir::*;
use crate::ops::{BinaryOp, UnaryOp};
use crate::plan::WindowOp;
use crate::program::{PathExpr, PathId, PathOp};
use crate::types::Elem;
use strat_grammar::ast::{BinOp, UnOp};

impl Lowerer<'_> {
    /// Whether `e` reads an own-path value or a kill switch, directly or through a `let`.
    pub(super) fn reads_own(&mut self, e: &HExpr) -> bool {
        e.reads_own(&self.hir.lets, &mut self.own_lets)
    }

    /// `e` as a portfolio-stage expression.
    pub(super) fn path_expr(&mut self, e: &HExpr) -> PathExpr {
        let mut p = PathExpr::default();
        self.path(e, &mut p);
        p
    }

    fn push(p: &mut PathExpr, op: PathOp) -> PathId {
        p.ops.push(op);
        (p.ops.len() - 1) as PathId
    }

    /// A bool normalised to 0/1: NaN (a bool still in warm-up) becomes 0.
    fn path_truth(p: &mut PathExpr, x: PathId) -> PathId {
        let n = Self::push(p, PathOp::Unary(UnaryOp::Not, x));
        Self::push(p, PathOp::Unary(UnaryOp::Not, n))
    }

    fn path(&mut self, e: &HExpr, p: &mut PathExpr) -> PathId {
        if !self.reads_own(e) {
            let n = self.expr(e);
            return Self::push(p, PathOp::Node(n));
        }
        let op = match &e.kind {
            HKind::Own(v) => PathOp::Own(*v),
            HKind::Kill(k) => PathOp::Kill(*k),
            HKind::Let(i) => {
                let hir = self.hir;
                return self.path(&hir.lets[*i].value, p);
            }
            HKind::Unary(op, x) => {
                let x = self.path(x, p);
                PathOp::Unary(if *op == UnOp::Neg { UnaryOp::Neg } else { UnaryOp::Not }, x)
            }
            HKind::Binary(op, a, b) => {
                let bools = a.ty.elem == Elem::Bool && b.ty.elem == Elem::Bool;
                let (mut x, mut y) = (self.path(a, p), self.path(b, p));
                if bools && matches!(op, BinOp::Eq | BinOp::Ne) {
                    x = Self::path_truth(p, x);
                    y = Self::path_truth(p, y);
                }
                PathOp::Binary(binop(*op), x, y)
            }
            HKind::If(c, a, b) => {
                let (c, a, b) = (self.path(c, p), self.path(a, p), self.path(b, p));
                PathOp::Select(c, a, b)
            }
            HKind::Tiers(x, arms, d) => {
                let xs = self.path(x, p);
                let mut acc = self.path(d, p);
                for (op, t, v) in arms.iter().rev() {
                    let (t, v) = (self.path(t, p), self.path(v, p));
                    let c = Self::push(p, PathOp::Binary(binop(*op), xs, t));
                    acc = Self::push(p, PathOp::Select(c, v, acc));
                }
                let isnan = Self::push(p, PathOp::Unary(UnaryOp::IsNan, xs));
                let nan = self.b.konst(f64::NAN, e.span);
                let nan = Self::push(p, PathOp::Node(nan));
                PathOp::Select(isnan, nan, acc)
            }
            HKind::Lag(x, k) => {
                let x = self.path(x, p);
                PathOp::Lag(x, self.expr(k))
            }
            HKind::Call(f, args) => return self.path_call(*f, args, p, e),
            // Never reads the own path (see `reads_own`).
            HKind::Const(_) | HKind::Param(_) | HKind::Column(_) | HKind::Universe(_) | HKind::Panel(_) | HKind::Regime(_) | HKind::Weights(_) => {
                unreachable!()
            }
        };
        Self::push(p, op)
    }

    /// A builtin call over own-path values: the elementwise functions and the trailing
    /// windows the checker allows there (`check::own`).
    fn path_call(&mut self, f: Builtin, args: &[HExpr], p: &mut PathExpr, e: &HExpr) -> PathId {
        let window = match f {
            Builtin::Sma => Some(WindowOp::Sma),
            Builtin::Std => Some(WindowOp::Std),
            Builtin::Zscore => Some(WindowOp::Zscore),
            Builtin::RollingMin => Some(WindowOp::RollingMin),
            Builtin::RollingMax => Some(WindowOp::RollingMax),
            _ => None,
        };
        if let Some(op) = window {
            let x = self.path(&args[0], p);
            let n = match args.get(1) {
                Some(n) => self.expr(n),
                None => self.b.konst(1.0, e.span),
            };
            return Self::push(p, PathOp::Window(op, x, n));
        }
        let a: Vec<PathId> = args.iter().map(|x| self.path(x, p)).collect();
        let unary = |op| PathOp::Unary(op, a[0]);
        let op = match f {
            Builtin::Abs => unary(UnaryOp::Abs),
            Builtin::Sign => unary(UnaryOp::Sign),
            Builtin::Sqrt => unary(UnaryOp::Sqrt),
            Builtin::Log => unary(UnaryOp::Log),
            Builtin::Exp => unary(UnaryOp::Exp),
            Builtin::Min | Builtin::Max => {
                let op = if f == Builtin::Min { BinaryOp::Min } else { BinaryOp::Max };
                let mut acc = a[0];
                for &x in &a[1..] {
                    acc = Self::push(p, PathOp::Binary(op, acc, x));
                }
                return acc;
            }
            Builtin::Clamp => {
                let lo = Self::push(p, PathOp::Binary(BinaryOp::Max, a[0], a[1]));
                PathOp::Binary(BinaryOp::Min, lo, a[2])
            }
            // The checker refuses every other builtin on own-path values.
            _ => unreachable!("{f:?} on an own-path value"),
        };
        Self::push(p, op)
    }
}
