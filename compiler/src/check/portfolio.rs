//! The portfolio stage's statements (SEMANTICS.md §3, §3b): `cost` (a flat rate, a rate per asset
//! and bar, or a named model), `capital`, `kill`, and where the strategy's own path (`own.equity`,
//! `own.drawdown`, `own.day_return`, `own.trade`, a kill switch's state) may be read: in kill
//! switch conditions, in reports and in lets they use, and (`own.equity`, `own.trade` only) in a
//! cost rate; never in a signal, a weight, a regime or a param.

use super::Checker;
use crate::builtins::Builtin;
use crate::hir::*;
use crate::program::OwnValue;
use crate::types::{Elem, Qual, Type};
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

/// Where the expression being checked sits, for the own-path rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum OwnCtx {
    /// A signal, weight, regime, param or anything else of the column plan: no own values.
    #[default]
    Plan,
    /// A `let`: own values allowed; the let's uses are checked where they appear.
    Let,
    /// A `report`.
    Report,
    /// A kill switch's trip or release condition.
    Kill,
    /// An alert's condition (and the values it compares).
    Alert,
    /// A `cost` rate: `own.trade` and `own.equity` only, no lags or windows of them.
    Cost,
}

/// The named cost models and their arguments (name, default as source text, what it is).
pub(super) const IMPACT_ARGS: &[(&str, Option<&str>, &str)] = &[
    ("volume", None, "share volume per asset (a panel over the traded assets)"),
    ("price", None, "traded prices (default: what the program holds)"),
    ("close", None, "the close that turns volume into currency (default: `price`)"),
    ("adv", None, "average daily volume in currency (default: `sma(volume * close, 20)`)"),
    ("base", Some("2bps"), "fixed rate per unit traded"),
    ("vol_coeff", Some("1.0"), "coefficient of the square-root impact term"),
    ("adv_coeff", Some("5.0"), "coefficient of the linear impact term"),
    ("min", Some("1bps"), "lower bound of the rate"),
    ("max", Some("50bps"), "upper bound of the rate"),
    ("window", Some("60"), "lookback of the daily volatility, in bars"),
    ("adv_window", Some("20"), "lookback of the average daily volume, in bars"),
];

/// The builtins that apply to own-path values: elementwise functions and trailing windows.
fn path_builtin(f: Builtin) -> bool {
    matches!(
        f,
        Builtin::Sma
            | Builtin::Std
            | Builtin::Zscore
            | Builtin::RollingMin
            | Builtin::RollingMax
            | Builtin::Abs
            | Builtin::Sign
            | Builtin::Sqrt
            | Builtin::Log
            | Builtin::Exp
            | Builtin::Min
            | Builtin::Max
            | Builtin::Clamp
    )
}

fn is_window(f: Builtin) -> bool {
    matches!(f, Builtin::Sma | Builtin::Std | Builtin::Zscore | Builtin::RollingMin | Builtin::RollingMax)
}

impl Checker {
    /// Runs `f` with own-path values allowed as `ctx` says.
    pub(super) fn with_own<T>(&mut self, ctx: OwnCtx, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = std::mem::replace(&mut self.own_ctx, ctx);
        let out = f(self);
        self.own_ctx = saved;
        out
    }

    /// Whether `h` reads the strategy's own path (directly or through a let).
    pub(super) fn hir_reads_own(&self, h: &HExpr) -> bool {
        let mut memo: Vec<Option<bool>> = self.let_own.iter().map(|&b| Some(b)).collect();
        memo.resize(self.lets.len(), None);
        h.reads_own(&self.lets, &mut memo)
    }

    /// The error for an own-path value (`what`, e.g. "`own.drawdown`") read where it is not
    /// known. `source` is set when `what` is a let: where the let reads the own path, and what.
    fn own_outside(&mut self, what: &str, span: Span, source: Option<(Span, String)>) {
        let read = source.as_ref().map(|s| s.1.clone());
        let (reason, help) = match (self.own_ctx, &read) {
            (OwnCtx::Cost, Some(r)) => (
                format!("it reads {r}, and a cost rate reads only `own.trade` and `own.equity`, written in the rate itself"),
                "write `own.trade` and `own.equity` in the `cost` expression; a rule on the drawdown or the day's return belongs in a `kill` switch",
            ),
            (OwnCtx::Cost, None) => (
                "a cost rate reads only the trade (`own.trade`) and the equity it is a share of (`own.equity`)".to_string(),
                "a rule on the drawdown or the day's return belongs in a `kill` switch: `kill NAME when own.drawdown < -15% release when ... scale 50%`",
            ),
            (_, Some(r)) => (
                format!("it reads {r}, which is known only after the weights are decided"),
                "a weight that read its own result would need the future; read own values in a `kill` switch's conditions, an `alert` or a `report` (and `own.trade`, `own.equity` in a `cost` rate)",
            ),
            (_, None) => (
                "the strategy's own path is known only after the weights are decided".to_string(),
                "a weight that read its own result would need the future; read own values in a `kill` switch's conditions, an `alert` or a `report` (and `own.trade`, `own.equity` in a `cost` rate)",
            ),
        };
        let mut d = Diag::error("strat::own::outside", format!("{what} cannot be used here: {reason}"), span, "the strategy's own path").with_help(help);
        if let Some((at, r)) = source {
            d = d.with_label(at, format!("reads {r} here"));
        }
        self.err(d);
    }

