//! The `:commands`: what each does is in [`COMMANDS`] (and `:help`).

use super::metrics::Snapshot;
use super::session::{self, Session, Typed};
use super::{eval, execute, plot, preview, print_diags, report, show, Flow, Problem, Repl};
use crate::cli::output::to_table;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use strat::Failure;
use strat_grammar::ast::StmtKind;
use strat_grammar::Diag;

/// The commands: name, argument, what it does.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (":help", "", "this list"),
    (":load", "FILE", "start a session from FILE (data paths relative to its folder)"),
    (":reload", "", "load the last FILE again, dropping the session's changes"),
    (":list", "", "the session's declarations"),
    (":type", "EXPR", "the type of EXPR"),
    (":ast", "EXPR", "the syntax tree of EXPR"),
    (":hir", "EXPR", "the typed tree of EXPR (a let's name shows its definition)"),
    (":plan", "EXPR", "the plan nodes that compute EXPR"),
    (":clif", "EXPR", "the Cranelift IR of EXPR's JIT kernel"),
    (":set", "NAME=VALUE", "run with a param value (like `strat run --set`); `:set` lists them"),
    (":metrics", "", "the full metrics table of the session, as `strat run` prints it"),
    (":plot", "EXPR", "a terminal line chart of EXPR"),
    (":save", "FILE", "write the session's declarations to FILE (`:save!` overwrites)"),
    (":quit", "", "leave (also Ctrl-D)"),
];

impl Repl {
    pub(super) fn command(&mut self, line: &str) -> Flow {
        let (cmd, arg) = match line.find(char::is_whitespace) {
            Some(i) => (&line[..i], line[i..].trim()),
            None => (line, ""),
        };
        let needs_expr = matches!(cmd, ":type" | ":t" | ":ast" | ":hir" | ":plan" | ":clif" | ":plot" | ":load" | ":save" | ":save!");
        if needs_expr && arg.is_empty() {
            let usage = COMMANDS
                .iter()
                .find(|c| c.0 == cmd.trim_end_matches('!') || (cmd == ":t" && c.0 == ":type"))
                .map(|c| format!("{} {}", c.0, c.1))
                .unwrap_or_default();
            report(Problem::Message("strat::repl::usage", format!("`{cmd}` needs an argument: {usage}")));
            return Flow::Continue;
        }
        // The argument's offset in the line, for diagnostics.
        let result = match cmd {
            ":quit" | ":q" | ":exit" => return Flow::Quit,
            ":help" | ":h" | ":?" => {
                help();
                Ok(())
            }
            ":load" => {
                self.load(Path::new(arg), false);
                Ok(())
            }
            ":reload" => match self.session.file.clone() {
                Some(f) => {
                    self.load(&f, false);
                    Ok(())
                }
                None => Err(Problem::Message("strat::repl::no_file", "no file loaded yet: `:load FILE`".into())),
            },
            ":list" => {
                self.list();
                Ok(())
            }
            ":type" | ":t" => eval::check(&self.session, arg).map(|c| println!("{arg} : {}", c.type_text())),
            ":ast" => self.ast(arg),
            ":hir" => {
                eval::check(&self.session, arg).map(|c| print!("{}", show::hir(&c.strategy.compiled().hir.lets[c.index].value, &c.strategy.compiled().hir)))
            }
            ":plan" => eval::check(&self.session, arg).map(|c| {
                let names: Vec<String> = c.strategy.program().params.iter().map(|p| p.name.clone()).collect();
                print!("{}", c.strategy.compiled().lowered.plan.display(&[c.node()], &names));
                println!("result: %{}", c.node().0);
            }),
            ":clif" => self.clif(arg),
            ":set" => self.set(arg),
            ":metrics" => self.metrics(),
            ":plot" => self.plot(arg),
            ":save" | ":save!" => self.save(Path::new(arg), cmd == ":save!"),
            _ => {
                let names = COMMANDS.iter().map(|c| c.0);
                let hint = strat_compiler::suggest::did_you_mean(cmd, names).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
                Err(Problem::Message("strat::repl::unknown_command", format!("unknown command `{cmd}`{hint} (`:help` lists them)")))
            }
        };
        if let Err(p) = result {
            report(p);
        }
        Flow::Continue
    }

