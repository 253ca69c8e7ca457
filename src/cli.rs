//! Command-line interface (clap): `strat run`, `strat check`, `strat bench`.
//!
//! Exit codes: 0 success; 1 a program, data or run error (diagnostics on stderr); 2 bad usage.

use clap::{Parser, Subcommand};

/// `println!` that ignores a closed stdout (e.g. `strat sweep --json | head`) instead of panicking.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` that ignores a closed stdout.
macro_rules! outp {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use strat::output::{daily_columns, to_json, to_table};
use strat::{Backend, Engine, Failure, Params, SourceDiag, Strategy};

#[derive(Parser, Debug)]
#[command(name = "strat", version, about = "Strat: a declarative language for trading strategies")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    limits: LimitArgs,
}

/// Resource limits (spec/limits.md); every command takes them, before or after its name.
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Largest .strat source accepted (e.g. 8MiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    max_source_bytes: Option<u64>,
    /// Deepest expression nesting accepted (default 256, at most 4096).
    #[arg(long, global = true, value_name = "N", value_parser = parse_depth)]
    max_depth: Option<usize>,
    /// Largest estimated memory of a run or sweep (e.g. 8GiB); larger runs are refused before they start.
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    max_memory: Option<u64>,
    /// Largest data file read (e.g. 4GiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    max_data_bytes: Option<u64>,
    /// Largest file one output may write (e.g. 1GiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    max_output_bytes: Option<u64>,
}

/// Parses `--max-depth`: a whole number of levels from 1 to [`strat::limits::MAX_DEPTH_CEILING`].
fn parse_depth(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=strat::limits::MAX_DEPTH_CEILING).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a depth; write a whole number from 1 to {}", strat::limits::MAX_DEPTH_CEILING)),
    }
}

impl LimitArgs {
    fn limits(&self) -> strat::Limits {
        let d = strat::Limits::default();
        strat::Limits {
            max_source_bytes: self.max_source_bytes.unwrap_or(d.max_source_bytes),
            max_depth: self.max_depth.unwrap_or(d.max_depth),
            max_memory_bytes: self.max_memory.unwrap_or(d.max_memory_bytes),
            max_data_bytes: self.max_data_bytes.unwrap_or(d.max_data_bytes),
            max_output_bytes: self.max_output_bytes.unwrap_or(d.max_output_bytes),
        }
    }
}

/// The limits of this process, set once from the command line before any command runs.
static LIMITS: std::sync::OnceLock<strat::Limits> = std::sync::OnceLock::new();

/// The limits given on the command line (defaults where a flag is absent).
fn limits() -> strat::Limits {
    LIMITS.get().copied().unwrap_or_default()
}

