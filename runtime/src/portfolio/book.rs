//! Runs a book through the portfolio stage: lays out its per-asset weights (a hold's own, or a
//! combined book's sleeves netted per asset), prepares its cost, kill switches and own-path
//! reports from the [`Program`], and assembles the [`Backtest`].

use super::path::{Leaf, PathEval};
use super::{run_stage, turnover_and_gross, BookPath, Drift, StageCash, StageCost, StageError, StageKill, StageResult, StageRisk, StageVol};
use crate::backtest::{assemble, summary_of_path, Backtest, BenchmarkMemo, EnsembleSpans, Summary};
use strat_compiler::plan::{union_sorted, Node, Plan};
use strat_compiler::program::{Cost, Holding, Program};
use strat_compiler::types::Shape;
use strat_stdlib::metrics::{excess_sharpe_sortino, mean};

/// The plan values the stage reads for one binding.
pub struct StageValues<'a> {
    /// The program.
    pub program: &'a Program,
    /// Its plan (for node shapes).
    pub plan: &'a Plan,
    /// The binding's scalar node values.
    pub scalars: &'a [f64],
    /// The binding's static warm-up per node.
    pub warmup: &'a [usize],
    /// The series and panel nodes the stage reads, in `Compiled::portfolio_nodes` order...
    pub nodes: &'a [Node],
    /// ... and their columns.
    pub columns: &'a [&'a [f64]],
    /// Bars.
    pub rows: usize,
}

impl<'a> StageValues<'a> {
    fn leaf(&self, n: Node) -> Leaf<'a> {
        if self.plan.node(n).shape == Shape::Scalar {
            return Leaf::Scalar(self.scalars.get(n.index()).copied().unwrap_or(f64::NAN));
        }
        match self.nodes.iter().position(|&m| m == n).map(|i| self.columns[i]) {
            Some(c) if c.len() == self.rows => Leaf::Series(c),
            Some(c) => Leaf::Panel(c),
            None => Leaf::Scalar(f64::NAN),
        }
    }

    /// The first row at which the cost model's inputs are defined (0 for a flat cost).
    pub fn cost_warmup(&self) -> usize {
        match &self.program.portfolio.cost {
            Cost::Flat(_) => 0,
            Cost::PerAsset { warmup, .. } => warmup.iter().map(|n| self.warmup.get(n.index()).copied().unwrap_or(0)).max().unwrap_or(0),
        }
    }
}

/// How the book's weights are laid out.
pub enum Layout<'a> {
    /// A hold: the gross backtest's held weights are the book's (its targets, with `drift`,
    /// which also gives the assets' returns and the rebalance rows), and the assets' simple
    /// returns (`rows * assets`, asset-major) that a `limit weight` needs.
    Hold(Option<Drift<'a>>, Option<&'a [f64]>),
    /// A combined book: the gross backtest's "weights" are the sleeves' allocations (`rows *
    /// sleeves`), each sleeve holding its own assets.
    Combined {
        /// Each sleeve's own backtest (held weights per its assets).
        sleeves: &'a [&'a Backtest],
        /// Each sleeve's traded assets as indices into the combined book's assets.
        index: &'a [Vec<usize>],
        /// Assets of the combined book.
        assets: usize,
    },
}

/// The combined book's asset index of each sleeve's assets: weights of the same asset net when
/// they come from the same file and column (SEMANTICS.md §3), whichever declaration reads it;
/// returns the index and the number of assets. Paths are compared after lexical normalization
/// (`./data/x.csv` is `data/x.csv`), so a used file's sources net with this program's.
pub fn combined_assets(program: &Program, sleeves: &[usize]) -> (Vec<Vec<usize>>, usize) {
    let norm = |p: &str| strat_compiler::expand::normalize("", p);
    let mut seen: Vec<(String, &str)> = vec![];
    let mut index = vec![];
    for &k in sleeves {
        let assets: Vec<(String, &str)> = match &program.sleeves[k].hold.target {
            Holding::Universe(u) => {
                let un = &program.universes[*u];
                un.assets.iter().map(|a| (norm(&un.path), a.as_str())).collect()
            }
            Holding::Column(c) => vec![(norm(&program.data[c.source].path), c.column.as_str())],
        };
        let idx = assets
            .into_iter()
            .map(|id| match seen.iter().position(|s| *s == id) {
                Some(i) => i,
                None => {
                    seen.push(id);
                    seen.len() - 1
                }
            })
            .collect();
        index.push(idx);
    }
    (index, seen.len())
}