    /// Starts a session from `path`; on failure the current session stays (at start-up, an
    /// empty session remembers the file for `:reload`).
    pub(super) fn load(&mut self, path: &Path, initial: bool) {
        let base = path.parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let text = match std::fs::read_to_string(path) {
            // A UTF-8 byte-order mark is not part of the program (as in `Engine::compile_file`).
            Ok(t) => t.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(t),
            Err(e) => {
                if initial {
                    self.session = Session::new(base);
                    self.session.file = Some(path.to_path_buf());
                }
                return report(Problem::Message("strat::io", format!("cannot read {}: {e}", path.display())));
            }
        };
        let mut fresh = Session::new(base);
        fresh.file = Some(path.to_path_buf());
        let name = path.display().to_string();
        let fail = |me: &mut Repl, ds: Vec<Diag>, src: &str| {
            let src = Arc::new(src.to_string());
            print_diags(&ds.into_iter().filter(|d| d.is_error()).map(|d| d.with_source(&name, src.clone())).collect::<Vec<_>>());
            if initial {
                me.session = Session::new(fresh_base(path));
                me.session.file = Some(path.to_path_buf());
                eprintln!("note: starting with an empty session; fix {} and `:reload`", path.display());
            } else {
                eprintln!("note: the session is unchanged");
            }
        };
        let pieces = match session::split(&text) {
            Ok(p) => p,
            Err(ds) => return fail(self, ds, &text),
        };
        fresh.entries = pieces.into_iter().map(|p| p.entry).collect();
        let b = fresh.build(&fresh.entries, None);
        let s = match fresh.compile(&b) {
            Ok(s) => Some(s),
            Err(Failure::Program(ds)) if ds.iter().filter(|d| d.diag.is_error()).all(|d| d.diag.code == "strat::stmt::missing_hold") => None,
            Err(Failure::Program(ds)) => return fail(self, ds.into_iter().map(|d| d.diag).collect(), &b.source),
            Err(f) => return report(Problem::Failure(f)),
        };
        self.session = fresh;
        self.overrides.clear();
        self.last = None;
        println!("loaded {}: {} declaration{}", path.display(), self.session.entries.len(), if self.session.entries.len() == 1 { "" } else { "s" });
        if let Some(s) = s {
            if !b.placeholder {
                if let Err(p) = self.run_book(&s) {
                    report(p);
                }
            }
        }
    }

    fn list(&self) {
        if self.session.entries.is_empty() {
            println!("(the session is empty)");
        }
        let mut line = 1;
        for e in &self.session.entries {
            for l in e.text.trim_end_matches('\n').split('\n') {
                println!("{line:>4} │ {l}");
                line += 1;
            }
        }
        for (k, v) in &self.overrides {
            println!("     │ (:set {k}={v})");
        }
    }

    fn ast(&self, arg: &str) -> Result<(), Problem> {
        let prefix = format!("let {} = ", session::EXPR_LET);
        let src = format!("{prefix}{arg}\n");
        let (program, diags) = strat_grammar::source_to_ast(&src);
        let b = session::Build { source: src.clone(), ranges: vec![], expr_at: Some(prefix.len()), placeholder: false };
        let typed = Typed { text: arg, entries: vec![], expr: Some(0) };
        if diags.iter().any(|d| d.is_error()) {
            return Err(Problem::Diags(diags.into_iter().filter(|d| d.is_error()).map(|d| self.session.locate(&b, &typed, d)).collect()));
        }
        let value = program.stmts.iter().find_map(|s| match &s.kind {
            StmtKind::Let { name, value } if name.name == session::EXPR_LET => Some(value.clone()),
            _ => None,
        });
        let Some(value) = value else { return Err(Problem::Message("strat::repl::usage", "expected one expression".into())) };
        // A let's name shows its definition.
        if let strat_grammar::ExprKind::Name(id) = &value.kind {
            let defined = self.session.entries.iter().find(|e| e.key == Some(session::Key::Name(id.name.clone())));
            if let Some(e) = defined {
                let (p, _) = strat_grammar::source_to_ast(&e.text);
                if let Some(StmtKind::Let { value, .. }) = p.stmts.first().map(|s| &s.kind) {
                    print!("let {} =\n{}", id.name, show::ast(value));
                    return Ok(());
                }
            }
        }
        print!("{}", show::ast(&value));
        Ok(())
    }

    fn clif(&self, arg: &str) -> Result<(), Problem> {
        let c = eval::check(&self.session, arg)?;
        let plan = &c.strategy.compiled().lowered.plan;
        let k = strat_compiler::plan_to_kernels(plan, &[c.node()]).map_err(|e| Problem::Message("strat::internal", e.to_string()))?;
        let text = k.clif();
        if text.trim().is_empty() {
            println!("(no JIT kernel: `{arg}` has no elementwise arithmetic to fuse; inputs, windows, scans and cross-sections run as Rust kernels — see `:plan {arg}`)");
        } else {
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
        }
        Ok(())
    }

