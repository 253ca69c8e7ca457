//! `plan_to_kernels`: schedules a plan into steps and compiles its elementwise work through
//! Cranelift. The compiler hands over [`Kernels`]; it does not execute them: the runtime's plan
//! runner (`strat_runtime::plan_runner`) runs the [`Step`]s in order over a run's columns,
//! through the read-only view [`Kernels`] gives of its schedule ([`Kernels::steps`],
//! [`Kernels::kernels`], [`Kernels::reads`], ...) and [`Kernel::call`].
//!
//! - `schedule`: which nodes a run computes, in which order, and which fuse into which kernel.
//! - `emit`: Cranelift emission of one fused kernel.
//!
//! Kernel ABI (one for all kernels):
//! `unsafe extern "C" fn(columns: *const *const f64, scalars: *const f64, outputs: *const *mut f64, len: usize)`
//! where `columns` are the kernel's input columns, `scalars` the values of the scalar nodes it
//! reads (computed once per binding: parameters are runtime arguments, so a sweep compiles once),
//! and `outputs` the columns it writes, all `len` long. [`Kernel::call`] is its safe wrapper.

mod emit;
mod schedule;

pub use schedule::Step;

use crate::ops;
use crate::plan::{Node, Op, Plan};
use crate::types::Shape;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Module};
use schedule::FusedKernel;
use std::borrow::Cow;

type KernelFn = unsafe extern "C" fn(*const *const f64, *const f64, *const *mut f64, usize);

/// One compiled fused kernel: what it reads and writes, and its machine code. It computes, bar
/// by bar, the elementwise nodes [`Kernel::outputs`] of one shape from the columns
/// [`Kernel::columns`] and the scalar values of [`Kernel::scalars`]. A panel kernel (rows =
/// bars, columns = assets, stored asset-major) is called once per asset, on that asset's `rows`
/// values of every panel column; a series column it reads is the same for every asset.
#[derive(Debug)]
pub struct Kernel {
    /// Shape of the targets: a panel kernel is called once per asset.
    shape: Shape,
    func: Option<KernelFn>,
    id: FuncId,
    columns: Vec<Node>,
    scalars: Vec<Node>,
    outputs: Vec<Node>,
    clif: String,
}

impl Kernel {
    /// The kernel of `fused`, defined in the module as `id` (its code is not final yet).
    fn new(fused: FusedKernel, id: FuncId, clif: String) -> Self {
        Kernel { shape: fused.shape, func: None, id, columns: fused.columns, scalars: fused.scalars, outputs: fused.targets, clif }
    }

    /// The shape of the nodes it writes: a series kernel is called once per run, a panel kernel
    /// once per asset of its universe.
    pub fn shape(&self) -> Shape {
        self.shape
    }

    /// The nodes whose columns it reads (inputs, or computed by earlier steps), in node order:
    /// the `columns` argument of [`Kernel::call`].
    pub fn columns(&self) -> &[Node] {
        &self.columns
    }

    /// The non-constant scalar nodes it reads (one value per binding, from
    /// `Binding::scalars`), in node order: the `scalars` argument of [`Kernel::call`].
    pub fn scalars(&self) -> &[Node] {
        &self.scalars
    }

    /// The nodes it writes, one column each: the `outputs` argument of [`Kernel::call`].
    pub fn outputs(&self) -> &[Node] {
        &self.outputs
    }

    /// Runs the kernel over `len` bars (one asset of a panel): `columns[i]` holds the values of
    /// `self.columns()[i]` at those bars, `scalars[i]` the value of `self.scalars()[i]`, and
    /// `outputs[i]` receives the values of `self.outputs()[i]`. Panics unless there are as many
    /// slices as the kernel reads and writes and each holds exactly `len` values, so the call
    /// itself is sound: the machine code reads and writes `len` values through each pointer and
    /// nothing else.
    pub fn call(&self, len: usize, columns: &[&[f64]], scalars: &[f64], outputs: &mut [&mut [f64]]) {
        assert_eq!(columns.len(), self.columns.len(), "a kernel call needs one slice per input column");
        assert_eq!(scalars.len(), self.scalars.len(), "a kernel call needs one value per scalar node");
        assert_eq!(outputs.len(), self.outputs.len(), "a kernel call needs one slice per output");
        assert!(columns.iter().all(|c| c.len() == len), "every kernel input column must hold `len` values");
        assert!(outputs.iter().all(|o| o.len() == len), "every kernel output column must hold `len` values");
        let col_ptrs: Vec<*const f64> = columns.iter().map(|c| c.as_ptr()).collect();
        let out_ptrs: Vec<*mut f64> = outputs.iter_mut().map(|o| o.as_mut_ptr()).collect();
        // SAFETY: the asserts above make every pointer valid for `len` values, and the outputs
        // are `&mut`, so they overlap neither each other nor the inputs.
        unsafe { self.call_raw(len, &col_ptrs, scalars, &out_ptrs) };
    }

