use super::*;

#[test]
fn timing_costs_and_first_live_row() {
    // Prices 100, 110, 99, 99, 108.9; weight NaN (warm-up) on row 0, then 1, 0.5, 0.5, 1.
    let price = [100.0, 110.0, 99.0, 99.0, 108.9];
    let weight = [f64::NAN, 1.0, 0.5, 0.5, 1.0];
    let bt = backtest(&BacktestInput {
        price: &price,
        assets: 1,
        weight: &weight,
        weight_warmup: 0,
        rebalance: None,
        cost_rate: 0.001,
        asset_returns: None,
        benchmark: Some(&price),
        periods_per_year: 252.0,
    })
    .unwrap();
    assert_eq!(bt.first_live, 1);
    assert_eq!(bt.rows, 2..5);
    // Row 2 return: w[1] = 1 earns 99/110 - 1, minus the entry cost 0.001 * |1 - 0|.
    let r2 = 1.0 * (99.0 / 110.0 - 1.0) - 0.001 * 1.0;
    // Row 3: w[2] = 0.5 earns 0, minus cost 0.001 * 0.5.
    let r3 = 0.5 * (99.0 / 99.0 - 1.0) - 0.001 * 0.5;
    // Row 4: w[3] = 0.5 earns 108.9/99 - 1, no turnover.
    let r4 = 0.5 * (108.9 / 99.0 - 1.0) - 0.0;
    assert_eq!(bt.returns, vec![r2, r3, r4]);
    assert_eq!(bt.benchmark_returns.clone().unwrap(), vec![99.0 / 110.0 - 1.0, 0.0, 108.9 / 99.0 - 1.0]);
    let bool_col = [0.0, 1.0, 0.0, 1.0, 1.0];
    // Decision rows 1..=3: 1, 0, 1.
    assert_eq!(report_mean(&bool_col, &bt), 2.0 / 3.0);
}

#[test]
fn warmup_delays_the_first_live_row_even_when_the_weight_is_defined() {
    let price = [1.0, 2.0, 3.0, 4.0];
    let weight = [1.0, 1.0, 1.0, 1.0];
    let bt = backtest(&BacktestInput {
        price: &price,
        assets: 1,
        weight: &weight,
        weight_warmup: 2,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    })
    .unwrap();
    assert_eq!(bt.first_live, 2);
    assert_eq!(bt.returns, vec![4.0 / 3.0 - 1.0]);
    assert!(backtest(&BacktestInput {
        price: &price,
        assets: 1,
        weight: &[f64::NAN; 4],
        weight_warmup: 0,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0
    })
    .is_err());
}

#[test]
fn panel_with_late_asset_and_monthly_rebalance() {
    // Two assets, 5 rows; asset 1 has no price on rows 0-1. Rebalance on rows 1 and 3.
    let price = [10.0, 11.0, 12.0, 12.0, 13.2, f64::NAN, f64::NAN, 20.0, 22.0, 11.0];
    let weight = [0.5, 0.5, 0.6, 0.7, 0.8, 0.5, 0.5, 0.5, 0.4, 0.3];
    let flags = [false, true, false, true, true];
    let bt = backtest(&BacktestInput {
        price: &price,
        assets: 2,
        weight: &weight,
        weight_warmup: 0,
        rebalance: Some(&flags),
        cost_rate: 0.01,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    })
    .unwrap();
    assert_eq!(bt.first_live, 1);
    // Held: row 1 target (0.5, 0.5) but asset 1 has no price on row 1 -> (0.5, 0); row 2
    // keeps row 1's targets -> (0.5, 0.5); row 3 rebalances -> (0.7, 0.4); row 4 -> (0.8, 0.3).
    assert_eq!(bt.weights, vec![0.0, 0.5, 0.5, 0.7, 0.8, 0.0, 0.0, 0.5, 0.4, 0.3]);
    let d = |a: f64, b: f64| (a - b).abs();
    assert_eq!(bt.turnover, vec![0.0, 0.5 + 0.0, d(0.5, 0.5) + d(0.5, 0.0), d(0.7, 0.5) + d(0.4, 0.5), d(0.8, 0.7) + d(0.3, 0.4)]);
    let r2 = 0.5 * (12.0 / 11.0 - 1.0) - 0.01 * 0.5;
    let r3 = (0.5 * (12.0 / 12.0 - 1.0) + 0.5 * (22.0 / 20.0 - 1.0)) - 0.01 * bt.turnover[2];
    assert_eq!(bt.returns[0], r2);
    assert_eq!(bt.returns[1], r3);
    assert_eq!(bt.avg_turnover(), (0.5 + 0.5 + bt.turnover[3]) / 3.0);
}
/// The figures of a summary, bit for bit.
fn summary_bits(s: &Summary) -> Vec<u64> {
    let m = s.metrics;
    let v = [
        m.total_return,
        m.cagr,
        m.ann_vol,
        m.sharpe,
        m.sortino,
        m.max_drawdown,
        m.calmar,
        m.var_95,
        m.cvar_95,
        m.omega,
        m.avg_exposure,
        s.avg_turnover,
        s.information_ratio,
    ];
    v.iter().map(|x| x.to_bits()).collect()
}

