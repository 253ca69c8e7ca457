//! Every `examples/*.strat` compiles without errors, runs on both backends (the Cranelift JIT and
//! the reference evaluator) with bitwise-identical results in every field of `RunResult` (NaN
//! canonicalised), and `strat check` accepts it.

use std::path::{Path, PathBuf};
use std::process::Command;
use strat::{Backend, Engine, Failure, Params, RunResult, Strategy};
use strat_runtime::Backtest;
use strat_stdlib::metrics::Metrics;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "strat")).collect();
    v.sort();
    assert!(!v.is_empty(), "no examples in {}", dir.display());
    v
}

/// NaN-canonical bits.
fn bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// Compares two float sequences bitwise; returns the first difference.
fn diff_f64(what: &str, a: &[f64], b: &[f64], out: &mut Vec<String>) {
    if a.len() != b.len() {
        out.push(format!("{what}: lengths {} vs {}", a.len(), b.len()));
        return;
    }
    if let Some(i) = (0..a.len()).find(|&i| bits(a[i]) != bits(b[i])) {
        let n = (0..a.len()).filter(|&i| bits(a[i]) != bits(b[i])).count();
        out.push(format!("{what}: {n} difference(s), first at {i}: {:e} vs {:e}", a[i], b[i]));
    }
}

/// Every field of the metrics, by name (the destructuring fails to compile if a field is added
/// without being compared here).
fn metric_fields(m: &Metrics) -> Vec<(&'static str, f64)> {
    let Metrics { total_return, cagr, ann_vol, sharpe, sortino, max_drawdown, calmar, var_95, cvar_95, omega, avg_exposure } = *m;
    vec![
        ("total_return", total_return),
        ("cagr", cagr),
        ("ann_vol", ann_vol),
        ("sharpe", sharpe),
        ("sortino", sortino),
        ("max_drawdown", max_drawdown),
        ("calmar", calmar),
        ("var_95", var_95),
        ("cvar_95", cvar_95),
        ("omega", omega),
        ("avg_exposure", avg_exposure),
    ]
}

fn diff_metrics(what: &str, a: &Metrics, b: &Metrics, out: &mut Vec<String>) {
    for ((k, x), (_, y)) in metric_fields(a).into_iter().zip(metric_fields(b)) {
        if bits(x) != bits(y) {
            out.push(format!("{what}.{k}: {x:e} vs {y:e}"));
        }
    }
}

