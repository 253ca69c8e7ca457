//! The executor: on a [`Frame`] made by [`crate::load`], prepares the plan's input columns once,
//! runs the compiled plan (JIT kernels through [`crate::plan_runner`], or the reference
//! evaluator) for one parameter binding, and backtests the result.

use crate::backtest::{
    asset_returns, backtest_memo, backtest_returns, backtest_summary, ensemble_gross, ensemble_spans_memo, report_mean_on, sleeve_backtest, sleeve_book,
    Backtest, BacktestInput, BenchmarkMemo, ReportMemo, SpansMemo, Summary,
};
use crate::calendar::{every_n, month_ends, week_ends};
pub use crate::error::{locate, locate_stage, RunError};
use crate::frame::Frame;
pub use crate::load::{load_data, load_data_with, load_sources, Sources};
use crate::portfolio::book::{
    combined_assets, ensemble_flat, flat_rate, flat_stage, run_book, stage_backtest, stage_summary, FlatEnsemble, Gross, Layout, StageValues,
};
use crate::portfolio::{Drift, StageResult};

mod stage;
use crate::plan_runner::{self, Cache};
use crate::weights::{run_weights, sleeve_returns, universe_returns, WeightsInput, WeightsRun};
use stage::*;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use strat_compiler::plan::{Demand, Dims, InputRef, Node};
use strat_compiler::program::{Book, Hold, Holding, RebalanceRule, WeightMembersRef};
use strat_compiler::{bind, eval_plan, Compiled, Program};

/// Which backend evaluates the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Backend {
    /// Cranelift kernels (the default).
    #[default]
    Jit,
    /// The plain reference evaluator (the JIT's oracle).
    Reference,
}

/// The prices and schedule of one hold.
#[derive(Debug, Clone)]
pub struct PreparedHold {
    /// The traded prices (asset-major panel; one asset for a single column), shared by every
    /// hold of the program that trades the same column or universe.
    pub price: Arc<Vec<f64>>,
    /// Number of traded assets.
    pub assets: usize,
    /// Rebalance rows for a calendar schedule (`None`: every bar, or `every N`, which counts
    /// from the first live row and is resolved per run).
    pub rebalance: Option<Vec<bool>>,
    /// The schedule.
    pub rule: RebalanceRule,
    /// The prices' simple returns (see [`BacktestInput::asset_returns`]), computed on first use
    /// by [`PreparedHold::asset_returns`] (a sweep's bindings share them, and so do the holds
    /// that share [`PreparedHold::price`]).
    pub returns: Arc<std::sync::OnceLock<Vec<f64>>>,
    /// The traded assets' names, as errors name them: `source.column` for a single column, the
    /// universe's asset names for a universe.
    pub names: Vec<String>,
}

impl PreparedHold {
    /// The prices' simple returns (`rows * assets`, asset-major), computed once.
    pub fn asset_returns(&self) -> &[f64] {
        self.returns.get_or_init(|| asset_returns(&self.price, self.assets))
    }
}

/// Universe weight paths by (declaration, bits of the param values they depend on), shared by
/// the bindings of a sweep.
pub type WeightsMemo = Arc<Mutex<HashMap<(usize, Vec<u64>), Arc<WeightsRun>>>>;

/// The plan's inputs laid out once for any number of runs.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Rows and asset counts.
    pub dims: Dims,
    /// One buffer per plan input: a series, or an asset-major panel (shared with the holds'
    /// prices where they are the same column or universe).
    pub inputs: Vec<Arc<Vec<f64>>>,
    /// The program's hold (`None` for an ensemble).
    pub hold: Option<PreparedHold>,
    /// Each sleeve's hold.
    pub sleeves: Vec<PreparedHold>,
    /// Benchmark prices, if any.
    pub benchmark: Option<Vec<f64>>,
    /// Per `weights` declaration: the members' returns (`rows x N`) for a universe's assets
    /// (`None` for sleeves, whose returns come from each run).
    pub weight_returns: Vec<Option<ndarray::Array2<f64>>>,
    /// Per `weights` declaration: its calendar rebalance flags (`None` for `every N`).
    pub weight_calendars: Vec<Option<Vec<bool>>>,
    /// Universe weights already computed, by declaration and the values of the params they
    /// depend on (a sweep computes each distinct weight path once).
    pub weights_memo: WeightsMemo,
    /// The frame's dates (days since 1970-01-01, one per row), to name the date of a run error.
    pub dates: Vec<i32>,
    /// A combined book's sleeves (indices into the program's) and each one's assets as indices
    /// into the book's netted assets, with their count (see [`combined_assets`]); empty for a hold.
    pub combined: (Vec<usize>, Vec<Vec<usize>>, usize),
}

fn gather(frame: &Frame, names: &[String]) -> Result<Vec<f64>, RunError> {
    let mut v = Vec::with_capacity(frame.len() * names.len());
    for n in names {
        v.extend_from_slice(frame.column(n).ok_or_else(|| RunError::MissingColumn(n.clone()))?);
    }
    Ok(v)
}

