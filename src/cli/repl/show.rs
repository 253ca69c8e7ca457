//! Trees for `:ast` and `:hir`: the printers live with their stage
//! ([`strat_grammar::print`], [`strat_compiler::print`]); this module names them for the REPL.

use strat_compiler::hir::{HExpr, Hir};
use strat_grammar::ast::Expr;

/// The AST of an expression as a tree.
pub fn ast(e: &Expr) -> String {
    strat_grammar::print::expr_tree(e)
}

/// The typed HIR of an expression as a tree; a bare `let` name shows that let's definition.
pub fn hir(h: &HExpr, hir: &Hir) -> String {
    strat_compiler::print::expr_tree(h, hir)
}
