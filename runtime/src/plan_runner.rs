//! The plan runner: executes the [`Kernels`] the compiler hands over
//! (`strat_compiler::plan_to_kernels`) over a run's columns. Runs the steps in schedule order
//! (stdlib windows from `strat_compiler::window`, JIT kernels once per asset of a panel through
//! [`Kernel::call`]), hands the buffers of dead columns back to a pool for later steps, and keeps
//! a sweep's param-invariant columns in a [`Cache`] shared by every binding. A window over a
//! param-invariant column whose length is swept is computed once per length on each thread and
//! reused by the next bindings with that length (the grid turns the last param fastest, so
//! consecutive bindings usually share the earlier params' windows).
//!
//! Columns: a series is `rows` values (one per bar); a panel is asset-major, `rows` values per
//! asset, one asset after the other (rows = bars, columns = assets).
//!
//! This file uses only `std` and `strat_compiler`, so the cargo-fuzz crate (`fuzz/`, which must
//! not depend on this crate's polars) includes it verbatim for its differential target.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use strat_compiler::bind::Binding;
use strat_compiler::codegen::{Kernel, Kernels, Step};
use strat_compiler::plan::{Demand, Dims, Node, Op, Plan};
use strat_compiler::types::Shape;
use strat_compiler::window::{run_cross, run_cross_at, run_scan_panel, run_window_panel, run_window_panel_at};

/// Columns of param-invariant nodes, computed once and shared by every binding of a sweep.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    cols: Vec<Option<Vec<f64>>>,
    /// Per step: it computes only param-invariant columns, so a cached run skips it (what later
    /// steps read of it is in `cols`).
    skip: Vec<bool>,
    /// Tells this cache's windows apart in the per-thread memo (0: no memo).
    id: u64,
    /// Per node: whether its column is the same for every binding.
    invariant: Vec<bool>,
}

/// The source of [`Cache`] ids.
static NEXT_CACHE_ID: AtomicU64 = AtomicU64::new(1);

/// How many window columns each thread keeps (the most recently used).
const WINDOW_MEMO: usize = 4;

/// A memoised window column: (cache id, node, length, column).
type MemoEntry = (u64, usize, usize, Vec<f64>);

/// How many free buffers each thread keeps between runs (see [`recycle`]).
const POOL_MAX: usize = 32;

/// How many bytes of free buffers each thread keeps between runs: enough for every column of a
/// binding over a few thousand bars of a few dozen assets; a larger run allocates as before.
const POOL_MAX_BYTES: usize = 64 << 20;

/// Adds `bufs` to `pool` while it stays within `POOL_MAX` buffers and `POOL_MAX_BYTES`.
fn keep_free(pool: &mut Vec<Vec<f64>>, bufs: impl IntoIterator<Item = Vec<f64>>) {
    let mut bytes: usize = pool.iter().map(|b| b.len() * 8).sum();
    for b in bufs {
        if pool.len() < POOL_MAX && !b.is_empty() && bytes + b.len() * 8 <= POOL_MAX_BYTES {
            bytes += b.len() * 8;
            pool.push(b);
        }
    }
}

thread_local! {
    /// Window columns of param-invariant inputs, per thread, most recently used first.
    static WINDOWS: RefCell<Vec<MemoEntry>> = const { RefCell::new(Vec::new()) };
    /// Free column buffers of this thread's earlier runs (a sweep's bindings run the same
    /// steps on the same shapes, so the next binding finds every buffer it needs here).
    static POOL: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
}

/// Hands a column the caller no longer needs back to this thread's buffer pool, for the next
/// run on this thread to reuse (already touched memory: no allocation, no zeroing, no page
/// faults). Borrowed columns and empty buffers are ignored. A run takes its buffers from the
/// pool before it allocates, so the pool holds at most one binding's columns, and never more
/// than `POOL_MAX` buffers or `POOL_MAX_BYTES` (64 MiB) per thread.
pub fn recycle(col: Cow<'_, [f64]>) {
    if let Cow::Owned(b) = col {
        POOL.with(|p| keep_free(&mut p.borrow_mut(), [b]));
    }
}