/// The rebalance rows of a calendar schedule (`None` for daily and `every N`). The next row of
/// the data decides whether the frame's last row is a period end (a `to DATE` window does not
/// make its last row one; SEMANTICS.md §1).
pub fn schedule(rule: RebalanceRule, frame: &Frame) -> Option<Vec<bool>> {
    let ends: fn(&[i32]) -> Vec<bool> = match rule {
        RebalanceRule::Monthly => month_ends,
        RebalanceRule::Weekly => week_ends,
        RebalanceRule::Daily | RebalanceRule::Every(_) => return None,
    };
    let mut dates = frame.dates.clone();
    dates.extend(frame.next_date);
    let mut flags = ends(&dates);
    flags.truncate(frame.len());
    Some(flags)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::parse_date;

    #[test]
    fn a_date_window_does_not_make_its_last_row_a_month_end() {
        let d = |s: &str| parse_date(s).unwrap();
        let mut f = Frame::new(vec![d("2020-01-30"), d("2020-01-31"), d("2020-02-03"), d("2020-02-04")], vec![], vec![]);
        assert_eq!(schedule(RebalanceRule::Monthly, &f), Some(vec![false, true, false, true]));
        f.next_date = Some(d("2020-02-05"));
        assert_eq!(schedule(RebalanceRule::Monthly, &f), Some(vec![false, true, false, false]));
        f.next_date = Some(d("2020-03-02"));
        assert_eq!(schedule(RebalanceRule::Monthly, &f), Some(vec![false, true, false, true]));
        assert_eq!(schedule(RebalanceRule::Daily, &f), None);
    }

    /// Two sleeves holding one universe, a third holding another, and the plan reading the
    /// first: one price panel and one returns memo per universe, each gathered from the frame.
    #[test]
    fn holds_of_one_universe_share_its_prices_and_returns() {
        let src = "strategy s\nuniverse u = csv(\"u.csv\")\nuniverse v = csv(\"v.csv\")\n\
            sleeve a { hold u weight if u > 1 then 0.5 else 0 rebalance monthly }\n\
            sleeve b { hold u weight 0.25 rebalance weekly }\n\
            sleeve c { hold v weight 1 }\n\
            data m = csv(\"m.csv\")\n\
            regime st {\n  UP when m.z > 0\n  DOWN otherwise\n}\n\
            param x in [0.3, 0.7]\n\
            ensemble by st {\n  UP => x * a + (1 - x) * b + c\n  DOWN => c\n}\n";
        let mut columns = |path: &str| {
            Ok(match path {
                "u.csv" => vec!["p".to_string(), "q".to_string()],
                "v.csv" => vec!["r".to_string()],
                _ => vec!["z".to_string()],
            })
        };
        let (compiled, diags) = strat_compiler::compile(src, "s", &mut columns);
        let compiled = compiled.unwrap_or_else(|| panic!("{diags:?}"));
        let d = |s: &str| crate::frame::parse_date(s).unwrap();
        let dates = vec![d("2020-01-30"), d("2020-01-31"), d("2020-02-03"), d("2020-02-04")];
        let names = ["u.p", "u.q", "v.r", "m.z"].map(String::from).to_vec();
        let frame = Frame::new(dates, names, vec![vec![1.0, 2.0, 3.0, 4.0], vec![5.0, 6.0, 7.0, 8.0], vec![9.0, 9.5, 10.0, 10.5], vec![1.0, -1.0, 1.0, 1.0]]);
        let prep = prepare(&compiled, &frame).unwrap();
        let [a, b, c] = [&prep.sleeves[0], &prep.sleeves[1], &prep.sleeves[2]];
        assert!(Arc::ptr_eq(&a.price, &b.price) && Arc::ptr_eq(&a.returns, &b.returns));
        assert!(!Arc::ptr_eq(&a.price, &c.price) && !Arc::ptr_eq(&a.returns, &c.returns));
        assert_eq!(*a.price, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]);
        assert_eq!(*c.price, vec![9.0, 9.5, 10.0, 10.5]);
        // Each keeps its own schedule; the returns are computed once for both.
        assert_eq!((a.rule, b.rule), (RebalanceRule::Monthly, RebalanceRule::Weekly));
        assert!(std::ptr::eq(a.asset_returns(), b.asset_returns()));
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(a.asset_returns()), bits(&asset_returns(&a.price, 2)));
        // The plan's universe input is the same buffer.
        assert!(prep.inputs.iter().any(|i| Arc::ptr_eq(i, &a.price)), "the plan reads u through the sleeves' panel");
    }
}

/// The prices and returns of the holds prepared so far, by what they trade: the sleeves of a
/// combined book often hold one universe (the regime ensemble's `qm` and `lowvol` both hold
/// `stocks`), and each copy of a panel is its size in freshly touched memory.
///
/// The plan's inputs (a column, or a universe's panel) are the same values as the holds'
/// prices, so they share those buffers too.
#[derive(Default)]
struct SharedPrices(HashMap<Holding, PricesAndReturns>);

/// A price buffer and the memo of its returns (see [`PreparedHold`]).
type PricesAndReturns = (Arc<Vec<f64>>, Arc<std::sync::OnceLock<Vec<f64>>>);

impl SharedPrices {
    /// The values of `target` (asset-major for a universe) and the memo of their returns,
    /// gathered from `frame` the first time.
    fn get(&mut self, program: &Program, frame: &Frame, target: &Holding) -> Result<PricesAndReturns, RunError> {
        if let Some((price, returns)) = self.0.get(target) {
            return Ok((Arc::clone(price), Arc::clone(returns)));
        }
        let price = Arc::new(match target {
            Holding::Column(c) => gather(frame, &[program.frame_column_name(c)])?,
            Holding::Universe(u) => gather(frame, &program.universe_columns(*u))?,
        });
        let returns = Arc::new(std::sync::OnceLock::new());
        self.0.insert(target.clone(), (Arc::clone(&price), Arc::clone(&returns)));
        Ok((price, returns))
    }
}

fn prepare_hold(program: &Program, frame: &Frame, h: &Hold, shared: &mut SharedPrices) -> Result<PreparedHold, RunError> {
    let (assets, names) = match &h.target {
        Holding::Column(c) => (1, vec![program.frame_column_name(c)]),
        Holding::Universe(u) => (program.universes[*u].assets.len(), program.universes[*u].assets.clone()),
    };
    let (price, returns) = shared.get(program, frame, &h.target)?;
    let rebalance = schedule(h.rebalance, frame);
    Ok(PreparedHold { price, assets, rebalance, rule: h.rebalance, returns, names })
}

/// Lays out the inputs of `compiled` from `frame` (see [`Prepared`]).
pub fn prepare(compiled: &Compiled, frame: &Frame) -> Result<Prepared, RunError> {
    let program = compiled.program();
    let dims = Dims { rows: frame.len(), assets: program.universes.iter().map(|u| u.assets.len()).collect() };
    let mut shared = SharedPrices::default();
    let mut inputs = vec![];
    for i in &compiled.lowered.plan.inputs {
        inputs.push(match i {
            InputRef::Column(c) => shared.get(program, frame, &Holding::Column(c.clone()))?.0,
            InputRef::Universe(u) => shared.get(program, frame, &Holding::Universe(*u))?.0,
            InputRef::Panel { panel, .. } => Arc::new(gather(frame, &program.panel_columns(panel))?),
            // Filled per binding by `run_inner`.
            InputRef::Weights { .. } => Arc::new(vec![]),
        });
    }
    let hold = match &program.book {
        Book::Hold(h) => Some(prepare_hold(program, frame, h, &mut shared)?),
        Book::Ensemble(_) | Book::SleeveWeights(_) => None,
    };
    let mut weight_returns = vec![];
    for w in &program.weights {
        weight_returns.push(match w.members {
            WeightMembersRef::Universe(u) => Some(universe_returns(&gather(frame, &program.universe_columns(u))?, frame.len(), w.member_names.len())),
            WeightMembersRef::Sleeves(_) => None,
        });
    }
    let weight_calendars = program.weights.iter().map(|w| schedule(w.rebalance, frame)).collect();
    let sleeves = program.sleeves.iter().map(|s| prepare_hold(program, frame, &s.hold, &mut shared)).collect::<Result<Vec<_>, _>>()?;
    let benchmark = match &program.benchmark {
        Some(b) => Some(gather(frame, &[program.frame_column_name(b)])?),
        None => None,
    };
    let members = book_members(program);
    let (index, assets) = combined_assets(program, &members);
    Ok(Prepared {
        dims,
        inputs,
        hold,
        sleeves,
        benchmark,
        weight_returns,
        weight_calendars,
        weights_memo: Arc::default(),
        dates: frame.dates.clone(),
        combined: (members, index, assets),
    })
}

