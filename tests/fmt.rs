//! `strat fmt` (issue 16): the formatter never changes a program's meaning, is idempotent and
//! canonical, and the CLI formats files in place, checks them with a diff, formats standard input
//! and leaves a file that does not parse untouched.
//!
//! Meaning: every example, every `.strat` file of the test suites and seeded random mutations of
//! them that still parse are formatted; the result formats to itself, and where the original
//! compiles the formatted program compiles to the same plan (`strat check --plan`'s text); where
//! it does not, it fails with the same diagnostic codes. Canonical: seeded random changes of the
//! spacing between tokens (1 to 4 spaces or a tab where there was whitespace, trailing blanks)
//! format to the same text as the original.

mod common;
use common::cli::{s, strat_in};
use common::{root, strat_files, TempDir};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use strat::{Engine, Failure};
use strat_grammar::format::format_source;
use strat_grammar::tokens::token_iter;

/// Every example and suite program: (name, source).
fn corpus() -> Vec<(String, String)> {
    let mut files = vec![];
    strat_files(&root().join("examples"), &mut files);
    strat_files(&root().join("tests"), &mut files);
    files.iter().map(|f| (f.strip_prefix(root()).unwrap().display().to_string(), std::fs::read_to_string(f).unwrap())).collect()
}

/// The plan of `src` compiled against the bundled data, or the codes of its errors.
fn meaning(engine: &Engine, src: &str) -> Result<String, Vec<&'static str>> {
    match engine.compile_source("fmt.strat", "fmt", src.to_string(), &root().join("examples")) {
        Ok(s) => Ok(s.compiled().plan_text()),
        Err(Failure::Program(d)) => Err(d.iter().filter(|d| d.diag.is_error()).map(|d| d.diag.code).collect()),
        Err(other) => Err(vec![Box::leak(other.to_string().into_boxed_str())]),
    }
}

/// Formats `src` and checks idempotence and meaning; returns whether it parsed.
fn check_one(engine: &Engine, what: &str, src: &str) -> bool {
    let Ok(out) = format_source(src) else { return false };
    assert_eq!(format_source(&out).as_ref(), Ok(&out), "{what}: formatting is not idempotent");
    assert_eq!(meaning(engine, &out), meaning(engine, src), "{what}: formatting changed the program\n--- before\n{src}\n--- after\n{out}");
    true
}

#[test]
fn formatting_every_example_and_suite_file_keeps_its_plan() {
    let engine = Engine::new();
    let mut formatted = 0;
    for (name, src) in corpus() {
        if check_one(&engine, &name, &src) {
            formatted += 1;
        }
    }
    assert!(formatted >= 30, "only {formatted} files parsed");
}

#[test]
fn formatting_random_mutations_keeps_their_meaning() {
    // Token-level mutations (drop, repeat or swap tokens): those that still parse are formatted,
    // and the result has the same plan (or the same errors) as the mutant.
    let engine = Engine::new();
    let mut rng = ChaCha8Rng::seed_from_u64(0x0f0f_5717);
    let (mut tried, mut parsed) = (0, 0);
    for (name, src) in corpus().into_iter().filter(|(n, _)| n.starts_with("examples")) {
        let toks: Vec<(u32, u32)> = token_iter(&src).map(|t| (t.span.start, t.span.end)).collect();
        for k in 0..80 {
            let i = rng.random_range(0..toks.len());
            let (a, b) = (toks[i].0 as usize, toks[i].1 as usize);
            let mutant = match rng.random_range(0..3) {
                0 => format!("{}{}", &src[..a], &src[b..]),
                1 => format!("{}{} {}", &src[..b], " ", &src[a..]),
                _ if i + 1 < toks.len() => {
                    let (c, d) = (toks[i + 1].0 as usize, toks[i + 1].1 as usize);
                    format!("{}{}{}{}{}", &src[..a], &src[c..d], &src[b..c], &src[a..b], &src[d..])
                }
                _ => continue,
            };
            tried += 1;
            if check_one(&engine, &format!("{name} mutant {k}"), &mutant) {
                parsed += 1;
            }
        }
    }
    assert!(tried > 600 && parsed > 60, "{parsed} of {tried} mutants parsed");
}

