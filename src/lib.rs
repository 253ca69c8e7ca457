//! # Strat
//!
//! A declarative language for trading strategies: a `.strat` file is parsed, type-checked,
//! lowered to a plan of column operations, JIT-compiled through Cranelift and backtested.
//! This crate is the embedding API (this library: [`Engine`], [`Strategy`], [`Params`], the
//! [`Frame`] of data, [`InMemory`] data, the results and their serialisable [`report`]s,
//! [`Failure`], [`Limits`]) and the `strat` command-line tool (the binary; its printing and the
//! REPL are private to it). The Python module (`python/`) and the C library (`capi/`) are thin
//! layers over this API.
//!
//! Conventions: rows are bars (one per date of the aligned data), columns are assets or
//! series; returns, weights, costs and metrics are fractions (0.05 is 5 %), never percent;
//! dates are days since 1970-01-01 in [`Frame`] and `YYYY-MM-DD` in reports.
//!
//! # Tutorial
//!
//! These examples run as doctests on the bundled data (`examples/`), from the crate's folder.
//!
//! ## 1. Compile, run, read the metrics
//!
//! [`Engine::compile_file`] parses and checks a program and JIT-compiles it; the data paths it
//! names are relative to its folder. [`Strategy::load_data`] reads and aligns them;
//! [`Strategy::run`] backtests with a set of [`Params`] (SEMANTICS.md: a weight decided at the
//! close of bar t earns the return from t to t+1, net of the cost of reaching it).
//!
//! ```
//! use strat::{Engine, Failure};
//!
//! let engine = Engine::new();
//! let strategy = engine.compile_file("examples/vix_guard.strat".as_ref())?;
//! let frame = strategy.load_data()?;            // rows = bars, columns = the series it reads
//! let mut params = strategy.params();            // the declared defaults
//! assert_eq!(params.names(), ["spike_window", "spike_z"]);
//! params.set("spike_z", "3.0").map_err(|m| Failure::Io("spike_z".into(), std::io::Error::other(m)))?;
//! let result = strategy.run(&frame, &params)?;
//! let sharpe = result.metrics().get("sharpe").unwrap();
//! assert!(sharpe > 0.4 && sharpe < 0.8, "{sharpe}");
//! // Equity compounds the net daily returns.
//! let last = result.returns().iter().fold(1.0, |e, r| e * (1.0 + r));
//! assert!((last - result.equity().last().unwrap()).abs() < 1e-9);
//! // The benchmark (`benchmark mkt.spx`) over the same bars.
//! assert!(result.benchmark_metrics().is_some());
//!
//! // What `strat run --json` prints: the same values from one definition.
//! let json = serde_json::to_value(strategy.report(&frame, &result)).unwrap();
//! assert_eq!(json["metrics"]["sharpe"].as_f64(), Some(sharpe));
//! # Ok::<(), Failure>(())
//! ```
//!
//! ## 2. Data from memory instead of files
//!
//! An [`InMemory`] set of [`MemoryTable`]s (dates, named `f64` columns) replaces files by
//! source name. [`Engine::compile_source_with`] takes the column names from the tables, so the
//! files need not exist; [`Strategy::load_data_from`] validates the tables as strictly as a
//! file (sorted unique dates, every column present, finite values) and names the source, the
//! 0-based row and the column of any problem.
//!
//! ```
//! use strat::{Engine, Failure, InMemory, MemoryTable};
//!
//! let src = "data px = csv(\"prices.csv\")\nparam w = 50%\nhold px.a weight w\n";
//! let dates: Vec<i32> = (0..6).map(|d| 19_000 + d).collect();
//! let prices = vec![100.0, 102.0, 101.0, 103.0, 104.0, 102.0];
//! let mut data = InMemory::new();
//! data.insert_table("px", MemoryTable::new("px", dates, vec!["a".into()], vec![prices.clone()])?);
//! let strategy = Engine::new().compile_source_with("mem.strat", "mem", src.into(), ".".as_ref(), &data)?;
//! let frame = strategy.load_data_from(&data)?;
//! let result = strategy.run(&frame, &strategy.params())?;
//! // Half the asset's return every day (no cost declared).
//! for (k, r) in result.returns().iter().enumerate() {
//!     let t = result.first_live() + k;
//!     assert!((r - 0.5 * (prices[t + 1] / prices[t] - 1.0)).abs() < 1e-15);
//! }
//!
//! // A table with a repeated date is refused, naming the row.
//! let mut bad = InMemory::new();
//! bad.insert_table("px", MemoryTable::new("px", vec![1, 2, 2], vec!["a".into()], vec![vec![1.0; 3]])?);
//! match strategy.load_data_from(&bad) {
//!     Err(Failure::Data(e)) => assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("date"))),
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), Failure>(())
//! ```
//!
//! ## 3. Sweeps, walk-forward and errors
//!
//! [`Strategy::grid`] (or [`Strategy::grid_with`], replacing params' values) enumerates the
//! bindings of the swept params; [`Strategy::sweep`] runs them in parallel;
//! [`Strategy::walk_forward`] chooses a binding on each training window and tests it out of
//! sample. A program with errors is a [`Failure::Program`] of diagnostics with code, span and
//! help; [`render::render_failure`] prints them as the CLI does.
//!
//! ```
//! use strat::{Engine, Failure};
//!
//! let strategy = Engine::new().compile_file("examples/vix_guard.strat".as_ref())?;
//! let frame = strategy.load_data()?;
//! let grid = strategy.grid_with(&[("spike_z".into(), vec![2.0, 3.0])]).unwrap();
//! let rows = strategy.sweep(&frame, &grid, &|| {})?;
//! assert_eq!(rows.len(), 2);
//! let sharpe_at_3 = rows[1].result.as_ref().unwrap().metrics.sharpe;
//! let mut p = strategy.params();
//! p.set_value("spike_z", 3.0).unwrap();
//! assert_eq!(strategy.run(&frame, &p)?.metrics().sharpe, sharpe_at_3);
//!
//! let bad = Engine::new().compile_source("bad.strat", "bad", "hold nope weight 1\n".into(), ".".as_ref());
//! let Err(failure) = bad else { panic!("compiles") };
//! let Failure::Program(diags) = &failure else { panic!("{failure}") };
//! assert_eq!(diags[0].diag.code, "strat::name::unknown");
//! assert!(strat::render::render_failure(&failure, false).contains("unknown name `nope`"));
//! # Ok::<(), Failure>(())
//! ```
//!
//! Stages, each one public function: `strat_grammar::source_to_ast` → `strat_compiler::ast_to_hir`
//! → `strat_compiler::hir_to_plan` → `strat_compiler::plan_to_kernels`, and
//! `strat_compiler::eval_plan` (the reference evaluator the JIT is tested against).