/// An engine with the command line's limits.
fn engine() -> Engine {
    Engine::new().with_limits(limits())
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compile and backtest a .strat file; print its metrics.
    Run {
        /// The .strat file.
        file: PathBuf,
        /// Print one JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// Write the daily date, weight, return and equity to this CSV file.
        #[arg(long, value_name = "FILE.csv")]
        out: Option<PathBuf>,
        /// Write the weights of every `weights` declaration at each rebalance (date, weights,
        /// asset, source, target, held, turnover) to this .csv or .parquet file.
        #[arg(long, value_name = "FILE.csv")]
        weights_out: Option<PathBuf>,
        /// Overwrite the --out / --weights-out file if it exists.
        #[arg(long)]
        force: bool,
        /// Override a param: --set NAME=VALUE (e.g. --set spike_z=3 --set cap=70%).
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
        /// Evaluate with the reference evaluator instead of the JIT.
        #[arg(long)]
        reference: bool,
    },
    /// Type-check a .strat file (and read its data headers); exit 1 on any error.
    Check {
        /// The .strat file.
        file: PathBuf,
        /// Also print the optimised plan.
        #[arg(long)]
        plan: bool,
        /// Also print the Cranelift IR of the kernels.
        #[arg(long)]
        clif: bool,
    },
    /// Run every binding of the program's swept params in parallel; print the best and a heatmap.
    Sweep {
        /// The .strat file.
        file: PathBuf,
        /// Write every binding's metrics to FILE.csv, FILE.parquet or FILE.json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Overwrite the --out file if it exists.
        #[arg(long)]
        force: bool,
        /// Rows of the top table.
        #[arg(long, default_value_t = 10)]
        top: usize,
        /// Metric to rank by.
        #[arg(long, default_value = "sharpe")]
        by: String,
        /// Metric for the terminal heatmap of a two-parameter grid (repeatable).
        #[arg(long)]
        heatmap: Vec<String>,
        /// Also write each --heatmap as an SVG file: PREFIX_METRIC.svg.
        #[arg(long, value_name = "PREFIX")]
        heatmap_svg: Option<PathBuf>,
        /// Print one JSON document with every binding instead of the tables.
        #[arg(long)]
        json: bool,
        /// Evaluate with the reference evaluator instead of the JIT.
        #[arg(long)]
        reference: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Walk-forward validation: choose the best binding on each training window, test it on
    /// the next years, and report the stitched out-of-sample results.
    WalkForward {
        /// The .strat file.
        file: PathBuf,
        /// Training window in calendar years, e.g. 5y.
        #[arg(long, default_value = "5y")]
        train: String,
        /// Test window in calendar years, e.g. 1y.
        #[arg(long, default_value = "1y")]
        test: String,
        /// Train on every year from the start (expanding window).
        #[arg(long)]
        anchored: bool,
        /// Metric that chooses the binding in each training window.
        #[arg(long, default_value = "sharpe")]
        by: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Evaluate with the reference evaluator instead of the JIT.
        #[arg(long)]
        reference: bool,
    },
    /// Time compilation, data loading and runs of a .strat file (JIT and reference evaluator).
    Bench {
        /// The .strat file.
        file: PathBuf,
        /// Runs to time per backend.
        #[arg(long, default_value_t = 200)]
        iterations: usize,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Override a param for the timed runs: --set NAME=VALUE.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
    },
    /// Interactive session: load a .strat file, evaluate expressions, tweak declarations and
    /// see the metrics change (`:help` inside lists the commands).
    Repl {
        /// A .strat file to start from.
        file: Option<PathBuf>,
    },
}

fn print_diags(diags: &[SourceDiag]) {
    let handler = miette::GraphicalReportHandler::new_themed(if std::env::var_os("NO_COLOR").is_some() || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        miette::GraphicalTheme::unicode_nocolor()
    } else {
        miette::GraphicalTheme::unicode()
    });
    let mut out = String::new();
    // Render at most MAX_SAME_CODE diagnostics of one code; the rest become one summary line each.
    let mut seen: Vec<(&str, usize)> = vec![];
    for d in diags {
        let n = match seen.iter_mut().find(|(c, _)| *c == d.diag.code) {
            Some((_, n)) => n,
            None => {
                seen.push((d.diag.code, 0));
                &mut seen.last_mut().expect("just pushed").1
            }
        };
        *n += 1;
        if *n <= MAX_SAME_CODE {
            let _ = handler.render_report(&mut out, d);
            out.push('\n');
        }
    }
    for (code, n) in seen {
        if n > MAX_SAME_CODE {
            let d = diags.iter().find(|d| d.diag.code == code).expect("seen");
            let kind = if d.diag.is_error() { "error" } else { "warning" };
            out.push_str(&format!("{kind}[{code}]: … and {} more like these ({MAX_SAME_CODE} shown)\n", thousands((n - MAX_SAME_CODE) as u64)));
        }
    }
    eprint!("{out}");
}

/// How many diagnostics of one code `print_diags` renders before it summarises the rest.
const MAX_SAME_CODE: usize = 20;

/// `n` with thousands separators: `26,627`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn report_failure(f: &Failure) {
    match f {
        Failure::Program(ds) => {
            print_diags(ds);
            let n = ds.iter().filter(|d| d.diag.is_error()).count();
            eprintln!("error: {n} error(s) found");
        }
        Failure::Run(d) => print_diags(std::slice::from_ref(d)),
        Failure::Data(e) => eprintln!("error[strat::data::invalid]: {e}"),
        Failure::Io(p, e) => eprintln!("error[strat::io]: cannot read {}: {e}", p.display()),
    }
}

