//! A lossless-enough token stream for tools: syntax highlighting, bracket matching and word
//! lookup in the REPL. Built with logos; it never fails (an unknown character is a
//! [`Tag::Error`] token) and knows nothing of the grammar beyond the words and symbols.
//!
//! Whitespace is skipped: the bytes between two tokens are whitespace.
//!
//! ```
//! use strat_grammar::tokens::{tokens, Tag};
//! let t = tokens("let size = 45% // max");
//! let tags: Vec<Tag> = t.iter().map(|t| t.tag).collect();
//! assert_eq!(tags, [Tag::Keyword, Tag::Ident, Tag::Operator, Tag::Number, Tag::Comment]);
//! ```

use crate::span::Span;
use logos::Logos;

/// What a token is, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tag {
    /// A reserved word (`let`, `hold`, `tiers`, `and`, ...).
    Keyword,
    /// A word reserved only where it appears (`step`, `rebalance`, `monthly`, `weekly`,
    /// `every`, `by`).
    Contextual,
    /// `true` / `false`.
    Bool,
    /// A number with its unit, if any (`2.5`, `45%`, `2bps`, `1e-3`).
    Number,
    /// A calendar date (`2020-01-31`).
    Date,
    /// A string literal (also an unterminated one, up to the end of the line).
    String,
    /// A `//` comment.
    Comment,
    /// A name.
    Ident,
    /// An operator (`+ - * / < <= > >= == != = => ..=`).
    Operator,
    /// A bracket, comma or dot.
    Punct,
    /// A character that starts no token.
    Error,
}

/// One token: its tag and where it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub tag: Tag,
    /// Where it is.
    pub span: Span,
}

impl Token {
    /// The token's text in `src`.
    pub fn text(self, src: &str) -> &str {
        &src[self.span.start as usize..self.span.end as usize]
    }
}

/// The keywords (what [`Tag::Keyword`] marks; completion offers them): the one list the lexer,
/// the parser's statement keywords, the nesting pre-scan and the REPL read. `strat.pest` spells
/// its own rules; a test checks that it names exactly these words ([`CONTEXTUAL`], [`BOOLS`]).
#[rustfmt::skip]
pub const KEYWORDS: &[&str] = &[
    "strategy", "data", "param", "let", "regime", "hold", "weight", "cost", "annualize", "benchmark", "report", "when", "otherwise", "if",
    "then", "else", "and", "or", "not", "tiers", "universe", "where", "from", "to", "in", "sleeve", "ensemble", "weights", "kill", "capital",
    "panel", "alert", "target_vol", "limit", "use", "cash",
];

/// The words reserved only where they appear (what [`Tag::Contextual`] marks).
pub const CONTEXTUAL: &[&str] = &[
    "step",
    "rebalance",
    "monthly",
    "weekly",
    "every",
    "by",
    "lookback",
    "covariance",
    "constrain",
    "smooth",
    "ewma",
    "fallback",
    "release",
    "scale",
    "on",
    "available",
    "lag",
    "cap",
    "as",
    "with",
    "asof",
    "financing",
    "borrow",
    "drift",
];

/// The boolean literals (what [`Tag::Bool`] marks).
pub const BOOLS: &[&str] = &["true", "false"];

/// The keywords that begin a statement (a subset of [`KEYWORDS`]): where the parser resumes
/// after a syntax error, and where the nesting pre-scan starts a new count.
#[rustfmt::skip]
pub const STATEMENT_KEYWORDS: &[&str] =
    &["strategy", "data", "universe", "param", "let", "regime", "hold", "cost", "annualize", "benchmark", "report", "where", "from", "to", "sleeve", "ensemble", "weights", "kill", "capital", "panel", "alert", "target_vol", "limit", "use", "cash"];

/// The keywords an operand must follow (a subset of [`KEYWORDS`]): an entry ending in one is
/// unfinished, and a `-` after one is a prefix minus.
pub const OPERAND_FOLLOWS: &[&str] = &["and", "or", "not", "if", "then", "else", "weight", "when", "in"];

/// The tag of a word (a keyword, a contextual keyword, a boolean or a name).
pub fn classify_word(word: &str) -> Tag {
    if KEYWORDS.contains(&word) {
        Tag::Keyword
    } else if CONTEXTUAL.contains(&word) {
        Tag::Contextual
    } else if BOOLS.contains(&word) {
        Tag::Bool
    } else {
        Tag::Ident
    }
}

