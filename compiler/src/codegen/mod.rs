//! `plan_to_kernels`: schedules a plan into steps and compiles its elementwise work through
//! Cranelift.
//!
//! Scheduling: every series node gets a stage — inputs are stage 0, an elementwise node takes the
//! largest stage of its operands, a window/running node is one more than its operand. Stage `s`
//! first runs its window nodes (stdlib kernels, see [`crate::window`]), then one fused JIT kernel
//! that computes every elementwise node of stage `s` that something downstream reads (the input
//! of a window, or a program output). Elementwise work in between is fused into that kernel and
//! never materialised.
//!
//! Kernel ABI (one for all kernels):
//! `unsafe extern "C" fn(columns: *const *const f64, scalars: *const f64, outputs: *const *mut f64, len: usize)`
//! where `columns` are the kernel's input columns, `scalars` the values of the scalar nodes it
//! reads (computed once per binding: parameters are runtime arguments, so a sweep compiles once),
//! and `outputs` the columns it writes, all `len` long. The loop is scalar (one bar per
//! iteration); `log` / `exp` call the same Rust functions as the reference evaluator.

use crate::bind::Binding;
use crate::ops::{self, BinaryOp, UnaryOp};
use crate::plan::{Dims, Node, Op, Plan};
use crate::types::Shape;
use crate::window::{run_cross, run_scan_panel, run_window_panel};
use std::borrow::Cow;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, AbiParam, BlockArg, InstBuilder, MemFlagsData, UserFuncName, Value};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, FuncId, Linkage, Module};
use std::collections::HashMap;

type KernelFn = unsafe extern "C" fn(*const *const f64, *const f64, *const *mut f64, usize);

/// One step of a compiled plan.
#[derive(Debug)]
enum Step {
    /// A window or running node computed by a stdlib kernel.
    Stdlib(Node),
    /// A fused elementwise kernel (index into `Kernels::kernels`).
    Jit(usize),
}

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
    let mut flags = settings::builder();
    flags.set("opt_level", "speed").map_err(cg)?;
    flags.set("use_colocated_libcalls", "false").map_err(cg)?;
    flags.set("is_pic", "false").map_err(cg)?;
    flags.set("enable_verifier", if cfg!(debug_assertions) { "true" } else { "false" }).map_err(cg)?;
    let isa = cranelift_native::builder().map_err(cg)?.finish(settings::Flags::new(flags)).map_err(cg)?;
    let mut jb = JITBuilder::with_isa(isa, default_libcall_names());
    jb.symbol("strat_log", ops::strat_log as *const u8);
    jb.symbol("strat_exp", ops::strat_exp as *const u8);
    let mut module = JITModule::new(jb);

    let n = plan.nodes.len();
    let live = plan.reachable(outputs);
    let mut materialized = vec![false; n];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        if let Op::Window(_, x, _) | Op::Scan(_, x) | Op::Cross(_, x, _) = nd.op {
            materialized[x.index()] = true;
        }
    }
    for &o in outputs {
        materialized[o.index()] = true;
    }
    let mut stage = vec![0usize; n];
    for (i, nd) in plan.nodes.iter().enumerate() {
        stage[i] = match nd.op {
            Op::Window(_, x, _) | Op::Scan(_, x) | Op::Cross(_, x, _) => stage[x.index()] + 1,
            ref op => op.args().iter().map(|a| stage[a.index()]).max().unwrap_or(0),
        };
    }
    let max_stage = (0..n).filter(|&i| live[i]).map(|i| stage[i]).max().unwrap_or(0);

    let mut steps = vec![];
    let mut kernels = vec![];
    let mut fctx = FunctionBuilderContext::new();
    let mut ctx = module.make_context();
    for s in 0..=max_stage {
        for (i, nd) in plan.nodes.iter().enumerate() {
            if live[i] && stage[i] == s && matches!(nd.op, Op::Window(..) | Op::Scan(..) | Op::Cross(..)) {
                steps.push(Step::Stdlib(Node(i as u32)));
            }
        }
        let mut shapes: Vec<Shape> = vec![];
        for i in 0..n {
            let sh = plan.nodes[i].shape;
            if live[i] && materialized[i] && stage[i] == s && sh != Shape::Scalar && plan.nodes[i].op.is_elementwise() && !shapes.contains(&sh) {
                shapes.push(sh);
            }
        }
        for sh in shapes {
            let targets: Vec<Node> = (0..n)
                .filter(|&i| live[i] && materialized[i] && stage[i] == s && plan.nodes[i].shape == sh && plan.nodes[i].op.is_elementwise())
                .map(|i| Node(i as u32))
                .collect();
            let k = build_kernel(plan, &mut module, &mut ctx, &mut fctx, kernels.len(), &targets, &stage, &materialized)?;
            steps.push(Step::Jit(kernels.len()));
            kernels.push(k);
        }
    }
    module.finalize_definitions().map_err(cg)?;
    for k in &mut kernels {
        let ptr = module.get_finalized_function(k.id);
        // SAFETY: the function was declared with exactly the KernelFn signature.
        k.func = Some(unsafe { std::mem::transmute::<*const u8, KernelFn>(ptr) });
    }
    let mut last_read = vec![None; n];
    for (k, step) in steps.iter().enumerate() {
        for r in step_reads(plan, &kernels, step).iter() {
            last_read[r.index()] = Some(k);
        }
    }
    Ok(Kernels { steps, kernels, outputs: outputs.to_vec(), n_nodes: n, last_read, _module: module })
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

