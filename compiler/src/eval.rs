//! `eval_plan`: the reference evaluator. Plain Rust, one node at a time, over whole columns. It
//! defines what a plan means; the JIT ([`crate::codegen`]) must agree with it bit for bit (after
//! NaN canonicalisation) on every program.
//!
//! Broadcasting: in an elementwise op over a panel, a series operand supplies `x[t]` to every
//! asset and a scalar operand its one value.

use crate::bind::Binding;
use crate::ops;
use crate::plan::{Dims, Node, Op, Plan};
use crate::types::Shape;
use crate::window::{run_cross, run_scan_panel, run_window_panel};

/// Evaluates the nodes `outputs` of `plan` for a run of size `dims`. `inputs[i]` is the column
/// (series) or asset-major panel of `plan.inputs[i]`. A scalar output is broadcast to a series.
pub fn eval_plan(plan: &Plan, inputs: &[&[f64]], dims: &Dims, binding: &Binding, outputs: &[Node]) -> Vec<Vec<f64>> {
    let live = plan.reachable(outputs);
    let rows = dims.rows;
    let mut cols: Vec<Option<Vec<f64>>> = vec![None; plan.nodes.len()];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if !live[i] || nd.shape == Shape::Scalar {
            continue;
        }
        let len = dims.len_of(nd.shape);
        let width = dims.width_of(nd.shape);
        // Value of operand `n` at flat position `k` (asset k / rows, row k % rows) of this node.
        let at = |n: Node, k: usize, cols: &Vec<Option<Vec<f64>>>| -> f64 {
            match plan.nodes[n.index()].shape {
                Shape::Scalar => binding.scalars[n.index()],
                Shape::Series => cols[n.index()].as_ref().map(|c| c[k % rows]).unwrap_or(f64::NAN),
                Shape::Panel(_) => cols[n.index()].as_ref().map(|c| c[k]).unwrap_or(f64::NAN),
            }
        };
        let v: Vec<f64> = match nd.op {
            Op::Input(c) => inputs[c as usize].to_vec(),
            Op::Unary(o, x) => (0..len).map(|k| ops::unary(o, at(x, k, &cols))).collect(),
            Op::Binary(o, a, b) => (0..len).map(|k| ops::binary(o, at(a, k, &cols), at(b, k, &cols))).collect(),
            Op::Select(c, a, b) => (0..len).map(|k| ops::select(at(c, k, &cols), at(a, k, &cols), at(b, k, &cols))).collect(),
            Op::Window(o, x, _) => {
                let x: Vec<f64> = (0..len).map(|k| at(x, k, &cols)).collect();
                let mut out = vec![f64::NAN; len];
                run_window_panel(o, &x, rows, width, binding.lengths[i], &mut out);
                out
            }
            Op::Scan(o, x) => {
                let x: Vec<f64> = (0..len).map(|k| at(x, k, &cols)).collect();
                let mut out = vec![f64::NAN; len];
                run_scan_panel(o, &x, rows, width, &mut out);
                out
            }
            Op::Cross(o, x, f) => {
                let xs = plan.nodes[x.index()].shape;
                let xv = cols[x.index()].clone().unwrap_or_default();
                let mut out = vec![f64::NAN; len];
                run_cross(o, &xv, rows, dims.width_of(xs), binding.scalars[f.index()], &mut out);
                out
            }
            Op::Param(_) | Op::Const(_) => continue,
        };
        cols[i] = Some(v);
    }
    outputs
        .iter()
        .map(|&n| match &cols[n.index()] {
            Some(c) => c.clone(),
            None => vec![binding.scalars[n.index()]; rows],
        })
        .collect()
}
