//! Cranelift emission: one [`FusedKernel`] becomes one native function with the kernel ABI (see
//! [`super`]). [`KernelTranslator`] holds the `FunctionBuilder`, the SSA value of every node in
//! the current iteration and the ABI values, with one `translate_*` method per op kind (the shape
//! of cranelift-jit-demo's `FunctionTranslator`).
//!
//! The loop is scalar (one bar per iteration); `log` / `exp` call the same Rust functions as the
//! reference evaluator. The printed CLIF is snapshotted, so the order in which blocks, values and
//! functions are created here is part of the output: change it only on purpose.

use super::schedule::FusedKernel;
use super::{cg, CodegenError};
use crate::ops::{BinaryOp, UnaryOp};
use crate::plan::{Node, Op, Plan};
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::{types, AbiParam, Block, BlockArg, FuncRef, InstBuilder, MemFlagsData, Signature, Type, UserFuncName, Value};
use cranelift_codegen::Context;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::JITModule;
use cranelift_module::{FuncId, Linkage, Module};
use std::collections::HashMap;

/// Declares `kernel{index}` (and the libcalls it may call) in `module`, emits `kernel` into it and
/// defines it. Returns the function's id and its printed CLIF (before optimisation).
pub(super) fn emit_kernel(
    module: &mut JITModule,
    ctx: &mut Context,
    fctx: &mut FunctionBuilderContext,
    plan: &Plan,
    index: usize,
    kernel: &FusedKernel,
) -> Result<(FuncId, String), CodegenError> {
    let ptr = module.target_config().pointer_type();
    let sig = kernel_signature(module, ptr);
    let id = module.declare_function(&format!("kernel{index}"), Linkage::Local, &sig).map_err(cg)?;
    let (log_id, exp_id) = declare_libcalls(module)?;
    let frontend = module.target_config();
    module.clear_context(ctx);
    ctx.func.signature = sig;
    ctx.func.name = UserFuncName::user(0, id.as_u32());
    {
        let builder = FunctionBuilder::new(&mut ctx.func, fctx);
        let log = module.declare_func_in_func(log_id, builder.func);
        let exp = module.declare_func_in_func(exp_id, builder.func);
        let mut t = KernelTranslator::begin(builder, ptr, log, exp, kernel);
        for &n in &kernel.inline {
            t.translate_node(n, &plan.node(n).op)?;
        }
        t.finish(&kernel.targets).finalize(frontend);
    }
    let clif = ctx.func.display().to_string();
    module.define_function(id, ctx).map_err(|e| CodegenError(format!("{e:?}")))?;
    module.clear_context(ctx);
    Ok((id, clif))
}

/// The kernel ABI: `(columns: *const *const f64, scalars: *const f64, outputs: *const *mut f64,
/// len: usize)`.
fn kernel_signature(module: &JITModule, ptr: Type) -> Signature {
    let mut sig = module.make_signature();
    for _ in 0..3 {
        sig.params.push(AbiParam::new(ptr));
    }
    sig.params.push(AbiParam::new(types::I64));
    sig
}

/// Declares the imported `strat_log` and `strat_exp` (`f64 -> f64`); declaring them again
/// returns the same ids.
fn declare_libcalls(module: &mut JITModule) -> Result<(FuncId, FuncId), CodegenError> {
    let mut f64sig = module.make_signature();
    f64sig.params.push(AbiParam::new(types::F64));
    f64sig.returns.push(AbiParam::new(types::F64));
    let log = module.declare_function("strat_log", Linkage::Import, &f64sig).map_err(cg)?;
    let exp = module.declare_function("strat_exp", Linkage::Import, &f64sig).map_err(cg)?;
    Ok((log, exp))
}

/// Translates one fused kernel into Cranelift IR: an entry block that loads the ABI pointers and
/// scalars, a loop header over the bars, a body that computes every inline node of one bar, and
/// an exit block.
struct KernelTranslator<'a> {
    builder: FunctionBuilder<'a>,
    flags: MemFlagsData,
    /// The loop header (takes the bar index) and the exit block.
    header: Block,
    exit: Block,
    /// The bar index of this iteration, and its byte offset into every column.
    bar: Value,
    offset: Value,
    /// The base pointer of every output column (in target order).
    out_ptrs: Vec<Value>,
    /// Per node index, its value in this iteration (scalars, columns and inline nodes).
    values: HashMap<usize, Value>,
    /// Per inline node that is a truth value (a comparison, `not`, `is_nan`, `and` / `or`), the
    /// condition its 1.0 / 0.0 was selected from, so that an `if` or `and` / `or` reading it tests
    /// that condition instead of comparing the 1.0 / 0.0 with zero again.
    flags_of: HashMap<usize, Value>,
    /// The condition of the truth value being translated (set by [`Self::bool_to_f64`]).
    last_flag: Option<Value>,
    zero: Value,
    one: Value,
    minus_one: Value,
    log: FuncRef,
    exp: FuncRef,
}

