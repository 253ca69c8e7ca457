//! No input, however malformed, panics the compiler (issue #2, "done when").
//!
//! Every source below goes through `Engine::compile_source` (base folder `examples/`, so
//! `csv("data/spx_vix.csv")` resolves). The facade compiles on its own thread and turns a panic
//! there into a `strat::internal` diagnostic, so "no diagnostic is `strat::internal`" is the
//! no-panic assertion; a stack overflow would abort the whole test binary, which fails it too.
//! Besides, every diagnostic must point inside its source (a span past the end or inside a UTF-8
//! character would break the rendering), and rendering it through miette must not panic.
//!
//! Inputs: every prefix of the example and of each `tests/diagnostics/*.strat` file; seeded random
//! byte- and token-level mutations of those files; random token soups; pathological nesting and
//! length; huge and degenerate number literals and window lengths. Everything is seeded
//! (ChaCha8), so a failure reproduces: the report prints the offending source (shortened).

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;
use strat::{Backend, Engine, Failure, SourceDiag, Strategy};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples_dir() -> PathBuf {
    root().join("examples")
}

/// The seed sources: the example and every golden-diagnostics file (with its data path rewritten
/// to resolve from `examples/`).
fn seeds() -> Vec<(String, String)> {
    let mut out = vec![("vix_guard.strat".to_string(), std::fs::read_to_string(examples_dir().join("vix_guard.strat")).unwrap())];
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join("tests/diagnostics"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "strat"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let src = std::fs::read_to_string(&f).unwrap().replace("../../examples/data/", "data/");
        out.push((f.file_name().unwrap().to_string_lossy().into_owned(), src));
    }
    out
}

/// What went wrong with one source, if anything.
fn problems(src: &str, diags: &[SourceDiag]) -> Vec<String> {
    let mut out = vec![];
    for d in diags {
        let code = d.diag.code;
        if code == "strat::internal" {
            out.push(format!("strat::internal (a compiler panic): {}", d.diag.message));
            continue;
        }
        for l in &d.diag.labels {
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            if s > e || e > src.len() || !src.is_char_boundary(s) || !src.is_char_boundary(e) {
                out.push(format!("{code}: label span {s}..{e} is not a char range of the {}-byte source", src.len()));
            }
        }
    }
    out
}

/// Renders every diagnostic through miette (as the CLI does); a panic there is a failure too.
fn render(diags: &[SourceDiag]) -> Result<(), String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let handler = miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
        for d in diags {
            let mut s = String::new();
            let _ = handler.render_report(&mut s, d);
        }
    }))
    .map_err(|_| "rendering a diagnostic panicked".to_string())
}

/// The harness: compiles `src` and returns a description of every problem (empty = fine), and
/// the strategy when it compiled.
struct Harness {
    engine: Engine,
    base: PathBuf,
    failures: Vec<String>,
    compiled: usize,
    rejected: usize,
    render_every: usize,
    count: usize,
    /// The codes of the last compilation's diagnostics (for the verbose listing).
    last_codes: Vec<&'static str>,
}

impl Harness {
    fn new() -> Harness {
        Harness { engine: Engine::new(), base: examples_dir(), failures: vec![], compiled: 0, rejected: 0, render_every: 7, count: 0, last_codes: vec![] }
    }

    fn compile(&mut self, what: &str, src: &str) -> Option<Strategy> {
        self.count += 1;
        let result = self.engine.compile_source("fuzz.strat", "fuzz", src.to_string(), &self.base);
        let (diags, strategy) = match result {
            Ok(s) => {
                self.compiled += 1;
                (Vec::new(), Some(s))
            }
            Err(Failure::Program(d)) => {
                self.rejected += 1;
                (d, None)
            }
            Err(other) => {
                self.failures.push(format!("{what}: compile_source failed with a non-program failure: {other}\n{}", shorten(src)));
                return None;
            }
        };
        let diags: &[SourceDiag] = match &strategy {
            Some(s) => &s.warnings,
            None => &diags,
        };
        self.last_codes = diags.iter().map(|d| d.diag.code).collect();
        self.last_codes.dedup();
        let mut p = problems(src, diags);
        if self.count.is_multiple_of(self.render_every) || !p.is_empty() {
            if let Err(e) = render(diags) {
                p.push(e);
            }
        }
        if strategy.is_none() && !diags.iter().any(|d| d.diag.is_error()) {
            p.push("rejected without an error diagnostic".into());
        }
        if !p.is_empty() && self.failures.len() < 20 {
            self.failures.push(format!("{what}: {}\n--- source ---\n{}\n--------------", p.join("; "), shorten(src)));
        }
        strategy
    }

