//! Command-line interface (clap): `strat run`, `strat check`, `strat sweep`,
//! `strat walk-forward`, `strat bench`, `strat repl`.
//!
//! Exit codes: 0 success; 1 a program, data or run error (diagnostics on stderr); 2 bad usage.
//! Every output file is checked before anything is computed: two outputs naming one file, or an
//! output naming an input, is refused (spec/studies.md, "Output files").

mod output;
mod repl;
mod sweep_output;

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
use output::{daily_columns, to_json, to_table};
use strat::{Backend, Engine, Failure, Params, SourceDiag, Strategy};
use strat_runtime::walk_forward::PeriodUnit;

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
        /// Write the daily date, weight, return and equity to FILE.csv, FILE.parquet or FILE.json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Write the weights of every `weights` declaration at each rebalance (date, weights,
        /// asset, source, target, held, turnover) to FILE.csv, FILE.parquet or FILE.json.
        #[arg(long, value_name = "FILE")]
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
    /// the next years (or months), and report the stitched out-of-sample results.
    WalkForward {
        /// The .strat file.
        file: PathBuf,
        /// Training window in calendar years or months, e.g. 5y or 60m.
        #[arg(long, default_value = "5y")]
        train: String,
        /// Test window in calendar years or months, e.g. 1y or 6m (with months in either, both count in months).
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
        /// Write the stitched out-of-sample days (date, binding, return, equity) to FILE.csv,
        /// FILE.parquet or FILE.json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Overwrite the --out file if it exists.
        #[arg(long)]
        force: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
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

/// The miette handler for stderr: unicode, without colour when `NO_COLOR` is set or stderr is
/// not a terminal.
fn handler() -> miette::GraphicalReportHandler {
    miette::GraphicalReportHandler::new_themed(if std::env::var_os("NO_COLOR").is_some() || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        miette::GraphicalTheme::unicode_nocolor()
    } else {
        miette::GraphicalTheme::unicode()
    })
}

fn print_diags(diags: &[SourceDiag]) {
    let handler = handler();
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
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prints a diagnostic of the command line (no source span) through miette: its code, message
/// and help line.
fn print_cli(severity: miette::Severity, code: &'static str, message: String, help: String) {
    let d = miette::MietteDiagnostic::new(message).with_code(code).with_help(help).with_severity(severity);
    let mut out = String::new();
    let _ = handler().render_report(&mut out, &d);
    eprintln!("{out}");
}

/// Prints a command-line error with its code and help line; returns the exit code `exit`.
fn fail(exit: i32, code: &'static str, message: impl Into<String>, help: impl Into<String>) -> i32 {
    print_cli(miette::Severity::Error, code, message.into(), help.into());
    exit
}

/// Prints a command-line warning with its code and help line.
fn warn(code: &'static str, message: impl Into<String>, help: impl Into<String>) {
    print_cli(miette::Severity::Warning, code, message.into(), help.into());
}

/// A file a command will write: the flag that names it (`--out`, `--heatmap-svg`, ...) and its
/// path as given.
struct Planned {
    flag: String,
    path: PathBuf,
}

/// `p` made absolute (against the working folder) with its parent folder canonicalised when it
/// exists (symlinks, `.` and `..` resolved), else with `.` and `..` resolved lexically. Two
/// spellings of one file (`./x` and `x`, `d/../x`, a symlinked folder) give the same path.
fn normalised(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    let lexical = |q: &Path| -> PathBuf {
        let mut out = PathBuf::new();
        for c in q.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    };
    if let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) {
        if let Ok(dir) = parent.canonicalize() {
            return dir.join(name);
        }
    }
    lexical(&abs)
}