/// The summary of a full backtest, for comparison with the lean paths.
fn summary_of(bt: &Backtest) -> Summary {
    Summary::of(bt)
}

/// A deterministic pseudo-random price panel (`assets` x `rows`, asset-major) with gaps.
fn panel(assets: usize, rows: usize, seed: u64) -> Vec<f64> {
    let mut s = seed;
    let mut next = move || {
        s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (s >> 33) as f64 / (1u64 << 31) as f64
    };
    let mut p = vec![];
    for j in 0..assets {
        let mut x = 100.0;
        for t in 0..rows {
            x *= 1.0 + (next() - 0.5) * 0.04;
            p.push(if j == 1 && t < 7 { f64::NAN } else { x });
        }
    }
    p
}

#[test]
fn lean_backtest_matches_the_full_one() {
    let (a, n) = (3, 60);
    let price = panel(a, n, 7);
    let bench: Vec<f64> = price[..n].to_vec();
    let weight: Vec<f64> = (0..a * n).map(|i| if i % n < 4 || i % 11 == 0 { f64::NAN } else { ((i * 7 % 13) as f64 - 6.0) / 10.0 }).collect();
    let flags: Vec<bool> = (0..n).map(|t| t % 5 == 4).collect();
    let series: Vec<f64> = (0..n).map(|t| (t % 3) as f64 * 0.4 - 0.2).collect();
    for (w, rebalance) in [(&weight, None), (&weight, Some(&flags[..])), (&series, None)] {
        let input = BacktestInput {
            price: &price,
            assets: a,
            weight: w,
            weight_warmup: 2,
            rebalance,
            cost_rate: 0.001,
            asset_returns: None,
            benchmark: Some(&bench),
            periods_per_year: 252.0,
        };
        let full = backtest(&input).unwrap();
        let lean = backtest_summary(&input, None).unwrap();
        let returns = asset_returns(&price, a);
        let given = backtest_summary(&BacktestInput { asset_returns: Some(&returns), ..input }, None).unwrap();
        assert_eq!(summary_bits(&given), summary_bits(&lean));
        assert_eq!((lean.first_live, &lean.rows), (full.first_live, &full.rows));
        assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
    }
    let mut inf = weight.clone();
    inf[n + 30] = f64::INFINITY;
    inf[2 * n + 20] = f64::NEG_INFINITY;
    let input = BacktestInput {
        price: &price,
        assets: a,
        weight: &inf,
        weight_warmup: 2,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    };
    assert_eq!(backtest_summary(&input, None), Err(BacktestError::InfiniteWeight { row: 20, asset: 2 }));
    assert_eq!(backtest(&input).map(|b| b.first_live), Err(BacktestError::InfiniteWeight { row: 20, asset: 2 }));
}

