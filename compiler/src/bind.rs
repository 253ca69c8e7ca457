//! Binding: one set of parameter values applied to a plan. Computes every scalar node once
//! (parameter-invariant work is hoisted out of the per-bar loops this way), resolves each window
//! length to an integer, and computes every node's static warm-up (SEMANTICS.md §2).

use crate::ops;
use crate::plan::{CrossOp, Node, Op, Plan, ScanOp};
use crate::types::Shape;
use strat_grammar::{Diag, Span};

/// Why params do not fit a plan: a span-free error naming the plan node at fault. The caller
/// that knows the source attaches the node's span with [`BindError::at`].
#[derive(Debug, Clone, PartialEq)]
pub struct BindError {
    /// The diagnostic code (`strat::value::bad_window`, `strat::value::bad_fraction`).
    pub code: &'static str,
    /// What is wrong, with the value.
    pub message: String,
    /// The plan node (a window or cross-sectional call) whose argument is out of range.
    pub node: Node,
    /// What to do about it.
    pub help: &'static str,
}

impl BindError {
    /// The diagnostic, pointing at `span` (the source span of [`BindError::node`]).
    pub fn at(&self, span: Span) -> Diag {
        Diag::error(self.code, self.message.clone(), span, "in this call").with_help(self.help)
    }

    /// The diagnostic, pointing at the node's span in `plan`.
    pub fn in_plan(&self, plan: &Plan) -> Diag {
        self.at(plan.nodes.get(self.node.index()).map_or(Span::default(), |n| n.span))
    }
}

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// A plan bound to parameter values.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The value of every scalar node (NaN for series nodes), indexed by node.
    pub scalars: Vec<f64>,
    /// The integer length / lag of every window node (0 for other nodes), indexed by node.
    pub lengths: Vec<usize>,
    /// The static warm-up of every node: the first row at which all of its inputs are defined.
    pub warmup: Vec<usize>,
}

impl Binding {
    /// The warm-up of `n`.
    pub fn warmup_of(&self, n: Node) -> usize {
        self.warmup[n.index()]
    }
}

/// The value of every scalar node for `params` (NaN for series nodes), without validating
/// window lengths: used to evaluate `when` conditions and `where` constraints of a sweep grid.
pub fn eval_scalars(plan: &Plan, params: &[f64]) -> Vec<f64> {
    let mut scalars = vec![f64::NAN; plan.nodes.len()];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if nd.shape == Shape::Scalar {
            scalars[i] = scalar_value(nd.op, &scalars, params);
        }
    }
    scalars
}

fn scalar_value(op: Op, scalars: &[f64], params: &[f64]) -> f64 {
    match op {
        Op::Const(v) => v,
        Op::Param(p) => params.get(p as usize).copied().unwrap_or(f64::NAN),
        Op::Unary(o, x) => ops::unary(o, scalars[x.index()]),
        Op::Binary(o, a, b) => ops::binary(o, scalars[a.index()], scalars[b.index()]),
        Op::Select(c, a, b) => ops::select(scalars[c.index()], scalars[a.index()], scalars[b.index()]),
        _ => f64::NAN,
    }
}

/// Binds `params` (one value per declared param, in declaration order) to `plan`.
///
/// Errors: a window length or lag that is not a whole number within range, reported at the
/// source span of the window call (`strat::value::bad_window`).
pub fn bind(plan: &Plan, params: &[f64]) -> Result<Binding, BindError> {
    let n = plan.nodes.len();
    let mut scalars = vec![f64::NAN; n];
    let mut lengths = vec![0usize; n];
    let mut warmup = vec![0usize; n];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if nd.shape == Shape::Scalar {
            scalars[i] = scalar_value(nd.op, &scalars, params);
        }
        warmup[i] = match nd.op {
            Op::Input(_) | Op::Param(_) | Op::Const(_) => 0,
            Op::Unary(_, x) => warmup[x.index()],
            Op::Binary(_, a, b) => warmup[a.index()].max(warmup[b.index()]),
            Op::Select(c, a, b) => warmup[c.index()].max(warmup[a.index()]).max(warmup[b.index()]),
            Op::Scan(ScanOp::Drawdown | ScanOp::Cumsum | ScanOp::Cumprod, x) => warmup[x.index()],
            Op::Cross(op, x, f) => {
                if matches!(op, CrossOp::Top | CrossOp::Bottom) {
                    let v = scalars[f.index()];
                    if !(v > 0.0 && v <= 1.0) {
                        return Err(BindError {
                            code: "strat::value::bad_fraction",
                            message: format!("a fraction of the assets must be in (0, 1], got {v}"),
                            node: Node(i as u32),
                            help: "e.g. `top(x, 20%)` for the top quintile",
                        });
                    }
                }
                warmup[x.index()]
            }
            Op::Window(op, x, len) => {
                let v = scalars[len.index()];
                let min = op.min_length();
                if !(v.fract() == 0.0 && v >= min as f64 && v <= 1e9) {
                    return Err(BindError {
                        code: "strat::value::bad_window",
                        message: format!("a window length or lag must be a whole number from {min} to 1e9, got {v}"),
                        node: Node(i as u32),
                        help: "set the parameter to a whole number of bars",
                    });
                }
                let k = v as usize;
                lengths[i] = k;
                warmup[x.index()].saturating_add(op.warmup(k))
            }
        };
    }
    Ok(Binding { scalars, lengths, warmup })
}
