//! The statements that declare data and settings: `strategy`, `data`, `universe`, `let`,
//! `report`, `from` / `to`, `cost`, `annualize` and `benchmark`.

use super::{portfolio, Checker};
use crate::hir::*;
use crate::suggest::did_you_mean;
use crate::types::{Elem, Qual, Type};
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

/// Reads the column names of a data file (after `date`), or says why it cannot.
pub(super) type ColumnsOf<'a> = dyn FnMut(&str) -> Result<Vec<String>, String> + 'a;

impl Checker {
    /// `strategy NAME`: names the strategy (once).
    pub(super) fn strategy_stmt(&mut self, n: &Ident, span: Span) {
        if self.name.is_some() {
            self.err(
                Diag::error("strat::stmt::duplicate", "a second `strategy` statement", span, "already named above")
                    .with_help("a file declares one strategy; remove this line"),
            );
        } else {
            self.name = Some(n.name.clone());
        }
    }

    /// `data NAME = csv("path")`: a source of named columns, read from the file's header.
    pub(super) fn data_stmt(&mut self, n: &Ident, format: &Ident, path: &str, path_span: Span, asof: bool, columns_of: &mut ColumnsOf) {
        if format.name != "csv" {
            let mut d = Diag::error("strat::data::unknown_format", format!("unknown data format `{}`", format.name), format.span, "not a data format");
            d = d.with_help(match did_you_mean(&format.name, ["csv"]) {
                Some(s) => format!("did you mean `{s}`? v0 reads `csv(\"path\")`"),
                None => "v0 reads `csv(\"path\")`".to_string(),
            });
            self.err(d);
        }
        let columns = match columns_of(path) {
            Ok(c) => {
                self.broken_sources.push(false);
                c
            }
            Err(msg) => {
                self.err(
                    Diag::error("strat::data::unreadable", format!("cannot read data source `{}`", n.name), path_span, msg)
                        .with_help("paths are relative to the .strat file's folder"),
                );
                self.broken_sources.push(true);
                vec![]
            }
        };
        self.data.push(DataSource { name: n.name.clone(), path: path.to_string(), path_span, columns, asof });
    }

    /// `universe NAME = csv("path")` or `csv("path", [asset, ...])`: a panel of prices.
    pub(super) fn universe_stmt(&mut self, n: &Ident, format: &Ident, path: &str, path_span: Span, columns: Option<&[Ident]>, columns_of: &mut ColumnsOf) {
        if format.name != "csv" {
            self.err(
                Diag::error("strat::data::unknown_format", format!("unknown data format `{}`", format.name), format.span, "not a data format")
                    .with_help("a universe reads `csv(\"path\")` or `csv(\"path\", [asset, ...])`"),
            );
        }
        let mut assets = vec![];
        match columns_of(path) {
            Ok(all) => {
                self.broken_universes.push(false);
                match columns {
                    None => assets = all,
                    Some(sel) => self.select_assets(path, sel, &all, &mut assets),
                }
                if assets.is_empty() && self.broken_universes.last() == Some(&false) && columns.is_none_or(|c| c.is_empty()) {
                    self.err(
                        Diag::error("strat::data::empty_universe", format!("universe `{}` has no assets", n.name), path_span, "no columns besides date")
                            .with_help("a universe needs one price column per asset"),
                    );
                }
            }
            Err(msg) => {
                self.err(
                    Diag::error("strat::data::unreadable", format!("cannot read universe `{}`", n.name), path_span, msg)
                        .with_help("paths are relative to the .strat file's folder"),
                );
                self.broken_universes.push(true);
            }
        }
        self.universes.push(UniverseDecl { name: n.name.clone(), path: path.to_string(), path_span, assets });
    }

    /// Appends the selected columns `sel` of the file at `path` (whose columns are `all`) to
    /// `assets`, reporting duplicates and unknown columns.
    fn select_assets(&mut self, path: &str, sel: &[Ident], all: &[String], assets: &mut Vec<String>) {
        for c in sel {
            if assets.contains(&c.name) {
                self.err(
                    Diag::error("strat::name::duplicate", format!("asset `{}` is selected twice", c.name), c.span, "again").with_help("list each asset once"),
                );
            } else if all.contains(&c.name) {
                assets.push(c.name.clone());
            } else {
                let hint = match did_you_mean(&c.name, all.iter().map(|s| s.as_str())) {
                    Some(s) => format!("did you mean `{s}`? columns: {}", all.join(", ")),
                    None => format!("columns of {path}: {}", all.join(", ")),
                };
                self.err(
                    Diag::error("strat::name::unknown_column", format!("`{path}` has no column `{}`", c.name), c.span, "not a column of this file")
                        .with_help(hint),
                );
            }
        }
    }

    /// `from DATE` (`is_from`) or `to DATE`: one end of the date window, declared once.
    pub(super) fn window_stmt(&mut self, is_from: bool, date: &str, date_span: Span, span: Span) {
        if !valid_date(date) {
            self.err(
                Diag::error("strat::value::bad_date", format!("`{date}` is not a calendar date"), date_span, "not a date")
                    .with_help("write YYYY-MM-DD, e.g. 2017-11-09"),
            );
            return;
        }
        let slot = if is_from { &mut self.from } else { &mut self.to };
        if slot.is_some() {
            self.err(
                Diag::error("strat::stmt::duplicate", format!("a second `{}` statement", if is_from { "from" } else { "to" }), span, "again")
                    .with_help("declare the date window once"),
            );
        } else {
            *slot = Some(date.to_string());
            self.window_spans[usize::from(!is_from)] = Some(span);
        }
    }