/// A book before the portfolio stage: at cost 0, without switches, not closed on ruin.
pub struct Gross<'a> {
    /// First live row `t0`.
    pub first_live: usize,
    /// Held weights per asset (a hold) or allocations per sleeve (a combined book): `rows *
    /// assets`, asset-major.
    pub weights: &'a [f64],
    /// Columns of `weights`.
    pub assets: usize,
    /// Gross returns of rows `t0+1 ..= T-1`.
    pub returns: &'a [f64],
    /// A hold's turnover per row (where it is 0, nothing changed); unused for a combined book.
    pub turnover: &'a [f64],
}

impl<'a> Gross<'a> {
    /// The gross path of a backtest run at cost 0.
    pub fn of(b: &'a Backtest) -> Gross<'a> {
        Gross { first_live: b.first_live, weights: &b.weights, assets: b.assets, returns: &b.returns, turnover: &b.turnover }
    }
}

/// Runs `gross` through the stage: the cost, switches and own-path reports of the program;
/// with `detail`, every asset's trade is recorded.
pub fn run_book(v: &StageValues, gross: &Gross, layout: &Layout, detail: bool) -> Result<StageResult, StageError> {
    let (n, t0) = (v.rows, gross.first_live);
    let p = &v.program.portfolio;
    let leaf = |node: Node| v.leaf(node);
    let mut cost = match &p.cost {
        Cost::Flat(node) => StageCost::Flat(v.scalars.get(node.index()).copied().unwrap_or(0.0)),
        Cost::PerAsset { rate, .. } => StageCost::PerAsset(PathEval::new(rate, &leaf, n, t0, false)),
    };
    let mut kills: Vec<StageKill> = p
        .kills
        .iter()
        .map(|k| StageKill {
            name: k.name.clone(),
            trip: PathEval::new(&k.trip, &leaf, n, t0, true),
            release: PathEval::new(&k.release, &leaf, n, t0, true),
            scale: v.scalars.get(k.scale.index()).copied().unwrap_or(f64::NAN),
        })
        .collect();
    // A release that cannot be evaluated on this data would hold a tripped switch forever.
    for (k, decl) in kills.iter().zip(&p.kills) {
        let warmup = decl.release.nodes().iter().map(|n| v.warmup.get(n.index()).copied().unwrap_or(0)).max().unwrap_or(0);
        if warmup >= n || k.release.longest_history() >= n - t0 {
            return Err(StageError::ReleaseUndefined { name: k.name.clone() });
        }
    }
    let scalar = |node: Node| v.scalars.get(node.index()).copied().unwrap_or(f64::NAN);
    let mut risk = StageRisk { vol: None, limits: p.limits.iter().map(|l| (l.kind, scalar(l.value))).collect(), cash: None };
    if let Some(c) = &p.cash {
        let rate = match v.leaf(c.rate) {
            Leaf::Series(col) => col.to_vec(),
            Leaf::Scalar(x) => vec![x; n],
            // The checker allows no panel rate.
            Leaf::Panel(_) => vec![f64::NAN; n],
        };
        risk.cash = Some(StageCash { rate, financing: scalar(c.financing), borrow: scalar(c.borrow), periods: v.program.annualize });
    }
    if let Some(vt) = &p.vol_target {
        let lookback = scalar(vt.lookback);
        if !(lookback >= 2.0 && lookback.fract() == 0.0 && lookback < usize::MAX as f64) {
            return Err(StageError::BadRisk { what: "the lookback of `target_vol`".to_string(), value: lookback });
        }
        risk.vol = Some(StageVol { target: scalar(vt.target), lookback: lookback as usize, cap: scalar(vt.cap), periods: v.program.annualize });
    }
    // The own-path reports, then the own-path series of the alerts (`Program::alert_series`).
    let mut reports: Vec<PathEval> =
        v.program.reports.iter().chain(v.program.alert_series()).filter_map(|r| r.path.as_ref()).map(|e| PathEval::new(e, &leaf, n, t0, true)).collect();
    match layout {
        Layout::Hold(drift, asset_returns) => {
            let change: Vec<bool> = (0..n).map(|t| t <= t0 || gross.turnover[t] != 0.0).collect();
            let w = gross.weights;
            let weights = |t: usize, out: &mut [f64]| {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = w[j * n + t];
                }
            };
            let drift = drift.as_ref().map(|d| Drift { returns: d.returns, rebalance: d.rebalance });
            let book = BookPath {
                t0,
                rows: n,
                assets: gross.assets,
                gross: gross.returns,
                change: &change,
                weights: &weights,
                detail,
                drift,
                asset_returns: *asset_returns,
            };
            run_stage(&book, &mut cost, &mut kills, &risk, &mut reports)
        }
        Layout::Combined { sleeves, index, assets } => {
            let s = gross.assets;
            let alloc = gross.weights;
            // The combined weights change where an allocation changes or a sleeve trades
            // (a superset of the rows where they change is harmless: an unchanged row trades 0).
            let mut change = vec![false; n];
            change[..=t0].fill(true);
            for (k, b) in sleeves.iter().enumerate().take(s) {
                for &t in b.trade_rows() {
                    change[t] = true;
                }
                let ak = &alloc[k * n..(k + 1) * n];
                for (c, (x, p)) in change[t0 + 1..].iter_mut().zip(ak[t0 + 1..].iter().zip(&ak[t0..n - 1])) {
                    *c |= x.to_bits() != p.to_bits();
                }
            }
            let layout = CombinedRows::new(sleeves, index);
            let weights = |t: usize, out: &mut [f64]| layout.weights(t, s, alloc, t, n, out);
            let book =
                BookPath { t0, rows: n, assets: *assets, gross: gross.returns, change: &change, weights: &weights, detail, drift: None, asset_returns: None };
            run_stage(&book, &mut cost, &mut kills, &risk, &mut reports)
        }
    }
}

