//! The AST as text: one node per line, children indented under box-drawing rules. The REPL's
//! `:ast` prints an expression with [`expr_tree`]; the stage snapshots print whole programs
//! with [`program_tree`]. Only names, literals as written and structure are printed (no spans),
//! so the text is stable while a program's layout changes.

use crate::ast::*;

/// A tree node: its label and children.
pub struct Tree {
    /// The node's one-line label.
    pub label: String,
    /// Its children, in order.
    pub children: Vec<Tree>,
}

impl Tree {
    /// A node without children.
    pub fn leaf(label: impl Into<String>) -> Tree {
        Tree { label: label.into(), children: vec![] }
    }

    /// A node with children.
    pub fn node(label: impl Into<String>, children: Vec<Tree>) -> Tree {
        Tree { label: label.into(), children }
    }

    /// The tree as text, the root on the first line, every line ending in a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        render(self, "", true, true, &mut out);
        out
    }
}

fn render(t: &Tree, prefix: &str, last: bool, root: bool, out: &mut String) {
    if root {
        out.push_str(&t.label);
    } else {
        out.push_str(prefix);
        out.push_str(if last { "└─ " } else { "├─ " });
        out.push_str(&t.label);
    }
    out.push('\n');
    let child_prefix = if root { String::new() } else { format!("{prefix}{}", if last { "   " } else { "│  " }) };
    for (i, c) in t.children.iter().enumerate() {
        render(c, &child_prefix, i + 1 == t.children.len(), false, out);
    }
}

/// The keyword of a unary operator.
pub fn unop(op: UnOp) -> &'static str {
    match op {
        UnOp::Neg => "-",
        UnOp::Not => "not",
    }
}

/// The tree of an expression.
pub fn expr_node(e: &Expr) -> Tree {
    match &e.kind {
        ExprKind::Number(l) => Tree::leaf(format!("number {}", l.text)),
        ExprKind::Bool(b) => Tree::leaf(format!("bool {b}")),
        ExprKind::Name(id) => Tree::leaf(format!("name {}", id.name)),
        ExprKind::Field(b, f) => Tree::node(format!("field .{}", f.name), vec![expr_node(b)]),
        ExprKind::Index(b, k) => Tree::node("index [k bars ago]", vec![expr_node(b), expr_node(k)]),
        ExprKind::Call(f, args) => Tree::node(format!("call {}", f.name), args.iter().map(expr_node).collect()),
        ExprKind::Unary(op, x) => Tree::node(format!("unary {}", unop(*op)), vec![expr_node(x)]),
        ExprKind::Binary(op, a, b) => Tree::node(format!("binary {}", op.symbol()), vec![expr_node(a), expr_node(b)]),
        ExprKind::If(c, a, b) => Tree::node("if", vec![expr_node(c), expr_node(a), expr_node(b)]),
        ExprKind::Tiers(x, arms, d) => {
            let mut children = vec![expr_node(x)];
            for a in arms {
                children.push(Tree::node(format!("arm {}", a.op.symbol()), vec![expr_node(&a.threshold), expr_node(&a.value)]));
            }
            children.push(Tree::node("else", vec![expr_node(d)]));
            Tree::node("tiers", children)
        }
    }
}

/// The AST of an expression as a tree.
pub fn expr_tree(e: &Expr) -> String {
    expr_node(e).render()
}

/// The AST of a whole program: one tree per statement, in order.
pub fn program_tree(p: &Program) -> String {
    p.stmts.iter().map(|s| stmt_node(s).render()).collect()
}

fn names(ids: &[Ident]) -> String {
    ids.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
}

fn option_value(v: &OptionValue) -> &str {
    match v {
        OptionValue::Number(l) => &l.text,
        OptionValue::Name(i) => &i.name,
    }
}

fn method(m: &MethodSpec) -> String {
    let args: Vec<String> = m
        .args
        .iter()
        .map(|a| match &a.key {
            Some(k) => format!("{}: {}", k.name, option_value(&a.value)),
            None => option_value(&a.value).to_string(),
        })
        .collect();
    if args.is_empty() {
        m.name.name.clone()
    } else {
        format!("{}({})", m.name.name, args.join(", "))
    }
}

