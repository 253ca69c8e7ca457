//! The size of a program's sweep grid, known without building it, and the memory a run, sweep
//! or walk-forward is estimated to hold (spec/limits.md "Memory", spec/studies.md).
//!
//! The grid is the cartesian product of the swept params' values. A `when` condition (a param
//! that varies only in some bindings) or a `where` constraint (bindings skipped) can only make it
//! smaller, so with either the product is an upper bound; without them it is exact.

use crate::program::{ParamDomain, Program};
use crate::Compiled;
use strat_grammar::{Diag, Span};

/// The number of bindings of a grid, computed from the params' domains alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GridSize {
    /// The product of every param's number of values; `None` when it overflows `u128`.
    pub bindings: Option<u128>,
    /// True when `bindings` is the exact count (no `when` and no `where`); else it is an upper
    /// bound.
    pub exact: bool,
}

impl GridSize {
    /// The count for messages: `10,000,000,000`, `at most 96`, or `more than 3.4e38`.
    pub fn describe(&self) -> String {
        match self.bindings {
            Some(n) if self.exact => thousands(n),
            Some(n) => format!("at most {}", thousands(n)),
            None => "more than 3.4e38".to_string(),
        }
    }
}

/// The size of `program`'s grid (see [`GridSize`]); never materialises a binding.
pub fn grid_size(program: &Program) -> GridSize {
    let mut n: Option<u128> = Some(1);
    for p in &program.params {
        let k = values_of(&p.domain) as u128;
        n = n.and_then(|n| n.checked_mul(k));
    }
    GridSize { bindings: n, exact: program.constraints.is_empty() && program.params.iter().all(|p| p.when.is_none()) }
}

/// How many values a param's domain gives the grid (a fixed param: one).
pub(crate) fn values_of(d: &ParamDomain) -> usize {
    match d {
        ParamDomain::Fixed => 1,
        ParamDomain::Values(v) => v.len().max(1),
        ParamDomain::Choices(c) => c.len().max(1),
    }
}

/// What a command keeps in memory, which decides the estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Study {
    /// `strat run`: one binding.
    Run,
    /// `strat sweep`: every binding's summary row.
    Sweep,
    /// `strat sweep` streamed (no JSON, no heatmap): a chunk of [`SWEEP_CHUNK`] bindings and
    /// one slice of the output file at a time, whatever the grid's size.
    SweepStreamed,
    /// `strat walk-forward`: every binding's daily returns and exposures.
    WalkForward,
}

impl Study {
    /// The command's name for messages (`run`, `sweep`, `walk-forward`).
    pub fn name(self) -> &'static str {
        match self {
            Study::Run => "run",
            Study::Sweep | Study::SweepStreamed => "sweep",
            Study::WalkForward => "walk-forward",
        }
    }
}

/// An estimate of the bytes one command holds at its peak, by part (each saturates at
/// `u128::MAX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// Bindings the command runs (1 for `run`; the grid's size, or its upper bound).
    pub bindings: u128,
    /// The binding table: per binding, its values and which params it uses.
    pub table_bytes: u128,
    /// What is kept per binding once it has run (a sweep's summary row; a walk-forward's
    /// returns and exposures).
    pub results_bytes: u128,
    /// The working columns of the bindings running at once: live bindings × rows × assets ×
    /// plan nodes × 8 bytes.
    pub working_bytes: u128,
}

impl MemoryEstimate {
    /// The total estimate, in bytes.
    pub fn total(&self) -> u128 {
        self.table_bytes.saturating_add(self.results_bytes).saturating_add(self.working_bytes)
    }
}

/// Bindings a streamed sweep runs at a time (see [`Study::SweepStreamed`]).
pub const SWEEP_CHUNK: usize = 4096;

/// Rows of a streamed output held before they are written (the runtime's row group).
const STREAMED_ROWS: u128 = 16_384;

/// Bytes of one binding's row in the binding table beyond its values: two `Vec` headers.
const TABLE_ROW_BYTES: u128 = 48;
/// Bytes of a sweep's summary row of one binding beyond its params, reports and weights runs:
/// the index, metrics, counters, turnover, information ratio and `Vec` headers.
const SWEEP_ROW_BYTES: u128 = 256;
/// Bytes per `weights` summary kept in a sweep row (name, method, counters, fallback groups).
const WEIGHTS_ROW_BYTES: u128 = 128;

/// Estimates the memory of `study` on data of `rows` rows and `assets` assets (the widest panel;
/// 1 without panels), with `threads` bindings running at once. The model (spec/limits.md):
/// table = bindings × (9 × params + 48); sweep results = bindings × (256 + 8 × (params +
/// reports) + 128 × weights); walk-forward results = bindings × (16 × rows + 48); working =
/// min(threads, bindings) × rows × assets × plan nodes × 8.
pub fn estimate_memory(compiled: &Compiled, study: Study, rows: u64, assets: u64, threads: u64) -> MemoryEstimate {
    let program = compiled.program();
    let bindings = match study {
        Study::Run => 1,
        _ => grid_size(program).bindings.unwrap_or(u128::MAX),
    };
    let params = program.params.len() as u128;
    // A streamed sweep holds one chunk of bindings and at most a row group of output rows.
    let held = match study {
        Study::SweepStreamed => bindings.min(SWEEP_CHUNK as u128 + STREAMED_ROWS),
        _ => bindings,
    };
    let table_bytes = match study {
        Study::Run => 0,
        _ => held.saturating_mul(9 * params + TABLE_ROW_BYTES),
    };
    let per_result = match study {
        Study::Run => 0,
        Study::Sweep | Study::SweepStreamed => {
            SWEEP_ROW_BYTES + 8 * (params + program.reports.len() as u128) + WEIGHTS_ROW_BYTES * program.weights.len() as u128
        }
        Study::WalkForward => 16 * rows as u128 + TABLE_ROW_BYTES,
    };
    let results_bytes = held.saturating_mul(per_result);
    let live = bindings.min(threads.max(1) as u128);
    let nodes = compiled.lowered.plan.nodes.len().max(1) as u128;
    let working_bytes = live.saturating_mul(rows as u128).saturating_mul(assets.max(1) as u128).saturating_mul(nodes).saturating_mul(8);
    MemoryEstimate { bindings, table_bytes, results_bytes, working_bytes }
}

