//! Look-ahead is impossible by construction (SEMANTICS.md §1): a decision at row `t` uses data of
//! rows `<= t` only. For many rows `t`, every value of every column after `t` is perturbed
//! (multiplied by a random factor in [0.5, 2], some set to NaN or negated; the dates are kept,
//! they are known in advance) and the run repeated: the target weights, the held weights, the turnover and the
//! strategy returns of rows `<= t` must be bitwise identical (NaN == NaN). This is checked for the
//! example and for programs written here that use every windowed builtin (and the panel builtins,
//! rebalance schedules, sleeves and an ensemble), on both backends; a
//! meta-test shows the harness catches a planted look-ahead.
//!
//! Point-in-time panels (SEMANTICS.md §3c) are checked on their records, not on the joined
//! columns: for the QM overlay, the records whose usable day (period end + the 90-day lag) is
//! after `date[t]` are perturbed and the panel joined again (what `strat audit` does); nothing at
//! rows `<= t` may change. The same program with `lag 0d`, perturbed as if the lag were 90 days,
//! must be caught (so that test can fail).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use strat::{Backend, Engine, Frame, Strategy};

mod common;
use common::{root, TempDir};

/// What a run decided, row by row: named series of `n` rows per column, asset-major (a panel's
/// weights are `assets` columns of `n` rows, one after the other).
#[derive(Clone, Debug)]
struct Decisions {
    /// Rows per column.
    n: usize,
    /// The target weights, the held weights, each sleeve's targets, the turnover and the
    /// return earned on each row (NaN where no return is evaluated).
    series: Vec<(String, Vec<f64>)>,
    /// The first live row.
    first_live: usize,
}

impl Decisions {
    fn get_mut(&mut self, name: &str) -> &mut Vec<f64> {
        &mut self.series.iter_mut().find(|s| s.0 == name).unwrap_or_else(|| panic!("no series {name}")).1
    }
    fn get(&self, name: &str) -> &Vec<f64> {
        &self.series.iter().find(|s| s.0 == name).unwrap_or_else(|| panic!("no series {name}")).1
    }
}

/// NaN-canonical bits: every NaN compares equal to every NaN, and nothing else changes.
fn bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// Runs `strategy` with `params` and collects its decisions; a run error (e.g. a weight that a
/// perturbation made NaN on every row) is returned as text.
fn run_params(strategy: &Strategy, params: &strat::Params, frame: &Frame, backend: Backend) -> Result<Decisions, String> {
    let r = strategy.run_with(frame, params, backend).map_err(|e| format!("{}: run failed: {e}", strategy.name()))?;
    let bt = r.backtest;
    let n = frame.len();
    let mut ret = vec![f64::NAN; n];
    for (i, t) in bt.rows.clone().enumerate() {
        ret[t] = bt.returns[i];
    }
    let mut series =
        vec![("target".to_string(), r.target_weight), ("held".to_string(), bt.weights), ("turnover".to_string(), bt.turnover), ("return".to_string(), ret)];
    for (k, s) in r.sleeve_targets.into_iter().enumerate() {
        series.push((format!("sleeve {k} target"), s));
    }
    // The portfolio stage's decisions: the cost of each row's trade and each kill switch's state.
    if !bt.cost.is_empty() {
        series.push(("cost".to_string(), bt.cost));
    }
    for k in bt.kills {
        series.push((format!("kill {}", k.name), k.active.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect()));
    }
    for (name, v) in &series {
        assert!(!v.is_empty() && v.len().is_multiple_of(n), "{}: {name} has {} values for {n} rows", strategy.name(), v.len());
    }
    Ok(Decisions { n, series, first_live: bt.first_live })
}

fn run(strategy: &Strategy, frame: &Frame, backend: Backend) -> Result<Decisions, String> {
    run_params(strategy, &strategy.params(), frame, backend)
}

