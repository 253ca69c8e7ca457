//! A lexical pre-scan that bounds nesting before pest's recursive descent runs, so that no
//! input, however deeply nested, can overflow the stack ("deep nesting is an error, not a crash").
//!
//! The estimate of nesting at a point is: open brackets + `if` / `not` / prefix `-` tokens seen
//! since the current statement began. It over-counts sequences such as `if .. else if ..` chains
//! a little, which is why the limit is generous for hand-written code.

use crate::diag::Diag;
use crate::parser::STATEMENT_KEYWORDS;
use crate::span::Span;

/// Maximum nesting estimate accepted.
pub const MAX_NESTING: usize = 200;

/// Returns a `strat::syntax::too_deep` diagnostic if `src` nests deeper than [`MAX_NESTING`].
pub fn check(src: &str) -> Option<Diag> {
    let bytes = src.as_bytes();
    let mut i = 0;
    let mut brackets: usize = 0;
    let mut prefix: usize = 0;
    // Whether the previous significant token ends an operand (so a `-` after it is binary).
    let mut after_operand = false;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'/' && bytes.get(i + 1) == Some(&b'/') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if c == b'"' {
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += 1;
            }
            i += 1;
            after_operand = true;
            continue;
        }
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_alphabetic() || c == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            let word = &src[start..i];
            if brackets == 0 && STATEMENT_KEYWORDS.contains(&word) {
                prefix = 0;
            }
            match word {
                "if" | "not" => {
                    prefix += 1;
                    after_operand = false;
                }
                "then" | "else" | "and" | "or" | "when" | "weight" => after_operand = false,
                _ => after_operand = true,
            }
        } else if c.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.' || bytes[i] == b'%') {
                i += 1;
            }
            after_operand = true;
        } else {
            i += 1;
            match c {
                b'(' | b'[' | b'{' => {
                    brackets += 1;
                    after_operand = false;
                }
                b')' | b']' | b'}' => {
                    brackets = brackets.saturating_sub(1);
                    after_operand = true;
                }
                b'-' if !after_operand => prefix += 1,
                _ => after_operand = false,
            }
        }
        if brackets + prefix > MAX_NESTING {
            return Some(
                Diag::error(
                    "strat::syntax::too_deep",
                    format!("the program nests more than {MAX_NESTING} levels deep"),
                    Span::new(start, i.max(start + 1).min(src.len())),
                    "nesting limit reached here",
                )
                .with_help("split the expression into several `let` bindings"),
            );
        }
    }
    None
}
