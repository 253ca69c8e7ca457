//! The files a command writes (`--out`, `--weights-out`, `--heatmap-svg`): their formats, the
//! checks made before anything is computed (two outputs naming one file, an output naming an
//! input, an existing file without `--force`, the estimated size against `--max-output-bytes`)
//! and the writing itself.

use super::diagnostics::fail;
use super::limits::limits;
use super::program::compile;
use std::path::{Path, PathBuf};
use strat::{Backend, Strategy};

/// A file a command will write: the flag that names it (`--out`, `--heatmap-svg`, ...) and its
/// path as given.
#[derive(Debug, Clone)]
pub(super) struct Planned {
    pub(super) flag: String,
    pub(super) path: PathBuf,
}

/// `p` made absolute (against the working folder) with its parent folder canonicalised when it
/// exists (symlinks, `.` and `..` resolved), else with `.` and `..` resolved lexically. Two
/// spellings of one file (`./x` and `x`, `d/../x`, a symlinked folder) give the same path.
pub(super) fn normalised(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().unwrap_or_default().join(p) };
    let lexical = |q: &Path| -> PathBuf {
        let mut out = PathBuf::new();
        for c in q.components() {
            match c {
                Component::CurDir => {}
                Component::ParentDir => {
                    out.pop();
                }
                other => out.push(other),
            }
        }
        out
    };
    if let (Some(parent), Some(name)) = (abs.parent(), abs.file_name()) {
        if let Ok(dir) = parent.canonicalize() {
            return dir.join(name);
        }
    }
    lexical(&abs)
}

/// Whether `a` and `b` name one file: the same [`normalised`] path, or (on Unix) the same device
/// and inode when both exist (hard links).
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    if normalised(a) == normalised(b) {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(x), Ok(y)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return x.dev() == y.dev() && x.ino() == y.ino();
        }
    }
    false
}

/// Refuses two outputs naming one file (`strat::cli::same_output`, exit 2) and an output naming
/// an input (`strat::cli::output_is_input`, exit 2; `--force` does not lift it).
pub(super) fn check_outputs(outs: &[Planned], inputs: &[(&str, PathBuf)]) -> Result<(), i32> {
    for (i, a) in outs.iter().enumerate() {
        for b in &outs[..i] {
            if same_file(&a.path, &b.path) {
                return Err(fail(
                    2,
                    "strat::cli::same_output",
                    format!("{} {} and {} {} name the same file; the second would replace the first", b.flag, b.path.display(), a.flag, a.path.display()),
                    "give each output its own file name",
                ));
            }
        }
        for (what, input) in inputs {
            if same_file(&a.path, input) {
                return Err(fail(
                    2,
                    "strat::cli::output_is_input",
                    format!("{} {} is {what} {}; writing it would destroy an input", a.flag, a.path.display(), input.display()),
                    "write the output to another file (--force never overwrites an input)",
                ));
            }
        }
    }
    Ok(())
}

/// Refuses an output file that exists unless `force` (`strat::io::exists`, exit 1).
pub(super) fn check_exists(outs: &[Planned], force: bool) -> Result<(), i32> {
    for o in outs {
        if !force && o.path.exists() {
            return Err(fail(1, "strat::io::exists", format!("{} already exists", o.path.display()), "pass --force to overwrite it, or choose another file"));
        }
    }
    Ok(())
}

/// Checks the planned outputs against each other and the program file, compiles the program,
/// then checks them against its data files and for existing files; all before any data is read
/// or anything is written. Returns the exit code of the first failure.
pub(super) fn compile_for_outputs(file: &Path, outs: &[Planned], force: bool, reference: bool) -> Result<Strategy, i32> {
    check_outputs(outs, &[("the program", file.to_path_buf())])?;
    let backend = if reference { Backend::Reference } else { Backend::Jit };
    let strategy = compile(file, backend)?;
    check_outputs(outs, &inputs_of(file, &strategy)).and_then(|_| check_exists(outs, force))?;
    Ok(strategy)
}

/// The `--out` file of `sweep` / `walk-forward` as the first planned output, with its format
/// (`strat::cli::out`, exit 2, for an extension other than csv, parquet or json).
pub(super) fn planned_out(out: Option<&Path>) -> Result<(Vec<Planned>, Option<strat_runtime::write::Format>), i32> {
    match out {
        Some(o) => Ok((vec![Planned { flag: "--out".into(), path: o.to_path_buf() }], Some(output_format("--out", o)?))),
        None => Ok((vec![], None)),
    }
}

