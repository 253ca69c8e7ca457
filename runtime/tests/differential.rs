//! Differential tests: the Cranelift kernels (run by the plan runner) and the reference evaluator
//! must agree bit for bit (after NaN canonicalisation) on generated programs and data. Seeded and
//! reproducible: a failure prints the seed and the program. They live in the runtime because the
//! runtime runs the kernels the compiler hands over ([`strat_runtime::plan_runner`]).

mod common;

use common::{data, first_difference, gen, ProgramGen};
use strat_compiler::plan::{Dims, InputRef};
use strat_compiler::{bind, compile, eval_plan, Compiled};
use strat_runtime::plan_runner;

/// Programs per run (the issue asks for at least 1,000).
const PROGRAMS: usize = 1200;

fn compile_generated(src: &str) -> Result<Compiled, String> {
    let mut columns = |_: &str| Ok(vec!["a".to_string(), "b".to_string(), "c".to_string()]);
    let (compiled, diags) = compile(src, "generated", &mut columns);
    if let Some(d) = diags.iter().find(|d| d.code == "strat::internal") {
        panic!("internal error on a generated program: {}\n{src}", d.message);
    }
    compiled.ok_or_else(|| diags.iter().filter(|d| d.is_error()).map(|d| format!("{}: {}", d.code, d.message)).collect::<Vec<_>>().join("; "))
}

/// The universe `u` of a generated program: columns a, b, c as one asset-major panel.
fn panel_of(cols: &[Vec<f64>]) -> Vec<f64> {
    cols.iter().flatten().copied().collect()
}

/// The plan inputs of a generated program (data columns a, b, c and the panel) and the run size.
fn inputs_of<'a>(compiled: &Compiled, cols: &'a [Vec<f64>], panel: &'a [f64]) -> (Vec<&'a [f64]>, Dims) {
    let inputs = compiled
        .lowered
        .plan
        .inputs
        .iter()
        .map(|c| match c {
            InputRef::Column(c) if c.column == "a" => cols[0].as_slice(),
            InputRef::Column(c) if c.column == "b" => cols[1].as_slice(),
            InputRef::Column(_) => cols[2].as_slice(),
            InputRef::Universe(_) | InputRef::Weights { .. } | InputRef::Panel { .. } => panel,
        })
        .collect();
    (inputs, Dims { rows: cols[0].len(), assets: vec![3; compiled.hir.universes.len()] })
}

/// Runs both backends on `compiled` and returns the first difference as (output, row).
fn compare(compiled: &Compiled, cols: &[Vec<f64>], params: &[f64]) -> Result<Option<(usize, usize, f64, f64)>, String> {
    let plan = &compiled.lowered.plan;
    let binding = bind(plan, params).map_err(|d| d.message)?;
    let panel = panel_of(cols);
    let (inputs, dims) = inputs_of(compiled, cols, &panel);
    let outputs = compiled.outputs();
    let jit = plan_runner::run(&compiled.kernels, plan, &inputs, &dims, &binding);
    let reference = eval_plan(plan, &inputs, &dims, &binding, &outputs);
    for (o, (j, r)) in jit.iter().zip(&reference).enumerate() {
        if let Some(t) = first_difference(j, r) {
            return Ok(Some((o, t, j[t], r[t])));
        }
    }
    Ok(None)
}

#[test]
fn jit_matches_reference_on_generated_programs() {
    let mut accepted = 0;
    let mut rejected = vec![];
    let mut seed = 0u64;
    while accepted < PROGRAMS {
        seed += 1;
        let mut rng = gen(seed);
        let depth = 2 + (seed % 4) as u32;
        let src = ProgramGen::new(&mut rng).program(depth);
        let compiled = match compile_generated(&src) {
            Ok(c) => c,
            Err(e) => {
                rejected.push((seed, e));
                continue;
            }
        };
        let len = 40 + (seed % 90) as usize;
        let cols = data(&mut rng, len);
        for p0 in [2.0, 3.0] {
            let params = vec![p0, compiled.default_params()[1]];
            match compare(&compiled, &cols, &params) {
                Ok(None) => {}
                Ok(Some((o, t, j, r))) => {
                    panic!("seed {seed}: output {o} differs at row {t}: jit {j:?} ({:#x}) vs reference {r:?} ({:#x})\n{src}", j.to_bits(), r.to_bits())
                }
                Err(e) => panic!("seed {seed}: binding failed: {e}\n{src}"),
            }
        }
        accepted += 1;
    }
    eprintln!("accepted {accepted}, rejected {}; e.g. {:?}", rejected.len(), rejected.iter().take(3).collect::<Vec<_>>());
    // The generator is type-directed; a high rejection rate means it (or the checker) regressed.
    assert!(
        rejected.len() * 4 < PROGRAMS,
        "{} of {} generated programs were rejected; first: {:?}",
        rejected.len(),
        PROGRAMS + rejected.len(),
        rejected.first()
    );
}