/// The first difference at rows `0..=t` (of any column) between two runs, if any.
fn first_difference(base: &Decisions, other: &Decisions, t: usize) -> Option<String> {
    let n = base.n;
    if base.series.len() != other.series.len() {
        return Some(format!("{} series vs {}", base.series.len(), other.series.len()));
    }
    for ((what, a), (_, b)) in base.series.iter().zip(&other.series) {
        if a.len() != b.len() {
            return Some(format!("{what}: {} values vs {}", a.len(), b.len()));
        }
        for j in 0..a.len() / n {
            for r in 0..=t {
                let (x, y) = (a[j * n + r], b[j * n + r]);
                if bits(x) != bits(y) {
                    return Some(format!("{what} (column {j}) at row {r} (<= t = {t}): {x} vs {y} after perturbing rows > {t}"));
                }
            }
        }
    }
    None
}

/// A copy of `frame` with every value of every column at rows `> t` perturbed: multiplied by a
/// random factor in [0.5, 2], or set to NaN (5 %), or negated (1 %). Dates are kept. (No zeros or
/// infinities: a weight that divides by one is an infinite weight, which the backtest rejects for
/// the whole run — a legitimate error, but it would hide the rows `<= t`.)
fn perturb_after(frame: &Frame, t: usize, rng: &mut ChaCha8Rng) -> Frame {
    let mut f = frame.clone();
    for col in &mut f.columns {
        for x in col.iter_mut().skip(t + 1) {
            *x = match rng.random_range(0..100) {
                0..=4 => f64::NAN,
                5 => -*x,
                _ => *x * rng.random_range(0.5..=2.0),
            };
        }
    }
    f
}

/// The rows to test: both ends, around the warm-up boundary `warmup`, and evenly spread, about
/// `count` in all.
fn rows_to_test(n: usize, warmup: usize, count: usize) -> Vec<usize> {
    let mut rows: Vec<usize> = vec![0, 1, 2, n - 3, n - 2, n - 1];
    for d in -3i64..=3 {
        let r = warmup as i64 + d;
        if r >= 0 && (r as usize) < n {
            rows.push(r as usize);
        }
    }
    let spread = count.saturating_sub(rows.len()).max(2);
    for i in 0..spread {
        rows.push(3 + i * (n - 7) / (spread - 1));
    }
    rows.sort_unstable();
    rows.dedup();
    rows
}

/// The harness: `decide` runs a strategy on a frame; for each row `t` of `rows`, perturb the rows
/// after `t` and compare with the unperturbed run. Returns the violations found.
///
/// A perturbed run may fail only if the weight was not yet live at `t` (the perturbation can make
/// every later weight NaN: then it is never live, which rows `<= t` cannot contradict); a failure
/// when the weight was live at or before `t` is a violation. At most half of the rows may be
/// skipped that way.
fn look_ahead_violations(frame: &Frame, rows: &[usize], seed: u64, decide: &dyn Fn(&Frame) -> Result<Decisions, String>) -> Vec<String> {
    let base = decide(frame).expect("the unperturbed run succeeds");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = vec![];
    let mut skipped = vec![];
    for &t in rows {
        let perturbed = perturb_after(frame, t, &mut rng);
        match decide(&perturbed) {
            Ok(d) => {
                if let Some(d) = first_difference(&base, &d, t) {
                    out.push(d);
                }
            }
            Err(e) if t < base.first_live => skipped.push((t, e)),
            Err(e) => out.push(format!("row {t}: the weight is live from row {} but the perturbed run fails: {e}", base.first_live)),
        }
    }
    assert!(skipped.len() * 2 <= rows.len(), "{} of {} perturbed runs failed: {skipped:?}", skipped.len(), rows.len());
    out
}

fn assert_no_look_ahead(name: &str, strategy: &Strategy, frame: &Frame, rows: &[usize], seed: u64) {
    for backend in [Backend::Jit, Backend::Reference] {
        let v = look_ahead_violations(frame, rows, seed, &|f| run(strategy, f, backend));
        assert!(v.is_empty(), "{name} on {backend:?}: look-ahead at {} of {} rows:\n{}", v.len(), rows.len(), v.join("\n"));
    }
}

