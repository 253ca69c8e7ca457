//! `plan_to_kernels`: schedules a plan into steps and compiles its elementwise work through
//! Cranelift.
//!
//! - `schedule`: which nodes a run computes, in which order, and which fuse into which kernel.
//! - `emit`: Cranelift emission of one fused kernel.
//! - `runner`: the step runner that executes [`Kernels`] over columns (buffer pool, sweep
//!   [`Cache`]); it is to move to the runtime.
//!
//! Kernel ABI (one for all kernels):
//! `unsafe extern "C" fn(columns: *const *const f64, scalars: *const f64, outputs: *const *mut f64, len: usize)`
//! where `columns` are the kernel's input columns, `scalars` the values of the scalar nodes it
//! reads (computed once per binding: parameters are runtime arguments, so a sweep compiles once),
//! and `outputs` the columns it writes, all `len` long.

mod emit;
mod runner;
mod schedule;

pub use runner::Cache;

use crate::ops;
use crate::plan::{Node, Plan};
use crate::types::Shape;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Module};
use schedule::{FusedKernel, Step};

type KernelFn = unsafe extern "C" fn(*const *const f64, *const f64, *const *mut f64, usize);

/// One compiled fused kernel: what it reads and writes, and its machine code.
#[derive(Debug)]
struct Kernel {
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
}

/// A plan compiled to native code: the schedule of steps and the JIT'd kernels.
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
/// every test).
pub fn plan_to_kernels(plan: &Plan, outputs: &[Node]) -> Result<Kernels, CodegenError> {
    let mut module = jit_module()?;
    let schedule::Schedule { steps, fused } = schedule::schedule(plan, outputs);
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
    let last_read = runner::last_reads(plan, &steps, &kernels);
    Ok(Kernels { steps, kernels, outputs: outputs.to_vec(), n_nodes: plan.nodes.len(), last_read, _module: module })
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
}
