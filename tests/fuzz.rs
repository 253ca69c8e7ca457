//! No input, however malformed, panics the compiler (issue #2, "done when").
//!
//! Every source below goes through `Engine::compile_source` (base folder `examples/`, so
//! `csv("data/spx_vix.csv")` resolves). The facade compiles on its own thread and turns a panic
//! there into a `strat::internal` diagnostic, so "no diagnostic is `strat::internal`" is the
//! no-panic assertion; a stack overflow would abort the whole test binary, which fails it too.
//! Besides, every diagnostic must point inside its source (a span past the end or inside a UTF-8
//! character would break the rendering), and rendering it through miette must not panic.
//!
//! Inputs: every prefix of each example and of each `tests/diagnostics/*.strat` file; seeded random
//! byte- and token-level mutations of those files; random token soups; pathological nesting and
//! length; huge and degenerate number literals, window lengths, fractions, schedules, date
//! windows and sweeps (the hand-written ones that compile must also run on both backends without
//! panicking). Everything is seeded (ChaCha8), so a failure reproduces: the report prints the
//! offending source (shortened). `STRAT_FUZZ_VERBOSE=1` lists what each hand-written case gives.
//!
//! The command line is fuzzed too (`cli_argument_combinations`): the real binary, with seeded
//! random combinations of subcommands, flags and values (good, malformed, huge, negative) on
//! small programs and data, a missing file and a folder; every run must exit 0, 1 or 2, never
//! abort or print a panic, say why on stderr when it fails, and finish within seconds.
//!
//! The coverage-guided fuzz targets (cargo-fuzz, `fuzz/`) are described in tests/README.md.

// `strat::Failure` is large (a data error names its file, line, column, code and help).
#![allow(clippy::result_large_err)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::path::PathBuf;
use strat::{Backend, Engine, Failure, SourceDiag, Strategy};

mod common;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn examples_dir() -> PathBuf {
    root().join("examples")
}

/// The seed sources: every example (`vix_guard.strat` first) and every golden-diagnostics file
/// (with its data paths rewritten to resolve from `examples/`).
fn seeds() -> Vec<(String, String)> {
    let strat_files = |dir: PathBuf| {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "strat")).collect();
        files.sort();
        files
    };
    // vix_guard.strat first: the mutation test draws on it most.
    let mut examples = strat_files(examples_dir());
    examples.sort_by_key(|p| !p.ends_with("vix_guard.strat"));
    assert!(examples[0].ends_with("vix_guard.strat"));
    let mut out: Vec<(String, String)> = vec![];
    for f in examples {
        out.push((f.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&f).unwrap()));
    }
    let files = strat_files(root().join("tests/diagnostics"));
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

