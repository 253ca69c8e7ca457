//! A lexical pre-scan that bounds nesting before pest's recursive descent runs, so that no
//! input, however deeply nested, can overflow the stack ("deep nesting is an error, not a crash").
//! It reads the token stream of [`crate::tokens`] (one loop, no recursion), so the words it
//! knows are the keyword lists of that module.
//!
//! The estimate of nesting at a point is: open brackets + `if` / `not` / prefix `-` tokens seen
//! since the current statement began. It over-counts sequences such as `if .. else if ..` chains
//! a little, which is why the limit is generous for hand-written code.

use crate::diag::Diag;
use crate::tokens::{token_iter, Tag, OPERAND_FOLLOWS, STATEMENT_KEYWORDS};

/// The largest nesting estimate accepted when expressions may be `max_depth` levels deep:
/// 25/32 of it (200 at the default depth of 256), since the estimate over-counts a little.
pub fn prescan_limit(max_depth: usize) -> usize {
    (max_depth.saturating_mul(25) / 32).max(1)
}

/// Returns a `strat::syntax::too_deep` diagnostic if `src` nests deeper than
/// [`prescan_limit`]`(max_depth)`.
pub fn check(src: &str, max_depth: usize) -> Option<Diag> {
    let limit = prescan_limit(max_depth);
    let mut brackets: usize = 0;
    let mut prefix: usize = 0;
    // Whether the previous significant token ends an operand (so a `-` after it is binary).
    let mut after_operand = false;
    for t in token_iter(src) {
        let text = t.text(src);
        match t.tag {
            Tag::Comment => continue,
            Tag::Keyword => {
                if brackets == 0 && STATEMENT_KEYWORDS.contains(&text) {
                    prefix = 0;
                }
                if matches!(text, "if" | "not") {
                    prefix += 1;
                }
                after_operand = !OPERAND_FOLLOWS.contains(&text);
            }
            Tag::Punct if matches!(text, "(" | "[" | "{") => {
                brackets += 1;
                after_operand = false;
            }
            Tag::Punct if matches!(text, ")" | "]" | "}") => {
                brackets = brackets.saturating_sub(1);
                after_operand = true;
            }
            Tag::Operator if text == "-" && !after_operand => prefix += 1,
            Tag::Operator | Tag::Punct => after_operand = false,
            // A character that starts no token: ASCII punctuation separates like an operator;
            // a non-ASCII one reads as part of a word, as names may be Unicode.
            Tag::Error => after_operand = !text.is_ascii(),
            Tag::Contextual | Tag::Bool | Tag::Number | Tag::Date | Tag::String | Tag::Ident => after_operand = true,
        }
        if brackets + prefix > limit {
            return Some(
                Diag::error(
                    "strat::syntax::too_deep",
                    format!("the program nests more than {limit} levels deep"),
                    t.span,
                    "nesting limit reached here",
                )
                .with_help("split the expression into several `let` bindings (or raise the limit with --max-depth)"),
            );
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn too_deep_at(src: &str, max_depth: usize) -> Option<&str> {
        check(src, max_depth).map(|d| &src[d.labels[0].span.start as usize..d.labels[0].span.end as usize])
    }

    #[test]
    fn brackets_prefix_words_and_minus_count_binary_minus_does_not() {
        // max_depth 8 allows an estimate of 6.
        assert_eq!(too_deep_at("let x = ((((((1))))))", 8), None);
        assert_eq!(too_deep_at("let x = (((((((1)))))))", 8), Some("("));
        assert_eq!(too_deep_at("let x = if if not - - - - a", 8), Some("-"));
        assert_eq!(too_deep_at("let x = a - b - c - d - e - f - g - h", 8), None);
        // Strings and comments hold no brackets; a statement keyword starts a new count.
        assert_eq!(too_deep_at("let x = \"((((((((\" // ((((((((\nlet y = 1", 8), None);
        assert_eq!(too_deep_at("let x = not not not\nlet y = not not not not", 8), None);
        assert_eq!(too_deep_at("let größe = ((((( - größe)))))", 8), None);
    }
}
