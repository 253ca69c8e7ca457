//! `lower`: well-typed programs → plan (`hir_to_plan`: constant folding and CSE). The first byte
//! chooses where the program comes from: even, the differential test's generator, seeded by the
//! next 32 bytes, at a depth (0..=7) from the byte after; odd, the rest of the input as source
//! text (kept when it parses and checks). Lowering must not panic, must be deterministic (two
//! lowerings of one HIR print the same plan), must keep the plan topological (every operand
//! precedes its node) and its outputs inside the arena.
#![no_main]

use libfuzzer_sys::fuzz_target;
use strat_compiler::{ast_to_hir, hir_to_plan};
use strat_fuzz::generator::ProgramGen;

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let src = if mode % 2 == 0 {
        let depth = rest.get(32).map_or(2, |b| (b % 8) as u32);
        let mut rng = strat_fuzz::rng_from(rest);
        ProgramGen::new(&mut rng).program(depth)
    } else {
        String::from_utf8_lossy(rest).into_owned()
    };
    let (ast, diags) = strat_grammar::source_to_ast(&src);
    strat_fuzz::assert_sound(&src, &diags);
    if diags.iter().any(|d| d.is_error()) {
        return;
    }
    let mut columns = |path: &str| strat_fuzz::invented_columns(path);
    let (hir, diags) = ast_to_hir(&ast, "fuzz", &mut columns);
    strat_fuzz::assert_sound(&src, &diags);
    let Some(hir) = hir else { return };
    let lowered = hir_to_plan(&hir);
    let again = hir_to_plan(&hir);
    assert_eq!(format!("{:?}", lowered.plan), format!("{:?}", again.plan), "lowering is not deterministic\n{src}");
    let n = lowered.plan.nodes.len();
    for (i, node) in lowered.plan.nodes.iter().enumerate() {
        for operand in node.op.args() {
            assert!(operand.index() < i, "node {i} reads node {} (not topological)\n{src}", operand.index());
        }
    }
    let mut outs = vec![lowered.weight];
    outs.extend(lowered.sleeve_weights.iter().copied());
    outs.extend(lowered.reports.iter().map(|r| r.1));
    outs.extend(lowered.lets.iter().copied());
    outs.extend(lowered.regimes.iter().copied());
    outs.extend(lowered.constraints.iter().copied());
    outs.extend(lowered.param_when.iter().flatten().copied());
    for o in outs {
        assert!(o.index() < n, "output node {} outside a plan of {n} nodes\n{src}", o.index());
    }
});
