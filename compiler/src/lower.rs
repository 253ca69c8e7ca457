//! `hir_to_plan`: lowers the typed program to the plan IR. `tiers` and `regime` become chains of
//! selects; `min`/`max` with several arguments fold left; `clamp(x, lo, hi)` is
//! `min(max(x, lo), hi)`; every `let` and regime is lowered once and shared.

use crate::builtins::Builtin;
use crate::hir::*;
use crate::ops::{BinaryOp, UnaryOp};
use crate::plan::{CrossOp, InputRef, Node, Plan, PlanBuilder, ScanOp, WindowOp};
use crate::program::{self, Program};
use crate::types::Elem;
use strat_grammar::ast::{BinOp, UnOp};
use strat_grammar::Span;

mod path;

/// The lowered program: the plan and the nodes the runtime reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The plan.
    pub plan: Plan,
    /// The hold weight (fraction of equity) decided at each bar's close; for an ensemble, the
    /// regime's value (arm index).
    pub weight: Node,
    /// Each sleeve's target weight.
    pub sleeve_weights: Vec<Node>,
    /// For an ensemble: per regime arm, (sleeve, coefficient node) pairs (scalar nodes).
    pub ensemble: Vec<Vec<(usize, Node)>>,
    /// The report expressions, in declaration order.
    pub reports: Vec<(String, Node)>,
    /// Every `let`, by index (for tools such as the REPL).
    pub lets: Vec<Node>,
    /// Every regime's value (the arm index per bar).
    pub regimes: Vec<Node>,
    /// `where` constraints (scalar nodes: a binding is valid when all are non-zero).
    pub constraints: Vec<Node>,
    /// `when` condition of each param (a scalar node over earlier params), if any.
    pub param_when: Vec<Option<Node>>,
    /// The declarations with these nodes: what the runtime runs.
    pub program: Program,
}

/// Lowers a checked program.
pub fn hir_to_plan(hir: &Hir) -> Lowered {
    let mut cx =
        Lowerer { b: PlanBuilder::new(), hir, lets: vec![None; hir.lets.len()], regimes: vec![None; hir.regimes.len()], own_lets: vec![None; hir.lets.len()] };
    for r in 0..hir.regimes.len() {
        cx.regime_node(r);
    }
    for l in 0..hir.lets.len() {
        // A let that reads the strategy's own path is evaluated by the portfolio stage where it
        // is used (`path_expr`); the column plan has no node for it.
        if !cx.reads_own(&hir.lets[l].value) {
            cx.let_node(l);
        }
    }
    let (weight, ensemble) = match &hir.book {
        Book::Hold(h) => (cx.expr(&h.weight), vec![]),
        Book::Ensemble(e) => {
            let r = cx.regime_node(e.regime);
            let arms = e.arms.iter().map(|terms| terms.iter().map(|(k, c)| (*k, cx.expr(c))).collect()).collect();
            (r, arms)
        }
        // The sleeves' weights come from the runtime's weighting engine, not the plan.
        Book::SleeveWeights(_) => (cx.b.konst(0.0, Span::default()), vec![]),
    };
    let sleeve_weights: Vec<Node> = hir.sleeves.iter().map(|s| cx.expr(&s.hold.weight)).collect();
    let mut report_paths = vec![];
    let reports: Vec<(String, Node)> = hir
        .reports
        .iter()
        .map(|r| {
            let (node, path) = cx.report_value(&r.value, r.span);
            report_paths.push(path);
            (r.name.clone(), node)
        })
        .collect();
    let alerts: Vec<program::Alert> = hir
        .alerts
        .iter()
        .map(|a| {
            let series = |cx: &mut Lowerer, name: &str, h: &HExpr| {
                let (node, path) = cx.report_value(h, a.span);
                program::Report { name: name.to_string(), node, path }
            };
            let when = series(&mut cx, &a.name, &a.when);
            let values = a.values.iter().map(|(text, h)| series(&mut cx, text, h)).collect();
            let value_is_bool = a.values.iter().map(|(_, h)| h.ty.elem == Elem::Bool).collect();
            program::Alert { name: a.name.clone(), condition: a.text.clone(), when, values, value_is_bool }
        })
        .collect();
    let portfolio = cx.portfolio();
    let constraints: Vec<Node> = hir.constraints.iter().map(|c| cx.expr(c)).collect();
    let param_when: Vec<Option<Node>> = hir.params.iter().map(|p| p.when.as_ref().map(|w| cx.expr(w))).collect();
    let let_values: Vec<program::LetValue> =
        hir.lets.iter().zip(&cx.lets).map(|(l, n)| program::LetValue { name: l.name.clone(), node: *n, panel: l.value.ty.panel }).collect();
    let lets = cx.lets.iter().map(|n| n.unwrap_or(weight)).collect();
    let regimes: Vec<Node> = cx.regimes.iter().map(|n| n.unwrap_or(weight)).collect();
    let program = program_of(
        hir,
        &ProgramNodes {
            weight,
            sleeve_weights: &sleeve_weights,
            ensemble: &ensemble,
            reports: &reports,
            regimes: &regimes,
            constraints: &constraints,
            param_when: &param_when,
            report_paths: &report_paths,
            portfolio,
        },
    );
    let program = Program { lets: let_values, alerts, ..program };
    Lowered { plan: cx.b.finish(), weight, sleeve_weights, ensemble, reports, lets, regimes, constraints, param_when, program }
}