/// The lexer's raw classes. Words are one class ([`Raw::Word`]); [`classify_word`] tells a
/// keyword from a name by the word lists above, so the words live in one place.
#[derive(Logos, Debug, Clone, Copy, PartialEq, Eq)]
#[logos(skip r"[ \t\r\n\f]+")]
enum Raw {
    #[regex(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?(%|bps)?")]
    Number,
    #[regex(r"[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]")]
    Date,
    #[regex(r#""[^"\n]*""#)]
    #[regex(r#""[^"\n]*"#)]
    String,
    #[regex(r"//[^\n]*", allow_greedy = true)]
    Comment,
    #[regex(r"[\p{XID_Start}_]\p{XID_Continue}*")]
    Word,
    #[token(">=")]
    #[token("<=")]
    #[token("==")]
    #[token("!=")]
    #[token(">")]
    #[token("<")]
    #[token("+")]
    #[token("-")]
    #[token("*")]
    #[token("/")]
    #[token("=")]
    #[token("=>")]
    #[token("..=")]
    Operator,
    #[token("(")]
    #[token(")")]
    #[token("{")]
    #[token("}")]
    #[token("[")]
    #[token("]")]
    #[token(",")]
    #[token(".")]
    Punct,
}

/// The tokens of `src`, in order (whitespace skipped; never fails).
pub fn tokens(src: &str) -> Vec<Token> {
    token_iter(src).collect()
}

/// [`tokens`] one at a time, without collecting them (for scans over large sources).
pub fn token_iter(src: &str) -> impl Iterator<Item = Token> + '_ {
    let mut lex = Raw::lexer(src);
    std::iter::from_fn(move || {
        let r = lex.next()?;
        let s = lex.span();
        let tag = match r {
            Ok(Raw::Word) => classify_word(&src[s.clone()]),
            Ok(Raw::Number) => Tag::Number,
            Ok(Raw::Date) => Tag::Date,
            Ok(Raw::String) => Tag::String,
            Ok(Raw::Comment) => Tag::Comment,
            Ok(Raw::Operator) => Tag::Operator,
            Ok(Raw::Punct) => Tag::Punct,
            Err(()) => Tag::Error,
        };
        Some(Token { tag, span: Span::new(s.start, s.end) })
    })
}

