//! End-to-end tests of issue 9's compiler part through the real `strat` binary: diagnostics that
//! render in time proportional to themselves and are capped per code, Unicode identifiers, grid
//! size and the memory limit, source limits, empty date windows and the labelled plan.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{root, TempDir};

/// The result of one invocation, with its wall time.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    took: Duration,
}

fn strat(args: &[&str]) -> Run {
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_strat")).args(args).env("NO_COLOR", "1").output().expect("run strat");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
        took: t.elapsed(),
    }
}

/// The bundled S&P 500 + VIX data, as a string literal for a `csv(...)` call.
fn data() -> String {
    format!("{:?}", root().join("examples/data/spx_vix.csv").display().to_string())
}

/// Writes `src` to `name` in `dir` and returns its path as text.
fn write(dir: &TempDir, name: &str, src: &str) -> String {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, src).expect("write program");
    p.display().to_string()
}

#[test]
fn four_thousand_unused_lets_check_quickly_and_are_capped() {
    let dir = TempDir::new("lets");
    let mut src = format!("data mkt = csv({})\n", data());
    for i in 0..4000 {
        src.push_str(&format!("let unused_{i} = {i}\n"));
    }
    src.push_str("hold mkt.spx weight 1\n");
    let f = write(&dir, "lets.strat", &src);
    let r = strat(&["check", &f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.took < Duration::from_secs(10), "took {:?}", r.took);
    assert_eq!(r.stderr.matches("is never used").count(), 20, "{}", &r.stderr[..r.stderr.len().min(2000)]);
    assert!(r.stderr.contains("warning[strat::lint::unused]: … and 3,980 more like these (20 shown)"), "{}", r.stderr);
    // The last rendered warning names the right line (line 21 declares unused_19).
    assert!(r.stderr.contains("lets.strat:21:5]"), "{}", r.stderr);
    assert!(r.stderr.len() < 20_000, "{} bytes of warnings", r.stderr.len());
}

/// A `let` named `exposición` runs, with the numbers of the ASCII spelling.
#[test]
fn unicode_identifiers_run_like_ascii_ones() {
    let dir = TempDir::new("unicode");
    let src = format!("data mkt = csv({})\nlet exposición = if mkt.vix > 30 then 50% else 100%\nhold mkt.spx weight exposición\n", data());
    let u = write(&dir, "u.strat", &src);
    let a = write(&dir, "a.strat", &src.replace("exposición", "exposicion"));
    let (ru, ra) = (strat(&["run", &u, "--json"]), strat(&["run", &a, "--json"]));
    assert_eq!(ru.code, 0, "{}", ru.stderr);
    assert_eq!(ra.code, 0, "{}", ra.stderr);
    assert_eq!(ru.stdout.replacen("\"strategy\":\"u\"", "", 1), ra.stdout.replacen("\"strategy\":\"a\"", "", 1));
    assert!(ru.stderr.is_empty(), "{}", ru.stderr);
}

/// An error on a line after a non-ASCII name points at that line, with the column in characters,
/// and suggests the non-ASCII name.
#[test]
fn an_error_after_a_unicode_name_points_at_its_line_and_column() {
    let dir = TempDir::new("unicode-err");
    let src = format!("data mkt = csv({})\nlet exposición = 1\nlet ñ = 1 + exposicion\nhold mkt.spx weight ñ\n", data());
    let f = write(&dir, "e.strat", &src);
    let r = strat(&["check", &f]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("strat::name::unknown"), "{}", r.stderr);
    assert!(r.stderr.contains("e.strat:3:13]"), "{}", r.stderr);
    assert!(r.stderr.contains("did you mean `exposición`?"), "{}", r.stderr);
    assert_eq!(r.stderr.matches("×").count(), 1, "one error only: {}", r.stderr);
}

fn huge_grid(dir: &TempDir) -> String {
    let src = format!(
        "data mkt = csv({})\nparam a in 1 ..= 100000 step 1\nparam b in 1 ..= 100000 step 1\nhold mkt.spx weight if mkt.vix > a + b then 0 else 1\n",
        data()
    );
    write(dir, "huge.strat", &src)
}

#[test]
fn check_reports_the_grid_size() {
    let dir = TempDir::new("grid");
    let f = huge_grid(&dir);
    let r = strat(&["check", &f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("grid of 10,000,000,000 binding(s)"), "{}", r.stdout);
    let g =
        write(&dir, "when.strat", &format!("data mkt = csv({})\nparam a in [1, 2, 3]\nparam b in [1, 2] when a > 1\nhold mkt.spx weight a * b / 6\n", data()));
    let r = strat(&["check", &g]);
    assert!(r.stdout.contains("grid of at most 6 binding(s)"), "{}", r.stdout);
}

#[test]
fn a_sweep_too_large_for_memory_is_refused_quickly_at_its_params() {
    let dir = TempDir::new("huge");
    let f = huge_grid(&dir);
    // A sweep held in memory (`--json`, heatmaps) and a walk-forward keep every binding's
    // results; a streamed sweep does not (it is refused by its output's size instead, below).
    for cmd in ["sweep --json", "walk-forward"] {
        let mut args: Vec<&str> = cmd.split(' ').collect();
        args.push(&f);
        let r = strat(&args);
        assert_eq!(r.code, 1, "{cmd}: {}", r.stderr);
        assert!(r.took < Duration::from_secs(5), "{cmd} took {:?}", r.took);
        assert!(r.stderr.contains("strat::limit::memory"), "{}", r.stderr);
        assert!(r.stderr.contains("of 10,000,000,000 bindings"), "{}", r.stderr);
        assert_eq!(r.stderr.matches("100,000 values").count(), 2, "{}", r.stderr);
        assert!(r.stderr.contains("huge.strat:2:1]"), "{}", r.stderr);
        assert!(r.stderr.contains("--max-memory"), "{}", r.stderr);
    }
    let out = dir.path().join("all.csv");
    let r = strat(&["sweep", &f, "--out", &out.display().to_string()]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.took < Duration::from_secs(5), "took {:?}", r.took);
    assert!(r.stderr.contains("strat::limits::output") && r.stderr.contains("10000000000 rows"), "{}", r.stderr);
    assert!(!out.exists());
}

/// The refusal is by estimated bytes: a small sweep runs at the default limit and is refused
/// when the limit is lowered below its estimate.
#[test]
fn the_memory_refusal_scales_with_the_limit() {
    let dir = TempDir::new("mem");
    let f = write(&dir, "small.strat", &format!("data mkt = csv({})\nparam a in [20, 30]\nhold mkt.spx weight if mkt.vix > a then 0 else 1\n", data()));
    let ok = strat(&["sweep", &f, "--json"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let low = strat(&["sweep", &f, "--max-memory", "64KiB"]);
    assert_eq!(low.code, 1, "{}", low.stderr);
    assert!(low.stderr.contains("strat::limit::memory") && low.stderr.contains("over the limit of 64 KiB"), "{}", low.stderr);
    let run = strat(&["run", &f, "--max-memory", "1KiB"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("this run would hold about"), "{}", run.stderr);
}

#[test]
fn a_source_over_the_limit_is_refused_with_its_size() {
    let dir = TempDir::new("source");
    let f = write(&dir, "big.strat", &format!("data mkt = csv({})\nhold mkt.spx weight 1\n{}\n", data(), " ".repeat(2000)));
    let r = strat(&["check", &f, "--max-source-bytes", "1KiB"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("strat::limit::source_size"), "{}", r.stderr);
    assert!(r.stderr.contains("exceeds the source limit of 1 KiB (1024 bytes)"), "{}", r.stderr);
    assert!(r.stderr.contains("--max-source-bytes"), "{}", r.stderr);
    assert_eq!(strat(&["check", &f]).code, 0);
    // A device without a size is read only up to the limit, then refused (no abort, no hang).
    #[cfg(unix)]
    {
        let r = strat(&["check", "/dev/zero", "--max-source-bytes", "1MiB"]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(r.stderr.contains("strat::limit::source_size") && r.stderr.contains("holds more than the source limit of 1 MiB"), "{}", r.stderr);
        assert!(r.took < Duration::from_secs(5));
    }
}

#[test]
fn max_depth_bounds_nesting() {
    let dir = TempDir::new("depth");
    let f = write(&dir, "deep.strat", &format!("data mkt = csv({})\nhold mkt.spx weight {}1{}\n", data(), "(".repeat(30), ")".repeat(30)));
    assert_eq!(strat(&["check", &f]).code, 0);
    let r = strat(&["check", &f, "--max-depth", "16"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("strat::syntax::too_deep") && r.stderr.contains("--max-depth"), "{}", r.stderr);
    // Deeper than the default, allowed by the flag.
    let g = write(&dir, "deeper.strat", &format!("data mkt = csv({})\nhold mkt.spx weight {}1{}\n", data(), "(".repeat(400), ")".repeat(400)));
    assert_eq!(strat(&["check", &g]).code, 1);
    let r = strat(&["check", &g, "--max-depth", "1024"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(strat(&["check", &g, "--max-depth", "0"]).code, 2);
}

#[test]
fn from_after_to_is_a_checker_error_on_both_dates() {
    let dir = TempDir::new("window");
    let f = write(&dir, "w.strat", &format!("data mkt = csv({})\nfrom 2021-06-30\nto 2020-01-31\nhold mkt.spx weight 1\n", data()));
    let r = strat(&["check", &f]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("strat::window::empty"), "{}", r.stderr);
    assert!(r.stderr.contains("the window starts here") && r.stderr.contains("after it ends here"), "{}", r.stderr);
}

/// `--plan` labels the weight and the reports, and folds `not not` of a comparison (but not of
/// a lag, which is NaN in warm-up).
#[test]
fn the_plan_labels_the_weight_and_folds_not_not() {
    let dir = TempDir::new("plan");
    let src = format!(
        "data mkt = csv({})\nlet b = mkt.vix > 20\nlet c = b == (mkt.vix > 30)\nlet d = not not b[1]\nhold mkt.spx weight if c and d then 1 else 0\nreport on = c\n",
        data()
    );
    let f = write(&dir, "p.strat", &src);
    let r = strat(&["check", &f, "--plan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let weight = r.stdout.lines().filter(|l| l.ends_with("// weight")).count();
    assert_eq!(weight, 1, "{}", r.stdout);
    assert!(r.stdout.lines().any(|l| l.starts_with('%') && l.contains("Eq(") && l.ends_with("// report on")), "{}", r.stdout);
    // The lag keeps both nots; the comparisons of `==` lose theirs.
    assert_eq!(r.stdout.matches("Not(").count(), 2, "{}", r.stdout);
}

/// On one very long line, a diagnostic shows a window around its span, not the whole line.
#[test]
fn a_diagnostic_on_a_long_line_prints_a_window_of_it() {
    let dir = TempDir::new("oneline");
    let lets: Vec<String> = (0..4000).map(|i| format!("let unused_{i} = {i}")).collect();
    let src = format!("data mkt = csv({}) {} hold mkt.spx weight 1\n", data(), lets.join(" "));
    let f = write(&dir, "one.strat", &src);
    let r = strat(&["check", &f]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("… and 3,980 more like these"), "{}", &r.stderr[..r.stderr.len().min(3000)]);
    assert!(r.stderr.len() < 40_000, "{} bytes for 20 warnings", r.stderr.len());
}
