//! A seeded generator of well-typed-by-construction (mostly) `.strat` programs and of data to run
//! them on, shared by the differential test and the fuzz-style robustness test.

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

/// Generates programs.
pub struct ProgramGen<'a> {
    rng: &'a mut Gen,
    lets: Vec<(String, bool)>, // (name, is_bool)
    regime_arms: Vec<&'static str>,
}

impl<'a> ProgramGen<'a> {
    /// A generator drawing from `rng`.
    pub fn new(rng: &'a mut Gen) -> ProgramGen<'a> {
        ProgramGen { rng, lets: vec![], regime_arms: vec![] }
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.rng.random_range(0..xs.len())]
    }

    fn window(&mut self) -> String {
        match self.rng.random_range(0..4) {
            0 => "p0".into(),
            1 => "p0 + 1".into(),
            _ => format!("{}", self.rng.random_range(1..8)),
        }
    }

    fn lag(&mut self) -> String {
        match self.rng.random_range(0..3) {
            0 => "p0".into(),
            _ => format!("{}", self.rng.random_range(0..5)),
        }
    }

    /// A numeric series expression (always reads a column).
    pub fn series(&mut self, depth: u32) -> String {
        if depth == 0 {
            return self.pick(COLS).to_string();
        }
        match self.rng.random_range(0..9) {
            0 | 1 => self.pick(COLS).to_string(),
            2 => format!("({} + {})", self.pick(COLS), self.num(depth - 1)),
            3 => format!("({} * {})", self.num(depth - 1), self.pick(COLS)),
            4 => {
                let f = self.pick(&["sma", "ema", "std", "zscore", "rolling_min", "rolling_max"]);
                format!("{f}({}, {})", self.series(depth - 1), self.window())
            }
            5 => {
                let f = self.pick(&["ret", "logret"]);
                let k = if self.rng.random_bool(0.5) { String::new() } else { format!(", {}", self.window()) };
                format!("{f}({}{k})", self.pick(COLS))
            }
            6 => format!("{}[{}]", self.pick(COLS), self.lag()),
            7 => {
                let f = self.pick(&["drawdown", "cumsum", "cumprod"]);
                format!("{f}({})", self.series(depth - 1))
            }
            _ => format!("(-{})", self.series(depth - 1)),
        }
    }

    /// A numeric expression (scalar or series).
    pub fn num(&mut self, depth: u32) -> String {
        let num_lets: Vec<String> = self.lets.iter().filter(|l| !l.1).map(|l| l.0.clone()).collect();
        if depth == 0 {
            return match self.rng.random_range(0..5) {
                0 => self.pick(CONSTS).to_string(),
                1 => self.pick(&["p0", "p1"]).to_string(),
                2 if !num_lets.is_empty() => num_lets[self.rng.random_range(0..num_lets.len())].clone(),
                _ => self.pick(COLS).to_string(),
            };
        }
        let d = depth - 1;
        match self.rng.random_range(0..14) {
            0 => self.series(d),
            1 => format!("({} {} {})", self.num(d), self.pick(&["+", "-", "*", "/"]), self.num(d)),
            2 => format!("({} {} {})", self.num(d), self.pick(&["+", "-", "*", "/"]), self.num(d)),
            3 => format!("{}({})", self.pick(&["abs", "sign", "sqrt", "log", "exp"]), self.num(d)),
            4 => format!("{}({}, {})", self.pick(&["min", "max"]), self.num(d), self.num(d)),
            5 => format!("clamp({}, {}, {})", self.num(d), self.num(d), self.num(d)),
            6 => format!("(if {} then {} else {})", self.boolean(d), self.num(d), self.num(d)),
            7 => {
                let t1 = self.pick(CONSTS);
                let t2 = self.pick(CONSTS);
                format!(
                    "tiers({}) {{ >= {t1} => {} < {t2} => {} else => {} }}",
                    self.num(d),
                    self.num(d),
                    self.num(d),
                    self.num(d)
                )
            }
            8 => format!("(-{})", self.num(d)),
            9 => format!("min({}, {}, {})", self.num(d), self.num(d), self.num(d)),
            10 if !num_lets.is_empty() => num_lets[self.rng.random_range(0..num_lets.len())].clone(),
            _ => self.num(0),
        }
    }

    /// A boolean expression.
    pub fn boolean(&mut self, depth: u32) -> String {
        let bool_lets: Vec<String> = self.lets.iter().filter(|l| l.1).map(|l| l.0.clone()).collect();
        if depth == 0 {
            return format!("({} {} {})", self.num(0), self.pick(&[">", ">=", "<", "<=", "==", "!="]), self.num(0));
        }
        let d = depth - 1;
        match self.rng.random_range(0..8) {
            0 | 1 => format!("({} {} {})", self.num(d), self.pick(&[">", ">=", "<", "<=", "==", "!="]), self.num(d)),
            2 => format!("({} {} {})", self.boolean(d), self.pick(&["and", "or"]), self.boolean(d)),
            3 => format!("(not {})", self.boolean(d)),
            4 if !self.regime_arms.is_empty() => {
                let arm = self.pick(&self.regime_arms.clone());
                format!("(st {} {arm})", self.pick(&["==", "!="]))
            }
            5 if !bool_lets.is_empty() => bool_lets[self.rng.random_range(0..bool_lets.len())].clone(),
            6 => format!("(if {} then {} else {})", self.boolean(d), self.boolean(d), self.boolean(d)),
            _ => self.pick(&["true", "false"]).to_string(),
        }
    }

    /// A whole program over one data source `d` with columns a, b, c and params p0 (integer
    /// window), p1 (real). It holds `d.a`.
    pub fn program(&mut self, depth: u32) -> String {
        let mut s = String::from("strategy generated\ndata d = csv(\"gen.csv\")\n");
        s += &format!("param p0 = {}\nparam p1 = {}\n", self.rng.random_range(1..6), self.pick(CONSTS));
        if self.rng.random_bool(0.4) {
            let c1 = self.boolean(depth.min(2));
            let c2 = self.boolean(depth.min(2));
            s += &format!("regime st {{\n  UP when {c1}\n  DOWN when {c2}\n  FLAT otherwise\n}}\n");
            self.regime_arms = vec!["UP", "DOWN", "FLAT"];
        }
        for i in 0..self.rng.random_range(0..4) {
            let is_bool = self.rng.random_bool(0.3);
            let e = if is_bool { self.boolean(depth) } else { self.num(depth) };
            let name = format!("v{i}");
            s += &format!("let {name} = {e}\n");
            self.lets.push((name, is_bool));
        }
        s += &format!("hold d.a weight {}\n", self.num(depth));
        s += &format!("report r0 = {}\n", self.boolean(depth));
        s += &format!("report r1 = {}\n", self.num(depth));
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
    if x.is_nan() { f64::NAN.to_bits() } else { x.to_bits() }
}

/// The first position where two columns differ bitwise (after NaN canonicalisation).
pub fn first_difference(a: &[f64], b: &[f64]) -> Option<usize> {
    if a.len() != b.len() {
        return Some(a.len().min(b.len()));
    }
    a.iter().zip(b).position(|(x, y)| canonical_bits(*x) != canonical_bits(*y))
}
