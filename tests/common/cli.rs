//! Running the `strat` binary in a folder and checking its exit code and stderr.

use std::path::Path;
use std::process::Command;

/// The result of one invocation.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `strat ARGS` in `dir` without colour.
pub fn strat_in<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_strat")).args(args).current_dir(dir).env("NO_COLOR", "1").output().expect("the strat binary starts");
    Run {
        code: out.status.code().expect("exited normally"),
        stdout: String::from_utf8(out.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    }
}

impl Run {
    /// Asserts the exit code (`what` names the call in the failure message).
    pub fn code(self, want: i32, what: &str) -> Run {
        assert_eq!(self.code, want, "{what}: exit {} (wanted {want})\nstdout:\n{}\nstderr:\n{}", self.code, self.stdout, self.stderr);
        self
    }

    /// Asserts that stderr contains `text`.
    pub fn says(self, text: &str, what: &str) -> Run {
        assert!(self.stderr.contains(text), "{what}: stderr lacks `{text}`:\n{}", self.stderr);
        self
    }
}

/// A path as text.
pub fn s(p: &Path) -> String {
    p.display().to_string()
}