/// Backtests one hold given its target weight column (a series or a panel over its assets):
/// the program's book (closed on ruin), or with `sleeve` set, that sleeve's own path (not
/// closed on ruin; its errors name it). Errors name the date and the asset ([`locate`]).
#[allow(clippy::too_many_arguments)]
fn run_hold(
    h: &PreparedHold,
    target: &[f64],
    warmup: usize,
    rows: usize,
    cost_rate: f64,
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
    dates: &[i32],
    sleeve: Option<&str>,
) -> Result<Backtest, RunError> {
    let input = hold_input(h, target, warmup, rows, cost_rate, benchmark, periods_per_year);
    match sleeve {
        None => backtest_memo(&input.input(), memo).map_err(|e| locate(e, dates, &h.names, "")),
        Some(name) => sleeve_backtest(&input.input()).map_err(|e| locate(e, dates, &h.names, &format!("sleeve `{name}`: "))),
    }
}

/// The sleeves' names, which the errors of a combined book name.
fn sleeve_names(compiled: &Compiled) -> Vec<String> {
    compiled.program().sleeves.iter().map(|s| format!("sleeve {}", s.name)).collect()
}

/// A hold's backtest input, owning the rebalance rows of an `every N` schedule.
struct HoldInput<'a> {
    /// The input, with `rebalance: None` for an `every N` schedule (see `every`).
    base: BacktestInput<'a>,
    /// The rebalance rows of an `every N` schedule, counted from the first row past warm-up
    /// with a defined weight.
    every: Option<Vec<bool>>,
}

impl HoldInput<'_> {
    /// The backtest input, with the schedule's rebalance rows.
    fn input(&self) -> BacktestInput<'_> {
        BacktestInput { rebalance: self.every.as_deref().or(self.base.rebalance), ..self.base }
    }
}

/// The backtest input of one hold given its target weight column: a series (every traded
/// asset takes it) or a panel over its assets.
fn hold_input<'a>(
    h: &'a PreparedHold,
    target: &'a [f64],
    warmup: usize,
    rows: usize,
    cost_rate: f64,
    benchmark: Option<&'a [f64]>,
    periods_per_year: f64,
) -> HoldInput<'a> {
    let weight_of = |t: usize, j: usize| if target.len() == rows { target[t] } else { target[j * rows + t] };
    let every = match h.rule {
        RebalanceRule::Every(n) => {
            let start = (warmup..rows).find(|&t| (0..h.assets).any(|j| !weight_of(t, j).is_nan())).unwrap_or(rows);
            Some(every_n(rows, start, n))
        }
        _ => None,
    };
    let base = BacktestInput {
        price: &h.price,
        assets: h.assets,
        weight: target,
        weight_warmup: warmup,
        rebalance: h.rebalance.as_deref(),
        cost_rate,
        asset_returns: None,
        benchmark,
        periods_per_year,
    };
    HoldInput { base, every }
}

/// One run: the backtest, the report values and the target weights.
#[derive(Debug, Clone, PartialEq)]
pub struct RunResult {
    /// The backtest.
    pub backtest: Backtest,
    /// `report` values, in declaration order.
    pub reports: Vec<(String, f64)>,
    /// Each `report`'s value on every row (`rows` values each; a condition as 1 / 0), in
    /// declaration order; filled by [`run`] (not by sweeps).
    pub report_series: Vec<Vec<f64>>,
    /// Each `alert` on every row, in declaration order.
    pub alerts: Vec<crate::alerts::AlertTrace>,
    /// Each `regime` declaration's arm on every row, in declaration order; filled by [`run`]
    /// (not by sweeps).
    pub regimes: Vec<crate::regimes::RegimeTrace>,
    /// The target weights as computed (before the liveness and rebalance rules), asset-major;
    /// for an ensemble, the regime's arm index per bar.
    pub target_weight: Vec<f64>,
    /// Each sleeve's target weights (asset-major), filled by [`run`] (not by sweeps).
    pub sleeve_targets: Vec<Vec<f64>>,
    /// The `weights` declarations this run computed (those the book uses), in declaration order.
    pub weights: Vec<Arc<WeightsRun>>,
    /// The book's assets, as [`Backtest::trades`] index them: a hold's traded assets, or a
    /// combined book's netted assets (named as the sleeves' universes name them).
    pub asset_names: Vec<String>,
    /// A combined book's return and risk attribution to its sleeves, costs and cash; filled
    /// by [`run`] (not by sweeps), `None` for a `hold`.
    pub attribution: Option<crate::backtest::Attribution>,
    /// The values of [`Compiled::condition_operands`] (one entry per operand, in that order;
    /// `rows` values each) as this run computed them, for the check of conditions that are
    /// NaN past their warm-up; `None` for an operand the JIT computed inside a fused kernel
    /// (it has no column of its own). Filled by [`run`] (empty for sweeps).
    pub condition_operands: Vec<Option<Vec<f64>>>,
}

impl RunResult {
    /// The strategy's metrics over its evaluated bars (fractions; annualised where the name
    /// says so: SEMANTICS.md §4).
    pub fn metrics(&self) -> &strat_stdlib::metrics::Metrics {
        &self.backtest.metrics
    }

    /// The benchmark's metrics over the same bars, when the program declares a `benchmark`.
    pub fn benchmark_metrics(&self) -> Option<&strat_stdlib::metrics::Metrics> {
        self.backtest.benchmark.as_ref()
    }

    /// The first live bar: the row of the frame at whose close the first position is taken.
    pub fn first_live(&self) -> usize {
        self.backtest.first_live
    }

