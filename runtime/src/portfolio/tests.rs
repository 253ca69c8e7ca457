use super::path::Leaf;
use super::*;
use strat_compiler::ops::BinaryOp;
use strat_compiler::plan::Node;
use strat_compiler::program::{OwnValue, PathExpr, PathOp};

/// `own.drawdown < -12%` and its release `own.day_return > 0`.
fn dd_trip() -> (PathExpr, PathExpr) {
    let trip = PathExpr { ops: vec![PathOp::Own(OwnValue::Drawdown), PathOp::Node(Node(0)), PathOp::Binary(BinaryOp::Lt, 0, 1)] };
    let release = PathExpr { ops: vec![PathOp::Own(OwnValue::DayReturn), PathOp::Node(Node(1)), PathOp::Binary(BinaryOp::Gt, 0, 1)] };
    (trip, release)
}

fn leaf<'a>(n: Node) -> Leaf<'a> {
    if n == Node(0) {
        Leaf::Scalar(-0.12)
    } else {
        Leaf::Scalar(0.0)
    }
}

#[test]
fn a_kill_switch_scales_the_weights_from_the_close_it_trips_and_costs_its_trades() {
    // One asset held at weight 1 from row 0; asset returns of rows 1..5.
    let r = [f64::NAN, -0.05, -0.08, 0.02, 0.03, 0.01];
    let gross: Vec<f64> = r[1..].to_vec();
    let change = vec![true, false, false, false, false, false];
    let weights = |_: usize, w: &mut [f64]| w[0] = 1.0;
    let book = BookPath { t0: 0, rows: 6, assets: 1, gross: &gross, change: &change, weights: &weights, detail: true, drift: None, asset_returns: None };
    let (trip, release) = dd_trip();
    let mut kills =
        vec![StageKill { name: "k".into(), trip: PathEval::new(&trip, &leaf, 6, 0, true), release: PathEval::new(&release, &leaf, 6, 0, true), scale: 0.5 }];
    let mut cost = StageCost::Flat(0.001);
    let out = run_stage(&book, &mut cost, &mut kills, &StageRisk::default(), &mut []).unwrap();
    // Row 0: enter at 1 (cost 0.001). Row 1: r = -0.05 - 0.001; E = 0.949, D = -5.1%.
    // Row 2: r = -0.08; E = 0.87308, D = -12.7% -> trips: weight 0.5, trade 0.5, cost 0.0005.
    // Row 3: r = 0.5 * 0.02 - 0.0005 = 0.0095 > 0, D = -11.9% -> released: back to 1, cost 0.0005.
    // Row 4: r = 0.03 - 0.0005. Row 5: r = 0.01.
    let expect = [-0.051, -0.08, 0.0095, 0.0295, 0.01];
    for (g, e) in out.returns.iter().zip(expect) {
        assert!((g - e).abs() < 1e-15, "{:?}", out.returns);
    }
    assert_eq!(out.kills[0].active, [false, false, true, false, false, false]);
    assert_eq!((out.kills[0].trips, out.kills[0].first_trip), (1, Some(2)));
    assert_eq!(out.turnover, [1.0, 0.0, 0.5, 0.5, 0.0, 0.0]);
    assert_eq!(out.exposure, [1.0, 1.0, 0.5, 1.0, 1.0]);
    assert!((out.kills[0].active_share - 0.2).abs() < 1e-15);
}

#[test]
fn a_per_asset_rate_reads_the_trade_and_a_bad_rate_is_an_error() {
    // rate = 0.001 + own.trade (so a trade of 1 costs 1 * 1.001)
    let rate = PathExpr { ops: vec![PathOp::Node(Node(0)), PathOp::Own(OwnValue::Trade), PathOp::Binary(BinaryOp::Add, 0, 1)] };
    let gross = vec![0.01, 0.01];
    let change = vec![true, false, false];
    let weights = |_: usize, w: &mut [f64]| w.copy_from_slice(&[0.5, -0.5]);
    let book = BookPath { t0: 0, rows: 3, assets: 2, gross: &gross, change: &change, weights: &weights, detail: true, drift: None, asset_returns: None };
    let l = |_: Node| Leaf::Scalar(0.001);
    let mut cost = StageCost::PerAsset(PathEval::new(&rate, &l, 3, 0, false));
    let out = run_stage(&book, &mut cost, &mut [], &StageRisk::default(), &mut []).unwrap();
    assert_eq!(out.cost[0], 2.0 * 0.5 * 0.501);
    assert_eq!(out.returns[0], 0.01 - 0.501);
    let bad = |_: Node| Leaf::Scalar(f64::NAN);
    let mut cost = StageCost::PerAsset(PathEval::new(&rate, &bad, 3, 0, false));
    let e = run_stage(&book, &mut cost, &mut [], &StageRisk::default(), &mut []);
    assert!(matches!(e, Err(StageError::BadCostRate { row: 0, asset: 0, value }) if value.is_nan()), "{e:?}");
}

