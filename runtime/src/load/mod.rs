//! Loading: reads a program's data sources and universes (only the columns it uses), aligns
//! them on date into one [`Frame`], applies the study's date window, validates the traded
//! prices, then joins the point-in-time panels onto those bars as of each date ([`panels`]).
//! The executor then runs the plan over that frame.
//!
//! [`load_sources`] stops before the as-of join and keeps the panels' records as read, so that
//! a look-ahead audit can perturb records by the date they became usable and join again
//! ([`Sources::assemble`]).

pub mod memory;
pub mod panels;

use crate::frame::{parse_date, Frame, Origin};
use crate::io::{asof_join, inner_join, read_csv_with, DataError, ReadOptions};
use memory::{memory_file, MemorySource, MemorySources};
use std::path::Path;
use strat_compiler::plan::InputRef;
use strat_compiler::program::{ColumnRef, Holding, WeightMembersRef};
use strat_compiler::{Compiled, Program};

/// Reads every data source and universe of the program (paths relative to `base_dir`), keeping
/// only the columns it uses, inner-joins them on date, restricts the rows to the `from`/`to`
/// window, and validates traded prices: a held or benchmark column must be finite and > 0 on
/// every row; a universe's prices may be missing (empty) but not zero, negative or infinite.
///
/// Errors name the file, the line and the column (see [`DataError`]). Reads with the default
/// [`ReadOptions`]; see [`load_data_with`].
pub fn load_data(compiled: &Compiled, base_dir: &Path) -> Result<Frame, DataError> {
    load_data_with(compiled, base_dir, &ReadOptions::default())
}

/// [`load_data`], reading every file with `opts` (the data-file size limit).
pub fn load_data_with(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions) -> Result<Frame, DataError> {
    Ok(load_sources(compiled, base_dir, opts)?.into_frame(compiled))
}

/// [`load_data_with`], taking the sources named in `memory` from memory instead of their files
/// (validated as strictly: see [`memory`]); the others are read.
///
/// Errors: those of [`load_data_with`]; a name in `memory` that is no source of the program
/// (the message lists them); a long table given for a wide source or the other way round.
pub fn load_data_from(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions, memory: &MemorySources) -> Result<Frame, DataError> {
    Ok(load_sources_from(compiled, base_dir, opts, memory)?.into_frame(compiled))
}

/// The data of a program as read: the aligned, windowed and validated frame of its `data`
/// sources and universes, and the records of its `panel` sources (not yet joined).
#[derive(Debug, Clone, PartialEq)]
pub struct Sources {
    /// The frame without the panels' columns.
    pub frame: Frame,
    /// Each `panel` source's records, in declaration order.
    pub panels: Vec<crate::asof::PanelData>,
    /// The folder the paths are relative to (for the warnings' file names).
    pub base_dir: std::path::PathBuf,
}

impl Sources {
    /// The frame a run reads: [`Sources::frame`] with the panels joined as of each bar (their
    /// warnings added).
    pub fn assemble(&self, compiled: &Compiled) -> Frame {
        let mut frame = self.frame.clone();
        panels::join_panels(compiled, &mut frame, &self.panels, &self.base_dir);
        frame
    }

    /// [`Sources::assemble`] without copying the frame (the sources are used once).
    pub fn into_frame(self, compiled: &Compiled) -> Frame {
        let mut frame = self.frame;
        panels::join_panels(compiled, &mut frame, &self.panels, &self.base_dir);
        frame
    }
}

/// Reads and aligns every source of the program ([`load_data_with`]'s work) but leaves the
/// `panel` sources as records: see [`Sources::assemble`].
pub fn load_sources(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions) -> Result<Sources, DataError> {
    load_sources_from(compiled, base_dir, opts, &MemorySources::new())
}

/// [`load_sources`], taking the sources named in `memory` from memory ([`load_data_from`]).
pub fn load_sources_from(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions, memory: &MemorySources) -> Result<Sources, DataError> {
    check_memory_names(compiled.program(), memory)?;
    let panels = panels::read_panels_from(compiled, base_dir, opts, memory)?;
    let frame = load_frame(compiled, base_dir, opts, memory)?;
    Ok(Sources { frame, panels, base_dir: base_dir.to_path_buf() })
}

/// Every name of `memory` must be a source of the program.
fn check_memory_names(program: &Program, memory: &MemorySources) -> Result<(), DataError> {
    let declared: Vec<&str> = program
        .data
        .iter()
        .map(|d| d.name.as_str())
        .chain(program.universes.iter().map(|u| u.name.as_str()))
        .chain(program.panels.iter().map(|p| p.name.as_str()))
        .collect();
    for name in memory.names() {
        if !declared.contains(&name) {
            let list = if declared.is_empty() { "the program declares none".to_string() } else { declared.join(", ") };
            return Err(DataError::new(memory_file(name), format!("`{name}` is not a data source, universe or panel of the program; its sources: {list}")));
        }
    }
    Ok(())
}

/// The frame of `columns` of source `name`: from memory when given there, else read from `path`.
fn read_source(name: &str, path: &Path, columns: &[String], opts: &ReadOptions, memory: &MemorySources) -> Result<Frame, DataError> {
    match memory.get(name) {
        Some(MemorySource::Wide(t)) => t.select(name, columns),
        Some(MemorySource::Long(_)) => Err(DataError::new(memory_file(name), "long records (date, ticker, fields) were given for a wide source")
            .with_help("give a wide table: one row per date, one column per series")),
        None => read_csv_with(path, columns, opts),
    }
}