fn compile(file: &Path, backend: Backend) -> Result<Strategy, i32> {
    match engine().with_backend(backend).compile_file(file) {
        Ok(s) => {
            print_diags(&s.warnings);
            Ok(s)
        }
        Err(f) => {
            report_failure(&f);
            Err(1)
        }
    }
}

/// Compiles `file` for the chosen backend and loads its data; on failure, reports it and returns
/// the exit code.
fn compile_and_load(file: &Path, reference: bool) -> Result<(Strategy, strat::Frame), i32> {
    let backend = if reference { Backend::Reference } else { Backend::Jit };
    let strategy = compile(file, backend)?;
    match strategy.load_data() {
        Ok(f) => Ok((strategy, f)),
        Err(f) => {
            report_failure(&f);
            Err(1)
        }
    }
}

fn params_from(strategy: &Strategy, set: &[String]) -> Result<Params, String> {
    let mut p = strategy.params();
    for s in set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(format!("--set expects NAME=VALUE, got `{s}`"));
        };
        p.set(k.trim(), v)?;
    }
    Ok(p)
}

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let _ = LIMITS.set(cli.limits.limits());
    match cli.command {
        Command::Run { file, json, out, weights_out, force, set, reference } => {
            let backend = if reference { Backend::Reference } else { Backend::Jit };
            let strategy = match compile(&file, backend) {
                Ok(s) => s,
                Err(c) => return c,
            };
            for o in out.iter().chain(weights_out.iter()) {
                if o.exists() && !force {
                    eprintln!("error[strat::io::exists]: {} already exists; pass --force to overwrite it", o.display());
                    return 1;
                }
            }
            if weights_out.is_some() && strategy.compiled.hir.weights.is_empty() {
                eprintln!("error[strat::cli::no_weights]: --weights-out: {} declares no `weights`", file.display());
                return 2;
            }
            let params = match params_from(&strategy, &set) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error[strat::param::set]: {e}");
                    return 1;
                }
            };
            for w in strategy.binding_warnings(&params) {
                eprintln!("warning[strat::param::binding]: {w}");
            }
            let frame = match strategy.load_data() {
                Ok(f) => f,
                Err(f) => {
                    report_failure(&f);
                    return 1;
                }
            };
            let result = match strategy.run(&frame, &params) {
                Ok(r) => r,
                Err(f) => {
                    report_failure(&f);
                    return 1;
                }
            };
            if let Some(o) = &out {
                if let Err(e) = write_daily(o, &frame, &result, &held_assets(&strategy)) {
                    eprintln!("error[strat::io::write]: cannot write {}: {e}", o.display());
                    return 1;
                }
            }
            if let Some(o) = &weights_out {
                let (text, nums) = strat::output::weights_rows(&frame, &result);
                if let Err(e) = strat_runtime::write::write_table(o, &text, &nums) {
                    eprintln!("error[strat::io::write]: cannot write {}: {e}", o.display());
                    return 1;
                }
            }
            for w in strat::output::weights_warnings(&frame, &result) {
                eprintln!("{w}");
            }
            print_diags(&strategy.nan_condition_warnings(&frame, &params));
            let text = if json {
                format!("{}\n", to_json(strategy.name(), &frame, &result))
            } else {
                to_table(strategy.name(), &frame, &result)
            };
            let _ = std::io::stdout().write_all(text.as_bytes());
            0
        }
        Command::Check { file, plan, clif } => {
            let strategy = match compile(&file, Backend::Jit) {
                Ok(s) => s,
                Err(c) => return c,
            };
            if plan {
                outp!("{}", strategy.compiled.plan_text());
            }
            if clif {
                outp!("{}", strategy.compiled.kernels.clif());
            }
            let h = &strategy.compiled.hir;
            out!(
                "ok: strategy {} ({} param(s), {} let(s), {} regime(s), {} weights, {} report(s); {} JIT kernel(s); grid of {} binding(s))",
                h.name,
                h.params.len(),
                h.lets.len(),
                h.regimes.len(),
                h.weights.len(),
                h.reports.len(),
                strategy.compiled.kernels.kernel_count(),
                strategy.grid_size().describe()
            );
            0
        }
        Command::Bench { file, iterations, json, set } => bench(&file, iterations.max(1), json, &set),
        Command::Repl { file } => strat::repl::run(file),
        Command::WalkForward { file, train, test, anchored, by, json, reference } => walk_forward(&file, &train, &test, anchored, &by, json, reference),
        Command::Sweep { file, out, force, top, by, heatmap, heatmap_svg, json, reference, quiet } => {
            sweep(&file, out.as_deref(), force, top, &by, &heatmap, heatmap_svg.as_deref(), json, reference, quiet)
        }
    }
}

