//! Small dense linear algebra for the weighting methods (N is the number of
//! assets, typically 2..100): a Cholesky test of positive definiteness and a
//! partial-pivoting LU solve for the Newton and KKT systems. Plain loops over
//! ndarray; no BLAS.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

/// Relative pivot threshold below which a matrix counts as singular:
/// a Cholesky pivot `<= PIVOT_TOL * max_i A[i, i]` fails.
pub const PIVOT_TOL: f64 = 1e-12;

/// Lower-triangular Cholesky factor `L` with `L L' = a`, or `Err(k)` with the
/// index of the first pivot that is not positive (relative to
/// [`PIVOT_TOL`] times the largest diagonal entry): `a` is then singular or
/// not positive definite to working precision.
pub fn cholesky(a: ArrayView2<f64>) -> Result<Array2<f64>, usize> {
    let n = a.nrows();
    let scale = a.diag().iter().cloned().fold(0.0_f64, f64::max);
    let mut l = Array2::<f64>::zeros((n, n));
    for j in 0..n {
        let mut d = a[[j, j]];
        for k in 0..j {
            d -= l[[j, k]] * l[[j, k]];
        }
        if !(d > PIVOT_TOL * scale) {
            return Err(j);
        }
        let d = d.sqrt();
        l[[j, j]] = d;
        for i in j + 1..n {
            let mut s = a[[i, j]];
            for k in 0..j {
                s -= l[[i, k]] * l[[j, k]];
            }
            l[[i, j]] = s / d;
        }
    }
    Ok(l)
}

/// Solves `a x = b` by Gaussian elimination with partial pivoting.
/// `None` if a pivot is below `1e-14` times the largest absolute entry of
/// `a` (numerically singular).
pub fn solve(a: ArrayView2<f64>, b: ArrayView1<f64>) -> Option<Array1<f64>> {
    let n = a.nrows();
    let mut m = a.to_owned();
    let mut x = b.to_owned();
    let scale = m.iter().fold(0.0_f64, |s, v| s.max(v.abs()));
    if !(scale > 0.0) {
        return None;
    }
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| m[[i, c]].abs().total_cmp(&m[[j, c]].abs())).unwrap_or(c);
        if !(m[[p, c]].abs() > 1e-14 * scale) {
            return None;
        }
        if p != c {
            for k in 0..n {
                m.swap([p, k], [c, k]);
            }
            x.swap(p, c);
        }
        for i in c + 1..n {
            let f = m[[i, c]] / m[[c, c]];
            if f != 0.0 {
                for k in c..n {
                    m[[i, k]] -= f * m[[c, k]];
                }
                x[i] -= f * x[c];
            }
        }
    }
    for c in (0..n).rev() {
        let mut s = x[c];
        for k in c + 1..n {
            s -= m[[c, k]] * x[k];
        }
        x[c] = s / m[[c, c]];
    }
    Some(x)
}

/// `w' S w`, summed in index order.
pub fn quad_form(s: ArrayView2<f64>, w: ArrayView1<f64>) -> f64 {
    let n = w.len();
    let mut acc = 0.0;
    for i in 0..n {
        let mut row = 0.0;
        for j in 0..n {
            row += s[[i, j]] * w[j];
        }
        acc += w[i] * row;
    }
    acc
}

/// `S w`.
pub fn mat_vec(s: ArrayView2<f64>, w: ArrayView1<f64>) -> Array1<f64> {
    Array1::from_iter((0..s.nrows()).map(|i| {
        let mut acc = 0.0;
        for j in 0..w.len() {
            acc += s[[i, j]] * w[j];
        }
        acc
    }))
}

/// `S` is positive definite to working precision (see [`cholesky`]); the
/// error names the first failing pivot for diagnostics.
pub fn require_pd(s: ArrayView2<f64>) -> Result<(), super::WeightError> {
    cholesky(s)
        .map(|_| ())
        .map_err(|k| super::WeightError::SingularCovariance { detail: format!("not positive definite (Cholesky pivot {k} <= {PIVOT_TOL:e} x max variance)") })
}