#[test]
fn the_vol_target_scale_is_one_in_warm_up_then_target_over_sigma_capped() {
    let v = StageVol { target: 0.1, lookback: 2, cap: 2.0, periods: 252.0 };
    assert_eq!(vol_scale(&v, &[0.01]), 1.0);
    // [0.01, -0.01]: mean 0, sample variance 0.0002, sigma = sqrt(0.0002 * 252) = sqrt(0.0504).
    let s = vol_scale(&v, &[0.5, 0.01, -0.01]);
    assert!((s - 0.1 / 0.0504_f64.sqrt()).abs() < 1e-12, "{s}");
    // All equal: sigma 0, the cap. A tiny sigma: the cap too.
    assert_eq!(vol_scale(&v, &[0.003, 0.003]), 2.0);
    assert_eq!(vol_scale(&v, &[0.0, 1e-9]), 2.0);
}

#[test]
fn limits_scale_the_whole_book_down_gross_then_net_and_costs_follow() {
    // Two assets at 1.5 and -0.5 (gross 2, net 1) from row 0; gross 1.6 then net 0.6.
    let gross_ret = vec![0.0, 0.0, 0.0];
    let change = vec![true, false, false, false];
    let weights = |_: usize, w: &mut [f64]| w.copy_from_slice(&[1.5, -0.5]);
    let book = BookPath { t0: 0, rows: 4, assets: 2, gross: &gross_ret, change: &change, weights: &weights, detail: true, drift: None, asset_returns: None };
    let risk = StageRisk { vol: None, limits: vec![(LimitKind::Gross, 1.6), (LimitKind::Net, 0.6)], cash: None };
    let mut cost = StageCost::Flat(0.001);
    let out = run_stage(&book, &mut cost, &mut [], &risk, &mut []).unwrap();
    // Gross: s = 1.6 / 2 = 0.8 (net 0.8 > 0.6), then net: s = 0.8 * 0.6 / 0.8 = 0.6.
    assert!((out.scale[0] - 0.6).abs() < 1e-15, "{:?}", out.scale);
    assert!((out.gross[0] - 1.2).abs() < 1e-15 && (out.turnover[0] - 1.2).abs() < 1e-15, "{:?} {:?}", out.gross, out.turnover);
    assert!((out.cost[0] - 0.0012).abs() < 1e-15);
    assert_eq!(out.limits[0].bound, [true; 4]);
    assert_eq!(out.limits[1].bound, [true; 4]);
    assert_eq!((out.limits[0].bound_share, out.limits[1].bound_share), (1.0, 1.0));
    // A limit that holds does nothing.
    let risk = StageRisk { vol: None, limits: vec![(LimitKind::Gross, 2.0)], cash: None };
    let out = run_stage(&book, &mut StageCost::Flat(0.0), &mut [], &risk, &mut []).unwrap();
    assert_eq!(out.scale, [1.0; 4]);
    assert_eq!(out.limits[0].bound_share, 0.0);
    // A bad value (a param) is an error, not a panic.
    let risk = StageRisk { vol: None, limits: vec![(LimitKind::Net, 0.0)], cash: None };
    assert!(matches!(run_stage(&book, &mut StageCost::Flat(0.0), &mut [], &risk, &mut []), Err(StageError::BadRisk { .. })));
}

