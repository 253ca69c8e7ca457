//! The single-asset and panel book: target weights held row by row, their returns, turnover and exposure.

use super::*;

/// The full backtest; `book` applies the ruin rule and the equity check.
pub(super) fn backtest_path(input: &BacktestInput, memo: Option<&BenchmarkMemo>, book: bool) -> Result<Backtest, BacktestError> {
    let (a, n) = shape(input);
    let t0 = first_live(input)?;
    let mut weights = vec![0.0; n * a];
    let mut sums = accumulate(input, t0, Some(&mut weights))?;
    let mut returns = sums.net_returns(t0, input.cost_rate);
    let ruin = match scan_path(&returns, t0, book) {
        Ok(ruin) => ruin,
        Err(BacktestError::NonFiniteReturn { row, value, .. }) => {
            return Err(BacktestError::NonFiniteReturn { row, asset: culprit(input, &weights, row), value })
        }
        Err(e) => return Err(e),
    };
    if let Some(i) = ruin {
        // The book is closed at the close of the ruin row t: nothing is held from there, the
        // closing trade (the gross held from t-1) is turnover that costs nothing (no later
        // return is charged), and every later return is 0.
        let t = t0 + 1 + i;
        returns[i + 1..].fill(0.0);
        for j in 0..a {
            weights[j * n + t..(j + 1) * n].fill(0.0);
        }
        sums.turnover[t] = sums.gross[t - 1];
        sums.turnover[t + 1..].fill(0.0);
        sums.gross[t..].fill(0.0);
    }
    // The exposure behind the return of row t is the gross held from row t-1 (see `RowSums`).
    let exposure = sums.gross[t0..n - 1].to_vec();
    let RowSums { turnover, gross, .. } = sums;
    let cost = turnover.iter().map(|&tv| input.cost_rate * tv).collect();
    let mut bt = finish(t0, weights, a, returns, exposure, turnover, gross, input.benchmark, input.periods_per_year, memo);
    bt.ruin = ruin.map(|i| t0 + 1 + i);
    bt.cost = cost;
    Ok(bt)
}

/// (assets, rows) of a backtest input; a panel of at least one asset.
pub(super) fn shape(input: &BacktestInput) -> (usize, usize) {
    let a = input.assets.max(1);
    (a, input.price.len() / a)
}

/// Asset `j`'s target weights (`rows`): its column of the panel, or the single series that
/// [`BacktestInput::weight`] may give for every asset.
pub(super) fn weight_column<'a>(input: &BacktestInput<'a>, j: usize, n: usize) -> &'a [f64] {
    if input.weight.len() == n {
        input.weight
    } else {
        &input.weight[j * n..(j + 1) * n]
    }
}

/// The first live row `t0`: the first row past warm-up where some asset has a defined weight
/// (then the first rebalance row from there); errors if there is none or it is the last row.
pub(super) fn first_live(input: &BacktestInput) -> Result<usize, BacktestError> {
    let (a, n) = shape(input);
    let never = BacktestError::NeverLive { warmup: input.weight_warmup, rows: n };
    let defined = |t: usize| (0..a).any(|j| !weight_column(input, j, n)[t].is_nan());
    let t_live = match (input.weight_warmup..n).find(|&t| defined(t)) {
        Some(t) => t,
        None if input.weight_warmup < n => return Err(BacktestError::AllNaN { warmup: input.weight_warmup }),
        None => return Err(never),
    };
    let t0 = match input.rebalance {
        None => t_live,
        Some(flags) => (t_live..n).find(|&t| flags[t]).ok_or(never.clone())?,
    };
    if t0 + 1 >= n {
        return Err(never);
    }
    Ok(t0)
}

/// Per-row sums of a book over its assets (`rows` values each). Every row adds its assets in
/// order `j = 0..a`, as a row-wise loop would, so the values are bit-identical to it.
pub(super) struct RowSums {
    /// `sum_j held[t-1, j] * r[t, j]` over the assets with a weight and a return (0 up to `t0`).
    earned: Vec<f64>,
    /// Turnover `sum_j |held[t, j] - held[t-1, j]|` decided at each row.
    pub(super) turnover: Vec<f64>,
    /// Gross exposure `sum_j |held[t, j]|` from each row's close. Its value equals a sum of the
    /// same terms from `0.0` (the terms are `>= 0`, so the neutral element's sign never shows):
    /// it is also the exposure behind the return of row `t+1`.
    pub(super) gross: Vec<f64>,
}

impl RowSums {
    /// Strategy returns on rows `t0+1 ..= T-1`: what the held weights earned, minus the cost of
    /// the turnover decided on the row before.
    pub(super) fn net_returns(&self, t0: usize, cost_rate: f64) -> Vec<f64> {
        let n = self.earned.len();
        net_returns(&self.earned[t0 + 1..n], &self.turnover[t0..n - 1], cost_rate)
    }
}

strat_stdlib::avx2_when_available! {
    /// `earned[i] - cost_rate * turnover[i]` for each `i` (equal lengths), over zipped slices so
    /// the loop has no bounds checks and vectorises.
    fn net_returns(earned: &[f64], turnover: &[f64], cost_rate: f64) -> Vec<f64> {
        earned.iter().zip(turnover).map(|(&e, &tv)| e - cost_rate * tv).collect()
    }
}

