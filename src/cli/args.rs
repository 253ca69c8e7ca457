//! The command line's shape (clap): the commands, their flags and the global limit flags.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "strat", version, about = "Strat: a declarative language for trading strategies")]
pub(super) struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
    #[command(flatten)]
    pub(super) limits: LimitArgs,
}

/// Resource limits (spec/limits.md); every command takes them, before or after its name.
#[derive(clap::Args, Debug)]
pub(super) struct LimitArgs {
    /// Largest .strat source accepted (e.g. 8MiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    pub(super) max_source_bytes: Option<u64>,
    /// Deepest expression nesting accepted (default 256, at most 4096).
    #[arg(long, global = true, value_name = "N", value_parser = parse_depth)]
    pub(super) max_depth: Option<usize>,
    /// Largest estimated memory of a run or sweep (e.g. 8GiB); larger runs are refused before they start.
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    pub(super) max_memory: Option<u64>,
    /// Largest data file read (e.g. 4GiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    pub(super) max_data_bytes: Option<u64>,
    /// Largest file one output may write (e.g. 1GiB).
    #[arg(long, global = true, value_name = "SIZE", value_parser = strat::limits::parse_bytes)]
    pub(super) max_output_bytes: Option<u64>,
}

/// Parses `--max-depth`: a whole number of levels from 1 to [`strat::limits::MAX_DEPTH_CEILING`].
pub(super) fn parse_depth(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n) if (1..=strat::limits::MAX_DEPTH_CEILING).contains(&n) => Ok(n),
        _ => Err(format!("`{text}` is not a depth; write a whole number from 1 to {}", strat::limits::MAX_DEPTH_CEILING)),
    }
}