/// A combined book's sleeves laid out for its per-asset weights.
struct CombinedRows<'a> {
    /// Each sleeve's held weights, row-major (`rows * its assets`).
    rows: Vec<&'a [f64]>,
    /// Each sleeve's assets as indices into the combined book's.
    index: &'a [Vec<usize>],
    /// Whether a sleeve's assets are a contiguous run of the combined book's (a fast path).
    contiguous: Vec<bool>,
}

impl<'a> CombinedRows<'a> {
    fn new(sleeves: &[&'a Backtest], index: &'a [Vec<usize>]) -> CombinedRows<'a> {
        CombinedRows {
            rows: sleeves.iter().map(|b| b.weights_row_major()).collect(),
            index,
            contiguous: index.iter().map(|ix| ix.windows(2).all(|w| w[1] == w[0] + 1)).collect(),
        }
    }

    /// The weights decided on row `t`, `out[j] = sum_k a_k * w_k[t, j]` over the first `sleeves`
    /// sleeves in order (`a_k = alloc[at + k * stride]`; a sleeve with `a_k == 0` adds nothing),
    /// into `out` (the combined book's assets).
    fn weights(&self, t: usize, sleeves: usize, alloc: &[f64], at: usize, stride: usize, out: &mut [f64]) {
        combined_weights(&self.rows[..sleeves], self.index, &self.contiguous, t, alloc, at, stride, out);
    }
}

strat_stdlib::avx2_when_available! {
    /// [`CombinedRows::weights`]: the sleeves' `rows` (row-major), their assets' `index` and
    /// whether each is `contiguous`.
    #[allow(clippy::too_many_arguments)]
    fn combined_weights(rows: &[&[f64]], index: &[Vec<usize>], contiguous: &[bool], t: usize, alloc: &[f64], at: usize, stride: usize, out: &mut [f64]) {
        out.fill(0.0);
        for (k, row) in rows.iter().enumerate() {
            let ak = alloc[at + k * stride];
            if ak == 0.0 {
                continue;
            }
            let (start, nk) = (index[k].first().copied().unwrap_or(0), index[k].len());
            let row = &row[t * nk..(t + 1) * nk];
            if contiguous[k] {
                for (o, &w) in out[start..start + nk].iter_mut().zip(row) {
                    *o += ak * w;
                }
            } else {
                for (&g, &w) in index[k].iter().zip(row) {
                    out[g] += ak * w;
                }
            }
        }
    }
}

/// Whether the stage runs a book of `program` on its flat path ([`run_stage`] without its own
/// path): a flat `cost`, no kill switch, no own-path report or alert series, no volatility
/// target, limit or cash account.
pub fn flat_stage(program: &Program) -> bool {
    let p = &program.portfolio;
    let own_path = program.reports.iter().chain(program.alert_series()).any(|r| r.path.is_some());
    matches!(p.cost, Cost::Flat(_)) && p.kills.is_empty() && !own_path && p.limits.is_empty() && p.vol_target.is_none() && p.cash.is_none()
}

/// The flat cost rate (a fraction per unit of turnover) of a book on the stage's flat path
/// ([`flat_stage`]); `None` otherwise.
pub fn flat_rate(v: &StageValues) -> Option<f64> {
    match &v.program.portfolio.cost {
        Cost::Flat(node) if flat_stage(v.program) => Some(v.scalars.get(node.index()).copied().unwrap_or(0.0)),
        _ => None,
    }
}

