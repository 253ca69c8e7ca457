//! The look-ahead audit (`strat audit`, spec/semantics.md "Auditing for look-ahead"): the
//! perturbation test of the test suite, run on a user's own program and data.
//!
//! A decision at row `t` may use only what was known at `t` (SEMANTICS.md §1): the bars dated
//! `<= date[t]` and the panel records usable by then (§3c). The audit samples rows `t`; for each
//! `t` and each source separately it multiplies every value that was *not* known at `t` by a
//! random factor in [0.5, 1.5] (signs kept, NaN stays NaN) — a `data` source's or universe's
//! rows after `t`, a panel source's records whose usable day is after `date[t]` — joins the
//! panels again, runs the strategy and compares its decisions at rows `<= t` (target weights,
//! held weights, each sleeve's targets) with the unperturbed run's, bit for bit (NaN == NaN).
//! Any difference is a [`Leak`]: something at or before `t` depended on data not yet known.
//!
//! Perturbation cannot show a leak that lives in the data itself: a long-format panel whose
//! rows are dated at period end and used with no `lag` nor `available` column joins each record
//! from its period end, which is rarely when the numbers became public. The audit warns about
//! each such source ([`NO_LAG`]).
//!
//! ```no_run
//! use strat::audit::AuditOptions;
//!
//! let strategy = strat::Engine::new().compile_file("examples/qm_overlay.strat".as_ref()).expect("compiles");
//! let report = strategy.audit(&AuditOptions { rows: 6, ..AuditOptions::default() }).expect("runs");
//! assert!(!report.found_look_ahead(), "{:?}", report.leaks);
//! ```

use crate::report::json;
use crate::{Failure, Params, RunResult, Strategy};
use rayon::prelude::*;
use serde::Serialize;
use std::sync::OnceLock;
use strat_compiler::program::{Book, Holding, PanelLayout, Program};
use strat_runtime::asof::PanelData;
use strat_runtime::executor::{load_sources, Sources};
use strat_runtime::frame::format_date;

/// The code of the warning about a long-format panel source used with no `lag` and no
/// `available` column.
pub const NO_LAG: &str = "strat::audit::no_lag";

/// The smallest factor a perturbed value is multiplied by.
const FACTOR_MIN: f64 = 0.5;
/// The width of the range of factors: a factor is in `[FACTOR_MIN, FACTOR_MIN + FACTOR_SPAN]`.
const FACTOR_SPAN: f64 = 1.0;

/// What to audit and how.
#[derive(Debug, Clone)]
pub struct AuditOptions {
    /// How many rows `t` to sample (default 20), spread over the live rows.
    pub rows: usize,
    /// The seed of the sampling and of the perturbations (the same seed, the same audit).
    pub seed: u64,
    /// The params to run with (default: the program's defaults).
    pub params: Option<Params>,
}

impl Default for AuditOptions {
    fn default() -> AuditOptions {
        AuditOptions { rows: 20, seed: 1, params: None }
    }
}

/// The result of an audit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditReport {
    /// The strategy's name.
    pub strategy: String,
    /// The rows `t` checked (indices into the frame), in order.
    pub rows: Vec<usize>,
    /// Their dates.
    pub dates: Vec<String>,
    /// The sources perturbed, each separately.
    pub sources: Vec<AuditedSource>,
    /// The perturbed runs made (rows × sources).
    pub runs: usize,
    /// Each (row, source) whose perturbation changed a decision at or before the row: the
    /// first changed decision.
    pub leaks: Vec<Leak>,
    /// The perturbed runs that failed.
    pub failures: Vec<FailedRun>,
    /// What perturbation cannot check ([`NO_LAG`]).
    pub warnings: Vec<AuditWarning>,
    /// The warnings of loading the data (as `strat run` prints them).
    pub data_warnings: Vec<AuditWarning>,
}

impl AuditReport {
    /// Whether the audit found look-ahead: a leak, or a perturbed run that failed although the
    /// unperturbed run's weight was live at its row.
    pub fn found_look_ahead(&self) -> bool {
        !self.leaks.is_empty() || self.failures.iter().any(|f| f.live)
    }
}