    /// [`Kernel::call`] on pointers, for a runner that calls a kernel once per asset without
    /// building slices each time: `columns[i]` points to the `len` values of
    /// `self.columns()[i]`, `outputs[i]` to `len` values it overwrites.
    ///
    /// # Safety
    /// There must be exactly `self.columns().len()` column pointers, `self.scalars().len()`
    /// scalars and `self.outputs().len()` output pointers; each column pointer must be valid for
    /// reading `len` values and each output pointer for writing `len` values, and no output may
    /// overlap another output or an input.
    pub unsafe fn call_raw(&self, len: usize, columns: &[*const f64], scalars: &[f64], outputs: &[*mut f64]) {
        debug_assert_eq!(columns.len(), self.columns.len());
        debug_assert_eq!(scalars.len(), self.scalars.len());
        debug_assert_eq!(outputs.len(), self.outputs.len());
        let Some(f) = self.func else { return };
        // SAFETY: `f` has the kernel ABI; it reads `len` values through each column pointer and
        // the scalars, and writes `len` values through each output pointer: the caller's
        // contract.
        unsafe { f(columns.as_ptr(), scalars.as_ptr(), outputs.as_ptr(), len) };
    }
}

/// A plan compiled to native code: the schedule of steps and the JIT'd kernels. It does not run
/// itself: the runtime's plan runner (`strat_runtime::plan_runner`) executes [`Kernels::steps`]
/// in order over a run's columns, through this read-only view.
pub struct Kernels {
    steps: Vec<Step>,
    kernels: Vec<Kernel>,
    outputs: Vec<Node>,
    n_nodes: usize,
    /// Per node, the index of the last step that reads its column (`None`: no step reads it).
    last_read: Vec<Option<usize>>,
    // Owns the machine code the kernels point into; must outlive every call.
    _module: JITModule,
}

// SAFETY: the JIT module is only read after `finalize_definitions`; kernels are pure functions of
// their arguments, so calling them from several threads at once is sound.
unsafe impl Send for Kernels {}
unsafe impl Sync for Kernels {}

impl std::fmt::Debug for Kernels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernels").field("steps", &self.steps).field("kernels", &self.kernels.len()).finish()
    }
}

/// An error from Cranelift while compiling a plan (a bug in Strat, never a user error).
#[derive(Debug, Clone, PartialEq)]
pub struct CodegenError(pub String);

impl std::fmt::Display for CodegenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "internal error in the JIT compiler: {}", self.0)
    }
}

impl std::error::Error for CodegenError {}

fn cg<E: std::fmt::Display>(e: E) -> CodegenError {
    CodegenError(e.to_string())
}

/// Compiles the part of `plan` that `outputs` need. The verifier runs in debug builds (and so in
/// every test). The work that depends on no param gets kernels of its own (see
/// [`plan_to_kernels_for_grid`]).
pub fn plan_to_kernels(plan: &Plan, outputs: &[Node]) -> Result<Kernels, CodegenError> {
    compile_schedule(plan, outputs, &plan.param_free())
}

/// [`plan_to_kernels`] for a program whose sweeps vary the params marked in `varying` (by param
/// index; the program's grid): the elementwise work that depends on none of them gets kernels
/// of its own, which a sweep's cache computes once instead of once per binding. Any mask gives
/// the same values; it only decides which work is shared.
pub fn plan_to_kernels_for_grid(plan: &Plan, outputs: &[Node], varying: &[bool]) -> Result<Kernels, CodegenError> {
    compile_schedule(plan, outputs, &plan.invariant(varying))
}