    fn finish(self, min_total: usize) {
        assert!(self.failures.is_empty(), "{} failing input(s) (first 20):\n{}", self.failures.len(), self.failures.join("\n"));
        assert!(self.count >= min_total, "only {} inputs were tried", self.count);
        eprintln!("{} inputs: {} compiled, {} rejected with diagnostics", self.count, self.compiled, self.rejected);
    }
}

fn shorten(src: &str) -> String {
    if src.len() <= 600 {
        return src.to_string();
    }
    let mut a = 300;
    while !src.is_char_boundary(a) {
        a -= 1;
    }
    let mut b = src.len() - 300;
    while !src.is_char_boundary(b) {
        b += 1;
    }
    format!("{} … [{} bytes elided] … {}", &src[..a], b - a, &src[b..])
}

#[test]
fn every_prefix_of_every_seed() {
    let mut h = Harness::new();
    h.render_every = 13;
    let mut n = 0;
    for (name, src) in seeds() {
        for (i, _) in src.char_indices().chain(std::iter::once((src.len(), ' '))) {
            h.compile(&format!("{name}[..{i}]"), &src[..i]);
            n += 1;
        }
    }
    // The full example compiles (so the prefixes exercise the accepting path too).
    assert!(h.compiled > 0);
    h.finish(n);
}

/// Tokens the mutator splices in: every keyword, operator and bracket of the grammar, numbers with
/// and without units, names that exist (builtins, the data source and its columns) and names that
/// do not, strings, comments, whitespace and non-ASCII text.
const TOKENS: &[&str] = &[
    "strategy", "data", "param", "let", "regime", "hold", "weight", "cost", "annualize", "benchmark", "report", "when", "otherwise",
    "if", "then", "else", "and", "or", "not", "tiers", "true", "false", "csv", "+", "-", "*", "/", "%", "=", "==", "!=", ">=", "<=", ">",
    "<", "=>", "(", ")", "[", "]", "{", "}", ",", ".", ";", ":", "!", "&", "|", "^", "0", "1", "2.5", "60", "-1", "1e999", "1e-999", "1e",
    "0.0", "45%", "2bps", "0bps", "100%", "-10%", "99999999999999999999", "1.5e3", "007", "3.", ".5", "1_000", "0x10", "mkt", "mkt.spx",
    "mkt.vix", "spx", "vix", ".spx", ".vix", ".nosuch", "sma", "ema", "std", "zscore", "rolling_min", "rolling_max", "ret", "logret",
    "drawdown", "cumsum", "cumprod", "abs", "sign", "sqrt", "log", "exp", "min", "max", "clamp", "spike_z", "spike_window", "tier",
    "spike", "exposure", "x", "_", "__", "a1", "BULL", "BEAR", "state", "\"data/spx_vix.csv\"", "\"\"", "\"nosuch.csv\"", "\"/\"",
    "\"unterminated", "\"data/\"", "//", "// comment\n", "\n", "\t", " ", "\r\n", "é", "日本", "🦀", "\u{0}", "\u{feff}", "\u{202e}",
    "∑", "≥", "−", "\u{a0}", "\\", "'", "`", "#", "@", "$",
];

fn random_token(rng: &mut ChaCha8Rng) -> &'static str {
    TOKENS[rng.random_range(0..TOKENS.len())]
}