/// Every difference between two run results, field by field. Exhaustive destructuring: a new
/// field of `RunResult` or `Backtest` must be added here before this compiles.
fn differences(a: &RunResult, b: &RunResult) -> Vec<String> {
    let RunResult {
        backtest: ba,
        reports: ra,
        report_series: sra,
        alerts: aa,
        regimes: ga,
        target_weight: ta,
        sleeve_targets: sa,
        weights: wa,
        asset_names: na,
        attribution: ata,
        condition_operands: ca,
    } = a;
    let RunResult {
        backtest: bb,
        reports: rb,
        report_series: srb,
        alerts: ab,
        regimes: gb,
        target_weight: tb,
        sleeve_targets: sb,
        weights: wb,
        asset_names: nb,
        attribution: atb,
        condition_operands: cb,
    } = b;
    let mut out = vec![];
    // The JIT has no column for an operand it fused into a kernel (None); the others agree.
    if ca.len() != cb.len() {
        out.push(format!("condition_operands: {} vs {}", ca.len(), cb.len()));
    }
    for (k, (x, y)) in ca.iter().zip(cb).enumerate() {
        if let (Some(x), Some(y)) = (x, y) {
            diff_f64(&format!("condition_operands[{k}]"), x, y, &mut out);
        }
    }
    match (ata, atb) {
        (Some(x), Some(y)) if x.lines.len() == y.lines.len() => {
            for (u, v) in x.lines.iter().zip(&y.lines) {
                let f = |c: &strat_runtime::backtest::Contribution| vec![c.mean_allocation, c.return_contribution, c.total, c.risk_contribution, c.risk_share];
                if u.name != v.name {
                    out.push(format!("attribution: line {} vs {}", u.name, v.name));
                }
                diff_f64(&format!("attribution `{}`", u.name), &f(u), &f(v), &mut out);
            }
        }
        (None, None) => {}
        _ => out.push("attribution differs".into()),
    }
    if aa.len() != ab.len() {
        out.push(format!("alerts: {} vs {}", aa.len(), ab.len()));
    }
    for (x, y) in aa.iter().zip(ab) {
        if x.fired != y.fired || x.first_live != y.first_live || x.name != y.name {
            out.push(format!("alert `{}`: fired rows differ", x.name));
        }
        for ((n, u), (_, v)) in x.values.iter().zip(&y.values) {
            diff_f64(&format!("alert `{}` value `{n}`", x.name), u, v, &mut out);
        }
    }
    if sra.len() != srb.len() {
        out.push(format!("report_series: {} vs {}", sra.len(), srb.len()));
    }
    for (k, (x, y)) in sra.iter().zip(srb).enumerate() {
        diff_f64(&format!("report_series[{k}]"), x, y, &mut out);
    }
    if ga != gb {
        out.push(format!("regimes: {:?} vs {:?}", ga.iter().map(|g| &g.name).collect::<Vec<_>>(), gb.iter().map(|g| &g.name).collect::<Vec<_>>()));
    }
    if na != nb {
        out.push(format!("asset_names: {na:?} vs {nb:?}"));
    }
    // The weighting engine runs before the plan, the same on both backends: its paths must agree.
    if wa.len() != wb.len() {
        out.push(format!("weights: {} vs {} runs", wa.len(), wb.len()));
    }
    for (x, y) in wa.iter().zip(wb) {
        diff_f64(&format!("weights `{}`", x.name), x.schedule.weights.as_slice().unwrap_or(&[]), y.schedule.weights.as_slice().unwrap_or(&[]), &mut out);
        if x.schedule.log != y.schedule.log || x.schedule.rebalance_rows != y.schedule.rebalance_rows {
            out.push(format!("weights `{}`: rebalance rows or log differ", x.name));
        }
    }
    diff_f64("target_weight", ta, tb, &mut out);
    if sa.len() != sb.len() {
        out.push(format!("sleeve_targets: {} vs {} sleeves", sa.len(), sb.len()));
    }
    for (k, (x, y)) in sa.iter().zip(sb).enumerate() {
        diff_f64(&format!("sleeve_targets[{k}]"), x, y, &mut out);
    }
    if ra.len() != rb.len() || ra.iter().zip(rb).any(|(x, y)| x.0 != y.0 || bits(x.1) != bits(y.1)) {
        out.push(format!("reports: {ra:?} vs {rb:?}"));
    }
    let Backtest {
        first_live,
        weights,
        assets,
        rows,
        returns,
        exposure,
        equity,
        turnover,
        gross,
        metrics,
        benchmark_returns,
        benchmark,
        information_ratio,
        active_return,
        tracking_error,
        beta,
        alpha,
        ruin,
        cost,
        kills,
        vol_scale,
        limits,
        cash,
        row_major: _,
        changed_rows: _,
        trades: asset_trades,
    } = ba;
    if vol_scale.map(f64::to_bits) != bb.vol_scale.map(f64::to_bits) {
        out.push(format!("vol_scale: {vol_scale:?} vs {:?}", bb.vol_scale));
    }
    if limits != &bb.limits {
        out.push(format!("limits: {limits:?} vs {:?}", bb.limits));
    }
    match (cash, &bb.cash) {
        (Some(x), Some(y)) => {
            for (k, a, b) in
                [("rf", &x.rf, &y.rf), ("earned", &x.earned, &y.earned), ("financing", &x.financing, &y.financing), ("borrow", &x.borrow, &y.borrow)]
            {
                diff_f64(&format!("cash.{k}"), a, b, &mut out);
            }
            if (x.missing, x.first_missing) != (y.missing, y.first_missing) {
                out.push(format!("cash missing: {:?} vs {:?}", (x.missing, x.first_missing), (y.missing, y.first_missing)));
            }
        }
        (None, None) => {}
        _ => out.push("cash: one backend has a cash account, the other not".into()),
    }
    if asset_trades != &bb.trades {
        out.push("trades differ".into());
    }
    diff_f64("cost", cost, &bb.cost, &mut out);
    diff_f64("active", &[*active_return, *tracking_error, *beta, *alpha], &[bb.active_return, bb.tracking_error, bb.beta, bb.alpha], &mut out);
    if kills != &bb.kills {
        out.push(format!("kills: {kills:?} vs {:?}", bb.kills));
    }
    if *ruin != bb.ruin {
        out.push(format!("ruin: {ruin:?} vs {:?}", bb.ruin));
    }
    if *first_live != bb.first_live {
        out.push(format!("first_live: {first_live} vs {}", bb.first_live));
    }
    if *assets != bb.assets {
        out.push(format!("assets: {assets} vs {}", bb.assets));
    }
    if *rows != bb.rows {
        out.push(format!("rows: {rows:?} vs {:?}", bb.rows));
    }
    diff_f64("weights", weights, &bb.weights, &mut out);
    diff_f64("returns", returns, &bb.returns, &mut out);
    diff_f64("exposure", exposure, &bb.exposure, &mut out);
    diff_f64("equity", equity, &bb.equity, &mut out);
    diff_f64("turnover", turnover, &bb.turnover, &mut out);
    diff_f64("gross", gross, &bb.gross, &mut out);
    diff_metrics("metrics", metrics, &bb.metrics, &mut out);
    match (benchmark_returns, &bb.benchmark_returns) {
        (Some(x), Some(y)) => diff_f64("benchmark_returns", x, y, &mut out),
        (None, None) => {}
        _ => out.push("benchmark_returns: present on one backend only".into()),
    }
    match (benchmark, &bb.benchmark) {
        (Some(x), Some(y)) => diff_metrics("benchmark", x, y, &mut out),
        (None, None) => {}
        _ => out.push("benchmark: present on one backend only".into()),
    }
    if bits(*information_ratio) != bits(bb.information_ratio) {
        out.push(format!("information_ratio: {information_ratio:e} vs {:e}", bb.information_ratio));
    }
    out
}

