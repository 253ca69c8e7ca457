//! The plan IR: an arena of column operations addressed by [`Node`]. Parameters stay symbolic
//! (`Op::Param`), so one plan serves every binding of a sweep. The [`PlanBuilder`] hash-conses
//! nodes (common-subexpression elimination) and folds operations on constants as it builds.
//!
//! Nodes are created children-first, so index order is a topological order.

use crate::hir::{ColumnRef, PanelRef};
use crate::ops::{self, BinaryOp, UnaryOp};
use crate::types::Shape;
use std::collections::HashMap;
use std::fmt::Write as _;
use strat_grammar::Span;

/// A node of the plan arena.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Node(pub u32);

impl Node {
    /// The arena index.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Windowed operations over one series, with a length or lag that is a scalar node
/// (a const or an expression of params), run by `strat-stdlib` kernels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowOp {
    Sma,
    Ema,
    Std,
    Zscore,
    RollingMin,
    RollingMax,
    /// `ret(x, k)`
    Ret,
    /// `logret(x, k)`
    LogRet,
    /// `x[k]`
    Lag,
}

impl WindowOp {
    /// The smallest allowed length / lag.
    pub fn min_length(self) -> usize {
        match self {
            WindowOp::Lag => 0,
            // A sample standard deviation needs two values (ddof = 1).
            WindowOp::Std | WindowOp::Zscore => 2,
            _ => 1,
        }
    }

    /// Rows of warm-up this op adds to its input's: `n - 1` for windows, `k` for lags/returns,
    /// 0 for `ema` (seeded with its input's first defined value).
    pub fn warmup(self, n: usize) -> usize {
        match self {
            WindowOp::Sma | WindowOp::Std | WindowOp::Zscore | WindowOp::RollingMin | WindowOp::RollingMax => n.saturating_sub(1),
            WindowOp::Ret | WindowOp::LogRet | WindowOp::Lag => n,
            WindowOp::Ema => 0,
        }
    }
}

/// Cross-sectional operations: per bar, across the assets of a panel with a defined value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrossOp {
    /// `count(x)` → series.
    Count,
    /// `sum(x)` → series.
    Sum,
    /// `mean(x)` → series.
    Mean,
    /// `rank(x)` → panel.
    Rank,
    /// `zscore_cs(x)` → panel.
    ZscoreCs,
    /// `top(x, f)` → bool panel.
    Top,
    /// `bottom(x, f)` → bool panel.
    Bottom,
}

/// What an `Op::Input` reads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum InputRef {
    /// One column of a data source.
    Column(ColumnRef),
    /// Every asset of a universe (a panel, asset-major).
    Universe(usize),
    /// A point-in-time panel over its source's universe (asset-major), joined as of each bar
    /// by the loader (SEMANTICS.md §3c).
    Panel {
        /// The panel.
        panel: PanelRef,
        /// Its source's universe (the panel's assets).
        universe: usize,
    },
    /// The held weights of `weights` declaration `decl` (index into [`crate::hir::Hir::weights`])
    /// over universe `universe`: a panel, NaN before the first rebalance. The runtime computes it
    /// before the plan runs; it changes with the params listed in `params` (its method choice and
    /// option values), so it is param-invariant only when none of them varies.
    Weights { decl: usize, universe: usize, params: Vec<usize> },
}

/// The size of a run: rows (bars) and the asset count of each universe. A series column holds
/// `rows` values; a panel over universe `u` holds `rows * assets[u]` values, asset-major (asset
/// `j`'s series is `[j*rows .. (j+1)*rows]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dims {
    /// Bars.
    pub rows: usize,
    /// Assets per universe.
    pub assets: Vec<usize>,
}

impl Dims {
    /// Values in a column of `shape` (1 for a scalar).
    pub fn len_of(&self, shape: Shape) -> usize {
        match shape {
            Shape::Scalar => 1,
            Shape::Series => self.rows,
            Shape::Panel(u) => self.rows * self.assets.get(u).copied().unwrap_or(0),
        }
    }

