//! Runs the `weights` declarations of a program (spec/language.md "Weights"; SEMANTICS.md §6
//! "Strategy weighting") on the stdlib weighting engine ([`strat_stdlib::weighting`]).
//!
//! Shapes: a return matrix is `rows x N` (rows = bars of the frame, columns = the members:
//! a universe's assets or sleeves), simple returns as fractions; row `t` holds the return
//! earned from the close of `t-1` to the close of `t`, so it is known at the close of `t`.
//! NaN where a member has no return yet (row 0, an asset before its first price, a sleeve
//! before it is live). Weights decided at row `t` use rows `t-lookback+1 ..= t` only and are
//! held from the close of `t` (they earn row `t+1`'s return: the backtest's job).

use crate::backtest::Backtest;
use crate::calendar::every_n;
use crate::error::RunError;
use ndarray::{Array2, ArrayView2};
use strat_compiler::program::{CovarianceChoice, FallbackChoice, MethodChoice, OptValue, OptionRange, WeightMethod, WeightsDecl};
use strat_stdlib::weighting::{
    rebalance, Bounds, CovEstimator, FallbackStep, KellyOptions, Linkage, LogEntry, Method, Note, RegimeMoe, Schedule, VolTarget, WeightError, WeightOptions,
};

/// One `weights` declaration, run for one binding.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightsRun {
    /// The declaration's name.
    pub name: String,
    /// The members (assets or sleeves), in column order.
    pub members: Vec<String>,
    /// The method that ran (`erc`, `hrp_ward`, `kelly`, ...).
    pub method: &'static str,
    /// The schedule: held weights (`rows x N`, 0 before the first rebalance), rebalance rows,
    /// targets, turnover per rebalance and the log of notes and fallbacks.
    pub schedule: Schedule,
    /// The held weights as an asset-major panel (`rows * N`), NaN before the first rebalance
    /// (so a `hold` of them is live from the first rebalance row, SEMANTICS.md §2): what the
    /// plan and the sleeve book read, built once per run.
    pub panel: Vec<f64>,
}

/// [`WeightsRun::panel`] of a schedule.
fn held_panel(schedule: &Schedule) -> Vec<f64> {
    let w = &schedule.weights;
    let (rows, n) = w.dim();
    let first = schedule.rebalance_rows.first().copied().unwrap_or(rows);
    let mut out = vec![f64::NAN; rows * n];
    for j in 0..n {
        for t in first..rows {
            out[j * rows + t] = w[[t, j]];
        }
    }
    out
}

impl WeightsRun {
    /// The number of rebalances at which the fallback chain supplied the target.
    pub fn fallbacks(&self) -> usize {
        self.schedule.log.iter().filter(|e| matches!(e, LogEntry::Fallback { .. })).count()
    }

    /// Mean turnover `||w_k - w_{k-1}||_1` over the rebalances after the first (the first
    /// one's is the initial investment), as a fraction of equity; NaN with fewer than two.
    pub fn avg_rebalance_turnover(&self) -> f64 {
        let t = &self.schedule.turnover;
        if t.len() < 2 {
            return f64::NAN;
        }
        t[1..].iter().sum::<f64>() / (t.len() - 1) as f64
    }

    /// The log as readable lines, each with its row: member indices are replaced by names.
    pub fn log_lines(&self) -> Vec<(usize, String)> {
        self.schedule
            .log
            .iter()
            .map(|e| match e {
                LogEntry::Note { row, note } => (*row, self.note_text(note)),
                LogEntry::Fallback { row, record } => (*row, self.fallback_text(record)),
            })
            .collect()
    }

    /// The fallbacks grouped by (cause, step taken), in order of first occurrence: what a user
    /// reads instead of one line per rebalance.
    pub fn fallback_groups(&self) -> Vec<FallbackGroup> {
        let mut out: Vec<FallbackGroup> = vec![];
        for e in &self.schedule.log {
            let LogEntry::Fallback { row, record } = e else { continue };
            let cause = cause_kind(&record.cause);
            let step = record.step.name();
            match out.iter_mut().find(|g| g.cause == cause && g.step == step) {
                Some(g) => {
                    g.count += 1;
                    g.last_row = *row;
                }
                None => out.push(FallbackGroup { cause, step, count: 1, first_row: *row, last_row: *row, example: self.fallback_text(record) }),
            }
        }
        out
    }

