//! `panel NAME = csv("path") [on UNIVERSE] [available COLUMN] [lag Nd]`: point-in-time panel
//! sources (SEMANTICS.md §3c), and their use as values (`base`) or fields (`fund.roe`).
//!
//! A file whose second column is `ticker` is long (`date, ticker, field...`: one panel per
//! field); any other file is wide (`date, asset...`: the source is one panel). Either is
//! re-indexed onto the universe named by `on` (or the program's only universe) when the data
//! is loaded; here only the header is read.

use super::{Checker, Decl};
use crate::hir::*;
use crate::suggest::did_you_mean;
use crate::types::{Elem, Kind, Qual, Type};
use strat_grammar::ast::{Days, Ident};
use strat_grammar::{Diag, Span};

/// The column that marks a long file (its second column, after `date`).
pub const TICKER: &str = "ticker";

/// A `panel` statement as written.
pub(super) struct PanelStmt<'a> {
    pub name: &'a Ident,
    pub format: &'a Ident,
    pub path: &'a str,
    pub path_span: Span,
    pub on: Option<&'a Ident>,
    pub available: Option<&'a Ident>,
    pub lag: Option<Days>,
}

impl Checker {
    /// `panel NAME = csv("path") ...`: reads the header, tells long from wide, resolves the
    /// universe, checks the `available` column and the lag.
    pub(super) fn panel_stmt(&mut self, st: PanelStmt, columns_of: &mut super::stmt::ColumnsOf) {
        if st.format.name != "csv" && st.format.name != "parquet" {
            self.err(
                Diag::error("strat::data::unknown_format", format!("unknown data format `{}`", st.format.name), st.format.span, "not a data format")
                    .with_help("a panel reads `csv(\"path\")` or `parquet(\"path.parquet\")`"),
            );
        } else if (st.format.name == "parquet") != st.path.ends_with(".parquet") {
            self.err(
                Diag::error("strat::data::unknown_format", format!("`{}` names a file ending in something else", st.format.name), st.path_span, "this file")
                    .with_help("`parquet(...)` reads a `.parquet` file, `csv(...)` any other: name the format the file has"),
            );
        }
        let universe = self.panel_universe(st.name, st.on);
        let lag_days = match st.lag {
            Some(d) if d.days < 0 => {
                self.err(
                    Diag::error("strat::value::negative_lag", format!("a lag of {} days", d.days), d.span, "negative")
                        .with_help("a lag delays data (a record dated d is used from d + lag): write `lag 0d` or more, e.g. `lag 90d`"),
                );
                None
            }
            Some(d) => Some(d.days),
            None => Some(0),
        };
        let header = match columns_of(st.path) {
            Ok(c) => Some(c),
            Err(msg) => {
                self.err(
                    Diag::error("strat::data::unreadable", format!("cannot read panel `{}`", st.name.name), st.path_span, msg)
                        .with_help("paths are relative to the .strat file's folder"),
                );
                None
            }
        };
        let layout = header.and_then(|h| self.panel_layout(&st, h));
        // A bad lag is reported once; the panel's fields still check.
        let ok = universe.is_some() && layout.is_some();
        self.broken_panels.push(!ok);
        self.panels.push(PanelSource {
            name: st.name.name.clone(),
            path: st.path.to_string(),
            path_span: st.path_span,
            layout: layout.unwrap_or(PanelLayout::Wide { columns: vec![] }),
            universe: universe.unwrap_or(0),
            available: st.available.map(|a| a.name.clone()),
            lag_days: lag_days.unwrap_or(0),
            timed: st.lag.is_some() || st.available.is_some(),
        });
    }

    /// The universe a panel is re-indexed onto: `on U`, or the only universe declared above.
    fn panel_universe(&mut self, name: &Ident, on: Option<&Ident>) -> Option<usize> {
        match on {
            Some(u) => match self.decls.get(&u.name) {
                Some((Decl::Universe(k), _)) if *k < self.universes.len() => (!self.broken_universes.get(*k).copied().unwrap_or(true)).then_some(*k),
                Some((Decl::Universe(_), _)) => {
                    self.err(
                        Diag::error("strat::name::used_before_declared", format!("universe `{}` is declared below", u.name), u.span, "declared later")
                            .with_help("declare the universe above the panel"),
                    );
                    None
                }
                Some(_) => {
                    self.err(
                        Diag::error("strat::type::not_a_universe", format!("`{}` is not a universe", u.name), u.span, "not a universe")
                            .with_help("a panel is re-indexed onto the assets of a universe: `on stocks`"),
                    );
                    None
                }
                None => {
                    self.unknown_name(u);
                    None
                }
            },
            None => match self.universes.len() {
                1 => (!self.broken_universes[0]).then_some(0),
                n => {
                    let names: Vec<String> = self.universes.iter().map(|u| u.name.clone()).collect();
                    self.err(
                        Diag::error(
                            "strat::data::panel_universe",
                            format!("panel `{}` needs a universe to be re-indexed onto", name.name),
                            name.span,
                            if n == 0 { "no universe declared above" } else { "more than one universe above" },
                        )
                        .with_help(if n == 0 {
                            "declare the traded universe first (`universe stocks = csv(\"...\")`), then `panel ... on stocks`".to_string()
                        } else {
                            format!("name one: `on {}` (universes: {})", names[0], names.join(", "))
                        }),
                    );
                    None
                }
            },
        }
    }