// `Failure` (through `DataError`) carries the file, line, column, code and help of a data error so that every
// message names its place; it is returned once per failure, never in a loop, so its size (~128
// bytes) costs nothing worth boxing it for.
#![allow(clippy::result_large_err)]

pub mod audit;
pub mod limits;
pub mod lsp;
pub mod render;
pub mod report;
pub mod sources;
pub mod tearsheet;

pub use audit::{AuditOptions, AuditReport};
pub use limits::Limits;
pub use report::{RunReport, SweepReport, SweepRowReport, WalkForwardReport};
pub use sources::{InMemory, MemoryLong, MemoryTable, SourceInfo, SourceKind};
pub use strat_compiler::Compiled;
pub use strat_grammar::{Diag, SourceDiag};
pub use strat_runtime::{Backend, DataError, Frame, RunError, RunResult};

/// The gross exposure (sum of `|w|`, a fraction of equity) above which a row of target weights is
/// reported as implausible ([`Strategy::weight_warnings`]): 10, i.e. 1,000 %.
pub const IMPLAUSIBLE_GROSS: f64 = 10.0;

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Stack size of the thread that compiles a program: parsing and checking recurse on the
/// expression tree, whose depth the parser bounds; this leaves ample room on every platform.
const COMPILE_STACK: usize = 64 << 20;

/// Compiles `.strat` sources. Cheap to create; holds options only.
#[derive(Debug, Clone, Default)]
pub struct Engine {
    backend: Backend,
    limits: Limits,
    missing_data_files: bool,
}

/// Why a program could not be compiled or run.
#[derive(Debug)]
pub enum Failure {
    /// Diagnostics of the program (at least one error), with their source.
    Program(Vec<SourceDiag>),
    /// A data file is missing or malformed.
    Data(DataError),
    /// A run failed (bad parameter value, weight never live).
    Run(Box<SourceDiag>),
    /// Reading the `.strat` file failed.
    Io(PathBuf, std::io::Error),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Program(d) => write!(f, "{} error(s) in the program", d.iter().filter(|d| d.diag.is_error()).count()),
            Failure::Data(e) => write!(f, "{e}"),
            Failure::Run(d) => write!(f, "{}", d.diag.message),
            Failure::Io(p, e) => write!(f, "cannot read {}: {e}", p.display()),
        }
    }
}

impl std::error::Error for Failure {}

impl From<DataError> for Failure {
    fn from(e: DataError) -> Failure {
        Failure::Data(e)
    }
}

impl Engine {
    /// An engine with the default options (JIT backend).
    pub fn new() -> Engine {
        Engine::default()
    }

    /// Uses `backend` for every run of the strategies this engine compiles.
    pub fn with_backend(mut self, backend: Backend) -> Engine {
        self.backend = backend;
        self
    }

    /// Uses `limits` for every compilation, data load and run of this engine
    /// (default: [`Limits::default`]).
    /// Lets a `data` source whose file does not exist compile, for data that will be given in
    /// memory at run time ([`Strategy::load_data_from`]): its columns are those the program
    /// reads of it (`mkt.vix`, `mkt.spx`). Universes and panels still need their file (or a
    /// table in [`Engine::compile_source_with`]'s data). A run that reads the missing file
    /// fails with a data error naming it.
    pub fn with_missing_data_files(mut self, allowed: bool) -> Engine {
        self.missing_data_files = allowed;
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Engine {
        self.limits = limits;
        self
    }

    /// The engine's resource limits.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Reads and compiles a `.strat` file; data paths are relative to its folder.
    ///
    /// Errors: a file larger than [`Limits::max_source_bytes`] is refused before it is read
    /// whole (`strat::limit::source_size`, a [`Failure::Program`] without a span); a file that
    /// cannot be read or is not UTF-8 is a [`Failure::Io`].
    pub fn compile_file(&self, path: &Path) -> Result<Strategy, Failure> {
        let src = read_source(path, self.limits.max_source_bytes)?;
        // A UTF-8 byte-order mark (some editors write one) is not part of the program.
        let src = src.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(src);
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("strategy").to_string();
        self.compile_source(&path.display().to_string(), &name, src, &base)
    }

    /// Compiles source text. `file_name` is shown in diagnostics, `default_name` names the
    /// strategy if it has no `strategy` statement, data paths are relative to `base_dir`.
    pub fn compile_source(&self, file_name: &str, default_name: &str, src: String, base_dir: &Path) -> Result<Strategy, Failure> {
        self.compile_source_with(file_name, default_name, src, base_dir, &InMemory::new())
    }

    /// [`Engine::compile_source`] for data given in memory: the columns of the sources named in
    /// `data` are taken from its tables instead of their files' headers, so those files need not
    /// exist. Run it with [`Strategy::load_data_from`] and the same (or same-shaped) `data`.
    pub fn compile_source_with(&self, file_name: &str, default_name: &str, src: String, base_dir: &Path, data: &InMemory) -> Result<Strategy, Failure> {
        let src = Arc::new(src);
        if src.len() as u64 > self.limits.max_source_bytes {
            return Err(source_too_large(file_name, src.len() as u64, self.limits.max_source_bytes));
        }
        let (compiled, diags, _) = run_on_big_stack(
            &src,
            default_name,
            base_dir,
            self.limits.max_data_bytes,
            self.limits.max_depth,
            data,
            self.missing_data_files,
            Job::Compile,
            self.limits.max_source_bytes,
        );
        let render = |ds: Vec<Diag>| ds.into_iter().map(|d| d.with_source(file_name, src.clone())).collect::<Vec<_>>();
        match compiled {
            Some(compiled) => Ok(Strategy {
                compiled,
                source: src.clone(),
                file_name: file_name.to_string(),
                base_dir: base_dir.to_path_buf(),
                warnings: render(diags),
                backend: self.backend,
                limits: self.limits,
            }),
            None => Err(Failure::Program(render(diags))),
        }
    }

    /// The diagnostics of `src` (errors and warnings) as [`Engine::compile_source`] gives them,
    /// from parsing and checking only (the data headers are read; nothing is lowered or
    /// compiled to native code): what an editor shows on every change.
    pub fn check_source(&self, file_name: &str, default_name: &str, src: String, base_dir: &Path) -> Vec<SourceDiag> {
        self.check_job(file_name, default_name, src, base_dir, Job::Check).0
    }

    /// [`Engine::check_source`], and when the program checks, what its names are: each `let`'s
    /// type and warm-up at the default params, each param's values (for an editor's hover).
    pub fn outline_source(&self, file_name: &str, default_name: &str, src: String, base_dir: &Path) -> (Vec<SourceDiag>, Option<strat_compiler::Outline>) {
        self.check_job(file_name, default_name, src, base_dir, Job::Outline)
    }

    /// Runs `job` (a check or an outline) on `src` within the source-size limit, reading the
    /// data headers from beside it.
    fn check_job(&self, file_name: &str, default_name: &str, src: String, base_dir: &Path, job: Job) -> (Vec<SourceDiag>, Option<strat_compiler::Outline>) {
        let src = Arc::new(src);
        if src.len() as u64 > self.limits.max_source_bytes {
            return match source_too_large(file_name, src.len() as u64, self.limits.max_source_bytes) {
                Failure::Program(d) => (d, None),
                _ => (vec![], None),
            };
        }
        let (_, diags, outline) = run_on_big_stack(
            &src,
            default_name,
            base_dir,
            self.limits.max_data_bytes,
            self.limits.max_depth,
            &InMemory::new(),
            self.missing_data_files,
            job,
            self.limits.max_source_bytes,
        );
        (diags.into_iter().map(|d| d.with_source(file_name, src.clone())).collect(), outline)
    }
}

/// Reads a `.strat` file of at most `max` bytes: the size is checked before the text is read,
/// and the read itself stops after `max + 1` bytes (a pipe or device reports no size).
fn read_source(path: &Path, max: u64) -> Result<String, Failure> {
    use std::io::Read;
    let io = |e: std::io::Error| Failure::Io(path.to_path_buf(), e);
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(io(std::io::Error::other("it is a directory, not a .strat file")));
    }
    if meta.is_file() && meta.len() > max {
        return Err(source_too_large(&path.display().to_string(), meta.len(), max));
    }
    let mut bytes = vec![];
    file.take(max.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        // A stream (pipe, device) was read only up to the limit: its size is unknown.
        let mut d = Diag::error(
            "strat::limit::source_size",
            format!("{} holds more than the source limit of {} ({max} bytes)", path.display(), limits::format_bytes(max)),
            strat_grammar::Span::default(),
            "",
        )
        .with_help("a .strat program is a few kilobytes; raise the limit with --max-source-bytes SIZE if this file really is one");
        d.labels.clear();
        return Err(Failure::Program(vec![d.with_source(&path.display().to_string(), Arc::new(String::new()))]));
    }
    String::from_utf8(bytes).map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, format!("stream did not contain valid UTF-8 ({e})"))))
}