    /// Assets of `shape` (1 for a series).
    pub fn width_of(&self, shape: Shape) -> usize {
        match shape {
            Shape::Panel(u) => self.assets.get(u).copied().unwrap_or(0),
            _ => 1,
        }
    }
}

/// Running (path-dependent) operations over one series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ScanOp {
    Drawdown,
    Cumsum,
    Cumprod,
}

/// A plan operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// A data column, by index into [`Plan::inputs`].
    Input(u32),
    /// A parameter, by index into the program's params.
    Param(u32),
    /// A constant.
    Const(f64),
    /// Elementwise unary.
    Unary(UnaryOp, Node),
    /// Elementwise binary.
    Binary(BinaryOp, Node, Node),
    /// Elementwise `if c then a else b`.
    Select(Node, Node, Node),
    /// A windowed op: (op, series, length).
    Window(WindowOp, Node, Node),
    /// A running op over a series.
    Scan(ScanOp, Node),
    /// A cross-sectional op: (op, panel, fraction for top/bottom — a scalar node, else the panel).
    Cross(CrossOp, Node, Node),
}

impl Op {
    /// The operand nodes.
    pub fn args(&self) -> Vec<Node> {
        match *self {
            Op::Input(_) | Op::Param(_) | Op::Const(_) => vec![],
            Op::Unary(_, x) | Op::Scan(_, x) => vec![x],
            Op::Binary(_, a, b) | Op::Window(_, a, b) | Op::Cross(_, a, b) => vec![a, b],
            Op::Select(c, a, b) => vec![c, a, b],
        }
    }

    /// True for elementwise ops (what the JIT fuses).
    pub fn is_elementwise(&self) -> bool {
        matches!(self, Op::Unary(..) | Op::Binary(..) | Op::Select(..))
    }

    /// Whether every value of a node with this op is exactly 0.0 or 1.0, never NaN: a comparison,
    /// `and` / `or`, `not` or `is_nan` ([`crate::ops::binary`] and [`crate::ops::unary`] give 1.0
    /// or 0.0), or the constant 0 or 1. What `not not` would make of it.
    pub fn is_normalised_bool(&self) -> bool {
        match *self {
            Op::Unary(UnaryOp::Not | UnaryOp::IsNan, _) => true,
            Op::Binary(op, _, _) => {
                matches!(op, BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne | BinaryOp::And | BinaryOp::Or)
            }
            Op::Const(v) => v == 0.0 || v == 1.0,
            _ => false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Input(u32),
    Param(u32),
    Const(u64),
    Unary(UnaryOp, Node),
    Binary(BinaryOp, Node, Node),
    Select(Node, Node, Node),
    Window(WindowOp, Node, Node),
    Scan(ScanOp, Node),
    Cross(CrossOp, Node, Node),
}

fn key(op: &Op) -> Key {
    match *op {
        Op::Input(i) => Key::Input(i),
        Op::Param(i) => Key::Param(i),
        Op::Const(v) => Key::Const(v.to_bits()),
        Op::Unary(o, x) => Key::Unary(o, x),
        Op::Binary(o, a, b) => Key::Binary(o, a, b),
        Op::Select(c, a, b) => Key::Select(c, a, b),
        Op::Window(o, x, n) => Key::Window(o, x, n),
        Op::Scan(o, x) => Key::Scan(o, x),
        Op::Cross(o, x, f) => Key::Cross(o, x, f),
    }
}

/// One arena entry.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeData {
    /// The operation.
    pub op: Op,
    /// Scalar (computed once per binding) or series (a column).
    pub shape: Shape,
    /// Source span of the first expression that produced this node.
    pub span: Span,
}

/// A plan: the arena plus the data columns it reads.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    /// Nodes in topological order.
    pub nodes: Vec<NodeData>,
    /// Columns and panels read by `Op::Input`.
    pub inputs: Vec<InputRef>,
}

