//! `strat merge OUT PARTS...`: the parts of a sharded sweep combined into the single-machine
//! table ([`strat_runtime::merge`]).

use super::diagnostics::fail;
use super::outputs::{check_exists, same_file, Planned};
use std::path::{Path, PathBuf};
use strat_runtime::merge::MergeError;

/// Checks that `out` names none of the parts and (without `force`) does not exist, merges, and
/// prints one line; returns the exit code (2 for bad usage, 1 for parts that cannot be merged).
pub(super) fn merge(out: &Path, parts: &[PathBuf], force: bool) -> i32 {
    for p in parts {
        if same_file(out, p) {
            return fail(
                2,
                "strat::cli::output_is_input",
                format!("{} is also a part; writing it would destroy an input", out.display()),
                "write the merged table to another file (--force never overwrites an input)",
            );
        }
    }
    if let Err(c) = check_exists(&[Planned { flag: "OUT".into(), path: out.to_path_buf() }], force) {
        return c;
    }
    match strat_runtime::merge::merge(out, parts) {
        Ok(m) => {
            out!("{}: {} bindings from {} shards (study {})", out.display(), m.rows, m.shards, m.fingerprint);
            0
        }
        Err(e) => {
            let (exit, code, help) = match &e {
                MergeError::Format(_) => (2, "strat::cli::out", "name the output and every part FILE.csv, FILE.parquet or FILE.json, one format for all"),
                MergeError::Io(_) => (1, "strat::io", "check that the files exist and the folder is writable"),
                MergeError::Part(_) => (1, "strat::merge::part", "re-run that shard (`strat sweep FILE --shard I/N --out PART --force`) and merge again"),
                MergeError::Mismatch(_) => {
                    (1, "strat::merge::mismatch", "merge the parts of one split of one study: the same program, data and grid, `--shard 1/N` .. `N/N`")
                }
            };
            fail(exit, code, format!("{e}; nothing written"), help)
        }
    }
}
