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
                Diag::error("strat::syntax::too_deep", format!("the program nests more than {limit} levels deep"), t.span, "nesting limit reached here")
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

    /// The byte scanner this module replaced, kept as the oracle of the token scan.
    fn byte_check(src: &str, max_depth: usize) -> Option<Diag> {
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
                if brackets == 0 && crate::tokens::STATEMENT_KEYWORDS.contains(&word) {
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
                        crate::span::Span::new(start, i.max(start + 1).min(src.len())),
                        "nesting limit reached here",
                    )
                    .with_help("split the expression into several `let` bindings (or raise the limit with --max-depth)"),
                );
            }
        }
        None
    }

    /// The token scan agrees with the byte scan it replaced on seeded soups of the fragments
    /// that matter to it (brackets, prefix words, minus signs, strings, comments, statement
    /// keywords, Unicode names). Known, deliberate differences are left out of the soup: `in -x`
    /// counts its prefix minus now, and a word glued to a number or to a non-name character
    /// (`45%not`, `if¤`) is read as pest reads it (`45%` then `not`), where the byte scan saw one word.
    #[test]
    fn the_token_scan_agrees_with_the_byte_scan() {
        const FRAGMENTS: &[&str] = &[
            "(",
            ")",
            "[",
            "]",
            "{",
            "}",
            "if",
            "not",
            "then",
            "else",
            "and",
            "or",
            "when",
            "weight",
            "-",
            "-",
            "-",
            "+",
            "*",
            "x",
            "größe",
            "1e-3",
            "2.5",
            "45%",
            "2bps",
            "2020-01-31",
            "\"a (\"",
            "// ( [\n",
            "let",
            "hold",
            "param",
            "step",
            "by",
            "true",
            "..=",
            "=>",
            ">=",
            ",",
            ".",
            "@",
            "¤",
            " ",
            "\n",
        ];
        let mut seed: u64 = 0x5eed;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as usize
        };
        for _ in 0..4000 {
            let n = next() % 60;
            let mut src = String::new();
            for _ in 0..n {
                let f = FRAGMENTS[next() % FRAGMENTS.len()];
                // Glued fragments too, except two word-like ones (the known difference above).
                let wordy = |c: char| c.is_alphanumeric() || c == '_' || c == '%' || c == '.' || !c.is_ascii();
                if next() % 2 == 0 || src.ends_with(wordy) && f.starts_with(wordy) {
                    src.push(' ');
                }
                src.push_str(f);
            }
            let span = |d: Option<Diag>| d.map(|d| d.labels[0].span);
            for max_depth in [4, 8, 16] {
                assert_eq!(span(check(&src, max_depth)), span(byte_check(&src, max_depth)), "{src:?} at max_depth {max_depth}");
            }
        }
    }
}