fn example() -> (Strategy, Frame) {
    let s = Engine::new().compile_file(&root().join("examples/vix_guard.strat")).expect("the example compiles");
    let f = s.load_data().expect("the example's data loads");
    (s, f)
}

#[test]
fn the_example_cannot_see_the_future() {
    let (s, frame) = example();
    let n = frame.len();
    let base = run(&s, &frame, Backend::Jit).unwrap();
    // zscore(vix, 60) is defined from row 59: the first live row.
    let warmup = s.run_with(&frame, &s.params(), Backend::Jit).unwrap().backtest.first_live;
    assert_eq!(warmup, 59);
    // The example's weight is not constant (else the test would prove little).
    let held = base.get("held");
    assert!(held.iter().any(|&w| w != 1.0) && held.iter().filter(|&&w| w == 1.0).count() > n / 2);
    let rows = rows_to_test(n, warmup, 40);
    assert!(rows.len() >= 40, "{rows:?}");
    assert_no_look_ahead("vix_guard", &s, &frame, &rows, 1);
    // With other params (shorter window, lower threshold: more guard changes).
    let mut params = s.params();
    params.set("spike_window", "10").unwrap();
    params.set("spike_z", "1.5").unwrap();
    let rows = rows_to_test(n, 9, 20);
    for backend in [Backend::Jit, Backend::Reference] {
        let decide = |f: &Frame| run_params(&s, &params, f, backend);
        let v = look_ahead_violations(&frame, &rows, 2, &decide);
        assert!(v.is_empty(), "{backend:?}: {}", v.join("\n"));
    }
}

