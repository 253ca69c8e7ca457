//! A seeded generator of well-typed-by-construction (mostly) `.strat` programs and of data to run
//! them on, shared by the differential test (`runtime/tests/differential.rs`) and the cargo-fuzz
//! targets (`fuzz/src/lib.rs` includes this file verbatim).

#![allow(dead_code)]

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The generator's random source.
pub type Gen = ChaCha8Rng;

/// A generator seeded with `seed`.
pub fn gen(seed: u64) -> Gen {
    ChaCha8Rng::seed_from_u64(seed)
}

const COLS: &[&str] = &["d.a", "d.b", "d.c"];
const CONSTS: &[&str] = &["0", "1", "2", "2.5", "0.1", "45%", "2bps", "100", "3", "0.5", "1e-3", "7"];

/// An expression and whether it is a panel (over universe `u`).
type E = (String, bool);

/// Generates programs. In panel mode the program also declares `universe u` (assets a, b, c)
/// and expressions mix series and panels, with cross-sectional functions.
pub struct ProgramGen<'a> {
    rng: &'a mut Gen,
    lets: Vec<(String, bool, bool)>, // (name, is_bool, is_panel)
    regime_arms: Vec<&'static str>,
    panels: bool,
}

impl<'a> ProgramGen<'a> {
    /// A generator drawing from `rng`.
    pub fn new(rng: &'a mut Gen) -> ProgramGen<'a> {
        ProgramGen { rng, lets: vec![], regime_arms: vec![], panels: false }
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }

    fn window(&mut self) -> String {
        match self.rng.random_range(0..4) {
            0 => "p0".into(),
            1 => "p0 + 1".into(),
            _ => format!("{}", self.rng.random_range(2..8)),
        }
    }

    fn lag(&mut self) -> String {
        match self.rng.random_range(0..3) {
            0 => "p0".into(),
            _ => format!("{}", self.rng.random_range(0..5)),
        }
    }

    /// A price column or, in panel mode sometimes, the universe.
    fn price(&mut self) -> E {
        if self.panels && self.rng.random_bool(0.4) {
            ("u".into(), true)
        } else {
            (self.pick(COLS).to_string(), false)
        }
    }

    /// A numeric series or panel expression (always reads data).
    fn series(&mut self, depth: u32) -> E {
        if depth == 0 {
            return self.price();
        }
        match self.rng.random_range(0..10) {
            0 | 1 => self.price(),
            2 => {
                let (p, pp) = self.price();
                let (n, np) = self.num(depth - 1);
                (format!("({p} + {n})"), pp || np)
            }
            3 => {
                let (n, np) = self.num(depth - 1);
                let (p, pp) = self.price();
                (format!("({n} * {p})"), pp || np)
            }
            4 => {
                let f = self.pick(&["sma", "ema", "std", "zscore", "rolling_min", "rolling_max"]);
                let (x, xp) = self.series(depth - 1);
                (format!("{f}({x}, {})", self.window()), xp)
            }
            5 => {
                let f = self.pick(&["ret", "logret"]);
                let k = if self.rng.random_bool(0.5) { String::new() } else { format!(", {}", self.window()) };
                let (p, pp) = self.price();
                (format!("{f}({p}{k})"), pp)
            }
            6 => {
                let (p, pp) = self.price();
                (format!("{p}[{}]", self.lag()), pp)
            }
            7 => {
                let f = self.pick(&["drawdown", "cumsum", "cumprod"]);
                let (x, xp) = self.series(depth - 1);
                (format!("{f}({x})"), xp)
            }
            8 if self.panels => self.cross(depth - 1),
            _ => {
                let (x, xp) = self.series(depth - 1);
                (format!("(-{x})"), xp)
            }
        }
    }

    /// A cross-sectional function of a panel.
    fn cross(&mut self, depth: u32) -> E {
        let (x, xp) = self.series(depth);
        let x = if xp { x } else { "u".to_string() };
        match self.rng.random_range(0..6) {
            0 => (format!("count({x})"), false),
            1 => (format!("mean({x})"), false),
            2 => (format!("rank({x})"), true),
            3 => (format!("zscore_cs({x})"), true),
            4 => (format!("(if top({x}, {}) then 1 else 0)", self.pick(&["20%", "0.5", "34%", "1"])), true),
            _ => (format!("(if bottom({x}, {}) then 1 else 0)", self.pick(&["20%", "0.5", "34%", "1"])), true),
        }
    }

    /// A numeric expression (scalar, series or panel).
    pub fn num(&mut self, depth: u32) -> E {
        let num_lets: Vec<(String, bool)> = self.lets.iter().filter(|l| !l.1).map(|l| (l.0.clone(), l.2)).collect();
        if depth == 0 {
            return match self.rng.random_range(0..5) {
                0 => (self.pick(CONSTS).to_string(), false),
                1 => (self.pick(&["p0", "p1"]).to_string(), false),
                2 if !num_lets.is_empty() => num_lets[self.rng.random_range(0..num_lets.len())].clone(),
                _ => self.price(),
            };
        }
        let d = depth - 1;
        let bin = |me: &mut Self, f: &dyn Fn(&str, &str) -> String| {
            let (a, ap) = me.num(d);
            let (b, bp) = me.num(d);
            (f(&a, &b), ap || bp)
        };
        match self.rng.random_range(0..15) {
            0 => self.series(d),
            1 | 2 => {
                let op = self.pick(&["+", "-", "*", "/"]);
                bin(self, &|a, b| format!("({a} {op} {b})"))
            }
            3 => {
                let f = self.pick(&["abs", "sign", "sqrt", "log", "exp"]);
                let (x, xp) = self.num(d);
                (format!("{f}({x})"), xp)
            }
            4 => {
                let f = self.pick(&["min", "max"]);
                bin(self, &|a, b| format!("{f}({a}, {b})"))
            }
            5 => {
                let (a, ap) = self.num(d);
                let (b, bp) = self.num(d);
                let (c, cp) = self.num(d);
                (format!("clamp({a}, {b}, {c})"), ap || bp || cp)
            }
            6 => {
                let (c, cp) = self.boolean(d);
                let (a, ap) = self.num(d);
                let (b, bp) = self.num(d);
                (format!("(if {c} then {a} else {b})"), cp || ap || bp)
            }
            7 => {
                let t1 = self.pick(CONSTS);
                let t2 = self.pick(CONSTS);
                let (x, xp) = self.num(d);
                let (a, ap) = self.num(d);
                let (b, bp) = self.num(d);
                let (c, cp) = self.num(d);
                (format!("tiers({x}) {{ >= {t1} => {a} < {t2} => {b} else => {c} }}"), xp || ap || bp || cp)
            }
            8 => {
                let (x, xp) = self.num(d);
                (format!("(-{x})"), xp)
            }
            9 => {
                let (a, ap) = self.num(d);
                let (b, bp) = self.num(d);
                let (c, cp) = self.num(d);
                (format!("min({a}, {b}, {c})"), ap || bp || cp)
            }
            10 if !num_lets.is_empty() => num_lets[self.rng.random_range(0..num_lets.len())].clone(),
            11 if self.panels => self.cross(d),
            _ => self.num(0),
        }
    }

    /// A boolean expression.
    pub fn boolean(&mut self, depth: u32) -> E {
        let bool_lets: Vec<(String, bool)> = self.lets.iter().filter(|l| l.1).map(|l| (l.0.clone(), l.2)).collect();
        let cmp = |me: &mut Self, d: u32| {
            let (a, ap) = me.num(d);
            let (b, bp) = me.num(d);
            let op = me.pick(&[">", ">=", "<", "<=", "==", "!="]);
            (format!("({a} {op} {b})"), ap || bp)
        };
        if depth == 0 {
            return cmp(self, 0);
        }
        let d = depth - 1;
        match self.rng.random_range(0..9) {
            0 | 1 => cmp(self, d),
            2 => {
                let (a, ap) = self.boolean(d);
                let (b, bp) = self.boolean(d);
                let op = self.pick(&["and", "or"]);
                (format!("({a} {op} {b})"), ap || bp)
            }
            3 => {
                let (a, ap) = self.boolean(d);
                (format!("(not {a})"), ap)
            }
            4 if !self.regime_arms.is_empty() => {
                let arm = self.pick(&self.regime_arms.clone());
                (format!("(st {} {arm})", self.pick(&["==", "!="])), false)
            }
            5 if !bool_lets.is_empty() => bool_lets[self.rng.random_range(0..bool_lets.len())].clone(),
            6 => {
                let (c, cp) = self.boolean(d);
                let (a, ap) = self.boolean(d);
                let (b, bp) = self.boolean(d);
                (format!("(if {c} then {a} else {b})"), cp || ap || bp)
            }
            7 if self.panels => {
                let (x, _) = self.cross(d);
                (format!("(top(u, 50%) or {x} > 0)"), true)
            }
            _ => (self.pick(&["true", "false"]).to_string(), false),
        }
    }

    /// Reduces a panel expression to a series (for places that need one value per bar).
    fn flat(e: E) -> String {
        if e.1 {
            format!("mean({})", e.0)
        } else {
            e.0
        }
    }

    fn flat_bool(e: E) -> String {
        if e.1 {
            format!("(count(if {} then u else 0 / 0) > 1)", e.0)
        } else {
            e.0
        }
    }

    /// A whole program over data source `d` (columns a, b, c) and, in panel mode, universe `u`
    /// (assets a, b, c), with params p0 (integer window) and p1 (real). It holds `d.a` or `u`.
    pub fn program(&mut self, depth: u32) -> String {
        self.panels = self.rng.random_bool(0.5);
        let mut s = String::from("strategy generated\ndata d = csv(\"gen.csv\")\n");
        if self.panels {
            s += "universe u = csv(\"u.csv\")\n";
        }
        s += &format!("param p0 = {}\nparam p1 = {}\n", self.rng.random_range(2..6), self.pick(CONSTS));
        if self.rng.random_bool(0.4) {
            let c1 = Self::flat_bool(self.boolean(depth.min(2)));
            let c2 = Self::flat_bool(self.boolean(depth.min(2)));
            s += &format!("regime st {{\n  UP when {c1}\n  DOWN when {c2}\n  FLAT otherwise\n}}\n");
            self.regime_arms = vec!["UP", "DOWN", "FLAT"];
        }
        for i in 0..self.rng.random_range(0..4) {
            let is_bool = self.rng.random_bool(0.3);
            let (e, p) = if is_bool { self.boolean(depth) } else { self.num(depth) };
            let name = format!("v{i}");
            s += &format!("let {name} = {e}\n");
            self.lets.push((name, is_bool, p));
        }
        let w = self.num(depth);
        if self.panels && (w.1 || self.rng.random_bool(0.5)) {
            s += &format!("hold u weight {}\n", w.0);
        } else {
            s += &format!("hold d.a weight {}\n", Self::flat(w));
        }
        let b = self.boolean(depth);
        s += &format!("report r0 = {}\n", Self::flat_bool(b));
        let n = self.num(depth);
        s += &format!("report r1 = {}\n", Self::flat(n));
        s
    }
}

/// Random data columns a, b, c of `len` rows: random walks with NaN gaps, exact repeats, zeros,
/// negative values and signed zeros, so that NaN rules and edge cases are exercised.
pub fn data(rng: &mut Gen, len: usize) -> Vec<Vec<f64>> {
    (0..3)
        .map(|_| {
            let mut x = 100.0 * rng.random_range(0.5..2.0);
            (0..len)
                .map(|_| {
                    let u: f64 = rng.random();
                    if u < 0.04 {
                        f64::NAN
                    } else if u < 0.06 {
                        0.0
                    } else if u < 0.07 {
                        -0.0
                    } else if u < 0.12 {
                        x // exact repeat
                    } else if u < 0.15 {
                        -x
                    } else {
                        x *= 1.0 + rng.random_range(-0.05..0.05);
                        x
                    }
                })
                .collect()
        })
        .collect()
}

/// Bit pattern of `x` with every NaN mapped to one canonical NaN.
pub fn canonical_bits(x: f64) -> u64 {
    if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

/// The first position where two columns differ bitwise (after NaN canonicalisation).
pub fn first_difference(a: &[f64], b: &[f64]) -> Option<usize> {
    if a.len() != b.len() {
        return Some(a.len().min(b.len()));
    }
    a.iter().zip(b).position(|(x, y)| canonical_bits(*x) != canonical_bits(*y))
}