/// One random edit of `src` (bytes; the result is made UTF-8 lossily, which adds U+FFFD).
fn mutate(rng: &mut ChaCha8Rng, src: &mut Vec<u8>) {
    let len = src.len();
    let pos = if len == 0 { 0 } else { rng.random_range(0..=len) };
    match rng.random_range(0..8) {
        // Insert a random byte.
        0 => src.insert(pos, rng.random()),
        // Delete a run of bytes.
        1 if len > 0 => {
            let end = (pos + rng.random_range(1..12)).min(len);
            src.drain(pos.min(len)..end);
        }
        // Replace a byte.
        2 if pos < len => src[pos] = rng.random(),
        // Replace a byte with an ASCII character that matters to the grammar.
        3 if pos < len => {
            let alphabet = b"()[]{}=<>+-*/.,%\"\n 0123456789aeglnorstx_";
            src[pos] = alphabet[rng.random_range(0..alphabet.len())];
        }
        // Duplicate a slice (repeats statements, brackets, operators).
        4 if len > 0 => {
            let end = (pos + rng.random_range(1..40)).min(len);
            let piece: Vec<u8> = src[pos.min(len)..end].to_vec();
            let at = rng.random_range(0..=src.len());
            src.splice(at..at, piece);
        }
        // Replace a word (maximal run of identifier bytes) with a token.
        5 if pos < len => {
            let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
            let (mut a, mut b) = (pos, pos);
            while a > 0 && is_word(src[a - 1]) {
                a -= 1;
            }
            while b < len && is_word(src[b]) {
                b += 1;
            }
            if a == b {
                b = (a + 1).min(len);
            }
            let t = random_token(rng).as_bytes().to_vec();
            src.splice(a..b, t);
        }
        // Insert a token (with or without surrounding space).
        _ => {
            let mut t = random_token(rng).to_string();
            if rng.random_bool(0.5) {
                t = format!(" {t} ");
            }
            src.splice(pos..pos, t.into_bytes());
        }
    }
}

#[test]
fn seeded_random_mutations() {
    let seeds = seeds();
    let mut h = Harness::new();
    let mut rng = ChaCha8Rng::seed_from_u64(0x0574_72a7);
    let rounds = 5000;
    for i in 0..rounds {
        let (name, src) = &seeds[if i % 3 == 0 { 0 } else { rng.random_range(0..seeds.len()) }];
        let mut bytes = src.as_bytes().to_vec();
        let edits = 1 + rng.random_range(0..4) + if rng.random_bool(0.1) { rng.random_range(0..30) } else { 0 };
        for _ in 0..edits {
            mutate(&mut rng, &mut bytes);
        }
        let text = String::from_utf8_lossy(&bytes).into_owned();
        h.compile(&format!("mutation #{i} of {name} ({edits} edits)"), &text);
    }
    // Most single edits leave a program the checker gets to; some still compile.
    assert!(h.compiled > 0, "no mutant compiled: the mutator is too destructive to reach the checker");
    h.finish(rounds);
}

#[test]
fn random_token_soups() {
    let mut h = Harness::new();
    let mut rng = ChaCha8Rng::seed_from_u64(42);
    let n = 1500;
    for i in 0..n {
        let len = rng.random_range(1..80);
        let mut s = String::new();
        // Half of the soups start like a program, so they get past the data statement.
        if i % 2 == 0 {
            s.push_str("data mkt = csv(\"data/spx_vix.csv\")\n");
        }
        for _ in 0..len {
            s.push_str(random_token(&mut rng));
            match rng.random_range(0..3) {
                0 => s.push(' '),
                1 => s.push('\n'),
                _ => {}
            }
        }
        h.compile(&format!("soup #{i}"), &s);
    }
    h.finish(n);
}

const HEAD: &str = "data mkt = csv(\"data/spx_vix.csv\")\n";

