//! The part file of a sharded walk-forward: what one shard's bindings leave for the fold choice
//! ([`super::choose`]), so that the choice can be made on one machine over every shard.
//!
//! Walk-forward chooses, per fold, the best binding over the whole grid by its training
//! returns, so a shard cannot choose alone: it writes each of its bindings' daily returns and
//! exposures, and `strat walk-forward FILE --merge PARTS...` reads every part, checks that they
//! are the whole of one study ([`crate::merge`]'s checks: one fingerprint, every shard once,
//! each part exactly its shard's bindings) and that the study is the program's own on its data,
//! then chooses exactly as a single-machine walk-forward does.
//!
//! A part is a Parquet file (binary floats, so every return comes back bit for bit) with one
//! row per bar of each binding that ran and one row per binding that failed:
//!
//! | column | type | content |
//! |---|---|---|
//! | `binding` | Int64 | the grid index |
//! | `row` | Int64 | the data row of the return; null for a failed binding |
//! | `return` | Float64 | the net return (fraction); null for NaN |
//! | `exposure` | Float64 | the gross exposure (fraction of equity) |
//! | `error` | String | empty, or why the binding failed |
//!
//! and file metadata `strat.part` = [`PART_KIND`], `strat.shard` (`I/N`),
//! `strat.grid_bindings` and `strat.fingerprint` ([`crate::shard::fingerprint`]).

use super::BindingRun;
use crate::merge::{check_parts, MergeError, PartInfo};
use crate::shard::Shard;
use crate::write::{Col, Format, TableWriter};
use polars::prelude::*;
use std::path::Path;

/// The value of the `strat.part` metadata key of a walk-forward part.
pub const PART_KIND: &str = "walk-forward v1";

/// Writes the part of `shard` (of a grid of `grid_bindings` with study `fingerprint`) holding
/// `runs` (the shard's bindings in grid order, as [`super::binding_runs`] returns them) at
/// `path`, one binding at a time.
///
/// Errors: a run without its exposures (before the file is created), or the file cannot be
/// created or written.
pub fn write_part(path: &Path, shard: Shard, grid_bindings: usize, fingerprint: &str, runs: &[(usize, Result<BindingRun, String>)]) -> PolarsResult<()> {
    if let Some((index, _)) = runs.iter().find(|(_, r)| r.as_ref().is_ok_and(|r| r.exposure.is_none())) {
        return Err(PolarsError::InvalidOperation(format!("binding {index} kept no exposures: a part needs them").into()));
    }
    let kv = vec![
        ("strat.part".to_string(), PART_KIND.to_string()),
        ("strat.shard".to_string(), shard.to_string()),
        ("strat.grid_bindings".to_string(), grid_bindings.to_string()),
        ("strat.fingerprint".to_string(), fingerprint.to_string()),
    ];
    let mut w = TableWriter::new(path, Format::Parquet).with_metadata(kv);
    for (index, run) in runs {
        let b = *index as i64;
        let cols = match run {
            Ok(r) => {
                let n = r.returns.len();
                vec![
                    ("binding".to_string(), Col::Int(vec![Some(b); n])),
                    ("row".to_string(), Col::Int((r.start..r.start + n).map(|t| Some(t as i64)).collect())),
                    ("return".to_string(), Col::Float(r.returns.clone())),
                    ("exposure".to_string(), Col::Float(r.exposure.clone().unwrap_or_default())),
                    // NaN throughout for a binding without a cash account.
                    ("rf".to_string(), Col::Float(r.rf.clone().unwrap_or_else(|| vec![f64::NAN; n]))),
                    ("error".to_string(), Col::Text(vec![String::new(); n])),
                ]
            }
            Err(e) => vec![
                ("binding".to_string(), Col::Int(vec![Some(b)])),
                ("row".to_string(), Col::Int(vec![None])),
                ("return".to_string(), Col::Float(vec![f64::NAN])),
                ("exposure".to_string(), Col::Float(vec![f64::NAN])),
                ("rf".to_string(), Col::Float(vec![f64::NAN])),
                ("error".to_string(), Col::Text(vec![e.clone()])),
            ],
        };
        w.push(&cols)?;
    }
    w.finish()
}

/// A part as read: what it says of its study and the runs it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Shard, grid size, fingerprint and the grid index of each binding, in file order.
    pub info: PartInfo,
    /// Each binding's run, or its error, in file order.
    pub runs: Vec<(usize, Result<BindingRun, String>)>,
}

