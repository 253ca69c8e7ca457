//! The `Program`: what to run, as the runtime, the CLI, the REPL and embedders read it. Built by
//! `hir_to_plan` beside the [`Plan`](crate::plan::Plan): the data sources and universes, the params
//! with their domains and defaults, the regimes, the book (holds, sleeves, ensembles, `weights`
//! declarations), cost, annualisation, the date window and the reports. Every expression is a
//! [`Node`] of the plan; nothing here needs the type checker or the HIR.

pub mod portfolio;
pub mod weights;

pub use portfolio::{Cash, Cost, KillSwitch, Limit, LimitKind, OwnValue, PathExpr, PathId, PathOp, Portfolio, VolTarget};
pub use weights::{CovarianceChoice, FallbackChoice, MethodChoice, OptValue, OptionRange, WeightMembersRef, WeightMethod, WeightsDecl};

use crate::plan::Node;
use strat_grammar::Span;

/// A data column: source index into [`Program::data`] and the column name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ColumnRef {
    /// Index into [`Program::data`].
    pub source: usize,
    /// Column name in that source's file.
    pub column: String,
}

/// `data NAME = csv("path")`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataSource {
    /// The source's name in the program.
    pub name: String,
    /// The path as written (relative to the `.strat` file).
    pub path: String,
    /// Where the path was written.
    pub path_span: Span,
    /// The columns the file has (after `date`), as read by the host.
    pub columns: Vec<String>,
    /// `asof`: the source takes no part in the inner join of the program's sources; each bar
    /// reads its latest row dated on or before the bar's date (NaN before its first row).
    pub asof: bool,
}

/// `universe NAME = csv("path"[, [assets]])`: a panel of prices, one column per asset.
#[derive(Debug, Clone, PartialEq)]
pub struct UniverseDecl {
    /// The universe's name in the program.
    pub name: String,
    /// The path as written (relative to the `.strat` file).
    pub path: String,
    /// Where the path was written.
    pub path_span: Span,
    /// The assets (column names), in order: the selection, or every column of the file.
    pub assets: Vec<String>,
}

/// `panel NAME = csv("path") on UNIVERSE [available COLUMN] [lag Nd]`: a point-in-time panel
/// source (SEMANTICS.md §3c), re-indexed onto `universe`'s assets and joined as of each bar: on
/// the bar dated `t`, an asset's value is that of its latest record usable by `t`. A record
/// dated `d` (its period end, or its `available` date) is usable from the first bar dated
/// `>= d + lag_days` (calendar days), as pandas `merge_asof(direction="backward")` on `d + lag`.
#[derive(Debug, Clone, PartialEq)]
pub struct PanelSource {
    /// The source's name in the program.
    pub name: String,
    /// The path as written (relative to the `.strat` file).
    pub path: String,
    /// Where the path was written.
    pub path_span: Span,
    /// Long (`date, ticker, fields...`) or wide (`date, asset...`).
    pub layout: PanelLayout,
    /// The universe (index into [`Program::universes`]) whose assets the panel is re-indexed onto.
    pub universe: usize,
    /// The column holding each record's availability date (a filing date), if declared.
    pub available: Option<String>,
    /// The availability lag in calendar days (0 when not written).
    pub lag_days: i64,
    /// Whether the program wrote a `lag` or an `available` clause (`strat audit` warns about a
    /// long source without either: period-end dates are rarely the dates numbers became public).
    pub timed: bool,
}

/// The layout of a [`PanelSource`] file.
#[derive(Debug, Clone, PartialEq)]
pub enum PanelLayout {
    /// `date, ticker, field...`: one record per company and period; one panel per field. The
    /// fields are the file's numeric columns (every column but `date`, `ticker` and the
    /// `available` column).
    Long {
        /// The fields, in file order.
        fields: Vec<String>,
    },
    /// `date, asset...`: one column per asset (e.g. a weights file); the panel is the source
    /// itself. The columns the file has, in file order.
    Wide {
        /// The file's asset columns.
        columns: Vec<String>,
    },
}

/// One panel of a [`PanelSource`]: the source (index into [`Program::panels`]) and, for a long
/// source, the field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PanelRef {
    /// Index into [`Program::panels`].
    pub source: usize,
    /// The field of a long source; `None` for a wide source.
    pub field: Option<String>,
}