/// The nodes `hir_to_plan` lowered, for [`program_of`].
struct ProgramNodes<'a> {
    weight: Node,
    sleeve_weights: &'a [Node],
    ensemble: &'a [Vec<(usize, Node)>],
    reports: &'a [(String, Node)],
    regimes: &'a [Node],
    constraints: &'a [Node],
    param_when: &'a [Option<Node>],
    report_paths: &'a [Option<program::PathExpr>],
    portfolio: program::Portfolio,
}

/// The [`Program`] of `hir`: its declarations, each expression replaced by its lowered node.
fn program_of(hir: &Hir, n: &ProgramNodes) -> Program {
    let hold = |h: &HoldDecl, weight: Node| program::Hold { target: h.target.clone(), weight, rebalance: h.rebalance };
    let book = match &hir.book {
        Book::Hold(h) => program::Book::Hold(hold(h, n.weight)),
        Book::Ensemble(e) => program::Book::Ensemble(program::Ensemble { regime: e.regime, arms: n.ensemble.to_vec() }),
        Book::SleeveWeights(k) => program::Book::SleeveWeights(*k),
    };
    let params = hir
        .params
        .iter()
        .zip(n.param_when)
        .map(|(p, when)| program::Param {
            name: p.name.clone(),
            default: p.default,
            domain: p.domain.clone(),
            when: *when,
            choice_enum: p.choice_enum,
            text: p.text.clone(),
            span: p.span,
            name_span: p.name_span,
        })
        .collect();
    let regimes = hir
        .regimes
        .iter()
        .zip(n.regimes)
        .map(|(r, node)| program::Regime { name: r.name.clone(), arms: r.arms.clone(), param: r.param, node: *node })
        .collect();
    let sleeves = hir.sleeves.iter().zip(n.sleeve_weights).map(|(s, w)| program::Sleeve { name: s.name.clone(), hold: hold(&s.hold, *w) }).collect();
    Program {
        name: hir.name.clone(),
        data: hir.data.clone(),
        universes: hir.universes.clone(),
        panels: hir.panels.clone(),
        lets: vec![],
        benchmark_sleeve: hir.benchmark_sleeve,
        params,
        regimes,
        book,
        decision: n.weight,
        sleeves,
        weights: hir.weights.clone(),
        constraints: n.constraints.to_vec(),
        from: hir.from.clone(),
        to: hir.to.clone(),
        benchmark: hir.benchmark.clone(),
        portfolio: n.portfolio.clone(),
        annualize: hir.annualize,
        reports: n
            .reports
            .iter()
            .zip(n.report_paths)
            .map(|((name, node), path)| program::Report { name: name.clone(), node: *node, path: path.clone() })
            .collect(),
        alerts: vec![],
    }
}