/// The harness: compiles sources, records every problem (the first 20 in full) and counts.
struct Harness {
    engine: Engine,
    base: PathBuf,
    failures: Vec<String>,
    failing: usize,
    compiled: usize,
    rejected: usize,
    render_every: usize,
    count: usize,
    /// The codes of the last compilation's diagnostics (for the verbose listing).
    last_codes: Vec<&'static str>,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            engine: Engine::new(),
            base: examples_dir(),
            failures: vec![],
            failing: 0,
            compiled: 0,
            rejected: 0,
            render_every: 7,
            count: 0,
            last_codes: vec![],
        }
    }

    /// Compiles `src`, records its problems, returns the strategy if it compiled.
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
                self.failing += 1;
                self.failures.push(format!("{what}: compile_source failed with a non-program failure: {other}\n{}", shorten(src)));
                return None;
            }
        };
        let diags: &[SourceDiag] = match &strategy {
            Some(s) => s.warnings(),
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
        if !p.is_empty() {
            self.failing += 1;
        }
        if !p.is_empty() && self.failures.len() < 20 {
            self.failures.push(format!("{what}: {}\n--- source ---\n{}\n--------------", p.join("; "), shorten(src)));
        }
        strategy
    }

    fn finish(self, min_total: usize) {
        assert!(self.failing == 0, "{} failing input(s) (the first 20):\n{}", self.failing, self.failures.join("\n"));
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
    "strategy",
    "data",
    "param",
    "let",
    "regime",
    "hold",
    "weight",
    "cost",
    "annualize",
    "benchmark",
    "report",
    "when",
    "otherwise",
    "if",
    "then",
    "else",
    "and",
    "or",
    "not",
    "tiers",
    "true",
    "false",
    "csv",
    "universe",
    "in",
    "step",
    "..=",
    "where",
    "from",
    "to",
    "2017-11-09",
    "1990-01-01",
    "2026-13-40",
    "rebalance",
    "monthly",
    "weekly",
    "every",
    "sleeve",
    "ensemble",
    "by",
    "count",
    "sum",
    "mean",
    "rank",
    "zscore_cs",
    "top",
    "bottom",
    "px",
    "[btc, eth]",
    "\"data/crypto_close.csv\"",
    "\"data/etf_adj_close.csv\"",
    "+",
    "-",
    "*",
    "/",
    "%",
    "=",
    "==",
    "!=",
    ">=",
    "<=",
    ">",
    "<",
    "=>",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ".",
    ";",
    ":",
    "!",
    "&",
    "|",
    "^",
    "0",
    "1",
    "2.5",
    "60",
    "-1",
    "1e999",
    "1e-999",
    "1e",
    "0.0",
    "45%",
    "2bps",
    "0bps",
    "100%",
    "-10%",
    "99999999999999999999",
    "1.5e3",
    "007",
    "3.",
    ".5",
    "1_000",
    "0x10",
    "mkt",
    "mkt.spx",
    "mkt.vix",
    "spx",
    "vix",
    ".spx",
    ".vix",
    ".nosuch",
    "sma",
    "ema",
    "std",
    "zscore",
    "rolling_min",
    "rolling_max",
    "ret",
    "logret",
    "drawdown",
    "cumsum",
    "cumprod",
    "abs",
    "sign",
    "sqrt",
    "log",
    "exp",
    "min",
    "max",
    "clamp",
    "spike_z",
    "spike_window",
    "tier",
    "spike",
    "exposure",
    "x",
    "_",
    "__",
    "a1",
    "BULL",
    "BEAR",
    "state",
    "\"data/spx_vix.csv\"",
    "\"\"",
    "\"nosuch.csv\"",
    "\"/\"",
    "\"unterminated",
    "\"data/\"",
    "//",
    "// comment\n",
    "\n",
    "\t",
    " ",
    "\r\n",
    "é",
    "日本",
    "🦀",
    "\u{0}",
    "\u{feff}",
    "\u{202e}",
    "∑",
    "≥",
    "−",
    "\u{a0}",
    "\\",
    "'",
    "`",
    "#",
    "@",
    "$",
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
    add("if-chain 5k", format!("hold mkt.spx weight {}1", (0..5_000).map(|i| format!("if mkt.vix > {i} then {i} else ")).collect::<String>()));
    add("nested if in condition 2k", format!("hold mkt.spx weight {}1{}", "if (if ".repeat(2_000), " then true else false) then 1 else 0".repeat(2_000)));
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
    add(
        "tiers with 2k arms",
        format!("hold mkt.spx weight tiers(mkt.vix) {{ {} else => 1 }}", (0..2_000).map(|i| format!(">= {i} => {i}% ")).collect::<String>()),
    );
    add(
        "regime with 2k arms",
        format!(
            "regime r {{ {} Z otherwise }}\nhold mkt.spx weight if r == A0 then 0.5 else 1",
            (0..2_000).map(|i| format!("A{i} when mkt.vix > {i} ")).collect::<String>()
        ),
    );
    add("1k params", (0..1_000).map(|i| format!("param p{i} = {i}\n")).collect::<String>() + "hold mkt.spx weight p1");
    add("100 data sources", (0..100).map(|i| format!("data d{i} = csv(\"data/spx_vix.csv\")\n")).collect::<String>() + "hold d99.spx weight 1");
    // Huge and degenerate numbers.
    for lit in [
        "1e999",
        "-1e999",
        "1e-999",
        "99999999999999999999%",
        "99999999999999999999bps",
        "1e308",
        "1e309%",
        "0e0",
        "1e99999999999999999999",
        "00000000000000000000001",
        "4.9e-324",
    ] {
        add(&format!("literal {lit}"), format!("param z = {lit}\nlet y = {lit}\nhold mkt.spx weight if mkt.vix > z then y else 1"));
    }
    add("cost 1e999bps", "hold mkt.spx weight 1\ncost 1e999bps".into());
    add("cost 99999999999999999999bps", "hold mkt.spx weight 1\ncost 99999999999999999999bps".into());
    add("annualize 0", "hold mkt.spx weight 1\nannualize 0".into());
    add("annualize 1e999", "hold mkt.spx weight 1\nannualize 1e999".into());
    add("annualize 1e-300", "hold mkt.spx weight 1\nannualize 1e-300".into());
    // Window lengths and lags: huge, zero, negative, fractional, non-finite.
    for w in [
        "1e12",
        "1e19",
        "1e20",
        "1e308",
        "1e999",
        "18446744073709551616",
        "4294967296",
        "9007199254740993",
        "0",
        "0.0",
        "-1",
        "-0",
        "2.5",
        "0.5",
        "1e-999",
        "100%",
        "2bps",
    ] {
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
    add(
        "regime compared to another's arm",
        "regime r { A when mkt.vix > 1 B otherwise }\nregime s { C when mkt.vix > 2 D otherwise }\nhold mkt.spx weight if r == C then 1 else 0".into(),
    );
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
    // Panels, sweeps, schedules, date windows, sleeves and ensembles at their limits.
    let uni = "universe px = csv(\"data/etf_adj_close.csv\", [spy, tlt, gld])\n";
    for (name, body) in [
        ("top 0%", "hold px weight if top(px, 0%) then 1 else 0"),
        ("top 100%", "hold px weight if top(px, 100%) then 1 else 0"),
        ("top 1e999%", "hold px weight if top(px, 1e999%) then 1 else 0"),
        ("top 1e300", "hold px weight if top(px, 1e300) then 1 else 0"),
        ("top -50%", "hold px weight if top(px, -50%) then 1 else 0"),
        ("bottom of a param fraction", "param f = 30%\nhold px weight if bottom(px, f) then 1 else 0"),
        ("top of a series fraction", "hold px weight if top(px, mkt.vix) then 1 else 0"),
        ("top of a scalar series", "hold px weight if top(mkt.spx, 50%) then 1 else 0"),
        ("count of a scalar", "hold px weight 1 / count(mkt.spx)"),
        ("rank of a bool panel", "hold px weight rank(px > 100)"),
        ("divide by count", "hold px weight 1 / count(px)"),
        ("empty column list", "universe q = csv(\"data/etf_adj_close.csv\", [])\nhold q weight 1"),
        ("unknown column in list", "universe q = csv(\"data/etf_adj_close.csv\", [spy, nosuch])\nhold q weight 1"),
        ("column listed twice", "universe q = csv(\"data/etf_adj_close.csv\", [spy, spy])\nhold q weight 1"),
        ("date column in list", "universe q = csv(\"data/etf_adj_close.csv\", [date])\nhold q weight 1"),
        ("whole crypto universe", "universe q = csv(\"data/crypto_close.csv\")\nhold q weight 1 / max(count(q), 1)"),
        ("panel plus scalar weight", "hold px weight mkt.vix / 100"),
        ("hold a panel expression", "hold px * 2 weight 1"),
        ("panel lag", "hold px weight px[5] / px / 3"),
        ("panel windows", "hold px weight (sma(px, 20) + ema(px, 5) + std(px, 3) + zscore(px, 10) + rolling_min(px, 4) + rolling_max(px, 4) + drawdown(px) + cumsum(ret(px)) + cumprod(1 + ret(px)) + logret(px)) / 1e6"),
        ("rebalance every 0", "hold px weight 1 / 3 rebalance every 0"),
        ("rebalance every 1e12", "hold px weight 1 / 3 rebalance every 1e12"),
        ("rebalance every 1e999", "hold px weight 1 / 3 rebalance every 1e999"),
        ("rebalance every 2.5", "hold px weight 1 / 3 rebalance every 2.5"),
        ("rebalance every 9999", "hold px weight 1 / 3 rebalance every 9999"),
        ("rebalance monthly scalar", "hold mkt.spx weight 1 rebalance monthly"),
        ("from after the data", "from 2100-01-01\nhold mkt.spx weight 1"),
        ("to before the data", "to 1900-01-01\nhold mkt.spx weight 1"),
        ("from after to", "from 2020-01-01\nto 2010-01-01\nhold mkt.spx weight 1"),
        ("one-day window", "from 2020-01-02\nto 2020-01-02\nhold mkt.spx weight 1"),
        ("two-day window", "from 2020-01-02\nto 2020-01-03\nhold mkt.spx weight 1"),
        ("impossible date", "from 2020-02-30\nhold mkt.spx weight 1"),
        ("date 0000-00-00", "from 0000-00-00\nhold mkt.spx weight 1"),
        ("date 9999-12-31", "to 9999-12-31\nhold mkt.spx weight 1"),
        ("from twice", "from 2000-01-01\nfrom 2001-01-01\nhold mkt.spx weight 1"),
        ("sweep step 0", "param a in 0 ..= 1 step 0\nhold mkt.spx weight a"),
        ("sweep negative step", "param a in 0 ..= 1 step -0.1\nhold mkt.spx weight a"),
        ("sweep reversed", "param a in 1 ..= 0 step 0.1\nhold mkt.spx weight a"),
        ("sweep of a million", "param a in 0 ..= 1000000 step 1\nhold mkt.spx weight a / 1e6"),
        ("sweep of 1e12", "param a in 0 ..= 1 step 1e-12\nhold mkt.spx weight a"),
        ("sweep 1e999", "param a in 0 ..= 1e999 step 1\nhold mkt.spx weight a"),
        ("sweep product 1e12", "param a in 0 ..= 999999 step 1\nparam b in 0 ..= 999999 step 1\nhold mkt.spx weight (a + b) / 2e6"),
        ("sweep empty list", "param a in []\nhold mkt.spx weight 1"),
        ("sweep duplicate values", "param a in [1, 1, 1]\nhold mkt.spx weight a"),
        ("sweep mixed choices", "param a in [1, x, 2%]\nhold mkt.spx weight 1"),
        ("choice arithmetic", "param m in [a, b]\nhold mkt.spx weight m + 1"),
        ("choice compared to an unknown", "param m in [a, b]\nhold mkt.spx weight if m == c then 1 else 0"),
        ("when on itself", "param a in [1, 2] when a == 1\nhold mkt.spx weight a"),
        ("when on a later param", "param a in [1, 2] when b == 1\nparam b in [1, 2]\nhold mkt.spx weight a"),
        ("when on a series", "param a in [1, 2] when mkt.vix > 20\nhold mkt.spx weight a"),
        ("where always false", "param a in [1, 2]\nwhere a > 5\nhold mkt.spx weight a"),
        ("where on a series", "where mkt.vix > 20\nhold mkt.spx weight 1"),
        ("swept window", "param n in [0, 5, 2.5, 1e12]\nhold mkt.spx weight 1 + 0 * sma(mkt.spx, n)"),
        ("sleeve without ensemble", "sleeve s { hold px weight 1 / 3 rebalance monthly }\nhold px weight 1 / 3"),
        ("ensemble without sleeves", "regime r { A when mkt.vix > 20 B otherwise }\nensemble by r { A => 1 B => 0 }"),
        ("ensemble missing an arm", "regime r { A when mkt.vix > 20 B otherwise }\nsleeve s { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => s }"),
        ("ensemble unknown arm", "regime r { A when mkt.vix > 20 B otherwise }\nsleeve s { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => s B => s C => s }"),
        ("ensemble by a let", "let r = 1\nsleeve s { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => s }"),
        ("ensemble nonlinear", "regime r { A when mkt.vix > 20 B otherwise }\nsleeve s { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => s * s B => 1 / s }"),
        ("ensemble with a hold", "regime r { A when mkt.vix > 20 B otherwise }\nsleeve s { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => s B => 0 }\nhold px weight 1"),
        ("sleeve used as a value", "sleeve s { hold px weight 1 / 3 rebalance monthly }\nhold px weight s"),
        ("two ensembles", "regime r { A when mkt.vix > 20 B otherwise }\nsleeve s { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => s B => s }\nensemble by r { A => s B => s }"),
        ("sleeve named like a regime arm", "regime r { A when mkt.vix > 20 B otherwise }\nsleeve A { hold px weight 1 / 3 rebalance monthly }\nensemble by r { A => A B => A }"),
        ("infinite weight", "hold mkt.spx weight 1 / 0"),
        ("infinite weight later", "hold mkt.spx weight 1 / (mkt.vix - mkt.vix)"),
    ] {
        add(name, format!("{uni}{body}"));
    }
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
    let verbose = std::env::var_os("STRAT_FUZZ_VERBOSE").is_some();
    let mut run_failures = vec![];
    for (name, src) in &cases {
        let started = std::time::Instant::now();
        let compiled = h.compile(name, src);
        let took = started.elapsed();
        if verbose && took.as_secs_f64() > 0.5 {
            eprintln!("slow: compiling `{name}` took {took:?}");
        }
        if verbose {
            eprintln!("{name}: {} {:?}", if compiled.is_some() { "compiled" } else { "rejected" }, h.last_codes);
        }
        let Some(strategy) = compiled else { continue };
        // A program that compiles must run (or fail with an error) on its data, on both backends.
        let frame = match strategy.load_data() {
            Ok(f) => f,
            Err(e) => {
                if verbose {
                    eprintln!("    load: {e}");
                }
                continue;
            }
        };
        let frame = &frame;
        for backend in [Backend::Jit, Backend::Reference] {
            let params = strategy.params();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| strategy.run_with(frame, &params, backend).map(|_| ())));
            match r {
                Err(_) => run_failures.push(format!("{name}: run on {backend:?} panicked")),
                Ok(r) if verbose => {
                    eprintln!("    run {backend:?}: {}", r.map(|_| "ok".to_string()).unwrap_or_else(|e| e.to_string()))
                }
                Ok(_) => {}
            }
        }
        if verbose && started.elapsed().as_secs_f64() > 0.5 {
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
/// `FEAR when hi`) compiles and decides like the same condition written inline. (This once
/// panicked the compiler: regimes were lowered before the `let`s they use.)
#[test]
fn regime_condition_may_use_a_let() {
    let compile = |body: &str| {
        let src = format!("{HEAD}{body}");
        match Engine::new().compile_source("regime_let.strat", "regime_let", src, &examples_dir()) {
            Ok(s) => {
                assert!(s.warnings().iter().all(|d| d.diag.code != "strat::internal"));
                s
            }
            Err(Failure::Program(d)) => panic!("{body}: {:?}", d.iter().map(|d| d.diag.code).collect::<Vec<_>>()),
            Err(other) => panic!("{other}"),
        }
    };
    let with_let = compile("let hi = mkt.vix > 30\nlet lo = sma(mkt.vix, 10) < 15\nregime r {\n  FEAR when hi\n  CALM when lo and not hi\n  MID otherwise\n}\nhold mkt.spx weight if r == FEAR then 0.5 else if r == CALM then 1.2 else 1\n");
    let inline = compile("regime r {\n  FEAR when mkt.vix > 30\n  CALM when sma(mkt.vix, 10) < 15 and not mkt.vix > 30\n  MID otherwise\n}\nhold mkt.spx weight if r == FEAR then 0.5 else if r == CALM then 1.2 else 1\n");
    let frame = inline.load_data().unwrap();
    for backend in [Backend::Jit, Backend::Reference] {
        let a = with_let.run_with(&frame, &with_let.params(), backend).unwrap();
        let b = inline.run_with(&frame, &inline.params(), backend).unwrap();
        assert!(a.target_weight.iter().zip(&b.target_weight).all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan())));
        assert_eq!(a.backtest.returns, b.backtest.returns);
    }
}