/// Programs that use every windowed builtin (and lags, `tiers`, `regime`), each one's weight a
/// function of a few of them, so a peek in any builtin changes the weight's bits.
const PROGRAMS: &[(&str, &str)] = &[
    ("sma", "hold mkt.spx weight sma(mkt.spx, n) / mkt.spx"),
    ("ema", "hold mkt.spx weight ema(mkt.vix, n) / 20"),
    ("std", "hold mkt.spx weight std(mkt.spx, n) / 10"),
    ("std of returns", "hold mkt.spx weight std(ret(mkt.spx), n) * 20"),
    ("zscore", "hold mkt.spx weight zscore(mkt.vix, n)"),
    ("rolling_min", "hold mkt.spx weight rolling_min(mkt.spx, n) / mkt.spx"),
    ("rolling_max", "hold mkt.spx weight rolling_max(mkt.vix, n) / mkt.vix"),
    ("ret", "hold mkt.spx weight 1 + 10 * ret(mkt.spx)"),
    ("ret k", "hold mkt.spx weight 1 + ret(mkt.vix, n)"),
    ("logret", "hold mkt.spx weight 1 + 10 * logret(mkt.vix)"),
    ("logret k", "hold mkt.spx weight 1 + logret(mkt.spx, n)"),
    ("drawdown", "hold mkt.spx weight 1 + drawdown(mkt.spx)"),
    ("cumsum", "hold mkt.spx weight cumsum(mkt.vix) / 1e5"),
    ("cumsum of returns", "hold mkt.spx weight 1 + cumsum(ret(mkt.spx))"),
    ("cumprod", "hold mkt.spx weight cumprod(1 + ret(mkt.spx) / 10)"),
    ("lag", "hold mkt.spx weight mkt.spx[n] / mkt.spx + mkt.vix[1] / 100 - mkt.vix[0] / 100"),
    ("lag of a let", "let m = sma(mkt.vix, 5)\nhold mkt.spx weight m[3] / m"),
    ("tiers", "hold mkt.spx weight tiers(zscore(mkt.vix, n)) {\n >= 2 => 25%\n >= 1 => 50%\n >= 0 => 75%\n else => 100%\n}"),
    ("tiers of a lag", "hold mkt.spx weight tiers(mkt.vix[2] - mkt.vix) {\n > 1 => 0.5\n < -1 => 1.5\n else => 1\n}"),
    (
        "regime",
        "let crash = drawdown(mkt.spx) < -20%\nregime state {\n  FEAR when mkt.vix >= 30 or crash\n  BULL when mkt.spx > sma(mkt.spx, 50) and ema(mkt.vix, n) < 20\n  CHOP otherwise\n}\nlet w = if state == FEAR then 0.25 else if state == BULL then 1.25 else 0.75\nhold mkt.spx weight w + zscore(mkt.vix, n) / 100\nreport fear = state == FEAR",
    ),
    (
        "kill switch on the own path",
        "hold mkt.spx weight 1.5 - mkt.vix / 40\ncost 2bps\nkill k when own.drawdown < -8% or own.day_return < -3% or sma(own.day_return, 5) < -1%\n  release when mkt.vix < 20 and own.equity > own.equity[lag]\n  scale 40%\nkill hard when own.drawdown < -20% and not k[1] release when own.drawdown > -5% scale 10%\nreport on = k\nreport dd = own.drawdown",
    ),
    ("min max clamp", "hold mkt.spx weight clamp(min(rolling_max(mkt.vix, n), 40) / max(rolling_min(mkt.vix, 5), 10), 0, 2)"),
    (
        "everything",
        "let p = mkt.spx\nlet v = mkt.vix\nlet trend = sma(p, 50) / ema(p, n) - 1\nlet vol = std(ret(p), n) * sqrt(252)\nlet z = zscore(v, n)\nlet chan = (p - rolling_min(p, n)) / (rolling_max(p, n) - rolling_min(p, n) + 1)\nlet mom = ret(p, lag) + logret(p, 5) + logret(p)\nlet dd = drawdown(p)\nlet acc = cumsum(logret(p)) - log(cumprod(1 + ret(p)))\nlet old = p[lag] / p[1] - 1\nregime mood {\n  CALM when mkt.vix < 15 and sma(mkt.spx, 50) > ema(mkt.spx, n)\n  STRESS when zscore(mkt.vix, n) > 2 or drawdown(mkt.spx) < -20%\n  NORMAL otherwise\n}\nlet t = tiers(v) {\n  >= 40 => 25%\n  >= 25 => 60%\n  else => 100%\n}\nlet w = if mood == STRESS then min(t, 50%) else if mood == CALM then clamp(1 + trend * 5, 0, 1.5) else t * (1 - abs(sign(mom)) * 0.1)\nhold mkt.spx weight w + (chan + vol + old + acc + z / 10 + dd + exp(-abs(mom))) / 100\ncost 1bps\nbenchmark mkt.spx\nreport calm = mood == CALM",
    ),
];

