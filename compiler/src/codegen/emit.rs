//! Cranelift emission: one [`FusedKernel`] becomes one native function with the kernel ABI (see
//! [`super`]). [`KernelTranslator`] holds the `FunctionBuilder`, the SSA value of every node in
//! the current iteration and the ABI values, with one `translate_*` method per op kind (the shape
//! of cranelift-jit-demo's `FunctionTranslator`).
//!
//! The loop computes two bars per iteration in `f64x2` vectors (SSE2 on x86-64), then the last
//! bar of an odd length with the same ops on `f64` scalars. Each lane runs exactly the scalar
//! IEEE operation, so the values are those of a one-bar loop bit for bit; what changes is that a
//! comparison gives a lane mask and an `if` picks with `bitselect` instead of a branch (the
//! branches of a scalar `select` mispredict on the signs of returns). `log` / `exp` call the
//! same Rust functions as the reference evaluator, once per lane. The printed CLIF is
//! snapshotted, so the order in which blocks, values and functions are created here is part of
//! the output: change it only on purpose.

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
use std::collections::{HashMap, HashSet};

/// Bars per iteration of the vector loop (the lanes of an `f64x2`).
const LANES: i64 = 2;

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
        t.zero_one = kernel.columns.iter().filter(|&&n| plan.node(n).op.is_normalised_bool()).map(|n| n.index()).collect();
        for width in [Width::Pair, Width::One] {
            t.open_body(width, kernel);
            for &n in &kernel.inline {
                t.translate_node(n, &plan.node(n).op)?;
            }
            t.close_body(&kernel.targets);
        }
        t.finish().finalize(frontend);
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

/// How many bars one pass of a loop body computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Width {
    /// Two bars in `f64x2` lanes; conditions are `i64x2` lane masks.
    Pair,
    /// One bar in `f64`; conditions are `i8` flags.
    One,
}

impl Width {
    /// The type of a value of this width.
    fn ty(self) -> Type {
        match self {
            Width::Pair => types::F64X2,
            Width::One => types::F64,
        }
    }
}

/// Translates one fused kernel into Cranelift IR: an entry block that loads the ABI pointers and
/// scalars; a loop over pairs of bars (block `pairs`, the `f64x2` body, which is its own loop
/// header); a check whether one bar is left and a body for it (`f64` values); and an exit block.
struct KernelTranslator<'a> {
    builder: FunctionBuilder<'a>,
    /// Flags of the column loads and stores (not `aligned`: a column of an asset of a panel
    /// starts at any multiple of 8 bytes).
    column_flags: MemFlagsData,
    /// The pair loop's body and header (takes the bar index), the check for a last bar (takes
    /// the bar index) and the exit block.
    pairs: Block,
    last: Block,
    exit: Block,
    /// The argument `len`.
    len: Value,
    /// The bar index of the body being translated, and its byte offset into every column.
    bar: Value,
    offset: Value,
    /// The base pointer of every input column (in `kernel.columns` order) and output column (in
    /// target order).
    col_ptrs: Vec<Value>,
    out_ptrs: Vec<Value>,
    /// The scalar nodes' values, loaded once in the entry block (node index, `f64`, splat to
    /// `f64x2`).
    scalars: Vec<(usize, Value, Value)>,
    /// The width of the body being translated.
    width: Width,
    /// Per node index, its value in the body being translated (scalars, columns and inline
    /// nodes).
    values: HashMap<usize, Value>,
    /// Per inline node that is a truth value (a comparison, `not`, `is_nan`, `and` / `or`), the
    /// condition its 1.0 / 0.0 was selected from, so that an `if` or `and` / `or` reading it tests
    /// that condition instead of comparing the 1.0 / 0.0 with zero again.
    flags_of: HashMap<usize, Value>,
    /// The condition of the truth value being translated (set by [`Self::bool_to_f64`]).
    last_flag: Option<Value>,
    /// The input columns that hold only 0.0 and 1.0 (see [`Op::is_normalised_bool`]): their truth is one
    /// comparison with zero, NaN needs no test.
    zero_one: HashSet<usize>,
    zero: Value,
    one: Value,
    minus_one: Value,
    log: FuncRef,
    exp: FuncRef,
}

