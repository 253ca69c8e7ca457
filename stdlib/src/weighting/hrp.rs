//! Hierarchical Risk Parity (HRP).
//!
//! Source: López de Prado, "Building diversified portfolios that outperform
//! out of sample", J. Portfolio Management 42(4), 2016. Convention: exactly
//! PyPortfolioOpt 1.6 `HRPOpt(returns).optimize(linkage_method)` (the
//! convention SEMANTICS.md §6 fixes), i.e.
//!
//! 1. correlation `rho` from the covariance, distance
//!    `d_ij = sqrt(clip((1 - rho_ij) / 2, 0, 1))`;
//! 2. agglomerative clustering of the condensed `d` with `single` or `ward`
//!    linkage (scipy 1.x `linkage(d, method)`: Ward's Lance–Williams update is
//!    applied to `d` itself, taken as Euclidean distances);
//! 3. quasi-diagonal leaf order = pre-order of the dendrogram, the child with
//!    the smaller cluster label first (scipy's `to_tree(Z).pre_order()`),
//!    WITHOUT optimal leaf reordering (skfolio and Riskfolio-Lib reorder by
//!    default; PyPortfolioOpt does not);
//! 4. recursive bisection of that order into halves `[:n/2]`, `[n/2:]`
//!    (integer division), each half's variance being that of its
//!    inverse-variance portfolio, `alpha = 1 - V1 / (V1 + V2)` to the first
//!    half and `1 - alpha` to the second.
//!
//! The linkage is computed by the `kodama` crate (0.3, a port of Müllner's
//! fastcluster, the algorithms scipy uses: an MST for single linkage, the
//! nearest-neighbour chain for Ward, steps sorted stably by height, the
//! smaller label first) — tests check its leaf order against scipy's.
//! Ties in distance may order leaves differently from scipy.

use super::covariance::cov_to_corr;
use super::error::WeightError;
use ndarray::{Array1, ArrayView2};

/// Linkage criterion of the HRP clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Linkage {
    /// Nearest point (minimum distance) linkage: PyPortfolioOpt's default.
    #[default]
    Single,
    /// Ward's minimum-variance linkage on the correlation distance.
    Ward,
}

/// Condensed correlation distance `sqrt(clip((1 - rho) / 2, 0, 1))` of an
/// `N x N` covariance: the upper triangle row by row (`(0,1), (0,2), ..,
/// (1,2), ..`), length `N (N - 1) / 2` (scipy's `squareform`).
///
/// Errors: [`WeightError::SingularCovariance`] if a variance is not
/// positive (its correlations are undefined).
pub fn correlation_distance(cov: ArrayView2<f64>) -> Result<Vec<f64>, WeightError> {
    let n = cov.nrows();
    if let Some(i) = (0..n).find(|&i| !(cov[[i, i]] > 0.0 && cov[[i, i]].is_finite())) {
        return Err(WeightError::SingularCovariance { detail: format!("asset {i} has variance {} (correlation undefined)", cov[[i, i]]) });
    }
    let corr = cov_to_corr(cov);
    let mut d = Vec::with_capacity(n * (n.saturating_sub(1)) / 2);
    for i in 0..n {
        for j in i + 1..n {
            d.push(((1.0 - corr[[i, j]]) / 2.0).clamp(0.0, 1.0).sqrt());
        }
    }
    Ok(d)
}

/// The quasi-diagonal leaf order (asset indices) of the `linkage`
/// dendrogram of the correlation distance of `cov`: pre-order, smaller
/// cluster label first (scipy `to_tree(linkage(d, method)).pre_order()`).
pub fn leaf_order(cov: ArrayView2<f64>, linkage: Linkage) -> Result<Vec<usize>, WeightError> {
    let n = cov.nrows();
    let mut d = correlation_distance(cov)?;
    if n == 1 {
        return Ok(vec![0]);
    }
    let method = match linkage {
        Linkage::Single => kodama::Method::Single,
        Linkage::Ward => kodama::Method::Ward,
    };
    let dend = kodama::linkage(&mut d, n, method);
    let steps = dend.steps();
    let mut order = Vec::with_capacity(n);
    let mut stack = vec![2 * n - 2];
    while let Some(node) = stack.pop() {
        if node < n {
            order.push(node);
        } else {
            let s = &steps[node - n];
            stack.push(s.cluster2);
            stack.push(s.cluster1);
        }
    }
    Ok(order)
}

/// Variance of the inverse-variance portfolio of the assets `items`:
/// `w_i = (1/S_ii) / sum_j (1/S_jj)`, `V = w' S[items, items] w`.
fn cluster_var(cov: ArrayView2<f64>, items: &[usize]) -> f64 {
    let inv: Vec<f64> = items.iter().map(|&i| 1.0 / cov[[i, i]]).collect();
    let total: f64 = inv.iter().sum();
    let w: Vec<f64> = inv.iter().map(|v| v / total).collect();
    let mut v = 0.0;
    for (a, &i) in items.iter().enumerate() {
        let mut row = 0.0;
        for (b, &j) in items.iter().enumerate() {
            row += cov[[i, j]] * w[b];
        }
        v += w[a] * row;
    }
    v
}

/// Recursive bisection of `order` (step 4 above), multiplying the weights
/// top-down in the same order as PyPortfolioOpt's breadth-first loop.
fn bisect(cov: ArrayView2<f64>, order: &[usize], w: &mut Array1<f64>) {
    if order.len() < 2 {
        return;
    }
    let (first, second) = order.split_at(order.len() / 2);
    let v1 = cluster_var(cov, first);
    let v2 = cluster_var(cov, second);
    let alpha = 1.0 - v1 / (v1 + v2);
    for &i in first {
        w[i] *= alpha;
    }
    for &i in second {
        w[i] *= 1.0 - alpha;
    }
    bisect(cov, first, w);
    bisect(cov, second, w);
}

/// HRP weights of an `N x N` covariance (fraction per bar)^2, in column
/// order: `N` positive weights summing to 1 (long-only, no bounds:
/// SEMANTICS.md §6).
///
/// Errors: [`WeightError::SingularCovariance`] if a variance is not
/// positive and finite.
pub fn hrp(cov: ArrayView2<f64>, linkage: Linkage) -> Result<Array1<f64>, WeightError> {
    let order = leaf_order(cov, linkage)?;
    let mut w = Array1::<f64>::ones(cov.nrows());
    bisect(cov, &order, &mut w);
    Ok(w)
}