/// The brackets `(`, `[`, `{` of `src` that are still open at its end, outermost first
/// (brackets in strings and comments do not count; a stray closer is ignored). Tools use it to
/// tell an unfinished entry (`let t = tiers(x) {`) from a complete one.
pub fn open_brackets(src: &str) -> Vec<Token> {
    let mut stack: Vec<Token> = Vec::new();
    for t in tokens(src) {
        if t.tag != Tag::Punct {
            continue;
        }
        match t.text(src) {
            "(" | "[" | "{" => stack.push(t),
            ")" | "]" | "}" => {
                stack.pop();
            }
            _ => {}
        }
    }
    stack
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(src: &str) -> Vec<(Tag, &str)> {
        tokens(src).into_iter().map(|t| (t.tag, t.text(src))).collect()
    }

    #[test]
    fn unicode_names_are_one_identifier() {
        assert_eq!(tags("let exposición = größe_2"), [(Tag::Keyword, "let"), (Tag::Ident, "exposición"), (Tag::Operator, "="), (Tag::Ident, "größe_2")]);
    }

    #[test]
    fn words_numbers_and_units() {
        assert_eq!(
            tags("param spike_z = 2.5 cost 2bps x >= 45% if true"),
            [
                (Tag::Keyword, "param"),
                (Tag::Ident, "spike_z"),
                (Tag::Operator, "="),
                (Tag::Number, "2.5"),
                (Tag::Keyword, "cost"),
                (Tag::Number, "2bps"),
                (Tag::Ident, "x"),
                (Tag::Operator, ">="),
                (Tag::Number, "45%"),
                (Tag::Keyword, "if"),
                (Tag::Bool, "true"),
            ]
        );
        // A keyword prefix is a name; contextual words have their own tag.
        assert_eq!(tags("letter by"), [(Tag::Ident, "letter"), (Tag::Contextual, "by")]);
        assert_eq!(tags("1e-3 0.1 ..= 1.0"), [(Tag::Number, "1e-3"), (Tag::Number, "0.1"), (Tag::Operator, "..="), (Tag::Number, "1.0")]);
    }

    #[test]
    fn strings_comments_dates_and_errors() {
        assert_eq!(
            tags("data m = csv(\"a b.csv\") // note (\nfrom 2020-01-31 @"),
            [
                (Tag::Keyword, "data"),
                (Tag::Ident, "m"),
                (Tag::Operator, "="),
                (Tag::Ident, "csv"),
                (Tag::Punct, "("),
                (Tag::String, "\"a b.csv\""),
                (Tag::Punct, ")"),
                (Tag::Comment, "// note ("),
                (Tag::Keyword, "from"),
                (Tag::Date, "2020-01-31"),
                (Tag::Error, "@"),
            ]
        );
        assert_eq!(tags("\"open"), [(Tag::String, "\"open")]);
    }

    #[test]
    fn open_brackets_ignore_strings_and_comments() {
        let src = "let t = tiers(x) {\n >= 50 => 45% // )}\n";
        let open: Vec<&str> = open_brackets(src).iter().map(|t| t.text(src)).collect();
        assert_eq!(open, ["{"]);
        assert!(open_brackets("min(a, \"(\")").is_empty());
        assert!(open_brackets("f(x))").is_empty());
    }

    #[test]
    fn word_lists_match_the_lexer() {
        for k in KEYWORDS {
            assert_eq!(tags(k), [(Tag::Keyword, *k)]);
        }
        for k in CONTEXTUAL {
            assert_eq!(tags(k), [(Tag::Contextual, *k)]);
        }
        for k in BOOLS {
            assert_eq!(tags(k), [(Tag::Bool, *k)]);
        }
        for k in STATEMENT_KEYWORDS.iter().chain(OPERAND_FOLLOWS) {
            assert!(KEYWORDS.contains(k), "{k}");
        }
    }

    #[test]
    fn portfolio_words() {
        // `kill` and `capital` begin statements; `release` and `scale` are clause words of `kill`.
        assert_eq!(
            tags("kill k when own.drawdown < -15% release when x scale 50%"),
            [
                (Tag::Keyword, "kill"),
                (Tag::Ident, "k"),
                (Tag::Keyword, "when"),
                (Tag::Ident, "own"),
                (Tag::Punct, "."),
                (Tag::Ident, "drawdown"),
                (Tag::Operator, "<"),
                (Tag::Operator, "-"),
                (Tag::Number, "15%"),
                (Tag::Contextual, "release"),
                (Tag::Keyword, "when"),
                (Tag::Ident, "x"),
                (Tag::Contextual, "scale"),
                (Tag::Number, "50%"),
            ]
        );
        assert_eq!(tags("capital 1e7 cost impact"), [(Tag::Keyword, "capital"), (Tag::Number, "1e7"), (Tag::Keyword, "cost"), (Tag::Ident, "impact")]);
        for w in ["kill", "capital"] {
            assert!(STATEMENT_KEYWORDS.contains(&w), "{w}");
        }
    }

    #[test]
    fn every_byte_is_a_token_or_whitespace() {
        let src = "strategy s\nlet x = sma(m.c, 20)[1] * -2 != 3 # ¤\n";
        let mut at = 0;
        for t in tokens(src) {
            assert!(src[at..t.span.start as usize].trim().is_empty());
            at = t.span.end as usize;
        }
        assert!(src[at..].trim().is_empty());
    }

    /// The quoted words of `strat.pest` that are not keywords: the `bps` unit, lexed as part of
    /// a number.
    const PEST_NON_KEYWORDS: &[&str] = &["bps"];

    /// The string literals of pest source `text` made of two or more lowercase letters or `_`
    /// (`//` comments skipped, `\"` escapes honoured).
    fn quoted_words(text: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '/' && chars.peek() == Some(&'/') {
                chars.by_ref().take_while(|&c| c != '\n').for_each(drop);
            } else if c == '"' {
                let mut lit = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => lit.extend(chars.next()),
                        '"' => break,
                        _ => lit.push(c),
                    }
                }
                if lit.len() >= 2 && lit.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                    out.insert(lit);
                }
            }
        }
        out
    }

    #[test]
    fn the_grammar_names_exactly_the_keyword_lists() {
        let pest = include_str!("strat.pest");
        let in_pest: std::collections::BTreeSet<String> = quoted_words(pest).into_iter().filter(|w| !PEST_NON_KEYWORDS.contains(&w.as_str())).collect();
        let listed: std::collections::BTreeSet<String> = KEYWORDS.iter().chain(CONTEXTUAL).chain(BOOLS).map(|w| w.to_string()).collect();
        assert_eq!(in_pest, listed, "strat.pest and the keyword lists of tokens.rs differ");
        // The words pest reserves (no name may be one) are keywords or booleans.
        let rule = pest.split("\nkeyword = @{").nth(1).and_then(|r| r.split('}').next()).expect("the `keyword` rule of strat.pest");
        for w in quoted_words(rule) {
            assert!(KEYWORDS.contains(&w.as_str()) || BOOLS.contains(&w.as_str()), "{w}");
        }
    }
}
