//! `strat check`: compile only; optionally print the plan and the Cranelift IR.

use super::program::compile;
use std::path::Path;
use strat::Backend;

/// `strat check`: compiles `file` (reading its data headers), prints the plan and CLIF when
/// asked and a one-line summary; returns the exit code.
pub(super) fn check(file: &Path, plan: bool, clif: bool) -> i32 {
    let strategy = match compile(file, Backend::Jit) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if plan {
        outp!("{}", strategy.compiled().plan_text());
    }
    if clif {
        outp!("{}", strategy.compiled().kernels.clif());
    }
    let h = strategy.program();
    out!(
        "ok: strategy {} ({} param(s), {} let(s), {} regime(s), {} weights, {} report(s); {} JIT kernel(s); grid of {} binding(s))",
        h.name,
        h.params.len(),
        strategy.compiled().lowered.lets.len(),
        h.regimes.len(),
        h.weights.len(),
        h.reports.len(),
        strategy.compiled().kernels.kernel_count(),
        strategy.grid_size().describe()
    );
    0
}
