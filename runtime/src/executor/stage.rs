//! A book run through the portfolio stage ([`crate::portfolio`]): its gross path laid out for
//! the stage (a hold's own weights, or a combined book's sleeves netted per asset), the asset
//! names its errors and `--costs-out` use, and the report values that read the own path.

use super::*;

/// The plan values the portfolio stage reads for `binding`.
pub(super) fn stage_values<'a>(
    compiled: &'a Compiled,
    binding: &'a strat_compiler::Binding,
    nodes: &'a [strat_compiler::plan::Node],
    columns: &'a [&'a [f64]],
    rows: usize,
) -> StageValues<'a> {
    StageValues { program: compiled.program(), plan: &compiled.lowered.plan, scalars: &binding.scalars, warmup: &binding.warmup, nodes, columns, rows }
}

/// A book's gross path, owned: what [`Gross`] views.
pub(super) struct OwnedGross {
    pub(super) first_live: usize,
    weights: Vec<f64>,
    assets: usize,
    returns: Vec<f64>,
    turnover: Vec<f64>,
}

impl OwnedGross {
    pub(super) fn view(&self) -> Gross<'_> {
        Gross { first_live: self.first_live, weights: &self.weights, assets: self.assets, returns: &self.returns, turnover: &self.turnover }
    }
}

/// The program's hold run through the portfolio stage (a kill switch or a per-asset cost
/// model): its gross path at cost 0 (from the first row its cost rate is defined), then the
/// stage.
pub(super) fn staged_hold(
    compiled: &Compiled,
    prep: &Prepared,
    h: &PreparedHold,
    cols: &Columns,
    binding: &strat_compiler::Binding,
    warmup: usize,
    detail: bool,
) -> Result<(OwnedGross, StageResult), RunError> {
    let rows = prep.dims.rows;
    let nodes = compiled.portfolio_nodes();
    let columns: Vec<&[f64]> = cols.portfolio.iter().map(|c| c.as_ref()).collect();
    let v = stage_values(compiled, binding, &nodes, &columns, rows);
    let warmup = warmup.max(v.cost_warmup());
    let input = hold_input(h, &cols.target, warmup, rows, 0.0, None, compiled.program().annualize);
    let b = sleeve_backtest(&BacktestInput { asset_returns: Some(h.asset_returns()), ..input.input() }).map_err(|e| locate(e, &prep.dates, &h.names, ""))?;
    let gross = OwnedGross { first_live: b.first_live, weights: b.weights, assets: b.assets, returns: b.returns, turnover: b.turnover };
    // A drifting hold floats between the rows its schedule rebalances on (the checker requires
    // a schedule).
    let drift = match (compiled.program().portfolio.drift, input.input().rebalance) {
        (true, Some(rebalance)) => Some(Drift { returns: h.asset_returns(), rebalance }),
        _ => None,
    };
    let out = run_book(&v, &gross.view(), &Layout::Hold(drift, Some(h.asset_returns())), detail).map_err(|e| locate_stage(e, &prep.dates, &h.names))?;
    Ok((gross, out))
}