/// A source the audit perturbs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditedSource {
    /// Its name in the program.
    pub name: String,
    /// `data`, `universe`, `panel (long)` or `panel (wide)`.
    pub kind: String,
}

/// A decision at or before row `t` that changed when what was unknown at `t` was perturbed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leak {
    /// The source perturbed.
    pub source: String,
    /// The row `t` (an index into the frame).
    pub t: usize,
    /// Its date.
    pub t_date: String,
    /// The decision that changed: `target`, `held` or `sleeve NAME target`.
    pub decision: String,
    /// The row it changed on (`<= t`).
    pub row: usize,
    /// That row's date.
    pub row_date: String,
    /// The asset (or the series held, an ensemble's `arm`).
    pub asset: String,
    /// The unperturbed decision (NaN is `null`).
    #[serde(serialize_with = "json::float")]
    pub before: f64,
    /// The perturbed decision (NaN is `null`).
    #[serde(serialize_with = "json::float")]
    pub after: f64,
    /// The first `let` in declaration order whose value changed at a row `<= t` under the same
    /// perturbation, if any.
    pub expression: Option<LeakExpression>,
}

/// The `let` a [`Leak`] is traced to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeakExpression {
    /// The `let`'s name.
    pub name: String,
    /// The 1-based line of its declaration.
    pub line: Option<usize>,
    /// That line's text, trimmed.
    pub text: Option<String>,
}

/// A perturbed run that failed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedRun {
    /// The source perturbed.
    pub source: String,
    /// The row `t`.
    pub t: usize,
    /// Its date.
    pub t_date: String,
    /// The run's error.
    pub error: String,
    /// Whether the unperturbed run's weight was live at `t` (then the failure counts as a
    /// finding: a run that decided at `t` cannot be stopped by what came after).
    pub live: bool,
}

/// A warning of the audit or of the data load.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditWarning {
    /// Its code (`strat::audit::no_lag`, `strat::data::...`).
    pub code: String,
    /// The source it is about, when one.
    pub source: Option<String>,
    /// The 1-based line of the program (or of the data file) it is about, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub help: String,
}

/// The value of each `let` on every bar, as [`Strategy::let_values`] gives them.
type LetColumns = Vec<(String, Vec<f64>)>;

/// What one source is, for perturbing it.
enum Target {
    /// Columns of the assembled frame (a `data` source or a universe): rows after `t`.
    Columns(Vec<usize>),
    /// A panel source (index into [`Program::panels`]): records usable after `date[t]`.
    Panel(usize),
}

/// A decision series of a run: its label, values (asset-major) and the asset names.
struct Decision {
    label: String,
    values: Vec<f64>,
    assets: Vec<String>,
}

/// A small, seedable generator (SplitMix64): the audit needs reproducible factors, not quality.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `lo..hi` (integers; `hi > lo`).
    fn below(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next_u64() % (hi - lo) as u64) as usize
    }
    /// A perturbation factor in [0.5, 1.5].
    fn factor(&mut self) -> f64 {
        FACTOR_MIN + FACTOR_SPAN * self.unit()
    }
}

/// NaN-canonical bits: every NaN is equal to every NaN, nothing else changes.
fn bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// The rows to check: `count` rows of `lo..=hi`, one drawn in each of `count` equal strata (all
/// of them when there are fewer), sorted.
pub fn sample_rows(lo: usize, hi: usize, count: usize, seed: u64) -> Vec<usize> {
    if hi < lo || count == 0 {
        return vec![];
    }
    let len = hi - lo + 1;
    if count >= len {
        return (lo..=hi).collect();
    }
    let mut rng = Rng::new(seed);
    (0..count).map(|i| rng.below(lo + i * len / count, lo + (i + 1) * len / count)).collect()
}

/// Multiplies every value of `col` after row `t` by a factor in [0.5, 1.5] (NaN stays NaN, a
/// sign is kept).
fn perturb_after(col: &mut [f64], t: usize, rng: &mut Rng) {
    for x in col.iter_mut().skip(t + 1) {
        *x *= rng.factor();
    }
}