impl<'a> KernelTranslator<'a> {
    /// Emits the entry block and the loop header, and opens the body: the kernel's columns are
    /// loaded for the current bar, ready for [`Self::translate_node`].
    fn begin(mut builder: FunctionBuilder<'a>, ptr: Type, log: FuncRef, exp: FuncRef, kernel: &FusedKernel) -> Self {
        let flags = MemFlagsData::trusted();
        let entry = builder.create_block();
        let header = builder.create_block();
        let body = builder.create_block();
        let exit = builder.create_block();
        builder.append_block_params_for_function_params(entry);
        builder.append_block_param(header, types::I64);
        builder.switch_to_block(entry);
        let params = builder.block_params(entry).to_vec();
        let (cols_p, scal_p, outs_p, len) = (params[0], params[1], params[2], params[3]);
        let col_ptrs = load_pointers(&mut builder, ptr, flags, cols_p, kernel.columns.len());
        let out_ptrs = load_pointers(&mut builder, ptr, flags, outs_p, kernel.targets.len());
        let mut values: HashMap<usize, Value> = HashMap::new();
        for (k, n) in kernel.scalars.iter().enumerate() {
            let v = builder.ins().load(types::F64, flags, scal_p, (k * 8) as i32);
            values.insert(n.index(), v);
        }
        let zero_i = builder.ins().iconst(types::I64, 0);
        builder.ins().jump(header, &[BlockArg::Value(zero_i)]);

        builder.switch_to_block(header);
        let bar = builder.block_params(header)[0];
        let more = builder.ins().icmp(IntCC::UnsignedLessThan, bar, len);
        builder.ins().brif(more, body, &[], exit, &[]);

        builder.switch_to_block(body);
        let offset = builder.ins().imul_imm_u(bar, 8);
        for (k, n) in kernel.columns.iter().enumerate() {
            let addr = builder.ins().iadd(col_ptrs[k], offset);
            let v = builder.ins().load(types::F64, flags, addr, 0);
            values.insert(n.index(), v);
        }
        let zero = builder.ins().f64const(0.0);
        let one = builder.ins().f64const(1.0);
        let minus_one = builder.ins().f64const(-1.0);
        Self { builder, flags, header, exit, bar, offset, out_ptrs, values, flags_of: HashMap::new(), last_flag: None, zero, one, minus_one, log, exp }
    }

    /// The value of node `n` in this iteration (it was translated or loaded before).
    fn get(&self, n: Node) -> Value {
        self.values[&n.index()]
    }

    /// Computes inline node `n` (whose op is `op`) for the current bar.
    fn translate_node(&mut self, n: Node, op: &Op) -> Result<(), CodegenError> {
        self.last_flag = None;
        let v = match *op {
            Op::Const(c) => self.builder.ins().f64const(c),
            Op::Unary(o, x) => self.translate_unary(o, self.get(x)),
            Op::Binary(o, x, y) => self.translate_binary(o, x, y),
            Op::Select(c, x, y) => {
                let c = self.truth(c);
                let (x, y) = (self.get(x), self.get(y));
                self.builder.ins().select(c, x, y)
            }
            _ => return Err(CodegenError(format!("node %{} cannot be fused", n.index()))),
        };
        self.values.insert(n.index(), v);
        if let Some(f) = self.last_flag.take() {
            self.flags_of.insert(n.index(), f);
        }
        Ok(())
    }

    /// The truthiness of node `n` as a condition (ordered and != 0; NaN is false): the condition
    /// a truth value was selected from, or a comparison of its value with zero.
    fn truth(&mut self, n: Node) -> Value {
        match self.flags_of.get(&n.index()) {
            Some(&f) => f,
            None => {
                let v = self.get(n);
                self.builder.ins().fcmp(FloatCC::OrderedNotEqual, v, self.zero)
            }
        }
    }

    /// 1.0 where `c` holds, else 0.0; remembers `c` as the condition of the node being
    /// translated.
    fn bool_to_f64(&mut self, c: Value) -> Value {
        self.last_flag = Some(c);
        self.builder.ins().select(c, self.one, self.zero)
    }

