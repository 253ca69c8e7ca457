//! The regime ensemble: arms allocating to sleeves by the regime of the previous close.

use super::*;

/// An ensemble of sleeves (SEMANTICS.md §6, regime ensemble): on return row `t`, the arm
/// `regime[t-1]` allocates `c_k` to sleeve `k`: `return[t] = sum_k c_k * sleeve_k[t]`, the
/// remainder in cash. Live from `t0 = max(regime warm-up, every sleeve's first live row)`.
///
/// `arms[a]` lists (sleeve, coefficient) pairs for arm `a`; the held "weights" of the result are
/// the allocations per sleeve (`rows * sleeves`, asset-major), its turnover their L1 change, and
/// its exposure `sum_k |c_k| * exposure_k`.
pub fn ensemble(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
) -> Result<Backtest, BacktestError> {
    ensemble_memo(regime, regime_warmup, sleeves, arms, benchmark, periods_per_year, None)
}

/// [`ensemble`], reusing (or filling) a benchmark memo.
pub fn ensemble_memo(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Result<Backtest, BacktestError> {
    let n = regime.len();
    let s = sleeves.len();
    let t0 = ensemble_first_live(regime, regime_warmup, sleeves, arms)?;
    let allocs = ArmAllocations::new(arms, s);
    let mut alloc = vec![0.0; n * s];
    for t in t0..n {
        for (k, &c) in allocs.rows[allocs.index(regime, t)].iter().enumerate() {
            alloc[k * n + t] = c;
        }
    }
    let spans = allocs.spans(regime, t0);
    let (mut returns, mut exposure) = arm_returns(sleeves, arms, &spans, t0, true);
    let ruin = scan_path(&returns, t0, true)?;
    if let Some(i) = ruin {
        close_allocations(&mut alloc, n, s, t0 + 1 + i, &mut returns[i + 1..], &mut exposure[i + 1..]);
    }
    let (turnover, gross) = allocation_turnover_and_gross(&alloc, n, s);
    let mut bt = finish(t0, alloc, s, returns, exposure, turnover, gross, benchmark, periods_per_year, memo);
    bt.ruin = ruin.map(|i| t0 + 1 + i);
    Ok(bt)
}

/// An ensemble's gross path, before costs and switches, for the portfolio stage: its first
/// live row `t0`, the allocation decided on each row per sleeve (`rows * sleeves`, asset-major,
/// 0 before `t0` and where no arm applies) and the returns of rows `t0+1 ..= T-1` (`sum_k
/// c_k * sleeve_k[t]` of the previous close's arm, as [`ensemble_memo`] computes them).
pub fn ensemble_gross(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
) -> Result<(usize, Vec<f64>, Vec<f64>), BacktestError> {
    let n = regime.len();
    let s = sleeves.len();
    let e = ensemble_spans(regime, regime_warmup, sleeves, arms)?;
    let mut alloc = vec![0.0; n * s];
    for (rows, a) in e.runs() {
        for (k, &c) in a.iter().enumerate() {
            alloc[k * n + rows.start..k * n + rows.end].fill(c);
        }
    }
    // The last row decides too (its allocation earns nothing).
    for (k, &c) in e.allocs.rows[e.allocs.index(regime, n - 1)].iter().enumerate() {
        alloc[k * n + n - 1] = c;
    }
    let EnsembleSpans { t0, returns, .. } = e;
    Ok((t0, alloc, returns))
}

/// An ensemble's gross path by spans of equal regime, for the lean portfolio stage of a sweep
/// and a walk-forward ([`crate::portfolio::book::ensemble_flat`]): what [`ensemble_gross`]
/// computes without its allocation matrix.
pub struct EnsembleSpans {
    /// First live row `t0`.
    pub t0: usize,
    /// Returns of rows `t0+1 ..= T-1` (index `t - t0 - 1`), as [`ensemble_gross`] gives them.
    pub returns: Vec<f64>,
    allocs: ArmAllocations,
    spans: Vec<ArmSpan>,
}

impl EnsembleSpans {
    /// Each run of decision rows `t0 + start .. t0 + end` (over rows `t0 ..= T-2`) with the
    /// allocation per sleeve it decides (the same on every row of the run).
    pub fn runs(&self) -> impl Iterator<Item = (std::ops::Range<usize>, &[f64])> + '_ {
        self.spans.iter().map(|s| (self.t0 + s.start..self.t0 + s.end, self.allocs.rows[s.arm].as_slice()))
    }
}