fn rebalance(r: &Rebalance) -> String {
    match r {
        Rebalance::Monthly(_) => "rebalance monthly".into(),
        Rebalance::Weekly(_) => "rebalance weekly".into(),
        Rebalance::Every(n) => format!("rebalance every {}", n.text),
    }
}

fn clause(c: &WeightClause) -> String {
    match c {
        WeightClause::Lookback(v, _) | WeightClause::Smooth(v, _) => format!("{} {}", c.keyword(), option_value(v)),
        WeightClause::Rebalance(r, _) => rebalance(r),
        WeightClause::Covariance(m, _) => format!("covariance {}", method(m)),
        WeightClause::Constrain(cs, _) => {
            let cs: Vec<String> = cs.iter().map(|(k, v)| format!("{} {}", k.name, option_value(v))).collect();
            format!("constrain {}", cs.join(", "))
        }
        WeightClause::Fallback(ms, _) => format!("fallback {}", names(ms)),
    }
}

/// A `use` override's value as written after its name: `= 120`, `in [a, b]`, `in 1 ..= 3 step 1`.
fn param_value(value: &ParamValue) -> String {
    match value {
        ParamValue::Fixed(l) => format!("= {}", l.text),
        ParamValue::Choices(ids, _) if ids.len() == 1 => format!("= {}", ids[0].name),
        ParamValue::List(ls, _) => format!("in [{}]", ls.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(", ")),
        ParamValue::Choices(ids, _) => format!("in [{}]", names(ids)),
        ParamValue::Range { start, end, step, .. } => format!("in {} ..= {} step {}", start.text, end.text, step.text),
    }
}

fn param_node(name: &Ident, value: &ParamValue) -> Tree {
    let texts = |ls: &[Literal]| ls.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join(", ");
    let (label, when) = match value {
        ParamValue::Fixed(l) => (format!("param {} = {}", name.name, l.text), None),
        ParamValue::List(ls, w) => (format!("param {} in [{}]", name.name, texts(ls)), w.as_ref()),
        ParamValue::Choices(ids, w) => (format!("param {} in [{}]", name.name, names(ids)), w.as_ref()),
        ParamValue::Range { start, end, step, when } => (format!("param {} in {} ..= {} step {}", name.name, start.text, end.text, step.text), when.as_ref()),
    };
    Tree::node(label, when.map(|w| Tree::node("when", vec![expr_node(w)])).into_iter().collect())
}

fn source(kw: &str, name: &Ident, format: &Ident, path: &str) -> String {
    format!("{kw} {} = {}({path:?})", name.name, format.name)
}