impl Cache {
    /// Number of cached columns.
    pub fn len(&self) -> usize {
        self.cols.iter().filter(|c| c.is_some()).count()
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether node `n`'s column is the same for every binding of the sweep.
    pub fn is_invariant(&self, n: Node) -> bool {
        self.invariant.get(n.index()).copied().unwrap_or(false)
    }
}

/// A buffer of `len` values: one of `pool` of that length if there is one (already touched
/// memory, no page faults), else a new one. With `fill`, every value is set to it; without,
/// a reused buffer keeps its old values (for a caller that writes every one).
fn buffer(pool: &mut Vec<Vec<f64>>, len: usize, fill: Option<f64>) -> Vec<f64> {
    match pool.iter().position(|b| b.len() == len) {
        Some(i) => {
            let mut b = pool.swap_remove(i);
            if let Some(v) = fill {
                b.fill(v);
            }
            b
        }
        None => vec![fill.unwrap_or(0.0); len],
    }
}

/// Runs the compiled plan for a run of size `dims` and returns the columns of the outputs
/// given to `plan_to_kernels` (a scalar output is broadcast to a series). `kernels` must come
/// from `plan`; `inputs[i]` is the column or asset-major panel of `plan.inputs[i]`; `binding`
/// must come from `strat_compiler::bind` on the same plan.
pub fn run(kernels: &Kernels, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding) -> Vec<Vec<f64>> {
    run_cached(kernels, plan, inputs, dims, binding, None)
}

/// As [`run`], reusing the columns in `cache` (see [`build_cache`]) instead of recomputing them.
pub fn run_cached(kernels: &Kernels, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding, cache: Option<&Cache>) -> Vec<Vec<f64>> {
    run_borrowed(kernels, plan, inputs, dims, binding, cache).into_iter().map(|c| c.into_owned()).collect()
}

/// As [`run_cached`], borrowing outputs that are inputs or cached columns instead of copying
/// them.
pub fn run_borrowed<'a>(kernels: &Kernels, plan: &Plan, inputs: &[&'a [f64]], dims: &Dims, binding: &Binding, cache: Option<&'a Cache>) -> Vec<Cow<'a, [f64]>> {
    run_borrowed_keeping(kernels, plan, inputs, dims, binding, cache, &[]).0
}

/// As [`run_borrowed`], also returning the columns of the nodes `probes` that the run computed
/// anyway: an input, a window, running or cross-sectional node, or a kernel's output (each
/// kept past its last reader instead of being freed). A node computed inside a fused kernel
/// has no column of its own: `None` (the caller evaluates it another way). One entry per probe.
#[allow(clippy::type_complexity)]
pub fn run_borrowed_keeping<'a>(
    kernels: &Kernels,
    plan: &Plan,
    inputs: &[&'a [f64]],
    dims: &Dims,
    binding: &Binding,
    cache: Option<&'a Cache>,
    probes: &[Node],
) -> (Vec<Cow<'a, [f64]>>, Vec<Option<Vec<f64>>>) {
    let mut keep = vec![];
    if !probes.is_empty() {
        keep = vec![false; kernels.n_nodes()];
        for p in probes {
            keep[p.index()] = true;
        }
    }
    let mut cols = execute(kernels, plan, inputs, dims, binding, cache, &keep, &[]);
    let kept = probes.iter().map(|p| cols[p.index()].as_ref().map(|c| c.to_vec())).collect();
    let outputs = kernels.outputs();
    let outs = outputs
        .iter()
        .enumerate()
        .map(|(k, &n)| {
            // An output listed twice (a report of the weight itself) is copied, not moved.
            let again = outputs[k + 1..].contains(&n);
            match if again { cols[n.index()].clone() } else { cols[n.index()].take() } {
                Some(c) => c,
                None => Cow::Owned(vec![binding.scalars[n.index()]; dims.rows]),
            }
        })
        .collect();
    (outs, kept)
}