/// [`ensemble_gross`] as spans: the same first live row and returns, bit for bit, and the
/// allocation of every decision row `t0 ..= T-2` (the last row's allocation earns nothing).
/// `regime` has one arm index per bar (NaN or past the arms: cash); `arms[a]` lists (sleeve,
/// coefficient) pairs. Errors: [`BacktestError::NeverLive`] when no return row is live.
pub fn ensemble_spans(regime: &[f64], regime_warmup: usize, sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>]) -> Result<EnsembleSpans, BacktestError> {
    ensemble_spans_memo(regime, regime_warmup, sleeves, arms, None)
}

/// A sweep's spans of equal regime, when every binding reads the same regime column: they
/// depend only on it, the first live row and the number of arms, so the spans of the first
/// `(t0, arms)` seen serve every binding with the same (another computes its own).
#[derive(Debug, Default)]
pub struct SpansMemo {
    first: std::sync::OnceLock<(usize, usize, Vec<ArmSpan>)>,
}

/// [`ensemble_spans`], taking the spans from `memo` when there is one (`regime` must then be
/// the column every binding of the sweep reads).
pub fn ensemble_spans_memo(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    memo: Option<&SpansMemo>,
) -> Result<EnsembleSpans, BacktestError> {
    let t0 = ensemble_first_live(regime, regime_warmup, sleeves, arms)?;
    let allocs = ArmAllocations::new(arms, sleeves.len());
    let spans = match memo.map(|m| m.first.get_or_init(|| (t0, arms.len(), allocs.spans(regime, t0)))) {
        Some((t, a, spans)) if (*t, *a) == (t0, arms.len()) => spans.clone(),
        _ => allocs.spans(regime, t0),
    };
    let (returns, _) = arm_returns(sleeves, arms, &spans, t0, false);
    Ok(EnsembleSpans { t0, returns, allocs, spans })
}

/// Closes a combined book on its ruin row `t`: the allocations (`rows * sleeves`, asset-major)
/// are 0 from `t` on, and the returns and exposures after it (`later_*`) are 0.
pub(super) fn close_allocations(alloc: &mut [f64], rows: usize, sleeves: usize, t: usize, later_returns: &mut [f64], later_exposure: &mut [f64]) {
    for k in 0..sleeves {
        alloc[k * rows + t..(k + 1) * rows].fill(0.0);
    }
    later_returns.fill(0.0);
    later_exposure.fill(0.0);
}

strat_stdlib::avx2_when_available! {
    /// Turnover `sum_k |a[t,k] - a[t-1,k]|` (with `a[-1] = 0`) and gross `sum_k |a[t,k]|` per row of
    /// an allocation matrix (`rows * sleeves`, asset-major, no NaN), in contiguous passes per
    /// sleeve: each row adds its sleeves in the same order (k = 0..s) to the same neutral element as
    /// a row-wise `sum()`, so the values are bit-identical, without strided reads.
    pub(super) fn allocation_turnover_and_gross(alloc: &[f64], rows: usize, sleeves: usize) -> (Vec<f64>, Vec<f64>) {
        let zero: f64 = std::iter::empty::<f64>().sum();
        let mut turnover = vec![zero; rows];
        let mut gross = vec![zero; rows];
        for k in 0..sleeves {
            let mut prev = 0.0;
            for ((tv, g), &x) in turnover.iter_mut().zip(gross.iter_mut()).zip(&alloc[k * rows..(k + 1) * rows]) {
                *tv += (x - prev).abs();
                *g += x.abs();
                prev = x;
            }
        }
        (turnover, gross)
    }
}

