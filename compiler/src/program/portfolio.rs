//! What the sequential portfolio stage runs (SEMANTICS.md §3 and §3b): the book's cost, its
//! kill switches, and the expressions that read the strategy's own path.
//!
//! The column plan computes everything that does not depend on the strategy's own path. What
//! does (own equity, own drawdown, own day return, the size of a trade, whether a kill switch is
//! active) exists only in the portfolio stage, which walks the bars once. An expression that
//! reads such a value is a [`PathExpr`]: a small arena of operations whose leaves are plan nodes
//! (evaluated by the column plan, read here by row) and own-path values. The checker allows own
//! values only in kill switch conditions, in `cost` and in reports.

use crate::ops::{BinaryOp, UnaryOp};
use crate::plan::{Node, WindowOp};

/// A value of the strategy's own path (SEMANTICS.md §3b), known at the close of row `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnValue {
    /// `own.equity`: `E[t] = prod_{s <= t} (1 + r[s])` from the first live row `t0` (`E[t0] = 1`).
    Equity,
    /// `own.drawdown`: `D[t] = E[t] / max(1, max_{s <= t} E[s]) - 1` (a fraction `<= 0`).
    Drawdown,
    /// `own.day_return`: the strategy return earned on row `t` (net of costs); NaN on `t0`.
    DayReturn,
    /// `own.trade`: the size of the trade of one asset decided at `t`, `|w[t, j] - w[t-1, j]|`
    /// (a fraction of equity; cost rates only).
    Trade,
}

impl OwnValue {
    /// The field name after `own.`.
    pub fn name(self) -> &'static str {
        match self {
            OwnValue::Equity => "equity",
            OwnValue::Drawdown => "drawdown",
            OwnValue::DayReturn => "day_return",
            OwnValue::Trade => "trade",
        }
    }

    /// Every own value, in the order the spec lists them.
    pub const ALL: [OwnValue; 4] = [OwnValue::Equity, OwnValue::Drawdown, OwnValue::DayReturn, OwnValue::Trade];
}

/// Index of an operation in [`PathExpr::ops`].
pub type PathId = u32;

/// One operation of a [`PathExpr`]. Arguments always have smaller indices.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PathOp {
    /// A plan node: a scalar's value ([`crate::Binding::scalars`]), a series' value on the row,
    /// or (in a cost rate only) a panel's value on the row and asset.
    Node(Node),
    /// An own-path value on the row ([`OwnValue::Trade`]: of the asset, in a cost rate only).
    Own(OwnValue),
    /// Whether kill switch `k` (index into [`Portfolio::kills`]) is active after the row's
    /// decision: 1.0 or 0.0. A switch reads only switches declared before it.
    Kill(usize),
    /// An elementwise unary operation ([`crate::ops::unary`]).
    Unary(UnaryOp, PathId),
    /// An elementwise binary operation ([`crate::ops::binary`]).
    Binary(BinaryOp, PathId, PathId),
    /// `if c then a else b` ([`crate::ops::select`]).
    Select(PathId, PathId, PathId),
    /// `x[k]` of an own-path value: its value `k` rows ago, NaN before `t0 + k` (own values
    /// start at `t0`). `k` is a scalar plan node (a const or a param), a whole number `>= 0`.
    Lag(PathId, Node),
    /// A trailing window (`sma`, `std`, `zscore`, `rolling_min`, `rolling_max`) over the last
    /// `n` values of an own-path value, NaN until `n` values exist from `t0`, with the
    /// conventions of the column kernels (sample std, ddof = 1). `n` is a scalar plan node.
    Window(WindowOp, PathId, Node),
}

/// An expression of the portfolio stage: `ops` in topological order (arguments first), the
/// value is the last op's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PathExpr {
    /// The operations.
    pub ops: Vec<PathOp>,
}