#[test]
fn ruin_closes_the_book_and_the_lean_path_agrees() {
    // Prices 100, 110, 44, 66, 66 held at weight 2, no cost: E = 1.2 after row 1, then
    // 1.2 * (1 + 2 * (44/110 - 1)) < 0 on row 2: the book is closed there.
    let price = [100.0, 110.0, 44.0, 66.0, 66.0];
    let weight = [2.0; 5];
    let input = BacktestInput {
        price: &price,
        assets: 1,
        weight: &weight,
        weight_warmup: 0,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: Some(&price),
        periods_per_year: 252.0,
    };
    let bt = backtest(&input).unwrap();
    let (r1, r2) = (2.0 * (110.0 / 100.0 - 1.0), 2.0 * (44.0 / 110.0 - 1.0));
    assert_eq!(bt.ruin, Some(2));
    assert_eq!(bt.returns, vec![r1, r2, 0.0, 0.0]);
    let e2 = (1.0 + r1) * (1.0 + r2);
    assert!(e2 < 0.0);
    assert_eq!(bt.equity, vec![1.0 + r1, e2, e2, e2]);
    assert_eq!(bt.weights, vec![2.0, 2.0, 0.0, 0.0, 0.0]);
    // The closing trade on row 2 is turnover; nothing after it.
    assert_eq!(bt.turnover, vec![2.0, 0.0, 2.0, 0.0, 0.0]);
    assert_eq!(bt.exposure, vec![2.0, 2.0, 0.0, 0.0]);
    assert_eq!(bt.metrics.cagr, -1.0);
    assert_eq!(bt.metrics.total_return, e2 - 1.0);
    assert_eq!(bt.metrics.avg_exposure, 1.0);
    let lean = backtest_summary(&input, None).unwrap();
    assert_eq!(lean.ruin, Some(2));
    assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&bt)));
    // A sleeve's own path is not closed.
    let sleeve = sleeve_backtest(&input).unwrap();
    assert_eq!(sleeve.ruin, None);
    assert_eq!(sleeve.returns[2], 2.0 * (66.0 / 44.0 - 1.0));
    // A cost that takes a return below -100 % is ruin too, with finite metrics.
    let cost = BacktestInput { cost_rate: 1e296, ..input };
    let bt = backtest(&cost).unwrap();
    assert_eq!(bt.ruin, Some(1));
    assert!(bt.returns[1..].iter().all(|&r| r == 0.0));
    assert_eq!(bt.metrics.cagr, -1.0);
}

#[test]
fn non_finite_values_are_errors_naming_row_and_asset() {
    // A weight of 1e300 on a price that doubles twice: the equity overflows on row 2.
    let price = [1.0, 2.0, 4.0, 8.0];
    let big = [1e300; 4];
    let input = BacktestInput {
        price: &price,
        assets: 1,
        weight: &big,
        weight_warmup: 0,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    };
    assert_eq!(backtest(&input).map(|b| b.ruin), Err(BacktestError::NonFiniteEquity { row: 2 }));
    assert_eq!(backtest_summary(&input, None).map(|s| s.ruin), Err(BacktestError::NonFiniteEquity { row: 2 }));
    // A return that overflows: asset 1's price jumps from 1e-300 to 1e300, held at 1.
    let panel = [1.0, 1.0, 1.0, 1e-300, 1e300, 1e300];
    let w = [0.5; 6];
    let input = BacktestInput {
        price: &panel,
        assets: 2,
        weight: &w,
        weight_warmup: 0,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    };
    assert_eq!(backtest(&input).map(|b| b.ruin), Err(BacktestError::NonFiniteReturn { row: 1, asset: Some(1), value: f64::INFINITY }));
    assert_eq!(backtest_summary(&input, None).map(|s| s.ruin), Err(BacktestError::NonFiniteReturn { row: 1, asset: Some(1), value: f64::INFINITY }));
    // NaN on every row after the warm-up.
    let nan = [f64::NAN; 4];
    let input = BacktestInput {
        price: &price,
        assets: 1,
        weight: &nan,
        weight_warmup: 1,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    };
    assert_eq!(backtest(&input).map(|b| b.ruin), Err(BacktestError::AllNaN { warmup: 1 }));
    let late = BacktestInput { weight_warmup: 9, ..input };
    assert_eq!(backtest(&late).map(|b| b.ruin), Err(BacktestError::NeverLive { warmup: 9, rows: 4 }));
}

#[test]
fn ruin_of_an_ensemble_and_of_a_sleeve_book() {
    let price = [100.0, 110.0, 44.0, 66.0, 66.0];
    let one = [1.0; 5];
    let s = backtest(&BacktestInput {
        price: &price,
        assets: 1,
        weight: &one,
        weight_warmup: 0,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    })
    .unwrap();
    // One arm allocating 2 to the sleeve: the ensemble is the hold at weight 2.
    let regime = [0.0; 5];
    let arms = vec![vec![(0, 2.0)]];
    let full = ensemble(&regime, 0, &[&s], &arms, Some(&price), 252.0).unwrap();
    assert_eq!(full.ruin, Some(2));
    assert_eq!(&full.returns[2..], &[0.0, 0.0]);
    assert_eq!(full.weights, vec![2.0, 2.0, 0.0, 0.0, 0.0]);
    let lean = ensemble_summary(&regime, 0, &[&s], &arms, Some(&price), 252.0, None).unwrap();
    assert_eq!(lean.ruin, Some(2));
    assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
    let alloc = [2.0; 5];
    let book = sleeve_book(&alloc, &[&s], None, 252.0, None).unwrap();
    assert_eq!(book.ruin, Some(2));
    assert_eq!(book.equity[1..], [book.equity[1]; 3]);
    assert_eq!(book.turnover, vec![2.0, 0.0, 2.0, 0.0, 0.0]);
}

