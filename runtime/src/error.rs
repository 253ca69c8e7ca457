//! Why a run fails: [`RunError`], span-free (the facade attaches a span to a bind error), and
//! [`locate`], which names the date and the asset of a backtest error.

use crate::backtest::BacktestError;
use crate::frame::format_date;
use strat_compiler::BindError;

/// Why a run failed.
#[derive(Debug, Clone, PartialEq)]
pub enum RunError {
    /// A parameter value does not fit the program (e.g. a window length of 2.5).
    Bind(BindError),
    /// The backtest cannot be evaluated.
    Backtest(BacktestError),
    /// The frame lacks a column the program needs (a frame not made by [`crate::load::load_data`]).
    MissingColumn(String),
    /// A study (sweep, walk-forward) cannot be carried out; the message says why.
    Study(String),
    /// The backtest met a value it cannot evaluate, located at a date and an asset (see
    /// [`locate`]): a stable diagnostic `code` (`strat::run::non_finite_weight`,
    /// `strat::run::non_finite_return`, `strat::run::failed`), the message and a help line.
    Failed {
        /// The diagnostic code.
        code: &'static str,
        /// What happened, with the date and the asset.
        message: String,
        /// What to do about it.
        help: &'static str,
    },
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Bind(e) => write!(f, "{e}"),
            RunError::Backtest(e) => write!(f, "{e}"),
            RunError::MissingColumn(c) => write!(f, "the data has no column `{c}`"),
            RunError::Study(m) => write!(f, "{m}"),
            RunError::Failed { message, .. } => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for RunError {}

/// Names the date and the asset of an error of the portfolio stage (see [`locate`]).
pub fn locate_stage(e: crate::portfolio::StageError, dates: &[i32], assets: &[String]) -> RunError {
    use crate::portfolio::StageError;
    let date = |t: usize| dates.get(t).map(|&d| format_date(d)).unwrap_or_else(|| format!("row {t}"));
    match e {
        StageError::Backtest(b) => locate(b, dates, assets, ""),
        StageError::BadCostRate { row, asset, value } => RunError::Failed {
            code: "strat::run::bad_cost_rate",
            message: format!(
                "the cost rate of {} on {} is {value} on a bar where it is traded",
                assets.get(asset).map(|a| format!("`{a}`")).unwrap_or_else(|| format!("asset {asset}")),
                date(row)
            ),
            help: "a cost rate must be a number >= 0 wherever the book trades: check its inputs on that date (a missing volume, a zero ADV, an asset listed too recently for its volatility window); `clamp` keeps a NaN, so guard the rate with a comparison, e.g. `if vol > 0 then RATE else 5bps`",
        },
        StageError::ReleaseUndefined { name } => RunError::Failed {
            code: "strat::run::release_undefined",
            message: format!("kill switch `{name}`'s release condition can never be evaluated on this data (its warm-up, or the history it reads, is as long as the run): once it trips, it can never be released"),
            help: "a release condition must be defined on some rows: check its windows and lags against the data's length, and the columns it reads",
        },
        StageError::BadScale { name, value } => RunError::Failed {
            code: "strat::run::bad_scale",
            message: format!("kill switch `{name}` has scale {value}, outside 0%..100%"),
            help: "the held weights are multiplied by the scale while the switch is on: give a fraction from 0 to 1",
        },
        StageError::BadRisk { what, value } => RunError::Failed {
            code: "strat::run::bad_risk_value",
            message: format!("{what} is {value}, outside its range"),
            help: "`target_vol` needs a target > 0, a whole lookback >= 2 and a cap > 0; a `limit` needs a bound > 0; `cash` needs a finite rate and a `financing` spread and a `borrow` fee >= 0: check the param's values",
        },
    }
}

/// Names the date and the asset of a backtest error (SEMANTICS.md: a non-finite weight or return
/// is a run error naming both): `dates` are the frame's dates (one per row), `assets` the book's
/// asset names (or its sleeves' names for a combined book), `what` a prefix naming the book
/// (`""` for the program's own, ``"sleeve `s`: "`` for a sleeve). [`BacktestError::NeverLive`]
/// stays [`RunError::Backtest`].
pub fn locate(e: BacktestError, dates: &[i32], assets: &[String], what: &str) -> RunError {
    let date = |t: usize| dates.get(t).map(|&d| format_date(d)).unwrap_or_else(|| format!("row {t}"));
    let asset = |j: usize| assets.get(j).map(|a| format!("`{a}`")).unwrap_or_else(|| format!("asset {j}"));
    const BOUND: &str = "a weight, return or cost of this size cannot be evaluated in double precision: bound the weight (e.g. `min(max(w, -10), 10)`), guard its divisions, and check the prices around this date";
    let (code, message, help) = match e {
        BacktestError::NeverLive { .. } => return RunError::Backtest(e),
        BacktestError::AllNaN { warmup } => (
            "strat::run::failed",
            format!("{what}the weight is NaN on every row after its warm-up (first at {}): it is never live", date(warmup)),
            "a NaN weight holds nothing: look for 0/0, the log or square root of a value <= 0, or an input that is empty on every row after the warm-up",
        ),
        BacktestError::InfiniteWeight { row, asset: j } => (
            "strat::run::non_finite_weight",
            format!("{what}the weight of {} is infinite on {} (a division by zero?)", asset(j), date(row)),
            "guard the division in the weight expression, e.g. `if d > 0 then x / d else 0`",
        ),
        BacktestError::NonFiniteReturn { row, asset: Some(j), value } => (
            "strat::run::non_finite_return",
            format!("{what}the return on {} is {value}: the weight of {} held from the previous close times its return is not finite", date(row), asset(j)),
            BOUND,
        ),
        BacktestError::NonFiniteReturn { row, asset: None, value } => (
            "strat::run::non_finite_return",
            format!("{what}the return on {} is {value}: the held weights times their returns, net of costs, are not finite", date(row)),
            BOUND,
        ),
        BacktestError::NonFiniteEquity { row } => (
            "strat::run::non_finite_return",
            format!("{what}the equity is no longer finite on {}: the returns compound past the largest double", date(row)),
            BOUND,
        ),
    };
    RunError::Failed { code, message, help }
}