/// Panel programs (a universe of six ETFs next to the S&P 500 / VIX source): the cross-sectional
/// builtins, rebalance schedules (monthly, weekly, every k bars: the month and week ends come from
/// the dates, which are known in advance), sleeves and an ensemble by regime. Divisions by a count
/// are guarded: on a row where a perturbation leaves no asset with a price, `1 / count(px)` is an
/// infinite weight, which fails the whole run.
const PANEL_PROGRAMS: &[(&str, &str)] = &[
    (
        "cross-section",
        "let mom = ret(px, n)\nlet pick = if top(mom, 34%) then 1 else 0\nlet low = if bottom(std(ret(px), n), 50%) then 1 else 0\nhold px weight (pick + low) / max(sum(pick + low), 1) + rank(mom) / 100 + zscore_cs(mom) / 1000 + (mean(mom) + count(px)) / 10000\nreport picks = sum(pick)",
    ),
    (
        "per-asset cost rate",
        "let w = (1 + zscore_cs(ret(px, n))) / max(count(px), 1)\nhold px weight w rebalance weekly\ncapital 1000000\nlet vol = std(ret(px), n)\ncost if vol > 0 then clamp(2bps + vol * sqrt(own.trade * own.equity), 1bps, 50bps) else 5bps\nkill k when own.drawdown < -10% release when own.day_return > 1% scale 50%",
    ),
    (
        "ensemble with costs and a kill switch",
        "regime state {\n  RISK when mkt.spx > sma(mkt.spx, 50) and mkt.vix < 25\n  SAFE otherwise\n}\nlet up = if top(ret(px, n), 34%) then 1 else 0\nsleeve mom { hold px weight up / max(sum(up), 1) rebalance weekly }\nsleeve fast { hold px weight 1 / max(count(px), 1) rebalance every 5 }\nensemble by state {\n  RISK => 0.7 * mom + 0.3 * fast\n  SAFE => 0.5 * fast\n}\ncost 10bps\nkill k when own.drawdown < -5% or mkt.vix > 35 release when mkt.vix < 20 scale 50%\nreport on = k",
    ),
    ("rebalance monthly", "hold px weight rank(std(ret(px), n)) / sum(rank(std(ret(px), n))) rebalance monthly"),
    (
        "drift with cash, a kill switch and a limit",
        "hold px weight 1.3 * (1 + zscore_cs(ret(px, n))) / max(count(px), 1) rebalance monthly drift\ncost 5bps\ncash mkt.vix / 1000 financing 1% borrow 0.5%\nkill k when own.drawdown < -8% release when own.day_return > 1% scale 50%\nlimit gross 120%",
    ),
    ("rebalance weekly", "hold px weight if top(ret(px, n), 50%) then 0.5 + ret(px, n) else 0.1 rebalance weekly"),
    ("rebalance every 7", "hold px weight (1 + zscore_cs(ret(px, lag))) / max(count(px), 1) rebalance every 7"),
    (
        "sleeves and ensemble",
        "regime state {\n  RISK when mkt.spx > sma(mkt.spx, 50) and mkt.vix < 25\n  FEAR when mkt.vix >= 30\n  SAFE otherwise\n}\nlet calm = if bottom(std(ret(px), n), 50%) then 1 else 0\nlet up = if top(ret(px, n), 34%) then 1 else 0\nsleeve lowvol { hold px weight calm / max(sum(calm), 1) rebalance monthly }\nsleeve mom { hold px weight up / max(sum(up), 1) rebalance weekly }\nsleeve fast { hold px weight 1 / max(count(px), 1) rebalance every 5 }\nensemble by state {\n  RISK => 0.6 * mom + 0.3 * lowvol + 0.1 * fast\n  FEAR => 0.2 * lowvol\n  SAFE => 0.7 * lowvol + 0.2 * fast\n}\nbenchmark mkt.spx\nreport risk = state == RISK",
    ),
];

const HEADER: &str = "data mkt = csv(\"data/spx_vix.csv\")\nparam n = 20\nparam lag = 3\n";
const PANEL_HEADER: &str = "universe px = csv(\"data/etf_adj_close.csv\", [spy, tlt, gld, iwm, qqq, eem])\n";

/// Writes each program of [`PROGRAMS`] into `dir` (next to a copy of the example's CSV) and
/// compiles it.
fn compile_programs(dir: &Path) -> Vec<(&'static str, Strategy)> {
    std::fs::create_dir_all(dir.join("data")).unwrap();
    for f in ["spx_vix.csv", "etf_adj_close.csv"] {
        std::fs::copy(root().join("examples/data").join(f), dir.join("data").join(f)).unwrap();
    }
    let panel = PANEL_PROGRAMS.iter().map(|(n, b)| (*n, format!("{PANEL_HEADER}{b}")));
    PROGRAMS
        .iter()
        .map(|(n, b)| (*n, b.to_string()))
        .chain(panel)
        .enumerate()
        .map(|(i, (name, body))| {
            let path = dir.join(format!("p{i}.strat"));
            std::fs::write(&path, format!("strategy p{i}\n{HEADER}{body}\n")).unwrap();
            let s = Engine::new().compile_file(&path).unwrap_or_else(|e| match e {
                strat::Failure::Program(d) => panic!("{name}: {:?}", d.iter().map(|d| (d.diag.code, d.diag.message.clone())).collect::<Vec<_>>()),
                other => panic!("{name}: {other}"),
            });
            (name, s)
        })
        .collect()
}