/// A combined book (an ensemble, or sleeves held with `weights`) run through the portfolio
/// stage: its sleeves' weights netted per asset, costs and switches on them. Pushes the
/// `weights` run of a sleeve-weighted book to `weights_runs`.
#[allow(clippy::too_many_arguments)]
pub(super) fn staged_combined(
    compiled: &Compiled,
    prep: &Prepared,
    params: &[f64],
    binding: &strat_compiler::Binding,
    cols: &Columns,
    sleeves: &[&Backtest],
    warmup: usize,
    detail: bool,
    weights_runs: &mut Vec<Arc<WeightsRun>>,
) -> Result<(OwnedGross, StageResult), RunError> {
    let program = compiled.program();
    let nodes = compiled.portfolio_nodes();
    let columns: Vec<&[f64]> = cols.portfolio.iter().map(|c| c.as_ref()).collect();
    let v = stage_values(compiled, binding, &nodes, &columns, prep.dims.rows);
    // A cost rate's inputs delay the book (SEMANTICS.md §3).
    let warmup = warmup.max(v.cost_warmup());
    let (members, index, assets) = (&prep.combined.0, &prep.combined.1, prep.combined.2);
    let gross = match &program.book {
        Book::SleeveWeights(k) => {
            let (b, w) = sleeve_weights_book(compiled, prep, params, binding, *k, sleeves, None)?;
            weights_runs.push(Arc::new(w));
            OwnedGross { first_live: b.first_live, weights: b.weights, assets: b.assets, returns: b.returns, turnover: vec![] }
        }
        _ => {
            let (t0, alloc, returns) =
                ensemble_gross(&cols.target, warmup, sleeves, &arms(compiled, binding)).map_err(|e| locate(e, &prep.dates, &sleeve_names(compiled), ""))?;
            OwnedGross { first_live: t0, weights: alloc, assets: sleeves.len(), returns, turnover: vec![] }
        }
    };
    let held: Vec<&Backtest> = members.iter().map(|&m| sleeves[m]).collect();
    let layout = Layout::Combined { sleeves: &held, index, assets };
    let out = run_book(&v, &gross.view(), &layout, detail).map_err(|e| locate_stage(e, &prep.dates, &combined_names(prep, members, index, assets)))?;
    Ok((gross, out))
}

/// A regime ensemble on the stage's flat path without its per-row vectors, for a sweep's or a
/// walk-forward's lean path ([`ensemble_flat`]): the figures of [`staged_combined`] bit for
/// bit. `None` for any other book or a stage off its flat path ([`flat_rate`]: a kill switch, an
/// own-path report, a volatility target, a limit, a cash account, a per-asset cost), or when the
/// path is not clean (the caller then runs the stage, which reports the error or closes the
/// book). Errors: the ensemble never live, located as [`staged_combined`] locates it.
pub(super) fn lean_ensemble(
    compiled: &Compiled,
    prep: &Prepared,
    binding: &strat_compiler::Binding,
    cols: &Columns,
    sleeves: &[&Backtest],
    warmup: usize,
    cache: Option<&SweepCache>,
) -> Result<Option<FlatEnsemble>, RunError> {
    if !matches!(compiled.program().book, Book::Ensemble(_)) {
        return Ok(None);
    }
    let nodes = compiled.portfolio_nodes();
    let columns: Vec<&[f64]> = cols.portfolio.iter().map(|c| c.as_ref()).collect();
    let v = stage_values(compiled, binding, &nodes, &columns, prep.dims.rows);
    let Some(rate) = flat_rate(&v) else { return Ok(None) };
    let (members, index, assets) = (&prep.combined.0, &prep.combined.1, prep.combined.2);
    // A regime column that no swept param touches is every binding's: so are its spans.
    let memo = cache.filter(|c| shared(c, compiled.lowered.weight)).map(|c| &c.spans);
    let e = ensemble_spans_memo(&cols.target, warmup.max(v.cost_warmup()), sleeves, &arms(compiled, binding), memo)
        .map_err(|e| locate(e, &prep.dates, &sleeve_names(compiled), ""))?;
    let held: Vec<&Backtest> = members.iter().map(|&m| sleeves[m]).collect();
    Ok(ensemble_flat(e, rate, &held, index, assets))
}

/// The combined book's assets, named as the sleeves that hold them name them.
pub(super) fn combined_names(prep: &Prepared, members: &[usize], index: &[Vec<usize>], assets: usize) -> Vec<String> {
    let mut names = vec![String::new(); assets];
    for (k, &m) in members.iter().enumerate() {
        for (i, &g) in index[k].iter().enumerate() {
            names[g] = prep.sleeves[m].names.get(i).cloned().unwrap_or_default();
        }
    }
    names
}