    /// Long or wide, from the file's columns after `date`; checks the `available` column.
    fn panel_layout(&mut self, st: &PanelStmt, header: Vec<String>) -> Option<PanelLayout> {
        let long = header.first().is_some_and(|c| c == TICKER);
        if let Some(a) = st.available {
            if !long {
                self.err(Diag::error("strat::data::available_on_wide", "`available` needs a long file", a.span, "this file is wide").with_help(format!(
                    "a long file is `date,{TICKER},field...` with a column of availability dates; a wide file's rows are dated when they are known"
                )));
                return None;
            }
            if !header.iter().skip(1).any(|c| c == &a.name) {
                let hint = match did_you_mean(&a.name, header.iter().skip(1).map(|s| s.as_str())) {
                    Some(s) => format!("did you mean `{s}`? columns: {}", header.join(", ")),
                    None => format!("columns of {}: {}", st.path, header.join(", ")),
                };
                self.err(
                    Diag::error("strat::name::unknown_column", format!("`{}` has no column `{}`", st.path, a.name), a.span, "not a column of this file")
                        .with_help(hint),
                );
                return None;
            }
        }
        if long {
            let fields: Vec<String> = header.into_iter().skip(1).filter(|c| Some(c.as_str()) != st.available.map(|a| a.name.as_str())).collect();
            if fields.is_empty() {
                self.err(
                    Diag::error("strat::data::no_fields", format!("panel `{}` has no fields", st.name.name), st.path_span, "only date and ticker")
                        .with_help(format!("a long file is `date,{TICKER},field...` with at least one numeric field")),
                );
                return None;
            }
            Some(PanelLayout::Long { fields })
        } else {
            if header.is_empty() {
                self.err(
                    Diag::error("strat::data::empty_universe", format!("panel `{}` has no columns", st.name.name), st.path_span, "no columns besides date")
                        .with_help(format!("a wide panel has one column per asset; a long one is `date,{TICKER},field...`")),
                );
                return None;
            }
            Some(PanelLayout::Wide { columns: header })
        }
    }

    /// A panel source's name as a value: the panel of a wide source.
    pub(super) fn panel_value(&mut self, k: usize, id: &Ident, span: Span) -> Option<HExpr> {
        if self.broken_panels.get(k).copied().unwrap_or(true) {
            return None;
        }
        let p = &self.panels[k];
        match &p.layout {
            PanelLayout::Wide { .. } => Some(HExpr { kind: HKind::Panel(PanelRef { source: k, field: None }), ty: panel_type(p.universe), span }),
            PanelLayout::Long { fields } => {
                let example = fields.first().cloned().unwrap_or_default();
                self.err(
                    Diag::error("strat::type::table_as_value", format!("`{}` is a long source of several fields", id.name), id.span, "a table of fields")
                        .with_help(format!("pick a field, e.g. `{}.{example}` (fields: {})", id.name, fields.join(", "))),
                );
                None
            }
        }
    }

    /// `SOURCE.field` of a panel source: one field of a long source.
    pub(super) fn panel_field(&mut self, k: usize, id: &Ident, field: &Ident, span: Span) -> Option<HExpr> {
        if self.broken_panels.get(k).copied().unwrap_or(true) {
            return None;
        }
        let p = &self.panels[k];
        match &p.layout {
            PanelLayout::Long { fields } if fields.contains(&field.name) => {
                Some(HExpr { kind: HKind::Panel(PanelRef { source: k, field: Some(field.name.clone()) }), ty: panel_type(p.universe), span })
            }
            PanelLayout::Long { fields } => {
                let hint = match did_you_mean(&field.name, fields.iter().map(|s| s.as_str())) {
                    Some(s) => format!("did you mean `{s}`? fields: {}", fields.join(", ")),
                    None => format!("fields of {}: {}", p.path, fields.join(", ")),
                };
                let d = Diag::error(
                    "strat::name::unknown_column",
                    format!("`{}` has no field `{}`", id.name, field.name),
                    field.span,
                    format!("not a field of {}", p.path),
                )
                .with_help(hint);
                self.err(d);
                None
            }
            PanelLayout::Wide { .. } => {
                self.err(
                    Diag::error("strat::type::no_columns", format!("`{}` is a wide panel, one column per asset", id.name), field.span, "no fields")
                        .with_help(format!("use `{}` itself: it is a panel over its universe's assets", id.name)),
                );
                None
            }
        }
    }
}

/// The type of a point-in-time panel over universe `u`.
fn panel_type(u: usize) -> Type {
    Type { elem: Elem::Num, qual: Qual::Series, kind: Kind::Other, panel: Some(u) }
}
