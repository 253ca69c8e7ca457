//! Evaluation of [`PathExpr`]s in the portfolio stage: row by row with a history per operation
//! (kill switch conditions, own-path reports), or per asset on one row (cost rates).

use strat_compiler::ops::{binary, select, unary};
use strat_compiler::plan::WindowOp;
use strat_compiler::program::{OwnValue, PathExpr, PathOp};

/// A plan value a [`PathOp::Node`] reads.
#[derive(Debug, Clone, Copy)]
pub enum Leaf<'a> {
    /// A scalar (a const or a param's value).
    Scalar(f64),
    /// A series (`rows` values).
    Series(&'a [f64]),
    /// A panel (`rows * assets`, asset-major).
    Panel(&'a [f64]),
}

impl Leaf<'_> {
    /// The value on row `t` for asset `j` (a series or scalar ignores `j`).
    #[inline]
    pub fn at(&self, t: usize, j: usize, rows: usize) -> f64 {
        match *self {
            Leaf::Scalar(v) => v,
            Leaf::Series(s) => s[t],
            Leaf::Panel(p) => p[j * rows + t],
        }
    }
}

/// The own-path values of one row (SEMANTICS.md §3b).
#[derive(Debug, Clone, Copy)]
pub struct OwnRow {
    /// Own equity `E[t]`.
    pub equity: f64,
    /// Own drawdown `D[t]`.
    pub drawdown: f64,
    /// Own day return `R[t]` (NaN on the first live row).
    pub day_return: f64,
    /// The asset's trade `|w[t, j] - w[t-1, j]|` (cost rates only; NaN elsewhere).
    pub trade: f64,
}

impl OwnRow {
    fn get(&self, v: OwnValue) -> f64 {
        match v {
            OwnValue::Equity => self.equity,
            OwnValue::Drawdown => self.drawdown,
            OwnValue::DayReturn => self.day_return,
            OwnValue::Trade => self.trade,
        }
    }
}

/// A path expression ready to run over `rows` bars from the first live row `t0`: its leaves
/// resolved, a history per operation (allocated once; nothing is allocated per bar).
pub struct PathEval<'a> {
    expr: &'a PathExpr,
    /// Per op: the leaf a `Node` op reads, or the whole-number length of a `Lag` / `Window`.
    leaves: Vec<Option<Leaf<'a>>>,
    lengths: Vec<usize>,
    /// Per op, its value on every row so far (row mode), or on the current asset (asset mode).
    hist: Vec<Vec<f64>>,
    scratch: Vec<f64>,
    rows: usize,
    t0: usize,
}