/// Whether `a` and `b` name one file: the same [`normalised`] path, or (on Unix) the same device
/// and inode when both exist (hard links).
fn same_file(a: &Path, b: &Path) -> bool {
    if normalised(a) == normalised(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Refuses two outputs naming one file (`strat::cli::same_output`, exit 2) and an output naming
/// an input (`strat::cli::output_is_input`, exit 2; `--force` does not lift it).
fn check_outputs(outs: &[Planned], inputs: &[(&str, PathBuf)]) -> Result<(), i32> {
    for (i, a) in outs.iter().enumerate() {
        for b in &outs[..i] {
            if same_file(&a.path, &b.path) {
                return Err(fail(
                    2,
                    "strat::cli::same_output",
                    format!("{} {} and {} {} name the same file; the second would replace the first", b.flag, b.path.display(), a.flag, a.path.display()),
                    "give each output its own file name",
                ));
            }
        }
        for (what, input) in inputs {
            if same_file(&a.path, input) {
                return Err(fail(
                    2,
                    "strat::cli::output_is_input",
                    format!("{} {} is {what} {}; writing it would destroy an input", a.flag, a.path.display(), input.display()),
                    "write the output to another file (--force never overwrites an input)",
                ));
            }
        }
    }
    Ok(())
}

/// Refuses an output file that exists unless `force` (`strat::io::exists`, exit 1).
fn check_exists(outs: &[Planned], force: bool) -> Result<(), i32> {
    for o in outs {
        if !force && o.path.exists() {
            return Err(fail(1, "strat::io::exists", format!("{} already exists", o.path.display()), "pass --force to overwrite it, or choose another file"));
        }
    }
    Ok(())
}

/// Checks the planned outputs against each other and the program file, compiles the program,
/// then checks them against its data files and for existing files; all before any data is read
/// or anything is written. Returns the exit code of the first failure.
fn compile_for_outputs(file: &Path, outs: &[Planned], force: bool, reference: bool) -> Result<Strategy, i32> {
    check_outputs(outs, &[("the program", file.to_path_buf())])?;
    let backend = if reference { Backend::Reference } else { Backend::Jit };
    let strategy = compile(file, backend)?;
    check_outputs(outs, &inputs_of(file, &strategy)).and_then(|_| check_exists(outs, force))?;
    Ok(strategy)
}

/// The `--out` file of `sweep` / `walk-forward` as the first planned output, with its format
/// (`strat::cli::out`, exit 2, for an extension other than csv, parquet or json).
fn planned_out(out: Option<&Path>) -> Result<(Vec<Planned>, Option<strat_runtime::write::Format>), i32> {
    match out {
        Some(o) => Ok((vec![Planned { flag: "--out".into(), path: o.to_path_buf() }], Some(output_format("--out", o)?))),
        None => Ok((vec![], None)),
    }
}

/// The files a program reads: the `.strat` file and every data and universe file.
fn inputs_of<'a>(file: &'a Path, strategy: &Strategy) -> Vec<(&'a str, PathBuf)> {
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let program = strategy.program();
    let mut v = vec![("the program", file.to_path_buf())];
    v.extend(program.data.iter().map(|d| ("the data file", base.join(&d.path))));
    v.extend(program.universes.iter().map(|u| ("the universe file", base.join(&u.path))));
    v
}

/// Refuses an output format other than `.csv`, `.parquet` or `.json` (`strat::cli::out`, exit 2).
fn output_format(flag: &str, path: &Path) -> Result<strat_runtime::write::Format, i32> {
    strat_runtime::write::Format::of(path).ok_or_else(|| {
        fail(
            2,
            "strat::cli::out",
            format!("{flag} takes a .csv, .parquet or .json file, got {}", path.display()),
            "name the file FILE.csv, FILE.parquet or FILE.json",
        )
    })
}

/// Bytes per written cell in the output size estimate (a float or date with its separator).
const BYTES_PER_CELL: u64 = 24;

/// Refuses an output whose estimated size (`rows * columns * 24` bytes, plus `extra`) exceeds
/// `--max-output-bytes` (`strat::limits::output`, exit 1).
fn check_output_size(o: &Planned, rows: usize, columns: usize, extra: u64) -> Result<(), i32> {
    let limit = limits().max_output_bytes;
    let estimate = (rows as u64).saturating_mul(columns as u64).saturating_mul(BYTES_PER_CELL).saturating_add(extra);
    if estimate > limit {
        return Err(fail(
            1,
            "strat::limits::output",
            format!(
                "{} {} would be about {} ({rows} rows x {columns} columns), over the output limit of {}",
                o.flag,
                o.path.display(),
                strat::limits::format_bytes(estimate),
                strat::limits::format_bytes(limit)
            ),
            "raise the limit with --max-output-bytes SIZE (e.g. --max-output-bytes 8GiB), or write fewer rows",
        ));
    }
    Ok(())
}

/// A table of text columns (a `date` column as dates) and float columns, as typed columns.
fn typed(text: Vec<(String, Vec<String>)>, nums: Vec<(String, Vec<f64>)>) -> Vec<(String, strat_runtime::write::Col)> {
    use strat_runtime::write::Col;
    let mut cols = vec![];
    for (name, v) in text {
        let dates: Option<Vec<i32>> = if name == "date" { v.iter().map(|d| strat_runtime::frame::parse_date(d)).collect() } else { None };
        cols.push((name, dates.map(Col::Date).unwrap_or(Col::Text(v))));
    }
    cols.extend(nums.into_iter().map(|(n, v)| (n, Col::Float(v))));
    cols
}

/// Writes typed columns to `o` in `format`; reports a failure (`strat::io::write`, exit 1).
fn write_output(o: &Planned, format: strat_runtime::write::Format, cols: &[(String, strat_runtime::write::Col)]) -> Result<(), i32> {
    strat_runtime::write::write_columns(&o.path, format, cols)
        .map_err(|e| fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable"))
}

fn report_failure(f: &Failure) {
    match f {
        Failure::Program(ds) => {
            print_diags(ds);
            let n = ds.iter().filter(|d| d.diag.is_error()).count();
            eprintln!("error: {n} error(s) found");
        }
        Failure::Run(d) => print_diags(std::slice::from_ref(d)),
        Failure::Data(e) => eprintln!("error[{}]: {e}", e.code),
        Failure::Io(p, e) => eprintln!("error[strat::io]: cannot read {}: {e}", p.display()),
    }
}

fn compile(file: &Path, backend: Backend) -> Result<Strategy, i32> {
    match engine().with_backend(backend).compile_file(file) {
        Ok(s) => {
            print_diags(s.warnings());
            Ok(s)
        }
        Err(f) => {
            report_failure(&f);
            Err(1)
        }
    }
}

/// The default params with each `--set NAME=VALUE` applied. Errors: a name set twice
/// (`strat::cli::set_twice`, exit 2), or a bad `--set` (`strat::param::set`, exit 1). A value
/// outside the param's declared domain is accepted with a warning (`strat::param::domain`).
fn params_from(strategy: &Strategy, set: &[String]) -> Result<Params, i32> {
    let mut p = strategy.params();
    let mut seen: Vec<(&str, &str)> = vec![];
    for s in set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(fail(1, "strat::param::set", format!("--set expects NAME=VALUE, got `{s}`"), "write e.g. --set spike_z=3"));
        };
        let k = k.trim();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == k) {
            return Err(fail(
                2,
                "strat::cli::set_twice",
                format!("--set {k} is given twice (`{k}={}` and `{k}={}`)", first.trim(), v.trim()),
                "give each param one --set",
            ));
        }
        seen.push((k, v));
        if let Err(e) = p.set(k, v) {
            return Err(fail(1, "strat::param::set", e, "see the param's declaration in the program"));
        }
        if let Some(i) = p.names.iter().position(|n| n == k) {
            if let Some((domain, values)) = declared_domain(strategy, i) {
                let x = p.values[i];
                let on_grid = values.iter().any(|&d| (d - x).abs() <= 1e-9 * d.abs().max(1.0));
                if !on_grid {
                    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &d| (a.min(d), b.max(d)));
                    let short = |x: f64| if format!("{x}").len() > 12 { format!("{x:e}") } else { format!("{x}") };
                    let place = if x < lo || x > hi { format!("outside {} ..= {}", short(lo), short(hi)) } else { "between its values".to_string() };
                    warn(
                        "strat::param::domain",
                        format!("--set {k}={}: the value is not in the declared domain of `{k}` ({domain}: {} value(s), {place})", v.trim(), values.len()),
                        "the run goes ahead; a sweep never takes this value",
                    );
                }
            }
        }
    }
    Ok(p)
}

