//! `eval_plan`: the reference evaluator. Plain Rust, one node at a time, over whole columns. It
//! defines what a plan means; the JIT ([`crate::codegen`]) must agree with it bit for bit (after
//! NaN canonicalisation) on every program.

use crate::bind::Binding;
use crate::ops;
use crate::plan::{Node, Op, Plan};
use crate::types::Shape;
use crate::window::{run_scan, run_window};

/// Evaluates the nodes `outputs` of `plan` over `len` bars. `inputs[i]` is the column of
/// `plan.inputs[i]` (each `len` long). A scalar output is broadcast to a column.
pub fn eval_plan(plan: &Plan, inputs: &[&[f64]], len: usize, binding: &Binding, outputs: &[Node]) -> Vec<Vec<f64>> {
    let live = plan.reachable(outputs);
    let mut cols: Vec<Option<Vec<f64>>> = vec![None; plan.nodes.len()];
    for (i, nd) in plan.nodes.iter().enumerate() {
        if !live[i] || nd.shape == Shape::Scalar {
            continue;
        }
        let col = |n: Node, cols: &Vec<Option<Vec<f64>>>| -> Vec<f64> {
            match &cols[n.index()] {
                Some(c) => c.clone(),
                None => vec![binding.scalars[n.index()]; len],
            }
        };
        let v: Vec<f64> = match nd.op {
            Op::Input(c) => inputs[c as usize].to_vec(),
            Op::Unary(o, x) => col(x, &cols).into_iter().map(|x| ops::unary(o, x)).collect(),
            Op::Binary(o, a, b) => {
                let (a, b) = (col(a, &cols), col(b, &cols));
                a.iter().zip(&b).map(|(&x, &y)| ops::binary(o, x, y)).collect()
            }
            Op::Select(c, a, b) => {
                let (c, a, b) = (col(c, &cols), col(a, &cols), col(b, &cols));
                (0..len).map(|t| ops::select(c[t], a[t], b[t])).collect()
            }
            Op::Window(o, x, _) => {
                let x = col(x, &cols);
                let mut out = vec![f64::NAN; len];
                run_window(o, &x, binding.lengths[i], &mut out);
                out
            }
            Op::Scan(o, x) => {
                let x = col(x, &cols);
                let mut out = vec![f64::NAN; len];
                run_scan(o, &x, &mut out);
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
            None => vec![binding.scalars[n.index()]; len],
        })
        .collect()
}