impl PathExpr {
    /// The index of the result (the last op).
    pub fn root(&self) -> PathId {
        self.ops.len().saturating_sub(1) as PathId
    }

    /// The plan nodes the expression reads ([`PathOp::Node`], [`PathOp::Lag`] and
    /// [`PathOp::Window`] lengths included), in op order, without repeats.
    pub fn nodes(&self) -> Vec<Node> {
        let mut v = vec![];
        for op in &self.ops {
            let n = match *op {
                PathOp::Node(n) | PathOp::Lag(_, n) | PathOp::Window(_, _, n) => n,
                _ => continue,
            };
            if !v.contains(&n) {
                v.push(n);
            }
        }
        v
    }

    /// Whether the expression reads an own-path value or a kill switch (else it is one plan node).
    pub fn reads_own_path(&self) -> bool {
        self.ops.iter().any(|op| matches!(op, PathOp::Own(_) | PathOp::Kill(_)))
    }

    /// The own values the expression reads.
    pub fn own_values(&self) -> Vec<OwnValue> {
        let mut v = vec![];
        for op in &self.ops {
            if let PathOp::Own(o) = op {
                if !v.contains(o) {
                    v.push(*o);
                }
            }
        }
        v
    }
}

/// What a book is charged per unit traded (SEMANTICS.md §3).
#[derive(Debug, Clone, PartialEq)]
pub enum Cost {
    /// One rate for every asset and bar: a scalar node (a literal such as `2bps`, or an
    /// expression of params), a fraction per unit of turnover. Without a `cost` statement, the
    /// constant 0.
    Flat(Node),
    /// A rate per asset and bar, a fraction per unit traded (SEMANTICS.md §3, per-asset cost
    /// model): evaluated on each row for each asset traded on it, `cost[t] = sum_j c[t, j] *
    /// |w[t, j] - w[t-1, j]|`. Its plan nodes' warm-up extends the book's (`warmup`).
    PerAsset {
        /// The rate `c[t, j]`: a series or scalar applies to every asset; a panel must be over
        /// the book's one universe.
        rate: PathExpr,
        /// The plan nodes whose warm-up delays the first live row.
        warmup: Vec<Node>,
        /// The model's name when written as a named model (`impact`), for the report.
        model: Option<String>,
    },
}

/// A kill switch (SEMANTICS.md §3b): `active[t] = trip[t] or (active[t-1] and not release[t])`,
/// and while active every held weight is multiplied by `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct KillSwitch {
    /// The switch's name (a report can read it as a bool).
    pub name: String,
    /// The trip condition (a bool; NaN counts as false).
    pub trip: PathExpr,
    /// The release condition (a bool; NaN counts as false).
    pub release: PathExpr,
    /// The scale applied while active: a scalar node (a const or a param), a fraction in `[0, 1]`.
    pub scale: Node,
}

/// A volatility target on the book's own returns (spec/semantics.md, "Volatility target and
/// position limits"): the scale decided at the close of `t` is `min(target / sigma[t], cap)`,
/// `sigma[t]` the sample std (ddof 1) of the last `lookback` own returns times `sqrt(annualize)`
/// (`cap` when `sigma[t] = 0`, 1 while fewer than `lookback` own returns exist).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VolTarget {
    /// The target, a scalar node (a fraction > 0).
    pub target: Node,
    /// The number of own returns, a scalar node (a whole number >= 2).
    pub lookback: Node,
    /// The largest scale, a scalar node (> 0).
    pub cap: Node,
}

/// What a `limit` statement bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// `limit gross X`: `sum_j |w[t, j]| <= X`.
    Gross,
    /// `limit net X`: `|sum_j w[t, j]| <= X`.
    Net,
    /// `limit weight X`: `|w[t, j]| <= X` for every asset `j` (each clipped, after the gross
    /// and net limits).
    Weight,
}