/// Hand-written pathological programs: each must compile or be rejected with diagnostics; the
/// ones that compile must also run (both backends) without panicking.
fn pathological() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = vec![];
    let mut add = |name: &str, body: String| v.push((name.to_string(), format!("{HEAD}{body}")));
    let n = 10_000;
    add("10k open parens", format!("hold mkt.spx weight {}", "(".repeat(n)));
    add("10k balanced parens", format!("hold mkt.spx weight {}1{}", "(".repeat(n), ")".repeat(n)));
    add("10k close parens", format!("hold mkt.spx weight 1{}", ")".repeat(n)));
    add("10k minus", format!("hold mkt.spx weight {}1", "-".repeat(n)));
    add("10k spaced minus", format!("hold mkt.spx weight {}1", "- ".repeat(n)));
    add("5k not", format!("hold mkt.spx weight if {}true then 1 else 0", "not ".repeat(5_000)));
    add("10k brackets", format!("hold mkt.spx weight mkt.spx{}", "[1]".repeat(n)));
    add("10k nested index", format!("hold mkt.spx weight mkt.spx[{}1{}", "mkt.spx[".repeat(n), "]".repeat(n + 1)));
    add("10k nested calls", format!("hold mkt.spx weight {}mkt.spx{}", "abs(".repeat(n), ")".repeat(n)));
    add("10k nested sma", format!("hold mkt.spx weight {}mkt.spx{}", "sma(".repeat(n), ", 2)".repeat(n)));
    add("10k nested braces", format!("hold mkt.spx weight tiers(mkt.vix) {}", "{".repeat(n)));
    add(
        "if-chain 5k",
        format!("hold mkt.spx weight {}1", (0..5_000).map(|i| format!("if mkt.vix > {i} then {i} else ")).collect::<String>()),
    );
    add(
        "nested if in condition 2k",
        format!("hold mkt.spx weight {}1{}", "if (if ".repeat(2_000), " then true else false) then 1 else 0".repeat(2_000)),
    );
    add(
        "if-chain 150 (under the nesting limit)",
        format!("hold mkt.spx weight {}1", (0..150).map(|i| format!("if mkt.vix > {i} then {i}% else ")).collect::<String>()),
    );
    add("1+1+... 100k terms", format!("hold mkt.spx weight {}1", "1+".repeat(100_000)));
    add("x*x*... 100k factors", format!("hold mkt.spx weight {}1", "mkt.spx*".repeat(100_000)));
    add("a and a and ... 50k", format!("hold mkt.spx weight if {}true then 1 else 0", "mkt.vix > 1 and ".repeat(50_000)));
    add("x - x - ... 100k", format!("hold mkt.spx weight {}0", "mkt.vix - ".repeat(100_000)));
    add("min with 2k args", format!("hold mkt.spx weight min({}1)", "mkt.vix, ".repeat(2_000)));
    add("10k lets chained", {
        let mut s = "let x0 = mkt.vix\n".to_string();
        for i in 1..10_000 {
            s += &format!("let x{i} = x{} + 1\n", i - 1);
        }
        s + "hold mkt.spx weight x9999 / 10000"
    });
    // 2k arms, not 10k: compile time grows superlinearly with the arms (Cranelift's register
    // allocator on one long select chain: ~14 s for 10k arms in a debug build).
    add("tiers with 2k arms", format!("hold mkt.spx weight tiers(mkt.vix) {{ {} else => 1 }}", (0..2_000).map(|i| format!(">= {i} => {i}% ")).collect::<String>()));
    add("regime with 2k arms", format!("regime r {{ {} Z otherwise }}\nhold mkt.spx weight if r == A0 then 0.5 else 1", (0..2_000).map(|i| format!("A{i} when mkt.vix > {i} ")).collect::<String>()));
    add("1k params", (0..1_000).map(|i| format!("param p{i} = {i}\n")).collect::<String>() + "hold mkt.spx weight p1");
    add("100 data sources", (0..100).map(|i| format!("data d{i} = csv(\"data/spx_vix.csv\")\n")).collect::<String>() + "hold d99.spx weight 1");
    // Huge and degenerate numbers.
    for lit in ["1e999", "-1e999", "1e-999", "99999999999999999999%", "99999999999999999999bps", "1e308", "1e309%", "0e0", "1e99999999999999999999", "00000000000000000000001", "4.9e-324"] {
        add(&format!("literal {lit}"), format!("param z = {lit}\nlet y = {lit}\nhold mkt.spx weight if mkt.vix > z then y else 1"));
    }
    add("cost 1e999bps", "hold mkt.spx weight 1\ncost 1e999bps".into());
    add("cost 99999999999999999999bps", "hold mkt.spx weight 1\ncost 99999999999999999999bps".into());
    add("annualize 0", "hold mkt.spx weight 1\nannualize 0".into());
    add("annualize 1e999", "hold mkt.spx weight 1\nannualize 1e999".into());
    add("annualize 1e-300", "hold mkt.spx weight 1\nannualize 1e-300".into());
    // Window lengths and lags: huge, zero, negative, fractional, non-finite.
    for w in ["1e12", "1e19", "1e20", "1e308", "1e999", "18446744073709551616", "4294967296", "9007199254740993", "0", "0.0", "-1", "-0", "2.5", "0.5", "1e-999", "100%", "2bps"] {
        for f in ["sma", "ema", "std", "zscore", "rolling_min", "rolling_max", "ret", "logret"] {
            add(&format!("{f}(_, {w})"), format!("hold mkt.spx weight 1 + 0 * {f}(mkt.spx, {w})"));
        }
        add(&format!("lag [{w}]"), format!("hold mkt.spx weight mkt.spx[{w}] / mkt.spx"));
        add(&format!("param window {w}"), format!("param n = {w}\nhold mkt.spx weight 1 + 0 * sma(mkt.spx, n) + 0 * mkt.vix[n]"));
    }
    add("window 9192 (= rows)", "hold mkt.spx weight 1 + 0 * sma(mkt.spx, 9192)".into());
    add("window 9191", "hold mkt.spx weight 1 + 0 * sma(mkt.spx, 9191)".into());
    add("lag 9191", "hold mkt.spx weight mkt.spx[9191] / mkt.spx".into());
    add("sum of big windows", "hold mkt.spx weight 1 + 0 * sma(sma(sma(mkt.spx, 4000), 4000), 4000)".into());
    let long = "a".repeat(100_000);
    add("100k-char identifier", format!("let {long} = mkt.vix\nhold mkt.spx weight {long} / 100"));
    add("100k-char unknown identifier", format!("hold mkt.spx weight {long}"));
    add("100k-char column", format!("hold mkt.spx weight mkt.{long}"));
    add("100k-char string", format!("data d = csv(\"{long}\")\nhold d.x weight 1"));
    add("100k-char number", format!("hold mkt.spx weight {}", "9".repeat(100_000)));
    add("100k-char fraction", format!("hold mkt.spx weight 0.{}", "9".repeat(100_000)));
    add("100k-char comment", format!("// {long}\nhold mkt.spx weight 1"));
    add("1M spaces", format!("{}hold mkt.spx weight 1", " ".repeat(1_000_000)));
    add("1M newlines", format!("{}hold mkt.spx weight 1", "\n".repeat(1_000_000)));
    add("NUL bytes", "hold mkt.spx\0 weight 1\0".into());
    add("BOM", "\u{feff}hold mkt.spx weight 1".into());
    add("only a comment", "// nothing".into());
    add("csv path outside", "data e = csv(\"../../../../../../../../etc/passwd\")\nhold e.x weight 1".into());
    add("csv path is a folder", "data e = csv(\"data\")\nhold e.x weight 1".into());
    add("csv path is empty", "data e = csv(\"\")\nhold e.x weight 1".into());
    add("csv path with NUL", "data e = csv(\"data/spx_vix.csv\0\")\nhold e.x weight 1".into());
    add("csv of a non-csv file", "data e = csv(\"vix_guard.strat\")\nhold e.x weight 1".into());
    add("two holds", "hold mkt.spx weight 1\nhold mkt.vix weight 1".into());
    add("hold a constant", "hold 1 weight 1".into());
    add("hold a bool", "hold mkt.vix > 1 weight 1".into());
    add("weight a bool", "hold mkt.spx weight mkt.vix > 20".into());
    add("weight a regime", "regime r { A when mkt.vix > 20 B otherwise }\nhold mkt.spx weight r".into());
    add("benchmark a constant", "hold mkt.spx weight 1\nbenchmark 1".into());
    add("benchmark an expression", "hold mkt.spx weight 1\nbenchmark mkt.spx * 2 - mkt.vix".into());
    add("report a regime", "regime r { A when mkt.vix > 20 B otherwise }\nhold mkt.spx weight 1\nreport x = r".into());
    add("regime referencing itself", "regime r { A when r == A B otherwise }\nhold mkt.spx weight 1".into());
    add("regime without arms", "regime r { }\nhold mkt.spx weight 1".into());
    add("regime only otherwise", "regime r { A otherwise }\nhold mkt.spx weight if r == A then 1 else 0".into());
    add("regime otherwise first", "regime r { A otherwise B when mkt.vix > 1 }\nhold mkt.spx weight if r == B then 1 else 0".into());
    add("regime duplicate arms", "regime r { A when mkt.vix > 1 A otherwise }\nhold mkt.spx weight if r == A then 1 else 0".into());
    add("regime compared to another's arm", "regime r { A when mkt.vix > 1 B otherwise }\nregime s { C when mkt.vix > 2 D otherwise }\nhold mkt.spx weight if r == C then 1 else 0".into());
    add("let cycle", "let a = b\nlet b = a\nhold mkt.spx weight a".into());
    add("let self", "let a = a + 1\nhold mkt.spx weight a".into());
    add("param from a series", "param p = mkt.vix\nhold mkt.spx weight p".into());
    add("window from a let of a param", "param n = 10\nlet m = n * 2\nhold mkt.spx weight 1 + 0 * sma(mkt.spx, m)".into());
    add("window from param arithmetic", "param n = 10\nhold mkt.spx weight 1 + 0 * sma(mkt.spx, n * 2 - 19)".into());
    add("window from a comparison", "hold mkt.spx weight 1 + 0 * sma(mkt.spx, 1 > 0)".into());
    add("lag of a bool", "hold mkt.spx weight if (mkt.vix > 20)[3] then 1 else 0".into());
    add("lag of a regime", "regime r { A when mkt.vix > 20 B otherwise }\nhold mkt.spx weight if r[1] == A then 1 else 0".into());
    add("lag of a constant", "hold mkt.spx weight 1[3]".into());
    add("field of a number", "hold mkt.spx weight 1.spx".into());
    add("field of a call", "hold mkt.spx weight sma(mkt.spx, 2).spx".into());
    add("call a column", "hold mkt.spx weight mkt.spx(1)".into());
    add("call a data source", "hold mkt.spx weight mkt(1)".into());
    add("data source as a value", "hold mkt weight mkt".into());
    add("ret of a bool", "hold mkt.spx weight 1 + 0 * ret(mkt.vix > 1)".into());
    add("cumprod of a regime", "regime r { A when mkt.vix > 20 B otherwise }\nhold mkt.spx weight cumprod(r)".into());
    add("tiers without arms", "hold mkt.spx weight tiers(mkt.vix) { else => 1 }".into());
    add("tiers of a bool", "hold mkt.spx weight tiers(mkt.vix > 2) { >= 1 => 1 else => 0 }".into());
    add("tiers returning bools", "hold mkt.spx weight if tiers(mkt.vix) { >= 1 => true else => false } then 1 else 0".into());
    add("tiers mixing types", "hold mkt.spx weight tiers(mkt.vix) { >= 1 => true else => 0 }".into());
    add("if mixing types", "hold mkt.spx weight if mkt.vix > 1 then true else 0".into());
    add("clamp wrong arity", "hold mkt.spx weight clamp(mkt.vix)".into());
    add("min one arg", "hold mkt.spx weight min(mkt.vix)".into());
    add("min no args", "hold mkt.spx weight min()".into());
    add("trailing comma", "hold mkt.spx weight max(mkt.vix, 1,)".into());
    add("strategy twice", "strategy a\nstrategy b\nhold mkt.spx weight 1".into());
    add("everything twice", format!("param z = 1\nparam z = 2\nlet a = 1\nlet a = 2\ncost 1bps\ncost 2bps\nannualize 12\nannualize 52\nbenchmark mkt.spx\nbenchmark mkt.vix\nreport r = 1\nreport r = 2\n{HEAD}hold mkt.spx weight a"));
    add("no hold", "let a = 1".into());
    add("empty program", String::new());
    v.push(("truly empty".into(), String::new()));
    v.push(("no data".into(), "hold x.y weight 1".into()));
    v
}