fn write_daily(path: &Path, frame: &strat::Frame, r: &strat::RunResult, assets: &[String]) -> std::io::Result<()> {
    let (dates, cols) = daily_columns(frame, r, assets);
    let cols: Vec<(&str, &[f64])> = cols.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    strat_runtime::write::write_csv(path, &dates, &cols).map_err(|e| std::io::Error::other(e.to_string()))
}

fn held_assets(strategy: &Strategy) -> Vec<String> {
    let hir = &strategy.compiled.hir;
    match &hir.book {
        strat_compiler::hir::Book::Hold(h) => match &h.target {
            strat_compiler::hir::Holding::Universe(u) => hir.universes[*u].assets.clone(),
            _ => vec![],
        },
        strat_compiler::hir::Book::Ensemble(_) => hir.sleeves.iter().map(|s| s.name.clone()).collect(),
        strat_compiler::hir::Book::SleeveWeights(k) => hir.weights[*k].member_names.clone(),
    }
}

#[allow(clippy::too_many_arguments)]
fn sweep(file: &Path, out: Option<&Path>, force: bool, top: usize, by: &str, heatmaps: &[String], svg: Option<&Path>, json: bool, reference: bool, quiet: bool) -> i32 {
    use strat::sweep_output as so;
    let names = so::metric_names();
    for m in std::iter::once(&by.to_string()).chain(heatmaps.iter()) {
        if !names.contains(&m.as_str()) {
            eprintln!("error[strat::cli::metric]: unknown metric `{m}`; one of: {}", names.join(", "));
            return 2;
        }
    }
    if let Some(o) = out {
        let ext = o.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "csv" && ext != "json" && ext != "parquet" {
            eprintln!("error[strat::cli::out]: --out takes a .csv, .parquet or .json file, got {}", o.display());
            return 2;
        }
        if o.exists() && !force {
            eprintln!("error[strat::io::exists]: {} already exists; pass --force to overwrite it", o.display());
            return 1;
        }
    }
    let (strategy, frame) = match compile_and_load(file, reference) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::Sweep) {
        report_failure(&f);
        return 1;
    }
    let grid = strategy.grid();
    let params = strategy.params();
    let t = Instant::now();
    let bar = if quiet || json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new(grid.bindings.len() as u64)
    };
    let rows = match strategy.sweep(&frame, &grid, &|| bar.inc(1)) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    bar.finish_and_clear();
    let elapsed = t.elapsed().as_secs_f64();
    let report_names: Vec<String> = strategy.compiled.hir.reports.iter().map(|r| r.name.clone()).collect();
    if let Some(o) = out {
        let res = if o.extension().is_some_and(|e| e == "json") {
            std::fs::write(o, format!("{}\n", so::to_json_string(strategy.name(), &rows, &params, &grid, &report_names))).map_err(|e| e.to_string())
        } else {
            let (text, nums) = so::to_columns(&rows, &params, &grid, &report_names);
            strat_runtime::write::write_table(o, &text, &nums).map_err(|e| e.to_string())
        };
        if let Err(e) = res {
            eprintln!("error[strat::io::write]: cannot write {}: {e}", o.display());
            return 1;
        }
    }
    if let Some(prefix) = svg {
        for m in heatmaps {
            let path = PathBuf::from(format!("{}_{m}.svg", prefix.display()));
            if path.exists() && !force {
                eprintln!("error[strat::io::exists]: {} already exists; pass --force to overwrite it", path.display());
                return 1;
            }
            if so::heatmap_axes(&params, &grid).is_none() {
                eprintln!("note: --heatmap-svg needs two swept numeric params; no SVG written");
                break;
            }
            if let Err(e) = so::heatmap_svg(&path, &rows, &params, &grid, m, strategy.name()) {
                eprintln!("error[strat::io::write]: cannot write {}: {e}", path.display());
                return 1;
            }
        }
    }
    let all_failed = !rows.is_empty() && rows.iter().all(|r| r.result.is_err());
    if json {
        out!("{}", so::to_json_string(strategy.name(), &rows, &params, &grid, &report_names));
        return if all_failed { 1 } else { 0 };
    }
    let bars = rows.iter().find_map(|r| r.result.as_ref().ok().map(|s| s.bars)).unwrap_or(0);
    out!("{}: {} bindings x {} bars in {:.3} s (one compilation, {} threads)\n", strategy.name(), rows.len(), bars, elapsed, rayon::current_num_threads());
    outp!("{}", so::top_table(&rows, &params, &grid, by, top));
    outp!("{}", so::weights_table(&rows, &params, &grid, by, top, &frame.dates));
    for m in heatmaps {
        match so::heatmap(&rows, &params, &grid, m) {
            Some(h) => outp!("\n{h}"),
            None => eprintln!("note: --heatmap needs two swept numeric params"),
        }
    }
    if all_failed {
        eprintln!("error[strat::run::failed]: every binding failed");
        return 1;
    }
    0
}

