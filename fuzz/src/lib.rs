//! Shared pieces of the cargo-fuzz targets in `fuzz_targets/`: a header callback that invents
//! data columns (so the checker gets past `data` / `universe` statements without files), the
//! differential test's program and data generator (`runtime/tests/common/mod.rs`) and the
//! runtime's plan runner (`runtime/src/plan_runner.rs`), both included verbatim so that they
//! cannot drift and the fuzz crate need not depend on strat-runtime (and polars), and the "no
//! internal error" and "JIT == reference" oracles.
//!
//! Every target panics on a finding; libFuzzer records the input as a crash.

use rand::SeedableRng;
use strat_compiler::plan::{Dims, InputRef};
use strat_compiler::{bind, eval_plan, Compiled};
use strat_grammar::Diag;

/// The differential test's generator: `ProgramGen` (well-typed-by-construction programs over a
/// data source `d` with columns a, b, c and, half the time, a universe `u` of assets a, b, c)
/// and `data` (random walks with NaN gaps, zeros, signed zeros and repeats).
#[path = "../../runtime/tests/common/mod.rs"]
pub mod generator;

/// The runtime's plan runner (`strat_runtime::plan_runner`), which runs the compiled kernels over
/// columns; it uses only `std` and `strat_compiler`.
#[path = "../../runtime/src/plan_runner.rs"]
pub mod plan_runner;

/// The header row of every bundled example data file, by file name.
const KNOWN_HEADERS: &[(&str, &str)] = &[
    ("spx_vix.csv", "date,spx,vix"),
    ("crypto_close.csv", "date,ada,avax,bnb,btc,doge,dot,eth,link,ltc,matic,sol,xrp"),
    ("etf_adj_close.csv", "date,agg,bil,dbc,eem,efa,ewj,gld,hyg,ief,iev,iwm,iyr,lqd,mdy,qqq,shy,spy,tip,tlt,vnq,vti"),
    ("stocks_adj_close.csv", "date,abt,adbe,amat,amgn,amzn,axp,ba,bmy,c,cat,cl,cmcsa,cop,cost,csco,de,dis,duk,emr,gild,googl,gs,hon,ibm,intc,low,ma,mcd,mdt,mmm,mo,ms,nee,nke,nvda,orcl,oxy,qcom"),
];

/// The columns of a data file as the host would report them, invented from the path alone (no
/// file is read): the bundled examples' headers for their file names; an error for a path
/// containing `nosuch` or ending in `/` (as the CLI reports a missing file); otherwise `date`
/// plus a path-dependent selection of the names the generators and the seed corpus use.
pub fn invented_columns(path: &str) -> Result<Vec<String>, String> {
    if path.contains("nosuch") || path.ends_with('/') || path.is_empty() {
        return Err(format!("cannot read `{path}`: no such file"));
    }
    let split = |h: &str| h.split(',').map(str::to_string).collect::<Vec<_>>();
    if let Some((_, h)) = KNOWN_HEADERS.iter().find(|(name, _)| path.ends_with(name)) {
        return Ok(split(h));
    }
    // Other paths: a header chosen by a hash of the path, so that different files differ.
    let h = path.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
    let pool = ["a", "b", "c", "spx", "vix", "btc", "eth", "spy", "tlt", "gld", "x", "close"];
    let mut cols = vec!["date".to_string()];
    cols.extend(pool.iter().enumerate().filter(|(i, _)| *i < 3 || h & (1 << i) != 0).map(|(_, c)| c.to_string()));
    Ok(cols)
}

/// Panics (a fuzzer crash) when a diagnostic is `strat::internal` or a label's span is not a
/// character range of `src`.
pub fn assert_sound(src: &str, diags: &[Diag]) {
    for d in diags {
        assert!(d.code != "strat::internal", "internal error: {}", d.message);
        for l in &d.labels {
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            assert!(
                s <= e && e <= src.len() && src.is_char_boundary(s) && src.is_char_boundary(e),
                "{}: label span {s}..{e} is not a char range of the {}-byte source",
                d.code,
                src.len()
            );
        }
    }
}

/// A 32-byte ChaCha8 seed taken from `bytes` (zero-padded), so that the fuzzer's bytes choose
/// the generated program.
pub fn rng_from(bytes: &[u8]) -> generator::Gen {
    let mut seed = [0u8; 32];
    let n = bytes.len().min(32);
    seed[..n].copy_from_slice(&bytes[..n]);
    rand_chacha::ChaCha8Rng::from_seed(seed)
}

/// Values the differential target may plant in the generated data (chosen by the fuzzer).
pub const SPECIAL: &[f64] = &[
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e308,
    -1e308,
    1e-320,
    f64::MIN_POSITIVE,
    f64::EPSILON,
    f64::MAX,
    1e15,
    100.0,
];

/// The plan inputs of a generated program (data columns a, b, c and the panel of a, b, c) and
/// the run size, exactly as the differential test builds them.
pub fn inputs_of<'a>(compiled: &Compiled, cols: &'a [Vec<f64>], panel: &'a [f64]) -> (Vec<&'a [f64]>, Dims) {
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

/// Runs the kernels and the reference evaluator on `cols` with `params` and panics at the first
/// output value that differs bitwise (after NaN canonicalisation). A binding the plan rejects
/// (say, a window of 0) is not a finding: it returns without running.
pub fn assert_backends_agree(src: &str, compiled: &Compiled, cols: &[Vec<f64>], params: &[f64]) {
    let plan = &compiled.lowered.plan;
    let Ok(binding) = bind(plan, params) else { return };
    let panel: Vec<f64> = cols.iter().flatten().copied().collect();
    let (inputs, dims) = inputs_of(compiled, cols, &panel);
    let outputs = compiled.outputs();
    let jit = plan_runner::run(&compiled.kernels, plan, &inputs, &dims, &binding);
    let reference = eval_plan(plan, &inputs, &dims, &binding, &outputs);
    assert_eq!(jit.len(), reference.len(), "the backends return different numbers of outputs\n{src}");
    for (o, (j, r)) in jit.iter().zip(&reference).enumerate() {
        if let Some(t) = generator::first_difference(j, r) {
            let (jv, rv) = (j.get(t).copied().unwrap_or(f64::NAN), r.get(t).copied().unwrap_or(f64::NAN));
            panic!(
                "output {o} differs at row {t}: jit {jv:?} ({:#x}) vs reference {rv:?} ({:#x}); params {params:?}\n{src}\ncolumns: {cols:?}",
                jv.to_bits(),
                rv.to_bits()
            );
        }
    }
}
