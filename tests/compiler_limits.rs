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
    Run { code: out.status.code().unwrap_or(-1), stdout: String::from_utf8_lossy(&out.stdout).into(), stderr: String::from_utf8_lossy(&out.stderr).into(), took: t.elapsed() }
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