/// The `strat::limit::source_size` failure: `size` bytes (at least; a stream stops being read
/// at the limit) against the limit `max`.
fn source_too_large(name: &str, size: u64, max: u64) -> Failure {
    let mut d = Diag::error(
        "strat::limit::source_size",
        format!("{name} is too large: {} ({size} bytes) exceeds the source limit of {} ({max} bytes)", limits::format_bytes(size), limits::format_bytes(max)),
        strat_grammar::Span::default(),
        "",
    )
    .with_help("a .strat program is a few kilobytes; raise the limit with --max-source-bytes SIZE if this file really is one");
    d.labels.clear();
    Failure::Program(vec![d.with_source(name, Arc::new(String::new()))])
}

/// What to do with a program's source on the compiler's stack.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Job {
    /// Parse, check, lower and generate code.
    Compile,
    /// Parse and check only (diagnostics).
    Check,
    /// Parse and check, then describe the names (an editor's hover).
    Outline,
}

/// Runs `job` on `src` on a thread with a stack for `max_depth`, reading data headers from
/// `data` (in memory) or from files under `base_dir`.
#[allow(clippy::too_many_arguments)]
fn run_on_big_stack(
    src: &Arc<String>,
    default_name: &str,
    base_dir: &Path,
    max_data_bytes: u64,
    max_depth: usize,
    data: &InMemory,
    missing_data_files: bool,
    job: Job,
    max_source_bytes: u64,
) -> (Option<Compiled>, Vec<Diag>, Option<strat_compiler::Outline>) {
    let max_depth = max_depth.clamp(1, limits::MAX_DEPTH_CEILING);
    let run = || {
        let opts = strat_runtime::io::ReadOptions { max_bytes: max_data_bytes };
        let given = sources::headers_by_path(src, max_depth, &data.headers());
        let inferred = if missing_data_files { sources::headers_from_uses(src, max_depth, base_dir) } else { Default::default() };
        let mut columns_of = |path: &str| -> Result<Vec<String>, String> {
            if let Some(h) = given.get(path).or_else(|| inferred.get(path)) {
                return Ok(h.clone());
            }
            let file = base_dir.join(path);
            let header = if strat_runtime::io::parquet::is_parquet(&file) {
                strat_runtime::io::parquet::read_parquet_header(&file, &opts)
            } else {
                strat_runtime::io::read_header_with(&file, &opts)
            };
            header.map_err(|e| match &e.help {
                // The label of the diagnostic is one line.
                Some(help) => format!("{} ({help})", e.located()),
                None => e.located(),
            })
        };
        // A used `.strat` file, relative to the program's folder (spec/language.md "use").
        let mut read_use = |path: &str| -> Result<strat_compiler::expand::UsedFile, String> {
            let file = base_dir.join(path);
            let key = std::fs::canonicalize(&file).map_err(|e| e.to_string())?.display().to_string();
            let source = read_source(&file, max_source_bytes).map_err(|f| match f {
                Failure::Io(_, e) => format!("{} ({e})", file.display()),
                Failure::Program(d) => d.first().map(|d| d.diag.message.clone()).unwrap_or_default(),
                _ => format!("{} can't be read", file.display()),
            })?;
            let source = source.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(source);
            Ok(strat_compiler::expand::UsedFile { key, source })
        };
        match job {
            Job::Check => (None, strat_compiler::check_with_files(src, default_name, &mut columns_of, &mut read_use, max_depth), None),
            Job::Outline => {
                let (diags, outline) = strat_compiler::outline_with_files(src, default_name, &mut columns_of, &mut read_use, max_depth);
                (None, diags, outline)
            }
            Job::Compile => {
                let (compiled, diags) = strat_compiler::compile_with_files(src, default_name, &mut columns_of, &mut read_use, max_depth);
                (compiled, diags, None)
            }
        }
    };
    // The stack grows with the nesting allowed: COMPILE_STACK per DEFAULT_MAX_DEPTH levels.
    let stack = COMPILE_STACK * max_depth.div_ceil(strat_grammar::DEFAULT_MAX_DEPTH).max(1);
    std::thread::scope(|s| match std::thread::Builder::new().stack_size(stack).spawn_scoped(s, run) {
        Ok(h) => h.join().unwrap_or_else(|_| {
            (
                None,
                vec![Diag::error("strat::internal", "the compiler crashed", strat_grammar::Span::default(), "while compiling this file")
                    .with_help("this is a bug in Strat; please report it with this file")],
                None,
            )
        }),
        Err(_) => run(),
    })
}

/// A compiled strategy, ready to run on data.
#[derive(Debug)]
pub struct Strategy {
    compiled: Compiled,
    source: Arc<String>,
    file_name: String,
    base_dir: PathBuf,
    warnings: Vec<SourceDiag>,
    backend: Backend,
    limits: Limits,
}