/// The columns a run reads of each `data` source (`[source][k]`, in order of first use): those
/// the plan reads, the held columns and the benchmark.
pub fn used_columns(compiled: &Compiled) -> Vec<Vec<String>> {
    let program = compiled.program();
    let mut used: Vec<&ColumnRef> = compiled
        .lowered
        .plan
        .inputs
        .iter()
        .filter_map(|i| match i {
            InputRef::Column(c) => Some(c),
            _ => None,
        })
        .collect();
    for h in program.holds() {
        if let Holding::Column(c) = &h.target {
            used.push(c);
        }
    }
    if let Some(b) = &program.benchmark {
        used.push(b);
    }
    let mut out: Vec<Vec<String>> = vec![vec![]; program.data.len()];
    for c in used {
        if let Some(cols) = out.get_mut(c.source) {
            if !cols.contains(&c.column) {
                cols.push(c.column.clone());
            }
        }
    }
    out
}

/// The aligned, windowed and validated frame of the `data` sources and universes.
fn load_frame(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions, memory: &MemorySources) -> Result<Frame, DataError> {
    let program = compiled.program();
    let used = used_columns(compiled);
    let (mut frames, mut asof) = (vec![], vec![]);
    for (i, ds) in program.data.iter().enumerate() {
        let cols = &used[i];
        let f = (ds.name.clone(), read_source(&ds.name, &base_dir.join(&ds.path), cols, opts, memory)?);
        // An `asof` source takes no part in the join: it is read as of each joined row's date.
        if ds.asof {
            asof.push(f);
        } else {
            frames.push(f);
        }
    }
    for un in &program.universes {
        frames.push((un.name.clone(), read_source(&un.name, &base_dir.join(&un.path), &un.assets, opts, memory)?));
    }
    let first_file = match (program.data.iter().find(|d| !d.asof), program.universes.first()) {
        (Some(d), _) if memory.get(&d.name).is_some() => memory_file(&d.name),
        (Some(d), _) => base_dir.join(&d.path),
        (None, Some(u)) if memory.get(&u.name).is_some() => memory_file(&u.name),
        (None, Some(u)) => base_dir.join(&u.path),
        _ => base_dir.to_path_buf(),
    };
    let frame = window(asof_join(inner_join(frames), asof), program, &first_file)?;
    if frame.len() < 2 {
        return Err(DataError::new(
            first_file,
            format!("the data has {} row(s) after aligning the sources on date and applying the date window; a backtest needs at least 2", frame.len()),
        ));
    }
    let mut strict: Vec<String> = vec![];
    let weighted = program.weights.iter().filter_map(|w| match w.members {
        WeightMembersRef::Universe(u) => Some(Holding::Universe(u)),
        WeightMembersRef::Sleeves(_) => None,
    });
    let targets: Vec<Holding> = program.holds().iter().map(|h| h.target.clone()).chain(weighted).collect();
    for target in &targets {
        match target {
            Holding::Column(c) => strict.push(program.frame_column_name(c)),
            Holding::Universe(u) => {
                for name in program.universe_columns(*u) {
                    let Some(j) = frame.column_index(&name) else { continue };
                    for (t, &v) in frame.columns[j].iter().enumerate() {
                        if !v.is_nan() && (!v.is_finite() || v <= 0.0) {
                            return Err(DataError::at_row(
                                &frame,
                                j,
                                t,
                                format!("the price {v} where a traded price is required (> 0, or empty when the asset does not trade)"),
                            ));
                        }
                    }
                }
            }
        }
    }
    if let Some(b) = &program.benchmark {
        strict.push(program.frame_column_name(b));
    }
    for name in strict {
        let Some(j) = frame.column_index(&name) else { continue };
        for (t, &v) in frame.columns[j].iter().enumerate() {
            if !v.is_finite() || v <= 0.0 {
                let what = if v.is_nan() { "a missing price (empty field)".to_string() } else { format!("the price {v}") };
                return Err(DataError::at_row(&frame, j, t, format!("{what} where a traded price is required (finite and > 0)")));
            }
        }
    }
    Ok(frame)
}

/// Restricts `frame` to the program's `from` / `to` dates (rows are then counted from the
/// window's first row, SEMANTICS.md §0).
fn window(frame: Frame, program: &Program, file: &Path) -> Result<Frame, DataError> {
    let parse = |d: &Option<String>| -> Result<Option<i32>, DataError> {
        match d {
            None => Ok(None),
            Some(s) => parse_date(s).map(Some).ok_or_else(|| DataError::new(file, format!("`{s}` is not a date"))),
        }
    };
    let (from, to) = (parse(&program.from)?, parse(&program.to)?);
    if from.is_none() && to.is_none() {
        return Ok(frame);
    }
    let start = from.map(|f| frame.dates.partition_point(|&d| d < f)).unwrap_or(0);
    let end = to.map(|t| frame.dates.partition_point(|&d| d <= t)).unwrap_or(frame.len());
    let end = end.max(start);
    let origins = frame
        .origins
        .iter()
        .map(|o| o.as_ref().map(|o| Origin { file: o.file.clone(), column: o.column.clone(), lines: std::sync::Arc::new(o.lines[start..end].to_vec()) }))
        .collect();
    Ok(Frame {
        dates: frame.dates[start..end].to_vec(),
        next_date: frame.dates.get(end).copied().or(frame.next_date),
        names: frame.names,
        columns: frame.columns.iter().map(|c| c[start..end].to_vec()).collect(),
        origins,
        warnings: frame.warnings,
    })
}
