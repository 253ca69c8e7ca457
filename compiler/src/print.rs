//! The typed HIR as text, in the AST printer's tree form ([`strat_grammar::print::Tree`]):
//! every node with its type. The REPL's `:hir` prints one expression with [`expr_tree`]; the
//! stage snapshots print a program's expressions with [`hir_tree`].

use crate::builtins::name_of;
use crate::hir::{HExpr, HKind, Hir};
use strat_grammar::print::{unop, Tree};

/// The tree of a typed expression; names of params, columns, lets, regimes and weights are
/// looked up in `hir` (`?` if absent), regime types named by `names`.
fn expr_node(h: &HExpr, hir: &Hir, names: &[String]) -> Tree {
    let ty = h.ty.display(names);
    let rec = |x: &HExpr| expr_node(x, hir, names);
    let (label, children) = match &h.kind {
        HKind::Const(v) => (format!("const {v}"), vec![]),
        HKind::Param(i) => (format!("param {}", hir.params.get(*i).map(|p| p.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Column(c) => (format!("column {}.{}", hir.data.get(c.source).map(|d| d.name.as_str()).unwrap_or("?"), c.column), vec![]),
        HKind::Universe(u) => (format!("universe {}", hir.universes.get(*u).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Panel(r) => {
            let name = hir.panels.get(r.source).map(|p| p.name.as_str()).unwrap_or("?");
            (format!("panel {name}{}", r.field.as_ref().map(|f| format!(".{f}")).unwrap_or_default()), vec![])
        }
        HKind::Let(i) => (format!("let {}", hir.lets.get(*i).map(|l| l.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Regime(r) => (format!("regime {}", hir.regimes.get(*r).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Weights(k) => (format!("weights {}", hir.weights.get(*k).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Own(v) => (format!("own {}", v.name()), vec![]),
        HKind::Kill(k) => (format!("kill {}", hir.kills.get(*k).map(|x| x.name.as_str()).unwrap_or("?")), vec![]),
        HKind::Unary(op, x) => (format!("unary {}", unop(*op)), vec![rec(x)]),
        HKind::Binary(op, a, b) => (format!("binary {}", op.symbol()), vec![rec(a), rec(b)]),
        HKind::If(c, a, b) => ("if".into(), vec![rec(c), rec(a), rec(b)]),
        HKind::Tiers(x, arms, d) => {
            let mut ch = vec![rec(x)];
            for (op, t, v) in arms {
                ch.push(Tree::node(format!("arm {}", op.symbol()), vec![rec(t), rec(v)]));
            }
            ch.push(Tree::node("else", vec![rec(d)]));
            ("tiers".into(), ch)
        }
        HKind::Call(f, args) => (format!("call {}", name_of(*f)), args.iter().map(rec).collect()),
        HKind::Lag(x, k) => ("lag".into(), vec![rec(x), rec(k)]),
    };
    Tree::node(format!("{label} : {ty}"), children)
}

fn regime_names(hir: &Hir) -> Vec<String> {
    hir.regimes.iter().map(|r| r.name.clone()).collect()
}

/// The typed HIR of an expression as a tree; a bare `let` name shows that let's definition.
pub fn expr_tree(h: &HExpr, hir: &Hir) -> String {
    let names = regime_names(hir);
    if let HKind::Let(i) = h.kind {
        if let Some(l) = hir.lets.get(i) {
            return format!("let {} =\n{}", l.name, expr_node(&l.value, hir, &names).render());
        }
    }
    expr_node(h, hir, &names).render()
}

/// The typed expressions of a program, in declaration order within each kind: the lets, the
/// regimes' conditions (not the value sets of choice params), the `where` constraints and the reports, each as a tree.
pub fn hir_tree(hir: &Hir) -> String {
    let names = regime_names(hir);
    let node = |label: String, h: &HExpr| Tree::node(label, vec![expr_node(h, hir, &names)]).render();
    let mut out = format!("strategy {}\n", hir.name);
    for l in &hir.lets {
        out += &node(format!("let {}", l.name), &l.value);
    }
    for r in hir.regimes.iter().filter(|r| r.param.is_none()) {
        let arms = r.arms.iter().zip(&r.conds).map(|(a, c)| match c {
            Some(c) => Tree::node(format!("{a} when"), vec![expr_node(c, hir, &names)]),
            None => Tree::leaf(format!("{a} otherwise")),
        });
        out += &Tree::node(format!("regime {}", r.name), arms.collect()).render();
    }
    for c in &hir.constraints {
        out += &node("where".into(), c);
    }
    if let Some(c) = &hir.cost {
        let label = c.model.as_ref().map_or("cost".to_string(), |m| format!("cost (model {m})"));
        out += &node(label, &c.rate);
    }
    if let Some(c) = &hir.capital {
        out += &node("capital".into(), c);
    }
    for k in &hir.kills {
        let ch = [("when", &k.trip), ("release when", &k.release), ("scale", &k.scale)];
        out += &Tree::node(format!("kill {}", k.name), ch.iter().map(|(l, h)| Tree::node(l.to_string(), vec![expr_node(h, hir, &names)])).collect()).render();
    }
    if let Some(v) = &hir.vol_target {
        let ch = [("target", &v.target), ("lookback", &v.lookback), ("cap", &v.cap)];
        out += &Tree::node("target_vol".to_string(), ch.iter().map(|(l, h)| Tree::node(l.to_string(), vec![expr_node(h, hir, &names)])).collect()).render();
    }
    for l in &hir.limits {
        out += &node(format!("limit {}", l.kind.name()), &l.value);
    }
    if hir.drift {
        out += "hold drifts between rebalances\n";
    }
    if let Some(c) = &hir.cash {
        let ch = [("rate", &c.rate), ("financing", &c.financing), ("borrow", &c.borrow)];
        out += &Tree::node("cash".to_string(), ch.iter().map(|(l, h)| Tree::node(l.to_string(), vec![expr_node(h, hir, &names)])).collect()).render();
    }
    for r in &hir.reports {
        out += &node(format!("report {}", r.name), &r.value);
    }
    for a in &hir.alerts {
        let mut ch = vec![Tree::node("when".to_string(), vec![expr_node(&a.when, hir, &names)])];
        ch.extend(a.values.iter().map(|(text, h)| Tree::node(format!("value `{text}`"), vec![expr_node(h, hir, &names)])));
        out += &Tree::node(format!("alert {}", a.name), ch).render();
    }
    out
}