#[test]
fn pathological_inputs_compile_or_are_rejected_and_runs_do_not_panic() {
    let mut h = Harness::new();
    h.render_every = 1;
    let cases = pathological();
    let example_frame = Engine::new().compile_file(&examples_dir().join("vix_guard.strat")).unwrap().load_data().unwrap();
    let mut run_failures = vec![];
    for (name, src) in &cases {
        let started = std::time::Instant::now();
        let compiled = h.compile(name, src);
        let took = started.elapsed();
        if took.as_secs_f64() > 0.5 {
            eprintln!("slow: compiling `{name}` took {took:?}");
        }
        if std::env::var_os("STRAT_FUZZ_VERBOSE").is_some() {
            eprintln!("{name}: {} {:?}", if compiled.is_some() { "compiled" } else { "rejected" }, h.last_codes);
        }
        let Some(strategy) = compiled else { continue };
        // A program that compiles must run (or fail with an error) on its data, on both backends.
        let loaded;
        let frame = if strategy.compiled.hir.data.iter().all(|d| d.name == "mkt") {
            &example_frame
        } else {
            match strategy.load_data() {
                Ok(f) => {
                    loaded = f;
                    &loaded
                }
                Err(_) => continue,
            }
        };
        for backend in [Backend::Jit, Backend::Reference] {
            let params = strategy.params();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| strategy.run_with(frame, &params, backend).map(|_| ())));
            match r {
                Err(_) => run_failures.push(format!("{name}: run on {backend:?} panicked")),
                Ok(r) if std::env::var_os("STRAT_FUZZ_VERBOSE").is_some() => {
                    eprintln!("    run {backend:?}: {}", r.map(|_| "ok".to_string()).unwrap_or_else(|e| e.to_string()))
                }
                Ok(_) => {}
            }
        }
        if started.elapsed().as_secs_f64() > 0.5 {
            eprintln!("slow: compiling, loading and running `{name}` took {:?}", started.elapsed());
        }
    }
    assert!(run_failures.is_empty(), "{}", run_failures.join("\n"));
    h.finish(cases.len());
}