/// `Err(strat::limit::memory)` when `estimate` exceeds `max_bytes`: the message names the
/// command, the estimate and the limit; a label on each swept param (with its number of
/// values); the help names `--max-memory`.
pub fn check_memory(compiled: &Compiled, study: Study, estimate: &MemoryEstimate, max_bytes: u64) -> Result<(), Diag> {
    let total = estimate.total();
    if total <= max_bytes as u128 {
        return Ok(());
    }
    let program = compiled.program();
    let size = grid_size(program);
    let what = match study {
        Study::Run => "this run".to_string(),
        s => format!("this {} of {} bindings", s.name(), size.describe()),
    };
    let mut d = Diag::error(
        "strat::limit::memory",
        format!("{what} would hold about {} of memory, over the limit of {}", bytes_text(total), bytes_text(max_bytes as u128)),
        Span::default(),
        "",
    );
    d.labels.clear();
    if study != Study::Run {
        for p in program.params.iter().filter(|p| values_of(&p.domain) > 1) {
            let label = format!("{} values", thousands(values_of(&p.domain) as u128));
            d = d.with_label(p.span, label);
        }
    }
    let parts = format!(
        "binding table {}, results {}, working columns {}",
        bytes_text(estimate.table_bytes),
        bytes_text(estimate.results_bytes),
        bytes_text(estimate.working_bytes)
    );
    let fix = if study == Study::Run { "use a shorter date window (`from` / `to`) or fewer assets" } else { "sweep fewer values (or add `where` constraints)" };
    Err(d.with_help(format!("{fix}, or raise the limit with --max-memory SIZE (e.g. --max-memory 64GiB); the estimate: {parts}")))
}

/// A byte count for messages: `8 GiB`, `2.3 TiB`, `512 B`; beyond `u64`, in EiB.
fn bytes_text(n: u128) -> String {
    const UNITS: [(&str, u128); 6] = [("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    if n == u128::MAX {
        return "more than 10^20 EiB".to_string();
    }
    for (u, m) in UNITS {
        if n >= m {
            return if n.is_multiple_of(m) { format!("{} {u}", n / m) } else { format!("{:.1} {u}", n as f64 / m as f64) };
        }
    }
    format!("{n} B")
}

/// `n` with thousands separators: `10,000,000,000`.
pub fn thousands(n: u128) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compiled(src: &str) -> Compiled {
        let (c, diags) = crate::compile(src, "t", &mut |_| Ok(vec!["spx".into(), "vix".into()]));
        c.unwrap_or_else(|| panic!("{diags:?}"))
    }

    fn swept(values: u64) -> String {
        format!("data mkt = csv(\"x.csv\")\nparam a in 1 ..= {values} step 1\nparam b in 1 ..= {values} step 1\nhold mkt.spx weight a + b\n")
    }

    #[test]
    fn grid_size_is_the_product_without_building_it() {
        let c = compiled(&swept(100_000));
        assert_eq!(grid_size(c.program()), GridSize { bindings: Some(10_000_000_000), exact: true });
        assert_eq!(grid_size(c.program()).describe(), "10,000,000,000");
        let c = compiled("data mkt = csv(\"x.csv\")\nparam a in [1, 2, 3]\nparam b in [1, 2] when a > 1\nwhere a < 3\nhold mkt.spx weight a + b\n");
        assert_eq!(grid_size(c.program()).describe(), "at most 6");
    }

    #[test]
    fn a_huge_sweep_is_refused_and_names_the_params() {
        let c = compiled(&swept(100_000));
        let e = estimate_memory(&c, Study::Sweep, 9132, 1, 2);
        let d = check_memory(&c, Study::Sweep, &e, 8 << 30).expect_err("refused");
        assert_eq!(d.code, "strat::limit::memory");
        assert_eq!(d.labels.len(), 2);
        assert_eq!(d.labels[0].message, "100,000 values");
        assert!(d.help.as_deref().is_some_and(|h| h.contains("--max-memory")));
    }

    #[test]
    fn a_million_bindings_of_a_tiny_program_fit_the_default_limit() {
        let c = compiled(&swept(1000));
        let e = estimate_memory(&c, Study::Sweep, 9132, 1, 64);
        assert_eq!(e.bindings, 1_000_000);
        assert!(check_memory(&c, Study::Sweep, &e, 8 << 30).is_ok(), "{} bytes", e.total());
        // The refusal scales with memory, not with the number of bindings.
        assert!(check_memory(&c, Study::Sweep, &e, 64 << 20).is_err());
        // Keeping every binding's daily returns (walk-forward) is what does not fit.
        let wf = estimate_memory(&c, Study::WalkForward, 9132, 1, 64);
        assert!(check_memory(&c, Study::WalkForward, &wf, 8 << 30).is_err());
    }

    #[test]
    fn a_run_counts_one_binding() {
        let c = compiled(&swept(100_000));
        let e = estimate_memory(&c, Study::Run, 9132, 1, 2);
        assert_eq!(e.bindings, 1);
        assert!(check_memory(&c, Study::Run, &e, 8 << 30).is_ok());
    }
}