impl LimitKind {
    /// The word after `limit`.
    pub fn name(self) -> &'static str {
        match self {
            LimitKind::Gross => "gross",
            LimitKind::Net => "net",
            LimitKind::Weight => "weight",
        }
    }
}

/// A position limit, applied after the volatility target and the kill switches: a gross or net
/// limit scales the whole book down proportionally until it holds; a weight limit then clips
/// each asset's weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// What it bounds.
    pub kind: LimitKind,
    /// The bound, a scalar node (a fraction of equity > 0).
    pub value: Node,
}

/// The book's cash account (spec/semantics.md, "Cash and financing"): with `w'[t-1, j]` the
/// weights held from the close of `t-1` and `c[t] = rate[t-1] / annualize` (0 where the rate is
/// NaN), the return of row `t` gains `b * c[t]` on a cash balance `b = 1 - sum_j w'[t-1, j] >= 0`,
/// pays `-b * (c[t] + financing / annualize)` on a negative one, and pays `borrow / annualize *
/// sum_j max(-w'[t-1, j], 0)` on the short positions. Sharpe and Sortino are then measured on
/// the excess returns `r[t] - c[t]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cash {
    /// The annualised rate (a fraction): a scalar node or a series node, read on row `t-1`.
    pub rate: Node,
    /// The annualised spread over the rate paid on a negative balance, a scalar node (>= 0).
    pub financing: Node,
    /// The annualised fee on short positions, a scalar node (>= 0).
    pub borrow: Node,
}

/// The portfolio stage of a program: cost, capital, kill switches and own-path reports.
#[derive(Debug, Clone, PartialEq)]
pub struct Portfolio {
    /// The book's cost, charged once on its combined per-asset weights.
    pub cost: Cost,
    /// `capital X`: the starting capital (currency units), a scalar node; `None` when undeclared
    /// (then a cost rate may not read a trade's notional).
    pub capital: Option<Node>,
    /// The kill switches, in declaration order.
    pub kills: Vec<KillSwitch>,
    /// `target_vol`, if declared.
    pub vol_target: Option<VolTarget>,
    /// Position limits in the order they apply (gross, then net).
    pub limits: Vec<Limit>,
    /// `cash`, if declared.
    pub cash: Option<Cash>,
    /// Whether the program's `hold` drifts between its rebalances (spec/semantics.md §13,
    /// "Drift"): its positions are kept in units, so its weights float with prices.
    pub drift: bool,
}

impl Portfolio {
    /// Whether the book needs the sequential stage beyond a flat cost: a per-asset cost model,
    /// a kill switch, a volatility target, a limit, a cash account or a drifting hold.
    pub fn is_path_dependent(&self) -> bool {
        !self.kills.is_empty()
            || self.vol_target.is_some()
            || !self.limits.is_empty()
            || self.cash.is_some()
            || self.drift
            || matches!(self.cost, Cost::PerAsset { .. })
    }

    /// Every plan node the stage reads (cost, capital, switches), without repeats.
    pub fn nodes(&self) -> Vec<Node> {
        let mut v = vec![];
        let mut add = |n: Node| {
            if !v.contains(&n) {
                v.push(n)
            }
        };
        match &self.cost {
            Cost::Flat(n) => add(*n),
            Cost::PerAsset { rate, warmup, .. } => {
                rate.nodes().into_iter().for_each(&mut add);
                warmup.iter().copied().for_each(&mut add);
            }
        }
        if let Some(c) = self.capital {
            add(c);
        }
        for k in &self.kills {
            k.trip.nodes().into_iter().chain(k.release.nodes()).for_each(&mut add);
            add(k.scale);
        }
        if let Some(vt) = self.vol_target {
            [vt.target, vt.lookback, vt.cap].into_iter().for_each(&mut add);
        }
        for l in &self.limits {
            add(l.value);
        }
        if let Some(c) = self.cash {
            [c.rate, c.financing, c.borrow].into_iter().for_each(&mut add);
        }
        v
    }
}
