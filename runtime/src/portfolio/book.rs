//! Runs a book through the portfolio stage: lays out its per-asset weights (a hold's own, or a
//! combined book's sleeves netted per asset), prepares its cost, kill switches and own-path
//! reports from the [`Program`], and assembles the [`Backtest`].

use super::path::{Leaf, PathEval};
use super::{run_stage, BookPath, StageCost, StageError, StageKill, StageResult};
use crate::backtest::{assemble, Backtest, BenchmarkMemo};
use strat_compiler::plan::{Node, Plan};
use strat_compiler::program::{Cost, Holding, Program};
use strat_compiler::types::Shape;

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
    /// A hold: the gross backtest's held weights are the book's.
    Hold,
    /// A combined book: the gross backtest's "weights" are the sleeves' allocations (`rows *
    /// sleeves`), each sleeve holding its own assets.
    Combined {
        /// Each sleeve's own backtest (held weights per its assets).
        sleeves: &'a [&'a Backtest],
        /// Each sleeve's traded assets as indices into the combined book's assets.
        index: Vec<Vec<usize>>,
        /// Assets of the combined book.
        assets: usize,
    },
}

/// The combined book's asset index of each sleeve's assets: assets of the same universe (or the
/// same column) net (SEMANTICS.md §3); returns the index and the number of assets.
pub fn combined_assets(program: &Program, sleeves: &[usize]) -> (Vec<Vec<usize>>, usize) {
    let mut seen: Vec<(Holding, usize)> = vec![];
    let mut count = 0;
    let mut index = vec![];
    for &k in sleeves {
        let target = &program.sleeves[k].hold.target;
        let width = match target {
            Holding::Universe(u) => program.universes[*u].assets.len(),
            Holding::Column(_) => 1,
        };
        let start = match seen.iter().find(|(h, _)| h == target) {
            Some((_, s)) => *s,
            None => {
                seen.push((target.clone(), count));
                count += width;
                count - width
            }
        };
        index.push((start..start + width).collect());
    }
    (index, count)
}

/// Runs `gross` (the book at cost 0 without switches, not closed on ruin) through the stage.
/// Returns the net backtest and each own-path report's value per row.
pub fn stage_backtest(
    v: &StageValues,
    gross: &Backtest,
    layout: &Layout,
    benchmark: Option<&[f64]>,
    memo: Option<&BenchmarkMemo>,
) -> Result<(Backtest, Vec<Vec<f64>>), StageError> {
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
    let mut reports: Vec<PathEval> = v.program.reports.iter().filter_map(|r| r.path.as_ref()).map(|e| PathEval::new(e, &leaf, n, t0, true)).collect();
    let out = match layout {
        Layout::Hold => {
            let change: Vec<bool> = (0..n).map(|t| t <= t0 || gross.turnover[t] != 0.0).collect();
            let w = &gross.weights;
            let weights = |t: usize, out: &mut [f64]| {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = w[j * n + t];
                }
            };
            let book = BookPath { t0, rows: n, assets: gross.assets, gross: &gross.returns, change: &change, weights: &weights };
            run_stage(&book, &mut cost, &mut kills, &mut reports)?
        }
        Layout::Combined { sleeves, index, assets } => {
            let s = gross.assets;
            let alloc = &gross.weights;
            let a = |t: usize, k: usize| alloc[k * n + t];
            let change: Vec<bool> = (0..n)
                .map(|t| t <= t0 || (0..s).any(|k| a(t, k).to_bits() != a(t - 1, k).to_bits() || ((a(t, k) != 0.0 || a(t - 1, k) != 0.0) && sleeves[k].turnover[t] != 0.0)))
                .collect();
            let weights = |t: usize, out: &mut [f64]| {
                out.fill(0.0);
                for k in 0..s {
                    let ak = a(t, k);
                    if ak == 0.0 {
                        continue;
                    }
                    let (wk, nk) = (&sleeves[k].weights, sleeves[k].weights.len() / n);
                    for i in 0..nk {
                        out[index[k][i]] += ak * wk[i * n + t];
                    }
                }
            };
            let book = BookPath { t0, rows: n, assets: *assets, gross: &gross.returns, change: &change, weights: &weights };
            run_stage(&book, &mut cost, &mut kills, &mut reports)?
        }
    };
    Ok(finish(gross, out, benchmark, v.program.annualize, memo))
}

/// The backtest of a staged book: the gross book's weights (or allocations) scaled by the
/// switches, zero from a ruin on.
fn finish(gross: &Backtest, out: StageResult, benchmark: Option<&[f64]>, periods_per_year: f64, memo: Option<&BenchmarkMemo>) -> (Backtest, Vec<Vec<f64>>) {
    let n = out.scale.len();
    let mut weights = gross.weights.clone();
    for col in weights.chunks_mut(n.max(1)) {
        for (t, w) in col.iter_mut().enumerate() {
            if out.ruin.is_some_and(|r| t >= r) {
                *w = 0.0;
            } else {
                *w *= out.scale[t];
            }
        }
    }
    let StageResult { returns, exposure, turnover, cost, gross: g, kills, reports, ruin, .. } = out;
    let mut bt = assemble(gross.first_live, weights, gross.assets, returns, exposure, turnover, g, benchmark, periods_per_year, memo);
    bt.ruin = ruin;
    bt.cost = cost;
    bt.kills = kills;
    (bt, reports)
}