#[test]
fn no_builtin_can_see_the_future() {
    let dir = TempDir::new("builtins");
    let programs = compile_programs(dir.path());
    for (k, (name, s)) in programs.iter().enumerate() {
        // Each program's frame holds the columns it uses.
        let frame = s.load_data().unwrap();
        let n = frame.len();
        let base = run(s, &frame, Backend::Jit).unwrap();
        let t0 = s.run_with(&frame, &s.params(), Backend::Jit).unwrap().backtest.first_live;
        // The weight must vary and be defined on most rows, or the comparison proves nothing.
        // (The target of an ensemble is its regime's arm: its sleeves' targets count too.)
        let target: Vec<f64> = base.series.iter().filter(|(k, _)| k.ends_with("target")).flat_map(|(_, v)| v.iter().copied()).collect();
        let defined = target.iter().filter(|x| x.is_finite()).count();
        assert!(defined > target.len() / 2, "{name}: only {defined} of {} target weights are finite", target.len());
        let distinct: std::collections::BTreeSet<u64> = target.iter().map(|&x| bits(x)).collect();
        assert!(distinct.len() > 3, "{name}: the weight takes only {} values", distinct.len());
        let rows = rows_to_test(n, t0, 30);
        assert_no_look_ahead(name, s, &frame, &rows, 100 + k as u64);
    }
}

/// The harness detects a planted look-ahead: the same runs, with the decisions shifted by one row
/// (row `t` decides with row `t+1`'s weight) — the perturbation must be caught at every tested row
/// past the warm-up. Also the perturbation itself changes the decisions after `t` (else nothing
/// could be detected).
#[test]
fn the_harness_detects_a_planted_look_ahead() {
    let dir = TempDir::new("meta");
    let programs = compile_programs(dir.path());
    let (_, zs) = programs.iter().find(|(n, _)| *n == "zscore").unwrap();
    // The frame of the program that reads both columns.
    let frame = programs.iter().find(|(n, _)| *n == "everything").unwrap().1.load_data().unwrap();
    assert!(frame.column("mkt.spx").is_some() && frame.column("mkt.vix").is_some());
    let n = frame.len();
    let t0 = zs.run_with(&frame, &zs.params(), Backend::Jit).unwrap().backtest.first_live;
    let rows: Vec<usize> = rows_to_test(n, t0, 40).into_iter().filter(|&t| t + 1 >= t0 && t + 1 < n).collect();
    assert!(rows.len() > 30);

    // The honest program passes...
    let honest = |f: &Frame| run(zs, f, Backend::Jit);
    assert!(look_ahead_violations(&frame, &rows, 7, &honest).is_empty());
    // ...and its decisions after t do change under the perturbation.
    let base = honest(&frame).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    for &t in &rows {
        let p = honest(&perturb_after(&frame, t, &mut rng)).unwrap();
        assert!(((t + 1)..n).any(|r| bits(p.get("target")[r]) != bits(base.get("target")[r])), "perturbing after row {t} changed nothing");
    }

    // Planted: the weight at t is the honest weight of t+1 (reads tomorrow's VIX).
    let shift = |mut d: Decisions| -> Decisions {
        let n = d.n;
        for (_, v) in &mut d.series {
            for j in 0..v.len() / n {
                v[j * n..(j + 1) * n].rotate_left(1);
                v[(j + 1) * n - 1] = f64::NAN;
            }
        }
        d
    };
    for backend in [Backend::Jit, Backend::Reference] {
        let cheat = |f: &Frame| run(zs, f, backend).map(shift);
        let v = look_ahead_violations(&frame, &rows, 7, &cheat);
        assert_eq!(v.len(), rows.len(), "{backend:?}: the planted look-ahead was caught at only {} of {} rows", v.len(), rows.len());
    }

    // Planted in the data instead: a weight that peeks at the next close, computed here.
    let cheat = |f: &Frame| {
        let spx = f.column("mkt.spx").unwrap();
        let target: Vec<f64> = (0..f.len()).map(|t| if t + 1 < f.len() && spx[t + 1] > spx[t] { 1.0 } else { 0.0 }).collect();
        Ok(Decisions { n: f.len(), series: vec![("target".into(), target)], first_live: 0 })
    };
    let v = look_ahead_violations(&frame, &rows, 8, &cheat);
    // Each row is caught unless the perturbed next close happens to stay on the same side (or is NaN
    // where it was down): roughly half of them; require a clear signal.
    assert!(v.len() >= rows.len() / 4, "peeking at the next close was caught at only {} of {} rows", v.len(), rows.len());

    // A one-ulp change at a single early row is caught too (bitwise comparison, not a tolerance).
    let nudge = |f: &Frame| {
        let mut d = honest(f)?;
        let vix = f.column("mkt.vix").unwrap();
        if vix[n - 1] != frame.column("mkt.vix").unwrap()[n - 1] {
            let x = &mut d.get_mut("target")[t0];
            *x = f64::from_bits(x.to_bits() + 1);
        }
        Ok(d)
    };
    let v = look_ahead_violations(&frame, &[t0, t0 + 10, n - 2], 9, &nudge);
    assert_eq!(v.len(), 3, "{v:?}");
}