/// Parameter values for one run, in declaration order, with their names.
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    /// Declared names.
    pub names: Vec<String>,
    /// Values (fractions: `45%` is 0.45; a choice param holds its choice's index).
    pub values: Vec<f64>,
    /// The choices of each choice param (empty for numeric params).
    pub choices: Vec<Vec<String>>,
}

impl Params {
    /// Sets parameter `name` from literal text (`2.5`, `45%`, `-10%`, `2bps`).
    ///
    /// Errors: an unknown name (with a did-you-mean), or text that is not a number literal.
    pub fn set(&mut self, name: &str, text: &str) -> Result<(), String> {
        let Some(i) = self.names.iter().position(|n| n == name) else {
            let hint =
                strat_compiler::suggest::did_you_mean(name, self.names.iter().map(|s| s.as_str())).map(|s| format!("; did you mean `{s}`?")).unwrap_or_else(
                    || if self.names.is_empty() { "; the program declares no params".into() } else { format!("; params: {}", self.names.join(", ")) },
                );
            return Err(format!("unknown param `{name}`{hint}"));
        };
        let t = text.trim();
        if !self.choices[i].is_empty() {
            return match self.choices[i].iter().position(|c| c == t) {
                Some(k) => {
                    self.values[i] = k as f64;
                    Ok(())
                }
                None => Err(format!("`{t}` is not a choice of param `{name}`; choices: {}", self.choices[i].join(", "))),
            };
        }
        let (neg, body) = match t.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, t),
        };
        let ok = !body.is_empty() && body.starts_with(|c: char| c.is_ascii_digit());
        match strat_grammar::literal_value(body) {
            Some((v, _)) if ok && v.is_finite() => {
                self.values[i] = if neg { -v } else { v };
                Ok(())
            }
            _ => Err(format!("`{text}` is not a number for param `{name}` (write e.g. 2.5, 45%, -10% or 2bps)")),
        }
    }

    /// Sets parameter `name` to the number `value` (a fraction: 45 % is 0.45; for a choice
    /// param, the choice's index).
    ///
    /// Errors: an unknown name, a non-finite value, or a choice index out of range.
    pub fn set_value(&mut self, name: &str, value: f64) -> Result<(), String> {
        let Some(i) = self.names.iter().position(|n| n == name) else {
            return self.set(name, "0");
        };
        if !value.is_finite() {
            return Err(format!("{value} is not a finite value for param `{name}`"));
        }
        if !self.choices[i].is_empty() && (value < 0.0 || value.fract() != 0.0 || value as usize >= self.choices[i].len()) {
            return Err(format!("{value} is not a choice index of param `{name}`; choices: {}", self.choices[i].join(", ")));
        }
        self.values[i] = value;
        Ok(())
    }

    /// The declared names, in declaration order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values, in declaration order (what [`Strategy::run`] binds).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Value of `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.names.iter().position(|n| n == name).map(|i| self.values[i])
    }

    /// A param value as text: the choice name for a choice param, else the number.
    pub fn display_value(&self, i: usize, v: f64) -> String {
        match self.choices.get(i) {
            Some(c) if !c.is_empty() => c.get(v as usize).cloned().unwrap_or_else(|| format!("{v}")),
            _ => format!("{v}"),
        }
    }
}

impl Strategy {
    /// The compiled program (plan, kernels and the checked declarations).
    pub fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// The source text.
    pub fn source(&self) -> &Arc<String> {
        &self.source
    }

    /// The folder the program's data paths are relative to.
    pub fn base_dir(&self) -> &Path {
        &self.base_dir
    }

    /// The file name used in diagnostics.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// Warnings found while compiling.
    pub fn warnings(&self) -> &[SourceDiag] {
        &self.warnings
    }

    /// Takes the warnings found while compiling, dropping the strategy.
    pub fn into_warnings(self) -> Vec<SourceDiag> {
        self.warnings
    }

    /// The strategy's name.
    pub fn name(&self) -> &str {
        &self.program().name
    }

    /// What the strategy runs: its declarations, with plan nodes for its expressions.
    pub fn program(&self) -> &strat_compiler::Program {
        self.compiled.program()
    }

    /// The names of what the book holds, in order: a universe's assets, an ensemble's sleeves,
    /// or the members of the `weights` that weight the sleeves; empty for a single column.
    pub fn held_assets(&self) -> Vec<String> {
        use strat_compiler::program::{Book, Holding};
        let program = self.program();
        match &program.book {
            Book::Hold(h) => match &h.target {
                Holding::Universe(u) => program.universes[*u].assets.clone(),
                Holding::Column(_) => vec![],
            },
            Book::Ensemble(_) => program.sleeves.iter().map(|s| s.name.clone()).collect(),
            Book::SleeveWeights(k) => program.weights[*k].member_names.clone(),
        }
    }

    /// A `strat::run::implausible_weights` warning when the book's target weights on some row
    /// past warm-up sum to a gross exposure (the sum of `|w|` over the assets) above
    /// [`IMPLAUSIBLE_GROSS`]: weights are fractions of equity, so such a row is almost always a
    /// unit mistake (percent for fractions, prices or volumes for weights). Names the first such
    /// date, the largest asset and, when that weight is the value of a wide `panel` (a weights
    /// file), the file and the row in effect: (message, help). A plain `hold` only.
    pub fn weight_warnings(&self, frame: &Frame, result: &RunResult) -> Vec<(String, String)> {
        use strat_compiler::program::{Book, Holding, PanelLayout, PanelRef};
        let program = self.program();
        let Book::Hold(h) = &program.book else { return vec![] };
        let rows = frame.len();
        let w = &result.target_weight;
        let assets = match &h.target {
            Holding::Universe(u) => program.universes[*u].assets.clone(),
            Holding::Column(_) => vec![String::new()],
        };
        if rows == 0 || (w.len() != rows * assets.len() && w.len() != rows) {
            return vec![];
        }
        let at = |t: usize, j: usize| if w.len() == rows { w[t] } else { w[j * rows + t] };
        for t in result.backtest.first_live..rows {
            let gross: f64 = (0..assets.len()).map(|j| at(t, j).abs()).filter(|x| !x.is_nan()).sum();
            if gross <= IMPLAUSIBLE_GROSS {
                continue;
            }
            let j = (0..assets.len()).max_by(|&a, &b| at(t, a).abs().total_cmp(&at(t, b).abs())).unwrap_or(0);
            let date = strat_runtime::frame::format_date(frame.dates[t]);
            let name = if assets[j].is_empty() { String::new() } else { format!(" (largest: {} at {})", assets[j], at(t, j)) };
            let mut msg = format!("on {date} the target weights sum to a gross exposure of {gross}{name}");
            for (k, p) in program.panels.iter().enumerate() {
                if !matches!(p.layout, PanelLayout::Wide { .. }) || assets[j].is_empty() {
                    continue;
                }
                let cols = program.panel_columns(&PanelRef { source: k, field: None });
                let hit = cols.iter().find(|c| c.ends_with(&format!(".{}", assets[j]))).and_then(|c| frame.column_index(c)).map(|c| frame.columns[c][t]);
                if hit.is_some_and(|v| v.to_bits() == at(t, j).to_bits()) {
                    msg += &format!("; it is the value of {} column '{}' in the row in effect on {date}", p.path, assets[j]);
                }
            }
            return vec![(
                msg,
                "weights are fractions of equity (1 = 100%): check the units of the weights (a percent 50 for 0.5, prices or volumes as weights)".to_string(),
            )];
        }
        vec![]
    }

