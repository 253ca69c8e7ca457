//! The `panel` sources of a program (SEMANTICS.md §3c): read each file (only the fields the plan
//! uses), then join it onto the frame's bars as of each date ([`crate::asof`]).

use std::path::Path;

use crate::asof::{join_long, join_wide, PanelData};
use crate::frame::Frame;
use crate::io::{error, read_csv_with, read_long_csv, DataError, ReadOptions};
use crate::load::memory::{memory_file, MemorySource, MemorySources};
use strat_compiler::plan::InputRef;
use strat_compiler::program::{PanelLayout, PanelRef};
use strat_compiler::{Compiled, Program};

/// The panels the plan reads, in plan-input order, without repeats.
pub fn used_panels(compiled: &Compiled) -> Vec<PanelRef> {
    let mut out: Vec<PanelRef> = vec![];
    for i in &compiled.lowered.plan.inputs {
        if let InputRef::Panel { panel, .. } = i {
            if !out.contains(panel) {
                out.push(panel.clone());
            }
        }
    }
    out
}

/// Reads every `panel` source of the program (paths relative to `base_dir`): of a long file the
/// fields the plan uses (and its `available` column), of a wide file the universe's assets it
/// has. A source the plan does not read is read as an empty table (nothing of it is used).
pub fn read_panels(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions) -> Result<Vec<PanelData>, DataError> {
    read_panels_from(compiled, base_dir, opts, &MemorySources::new())
}

/// [`read_panels`], taking the panels named in `memory` from memory (a long table for a long
/// source, a wide one for a wide source; validated as a file is).
pub fn read_panels_from(compiled: &Compiled, base_dir: &Path, opts: &ReadOptions, memory: &MemorySources) -> Result<Vec<PanelData>, DataError> {
    let program = compiled.program();
    let used = used_panels(compiled);
    let mut out = Vec::with_capacity(program.panels.len());
    for (k, p) in program.panels.iter().enumerate() {
        let path = base_dir.join(&p.path);
        let read = used.iter().any(|r| r.source == k);
        let given = memory.get(&p.name);
        out.push(match &p.layout {
            PanelLayout::Long { .. } => {
                let fields: Vec<String> = used.iter().filter(|r| r.source == k).filter_map(|r| r.field.clone()).collect();
                if let Some(given) = given {
                    match given {
                        MemorySource::Long(l) => PanelData::Long(l.select(&p.name, &fields, p.available.is_some())?),
                        MemorySource::Wide(_) => {
                            return Err(DataError::new(memory_file(&p.name), "a wide table was given for a long panel source")
                                .with_help("give the records: a date, a ticker and a column per field"))
                        }
                    }
                } else if read && crate::io::parquet::is_parquet(&path) {
                    PanelData::Long(crate::io::parquet::read_long_parquet(&path, &fields, p.available.as_deref(), opts)?)
                } else if read {
                    PanelData::Long(read_long_csv(&path, &fields, p.available.as_deref(), opts)?)
                } else {
                    PanelData::Long(Default::default())
                }
            }
            PanelLayout::Wide { columns } => {
                let assets: Vec<String> = program.universes[p.universe].assets.iter().filter(|a| columns.contains(a)).cloned().collect();
                if let Some(given) = given {
                    match given {
                        MemorySource::Wide(t) => PanelData::Wide(t.select(&p.name, &assets)?),
                        MemorySource::Long(_) => {
                            return Err(DataError::new(memory_file(&p.name), "long records were given for a wide panel source")
                                .with_help("give a wide table: one row per date, one column per asset"))
                        }
                    }
                } else if read && crate::io::parquet::is_parquet(&path) {
                    PanelData::Wide(crate::io::parquet::read_wide_parquet(&path, &assets, opts)?)
                } else if read {
                    PanelData::Wide(read_csv_with(&path, &assets, opts)?)
                } else {
                    PanelData::Wide(Frame::default())
                }
            }
        });
    }
    Ok(out)
}

/// Joins the panels the plan reads onto `frame`'s dates, appending one column per asset named
/// as [`Program::panel_columns`] says, and adds a warning per source for the universe's assets
/// it has no data for (NaN throughout) and the wide columns it does not read.
pub fn join_panels(compiled: &Compiled, frame: &mut Frame, data: &[PanelData], base_dir: &Path) {
    let program = compiled.program();
    for r in used_panels(compiled) {
        let p = &program.panels[r.source];
        let assets = &program.universes[p.universe].assets;
        let (cols, _) = match (&data[r.source], &r.field) {
            (PanelData::Long(t), Some(f)) => {
                let Some(k) = t.fields.iter().position(|x| x == f) else { continue };
                join_long(t, k, assets, &frame.dates, p.lag_days)
            }
            (PanelData::Wide(w), _) => join_wide(w, assets, &frame.dates, p.lag_days),
            _ => continue,
        };
        for (name, col) in program.panel_columns(&r).into_iter().zip(cols) {
            frame.names.push(name);
            frame.columns.push(col);
            frame.origins.push(None);
        }
    }
    for (k, p) in program.panels.iter().enumerate() {
        if !used_panels(compiled).iter().any(|r| r.source == k) {
            continue;
        }
        let assets = &program.universes[p.universe].assets;
        let path = base_dir.join(&p.path);
        let missing: Vec<&String> = match &data[k] {
            PanelData::Long(t) => assets.iter().filter(|a| !t.names.contains(a)).collect(),
            PanelData::Wide(_) => match &p.layout {
                PanelLayout::Wide { columns } => assets.iter().filter(|a| !columns.contains(a)).collect(),
                PanelLayout::Long { .. } => vec![],
            },
        };
        if !missing.is_empty() {
            let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
            frame.warnings.push(
                DataError::new(
                    &path,
                    format!(
                        "{} of the {} assets of `{}` have no data here: {} (NaN throughout)",
                        list.len(),
                        assets.len(),
                        program.universes[p.universe].name,
                        list.join(", ")
                    ),
                )
                .with_code(error::NO_RECORDS)
                .with_help("a NaN value means no position (or no tilt) for that asset; check the tickers' spelling (lowercase) if this is unexpected"),
            );
        }
        if let PanelLayout::Wide { columns } = &p.layout {
            let extra: Vec<&str> = columns.iter().filter(|c| !assets.contains(c)).map(|s| s.as_str()).collect();
            if !extra.is_empty() {
                frame.warnings.push(
                    DataError::new(
                        &path,
                        format!("{} column(s) are not assets of `{}` and are not read: {}", extra.len(), program.universes[p.universe].name, extra.join(", ")),
                    )
                    .with_line(1)
                    .with_code(error::EXTRA_COLUMNS)
                    .with_help("a wide panel is re-indexed onto its universe's assets; add them to the universe to use them"),
                );
            }
        }
    }
}

/// The frame column names of every panel the plan reads (for tests and tools that perturb data).
pub fn panel_column_names(compiled: &Compiled) -> Vec<String> {
    let program: &Program = compiled.program();
    used_panels(compiled).iter().flat_map(|r| program.panel_columns(r)).collect()
}