    /// Where `h` first reads the own path (through lets too), and what it reads there
    /// ("`own.drawdown`", "kill switch `crash`").
    fn first_own(&self, h: &HExpr) -> Option<(Span, String)> {
        match &h.kind {
            HKind::Own(v) => Some((h.span, format!("`own.{}`", v.name()))),
            HKind::Kill(k) => Some((h.span, format!("kill switch `{}`", self.kills.get(*k).cloned().flatten().map_or("?".into(), |k| k.name)))),
            HKind::Let(i) => self.lets.get(*i).filter(|_| self.let_own.get(*i).copied().unwrap_or(false)).and_then(|l| self.first_own(&l.value)),
            HKind::Unary(_, x) => self.first_own(x),
            HKind::Binary(_, a, b) | HKind::Lag(a, b) => self.first_own(a).or_else(|| self.first_own(b)),
            HKind::If(c, a, b) => self.first_own(c).or_else(|| self.first_own(a)).or_else(|| self.first_own(b)),
            HKind::Tiers(x, arms, d) => {
                self.first_own(x).or_else(|| arms.iter().find_map(|(_, t, v)| self.first_own(t).or_else(|| self.first_own(v)))).or_else(|| self.first_own(d))
            }
            HKind::Call(_, args) => args.iter().find_map(|a| self.first_own(a)),
            _ => None,
        }
    }

    /// A use of a let that reads the own path: allowed where own values are (a cost rate reads
    /// `own.trade` and `own.equity` directly, not through a let).
    pub(super) fn own_allowed(&mut self, id: &Ident, span: Span) -> bool {
        if matches!(self.own_ctx, OwnCtx::Let | OwnCtx::Report | OwnCtx::Kill | OwnCtx::Alert) {
            return true;
        }
        let source = self.lets.iter().position(|l| l.name == id.name).and_then(|i| self.first_own(&self.lets[i].value));
        self.own_outside(&format!("`{}`", id.name), span, source);
        false
    }

    /// `own.FIELD`.
    pub(super) fn own_value(&mut self, col: &Ident, span: Span) -> Option<HExpr> {
        let Some(v) = OwnValue::ALL.into_iter().find(|v| v.name() == col.name) else {
            let names: Vec<String> = OwnValue::ALL.iter().map(|v| format!("own.{}", v.name())).collect();
            self.err(
                Diag::error("strat::own::unknown", format!("`own.{}` is not a value of the strategy's own path", col.name), col.span, "unknown")
                    .with_help(format!("the own values are {}", names.join(", "))),
            );
            return None;
        };
        let allowed = match self.own_ctx {
            OwnCtx::Plan => false,
            OwnCtx::Cost => matches!(v, OwnValue::Trade | OwnValue::Equity),
            _ => v != OwnValue::Trade,
        };
        if !allowed {
            if v == OwnValue::Trade && self.own_ctx != OwnCtx::Plan {
                self.err(
                    Diag::error("strat::own::outside", "`own.trade` is the size of one asset's trade: only a cost rate reads it", span, "one asset's trade")
                        .with_help(
                            "use `own.trade` in `cost`; a kill switch, a report or a let they read can use `own.equity`, `own.drawdown` and `own.day_return`",
                        ),
                );
            } else {
                self.own_outside(&format!("`own.{}`", v.name()), span, None);
            }
            return None;
        }
        Some(HExpr { kind: HKind::Own(v), ty: Type::num(Qual::Series), span })
    }

    /// A kill switch's name as a value: whether it is active (a bool series of the own path).
    pub(super) fn kill_value(&mut self, k: usize, id: &Ident, span: Span) -> Option<HExpr> {
        if !matches!(self.own_ctx, OwnCtx::Let | OwnCtx::Report | OwnCtx::Kill | OwnCtx::Alert) {
            self.own_outside(&format!("kill switch `{}`", id.name), span, None);
            return None;
        }
        self.kills.get(k)?.as_ref()?;
        Some(HExpr { kind: HKind::Kill(k), ty: Type::bool(Qual::Series), span })
    }

    /// Checks the own-path parts of `h` (checked in `ctx`): only elementwise functions and
    /// trailing windows apply to own values, and a cost rate takes no lag or window of them.
    pub(super) fn check_own_expr(&mut self, h: HExpr, ctx: OwnCtx) -> Option<HExpr> {
        let mut bad: Vec<(Span, String)> = vec![];
        self.walk_own(&h, ctx, &mut bad);
        let ok = bad.is_empty();
        for (span, msg) in bad {
            self.err(Diag::error("strat::own::unsupported", msg, span, "on an own-path value").with_help(
                "own values take elementwise functions (abs, sqrt, min, max, clamp, ...), lags `x[k]` and trailing windows (sma, std, zscore, rolling_min, rolling_max)",
            ));
        }
        ok.then_some(h)
    }