/// Runs the held weights of every asset from `t0`, one contiguous pass per asset: a NaN target
/// or a missing price holds nothing; between rebalances the last rebalance row's targets. Writes
/// the held weights (`rows * assets`, asset-major, 0 before `t0`) to `held` if given.
///
/// Errors on the first (row, then asset) infinite target of an asset with a price.
pub(super) fn accumulate(input: &BacktestInput, t0: usize, mut held: Option<&mut [f64]>) -> Result<RowSums, BacktestError> {
    let (a, n) = shape(input);
    // The neutral element of a float `sum()`; rows before t0 add only zeros to it.
    let zero: f64 = std::iter::empty::<f64>().sum();
    let before = zero + 0.0;
    let mut sums = RowSums { earned: vec![0.0; n], turnover: vec![zero; n], gross: vec![zero; n] };
    sums.turnover[..t0].fill(before);
    sums.gross[..t0].fill(before);
    let mut scratch = if held.is_some() { vec![] } else { vec![0.0; n] };
    let mut error: Option<(usize, usize)> = None;
    for j in 0..a {
        let held_j = match held.as_deref_mut() {
            Some(h) => &mut h[j * n..(j + 1) * n],
            None => &mut scratch[..],
        };
        if let Err(t) = hold_targets(input, j, t0, held_j) {
            if error.is_none_or(|(row, _)| t < row) {
                error = Some((t, j));
            }
            continue;
        }
        let p = &input.price[j * n..(j + 1) * n];
        add_asset(p, input.asset_returns.map(|r| &r[j * n..(j + 1) * n]), held_j, t0, &mut sums);
    }
    match error {
        Some((row, asset)) => Err(BacktestError::InfiniteWeight { row, asset }),
        None => Ok(sums),
    }
}

strat_stdlib::avx2_when_available! {
    /// Asset `j`'s held weights on rows `t0 ..` into `held[t0..]` (see [`accumulate`]); `Err(row)`
    /// at its first infinite target on a row with a price.
    pub(super) fn hold_targets(input: &BacktestInput, j: usize, t0: usize, held: &mut [f64]) -> Result<(), usize> {
        let n = shape(input).1;
        let w = &weight_column(input, j, n)[..n];
        let p = &input.price[j * n..(j + 1) * n];
        let held = &mut held[..n];
        // A NaN target or a missing price holds nothing.
        let pick = |target: f64, price: f64| if target.is_nan() || price.is_nan() { 0.0 } else { target };
        match input.rebalance {
            None => {
                let mut infinite = false;
                for ((h, &target), &price) in held[t0..].iter_mut().zip(&w[t0..]).zip(&p[t0..]) {
                    infinite |= target.is_infinite() && !price.is_nan();
                    *h = pick(target, price);
                }
                if infinite {
                    return Err((t0..n).find(|&t| w[t].is_infinite() && !p[t].is_nan()).unwrap_or(n));
                }
            }
            Some(flags) => {
                let mut src = t0;
                for t in t0..n {
                    if flags[t] {
                        src = t;
                    }
                    if w[src].is_infinite() && !p[t].is_nan() {
                        return Err(t);
                    }
                    held[t] = pick(w[src], p[t]);
                }
            }
        }
        Ok(())
    }
}

strat_stdlib::avx2_when_available! {
    /// Adds one asset's terms to `sums` from its prices `p` (and their returns `r`, if given) and
    /// held weights `held` (from `t0`; the weight before `t0` is 0): its turnover and gross from row
    /// `t0`, and from row `t0+1` what the weight held from the row before earned (when it is not 0
    /// and the return is defined).
    pub(super) fn add_asset(p: &[f64], r: Option<&[f64]>, held: &[f64], t0: usize, sums: &mut RowSums) {
        let n = p.len();
        let m = n - t0 - 1;
        let h = &held[t0..n];
        sums.turnover[t0] += h[0].abs();
        sums.gross[t0] += h[0].abs();
        // Equal-length slices, so the loops run without bounds checks (and vectorise).
        let (cur, prev) = (&h[1..=m], &h[..m]);
        let (tv, g) = (&mut sums.turnover[t0 + 1..n], &mut sums.gross[t0 + 1..n]);
        for i in 0..m {
            tv[i] += (cur[i] - prev[i]).abs();
            g[i] += cur[i].abs();
        }
        // Adding +0.0 (no weight, or no return) leaves a sum that is never -0.0 (it starts at +0.0)
        // unchanged, so the branch-free form gives the values of skipping those terms.
        let earned = &mut sums.earned[t0 + 1..n];
        let mut earn = |i: usize, r: f64| {
            earned[i] += if prev[i] != 0.0 && !r.is_nan() { prev[i] * r } else { 0.0 };
        };
        match r {
            Some(r) => {
                for (i, &ri) in r[t0 + 1..n].iter().enumerate() {
                    earn(i, ri);
                }
            }
            None => {
                let (p1, p0) = (&p[t0 + 1..n], &p[t0..n - 1]);
                for i in 0..m {
                    earn(i, p1[i] / p0[i] - 1.0);
                }
            }
        }
    }
}

/// The simple returns `p[t] / p[t-1] - 1` of an asset-major price panel of `assets` assets
/// (row 0 of each asset, which has none, is NaN): [`BacktestInput::asset_returns`].
pub fn asset_returns(price: &[f64], assets: usize) -> Vec<f64> {
    let n = price.len() / assets.max(1);
    let mut r = vec![f64::NAN; price.len()];
    for (rj, pj) in r.chunks_exact_mut(n.max(1)).zip(price.chunks_exact(n.max(1))) {
        for t in 1..n {
            rj[t] = pj[t] / pj[t - 1] - 1.0;
        }
    }
    r
}
