//! capi/tests/vix_guard.c, a C program that sees libstrat only through include/strat.h: it is
//! compiled with the system `cc` against the libstrat.so that cargo built for these tests, run,
//! and its lines checked against the engine (`strat::Engine`) and, where it was built, the
//! `strat` command. Under valgrind (required when CI=true) it must lose no memory.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// The root of the repository.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("capi/ has a parent").to_path_buf()
}

/// The folder of cargo's outputs for this profile (target/debug): this test runs from its
/// `deps` folder.
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    exe.parent().and_then(Path::parent).expect("target/PROFILE/deps/TEST").to_path_buf()
}

/// libstrat.so of this build, fresh. Cargo does not build a `cdylib`-only library for the
/// package's integration tests (they cannot link it), so this builds it with the same cargo,
/// profile and target folder; cheap when it is up to date.
///
/// The build selects what the running `cargo test` most likely selected, so that no dependency
/// is compiled a second time with other features (dev-dependencies of the other members add
/// features to polars' dependencies): the workspace's default members when the `strat` command
/// of this profile exists (`cargo test` at the root builds it), else this package alone
/// (`cargo test -p strat-capi`).
fn cdylib() -> PathBuf {
    let dir = profile_dir();
    let target = dir.parent().expect("target/PROFILE has a parent");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root()).args(["build", "--quiet", "--target-dir"]).arg(target);
    if dir.join(format!("strat{}", std::env::consts::EXE_SUFFIX)).is_file() {
        // The default members' libraries and one test target: the features of `cargo test`.
        cmd.args(["--lib", "--test", "header"]);
    } else {
        cmd.args(["-p", "strat-capi", "--lib"]);
    }
    match dir.file_name().and_then(|n| n.to_str()) {
        Some("debug") => {}
        Some("release") => {
            cmd.arg("--release");
        }
        Some(other) => {
            cmd.args(["--profile", other]);
        }
        None => panic!("no profile folder in {}", dir.display()),
    }
    let out = cmd.output().unwrap_or_else(|e| panic!("cannot run {cargo}: {e}"));
    assert!(out.status.success(), "{cmd:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let lib = dir.join(format!("{}strat{}", std::env::consts::DLL_PREFIX, std::env::consts::DLL_SUFFIX));
    assert!(lib.is_file(), "cargo built no {}", lib.display());
    lib
}