    fn walk_own(&self, h: &HExpr, ctx: OwnCtx, bad: &mut Vec<(Span, String)>) {
        let reads = |x: &HExpr| self.hir_reads_own(x);
        match &h.kind {
            HKind::Call(f, args) if args.iter().any(reads) => {
                let sig = crate::builtins::name_of(*f);
                if !path_builtin(*f) {
                    bad.push((h.span, format!("`{sig}` does not apply to the strategy's own path")));
                } else if ctx == OwnCtx::Cost && is_window(*f) {
                    bad.push((h.span, format!("a cost rate is evaluated per trade: `{sig}` of an own value has no history there")));
                }
            }
            HKind::Lag(x, _) if ctx == OwnCtx::Cost && reads(x) => {
                bad.push((h.span, "a cost rate is evaluated per trade: a lag of an own value has no history there".into()));
            }
            _ => {}
        }
        match &h.kind {
            HKind::Let(i) => {
                if let Some(l) = self.lets.get(*i) {
                    if self.let_own.get(*i).copied().unwrap_or(false) {
                        self.walk_own(&l.value, ctx, bad);
                    }
                }
            }
            HKind::Unary(_, x) => self.walk_own(x, ctx, bad),
            HKind::Binary(_, a, b) | HKind::Lag(a, b) => {
                self.walk_own(a, ctx, bad);
                self.walk_own(b, ctx, bad);
            }
            HKind::If(c, a, b) => {
                for x in [c, a, b] {
                    self.walk_own(x, ctx, bad);
                }
            }
            HKind::Tiers(x, arms, d) => {
                self.walk_own(x, ctx, bad);
                self.walk_own(d, ctx, bad);
                for (_, t, v) in arms {
                    self.walk_own(t, ctx, bad);
                    self.walk_own(v, ctx, bad);
                }
            }
            HKind::Call(_, args) => args.iter().for_each(|a| self.walk_own(a, ctx, bad)),
            _ => {}
        }
    }

    /// `capital X`: a positive const or param, declared once.
    pub(super) fn capital_stmt(&mut self, value: &Expr, span: Span) {
        // The first `capital` statement is the one the name pass kept (also when it fails).
        if self.capital_ast.as_ref().is_some_and(|first| first.span != value.span) {
            let at = Span { start: span.start, end: value.span.end };
            let mut d = Diag::error("strat::stmt::duplicate", "a second `capital` statement", at, "second capital").with_help("declare the capital once");
            if let Some(first) = &self.capital_ast {
                d = d.with_label(first.span, "first declared here");
            }
            self.err(d);
            return;
        }
        let Some(h) = self.expr(value) else { return };
        if h.ty.elem != Elem::Num || h.ty.qual == Qual::Series || h.ty.panel.is_some() {
            let label = if h.ty.elem != Elem::Num { "not a number" } else { "changes from bar to bar" };
            self.err(
                Diag::error("strat::type::expected_scalar", "`capital` is one amount for the whole run", value.span, label)
                    .with_help("write the starting capital in currency units, e.g. `capital 10000000`, or a param to sweep it"),
            );
            return;
        }
        if let Some(v) = super::const_value(&h) {
            if v.is_nan() || v <= 0.0 || !v.is_finite() {
                self.err(
                    Diag::error("strat::value::bad_capital", "the capital must be a positive amount", value.span, "not positive")
                        .with_help("e.g. `capital 10000000`"),
                );
                return;
            }
        }
        self.capital = Some((h, span));
    }

    /// `cost RATE` or `cost MODEL(args)`: declared once; a rate per unit traded (a fraction).
    pub(super) fn cost_stmt(&mut self, cost: &CostSpec, span: Span) {
        let before = self.diags.len();
        self.cost_decl(cost, span);
        // A named model's formula reads some arguments more than once (`q` twice, `volume` in
        // the rate and in the warm-up): report each problem of an argument once.
        let mut seen: Vec<Diag> = vec![];
        for d in self.diags.split_off(before) {
            if !seen.contains(&d) {
                seen.push(d);
            }
        }
        self.diags.extend(seen);
    }

