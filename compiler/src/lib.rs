//! Strat compiler. Parsing is `strat_grammar`'s; here, in order: checking (`check`, `ast_to_hir` →
//! the typed `hir`); lowering (`lower`, `hir_to_plan` → the `plan` IR, folded and CSE'd, plus the
//! `program` the runtime runs: declarations with plan `Node`s); binding params (`bind`, `grid`);
//! code emission (`codegen`, `plan_to_kernels`: Cranelift) and the reference evaluator (`eval`).
//! Plan execution, the backtest and the metrics live in strat-runtime and strat-stdlib. No files.

pub mod bind;
pub mod builtins;
pub mod check;
pub mod codegen;
pub mod eval;
pub mod expand;
pub mod grid;
pub mod hir;
pub mod lower;
pub mod ops;
pub mod outline;
pub mod plan;
pub mod print;
pub mod program;
pub mod suggest;
pub mod types;
pub mod window;

pub use bind::{bind, BindError, Binding};
pub use check::ast_to_hir;
pub use codegen::{plan_to_kernels, plan_to_kernels_for_grid, CodegenError, Kernels};
pub use eval::eval_plan;
pub use hir::Hir;
pub use lower::{hir_to_plan, Lowered};
pub use outline::{outline_with_depth, outline_with_files, Outline};
pub use plan::{Node, Plan};
pub use program::Program;

use strat_grammar::{source_to_ast_with_depth, Diag, Span, DEFAULT_MAX_DEPTH};

/// A compiled program: its typed form, its plan and its native kernels.
#[derive(Debug)]
pub struct Compiled {
    /// The typed program.
    pub hir: Hir,
    /// The plan and its output nodes.
    pub lowered: Lowered,
    /// Native code for `outputs()`.
    pub kernels: Kernels,
    /// Where the texts of the files the program `use`s sit in its span space: a span there is
    /// not in the program's source ([`expand::UsedRegions::relocate`] moves a diagnostic with
    /// one onto its `use`).
    pub used: expand::UsedRegions,
}

impl Compiled {
    /// What to run: the declarations with their plan nodes (see [`Program`]).
    pub fn program(&self) -> &Program {
        &self.lowered.program
    }

    /// The nodes the backtest reads: the hold weight (or an ensemble's regime), each sleeve's
    /// weight, each report in order, the alerts' series, each declared regime (its arm index
    /// per bar), then the series and panels the portfolio stage reads
    /// ([`Compiled::portfolio_nodes`]).
    pub fn outputs(&self) -> Vec<Node> {
        outputs_of(&self.lowered)
    }

    /// The series a condition compares, for the check that a condition is not NaN past its
    /// warm-up (`strat::run::nan_condition`): for every `if`, `tiers` or regime choice the run
    /// reads (a `Select` reachable from [`Compiled::outputs`]), the operands of its comparison
    /// (`<`, `<=`, `>`, `>=`, `==`, `!=`), or the condition itself when it is not a comparison,
    /// that are series computed from the data (not constants, params or panels). Pairs
    /// `(operand, condition)`, each operand once, in plan order.
    pub fn condition_operands(&self) -> Vec<(Node, Node)> {
        use ops::BinaryOp;
        use plan::Op;
        let plan = &self.lowered.plan;
        let live = plan.reachable(&self.outputs());
        let series = |n: Node| matches!(plan.node(n).shape, types::Shape::Series) && !matches!(plan.node(n).op, Op::Const(_) | Op::Param(_));
        let mut checks: Vec<(Node, Node)> = vec![];
        for (i, nd) in plan.nodes.iter().enumerate() {
            let Op::Select(c, _, _) = nd.op else { continue };
            if !live[i] {
                continue;
            }
            let operands = match plan.node(c).op {
                Op::Binary(BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge | BinaryOp::Eq | BinaryOp::Ne, a, b) => vec![a, b],
                _ => vec![c],
            };
            for x in operands {
                if series(x) && !checks.iter().any(|(y, _)| *y == x) {
                    checks.push((x, c));
                }
            }
        }
        checks
    }

    /// The optimised plan as text (what `strat check --plan` prints): the nodes the backtest
    /// reads, each output labelled — `weight` (an ensemble's `regime`), `sleeve NAME weight`,
    /// `report NAME`.
    pub fn plan_text(&self) -> String {
        let l = &self.lowered;
        let mut labels = vec![(l.weight, if matches!(self.program().book, program::Book::Ensemble(_)) { "regime".to_string() } else { "weight".to_string() })];
        for (k, n) in l.sleeve_weights.iter().enumerate() {
            labels.push((*n, format!("sleeve {} weight", self.program().sleeves.get(k).map_or("?", |s| s.name.as_str()))));
        }
        for (name, n) in &l.reports {
            labels.push((*n, format!("report {name}")));
        }
        let names: Vec<String> = self.program().params.iter().map(|p| p.name.clone()).collect();
        l.plan.display_labelled(&self.outputs(), &labels, &names)
    }

    /// The series and panel plan nodes the portfolio stage reads, in the order they follow the
    /// reports in [`Compiled::outputs`].
    pub fn portfolio_nodes(&self) -> Vec<Node> {
        portfolio_nodes_of(&self.lowered)
    }

    /// Default parameter values, in declaration order.
    pub fn default_params(&self) -> Vec<f64> {
        self.program().default_params()
    }
}

fn outputs_of(l: &Lowered) -> Vec<Node> {
    let mut v = vec![l.weight];
    v.extend(l.sleeve_weights.iter().copied());
    v.extend(l.reports.iter().map(|r| r.1));
    v.extend(l.program.alert_series().map(|r| r.node));
    v.extend(l.program.declared_regimes().map(|r| r.node));
    v.extend(portfolio_nodes_of(l));
    v
}