impl<'a> PathEval<'a> {
    /// Prepares `expr`; `leaf(node)` gives the value of a plan node. `history` keeps every row's
    /// value of every op (needed by lags and windows; a cost rate needs none).
    pub fn new(expr: &'a PathExpr, leaf: &dyn Fn(strat_compiler::plan::Node) -> Leaf<'a>, rows: usize, t0: usize, history: bool) -> PathEval<'a> {
        let mut leaves = vec![None; expr.ops.len()];
        let mut lengths = vec![0; expr.ops.len()];
        let mut longest = 0;
        for (i, op) in expr.ops.iter().enumerate() {
            match *op {
                PathOp::Node(n) => leaves[i] = Some(leaf(n)),
                PathOp::Lag(_, n) | PathOp::Window(_, _, n) => {
                    let v = match leaf(n) {
                        Leaf::Scalar(v) => v,
                        _ => f64::NAN,
                    };
                    lengths[i] = if v.is_finite() && v >= 0.0 { v.round() as usize } else { usize::MAX };
                    if matches!(op, PathOp::Window(..)) {
                        longest = longest.max(lengths[i].min(rows));
                    }
                }
                _ => {}
            }
        }
        let len = if history { rows } else { 1 };
        PathEval { expr, leaves, lengths, hist: vec![vec![f64::NAN; len]; expr.ops.len()], scratch: vec![0.0; longest], rows, t0 }
    }

    /// How many rows before the current one a lag or a window over own values reaches at most
    /// (`k` for `x[k]`, `n - 1` for a window of `n`; `usize::MAX` for a bad length).
    pub fn longest_history(&self) -> usize {
        let reach = |(op, &n): (&PathOp, &usize)| match op {
            PathOp::Lag(..) => n,
            PathOp::Window(..) => n.saturating_sub(1),
            _ => 0,
        };
        self.expr.ops.iter().zip(&self.lengths).map(reach).max().unwrap_or(0)
    }

    /// Evaluates every op on row `t` (row mode: call for `t = t0, t0+1, ...` in order) with the
    /// row's own values and the switches' states so far; returns the result's value.
    pub fn row(&mut self, t: usize, own: &OwnRow, kills: &[bool]) -> f64 {
        self.eval(t, 0, t, own, kills)
    }

    /// Evaluates the expression for asset `j` on row `t` (asset mode: no history).
    pub fn asset(&mut self, t: usize, j: usize, own: &OwnRow) -> f64 {
        self.eval(t, j, 0, own, &[])
    }

    fn eval(&mut self, t: usize, j: usize, slot: usize, own: &OwnRow, kills: &[bool]) -> f64 {
        for i in 0..self.expr.ops.len() {
            let v = match self.expr.ops[i] {
                PathOp::Node(_) => self.leaves[i].map_or(f64::NAN, |l| l.at(t, j, self.rows)),
                PathOp::Own(o) => own.get(o),
                PathOp::Kill(k) => {
                    if kills.get(k).copied().unwrap_or(false) {
                        1.0
                    } else {
                        0.0
                    }
                }
                PathOp::Unary(op, x) => unary(op, self.hist[x as usize][slot]),
                PathOp::Binary(op, a, b) => binary(op, self.hist[a as usize][slot], self.hist[b as usize][slot]),
                PathOp::Select(c, a, b) => select(self.hist[c as usize][slot], self.hist[a as usize][slot], self.hist[b as usize][slot]),
                PathOp::Lag(x, _) => {
                    let k = self.lengths[i];
                    if k <= slot.saturating_sub(self.t0) && slot >= self.t0 {
                        self.hist[x as usize][slot - k]
                    } else {
                        f64::NAN
                    }
                }
                PathOp::Window(op, x, _) => self.window(op, x as usize, self.lengths[i], slot),
            };
            self.hist[i][slot] = v;
        }
        self.hist.last().map_or(f64::NAN, |h| h[slot])
    }

    /// A trailing window of `n` values of op `x` ending at row `t`, with the column kernels'
    /// conventions (stdlib `rolling`): NaN until `n` values exist from `t0`.
    fn window(&mut self, op: WindowOp, x: usize, n: usize, t: usize) -> f64 {
        if n == 0 || n == usize::MAX || t + 1 < self.t0 + n {
            return f64::NAN;
        }
        let w = &self.hist[x][t + 1 - n..=t];
        let out = &mut self.scratch[..n];
        match op {
            WindowOp::Sma => strat_stdlib::rolling::sma(w, n, out),
            WindowOp::Std => strat_stdlib::rolling::std(w, n, out),
            WindowOp::Zscore => strat_stdlib::rolling::zscore(w, n, out),
            WindowOp::RollingMin => strat_stdlib::rolling::rolling_min(w, n, out),
            WindowOp::RollingMax => strat_stdlib::rolling::rolling_max(w, n, out),
            // The checker allows no other window on own values.
            _ => return f64::NAN,
        }
        out[n - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strat_compiler::ops::BinaryOp;
    use strat_compiler::plan::Node;

    fn own(d: f64) -> OwnRow {
        OwnRow { equity: 1.0 + d, drawdown: d, day_return: d, trade: f64::NAN }
    }

    #[test]
    fn a_window_of_an_own_value_waits_for_its_values_from_t0() {
        // sma(own.drawdown, 3) < -0.1
        let e = PathExpr {
            ops: vec![PathOp::Own(OwnValue::Drawdown), PathOp::Window(WindowOp::Sma, 0, Node(0)), PathOp::Node(Node(1)), PathOp::Binary(BinaryOp::Lt, 1, 2)],
        };
        let leaf = |n: Node| if n == Node(0) { Leaf::Scalar(3.0) } else { Leaf::Scalar(-0.1) };
        let mut ev = PathEval::new(&e, &leaf, 10, 2, true);
        let dd = [0.0, -0.1, -0.05, -0.3, 0.0];
        let got: Vec<f64> = (2..7).map(|t| ev.row(t, &own(dd[t - 2]), &[])).collect();
        // sma at t=4: -0.05 (not < -0.1); t=5: -0.15; t=6: -0.1166...
        assert_eq!(got, [0.0, 0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn a_lag_of_an_own_value_is_nan_before_t0_plus_k() {
        let e = PathExpr { ops: vec![PathOp::Own(OwnValue::Equity), PathOp::Lag(0, Node(0))] };
        let leaf = |_: Node| Leaf::Scalar(1.0);
        let mut ev = PathEval::new(&e, &leaf, 5, 1, true);
        assert!(ev.row(1, &own(0.5), &[]).is_nan());
        assert_eq!(ev.row(2, &own(0.7), &[]), 1.5);
    }
}