    /// A unary op on `x`; `log` and `exp` call the Rust functions of [`crate::ops`].
    fn translate_unary(&mut self, o: UnaryOp, x: Value) -> Value {
        let zero = self.zero;
        match o {
            UnaryOp::Neg => self.builder.ins().fneg(x),
            UnaryOp::Abs => self.builder.ins().fabs(x),
            UnaryOp::Sqrt => self.builder.ins().sqrt(x),
            UnaryOp::Not => {
                // not truthy: x == 0 or NaN
                let c = self.builder.ins().fcmp(FloatCC::UnorderedOrEqual, x, zero);
                self.bool_to_f64(c)
            }
            UnaryOp::IsNan => {
                let c = self.builder.ins().fcmp(FloatCC::Unordered, x, x);
                self.bool_to_f64(c)
            }
            UnaryOp::Sign => self.translate_sign(x),
            UnaryOp::Log | UnaryOp::Exp => {
                let f = if o == UnaryOp::Log { self.log } else { self.exp };
                let call = self.builder.ins().call(f, &[x]);
                self.builder.inst_results(call)[0]
            }
        }
    }

    /// `sign(x)`: 1, -1, 0 for ±0, and NaN for NaN.
    fn translate_sign(&mut self, x: Value) -> Value {
        let (zero, one, minus_one) = (self.zero, self.one, self.minus_one);
        let b = &mut self.builder;
        let gt = b.ins().fcmp(FloatCC::GreaterThan, x, zero);
        let lt = b.ins().fcmp(FloatCC::LessThan, x, zero);
        let eq = b.ins().fcmp(FloatCC::Equal, x, zero);
        let r = b.ins().select(eq, zero, x);
        let r = b.ins().select(lt, minus_one, r);
        b.ins().select(gt, one, r)
    }

    /// A binary op on nodes `x` and `y`; a comparison gives 1.0 or 0.0 (0.0 when either is NaN).
    fn translate_binary(&mut self, o: BinaryOp, x: Node, y: Node) -> Value {
        if matches!(o, BinaryOp::And | BinaryOp::Or) {
            return self.translate_logic(o, x, y);
        }
        let (x, y) = (self.get(x), self.get(y));
        let b = &mut self.builder;
        let cc = match o {
            BinaryOp::Add => return b.ins().fadd(x, y),
            BinaryOp::Sub => return b.ins().fsub(x, y),
            BinaryOp::Mul => return b.ins().fmul(x, y),
            BinaryOp::Div => return b.ins().fdiv(x, y),
            BinaryOp::Min => return b.ins().fmin(x, y),
            BinaryOp::Max => return b.ins().fmax(x, y),
            BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
            BinaryOp::Lt => FloatCC::LessThan,
            BinaryOp::Le => FloatCC::LessThanOrEqual,
            BinaryOp::Gt => FloatCC::GreaterThan,
            BinaryOp::Ge => FloatCC::GreaterThanOrEqual,
            BinaryOp::Eq => FloatCC::Equal,
            BinaryOp::Ne => FloatCC::OrderedNotEqual,
        };
        let c = b.ins().fcmp(cc, x, y);
        self.bool_to_f64(c)
    }

    /// `and` / `or` on truthiness: ordered and != 0 (NaN is false).
    fn translate_logic(&mut self, o: BinaryOp, x: Node, y: Node) -> Value {
        let cx = self.truth(x);
        let cy = self.truth(y);
        let b = &mut self.builder;
        let c = if o == BinaryOp::And { b.ins().band(cx, cy) } else { b.ins().bor(cx, cy) };
        self.bool_to_f64(c)
    }

    /// Stores the targets for this bar, closes the loop and the function. Returns the builder,
    /// ready to be finalised.
    fn finish(mut self, targets: &[Node]) -> FunctionBuilder<'a> {
        let b = &mut self.builder;
        for (k, t) in targets.iter().enumerate() {
            let addr = b.ins().iadd(self.out_ptrs[k], self.offset);
            b.ins().store(self.flags, self.values[&t.index()], addr, 0);
        }
        let next = b.ins().iadd_imm_u(self.bar, 1);
        b.ins().jump(self.header, &[BlockArg::Value(next)]);

        b.switch_to_block(self.exit);
        b.ins().return_(&[]);
        b.seal_all_blocks();
        self.builder
    }
}

/// Loads `count` pointers from the array at `base` (one per column).
fn load_pointers(builder: &mut FunctionBuilder, ptr: Type, flags: MemFlagsData, base: Value, count: usize) -> Vec<Value> {
    (0..count).map(|k| builder.ins().load(ptr, flags, base, (k * 8) as i32)).collect()
}