/// The series and panel nodes the portfolio stage reads (cost, switches, own-path reports), in
/// a fixed order without repeats; scalars are read from the binding.
fn portfolio_nodes_of(l: &Lowered) -> Vec<Node> {
    let p = &l.program;
    let mut v: Vec<Node> = vec![];
    let all = p.portfolio.nodes().into_iter().chain(p.reports.iter().chain(p.alert_series()).filter_map(|r| r.path.as_ref()).flat_map(|x| x.nodes()));
    for n in all {
        if l.plan.node(n).shape != types::Shape::Scalar && !v.contains(&n) {
            v.push(n);
        }
    }
    v
}

/// Parse and check only, without lowering or code generation: the diagnostics [`compile_with_depth`]
/// gives for `src` (errors and warnings), faster, for editors that check on every keystroke.
/// A `use` is an error here (no file is read): see [`check_with_files`].
pub fn check_with_depth(src: &str, default_name: &str, columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>, max_depth: usize) -> Vec<Diag> {
    check_with_files(src, default_name, columns_of, &mut expand::no_files, max_depth)
}

/// [`check_with_depth`], reading the files the program `use`s with `read_use`.
pub fn check_with_files(
    src: &str,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    read_use: &mut expand::ReadUse,
    max_depth: usize,
) -> Vec<Diag> {
    let Some((ast, mut diags, regions)) = parse_and_expand(src, columns_of, read_use, max_depth) else {
        return source_to_ast_with_depth(src, max_depth).1;
    };
    let (_, more) = check_expanded(&ast, default_name, columns_of, &regions, &diags);
    diags.extend(more);
    diags
}

/// Checks an expanded program: [`ast_to_hir`], with the diagnostics that point into used files
/// moved onto their `use`s. After a `use` that failed to expand (an error in `so_far`), the
/// checker's `strat::use::unexpanded` for it is not repeated.
pub(crate) fn check_expanded(
    ast: &strat_grammar::Program,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    regions: &expand::UsedRegions,
    so_far: &[Diag],
) -> (Option<Hir>, Vec<Diag>) {
    let failed_use = so_far.iter().any(|d| d.is_error());
    let (hir, mut more) = ast_to_hir(ast, default_name, columns_of);
    more.retain(|d| !(failed_use && d.code == "strat::use::unexpanded"));
    (hir.filter(|_| !failed_use), regions.relocate(more))
}

/// Parses `src` and expands its `use`s ([`expand::expand_uses`]): the program, the diagnostics
/// so far, and where the used texts sit. `None` on a syntax error (the parse's diagnostics are
/// then all there is to say).
pub(crate) fn parse_and_expand(
    src: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    read_use: &mut expand::ReadUse,
    max_depth: usize,
) -> Option<(strat_grammar::Program, Vec<Diag>, expand::UsedRegions)> {
    let (ast, mut diags) = source_to_ast_with_depth(src, max_depth);
    if diags.iter().any(|d| d.is_error()) {
        return None;
    }
    let (ast, regions, more) = expand::expand_uses(ast, src.len(), max_depth, read_use, columns_of);
    diags.extend(more);
    Some((ast, diags, regions))
}

/// Source → native kernels in one call: parse, check, lower, compile. `columns_of(path)` gives
/// the columns of a data file. Returns the compiled program when there is no error, and every
/// diagnostic (warnings included).
pub fn compile(src: &str, default_name: &str, columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>) -> (Option<Compiled>, Vec<Diag>) {
    compile_with_depth(src, default_name, columns_of, DEFAULT_MAX_DEPTH)
}

/// [`compile`] accepting expressions up to `max_depth` levels deep (`--max-depth`; see
/// `strat_grammar::source_to_ast_with_depth`). The caller's stack must fit that depth. A `use`
/// is an error here (no file is read): see [`compile_with_files`].
pub fn compile_with_depth(
    src: &str,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    max_depth: usize,
) -> (Option<Compiled>, Vec<Diag>) {
    compile_with_files(src, default_name, columns_of, &mut expand::no_files, max_depth)
}

/// [`compile_with_depth`], reading the files the program `use`s with `read_use` (paths
/// relative to the program's folder; see [`expand::ReadUse`]).
pub fn compile_with_files(
    src: &str,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    read_use: &mut expand::ReadUse,
    max_depth: usize,
) -> (Option<Compiled>, Vec<Diag>) {
    let Some((ast, mut diags, regions)) = parse_and_expand(src, columns_of, read_use, max_depth) else {
        return (None, source_to_ast_with_depth(src, max_depth).1);
    };
    // A `use` that failed to expand is a sleeve that holds nothing: the rest of the program is
    // still checked, so every error is reported at once (as `strat check` does).
    let (hir, more) = check_expanded(&ast, default_name, columns_of, &regions, &diags);
    diags.extend(more);
    let Some(hir) = hir else { return (None, diags) };
    let lowered = hir_to_plan(&hir);
    // The params the program's grid varies: the work that depends on none of them is shared by
    // every binding of its sweeps.
    let varying: Vec<bool> = lowered.program.params.iter().map(|p| grid::values_of(&p.domain) > 1).collect();
    match plan_to_kernels_for_grid(&lowered.plan, &outputs_of(&lowered), &varying) {
        Ok(kernels) => (Some(Compiled { hir, lowered, kernels, used: regions }), diags),
        Err(e) => {
            diags.push(
                Diag::error("strat::internal", e.to_string(), Span::default(), "while compiling this file")
                    .with_help("this is a bug in Strat; please report it with this file"),
            );
            (None, diags)
        }
    }
}