    /// Net daily returns (fractions), one per bar after [`RunResult::first_live`]: `returns()[k]`
    /// is earned from the close of row `first_live + k` to the next.
    pub fn returns(&self) -> &[f64] {
        &self.backtest.returns
    }

    /// Equity after each of [`RunResult::returns`] (1 at the first live close, not included).
    pub fn equity(&self) -> &[f64] {
        &self.backtest.equity
    }

    /// Weights held from each close (fractions of equity), asset-major: asset `j`'s weight on
    /// row `t` is `weights_held()[j * rows + t]` (rows = the frame's bars).
    pub fn weights_held(&self) -> &[f64] {
        &self.backtest.weights
    }

    /// The `report` values (means over the evaluated bars), in declaration order.
    pub fn reports(&self) -> &[(String, f64)] {
        &self.reports
    }
}

/// Runs `compiled` over `frame` with `params` (one value per declared param) on `backend`.
pub fn run(compiled: &Compiled, frame: &Frame, params: &[f64], backend: Backend) -> Result<RunResult, RunError> {
    let prepared = prepare(compiled, frame)?;
    let binding = bind(&compiled.lowered.plan, params).map_err(RunError::Bind)?;
    run_inner(compiled, &prepared, params, &binding, backend, None, false, true).map(|r| r.0)
}

/// The values of the plan nodes `nodes` for `params` (a series is `rows` values, a panel
/// `rows * assets`, asset-major), on the reference evaluator with the `weights` inputs a run
/// would read, and the binding (for the nodes' warm-ups). One evaluation of the nodes' inputs,
/// for diagnostics after a run (e.g. conditions that are NaN past their warm-up).
///
/// Errors: a bad param value ([`RunError::Bind`]) or a `weights` run that fails.
pub fn node_values(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    nodes: &[strat_compiler::plan::Node],
) -> Result<(Vec<Vec<f64>>, strat_compiler::Binding), RunError> {
    let plan = &compiled.lowered.plan;
    let binding = bind(plan, params).map_err(RunError::Bind)?;
    let weights = weight_inputs(compiled, prep, params, &binding)?;
    let inputs = plan_inputs(prep, &weights);
    let cols = eval_plan(plan, &inputs, &prep.dims, &binding, nodes);
    Ok((cols, binding))
}

/// As [`node_values`], on `backend`: with [`Backend::Jit`] the nodes are compiled as the outputs
/// of their own native kernels (the same scheduling and code generation as a run's) and run by
/// the JIT's plan runner, so the values are the JIT's, not the reference evaluator's. A scalar
/// node is broadcast to a column of `rows` values on the JIT.
pub fn node_values_with(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    nodes: &[strat_compiler::plan::Node],
    backend: Backend,
) -> Result<(Vec<Vec<f64>>, strat_compiler::Binding), RunError> {
    if backend == Backend::Reference {
        return node_values(compiled, prep, params, nodes);
    }
    let plan = &compiled.lowered.plan;
    let binding = bind(plan, params).map_err(RunError::Bind)?;
    let weights = weight_inputs(compiled, prep, params, &binding)?;
    let inputs = plan_inputs(prep, &weights);
    let kernels = strat_compiler::plan_to_kernels(plan, nodes).map_err(|e| RunError::Study(format!("code generation failed: {e}")))?;
    let cols = plan_runner::run(&kernels, plan, &inputs, &prep.dims, &binding);
    Ok((cols, binding))
}

/// What a sweep computes once for all bindings: the param-invariant columns and, when a
/// sleeve's weights do not depend on a swept param, that sleeve's backtest.
#[derive(Debug, Default)]
pub struct SweepCache {
    /// Param-invariant plan columns (JIT only). A column under a cached sleeve's weight may be
    /// computed on the rows that sleeve reads only (its rebalance rows): a binding reads the
    /// sleeve's cached backtest, never that column.
    pub kernels: Option<Cache>,
    /// Per sleeve: its backtest if it is the same for every binding.
    pub sleeves: Vec<Option<Backtest>>,
    /// The benchmark's returns and metrics on the first evaluation window a binding used.
    pub bench: BenchmarkMemo,
    /// The means of the reports every binding shares, on the first evaluation window.
    pub reports: ReportMemo,
    /// An ensemble's spans of equal regime, when every binding reads the same regime.
    pub spans: SpansMemo,
}

/// Builds the [`SweepCache`] for a sweep in which the params marked in `varying` change, using
/// `first` (any binding of the sweep) for the rest.
pub fn sweep_cache(compiled: &Compiled, prep: &Prepared, first: &[f64], varying: &[bool], backend: Backend) -> SweepCache {
    let plan = &compiled.lowered.plan;
    let Ok(binding) = bind(plan, first) else { return SweepCache::default() };
    // A `weights` input that no varying param touches is the same for every binding.
    let Ok(weights) = weight_inputs(compiled, prep, first, &binding) else { return SweepCache::default() };
    let inputs = plan_inputs(prep, &weights);
    let invariant = plan.invariant(varying);
    let sparse = (backend == Backend::Jit).then(|| sleeve_demand(compiled, prep, &binding, &invariant)).flatten();
    let build = |demand: &[Demand]| {
        let kernels = (backend == Backend::Jit).then(|| plan_runner::build_cache_at(&compiled.kernels, plan, &inputs, &prep.dims, &binding, varying, demand));
        let mut sleeves = vec![None; compiled.program().sleeves.len()];
        // The sleeves' run reuses the columns just cached (the same values as a full run).
        let mut partial = SweepCache {
            kernels,
            sleeves: vec![],
            bench: BenchmarkMemo::default(),
            reports: ReportMemo::new(compiled.program().reports.len()),
            spans: SpansMemo::default(),
        };
        let mut first_live = vec![None; sleeves.len()];
        if compiled.program().sleeves.iter().map(|s| s.hold.weight).any(|n| invariant[n.index()]) {
            if let Ok(r) = run_inner(compiled, prep, first, &binding, backend, Some(&partial), true, false) {
                for (k, bt) in r.1.into_iter().enumerate() {
                    if invariant[compiled.program().sleeves[k].hold.weight.index()] {
                        first_live[k] = Some(bt.first_live);
                        sleeves[k] = Some(bt);
                    }
                }
            }
        }
        partial.sleeves = sleeves;
        (partial, first_live)
    };
    if let Some((demand, checks)) = sparse {
        // Computing a sleeve's weight on its rebalance rows (and every row up to its first
        // rebalance past warm-up) gives the full run's backtest when the sleeve is live by
        // that first rebalance row: its first live row is then the same, and it reads its
        // targets on rebalance rows only. Otherwise (a weight first defined later, or an
        // error), every row is computed.
        let (cache, first_live) = build(&demand);
        if checks.iter().all(|&(k, r1)| first_live[k] == Some(r1)) {
            return cache;
        }
    }
    build(&[]).0
}