fn compile(path: &Path) -> Strategy {
    match Engine::new().compile_file(path) {
        Ok(s) => {
            assert!(s.warnings().iter().all(|d| !d.diag.is_error()), "{}: error among the warnings", path.display());
            s
        }
        Err(Failure::Program(d)) => {
            panic!("{} does not compile: {:?}", path.display(), d.iter().map(|d| (d.diag.code, d.diag.message.clone())).collect::<Vec<_>>())
        }
        Err(other) => panic!("{}: {other}", path.display()),
    }
}

/// The bindings to run: the defaults, then for a swept program bindings spread over its grid
/// (every one of a small grid, else `max` of them), else each numeric param scaled by 0.5 and
/// by 2 in turn (rounded if the default is whole, so window lengths stay valid).
fn param_sets(s: &Strategy, max: usize) -> Vec<Params> {
    let base = s.params();
    let mut v = vec![base.clone()];
    let grid = s.grid();
    if grid.bindings.len() > 1 {
        let n = grid.bindings.len();
        let take = n.min(max);
        for i in 0..take {
            let mut p = base.clone();
            p.values = grid.bindings[i * (n - 1) / (take - 1).max(1)].clone();
            v.push(p);
        }
        return v;
    }
    for i in 0..base.values.len() {
        if !base.choices[i].is_empty() {
            continue;
        }
        for k in [0.5, 2.0] {
            let mut p = base.clone();
            let x = base.values[i] * k;
            p.values[i] = if base.values[i].fract() == 0.0 { x.round().max(1.0) } else { x };
            v.push(p);
        }
    }
    v
}