/// The declared domain of swept numeric param `i`, as written in the program (`0.1 ..= 1.0 step
/// 0.1`, `[10, 20, 50]`), and its values; `None` for a fixed or choice param.
fn declared_domain(strategy: &Strategy, i: usize) -> Option<(String, Vec<f64>)> {
    let decl = strategy.program().params.get(i)?;
    let strat_compiler::program::ParamDomain::Values(values) = &decl.domain else { return None };
    let text = strategy.source().get(decl.span.start as usize..decl.span.end as usize).unwrap_or("");
    let after_in = text.split_once(" in ").map(|x| x.1).unwrap_or(text);
    let domain = after_in.split(" when ").next().unwrap_or(after_in).trim();
    Some((format!("`{domain}`"), values.clone()))
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
        Command::Run { file, json, out, weights_out, force, set, reference } => run(&file, json, out, weights_out, force, &set, reference),
        Command::Check { file, plan, clif } => {
            let strategy = match compile(&file, Backend::Jit) {
                Ok(s) => s,
                Err(c) => return c,
            };
            if plan {
                outp!("{}", strategy.compiled().plan_text());
            }
            if clif {
                outp!("{}", strategy.compiled().kernels.clif());
            }
            let h = strategy.program();
            out!(
                "ok: strategy {} ({} param(s), {} let(s), {} regime(s), {} weights, {} report(s); {} JIT kernel(s); grid of {} binding(s))",
                h.name,
                h.params.len(),
                strategy.compiled().lowered.lets.len(),
                h.regimes.len(),
                h.weights.len(),
                h.reports.len(),
                strategy.compiled().kernels.kernel_count(),
                strategy.grid_size().describe()
            );
            0
        }
        Command::Bench { file, iterations, json, set } => bench(&file, iterations.max(1), json, &set),
        Command::Repl { file } => repl::run(file),
        Command::WalkForward { file, train, test, anchored, by, json, reference, out, force, quiet } => {
            walk_forward(&file, &train, &test, anchored, &by, json, reference, out.as_deref(), force, quiet)
        }
        Command::Sweep { file, out, force, top, by, heatmap, heatmap_svg, json, reference, quiet } => {
            sweep(&file, out.as_deref(), force, top, &by, &heatmap, heatmap_svg.as_deref(), json, reference, quiet)
        }
    }
}