/// A regime ensemble run through the stage's flat path (see [`flat_rate`]) without the stage's
/// per-row vectors: what a sweep's or a walk-forward's lean path keeps of [`run_book`]'s result,
/// bit for bit ([`ensemble_flat`]).
pub struct FlatEnsemble {
    /// First live row `t0`.
    pub t0: usize,
    /// Net returns of rows `t0+1 ..= T-1` (index `t - t0 - 1`).
    pub returns: Vec<f64>,
    /// The turnover of the decision rows `t0 ..= T-2` summed in row order, as [`mean`] sums it
    /// (a sum, not a mean: [`Self::summary`] divides it by the rows).
    pub turnover: f64,
    /// The change rows `t0 ..= T-2` in order, each with the gross exposure held from its close
    /// to the next change row's.
    pub gross: Vec<(usize, f64)>,
}

impl FlatEnsemble {
    /// Each change row's gross exposure with the number of decision rows that hold it (to the
    /// next change row, the last to row `T-2`), in row order.
    fn held_gross(&self) -> impl Iterator<Item = (f64, usize)> + '_ {
        let end = self.t0 + self.returns.len();
        self.gross.iter().enumerate().map(move |(i, &(t, g))| (g, self.gross.get(i + 1).map_or(end, |x| x.0) - t))
    }

    /// The gross exposure behind each return (`returns.len()` values: that of the decision row
    /// before it), the stage's `exposure`.
    pub fn exposure(&self) -> Vec<f64> {
        let mut out = Vec::with_capacity(self.returns.len());
        for (g, rows) in self.held_gross() {
            out.extend(std::iter::repeat_n(g, rows));
        }
        out
    }

    /// The mean of [`Self::exposure`], summed row by row as [`mean`] does, without the vector.
    pub fn mean_exposure(&self) -> f64 {
        let mut sum = 0.0_f64;
        for (g, rows) in self.held_gross() {
            for _ in 0..rows {
                sum += g;
            }
        }
        sum / self.returns.len() as f64
    }

    /// The [`Summary`] [`stage_summary`] gives for the stage's result.
    pub fn summary(&self, benchmark: Option<&[f64]>, periods_per_year: f64, memo: Option<&BenchmarkMemo>) -> Summary {
        let mean_turnover = self.turnover / self.returns.len() as f64;
        summary_of_path(self.t0, &self.returns, self.mean_exposure(), mean_turnover, benchmark, periods_per_year, memo)
    }
}

/// A regime ensemble's stage on its flat path (see [`flat_rate`]): the figures of [`run_book`],
/// bit for bit, without the allocation matrix and the stage's per-row vectors. The combined
/// weights `w[t, j] = sum_k a[t, k] * w_k[t, j]` of `sleeves` (the ensemble's, in order; their
/// assets laid out by `index` into `assets`) are formed only on the change rows `t0 ..= T-2`
/// (where a sleeve trades or the allocation changes), and each row's trade `sum_j |w[t, j] -
/// w[p, j]|` from the previous change row `p` costs `rate` (a fraction) per unit, charged
/// against the next row's return.
///
/// `None` when a return or the equity is not finite or the equity reaches 0 (ruin): the caller
/// then runs the stage, which reports the error or closes the book.
pub fn ensemble_flat(mut e: EnsembleSpans, rate: f64, sleeves: &[&Backtest], index: &[Vec<usize>], assets: usize) -> Option<FlatEnsemble> {
    let (t0, s) = (e.t0, sleeves.len());
    let layout = CombinedRows::new(sleeves, index);
    let mut returns = std::mem::take(&mut e.returns);
    let runs: Vec<(std::ops::Range<usize>, &[f64])> = e.runs().collect();
    // The runs cover the decision rows `t0 ..= T-2` one after the other (at least one row).
    if runs.is_empty() {
        return None;
    }
    // The change rows of `run_book` from `t0` (ascending): `t0`, a sleeve's trade, or a run of
    // equal regime whose allocation's bits differ from the run before.
    let end = runs[runs.len() - 1].0.end;
    let mut change = vec![t0];
    for b in sleeves {
        let rows = b.trade_rows();
        let (lo, hi) = (rows.partition_point(|&t| t < t0), rows.partition_point(|&t| t < end));
        change = union_sorted(&change, &rows[lo..hi]);
    }
    let starts: Vec<usize> = runs.windows(2).filter(|w| w[0].1.iter().zip(w[1].1).any(|(x, y)| x.to_bits() != y.to_bits())).map(|w| w[1].0.start).collect();
    let change = union_sorted(&change, &starts);
    // Each change row with the allocation of the run it is in.
    let mut trades: Vec<(usize, &[f64])> = Vec::with_capacity(change.len());
    let mut run = 0;
    for &t in &change {
        while runs[run].0.end <= t {
            run += 1;
        }
        trades.push((t, runs[run].1));
    }
    let (mut h, mut held) = (vec![0.0; assets], vec![0.0; assets]);
    // A row without a trade adds `+0.0` to the turnover's sum, which leaves it as it is (it
    // starts at `+0.0` and adds values `>= 0`), so only the change rows add.
    let mut turnover = 0.0_f64;
    let mut gross = Vec::with_capacity(trades.len());
    for &(t, alloc) in &trades {
        layout.weights(t, s, alloc, 0, 1, &mut h);
        let (tv, g) = turnover_and_gross(&h, &held);
        std::mem::swap(&mut h, &mut held);
        turnover += tv;
        // The trade's cost comes off the next row's return (index `t + 1 - t0 - 1`).
        returns[t - t0] -= rate * tv;
        gross.push((t, g));
    }
    // Every return finite and above -100 % (so each factor `1 + r` is positive and finite) and
    // the final equity in (0, inf) is the stage's clean path: every equity of the path is
    // then positive and finite too (a factor cannot bring an underflowed 0 or an overflowed
    // inf back), and conversely.
    let clean = returns_above_ruin(&returns) && {
        let mut equity = 1.0_f64;
        for &r in &returns {
            equity *= 1.0 + r;
        }
        equity > 0.0 && equity < f64::INFINITY
    };
    clean.then_some(FlatEnsemble { t0, returns, turnover, gross })
}