/// A buffer of `len` values all equal to `fill`: one of `pool` of that length if there is one
/// (already touched memory, no page faults), else a new one.
fn buffer(pool: &mut Vec<Vec<f64>>, len: usize, fill: f64) -> Vec<f64> {
    match pool.iter().position(|b| b.len() == len) {
        Some(i) => {
            let mut b = pool.swap_remove(i);
            b.fill(fill);
            b
        }
        None => vec![fill; len],
    }
}

#[allow(clippy::too_many_arguments)]
fn build_kernel(
    plan: &Plan,
    module: &mut JITModule,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
    index: usize,
    targets: &[Node],
    stage: &[usize],
    materialized: &[bool],
) -> Result<Kernel, CodegenError> {
    let s = stage[targets[0].index()];
    // Which nodes are computed inline, and which are read (columns / scalars).
    let mut inline = vec![false; plan.nodes.len()];
    let mut is_column = vec![false; plan.nodes.len()];
    let mut is_scalar = vec![false; plan.nodes.len()];
    let mut stack: Vec<Node> = targets.to_vec();
    while let Some(nd) = stack.pop() {
        let i = nd.index();
        if inline[i] || is_column[i] || is_scalar[i] {
            continue;
        }
        let data = plan.node(nd);
        if data.shape == Shape::Scalar {
            if !matches!(data.op, Op::Const(_)) {
                is_scalar[i] = true;
            } else {
                inline[i] = true;
            }
        } else if !data.op.is_elementwise() || (materialized[i] && stage[i] < s) {
            is_column[i] = true;
        } else {
            inline[i] = true;
            stack.extend(data.op.args());
        }
    }
    let columns: Vec<Node> = (0..plan.nodes.len()).filter(|&i| is_column[i]).map(|i| Node(i as u32)).collect();
    let scalars: Vec<Node> = (0..plan.nodes.len()).filter(|&i| is_scalar[i]).map(|i| Node(i as u32)).collect();

    let ptr = module.target_config().pointer_type();
    let mut sig = module.make_signature();
    for _ in 0..3 {
        sig.params.push(AbiParam::new(ptr));
    }
    sig.params.push(AbiParam::new(types::I64));
    let name = format!("kernel{index}");
    let id = module.declare_function(&name, Linkage::Local, &sig).map_err(cg)?;
    let mut f64sig = module.make_signature();
    f64sig.params.push(AbiParam::new(types::F64));
    f64sig.returns.push(AbiParam::new(types::F64));
    let log_id = module.declare_function("strat_log", Linkage::Import, &f64sig).map_err(cg)?;
    let exp_id = module.declare_function("strat_exp", Linkage::Import, &f64sig).map_err(cg)?;

    let frontend = module.target_config();
    module.clear_context(ctx);
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    {
        let mut b = FunctionBuilder::new(&mut ctx.func, fctx);
        let log_ref = module.declare_func_in_func(log_id, b.func);
        let exp_ref = module.declare_func_in_func(exp_id, b.func);
        let entry = b.create_block();
        let header = b.create_block();
        let body = b.create_block();
        let exit = b.create_block();
        b.append_block_params_for_function_params(entry);
        b.append_block_param(header, types::I64);
        b.switch_to_block(entry);
        let params = b.block_params(entry).to_vec();
        let (cols_p, scal_p, outs_p, len) = (params[0], params[1], params[2], params[3]);
        let flags = MemFlagsData::trusted();
        let col_ptrs: Vec<Value> = (0..columns.len()).map(|k| b.ins().load(ptr, flags, cols_p, (k * 8) as i32)).collect();
        let out_ptrs: Vec<Value> = (0..targets.len()).map(|k| b.ins().load(ptr, flags, outs_p, (k * 8) as i32)).collect();
        let mut vals: HashMap<usize, Value> = HashMap::new();
        for (k, n) in scalars.iter().enumerate() {
            let v = b.ins().load(types::F64, flags, scal_p, (k * 8) as i32);
            vals.insert(n.index(), v);
        }
        let zero_i = b.ins().iconst(types::I64, 0);
        b.ins().jump(header, &[BlockArg::Value(zero_i)]);

        b.switch_to_block(header);
        let i = b.block_params(header)[0];
        let more = b.ins().icmp(IntCC::UnsignedLessThan, i, len);
        b.ins().brif(more, body, &[], exit, &[]);

        b.switch_to_block(body);
        let off = b.ins().imul_imm_u(i, 8);
        for (k, n) in columns.iter().enumerate() {
            let addr = b.ins().iadd(col_ptrs[k], off);
            let v = b.ins().load(types::F64, flags, addr, 0);
            vals.insert(n.index(), v);
        }
        let zero = b.ins().f64const(0.0);
        let one = b.ins().f64const(1.0);
        let minus_one = b.ins().f64const(-1.0);
        let to_f64 = |b: &mut FunctionBuilder, c: Value| b.ins().select(c, one, zero);
        for idx in 0..plan.nodes.len() {
            if !inline[idx] {
                continue;
            }
            let get = |n: Node| vals[&n.index()];
            let v = match plan.nodes[idx].op {
                Op::Const(c) => b.ins().f64const(c),
                Op::Unary(o, x) => {
                    let x = get(x);
                    match o {
                        UnaryOp::Neg => b.ins().fneg(x),
                        UnaryOp::Abs => b.ins().fabs(x),
                        UnaryOp::Sqrt => b.ins().sqrt(x),
                        UnaryOp::Not => {
                            // not truthy: x == 0 or NaN
                            let c = b.ins().fcmp(FloatCC::UnorderedOrEqual, x, zero);
                            to_f64(&mut b, c)
                        }
                        UnaryOp::IsNan => {
                            let c = b.ins().fcmp(FloatCC::Unordered, x, x);
                            to_f64(&mut b, c)
                        }
                        UnaryOp::Sign => {
                            let gt = b.ins().fcmp(FloatCC::GreaterThan, x, zero);
                            let lt = b.ins().fcmp(FloatCC::LessThan, x, zero);
                            let eq = b.ins().fcmp(FloatCC::Equal, x, zero);
                            let r = b.ins().select(eq, zero, x);
                            let r = b.ins().select(lt, minus_one, r);
                            b.ins().select(gt, one, r)
                        }
                        UnaryOp::Log | UnaryOp::Exp => {
                            let f = if o == UnaryOp::Log { log_ref } else { exp_ref };
                            let call = b.ins().call(f, &[x]);
                            b.inst_results(call)[0]
                        }
                    }
                }
                Op::Binary(o, x, y) => {
                    let (x, y) = (get(x), get(y));
                    let cmp = |b: &mut FunctionBuilder, cc: FloatCC| {
                        let c = b.ins().fcmp(cc, x, y);
                        b.ins().select(c, one, zero)
                    };
                    match o {
                        BinaryOp::Add => b.ins().fadd(x, y),
                        BinaryOp::Sub => b.ins().fsub(x, y),
                        BinaryOp::Mul => b.ins().fmul(x, y),
                        BinaryOp::Div => b.ins().fdiv(x, y),
                        BinaryOp::Min => b.ins().fmin(x, y),
                        BinaryOp::Max => b.ins().fmax(x, y),
                        BinaryOp::Lt => cmp(&mut b, FloatCC::LessThan),
                        BinaryOp::Le => cmp(&mut b, FloatCC::LessThanOrEqual),
                        BinaryOp::Gt => cmp(&mut b, FloatCC::GreaterThan),
                        BinaryOp::Ge => cmp(&mut b, FloatCC::GreaterThanOrEqual),
                        BinaryOp::Eq => cmp(&mut b, FloatCC::Equal),
                        BinaryOp::Ne => cmp(&mut b, FloatCC::OrderedNotEqual),
                        BinaryOp::And | BinaryOp::Or => {
                            // truthy: ordered and != 0 (NaN is false)
                            let cx = b.ins().fcmp(FloatCC::OrderedNotEqual, x, zero);
                            let cy = b.ins().fcmp(FloatCC::OrderedNotEqual, y, zero);
                            let c = if o == BinaryOp::And { b.ins().band(cx, cy) } else { b.ins().bor(cx, cy) };
                            to_f64(&mut b, c)
                        }
                    }
                }
                Op::Select(c, x, y) => {
                    let c = b.ins().fcmp(FloatCC::OrderedNotEqual, get(c), zero);
                    b.ins().select(c, get(x), get(y))
                }
                _ => return Err(CodegenError(format!("node %{idx} cannot be fused"))),
            };
            vals.insert(idx, v);
        }
        for (k, t) in targets.iter().enumerate() {
            let addr = b.ins().iadd(out_ptrs[k], off);
            b.ins().store(flags, vals[&t.index()], addr, 0);
        }
        let next = b.ins().iadd_imm_u(i, 1);
        b.ins().jump(header, &[BlockArg::Value(next)]);

        b.switch_to_block(exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        b.finalize(frontend);
    }
    let clif = ctx.func.display().to_string();
    module.define_function(id, ctx).map_err(|e| CodegenError(format!("{e:?}")))?;
    module.clear_context(ctx);
    Ok(Kernel { shape: plan.node(targets[0]).shape, func: None, id, columns, scalars, outputs: targets.to_vec(), clif })
}

/// Columns of param-invariant nodes, computed once and shared by every binding of a sweep.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    cols: Vec<Option<Vec<f64>>>,
    /// Per step: it computes only param-invariant columns, so a cached run skips it (what later
    /// steps read of it is in `cols`).
    skip: Vec<bool>,
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
}