    /// The resource limits this strategy was compiled with (its engine's).
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// What a single run of `params` should be told about its binding: each `where` constraint
    /// it fails (a sweep skips such a binding), and each param set away from its default while
    /// its `when` condition is false (the grid keeps it at its default there). One message each.
    pub fn binding_warnings(&self, params: &Params) -> Vec<String> {
        let lowered = &self.compiled.lowered;
        // The source text of `where` / `when` conditions: the HIR keeps their spans.
        let hir = &self.compiled.hir;
        let scalars = strat_compiler::bind::eval_scalars(&lowered.plan, &params.values);
        let text = |sp: strat_grammar::Span| self.source.get(sp.start as usize..sp.end as usize).unwrap_or("?").trim().to_string();
        let mut out = vec![];
        for (node, c) in lowered.constraints.iter().zip(&hir.constraints) {
            if scalars[node.index()] == 0.0 {
                out.push(format!("this binding fails `where {}`: a sweep skips it", text(c.span)));
            }
        }
        for (i, p) in hir.params.iter().enumerate() {
            let (Some(node), Some(cond)) = (lowered.param_when[i], &p.when) else { continue };
            let set_away = params.values.get(i).is_some_and(|v| v.to_bits() != p.default.to_bits());
            if set_away && scalars[node.index()] == 0.0 {
                out.push(format!(
                    "param `{}` is set, but its `when {}` is false for this binding: a sweep keeps it at its default here",
                    p.name,
                    text(cond.span)
                ));
            }
        }
        out
    }

    /// One `strat::run::nan_condition` warning per series that an `if`, `tiers` or regime
    /// condition compares and that is NaN on some row past its static warm-up: a comparison
    /// with NaN is false, so on those rows the condition silently takes its `else` branch
    /// (spec/semantics.md §10). Each names the series' source text (its span), the number of
    /// such rows and the first date. Panels are not checked (a universe's asset without a
    /// price is NaN by design). `result` is the run of `params` on `frame`
    /// ([`Strategy::run`]): the series it computed are read from it
    /// ([`RunResult::condition_operands`]); one computed inside a fused kernel is evaluated
    /// again on the reference evaluator. None if that evaluation fails.
    pub fn nan_condition_warnings(&self, frame: &Frame, params: &Params, result: &RunResult) -> Vec<SourceDiag> {
        let plan = &self.compiled.lowered.plan;
        let checks = self.compiled.condition_operands();
        if checks.is_empty() {
            return vec![];
        }
        let Ok(binding) = strat_compiler::bind(plan, &params.values) else { return vec![] };
        let mut cols: Vec<Option<Cow<[f64]>>> =
            (0..checks.len()).map(|k| result.condition_operands.get(k).and_then(|c| c.as_deref()).map(Cow::Borrowed)).collect();
        let missing: Vec<usize> = (0..checks.len()).filter(|&k| cols[k].is_none()).collect();
        if !missing.is_empty() {
            let Ok(prep) = strat_runtime::prepare(&self.compiled, frame) else { return vec![] };
            let nodes: Vec<_> = missing.iter().map(|&k| checks[k].0).collect();
            let Ok((values, _)) = strat_runtime::executor::node_values(&self.compiled, &prep, &params.values, &nodes) else { return vec![] };
            for (k, v) in missing.into_iter().zip(values) {
                cols[k] = Some(Cow::Owned(v));
            }
        }
        let cols: Vec<Cow<[f64]>> = cols.into_iter().flatten().collect();
        let text = |sp: strat_grammar::Span| self.source.get(sp.start as usize..sp.end as usize).unwrap_or("?").trim().to_string();
        let mut out = vec![];
        for ((x, c), col) in checks.iter().zip(&cols) {
            let from = binding.warmup_of(*x).min(col.len());
            let nan: Vec<usize> = (from..col.len()).filter(|&t| col[t].is_nan()).collect();
            let Some(&first) = nan.first() else { continue };
            let date = frame.dates.get(first).map(|&d| strat_runtime::frame::format_date(d)).unwrap_or_default();
            let (xs, cs) = (plan.node(*x).span, plan.node(*c).span);
            let span = if xs.end > xs.start { xs } else { cs };
            // A condition of a used file is that file's to warn about (`strat run` on it).
            if self.compiled.used.contains(span) || self.compiled.used.contains(cs) {
                continue;
            }
            let d = Diag::warning(
                "strat::run::nan_condition",
                format!("`{}` is NaN on {} row(s) after its warm-up (first on {date}): the condition `{}` is false there and takes its `else` branch", text(span), nan.len(), text(cs)),
                span,
                format!("NaN on {} row(s)", nan.len()),
            )
            .with_help("an empty (or, for a price, non-positive) cell makes a series NaN; fill the data, or make the NaN case explicit (e.g. `if x > 30 then a else if x <= 30 then b else c`)");
            out.push(d.with_source(&self.file_name, self.source.clone()));
        }
        out
    }

    /// The default parameter values.
    pub fn params(&self) -> Params {
        Params {
            names: self.program().params.iter().map(|p| p.name.clone()).collect(),
            values: self.compiled.default_params(),
            choices: self
                .program()
                .params
                .iter()
                .map(|p| match &p.domain {
                    strat_compiler::program::ParamDomain::Choices(c) => c.clone(),
                    _ => vec![],
                })
                .collect(),
        }
    }

    /// Loads and aligns the strategy's data sources.
    pub fn load_data(&self) -> Result<Frame, Failure> {
        let opts = strat_runtime::io::ReadOptions { max_bytes: self.limits.max_data_bytes };
        strat_runtime::executor::load_data_with(&self.compiled, &self.base_dir, &opts).map_err(Failure::Data)
    }

    /// Loads and aligns the strategy's data, taking the sources named in `data` from memory and
    /// reading the others from their files: the same alignment, date window and checks as
    /// [`Strategy::load_data`].
    ///
    /// Errors ([`Failure::Data`], whose file is `<memory NAME>` and whose line is the 0-based
    /// row for an in-memory source): a name that is no source of the program; unsorted or
    /// repeated dates; a column the program reads that the table lacks; an infinite or
    /// out-of-range value; a traded price that is missing, zero or negative; and every error
    /// of a file that is read.
    pub fn load_data_from(&self, data: &InMemory) -> Result<Frame, Failure> {
        let opts = strat_runtime::io::ReadOptions { max_bytes: self.limits.max_data_bytes };
        strat_runtime::load::load_data_from(&self.compiled, &self.base_dir, &opts, &data.sources).map_err(Failure::Data)
    }

