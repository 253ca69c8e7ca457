//! Evaluating an expression typed at the prompt: the session is compiled with one more
//! declaration, `let __repl = EXPR`; that let's plan node is evaluated with the reference
//! evaluator (the JIT's oracle, so the values are the ones a run sees) on the session's data
//! and the current parameter values.

use super::session::{Build, Session, Typed, EXPR_LET};
use super::Problem;
use strat::{Failure, Params, Strategy};
use strat_compiler::types::{Elem, Shape, Type};
use strat_compiler::Node;

/// An expression checked in the context of the session.
pub struct Checked {
    /// The session's program with the expression's `let`.
    pub strategy: Strategy,
    /// Its text.
    pub build: Build,
    /// Index of the expression's `let` in the HIR.
    pub index: usize,
}

impl Checked {
    /// The expression's type.
    pub fn ty(&self) -> Type {
        self.strategy.compiled().hir.lets[self.index].value.ty
    }

    /// The type as text (`series num (price)`, `param num`, `panel bool`, a regime's name).
    pub fn type_text(&self) -> String {
        let names: Vec<String> = self.strategy.program().regimes.iter().map(|r| r.name.clone()).collect();
        self.ty().display(&names)
    }

    /// The expression's plan node.
    pub fn node(&self) -> Node {
        self.strategy.compiled().lowered.lets[self.index]
    }
}

/// Type-checks `expr` against the session.
pub fn check(session: &Session, expr: &str) -> Result<Checked, Problem> {
    if expr.trim().is_empty() {
        return Err(Problem::Message("strat::repl::usage", "expected an expression".into()));
    }
    let build = session.build(&session.entries, Some(expr));
    match session.compile(&build) {
        Ok(strategy) => {
            let index = strategy
                .compiled()
                .hir
                .lets
                .iter()
                .position(|l| l.name == EXPR_LET)
                .ok_or_else(|| Problem::Message("strat::internal", "the expression was not compiled (a bug in the REPL)".into()))?;
            let hir = &strategy.compiled().hir;
            if hir.lets[index].value.reads_own(&hir.lets, &mut vec![None; hir.lets.len()]) {
                // Own values exist only in the portfolio stage, after a whole run.
                return Err(Problem::Message(
                    "strat::repl::own_path",
                    "this reads the strategy's own path (own.equity, own.drawdown, own.day_return or a kill switch), which exists only once the whole book has run: add it as a `report NAME = ...` and see it in `:metrics`".into(),
                ));
            }
            Ok(Checked { strategy, build, index })
        }
        Err(Failure::Program(ds)) => {
            let typed = Typed { text: expr, entries: vec![], expr: Some(0) };
            let missing_book = ds.iter().any(|d| d.diag.code == "strat::stmt::missing_hold");
            let errors: Vec<_> = ds
                .into_iter()
                .filter(|d| d.diag.is_error() && d.diag.code != "strat::stmt::missing_hold")
                .map(|d| session.locate(&build, &typed, d.diag))
                .collect();
            if errors.is_empty() && missing_book {
                return Err(Problem::Message(
                    "strat::repl::no_data",
                    "an expression is evaluated on the session's data, and the session has none yet; declare a source, e.g. `data mkt = csv(\"data/prices.csv\")`, or `:load FILE`".into(),
                ));
            }
            Err(Problem::Diags(errors))
        }
        Err(other) => Err(Problem::Failure(other)),
    }
}

/// The values of an expression.
pub struct Value {
    /// Its type as text.
    pub type_text: String,
    /// Its type.
    pub ty: Type,
    /// For a scalar: its value.
    pub scalar: Option<f64>,
    /// For a series or panel: the values, asset-major (`width` columns of `dates.len()` rows).
    pub values: Vec<f64>,
    /// Number of assets (1 for a series).
    pub width: usize,
    /// Asset names (empty for a series).
    pub assets: Vec<String>,
    /// The dates of the rows.
    pub dates: Vec<i32>,
    /// For a regime value: its arm names.
    pub arms: Vec<String>,
}

impl Value {
    /// Asset `j`'s column.
    pub fn column(&self, j: usize) -> &[f64] {
        let n = self.dates.len();
        &self.values[j * n..(j + 1) * n]
    }
}

/// The parameter values of `s` with `overrides` applied (an override that no longer fits is
/// skipped; the caller reports it).
pub fn params_of(s: &Strategy, overrides: &[(String, String)]) -> Params {
    let mut p = s.params();
    for (k, v) in overrides {
        let _ = p.set(k, v);
    }
    p
}

/// Evaluates `expr` on the session's data.
pub fn evaluate(session: &Session, expr: &str, overrides: &[(String, String)]) -> Result<Value, Problem> {
    let c = check(session, expr)?;
    let s = &c.strategy;
    let program = s.program();
    let plan = &s.compiled().lowered.plan;
    let ty = c.ty();
    let node = c.node();
    let params = params_of(s, overrides);
    let typed = Typed { text: expr, entries: vec![], expr: Some(0) };
    let binding = strat_compiler::bind(plan, &params.values).map_err(|e| Problem::Diags(vec![session.locate(&c.build, &typed, e.in_plan(plan))]))?;
    let arms = match ty.elem {
        Elem::Regime(r) => program.regimes.get(r).map(|r| r.arms.clone()).unwrap_or_default(),
        _ => vec![],
    };
    let mut v = Value { type_text: c.type_text(), ty, scalar: None, values: vec![], width: 1, assets: vec![], dates: vec![], arms };
    if ty.shape() == Shape::Scalar {
        v.scalar = Some(binding.scalars[node.index()]);
        return Ok(v);
    }
    let frame = s.load_data().map_err(Problem::Failure)?;
    let prep = strat_runtime::prepare(s.compiled(), &frame).map_err(|e| Problem::Message("strat::run::failed", e.to_string()))?;
    let inputs: Vec<&[f64]> = prep.inputs.iter().map(|x| x.as_slice()).collect();
    let mut cols = strat_compiler::eval_plan(plan, &inputs, &prep.dims, &binding, &[node]);
    v.values = cols.pop().unwrap_or_default();
    if let Shape::Panel(u) = ty.shape() {
        v.width = prep.dims.width_of(ty.shape());
        v.assets = program.universes[u].assets.clone();
    }
    v.dates = frame.dates;
    Ok(v)
}