    /// After the last statement: a window whose `from` is after its `to` is empty.
    pub(super) fn check_window(&mut self) {
        if let (Some(f), Some(t), [Some(fs), Some(ts)]) = (&self.from, &self.to, self.window_spans) {
            // Both are valid YYYY-MM-DD dates, so text order is date order.
            if f > t {
                let d = Diag::error("strat::window::empty", format!("the date window is empty: `from {f}` is after `to {t}`"), fs, "the window starts here")
                    .with_label(ts, "after it ends here")
                    .with_help("swap the two dates, or move `from` before `to`");
                self.err(d);
            }
        }
    }

    /// `let NAME = EXPR`. A value that fails to check is kept as a placeholder (its type
    /// `None`), so that uses of it report nothing more.
    pub(super) fn let_stmt(&mut self, n: &Ident, value: &Expr, span: Span) {
        // A let may read the strategy's own path; its uses are then checked like own values.
        let h = self.with_own(portfolio::OwnCtx::Let, |cx| cx.expr(value));
        let own = h.as_ref().is_some_and(|h| self.hir_reads_own(h));
        self.let_own.push(own);
        self.let_types.push(h.as_ref().map(|h| h.ty));
        self.let_used.push(false);
        let placeholder = HExpr { kind: HKind::Const(f64::NAN), ty: Type::num(Qual::Const), span: value.span };
        self.lets.push(LetDecl { name: n.name.clone(), value: h.unwrap_or(placeholder), span, name_span: n.span });
    }

    /// `annualize N`: periods per year, a plain count >= 1, declared once.
    pub(super) fn annualize_stmt(&mut self, periods: &Literal, span: Span) {
        if self.annualize.is_some() {
            self.err(
                Diag::error("strat::stmt::duplicate", "a second `annualize` statement", span, "second annualize")
                    .with_help("declare the periods per year once"),
            );
        } else if periods.unit != Unit::None {
            self.err(
                Diag::error("strat::unit::unexpected", "`annualize` takes a plain count of periods per year", periods.span, "no unit here")
                    .with_help("e.g. `annualize 252` for trading days, `annualize 365` for calendar days"),
            );
        } else if periods.value.is_nan() || periods.value < 1.0 {
            self.err(
                Diag::error("strat::value::bad_annualize", "periods per year must be at least 1", periods.span, "too small").with_help("e.g. `annualize 252`"),
            );
        } else {
            self.annualize = Some((periods.value, span));
        }
    }

    /// `benchmark SERIES`: one price column, declared once.
    pub(super) fn benchmark_stmt(&mut self, target: &Expr, span: Span) {
        if self.benchmark.is_some() || self.benchmark_sleeve.is_some() {
            self.err(Diag::error("strat::stmt::duplicate", "a second `benchmark` statement", span, "second benchmark").with_help("declare one benchmark"));
            return;
        }
        if let ExprKind::Name(id) = &target.kind {
            if let Some((super::Decl::Sleeve(k), _)) = self.decls.get(&id.name) {
                let k = *k;
                if k >= self.sleeves.len() {
                    self.err(
                        Diag::error("strat::name::use_before_declaration", "a sleeve is benchmarked before it is declared", id.span, "declared later")
                            .with_help("declare the sleeve above the `benchmark` statement"),
                    );
                    return;
                }
                self.benchmark_sleeve = Some((k, span));
                return;
            }
        }
        match self.holding(target) {
            Some(Holding::Column(c)) => self.benchmark = Some((c, span)),
            Some(Holding::Universe(_)) => self.err(
                Diag::error("strat::type::shape_mismatch", "a benchmark is one price series", target.span, "a universe")
                    .with_help("benchmark a single column, e.g. `benchmark mkt.spx`"),
            ),
            None => {}
        }
    }

    /// `report NAME = EXPR`: a number or condition averaged over the evaluated bars.
    pub(super) fn report_stmt(&mut self, n: &Ident, value: &Expr, span: Span) {
        if let Some(prev) = self.reports.iter().find(|r| r.name == n.name) {
            let prev = prev.span;
            self.err(
                Diag::error("strat::name::duplicate", format!("report `{}` is declared twice", n.name), n.span, "second declaration")
                    .with_label(prev, "first declaration")
                    .with_help("give each report its own name"),
            );
            return;
        }
        let h = self.with_own(portfolio::OwnCtx::Report, |cx| cx.expr(value));
        if let Some(h) = h.and_then(|h| self.check_own_expr(h, portfolio::OwnCtx::Report)) {
            if h.ty.panel.is_some() {
                self.err(
                    Diag::error("strat::type::shape_mismatch", "a report averages one series", value.span, "a panel")
                        .with_help("reduce the panel first, e.g. `mean(x)` or `count(x)`"),
                );
            } else if matches!(h.ty.elem, Elem::Regime(_)) {
                self.err(
                    Diag::error("strat::type::mismatch", "a report averages a number or a bool", value.span, "a regime value")
                        .with_help("report a condition instead, e.g. `state == BULL`"),
                );
            } else {
                self.reports.push(ReportDecl { name: n.name.clone(), value: h, span });
            }
        }
    }
}

/// A strict `YYYY-MM-DD` calendar date (leap years included).
fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}