    /// One fallback as text: the method's error, the step taken, and the steps that failed.
    fn fallback_text(&self, record: &strat_stdlib::weighting::FallbackRecord) -> String {
        let mut s = format!("{} failed: {}; used {}", self.method, self.error_text(&record.cause), record.step.name());
        for (step, err) in &record.skipped {
            s.push_str(&format!(" ({} failed: {})", step.name(), self.error_text(err)));
        }
        s
    }

    fn names(&self, idx: &[usize]) -> String {
        idx.iter().map(|&j| self.members.get(j).cloned().unwrap_or_else(|| format!("#{j}"))).collect::<Vec<_>>().join(", ")
    }

    fn error_text(&self, e: &WeightError) -> String {
        match e {
            WeightError::NanReturns { assets } => format!("insufficient history for {} (no return on some rows of the window)", self.names(assets)),
            other => other.to_string(),
        }
    }

    fn note_text(&self, n: &Note) -> String {
        match n {
            Note::DiagonalCovariance { rows, assets } => format!("{rows} returns for {assets} members: the covariance was reduced to its diagonal"),
            Note::MaxSharpeToMinVar => "no positive Sharpe ratio reachable: max_sharpe used min_var".into(),
            Note::KellyLeverage(l) => format!("Kelly leverage {l:.4}"),
            Note::LeverageCapped { gross, cap } => format!("gross exposure {gross:.4} capped at max_leverage {cap}"),
            Note::ShortHistoryExcluded(out) => format!("{} left out: fewer than min_history returns", self.names(out)),
            Note::DrawdownFiltered(out) => format!("{} excluded by the max_drawdown filter", self.names(out)),
            Note::VolTargeted { vol, scale } => format!("portfolio vol {vol:.4} scaled by {scale:.4} to the vol target"),
            Note::UndefinedRegimeSharpe(pairs) => {
                let experts: Vec<usize> = pairs.iter().map(|p| p.1).collect();
                format!("undefined Sharpe ratio in the current regime for {} (counted as 0)", self.names(&experts))
            }
        }
    }
}

/// Fallbacks of one kind: `count` rebalances from `first_row` to `last_row` whose method
/// failed with `cause` and took fallback `step`; `example` is the first one's log line.
#[derive(Debug, Clone, PartialEq)]
pub struct FallbackGroup {
    /// The kind of failure (`insufficient history`, `singular covariance`, ...).
    pub cause: &'static str,
    /// The step taken (`sharpe_proportional`, `equal`, `previous`, `cash`).
    pub step: &'static str,
    /// How many rebalances.
    pub count: usize,
    /// Row of the first.
    pub first_row: usize,
    /// Row of the last.
    pub last_row: usize,
    /// The first one's full log line.
    pub example: String,
}

impl FallbackGroup {
    /// When it happened, with `date` naming a row: `2006-03-31`, or `2006-03-31 .. 2006-04-28`.
    pub fn when(&self, date: impl Fn(usize) -> String) -> String {
        if self.count == 1 {
            date(self.first_row)
        } else {
            format!("{} .. {}", date(self.first_row), date(self.last_row))
        }
    }
}

/// A short name for the kind of a method's failure.
fn cause_kind(e: &WeightError) -> &'static str {
    match e {
        WeightError::InsufficientHistory { .. } | WeightError::NanReturns { .. } => "insufficient history",
        WeightError::SingularCovariance { .. } => "singular covariance",
        WeightError::Infeasible(_) => "infeasible constraint set",
        WeightError::NoPositiveSharpe => "no positive Sharpe ratio",
        WeightError::SolverFailed { .. } => "solver failure",
        WeightError::NotConverged { .. } => "no convergence",
        WeightError::NoPrevious => "no previous weights",
        WeightError::NonFiniteWeights { .. } => "non-finite weights",
        WeightError::InvalidInput(_) => "invalid input",
    }
}

/// Simple returns of an asset-major price panel (`n` assets of `rows` bars): `rows x n`, row 0
/// NaN, NaN where either price is missing.
pub fn universe_returns(price: &[f64], rows: usize, n: usize) -> Array2<f64> {
    let mut r = Array2::from_elem((rows, n), f64::NAN);
    for j in 0..n {
        let p = &price[j * rows..(j + 1) * rows];
        for t in 1..rows {
            r[[t, j]] = p[t] / p[t - 1] - 1.0;
        }
    }
    r
}