/// The QM overlay's program (optionally with its `lag 90d` replaced) and its sources as read:
/// the frame of the universe and the panel's records, not yet joined.
fn qm_sources(lag: Option<&str>) -> (Strategy, strat_runtime::executor::Sources) {
    let path = root().join("examples/qm_overlay.strat");
    let src = std::fs::read_to_string(&path).unwrap();
    assert!(src.contains(" lag 90d"), "the example's panel has a 90-day lag");
    let src = match lag {
        Some(l) => src.replace(" lag 90d", &format!(" lag {l}")),
        None => src,
    };
    let base_dir = root().join("examples");
    let s = Engine::new().compile_source(&path.display().to_string(), "qm_overlay", src, &base_dir).unwrap_or_else(|e| panic!("{e}"));
    let sources = strat_runtime::executor::load_sources(s.compiled(), &base_dir, &strat_runtime::io::ReadOptions::default()).expect("the example's data loads");
    assert_eq!(s.program().panels.len(), 1);
    (s, sources)
}

/// For each row `t` of `rows`: the panel records whose usable day under a lag of `lag_days`
/// (not necessarily the program's) is after `date[t]` are perturbed (factors in [0.5, 1.5], the
/// audit's own perturbation), the panel joined again and the run repeated. Returns the
/// violations (decisions at rows `<= t` that changed) and how many rows saw a decision after `t`
/// change (else the perturbation proved nothing).
fn record_violations(
    s: &Strategy,
    sources: &strat_runtime::executor::Sources,
    rows: &[usize],
    lag_days: i64,
    seed: u64,
    backend: Backend,
) -> (Vec<String>, usize) {
    let frame = sources.assemble(s.compiled());
    let base = run(s, &frame, backend).expect("the unperturbed run succeeds");
    let (mut out, mut changed_after) = (vec![], 0);
    for (i, &t) in rows.iter().enumerate() {
        let mut panels = sources.panels.clone();
        let perturbed = strat::audit::perturb_panel_after(&mut panels[0], lag_days, frame.dates[t], seed + i as u64);
        assert!(perturbed > 0, "row {t}: no record is usable after it");
        let joined = strat_runtime::executor::Sources { frame: sources.frame.clone(), panels, base_dir: sources.base_dir.clone() }.assemble(s.compiled());
        // The bars themselves are untouched: only what the join made of the records differs.
        assert_eq!(joined.dates, frame.dates);
        let d = match run(s, &joined, backend) {
            Ok(d) => d,
            Err(e) => {
                out.push(format!("row {t}: the perturbed run fails: {e}"));
                continue;
            }
        };
        if let Some(v) = first_difference(&base, &d, t) {
            out.push(v);
        }
        let n = base.n;
        if ((t + 1)..n).any(|r| bits(base.get("target").get(r).copied().unwrap_or(0.0)) != bits(d.get("target").get(r).copied().unwrap_or(0.0))) {
            changed_after += 1;
        }
    }
    (out, changed_after)
}