#[test]
fn cash_earns_on_the_balance_pays_financing_and_borrow_and_a_nan_rate_earns_nothing() {
    // Two assets held from row 0 at 1.5 and -0.2 (net 1.3: a cash balance of -0.3, short 0.2);
    // from row 2 at 0.4 and 0 (a balance of +0.6). Rates per year, 252 periods.
    let gross = vec![0.01, 0.0, 0.02, -0.01];
    let change = vec![true, false, true, false, false];
    let weights = |t: usize, w: &mut [f64]| w.copy_from_slice(if t < 2 { &[1.5, -0.2] } else { &[0.4, 0.0] });
    let book = BookPath { t0: 0, rows: 5, assets: 2, gross: &gross, change: &change, weights: &weights, detail: false, drift: None, asset_returns: None };
    let cash = StageCash { rate: vec![0.0252, f64::NAN, 0.0504, 0.0252, 0.0], financing: 0.0252, borrow: 0.0126, periods: 252.0 };
    let risk = StageRisk { cash: Some(cash), ..StageRisk::default() };
    let out = run_stage(&book, &mut StageCost::Flat(0.0), &mut [], &risk, &mut []).unwrap();
    let c = out.cash.as_ref().unwrap();
    // Row 1 (rate of row 0: 1e-4 per bar): pays 0.3 * (1e-4 + 1e-4) and 0.2 * 5e-5.
    // Row 2 (rate of row 1 missing: 0): pays 0.3 * 1e-4 (the spread only) and 0.2 * 5e-5.
    // Row 3 (rate of row 2: 2e-4 per bar): earns 0.6 * 2e-4. Row 4: earns 0.6 * 1e-4.
    let want_rf = [1e-4, 0.0, 2e-4, 1e-4];
    let want_earned = [0.0, 0.0, 0.6 * 2e-4, 0.6 * 1e-4];
    let want_fin = [0.3 * 2e-4, 0.3 * 1e-4, 0.0, 0.0];
    let want_borrow = [0.2 * 5e-5, 0.2 * 5e-5, 0.0, 0.0];
    for i in 0..4 {
        assert!((c.rf[i] - want_rf[i]).abs() < 1e-18, "rf {:?}", c.rf);
        assert!((c.earned[i] - want_earned[i]).abs() < 1e-18, "earned {:?}", c.earned);
        assert!((c.financing[i] - want_fin[i]).abs() < 1e-18, "financing {:?}", c.financing);
        assert!((c.borrow[i] - want_borrow[i]).abs() < 1e-18, "borrow {:?}", c.borrow);
        let want = gross[i] + want_earned[i] - want_fin[i] - want_borrow[i];
        assert!((out.returns[i] - want).abs() < 1e-15, "returns {:?}", out.returns);
    }
    assert_eq!((c.missing, c.first_missing), (1, Some(1)));
    // A negative spread (a param value) is a run error.
    let bad = StageRisk { cash: Some(StageCash { rate: vec![0.0; 5], financing: -0.01, borrow: 0.0, periods: 252.0 }), ..StageRisk::default() };
    assert!(matches!(run_stage(&book, &mut StageCost::Flat(0.0), &mut [], &bad, &mut []), Err(StageError::BadRisk { .. })));
}

#[test]
fn a_drifting_book_floats_in_units_keeps_a_position_with_a_missing_return_and_trades_back_on_rebalance_rows() {
    // Two assets, targets 0.5 / 0.5 on rows 0 and 3 (the rebalance rows); asset 1 has no return
    // on row 2. Flat cost 1 %, no cash.
    let rets = [f64::NAN, 0.10, -0.05, 0.02, 0.01, f64::NAN, 0.0, f64::NAN, 0.04, -0.01];
    let rebalance = [true, false, false, true, false];
    let gross = vec![0.0; 4];
    let change = vec![true, false, false, true, false];
    let weights = |_: usize, w: &mut [f64]| w.copy_from_slice(&[0.5, 0.5]);
    let drift = Drift { returns: &rets, rebalance: &rebalance };
    let book =
        BookPath { t0: 0, rows: 5, assets: 2, gross: &gross, change: &change, weights: &weights, detail: false, drift: Some(drift), asset_returns: None };
    let out = run_stage(&book, &mut StageCost::Flat(0.01), &mut [], &StageRisk::default(), &mut []).unwrap();
    // By hand, as a book of units.
    let (mut w, mut cost, mut want_w, mut want_r, mut want_tv) = ([0.5, 0.5], 0.01, vec![[0.5, 0.5]], vec![], vec![1.0]);
    for t in 1..5 {
        let r = |j: usize| if rets[j * 5 + t].is_nan() { 0.0 } else { rets[j * 5 + t] };
        let x = w[0] * r(0) + w[1] * r(1) - cost;
        let d = [w[0] * (1.0 + r(0)) / (1.0 + x), w[1] * (1.0 + r(1)) / (1.0 + x)];
        let next = if rebalance[t] { [0.5, 0.5] } else { d };
        let tv = (next[0] - d[0]).abs() + (next[1] - d[1]).abs();
        cost = 0.01 * tv;
        w = next;
        want_r.push(x);
        want_w.push(next);
        want_tv.push(tv);
    }
    for (t, ww) in want_w.iter().enumerate() {
        for (j, w) in ww.iter().enumerate() {
            assert!((out.weights[j * 5 + t] - w).abs() < 1e-15, "row {t}: {:?}", out.weights);
        }
        assert!((out.turnover[t] - want_tv[t]).abs() < 1e-15, "turnover {:?} vs {want_tv:?}", out.turnover);
    }
    for (g, e) in out.returns.iter().zip(&want_r) {
        assert!((g - e).abs() < 1e-15, "{:?} vs {want_r:?}", out.returns);
    }
    // Between rebalance rows nothing trades; on row 3 the drifted book trades back.
    assert_eq!((out.turnover[1], out.turnover[2], out.turnover[4]), (0.0, 0.0, 0.0));
    assert!(out.turnover[3] > 0.0);
}