/// The files a program reads: the `.strat` file and every data and universe file.
pub(super) fn inputs_of<'a>(file: &'a Path, strategy: &Strategy) -> Vec<(&'a str, PathBuf)> {
    let base = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let program = strategy.program();
    let mut v = vec![("the program", file.to_path_buf())];
    v.extend(program.data.iter().map(|d| ("the data file", base.join(&d.path))));
    v.extend(program.universes.iter().map(|u| ("the universe file", base.join(&u.path))));
    v
}

/// Refuses an output format other than `.csv`, `.parquet` or `.json` (`strat::cli::out`, exit 2).
pub(super) fn output_format(flag: &str, path: &Path) -> Result<strat_runtime::write::Format, i32> {
    strat_runtime::write::Format::of(path).ok_or_else(|| {
        fail(
            2,
            "strat::cli::out",
            format!("{flag} takes a .csv, .parquet or .json file, got {}", path.display()),
            "name the file FILE.csv, FILE.parquet or FILE.json",
        )
    })
}

/// Bytes per written cell in the output size estimate (a float or date with its separator).
pub(super) const BYTES_PER_CELL: u64 = 24;

/// Refuses an output whose estimated size (`rows * columns * 24` bytes, plus `extra`) exceeds
/// `--max-output-bytes` (`strat::limits::output`, exit 1).
pub(super) fn check_output_size(o: &Planned, rows: usize, columns: usize, extra: u64) -> Result<(), i32> {
    let limit = limits().max_output_bytes;
    let estimate = (rows as u64).saturating_mul(columns as u64).saturating_mul(BYTES_PER_CELL).saturating_add(extra);
    if estimate > limit {
        return Err(fail(
            1,
            "strat::limits::output",
            format!(
                "{} {} would be about {} ({rows} rows x {columns} columns), over the output limit of {}",
                o.flag,
                o.path.display(),
                strat::limits::format_bytes(estimate),
                strat::limits::format_bytes(limit)
            ),
            "raise the limit with --max-output-bytes SIZE (e.g. --max-output-bytes 8GiB), or write fewer rows",
        ));
    }
    Ok(())
}

/// A table of text columns (a `date` column as dates) and float columns, as typed columns.
pub(super) fn typed(text: Vec<(String, Vec<String>)>, nums: Vec<(String, Vec<f64>)>) -> Vec<(String, strat_runtime::write::Col)> {
    use strat_runtime::write::Col;
    let mut cols = vec![];
    for (name, v) in text {
        let dates: Option<Vec<i32>> = if name == "date" { v.iter().map(|d| strat_runtime::frame::parse_date(d)).collect() } else { None };
        cols.push((name, dates.map(Col::Date).unwrap_or(Col::Text(v))));
    }
    cols.extend(nums.into_iter().map(|(n, v)| (n, Col::Float(v))));
    cols
}

/// Writes typed columns to `o` in `format`; reports a failure (`strat::io::write`, exit 1).
pub(super) fn write_output(o: &Planned, format: strat_runtime::write::Format, cols: &[(String, strat_runtime::write::Col)]) -> Result<(), i32> {
    strat_runtime::write::write_columns(&o.path, format, cols)
        .map_err(|e| fail(1, "strat::io::write", format!("cannot write {}: {e}", o.path.display()), "check that the folder exists and is writable"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_spellings_of_one_path_are_one_file() {
        let dir = std::env::temp_dir().join(format!("strat-cli-paths-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap();
        let a = dir.join("x.csv");
        assert!(same_file(&a, &dir.join(".").join("x.csv")));
        assert!(same_file(&a, &dir.join("sub").join("..").join("x.csv")));
        assert!(!same_file(&a, &dir.join("sub").join("x.csv")));
        // A folder that does not exist is resolved in the text.
        assert!(same_file(&dir.join("no/../y.csv"), &dir.join("y.csv")));
        #[cfg(unix)]
        {
            let _ = std::os::unix::fs::symlink(dir.join("sub"), dir.join("link"));
            assert!(same_file(&dir.join("link/z.csv"), &dir.join("sub/z.csv")));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
