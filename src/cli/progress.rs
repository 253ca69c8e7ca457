//! Progress of `sweep` and `walk-forward`: a terminal bar for people, or `--progress json`, one
//! JSON object per line for dashboards and schedulers (spec/studies.md, "Progress events").
//!
//! The events, each a line with an `event` key:
//! - `started`: `command`, `strategy`, `bindings` (to run here), `grid_bindings`, `shard`
//!   (`"I/N"` or null), `threads`;
//! - `binding`: a binding finished: `binding` (grid index), `done`, `total`, then for a sweep
//!   the row of `strat sweep --json` (`bars`, `metrics`, ..., `params`, or `params` and
//!   `error`);
//! - `fold`: a walk-forward fold, as in `strat walk-forward --json`, with its number `fold`;
//! - `finished`: `bindings`, `failed`, `elapsed_s` (and `folds` for a walk-forward);
//! - `error`: the run stopped: `code`, `message` (as printed on stderr), `exit_code`.

use super::diagnostics::last_error;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// How progress is shown (`--progress`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ProgressMode {
    /// A bar on stderr when it is a terminal (not with `--json` or `--quiet`).
    Bar,
    /// One JSON object per line on stderr, or in `--progress-file`.
    Json,
    /// Nothing.
    None,
}

/// The progress sink of one command.
pub(super) enum Progress {
    /// The terminal bar (possibly hidden).
    Bar(indicatif::ProgressBar),
    /// JSON lines to stderr or a file; `done` counts finished bindings.
    Json { out: Mutex<Box<dyn Write + Send>>, done: AtomicUsize, total: AtomicUsize },
}

/// A JSON object with `event` first.
pub(super) type Event = serde_json::Map<String, serde_json::Value>;

/// Starts an event object named `name`.
pub(super) fn event(name: &str) -> Event {
    let mut m = Event::new();
    m.insert("event".into(), name.into());
    m
}

impl Progress {
    /// The sink for `mode`: JSON lines into `file` when given (created, replacing it: the
    /// caller checked it as an output), else on stderr; the bar otherwise (hidden with `quiet`
    /// or `json` or when stderr is not a terminal, or for [`ProgressMode::None`]).
    /// Errors: the file cannot be created (`strat::io::write`, exit 1).
    pub(super) fn new(mode: ProgressMode, file: Option<&PathBuf>, quiet: bool, json: bool) -> Result<Progress, i32> {
        let mode = if file.is_some() { ProgressMode::Json } else { mode };
        match mode {
            ProgressMode::Json => {
                let out: Box<dyn Write + Send> = match file {
                    Some(p) => Box::new(std::fs::File::create(p).map_err(|e| {
                        super::diagnostics::fail(
                            1,
                            "strat::io::write",
                            format!("cannot write {}: {e}", p.display()),
                            "check that the folder exists and is writable",
                        )
                    })?),
                    None => Box::new(std::io::stderr()),
                };
                Ok(Progress::Json { out: Mutex::new(out), done: AtomicUsize::new(0), total: AtomicUsize::new(0) })
            }
            ProgressMode::Bar => Ok(Progress::Bar(hidden_or(quiet || json))),
            ProgressMode::None => Ok(Progress::Bar(indicatif::ProgressBar::hidden())),
        }
    }

    /// Sets the number of bindings to run (the bar's length) and writes the `started` event
    /// (`fields` after `event`).
    pub(super) fn start(&self, total: usize, fields: Event) {
        match self {
            Progress::Bar(b) => {
                b.set_length(total as u64);
                b.reset_elapsed();
            }
            Progress::Json { total: t, .. } => {
                t.store(total, Ordering::Relaxed);
                let mut e = event("started");
                e.extend(fields);
                self.write(e);
            }
        }
    }

    /// A binding finished: the bar moves, or a `binding` event is written with `binding`,
    /// `done`, `total` and the fields `row` gives (called only for JSON).
    pub(super) fn binding(&self, binding: Option<usize>, row: impl FnOnce() -> Event) {
        match self {
            Progress::Bar(b) => b.inc(1),
            Progress::Json { done, total, .. } => {
                let k = done.fetch_add(1, Ordering::Relaxed) + 1;
                let mut e = event("binding");
                if let Some(b) = binding {
                    e.insert("binding".into(), b.into());
                }
                e.insert("done".into(), k.into());
                e.insert("total".into(), total.load(Ordering::Relaxed).into());
                e.extend(row());
                self.write(e);
            }
        }
    }

    /// Whether events are JSON (so callers build event bodies only then).
    pub(super) fn is_json(&self) -> bool {
        matches!(self, Progress::Json { .. })
    }

    /// Writes an event (JSON only; the bar ignores it).
    pub(super) fn emit(&self, e: Event) {
        if self.is_json() {
            self.write(e);
        }
    }

    /// Clears the bar.
    pub(super) fn clear(&self) {
        if let Progress::Bar(b) = self {
            b.finish_and_clear();
        }
    }

    /// The command ended with exit code `code`: a non-zero code writes an `error` event with
    /// the last error printed on stderr.
    pub(super) fn end(&self, code: i32) -> i32 {
        self.clear();
        if code != 0 && self.is_json() {
            let mut e = event("error");
            let (c, m) = last_error().unwrap_or_else(|| ("strat::run::failed".into(), "the command failed; see stderr".into()));
            e.insert("code".into(), c.into());
            e.insert("message".into(), m.into());
            e.insert("exit_code".into(), code.into());
            self.write(e);
        }
        code
    }

    fn write(&self, e: Event) {
        if let Progress::Json { out, .. } = self {
            let line = serde_json::Value::Object(e).to_string();
            if let Ok(mut w) = out.lock() {
                let _ = writeln!(w, "{line}");
                let _ = w.flush();
            }
        }
    }
}

/// A hidden bar when `hide` or stderr is not a terminal; else a bar with the elapsed time and
/// an ETA (its length set by [`Progress::start`]).
fn hidden_or(hide: bool) -> indicatif::ProgressBar {
    if hide || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(0);
    if let Ok(style) = indicatif::ProgressStyle::with_template("{wide_bar} {pos}/{len} bindings, {elapsed} elapsed, ETA {eta}") {
        bar.set_style(style);
    }
    bar
}