    fn cost_decl(&mut self, cost: &CostSpec, span: Span) {
        if self.cost_seen {
            // The statement's span runs over a trailing comment; label the statement's text.
            let end = match cost {
                CostSpec::Rate(e) => e.span.end,
                CostSpec::Model(m) => m.span.end,
            };
            let mut d = Diag::error("strat::stmt::duplicate", "a second `cost` statement", Span { start: span.start, end }, "second cost")
                .with_help("declare the cost once");
            if let Some(c) = &self.cost {
                d = d.with_label(c.span, "first declared here");
            }
            self.err(d);
            return;
        }
        self.cost_seen = true;
        let (rate, model, warmup) = match cost {
            CostSpec::Rate(e) => {
                if let ExprKind::Number(l) = &e.kind {
                    if !self.literal_rate(l) {
                        return;
                    }
                }
                (e.clone(), None, vec![])
            }
            CostSpec::Model(m) => match self.expand_model(m) {
                Some((rate, warmup)) => (rate, Some(m.name.name.clone()), warmup),
                None => return,
            },
        };
        let Some(h) = self.with_own(OwnCtx::Cost, |cx| cx.expr(&rate)) else { return };
        let Some(h) = self.check_own_expr(h, OwnCtx::Cost) else { return };
        if h.ty.elem != Elem::Num {
            self.err(
                Diag::error("strat::type::mismatch", "a cost is a rate per unit traded, a number", rate.span, "not a number")
                    .with_help("e.g. `cost 2bps`, or an expression of data such as `cost 2bps + 0.1 * std(ret(stocks), 60)`"),
            );
            return;
        }
        if let Some(v) = super::const_value(&h) {
            if v < 0.0 {
                self.err(
                    Diag::error("strat::value::negative_cost", "a cost cannot be negative", rate.span, "negative")
                        .with_help("costs are charged on turnover: write a rate >= 0"),
                );
                return;
            }
        }
        let warmup: Option<Vec<HExpr>> = warmup.iter().map(|w| self.expr(w)).collect();
        let Some(mut warmup) = warmup else { return };
        // A rate written as an expression delays the book like a model's inputs (SEMANTICS.md
        // §3b: a book is live only from the first row where its cost rate is defined): its
        // parts that the column plan computes carry its warm-up.
        if model.is_none() {
            self.plan_parts(&h, &mut warmup);
        }
        self.cost = Some(CostDecl { rate: h, model, warmup, span: Span { start: span.start, end: rate.span.end } });
    }

    /// The maximal sub-expressions of `h` that do not read the own path and vary by bar: what
    /// the column plan computes for a cost rate, whose warm-ups are the rate's.
    fn plan_parts(&self, h: &HExpr, out: &mut Vec<HExpr>) {
        if !self.hir_reads_own(h) {
            if h.ty.qual == Qual::Series || h.ty.panel.is_some() {
                out.push(h.clone());
            }
            return;
        }
        match &h.kind {
            HKind::Unary(_, x) => self.plan_parts(x, out),
            HKind::Binary(_, a, b) | HKind::Lag(a, b) => {
                self.plan_parts(a, out);
                self.plan_parts(b, out);
            }
            HKind::If(c, a, b) => [c, a, b].into_iter().for_each(|x| self.plan_parts(x, out)),
            HKind::Tiers(x, arms, d) => {
                self.plan_parts(x, out);
                self.plan_parts(d, out);
                for (_, t, v) in arms {
                    self.plan_parts(t, out);
                    self.plan_parts(v, out);
                }
            }
            HKind::Call(_, args) => args.iter().for_each(|a| self.plan_parts(a, out)),
            HKind::Let(i) => {
                if let Some(l) = self.lets.get(*i) {
                    self.plan_parts(&l.value.clone(), out);
                }
            }
            _ => {}
        }
    }

    /// A literal flat rate: with a unit, not negative.
    fn literal_rate(&mut self, rate: &Literal) -> bool {
        if rate.unit == Unit::None {
            self.err(
                Diag::error("strat::unit::missing", "a cost needs a unit", rate.span, "bps or %?")
                    .with_help(format!("write `cost {}bps` (basis points of traded value) or `cost {}%`", rate.text, rate.text)),
            );
            return false;
        }
        if rate.value < 0.0 {
            self.err(
                Diag::error("strat::value::negative_cost", "a cost cannot be negative", rate.span, "negative")
                    .with_help("costs are charged on turnover: write a rate >= 0"),
            );
            return false;
        }
        true
    }