/// Per plan node, the rows a sweep's cache computes, and each sparse sleeve's first rebalance
/// row past warm-up (see [`sleeve_demand`]).
type SleeveDemand = (Vec<Demand>, Vec<(usize, usize)>);

/// The rows a sweep's cache computes ([`Plan::demand`]) when some sleeve's weight is the same
/// for every binding and rebalances on a calendar (monthly, weekly): that weight is read on
/// the rows `warm-up ..= r1` (`r1` its first rebalance row at or past its warm-up: those rows
/// decide its first live row) and its later rebalance rows, so the cross-sectional selections and
/// windows only its weight reads run on those rows (SEMANTICS.md §1: a rebalanced weight
/// holds its targets from one rebalance row to the next). Every other output is read on every
/// row, and so is a sleeve that is the book's benchmark. Also returns `(sleeve, r1)` for each
/// such sleeve, whose backtest must then start at `r1`. `None` when no sleeve qualifies.
fn sleeve_demand(compiled: &Compiled, prep: &Prepared, binding: &strat_compiler::Binding, invariant: &[bool]) -> Option<SleeveDemand> {
    let program = compiled.program();
    // A hold's sleeves are benchmarks or unused: no cached sleeve backtest reads them.
    if matches!(program.book, Book::Hold(_)) {
        return None;
    }
    let mut rows: Vec<Option<Vec<usize>>> = vec![None; program.sleeves.len()];
    let mut checks = vec![];
    for (k, s) in program.sleeves.iter().enumerate() {
        let (Some(flags), true) = (&prep.sleeves[k].rebalance, invariant[s.hold.weight.index()]) else { continue };
        if program.benchmark_sleeve == Some(k) {
            continue;
        }
        let warm = binding.warmup_of(s.hold.weight);
        let Some(r1) = (warm..flags.len()).find(|&t| flags[t]) else { continue };
        let at: Vec<usize> = (warm..=r1).chain((r1 + 1..flags.len()).filter(|&t| flags[t])).collect();
        // Not worth it when more than a quarter of the rows are read.
        if at.len() * 4 <= flags.len() {
            rows[k] = Some(at);
            checks.push((k, r1));
        }
    }
    if checks.is_empty() {
        return None;
    }
    let outputs = compiled.kernels.outputs();
    let sleeves = program.sleeves.len();
    // Outputs: the book's weight, then each sleeve's, then the rest (`Compiled::outputs`).
    let roots: Vec<(Node, Option<&[usize]>)> =
        outputs.iter().enumerate().map(|(i, &n)| (n, if (1..=sleeves).contains(&i) { rows[i - 1].as_deref() } else { None })).collect();
    Some((compiled.lowered.plan.demand(&roots), checks))
}

/// Runs on prepared inputs, reusing what `cache` holds (see [`SweepCache`]).
pub fn run_prepared(compiled: &Compiled, prep: &Prepared, params: &[f64], backend: Backend, cache: Option<&SweepCache>) -> Result<RunResult, RunError> {
    let binding = bind(&compiled.lowered.plan, params).map_err(RunError::Bind)?;
    run_inner(compiled, prep, params, &binding, backend, cache, false, false).map(|r| r.0)
}

/// The regime values (arm index per row) that `regime_moe` weights read, by regime index,
/// evaluated on the reference evaluator before the plan runs (a regime is declared above the
/// weights that read it, so it never depends on them).
fn regime_values(compiled: &Compiled, prep: &Prepared, binding: &strat_compiler::Binding, decls: &[usize]) -> Vec<Option<Vec<f64>>> {
    let program = compiled.program();
    let mut wanted: Vec<usize> = decls.iter().flat_map(|&k| program.weights[k].regimes()).collect();
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = vec![None; program.regimes.len()];
    if wanted.is_empty() {
        return out;
    }
    let nodes: Vec<_> = wanted.iter().map(|&r| compiled.program().regimes[r].node).collect();
    let placeholder: Vec<Vec<f64>> = prep
        .inputs
        .iter()
        .map(|v| if v.is_empty() { vec![f64::NAN; prep.dims.rows * prep.dims.assets.iter().copied().max().unwrap_or(1)] } else { vec![] })
        .collect();
    let inputs: Vec<&[f64]> = prep.inputs.iter().zip(&placeholder).map(|(v, p)| if v.is_empty() { p.as_slice() } else { v.as_slice() }).collect();
    let cols = eval_plan(&compiled.lowered.plan, &inputs, &prep.dims, binding, &nodes);
    for (r, c) in wanted.into_iter().zip(cols) {
        out[r] = Some(c);
    }
    out
}

/// Runs `weights` declaration `k` for `params`; `returns` are its members' returns.
fn weights_for(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    binding: &strat_compiler::Binding,
    k: usize,
    returns: ndarray::ArrayView2<f64>,
) -> Result<WeightsRun, RunError> {
    let program = compiled.program();
    let regimes = regime_values(compiled, prep, binding, &[k]);
    let arms: Vec<usize> = program.regimes.iter().map(|r| r.arms.len()).collect();
    let input =
        WeightsInput { returns, calendar: prep.weight_calendars[k].as_deref(), params, regimes: &regimes, regime_arms: &arms, annualize: program.annualize };
    run_weights(&program.weights[k], &input)
}

/// The universe weights `k` for `params`, from the memo or computed (and memoised).
fn universe_weights(compiled: &Compiled, prep: &Prepared, params: &[f64], binding: &strat_compiler::Binding, k: usize) -> Result<Arc<WeightsRun>, RunError> {
    let key = (k, compiled.program().weights[k].params().iter().map(|&p| params.get(p).copied().unwrap_or(f64::NAN).to_bits()).collect::<Vec<u64>>());
    if let Some(w) = prep.weights_memo.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(w);
    }
    let returns =
        prep.weight_returns[k].as_ref().ok_or_else(|| RunError::Study(format!("weights `{}` has no return matrix", compiled.program().weights[k].name)))?;
    let w = Arc::new(weights_for(compiled, prep, params, binding, k, returns.view())?);
    if let Ok(mut m) = prep.weights_memo.lock() {
        m.insert(key, w.clone());
    }
    Ok(w)
}