impl Plan {
    /// The data of `n`.
    pub fn node(&self, n: Node) -> &NodeData {
        &self.nodes[n.index()]
    }

    /// Every node reachable from `roots` (a mask indexed by node).
    pub fn reachable(&self, roots: &[Node]) -> Vec<bool> {
        let mut seen = vec![false; self.nodes.len()];
        let mut stack: Vec<Node> = roots.to_vec();
        while let Some(n) = stack.pop() {
            if seen[n.index()] {
                continue;
            }
            seen[n.index()] = true;
            stack.extend(self.node(n).op.args());
        }
        seen
    }

    /// For each node, whether it is independent of every param marked in `varying` (by param
    /// index): such nodes have one value for all bindings of a sweep.
    pub fn invariant(&self, varying: &[bool]) -> Vec<bool> {
        let mut dep = vec![false; self.nodes.len()];
        for (i, nd) in self.nodes.iter().enumerate() {
            dep[i] = match nd.op {
                Op::Param(p) => varying.get(p as usize).copied().unwrap_or(false),
                Op::Input(c) => match &self.inputs[c as usize] {
                    InputRef::Weights { params, .. } => params.iter().any(|p| varying.get(*p).copied().unwrap_or(false)),
                    _ => false,
                },
                ref op => op.args().iter().any(|a| dep[a.index()]),
            };
        }
        dep.into_iter().map(|d| !d).collect()
    }

    /// Per node, true when it depends on no param at all (neither a `param` nor the weights of a
    /// `weights` block with params): its column is the same for every binding of any sweep.
    /// [`Plan::invariant`] with every param varying.
    pub fn param_free(&self) -> Vec<bool> {
        let mut dep = vec![false; self.nodes.len()];
        for (i, nd) in self.nodes.iter().enumerate() {
            dep[i] = match nd.op {
                Op::Param(_) => true,
                Op::Input(c) => matches!(&self.inputs[c as usize], InputRef::Weights { params, .. } if !params.is_empty()),
                ref op => op.args().iter().any(|a| dep[a.index()]),
            };
        }
        dep.into_iter().map(|d| !d).collect()
    }

    /// Per node, the rows of its column that the plan's readers use, given what the readers of
    /// each root use (`roots`: a node and `None` for every row, or `Some(rows)`, ascending). An
    /// elementwise or cross-sectional op reads its operands on its own rows only, so a node
    /// read only by those needs the union of their rows; a window or running op reads rows
    /// before its own, so its input is needed on every row. A root listed twice needs the
    /// union of its entries. Nodes no root reaches are [`Demand::Unread`].
    ///
    /// A run may then compute a [`Demand::Rows`] node on those rows only (the others are never
    /// read): a sweep's rebalanced sleeve needs its weight on its rebalance rows, so its
    /// cross-sectional selections and windows need not run on the rows between.
    pub fn demand(&self, roots: &[(Node, Option<&[usize]>)]) -> Vec<Demand> {
        let mut d = vec![Demand::Unread; self.nodes.len()];
        for &(n, rows) in roots {
            d[n.index()].add(rows);
        }
        for i in (0..self.nodes.len()).rev() {
            let mine = std::mem::replace(&mut d[i], Demand::Unread);
            let row_local = matches!(self.nodes[i].op, Op::Unary(..) | Op::Binary(..) | Op::Select(..) | Op::Cross(..));
            match &mine {
                Demand::Unread => {}
                Demand::All => {
                    for a in self.nodes[i].op.args() {
                        d[a.index()].add(None);
                    }
                }
                Demand::Rows(rows) => {
                    for a in self.nodes[i].op.args() {
                        d[a.index()].add(if row_local { Some(rows) } else { None });
                    }
                }
            }
            d[i] = mine;
        }
        d
    }