    /// The formula of a named cost model as an expression (spec/stdlib.md "Cost models"), and
    /// the expressions whose warm-up delays the book. `impact` is the square-root market-impact
    /// law with a linear term (Almgren, Thum, Hauptmann and Li 2005; Grinold and Kahn 2000):
    /// `clamp(base + sigma * (vol_coeff * sqrt(q) + adv_coeff * q), min, max)`, where `sigma` is
    /// the daily volatility of the traded asset over `window` bars and `q = own.trade * capital
    /// * own.equity / adv` the trade's share of its average daily volume.
    fn expand_model(&mut self, m: &CostModel) -> Option<(Expr, Vec<Expr>)> {
        if m.name.name != "impact" {
            self.err(
                Diag::error("strat::cost::unknown_model", format!("unknown cost model `{}`", m.name.name), m.name.span, "not a cost model")
                    .with_help("the named model is `impact(volume = V, base = 2bps, vol_coeff = 1.0, adv_coeff = 5.0, min = 1bps, max = 50bps)`; or write the rate as an expression"),
            );
            return None;
        }
        let mut given: Vec<(&str, Expr)> = vec![];
        for (k, v) in &m.args {
            if !IMPACT_ARGS.iter().any(|a| a.0 == k.name) {
                let names: Vec<&str> = IMPACT_ARGS.iter().map(|a| a.0).collect();
                self.err(
                    Diag::error("strat::cost::unknown_argument", format!("`impact` has no argument `{}`", k.name), k.span, "unknown argument")
                        .with_help(format!("its arguments are {}", names.join(", "))),
                );
                return None;
            }
            if given.iter().any(|g| g.0 == k.name) {
                self.err(
                    Diag::error("strat::cost::duplicate_argument", format!("`{}` is given twice", k.name), k.span, "second")
                        .with_help("give each argument once"),
                );
                return None;
            }
            given.push((IMPACT_ARGS.iter().find(|a| a.0 == k.name).map_or("", |a| a.0), v.clone()));
        }
        let span = m.span;
        let arg = |name: &str| -> Option<Expr> {
            given.iter().find(|g| g.0 == name).map(|g| g.1.clone()).or_else(|| {
                let default = IMPACT_ARGS.iter().find(|a| a.0 == name)?.1?;
                let (value, unit) = match default.strip_suffix("bps") {
                    Some(n) => (n.parse::<f64>().ok()? * 1e-4, Unit::Bps),
                    None => (default.parse().ok()?, Unit::None),
                };
                Some(Expr { kind: ExprKind::Number(Literal { value, unit, text: default.into(), span }), span })
            })
        };
        let Some(capital) = self.capital_ast.clone() else {
            self.err(
                Diag::error(
                    "strat::cost::no_capital",
                    "`impact` compares each trade with its average daily volume, which needs the book's capital",
                    span,
                    "no capital",
                )
                .with_help("declare it, e.g. `capital 10000000` (currency units)"),
            );
            return None;
        };
        let Some(price) = arg("price").or_else(|| self.hold_target_ast.clone()) else {
            self.err(
                Diag::error(
                    "strat::cost::no_price",
                    "`impact` needs the traded prices, and this book has no single `hold` target to take them from",
                    span,
                    "which prices?",
                )
                .with_help("give the prices of the assets it charges: `impact(price = stocks, volume = vol, ...)`"),
            );
            return None;
        };
        let adv = match (arg("adv"), arg("volume")) {
            (Some(a), _) => a,
            (None, Some(v)) => {
                let close = arg("close").unwrap_or_else(|| price.clone());
                call(span, "sma", vec![bin(span, BinOp::Mul, v, close), arg("adv_window")?])
            }
            (None, None) => {
                self.err(
                    Diag::error("strat::cost::no_volume", "`impact` needs each asset's volume", span, "no volume")
                        .with_help("give a volume panel over the traded assets: `impact(volume = vol, ...)`, or the ADV itself: `adv = ...`"),
                );
                return None;
            }
        };
        let own = |f: &str| Expr {
            kind: ExprKind::Field(Box::new(Expr { kind: ExprKind::Name(Ident { name: "own".into(), span }), span }), Ident { name: f.into(), span }),
            span,
        };
        let sigma = call(span, "std", vec![call(span, "ret", vec![price]), arg("window")?]);
        // q = own.trade * capital * own.equity / adv
        let q = bin(span, BinOp::Div, bin(span, BinOp::Mul, bin(span, BinOp::Mul, own("trade"), capital), own("equity")), adv.clone());
        let impact =
            bin(span, BinOp::Add, bin(span, BinOp::Mul, arg("vol_coeff")?, call(span, "sqrt", vec![q.clone()])), bin(span, BinOp::Mul, arg("adv_coeff")?, q));
        let rate = bin(span, BinOp::Add, arg("base")?, bin(span, BinOp::Mul, sigma.clone(), impact));
        Some((call(span, "clamp", vec![rate, arg("min")?, arg("max")?]), vec![sigma, adv]))
    }

    /// `kill NAME when TRIP release when RELEASE scale SCALE`.
    pub(super) fn kill_stmt(&mut self, name: &Ident, trip: &Expr, release: Option<&Expr>, scale: Option<&Expr>, span: Span) {
        let decl = self.kill_decl(name, trip, release, scale, span);
        self.kills.push(decl);
    }