fn bench(file: &Path, iterations: usize, json: bool, set: &[String]) -> i32 {
    let src = match std::fs::read_to_string(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error[strat::io]: cannot read {}: {e}", file.display());
            return 1;
        }
    };
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let t = Instant::now();
    let mut compiled = None;
    let compile_reps = 20;
    for _ in 0..compile_reps {
        match engine().compile_source(&file.display().to_string(), "bench", src.clone(), &base) {
            Ok(s) => compiled = Some(s),
            Err(f) => {
                report_failure(&f);
                return 1;
            }
        }
    }
    let compile_s = t.elapsed().as_secs_f64() / compile_reps as f64;
    let Some(strategy) = compiled else { return 1 };
    let t = Instant::now();
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let load_s = t.elapsed().as_secs_f64();
    let params = match params_from(&strategy, set) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error[strat::param::set]: {e}");
            return 1;
        }
    };
    let time = |backend: Backend| -> Result<f64, Failure> {
        let t = Instant::now();
        for _ in 0..iterations {
            strategy.run_with(&frame, &params, backend)?;
        }
        Ok(t.elapsed().as_secs_f64() / iterations as f64)
    };
    let (jit_s, ref_s) = match (time(Backend::Jit), time(Backend::Reference)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(f), _) | (_, Err(f)) => {
            report_failure(&f);
            return 1;
        }
    };
    if json {
        out!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "bars": frame.len(), "compile_s": compile_s, "load_s": load_s,
                "run_jit_s": jit_s, "run_reference_s": ref_s, "iterations": iterations})
        );
    } else {
        out!("{}: {} bars", file.display(), frame.len());
        out!("compile (parse, check, plan, Cranelift) {:>10.3} ms  (mean of {compile_reps})", compile_s * 1e3);
        out!("load data (CSV via polars, align)      {:>10.3} ms", load_s * 1e3);
        out!("run + backtest, JIT                    {:>10.3} ms  (mean of {iterations})", jit_s * 1e3);
        out!("run + backtest, reference evaluator    {:>10.3} ms  (mean of {iterations})", ref_s * 1e3);
    }
    0
}

fn years(text: &str, flag: &str) -> Result<i32, String> {
    text.strip_suffix('y')
        .and_then(|n| n.parse::<i32>().ok())
        .filter(|n| *n >= 1)
        .ok_or_else(|| format!("{flag} takes a number of calendar years such as 5y, got `{text}`"))
}