/// A `let` and its plan node.
#[derive(Debug, Clone, PartialEq)]
pub struct LetValue {
    /// The name.
    pub name: String,
    /// Its node; `None` for a `let` that reads the strategy's own path (the portfolio stage
    /// evaluates it where it is used).
    pub node: Option<Node>,
    /// The universe (index into [`Program::universes`]) of a panel; `None` for a series or a scalar.
    pub panel: Option<usize>,
}

/// The values a parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamDomain {
    /// One value (`param x = 3`).
    Fixed,
    /// A list to sweep (`in [..]` or `in a ..= b step s`, expanded; SEMANTICS.md §0 decimals).
    Values(Vec<f64>),
    /// Named choices (`in [long_only, hedge]`); the value is the choice's index.
    Choices(Vec<String>),
}

/// When a hold's target weights change (SEMANTICS.md §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebalanceRule {
    /// Every bar (the default): weights are reset to target daily.
    Daily,
    /// The last row of each calendar month.
    Monthly,
    /// The last row of each ISO week.
    Weekly,
    /// Every N rows counting from the first live row.
    Every(usize),
}

/// What a `hold` trades: one price column or a universe.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Holding {
    /// A single price series.
    Column(ColumnRef),
    /// Every asset of a universe.
    Universe(usize),
}

/// A `param` as the runtime sees it: its values and, for a conditional param, the plan node of
/// its `when` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// Name.
    pub name: String,
    /// Default value (the literal, or the first value of the domain).
    pub default: f64,
    /// The values a sweep takes.
    pub domain: ParamDomain,
    /// `when COND`: a scalar node over earlier params; the param varies only in bindings where
    /// it is non-zero, elsewhere it keeps its default.
    pub when: Option<Node>,
    /// Index into [`Program::regimes`] of the enum type of a choice param.
    pub choice_enum: Option<usize>,
    /// The literal as written.
    pub text: String,
    /// Where the declaration is (for the facade's diagnostics).
    pub span: Span,
    /// Where the name is.
    pub name_span: Span,
}

/// A `regime` (or the enum of a choice param): its arm names and the node of its value (the
/// index of the arm that holds on each bar).
#[derive(Debug, Clone, PartialEq)]
pub struct Regime {
    /// Name.
    pub name: String,
    /// Arm names, by arm index.
    pub arms: Vec<String>,
    /// For the enum of a choice param: that param's index.
    pub param: Option<usize>,
    /// The regime's value.
    pub node: Node,
}

/// A `hold`: what is traded, the node of its target weight, and when the weights change.
#[derive(Debug, Clone, PartialEq)]
pub struct Hold {
    /// What is traded.
    pub target: Holding,
    /// The target weight (fraction of equity; a panel for a universe).
    pub weight: Node,
    /// When the target weights change.
    pub rebalance: RebalanceRule,
}

/// `sleeve NAME { hold ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sleeve {
    /// Name.
    pub name: String,
    /// Its hold.
    pub hold: Hold,
}

/// `ensemble by REGIME { ARM => c1 * s1 + ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Ensemble {
    /// The regime (index into [`Program::regimes`]); its node is the book's decision node.
    pub regime: usize,
    /// For each arm of the regime: (sleeve index, coefficient node) pairs (scalar nodes).
    pub arms: Vec<Vec<(usize, Node)>>,
}

/// What the strategy trades.
#[derive(Debug, Clone, PartialEq)]
pub enum Book {
    /// `hold ...`
    Hold(Hold),
    /// `ensemble by ...`
    Ensemble(Ensemble),
    /// `hold [s1, s2, ...] weight W`: sleeves weighted by the `weights` declaration `W` (index
    /// into [`Program::weights`]); the sleeves are `W`'s members, in order.
    SleeveWeights(usize),
}

/// `report NAME = expr`: the node averaged over the evaluated decision rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Name (the JSON key under `reports`).
    pub name: String,
    /// The report's value (a bool report already counts warm-up as false). For a report on the
    /// strategy's own path, the constant 0 (see `path`).
    pub node: Node,
    /// A report that reads the strategy's own path (own values, a kill switch): evaluated by the
    /// portfolio stage on every row (a bool counts NaN as false), averaged like `node`.
    pub path: Option<PathExpr>,
}