    fn kill_decl(&mut self, name: &Ident, trip: &Expr, release: Option<&Expr>, scale: Option<&Expr>, span: Span) -> Option<KillDecl> {
        let cond = |cx: &mut Self, e: &Expr, what: &str| -> Option<HExpr> {
            let h = cx.with_own(OwnCtx::Kill, |cx| cx.expr(e))?;
            let h = cx.check_own_expr(h, OwnCtx::Kill)?;
            if h.ty.elem != Elem::Bool || h.ty.panel.is_some() {
                let (msg, label, help) = if h.ty.elem != Elem::Bool {
                    (
                        format!("the {what} condition of kill switch `{}` is a number, not a condition", name.name),
                        "a number",
                        "compare it, e.g. `when own.drawdown < -15% or mkt.vix > 70`",
                    )
                } else {
                    (
                        format!("the {what} condition of kill switch `{}` is a condition per asset; a switch needs one per bar", name.name),
                        "one per asset",
                        "reduce it over the assets first, e.g. `count(if ret(stocks) < -5% then 1 else 0) > 10`",
                    )
                };
                cx.err(Diag::error("strat::type::expected_bool", msg, e.span, label).with_help(help));
                return None;
            }
            Some(h)
        };
        let t = cond(self, trip, "trip");
        // The statement's span runs over a trailing comment; label the statement's text.
        let end = [Some(trip), release, scale].into_iter().flatten().map(|e| e.span.end).max().unwrap_or(span.end);
        let span = Span { start: span.start, end };
        let Some(release) = release else {
            self.err(
                Diag::error("strat::kill::no_release", format!("kill switch `{}` has no release condition", name.name), span, "never released")
                    .with_help("a switch without a release would stay on for the rest of the run; add `release when COND`, e.g. `release when mkt.vix < 25`"),
            );
            return None;
        };
        let r = cond(self, release, "release");
        let s = match scale {
            None => {
                self.err(
                    Diag::error("strat::kill::no_scale", format!("kill switch `{}` has no scale", name.name), span, "scale?")
                        .with_help("say what the held weights are multiplied by while it is active, e.g. `scale 50%` (0% closes the book)"),
                );
                None
            }
            Some(e) => self.kill_scale(e),
        };
        let (t, r, s) = (t?, r?, s?);
        if let HKind::Const(c) = t.kind {
            if c == 0.0 {
                self.diags.push(
                    Diag::warning(
                        "strat::kill::never_trips",
                        format!("kill switch `{}` never trips: its trip condition is always false", name.name),
                        trip.span,
                        "always false",
                    )
                    .with_help("remove the switch, or write the condition that should turn it on, e.g. `when own.drawdown < -15%`"),
                );
            }
        }
        Some(KillDecl { name: name.name.clone(), trip: t, release: r, scale: s, span })
    }

    fn kill_scale(&mut self, e: &Expr) -> Option<HExpr> {
        let h = self.expr(e)?;
        if h.ty.elem != Elem::Num || h.ty.qual == Qual::Series {
            self.err(
                Diag::error("strat::type::expected_scalar", "a kill switch's scale is one fraction for the run", e.span, "not a const or param")
                    .with_help("e.g. `scale 50%`, or a param"),
            );
            return None;
        }
        if let Some(v) = super::const_value(&h) {
            if !(0.0..=1.0).contains(&v) {
                self.err(
                    Diag::error("strat::value::bad_scale", "a kill switch's scale is a fraction from 0% to 100%", e.span, "out of range")
                        .with_help("the held weights are multiplied by it while the switch is on: 50% halves every position, 0% closes the book"),
                );
                return None;
            }
        }
        Some(h)
    }

    /// `target_vol TARGET lookback N cap C`: declared once; three consts or params.
    pub(super) fn vol_target_stmt(&mut self, target: &Expr, lookback: Option<&Expr>, cap: Option<&Expr>, span: Span) {
        let end = [Some(target), lookback, cap].into_iter().flatten().map(|e| e.span.end).max().unwrap_or(span.end);
        let span = Span { start: span.start, end };
        if let Some(first) = self.vol_target_span {
            self.err(
                Diag::error("strat::stmt::duplicate", "a second `target_vol` statement", span, "second target_vol")
                    .with_label(first, "first declared here")
                    .with_help("a book has one volatility target; keep one `target_vol` statement"),
            );
            return;
        }
        self.vol_target_span = Some(span);
        let t = self.risk_value(
            target,
            "the volatility target",
            "e.g. `target_vol 10%`, or a param",
            |v| v > 0.0,
            || {
                Diag::error("strat::value::bad_target_vol", "the volatility target must be a positive annualised volatility", target.span, "not positive")
                    .with_help("write the annualised volatility the book should run at, e.g. `target_vol 10%`")
            },
        );
        let Some(lookback) = lookback else {
            self.err(
                Diag::error("strat::vol::no_lookback", "`target_vol` has no lookback", span, "lookback?")
                    .with_help("say over how many of the book's own returns its volatility is measured, e.g. `target_vol 10% lookback 60 cap 2`"),
            );
            return;
        };
        let l = self.risk_value(
            lookback,
            "the lookback",
            "e.g. `lookback 60`, or a param",
            |v| v >= 2.0 && v.fract() == 0.0,
            || {
                Diag::error("strat::value::bad_window", "the lookback of `target_vol` must be a whole number of returns >= 2", lookback.span, "not a window")
                    .with_help("a sample standard deviation needs at least 2 returns, e.g. `lookback 60`")
            },
        );
        let Some(cap) = cap else {
            self.err(
                Diag::error("strat::vol::no_cap", "`target_vol` has no leverage cap", span, "cap?")
                    .with_help("say the largest scale the target may reach, e.g. `target_vol 10% lookback 60 cap 2` (at most twice the book)"),
            );
            return;
        };
        let c = self.risk_value(
            cap,
            "the leverage cap",
            "e.g. `cap 2`, or a param",
            |v| v > 0.0,
            || {
                Diag::error("strat::value::bad_cap", "the leverage cap of `target_vol` must be positive", cap.span, "not positive")
                    .with_help("the scale never exceeds the cap: `cap 1` only scales down, `cap 2` at most doubles the book")
            },
        );
        let (Some(target), Some(lookback), Some(cap)) = (t, l, c) else { return };
        self.vol_target = Some(VolTargetDecl { target, lookback, cap, span });
    }