/// Computes, once, every column that does not depend on the parameters marked in `varying`
/// (a mask over the program's params), to be shared by all bindings through [`run_cached`].
/// `binding` may be any valid binding.
pub fn build_cache(kernels: &Kernels, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding, varying: &[bool]) -> Cache {
    build_cache_at(kernels, plan, inputs, dims, binding, varying, &[])
}

/// As [`build_cache`], computing each window and cross-sectional node only on the rows its
/// readers use (`demand`, from [`Plan::demand`]; empty: every row); the other rows of such a
/// column hold NaN, those of the elementwise columns computed from it whatever the kernel made
/// of that NaN, and none of them may be read. The columns' values on their rows are those of
/// [`build_cache`], bit for bit (`strat_compiler::window::run_window_at`, `run_cross_at`).
/// Elementwise kernels and running ops still run on every row.
#[allow(clippy::too_many_arguments)]
pub fn build_cache_at(kernels: &Kernels, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding, varying: &[bool], demand: &[Demand]) -> Cache {
    let invariant = plan.invariant(varying);
    let skip: Vec<bool> = kernels.steps().iter().map(|step| !reruns(kernels, step, &invariant)).collect();
    let keep = cache_needs(kernels, plan, &skip);
    // A full run: a fused kernel may mix invariant and varying targets and read both kinds.
    let cols = execute(kernels, plan, inputs, dims, binding, None, &keep, demand);
    let cols = cols
        .into_iter()
        .enumerate()
        .map(|(i, c)| match (c, &plan.nodes[i].op) {
            (_, Op::Input(_)) => None,
            (Some(c), _) if invariant[i] && (keep[i] || kernels.outputs().contains(&Node(i as u32))) => Some(c.into_owned()),
            _ => None,
        })
        .collect();
    Cache { cols, skip, id: NEXT_CACHE_ID.fetch_add(1, Ordering::Relaxed), invariant }
}

/// Whether `step` computes a param-dependent column, and so runs for every binding.
fn reruns(kernels: &Kernels, step: &Step, invariant: &[bool]) -> bool {
    match *step {
        Step::Stdlib(n) => !invariant[n.index()],
        Step::Jit(k) => kernels.kernels()[k].outputs().iter().any(|o| !invariant[o.index()]),
    }
}

/// The columns a binding's run can take from the cache: those read by a step that runs again
/// for every binding (one that computes a param-dependent node). An invariant column only
/// ever read by steps that are themselves cached is not needed once the cache is built.
/// `skip` marks the steps a cached run skips.
fn cache_needs(kernels: &Kernels, plan: &Plan, skip: &[bool]) -> Vec<bool> {
    let mut needs = vec![false; kernels.n_nodes()];
    for (step, &skipped) in kernels.steps().iter().zip(skip) {
        if !skipped {
            for r in kernels.reads(plan, step).iter() {
                needs[r.index()] = true;
            }
        }
    }
    needs
}