impl Kernels {
    /// Runs the compiled plan for a run of size `dims` and returns the columns of the outputs
    /// given to [`plan_to_kernels`] (a scalar output is broadcast to a series). `inputs[i]` is the
    /// column or asset-major panel of `plan.inputs[i]`; `binding` must come from
    /// [`crate::bind::bind`] on the same plan.
    pub fn run(&self, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding) -> Vec<Vec<f64>> {
        self.run_cached(plan, inputs, dims, binding, None)
    }

    /// As [`Kernels::run`], reusing the columns in `cache` (see [`Kernels::build_cache`]) instead
    /// of recomputing them.
    pub fn run_cached(&self, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding, cache: Option<&Cache>) -> Vec<Vec<f64>> {
        self.run_borrowed(plan, inputs, dims, binding, cache).into_iter().map(|c| c.into_owned()).collect()
    }

    /// As [`Kernels::run_cached`], borrowing outputs that are inputs or cached columns instead of
    /// copying them.
    pub fn run_borrowed<'a>(&self, plan: &Plan, inputs: &[&'a [f64]], dims: &Dims, binding: &Binding, cache: Option<&'a Cache>) -> Vec<Cow<'a, [f64]>> {
        let mut cols = self.execute(plan, inputs, dims, binding, cache, &[]);
        self.outputs
            .iter()
            .enumerate()
            .map(|(k, &n)| {
                // An output listed twice (a report of the weight itself) is copied, not moved.
                let again = self.outputs[k + 1..].contains(&n);
                match if again { cols[n.index()].clone() } else { cols[n.index()].take() } {
                    Some(c) => c,
                    None => Cow::Owned(vec![binding.scalars[n.index()]; dims.rows]),
                }
            })
            .collect()
    }

    /// Computes, once, every column that does not depend on the parameters marked in `varying`
    /// (a mask over the program's params), to be shared by all bindings through
    /// [`Kernels::run_cached`]. `binding` may be any valid binding.
    pub fn build_cache(&self, plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding, varying: &[bool]) -> Cache {
        let invariant = plan.invariant(varying);
        let skip: Vec<bool> = self.steps.iter().map(|step| !self.reruns(step, &invariant)).collect();
        let keep = self.cache_needs(plan, &skip);
        // A full run: a fused kernel may mix invariant and varying targets and read both kinds.
        let cols = self.execute(plan, inputs, dims, binding, None, &keep);
        let cols = cols
            .into_iter()
            .enumerate()
            .map(|(i, c)| match (c, &plan.nodes[i].op) {
                (_, Op::Input(_)) => None,
                (Some(c), _) if invariant[i] && (keep[i] || self.outputs.contains(&Node(i as u32))) => Some(c.into_owned()),
                _ => None,
            })
            .collect();
        Cache { cols, skip }
    }

    /// Whether `step` computes a param-dependent column, and so runs for every binding.
    fn reruns(&self, step: &Step, invariant: &[bool]) -> bool {
        match *step {
            Step::Stdlib(n) => !invariant[n.index()],
            Step::Jit(k) => self.kernels[k].outputs.iter().any(|o| !invariant[o.index()]),
        }
    }

    /// The columns a binding's run can take from the cache: those read by a step that runs again
    /// for every binding (one that computes a param-dependent node). An invariant column only
    /// ever read by steps that are themselves cached is not needed once the cache is built.
    /// `skip` marks the steps a cached run skips.
    fn cache_needs(&self, plan: &Plan, skip: &[bool]) -> Vec<bool> {
        let mut needs = vec![false; self.n_nodes];
        for (step, &skipped) in self.steps.iter().zip(skip) {
            if !skipped {
                for r in step_reads(plan, &self.kernels, step).iter() {
                    needs[r.index()] = true;
                }
            }
        }
        needs
    }

    /// Runs every step whose columns are not already known (inputs, cached columns). A computed
    /// column that is neither an output nor marked in `keep` is dropped after the last step that
    /// reads it, and its buffer reused for a later column of the same length (fewer fresh pages).
    fn execute<'a>(&self, plan: &Plan, inputs: &[&'a [f64]], dims: &Dims, binding: &Binding, cache: Option<&'a Cache>, keep: &[bool]) -> Vec<Option<Cow<'a, [f64]>>> {
        let mut pool: Vec<Vec<f64>> = vec![];
        let mut cols: Vec<Option<Cow<'a, [f64]>>> = vec![None; self.n_nodes];
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
        for (k, step) in self.steps.iter().enumerate() {
            if !cache.is_some_and(|c| c.skip.get(k).copied().unwrap_or(false)) {
                self.run_step(plan, step, &mut cols, dims, binding, &mut pool);
            }
            for r in step_reads(plan, &self.kernels, step).iter() {
                let i = r.index();
                if self.last_read[i] == Some(k) && !keep.get(i).copied().unwrap_or(false) && !self.outputs.contains(r) {
                    if let Some(Cow::Owned(b)) = cols[i].take() {
                        pool.push(b);
                    }
                }
            }
        }
        cols
    }

    /// Runs one step unless its columns are already known, taking new columns from `pool`.
    fn run_step<'a>(&self, plan: &Plan, step: &Step, cols: &mut [Option<Cow<'a, [f64]>>], dims: &Dims, binding: &Binding, pool: &mut Vec<Vec<f64>>) {
        let rows = dims.rows;
        {
            match *step {
                Step::Stdlib(n) => {
                    let i = n.index();
                    if cols[i].is_some() {
                        return;
                    }
                    let shape = plan.nodes[i].shape;
                    let mut out = buffer(pool, dims.len_of(shape), f64::NAN);
                    match plan.nodes[i].op {
                        Op::Window(o, x, _) => {
                            let xs = column(cols, x, binding, dims.len_of(shape));
                            run_window_panel(o, &xs, rows, dims.width_of(shape), binding.lengths[i], &mut out)
                        }
                        Op::Scan(o, x) => {
                            let xs = column(cols, x, binding, dims.len_of(shape));
                            run_scan_panel(o, &xs, rows, dims.width_of(shape), &mut out)
                        }
                        Op::Cross(o, x, f) => {
                            let xshape = plan.nodes[x.index()].shape;
                            let xs = column(cols, x, binding, dims.len_of(xshape));
                            run_cross(o, &xs, rows, dims.width_of(xshape), binding.scalars[f.index()], &mut out)
                        }
                        _ => {}
                    }
                    cols[i] = Some(Cow::Owned(out));
                }
                Step::Jit(k) => {
                    let k = &self.kernels[k];
                    if k.outputs.iter().all(|o| cols[o.index()].is_some()) {
                        return;
                    }
                    let scal: Vec<f64> = k.scalars.iter().map(|s| binding.scalars[s.index()]).collect();
                    let width = dims.width_of(k.shape);
                    let mut outs: Vec<Vec<f64>> = k.outputs.iter().map(|_| buffer(pool, rows * width, 0.0)).collect();
                    if let Some(f) = k.func {
                        for j in 0..width {
                            let col_ptrs: Vec<*const f64> = k
                                .columns
                                .iter()
                                .map(|c| {
                                    let base = cols[c.index()].as_ref().map(|v| v.as_ptr()).unwrap_or(std::ptr::null());
                                    match plan.nodes[c.index()].shape {
                                        // SAFETY (offset): a panel column holds rows * width values.
                                        Shape::Panel(_) => unsafe { base.add(j * rows) },
                                        _ => base,
                                    }
                                })
                                .collect();
                            let out_ptrs: Vec<*mut f64> = outs.iter_mut().map(|v| unsafe { v.as_mut_ptr().add(j * rows) }).collect();
                            assert!(col_ptrs.iter().all(|p| !p.is_null()), "internal error: a kernel input was not computed");
                            // SAFETY: every column pointer is non-null (the schedule computes a
                            // kernel's columns in earlier steps) and points at `rows` values, as
                            // does every output pointer.
                            unsafe { f(col_ptrs.as_ptr(), scal.as_ptr(), out_ptrs.as_ptr(), rows) };
                        }
                    }
                    for (o, v) in k.outputs.iter().zip(outs) {
                        if cols[o.index()].is_none() {
                            cols[o.index()] = Some(Cow::Owned(v));
                        } else {
                            pool.push(v);
                        }
                    }
                }
            }
        }
    }

    /// The Cranelift IR of every kernel, for `:clif` and snapshot tests.
    pub fn clif(&self) -> String {
        self.kernels.iter().map(|k| k.clif.clone()).collect::<Vec<_>>().join("\n")
    }

    /// Number of fused JIT kernels.
    pub fn kernel_count(&self) -> usize {
        self.kernels.len()
    }
}

fn column<'a>(cols: &'a [Option<Cow<'_, [f64]>>], n: Node, binding: &Binding, len: usize) -> Cow<'a, [f64]> {
    match &cols[n.index()] {
        Some(c) => Cow::Borrowed(c.as_ref()),
        None => Cow::Owned(vec![binding.scalars[n.index()]; len]),
    }
}
