//! Scheduling and fusion: which nodes a run computes, in which order, and which elementwise
//! nodes fuse into which kernel. No Cranelift here; [`super::emit`] turns each [`FusedKernel`]
//! into machine code.
//!
//! Every series node gets a stage: inputs are stage 0, an elementwise node takes the largest
//! stage of its operands, a window/running node is one more than its operand. Stage `s` first
//! runs its window nodes (stdlib kernels), then one fused kernel per shape that computes every
//! elementwise node of stage `s` that something downstream reads (the input of a window, or a
//! program output). Elementwise work in between is inlined into that kernel and never
//! materialised.
//!
//! Within a stage, the nodes marked `free` (those that depend on no param a sweep varies:
//! [`Plan::param_free`], or [`Plan::invariant`] of the program's grid) get kernels of their
//! own, run before the others, and a free node that another node reads is materialised: a sweep
//! computes that kernel once (the plan runner's cache skips a step whose outputs are all
//! param-invariant) instead of once per binding.

use crate::plan::{Node, Op, Plan};
use crate::types::Shape;

/// One step of a compiled plan (see [`super::Kernels::steps`]), run in order: a step only reads
/// columns that are inputs or that earlier steps computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// A window, running or cross-sectional node, computed by its stdlib kernel
    /// (`strat_compiler::window`) from the column of its operand.
    Stdlib(Node),
    /// A fused elementwise kernel: index into [`super::Kernels::kernels`] (and into the
    /// schedule's `fused`).
    Jit(usize),
}

/// The elementwise work of one fused kernel: what it writes, what it reads and what it computes
/// inline, per bar.
#[derive(Debug)]
pub(super) struct FusedKernel {
    /// Shape of the targets: a panel kernel is called once per asset.
    pub shape: Shape,
    /// The nodes the kernel writes, one output column each (in this order).
    pub targets: Vec<Node>,
    /// The columns it reads (computed by earlier steps, or inputs), in node order.
    pub columns: Vec<Node>,
    /// The non-constant scalar nodes it reads (one value per binding), in node order.
    pub scalars: Vec<Node>,
    /// The nodes it computes inline, in node order (operands before their users).
    pub inline: Vec<Node>,
}

/// The steps of a plan in execution order, and the fused kernels its `Jit` steps refer to.
#[derive(Debug)]
pub(super) struct Schedule {
    /// Execution order.
    pub steps: Vec<Step>,
    /// `Step::Jit(k)` runs `fused[k]`.
    pub fused: Vec<FusedKernel>,
}

/// Schedules the part of `plan` that `outputs` need; `free` marks the nodes whose elementwise
/// work goes to kernels of their own (see the module doc).
pub(super) fn schedule(plan: &Plan, outputs: &[Node], free: &[bool]) -> Schedule {
    let live = plan.reachable(outputs);
    let materialized = materialized(plan, &live, free, outputs);
    let stage = stages(plan);
    let max_stage = (0..plan.nodes.len()).filter(|&i| live[i]).map(|i| stage[i]).max().unwrap_or(0);
    let mut sched = Schedule { steps: vec![], fused: vec![] };
    for s in 0..=max_stage {
        for (i, nd) in plan.nodes.iter().enumerate() {
            if live[i] && stage[i] == s && is_stdlib(&nd.op) {
                sched.steps.push(Step::Stdlib(Node(i as u32)));
            }
        }
        // The elementwise nodes of this stage that something reads, one kernel per shape (in
        // the order the shapes first appear), the param-free ones first.
        for want_free in [true, false] {
            let targets_of = |i: usize| {
                let nd = &plan.nodes[i];
                live[i] && materialized[i] && stage[i] == s && free[i] == want_free && nd.shape != Shape::Scalar && nd.op.is_elementwise()
            };
            let mut shapes: Vec<Shape> = vec![];
            for i in (0..plan.nodes.len()).filter(|&i| targets_of(i)) {
                if !shapes.contains(&plan.nodes[i].shape) {
                    shapes.push(plan.nodes[i].shape);
                }
            }
            for sh in shapes {
                let targets: Vec<Node> = (0..plan.nodes.len()).filter(|&i| targets_of(i) && plan.nodes[i].shape == sh).map(|i| Node(i as u32)).collect();
                sched.steps.push(Step::Jit(sched.fused.len()));
                sched.fused.push(fuse(plan, targets, &stage, &materialized, free));
            }
        }
    }
    sched
}

/// A window, running or cross-sectional node: computed by a stdlib kernel, not fused.
fn is_stdlib(op: &Op) -> bool {
    matches!(op, Op::Window(..) | Op::Scan(..) | Op::Cross(..))
}

/// Per node, whether its column is kept as a column: it is the operand of a live stdlib node,
/// an output, or a `free` series or panel node read by a node that is not.
fn materialized(plan: &Plan, live: &[bool], free: &[bool], outputs: &[Node]) -> Vec<bool> {
    let mut materialized = vec![false; plan.nodes.len()];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if !live[i] {
            continue;
        }
        if let Op::Window(_, x, _) | Op::Scan(_, x) | Op::Cross(_, x, _) = nd.op {
            materialized[x.index()] = true;
        }
        if !free[i] && nd.op.is_elementwise() {
            for a in nd.op.args() {
                let arg = plan.node(a);
                if free[a.index()] && arg.shape != Shape::Scalar && arg.op.is_elementwise() {
                    materialized[a.index()] = true;
                }
            }
        }
    }
    for &o in outputs {
        materialized[o.index()] = true;
    }
    materialized
}

/// Per node, its stage (see the module doc).
fn stages(plan: &Plan) -> Vec<usize> {
    let mut stage = vec![0usize; plan.nodes.len()];
    for (i, nd) in plan.nodes.iter().enumerate() {
        stage[i] = match nd.op {
            Op::Window(_, x, _) | Op::Scan(_, x) | Op::Cross(_, x, _) => stage[x.index()] + 1,
            ref op => op.args().iter().map(|a| stage[a.index()]).max().unwrap_or(0),
        };
    }
    stage
}

/// The kernel that computes `targets` (elementwise nodes of one stage, one shape and one kind:
/// all param-free or all param-dependent): walks their operands, inlining elementwise work of
/// the same stage and reading everything else, including the param-free columns that another
/// kernel of the stage writes for a param-dependent one.
fn fuse(plan: &Plan, targets: Vec<Node>, stage: &[usize], materialized: &[bool], free: &[bool]) -> FusedKernel {
    let n = plan.nodes.len();
    let s = stage[targets[0].index()];
    let target_free = free[targets[0].index()];
    let mut inline = vec![false; n];
    let mut is_column = vec![false; n];
    let mut is_scalar = vec![false; n];
    let mut stack: Vec<Node> = targets.clone();
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
        } else if !data.op.is_elementwise() || (materialized[i] && (stage[i] < s || free[i] != target_free)) {
            is_column[i] = true;
        } else {
            inline[i] = true;
            stack.extend(data.op.args());
        }
    }
    let marked = |mask: &[bool]| -> Vec<Node> { (0..n).filter(|&i| mask[i]).map(|i| Node(i as u32)).collect() };
    FusedKernel { shape: plan.node(targets[0]).shape, columns: marked(&is_column), scalars: marked(&is_scalar), inline: marked(&inline), targets }
}