    /// The sources the strategy declares, with the columns a run reads of each.
    pub fn data_sources(&self) -> Vec<SourceInfo> {
        sources::source_infos(&self.compiled)
    }

    /// Runs the strategy on `frame` with `params`.
    pub fn run(&self, frame: &Frame, params: &Params) -> Result<RunResult, Failure> {
        self.run_with(frame, params, self.backend)
    }

    /// The number of bindings of the program's grid, from the params' domains alone (exact
    /// without `when` / `where`, else an upper bound); the grid is not built.
    pub fn grid_size(&self) -> strat_compiler::grid::GridSize {
        strat_compiler::grid::grid_size(self.program())
    }

    /// Estimates the memory `study` would hold on `frame` (spec/limits.md "Memory") and refuses
    /// it when over [`Limits::max_memory_bytes`]: a [`Failure::Run`] with code
    /// `strat::limit::memory`, labelled at the swept params. Call it before building the grid.
    pub fn check_memory(&self, frame: &Frame, study: strat_compiler::grid::Study) -> Result<(), Failure> {
        let program = self.program();
        let assets = program.universes.iter().map(|u| u.assets.len()).chain([program.sleeves.len(), 1]).max().unwrap_or(1);
        let threads = match study {
            strat_compiler::grid::Study::Run => 1,
            _ => rayon::current_num_threads(),
        };
        let e = strat_compiler::grid::estimate_memory(&self.compiled, study, frame.dates.len() as u64, assets as u64, threads as u64);
        strat_compiler::grid::check_memory(&self.compiled, study, &e, self.limits.max_memory_bytes).map_err(|d| self.failure_of(d))
    }

    /// The sweep grid of the program's swept params. It is built in memory: check its size
    /// first ([`Strategy::check_memory`]).
    pub fn grid(&self) -> strat_runtime::sweep::Grid {
        strat_runtime::sweep::grid(&self.compiled)
    }

    /// The sweep grid with the values of some params replaced: `overrides` maps a param name to
    /// the values it takes (one value fixes it); the others keep their domains. `when` and
    /// `where` apply as in [`Strategy::grid`].
    ///
    /// Errors: an unknown param name (with a did-you-mean), an empty list or a non-finite value.
    pub fn grid_with(&self, overrides: &[(String, Vec<f64>)]) -> Result<strat_runtime::sweep::Grid, String> {
        let program = self.program();
        let mut values = strat_runtime::sweep::domain_values(&self.compiled);
        for (name, vs) in overrides {
            let mut check = self.params();
            for &v in vs {
                check.set_value(name, v)?;
            }
            if vs.is_empty() {
                return Err(format!("no values for param `{name}`"));
            }
            let i = program.params.iter().position(|p| &p.name == name).expect("set_value checked the name");
            values[i] = vs.clone();
        }
        Ok(strat_runtime::sweep::grid_with(&self.compiled, &values))
    }

    /// Runs every binding of `grid` in parallel; `progress` is called once per binding.
    pub fn sweep(
        &self,
        frame: &Frame,
        grid: &strat_runtime::sweep::Grid,
        progress: &(dyn Fn() + Sync),
    ) -> Result<Vec<strat_runtime::sweep::SweepRow>, Failure> {
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        Ok(strat_runtime::sweep::sweep(&self.compiled, &prep, grid, self.backend, progress))
    }