/// One binding of a sweep: its [`Summary`], its report values (declaration order) and the
/// `weights` runs it computed.
pub type BindingSummary = (Summary, Vec<f64>, Vec<Arc<WeightsRun>>);

/// One binding of a sweep reduced to its [`Summary`] and report values (in declaration order),
/// without the per-row vectors of [`run_prepared`]'s backtest: the same figures, bit for bit.
/// Also returns the `weights` runs the binding computed.
pub fn run_summary(compiled: &Compiled, prep: &Prepared, params: &[f64], backend: Backend, cache: Option<&SweepCache>) -> Result<BindingSummary, RunError> {
    let binding = bind(&compiled.lowered.plan, params).map_err(RunError::Bind)?;
    let weights = weight_inputs(compiled, prep, params, &binding)?;
    let (cols, _) = eval_columns(compiled, prep, &binding, backend, cache, &weights, &[]);
    let mut weights_runs: Vec<Arc<WeightsRun>> = weights.iter().flatten().cloned().collect();
    let program = compiled.program();
    let warmup = binding.warmup_of(compiled.program().decision);
    let sleeve_bench = sleeve_benchmark(compiled, prep, &binding, &cols)?;
    let bench = sleeve_bench.as_deref().or(prep.benchmark.as_deref());
    let memo = if sleeve_bench.is_some() { None } else { cache.map(|c| &c.bench) };
    let summary = match (&program.book, &prep.hold) {
        (Book::Hold(_), Some(h)) if !program.needs_stage() => {
            let hold = hold_input(h, &cols.target, warmup, prep.dims.rows, program.flat_cost(&binding.scalars).unwrap_or(0.0), bench, program.annualize);
            // Every binding reads the same prices: their returns are computed once.
            backtest_summary(&BacktestInput { asset_returns: Some(h.asset_returns()), ..hold.input() }, memo)
                .map_err(|e| locate(e, &prep.dates, &h.names, ""))?
        }
        (Book::Hold(_), Some(h)) => {
            let (g, out) = staged_hold(compiled, prep, h, &cols, &binding, warmup, false)?;
            let summary = stage_summary(g.first_live, &out, bench, program.annualize, memo);
            let reports = report_values(compiled, &cols, &out.reports, &summary.rows, cache).into_iter().map(|x| x.1).collect();
            return Ok((summary, reports, weights_runs));
        }
        _ => {
            let owned = sleeve_backtests(compiled, prep, &binding, &cols, cache)?;
            let sleeves = sleeve_refs(&owned, cache);
            if let Some(flat) = lean_ensemble(compiled, prep, &binding, &cols, &sleeves, warmup, cache)? {
                let summary = flat.summary(bench, program.annualize, memo);
                // The flat path has no own-path report.
                let reports = report_values(compiled, &cols, &[], &summary.rows, cache).into_iter().map(|x| x.1).collect();
                return Ok((summary, reports, weights_runs));
            }
            let (g, out) = staged_combined(compiled, prep, params, &binding, &cols, &sleeves, warmup, false, &mut weights_runs)?;
            let summary = stage_summary(g.first_live, &out, bench, program.annualize, memo);
            let reports = report_values(compiled, &cols, &out.reports, &summary.rows, cache).into_iter().map(|x| x.1).collect();
            return Ok((summary, reports, weights_runs));
        }
    };
    let reports = cols
        .reports
        .iter()
        .enumerate()
        .map(|(i, c)| match cache {
            Some(m) => m.reports.mean_on(i, c, shared(m, compiled.lowered.reports[i].1), &summary.rows),
            None => report_mean_on(c, &summary.rows),
        })
        .collect();
    Ok((summary, reports, weights_runs))
}

/// One binding's first return row, net returns and exposures (rows = bars from that row), as a
/// walk-forward keeps them: the `rows.start`, `returns` and `exposure` of [`run_prepared`]'s
/// backtest, bit for bit, and with a `cash` account the per-period risk-free return of each
/// (its Sharpe and Sortino are of the excess returns). A plain hold (no portfolio stage) takes
/// the lean path of [`backtest_returns`], without the held weights, equity, benchmark and
/// metrics; a regime ensemble on the stage's flat path takes [`ensemble_flat`], without the
/// stage's vectors; anything else, and a run that ends in ruin, takes [`run_prepared`].
///
/// Errors: as [`run_prepared`].
pub fn run_path(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    backend: Backend,
    cache: Option<&SweepCache>,
) -> Result<(crate::backtest::ReturnsPath, Option<Vec<f64>>), RunError> {
    let program = compiled.program();
    if let (Book::Hold(_), Some(h)) = (&program.book, &prep.hold) {
        if !program.needs_stage() {
            let binding = bind(&compiled.lowered.plan, params).map_err(RunError::Bind)?;
            let weights = weight_inputs(compiled, prep, params, &binding)?;
            let (cols, _) = eval_columns(compiled, prep, &binding, backend, cache, &weights, &[]);
            let warmup = binding.warmup_of(program.decision);
            let hold = hold_input(h, &cols.target, warmup, prep.dims.rows, program.flat_cost(&binding.scalars).unwrap_or(0.0), None, program.annualize);
            let lean = backtest_returns(&BacktestInput { asset_returns: Some(h.asset_returns()), ..hold.input() })
                .map_err(|e| locate(e, &prep.dates, &h.names, ""))?;
            if let Some(path) = lean {
                return Ok((path, None));
            }
        }
    }
    if matches!(program.book, Book::Ensemble(_)) && flat_stage(program) {
        // A regime ensemble on the stage's flat path: its returns without the stage's vectors.
        let binding = bind(&compiled.lowered.plan, params).map_err(RunError::Bind)?;
        let weights = weight_inputs(compiled, prep, params, &binding)?;
        let (cols, _) = eval_columns(compiled, prep, &binding, backend, cache, &weights, &[]);
        let owned = sleeve_backtests(compiled, prep, &binding, &cols, cache)?;
        let sleeves = sleeve_refs(&owned, cache);
        if let Some(flat) = lean_ensemble(compiled, prep, &binding, &cols, &sleeves, binding.warmup_of(program.decision), cache)? {
            let exposure = flat.exposure();
            return Ok(((flat.t0 + 1, flat.returns, exposure), None));
        }
    }
    run_prepared(compiled, prep, params, backend, cache).map(|r| {
        let rf = r.backtest.cash.map(|c| c.rf);
        ((r.backtest.rows.start, r.backtest.returns, r.backtest.exposure), rf)
    })
}