/// Lowers one expression of `hir` into an existing builder (used by the REPL for ad-hoc
/// expressions); `lets` and `regimes` must be the nodes already lowered for `hir`.
pub fn lower_expr(hir: &Hir, b: &mut PlanBuilder, lets: &[Node], regimes: &[Node], e: &HExpr) -> Node {
    let mut cx = Lowerer {
        b: std::mem::take(b),
        hir,
        lets: lets.iter().map(|n| Some(*n)).collect(),
        regimes: regimes.iter().map(|n| Some(*n)).collect(),
        own_lets: vec![None; hir.lets.len()],
    };
    let n = cx.expr(e);
    *b = cx.b;
    n
}

struct Lowerer<'h> {
    b: PlanBuilder,
    hir: &'h Hir,
    lets: Vec<Option<Node>>,
    regimes: Vec<Option<Node>>,
    /// Per `let`: whether it reads the strategy's own path (memo of `reads_own`).
    own_lets: Vec<Option<bool>>,
}

impl Lowerer<'_> {
    /// A report's (or an alert's) series: a plan node, or (when it reads the own path) the
    /// constant 0 and the expression the portfolio stage evaluates. A bool counts NaN (warm-up)
    /// as false in both.
    fn report_value(&mut self, h: &HExpr, span: Span) -> (Node, Option<program::PathExpr>) {
        if self.reads_own(h) {
            let mut p = self.path_expr(h);
            if h.ty.elem == Elem::Bool {
                let root = p.root();
                p.ops.push(program::PathOp::Unary(UnaryOp::Not, root));
                p.ops.push(program::PathOp::Unary(UnaryOp::Not, root + 1));
            }
            return (self.b.konst(0.0, span), Some(p));
        }
        let n = self.expr(h);
        let n = if h.ty.elem == Elem::Bool { self.truth(n, span) } else { n };
        (n, None)
    }

    /// The portfolio stage's declarations: cost, capital, kill switches.
    fn portfolio(&mut self) -> program::Portfolio {
        let hir = self.hir;
        let cost = match &hir.cost {
            None => program::Cost::Flat(self.b.konst(0.0, Span::default())),
            Some(c) if c.rate.ty.panel.is_none() && c.rate.ty.qual != crate::types::Qual::Series && c.model.is_none() => {
                program::Cost::Flat(self.expr(&c.rate))
            }
            Some(c) => {
                let rate = self.path_expr(&c.rate);
                let warmup = c.warmup.iter().map(|w| self.expr(w)).collect();
                program::Cost::PerAsset { rate, warmup, model: c.model.clone() }
            }
        };
        let capital = hir.capital.as_ref().map(|c| self.expr(c));
        let kills = hir
            .kills
            .iter()
            .map(|k| program::KillSwitch {
                name: k.name.clone(),
                trip: self.path_expr(&k.trip),
                release: self.path_expr(&k.release),
                scale: self.expr(&k.scale),
            })
            .collect();
        let vol_target =
            hir.vol_target.as_ref().map(|v| program::VolTarget { target: self.expr(&v.target), lookback: self.expr(&v.lookback), cap: self.expr(&v.cap) });
        let limits = hir.limits.iter().map(|l| program::Limit { kind: l.kind, value: self.expr(&l.value) }).collect();
        let cash = hir.cash.as_ref().map(|c| program::Cash { rate: self.expr(&c.rate), financing: self.expr(&c.financing), borrow: self.expr(&c.borrow) });
        program::Portfolio { cost, capital, kills, vol_target, limits, cash, drift: hir.drift }
    }

    fn let_node(&mut self, i: usize) -> Node {
        if let Some(n) = self.lets[i] {
            return n;
        }
        let hir = self.hir;
        let n = self.expr(&hir.lets[i].value);
        self.lets[i] = Some(n);
        n
    }

    fn regime_node(&mut self, r: usize) -> Node {
        if let Some(n) = self.regimes[r] {
            return n;
        }
        let hir = self.hir;
        let n = self.regime(&hir.regimes[r]);
        self.regimes[r] = Some(n);
        n
    }

    fn regime(&mut self, r: &RegimeDecl) -> Node {
        if let Some(p) = r.param {
            return self.b.param(p, r.span);
        }
        let n = r.arms.len();
        let mut acc = self.b.konst(n.saturating_sub(1) as f64, r.span);
        for i in (0..n.saturating_sub(1)).rev() {
            if let Some(Some(c)) = r.conds.get(i) {
                let c = self.expr(c);
                let v = self.b.konst(i as f64, r.span);
                acc = self.b.select(c, v, acc, r.span);
            }
        }
        acc
    }

    fn expr(&mut self, e: &HExpr) -> Node {
        let s = e.span;
        match &e.kind {
            HKind::Const(v) => self.b.konst(*v, s),
            HKind::Param(i) => self.b.param(*i, s),
            HKind::Column(c) => self.b.input(&InputRef::Column(c.clone()), s),
            HKind::Universe(u) => self.b.input(&InputRef::Universe(*u), s),
            HKind::Panel(r) => self.b.input(&InputRef::Panel { panel: r.clone(), universe: self.hir.panels[r.source].universe }, s),
            HKind::Weights(k) => {
                let d = &self.hir.weights[*k];
                let universe = match d.members {
                    WeightMembersRef::Universe(u) => u,
                    WeightMembersRef::Sleeves(_) => unreachable!("the checker refuses sleeve weights as values"),
                };
                self.b.input(&InputRef::Weights { decl: *k, universe, params: d.params() }, s)
            }
            HKind::Let(i) => self.let_node(*i),
            HKind::Regime(r) => self.regime_node(*r),
            HKind::Unary(op, x) => {
                let x = self.expr(x);
                let op = match op {
                    UnOp::Neg => UnaryOp::Neg,
                    UnOp::Not => UnaryOp::Not,
                };
                self.b.unary(op, x, s)
            }
            HKind::Binary(op, a, b) => {
                let bools = a.ty.elem == Elem::Bool && b.ty.elem == Elem::Bool;
                let (mut x, mut y) = (self.expr(a), self.expr(b));
                if bools && matches!(op, BinOp::Eq | BinOp::Ne) {
                    // A bool still in warm-up is NaN and counts as false (`ops::truthy`).
                    x = self.truth(x, s);
                    y = self.truth(y, s);
                }
                self.b.binary(binop(*op), x, y, s)
            }
            HKind::If(c, a, b) => {
                let (c, a, b) = (self.expr(c), self.expr(a), self.expr(b));
                self.b.select(c, a, b, s)
            }
            HKind::Tiers(x, arms, d) => {
                let xs = self.expr(x);
                let mut acc = self.expr(d);
                for (op, t, v) in arms.iter().rev() {
                    let t = self.expr(t);
                    let v = self.expr(v);
                    let c = self.b.binary(binop(*op), xs, t, s);
                    acc = self.b.select(c, v, acc, s);
                }
                let isnan = self.b.unary(UnaryOp::IsNan, xs, s);
                let nan = self.b.konst(f64::NAN, s);
                self.b.select(isnan, nan, acc, s)
            }
            HKind::Lag(x, k) => {
                let (x, k) = (self.expr(x), self.expr(k));
                self.b.window(WindowOp::Lag, x, k, s)
            }
            HKind::Call(f, args) => self.call(*f, args, s),
            HKind::Own(_) | HKind::Kill(_) => unreachable!("own-path values are lowered by `path_expr`"),
        }
    }

    /// A bool normalised to 0/1 (`not not x`): NaN, a bool still in warm-up, becomes 0.
    fn truth(&mut self, x: Node, s: Span) -> Node {
        let n = self.b.unary(UnaryOp::Not, x, s);
        self.b.unary(UnaryOp::Not, n, s)
    }

    fn call(&mut self, f: Builtin, args: &[HExpr], s: Span) -> Node {
        let a: Vec<Node> = args.iter().map(|x| self.expr(x)).collect();
        let window = |me: &mut Self, op: WindowOp| {
            let n = match a.get(1) {
                Some(&n) => n,
                None => me.b.konst(1.0, s),
            };
            me.b.window(op, a[0], n, s)
        };
        match f {
            Builtin::Ret => window(self, WindowOp::Ret),
            Builtin::LogRet => window(self, WindowOp::LogRet),
            Builtin::Sma => window(self, WindowOp::Sma),
            Builtin::Ema => window(self, WindowOp::Ema),
            Builtin::Std => window(self, WindowOp::Std),
            Builtin::Zscore => window(self, WindowOp::Zscore),
            Builtin::RollingMin => window(self, WindowOp::RollingMin),
            Builtin::RollingMax => window(self, WindowOp::RollingMax),
            Builtin::Drawdown => self.b.scan(ScanOp::Drawdown, a[0], s),
            Builtin::Cumsum => self.b.scan(ScanOp::Cumsum, a[0], s),
            Builtin::Cumprod => self.b.scan(ScanOp::Cumprod, a[0], s),
            Builtin::Abs => self.b.unary(UnaryOp::Abs, a[0], s),
            Builtin::Sign => self.b.unary(UnaryOp::Sign, a[0], s),
            Builtin::Sqrt => self.b.unary(UnaryOp::Sqrt, a[0], s),
            Builtin::Log => self.b.unary(UnaryOp::Log, a[0], s),
            Builtin::Exp => self.b.unary(UnaryOp::Exp, a[0], s),
            Builtin::Min | Builtin::Max => {
                let op = if f == Builtin::Min { BinaryOp::Min } else { BinaryOp::Max };
                let mut acc = a[0];
                for &x in &a[1..] {
                    acc = self.b.binary(op, acc, x, s);
                }
                acc
            }
            Builtin::Count => self.b.cross(CrossOp::Count, a[0], a[0], s),
            Builtin::Sum => self.b.cross(CrossOp::Sum, a[0], a[0], s),
            Builtin::Mean => self.b.cross(CrossOp::Mean, a[0], a[0], s),
            Builtin::Rank => self.b.cross(CrossOp::Rank, a[0], a[0], s),
            Builtin::ZscoreCs => self.b.cross(CrossOp::ZscoreCs, a[0], a[0], s),
            Builtin::Top => self.b.cross(CrossOp::Top, a[0], a[1], s),
            Builtin::Bottom => self.b.cross(CrossOp::Bottom, a[0], a[1], s),
            Builtin::Clamp => {
                let lo = self.b.binary(BinaryOp::Max, a[0], a[1], s);
                self.b.binary(BinaryOp::Min, lo, a[2], s)
            }
            // x == x is false exactly where x is NaN.
            Builtin::Coalesce => {
                let defined = self.b.binary(BinaryOp::Eq, a[0], a[0], s);
                self.b.select(defined, a[0], a[1], s)
            }
        }
    }
}

pub(crate) fn binop(op: BinOp) -> BinaryOp {
    match op {
        BinOp::Add => BinaryOp::Add,
        BinOp::Sub => BinaryOp::Sub,
        BinOp::Mul => BinaryOp::Mul,
        BinOp::Div => BinaryOp::Div,
        BinOp::Lt => BinaryOp::Lt,
        BinOp::Le => BinaryOp::Le,
        BinOp::Gt => BinaryOp::Gt,
        BinOp::Ge => BinaryOp::Ge,
        BinOp::Eq => BinaryOp::Eq,
        BinOp::Ne => BinaryOp::Ne,
        BinOp::And => BinaryOp::And,
        BinOp::Or => BinaryOp::Or,
    }
}