#[test]
fn every_example_compiles_and_both_backends_agree_bit_for_bit() {
    let mut failures = vec![];
    for path in examples() {
        let s = compile(&path);
        let frame = s.load_data().unwrap_or_else(|e| panic!("{}: data: {e}", path.display()));
        for params in param_sets(&s, 12) {
            let jit = s.run_with(&frame, &params, Backend::Jit).unwrap_or_else(|e| panic!("{} {params:?}: JIT: {e}", path.display()));
            let reference = s.run_with(&frame, &params, Backend::Reference).unwrap_or_else(|e| panic!("{} {params:?}: reference: {e}", path.display()));
            // Asset-major: one column of `frame.len()` rows per asset (an ensemble: its regime).
            assert!(!jit.target_weight.is_empty() && jit.target_weight.len().is_multiple_of(frame.len()), "{}", path.display());
            assert!(jit.backtest.returns.len() > 1, "{}: nothing evaluated", path.display());
            let d = differences(&jit, &reference);
            if !d.is_empty() {
                failures.push(format!("{} with {:?} = {:?}:\n  {}", path.display(), params.names, params.values, d.join("\n  ")));
            }
            // The default backend is the JIT.
            if params == s.params() {
                let default = s.run(&frame, &params).unwrap();
                assert!(differences(&default, &jit).is_empty(), "{}: `run` is not the JIT", path.display());
            }
        }
    }
    assert!(failures.is_empty(), "the JIT and the reference evaluator differ:\n{}", failures.join("\n"));
}

/// The comparison above detects a one-ulp difference in any field it compares (so a pass means
/// something).
#[test]
fn the_comparison_detects_a_planted_difference() {
    // A fixed example whose planted rows are live (not the alphabetically first file: a warm-up
    // longer than 100 rows would hide the planted target weight in a NaN).
    let path = &examples().into_iter().find(|p| p.ends_with("regime_ensemble.strat")).expect("examples/regime_ensemble.strat");
    let s = compile(path);
    let frame = s.load_data().unwrap();
    let r = s.run_with(&frame, &s.params(), Backend::Jit).unwrap();
    assert!(differences(&r, &r.clone()).is_empty());
    let ulp = |x: &mut f64| *x = f64::from_bits(x.to_bits() ^ 1);
    type Plant = Box<dyn Fn(&mut RunResult)>;
    let plants: Vec<(&str, Plant)> = vec![
        ("target_weight", Box::new(move |r: &mut RunResult| ulp(&mut r.target_weight[100]))),
        ("weights", Box::new(move |r: &mut RunResult| ulp(&mut r.backtest.weights[100]))),
        ("returns", Box::new(move |r: &mut RunResult| ulp(&mut r.backtest.returns[5]))),
        ("equity", Box::new(move |r: &mut RunResult| ulp(r.backtest.equity.last_mut().unwrap()))),
        ("turnover", Box::new(move |r: &mut RunResult| r.backtest.turnover[100] = f64::NAN)),
        ("metrics.sortino", Box::new(move |r: &mut RunResult| ulp(&mut r.backtest.metrics.sortino))),
        ("information_ratio", Box::new(move |r: &mut RunResult| ulp(&mut r.backtest.information_ratio))),
        ("first_live", Box::new(|r: &mut RunResult| r.backtest.first_live += 1)),
        ("reports", Box::new(move |r: &mut RunResult| ulp(&mut r.reports[0].1))),
    ];
    for (what, plant) in plants {
        let mut other = r.clone();
        plant(&mut other);
        let d = differences(&r, &other);
        assert!(d.len() == 1 && d[0].starts_with(what), "{what}: {d:?}");
    }
    // A NaN with another payload is the same NaN.
    let mut a = r.clone();
    let mut b = r.clone();
    a.target_weight[0] = f64::NAN;
    b.target_weight[0] = f64::from_bits(f64::NAN.to_bits() | 1);
    assert!(differences(&a, &b).is_empty());
}

#[test]
fn strat_check_accepts_every_example() {
    for path in examples() {
        let out = Command::new(env!("CARGO_BIN_EXE_strat")).arg("check").arg(&path).env("NO_COLOR", "1").output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "strat check {}:\n{}{}",
            path.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok"));
    }
}