/// The panel records of `data` whose usable day (`(available or date) + lag_days`) is after
/// `day`, multiplied by factors in [0.5, 1.5]: a long table's field values, a wide file's rows.
/// Returns how many records were perturbed.
pub fn perturb_panel_after(data: &mut PanelData, lag_days: i64, day: i32, seed: u64) -> usize {
    let mut rng = Rng::new(seed);
    let late = |d: i32| d as i64 + lag_days > day as i64;
    match data {
        PanelData::Long(t) => {
            let base = t.available.clone().unwrap_or_else(|| t.dates.clone());
            let idx: Vec<usize> = (0..t.len()).filter(|&i| late(base[i])).collect();
            for field in &mut t.values {
                for &i in &idx {
                    field[i] *= rng.factor();
                }
            }
            idx.len()
        }
        PanelData::Wide(f) => {
            let idx: Vec<usize> = (0..f.len()).filter(|&i| late(f.dates[i])).collect();
            for col in &mut f.columns {
                for &i in &idx {
                    col[i] *= rng.factor();
                }
            }
            idx.len()
        }
    }
}

/// The seed of the perturbation of source `k` at the `i`-th row checked.
fn task_seed(seed: u64, i: usize, k: usize) -> u64 {
    let mut r = Rng::new(seed ^ ((i as u64) << 32) ^ (k as u64).wrapping_mul(0x9E37_79B9));
    r.next_u64()
}

/// The assets of a holding, as a run's weights are laid out.
fn holding_assets(program: &Program, h: &Holding) -> Vec<String> {
    match h {
        Holding::Universe(u) => program.universes[*u].assets.clone(),
        Holding::Column(c) => vec![program.frame_column_name(c)],
    }
}

/// A run's decisions: the target weights, the held weights and each sleeve's targets.
fn decisions(program: &Program, r: &RunResult, rows: usize) -> Vec<Decision> {
    let name_of = |n: usize, names: &[String], fallback: &str| -> Vec<String> {
        if names.len() == n {
            names.to_vec()
        } else if n == 1 {
            vec![fallback.to_string()]
        } else {
            (0..n).map(|j| format!("#{j}")).collect()
        }
    };
    let width = |v: &[f64]| v.len().checked_div(rows).unwrap_or(0);
    let target_fallback = match &program.book {
        Book::Ensemble(_) => "arm".to_string(),
        Book::Hold(h) => holding_assets(program, &h.target).first().cloned().unwrap_or_default(),
        Book::SleeveWeights(_) => String::new(),
    };
    let mut out = vec![
        Decision { label: "target".into(), assets: name_of(width(&r.target_weight), &r.asset_names, &target_fallback), values: r.target_weight.clone() },
        Decision { label: "held".into(), assets: name_of(width(&r.backtest.weights), &r.asset_names, &target_fallback), values: r.backtest.weights.clone() },
    ];
    for (k, s) in r.sleeve_targets.iter().enumerate() {
        let (label, assets) = match program.sleeves.get(k) {
            Some(sl) => (format!("sleeve {} target", sl.name), holding_assets(program, &sl.hold.target)),
            None => (format!("sleeve {k} target"), vec![]),
        };
        out.push(Decision { label, assets: name_of(width(s), &assets, ""), values: s.clone() });
    }
    out
}

/// The earliest decision at rows `0..=t` that differs between `base` and `other` (on the
/// earliest row: the first decision, then the first asset): (decision, row, asset, before,
/// after).
fn first_change(base: &[Decision], other: &[Decision], rows: usize, t: usize) -> Option<(String, usize, String, f64, f64)> {
    let mut best: Option<(String, usize, String, f64, f64)> = None;
    let last = t.min(rows.saturating_sub(1));
    for (a, b) in base.iter().zip(other) {
        if a.values.len() != b.values.len() {
            return Some((a.label.clone(), 0, String::new(), a.values.len() as f64, b.values.len() as f64));
        }
        let limit = best.as_ref().map(|x| x.1).unwrap_or(last + 1);
        for j in 0..a.values.len() / rows.max(1) {
            let col = |v: &[f64]| v[j * rows..j * rows + limit.min(last + 1)].to_vec();
            let (x, y) = (col(&a.values), col(&b.values));
            if let Some(r) = (0..x.len()).find(|&r| bits(x[r]) != bits(y[r])) {
                if best.as_ref().is_none_or(|b| r < b.1) {
                    best = Some((a.label.clone(), r, a.assets.get(j).cloned().unwrap_or_default(), x[r], y[r]));
                }
            }
        }
    }
    best
}