/// `top` / `bottom` take a fraction of the assets in (0, 1]; whatever form the fraction has (a
/// literal, a negated literal, arithmetic, a param, a `--set` value), one outside that range is an
/// error, at compile time or when the params are bound (as for window lengths).
#[test]
fn a_fraction_outside_0_1_is_rejected_however_it_is_written() {
    let uni = "universe px = csv(\"data/etf_adj_close.csv\", [spy, tlt, gld])\nparam f = 50%\n";
    let compile = |fraction: &str| {
        let src = format!("{uni}hold px weight if top(ret(px, 20), {fraction}) then 1 / 3 else 0\nreport k = f\n");
        Engine::new().compile_source("fraction.strat", "fraction", src, &examples_dir())
    };
    let codes = |r: &Result<Strategy, Failure>| -> Vec<&'static str> {
        match r {
            Ok(s) => s.warnings().iter().map(|d| d.diag.code).collect(),
            Err(Failure::Program(d)) => d.iter().map(|d| d.diag.code).collect(),
            Err(other) => panic!("{other}"),
        }
    };
    // A bare literal out of range is rejected.
    for lit in ["0%", "0", "2", "150%", "1e300"] {
        let r = compile(lit);
        assert!(r.is_err() && codes(&r).contains(&"strat::value::bad_fraction"), "top(x, {lit}): {:?}", codes(&r));
    }
    // In range: fine.
    for ok in ["50%", "1", "100%", "f", "f / 2"] {
        let r = compile(ok);
        assert!(r.is_ok(), "top(x, {ok}): {:?}", codes(&r));
    }
    // A constant expression out of range is rejected when checked...
    for expr in ["-50%", "0 - 50%"] {
        let r = compile(expr);
        assert!(r.is_err() && codes(&r).contains(&"strat::value::bad_fraction"), "top(x, {expr}): {:?}", codes(&r));
    }
    // ... and a param expression when the params are bound, like a window length.
    for expr in ["f - 1", "f * 4"] {
        let s = compile(expr).unwrap();
        let frame = s.load_data().unwrap();
        match s.run_with(&frame, &s.params(), Backend::Jit) {
            Err(Failure::Run(d)) => assert_eq!(d.diag.code, "strat::value::bad_fraction", "top(x, {expr})"),
            other => panic!("top(x, {expr}) with f = 50%: {:?}", other.map(|_| ())),
        }
    }
    let s = compile("f").unwrap();
    let frame = s.load_data().unwrap();
    for v in ["-0.5", "0", "7"] {
        let mut p = s.params();
        p.set("f", v).unwrap();
        match s.run_with(&frame, &p, Backend::Jit) {
            Err(Failure::Run(d)) => assert_eq!(d.diag.code, "strat::value::bad_fraction", "f = {v}"),
            other => panic!("f = {v}: {:?}", other.map(|_| ())),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI's argument combinations (issue #9, "Fuzzing"): the real binary, driven with seeded
// random combinations of subcommands, flags and values on small programs and data.
// ---------------------------------------------------------------------------------------------

/// A small `date,spx,vix` CSV: `rows` business days from Monday 2016-01-04, seeded random walks.
fn small_market_csv(rows: usize) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let (mut spx, mut vix) = (2000.0f64, 15.0f64);
    let mut out = String::from("date,spx,vix\n");
    for date in common::business_days((2016, 1, 4), rows) {
        spx *= 1.0 + rng.random_range(-0.02..0.021);
        vix = (vix * (1.0 + rng.random_range(-0.1..0.1))).clamp(9.0, 80.0);
        out += &format!("{date},{spx:.2},{vix:.2}\n");
    }
    out
}

/// The outcome of one CLI run.
struct CliRun {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    took: std::time::Duration,
}

/// Runs `strat args...` in `dir` (NO_COLOR, no backtrace), killing it after `limit`.
fn run_cli(dir: &std::path::Path, args: &[String], limit: std::time::Duration) -> CliRun {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_strat"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start strat");
    // Drain both pipes on threads so a chatty run cannot block on a full pipe.
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = so.read_to_end(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = se.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for strat") {
            break Some(st);
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    let took = started.elapsed();
    let stdout = String::from_utf8_lossy(&t_out.join().unwrap()).into_owned();
    let stderr = String::from_utf8_lossy(&t_err.join().unwrap()).into_owned();
    CliRun { code: status.and_then(|s| s.code()), stdout, stderr, took }
}

/// The scratch folder of the CLI cases: small data, small programs, a folder named like a file.
fn cli_fixture() -> common::TempDir {
    let dir = common::TempDir::new("fuzz-cli");
    let w = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
    w("mkt.csv", &small_market_csv(1100));
    w(
        "small.strat",
        "strategy small\ndata mkt = csv(\"mkt.csv\")\nparam n = 20\nparam z = 1.5\nlet s = zscore(mkt.vix, n) > z\nhold mkt.spx weight if s then 50% else 100%\ncost 2bps\nbenchmark mkt.spx\nreport calm = not s\n",
    );
    w(
        "grid.strat",
        "strategy grid\ndata mkt = csv(\"mkt.csv\")\nparam n in [5, 10, 20]\nparam z in [1, 2]\nlet s = zscore(mkt.vix, n) > z\nhold mkt.spx weight if s then 50% else 100%\nbenchmark mkt.spx\n",
    );
    w("bad.strat", "data mkt = csv(\"mkt.csv\")\nhold mkt.spx weight zscor(mkt.vix, 5)\n");
    w("nodata.strat", "data mkt = csv(\"nosuch.csv\")\nhold mkt.spx weight 1\n");
    w("empty.strat", "");
    std::fs::create_dir_all(dir.join("folder.strat")).unwrap();
    dir
}

/// Checks one CLI outcome against the rules every invocation obeys; returns what is wrong.
fn cli_problems(args: &[String], r: &CliRun, limit: std::time::Duration) -> Vec<String> {
    let mut p = vec![];
    match r.code {
        None if r.took >= limit => p.push(format!("did not finish within {limit:?}")),
        None => p.push("killed by a signal (abort or crash)".into()),
        Some(c) if !(0..=2).contains(&c) => p.push(format!("exit code {c} (allowed: 0, 1, 2)")),
        Some(c) if c != 0 && r.stderr.trim().is_empty() => p.push(format!("exit {c} with nothing on stderr")),
        Some(_) => {}
    }
    for needle in ["panicked at", "RUST_BACKTRACE", "memory allocation of"] {
        if r.stderr.contains(needle) || r.stdout.contains(needle) {
            p.push(format!("output contains `{needle}`"));
        }
    }
    p.into_iter().map(|m| format!("strat {}: {m}\n  stderr: {}", args.join(" "), r.stderr.lines().take(6).collect::<Vec<_>>().join("\n          "))).collect()
}

/// `--set` values: good, malformed, huge, negative, non-finite, unknown names, domain edges.
const SET_VALUES: &[&str] = &[
    "n=10",
    "n=0",
    "n=-5",
    "n=2.5",
    "n=1e308",
    "n=99999999999999999999",
    "n=NaN",
    "z=-1e300",
    "z=inf",
    "z=abc",
    "z=50%",
    "z=1e-320",
    "nosuch=1",
    "n",
    "=1",
    "n=",
    "n=10=11",
    "z=2bps",
    "spike_z=3",
    "spike_window=0",
    "spike_window=-1",
    "hedge_strength=-1e300",
];

/// Flags a subcommand knows (with a value drawn at random where it takes one).
fn random_flag(rng: &mut ChaCha8Rng, sub: &str, out_dir: &std::path::Path) -> Vec<String> {
    let pick = |rng: &mut ChaCha8Rng, xs: &[&str]| xs[rng.random_range(0..xs.len())].to_string();
    let out_name = |rng: &mut ChaCha8Rng, exts: &[&str]| {
        // Shared names, so that later runs meet an existing file (refused without --force).
        out_dir.join(format!("out{}.{}", rng.random_range(0..3), pick(rng, exts))).to_string_lossy().into_owned()
    };
    let metrics = ["sharpe", "cagr", "max_drawdown", "turnover", "nosuch", "", "SHARPE", "avg_exposure"];
    let flag = |f: &str| vec![f.to_string()];
    let with = |f: &str, v: String| vec![f.to_string(), v];
    // Flags any subcommand might get wrong: unknown, misspelt, another command's, global limits.
    if rng.random_bool(0.12) {
        return match rng.random_range(0..8) {
            0 => flag("--nosuch"),
            1 => flag("--jsn"),
            2 => flag("-x"),
            3 => with("--top", "3".into()),
            4 => with("--max-memory", pick(rng, &["1KiB", "0", "8GiB", "-1", "lots", "99999999999999999999"])),
            5 => with("--max-source-bytes", pick(rng, &["10", "1MiB", "x"])),
            6 => with("--max-depth", pick(rng, &["0", "3", "100000", "-2"])),
            _ => with("--max-data-bytes", pick(rng, &["100", "1GiB", "1.5KiB"])),
        };
    }
    match sub {
        "run" => match rng.random_range(0..7) {
            0 => flag("--json"),
            1 | 2 => with("--set", pick(rng, SET_VALUES)),
            3 => with("--out", out_name(rng, &["csv", "parquet"])),
            // The same shared names as --out, so both outputs sometimes name one file.
            4 => with("--weights-out", out_name(rng, &["csv", "parquet"])),
            5 => flag("--force"),
            _ => flag("--reference"),
        },
        "check" => pick_flag(rng, &["--plan", "--clif", "--plan", "--clif", "--json"]),
        "sweep" => match rng.random_range(0..8) {
            0 => flag("--json"),
            1 => with("--top", pick(rng, &["0", "1", "3", "-1", "99999999999999999999", "x"])),
            2 => with("--by", pick(rng, &metrics)),
            3 => with("--heatmap", pick(rng, &metrics)),
            4 => with("--out", out_name(rng, &["csv", "parquet", "json", "txt"])),
            5 => flag("--force"),
            6 => with("--heatmap-svg", out_dir.join("hm").to_string_lossy().into_owned()),
            _ => flag("--quiet"),
        },
        "walk-forward" => match rng.random_range(0..6) {
            0 => with("--train", pick(rng, &["0y", "1y", "2y", "60m", "-1y", "1000y", "y", "1.5y"])),
            1 => with("--test", pick(rng, &["0y", "1y", "x"])),
            2 => flag("--anchored"),
            3 => with("--by", pick(rng, &metrics)),
            4 => flag("--json"),
            _ => flag("--reference"),
        },
        _ => match rng.random_range(0..3) {
            // bench (the caller always passes one --iterations; a second is a usage error)
            0 | 1 => flag("--json"),
            _ => with("--set", pick(rng, SET_VALUES)),
        },
    }
}

fn pick_flag(rng: &mut ChaCha8Rng, xs: &[&str]) -> Vec<String> {
    vec![xs[rng.random_range(0..xs.len())].to_string()]
}

/// Seeded random command lines, plus the ones the issue names, on small programs: every run
/// exits 0, 1 or 2 (never a signal or a panic), says why on stderr when it fails, and finishes
/// within a few seconds. A few outcomes are pinned exactly (usage errors are 2, I/O errors 1).
#[test]
fn cli_argument_combinations() {
    let dir = cli_fixture();
    let outs = common::TempDir::new("fuzz-cli-out");
    let limit = std::time::Duration::from_secs(15);
    let s = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<String>>();
    let vix = examples_dir().join("vix_guard.strat").to_string_lossy().into_owned();
    let out_csv = outs.join("fixed.csv").to_string_lossy().into_owned();
    // (args, the exit code it must give, if pinned)
    let mut cases: Vec<(Vec<String>, Option<i32>)> = vec![
        (s(&["check", "small.strat"]), Some(0)),
        (s(&["check", "bad.strat"]), Some(1)),
        (s(&["check", "nodata.strat"]), Some(1)),
        (s(&["check", "missing.strat"]), Some(1)),
        (s(&["run", "folder.strat"]), Some(1)),
        (s(&["check", "empty.strat"]), Some(1)),
        (s(&["run", "small.strat", "--nosuch"]), Some(2)),
        (s(&["frobnicate", "small.strat"]), Some(2)),
        (s(&[]), Some(2)),
        (s(&["run"]), Some(2)),
        (s(&["run", "small.strat", "--json", "--set", "z=-1e300"]), None),
        (s(&["run", "small.strat", "--set", "n=99999999999999999999"]), None),
        (s(&["run", "small.strat", "--set", "n=-5"]), None),
        (s(&["run", "small.strat", "--set", "z=abc"]), None),
        (s(&["run", "small.strat", "--set", "nosuch=1"]), None),
        (vec!["run".into(), "small.strat".into(), "--out".into(), out_csv.clone()], Some(0)),
        (vec!["run".into(), "small.strat".into(), "--out".into(), out_csv.clone()], Some(1)),
        (vec!["run".into(), "small.strat".into(), "--out".into(), out_csv.clone(), "--force".into()], Some(0)),
        (vec!["run".into(), "small.strat".into(), "--out".into(), outs.to_string_lossy().into_owned()], None),
        // Two outputs naming one file (issue #9, bug 1; pinned by the CLI's own tests).
        (vec!["run".into(), "small.strat".into(), "--out".into(), out_csv.clone(), "--weights-out".into(), out_csv.clone(), "--force".into()], None),
        (s(&["sweep", "grid.strat", "--top", "0", "--quiet"]), None),
        (s(&["sweep", "grid.strat", "--by", "nosuch", "--quiet"]), None),
        (s(&["sweep", "grid.strat", "--heatmap", "sharpe", "--quiet"]), Some(0)),
        (s(&["sweep", "grid.strat", "--heatmap", "nosuch", "--quiet"]), None),
        (s(&["walk-forward", "grid.strat", "--train", "0y"]), None),
        (s(&["walk-forward", "grid.strat", "--train", "1y", "--test", "1y", "--json"]), None),
        (vec!["run".into(), vix.clone(), "--json".into()], Some(0)),
        (vec!["check".into(), vix, "--plan".into()], Some(0)),
        (s(&["bench", "small.strat", "--iterations", "1", "--json"]), Some(0)),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(0x0c11_f022);
    // The good programs twice as often: most runs should get past loading.
    let files = ["small.strat", "small.strat", "grid.strat", "grid.strat", "bad.strat", "nodata.strat", "empty.strat", "missing.strat", "folder.strat"];
    let subs = ["run", "check", "sweep", "walk-forward", "bench"];
    for _ in 0..32 {
        let sub = subs[rng.random_range(0..subs.len())];
        let file = files[rng.random_range(0..files.len())];
        let mut args = vec![sub.to_string(), file.to_string()];
        if sub == "bench" {
            let n = ["1", "1", "2", "0", "-1"][rng.random_range(0..5)];
            args.extend(["--iterations".to_string(), n.to_string()]);
        }
        if sub == "sweep" && rng.random_bool(0.7) {
            args.push("--quiet".into());
        }
        for _ in 0..rng.random_range(0..4) {
            let f = random_flag(&mut rng, sub, outs.path());
            // A repeated switch is a usage error; draw those rarely, not by accident.
            if f.len() == 1 && args.contains(&f[0]) && rng.random_bool(0.8) {
                continue;
            }
            // Flags before the file half the time (clap accepts both orders).
            let at = if rng.random_bool(0.5) { args.len() } else { 1 };
            args.splice(at..at, f);
        }
        cases.push((args, None));
    }
    let verbose = std::env::var_os("STRAT_FUZZ_VERBOSE").is_some();
    let mut failures = vec![];
    for (args, expect) in &cases {
        let r = run_cli(dir.path(), args, limit);
        if verbose {
            eprintln!("{:?} {:>6.0?} strat {}", r.code, r.took, args.join(" "));
        }
        let mut p = cli_problems(args, &r, limit);
        if let (Some(want), Some(got)) = (expect, r.code) {
            if *want != got {
                p.push(format!(
                    "strat {}: exit {got}, expected {want}\n  stderr: {}",
                    args.join(" "),
                    r.stderr.lines().take(6).collect::<Vec<_>>().join("\n          ")
                ));
            }
        }
        failures.extend(p);
    }
    assert!(failures.is_empty(), "{} of {} command lines misbehaved:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// The checks of `cli_argument_combinations` can fail: a killed process, a panic message, a
/// silent failure and an exit code outside {0, 1, 2} are each reported.
#[test]
fn cli_checks_catch_bad_outcomes() {
    let limit = std::time::Duration::from_secs(5);
    let args = vec!["run".to_string()];
    let run =
        |code: Option<i32>, stderr: &str, secs: u64| CliRun { code, stdout: String::new(), stderr: stderr.into(), took: std::time::Duration::from_secs(secs) };
    assert!(cli_problems(&args, &run(Some(0), "", 0), limit).is_empty());
    assert!(cli_problems(&args, &run(Some(1), "error: x", 0), limit).is_empty());
    assert!(!cli_problems(&args, &run(None, "", 0), limit).is_empty(), "a signal");
    assert!(!cli_problems(&args, &run(None, "", 6), limit).is_empty(), "a hang");
    assert!(!cli_problems(&args, &run(Some(101), "thread 'main' panicked at src/x.rs", 0), limit).is_empty(), "a panic");
    assert!(!cli_problems(&args, &run(Some(1), "thread 'main' panicked at src/x.rs", 0), limit).is_empty(), "a panic message");
    assert!(!cli_problems(&args, &run(Some(1), "", 0), limit).is_empty(), "a silent failure");
    assert!(!cli_problems(&args, &run(Some(134), "memory allocation of 16 bytes failed", 0), limit).is_empty(), "an abort");
}

/// Inputs the cargo-fuzz targets (`fuzz/`) found crashing, minimised, kept here so CI replays
/// them on every `cargo test`.
///
/// - `check` and `lower`, 2026-12-04: a column of a data source used above the source's `data`
///   statement (`let c = mkt.vix > 1` then `data mkt = ...`) indexed the checker's table of
///   sources before the source was in it (index out of bounds in `Checker::field`), so the
///   compiler crashed instead of saying the name is used before it is declared.
/// - `jit_vs_reference`, 2026-12-04: see `equal_branches_over_a_panel_condition_stay_a_panel`.
#[test]
fn fuzz_regressions() {
    let engine = Engine::new();
    let spx = "data mkt = csv(\"data/spx_vix.csv\")\n";
    let etf = "data etf = csv(\"data/etf_adj_close.csv\")\n";
    for (what, src, line) in [
        ("column before its data statement", format!("let c = mkt.vix > 1\n{spx}hold mkt.spx weight 1\n"), 1),
        ("column before its data statement, another source above", format!("{etf}let c = mkt.vix > 1\n{spx}hold mkt.spx weight 1\n"), 2),
        ("hold on a later source", format!("hold mkt.spx weight 1\n{spx}"), 1),
        ("regime on a later source", format!("regime r {{\n  HI when mkt.vix > 30\n  LO otherwise\n}}\n{spx}hold mkt.spx weight 1\n"), 2),
        ("report on a later source", format!("{etf}hold etf.spy weight 1\nreport v = mkt.vix\n{spx}"), 3),
    ] {
        match engine.compile_source("regression.strat", "regression", src.clone(), &examples_dir()) {
            Ok(_) => panic!("{what}: compiled\n{src}"),
            Err(Failure::Program(d)) => {
                assert!(problems(&src, &d).is_empty(), "{what}: {:?}\n{src}", problems(&src, &d));
                let first = d.iter().find(|d| d.diag.is_error()).unwrap_or_else(|| panic!("{what}: no error\n{src}"));
                let at = first.diag.labels.first().map(|l| src[..l.span.start as usize].matches('\n').count() + 1);
                assert_eq!(at, Some(line), "{what}: first error {} on line {at:?}\n{src}", first.diag.code);
            }
            Err(other) => panic!("{what}: {other}"),
        }
    }
}

/// Found by the `jit_vs_reference` fuzz target: `if c then x else x` was folded to `x` even when
/// the condition is a panel and `x` a scalar, so `mean(if px > 0 then 1 else 1)` handed a scalar
/// to the cross-sectional mean, which panicked (an assertion in strat-stdlib) on both backends.
/// The fold now keeps the select when the condition is wider than the branch.
#[test]
fn equal_branches_over_a_panel_condition_stay_a_panel() {
    let uni = "universe px = csv(\"data/etf_adj_close.csv\", [spy, tlt, gld])\nparam k = 2\n";
    for report in
        ["mean(if px > 0 then 1 else 1)", "count(if ret(px) > 0 then k else k)", "sum(if px > 0 then 1 else 1)", "mean(rank(if px > 0 then 1 else 1))"]
    {
        let src = format!("{uni}hold px weight 1 / 3\nreport r = {report}\n");
        let s = match Engine::new().compile_source("select.strat", "select", src.clone(), &examples_dir()) {
            Ok(s) => s,
            Err(e) => panic!("{report}: {e}"),
        };
        let frame = s.load_data().unwrap();
        let mut outs = vec![];
        for backend in [Backend::Jit, Backend::Reference] {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.run_with(&frame, &s.params(), backend).map(|r| format!("{:?}", r.reports))));
            match r {
                Ok(Ok(v)) => outs.push(v),
                Ok(Err(e)) => panic!("{report} on {backend:?}: {e}"),
                Err(_) => panic!("{report} on {backend:?}: panicked"),
            }
        }
        assert_eq!(outs[0], outs[1], "{report}: the backends disagree");
    }
}