    /// [`Strategy::sweep`], stopping early once `stop` is true (set from another thread, e.g.
    /// on Ctrl-C): `Ok(None)` then, the bindings not yet started skipped.
    pub fn sweep_until(
        &self,
        frame: &Frame,
        grid: &strat_runtime::sweep::Grid,
        progress: &(dyn Fn() + Sync),
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<Vec<strat_runtime::sweep::SweepRow>>, Failure> {
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        Ok(strat_runtime::sweep::sweep_until(&self.compiled, &prep, grid, self.backend, progress, stop))
    }

    /// Runs the bindings of `grid` at `indices` (grid indices, e.g. one shard's,
    /// [`strat_runtime::shard::Shard::bindings`]) in parallel; rows come back in the order of
    /// `indices`, each equal bit for bit to its row in a whole sweep. `on_row` sees each row as
    /// it finishes (from worker threads, in any order): streaming progress. `Ok(None)` when
    /// `stop` became true.
    ///
    /// Errors: the data does not fit the program ([`Failure::Run`]).
    ///
    /// # Panics
    /// If an index is not below `grid.bindings.len()`.
    pub fn sweep_rows(
        &self,
        frame: &Frame,
        grid: &strat_runtime::sweep::Grid,
        indices: &[usize],
        on_row: &(dyn Fn(&strat_runtime::sweep::SweepRow) + Sync),
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<Vec<strat_runtime::sweep::SweepRow>>, Failure> {
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        Ok(strat_runtime::sweep::sweep_rows(&self.compiled, &prep, grid, indices, self.backend, on_row, stop))
    }

    /// [`Strategy::fingerprint`] of the program's grid walked one binding at a time
    /// ([`Strategy::grid_walk`], [`strat_runtime::shard::StudyHasher`]): the same digest,
    /// without holding the grid.
    pub fn streamed_fingerprint(&self, frame: &Frame) -> String {
        let names: Vec<String> = self.program().params.iter().map(|p| p.name.clone()).collect();
        let mut h = strat_runtime::shard::StudyHasher::new(&self.source, frame, &names);
        for b in self.grid_walk() {
            h.binding(&b.params, &b.active);
        }
        h.finish()
    }

    /// The program's grid described without keeping it: its size, varying params and first
    /// binding ([`strat_runtime::sweep::grid_info`]; computed from the params' lists when no
    /// `when` or `where` applies, else by one walk of the grid).
    pub fn grid_info(&self) -> strat_runtime::sweep::GridInfo {
        strat_runtime::sweep::grid_info(&self.compiled, &strat_runtime::sweep::domain_values(&self.compiled))
    }

    /// The program's grid one binding at a time, in grid order ([`strat_runtime::sweep::GridWalk`]),
    /// holding only the current binding.
    pub fn grid_walk(&self) -> strat_runtime::sweep::GridWalk<'_> {
        strat_runtime::sweep::GridWalk::new(&self.compiled, strat_runtime::sweep::domain_values(&self.compiled))
    }

    /// A sweep of the program's grid in memory that does not grow with the grid
    /// ([`strat_runtime::sweep::sweep_chunks`]): the bindings `keep` accepts run
    /// [`strat_runtime::sweep::SWEEP_CHUNK`] at a time and each chunk's rows (grid order, with the
    /// binding's active params) go to `sink`. `info` is [`Strategy::grid_info`]'s. Each row
    /// equals its row in [`Strategy::sweep_rows`] bit for bit.
    ///
    /// Returns `Ok(Ok(true))` when every binding ran, `Ok(Ok(false))` when `stop` became true,
    /// `Ok(Err(e))` with the first error of `sink`.
    ///
    /// Errors: the data does not fit the program ([`Failure::Run`]).
    pub fn sweep_chunks(
        &self,
        frame: &Frame,
        info: &strat_runtime::sweep::GridInfo,
        keep: &dyn Fn(usize) -> bool,
        on_row: &(dyn Fn(&strat_runtime::sweep::SweepRow) + Sync),
        stop: &std::sync::atomic::AtomicBool,
        sink: &mut strat_runtime::sweep::ChunkSink,
    ) -> Result<Result<bool, String>, Failure> {
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        let values = strat_runtime::sweep::domain_values(&self.compiled);
        let chunk = strat_runtime::sweep::SWEEP_CHUNK;
        Ok(strat_runtime::sweep::sweep_chunks(&self.compiled, &prep, &values, info, keep, chunk, self.backend, on_row, stop, sink))
    }

    /// The fingerprint of a sweep of `grid` on `frame` ([`strat_runtime::shard::fingerprint`]):
    /// the program's source, the data and the grid, as 32 hex digits. Stored in every shard's
    /// part so that `strat merge` refuses parts of different studies.
    pub fn fingerprint(&self, frame: &Frame, grid: &strat_runtime::sweep::Grid) -> String {
        strat_runtime::shard::fingerprint(&self.source, frame, grid)
    }

    /// Walk-forward validation of the program's grid (SEMANTICS.md §6).
    pub fn walk_forward(
        &self,
        frame: &Frame,
        metric: &str,
        spec: strat_runtime::walk_forward::WalkForwardSpec,
        progress: &(dyn Fn() + Sync),
    ) -> Result<(strat_runtime::sweep::Grid, strat_runtime::walk_forward::WalkForward), Failure> {
        self.walk_forward_until(frame, metric, spec, progress, &std::sync::atomic::AtomicBool::new(false))
    }

    /// [`Strategy::walk_forward`], stopping early once `stop` is true (a [`Failure::Run`]
    /// whose message is "stopped").
    pub fn walk_forward_until(
        &self,
        frame: &Frame,
        metric: &str,
        spec: strat_runtime::walk_forward::WalkForwardSpec,
        progress: &(dyn Fn() + Sync),
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<(strat_runtime::sweep::Grid, strat_runtime::walk_forward::WalkForward), Failure> {
        self.check_memory(frame, strat_compiler::grid::Study::WalkForward)?;
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        let grid = self.grid();
        let wf = strat_runtime::walk_forward::walk_forward_until(&self.compiled, &prep, &frame.dates, &grid, self.backend, metric, spec, progress, stop)
            .map_err(|e| self.run_failure(RunError::Study(e)))?;
        Ok((grid, wf))
    }

    /// The runs a walk-forward keeps of the bindings of `grid` at `indices` (the whole grid or
    /// one shard's; [`strat_runtime::walk_forward::binding_runs`]): each binding's returns and
    /// exposures, or why it failed, in the order of `indices`. `Ok(None)` when `stop` became
    /// true.
    ///
    /// Errors: the data does not fit the program ([`Failure::Run`]).
    #[allow(clippy::type_complexity)]
    pub fn walk_forward_runs(
        &self,
        frame: &Frame,
        grid: &strat_runtime::sweep::Grid,
        indices: &[usize],
        progress: &(dyn Fn() + Sync),
        stop: &std::sync::atomic::AtomicBool,
    ) -> Result<Option<Vec<(usize, Result<strat_runtime::walk_forward::BindingRun, String>)>>, Failure> {
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        let runs = strat_runtime::walk_forward::binding_runs(&self.compiled, &prep, grid, indices, self.backend, progress, stop);
        Ok((!stop.load(std::sync::atomic::Ordering::Relaxed)).then_some(runs))
    }

    /// Refuses a walk-forward `metric` that cannot rank and windows shorter than one period
    /// before anything runs ([`Failure::Run`]).
    pub fn check_walk_forward(&self, metric: &str, spec: &strat_runtime::walk_forward::WalkForwardSpec) -> Result<(), Failure> {
        strat_runtime::walk_forward::check_request(metric, spec).map_err(|e| self.run_failure(RunError::Study(e)))
    }

    /// The walk-forward by `metric` under `spec` over `runs`, the runs of every binding of
    /// `grid` that ran (grid order), e.g. assembled from the parts of a sharded walk-forward
    /// ([`strat_runtime::walk_forward::part::assemble`]): the same result as
    /// [`Strategy::walk_forward`] on `frame`.
    ///
    /// Errors: an unknown metric, no binding that ran, too few calendar periods ([`Failure::Run`]).
    pub fn walk_forward_from_runs(
        &self,
        frame: &Frame,
        grid: &strat_runtime::sweep::Grid,
        runs: &[strat_runtime::walk_forward::BindingRun],
        metric: &str,
        spec: strat_runtime::walk_forward::WalkForwardSpec,
    ) -> Result<strat_runtime::walk_forward::WalkForward, Failure> {
        use strat_runtime::walk_forward::{check_request, choose};
        check_request(metric, &spec)
            .and_then(|_| choose(runs, &frame.dates, grid.bindings.len(), metric, spec))
            .map_err(|e| self.run_failure(RunError::Study(e)))
    }

    /// The serialisable report of `result`, a run of this strategy on `frame` (what
    /// `strat run --json` prints).
    pub fn report(&self, frame: &Frame, result: &RunResult) -> RunReport {
        let mut report = RunReport::new(self.name(), frame, result);
        report.trades = self.trades(frame, result).map(|t| {
            let trips: Vec<strat_stdlib::periods::RoundTrip> = t.iter().map(|x| x.trip).collect();
            let s = strat_stdlib::periods::trade_stats(&trips);
            report::TradesReport {
                count: s.count,
                open: s.open,
                win_rate: s.win_rate,
                avg_win: s.avg_win,
                avg_loss: s.avg_loss,
                profit_factor: s.profit_factor,
            }
        });
        report
    }

    /// The round trips of `result`'s assets (a run of this strategy on `frame`), in order of
    /// asset then entry ([`strat_stdlib::periods::round_trips`] on the held weights and the traded
    /// prices' returns). `None` for a book that is not a `hold` of a column or a universe (an
    /// ensemble, sleeves), whose assets are not traded prices.
    pub fn trades(&self, frame: &Frame, result: &RunResult) -> Option<Vec<Trade>> {
        let prep = strat_runtime::prepare(&self.compiled, frame).ok()?;
        let hold = prep.hold.as_ref()?;
        let bt = &result.backtest;
        let rows = frame.len();
        if hold.assets != bt.assets || bt.weights.len() != rows * bt.assets || hold.price.len() != rows * hold.assets {
            return None;
        }
        let returns = hold.asset_returns();
        let names = self.held_assets();
        let mut out = vec![];
        for j in 0..bt.assets {
            let w = &bt.weights[j * rows..(j + 1) * rows];
            let r = &returns[j * rows..(j + 1) * rows];
            let asset = names.get(j).cloned().or_else(|| hold.names.get(j).cloned()).unwrap_or_else(|| j.to_string());
            for trip in strat_stdlib::periods::round_trips(w, r, bt.first_live) {
                out.push(Trade { asset: asset.clone(), trip });
            }
        }
        Some(out)
    }

    /// The serialisable report of a sweep of `grid` with `rows` (what `strat sweep --json`
    /// prints); it borrows them and builds each row's report as it is serialised.
    pub fn sweep_report<'a>(&self, grid: &'a strat_runtime::sweep::Grid, rows: &'a [strat_runtime::sweep::SweepRow]) -> SweepReport<'a> {
        SweepReport {
            strategy: self.name().to_string(),
            params: self.params(),
            report_names: self.program().reports.iter().map(|r| r.name.clone()).collect(),
            grid,
            rows,
        }
    }

    /// The serialisable report of a walk-forward by metric `by` under `spec` (what
    /// `strat walk-forward --json` prints): `grid` and `wf` as [`Strategy::walk_forward`]
    /// returns them, `frame` the data it ran on.
    pub fn walk_forward_report(
        &self,
        frame: &Frame,
        by: &str,
        spec: &strat_runtime::walk_forward::WalkForwardSpec,
        grid: &strat_runtime::sweep::Grid,
        wf: &strat_runtime::walk_forward::WalkForward,
    ) -> WalkForwardReport {
        WalkForwardReport::new(self.name(), by, spec, &self.params(), grid, wf, &frame.dates)
    }

    /// Runs on a chosen backend (the differential tests run both).
    pub fn run_with(&self, frame: &Frame, params: &Params, backend: Backend) -> Result<RunResult, Failure> {
        self.check_memory(frame, strat_compiler::grid::Study::Run)?;
        strat_runtime::run(&self.compiled, frame, &params.values, backend).map_err(|e| self.run_failure(e))
    }

    /// The value on every bar of each named `let` for `params` (on the reference evaluator, the
    /// plan's own semantics): per name, its columns, `rows` values each (a row per bar of
    /// `frame`): a series or scalar is one column named `NAME`, a panel one column `NAME.ASSET`
    /// per asset of its universe. Names that are not `let`s of the program are skipped (see
    /// [`Strategy::let_names`]); a `let` on the strategy's own path has no column here.
    ///
    /// Errors: a bad param value, or a `weights` run that fails ([`Failure::Run`]).
    pub fn let_values(&self, frame: &Frame, params: &Params, names: &[String]) -> Result<Vec<(String, Vec<f64>)>, Failure> {
        self.let_values_with(frame, params, names, Backend::Reference)
    }

    /// As [`Strategy::let_values`], computed on `backend`: with [`Backend::Jit`] the named
    /// `let`s are compiled to native kernels of their own and run by the JIT, so the language
    /// suite (`tests/suite.rs`) checks both backends' values of every `let`.
    pub fn let_values_with(&self, frame: &Frame, params: &Params, names: &[String], backend: Backend) -> Result<Vec<(String, Vec<f64>)>, Failure> {
        let program = self.program();
        let wanted: Vec<&strat_compiler::program::LetValue> =
            names.iter().filter_map(|n| program.lets.iter().find(|l| &l.name == n && l.node.is_some())).collect();
        let nodes: Vec<strat_compiler::plan::Node> = wanted.iter().filter_map(|l| l.node).collect();
        let prep = strat_runtime::prepare(&self.compiled, frame).map_err(|e| self.run_failure(e))?;
        let (cols, _) = strat_runtime::executor::node_values_with(&self.compiled, &prep, &params.values, &nodes, backend).map_err(|e| self.run_failure(e))?;
        let rows = frame.len();
        let mut out = vec![];
        for (l, col) in wanted.iter().zip(cols) {
            match l.panel {
                Some(u) => {
                    for (j, a) in program.universes[u].assets.iter().enumerate() {
                        out.push((format!("{}.{a}", l.name), col.get(j * rows..(j + 1) * rows).map(<[f64]>::to_vec).unwrap_or_else(|| vec![f64::NAN; rows])));
                    }
                }
                None => out.push((l.name.clone(), if col.len() == rows { col } else { vec![col.first().copied().unwrap_or(f64::NAN); rows] })),
            }
        }
        Ok(out)
    }

    /// The names of the program's `let`s that [`Strategy::let_values`] can show (not those on
    /// the strategy's own path), in declaration order.
    pub fn let_names(&self) -> Vec<String> {
        self.program().lets.iter().filter(|l| l.node.is_some()).map(|l| l.name.clone()).collect()
    }

    fn run_failure(&self, e: RunError) -> Failure {
        {
            let d = match e {
                // The runtime's error names the plan node; its span is the call's in the source.
                RunError::Bind(e) => e.in_plan(&self.compiled.lowered.plan),
                // Located faults (a non-finite weight, return or equity; a weight NaN on every
                // row) carry their own code and help line.
                RunError::Failed { code, message, help } => {
                    let mut d = Diag::error(code, message, strat_grammar::Span::default(), "").with_help(help);
                    d.labels.clear();
                    d
                }
                other => {
                    let help = match &other {
                        RunError::Backtest(strat_runtime::backtest::BacktestError::InfiniteWeight { .. }) => {
                            "guard the division in the weight expression, e.g. `if d > 0 then x / d else 0`"
                        }
                        RunError::Study(_) => "see spec/studies.md",
                        _ => "check the warm-up of the weight against the length of the data",
                    };
                    let mut d = Diag::error("strat::run::failed", other.to_string(), strat_grammar::Span::default(), "").with_help(help);
                    d.labels.clear();
                    d
                }
            };
            self.failure_of(d)
        }
    }

    /// A run's error diagnostic as a [`Failure::Run`] on this program's source; one that points
    /// into a used file is moved onto its `use` statement.
    fn failure_of(&self, d: Diag) -> Failure {
        let d = self.compiled.used.relocate(vec![d.clone()]).pop().unwrap_or(d);
        Failure::Run(Box::new(d.with_source(&self.file_name, self.source.clone())))
    }
}

/// One round trip of one asset of a run ([`Strategy::trades`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Trade {
    /// The asset's name (the universe's asset, or `source.column`).
    pub asset: String,
    /// Its bars and return ([`strat_stdlib::periods::RoundTrip`]; bars index the frame).
    pub trip: strat_stdlib::periods::RoundTrip,
}
