//! End-to-end tests of data input through the `strat` binary (issue 9): non-regular files, the
//! data-file size limit (`--max-data-bytes`), the 1 MiB header bound, out-of-range numbers, CR line
//! endings, `;` separators and control characters. Everything a test writes goes to a fresh
//! folder under the system temp dir.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::TempDir;

/// The result of one invocation.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// Runs `strat` with `args` in `dir`; kills it and fails the test if it runs longer than 30 s
/// (an unbounded read of `/dev/zero` or a blocked open of a FIFO must not hang the suite).
fn strat(dir: &Path, args: &[&str]) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_strat"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start strat");
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("strat {args:?} ran longer than 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = start.elapsed();
    let out = child.wait_with_output().expect("output");
    Run { code: out.status.code(), stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned(), took }
}

/// A folder holding `s.strat`, which holds `mkt.spx` read from `path`.
fn program(path: &str) -> TempDir {
    let dir = TempDir::new("data-inputs");
    std::fs::write(dir.join("s.strat"), format!("data mkt = csv(\"{path}\")\nhold mkt.spx weight 1\n")).unwrap();
    dir
}

/// `strat ARGS s.strat` fails with exit 1, quickly, and stderr holds every one of `needles`.
fn fails(dir: &Path, args: &[&str], needles: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.push("s.strat");
    let r = strat(dir, &all);
    assert_eq!(r.code, Some(1), "strat {all:?}: stdout:\n{}\nstderr:\n{}", r.stdout, r.stderr);
    for n in needles {
        assert!(r.stderr.contains(n), "strat {all:?}: stderr lacks {n:?}:\n{}", r.stderr);
    }
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
    r
}

#[cfg(unix)]
#[test]
fn check_refuses_a_device_at_once() {
    let dir = program("/dev/zero");
    let r = fails(&dir, &["check"], &["strat::data::unreadable", "/dev/zero: not a regular file (a character device)"]);
    assert!(r.took < Duration::from_secs(3), "strat check took {:?}", r.took);
    fails(&dir, &["run"], &["strat::data::", "not a regular file"]);
}

#[cfg(unix)]
#[test]
fn check_refuses_a_fifo_and_a_directory() {
    let dir = program("pipe.csv");
    assert!(Command::new("mkfifo").arg(dir.join("pipe.csv")).status().unwrap().success());
    fails(&dir, &["check"], &["strat::data::unreadable", "pipe.csv: not a regular file (a FIFO (named pipe))"]);
    let dir = program("sub");
    std::fs::create_dir(dir.join("sub")).unwrap();
    fails(&dir, &["check"], &["sub: not a regular file (a directory)"]);
}

#[test]
fn a_file_without_line_breaks_is_not_read_whole() {
    let dir = program("blob.csv");
    std::fs::write(dir.join("blob.csv"), vec![b'7'; 3 << 20]).unwrap();
    fails(&dir, &["check"], &["strat::data::unreadable", "blob.csv:1: header line longer than 1 MiB — is this a CSV file?"]);
}

#[test]
fn the_data_file_size_limit_has_a_flag() {
    let dir = program("x.csv");
    std::fs::write(dir.join("x.csv"), "date,spx\n2024-01-02,100\n2024-01-03,101\n2024-01-04,102\n").unwrap();
    for cmd in ["check", "run"] {
        fails(&dir, &["--max-data-bytes", "20", cmd], &["x.csv: the file is 54 bytes, larger than the data-file limit of 20 bytes", "--max-data-bytes"]);
    }
    let ok = strat(&dir, &["--max-data-bytes", "54", "run", "s.strat"]);
    assert_eq!(ok.code, Some(0), "{}", ok.stderr);
}

#[test]
fn subnormal_and_overflowing_prices_are_data_errors() {
    let dir = program("x.csv");
    for (cell, message) in [
        ("1e-320", "x.csv:3: column 'spx': number 1e-320 is subnormal"),
        ("1e308", "x.csv:3: column 'spx': number 1e308 is out of range (larger than 1e100 in magnitude)"),
        ("1e309", "x.csv:3: column 'spx': number \"1e309\" is out of range"),
    ] {
        std::fs::write(dir.join("x.csv"), format!("date,spx\n2024-01-02,100\n2024-01-03,{cell}\n2024-01-04,102\n")).unwrap();
        fails(&dir, &["run"], &["strat::data::", message, "help: Strat reads numbers of magnitude 1e-100 to 1e100"]);
    }
}

#[test]
fn cr_endings_semicolons_and_nul_bytes_are_named() {
    let dir = program("x.csv");
    std::fs::write(dir.join("x.csv"), "date,spx\r2024-01-02,100\r2024-01-03,101\r").unwrap();
    fails(&dir, &["check"], &["x.csv:1: the file uses CR line endings", "save it with LF or CRLF line endings"]);
    std::fs::write(dir.join("x.csv"), "date;spx\n2024-01-02;100,5\n2024-01-03;101\n").unwrap();
    fails(&dir, &["check"], &["x.csv:1: the header looks `;`-separated; Strat reads comma-separated files"]);
    std::fs::write(dir.join("x.csv"), "date,spx\n2024-01-02,100\n2024-01-03,1\x000\n").unwrap();
    let r = fails(&dir, &["run"], &["x.csv:3: column 'spx': cannot parse \"1\\x000\" as a number"]);
    assert!(!r.stderr.contains('\0'), "{:?}", r.stderr);
    std::fs::write(dir.join("x.csv"), "date,sp\x07x\n2024-01-02,100\n").unwrap();
    let r = fails(&dir, &["check"], &["holds a control character: \"sp\\x07x\""]);
    assert!(!r.stderr.contains('\x07'), "{:?}", r.stderr);
}
