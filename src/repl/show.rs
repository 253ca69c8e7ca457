//! Trees for `:ast` and `:hir`: one node per line, children indented under box-drawing rules;
//! the HIR tree shows every node's type.

use strat_compiler::builtins::name_of;
use strat_compiler::hir::{HExpr, HKind, Hir};
use strat_grammar::ast::{Expr, ExprKind, UnOp};

/// A tree node: its label and children.
struct Tree {
    label: String,
    children: Vec<Tree>,
}

fn leaf(label: String) -> Tree {
    Tree { label, children: vec![] }
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

fn unop(op: UnOp) -> &'static str {
    match op {
        UnOp::Neg => "-",
        UnOp::Not => "not",
    }
}

fn ast_tree(e: &Expr) -> Tree {
    match &e.kind {
        ExprKind::Number(l) => leaf(format!("number {}", l.text)),
        ExprKind::Bool(b) => leaf(format!("bool {b}")),
        ExprKind::Name(id) => leaf(format!("name {}", id.name)),
        ExprKind::Field(b, f) => Tree { label: format!("field .{}", f.name), children: vec![ast_tree(b)] },
        ExprKind::Index(b, k) => Tree { label: "index [k bars ago]".into(), children: vec![ast_tree(b), ast_tree(k)] },
        ExprKind::Call(f, args) => Tree { label: format!("call {}", f.name), children: args.iter().map(ast_tree).collect() },
        ExprKind::Unary(op, x) => Tree { label: format!("unary {}", unop(*op)), children: vec![ast_tree(x)] },
        ExprKind::Binary(op, a, b) => Tree { label: format!("binary {}", op.symbol()), children: vec![ast_tree(a), ast_tree(b)] },
        ExprKind::If(c, a, b) => Tree { label: "if".into(), children: vec![ast_tree(c), ast_tree(a), ast_tree(b)] },
        ExprKind::Tiers(x, arms, d) => {
            let mut children = vec![ast_tree(x)];
            for a in arms {
                children.push(Tree { label: format!("arm {}", a.op.symbol()), children: vec![ast_tree(&a.threshold), ast_tree(&a.value)] });
            }
            children.push(Tree { label: "else".into(), children: vec![ast_tree(d)] });
            Tree { label: "tiers".into(), children }
        }
    }
}

/// The AST of an expression as a tree.
pub fn ast(e: &Expr) -> String {
    let mut s = String::new();
    render(&ast_tree(e), "", true, true, &mut s);
    s
}

fn hir_tree(h: &HExpr, hir: &Hir, names: &[String]) -> Tree {
    let ty = h.ty.display(names);
    let rec = |x: &HExpr| hir_tree(x, hir, names);
    let (label, children) = match &h.kind {
        HKind::Const(v) => (format!("const {v}"), vec![]),
        HKind::Param(i) => (format!("param {}", hir.params.get(*i).map(|p| p.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Column(c) => (format!("column {}.{}", hir.data.get(c.source).map(|d| d.name.as_str()).unwrap_or("?"), c.column), vec![]),
        HKind::Universe(u) => (format!("universe {}", hir.universes.get(*u).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Let(i) => (format!("let {}", hir.lets.get(*i).map(|l| l.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Regime(r) => (format!("regime {}", hir.regimes.get(*r).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Weights(k) => (format!("weights {}", hir.weights.get(*k).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Unary(op, x) => (format!("unary {}", unop(*op)), vec![rec(x)]),
        HKind::Binary(op, a, b) => (format!("binary {}", op.symbol()), vec![rec(a), rec(b)]),
        HKind::If(c, a, b) => ("if".into(), vec![rec(c), rec(a), rec(b)]),
        HKind::Tiers(x, arms, d) => {
            let mut ch = vec![rec(x)];
            for (op, t, v) in arms {
                ch.push(Tree { label: format!("arm {}", op.symbol()), children: vec![rec(t), rec(v)] });
            }
            ch.push(Tree { label: "else".into(), children: vec![rec(d)] });
            ("tiers".into(), ch)
        }
        HKind::Call(f, args) => (format!("call {}", name_of(*f)), args.iter().map(rec).collect()),
        HKind::Lag(x, k) => ("lag".into(), vec![rec(x), rec(k)]),
    };
    Tree { label: format!("{label} : {ty}"), children }
}

/// The typed HIR of an expression as a tree; a bare `let` name shows that let's definition.
pub fn hir(h: &HExpr, hir: &Hir) -> String {
    let names: Vec<String> = hir.regimes.iter().map(|r| r.name.clone()).collect();
    let mut s = String::new();
    if let HKind::Let(i) = h.kind {
        if let Some(l) = hir.lets.get(i) {
            s.push_str(&format!("let {} =\n", l.name));
            render(&hir_tree(&l.value, hir, &names), "", true, true, &mut s);
            return s;
        }
    }
    render(&hir_tree(h, hir, &names), "", true, true, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ast_tree_shape() {
        let (p, d) = strat_grammar::source_to_ast("let x = zscore(m.vix, 60) > 2.5\n");
        assert!(d.is_empty());
        let strat_grammar::StmtKind::Let { value, .. } = &p.stmts[0].kind else { panic!() };
        assert_eq!(ast(value), "binary >\n├─ call zscore\n│  ├─ field .vix\n│  │  └─ name m\n│  └─ number 60\n└─ number 2.5\n");
    }
}
