//! `strat repl [FILE]`: iterate on a strategy interactively.
//!
//! The session is an ordered list of declarations (typed, or loaded from FILE), re-compiled as
//! one program on every change (compilation takes milliseconds). A declaration replaces the
//! session's declaration of the same name in place (see `session.rs`), then the backtest re-runs
//! and the metrics print with their change from the previous run. An expression prints its type
//! and a preview of its values. A failed entry changes nothing: the session survives every error.
//! Diagnostics are the CLI's, pointing into the text typed.

mod commands;
mod eval;
mod helper;
mod metrics;
mod plot;
mod preview;
mod session;
mod show;

use super::diagnostics::{handler, print_cli, report_failure};
use helper::{Names, StratHelper};
use metrics::Snapshot;
use miette::Severity;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{ColorMode, CompletionType, Config, Editor};
use session::{Piece, Session, Typed};
use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::sync::Arc;
use strat::{Failure, SourceDiag, Strategy};
use strat_grammar::ast::StmtKind;
use strat_grammar::tokens::{tokens, Tag};
use strat_grammar::Diag;

/// Why an entry failed.
pub(crate) enum Problem {
    /// Diagnostics, already placed in the text they point into.
    Diags(Vec<SourceDiag>),
    /// A data or run failure.
    Failure(Failure),
    /// A message with its code.
    Message(&'static str, String),
}

/// Runs the REPL on the terminal; returns the process exit code.
pub fn run(file: Option<PathBuf>) -> i32 {
    let interactive = std::io::stdin().is_terminal();
    let colour = std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    let config = Config::builder()
        .auto_add_history(false)
        .history_ignore_space(true)
        .completion_type(CompletionType::List)
        .color_mode(if colour { ColorMode::Enabled } else { ColorMode::Disabled })
        .build();
    let mut rl: Editor<StratHelper, DefaultHistory> = match Editor::with_config(config) {
        Ok(e) => e,
        Err(e) => {
            print_cli(Severity::Error, "strat::repl::terminal", format!("cannot start the line editor: {e}"), String::new());
            return 1;
        }
    };
    rl.set_helper(Some(StratHelper::new(colour)));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    let width = rl.dimensions().map(|(w, _)| usize::from(w)).unwrap_or(100);
    let mut repl = Repl::new(std::env::current_dir().unwrap_or_default(), colour, width);
    if interactive {
        println!("strat repl {}: declarations, expressions or :commands; :help lists them, :quit leaves", env!("CARGO_PKG_VERSION"));
    }
    if let Some(f) = file {
        repl.load(&f, true);
    }
    loop {
        if let Some(h) = rl.helper_mut() {
            h.names = repl.names();
        }
        match rl.readline("strat> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                }
                if repl.handle(&line) == Flow::Quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                print_cli(Severity::Error, "strat::repl::terminal", e.to_string(), String::new());
                break;
            }
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.append_history(h);
    }
    0
}

/// The history file: `STRAT_HISTORY` (a path, or `off` for none), else
/// `$XDG_DATA_HOME/strat/history`, else `~/.strat_history`.
fn history_path() -> Option<PathBuf> {
    match std::env::var_os("STRAT_HISTORY") {
        Some(v) if v == "off" || v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
            Some(d) => Some(PathBuf::from(d).join("strat").join("history")),
            None => std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE")).map(|h| PathBuf::from(h).join(".strat_history")),
        },
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

struct Repl {
    session: Session,
    /// `:set` values, in the order set.
    overrides: Vec<(String, String)>,
    /// The last run's numbers (for the changes).
    last: Option<Snapshot>,
    colour: bool,
    width: usize,
}

/// Prints diagnostics through miette, all of them (the command line's printer summarises
/// beyond 20 of one code; a session's entry never has that many).
fn print_diags(diags: &[SourceDiag]) {
    let handler = handler();
    let mut out = String::new();
    for d in diags {
        let _ = handler.render_report(&mut out, d);
        out.push('\n');
    }
    eprint!("{out}");
}

/// Prints why an entry failed, through miette with its code.
fn report(p: Problem) {
    match p {
        Problem::Diags(ds) => print_diags(&ds),
        Problem::Failure(Failure::Program(ds)) => print_diags(&ds),
        Problem::Failure(f) => report_failure(&f),
        Problem::Message(code, m) => print_cli(Severity::Error, code, m, String::new()),
    }
}

/// Loads the data of `s` and runs it with `overrides`.
fn execute(s: &Strategy, overrides: &[(String, String)]) -> Result<(strat::Frame, strat::RunResult), Problem> {
    let frame = s.load_data().map_err(Problem::Failure)?;
    let params = eval::params_of(s, overrides);
    let r = s.run(&frame, &params).map_err(Problem::Failure)?;
    Ok((frame, r))
}

/// Whether `text`'s statement is a `param`.
fn is_param(text: &str) -> bool {
    tokens(text).into_iter().find(|t| t.tag != Tag::Comment).is_some_and(|t| t.text(text) == "param")
}

/// Whether `input` starts with a statement keyword.
fn is_statement(input: &str) -> bool {
    tokens(input)
        .into_iter()
        .find(|t| t.tag != Tag::Comment)
        .is_some_and(|t| t.tag == Tag::Keyword && strat_grammar::parser::STATEMENT_KEYWORDS.contains(&t.text(input)))
}

impl Repl {
    fn new(base_dir: PathBuf, colour: bool, width: usize) -> Repl {
        Repl { session: Session::new(base_dir), overrides: vec![], last: None, colour, width }
    }

    fn handle(&mut self, input: &str) -> Flow {
        let input = input.trim_end();
        if input.trim().is_empty() || tokens(input).iter().all(|t| t.tag == Tag::Comment) {
            return Flow::Continue;
        }
        if input.trim_start().starts_with(':') {
            return self.command(input.trim_start());
        }
        if is_statement(input) {
            self.statements(input);
        } else {
            match eval::evaluate(&self.session, input, &self.overrides) {
                Ok(v) => print!("{}", preview::preview(&v)),
                Err(p) => report(p),
            }
        }
        Flow::Continue
    }

    /// Names for completion, from the session's text and its last compilation.
    fn names(&self) -> Names {
        let mut n = Names::default();
        let b = self.session.build(&self.session.entries, None);
        let (program, _) = strat_grammar::source_to_ast(&b.source);
        for st in &program.stmts {
            match &st.kind {
                StmtKind::Data { name, .. }
                | StmtKind::Universe { name, .. }
                | StmtKind::Panel { name, .. }
                | StmtKind::Let { name, .. }
                | StmtKind::Sleeve { name, .. } => n.bound.push(name.name.clone()),
                StmtKind::Param { name, value } => {
                    n.bound.push(name.name.clone());
                    n.params.push(name.name.clone());
                    if let strat_grammar::ParamValue::Choices(cs, _) = value {
                        n.bound.extend(cs.iter().map(|c| c.name.clone()));
                    }
                }
                StmtKind::Regime { name, arms } => {
                    n.bound.push(name.name.clone());
                    n.bound.extend(arms.iter().map(|a| a.name.name.clone()));
                }
                _ => {}
            }
        }
        if let Ok(s) = self.session.compile(&b) {
            n.columns = s.program().data.iter().map(|d| (d.name.clone(), d.columns.clone())).collect();
        }
        n
    }

    // ---- declarations ----

    fn statements(&mut self, input: &str) {
        let pieces = match session::split(input) {
            Ok(p) => p,
            Err(ds) => {
                let src = Arc::new(input.to_string());
                let ds: Vec<SourceDiag> = ds.into_iter().filter(|d| d.is_error()).map(|d| d.with_source("input", src.clone())).collect();
                return print_diags(&ds);
            }
        };
        if pieces.is_empty() {
            return;
        }
        let (entries, at) = Session::apply(&self.session.entries, &pieces);
        match self.try_entries(input, &pieces, entries, &at) {
            Ok(()) => {}
            Err(first) => {
                // A redefinition that refers to a declaration below the one it replaces fits
                // at the end of the session instead.
                if at.iter().any(|a| a.1) {
                    let keys: Vec<_> = pieces.iter().filter_map(|p| p.entry.key.clone()).collect();
                    let mut moved: Vec<_> = self.session.entries.iter().filter(|e| e.key.as_ref().is_none_or(|k| !keys.contains(k))).cloned().collect();
                    let start = moved.len();
                    moved.extend(pieces.iter().map(|p| p.entry.clone()));
                    let at2: Vec<(usize, bool)> = (0..pieces.len()).map(|i| (start + i, at[i].1)).collect();
                    if self.try_entries(input, &pieces, moved, &at2).is_ok() {
                        return;
                    }
                }
                report(first);
            }
        }
    }

    /// Compiles `entries` (the session with `pieces` applied at `at`); on success makes them
    /// the session, describes the pieces and re-runs the backtest.
    fn try_entries(&mut self, input: &str, pieces: &[Piece], entries: Vec<session::Entry>, at: &[(usize, bool)]) -> Result<(), Problem> {
        let build = self.session.build(&entries, None);
        let typed = Typed { text: input, entries: at.iter().zip(pieces).map(|(a, p)| (a.0, p.offset)).collect(), expr: None };
        let strategy = match self.session.compile(&build) {
            Ok(s) => Some(s),
            Err(Failure::Program(ds)) => {
                let errors: Vec<Diag> = ds.into_iter().map(|d| d.diag).filter(|d| d.is_error()).collect();
                if !errors.iter().all(|d| d.code == "strat::stmt::missing_hold") {
                    let placed = errors.into_iter().filter(|d| d.code != "strat::stmt::missing_hold").map(|d| self.session.locate(&build, &typed, d)).collect();
                    return Err(Problem::Diags(placed));
                }
                None
            }
            Err(f) => return Err(Problem::Failure(f)),
        };
        // A re-declared param drops its `:set` value.
        let mut overrides = self.overrides.clone();
        for p in pieces {
            if let (Some(session::Key::Name(n)), true) = (&p.entry.key, is_param(&p.entry.text)) {
                overrides.retain(|(k, _)| k != n);
            }
        }
        // An entry whose backtest fails is refused too.
        let ran = match (&strategy, build.placeholder) {
            (Some(s), false) => Some(execute(s, &overrides).map_err(|p| match p {
                Problem::Failure(Failure::Run(d)) => Problem::Diags(vec![self.session.locate(&build, &typed, d.diag)]),
                other => other,
            })?),
            _ => None,
        };
        self.session.entries = entries;
        self.session.edited = true;
        self.overrides = overrides;
        let Some(s) = strategy else {
            println!("ok (no data source yet)");
            return Ok(());
        };
        let warnings: Vec<SourceDiag> = s
            .warnings()
            .iter()
            .filter(|w| w.diag.code != "strat::lint::unused")
            .map(|w| self.session.locate(&build, &typed, w.diag.clone()))
            .filter(|w| w.name == "input")
            .collect();
        print_diags(&warnings);
        for (p, a) in pieces.iter().zip(at) {
            if let Some(line) = describe(p, &s, a.1) {
                println!("{line}");
            }
        }
        if let Some((frame, r)) = ran {
            self.show_run(&s, &frame, &r);
        }
        Ok(())
    }

    /// The parameter values of `s` with the `:set` values; a value that no longer fits (its
    /// param was removed or changed kind) is dropped with a note.
    fn params(&mut self, s: &Strategy) -> strat::Params {
        let mut p = s.params();
        let mut kept = vec![];
        for (k, v) in std::mem::take(&mut self.overrides) {
            match p.set(&k, &v) {
                Ok(()) => kept.push((k, v)),
                Err(e) => eprintln!("note: dropping `:set {k}={v}`: {e}"),
            }
        }
        self.overrides = kept;
        p
    }

    /// Runs the backtest with the current `:set` values and prints the metrics.
    fn run_book(&mut self, s: &Strategy) -> Result<(), Problem> {
        self.params(s);
        let (frame, r) = execute(s, &self.overrides)?;
        self.show_run(s, &frame, &r);
        Ok(())
    }

    /// Prints a run's metrics with their changes from the previous run.
    fn show_run(&mut self, s: &Strategy, frame: &strat::Frame, r: &strat::RunResult) {
        let now = Snapshot::of(r);
        print!("{}", metrics::compare(s.name(), frame, r, &now, self.last.as_ref(), self.colour));
        self.last = Some(now);
    }

    /// The session compiled as it is (with a placeholder book if it has none).
    fn compiled(&self) -> Result<(Strategy, bool), Problem> {
        if self.session.entries.is_empty() {
            return Err(Problem::Message("strat::repl::empty", "the session is empty: enter declarations or `:load FILE`".into()));
        }
        let b = self.session.build(&self.session.entries, None);
        match self.session.compile(&b) {
            Ok(s) => Ok((s, b.placeholder)),
            Err(Failure::Program(_)) => Err(Problem::Message("strat::repl::no_data", "the session has no data source yet".into())),
            Err(f) => Err(Problem::Failure(f)),
        }
    }
}

/// One line about an accepted declaration (its type, its value), if it says something.
fn describe(p: &Piece, s: &Strategy, replaced: bool) -> Option<String> {
    let decls = s.program();
    let (program, _) = strat_grammar::source_to_ast(&p.entry.text);
    let st = program.stmts.first()?;
    let names: Vec<String> = decls.regimes.iter().map(|r| r.name.clone()).collect();
    let again = if replaced { "  (replaced)" } else { "" };
    let text = match &st.kind {
        StmtKind::Let { name, .. } => {
            // A let's type is the checker's: the HIR keeps it.
            let l = s.compiled().hir.lets.iter().find(|l| l.name == name.name)?;
            format!("{} : {}", l.name, l.value.ty.display(&names))
        }
        StmtKind::Param { name, .. } => {
            let p = decls.params.iter().find(|p| p.name == name.name)?;
            match &p.domain {
                strat_compiler::program::ParamDomain::Fixed => format!("param {} = {}", p.name, p.text),
                strat_compiler::program::ParamDomain::Values(v) => format!("param {} : {} values, runs with {}", p.name, v.len(), p.default),
                strat_compiler::program::ParamDomain::Choices(c) => format!("param {} : one of {}", p.name, c.join(", ")),
            }
        }
        StmtKind::Data { name, .. } => {
            let d = decls.data.iter().find(|d| d.name == name.name)?;
            format!("data {} : columns {}", d.name, d.columns.join(", "))
        }
        StmtKind::Universe { name, .. } => {
            let u = decls.universes.iter().find(|u| u.name == name.name)?;
            format!("universe {} : {} assets", u.name, u.assets.len())
        }
        StmtKind::Panel { name, .. } => {
            let p = decls.panels.iter().find(|p| p.name == name.name)?;
            let on = decls.universes.get(p.universe).map_or("?", |u| u.name.as_str());
            match &p.layout {
                strat_compiler::program::PanelLayout::Long { fields } => {
                    format!("panel {} on {on} (lag {}d) : fields {}", p.name, p.lag_days, fields.join(", "))
                }
                strat_compiler::program::PanelLayout::Wide { .. } => format!("panel {} on {on} (lag {}d) : one column per asset", p.name, p.lag_days),
            }
        }
        StmtKind::Regime { name, .. } => {
            let r = decls.regimes.iter().find(|r| r.name == name.name)?;
            format!("regime {} : {}", r.name, r.arms.join(" | "))
        }
        _ => return replaced.then(|| "(replaced)".to_string()),
    };
    Some(format!("{text}{again}"))
}
