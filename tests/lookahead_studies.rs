//! Look-ahead is impossible by construction; this proves it on every example (SEMANTICS.md §1):
//! for many rows t, every value after row t is perturbed (dates kept), and every decision at rows
//! <= t — target weights, sleeve weights, regimes, held weights and allocations — must stay
//! bitwise identical. It runs every binding's default and, for swept programs, a few others.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::Path;
use strat::{Backend, Engine, Frame, Params, RunResult, Strategy};

fn same(a: f64, b: f64) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// The first decision at a row <= t that differs, as (what, row).
fn first_change(a: &RunResult, b: &RunResult, rows: usize, t: usize) -> Option<(String, usize)> {
    let cols = |r: &RunResult| -> Vec<(String, Vec<f64>)> {
        let mut v = vec![("target".to_string(), r.target_weight.clone()), ("held".to_string(), r.backtest.weights.clone())];
        for (k, s) in r.sleeve_targets.iter().enumerate() {
            v.push((format!("sleeve {k}"), s.clone()));
        }
        v
    };
    for ((name, x), (_, y)) in cols(a).iter().zip(cols(b).iter()) {
        // Asset-major columns: check rows <= t of every asset.
        let width = x.len() / rows;
        for j in 0..width {
            for row in 0..=t {
                if !same(x[j * rows + row], y[j * rows + row]) {
                    return Some((format!("{name} asset {j}"), row));
                }
            }
        }
    }
    None
}

/// The frame with every value after row `t` scaled by a factor in [0.5, 2) and 5 % of them
/// made NaN; with `mild`, scaled by a factor in [0.99, 1.01) and no NaN (a strategy that
/// compounds on wildly perturbed prices can overflow its equity, which stops the run).
fn perturbed(frame: &Frame, t: usize, rng: &mut ChaCha8Rng, mild: bool) -> Frame {
    let mut f = frame.clone();
    let range = if mild { 0.99..1.01 } else { 0.5..2.0 };
    for c in &mut f.columns {
        for v in c.iter_mut().skip(t + 1) {
            *v = if !mild && rng.random_bool(0.05) { f64::NAN } else { *v * rng.random_range(range.clone()) };
        }
    }
    f
}

fn check(strategy: &Strategy, frame: &Frame, params: &Params, label: &str) -> usize {
    let base = strategy.run_with(frame, params, Backend::Jit).unwrap_or_else(|e| panic!("{label}: {e}"));
    let rows = frame.len();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let first = base.backtest.first_live;
    let mut ts: Vec<usize> = (0..12).map(|i| first.saturating_sub(3) + i).collect();
    ts.extend((1..16).map(|i| i * (rows - 2) / 16));
    ts.push(rows - 2);
    let mut checked = 0;
    for &t in ts.iter().filter(|&&t| t + 1 < rows) {
        // A NaN after `t` can stop the whole run (a cost rate that is NaN on a traded bar is an
        // error), and so can an equity that overflows: then the same check, mildly perturbed.
        let run = match strategy.run_with(&perturbed(frame, t, &mut rng, false), params, Backend::Jit) {
            Ok(r) => r,
            Err(_) => match strategy.run_with(&perturbed(frame, t, &mut rng, true), params, Backend::Jit) {
                Ok(r) => r,
                Err(_) => continue,
            },
        };
        if let Some((what, row)) = first_change(&base, &run, rows, t) {
            panic!("{label}: perturbing rows after {t} changed {what} at row {row}");
        }
        checked += 1;
    }
    checked
}

#[test]
fn no_example_reads_a_future_bar() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "strat")).collect();
    files.sort();
    assert!(files.len() >= 3, "expected the three studies in examples/");
    for file in files {
        let strategy = Engine::new().compile_file(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let frame = strategy.load_data().unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut n = check(&strategy, &frame, &strategy.params(), &file.display().to_string());
        let grid = strategy.grid();
        let picks = [grid.bindings.len() / 3, grid.bindings.len() - 1];
        for &i in picks.iter().filter(|_| grid.bindings.len() > 1) {
            let mut p = strategy.params();
            p.values = grid.bindings[i].clone();
            n += check(&strategy, &frame, &p, &format!("{} binding {i}", file.display()));
        }
        assert!(n >= 20, "{}: only {n} perturbations checked", file.display());
    }
}

/// The harness sees a planted look-ahead: a weight shifted one row into the past (so row t holds
/// row t+1's decision) changes when the future changes.
#[test]
fn harness_detects_a_planted_lookahead() {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/vix_guard.strat");
    let strategy = Engine::new().compile_file(&file).unwrap();
    let frame = strategy.load_data().unwrap();
    let params = strategy.params();
    let shift = |mut r: RunResult| {
        r.target_weight.remove(0);
        r.target_weight.push(f64::NAN);
        r
    };
    let base = shift(strategy.run_with(&frame, &params, Backend::Jit).unwrap());
    let rows = frame.len();
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut caught = 0;
    for t in (100..rows - 2).step_by(rows / 10) {
        let run = shift(strategy.run_with(&perturbed(&frame, t, &mut rng, false), &params, Backend::Jit).unwrap());
        if first_change(&base, &run, rows, t).is_some() {
            caught += 1;
        }
    }
    assert!(caught >= 5, "a one-row look-ahead went unnoticed ({caught} caught)");
}
