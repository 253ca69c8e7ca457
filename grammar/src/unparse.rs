//! An expression back to source text, on one line, with the parentheses its precedence needs
//! and no others (`a + b * c`, `(a + b) * c`, `not (x > 1 and y)`). Used where a message or a
//! report names a sub-expression the user wrote (the operands of an alert's condition).

use crate::ast::{BinOp, Expr, ExprKind, UnOp};

/// Binding strength of each level of `strat.pest`'s expression rules, loosest first.
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::Binary(BinOp::Or, ..) => 1,
        ExprKind::Binary(BinOp::And, ..) => 2,
        ExprKind::Unary(UnOp::Not, _) => 3,
        ExprKind::Binary(BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne, ..) => 4,
        ExprKind::Binary(BinOp::Add | BinOp::Sub, ..) => 5,
        ExprKind::Binary(BinOp::Mul | BinOp::Div, ..) => 6,
        ExprKind::Unary(UnOp::Neg, _) => 7,
        _ => 8,
    }
}

/// The source text of `e` (numbers as written, units included).
pub fn expr_to_source(e: &Expr) -> String {
    let mut s = String::new();
    write(e, &mut s);
    s
}

/// Writes `e`, in parentheses when its level binds looser than `min`.
fn operand(e: &Expr, min: u8, out: &mut String) {
    if level(e) < min {
        out.push('(');
        write(e, out);
        out.push(')');
    } else {
        write(e, out);
    }
}

fn write(e: &Expr, out: &mut String) {
    match &e.kind {
        ExprKind::Number(l) => out.push_str(&l.text),
        ExprKind::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        ExprKind::Name(id) => out.push_str(&id.name),
        ExprKind::Field(b, f) => {
            operand(b, 8, out);
            out.push('.');
            out.push_str(&f.name);
        }
        ExprKind::Index(b, k) => {
            operand(b, 8, out);
            out.push('[');
            write(k, out);
            out.push(']');
        }
        ExprKind::Call(f, args) => {
            out.push_str(&f.name);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write(a, out);
            }
            out.push(')');
        }
        ExprKind::Unary(UnOp::Neg, x) => {
            out.push('-');
            operand(x, 7, out);
        }
        ExprKind::Unary(UnOp::Not, x) => {
            out.push_str("not ");
            operand(x, 3, out);
        }
        ExprKind::Binary(op, a, b) => {
            let l = level(e);
            // Comparisons do not chain (`a < b < c` is not an expression): both sides one up.
            let (la, lb) = if l == 4 { (5, 5) } else { (l, l + 1) };
            operand(a, la, out);
            out.push(' ');
            out.push_str(op.symbol());
            out.push(' ');
            operand(b, lb, out);
        }
        ExprKind::If(c, a, b) => {
            out.push_str("if ");
            write(c, out);
            out.push_str(" then ");
            write(a, out);
            out.push_str(" else ");
            write(b, out);
        }
        ExprKind::Tiers(x, arms, d) => {
            out.push_str("tiers(");
            write(x, out);
            out.push_str(") {");
            for a in arms {
                out.push(' ');
                out.push_str(a.op.symbol());
                out.push(' ');
                write(&a.threshold, out);
                out.push_str(" => ");
                write(&a.value, out);
            }
            out.push_str(" else => ");
            write(d, out);
            out.push_str(" }");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::StmtKind;

    /// The source of the expression of `let x = SRC`.
    fn round(src: &str) -> String {
        let (ast, diags) = crate::source_to_ast(&format!("let x = {src}"));
        assert!(diags.is_empty(), "{diags:?}");
        let StmtKind::Let { value, .. } = &ast.stmts[0].kind else { panic!() };
        expr_to_source(value)
    }

    #[test]
    fn prints_what_was_written_with_needed_parentheses_only() {
        for src in [
            "mkt.vix > 30",
            "own.drawdown < -15% or own.day_return < -5%",
            "a + b * c",
            "(a + b) * c",
            "a - (b - c)",
            "a - b - c",
            "not (x > 1 and y)",
            "not x and y",
            "-(a + b)",
            "--a",
            "sma(m.c, 20)[1] / 2bps",
            "if a > 1 then 50% else 1e-3",
            "tiers(v) { >= 50 => 45% >= 40 => 65% else => 100% }",
            "(a or b) and c",
            "zscore(mkt.vix, 60) > 2.5 and mkt.vix[1] <= 30",
        ] {
            assert_eq!(round(src), src);
        }
        assert_eq!(round("((a)) + (b * c)"), "a + b * c");
    }
}
