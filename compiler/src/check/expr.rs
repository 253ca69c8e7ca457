//! Expression typing: literals, names, lags, unary and binary operators, `if`, `tiers`, and
//! the panel (universe) an elementwise expression ranges over. Calls are in `call`.

use super::{max_qual, Checker};
use crate::hir::*;
use crate::types::{Elem, Kind, Qual, Type};
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

impl Checker {
    /// Checks every element of `es`; `None` if any failed (after checking all of them).
    pub(super) fn exprs(&mut self, es: &[&Expr]) -> Option<Vec<HExpr>> {
        let hs: Vec<Option<HExpr>> = es.iter().map(|e| self.expr(e)).collect();
        hs.into_iter().collect()
    }

    /// Type-checks one expression.
    pub(super) fn expr(&mut self, e: &Expr) -> Option<HExpr> {
        let span = e.span;
        match &e.kind {
            ExprKind::Number(l) => Some(HExpr { kind: HKind::Const(l.value), ty: Type::num(Qual::Const), span }),
            ExprKind::Bool(b) => Some(HExpr { kind: HKind::Const(if *b { 1.0 } else { 0.0 }), ty: Type::bool(Qual::Const), span }),
            ExprKind::Name(id) => self.name(id, span),
            ExprKind::Field(base, col) => self.field(base, col, span),
            ExprKind::Index(base, k) => self.index(base, k, span),
            ExprKind::Call(f, args) => self.call(f, args, span),
            ExprKind::Unary(op, x) => self.unary(*op, x, span),
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, span),
            ExprKind::If(c, a, b) => self.if_expr(c, a, b, span),
            ExprKind::Tiers(x, arms, default) => self.tiers(x, arms, default, span),
        }
    }

    /// `x[k]`: the series `x` `k` bars ago (a lag of a price is no longer a price).
    fn index(&mut self, base: &Expr, k: &Expr, span: Span) -> Option<HExpr> {
        let b = self.expr(base);
        let k = self.window_arg(k, 0, "a lag");
        let (b, k) = (b?, k?);
        if b.ty.qual != Qual::Series {
            self.err(
                Diag::error("strat::type::expected_series", "only a series has past values", b.span, "not a series")
                    .with_help("`x[k]` is the value of the series `x` k bars ago"),
            );
            return None;
        }
        let kind = if b.ty.kind == Kind::Price { Kind::Other } else { b.ty.kind };
        let ty = Type { kind, ..b.ty };
        Some(HExpr { kind: HKind::Lag(Box::new(b), Box::new(k)), ty, span })
    }

    /// `-x` of a number, `not x` of a condition.
    fn unary(&mut self, op: UnOp, x: &Expr, span: Span) -> Option<HExpr> {
        let h = self.expr(x)?;
        let h = match op {
            UnOp::Neg => self.expect_num(h, "the operand of `-`", "negate a number")?,
            UnOp::Not => self.expect_bool(h, "the operand of `not`")?,
        };
        // `-r` of a return is still a return (so `ret(-ret(p))` is caught).
        let kind = if h.ty.kind == Kind::Return { Kind::Return } else { Kind::Other };
        let ty = Type { kind, ..h.ty };
        Some(HExpr { kind: HKind::Unary(op, Box::new(h)), ty, span })
    }

    /// `if c then a else b`: a condition and two branches of one type.
    fn if_expr(&mut self, c: &Expr, a: &Expr, b: &Expr, span: Span) -> Option<HExpr> {
        let hs = self.exprs(&[c, a, b])?;
        let [c, a, b]: [HExpr; 3] = hs.try_into().ok()?;
        let c = self.expect_bool(c, "the condition of `if`")?;
        if a.ty.elem != b.ty.elem {
            let (ta, tb) = (self.type_name(a.ty), self.type_name(b.ty));
            self.err(
                Diag::error("strat::type::mismatch", "the branches of `if` have different types", span, "branches differ")
                    .with_label(a.span, format!("this is {ta}"))
                    .with_label(b.span, format!("this is {tb}"))
                    .with_help("both branches must be numbers, both conditions, or both values of one regime"),
            );
            return None;
        }
        let panel = self.panel_of(&[&c, &a, &b], span)?;
        let ty = Type { elem: a.ty.elem, qual: max_qual(&[c.ty, a.ty, b.ty]), kind: Kind::Other, panel };
        Some(HExpr { kind: HKind::If(Box::new(c), Box::new(a), Box::new(b)), ty, span })
    }

    /// `tiers(x) { >= t => v ... else => d }`: numbers throughout.
    fn tiers(&mut self, x: &Expr, arms: &[TierArm], default: &Expr, span: Span) -> Option<HExpr> {
        let mut all: Vec<&Expr> = vec![x];
        for a in arms {
            all.push(&a.threshold);
            all.push(&a.value);
        }
        all.push(default);
        let hs = self.exprs(&all)?;
        let mut ok = true;
        let mut checked = vec![];
        for (i, h) in hs.into_iter().enumerate() {
            let what = if i == 0 {
                "the subject of `tiers`"
            } else if i % 2 == 1 && i + 1 < all.len() {
                "a tier threshold"
            } else {
                "a tier value"
            };
            match self.expect_num(h, what, "tiers compares a number with thresholds and yields numbers") {
                Some(h) => checked.push(h),
                None => ok = false,
            }
        }
        if !ok {
            return None;
        }
        let qual = max_qual(&checked.iter().map(|h| h.ty).collect::<Vec<_>>());
        let panel = self.panel_of(&checked.iter().collect::<Vec<_>>(), span)?;
        let mut it = checked.into_iter();
        let subject = it.next()?;
        let mut harms = vec![];
        for a in arms {
            let t = it.next()?;
            let v = it.next()?;
            harms.push((a.op, t, v));
        }
        let d = it.next()?;
        Some(HExpr { kind: HKind::Tiers(Box::new(subject), harms, Box::new(d)), ty: Type { panel, ..Type::num(qual) }, span })
    }

    /// `a OP b`; `==` / `!=` resolve a bare arm name against the regime on the other side.
    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, span: Span) -> Option<HExpr> {
        // `state == BULL`: resolve a bare arm name against the regime on the other side.
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            let (ha, hb) = (self.arm_aware(a, b), self.arm_aware(b, a));
            let (ha, hb) = (ha?, hb?);
            if let (Elem::Regime(ra), Elem::Regime(rb)) = (ha.ty.elem, hb.ty.elem) {
                if ra != rb {
                    let (ta, tb) = (self.type_name(ha.ty), self.type_name(hb.ty));
                    self.err(
                        Diag::error("strat::type::mismatch", "comparing values of two different regimes", span, "never equal")
                            .with_label(ha.span, ta)
                            .with_label(hb.span, tb)
                            .with_help("compare a regime with one of its own arms"),
                    );
                    return None;
                }
                let panel = self.panel_of(&[&ha, &hb], span)?;
                let ty = Type { panel, ..Type::bool(max_qual(&[ha.ty, hb.ty])) };
                return Some(HExpr { kind: HKind::Binary(op, Box::new(ha), Box::new(hb)), ty, span });
            }
            return self.binary_typed(op, ha, hb, span);
        }
        let hs = self.exprs(&[a, b])?;
        let [ha, hb]: [HExpr; 2] = hs.try_into().ok()?;
        self.binary_typed(op, ha, hb, span)
    }

    /// Checks `e`; when `e` is a bare name that is an arm of the regime `other` has, resolves it
    /// to that arm.
    fn arm_aware(&mut self, e: &Expr, other: &Expr) -> Option<HExpr> {
        if let ExprKind::Name(id) = &e.kind {
            if !self.decls.contains_key(&id.name) {
                if let Some(arms) = self.arm_names.get(&id.name).cloned() {
                    if let Some(r) = self.regime_of(other) {
                        if let Some(&(_, a)) = arms.iter().find(|(rr, _)| *rr == r) {
                            return Some(HExpr { kind: HKind::Const(a as f64), ty: Type::of(Elem::Regime(r), Qual::Const), span: e.span });
                        }
                        let (rname, rarms) = self.regime_arms_of(r);
                        self.err(
                            Diag::error(
                                "strat::type::mismatch",
                                format!("`{}` is not an arm of regime `{rname}`", id.name),
                                e.span,
                                "an arm of another regime",
                            )
                            .with_help(format!("the arms of `{rname}` are: {}", rarms.join(", "))),
                        );
                        return None;
                    }
                }
            }
        }
        self.expr(e)
    }

    /// `a OP b` of checked operands: `and` / `or` of conditions, `==` / `!=` of conditions,
    /// arithmetic and comparisons of numbers.
    fn binary_typed(&mut self, op: BinOp, a: HExpr, b: HExpr, span: Span) -> Option<HExpr> {
        let qual = max_qual(&[a.ty, b.ty]);
        let result_elem = match op {
            BinOp::And | BinOp::Or => {
                let a = self.expect_bool(a.clone(), &format!("the left side of `{}`", op.symbol()));
                let b = self.expect_bool(b.clone(), &format!("the right side of `{}`", op.symbol()));
                a?;
                b?;
                Elem::Bool
            }
            BinOp::Eq | BinOp::Ne if a.ty.elem == Elem::Bool && b.ty.elem == Elem::Bool => Elem::Bool,
            _ => {
                if a.ty.elem != Elem::Num || b.ty.elem != Elem::Num {
                    let (ta, tb) = (self.type_name(a.ty), self.type_name(b.ty));
                    let mut d =
                        Diag::error("strat::type::mismatch", format!("`{}` needs two numbers", op.symbol()), span, format!("{ta} {} {tb}", op.symbol()));
                    if a.ty.elem != Elem::Num {
                        d = d.with_label(a.span, format!("this is {ta}"));
                    }
                    if b.ty.elem != Elem::Num {
                        d = d.with_label(b.span, format!("this is {tb}"));
                    }
                    let help = if matches!(a.ty.elem, Elem::Regime(_)) || matches!(b.ty.elem, Elem::Regime(_)) {
                        "a regime value can only be compared with `==` / `!=` against one of its arms"
                    } else {
                        "combine conditions with `and` / `or`; turn a condition into a number with `if COND then 1 else 0`"
                    };
                    self.err(d.with_help(help));
                    return None;
                }
                if op.is_comparison() {
                    Elem::Bool
                } else {
                    Elem::Num
                }
            }
        };
        let panel = self.panel_of(&[&a, &b], span)?;
        let ty = Type { elem: result_elem, qual, kind: Kind::Other, panel };
        Some(HExpr { kind: HKind::Binary(op, Box::new(a), Box::new(b)), ty, span })
    }

    /// Whether universes `u` and `v` name the same assets in the same order.
    fn same_assets(&self, u: usize, v: usize) -> bool {
        match (self.universes.get(u), self.universes.get(v)) {
            (Some(a), Some(b)) => a.assets == b.assets,
            _ => false,
        }
    }

    /// The help line of a mix of two universes: which assets differ.
    fn asset_difference(&self, v: usize, u: usize) -> String {
        let (Some(a), Some(b)) = (self.universes.get(v), self.universes.get(u)) else {
            return "elementwise operations combine panels of the same assets only".into();
        };
        let only = |x: &[String], y: &[String]| x.iter().filter(|s| !y.contains(s)).take(5).cloned().collect::<Vec<_>>().join(", ");
        let (oa, ob) = (only(&a.assets, &b.assets), only(&b.assets, &a.assets));
        match (oa.is_empty(), ob.is_empty()) {
            (true, true) => format!("`{}` and `{}` name the same assets in another order: list the columns in one order, e.g. `csv(\"...\", [{}])`", a.name, b.name, a.assets.iter().take(3).cloned().collect::<Vec<_>>().join(", ")),
            _ => format!(
                "elementwise operations combine panels of the same assets: only in `{}`: [{oa}]; only in `{}`: [{ob}] (select common columns with `csv(\"...\", [a, b, ...])`)",
                a.name, b.name
            ),
        }
    }

    /// The panel of an elementwise combination of `hs`: none, or the one universe they share.
    /// Two universes that name the same assets in the same order (e.g. the prices and the
    /// volumes of one panel, from two wide files) mix as the first one's; mixing other universes
    /// is an error (`None` is returned after reporting it), which lists the assets that differ.
    pub(super) fn panel_of(&mut self, hs: &[&HExpr], span: Span) -> Option<Option<usize>> {
        let mut found: Option<(usize, Span)> = None;
        for h in hs {
            if let Some(u) = h.ty.panel {
                match found {
                    Some((v, _)) if v != u && self.same_assets(u, v) => {}
                    Some((v, vspan)) if v != u => {
                        let (a, b) = (
                            self.universes.get(v).map(|x| x.name.clone()).unwrap_or_default(),
                            self.universes.get(u).map(|x| x.name.clone()).unwrap_or_default(),
                        );
                        self.err(
                            Diag::error("strat::type::shape_mismatch", format!("mixing panels of `{a}` and `{b}`"), span, "two universes")
                                .with_label(vspan, format!("over `{a}`"))
                                .with_label(h.span, format!("over `{b}`"))
                                .with_help(self.asset_difference(v, u)),
                        );
                        return None;
                    }
                    None => found = Some((u, h.span)),
                    _ => {}
                }
            }
        }
        Some(found.map(|f| f.0))
    }

    /// `h` when it is a number; reports `strat::type::mismatch` (about `what`, with `help`) otherwise.
    pub(super) fn expect_num(&mut self, h: HExpr, what: &str, help: &str) -> Option<HExpr> {
        if h.ty.elem == Elem::Num {
            return Some(h);
        }
        let found = self.type_name(h.ty);
        let mut d = Diag::error("strat::type::mismatch", format!("{what} must be a number"), h.span, format!("this is {found}"));
        d = d.with_help(if h.ty.elem == Elem::Bool {
            format!("{help}; turn a condition into a number with `if COND then 1 else 0`")
        } else {
            help.to_string()
        });
        self.err(d);
        None
    }

    /// `h` when it is a condition; reports `strat::type::mismatch` (about `what`) otherwise.
    pub(super) fn expect_bool(&mut self, h: HExpr, what: &str) -> Option<HExpr> {
        if h.ty.elem == Elem::Bool {
            return Some(h);
        }
        let found = self.type_name(h.ty);
        self.err(
            Diag::error("strat::type::mismatch", format!("{what} must be a condition (bool)"), h.span, format!("this is {found}"))
                .with_help("compare it, e.g. `x > 0`"),
        );
        None
    }
}

/// The value of a constant expression, if it is one (literals and arithmetic on them).
pub fn const_value(h: &HExpr) -> Option<f64> {
    if h.ty.qual != Qual::Const {
        return None;
    }
    match &h.kind {
        HKind::Const(v) => Some(*v),
        HKind::Unary(UnOp::Neg, x) => Some(-const_value(x)?),
        HKind::Binary(op, a, b) => {
            let (a, b) = (const_value(a)?, const_value(b)?);
            match op {
                BinOp::Add => Some(a + b),
                BinOp::Sub => Some(a - b),
                BinOp::Mul => Some(a * b),
                BinOp::Div => Some(a / b),
                _ => None,
            }
        }
        _ => None,
    }
}
