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
    let book = BookPath { t0: 0, rows: 6, assets: 1, gross: &gross, change: &change, weights: &weights, detail: true };
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
    let book = BookPath { t0: 0, rows: 3, assets: 2, gross: &gross, change: &change, weights: &weights, detail: true };
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