impl<'a> KernelTranslator<'a> {
    /// Emits the entry block: the ABI pointers and the scalars are loaded, and the loop over
    /// pairs of bars starts at bar 0.
    fn begin(mut builder: FunctionBuilder<'a>, ptr: Type, log: FuncRef, exp: FuncRef, kernel: &FusedKernel) -> Self {
        let flags = MemFlagsData::trusted();
        let column_flags = MemFlagsData::new().with_notrap();
        let entry = builder.create_block();
        let pairs = builder.create_block();
        let last = builder.create_block();
        let exit = builder.create_block();
        builder.append_block_params_for_function_params(entry);
        builder.append_block_param(pairs, types::I64);
        builder.append_block_param(last, types::I64);
        builder.switch_to_block(entry);
        let params = builder.block_params(entry).to_vec();
        let (cols_p, scal_p, outs_p, len) = (params[0], params[1], params[2], params[3]);
        let col_ptrs = load_pointers(&mut builder, ptr, flags, cols_p, kernel.columns.len());
        let out_ptrs = load_pointers(&mut builder, ptr, flags, outs_p, kernel.targets.len());
        let scalars = (kernel.scalars.iter().enumerate())
            .map(|(k, n)| {
                let v = builder.ins().load(types::F64, flags, scal_p, (k * 8) as i32);
                let pair = builder.ins().splat(types::F64X2, v);
                (n.index(), v, pair)
            })
            .collect();
        let zero_i = builder.ins().iconst(types::I64, 0);
        let two = builder.ins().icmp_imm_u(IntCC::UnsignedGreaterThanOrEqual, len, LANES);
        builder.ins().brif(two, pairs, &[BlockArg::Value(zero_i)], last, &[BlockArg::Value(zero_i)]);
        Self {
            builder,
            column_flags,
            pairs,
            last,
            exit,
            len,
            bar: zero_i,
            offset: zero_i,
            col_ptrs,
            out_ptrs,
            scalars,
            width: Width::Pair,
            values: HashMap::new(),
            flags_of: HashMap::new(),
            last_flag: None,
            zero_one: HashSet::new(),
            zero: zero_i,
            one: zero_i,
            minus_one: zero_i,
            log,
            exp,
        }
    }

    /// Opens the body of `width`: for [`Width::Pair`] the block `pairs` (its own loop header:
    /// [`Self::close_body`] branches back to it); for [`Width::One`] the last-bar check (one bar
    /// left, or the exit) and its body. The kernel's columns are loaded for the body's bars
    /// and its scalars bound, ready for [`Self::translate_node`].
    fn open_body(&mut self, width: Width, kernel: &FusedKernel) {
        let b = &mut self.builder;
        let bar = match width {
            Width::Pair => {
                b.switch_to_block(self.pairs);
                b.block_params(self.pairs)[0]
            }
            Width::One => {
                let body = b.create_block();
                b.switch_to_block(self.last);
                let bar = b.block_params(self.last)[0];
                let more = b.ins().icmp(IntCC::UnsignedLessThan, bar, self.len);
                b.ins().brif(more, body, &[], self.exit, &[]);
                b.switch_to_block(body);
                bar
            }
        };
        let offset = b.ins().imul_imm_u(bar, 8);
        let ty = width.ty();
        self.values.clear();
        self.flags_of.clear();
        for (k, n) in kernel.columns.iter().enumerate() {
            let addr = b.ins().iadd(self.col_ptrs[k], offset);
            let v = b.ins().load(ty, self.column_flags, addr, 0);
            self.values.insert(n.index(), v);
        }
        for &(n, one, pair) in &self.scalars {
            self.values.insert(n, if width == Width::Pair { pair } else { one });
        }
        (self.width, self.bar, self.offset) = (width, bar, offset);
        self.zero = self.constant(0.0);
        self.one = self.constant(1.0);
        self.minus_one = self.constant(-1.0);
    }

    /// `c` in every lane of the body's width.
    fn constant(&mut self, c: f64) -> Value {
        let v = self.builder.ins().f64const(c);
        match self.width {
            Width::Pair => self.builder.ins().splat(types::F64X2, v),
            Width::One => v,
        }
    }

    /// The value of node `n` in this iteration (it was translated or loaded before).
    fn get(&self, n: Node) -> Value {
        self.values[&n.index()]
    }

    /// Computes inline node `n` (whose op is `op`) for the body's bars.
    fn translate_node(&mut self, n: Node, op: &Op) -> Result<(), CodegenError> {
        self.last_flag = None;
        let v = match *op {
            Op::Const(c) => self.constant(c),
            Op::Unary(o, x) => self.translate_unary(o, self.get(x)),
            Op::Binary(o, x, y) => self.translate_binary(o, x, y),
            Op::Select(c, x, y) => {
                let c = self.truth(c);
                let (x, y) = (self.get(x), self.get(y));
                self.select(c, x, y)
            }
            _ => return Err(CodegenError(format!("node %{} cannot be fused", n.index()))),
        };
        self.values.insert(n.index(), v);
        if let Some(f) = self.last_flag.take() {
            self.flags_of.insert(n.index(), f);
        }
        Ok(())
    }

    /// The lanes of `x` where condition `c` holds, those of `y` elsewhere.
    fn select(&mut self, c: Value, x: Value, y: Value) -> Value {
        let b = &mut self.builder;
        match self.width {
            Width::Pair => {
                let mask = b.ins().bitcast(types::F64X2, MemFlagsData::new(), c);
                b.ins().bitselect(mask, x, y)
            }
            Width::One => b.ins().select(c, x, y),
        }
    }