/// vix_guard.c compiled and linked against libstrat (once per test process).
fn program() -> &'static Path {
    static PROGRAM: OnceLock<PathBuf> = OnceLock::new();
    PROGRAM.get_or_init(|| {
        let lib_dir = cdylib().parent().expect("a folder").to_path_buf();
        let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("capi");
        std::fs::create_dir_all(&out_dir).expect("a folder for the C program");
        let exe = out_dir.join("vix_guard");
        let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
        let out = Command::new(&cc)
            .args(["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-g", "-I"])
            .arg(root().join("include"))
            .arg(root().join("capi/tests/vix_guard.c"))
            .arg("-o")
            .arg(&exe)
            .arg("-L")
            .arg(&lib_dir)
            .args(["-lstrat", "-lm"])
            .arg(format!("-Wl,-rpath,{}", lib_dir.display()))
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{cc}` (a C compiler is needed): {e}"));
        assert!(out.status.success(), "cc failed:\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        exe
    })
}

/// Runs the C program, under `wrapper` (e.g. valgrind) when given.
fn run_program(wrapper: &[&str]) -> Output {
    let examples = root().join("examples");
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(program());
            c
        }
        None => Command::new(program()),
    };
    cmd.arg(&examples).output().expect("the C program runs")
}

/// The value after `prefix` on the line that starts with it.
fn line<'a>(stdout: &'a str, prefix: &str) -> &'a str {
    stdout.lines().find_map(|l| l.strip_prefix(prefix)).unwrap_or_else(|| panic!("no line `{prefix}...` in:\n{stdout}"))
}

fn number(stdout: &str, prefix: &str) -> f64 {
    let text = line(stdout, prefix);
    text.trim().parse().unwrap_or_else(|e| panic!("`{prefix}{text}`: {e}"))
}

/// The engine's run of the VIX guard with `set` applied: its Sharpe ratio and JSON report.
fn engine_run(set: &[(&str, &str)]) -> (f64, String) {
    let strategy = strat::Engine::new().compile_file(&root().join("examples/vix_guard.strat")).expect("compiles");
    let frame = strategy.load_data().expect("loads");
    let mut params = strategy.params();
    for (k, v) in set {
        params.set(k, v).expect("a param");
    }
    let r = strategy.run(&frame, &params).expect("runs");
    (r.backtest.metrics.sharpe, format!("{}\n", serde_json::to_string(&strategy.report(&frame, &r)).expect("serialises")))
}

#[test]
fn the_c_program_prints_the_sharpe_and_json_of_the_cli() {
    let out = run_program(&[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the C program failed ({}):\n{stdout}\n{stderr}", out.status);
    assert_eq!(line(&stdout, "failures "), "0");

    let (sharpe, json) = engine_run(&[]);
    let c_sharpe = number(&stdout, "sharpe ");
    println!("C program: sharpe {c_sharpe:.17}");
    println!("engine:    sharpe {sharpe:.17}");
    assert_eq!(c_sharpe.to_bits(), sharpe.to_bits(), "the C program's Sharpe is the engine's");
    // `%.17g` round-trips: the JSON line is the engine's report, byte for byte.
    assert_eq!(format!("{}\n", line(&stdout, "json ")), json);

    // The `strat` command of the same build, when it was built (`cargo test` at the root
    // builds it; `cargo test -p strat-capi` alone may not).
    let cli = profile_dir().join(format!("strat{}", std::env::consts::EXE_SUFFIX));
    if cli.is_file() {
        let o = Command::new(&cli).current_dir(root()).args(["run", "examples/vix_guard.strat", "--json"]).output().expect("strat runs");
        assert!(o.status.success(), "strat run failed: {}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("strat run --json prints JSON");
        let cli_sharpe = v["metrics"]["sharpe"].as_f64().expect("a sharpe");
        println!("strat run --json ({}): sharpe {cli_sharpe:.17}", cli.display());
        assert_eq!(c_sharpe.to_bits(), cli_sharpe.to_bits(), "the C program's Sharpe is `strat run`'s");
    } else {
        println!("{} is not built: compared with the engine only", cli.display());
    }

    // The other lines: params set, the series, the sweep and the errors.
    assert_eq!(line(&stdout, "param spike_z = "), "2.5");
    let (set_sharpe, _) = engine_run(&[("spike_z", "3"), ("spike_window", "20")]);
    assert_eq!(number(&stdout, "set sharpe spike_z=3 spike_window=20: ").to_bits(), set_sharpe.to_bits());
    let rows: usize = line(&stdout, "rows ").parse().expect("rows");
    assert_eq!(number(&stdout, "bars ") as usize + 1, rows);
    assert_eq!(line(&stdout, "equity needs "), format!("{rows} values"));
    assert_eq!(line(&stdout, "series "), "weight return equity turnover cost");
    let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let total = v["metrics"]["total_return"].as_f64().expect("total_return");
    let last_equity: f64 = line(&stdout, "equity first 1 last ").parse().expect("equity");
    assert!((last_equity - (1.0 + total)).abs() < 1e-9, "{last_equity} vs 1 + {total}");
    assert!(line(&stdout, "dates ").contains(&format!(".. {} (", v["end"].as_str().expect("end"))), "{stdout}");
    assert_eq!(number(&stdout, "sweep of the file: 1 binding(s), sharpe ").to_bits(), sharpe.to_bits());
    assert_eq!(line(&stdout, "sweep bindings "), "3");
    assert!(line(&stdout, "sweep row 1 spike_z 2.5 sharpe ").starts_with(&format!("{} ", line(&stdout, "sharpe "))), "{stdout}");
    let sweep: serde_json::Value = serde_json::from_str(line(&stdout, "sweep_json ")).expect("sweep JSON");
    assert_eq!(sweep["bindings"], 3);
    assert_eq!(sweep["rows"][1]["metrics"]["sharpe"].as_f64().map(f64::to_bits), Some(sharpe.to_bits()));
    assert!(line(&stdout, "unknown metric: ").contains("did you mean `sharpe`?"), "{stdout}");
    assert!(line(&stdout, "compile error ").starts_with("-1 STRAT_ERR_COMPILE [strat::name::unknown_function]"), "{stdout}");
    assert!(stdout.contains("unknown function `zscor`"), "{stdout}");
}

#[test]
fn the_c_program_loses_no_memory_under_valgrind() {
    let found = Command::new("valgrind").arg("--version").output().is_ok_and(|o| o.status.success());
    if !found {
        assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "valgrind is required when CI=true (apt-get install valgrind)");
        println!("valgrind is not installed: skipped (apt-get install valgrind)");
        return;
    }
    // Only definite leaks are errors: rayon's worker threads are still alive at exit, so their
    // stacks and thread-local blocks are "possibly lost" or "still reachable".
    let out = run_program(&["valgrind", "--leak-check=full", "--errors-for-leak-kinds=definite", "--error-exitcode=3"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("lost:") || l.contains("reachable:") || l.contains("ERROR SUMMARY") || l.contains("no leaks are possible"))
        .collect();
    println!("valgrind:\n{}", summary.join("\n"));
    assert!(out.status.success(), "valgrind reports errors ({}):\n{stderr}\n{stdout}", out.status);
    assert!(stderr.contains("definitely lost: 0 bytes") || stderr.contains("All heap blocks were freed -- no leaks are possible"), "{stderr}");
    assert_eq!(line(&stdout, "failures "), "0");
    let (sharpe, _) = engine_run(&[]);
    assert_eq!(number(&stdout, "sharpe ").to_bits(), sharpe.to_bits(), "the same Sharpe under valgrind");
}