/// The sleeves' return series as a `rows x N` matrix: each sleeve's (cost-free) returns on the
/// rows it is evaluated, NaN before it is live.
pub fn sleeve_returns(sleeves: &[&Backtest], rows: usize) -> Array2<f64> {
    let mut r = Array2::from_elem((rows, sleeves.len()), f64::NAN);
    for (k, b) in sleeves.iter().enumerate() {
        for (i, t) in b.rows.clone().enumerate() {
            r[[t, k]] = b.returns[i];
        }
    }
    r
}

/// Everything [`run_weights`] needs besides the declaration.
pub struct WeightsInput<'a> {
    /// The members' returns (`rows x N`).
    pub returns: ArrayView2<'a, f64>,
    /// Calendar rebalance flags (`rows`) for monthly / weekly; `None` for `every N`.
    pub calendar: Option<&'a [bool]>,
    /// One value per declared param.
    pub params: &'a [f64],
    /// The value (arm index; NaN would mean undefined) of each regime per row, for `regime_moe`: indexed
    /// by regime; `None` for regimes the method does not read.
    pub regimes: &'a [Option<Vec<f64>>],
    /// The arm count of each regime.
    pub regime_arms: &'a [usize],
    /// Periods per year (the regime MoE annualises its Sharpe ratios with it).
    pub annualize: f64,
}

/// Runs `decl` for one binding.
///
/// Errors: [`RunError::Study`] for an option value out of range under this binding (a param
/// such as `max_weight 0` or a fractional lookback), naming the declaration and the option.
/// A method that fails at a rebalance is not an error: the fallback chain decides, logged.
pub fn run_weights(decl: &WeightsDecl, input: &WeightsInput) -> Result<WeightsRun, RunError> {
    let p = input.params;
    let bad = |what: &str, v: f64| out_of_range(decl, what, v);
    let lookback = checked(decl, "lookback", decl.lookback.value(p), OptionRange::WINDOW)? as usize;
    let chosen = match &decl.method {
        MethodChoice::Fixed(m) => m.clone(),
        MethodChoice::Param { param, methods } => {
            let i = p.get(*param).copied().unwrap_or(f64::NAN);
            match methods.get(i as usize) {
                Some(m) if i >= 0.0 && i.fract() == 0.0 => m.clone(),
                _ => return Err(bad("the method choice", i)),
            }
        }
    };
    let method = stdlib_method(&chosen, decl, input)?;
    // An option left out takes its default; one given is checked under this binding.
    let opt = |what: &str, o: Option<OptValue>, range: OptionRange| o.map(|v| checked(decl, what, v.value(p), range)).transpose();
    let max_weight = opt("max_weight", decl.max_weight, OptionRange::UNIT)?.unwrap_or(1.0);
    let min_weight = opt("min_weight", decl.min_weight, OptionRange::MIN_WEIGHT)?.unwrap_or(0.0);
    let smoothing = opt("smooth ewma", decl.smoothing, OptionRange::UNIT)?.unwrap_or(1.0);
    let turnover_cap = opt("turnover", decl.turnover, OptionRange::POSITIVE)?;
    let max_leverage = opt("max_leverage", decl.max_leverage, OptionRange::POSITIVE)?;
    let min_history = opt("min_history", decl.min_history, OptionRange::WINDOW)?;
    let min_active = opt("min_active", decl.min_active, OptionRange::COUNT)?;
    let max_drawdown = opt("max_drawdown", decl.max_drawdown, OptionRange::UNIT)?;
    let vol_target = opt("vol_target", decl.vol_target, OptionRange::POSITIVE)?;
    let covariance = match decl.covariance {
        CovarianceChoice::Sample => CovEstimator::Sample,
        CovarianceChoice::LedoitWolf => CovEstimator::LedoitWolf,
        CovarianceChoice::Ewma { span } => CovEstimator::Ewma { span: checked(decl, "the EWMA span", span.value(p), OptionRange::SPAN)? },
    };
    let opts = WeightOptions {
        covariance,
        bounds: Bounds { min_weight, max_weight },
        smoothing,
        turnover_cap,
        // Kelly caps its own leverage (at max_leverage, default 2).
        max_leverage: if matches!(method, Method::Kelly { .. }) { None } else { max_leverage },
        fallback: decl
            .fallback
            .iter()
            .map(|f| match f {
                FallbackChoice::SharpeProportional => FallbackStep::SharpeProportional,
                FallbackChoice::Equal => FallbackStep::Equal,
                FallbackChoice::Previous => FallbackStep::Previous,
            })
            .collect(),
        min_history: min_history.map(|k| k as usize),
        min_active: min_active.map(|k| k as usize),
        max_drawdown,
        vol_target: vol_target.map(|vol| VolTarget { vol, annualize: input.annualize }),
    };
    let rows = input.returns.nrows();
    let flags = match input.calendar {
        Some(c) => c.to_vec(),
        None => {
            let n = match decl.rebalance {
                strat_compiler::program::RebalanceRule::Every(n) => n,
                _ => 1,
            };
            let first = (0..rows).find(|&t| input.returns.row(t).iter().any(|v| !v.is_nan())).unwrap_or(rows);
            every_n(rows, (first + lookback - 1).min(rows), n)
        }
    };
    let schedule = rebalance(input.returns, &flags, lookback, &method, &opts).map_err(|e| RunError::Study(format!("weights `{}`: {e}", decl.name)))?;
    let panel = held_panel(&schedule);
    Ok(WeightsRun { name: decl.name.clone(), members: decl.member_names.clone(), method: chosen.name(), schedule, panel })
}

