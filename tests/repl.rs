//! End-to-end tests of `strat repl`: the real binary, driven through a pseudo-terminal (tmux)
//! for what needs one (line editing, multi-line input, completion, hints, highlighting, the
//! full session of issue #5), and through a pipe for the output of each command.
//!
//! The tmux tests need `tmux` on PATH (`apt-get install -y tmux`). Everything a test writes goes
//! to a fresh folder under the system temp dir; `STRAT_HISTORY=off` keeps the user's history
//! file out of it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::{root, TempDir};

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_strat")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

// ---- piped sessions ----

struct Session {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs `strat repl [file]` with `input` on standard input (no terminal: no prompt, no colour).
fn piped(file: Option<&Path>, input: &str) -> Session {
    piped_env(file, input, &[("STRAT_HISTORY", "off")])
}

fn piped_env(file: Option<&Path>, input: &str, env: &[(&str, &str)]) -> Session {
    use std::io::Write as _;
    let mut cmd = Command::new(bin());
    cmd.arg("repl");
    if let Some(f) = file {
        cmd.arg(f);
    }
    cmd.current_dir(std::env::temp_dir()).env("NO_COLOR", "1").env_remove("STRAT_HISTORY");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the strat binary starts");
    child.stdin.take().expect("stdin").write_all(input.as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("strat repl finishes");
    Session {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8"),
    }
}

impl Session {
    fn ok(&self) -> &Session {
        assert_eq!(self.code, 0, "exit {}\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }
    fn has(&self, text: &str) -> &Session {
        assert!(self.stdout.contains(text), "stdout lacks {text:?}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    fn err_has(&self, text: &str) -> &Session {
        assert!(self.stderr.contains(text), "stderr lacks {text:?}\nstdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }
    fn no_errors(&self) -> &Session {
        assert!(self.stderr.is_empty(), "unexpected stderr:\n{}\nstdout:\n{}", self.stderr, self.stdout);
        self
    }
}

/// The value on the last line whose first word is `name` (a metrics line).
fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .rev()
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            (w.next() == Some(name)).then(|| w.next()).flatten()
        })
        .next()
        .unwrap_or_else(|| panic!("no `{name}` line in:\n{text}"))
        .parse()
        .expect("a number")
}

/// `strat run FILE [args]`'s stdout.
fn strat_run(file: &Path, args: &[&str]) -> String {
    let out = Command::new(bin()).arg("run").arg(file).args(args).env("NO_COLOR", "1").output().expect("strat run starts");
    assert!(out.status.success(), "strat run failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim_end).filter(|l| !l.is_empty()).collect()
}

const NEW_TIER: &str = "let tier = tiers(mkt.vix) {\n  >= 40 => 45%\n  >= 30 => 65%\n  >= 20 => 85%\n  else  => 100%\n}\n";

// ---- the terminal (tmux) ----

/// A `strat repl` running in a detached tmux session of its own server.
struct Term {
    socket: String,
}

impl Term {
    fn start(args: &[&str], env: &[(&str, &str)], dir: &Path) -> Term {
        let ok = Command::new("tmux").arg("-V").output().map(|o| o.status.success()).unwrap_or(false);
        assert!(ok, "these tests drive the REPL through tmux: install it (apt-get install -y tmux)");
        let socket = format!("strat-repl-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
        let mut cmd = String::from("env STRAT_HISTORY=off");
        for (k, v) in env {
            cmd += &format!(" {k}={}", quote(v));
        }
        cmd += &format!(" {} repl", quote(bin()));
        for a in args {
            cmd += &format!(" {}", quote(a));
        }
        let t = Term { socket };
        t.tmux(&["new-session", "-d", "-s", "repl", "-x", "200", "-y", "50", "-c", &dir.display().to_string(), &cmd]);
        t.tmux(&["set-option", "-t", "repl", "remain-on-exit", "on"]);
        t.wait_prompts(1);
        t
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux").args(["-L", &self.socket, "-f", "/dev/null"]).args(args).output().expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The whole transcript (scrollback included), wrapped lines joined.
    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "repl"])
    }

    /// The visible screen with its colours.
    fn screen_with_colours(&self) -> String {
        self.tmux(&["capture-pane", "-p", "-e", "-t", "repl"])
    }

    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let s = self.screen();
            if done(&s) {
                return s;
            }
            assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the REPL process to end.
    fn wait_exit(&self) {
        let start = Instant::now();
        while self.tmux(&["display-message", "-p", "-t", "repl", "#{pane_dead}"]).trim() != "1" {
            assert!(start.elapsed() < Duration::from_secs(20), "the REPL did not exit; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_prompts(&self, n: usize) -> String {
        self.wait_for(&format!("prompt #{n}"), |s| s.matches("strat> ").count() >= n)
    }

    /// Types `text` (literally) without pressing Enter.
    fn type_text(&self, text: &str) {
        self.tmux(&["send-keys", "-t", "repl", "-l", text]);
    }

    fn key(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "repl", key]);
    }

    /// Enters `text` line by line and waits for the next prompt; returns the entry and its
    /// output.
    fn enter(&self, text: &str) -> String {
        let n = self.screen().matches("strat> ").count() + 1;
        for line in text.trim_end_matches('\n').split('\n') {
            self.type_text(line);
            self.key("Enter");
        }
        let s = self.wait_prompts(n);
        let parts: Vec<&str> = s.split("strat> ").collect();
        parts[parts.len() - 2].to_string()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).output();
    }
}

/// Issue #5's session: load the VIX example, change a tier, see the metrics change, hit an
/// error and recover, save, and the saved file runs with `strat run` to the same metrics.
#[test]
fn a_full_session_in_a_terminal() {
    let dir = TempDir::new("session");
    let t = Term::start(&[&example("vix_guard.strat").display().to_string()], &[("NO_COLOR", "1")], &dir);
    let start = t.screen();
    assert!(start.contains("loaded ") && start.contains("11 declarations"), "{start}");
    let sharpe0 = metric(&start, "sharpe");
    assert_eq!(format!("{sharpe0:.4}"), "0.5808");

    // A multi-line redefinition: the open brace continues the entry.
    let out = t.enter(NEW_TIER);
    assert!(out.contains("tier : series num  (replaced)"), "{out}");
    let sharpe1 = metric(&out, "sharpe");
    assert_ne!(sharpe1, sharpe0);
    assert!(out.contains(&format!("(was {sharpe0:.4})")), "{out}");

    // An error points into the line typed, and changes nothing.
    let out = t.enter("let spike = zscore(mkt.vix, spike_window) > spike_zz");
    assert!(out.contains("unknown name `spike_zz`") && out.contains("input:1:45") && out.contains("did you mean `spike_z`?"), "{out}");
    assert!(!out.contains("sharpe"), "{out}");
    let out = t.enter("exposure");
    assert!(out.contains("series num · 9192 bars") && out.contains("max 1.0000"), "{out}");

    let table = t.enter(":metrics");
    assert_eq!(metric(&table, "sharpe"), sharpe1);
    let saved = dir.join("tuned.strat");
    let out = t.enter(&format!(":save {}", saved.display()));
    assert!(out.contains("saved 11 declarations"), "{out}");
    t.type_text(":quit");
    t.key("Enter");
    t.wait_exit();

    let text = std::fs::read_to_string(&saved).expect("saved file");
    assert!(text.contains(NEW_TIER) && text.contains("// seed: ARES7"), "{text}");
    // Same metrics: `:metrics` prints exactly what `strat run` prints.
    let run = strat_run(&saved, &[]);
    assert_eq!(lines(&table)[1..], lines(&run)[..]);
}

#[test]
fn completion_hints_and_highlighting_in_a_terminal() {
    let dir = TempDir::new("keys");
    let t = Term::start(&[&example("vix_guard.strat").display().to_string()], &[], &dir);
    // Builtins complete to their common prefix, data columns after `source.`.
    t.type_text("zsc");
    t.key("Tab");
    t.type_text("(mkt.v");
    t.key("Tab");
    t.type_text(", ");
    let s = t.wait_for("the completed line and its hint", |s| s.contains("strat> zscore(mkt.vix, ") && s.contains("— zscore(x, n) = (x - sma(x, n))"));
    assert!(s.contains("strat> zscore(mkt.vix, "), "{s}");
    // Keywords, builtins and numbers are coloured.
    t.type_text("spike_window) > 2.5 and true");
    let c = t.wait_for("the typed line", |s| s.contains("spike_window) > 2.5 and true"));
    assert!(c.contains("strat> "), "{c}");
    let coloured = t.screen_with_colours();
    assert!(coloured.contains("\x1b[34mzscore"), "builtin not blue: {coloured:?}");
    assert!(coloured.contains("\x1b[33m2.5"), "number not yellow: {coloured:?}");
    assert!(coloured.contains("\x1b[35mand"), "keyword not magenta: {coloured:?}");
    // Bound names complete too; a listing appears on the second Tab.
    t.key("C-u");
    t.type_text("sp");
    t.key("Tab");
    t.key("Tab");
    t.wait_for("the candidate list", |s| s.contains("spike_window") && s.contains("spike_z") && s.contains("strat> spike"));
    t.key("C-u");
    let out = t.enter("spike_z * 2");
    assert!(out.contains("5.0000 : param num"), "{out}");
}

// ---- one test per command (piped) ----

#[test]
fn an_expression_prints_its_type_and_a_preview() {
    let s = piped(Some(&example("vix_guard.strat")), "mkt.vix\nspike\nzscore(mkt.vix, spike_window)\nspike_z * 2\n");
    s.ok().no_errors();
    s.has("series num (price) · 9192 bars, 1990-01-02 .. 2026-07-09")
        .has("  1990-01-02  17.2400")
        .has("  2026-07-09  15.8400")
        .has("bars 9192  NaN 0  min 9.1400  mean 19.4510  max 82.6900")
        .has("series bool · 9192 bars")
        .has("true 373 (4.1%)  false 8819")
        .has("… 59 leading NaN rows (warm-up)")
        .has("bars 9192  NaN 59")
        .has("5.0000 : param num");
}

#[test]
fn panels_and_regimes_preview_per_asset_and_per_arm() {
    let s = piped(Some(&example("tsmom_hedge.strat")), "pos\nmode\n");
    s.ok().no_errors();
    s.has("panel num · 8 assets × 2652 bars").has("btc").has("  … +2").has("long_only : param mode");
    let s = piped(Some(&example("regime_ensemble.strat")), "state\n");
    s.ok().no_errors();
    s.has("series state · 6084 bars").has("BULL 3884  HIGH_VOL 608  BEAR 1592");
}

#[test]
fn a_redefinition_replaces_in_place_and_reruns() {
    let s = piped(Some(&example("vix_guard.strat")), &format!("{NEW_TIER}:list\nlet unused = 1\n"));
    s.ok().no_errors();
    s.has("tier : series num  (replaced)").has("(was 0.5808)").has("   8 │   >= 40 => 45%").has("vix_guard: metrics unchanged");
    let listed: Vec<&str> = s.stdout.lines().filter(|l| l.contains(" │ ")).collect();
    assert_eq!(listed.len(), 18, "{listed:?}");
}

#[test]
fn errors_point_into_the_input_and_the_session_survives() {
    let s = piped(Some(&example("vix_guard.strat")), "let x = (1 +) * 2\nmkt.vixx\nlet exposure = tier and spike\nparam spike_window = 1\n:list\nexposure\n");
    s.ok();
    s.err_has("input:1:").err_has("did you mean `vix`?").err_has("× ");
    // A redefinition that breaks a later declaration is refused; the session is unchanged.
    assert!(!s.stdout.contains("(replaced)"), "{}", s.stdout);
    s.has("  14 │ let exposure = if spike then min(tier, 70%) else tier").has("series num · 9192 bars");
    // So is a declaration whose backtest fails (a window of 1 bar for a standard deviation).
    s.err_has("strat::value::bad_window").has("   4 │ param spike_window = 60");
}

#[test]
fn declarations_before_data_and_a_session_from_scratch() {
    let dir = TempDir::new("scratch");
    let csv = root().join("examples/data/spx_vix.csv");
    let input =
        format!("param cap = 70%\ncap * 2\ndata mkt = csv(\"{}\")\ncap * 2\nhold mkt.spx weight cap\n:save {}\n", csv.display(), dir.join("s.strat").display());
    let s = piped(None, &input);
    s.ok();
    s.has("ok (no data source yet)").err_has("strat::repl::no_data").has("data mkt : columns spx, vix").has("1.4000 : param num");
    s.has("avg_exposure               0.7000");
    let run = strat_run(&dir.join("s.strat"), &[]);
    assert_eq!(metric(&run, "sharpe"), metric(&s.stdout, "sharpe"));
}

#[test]
fn type_ast_hir_plan_and_clif() {
    let input =
        ":type spike\n:type mkt.vix\n:ast zscore(mkt.vix, 60) > 2.5\n:ast tier\n:hir spike\n:plan spike\n:clif exposure\n:clif mkt.vix\n:type\n:hir nope\n";
    let s = piped(Some(&example("vix_guard.strat")), input);
    s.ok();
    s.has("spike : series bool\n").has("mkt.vix : series num (price)\n");
    s.has("binary >\n├─ call zscore\n│  ├─ field .vix\n│  │  └─ name mkt\n│  └─ number 60\n└─ number 2.5\n");
    s.has("let tier =\ntiers\n├─ field .vix");
    s.has("let spike =\nbinary > : series bool\n├─ call zscore : series num\n│  ├─ column mkt.vix : series num (price)\n│  └─ param spike_window : param num\n└─ param spike_z : param num\n");
    s.has("= Zscore(%0, %").has("= param spike_z : scalar").has("result: %");
    s.has("function u0:0(").has("fmin").has("(no JIT kernel: `mkt.vix`");
    s.err_has("`:type` needs an argument").err_has("unknown name `nope`");
}

#[test]
fn set_reruns_with_a_param_value_like_run_set() {
    let input = ":set spike_window=2.5\n:set spike_z=3\n:set\n:set spike_z=abc\n:set nope=1\n:metrics\n";
    let s = piped(Some(&example("vix_guard.strat")), input);
    s.ok();
    s.has("(was 0.5808)").has("spike_z = 3  (:set; declared 2.5)").has("with :set spike_z=3");
    s.err_has("`abc` is not a number for param `spike_z`").err_has("unknown param `nope`");
    // A value the run refuses is not kept.
    s.err_has("a window length or lag must be a whole number").has("spike_window = 60\n");
    let run = strat_run(&example("vix_guard.strat"), &["--set", "spike_z=3"]);
    let table: String = s.stdout.split("spike_z = 3  (:set; declared 2.5)\n").nth(1).unwrap_or_default().to_string();
    assert_eq!(metric(&table, "sharpe"), metric(&run, "sharpe"));
    assert!(lines(&table).starts_with(&lines(&run)), "{table}\n---\n{run}");
}

#[test]
fn metrics_prints_what_strat_run_prints() {
    let s = piped(Some(&example("vix_guard.strat")), ":metrics\n");
    s.ok().no_errors();
    let out = s.stdout.split_once("report guard_active").map(|x| x.1).unwrap_or_default();
    assert_eq!(lines(out)[1..], lines(&strat_run(&example("vix_guard.strat"), &[]))[..]);
}

#[test]
fn plot_draws_a_braille_chart() {
    let s = piped(Some(&example("vix_guard.strat")), ":plot mkt.vix\n:plot spike_z\n:plot\n");
    s.ok();
    s.has("mkt.vix : series num (price)").has("82.7 ┤").has(" 9.1 ┤").has("1990-01-02").has("2026-07-09").has("└──");
    assert!(s.stdout.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)), "no braille in:\n{}", s.stdout);
    s.has("spike_z is a scalar").err_has("`:plot` needs an argument");
}

#[test]
fn save_refuses_to_overwrite_and_rewrites_data_paths() {
    let dir = TempDir::new("save");
    let f = dir.join("v.strat");
    let input = format!(":save {0}\n:save {0}\n:save! {0}\n", f.display());
    let s = piped(Some(&example("vix_guard.strat")), &input);
    s.ok();
    s.has("saved 11 declarations").err_has("already exists; `:save! ");
    assert_eq!(s.stdout.matches("saved 11 declarations").count(), 2, "{}", s.stdout);
    let text = std::fs::read_to_string(&f).expect("saved");
    let abs = root().join("examples/data/spx_vix.csv");
    assert!(text.contains(&format!("data mkt = csv(\"{}\")", abs.display())) || text.contains("spx_vix.csv\")"), "{text}");
    let original = std::fs::read_to_string(example("vix_guard.strat")).expect("example");
    // The data path is rewritten (absolute, or relative to the save folder, depending on where
    // the checkout and the temp folder are); everything else is the file as loaded.
    let normalised: String = text
        .split_inclusive('\n')
        .map(|l| match (l.find("csv(\""), l.find("spx_vix.csv\")")) {
            (Some(a), Some(b)) if a < b => format!("{}csv(\"data/spx_vix.csv\"){}", &l[..a], &l[b + "spx_vix.csv\")".len()..]),
            _ => l.to_string(),
        })
        .collect();
    assert_eq!(normalised, original);
    assert_eq!(lines(&strat_run(&f, &[])), lines(&strat_run(&example("vix_guard.strat"), &[])));
}

#[test]
fn load_and_reload() {
    let input = format!("{NEW_TIER}:reload\n:list\n:load {}\n:load /nonexistent.strat\n:reload\n", example("tsmom_hedge.strat").display());
    let s = piped(Some(&example("vix_guard.strat")), &input);
    s.ok();
    assert_eq!(s.stdout.matches("loaded ").count(), 4, "{}", s.stdout);
    s.has("   8 │   >= 50 => 45%").has("tsmom_hedge: ").err_has("cannot read /nonexistent.strat");
    // A file with errors leaves the session as it was.
    let dir = TempDir::new("load");
    let bad = dir.join("bad.strat");
    std::fs::write(&bad, "let x = nope\n").expect("write");
    let s = piped(Some(&example("vix_guard.strat")), &format!(":load {}\n:list\n", bad.display()));
    s.ok();
    s.err_has("unknown name `nope`").err_has("the session is unchanged").has("   1 │ strategy vix_guard");
}

#[test]
fn help_quit_unknown_commands_and_history() {
    let dir = TempDir::new("history");
    let hist = dir.join("history");
    let s = piped_env(Some(&example("vix_guard.strat")), ":help\n:plott x\nspike_z\n:quit\n:help\n", &[("STRAT_HISTORY", &hist.display().to_string())]);
    s.ok();
    for c in [":load", ":reload", ":type", ":ast", ":hir", ":plan", ":clif", ":set", ":metrics", ":plot", ":save", ":help", ":quit"] {
        assert!(s.stdout.contains(&format!("  {c} ")), "help lacks {c}:\n{}", s.stdout);
    }
    assert_eq!(s.stdout.matches("Enter a declaration").count(), 1, "input after :quit was read");
    s.err_has("unknown command `:plott`; did you mean `:plot`?");
    let h = std::fs::read_to_string(&hist).expect("history file");
    assert!(h.contains("spike_z") && h.contains(":plott x"), "{h}");
}

/// The strategy's own path exists only after a whole run: the REPL says so for an own value, a
/// let that reads one and a kill switch, instead of printing another series; `:metrics` shows
/// the reports that read it, with the numbers of `strat run`.
#[test]
fn own_path_values_are_refused_with_a_pointer_to_the_run() {
    let file = example("vix_guard_kill.strat");
    let s = piped(Some(&file), "own.drawdown\ncrash\nlet dd = own.drawdown * 2\ndd\n:metrics\n");
    s.ok();
    assert_eq!(s.stderr.matches("strat::repl::own_path").count(), 3, "{}", s.stderr);
    let run = strat_run(&file, &[]);
    for name in ["crash_on", "sharpe"] {
        assert_eq!(metric(&s.stdout, name), metric(&run, name), "{name}");
    }
}