/// `alert NAME when COND` (SEMANTICS.md §3b): its condition and the values it compares, each a
/// series on every row (evaluated like a report: a plan node, or by the portfolio stage when it
/// reads the own path), read from the first live row to the last row.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// The alert's name.
    pub name: String,
    /// The condition as written.
    pub condition: String,
    /// The condition (a bool series, 1 or 0; warm-up counts as 0), named after the alert.
    pub when: Report,
    /// The compared values, each named by its source text (`mkt.vix`, `own.drawdown`).
    pub values: Vec<Report>,
    /// Per value: whether it is a condition (1 / 0) rather than a number.
    pub value_is_bool: Vec<bool>,
}

/// What to run: every declaration of a checked program, with plan nodes for its expressions.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    /// `strategy NAME` (or the file stem).
    pub name: String,
    /// Data sources in declaration order.
    pub data: Vec<DataSource>,
    /// Universes (panels) in declaration order.
    pub universes: Vec<UniverseDecl>,
    /// Point-in-time panel sources in declaration order.
    pub panels: Vec<PanelSource>,
    /// Parameters in declaration order.
    pub params: Vec<Param>,
    /// The `let`s in declaration order, with their plan nodes (for tools that show a value on
    /// every bar: `strat run --values-out`, the REPL).
    pub lets: Vec<LetValue>,
    /// Regimes in declaration order.
    pub regimes: Vec<Regime>,
    /// What the strategy trades.
    pub book: Book,
    /// The node the book decides on at each bar's close: a hold's weight, an ensemble's regime
    /// (its arm index); for sleeves weighted by `weights`, a constant (the weighting engine
    /// decides).
    pub decision: Node,
    /// Sleeves in declaration order.
    pub sleeves: Vec<Sleeve>,
    /// `weights` declarations in declaration order.
    pub weights: Vec<WeightsDecl>,
    /// `where` constraints between params (scalar nodes: a binding is valid when all are
    /// non-zero).
    pub constraints: Vec<Node>,
    /// `from DATE` (`YYYY-MM-DD`).
    pub from: Option<String>,
    /// `to DATE` (`YYYY-MM-DD`).
    pub to: Option<String>,
    /// The benchmark price column, if declared.
    pub benchmark: Option<ColumnRef>,
    /// `benchmark SLEEVE`: the sleeve (index into [`Program::sleeves`]) whose net returns, with
    /// the book's flat cost, are the benchmark's (the active return is the book's minus the
    /// sleeve's: an overlay's own contribution).
    pub benchmark_sleeve: Option<usize>,
    /// The portfolio stage: cost, capital, kill switches (SEMANTICS.md §3, §3b).
    pub portfolio: Portfolio,
    /// Periods per year for annualised metrics (default 252).
    pub annualize: f64,
    /// User statistics, in declaration order.
    pub reports: Vec<Report>,
    /// Alerts, in declaration order.
    pub alerts: Vec<Alert>,
}

impl Program {
    /// The flat cost rate per unit of turnover of a binding (a fraction, `2bps` = 0.0002), given
    /// its scalar node values ([`crate::Binding::scalars`]); `None` for a per-asset cost model.
    pub fn flat_cost(&self, scalars: &[f64]) -> Option<f64> {
        match self.portfolio.cost {
            Cost::Flat(n) => Some(scalars.get(n.index()).copied().unwrap_or(0.0)),
            Cost::PerAsset { .. } => None,
        }
    }

    /// Whether the book runs through the portfolio stage even as a plain hold: a kill switch, a
    /// per-asset cost rate, or a report on the own path.
    pub fn needs_stage(&self) -> bool {
        self.portfolio.is_path_dependent() || self.reports.iter().chain(self.alert_series()).any(|r| r.path.is_some())
    }

    /// Every alert's series, alert by alert: its condition, then its values. The runtime
    /// evaluates them after the reports, in this order.
    pub fn alert_series(&self) -> impl Iterator<Item = &Report> {
        self.alerts.iter().flat_map(|a| std::iter::once(&a.when).chain(&a.values))
    }