/// The error of option `what` of `decl` taking `v` under this binding.
fn out_of_range(decl: &WeightsDecl, what: &str, v: f64) -> RunError {
    RunError::Study(format!("weights `{}`: {what} = {v} is out of range", decl.name))
}

/// `v` if `range` accepts it (the checker's range for the option), else [`out_of_range`].
fn checked(decl: &WeightsDecl, what: &str, v: f64, range: OptionRange) -> Result<f64, RunError> {
    if range.contains(v) {
        Ok(v)
    } else {
        Err(out_of_range(decl, what, v))
    }
}

/// The stdlib method for a checked one, with this binding's option values.
fn stdlib_method(m: &WeightMethod, decl: &WeightsDecl, input: &WeightsInput) -> Result<Method, RunError> {
    let p = input.params;
    Ok(match m {
        WeightMethod::InvVol => Method::InvVol,
        WeightMethod::Erc => Method::Erc,
        WeightMethod::Hrp { ward } => Method::Hrp(if *ward { Linkage::Ward } else { Linkage::Single }),
        WeightMethod::MinVar => Method::MinVar,
        WeightMethod::MaxSharpe => Method::MaxSharpe,
        WeightMethod::Kelly { base, fraction } => {
            let f = checked(decl, "the Kelly fraction", fraction.value(p), OptionRange::UNIT)?;
            let cap = decl.max_leverage.map(|v| v.value(p)).unwrap_or(2.0);
            Method::Kelly { base: Box::new(stdlib_method(base, decl, input)?), kelly: KellyOptions { fraction: f, max_leverage: cap } }
        }
        WeightMethod::RegimeMoe { regime, tau } => {
            let tau = checked(decl, "tau", tau.value(p), OptionRange::POSITIVE)?;
            let values = input
                .regimes
                .get(*regime)
                .and_then(|v| v.as_ref())
                .ok_or_else(|| RunError::Study(format!("weights `{}`: the regime was not evaluated", decl.name)))?;
            Method::RegimeMoe(regime_spec(values, input.regime_arms.get(*regime).copied().unwrap_or(0), tau, input.annualize))
        }
    })
}

/// The mixture-of-experts spec of a regime series (arm index per row; a NaN or out-of-range
/// value, which checked programs do not produce, counts as undefined).
///
/// The return of row `t` was earned under the regime decided at the close of `t-1`, so it is
/// labelled with that regime; rows whose regime is undefined get an extra label `arms` that no
/// blend uses. The blend at a decision row `t` puts probability 1 on the regime at `t`; when
/// that regime is undefined the probabilities are all 0 and the method fails to the fallback.
pub fn regime_spec(values: &[f64], arms: usize, tau: f64, annualize: f64) -> RegimeMoe {
    let rows = values.len();
    let label = |v: f64| if v.is_nan() || v < 0.0 || v as usize >= arms { arms } else { v as usize };
    let regimes = (0..rows).map(|t| if t == 0 { arms } else { label(values[t - 1]) }).collect();
    let mut probs = Array2::zeros((rows, arms + 1));
    for (t, &v) in values.iter().enumerate() {
        let r = label(v);
        if r < arms {
            probs[[t, r]] = 1.0;
        }
    }
    RegimeMoe { regimes, probs, tau, annualize }
}