/// Panel records usable only after `date[t]` (by the program's own 90-day lag) are perturbed —
/// the records, not the joined columns — and no decision at a row `<= t` changes, on both
/// backends; the perturbation does change the decisions after `t`.
#[test]
fn panel_records_usable_after_t_cannot_change_earlier_decisions() {
    let (s, sources) = qm_sources(None);
    assert_eq!(s.program().panels[0].lag_days, 90);
    let frame = sources.assemble(s.compiled());
    let n = frame.len();
    let first_live = s.run(&frame, &s.params()).unwrap().backtest.first_live;
    assert!(first_live > 200 && first_live < n / 2, "{first_live}");
    let mut rows = rows_to_test(n, first_live, 14);
    // Plus rows drawn as `strat audit` draws them.
    rows.extend(strat::audit::sample_rows(first_live, n - 2, 6, 5));
    rows.sort_unstable();
    rows.dedup();
    for backend in [Backend::Jit, Backend::Reference] {
        let (v, changed_after) = record_violations(&s, &sources, &rows, 90, 21, backend);
        assert!(v.is_empty(), "{backend:?}: look-ahead through the panel at {} of {} rows:\n{}", v.len(), rows.len(), v.join("\n"));
        let live_rows = rows.iter().filter(|&&t| t >= first_live && t + 70 < n).count();
        assert!(changed_after >= live_rows / 2, "{backend:?}: the perturbation changed the decisions after t at only {changed_after} of {} rows", rows.len());
    }
    // And the library's audit agrees.
    let report = s.audit(&strat::AuditOptions { rows: 4, seed: 3, params: None }).unwrap();
    assert!(!report.found_look_ahead(), "{:?}", report.leaks);
    assert_eq!(report.runs, 8);
}

/// The test above can fail: the same program with `lag 0d` uses each record from its period
/// end, so perturbing the records a 90-day lag would still hide (usable after `date[t]` only
/// with the lag) changes decisions at rows `<= t`.
#[test]
fn panel_records_used_before_their_lag_are_caught() {
    let (s, sources) = qm_sources(Some("0d"));
    assert_eq!(s.program().panels[0].lag_days, 0);
    let frame = sources.assemble(s.compiled());
    let n = frame.len();
    let first_live = s.run(&frame, &s.params()).unwrap().backtest.first_live;
    let rows = strat::audit::sample_rows(first_live, n - 2, 8, 9);
    let (v, _) = record_violations(&s, &sources, &rows, 90, 31, Backend::Jit);
    assert!(v.len() * 2 >= rows.len(), "the lag-0 program was caught at only {} of {} rows: {v:?}", v.len(), rows.len());
    // Keyed to its own (zero) lag, the same perturbation finds nothing: the program is honest
    // about the lag it declares; that the lag is wrong is for the data's owner to say.
    let (v, _) = record_violations(&s, &sources, &rows, 0, 31, Backend::Jit);
    assert!(v.is_empty(), "{v:?}");
}