/// The 1-based line of byte `offset` of `src`, and that line's text trimmed.
fn line_of(src: &str, offset: usize) -> (usize, String) {
    let offset = offset.min(src.len());
    let start = src[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let end = src[offset..].find('\n').map(|i| offset + i).unwrap_or(src.len());
    (src[..offset].matches('\n').count() + 1, src[start..end].trim().to_string())
}

/// Converts a data-load warning.
fn data_warning(e: &strat_runtime::DataError) -> AuditWarning {
    AuditWarning { code: e.code.to_string(), source: None, line: e.line, message: e.located(), help: e.help.clone().unwrap_or_default() }
}

impl Strategy {
    /// Audits the strategy for look-ahead on its own data (module [`crate::audit`]): loads the
    /// sources once, runs once unperturbed, then for each of `opts.rows` sampled rows `t` and
    /// each source separately perturbs what was not known at `t`, runs again and compares the
    /// decisions at rows `<= t`. The perturbed runs go in parallel.
    ///
    /// Errors: the data does not load, or the unperturbed run fails. A perturbed run that fails
    /// is reported in [`AuditReport::failures`].
    pub fn audit(&self, opts: &AuditOptions) -> Result<AuditReport, Failure> {
        let program = self.program();
        let params = opts.params.clone().unwrap_or_else(|| self.params());
        let read = strat_runtime::io::ReadOptions { max_bytes: self.limits.max_data_bytes };
        let sources = load_sources(&self.compiled, &self.base_dir, &read).map_err(Failure::Data)?;
        let frame = sources.assemble(&self.compiled);
        let base = self.run(&frame, &params)?;
        let n = frame.len();
        let base_decisions = decisions(program, &base, n);

        // The sources: each data source and universe with columns in the frame, each panel read.
        let mut targets: Vec<(AuditedSource, Target)> = vec![];
        let columns_of = |name: &str| -> Vec<usize> {
            let prefix = format!("{name}.");
            (0..sources.frame.names.len()).filter(|&j| sources.frame.names[j].starts_with(&prefix)).collect()
        };
        for (name, kind) in program.data.iter().map(|d| (&d.name, "data")).chain(program.universes.iter().map(|u| (&u.name, "universe"))) {
            let cols = columns_of(name);
            if !cols.is_empty() {
                targets.push((AuditedSource { name: name.clone(), kind: kind.into() }, Target::Columns(cols)));
            }
        }
        for (k, p) in program.panels.iter().enumerate() {
            let (read, kind) = match &sources.panels[k] {
                PanelData::Long(t) => (!t.is_empty(), "panel (long)"),
                PanelData::Wide(f) => (!f.is_empty() && !f.columns.is_empty(), "panel (wide)"),
            };
            if read {
                targets.push((AuditedSource { name: p.name.clone(), kind: kind.into() }, Target::Panel(k)));
            }
        }

        // The rows: spread over the live rows, the last one excluded (nothing comes after it).
        let last = n.saturating_sub(2);
        let first = if base.backtest.first_live <= last { base.backtest.first_live } else { 0 };
        let rows = sample_rows(first, last, opts.rows, opts.seed);

        let lets = self.let_names();
        let base_lets: OnceLock<Option<LetColumns>> = OnceLock::new();
        let tasks: Vec<(usize, usize)> = (0..rows.len()).flat_map(|i| (0..targets.len()).map(move |k| (i, k))).collect();
        let outcomes: Vec<Option<Result<Leak, FailedRun>>> = tasks
            .par_iter()
            .map(|&(i, k)| {
                let t = rows[i];
                let seed = task_seed(opts.seed, i, k);
                let (src, target) = &targets[k];
                let perturbed = match target {
                    Target::Columns(cols) => {
                        let mut f = frame.clone();
                        let mut rng = Rng::new(seed);
                        for &j in cols {
                            perturb_after(&mut f.columns[j], t, &mut rng);
                        }
                        f
                    }
                    Target::Panel(p) => {
                        let mut panels = sources.panels.clone();
                        perturb_panel_after(&mut panels[*p], program.panels[*p].lag_days, frame.dates[t], seed);
                        Sources { frame: sources.frame.clone(), panels, base_dir: sources.base_dir.clone() }.assemble(&self.compiled)
                    }
                };
                let date = |r: usize| frame.dates.get(r).map(|&d| format_date(d)).unwrap_or_default();
                let run = match self.run(&perturbed, &params) {
                    Ok(r) => r,
                    Err(e) => {
                        return Some(Err(FailedRun {
                            source: src.name.clone(),
                            t,
                            t_date: date(t),
                            error: e.to_string(),
                            live: base.backtest.first_live <= t,
                        }));
                    }
                };
                let (decision, row, asset, before, after) = first_change(&base_decisions, &decisions(program, &run, n), n, t)?;
                let expression = base_lets.get_or_init(|| self.let_values(&frame, &params, &lets).ok()).as_ref().and_then(|b| {
                    let now = self.let_values(&perturbed, &params, &lets).ok()?;
                    self.first_changed_let(b, &now, n, t)
                });
                Some(Ok(Leak { source: src.name.clone(), t, t_date: date(t), decision, row, row_date: date(row), asset, before, after, expression }))
            })
            .collect();
        let mut leaks = vec![];
        let mut failures = vec![];
        for o in outcomes.into_iter().flatten() {
            match o {
                Ok(l) => leaks.push(l),
                Err(f) => failures.push(f),
            }
        }

        let mut warnings = vec![];
        for p in &program.panels {
            if matches!(p.layout, PanelLayout::Long { .. }) && !p.timed {
                let (line, _) = line_of(&self.source, p.path_span.start as usize);
                warnings.push(AuditWarning {
                    code: NO_LAG.into(),
                    source: Some(p.name.clone()),
                    line: Some(line),
                    message: format!(
                        "`{}` is a long-format source with no lag: its rows are dated at period end, which is rarely when the numbers became public; perturbation cannot show this",
                        p.name
                    ),
                    help: "add `lag 90d` or `available COLUMN`".into(),
                });
            }
        }
        Ok(AuditReport {
            strategy: self.name().to_string(),
            dates: rows.iter().map(|&t| format_date(frame.dates[t])).collect(),
            rows,
            sources: targets.into_iter().map(|(s, _)| s).collect(),
            runs: tasks.len(),
            leaks,
            failures,
            warnings,
            data_warnings: frame.warnings.iter().map(data_warning).collect(),
        })
    }

    /// The first `let` (declaration order) of `base` whose value at some row `<= t` differs in
    /// `now` (columns `NAME` or `NAME.ASSET`, as [`Strategy::let_values`] gives them).
    fn first_changed_let(&self, base: &[(String, Vec<f64>)], now: &[(String, Vec<f64>)], rows: usize, t: usize) -> Option<LeakExpression> {
        let (name, _) = base.iter().zip(now).find(|((_, a), (_, b))| (0..=t.min(rows.saturating_sub(1))).any(|r| bits(a[r]) != bits(b[r])))?.0;
        let name = self.let_names().into_iter().find(|l| name == l || name.strip_prefix(l.as_str()).is_some_and(|rest| rest.starts_with('.')))?;
        let decl = self.compiled.hir.lets.iter().find(|l| l.name == name);
        let (line, text) = match decl {
            Some(d) => {
                let (line, text) = line_of(&self.source, d.span.start as usize);
                (Some(line), Some(text))
            }
            None => (None, None),
        };
        Some(LeakExpression { name, line, text })
    }
}
