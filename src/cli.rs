//! Command-line interface (clap): `strat run`, `strat check`, `strat bench`.
//!
//! Exit codes: 0 success; 1 a program, data or run error (diagnostics on stderr); 2 bad usage.

use clap::{Parser, Subcommand};
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
        /// Overwrite the --out file if it exists.
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
        /// Write every binding's metrics to FILE.csv or FILE.json.
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
    },
}

fn print_diags(diags: &[SourceDiag]) {
    let handler = miette::GraphicalReportHandler::new_themed(if std::env::var_os("NO_COLOR").is_some() || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        miette::GraphicalTheme::unicode_nocolor()
    } else {
        miette::GraphicalTheme::unicode()
    });
    let mut out = String::new();
    for d in diags {
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    eprint!("{out}");
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
    match Engine::new().with_backend(backend).compile_file(file) {
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
    match cli.command {
        Command::Run { file, json, out, force, set, reference } => {
            let backend = if reference { Backend::Reference } else { Backend::Jit };
            let strategy = match compile(&file, backend) {
                Ok(s) => s,
                Err(c) => return c,
            };
            if let Some(o) = &out {
                if o.exists() && !force {
                    eprintln!("error[strat::io::exists]: {} already exists; pass --force to overwrite it", o.display());
                    return 1;
                }
            }
            let params = match params_from(&strategy, &set) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("error[strat::param::set]: {e}");
                    return 1;
                }
            };
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
                let names: Vec<String> = strategy.compiled.hir.params.iter().map(|p| p.name.clone()).collect();
                print!("{}", strategy.compiled.lowered.plan.display(&strategy.compiled.outputs(), &names));
            }
            if clif {
                print!("{}", strategy.compiled.kernels.clif());
            }
            let h = &strategy.compiled.hir;
            println!(
                "ok: strategy {} ({} param(s), {} let(s), {} regime(s), {} report(s); {} JIT kernel(s))",
                h.name,
                h.params.len(),
                h.lets.len(),
                h.regimes.len(),
                h.reports.len(),
                strategy.compiled.kernels.kernel_count()
            );
            0
        }
        Command::Bench { file, iterations, json } => bench(&file, iterations.max(1), json),
        Command::Sweep { file, out, force, top, by, heatmap, json, reference, quiet } => {
            sweep(&file, out.as_deref(), force, top, &by, &heatmap, json, reference, quiet)
        }
    }
}

fn write_daily(path: &Path, frame: &strat::Frame, r: &strat::RunResult, assets: &[String]) -> std::io::Result<()> {
    let (dates, cols) = daily_columns(frame, r, assets);
    let cols: Vec<(&str, &[f64])> = cols.iter().map(|(n, v)| (n.as_str(), v.as_slice())).collect();
    strat_runtime::write::write_csv(path, &dates, &cols).map_err(|e| std::io::Error::other(e.to_string()))
}

fn held_assets(strategy: &Strategy) -> Vec<String> {
    match &strategy.compiled.hir.hold_target {
        strat_compiler::hir::Holding::Universe(u) => strategy.compiled.hir.universes[*u].assets.clone(),
        _ => vec![],
    }
}

#[allow(clippy::too_many_arguments)]
fn sweep(file: &Path, out: Option<&Path>, force: bool, top: usize, by: &str, heatmaps: &[String], json: bool, reference: bool, quiet: bool) -> i32 {
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
        if ext != "csv" && ext != "json" {
            eprintln!("error[strat::cli::out]: --out takes a .csv or .json file, got {}", o.display());
            return 2;
        }
        if o.exists() && !force {
            eprintln!("error[strat::io::exists]: {} already exists; pass --force to overwrite it", o.display());
            return 1;
        }
    }
    let backend = if reference { Backend::Reference } else { Backend::Jit };
    let strategy = match compile(file, backend) {
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
            std::fs::write(o, format!("{}\n", so::to_json(strategy.name(), &rows, &params, &grid, &report_names))).map_err(|e| e.to_string())
        } else {
            let (text, nums) = so::to_columns(&rows, &params, &grid, &report_names);
            strat_runtime::write::write_table(o, &text, &nums).map_err(|e| e.to_string())
        };
        if let Err(e) = res {
            eprintln!("error[strat::io::write]: cannot write {}: {e}", o.display());
            return 1;
        }
    }
    if json {
        println!("{}", so::to_json(strategy.name(), &rows, &params, &grid, &report_names));
        return 0;
    }
    let bars = rows.iter().find_map(|r| r.result.as_ref().ok().map(|s| s.bars)).unwrap_or(0);
    println!("{}: {} bindings x {} bars in {:.3} s (one compilation, {} threads)\n", strategy.name(), rows.len(), bars, elapsed, rayon::current_num_threads());
    print!("{}", so::top_table(&rows, &params, &grid, by, top));
    for m in heatmaps {
        match so::heatmap(&rows, &params, &grid, m) {
            Some(h) => print!("\n{h}"),
            None => eprintln!("note: --heatmap needs two swept numeric params"),
        }
    }
    0
}

fn bench(file: &Path, iterations: usize, json: bool) -> i32 {
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
        match Engine::new().compile_source(&file.display().to_string(), "bench", src.clone(), &base) {
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
    let params = strategy.params();
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
        println!(
            "{}",
            serde_json::json!({"file": file.display().to_string(), "bars": frame.len(), "compile_s": compile_s, "load_s": load_s,
                "run_jit_s": jit_s, "run_reference_s": ref_s, "iterations": iterations})
        );
    } else {
        println!("{}: {} bars", file.display(), frame.len());
        println!("compile (parse, check, plan, Cranelift) {:>10.3} ms  (mean of {compile_reps})", compile_s * 1e3);
        println!("load data (CSV via polars, align)      {:>10.3} ms", load_s * 1e3);
        println!("run + backtest, JIT                    {:>10.3} ms  (mean of {iterations})", jit_s * 1e3);
        println!("run + backtest, reference evaluator    {:>10.3} ms  (mean of {iterations})", ref_s * 1e3);
    }
    0
}