/// The nesting limit is reported as a diagnostic (with a code), not a crash, for every form of
/// nesting the pre-scan knows.
#[test]
fn deep_nesting_is_a_diagnostic() {
    let engine = Engine::new();
    for (what, body) in [
        ("parens", format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000))),
        ("minus", format!("{}1", "-".repeat(10_000))),
        ("not", format!("if {}true then 1 else 0", "not ".repeat(5_000))),
        ("calls", format!("{}mkt.spx{}", "abs(".repeat(10_000), ")".repeat(10_000))),
    ] {
        let src = format!("{HEAD}hold mkt.spx weight {body}");
        match engine.compile_source("deep.strat", "deep", src, &examples_dir()) {
            Ok(_) => panic!("{what}: 10k-deep nesting compiled"),
            Err(Failure::Program(d)) => {
                let codes: Vec<&str> = d.iter().map(|d| d.diag.code).collect();
                assert!(!codes.contains(&"strat::internal"), "{what}: {codes:?}");
                assert!(codes.iter().any(|c| c.starts_with("strat::syntax")), "{what}: {codes:?}");
            }
            Err(other) => panic!("{what}: {other}"),
        }
    }
}

/// A regime whose condition uses a `let` (a natural thing to write: `let hi = ...` then
/// `FEAR when hi`) must compile like the same condition written inline.
#[test]
fn regime_condition_may_use_a_let() {
    let src = format!("{HEAD}let hi = mkt.vix > 30\nregime r {{\n  FEAR when hi\n  CALM otherwise\n}}\nhold mkt.spx weight if r == FEAR then 0.5 else 1\n");
    let codes: Vec<&str> = match Engine::new().compile_source("regime_let.strat", "regime_let", src, &examples_dir()) {
        Ok(s) => s.warnings.iter().map(|d| d.diag.code).collect(),
        Err(Failure::Program(d)) => d.iter().map(|d| d.diag.code).collect(),
        Err(other) => panic!("{other}"),
    };
    // Lets and regimes are lowered on demand, in dependency order (this used to panic).
    assert!(codes.is_empty(), "{codes:?}");
}