/// Reads the walk-forward part `bytes` (the file `path`, named in errors).
///
/// Errors ([`MergeError::Part`]): not a Parquet file (truncated or damaged), not a walk-forward
/// part (no `strat.part` metadata, other columns), a bad study value, rows of one binding
/// not contiguous or not consecutive data rows.
pub fn read_part(path: &Path, bytes: Vec<u8>) -> Result<Part, MergeError> {
    let bad = |m: String| MergeError::Part(format!("{}: {m}", path.display()));
    let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
    let meta = reader.get_metadata().map_err(|e| bad(format!("not a readable Parquet file ({e}); the part is truncated or damaged")))?;
    let kv: Vec<(String, String)> = meta.key_value_metadata().iter().flatten().map(|k| (k.key.clone(), k.value.clone().unwrap_or_default())).collect();
    let get = |k: &str| kv.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    if get("strat.part").as_deref() != Some(PART_KIND) {
        return Err(bad(
            "not a part of a sharded walk-forward (no `strat.part` metadata); write parts with `strat walk-forward FILE --shard I/N --out PART.parquet`".into(),
        ));
    }
    let shard = Shard::parse(&get("strat.shard").unwrap_or_default()).map_err(|e| bad(format!("metadata strat.shard: {e}")))?;
    let grid_bindings =
        get("strat.grid_bindings").and_then(|g| g.parse::<usize>().ok()).ok_or_else(|| bad("metadata strat.grid_bindings is not a whole number".into()))?;
    let fingerprint = get("strat.fingerprint").unwrap_or_default();
    let df = reader.finish().map_err(|e| bad(format!("not a readable Parquet file ({e}); the part is truncated or damaged")))?;
    let col = |name: &str| df.column(name).map_err(|_| bad(format!("column `{name}` is missing; not a walk-forward part")));
    let ints =
        |name: &str| -> Result<Vec<Option<i64>>, MergeError> { Ok(col(name)?.i64().map_err(|e| bad(format!("column {name}: {e}")))?.into_iter().collect()) };
    let floats = |name: &str| -> Result<Vec<f64>, MergeError> {
        Ok(col(name)?.f64().map_err(|e| bad(format!("column {name}: {e}")))?.into_iter().map(|x| x.unwrap_or(f64::NAN)).collect())
    };
    let (binding, row, ret, exposure) = (ints("binding")?, ints("row")?, floats("return")?, floats("exposure")?);
    // A part written before the cash account had no `rf` column: no risk-free returns.
    let rf = if df.column("rf").is_ok() { floats("rf")? } else { vec![f64::NAN; ret.len()] };
    let error: Vec<String> = col("error")?.str().map_err(|e| bad(format!("column error: {e}")))?.into_iter().map(|s| s.unwrap_or("").to_string()).collect();
    let mut runs: Vec<(usize, Result<BindingRun, String>)> = vec![];
    let mut k = 0;
    while k < binding.len() {
        let b = binding[k].and_then(|b| usize::try_from(b).ok()).ok_or_else(|| bad(format!("row {}: column binding: not a grid index", k + 1)))?;
        let mut end = k;
        while end < binding.len() && binding[end] == binding[k] {
            end += 1;
        }
        if runs.iter().any(|r| r.0 == b) {
            return Err(bad(format!("row {}: the rows of binding {b} are not together; an edited part", k + 1)));
        }
        if row[k].is_none() {
            if end - k != 1 {
                return Err(bad(format!("row {}: binding {b} failed but has {} rows", k + 1, end - k)));
            }
            runs.push((b, Err(error[k].clone())));
        } else {
            let start = row[k].and_then(|t| usize::try_from(t).ok()).ok_or_else(|| bad(format!("row {}: column row: not a data row", k + 1)))?;
            if (k..end).any(|i| row[i] != Some((start + i - k) as i64)) {
                return Err(bad(format!("binding {b}: its rows are not consecutive data rows; a truncated or edited part")));
            }
            // A cash account's risk-free returns are never NaN (a missing rate counts 0).
            let f = &rf[k..end];
            let rf = if f.iter().all(|x| x.is_nan()) { None } else { Some(f.to_vec()) };
            runs.push((b, Ok(BindingRun { index: b, start, returns: ret[k..end].to_vec(), exposure: Some(exposure[k..end].to_vec()), rf })));
        }
        k = end;
    }
    let info = PartInfo { path: path.to_path_buf(), shard, grid_bindings, fingerprint, bindings: runs.iter().map(|r| r.0).collect() };
    Ok(Part { info, runs })
}

/// The runs of the bindings that ran, in grid order, from `parts` that must be the whole of one
/// study whose fingerprint is `fingerprint` (the program and data of the merge) and whose grid
/// has `grid_bindings` bindings.
///
/// Errors: [`MergeError::Mismatch`] for parts of another study or of several splits, a shard
/// missing or given twice; [`MergeError::Part`] for a part that does not hold exactly its
/// shard's bindings.
pub fn assemble(parts: Vec<Part>, fingerprint: &str, grid_bindings: usize) -> Result<Vec<BindingRun>, MergeError> {
    let Some(first) = parts.first() else {
        return Err(MergeError::Mismatch("no part files given".into()));
    };
    if first.info.fingerprint != fingerprint || first.info.grid_bindings != grid_bindings {
        return Err(MergeError::Mismatch(format!(
            "{} is a part of another study (fingerprint {}, {} bindings) than this program on its data (fingerprint {fingerprint}, {grid_bindings} bindings): \
             the program, its data or its grid changed since the shards ran",
            first.info.path.display(),
            first.info.fingerprint,
            first.info.grid_bindings
        )));
    }
    let infos: Vec<PartInfo> = parts.iter().map(|p| p.info.clone()).collect();
    check_parts(&infos)?;
    let mut all: Vec<Option<BindingRun>> = vec![None; grid_bindings];
    for p in parts {
        for (b, r) in p.runs {
            all[b] = r.ok();
        }
    }
    Ok(all.into_iter().flatten().collect())
}