    fn set(&mut self, arg: &str) -> Result<(), Problem> {
        let (s, placeholder) = self.compiled()?;
        if arg.is_empty() {
            let p = self.params(&s);
            if p.names.is_empty() {
                println!("(the session declares no params)");
            }
            let defaults = s.params();
            for (i, n) in p.names.iter().enumerate() {
                let mark = if self.overrides.iter().any(|(k, _)| k == n) {
                    format!("  (:set; declared {})", defaults.display_value(i, defaults.values[i]))
                } else {
                    String::new()
                };
                println!("{n} = {}{mark}", p.display_value(i, p.values[i]));
            }
            return Ok(());
        }
        let (k, v) = match arg.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => match arg.split_once(char::is_whitespace) {
                Some((k, v)) => (k.trim(), v.trim()),
                None => return Err(Problem::Message("strat::repl::usage", format!("`:set` expects NAME=VALUE, got `{arg}`"))),
            },
        };
        let mut p = s.params();
        p.set(k, v).map_err(|e| Problem::Message("strat::param::set", e))?;
        let mut overrides = self.overrides.clone();
        overrides.retain(|(n, _)| n != k);
        overrides.push((k.to_string(), v.to_string()));
        if placeholder {
            println!("{k} = {v}");
            self.overrides = overrides;
            return Ok(());
        }
        // A value the run refuses (a window of 2.5 bars) is not kept.
        let (frame, r) = execute(&s, &overrides)?;
        self.overrides = overrides;
        self.show_run(&s, &frame, &r);
        Ok(())
    }

    fn metrics(&mut self) -> Result<(), Problem> {
        let (s, placeholder) = self.compiled()?;
        if placeholder {
            return Err(Problem::Message("strat::repl::no_hold", "the session has no `hold` yet: add `hold SERIES weight EXPR`".into()));
        }
        let frame = s.load_data().map_err(Problem::Failure)?;
        let params = self.params(&s);
        let r = s.run(&frame, &params).map_err(Problem::Failure)?;
        print!("{}", to_table(s.name(), &frame, &r));
        if !self.overrides.is_empty() {
            let sets: Vec<String> = self.overrides.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!("\nwith :set {}", sets.join(" "));
        }
        self.last = Some(Snapshot::of(&r));
        Ok(())
    }

    fn plot(&self, arg: &str) -> Result<(), Problem> {
        let v = eval::evaluate(&self.session, arg, &self.overrides)?;
        if let Some(x) = v.scalar {
            println!("{} is a scalar ({}): {}", arg, v.type_text, preview::fmt_num(x));
            return Ok(());
        }
        let shown = v.width.min(6);
        let series: Vec<(String, &[f64])> = (0..shown).map(|j| (v.assets.get(j).cloned().unwrap_or_else(|| arg.to_string()), v.column(j))).collect();
        let labels = 12;
        let w = self.width.saturating_sub(labels + 4).clamp(20, 160);
        println!("{arg} : {}{}", v.type_text, if v.width > shown { format!(" (first {shown} of {} assets)", v.width) } else { String::new() });
        print!("{}", plot::chart(&series, &v.dates, w, 12, self.colour));
        if !v.arms.is_empty() {
            let arms: Vec<String> = v.arms.iter().enumerate().map(|(k, a)| format!("{k} = {a}")).collect();
            println!("values: {}", arms.join(", "));
        }
        Ok(())
    }

    fn save(&mut self, target: &Path, force: bool) -> Result<(), Problem> {
        if self.session.entries.is_empty() {
            return Err(Problem::Message("strat::repl::empty", "the session is empty: nothing to save".into()));
        }
        if target.exists() && !force {
            return Err(Problem::Message("strat::io::exists", format!("{} already exists; `:save! {}` overwrites it", target.display(), target.display())));
        }
        let (text, moved) = self.session.saved_text(target);
        std::fs::write(target, &text).map_err(|e| Problem::Message("strat::io::write", format!("cannot write {}: {e}", target.display())))?;
        let n = self.session.entries.len();
        println!("saved {n} declaration{} to {}", if n == 1 { "" } else { "s" }, target.display());
        for (old, new) in moved {
            println!("note: data path \"{old}\" written as \"{new}\" so that the saved file finds it");
        }
        if !self.overrides.is_empty() {
            let sets: Vec<String> = self.overrides.iter().map(|(k, v)| format!("--set {k}={v}")).collect();
            println!("note: `:set` values are not declarations; run the file with {}", sets.join(" "));
        }
        Ok(())
    }
}

fn fresh_base(path: &Path) -> PathBuf {
    path.parent().filter(|p| !p.as_os_str().is_empty()).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

fn help() {
    println!("Enter a declaration (let, param, hold, ...) to add it to the session, or replace the one");
    println!("with the same name; the backtest re-runs. Enter an expression to see its values.");
    println!("An unclosed bracket continues on the next line. Tab completes; Ctrl-D leaves.\n");
    for (c, a, h) in COMMANDS {
        println!("  {:<18} {h}", format!("{c} {a}"));
    }
}
