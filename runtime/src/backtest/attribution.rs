//! Return and risk attribution of a combined book to its sleeves (spec/semantics.md §5,
//! "Attribution").
//!
//! On each evaluated row `t`, sleeve `k` contributes `c_k[t] = a'_k[t-1] * s_k[t]`: the
//! allocation held from the close of `t-1` (after the portfolio stage's scale, 0 once the book
//! is ruined) times the sleeve's own return (0 where the sleeve is not live). The trade costs
//! contribute `-cost[t-1]`, and the rest of the book's return, `r[t] - sum_k c_k[t] + cost[t-1]`,
//! is the `cash` line (0 up to rounding unless the book earns or pays cash). The lines add up to
//! the book's return on every row, so:
//!
//! - the return contributions `mean(c) * P` add up to the annualised arithmetic mean return
//!   `mean(r) * P` (`P` = periods per year);
//! - the risk contributions `cov(c, r) / sd(r) * sqrt(P)` (sample moments, ddof = 1) add up to
//!   the annualised volatility `sd(r) * sqrt(P)` (`ann_vol`): the Euler decomposition of the
//!   standard deviation (ex-post risk attribution, e.g. Menchero & Davis, "Risk contribution is
//!   exposure times volatility times correlation", 2011).

use super::ensemble::sleeve_returns_on;
use super::Backtest;
use strat_stdlib::metrics::mean;

/// One line of an [`Attribution`]: a sleeve, the costs, or cash. Fractions (of equity, per year
/// where the name says so).
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The sleeve's name, or `costs` / `cash`.
    pub name: String,
    /// Mean allocation to the sleeve over the decision rows `t0 ..= T-2` (after the stage's
    /// scale; NaN for `costs` and `cash`).
    pub mean_allocation: f64,
    /// Annualised mean contribution to the book's return, `mean_t c[t] * P`.
    pub return_contribution: f64,
    /// Sum of the contributions over the evaluated rows (arithmetic, not compounded).
    pub total: f64,
    /// Contribution to the annualised volatility, `cov(c, r) / sd(r) * sqrt(P)` (ddof 1; NaN
    /// with fewer than 2 returns or a constant book return).
    pub risk_contribution: f64,
    /// `risk_contribution / ann_vol`: the line's share of the book's risk (the shares add up to 1).
    pub risk_share: f64,
}

/// The attribution of a combined book's returns and volatility to its sleeves, costs and cash.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribution {
    /// One line per sleeve (in the book's order), then `costs`, then `cash`.
    pub lines: Vec<Contribution>,
}

/// Attributes `book` (a combined book: its held "weights" are the allocations to `sleeves`,
/// `rows * sleeves.len()`, asset-major) to `sleeves` (named `names`), costs and cash, with
/// `periods` periods per year. See the module documentation for the formulas.
pub fn attribution(book: &Backtest, sleeves: &[&Backtest], names: &[String], periods: f64) -> Attribution {
    let rows = book.rows.clone();
    let len = rows.len();
    let s = sleeves.len();
    let n = book.weights.len().checked_div(s).unwrap_or(0);
    let mut series: Vec<(String, f64, Vec<f64>)> = vec![];
    let mut rest = book.returns.clone();
    for (k, sleeve) in sleeves.iter().enumerate() {
        let alloc = &book.weights[k * n..(k + 1) * n];
        let ret = if len == 0 { std::borrow::Cow::Owned(vec![]) } else { sleeve_returns_on(sleeve, rows.start, len) };
        let c: Vec<f64> = (0..len).map(|i| alloc[rows.start + i - 1] * ret[i]).collect();
        for (x, ci) in rest.iter_mut().zip(&c) {
            *x -= ci;
        }
        let held = if len == 0 { f64::NAN } else { mean(&alloc[rows.start - 1..rows.end - 1]) };
        series.push((names.get(k).cloned().unwrap_or_else(|| format!("sleeve {k}")), held, c));
    }
    let costs: Vec<f64> = (0..len).map(|i| book.cost.get(rows.start + i - 1).map_or(0.0, |c| -c)).collect();
    for (x, ci) in rest.iter_mut().zip(&costs) {
        *x -= ci;
    }
    series.push(("costs".into(), f64::NAN, costs));
    series.push(("cash".into(), f64::NAN, rest));
    let r = &book.returns;
    let mr = mean(r);
    let dev: Vec<f64> = r.iter().map(|x| x - mr).collect();
    let sd = if len < 2 { f64::NAN } else { (dev.iter().map(|d| d * d).sum::<f64>() / (len - 1) as f64).sqrt() };
    let vol = sd * periods.sqrt();
    let lines = series
        .into_iter()
        .map(|(name, held, c)| {
            let mc = mean(&c);
            let cov = if len < 2 { f64::NAN } else { c.iter().zip(&dev).map(|(ci, d)| (ci - mc) * d).sum::<f64>() / (len - 1) as f64 };
            let risk = if sd > 0.0 { cov / sd * periods.sqrt() } else { f64::NAN };
            Contribution {
                name,
                mean_allocation: held,
                return_contribution: mc * periods,
                total: c.iter().sum(),
                risk_contribution: risk,
                risk_share: if vol > 0.0 { risk / vol } else { f64::NAN },
            }
        })
        .collect();
    Attribution { lines }
}