/// [`ensemble_memo`] reduced to a [`Summary`]: the same arithmetic in the same order, so the
/// figures are bit-identical, without the allocation, gross, equity and benchmark vectors.
pub fn ensemble_summary(
    regime: &[f64],
    regime_warmup: usize,
    sleeves: &[&Backtest],
    arms: &[Vec<(usize, f64)>],
    benchmark: Option<&[f64]>,
    periods_per_year: f64,
    memo: Option<&BenchmarkMemo>,
) -> Result<Summary, BacktestError> {
    let t0 = ensemble_first_live(regime, regime_warmup, sleeves, arms)?;
    let allocs = ArmAllocations::new(arms, sleeves.len());
    let spans = allocs.spans(regime, t0);
    let (returns, exposure) = arm_returns(sleeves, arms, &spans, t0, true);
    if scan_path(&returns, t0, true) != Ok(None) {
        // Ruin or a non-finite value (rare): the full path closes the book or reports it.
        return ensemble_memo(regime, regime_warmup, sleeves, arms, benchmark, periods_per_year, memo).map(|b| Summary::of(&b));
    }
    let avg_turnover = allocs.mean_turnover(&spans);
    Ok(summarize(t0, &returns, mean(&exposure), avg_turnover, benchmark, periods_per_year, memo))
}

/// The first live row of an ensemble: the regime and every sleeve an arm allocates to are live.
pub(super) fn ensemble_first_live(regime: &[f64], regime_warmup: usize, sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>]) -> Result<usize, BacktestError> {
    let n = regime.len();
    let used = |k: usize| arms.iter().any(|a| a.iter().any(|&(j, _)| j == k));
    let t0 = sleeves.iter().enumerate().filter(|(k, _)| used(*k)).map(|(_, b)| b.first_live).chain(std::iter::once(regime_warmup)).max().unwrap_or(0);
    if t0 + 1 >= n {
        return Err(BacktestError::NeverLive { warmup: t0, rows: n });
    }
    Ok(t0)
}

strat_stdlib::avx2_when_available! {
    /// The returns of rows `t0+1 ..= T-1` and (`with_exposure`; else empty) the exposure behind each. Return row `t0+1+i` takes
    /// the arm of decision row `t0+i` (see [`ArmSpan`]; no arm = cash), which gives
    /// `sum_k c_k * sleeve_k[t]` and `sum_k |c_k| * gross_k[t-1]`, summed from 0 in the arm's term
    /// order. Each span runs term by term over its rows: every row still adds its terms in order,
    /// so the values are those of a row-by-row loop.
    pub(super) fn arm_returns(sleeves: &[&Backtest], arms: &[Vec<(usize, f64)>], spans: &[ArmSpan], t0: usize, with_exposure: bool) -> (Vec<f64>, Vec<f64>) {
        let len = spans.last().map_or(0, |s| s.end);
        let mut returns = vec![0.0; len];
        let mut exposure = if with_exposure { vec![0.0; len] } else { vec![] };
        let mut columns: Vec<Option<SleeveColumns>> = vec![None; sleeves.len()];
        for span in spans {
            let Some(terms) = arms.get(span.arm) else { continue };
            for &(k, c) in terms {
                let (x, g) = columns[k].get_or_insert_with(|| (sleeve_returns_on(sleeves[k], t0 + 1, len), &sleeves[k].gross[t0..t0 + len]));
                let abs_c = c.abs();
                let rows = span.start..span.end;
                if !with_exposure {
                    for (r, &xi) in returns[rows.clone()].iter_mut().zip(&x[rows]) {
                        *r += c * xi;
                    }
                    continue;
                }
                for ((r, &xi), (e, &gi)) in returns[rows.clone()].iter_mut().zip(&x[rows.clone()]).zip(exposure[rows.clone()].iter_mut().zip(&g[rows])) {
                    *r += c * xi;
                    *e += abs_c * gi;
                }
            }
        }
        (returns, exposure)
    }
}

/// A run of consecutive decision rows with the same regime value: rows `t0 + start ..
/// t0 + end` decide `arm` (an index into [`ArmAllocations::rows`]; the last one = no arm).
#[derive(Debug, Clone, Copy)]
pub(super) struct ArmSpan {
    start: usize,
    end: usize,
    arm: usize,
}