fn walk_forward(file: &Path, train: &str, test: &str, anchored: bool, by: &str, json: bool, reference: bool) -> i32 {
    let (train_years, test_years) = match (years(train, "--train"), years(test, "--test")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error[strat::cli::duration]: {e}");
            return 2;
        }
    };
    let (strategy, frame) = match compile_and_load(file, reference) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let spec = strat_runtime::walk_forward::WalkForwardSpec { train_years, test_years, anchored, periods_per_year: strategy.compiled.hir.annualize };
    let t = Instant::now();
    let (grid, wf) = match strategy.walk_forward(&frame, by, spec, &|| {}) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let elapsed = t.elapsed().as_secs_f64();
    let params = strategy.params();
    let text = |i: usize| strat::sweep_output::binding_text(&params, &grid, i);
    let (start, end) = match (wf.rows.first(), wf.rows.last()) {
        (Some(&a), Some(&b)) => (strat_runtime::frame::format_date(frame.dates[a]), strat_runtime::frame::format_date(frame.dates[b])),
        _ => (String::new(), String::new()),
    };
    if json {
        let folds: Vec<serde_json::Value> = wf
            .folds
            .iter()
            .map(|f| {
                let p = strat::sweep_output::params_json(&params, &grid, &grid.bindings[f.chosen]);
                serde_json::json!({"train": [f.train.0, f.train.1], "test": [f.test.0, f.test.1], "binding": f.chosen, "params": p,
                    "in_sample": strat::output::num(f.in_sample), "out_of_sample": strat::output::num(f.out_of_sample), "bars": f.bars})
            })
            .collect();
        let mut m = serde_json::Map::new();
        for (k, v) in strat::output::METRIC_NAMES.iter().zip(strat::output::metric_values(&wf.metrics)) {
            m.insert(k.to_string(), strat::output::num(v));
        }
        out!(
            "{}",
            serde_json::json!({"strategy": strategy.name(), "by": by, "train_years": train_years, "test_years": test_years, "anchored": anchored,
                "bindings": grid.bindings.len(), "bars": wf.returns.len(), "start": start, "end": end, "folds": folds,
                "out_of_sample": serde_json::Value::Object(m), "in_sample_mean": strat::output::num(wf.in_sample_mean),
                "out_of_sample_mean": strat::output::num(wf.out_of_sample_mean),
                "degradation": strat::output::num(wf.out_of_sample_mean - wf.in_sample_mean),
                "deflated_sharpe": strat::output::num(wf.deflated_sharpe), "trials": wf.trials,
                "skipped": wf.skipped.iter().map(|(a, b)| serde_json::json!([a, b])).collect::<Vec<_>>()})
        );
        return 0;
    }
    out!(
        "{}: walk-forward {}, train {train_years}y, test {test_years}y, by {by}; {} bindings in {:.3} s\n",
        strategy.name(),
        if anchored { "anchored" } else { "rolling" },
        grid.bindings.len(),
        elapsed
    );
    out!("{:<11} {:<11} {:>10} {:>10} {:>6}  chosen binding", "train", "test", "in-sample", "out", "bars");
    for f in &wf.folds {
        let test = if f.test.0 == f.test.1 { format!("{}", f.test.0) } else { format!("{}-{}", f.test.0, f.test.1) };
        out!("{:<11} {:<11} {:>10} {:>10} {:>6}  #{} {}", format!("{}-{}", f.train.0, f.train.1), test, strat::output::fmt_num(f.in_sample), strat::output::fmt_num(f.out_of_sample), f.bars, f.chosen, text(f.chosen));
    }
    for (lo, hi) in &wf.skipped {
        out!("{lo}-{hi}: skipped (no binding has a {by} over its training years)");
    }
    out!("\nout of sample, stitched: {} bars, {start} .. {end}", wf.returns.len());
    for (k, v) in strat::output::METRIC_NAMES.iter().zip(strat::output::metric_values(&wf.metrics)) {
        out!("{:<18} {:>12}", k, strat::output::fmt_num(v));
    }
    out!(
        "\n{by}: in-sample mean {}, out-of-sample mean {}, degradation {}",
        strat::output::fmt_num(wf.in_sample_mean),
        strat::output::fmt_num(wf.out_of_sample_mean),
        strat::output::fmt_signed(wf.out_of_sample_mean - wf.in_sample_mean)
    );
    out!("deflated Sharpe ratio (Bailey & Lopez de Prado 2014, {} trials): {}", wf.trials, strat::output::fmt_num(wf.deflated_sharpe));
    0
}