/// Runs every step whose columns are not already known (inputs, cached columns). A computed
/// column that is neither an output nor marked in `keep` is dropped after the last step that
/// reads it, and its buffer reused for a later column of the same length (fewer fresh pages).
/// `demand` (empty: every row) limits windows and cross-sectional ops to the rows read.
#[allow(clippy::too_many_arguments)]
fn execute<'a>(
    kernels: &Kernels,
    plan: &Plan,
    inputs: &[&'a [f64]],
    dims: &Dims,
    binding: &Binding,
    cache: Option<&'a Cache>,
    keep: &[bool],
    demand: &[Demand],
) -> Vec<Option<Cow<'a, [f64]>>> {
    // This thread's free buffers from earlier runs; the ones left unused go back at the end.
    let mut pool: Vec<Vec<f64>> = POOL.with(|p| std::mem::take(&mut *p.borrow_mut()));
    let mut cols: Vec<Option<Cow<'a, [f64]>>> = vec![None; kernels.n_nodes()];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if let Op::Input(c) = nd.op {
            cols[i] = Some(Cow::Borrowed(inputs[c as usize]));
        }
    }
    if let Some(cache) = cache {
        for (i, c) in cache.cols.iter().enumerate() {
            if let Some(c) = c {
                cols[i] = Some(Cow::Borrowed(c.as_slice()));
            }
        }
    }
    let last_read = kernels.last_read();
    for (k, step) in kernels.steps().iter().enumerate() {
        if !cache.is_some_and(|c| c.skip.get(k).copied().unwrap_or(false)) {
            run_step(kernels, plan, step, &mut cols, dims, binding, &mut pool, cache, demand);
        }
        for r in kernels.reads(plan, step).iter() {
            let i = r.index();
            if last_read[i] == Some(k) && !keep.get(i).copied().unwrap_or(false) && !kernels.outputs().contains(r) {
                if let Some(Cow::Owned(b)) = cols[i].take() {
                    pool.push(b);
                }
            }
        }
    }
    POOL.with(|p| keep_free(&mut p.borrow_mut(), pool));
    cols
}

