//! The monthly rebalance driver against an independent Python
//! re-implementation of SEMANTICS.md §6 on the 8 ETFs over 2015
//! (2014-12-31 ..= 2015-12-31, 253 rows, returns from row 1): month-end rows
//! with a full 60-return window (rows 61, 82, ..., 252), targets from the
//! exact solutions of `weighting_reference.rs` (numpy inv-vol, Newton ERC,
//! PyPortfolioOpt 1.6 HRP, enumerated KKT min-var / max-Sharpe, fractional
//! Kelly 0.25 capped at 2 on max-Sharpe), `v = 0.5 target + 0.5 prev`, the
//! step scaled to `||v - prev||_1 <= 0.2`, the first rebalance as is.
//! Expected held weights at each rebalance row are the Python output.

#[path = "weighting_data.rs"]
mod data;
#[path = "weighting_expected.rs"]
mod expected;

use data::{returns, year_months, COLS8, PRICES_2015};
use expected::*;
use ndarray::s;
use strat_stdlib::weighting::{month_end_flags, rebalance_monthly, KellyOptions, Linkage, LogEntry, Method, Note, WeightOptions};

fn run(method: &Method) -> strat_stdlib::weighting::Schedule {
    let r = returns(PRICES_2015, &COLS8);
    let flags = month_end_flags(&year_months(PRICES_2015));
    rebalance_monthly(r.view(), &flags, 60, method, &WeightOptions::default()).unwrap()
}

fn check_path(method: Method, want: &[f64]) {
    let sched = run(&method);
    let name = method.name();
    assert_eq!(sched.rebalance_rows, REBALANCE_ROWS, "{name}: rebalance rows");
    let n = 8;
    for (k, &t) in REBALANCE_ROWS.iter().enumerate() {
        let got = sched.weights.row(t);
        let exp = &want[k * n..(k + 1) * n];
        for j in 0..n {
            assert!((got[j] - exp[j]).abs() <= 1e-12, "{name} row {t} asset {j}: got {}, want {}", got[j], exp[j]);
        }
        // Held constant until the next rebalance (or the end).
        let end = REBALANCE_ROWS.get(k + 1).copied().unwrap_or(sched.weights.nrows());
        for u in t..end {
            assert_eq!(sched.weights.row(u), got, "{name}: row {u} differs from row {t}");
        }
        if k > 0 {
            assert!(sched.turnover[k] <= 0.2 + 1e-15, "{name}: turnover {}", sched.turnover[k]);
        }
    }
    // Not live before the first rebalance: weights 0.
    assert!(sched.weights.slice(s![..REBALANCE_ROWS[0], ..]).iter().all(|v| *v == 0.0));
    // The first rebalance takes its target as is.
    assert_eq!(sched.targets.row(0), sched.weights.row(REBALANCE_ROWS[0]));
    assert!(sched.log.iter().all(|e| !matches!(e, LogEntry::Fallback { .. })), "{name}: unexpected fallback {:?}", sched.log);
}

#[test]
fn inv_vol_path() {
    check_path(Method::InvVol, HELD_INV_VOL);
}

#[test]
fn erc_path() {
    check_path(Method::Erc, HELD_ERC);
}

#[test]
fn hrp_path() {
    check_path(Method::Hrp(Linkage::Single), HELD_HRP_SINGLE);
}

#[test]
fn min_var_path() {
    check_path(Method::MinVar, HELD_MIN_VAR);
}

#[test]
fn max_sharpe_path() {
    check_path(Method::MaxSharpe, HELD_MAX_SHARPE);
}

#[test]
fn kelly_max_sharpe_path_and_leverage_notes() {
    let method = Method::Kelly { base: Box::new(Method::MaxSharpe), kelly: KellyOptions::default() };
    check_path(method.clone(), HELD_KELLY_MAX_SHARPE);
    let sched = run(&method);
    let leverages = sched.log.iter().filter(|e| matches!(e, LogEntry::Note { note: Note::KellyLeverage(_), .. })).count();
    assert_eq!(leverages, REBALANCE_ROWS.len());
}

// ---- expected values (Python output; see the module doc) ----