    /// A readable listing of the nodes reachable from `roots`, one per line (`%3 = sma(%1, %2)`),
    /// for `strat check --plan` and the REPL's `:plan`.
    pub fn display(&self, roots: &[Node], param_names: &[String]) -> String {
        self.display_labelled(roots, &[], param_names)
    }

    /// [`Plan::display`], with `// LABEL` after each node listed in `labels` (e.g. the hold's
    /// `weight`, `report NAME`); a node with several labels gets them all, comma-separated.
    pub fn display_labelled(&self, roots: &[Node], labels: &[(Node, String)], param_names: &[String]) -> String {
        let live = self.reachable(roots);
        let mut s = String::new();
        for (i, nd) in self.nodes.iter().enumerate() {
            if !live[i] {
                continue;
            }
            let shape = match nd.shape {
                Shape::Series => "series".to_string(),
                Shape::Scalar => "scalar".to_string(),
                Shape::Panel(u) => format!("panel #{u}"),
            };
            let body = match nd.op {
                Op::Input(c) => match &self.inputs[c as usize] {
                    InputRef::Column(c) => format!("input #{}.{}", c.source, c.column),
                    InputRef::Universe(u) => format!("universe #{u}"),
                    InputRef::Panel { panel: r, .. } => format!("panel #{}{}", r.source, r.field.as_ref().map(|f| format!(".{f}")).unwrap_or_default()),
                    InputRef::Weights { decl, .. } => format!("weights #{decl}"),
                },
                Op::Param(p) => format!("param {}", param_names.get(p as usize).map(|s| s.as_str()).unwrap_or("?")),
                Op::Const(v) => format!("const {v:?}"),
                Op::Unary(o, x) => format!("{o:?}(%{})", x.0),
                Op::Binary(o, a, b) => format!("{o:?}(%{}, %{})", a.0, b.0),
                Op::Select(c, a, b) => format!("select(%{}, %{}, %{})", c.0, a.0, b.0),
                Op::Window(o, x, n) => format!("{o:?}(%{}, %{})", x.0, n.0),
                Op::Scan(o, x) => format!("{o:?}(%{})", x.0),
                Op::Cross(o, x, f) => format!("{o:?}(%{}, %{})", x.0, f.0),
            };
            let names: Vec<&str> = labels.iter().filter(|(n, _)| n.index() == i).map(|(_, l)| l.as_str()).collect();
            if names.is_empty() {
                let _ = writeln!(s, "%{i} = {body} : {shape}");
            } else {
                let _ = writeln!(s, "%{i} = {body} : {shape}  // {}", names.join(", "));
            }
        }
        s
    }
}

/// The rows of a node's column that a run needs (see [`Plan::demand`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Demand {
    /// Nothing reads the column.
    Unread,
    /// Every row.
    All,
    /// Only these rows (ascending, distinct); the others may hold anything.
    Rows(Vec<usize>),
}

impl Demand {
    /// Adds a reader's rows (`None`: every row).
    fn add(&mut self, rows: Option<&[usize]>) {
        *self = match (std::mem::replace(self, Demand::Unread), rows) {
            (Demand::All, _) | (_, None) => Demand::All,
            (Demand::Unread, Some(r)) => Demand::Rows(r.to_vec()),
            (Demand::Rows(a), Some(b)) => Demand::Rows(union_sorted(&a, b)),
        };
    }

    /// The rows, when the run needs only some.
    pub fn rows(&self) -> Option<&[usize]> {
        match self {
            Demand::Rows(r) => Some(r),
            _ => None,
        }
    }
}

/// The union of two ascending lists of distinct rows, ascending and distinct (a linear merge).
pub fn union_sorted(a: &[usize], b: &[usize]) -> Vec<usize> {
    let mut u = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        let (x, y) = (a[i], b[j]);
        u.push(x.min(y));
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    u.extend_from_slice(&a[i..]);
    u.extend_from_slice(&b[j..]);
    u
}