/// Runs one step unless its columns are already known, taking new columns from `pool`; `cache`
/// is the sweep cache in use, if any.
#[allow(clippy::too_many_arguments)]
fn run_step(
    kernels: &Kernels,
    plan: &Plan,
    step: &Step,
    cols: &mut [Option<Cow<'_, [f64]>>],
    dims: &Dims,
    binding: &Binding,
    pool: &mut Vec<Vec<f64>>,
    cache: Option<&Cache>,
    demand: &[Demand],
) {
    match *step {
        Step::Stdlib(n) => run_stdlib(plan, n, cols, dims, binding, pool, cache, demand.get(n.index()).and_then(Demand::rows)),
        Step::Jit(k) => run_jit(plan, &kernels.kernels()[k], cols, dims, binding, pool),
    }
}

/// Computes window/running/cross node `n` with its stdlib kernel, unless its column is known.
/// With a sweep cache, a window over a column that is the same for every binding (a
/// param-invariant node) is taken from this thread's memo when an earlier binding of the same
/// sweep computed it with the same length. With `at`, a window or cross-sectional node is
/// computed on those rows only (NaN elsewhere).
#[allow(clippy::too_many_arguments)]
fn run_stdlib(
    plan: &Plan,
    n: Node,
    cols: &mut [Option<Cow<'_, [f64]>>],
    dims: &Dims,
    binding: &Binding,
    pool: &mut Vec<Vec<f64>>,
    cache: Option<&Cache>,
    at: Option<&[usize]>,
) {
    let i = n.index();
    if cols[i].is_some() {
        return;
    }
    let rows = dims.rows;
    let shape = plan.nodes[i].shape;
    let mut out = buffer(pool, dims.len_of(shape), Some(f64::NAN));
    match (plan.nodes[i].op, at) {
        (Op::Window(o, x, _), Some(at)) => {
            let xs = column(cols, x, binding, dims.len_of(shape));
            run_window_panel_at(o, &xs, rows, dims.width_of(shape), binding.lengths[i], at, &mut out);
        }
        (Op::Window(o, x, _), None) => {
            let length = binding.lengths[i];
            let memo = cache.map_or(0, |c| c.id);
            let shared = memo != 0 && cache.is_some_and(|c| c.is_invariant(x)) && cols[x.index()].is_some();
            let hit = shared
                && WINDOWS
                    .with(|m| {
                        let mut m = m.borrow_mut();
                        let k = m.iter().position(|e| e.0 == memo && e.1 == i && e.2 == length)?;
                        let e = m.remove(k);
                        out.copy_from_slice(&e.3);
                        m.insert(0, e);
                        Some(())
                    })
                    .is_some();
            if !hit {
                let xs = column(cols, x, binding, dims.len_of(shape));
                run_window_panel(o, &xs, rows, dims.width_of(shape), length, &mut out);
                if shared {
                    WINDOWS.with(|m| {
                        let mut m = m.borrow_mut();
                        m.truncate(WINDOW_MEMO - 1);
                        m.insert(0, (memo, i, length, out.clone()));
                    });
                }
            }
        }
        (Op::Scan(o, x), _) => {
            let xs = column(cols, x, binding, dims.len_of(shape));
            run_scan_panel(o, &xs, rows, dims.width_of(shape), &mut out)
        }
        (Op::Cross(o, x, f), _) => {
            let xshape = plan.nodes[x.index()].shape;
            let xs = column(cols, x, binding, dims.len_of(xshape));
            match at {
                Some(at) => run_cross_at(o, &xs, rows, dims.width_of(xshape), binding.scalars[f.index()], at, &mut out),
                None => run_cross(o, &xs, rows, dims.width_of(xshape), binding.scalars[f.index()], &mut out),
            }
        }
        _ => {}
    }
    cols[i] = Some(Cow::Owned(out));
}

/// Calls fused kernel `k` (once per asset of a panel), unless all its outputs are known.
fn run_jit(plan: &Plan, k: &Kernel, cols: &mut [Option<Cow<'_, [f64]>>], dims: &Dims, binding: &Binding, pool: &mut Vec<Vec<f64>>) {
    if k.outputs().iter().all(|o| cols[o.index()].is_some()) {
        return;
    }
    let rows = dims.rows;
    let scal: Vec<f64> = k.scalars().iter().map(|s| binding.scalars[s.index()]).collect();
    let width = dims.width_of(k.shape());
    // Not filled: the kernel writes every row of every output for each asset.
    let mut outs: Vec<Vec<f64>> = k.outputs().iter().map(|_| buffer(pool, rows * width, None)).collect();
    // One pointer list per kernel, refilled per asset (no allocation per call).
    let mut col_ptrs: Vec<*const f64> = Vec::with_capacity(k.columns().len());
    let mut out_ptrs: Vec<*mut f64> = Vec::with_capacity(outs.len());
    for j in 0..width {
        // The schedule computes a kernel's columns in earlier steps; a panel column is this
        // asset's `rows` values, a series column the same for every asset.
        col_ptrs.clear();
        col_ptrs.extend(k.columns().iter().map(|c| {
            let col = cols[c.index()].as_deref().expect("internal error: a kernel input was not computed");
            match plan.nodes[c.index()].shape {
                Shape::Panel(_) => col[j * rows..(j + 1) * rows].as_ptr(),
                _ => col[..rows].as_ptr(),
            }
        }));
        out_ptrs.clear();
        out_ptrs.extend(outs.iter_mut().map(|v| v[j * rows..(j + 1) * rows].as_mut_ptr()));
        // SAFETY: one pointer per input column, scalar and output of the kernel; each input
        // points into a computed column with at least `rows` values from there (the slicing
        // above checks it), each output into its own fresh buffer `outs[i]` (distinct `Vec`s,
        // so outputs overlap neither each other nor the inputs, which live in `cols`).
        unsafe { k.call_raw(rows, &col_ptrs, &scal, &out_ptrs) };
    }
    for (o, v) in k.outputs().iter().zip(outs) {
        if cols[o.index()].is_none() {
            cols[o.index()] = Some(Cow::Owned(v));
        } else {
            pool.push(v);
        }
    }
}

/// The column of node `n`, or a scalar node's value broadcast to `len`.
fn column<'a>(cols: &'a [Option<Cow<'_, [f64]>>], n: Node, binding: &Binding, len: usize) -> Cow<'a, [f64]> {
    match &cols[n.index()] {
        Some(c) => Cow::Borrowed(c.as_ref()),
        None => Cow::Owned(vec![binding.scalars[n.index()]; len]),
    }
}