/// `ensemble_flat` (the lean path of a sweep and a walk-forward) against the stage's figures
/// computed row by row, every row's combined weights formed in full: the same returns net of
/// costs, turnover sum and exposures, bit for bit. Sleeves that rebalance on their own
/// schedules, one netting its assets in another order, a NaN regime row, an arm index past the
/// arms (cash), two arms with the same allocation, a zero coefficient; a ruin gives `None`.
#[test]
fn an_ensembles_flat_path_equals_the_stage_row_by_row() {
    use super::book::ensemble_flat;
    use crate::backtest::{backtest, ensemble_gross, ensemble_spans, Backtest, BacktestInput};
    let (a, n) = (2, 90);
    // Two assets' prices: a drift and a wobble, different per asset.
    let price: Vec<f64> = (0..a * n).map(|i| (100.0 + (i % n) as f64 * 0.3 * (1 + i / n) as f64) * (1.0 + 0.02 * ((i * 7) as f64).sin())).collect();
    let sleeve = |scale: f64, every: usize, warmup: usize| -> Backtest {
        let weight: Vec<f64> = (0..a * n).map(|i| scale * (0.3 + 0.2 * ((i * 3) as f64).cos())).collect();
        let flags: Vec<bool> = (0..n).map(|t| t % every == 0).collect();
        let input = BacktestInput {
            price: &price,
            assets: a,
            weight: &weight,
            weight_warmup: warmup,
            rebalance: Some(&flags),
            cost_rate: 0.0,
            asset_returns: None,
            benchmark: None,
            periods_per_year: 252.0,
        };
        backtest(&input).unwrap()
    };
    let (s0, s1, s2) = (sleeve(1.0, 5, 2), sleeve(-0.5, 7, 6), sleeve(0.8, 11, 0));
    let sleeves = [&s0, &s1, &s2];
    // Sleeve 1 holds the same two assets as sleeve 0 in the other order; sleeve 2 its own.
    let index = vec![vec![0, 1], vec![1, 0], vec![2, 3]];
    let assets = 4;
    let regime: Vec<f64> = (0..n)
        .map(|t| {
            if t == 40 {
                f64::NAN
            } else if t == 61 {
                9.0
            } else {
                ((t / 4) % 4) as f64
            }
        })
        .collect();
    // Arms 2 and 3 allocate the same; arm 1 has a zero coefficient.
    let arms = |k: f64| vec![vec![(0, 0.6), (1, 0.4)], vec![(2, 0.9), (0, 0.0)], vec![(1, k), (2, 0.3)], vec![(1, k), (2, 0.3)]];
    let rate = 0.0015;
    for (k, clean) in [(0.5, true), (400.0, false)] {
        let arms = arms(k);
        let e = ensemble_spans(&regime, 8, &sleeves, &arms).unwrap();
        let flat = ensemble_flat(e, rate, &sleeves, &index, assets);
        if !clean {
            assert!(flat.is_none(), "a ruined path is left to the stage");
            continue;
        }
        let flat = flat.expect("a clean path");
        // The stage, row by row: the combined weights of every decision row in full.
        let (t0, alloc, gross_returns) = ensemble_gross(&regime, 8, &sleeves, &arms).unwrap();
        assert_eq!(flat.t0, t0);
        let rows: Vec<&[f64]> = sleeves.iter().map(|b| b.weights_row_major()).collect();
        let weights = |t: usize| {
            let mut w = vec![0.0; assets];
            for (k, ix) in index.iter().enumerate() {
                let ak = alloc[k * n + t];
                if ak != 0.0 {
                    for (i, &g) in ix.iter().enumerate() {
                        w[g] += ak * rows[k][t * a + i];
                    }
                }
            }
            w
        };
        let (mut held, mut turnover, mut exposure, mut returns) = (vec![0.0; assets], 0.0, vec![], gross_returns.clone());
        for t in t0..n - 1 {
            let w = weights(t);
            let (tv, g) = turnover_and_gross(&w, &held);
            held = w;
            turnover += tv;
            exposure.push(g);
            returns[t - t0] -= rate * tv;
        }
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&flat.returns), bits(&returns), "returns net of costs");
        assert_eq!(flat.turnover.to_bits(), turnover.to_bits(), "turnover");
        assert_eq!(bits(&flat.exposure()), bits(&exposure), "exposure");
        let mut sum = 0.0;
        for g in &exposure {
            sum += g;
        }
        assert_eq!(flat.mean_exposure().to_bits(), (sum / exposure.len() as f64).to_bits(), "mean exposure");
        assert!(turnover > 0.0 && flat.gross.len() < n - 1 - t0, "trades on some rows only");
    }
}
