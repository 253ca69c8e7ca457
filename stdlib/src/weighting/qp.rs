//! Convex QPs through the Clarabel interior-point solver (clarabel 0.11,
//! Goulart & Chen, "Clarabel: an interior-point solver for conic programs
//! with quadratic objectives", arXiv:2405.12762, 2024), followed by an
//! active-set polish that makes the answer exact to rounding.
//!
//! Problem: `min 0.5 x'Px + q'x` s.t. `A x = b` (rows of `a_eq`) and
//! `G x <= h` (rows of `g`), `P` symmetric positive semidefinite, data
//! scaled by the caller to O(1).
//!
//! Polish (as OSQP's solution polishing, Stellato et al., Math. Prog. Comp.
//! 12, 2020): the inequalities whose Clarabel dual exceeds their slack are
//! taken as active, the equality-constrained QP on that active set is solved
//! from its KKT system `[P A'; A 0] [x; l] = [-q; b]` by LU, and the result
//! replaces Clarabel's if it is primal feasible and its inequality
//! multipliers are non-negative (to 1e-9). Clarabel's own answer
//! (tolerances 1e-10 here) is kept otherwise.

use super::error::{Infeasibility, WeightError};
use super::linalg::solve;
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};
use ndarray::{concatenate, Array1, Array2, Axis};

/// A QP in the form above; `x` has `p.nrows()` entries.
pub(crate) struct Qp {
    pub p: Array2<f64>,
    pub q: Array1<f64>,
    pub a_eq: Array2<f64>,
    pub b_eq: Array1<f64>,
    pub g: Array2<f64>,
    pub h: Array1<f64>,
}

/// Feasibility / sign tolerance of the polish check (scaled problem).
const POLISH_TOL: f64 = 1e-9;

/// Dense to CSC, keeping only `i <= j` entries when `upper` (Clarabel reads
/// the upper triangle of `P`).
fn csc(m: &Array2<f64>, upper: bool) -> CscMatrix<f64> {
    let (rows, cols) = m.dim();
    let mut colptr = vec![0];
    let mut rowval = Vec::new();
    let mut nzval = Vec::new();
    for j in 0..cols {
        for i in 0..rows {
            if (!upper || i <= j) && m[[i, j]] != 0.0 {
                rowval.push(i);
                nzval.push(m[[i, j]]);
            }
        }
        colptr.push(rowval.len());
    }
    CscMatrix::new(rows, cols, colptr, rowval, nzval)
}

/// Solves `qp`; returns `x` and whether the polish replaced Clarabel's
/// answer.
///
/// Errors: [`WeightError::Infeasible`] (`Infeasibility::Solver`) on a
/// primal infeasibility certificate, [`WeightError::SolverFailed`] for any
/// other non-solved status.
pub(crate) fn solve_qp(qp: &Qp) -> Result<(Array1<f64>, bool), WeightError> {
    let n = qp.p.nrows();
    let (me, mi) = (qp.a_eq.nrows(), qp.g.nrows());
    let a = concatenate(Axis(0), &[qp.a_eq.view(), qp.g.view()]).map_err(|e| WeightError::InvalidInput(format!("QP shapes: {e}")))?;
    let b: Vec<f64> = qp.b_eq.iter().chain(qp.h.iter()).cloned().collect();
    let cones = [SupportedConeT::ZeroConeT(me), SupportedConeT::NonnegativeConeT(mi)];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(1e-10)
        .tol_gap_rel(1e-10)
        .tol_feas(1e-10)
        .build()
        .map_err(|e| WeightError::InvalidInput(format!("clarabel settings: {e}")))?;
    let q: Vec<f64> = qp.q.to_vec();
    let mut solver = DefaultSolver::new(&csc(&qp.p, true), &q, &csc(&a, false), &b, &cones, settings)
        .map_err(|e| WeightError::SolverFailed { status: format!("setup: {e}") })?;
    solver.solve();
    let sol = &solver.solution;
    match sol.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {}
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => {
            return Err(WeightError::Infeasible(Infeasibility::Solver { status: format!("{:?}", sol.status) }))
        }
        s => return Err(WeightError::SolverFailed { status: format!("{s:?}") }),
    }
    let x = Array1::from(sol.x.clone());
    let active: Vec<usize> = (0..mi).filter(|&i| sol.z[me + i] > sol.s[me + i]).collect();
    match polish(qp, &active, &x) {
        Some(p) => Ok((p, true)),
        None => {
            debug_assert!(x.len() == n);
            Ok((x, false))
        }
    }
}

/// The active-set polish described in the module doc; `None` if the KKT
/// system is singular or its solution fails the checks.
fn polish(qp: &Qp, active: &[usize], x0: &Array1<f64>) -> Option<Array1<f64>> {
    let n = qp.p.nrows();
    let me = qp.a_eq.nrows();
    let m = me + active.len();
    let mut k = Array2::<f64>::zeros((n + m, n + m));
    let mut rhs = Array1::<f64>::zeros(n + m);
    k.slice_mut(ndarray::s![..n, ..n]).assign(&qp.p);
    for j in 0..n {
        rhs[j] = -qp.q[j];
    }
    let rows = (0..me).map(|r| (qp.a_eq.row(r), qp.b_eq[r])).chain(active.iter().map(|&i| (qp.g.row(i), qp.h[i])));
    for (r, (row, rhs_r)) in rows.enumerate() {
        for j in 0..n {
            k[[n + r, j]] = row[j];
            k[[j, n + r]] = row[j];
        }
        rhs[n + r] = rhs_r;
    }
    let sol = solve(k.view(), rhs.view())?;
    let x = sol.slice(ndarray::s![..n]).to_owned();
    let dual_ok = (0..active.len()).all(|r| sol[n + me + r] >= -POLISH_TOL);
    let primal_ok = (0..qp.g.nrows()).all(|i| qp.g.row(i).dot(&x) <= qp.h[i] + POLISH_TOL);
    let scale = 1.0 + x0.iter().fold(0.0_f64, |s, v| s.max(v.abs()));
    let near = x.iter().zip(x0).all(|(a, b)| (a - b).abs() <= 1e-5 * scale);
    (dual_ok && primal_ok && near && x.iter().all(|v| v.is_finite())).then_some(x)
}