    /// `limit gross X` / `limit net X`: one of each kind; a positive const or param.
    pub(super) fn limit_stmt(&mut self, kind: &Ident, value: &Expr, span: Span) {
        let span = Span { start: span.start, end: value.span.end.max(kind.span.end) };
        let k = match kind.name.as_str() {
            "gross" => LimitKind::Gross,
            "net" => LimitKind::Net,
            "weight" => LimitKind::Weight,
            _ => {
                self.err(
                    Diag::error("strat::limit::unknown", format!("unknown limit `{}`", kind.name), kind.span, "not a limit")
                        .with_help("write `limit gross X` (sum of |weights|), `limit net X` (|sum of weights|) or `limit weight X` (each |weight|)"),
                );
                return;
            }
        };
        if let Some((_, first)) = self.limit_spans.iter().find(|(x, _)| *x == k) {
            let first = *first;
            self.err(
                Diag::error("strat::stmt::duplicate", format!("a second `limit {}` statement", k.name()), span, "second limit")
                    .with_label(first, "first declared here")
                    .with_help("keep one limit of each kind"),
            );
            return;
        }
        self.limit_spans.push((k, span));
        let Some(h) = self.risk_value(
            value,
            "a limit",
            "e.g. `limit gross 150%`, or a param",
            |v| v > 0.0,
            || {
                Diag::error("strat::value::bad_limit", format!("`limit {}` must be a positive fraction of equity", k.name()), value.span, "not positive")
                    .with_help("e.g. `limit gross 150%`; a limit of 0 would close the book: use a kill switch with `scale 0%` for that")
            },
        ) else {
            return;
        };
        self.limits.push(LimitDecl { kind: k, value: h, span });
    }

    /// `cash RATE financing SPREAD borrow FEE`: declared once; the rate a number or a series (not
    /// a panel, not the own path), the spread and the fee consts or params >= 0 (0 if absent).
    pub(super) fn cash_stmt(&mut self, rate: &Expr, financing: Option<&Expr>, borrow: Option<&Expr>, span: Span) {
        let end = [Some(rate), financing, borrow].into_iter().flatten().map(|e| e.span.end).max().unwrap_or(span.end);
        let span = Span { start: span.start, end };
        if let Some(first) = self.cash_span {
            self.err(
                Diag::error("strat::stmt::duplicate", "a second `cash` statement", span, "second cash")
                    .with_label(first, "first declared here")
                    .with_help("a book has one cash account; keep one `cash` statement"),
            );
            return;
        }
        self.cash_span = Some(span);
        let r = self.expr(rate);
        let r = match r {
            Some(h) if h.ty.elem != Elem::Num => {
                self.err(
                    Diag::error("strat::type::mismatch", "the cash rate is an annualised rate, a number", rate.span, "not a number")
                        .with_help("e.g. `cash 2%`, or a series of rates in percent turned into a fraction: `cash rates.dgs3mo / 100`"),
                );
                None
            }
            Some(h) if h.ty.panel.is_some() => {
                self.err(
                    Diag::error("strat::cash::panel_rate", "the cash rate is one rate for the whole book, not one per asset", rate.span, "one value per asset")
                        .with_help("pick one series of the panel, e.g. `cash rates.dgs3mo / 100`; a per-asset borrow fee is not available"),
                );
                None
            }
            Some(h) => match super::const_value(&h) {
                Some(v) if !v.is_finite() => {
                    self.err(
                        Diag::error("strat::value::bad_cash_rate", "the cash rate must be a finite annualised rate", rate.span, "not finite")
                            .with_help("write the rate as a fraction per year, e.g. `cash 2%`"),
                    );
                    None
                }
                _ => Some(h),
            },
            None => None,
        };
        let clause = |cx: &mut Self, e: Option<&Expr>, word: &str| -> Option<HExpr> {
            let Some(e) = e else { return Some(zero(span)) };
            cx.risk_value(
                e,
                &format!("the `{word}` rate"),
                &format!("e.g. `{word} 1%`, or a param"),
                |v| v >= 0.0,
                || {
                    Diag::error(
                        if word == "financing" { "strat::value::bad_financing" } else { "strat::value::bad_borrow" },
                        format!("the `{word}` rate must be an annualised fraction >= 0"),
                        e.span,
                        "negative",
                    )
                    .with_help(format!("`{word}` is a cost the book pays per year, e.g. `{word} 1%`; write 0 or drop the clause for none"))
                },
            )
        };
        let f = clause(self, financing, "financing");
        let b = clause(self, borrow, "borrow");
        let (Some(rate), Some(financing), Some(borrow)) = (r, f, b) else { return };
        self.cash = Some(CashDecl { rate, financing, borrow, span });
    }