/// `strat run`: checks the outputs, compiles, loads, runs, writes the outputs, prints the table
/// or JSON; returns the exit code.
fn run(file: &Path, json: bool, out: Option<PathBuf>, weights_out: Option<PathBuf>, force: bool, set: &[String], reference: bool) -> i32 {
    let mut outs = vec![];
    let mut formats = vec![];
    for (flag, o) in [("--out", &out), ("--weights-out", &weights_out)] {
        if let Some(o) = o {
            match output_format(flag, o) {
                Ok(f) => formats.push(f),
                Err(c) => return c,
            }
            outs.push(Planned { flag: flag.to_string(), path: o.clone() });
        }
    }
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if weights_out.is_some() && strategy.program().weights.is_empty() {
        return fail(
            2,
            "strat::cli::no_weights",
            format!("--weights-out: {} declares no `weights`", file.display()),
            "drop --weights-out, or declare `weights` in the program",
        );
    }
    let params = match params_from(&strategy, set) {
        Ok(p) => p,
        Err(c) => return c,
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
    let assets = held_assets(&strategy);
    let mut k = 0;
    if out.is_some() {
        // One row per bar at most; date, one weight per held asset, return, equity.
        if let Err(c) = check_output_size(&outs[0], frame.len(), assets.len().max(1) + 3, 0) {
            return c;
        }
        k = 1;
    }
    let result = match strategy.run(&frame, &params) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let weights_rows = weights_out.as_ref().map(|_| output::weights_rows(&frame, &result));
    if let Some((text, _)) = &weights_rows {
        if let Err(c) = check_output_size(&outs[k], text.first().map(|c| c.1.len()).unwrap_or(0), 7, 0) {
            return c;
        }
    }
    if out.is_some() {
        let (dates, cols) = daily_columns(&frame, &result, &assets);
        if let Err(c) = write_output(&outs[0], formats[0], &typed(vec![("date".into(), dates)], cols)) {
            return c;
        }
    }
    if let Some((text, nums)) = weights_rows {
        if let Err(c) = write_output(&outs[k], formats[k], &typed(text, nums)) {
            return c;
        }
    }
    for w in output::weights_warnings(&frame, &result) {
        eprintln!("{w}");
    }
    print_diags(&strategy.nan_condition_warnings(&frame, &params));
    let text = if json { format!("{}\n", to_json(strategy.name(), &frame, &result)) } else { to_table(strategy.name(), &frame, &result) };
    let _ = std::io::stdout().write_all(text.as_bytes());
    0
}

fn held_assets(strategy: &Strategy) -> Vec<String> {
    strategy.held_assets()
}

/// A progress bar of `n()` bindings with the elapsed time and an ETA on stderr; hidden with
/// `quiet`, with `--json`, or when stderr is not a terminal.
fn progress_bar(n: impl FnOnce() -> usize, quiet: bool, json: bool) -> indicatif::ProgressBar {
    if quiet || json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(n() as u64);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} bindings, {elapsed} elapsed, ETA {eta}") {
        bar.set_style(style);
    }
    bar
}