/// Builds a [`Plan`] with hash-consing (CSE) and constant folding.
#[derive(Debug, Default)]
pub struct PlanBuilder {
    plan: Plan,
    memo: HashMap<Key, Node>,
    inputs: HashMap<InputRef, u32>,
}

impl PlanBuilder {
    /// An empty builder.
    pub fn new() -> PlanBuilder {
        PlanBuilder::default()
    }

    /// The finished plan.
    pub fn finish(self) -> Plan {
        self.plan
    }

    fn push(&mut self, op: Op, span: Span) -> Node {
        let k = key(&op);
        if let Some(&n) = self.memo.get(&k) {
            return n;
        }
        let shape = match op {
            Op::Input(i) => match &self.plan.inputs[i as usize] {
                InputRef::Column(_) => Shape::Series,
                InputRef::Universe(u) | InputRef::Weights { universe: u, .. } | InputRef::Panel { universe: u, .. } => Shape::Panel(*u),
            },
            Op::Param(_) | Op::Const(_) => Shape::Scalar,
            Op::Window(_, x, _) | Op::Scan(_, x) => self.plan.node(x).shape,
            Op::Cross(CrossOp::Count | CrossOp::Sum | CrossOp::Mean, _, _) => Shape::Series,
            Op::Cross(_, x, _) => self.plan.node(x).shape,
            _ => op.args().iter().map(|a| self.plan.node(*a).shape).max().unwrap_or(Shape::Scalar),
        };
        let n = Node(self.plan.nodes.len() as u32);
        self.plan.nodes.push(NodeData { op, shape, span });
        self.memo.insert(k, n);
        n
    }

    fn const_of(&self, n: Node) -> Option<f64> {
        match self.plan.node(n).op {
            Op::Const(v) => Some(v),
            _ => None,
        }
    }

    /// A data column or a universe's panel.
    pub fn input(&mut self, c: &InputRef, span: Span) -> Node {
        let next = self.inputs.len() as u32;
        let idx = *self.inputs.entry(c.clone()).or_insert(next);
        if idx == next {
            self.plan.inputs.push(c.clone());
        }
        self.push(Op::Input(idx), span)
    }

    /// A parameter.
    pub fn param(&mut self, i: usize, span: Span) -> Node {
        self.push(Op::Param(i as u32), span)
    }

    /// A constant.
    pub fn konst(&mut self, v: f64, span: Span) -> Node {
        self.push(Op::Const(v), span)
    }

    /// An elementwise unary op, folded when `x` is constant.
    ///
    /// `not not y` folds to `y` when `y` is already a bool normalised to 0/1 (a comparison, `and`,
    /// `or`, `not` or `is_nan`), where it is exact; a bool that can be NaN in warm-up (a lag
    /// `b[1]`, a param, a data column) keeps both `not`s, which turn NaN into false.
    pub fn unary(&mut self, op: UnaryOp, x: Node, span: Span) -> Node {
        if let Some(v) = self.const_of(x) {
            return self.konst(ops::unary(op, v), span);
        }
        if matches!(op, UnaryOp::Not) {
            if let Op::Unary(UnaryOp::Not, y) = self.plan.node(x).op {
                if self.plan.node(y).op.is_normalised_bool() {
                    return y;
                }
            }
        }
        self.push(Op::Unary(op, x), span)
    }

    /// An elementwise binary op, folded when both operands are constant.
    pub fn binary(&mut self, op: BinaryOp, a: Node, b: Node, span: Span) -> Node {
        if let (Some(x), Some(y)) = (self.const_of(a), self.const_of(b)) {
            return self.konst(ops::binary(op, x, y), span);
        }
        self.push(Op::Binary(op, a, b), span)
    }