/// The plan's output columns for one binding.
struct Columns<'a> {
    /// The target weight (a series or a panel), or the regime's arm index for an ensemble.
    target: Cow<'a, [f64]>,
    /// Each sleeve's target weights.
    sleeves: Vec<Cow<'a, [f64]>>,
    /// The report columns, in declaration order.
    reports: Vec<Cow<'a, [f64]>>,
    /// The alerts' series ([`Program::alert_series`] order; a constant where the stage
    /// evaluates one).
    alerts: Vec<Cow<'a, [f64]>>,
    /// Each declared regime's arm index per row ([`Program::declared_regimes`] order).
    regimes: Vec<Cow<'a, [f64]>>,
    /// The series and panels the portfolio stage reads ([`Compiled::portfolio_nodes`]).
    portfolio: Vec<Cow<'a, [f64]>>,
}

impl Drop for Columns<'_> {
    /// The columns this run computed go back to the plan runner's per-thread pool, so the next
    /// binding on this thread writes into the same memory (no allocation or zeroing).
    fn drop(&mut self) {
        let all = [&mut self.sleeves, &mut self.reports, &mut self.alerts, &mut self.regimes, &mut self.portfolio];
        plan_runner::recycle(std::mem::take(&mut self.target));
        for col in all.into_iter().flat_map(std::mem::take) {
            plan_runner::recycle(col);
        }
    }
}

/// The plan's inputs: the prepared columns, with the held-weight panels of `weights` (one slot
/// per plan input, see [`weight_inputs`]) in place of the `weights` inputs.
fn plan_inputs<'a>(prep: &'a Prepared, weights: &'a [Option<Arc<WeightsRun>>]) -> Vec<&'a [f64]> {
    prep.inputs.iter().enumerate().map(|(i, v)| weights.get(i).and_then(|w| w.as_deref()).map_or(v.as_slice(), |w| w.panel.as_slice())).collect()
}

/// Per plan input, the `weights` run a `weights` input reads (else `None`).
type WeightInputs = Vec<Option<Arc<WeightsRun>>>;

/// The universe weights the plan reads, computed (or taken from the memo) for `params`: one
/// slot per plan input.
fn weight_inputs(compiled: &Compiled, prep: &Prepared, params: &[f64], binding: &strat_compiler::Binding) -> Result<WeightInputs, RunError> {
    let plan = &compiled.lowered.plan;
    let mut slots = vec![None; plan.inputs.len()];
    for (i, input) in plan.inputs.iter().enumerate() {
        if let InputRef::Weights { decl, .. } = input {
            slots[i] = Some(universe_weights(compiled, prep, params, binding, *decl)?);
        }
    }
    Ok(slots)
}

/// The book of `hold [sleeves] weight W` (`W` = weights declaration `k`): the weights from the
/// sleeves' returns, then the sleeves held with them.
fn sleeve_weights_book(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    binding: &strat_compiler::Binding,
    k: usize,
    sleeves: &[&Backtest],
    memo: Option<&BenchmarkMemo>,
) -> Result<(Backtest, WeightsRun), RunError> {
    let program = compiled.program();
    let WeightMembersRef::Sleeves(members) = &program.weights[k].members else {
        return Err(RunError::Study(format!("weights `{}` are over a universe, not sleeves", program.weights[k].name)));
    };
    let held: Vec<&Backtest> = members.iter().filter_map(|&s| sleeves.get(s).copied()).collect();
    let w = weights_for(compiled, prep, params, binding, k, sleeve_returns(&held, prep.dims.rows).view())?;
    let names: Vec<String> = members.iter().map(|&s| format!("sleeve {}", program.sleeves[s].name)).collect();
    let b = sleeve_book(&w.panel, &held, prep.benchmark.as_deref(), program.annualize, memo).map_err(|e| locate(e, &prep.dates, &names, ""))?;
    Ok((b, w))
}

/// Evaluates the plan for `binding` on `backend`, reusing the param-invariant columns `cache`
/// holds (JIT only); `weights` as [`plan_inputs`].
fn eval_columns<'a>(
    compiled: &Compiled,
    prep: &'a Prepared,
    binding: &strat_compiler::Binding,
    backend: Backend,
    cache: Option<&'a SweepCache>,
    weights: &'a [Option<Arc<WeightsRun>>],
    probes: &[Node],
) -> (Columns<'a>, Vec<Option<Vec<f64>>>) {
    let plan = &compiled.lowered.plan;
    let inputs = plan_inputs(prep, weights);
    let (cols, probed): (Vec<Cow<[f64]>>, _) = match backend {
        Backend::Jit => {
            plan_runner::run_borrowed_keeping(&compiled.kernels, plan, &inputs, &prep.dims, binding, cache.and_then(|c| c.kernels.as_ref()), probes)
        }
        Backend::Reference => {
            let mut wanted = compiled.outputs();
            let n = wanted.len();
            wanted.extend_from_slice(probes);
            let mut cols = eval_plan(plan, &inputs, &prep.dims, binding, &wanted);
            let probed = cols.split_off(n).into_iter().map(Some).collect();
            (cols.into_iter().map(Cow::Owned).collect(), probed)
        }
    };
    let mut cols = cols.into_iter();
    let target = cols.next().unwrap_or_default();
    let sleeves = cols.by_ref().take(compiled.program().sleeves.len()).collect();
    let reports = cols.by_ref().take(compiled.program().reports.len()).collect();
    let alerts = cols.by_ref().take(compiled.program().alert_series().count()).collect();
    let regimes = cols.by_ref().take(compiled.program().declared_regimes().count()).collect();
    (Columns { target, sleeves, reports, alerts, regimes, portfolio: cols.collect() }, probed)
}

/// The benchmark of `benchmark SLEEVE` as a price series over every row: the sleeve's equity
/// curve from its own backtest (its decisions starting no earlier than the book's static
/// warm-up), charged the book's flat cost rate (1 up to its first live row, then its equity), so that the benchmark's returns are the sleeve's net returns and the active
/// return is the book's minus the sleeve's. `None` without a sleeve benchmark.
fn sleeve_benchmark(compiled: &Compiled, prep: &Prepared, binding: &strat_compiler::Binding, cols: &Columns) -> Result<Option<Vec<f64>>, RunError> {
    let program = compiled.program();
    let Some(k) = program.benchmark_sleeve else { return Ok(None) };
    let rows = prep.dims.rows;
    // Not before the book's own warm-up: both start on the same decision row, so a tilt of 0
    // has no active return at all (entry costs included).
    let w = binding.warmup_of(program.sleeves[k].hold.weight).max(binding.warmup_of(program.decision));
    let rate = program.flat_cost(&binding.scalars).unwrap_or(0.0);
    let bt = run_hold(&prep.sleeves[k], &cols.sleeves[k], w, rows, rate, None, program.annualize, None, &prep.dates, Some(&program.sleeves[k].name))?;
    let mut prices = vec![1.0; rows];
    let mut last = 1.0;
    for (t, p) in prices.iter_mut().enumerate() {
        if t >= bt.rows.start && t < bt.rows.end {
            last = bt.equity[t - bt.rows.start];
        }
        if t >= bt.rows.start {
            *p = last;
        }
    }
    Ok(Some(prices))
}

