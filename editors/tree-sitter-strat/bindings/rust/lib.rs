//! The Strat grammar for [tree-sitter](https://tree-sitter.github.io/): a parser for editors
//! (highlighting, folding, locals), generated from `grammar.js` into the committed `src/parser.c`.
//! The compiler (crate `strat-grammar`, a pest grammar) alone decides what a program means; this
//! grammar accepts the same programs, which the tests check on every example and test program.
//!
//! ```
//! let mut parser = tree_sitter::Parser::new();
//! parser.set_language(&tree_sitter_strat::LANGUAGE.into()).expect("a compatible tree-sitter");
//! let tree = parser.parse("let x = zscore(mkt.vix, 60) > 2.5", None).unwrap();
//! assert!(!tree.root_node().has_error());
//! assert_eq!(tree.root_node().child(0).unwrap().kind(), "let_declaration");
//! ```

use tree_sitter_language::LanguageFn;

extern "C" {
    fn tree_sitter_strat() -> *const ();
}

/// The tree-sitter [`LanguageFn`] of Strat (convert it with `.into()` for
/// `tree_sitter::Parser::set_language`).
pub const LANGUAGE: LanguageFn = unsafe { LanguageFn::from_raw(tree_sitter_strat) };

/// The node types of the grammar (`src/node-types.json`), as JSON.
pub const NODE_TYPES: &str = include_str!("../../src/node-types.json");

/// The highlight query (`queries/highlights.scm`).
pub const HIGHLIGHTS_QUERY: &str = include_str!("../../queries/highlights.scm");

/// The locals query (`queries/locals.scm`).
pub const LOCALS_QUERY: &str = include_str!("../../queries/locals.scm");