#[test]
fn lean_ensemble_matches_the_full_one() {
    let (a, n) = (2, 80);
    let price = panel(a, n, 11);
    let sleeve = |w: f64, warmup: usize| {
        let weight = vec![w; a * n];
        backtest(&BacktestInput {
            price: &price,
            assets: a,
            weight: &weight,
            weight_warmup: warmup,
            rebalance: None,
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        })
        .unwrap()
    };
    let (s0, s1, s2) = (sleeve(0.5, 3), sleeve(-0.25, 9), sleeve(1.0, 0));
    let sleeves = [&s0, &s1, &s2];
    // Runs of arms, a NaN row, an arm index past the arms (cash), and a sleeve listed twice.
    let regime: Vec<f64> = (0..n)
        .map(|t| {
            if t == 30 {
                f64::NAN
            } else if t == 50 {
                7.0
            } else {
                ((t / 6) % 3) as f64
            }
        })
        .collect();
    let arms = vec![vec![(0, 0.6), (1, 0.4)], vec![(2, 0.9), (2, 0.05), (0, 0.1)], vec![]];
    let bench: Vec<f64> = price[n..].to_vec();
    let full = ensemble(&regime, 12, &sleeves, &arms, Some(&bench), 252.0).unwrap();
    let lean = ensemble_summary(&regime, 12, &sleeves, &arms, Some(&bench), 252.0, None).unwrap();
    assert_eq!((lean.first_live, &lean.rows), (full.first_live, &full.rows));
    assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
}

/// The fused one-asset lean path of `backtest_summary` gives the full backtest's figures bit
/// for bit: with and without a rebalance schedule, NaN targets, a gap in the prices, given
/// returns, costs; an infinite target and a ruin fall back to the full path.
#[test]
fn one_asset_lean_path_matches_the_full_one() {
    let n = 80;
    let mut price = panel(2, n, 11)[n..].to_vec(); // the second asset: NaN on rows 0..7
    price[40] = f64::NAN;
    let bench = panel(1, n, 3);
    let weight: Vec<f64> = (0..n).map(|t| if t < 9 || t % 13 == 0 { f64::NAN } else { ((t * 7 % 11) as f64 - 3.0) / 4.0 }).collect();
    let flags: Vec<bool> = (0..n).map(|t| t % 6 == 5).collect();
    let returns = asset_returns(&price, 1);
    for rebalance in [None, Some(&flags[..])] {
        for given in [None, Some(&returns[..])] {
            for cost_rate in [0.0, 0.0025] {
                let input = BacktestInput {
                    price: &price,
                    assets: 1,
                    weight: &weight,
                    weight_warmup: 3,
                    rebalance,
                    cost_rate,
                    asset_returns: given,
                    benchmark: Some(&bench),
                    periods_per_year: 252.0,
                };
                let full = backtest(&input).unwrap();
                let lean = backtest_summary(&input, None).unwrap();
                assert_eq!((lean.first_live, &lean.rows), (full.first_live, &full.rows));
                assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&full)));
            }
        }
    }
    let mut inf = weight.clone();
    inf[50] = f64::INFINITY;
    let input = BacktestInput {
        price: &price,
        assets: 1,
        weight: &inf,
        weight_warmup: 3,
        rebalance: None,
        cost_rate: 0.0,
        asset_returns: None,
        benchmark: None,
        periods_per_year: 252.0,
    };
    assert_eq!(backtest_summary(&input, None), Err(BacktestError::InfiniteWeight { row: 50, asset: 0 }));
    // Leverage 30 on a 4 % fall: ruin, reported by the full path.
    let crash = [100.0, 101.0, 96.0, 97.0, 98.0];
    let input = BacktestInput { price: &crash, weight: &[30.0; 5], weight_warmup: 0, benchmark: None, ..input };
    let lean = backtest_summary(&input, None).unwrap();
    assert_eq!(lean.ruin, Some(2));
    assert_eq!(summary_bits(&lean), summary_bits(&summary_of(&backtest(&input).unwrap())));
}
