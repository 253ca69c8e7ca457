//! Command-line interface (clap): `strat run`, `strat check`, `strat sweep`,
//! `strat walk-forward`, `strat merge`, `strat bench`, `strat audit`, `strat repl`.
//!
//! Exit codes: 0 success; 1 a program, data or run error (diagnostics on stderr); 2 bad usage.
//! Every output file is checked before anything is computed: two outputs naming one file, or an
//! output naming an input, is refused (spec/studies.md, "Output files").
//!
//! One module per job: `args` (the clap definitions), `limits` (the limit flags, set once per
//! process), `diagnostics` (everything printed on stderr, through miette), `program` (compiling
//! and `--set`), `outputs` (the files written and their checks), one module per command (`run`,
//! `check`, `sweep`, `merge`, `walk_forward`, `bench`, `repl`), `progress` (the bar and the JSON
//! progress events), and the printers of the results
//! (`output`: the run table and files; `sweep_output`: the sweep tables, heatmaps and files).

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

mod args;
mod audit;
mod bench;
mod check;
mod diagnostics;
mod fmt;
mod limits;
mod merge;
mod monitor;
mod output;
mod outputs;
mod program;
mod progress;
mod repl;
mod report;
mod run;
mod sweep;
mod sweep_output;
mod walk_forward;

use args::{Cli, Command};
use clap::Parser;

/// Runs the CLI; returns the process exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let _ = limits::LIMITS.set(cli.limits.limits());
    match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Lsp => match strat::lsp::serve_stdio() {
            Ok(()) => 0,
            Err(e) => diagnostics::fail(
                2,
                "strat::lsp::protocol",
                format!("strat lsp: {e}"),
                "start it from an editor, which speaks the Language Server Protocol on standard input",
            ),
        },
        Command::Fmt { paths, check } => fmt::fmt(&paths, check),
        Command::Report(args) => report::report(&args),
        Command::Monitor(args) => monitor::monitor(&args),
        Command::Check { file, plan, clif } => check::check(&file, plan, clif),
        Command::Bench { file, iterations, json, set } => bench::bench(&file, iterations.max(1), json, &set),
        Command::Repl { file } => repl::run(file),
        Command::Audit { file, rows, seed, json, set } => audit::audit(&file, rows as usize, seed, json, &set),
        Command::WalkForward(args) => walk_forward::walk_forward(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge { out, parts, force } => merge::merge(&out, &parts, force),
    }
}