    /// The condition `x cc y` (a lane mask for [`Width::Pair`]). SSE's packed comparisons have
    /// no ordered-not-equal or unordered-or-equal, so those two are built from two comparisons.
    fn compare(&mut self, cc: FloatCC, x: Value, y: Value) -> Value {
        let b = &mut self.builder;
        match (self.width, cc) {
            (Width::Pair, FloatCC::OrderedNotEqual) => {
                let ordered = b.ins().fcmp(FloatCC::Ordered, x, y);
                let ne = b.ins().fcmp(FloatCC::NotEqual, x, y);
                b.ins().band(ordered, ne)
            }
            (Width::Pair, FloatCC::UnorderedOrEqual) => {
                let unordered = b.ins().fcmp(FloatCC::Unordered, x, y);
                let eq = b.ins().fcmp(FloatCC::Equal, x, y);
                b.ins().bor(unordered, eq)
            }
            _ => b.ins().fcmp(cc, x, y),
        }
    }

    /// The truthiness of node `n` as a condition (ordered and != 0; NaN is false): the condition
    /// a truth value was selected from, or a comparison of its value with zero.
    fn truth(&mut self, n: Node) -> Value {
        match self.flags_of.get(&n.index()) {
            Some(&f) => f,
            None => {
                let v = self.get(n);
                let cc = if self.zero_one.contains(&n.index()) { FloatCC::NotEqual } else { FloatCC::OrderedNotEqual };
                self.compare(cc, v, self.zero)
            }
        }
    }

    /// 1.0 where `c` holds, else 0.0; remembers `c` as the condition of the node being
    /// translated.
    fn bool_to_f64(&mut self, c: Value) -> Value {
        self.last_flag = Some(c);
        self.select(c, self.one, self.zero)
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
                let c = self.compare(FloatCC::UnorderedOrEqual, x, zero);
                self.bool_to_f64(c)
            }
            UnaryOp::IsNan => {
                let c = self.compare(FloatCC::Unordered, x, x);
                self.bool_to_f64(c)
            }
            UnaryOp::Sign => self.translate_sign(x),
            UnaryOp::Log | UnaryOp::Exp => {
                let f = if o == UnaryOp::Log { self.log } else { self.exp };
                self.call_per_lane(f, x)
            }
        }
    }

    /// `f(x)` for a libcall `f64 -> f64`: one call, or one per lane of a pair.
    fn call_per_lane(&mut self, f: FuncRef, x: Value) -> Value {
        let b = &mut self.builder;
        let call = |b: &mut FunctionBuilder<'a>, x: Value| {
            let call = b.ins().call(f, &[x]);
            b.inst_results(call)[0]
        };
        match self.width {
            Width::One => call(b, x),
            Width::Pair => {
                let lo = b.ins().extractlane(x, 0);
                let hi = b.ins().extractlane(x, 1);
                let lo = call(b, lo);
                let hi = call(b, hi);
                let v = b.ins().scalar_to_vector(types::F64X2, lo);
                b.ins().insertlane(v, hi, 1)
            }
        }
    }

    /// `sign(x)`: 1, -1, 0 for ±0, and NaN for NaN.
    fn translate_sign(&mut self, x: Value) -> Value {
        let (zero, one, minus_one) = (self.zero, self.one, self.minus_one);
        let gt = self.compare(FloatCC::GreaterThan, x, zero);
        let lt = self.compare(FloatCC::LessThan, x, zero);
        let eq = self.compare(FloatCC::Equal, x, zero);
        let r = self.select(eq, zero, x);
        let r = self.select(lt, minus_one, r);
        self.select(gt, one, r)
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
        let c = self.compare(cc, x, y);
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

    /// Stores the targets for the body's bars and ends the body: the pair loop goes back to its
    /// header with the bar two on, the last bar to the exit.
    fn close_body(&mut self, targets: &[Node]) {
        let b = &mut self.builder;
        for (k, t) in targets.iter().enumerate() {
            let addr = b.ins().iadd(self.out_ptrs[k], self.offset);
            b.ins().store(self.column_flags, self.values[&t.index()], addr, 0);
        }
        match self.width {
            Width::Pair => {
                let next = b.ins().iadd_imm_u(self.bar, LANES);
                let after = b.ins().iadd_imm_u(self.bar, 2 * LANES);
                let more = b.ins().icmp(IntCC::UnsignedLessThanOrEqual, after, self.len);
                b.ins().brif(more, self.pairs, &[BlockArg::Value(next)], self.last, &[BlockArg::Value(next)]);
            }
            Width::One => {
                b.ins().jump(self.exit, &[]);
            }
        }
    }

    /// Emits the exit block and seals the function. Returns the builder, ready to be finalised.
    fn finish(mut self) -> FunctionBuilder<'a> {
        let b = &mut self.builder;
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