/// The metric `--by` or `--heatmap` names (a metric or a column name of the top table), or the
/// `strat::cli::metric` error (exit 2) with a did-you-mean.
fn metric_arg(flag: &str, name: &str) -> Result<&'static str, i32> {
    use sweep_output as so;
    so::canonical_metric(name).ok_or_else(|| {
        let help = match so::suggest_metric(name) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("write one of: {}, or a column name of the table: max_dd, turnover", so::metric_names().join(", ")),
        };
        fail(2, "strat::cli::metric", format!("{flag}: unknown metric `{name}`; one of: {}", so::metric_names().join(", ")), help)
    })
}

#[allow(clippy::too_many_arguments)]
fn sweep(
    file: &Path,
    out: Option<&Path>,
    force: bool,
    top: usize,
    by: &str,
    heatmaps: &[String],
    svg: Option<&Path>,
    json: bool,
    reference: bool,
    quiet: bool,
) -> i32 {
    use sweep_output as so;
    let by = match metric_arg("--by", by) {
        Ok(m) => m,
        Err(c) => return c,
    };
    let mut maps: Vec<&'static str> = vec![];
    for m in heatmaps {
        match metric_arg("--heatmap", m) {
            Ok(m) => maps.push(m),
            Err(c) => return c,
        }
    }
    let (mut outs, format) = match planned_out(out) {
        Ok(x) => x,
        Err(c) => return c,
    };
    if let Some(prefix) = svg {
        for m in &maps {
            outs.push(Planned { flag: format!("--heatmap-svg ({m})"), path: PathBuf::from(format!("{}_{m}.svg", prefix.display())) });
        }
    }
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    // The estimate comes before the grid is built: a grid too large for memory is never
    // materialised.
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::Sweep) {
        report_failure(&f);
        return 1;
    }
    let grid = strategy.grid();
    let params = strategy.params();
    if svg.is_some() && !maps.is_empty() && so::heatmap_axes(&params, &grid).is_none() {
        return fail(
            1,
            "strat::io::write",
            "--heatmap-svg: a heatmap needs two swept numeric params; no SVG written",
            "sweep two numeric params (`param x in ...`), or drop --heatmap-svg",
        );
    }
    let report_names: Vec<String> = strategy.program().reports.iter().map(|r| r.name.clone()).collect();
    if let (Some(o), Some(f)) = (outs.first().filter(|_| out.is_some()), format) {
        let n_weights = strategy.program().weights.len();
        let columns = grid.names.len() + 2 + output::METRIC_NAMES.len() + 2 + report_names.len() + 3 * n_weights;
        // JSON repeats the keys in every row.
        let columns = if f == strat_runtime::write::Format::Json { columns * 2 } else { columns };
        if let Err(c) = check_output_size(o, grid.bindings.len(), columns, 0) {
            return c;
        }
    }
    for o in outs.iter().skip(usize::from(out.is_some())) {
        // An SVG cell is a rectangle and a label (~256 bytes), plus the frame.
        if let Err(c) = check_output_size(o, grid.bindings.len(), 1, 4096 + 256 * grid.bindings.len() as u64) {
            return c;
        }
    }
    let t = Instant::now();
    let bar = progress_bar(|| grid.bindings.len(), quiet, json);
    let rows = match strategy.sweep(&frame, &grid, &|| bar.inc(1)) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    bar.finish_and_clear();
    let elapsed = t.elapsed().as_secs_f64();
    if let (Some(o), Some(f)) = (out, format) {
        let planned = &outs[0];
        let res = if f == strat_runtime::write::Format::Json {
            std::fs::write(o, format!("{}\n", so::to_json_string(strategy.name(), &rows, &params, &grid, &report_names)))
                .map_err(|e| fail(1, "strat::io::write", format!("cannot write {}: {e}", o.display()), "check that the folder exists and is writable"))
        } else {
            write_output(planned, f, &so::to_columns(&rows, &params, &grid, &report_names))
        };
        if let Err(c) = res {
            return c;
        }
    }
    if let Some(prefix) = svg {
        for m in &maps {
            let path = PathBuf::from(format!("{}_{m}.svg", prefix.display()));
            if let Err(e) = so::heatmap_svg(&path, &rows, &params, &grid, m, by, strategy.name()) {
                return fail(1, "strat::io::write", format!("cannot write {}: {e}", path.display()), "check that the folder exists and is writable");
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
    for m in &maps {
        match so::heatmap(&rows, &params, &grid, m, by) {
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
        Err(c) => return c,
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

/// A walk-forward window: a whole number `N >= 1` of calendar years (`5y`) or months (`60m`).
fn duration(text: &str, flag: &str) -> Result<(i32, PeriodUnit), i32> {
    let t = text.trim();
    let parsed = [("y", PeriodUnit::Years), ("m", PeriodUnit::Months)]
        .into_iter()
        .find_map(|(suffix, unit)| t.strip_suffix(suffix).and_then(|n| n.parse::<i32>().ok()).filter(|n| (1..=100_000).contains(n)).map(|n| (n, unit)));
    parsed.ok_or_else(|| {
        fail(
            2,
            "strat::cli::duration",
            format!("{flag} takes a number of calendar years or months such as 5y or 60m, got `{text}`"),
            "write Ny (years) or Nm (months) with N >= 1",
        )
    })
}

#[allow(clippy::too_many_arguments)]
fn walk_forward(
    file: &Path,
    train: &str,
    test: &str,
    anchored: bool,
    by: &str,
    json: bool,
    reference: bool,
    out: Option<&Path>,
    force: bool,
    quiet: bool,
) -> i32 {
    let ((train_n, train_unit), (test_n, test_unit)) = match (duration(train, "--train"), duration(test, "--test")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    // Years on both sides count in years; months on either side count both in months.
    let (unit, train_n, test_n) = if train_unit == PeriodUnit::Years && test_unit == PeriodUnit::Years {
        (PeriodUnit::Years, train_n, test_n)
    } else {
        let months = |n: i32, u: PeriodUnit| if u == PeriodUnit::Years { n.saturating_mul(12) } else { n };
        (PeriodUnit::Months, months(train_n, train_unit), months(test_n, test_unit))
    };
    // The walk-forward ranks by the metric names; the table's `max_dd` is `max_drawdown`.
    let by = sweep_output::COLUMN_ALIASES.iter().find(|a| a.0 == by).map(|a| a.1).unwrap_or(by);
    let (outs, format) = match planned_out(out) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    if let Some(o) = outs.first() {
        if let Err(c) = check_output_size(o, frame.len(), 4, 0) {
            return c;
        }
    }
    let spec = strat_runtime::walk_forward::WalkForwardSpec { train: train_n, test: test_n, unit, anchored, periods_per_year: strategy.program().annualize };
    let t = Instant::now();
    // The memory estimate comes before the progress bar counts the grid's bindings.
    if let Err(f) = strategy.check_memory(&frame, strat_compiler::grid::Study::WalkForward) {
        report_failure(&f);
        return 1;
    }
    let bar = progress_bar(|| strategy.grid().bindings.len(), quiet, json);
    let (grid, wf) = match strategy.walk_forward(&frame, by, spec, &|| bar.inc(1)) {
        Ok(r) => r,
        Err(f) => {
            bar.finish_and_clear();
            report_failure(&f);
            return 1;
        }
    };
    bar.finish_and_clear();
    if let (Some(o), Some(f)) = (outs.first(), format) {
        use strat_runtime::write::Col;
        let cols = vec![
            ("date".to_string(), Col::Date(wf.rows.iter().map(|&t| frame.dates[t]).collect())),
            ("binding".to_string(), Col::Int(wf.bindings.iter().map(|&b| Some(b as i64)).collect())),
            ("return".to_string(), Col::Float(wf.returns.clone())),
            ("equity".to_string(), Col::Float(strat_stdlib::metrics::equity_curve(&wf.returns))),
        ];
        if let Err(c) = write_output(o, f, &cols) {
            return c;
        }
    }
    let elapsed = t.elapsed().as_secs_f64();
    let params = strategy.params();
    let text = |i: usize| sweep_output::binding_text(&params, &grid, i);
    let (start, end) = match (wf.rows.first(), wf.rows.last()) {
        (Some(&a), Some(&b)) => (strat_runtime::frame::format_date(frame.dates[a]), strat_runtime::frame::format_date(frame.dates[b])),
        _ => (String::new(), String::new()),
    };
    // A period in the JSON: the year as a number, a month as "YYYY-MM".
    let period = |p: i32| -> serde_json::Value {
        match unit {
            PeriodUnit::Years => serde_json::json!(p),
            PeriodUnit::Months => serde_json::json!(unit.label(p)),
        }
    };
    let (train_key, test_key) = match unit {
        PeriodUnit::Years => ("train_years", "test_years"),
        PeriodUnit::Months => ("train_months", "test_months"),
    };
    if json {
        let folds: Vec<serde_json::Value> = wf
            .folds
            .iter()
            .map(|f| {
                let p = sweep_output::params_json(&params, &grid, &grid.bindings[f.chosen]);
                serde_json::json!({"train": [period(f.train.0), period(f.train.1)], "test": [period(f.test.0), period(f.test.1)], "binding": f.chosen, "params": p,
                    "in_sample": output::num(f.in_sample), "out_of_sample": output::num(f.out_of_sample), "bars": f.bars})
            })
            .collect();
        let mut m = serde_json::Map::new();
        for (k, v) in output::METRIC_NAMES.iter().zip(output::metric_values(&wf.metrics)) {
            m.insert(k.to_string(), output::num(v));
        }
        let mut doc = serde_json::Map::new();
        doc.insert("strategy".into(), serde_json::json!(strategy.name()));
        doc.insert("by".into(), serde_json::json!(by));
        doc.insert(train_key.into(), serde_json::json!(train_n));
        doc.insert(test_key.into(), serde_json::json!(test_n));
        let rest = serde_json::json!({"anchored": anchored,
                "bindings": grid.bindings.len(), "bars": wf.returns.len(), "start": start, "end": end, "folds": folds,
                "out_of_sample": serde_json::Value::Object(m), "in_sample_mean": output::num(wf.in_sample_mean),
                "out_of_sample_mean": output::num(wf.out_of_sample_mean),
                "degradation": output::num(wf.out_of_sample_mean - wf.in_sample_mean),
                "deflated_sharpe": output::num(wf.deflated_sharpe), "trials": wf.trials,
                "skipped": wf.skipped.iter().map(|(a, b)| serde_json::json!([period(*a), period(*b)])).collect::<Vec<_>>()});
        if let serde_json::Value::Object(rest) = rest {
            doc.extend(rest);
        }
        out!("{}", serde_json::Value::Object(doc));
        return 0;
    }
    out!(
        "{}: walk-forward {}, train {train_n}{u}, test {test_n}{u}, by {by}; {} bindings in {:.3} s\n",
        strategy.name(),
        if anchored { "anchored" } else { "rolling" },
        grid.bindings.len(),
        elapsed,
        u = unit.suffix()
    );
    // Years print as `2001-2005`, months as `2001-02..2006-01`.
    let (sep, w) = match unit {
        PeriodUnit::Years => ("-", 11),
        PeriodUnit::Months => ("..", 17),
    };
    let span = |a: i32, b: i32| format!("{}{sep}{}", unit.label(a), unit.label(b));
    out!("{:<w$} {:<w$} {:>10} {:>10} {:>6}  chosen binding", "train", "test", "in-sample", "out", "bars");
    for f in &wf.folds {
        let test = if f.test.0 == f.test.1 { unit.label(f.test.0) } else { span(f.test.0, f.test.1) };
        out!(
            "{:<w$} {:<w$} {:>10} {:>10} {:>6}  #{} {}",
            span(f.train.0, f.train.1),
            test,
            output::fmt_num(f.in_sample),
            output::fmt_num(f.out_of_sample),
            f.bars,
            f.chosen,
            text(f.chosen)
        );
    }
    for (lo, hi) in &wf.skipped {
        out!("{}: skipped (no binding has a {by} over its training {}s)", span(*lo, *hi), unit.name());
    }
    out!("\nout of sample, stitched: {} bars, {start} .. {end}", wf.returns.len());
    for (k, v) in output::METRIC_NAMES.iter().zip(output::metric_values(&wf.metrics)) {
        out!("{:<18} {:>12}", k, output::fmt_num(v));
    }
    out!(
        "\n{by}: in-sample mean {}, out-of-sample mean {}, degradation {}",
        output::fmt_num(wf.in_sample_mean),
        output::fmt_num(wf.out_of_sample_mean),
        output::fmt_signed(wf.out_of_sample_mean - wf.in_sample_mean)
    );
    out!("deflated Sharpe ratio (Bailey & Lopez de Prado 2014, {} trials): {}", wf.trials, output::fmt_num(wf.deflated_sharpe));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spellings_of_one_path_are_one_file() {
        let dir = std::env::temp_dir().join(format!("strat-cli-paths-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let a = dir.join("x.csv");
        assert!(same_file(&a, &dir.join(".").join("x.csv")));
        assert!(same_file(&a, &dir.join("sub").join("..").join("x.csv")));
        assert!(!same_file(&a, &dir.join("sub").join("x.csv")));
        // A folder that does not exist is resolved in the text.
        assert!(same_file(&dir.join("no/../y.csv"), &dir.join("y.csv")));
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(dir.join("sub"), dir.join("link"));
            assert!(same_file(&dir.join("link/z.csv"), &dir.join("sub/z.csv")));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn durations_are_years_or_months() {
        assert_eq!(duration("5y", "--train"), Ok((5, PeriodUnit::Years)));
        assert_eq!(duration("60m", "--train"), Ok((60, PeriodUnit::Months)));
        for bad in ["5", "0y", "0m", "-1y", "5w", "y", "1.5y", "100001m"] {
            assert_eq!(duration(bad, "--train"), Err(2), "{bad}");
        }
    }
}