    /// `if c then a else b`; a constant condition picks its branch when that keeps the shape
    /// (`if true then 2 else x` stays a series: its type says so, and windows over it need one).
    pub fn select(&mut self, c: Node, a: Node, b: Node, span: Span) -> Node {
        if let Some(v) = self.const_of(c) {
            let pick = if ops::truthy(v) { a } else { b };
            let shape = self.plan.node(a).shape.max(self.plan.node(b).shape);
            if self.plan.node(pick).shape == shape {
                return pick;
            }
        }
        // Equal branches fold to the branch, unless the condition is wider (`if panel then 1
        // else 1` is a panel: a cross-sectional op over it needs one).
        if a == b && self.plan.node(a).shape >= self.plan.node(c).shape {
            return a;
        }
        self.push(Op::Select(c, a, b), span)
    }

    /// A windowed op.
    pub fn window(&mut self, op: WindowOp, x: Node, n: Node, span: Span) -> Node {
        self.push(Op::Window(op, x, n), span)
    }

    /// A running op.
    pub fn scan(&mut self, op: ScanOp, x: Node, span: Span) -> Node {
        self.push(Op::Scan(op, x), span)
    }

    /// A cross-sectional op; `frac` is the fraction node of `top`/`bottom` (pass `x` otherwise).
    pub fn cross(&mut self, op: CrossOp, x: Node, frac: Node, span: Span) -> Node {
        self.push(Op::Cross(op, x, frac), span)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cse_and_folding() {
        let mut b = PlanBuilder::new();
        let s = Span::default();
        let c = InputRef::Column(ColumnRef { source: 0, column: "x".into() });
        let x1 = b.input(&c, s);
        let x2 = b.input(&c, s);
        assert_eq!(x1, x2);
        let two = b.konst(2.0, s);
        let three = b.konst(3.0, s);
        let five = b.binary(BinaryOp::Add, two, three, s);
        assert_eq!(b.plan.node(five).op, Op::Const(5.0));
        let a1 = b.binary(BinaryOp::Mul, x1, five, s);
        let a2 = b.binary(BinaryOp::Mul, x2, five, s);
        assert_eq!(a1, a2);
        let t = b.konst(1.0, s);
        assert_eq!(b.select(t, a1, x1, s), a1);
        let plan = b.finish();
        assert_eq!(plan.inputs.len(), 1);
        assert_eq!(plan.node(a1).shape, Shape::Series);
    }

    #[test]
    fn demand_stops_at_windows_and_unites_readers() {
        let mut b = PlanBuilder::new();
        let s = Span::default();
        let u = b.input(&InputRef::Universe(0), s);
        let n = b.konst(3.0, s);
        let sd = b.window(WindowOp::Std, u, n, s);
        let f = b.konst(0.2, s);
        let top = b.cross(CrossOp::Top, sd, f, s);
        let (one, zero) = (b.konst(1.0, s), b.konst(0.0, s));
        let w = b.select(top, one, zero, s);
        let other = b.input(&InputRef::Universe(1), s);
        let plan = b.finish();
        let rows = |r: &[usize]| Demand::Rows(r.to_vec());

        let d = plan.demand(&[(w, Some(&[4, 9]))]);
        assert_eq!(d[w.index()], rows(&[4, 9]));
        assert_eq!(d[top.index()], rows(&[4, 9]));
        assert_eq!(d[sd.index()], rows(&[4, 9]), "a cross-sectional op reads its own rows");
        assert_eq!(d[u.index()], Demand::All, "a window reads the rows before its own");
        assert_eq!(d[other.index()], Demand::Unread);

        let d = plan.demand(&[(w, Some(&[4, 9])), (sd, Some(&[2, 9, 11]))]);
        assert_eq!(d[sd.index()], rows(&[2, 4, 9, 11]));
        assert_eq!(d[top.index()], rows(&[4, 9]));

        let d = plan.demand(&[(w, Some(&[4, 9])), (top, None)]);
        assert_eq!(d[w.index()], rows(&[4, 9]));
        assert_eq!(d[top.index()], Demand::All);
        assert_eq!(d[sd.index()], Demand::All);
        assert_eq!(d[w.index()].rows(), Some(&[4, 9][..]));
    }
}
