//! A lexical pre-scan that bounds nesting before pest's recursive descent runs, so that no
//! input, however deeply nested, can overflow the stack ("deep nesting is an error, not a crash").
//!
//! The estimate of nesting at a point is: open brackets + `if` / `not` / prefix `-` tokens seen
//! since the current statement began. It over-counts sequences such as `if .. else if ..` chains
//! a little, which is why the limit is generous for hand-written code.

use crate::diag::Diag;
use crate::parser::STATEMENT_KEYWORDS;
use crate::span::Span;

/// The largest nesting estimate accepted when expressions may be `max_depth` levels deep:
/// 25/32 of it (200 at the default depth of 256), since the estimate over-counts a little.
pub fn prescan_limit(max_depth: usize) -> usize {
    (max_depth.saturating_mul(25) / 32).max(1)
}

/// Returns a `strat::syntax::too_deep` diagnostic if `src` nests deeper than
/// [`prescan_limit`]`(max_depth)`.
pub fn check(src: &str, max_depth: usize) -> Option<Diag> {
    let limit = prescan_limit(max_depth);
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
        // A name may hold non-ASCII letters (identifiers are Unicode): any byte >= 0x80 is part of a word.
        if c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] >= 0x80) {
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
        if brackets + prefix > limit {
            return Some(
                Diag::error(
                    "strat::syntax::too_deep",
                    format!("the program nests more than {limit} levels deep"),
                    Span::new(start, i.max(start + 1).min(src.len())),
                    "nesting limit reached here",
                )
                .with_help("split the expression into several `let` bindings (or raise the limit with --max-depth)"),
            );
        }
    }
    None
}