/// The harness must see a planted difference: one ulp, a sign of zero, NaN vs a number.
#[test]
fn harness_detects_planted_differences() {
    let base = vec![1.0, f64::NAN, 0.0, -2.5];
    assert_eq!(first_difference(&base, &base.clone()), None);
    // Different NaN payloads are the same value after canonicalisation.
    let mut other_nan = base.clone();
    other_nan[1] = f64::from_bits(f64::NAN.to_bits() | 1);
    assert_eq!(first_difference(&base, &other_nan), None);
    let mut ulp = base.clone();
    ulp[3] = f64::from_bits(ulp[3].to_bits() + 1);
    assert_eq!(first_difference(&base, &ulp), Some(3));
    let mut zero = base.clone();
    zero[2] = -0.0;
    assert_eq!(first_difference(&base, &zero), Some(2));
    let mut nan = base.clone();
    nan[0] = f64::NAN;
    assert_eq!(first_difference(&base, &nan), Some(0));

    // End to end: a real program run with a different parameter on one side is caught.
    let src = "data d = csv(\"gen.csv\")\nparam p0 = 3\nparam p1 = 1\nhold d.a weight sma(d.a, p0) * p1\n";
    let compiled = compile_generated(src).unwrap();
    let mut rng = gen(7);
    let cols = data(&mut rng, 50);
    let plan = &compiled.lowered.plan;
    let inputs: Vec<&[f64]> = vec![cols[0].as_slice()];
    let b1 = bind(plan, &[3.0, 1.0]).unwrap();
    let b2 = bind(plan, &[3.0, 1.0000000000000002]).unwrap();
    let dims = Dims { rows: 50, assets: vec![] };
    let jit = plan_runner::run(&compiled.kernels, plan, &inputs, &dims, &b1);
    let reference = eval_plan(plan, &inputs, &dims, &b2, &compiled.outputs());
    assert!(first_difference(&jit[0], &reference[0]).is_some(), "a one-ulp parameter change must be visible");
}

/// The parameter-invariant cache of a sweep gives the same columns as a full run.
#[test]
fn cached_runs_match_full_runs() {
    let mut checked = 0;
    for seed in 5000..5300u64 {
        let mut rng = gen(seed);
        let src = ProgramGen::new(&mut rng).program(3);
        let Ok(compiled) = compile_generated(&src) else { continue };
        let cols = data(&mut rng, 60);
        let panel = panel_of(&cols);
        let plan = &compiled.lowered.plan;
        let (inputs, dims) = inputs_of(&compiled, &cols, &panel);
        let p1 = compiled.default_params()[1];
        let b_first = bind(plan, &[2.0, p1]).unwrap();
        let b_other = bind(plan, &[4.0, p1]).unwrap();
        // p0 varies, p1 does not.
        let cache = plan_runner::build_cache(&compiled.kernels, plan, &inputs, &dims, &b_first, &[true, false]);
        let cached = plan_runner::run_cached(&compiled.kernels, plan, &inputs, &dims, &b_other, Some(&cache));
        let full = plan_runner::run(&compiled.kernels, plan, &inputs, &dims, &b_other);
        for (c, f) in cached.iter().zip(&full) {
            assert_eq!(first_difference(c, f), None, "seed {seed}\n{src}");
        }
        checked += 1;
    }
    assert!(checked > 250);
}