/// Parses `--shard I/N` ([`strat_runtime::shard::Shard::parse`]).
pub(super) fn parse_shard(text: &str) -> Result<strat_runtime::shard::Shard, String> {
    strat_runtime::shard::Shard::parse(text)
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Compile and backtest a .strat file; print its metrics.
    Run(RunArgs),
    /// A language server over standard input and output (for editors): diagnostics, hover,
    /// completion, definition, references, formatting and symbols.
    Lsp,
    /// Format .strat files in place (a folder: every .strat file under it), or standard input
    /// to standard output; whitespace only, the program's meaning unchanged.
    Fmt {
        /// Files or folders (none: read standard input, write standard output).
        paths: Vec<PathBuf>,
        /// Change nothing: print a diff and exit 1 when a file is not formatted.
        #[arg(long)]
        check: bool,
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
    Sweep(SweepArgs),
    /// Walk-forward validation: choose the best binding on each training window, test it on
    /// the next years (or months), and report the stitched out-of-sample results.
    WalkForward(WalkForwardArgs),
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
    /// Audit a .strat file for look-ahead: at sampled rows t, perturb what was not yet known at
    /// t (each source separately, panel records by the day they became usable) and check that no
    /// decision at or before t changes; exit 1 on a leak.
    Audit {
        /// The .strat file.
        file: PathBuf,
        /// Rows t to sample.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        rows: u64,
        /// Seed of the sampling and the perturbations.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Override a param: --set NAME=VALUE.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        set: Vec<String>,
    },
    /// Combine the part files of a sharded sweep (`strat sweep --shard I/N --out PART`) into
    /// the table a single-machine sweep writes; refuses parts of different studies, a missing
    /// or repeated shard and a truncated part.
    Merge {
        /// The merged table: FILE.csv, FILE.parquet or FILE.json (the parts' format).
        out: PathBuf,
        /// The part files, one per shard, in any order.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// Overwrite OUT if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Write the tear sheet of one run: a self-contained HTML page (metrics of strategy and
    /// benchmark, equity, drawdowns, monthly and annual returns, rolling Sharpe and volatility,
    /// exposure, kill switches, the program).
    Report(ReportArgs),
    /// For cron: run a .strat file on its data and print which alerts fire on the last bar,
    /// with the values that fired them; exit 0 when all are quiet, 1 when one fires, 2 on an
    /// error.
    Monitor(MonitorArgs),
    /// Interactive session: load a .strat file, evaluate expressions, tweak declarations and
    /// see the metrics change (`:help` inside lists the commands).
    Repl {
        /// A .strat file to start from.
        file: Option<PathBuf>,
    },
}

/// The flags of `strat monitor`.
#[derive(clap::Args, Debug)]
pub(super) struct MonitorArgs {
    /// The .strat file (with at least one `alert`).
    pub(super) file: PathBuf,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
    /// Override a param for this run: --set NAME=VALUE.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub(super) set: Vec<String>,
    /// Evaluate with the reference evaluator instead of the JIT.
    #[arg(long)]
    pub(super) reference: bool,
}

/// The metric conventions of `strat run` and `strat report` (spec/report.md, "Compared with
/// empyrical and quantstats").
#[derive(clap::Args, Debug, Clone, Copy)]
pub(super) struct ConventionArgs {
    /// How var_95 is estimated: `historical` (the 5 % quantile, empyrical's) or `parametric`
    /// (mean + Φ⁻¹(0.05)·std, quantstats').
    #[arg(long = "var", value_enum, value_name = "METHOD", default_value = "historical")]
    pub(super) var: strat::report::VarMethod,
    /// The information ratio `annualised` by √P or `per-period` (empyrical's excess Sharpe).
    #[arg(long = "ir", value_enum, value_name = "SCALE", default_value = "annualised")]
    pub(super) ir: strat::report::InformationRatio,
}

impl ConventionArgs {
    /// The conventions asked for.
    pub(super) fn conventions(&self) -> strat::report::Conventions {
        strat::report::Conventions { var_95: self.var, information_ratio: self.ir }
    }
}

/// The flags of `strat report`.
#[derive(clap::Args, Debug)]
pub(super) struct ReportArgs {
    /// The .strat file.
    pub(super) file: PathBuf,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE.html", default_value = "report.html")]
    pub(super) out: PathBuf,
    /// Also write every chart as a PNG into DIR (created if missing): DIR/equity.png,
    /// DIR/underwater.png, ... named by the page's section ids.
    #[arg(long, value_name = "DIR")]
    pub(super) png: Option<PathBuf>,
    /// Draw the equity chart on a linear axis instead of a log one.
    #[arg(long)]
    pub(super) linear: bool,
    /// Overwrite the --out file (and --png's files) if they exist.
    #[arg(long)]
    pub(super) force: bool,
    /// Override a param for this run: --set NAME=VALUE.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub(super) set: Vec<String>,
    /// Evaluate with the reference evaluator instead of the JIT.
    #[arg(long)]
    pub(super) reference: bool,
    #[command(flatten)]
    pub(super) conventions: ConventionArgs,
}

/// The flags of `strat run`.
#[derive(clap::Args, Debug)]
pub(super) struct RunArgs {
    /// The .strat file.
    pub(super) file: PathBuf,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub(super) json: bool,
    /// Write the daily date, weight, return and equity to FILE.csv, FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE")]
    pub(super) out: Option<PathBuf>,
    /// Write the weights of every `weights` declaration at each rebalance (date, weights,
    /// asset, source, target, held, turnover) to FILE.csv, FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE")]
    pub(super) weights_out: Option<PathBuf>,
    /// Write every asset's trade (date, asset, weight after it, trade, cost) to FILE.csv,
    /// FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE")]
    pub(super) costs_out: Option<PathBuf>,
    /// Write every round trip (asset, side, entry and exit dates, entry and mean weight, bars,
    /// days, return) to FILE.csv, FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE")]
    pub(super) trades: Option<PathBuf>,
    /// Write the value on every bar of each `--value` let (a panel as one column per asset,
    /// NAME.ASSET) to FILE.csv, FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE", requires = "value")]
    pub(super) values_out: Option<PathBuf>,
    /// A `let` to write with --values-out (repeatable).
    #[arg(long = "value", value_name = "LET", requires = "values_out")]
    pub(super) value: Vec<String>,
    /// Overwrite the --out / --weights-out / --costs-out / --values-out file if it exists.
    #[arg(long)]
    pub(super) force: bool,
    /// Override a param: --set NAME=VALUE (e.g. --set spike_z=3 --set cap=70%).
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub(super) set: Vec<String>,
    /// Evaluate with the reference evaluator instead of the JIT.
    #[arg(long)]
    pub(super) reference: bool,
    #[command(flatten)]
    pub(super) conventions: ConventionArgs,
}

/// The flags of `strat sweep`.
#[derive(clap::Args, Debug)]
pub(super) struct SweepArgs {
    /// The .strat file.
    pub(super) file: PathBuf,
    /// Write every binding's metrics to FILE.csv, FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE")]
    pub(super) out: Option<PathBuf>,
    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub(super) force: bool,
    /// Rows of the top table.
    #[arg(long, default_value_t = 10)]
    pub(super) top: usize,
    /// Metric to rank by.
    #[arg(long, default_value = "sharpe")]
    pub(super) by: String,
    /// Metric for the terminal heatmap of a two-parameter grid (repeatable).
    #[arg(long)]
    pub(super) heatmap: Vec<String>,
    /// Also write each --heatmap as an SVG file: PREFIX_METRIC.svg.
    #[arg(long, value_name = "PREFIX")]
    pub(super) heatmap_svg: Option<PathBuf>,
    /// Also write the sweep's report page (top bindings, heatmaps of the --heatmap metrics or
    /// of --by, the distribution of --by over the bindings) to FILE.html.
    #[arg(long, value_name = "FILE.html")]
    pub(super) report: Option<PathBuf>,
    /// Print one JSON document with every binding instead of the tables.
    #[arg(long)]
    pub(super) json: bool,
    /// Evaluate with the reference evaluator instead of the JIT.
    #[arg(long)]
    pub(super) reference: bool,
    /// No progress bar.
    #[arg(long)]
    pub(super) quiet: bool,

    /// Run only shard I of N (every N-th binding of the grid from the I-th) and write it with
    /// --out as a part file; `strat merge` combines the N parts into the single-machine table.
    #[arg(long, value_name = "I/N", value_parser = parse_shard)]
    pub(super) shard: Option<strat_runtime::shard::Shard>,
    /// Progress: `bar` (a bar on stderr when it is a terminal), `json` (one JSON object per
    /// line and event on stderr: started, binding, fold, finished, error) or `none`.
    #[arg(long, value_enum, default_value = "bar")]
    pub(super) progress: super::progress::ProgressMode,
    /// Write the JSON progress events to FILE instead of stderr (implies --progress json; an
    /// existing file needs --force).
    #[arg(long, value_name = "FILE")]
    pub(super) progress_file: Option<PathBuf>,
}

/// The flags of `strat walk-forward`.
#[derive(clap::Args, Debug)]
pub(super) struct WalkForwardArgs {
    /// The .strat file.
    pub(super) file: PathBuf,
    /// Training window in calendar years or months, e.g. 5y or 60m.
    #[arg(long, default_value = "5y")]
    pub(super) train: String,
    /// Test window in calendar years or months, e.g. 1y or 6m (with months in either, both count in months).
    #[arg(long, default_value = "1y")]
    pub(super) test: String,
    /// Train on every year from the start (expanding window).
    #[arg(long)]
    pub(super) anchored: bool,
    /// Metric that chooses the binding in each training window.
    #[arg(long, default_value = "sharpe")]
    pub(super) by: String,
    /// Print one JSON object.
    #[arg(long)]
    pub(super) json: bool,
    /// Evaluate with the reference evaluator instead of the JIT.
    #[arg(long)]
    pub(super) reference: bool,
    /// Write the stitched out-of-sample days (date, binding, return, equity) to FILE.csv,
    /// FILE.parquet or FILE.json.
    #[arg(long, value_name = "FILE")]
    pub(super) out: Option<PathBuf>,
    /// Overwrite the --out file if it exists.
    #[arg(long)]
    pub(super) force: bool,
    /// No progress bar.
    #[arg(long)]
    pub(super) quiet: bool,
    /// Progress: `bar` (a bar on stderr when it is a terminal), `json` (one JSON object per
    /// line and event on stderr: started, binding, fold, finished, error) or `none`.
    #[arg(long, value_enum, default_value = "bar")]
    pub(super) progress: super::progress::ProgressMode,
    /// Write the JSON progress events to FILE instead of stderr (implies --progress json; an
    /// existing file needs --force).
    #[arg(long, value_name = "FILE")]
    pub(super) progress_file: Option<PathBuf>,
    /// Also write the walk-forward's report page (folds, stitched out-of-sample equity and
    /// drawdown, deflated Sharpe ratio) to FILE.html.
    #[arg(long, value_name = "FILE.html")]
    pub(super) report: Option<PathBuf>,
    /// Run only shard I of N (every N-th binding of the grid from the I-th) and write its
    /// bindings' daily returns to the part --out PART.parquet; `--merge` chooses the folds.
    #[arg(long, value_name = "I/N", value_parser = parse_shard, conflicts_with = "merge")]
    pub(super) shard: Option<strat_runtime::shard::Shard>,
    /// Choose the folds over the parts of every shard (`--shard I/N --out PART.parquet`) of
    /// this program on its data, instead of running the bindings: the output of a
    /// single-machine walk-forward.
    #[arg(long, value_name = "PART", num_args = 1..)]
    pub(super) merge: Vec<PathBuf>,
}
