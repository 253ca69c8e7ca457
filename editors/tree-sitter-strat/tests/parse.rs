//! The committed parser (`src/parser.c`, generated from `grammar.js`) against the compiler's
//! own grammar (strat-grammar's pest parser): on every `.strat` file of the repository
//! (examples, test programs) and on every corpus example (`test/corpus`), a program the compiler
//! parses has no ERROR or MISSING node here, and a program it rejects has one. The queries
//! compile against the grammar.

use std::path::{Path, PathBuf};
use tree_sitter::{Node, Parser, Query};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn parser() -> Parser {
    let mut p = Parser::new();
    p.set_language(&tree_sitter_strat::LANGUAGE.into()).expect("the parser's ABI is one this tree-sitter reads");
    p
}

fn strat_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            strat_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "strat") {
            out.push(p);
        }
    }
}

/// The first ERROR or MISSING node under `node`, as "kind at line:col".
fn first_error(node: Node) -> Option<String> {
    if node.is_error() || node.is_missing() {
        let p = node.start_position();
        return Some(format!("{} at {}:{}", if node.is_missing() { "MISSING" } else { "ERROR" }, p.row + 1, p.column + 1));
    }
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    children.into_iter().find_map(first_error)
}

/// Whether the compiler's parser reports a syntax error in `src`.
fn pest_rejects(src: &str) -> bool {
    let (_, diags) = strat_grammar::source_to_ast(src);
    diags.iter().any(|d| d.code.starts_with("strat::syntax"))
}

/// The programs of the corpus files: (name, source).
fn corpus() -> Vec<(String, String)> {
    let mut out = vec![];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        // === title ===, program, ---, tree: the program is between a header's closing rule
        // and the dashes.
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            if line.starts_with("====") {
                let title = lines.next().unwrap_or_default().to_string();
                lines.next();
                let mut program = String::new();
                for l in lines.by_ref() {
                    if l.starts_with("----") {
                        break;
                    }
                    program += l;
                    program.push('\n');
                }
                out.push((format!("{}: {title}", f.file_name().unwrap().to_string_lossy()), program));
            }
        }
    }
    out
}

#[test]
fn every_program_the_compiler_parses_parses_without_errors_and_the_others_do_not() {
    let mut files = vec![];
    strat_files(&repo().join("examples"), &mut files);
    strat_files(&repo().join("tests"), &mut files);
    assert!(files.len() >= 40, "found only {} .strat files", files.len());
    let mut programs: Vec<(String, String)> = files.iter().map(|f| (f.display().to_string(), std::fs::read_to_string(f).unwrap())).collect();
    programs.extend(corpus());
    let mut parser = parser();
    let mut problems = vec![];
    let (mut accepted, mut rejected) = (0, 0);
    for (name, src) in &programs {
        let tree = parser.parse(src, None).unwrap();
        let error = first_error(tree.root_node());
        match (pest_rejects(src), error) {
            (false, Some(e)) => problems.push(format!("{name}: the compiler parses it, tree-sitter finds {e}")),
            (true, None) => problems.push(format!("{name}: the compiler rejects it, tree-sitter parses it")),
            (false, None) => accepted += 1,
            (true, Some(_)) => rejected += 1,
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(accepted >= 30, "{accepted} programs parsed");
    eprintln!("{accepted} programs parsed by both, {rejected} rejected by both");
}

#[test]
fn the_corpus_programs_are_programs_the_compiler_parses() {
    for (name, src) in corpus() {
        assert!(!pest_rejects(&src), "{name}: the compiler rejects\n{src}");
    }
}

#[test]
fn the_queries_compile_against_the_grammar() {
    let language = tree_sitter_strat::LANGUAGE.into();
    for (name, q) in [("highlights", tree_sitter_strat::HIGHLIGHTS_QUERY), ("locals", tree_sitter_strat::LOCALS_QUERY)] {
        let query = Query::new(&language, q).unwrap_or_else(|e| panic!("queries/{name}.scm: {e}"));
        assert!(query.pattern_count() > 5, "{name}");
    }
}

#[test]
fn the_vix_guard_reads_as_expected() {
    let src = std::fs::read_to_string(repo().join("examples/vix_guard.strat")).unwrap();
    let tree = parser().parse(&src, None).unwrap();
    let root = tree.root_node();
    let mut cursor = root.walk();
    let statements: Vec<Node> = root.named_children(&mut cursor).filter(|n| n.kind() != "comment").collect();
    let kinds: Vec<&str> = statements.iter().map(|n| n.kind()).collect();
    assert_eq!(
        kinds,
        [
            "strategy_declaration",
            "data_declaration",
            "param_declaration",
            "param_declaration",
            "let_declaration",
            "let_declaration",
            "let_declaration",
            "hold_statement",
            "cost_statement",
            "benchmark_statement",
            "report_statement"
        ]
    );
    // `let tier = tiers(mkt.vix) { >= 50 => 45% ... else => 100% }`: three arms and an else.
    let tiers = statements[4].child_by_field_name("value").unwrap();
    assert_eq!(tiers.kind(), "tiers_expression", "{}", tiers.to_sexp());
    let mut c = tiers.walk();
    let arms: Vec<&str> = tiers.named_children(&mut c).map(|n| n.kind()).collect();
    assert_eq!(arms, ["field_expression", "tier_arm", "tier_arm", "tier_arm", "tier_else"]);
}

/// A small deterministic generator (xorshift64*), so the mutants are the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }
}

#[test]
fn token_mutants_of_the_examples_get_the_same_verdict_from_both_parsers() {
    // Drop, repeat or swap tokens of every example: a mutant the compiler parses must parse
    // here without errors, and one it rejects must show an error here.
    let mut files = vec![];
    strat_files(&repo().join("examples"), &mut files);
    let mut parser = parser();
    let mut rng = Rng(0x5eed_7ee5_1773_0001);
    let mut problems = vec![];
    let (mut accepted, mut rejected) = (0, 0);
    for f in &files {
        let src = std::fs::read_to_string(f).unwrap();
        let toks: Vec<(usize, usize)> = strat_grammar::tokens::token_iter(&src).map(|t| (t.span.start as usize, t.span.end as usize)).collect();
        for k in 0..150 {
            let i = rng.below(toks.len());
            let (a, b) = toks[i];
            let op = rng.below(3);
            let mutant = match op {
                0 => format!("{}{}", &src[..a], &src[b..]),
                1 => format!("{} {}", &src[..b], &src[a..]),
                _ if i + 1 < toks.len() => {
                    let (c, d) = toks[i + 1];
                    format!("{}{}{}{}{}", &src[..a], &src[c..d], &src[b..c], &src[a..b], &src[d..])
                }
                _ => continue,
            };
            let error = first_error(parser.parse(&mutant, None).unwrap().root_node());
            let what = || {
                let line = src[..a].matches('\n').count() + 1;
                let verb = ["dropped", "repeated", "swapped with the next"][op];
                format!("{} mutant {k} ({verb} `{}` on line {line})", f.display(), &src[a..b])
            };
            match (pest_rejects(&mutant), error) {
                (false, Some(e)) => problems.push(format!("{}: the compiler parses it, tree-sitter finds {e}", what())),
                (true, None) => problems.push(format!("{}: the compiler rejects it, tree-sitter parses it", what())),
                (false, None) => accepted += 1,
                (true, Some(_)) => rejected += 1,
            }
        }
    }
    assert!(problems.is_empty(), "{} disagreements:\n{}", problems.len(), problems.join("\n"));
    assert!(accepted > 100 && rejected > 300, "{accepted} accepted, {rejected} rejected");
}