/// The sleeves a combined book holds (indices into the program's sleeves; none for a hold).
pub(super) fn book_members(program: &Program) -> Vec<usize> {
    match &program.book {
        Book::Hold(_) => vec![],
        Book::SleeveWeights(k) => match &program.weights[*k].members {
            WeightMembersRef::Sleeves(m) => m.clone(),
            WeightMembersRef::Universe(_) => vec![],
        },
        Book::Ensemble(_) => (0..program.sleeves.len()).collect(),
    }
}

/// The book's asset names (see [`RunResult::asset_names`]).
pub(super) fn book_asset_names(compiled: &Compiled, prep: &Prepared) -> Vec<String> {
    if let Book::Hold(_) = compiled.program().book {
        return prep.hold.as_ref().map(|h| h.names.clone()).unwrap_or_default();
    }
    let (members, index, assets) = &prep.combined;
    combined_names(prep, members, index, *assets)
}

/// Whether plan node `n`'s column is the same for every binding of the sweep `cache` is for.
pub(super) fn shared(cache: &SweepCache, n: strat_compiler::plan::Node) -> bool {
    cache.kernels.as_ref().is_some_and(|k| k.is_invariant(n))
}

/// The report values of a run: plan reports averaged from their columns (those every binding
/// of a sweep shares once, through `cache`'s memo), own-path reports from the stage's rows,
/// over the decision rows of `bt`.
pub(super) fn report_values(
    compiled: &Compiled,
    cols: &Columns,
    path: &[Vec<f64>],
    rows: &std::ops::Range<usize>,
    cache: Option<&SweepCache>,
) -> Vec<(String, f64)> {
    let mut path = path.iter();
    compiled
        .program()
        .reports
        .iter()
        .zip(&cols.reports)
        .enumerate()
        .map(|(i, (r, c))| {
            let v = match (r.path.as_ref().and_then(|_| path.next()), cache) {
                (Some(p), _) => report_mean_on(p, rows),
                (None, Some(m)) => m.reports.mean_on(i, c, shared(m, compiled.lowered.reports[i].1), rows),
                (None, None) => report_mean_on(c, rows),
            };
            (r.name.clone(), v)
        })
        .collect()
}

/// Each `report`'s value on every row (`rows` values; a condition as 1 / 0), from its plan
/// column or, for an own-path report, from the portfolio stage's rows (`path`).
pub(super) fn report_series(compiled: &Compiled, cols: &Columns, path: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut path = path.iter();
    compiled
        .program()
        .reports
        .iter()
        .zip(&cols.reports)
        .map(|(r, c)| r.path.as_ref().and_then(|_| path.next()).map_or_else(|| c.to_vec(), |p| p.clone()))
        .collect()
}

/// The alerts of a run: each series from its plan column, or from the stage's rows after the
/// own-path reports' (`path`), over `rows` rows from `t0`.
pub(super) fn alert_traces(compiled: &Compiled, cols: &Columns, path: &[Vec<f64>], t0: usize, rows: usize) -> Vec<crate::alerts::AlertTrace> {
    let program = compiled.program();
    let mut path = path.iter().skip(program.reports.iter().filter(|r| r.path.is_some()).count());
    let mut columns = cols.alerts.iter();
    let mut series = |r: &strat_compiler::program::Report| -> Vec<f64> {
        let c = columns.next();
        match r.path.as_ref().and_then(|_| path.next()) {
            Some(p) => p.clone(),
            None => c.map_or_else(|| vec![f64::NAN; rows], |c| c.to_vec()),
        }
    };
    program
        .alerts
        .iter()
        .map(|a| {
            let when = series(&a.when);
            let values = a.values.iter().map(|v| (v.name.clone(), series(v))).collect();
            let mut trace = crate::alerts::AlertTrace::new(&a.name, &a.condition, &when, values, t0);
            trace.value_is_bool = a.value_is_bool.clone();
            trace
        })
        .collect()
}