/// The tree of one statement.
pub fn stmt_node(s: &Stmt) -> Tree {
    let sub = |label: &str, e: &Expr| Tree::node(label, vec![expr_node(e)]);
    match &s.kind {
        StmtKind::Strategy { name } => Tree::leaf(format!("strategy {}", name.name)),
        StmtKind::Data { name, format, path, asof, .. } => Tree::leaf(source("data", name, format, path) + if asof.is_some() { " asof" } else { "" }),
        StmtKind::Universe { name, format, path, columns, .. } => {
            let cols = columns.as_ref().map(|c| format!(" columns [{}]", names(c))).unwrap_or_default();
            Tree::leaf(format!("{}{cols}", source("universe", name, format, path)))
        }
        StmtKind::Panel { name, format, path, on, available, lag, .. } => {
            let mut text = source("panel", name, format, path);
            if let Some(u) = on {
                text += &format!(" on {}", u.name);
            }
            if let Some(a) = available {
                text += &format!(" available {}", a.name);
            }
            if let Some(l) = lag {
                text += &format!(" lag {}d", l.days);
            }
            Tree::leaf(text)
        }
        StmtKind::Param { name, value } => param_node(name, value),
        StmtKind::Sleeve { name, hold } => Tree::node(format!("sleeve {}", name.name), vec![stmt_node(hold)]),
        StmtKind::Ensemble { regime, arms } => {
            Tree::node(format!("ensemble by {}", regime.name), arms.iter().map(|(a, e)| sub(&format!("arm {}", a.name), e)).collect())
        }
        StmtKind::Where { cond } => sub("where", cond),
        StmtKind::From { date, .. } => Tree::leaf(format!("from {date}")),
        StmtKind::To { date, .. } => Tree::leaf(format!("to {date}")),
        StmtKind::Let { name, value } => sub(&format!("let {}", name.name), value),
        StmtKind::Regime { name, arms } => {
            let arm = |a: &RegimeArm| match &a.cond {
                Some(c) => sub(&format!("{} when", a.name.name), c),
                None => Tree::leaf(format!("{} otherwise", a.name.name)),
            };
            Tree::node(format!("regime {}", name.name), arms.iter().map(arm).collect())
        }
        StmtKind::Hold { target, weight, rebalance: r, drift } => {
            let mut ch = vec![sub("target", target), sub("weight", weight)];
            ch.extend(r.as_ref().map(|r| Tree::leaf(rebalance(r))));
            ch.extend(drift.map(|_| Tree::leaf("drift".to_string())));
            Tree::node("hold", ch)
        }
        StmtKind::HoldSleeves { sleeves, weight, rebalance: r } => {
            let mut ch = vec![sub("weight", weight)];
            ch.extend(r.as_ref().map(|r| Tree::leaf(rebalance(r))));
            Tree::node(format!("hold [{}]", names(sleeves)), ch)
        }
        StmtKind::Weights { name, members, method: m, clauses } => {
            let members = match members {
                WeightMembers::List(ids, _) => format!("[{}]", names(ids)),
                WeightMembers::Name(id) => id.name.clone(),
            };
            Tree::node(format!("weights {} = {members} by {}", name.name, method(m)), clauses.iter().map(|c| Tree::leaf(clause(c))).collect())
        }
        StmtKind::Cost { cost: CostSpec::Rate(Expr { kind: ExprKind::Number(l), .. }) } => Tree::leaf(format!("cost {}", l.text)),
        StmtKind::Cost { cost: CostSpec::Rate(e) } => sub("cost", e),
        StmtKind::Cost { cost: CostSpec::Model(m) } => {
            Tree::node(format!("cost {}", m.name.name), m.args.iter().map(|(k, v)| sub(&format!("{} =", k.name), v)).collect())
        }
        StmtKind::Capital { value } => sub("capital", value),
        StmtKind::Kill { name, trip, release, scale } => {
            let mut ch = vec![sub("when", trip)];
            ch.extend(release.as_ref().map(|e| sub("release when", e)));
            ch.extend(scale.as_ref().map(|e| sub("scale", e)));
            Tree::node(format!("kill {}", name.name), ch)
        }
        StmtKind::VolTarget { target, lookback, cap } => {
            let mut ch = vec![sub("target", target)];
            ch.extend(lookback.as_ref().map(|e| sub("lookback", e)));
            ch.extend(cap.as_ref().map(|e| sub("cap", e)));
            Tree::node("target_vol".to_string(), ch)
        }
        StmtKind::Limit { kind, value } => sub(&format!("limit {}", kind.name), value),
        StmtKind::Cash { rate, financing, borrow } => {
            let mut ch = vec![sub("rate", rate)];
            ch.extend(financing.as_ref().map(|e| sub("financing", e)));
            ch.extend(borrow.as_ref().map(|e| sub("borrow", e)));
            Tree::node("cash".to_string(), ch)
        }
        StmtKind::Alert { name, when } => Tree::node(format!("alert {}", name.name), vec![sub("when", when)]),
        StmtKind::Annualize { periods } => Tree::leaf(format!("annualize {}", periods.text)),
        StmtKind::Benchmark { target } => sub("benchmark", target),
        StmtKind::Report { name, value } => sub(&format!("report {}", name.name), value),
        StmtKind::Use { path, alias, overrides, .. } => Tree::node(
            format!("use \"{path}\" as {}", alias.name),
            overrides.iter().map(|o| Tree::leaf(format!("with {} {}", o.name.name, param_value(&o.value)))).collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_and_program_trees() {
        let (p, d) = crate::source_to_ast("strategy s\nparam n in [1, 2]\nlet x = zscore(m.vix, 60) > 2.5\n");
        assert!(d.is_empty());
        let StmtKind::Let { value, .. } = &p.stmts[2].kind else { panic!() };
        assert_eq!(expr_tree(value), "binary >\n├─ call zscore\n│  ├─ field .vix\n│  │  └─ name m\n│  └─ number 60\n└─ number 2.5\n");
        assert!(program_tree(&p).starts_with("strategy s\nparam n in [1, 2]\nlet x\n└─ binary >\n"));
    }
}