/// Schedules and compiles `plan` for `outputs`, with `shared` marking the nodes whose work
/// goes to kernels of their own (see [`schedule::schedule`]).
fn compile_schedule(plan: &Plan, outputs: &[Node], shared: &[bool]) -> Result<Kernels, CodegenError> {
    let mut module = jit_module()?;
    let schedule::Schedule { steps, fused } = schedule::schedule(plan, outputs, shared);
    let mut kernels = Vec::with_capacity(fused.len());
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = module.make_context();
    for (index, f) in fused.into_iter().enumerate() {
        let (id, clif) = emit::emit_kernel(&mut module, &mut ctx, &mut fctx, plan, index, &f)?;
        kernels.push(Kernel::new(f, id, clif));
    }
    module.finalize_definitions().map_err(cg)?;
    for k in &mut kernels {
        let ptr = module.get_finalized_function(k.id);
        // SAFETY: the function was declared with exactly the KernelFn signature.
        k.func = Some(unsafe { std::mem::transmute::<*const u8, KernelFn>(ptr) });
    }
    let last_read = last_reads(plan, &steps, &kernels);
    Ok(Kernels { steps, kernels, outputs: outputs.to_vec(), n_nodes: plan.nodes.len(), last_read, _module: module })
}

/// The columns `step` reads: a stdlib node's operand, or a kernel's input columns.
fn step_reads<'a>(plan: &Plan, kernels: &'a [Kernel], step: &Step) -> Cow<'a, [Node]> {
    match *step {
        Step::Stdlib(n) => match plan.nodes[n.index()].op {
            Op::Window(_, x, _) | Op::Scan(_, x) | Op::Cross(_, x, _) => Cow::Owned(vec![x]),
            _ => Cow::Owned(vec![]),
        },
        Step::Jit(k) => Cow::Borrowed(&kernels[k].columns),
    }
}

/// Per node of `plan`, the index of the last of `steps` that reads its column (`None`: no step
/// reads it).
fn last_reads(plan: &Plan, steps: &[Step], kernels: &[Kernel]) -> Vec<Option<usize>> {
    let mut last_read = vec![None; plan.nodes.len()];
    for (k, step) in steps.iter().enumerate() {
        for r in step_reads(plan, kernels, step).iter() {
            last_read[r.index()] = Some(k);
        }
    }
    last_read
}

/// A JIT module for the host, optimising for speed, with the libcalls kernels may import. The
/// Cranelift verifier is on in debug builds.
fn jit_module() -> Result<JITModule, CodegenError> {
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(cg)?;
    flags.set("use_colocated_libcalls", "false").map_err(cg)?;
    flags.set("is_pic", "false").map_err(cg)?;
    flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).map_err(cg)?;
    let isa = cranelift_native::builder().map_err(cg)?.finish(settings::Flags::new(flags)).map_err(cg)?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    jb.symbol("strat_log", ops::strat_log as *const u8);
    jb.symbol("strat_exp", ops::strat_exp as *const u8);
    Ok(JITModule::new(jb))
}

impl Kernels {
    /// The Cranelift IR of every kernel, for `:clif` and snapshot tests.
    pub fn clif(&self) -> String {
        self.kernels.iter().map(|k| k.clif.clone()).collect::<Vec<_>>().join("\n")
    }

    /// Number of fused JIT kernels.
    pub fn kernel_count(&self) -> usize {
        self.kernels.len()
    }

    /// The steps of a run, in execution order. A `Step::Jit(k)` runs `self.kernels()[k]`.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The fused kernels the `Step::Jit` steps refer to.
    pub fn kernels(&self) -> &[Kernel] {
        &self.kernels
    }

    /// The nodes whose columns a run returns, as given to [`plan_to_kernels`] (a node may be
    /// listed more than once).
    pub fn outputs(&self) -> &[Node] {
        &self.outputs
    }

    /// The number of nodes of the plan the kernels were compiled from: the length of a run's
    /// per-node tables.
    pub fn n_nodes(&self) -> usize {
        self.n_nodes
    }

    /// Per node, the index in [`Kernels::steps`] of the last step that reads its column (`None`:
    /// no step reads it), so that a runner can free the column after that step.
    pub fn last_read(&self) -> &[Option<usize>] {
        &self.last_read
    }

    /// The columns `step` reads, for `plan` (the plan the kernels were compiled from): a stdlib
    /// node's operand, or a kernel's [`Kernel::columns`].
    pub fn reads(&self, plan: &Plan, step: &Step) -> Cow<'_, [Node]> {
        step_reads(plan, &self.kernels, step)
    }
}
