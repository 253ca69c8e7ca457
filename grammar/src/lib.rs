//! Strat syntax: the pest grammar, spans, the AST and the parser (`source_to_ast`), plus the
//! diagnostic type every later pass reports with. This crate knows nothing of types or evaluation.
//!
//! ```
//! let (program, diags) = strat_grammar::source_to_ast("strategy demo\nlet x = 45%\n");
//! assert!(diags.is_empty());
//! assert_eq!(program.stmts.len(), 2);
//! ```

pub mod ast;
pub mod diag;
pub mod format;
pub mod nesting;
pub mod parser;
pub mod print;
pub mod span;
pub mod tokens;
pub mod unparse;

pub use ast::*;
pub use diag::{Diag, Label, Severity, SourceDiag};
pub use parser::{literal_value, source_to_ast, source_to_ast_with_depth, DEFAULT_MAX_DEPTH};
pub use span::{line_col, Span, Spanned};
pub use unparse::expr_to_source;