    /// The `regime` declarations (not the enums of choice params), in declaration order: their
    /// nodes are outputs of every run (after [`Program::alert_series`]), so that a report can
    /// show which arm held on each bar.
    pub fn declared_regimes(&self) -> impl Iterator<Item = &Regime> {
        self.regimes.iter().filter(|r| r.param.is_none())
    }

    /// Default parameter values, in declaration order.
    pub fn default_params(&self) -> Vec<f64> {
        self.params.iter().map(|p| p.default).collect()
    }

    /// Every hold of the program: the book's own, then each sleeve's.
    pub fn holds(&self) -> Vec<&Hold> {
        let mut v = vec![];
        if let Book::Hold(h) = &self.book {
            v.push(h);
        }
        v.extend(self.sleeves.iter().map(|s| &s.hold));
        v
    }

    /// An ensemble's arms: per arm, (sleeve, coefficient node) pairs; empty for other books.
    pub fn ensemble_arms(&self) -> &[Vec<(usize, Node)>] {
        match &self.book {
            Book::Ensemble(e) => &e.arms,
            _ => &[],
        }
    }

    /// The name of a data column in the aligned frame: `source.column`.
    pub fn frame_column_name(&self, c: &ColumnRef) -> String {
        format!("{}.{}", self.data[c.source].name, c.column)
    }

    /// The frame column names of universe `u`'s assets: `universe.asset`.
    pub fn universe_columns(&self, u: usize) -> Vec<String> {
        let un = &self.universes[u];
        un.assets.iter().map(|a| format!("{}.{a}", un.name)).collect()
    }

    /// The frame column names of panel `r` over its universe's assets: `source.field.asset` for
    /// a long source, `source.asset` for a wide one.
    pub fn panel_columns(&self, r: &PanelRef) -> Vec<String> {
        let p = &self.panels[r.source];
        let prefix = match &r.field {
            Some(f) => format!("{}.{f}", p.name),
            None => p.name.clone(),
        };
        self.universes[p.universe].assets.iter().map(|a| format!("{prefix}.{a}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program_of(src: &str) -> crate::Compiled {
        let (c, diags) = crate::compile(src, "t", &mut |_| Ok(vec!["spx".into(), "vix".into()]));
        c.unwrap_or_else(|| panic!("{diags:?}"))
    }

    #[test]
    fn a_hold_program_names_its_declarations_and_nodes() {
        let c = program_of(
            "strategy g\ndata mkt = csv(\"x.csv\")\nparam n in [20, 60]\nparam z = 2.5\nlet s = zscore(mkt.vix, n) > z\n\
             hold mkt.spx weight if s then 50% else 100%\ncost 2bps\nbenchmark mkt.spx\nreport on = s\n",
        );
        let p = c.program();
        assert_eq!(p.name, "g");
        assert_eq!(p.data[0].path, "x.csv");
        assert_eq!(p.params.iter().map(|q| q.name.as_str()).collect::<Vec<_>>(), ["n", "z"]);
        assert_eq!(p.params[0].domain, ParamDomain::Values(vec![20.0, 60.0]));
        assert_eq!(p.default_params(), [20.0, 2.5]);
        let Book::Hold(h) = &p.book else { panic!("{:?}", p.book) };
        assert_eq!(h.weight, c.lowered.weight);
        assert_eq!(p.decision, c.lowered.weight);
        assert_eq!(p.frame_column_name(p.benchmark.as_ref().unwrap()), "mkt.spx");
        let binding = crate::bind(&c.lowered.plan, &p.default_params()).unwrap();
        assert_eq!(p.flat_cost(&binding.scalars), Some(0.0002));
        assert_eq!(p.reports.iter().map(|r| (r.name.clone(), r.node)).collect::<Vec<_>>(), c.lowered.reports);
        assert_eq!(p.holds().len(), 1);
        assert!(p.ensemble_arms().is_empty());
    }

    #[test]
    fn a_weighting_method_names_itself() {
        assert_eq!(WeightMethod::Hrp { ward: true }.name(), "hrp_ward");
        assert_eq!(WeightMethod::Kelly { base: Box::new(WeightMethod::MaxSharpe), fraction: OptValue::Const(0.25) }.name(), "kelly");
    }
}