    /// A value of `target_vol` or `limit`: one number for the run (a const or a param); a
    /// const must pass `ok` (a param's values are checked when the run starts).
    fn risk_value(&mut self, e: &Expr, what: &str, example: &str, ok: impl Fn(f64) -> bool, bad: impl FnOnce() -> Diag) -> Option<HExpr> {
        let h = self.expr(e)?;
        if h.ty.elem != Elem::Num || h.ty.qual == Qual::Series || h.ty.panel.is_some() {
            let label = if h.ty.elem != Elem::Num { "not a number" } else { "changes from bar to bar" };
            self.err(Diag::error("strat::type::expected_scalar", format!("{what} is one number for the run"), e.span, label).with_help(example.to_string()));
            return None;
        }
        if let Some(v) = super::const_value(&h) {
            if !v.is_finite() || !ok(v) {
                self.err(bad());
                return None;
            }
        }
        Some(h)
    }

    /// Relations between the portfolio statements and the book, after the last statement: a
    /// per-asset cost rate over a panel must range over the book's one universe (or a universe
    /// that names the same assets in the same order, as a volume file beside a price file does).
    pub(super) fn check_portfolio(&mut self) {
        // A traded price is the bar's own: an `asof` source may carry an older row forward.
        let traded = self.hold.iter().map(|h| (&h.target, h.weight.span)).chain(self.sleeves.iter().map(|s| (&s.hold.target, s.span)));
        let mut stale: Vec<(String, Span)> = traded
            .filter_map(|(t, span)| match t {
                Holding::Column(c) => Some((c, span)),
                Holding::Universe(_) => None,
            })
            .chain(self.benchmark.as_ref().map(|(c, span)| (c, *span)))
            .filter(|(c, _)| self.data.get(c.source).is_some_and(|d| d.asof))
            .map(|(c, span)| (format!("{}.{}", self.data[c.source].name, c.column), span))
            .collect();
        stale.dedup();
        for (name, span) in stale {
            self.err(
                Diag::error("strat::data::asof_traded", format!("`{name}` is traded, but its source is `asof`"), span, "a traded price from an `asof` source")
                    .with_help("an `asof` source repeats its last row on the bars it lacks; a traded or benchmark price must be the bar's own: remove `asof`, or read the price from another source"),
            );
        }
        // A weight limit clips the assets of one hold; a book of sleeves is weighted by them.
        if let (Some((_, span)), true) =
            (self.limit_spans.iter().find(|(k, _)| *k == LimitKind::Weight), self.ensemble_span.is_some() || self.sleeve_hold_span.is_some())
        {
            let span = *span;
            self.err(
                Diag::error(
                    "strat::limit::weight_on_sleeves",
                    "`limit weight` applies to the assets of a `hold`, not to a book of sleeves",
                    span,
                    "on a book of sleeves",
                )
                .with_help("bound the sleeves' weights in their own `hold`s (e.g. `clamp(w, -25%, 25%)`), or bound the book with `limit gross X`"),
            );
        }
        let Some(c) = &self.cost else { return };
        let Some(u) = c.rate.ty.panel else { return };
        let held: Vec<usize> = self.held_universes();
        let same = |h: usize| h == u || matches!((self.universes.get(h), self.universes.get(u)), (Some(a), Some(b)) if a.assets == b.assets);
        if held.iter().any(|&h| !same(h)) || held.is_empty() {
            let name = |cx: &Self, u: usize| cx.universes.get(u).map_or("a single series".to_string(), |x| format!("`{}`", x.name));
            let mut book: Vec<String> = vec![];
            for &h in &held {
                let n = name(self, h);
                if !book.contains(&n) {
                    book.push(n);
                }
            }
            let span = c.rate.span;
            self.err(
                Diag::error(
                    "strat::cost::shape_mismatch",
                    format!("the cost rate is a panel over {}, but the book holds {}", name(self, u), book.join(" and ")),
                    span,
                    format!("one rate per asset of {}", name(self, u)),
                )
                .with_help("a per-asset rate must range over the one universe the book holds; for a book of several universes, write a rate that is one series or a number"),
            );
        }
    }

    /// The universes the book's holds trade (a column hold counts as none).
    fn held_universes(&self) -> Vec<usize> {
        let mut v = vec![];
        let targets = self.hold.iter().map(|h| &h.target).chain(self.sleeves.iter().map(|s| &s.hold.target));
        for t in targets {
            match t {
                crate::program::Holding::Universe(u) => v.push(*u),
                crate::program::Holding::Column(_) => v.push(usize::MAX),
            }
        }
        v
    }
}

/// The constant 0 (an absent `financing` or `borrow` clause).
fn zero(span: Span) -> HExpr {
    HExpr { kind: HKind::Const(0.0), ty: Type::num(Qual::Const), span }
}

fn call(span: Span, f: &str, args: Vec<Expr>) -> Expr {
    Expr { kind: ExprKind::Call(Ident { name: f.into(), span }, args), span }
}

fn bin(span: Span, op: BinOp, a: Expr, b: Expr) -> Expr {
    Expr { kind: ExprKind::Binary(op, Box::new(a), Box::new(b)), span }
}
