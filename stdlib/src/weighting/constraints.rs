//! Weight constraints and the rebalance path: per-asset bounds, EWMA
//! smoothing toward the target and the turnover cap (SEMANTICS.md §6).
//!
//! Weights are fractions of capital per asset (`N` entries); turnover is the
//! L1 norm of a weight change, as SEMANTICS.md §3 (cash is not an asset).

use super::error::{Infeasibility, WeightError};
use ndarray::{Array1, ArrayView1};

/// Per-asset weight bounds `min_weight <= w_i <= max_weight` with
/// `sum w = 1`. SEMANTICS.md §6 applies `0 <= w <= 0.4` to `min_var` and
/// `max_sharpe` only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min_weight: f64,
    pub max_weight: f64,
}

impl Bounds {
    /// `0 <= w <= 0.4`: the bounds of SEMANTICS.md §6 for min-var / max-Sharpe.
    pub const SEMANTICS: Bounds = Bounds { min_weight: 0.0, max_weight: 0.4 };
    /// `0 <= w <= 1`: long-only, fully invested.
    pub const LONG_ONLY: Bounds = Bounds { min_weight: 0.0, max_weight: 1.0 };
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds::SEMANTICS
    }
}

/// Checks that `n` assets can satisfy `bounds` with `sum w = 1`
/// (to 1e-12): `0 <= min <= max` finite, `n max >= 1`, `n min <= 1`.
///
/// Errors: [`WeightError::Infeasible`] naming the violated constraint
/// ([`Infeasibility::Bounds`], [`Infeasibility::MaxWeight`],
/// [`Infeasibility::MinWeight`]).
pub fn check_bounds(bounds: Bounds, n: usize) -> Result<(), WeightError> {
    let Bounds { min_weight, max_weight } = bounds;
    if !(min_weight >= 0.0 && min_weight <= max_weight && max_weight.is_finite()) {
        return Err(WeightError::Infeasible(Infeasibility::Bounds { min_weight, max_weight }));
    }
    if (n as f64) * max_weight < 1.0 - 1e-12 {
        return Err(WeightError::Infeasible(Infeasibility::MaxWeight { max_weight, assets: n }));
    }
    if (n as f64) * min_weight > 1.0 + 1e-12 {
        return Err(WeightError::Infeasible(Infeasibility::MinWeight { min_weight, assets: n }));
    }
    Ok(())
}

/// Imposes `bounds` on non-negative weights `w` that sum to 1, keeping the
/// proportions of the unconstrained assets ("capped proportional" rescaling,
/// as index providers cap weights): repeatedly fix every asset whose
/// rescaled weight is above `max_weight` (below `min_weight`) at that bound
/// and share the remaining budget among the others in proportion to `w`
/// (equally if their `w` sum to 0). At most `N` rounds; the result sums
/// to 1 and lies within the bounds.
///
/// Errors: as [`check_bounds`] for `w.len()` assets.
pub fn cap_weights(w: ArrayView1<f64>, bounds: Bounds) -> Result<Array1<f64>, WeightError> {
    let n = w.len();
    check_bounds(bounds, n)?;
    let mut fixed: Vec<Option<f64>> = vec![None; n];
    loop {
        let budget = 1.0 - fixed.iter().flatten().sum::<f64>();
        let free: Vec<usize> = (0..n).filter(|&i| fixed[i].is_none()).collect();
        let mass: f64 = free.iter().map(|&i| w[i]).sum();
        let share = |i: usize| {
            if mass > 0.0 {
                w[i] * budget / mass
            } else {
                budget / free.len() as f64
            }
        };
        let mut changed = false;
        for &i in &free {
            let v = share(i);
            if v > bounds.max_weight {
                fixed[i] = Some(bounds.max_weight);
                changed = true;
            } else if v < bounds.min_weight {
                fixed[i] = Some(bounds.min_weight);
                changed = true;
            }
        }
        if !changed || free.is_empty() {
            return Ok(Array1::from_iter((0..n).map(|i| fixed[i].unwrap_or_else(|| share(i)))));
        }
    }
}

/// The weights held after a rebalance (SEMANTICS.md §6): with no previous
/// weights (the first rebalance) the target as is; otherwise the EWMA step
/// `v = a * target + (1 - a) * prev` (`a = smoothing`, 0.5 in SEMANTICS),
/// then, if `||v - prev||_1 > cap` (0.2 in SEMANTICS), the step scaled down
/// to the cap: `prev + (v - prev) * cap / ||v - prev||_1`. `smoothing = 1`
/// disables smoothing, `cap = None` the cap.
///
/// Inputs and output: `N` weights (fractions; any sum — Kelly weights leave
/// cash). `prev` is the previously held weights, not the previous target.
pub fn smooth_and_cap(target: ArrayView1<f64>, prev: Option<ArrayView1<f64>>, smoothing: f64, cap: Option<f64>) -> Array1<f64> {
    let Some(prev) = prev else { return target.to_owned() };
    let v: Array1<f64> = Array1::from_iter(target.iter().zip(prev).map(|(t, p)| smoothing * t + (1.0 - smoothing) * p));
    let step: f64 = v.iter().zip(prev).map(|(a, b)| (a - b).abs()).sum();
    match cap {
        Some(c) if step > c => {
            let f = c / step;
            Array1::from_iter(v.iter().zip(prev).map(|(a, p)| p + (a - p) * f))
        }
        _ => v,
    }
}

/// `sum_j |a_j - b_j|`: the turnover between two weight vectors.
pub fn turnover(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum()
}