/// The backtest of each sleeve that `cache` does not hold (`None` where it does).
fn sleeve_backtests(
    compiled: &Compiled,
    prep: &Prepared,
    binding: &strat_compiler::Binding,
    cols: &Columns,
    cache: Option<&SweepCache>,
) -> Result<Vec<Option<Backtest>>, RunError> {
    let program = compiled.program();
    let cached = |k: usize| cache.is_some_and(|c| c.sleeves.get(k).is_some_and(|s| s.is_some()));
    let mut owned = vec![];
    for (k, h) in prep.sleeves.iter().enumerate() {
        if cached(k) {
            owned.push(None);
            continue;
        }
        let w = binding.warmup_of(compiled.program().sleeves[k].hold.weight);
        owned.push(Some(run_hold(h, &cols.sleeves[k], w, prep.dims.rows, 0.0, None, program.annualize, None, &prep.dates, Some(&program.sleeves[k].name))?));
    }
    Ok(owned)
}

/// Every sleeve's backtest: the run's own, else the cached one.
fn sleeve_refs<'a>(owned: &'a [Option<Backtest>], cache: Option<&'a SweepCache>) -> Vec<&'a Backtest> {
    owned.iter().enumerate().filter_map(|(k, o)| o.as_ref().or_else(|| cache.and_then(|c| c.sleeves.get(k)).and_then(|s| s.as_ref()))).collect()
}

/// The ensemble's arms with this binding's coefficients: (sleeve, coefficient) per term.
fn arms(compiled: &Compiled, binding: &strat_compiler::Binding) -> Vec<Vec<(usize, f64)>> {
    compiled.program().ensemble_arms().iter().map(|terms| terms.iter().map(|&(k, c)| (k, binding.scalars[c.index()])).collect()).collect()
}

/// One run; with `keep_sleeves`, also returns the sleeves' backtests; with `detail`, fills
/// [`RunResult::sleeve_targets`].
#[allow(clippy::too_many_arguments)]
fn run_inner(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    binding: &strat_compiler::Binding,
    backend: Backend,
    cache: Option<&SweepCache>,
    keep_sleeves: bool,
    detail: bool,
) -> Result<(RunResult, Vec<Backtest>), RunError> {
    let weights = weight_inputs(compiled, prep, params, binding)?;
    let probes: Vec<Node> = if detail { compiled.condition_operands().into_iter().map(|(x, _)| x).collect() } else { vec![] };
    let (mut cols, condition_operands) = eval_columns(compiled, prep, binding, backend, cache, &weights, &probes);
    let mut weights_runs: Vec<Arc<WeightsRun>> = weights.iter().flatten().cloned().collect();
    let program = compiled.program();
    let rows = prep.dims.rows;
    let mut kept = vec![];
    let warmup = binding.warmup_of(compiled.program().decision);
    let sleeve_bench = sleeve_benchmark(compiled, prep, binding, &cols)?;
    let bench = sleeve_bench.as_deref().or(prep.benchmark.as_deref());
    let memo = if sleeve_bench.is_some() { None } else { cache.map(|c| &c.bench) };
    let mut path_reports = vec![];
    let mut attribution = None;
    let bt = match (&program.book, &prep.hold) {
        (Book::Hold(_), Some(h)) if !program.needs_stage() => {
            let rate = program.flat_cost(&binding.scalars).unwrap_or(0.0);
            let mut b = run_hold(h, &cols.target, warmup, rows, rate, bench, program.annualize, memo, &prep.dates, None)?;
            if detail {
                b.trades = b.flat_trades(rate);
            }
            b
        }
        (Book::Hold(_), Some(h)) => {
            let (g, out) = staged_hold(compiled, prep, h, &cols, binding, warmup, detail)?;
            let (b, r) = stage_backtest(&g.view(), out, bench, program.annualize, memo);
            path_reports = r;
            b
        }
        _ => {
            let owned = sleeve_backtests(compiled, prep, binding, &cols, cache)?;
            let sleeves = sleeve_refs(&owned, cache);
            let (g, out) = staged_combined(compiled, prep, params, binding, &cols, &sleeves, warmup, detail, &mut weights_runs)?;
            let (b, r) = stage_backtest(&g.view(), out, bench, program.annualize, memo);
            path_reports = r;
            if detail {
                let members = &prep.combined.0;
                let held: Vec<&Backtest> = members.iter().map(|&m| sleeves[m]).collect();
                let names: Vec<String> = members.iter().map(|&m| program.sleeves[m].name.clone()).collect();
                attribution = Some(crate::backtest::attribution(&b, &held, &names, program.annualize));
            }
            if keep_sleeves {
                kept = owned.into_iter().flatten().collect();
            }
            b
        }
    };
    let reports = report_values(compiled, &cols, &path_reports, &bt.rows, None);
    let alerts = alert_traces(compiled, &cols, &path_reports, bt.first_live, rows);
    let sleeve_targets = if detail { cols.sleeves.iter().map(|c| c.to_vec()).collect() } else { vec![] };
    let asset_names = if detail { book_asset_names(compiled, prep) } else { vec![] };
    let report_series = if detail { report_series(compiled, &cols, &path_reports) } else { vec![] };
    let regimes = if detail {
        program.declared_regimes().zip(&cols.regimes).map(|(r, c)| crate::regimes::RegimeTrace::new(&r.name, r.arms.clone(), c)).collect()
    } else {
        vec![]
    };
    Ok((
        RunResult {
            backtest: bt,
            reports,
            report_series,
            alerts,
            regimes,
            target_weight: std::mem::take(&mut cols.target).into_owned(),
            sleeve_targets,
            weights: weights_runs,
            asset_names,
            attribution,
            condition_operands,
        },
        kept,
    ))
}