strat_stdlib::avx2_when_available! {
    /// Whether every return is finite and above -1 (-100 %); branch-free, so it vectorises.
    fn returns_above_ruin(returns: &[f64]) -> bool {
        returns.iter().fold(true, |ok, &r| ok & (r > -1.0) & (r < f64::INFINITY))
    }
}

/// The backtest of a staged book: the gross book's weights (or allocations) scaled by the
/// switches, zero from a ruin on; and each own-path report's value per row.
pub fn stage_backtest(
    gross: &Gross,
    mut out: StageResult,
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> (Backtest, Vec<Vec<f64>>) {
    let n = out.scale.len();
    // A drifting or clipped book's weights are the stage's own.
    let drifted = !out.weights.is_empty();
    let mut weights = if drifted { std::mem::take(&mut out.weights) } else { gross.weights.to_vec() };
    for col in weights.chunks_mut(n.max(1)).filter(|_| !drifted) {
        for (t, w) in col.iter_mut().enumerate() {
            if out.ruin.is_some_and(|r| t >= r) {
                *w = 0.0;
            } else {
                *w *= out.scale[t];
            }
        }
    }
    let StageResult { returns, exposure, turnover, cost, gross: g, kills, reports, ruin, trades, vol_scale_mean, limits, cash, .. } = out;
    let mut bt = assemble(gross.first_live, weights, gross.assets, returns, exposure, turnover, g, benchmark, periods_per_year, memo);
    if let Some(c) = &cash {
        (bt.metrics.sharpe, bt.metrics.sortino) = excess_sharpe_sortino(&bt.returns, &c.rf, periods_per_year);
        if let (Some(b), Some(m)) = (&bt.benchmark_returns, &mut bt.benchmark) {
            (m.sharpe, m.sortino) = excess_sharpe_sortino(b, &c.rf, periods_per_year);
        }
    }
    bt.cash = cash;
    bt.ruin = ruin;
    bt.cost = cost;
    bt.kills = kills;
    bt.vol_scale = vol_scale_mean;
    bt.limits = limits;
    bt.trades = trades;
    (bt, reports)
}

/// The [`Summary`] of a staged book (a sweep's lean path): the same figures as
/// [`stage_backtest`], without its per-row vectors.
pub fn stage_summary(t0: usize, out: &StageResult, benchmark: Option<&[f64]>, periods_per_year: f64, memo: Option<&BenchmarkMemo>) -> Summary {
    let n = out.turnover.len();
    let mut s = summary_of_path(t0, &out.returns, mean(&out.exposure), mean(&out.turnover[t0..n - 1]), benchmark, periods_per_year, memo);
    s.ruin = out.ruin;
    if let Some(c) = &out.cash {
        (s.metrics.sharpe, s.metrics.sortino) = excess_sharpe_sortino(&out.returns, &c.rf, periods_per_year);
    }
    s
}