#[test]
fn the_spacing_between_tokens_does_not_change_the_output() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x005f_ace5);
    for (name, src) in corpus().into_iter().filter(|(n, _)| n.starts_with("examples")) {
        let want = format_source(&src).unwrap();
        for k in 0..10 {
            // Rebuild the source with each same-line gap between tokens replaced at random.
            let toks: Vec<(usize, usize)> = token_iter(&src).map(|t| (t.span.start as usize, t.span.end as usize)).collect();
            let mut out = String::new();
            let mut at = 0;
            for (i, &(a, b)) in toks.iter().enumerate() {
                let gap = &src[at..a];
                if i > 0 && !gap.is_empty() && !gap.contains('\n') {
                    out += ["  ", "\t", " ", "    "][rng.random_range(0..4)];
                } else if gap.contains('\n') {
                    // Trailing blanks before the line break, the indentation kept.
                    let nl = gap.rfind('\n').unwrap();
                    out += &gap[..gap.find('\n').unwrap()];
                    out += if rng.random_bool(0.5) { "  " } else { "" };
                    out += &gap[gap.find('\n').unwrap()..=nl];
                    out += &gap[nl + 1..];
                } else {
                    out += gap;
                }
                out += &src[a..b];
                at = b;
            }
            out += &src[at..];
            assert_eq!(format_source(&out).unwrap(), want, "{name}: variant {k} formats differently\n{out}");
        }
    }
}

#[test]
fn strat_fmt_rewrites_checks_with_a_diff_and_reads_standard_input() {
    let dir = TempDir::new("fmt");
    let d = dir.path();
    let messy = "strategy  demo\ndata mkt=csv(\"data/spx_vix.csv\")\nlet t=tiers(mkt.vix){\n>= 30=>50%\nelse=>100%\n}\n\n\n\nhold mkt.spx weight t // held\n";
    let tidy =
        "strategy demo\ndata mkt = csv(\"data/spx_vix.csv\")\nlet t = tiers(mkt.vix) {\n  >= 30 => 50%\n  else  => 100%\n}\n\nhold mkt.spx weight t  // held\n";
    std::fs::write(d.join("a.strat"), messy).unwrap();
    // --check: a diff on stdout, exit 1, the file untouched.
    let r = strat_in(d, &["fmt", "--check", "a.strat"]).code(1, "check");
    assert!(r.stdout.contains("--- a.strat") && r.stdout.contains("+  >= 30 => 50%") && r.stdout.contains("-let t=tiers(mkt.vix){"), "{}", r.stdout);
    assert!(r.stderr.contains("not formatted"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(d.join("a.strat")).unwrap(), messy);
    // In place.
    let r = strat_in(d, &["fmt", "a.strat"]).code(0, "fmt");
    assert!(r.stdout.contains("a.strat: formatted"), "{}", r.stdout);
    assert_eq!(std::fs::read_to_string(d.join("a.strat")).unwrap(), tidy);
    strat_in(d, &["fmt", "--check", "a.strat"]).code(0, "now formatted");
    // Standard input to standard output (for editors).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_strat"))
        .args(["fmt"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write as _;
            c.stdin.take().unwrap().write_all(messy.as_bytes())?;
            c.wait_with_output()
        })
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), tidy);
    // A file that does not parse: its diagnostic, exit 2, the file untouched; the others in the
    // folder are still formatted.
    std::fs::create_dir(d.join("more")).unwrap();
    std::fs::write(d.join("more/bad.strat"), "strategy x\nlet = 1\n").unwrap();
    std::fs::write(d.join("more/good.strat"), messy).unwrap();
    let r = strat_in(d, &["fmt", "more"]).code(2, "bad file");
    assert!(r.stderr.contains("strat::syntax"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(d.join("more/bad.strat")).unwrap(), "strategy x\nlet = 1\n");
    assert_eq!(std::fs::read_to_string(d.join("more/good.strat")).unwrap(), tidy);
}

#[test]
fn the_examples_are_formatted() {
    let dir = TempDir::new("fmt-examples");
    strat_in(dir.path(), &["fmt", "--check", &s(&root().join("examples"))]).code(0, "strat fmt --check examples");
}