/// Windows over param-invariant columns are memoised per thread across the bindings of a sweep
/// (keyed by the cache, the node and the length): runs that revisit a length in any order, with
/// the other param changing, give the same columns as full runs.
#[test]
fn memoised_windows_match_full_runs() {
    let mut checked = 0;
    for seed in 7000..7200u64 {
        let mut rng = gen(seed);
        let src = ProgramGen::new(&mut rng).program(3);
        let Ok(compiled) = compile_generated(&src) else { continue };
        let cols = data(&mut rng, 60);
        let panel = panel_of(&cols);
        let plan = &compiled.lowered.plan;
        let (inputs, dims) = inputs_of(&compiled, &cols, &panel);
        let p1 = compiled.default_params()[1];
        let order = [(2.0, p1), (2.0, -p1), (5.0, p1), (2.0, p1 * 0.5), (3.0, p1), (5.0, -p1), (9.0, p1), (2.0, p1), (3.0, 1.0)];
        let Ok(b_first) = bind(plan, &[order[0].0, order[0].1]) else { continue };
        let cache = plan_runner::build_cache(&compiled.kernels, plan, &inputs, &dims, &b_first, &[true, true]);
        for &(a, b) in &order {
            let Ok(binding) = bind(plan, &[a, b]) else { continue };
            let cached = plan_runner::run_cached(&compiled.kernels, plan, &inputs, &dims, &binding, Some(&cache));
            let full = plan_runner::run(&compiled.kernels, plan, &inputs, &dims, &binding);
            for (c, f) in cached.iter().zip(&full) {
                assert_eq!(first_difference(c, f), None, "seed {seed}, params ({a}, {b})\n{src}");
            }
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

/// Every fused kernel passes the Cranelift verifier (on in debug builds) and the printed IR is
/// the loop the docs describe.
#[test]
fn kernels_verify_and_print() {
    let src = "data d = csv(\"gen.csv\")\nparam k in [2, 3]\nlet x = d.a * k + 1\nhold d.a weight if x > 3 then min(x, 0.5) else sign(d.b)\n";
    let compiled = compile_generated(src).unwrap();
    let clif = compiled.kernels.clif();
    assert!(clif.contains("fmin"), "{clif}");
    assert!(clif.contains("fcmp gt"), "{clif}");
    // `sign(d.b)` depends on no swept param: it gets a kernel of its own, which a sweep runs
    // once. (With `param k = 2`, nothing is swept and one kernel computes everything.)
    assert_eq!(compiled.kernels.kernel_count(), 2);
    let (free, bound) = (&compiled.kernels.kernels()[0], &compiled.kernels.kernels()[1]);
    assert!(free.scalars().is_empty() && !bound.scalars().is_empty(), "{clif}");
    let fixed = compile_generated(&src.replace("param k in [2, 3]", "param k = 2")).unwrap();
    assert_eq!(fixed.kernels.kernel_count(), 1, "{}", fixed.kernels.clif());
}

/// The plan runner keeps freed column buffers per thread and reuses them without clearing
/// where a JIT kernel writes every value: a pool filled with garbage of every length a run
/// asks for (a series and a panel) must change nothing, on generated programs.
#[test]
fn recycled_buffers_never_leak_into_a_run() {
    let mut checked = 0;
    for seed in 7000..7300u64 {
        let mut rng = gen(seed);
        let src = ProgramGen::new(&mut rng).program(2 + (seed % 3) as u32);
        let Ok(compiled) = compile_generated(&src) else { continue };
        let rows = 30 + (seed % 50) as usize;
        let cols = data(&mut rng, rows);
        for len in [rows, 3 * rows, rows, 3 * rows, rows, 3 * rows] {
            plan_runner::recycle(std::borrow::Cow::Owned(vec![-123.456e7; len]));
        }
        let params = vec![3.0, compiled.default_params()[1]];
        match compare(&compiled, &cols, &params) {
            Ok(None) => {}
            Ok(Some((o, t, j, r))) => panic!("seed {seed}: output {o} differs at row {t}: jit {j:?} vs reference {r:?}\n{src}"),
            Err(e) => panic!("seed {seed}: binding failed: {e}\n{src}"),
        }
        checked += 1;
    }
    assert!(checked > 250, "{checked}");
}