/// A sleeve's returns on the ensemble's return rows and its gross exposure on the decision rows
/// before them (same length).
pub(super) type SleeveColumns<'a> = (std::borrow::Cow<'a, [f64]>, &'a [f64]);

/// A sleeve's returns on rows `start .. start + len`, 0 outside its evaluated rows (borrowed
/// when its rows cover them).
pub(super) fn sleeve_returns_on(b: &Backtest, start: usize, len: usize) -> std::borrow::Cow<'_, [f64]> {
    if b.rows.start <= start && start + len <= b.rows.end {
        return std::borrow::Cow::Borrowed(&b.returns[start - b.rows.start..start + len - b.rows.start]);
    }
    let at = |t: usize| if b.rows.contains(&t) { b.returns[t - b.rows.start] } else { 0.0 };
    std::borrow::Cow::Owned((start..start + len).map(at).collect())
}

/// Each arm's allocation per sleeve (the sum of its coefficients on that sleeve, in term
/// order), then the all-zero allocation of a row without an arm.
pub(super) struct ArmAllocations {
    /// One row of `sleeves` values per arm, then the zero row.
    rows: Vec<Vec<f64>>,
}

impl ArmAllocations {
    fn new(arms: &[Vec<(usize, f64)>], sleeves: usize) -> Self {
        let mut rows: Vec<Vec<f64>> = arms
            .iter()
            .map(|terms| {
                let mut v = vec![0.0; sleeves];
                for &(k, c) in terms {
                    v[k] += c;
                }
                v
            })
            .collect();
        rows.push(vec![0.0; sleeves]);
        ArmAllocations { rows }
    }

    /// The index in `rows` of the allocation decided on row `t`: the regime's value as an arm
    /// index, or the zero row when it is NaN or names no arm.
    fn index(&self, regime: &[f64], t: usize) -> usize {
        let none = self.rows.len() - 1;
        if regime[t].is_nan() {
            none
        } else {
            (regime[t] as usize).min(none)
        }
    }

    /// The decision rows `t0 ..= T-2` as spans of equal regime value (bit for bit), with
    /// their arms ([`Self::index`]).
    fn spans(&self, regime: &[f64], t0: usize) -> Vec<ArmSpan> {
        let rows = &regime[t0..regime.len() - 1];
        let mut spans: Vec<ArmSpan> = vec![];
        let mut start = 0;
        let mut value = rows[0].to_bits();
        for (i, v) in rows.iter().enumerate().skip(1) {
            if v.to_bits() != value {
                spans.push(ArmSpan { start, end: i, arm: self.index(regime, t0 + start) });
                (start, value) = (i, v.to_bits());
            }
        }
        spans.push(ArmSpan { start, end: rows.len(), arm: self.index(regime, t0 + start) });
        spans
    }

    /// The mean turnover over the decision rows of `spans` (the row before the first holds
    /// nothing), summed in time order as [`mean`] does. Inside a span the allocation repeats:
    /// its turnover `sum_k |c_k - c_k|` is `+0.0` unless a coefficient is not finite, and adding
    /// `+0.0` leaves the sum (never `-0.0`: it starts at `+0.0` and adds values `>= 0`) unchanged,
    /// so those rows are added only when they are not `+0.0`.
    fn mean_turnover(&self, spans: &[ArmSpan]) -> f64 {
        let mut prev = self.rows.len() - 1;
        let mut sum = 0.0;
        for span in spans {
            let cur = &self.rows[span.arm];
            sum += Self::turnover(&self.rows[prev], cur);
            let repeat = Self::turnover(cur, cur);
            if repeat.to_bits() != 0 {
                for _ in span.start + 1..span.end {
                    sum += repeat;
                }
            }
            prev = span.arm;
        }
        sum / spans.last().map_or(0, |s| s.end) as f64
    }

    /// `sum_k |cur[k] - prev[k]|` from the neutral element of a float `sum()`, in sleeve order.
    fn turnover(prev: &[f64], cur: &[f64]) -> f64 {
        let mut tv: f64 = std::iter::empty::<f64>().sum();
        for (&x, &p) in cur.iter().zip(prev) {
            tv += (x - p).abs();
        }
        tv
    }
}
