//! Comparing Strat's JSON with an independent reference implementation's: numbers to a
//! relative tolerance (1e-9, absolute 1e-12 near zero; NaN as `null` matches `null`), and
//! bit-for-bit equality for runs that must reproduce each other.

use serde_json::Value;

/// Relative tolerance of a reference comparison.
pub const REL_TOL: f64 = 1e-9;
/// Absolute tolerance near zero.
pub const ABS_TOL: f64 = 1e-12;

/// The metrics of `--json`, in order.
pub const METRIC_KEYS: [&str; 11] =
    ["total_return", "cagr", "ann_vol", "sharpe", "sortino", "max_drawdown", "calmar", "var_95", "cvar_95", "omega", "avg_exposure"];

/// Collects the mismatches between Strat and a reference, then reports them all at once.
#[derive(Default)]
pub struct Cmp {
    /// One line per mismatch.
    pub errors: Vec<String>,
    /// The largest relative difference among the numbers that matched.
    pub max_rel: f64,
    /// How many numbers were compared.
    pub numbers: usize,
}

impl Cmp {
    /// Whether `a` and `b` agree to the tolerances.
    pub fn close(a: f64, b: f64) -> bool {
        let diff = (a - b).abs();
        diff <= ABS_TOL || diff <= REL_TOL * a.abs().max(b.abs())
    }

    /// Compares two numbers (NaN matches NaN).
    pub fn f(&mut self, path: &str, a: f64, b: f64) {
        self.numbers += 1;
        if a.is_nan() && b.is_nan() {
            return;
        }
        let diff = (a - b).abs();
        let scale = a.abs().max(b.abs());
        if !Self::close(a, b) {
            self.errors.push(format!("{path}: strat {a:?} vs reference {b:?} (abs diff {diff:e}, rel {:e})", diff / scale));
        } else if diff > ABS_TOL && scale > 0.0 {
            self.max_rel = self.max_rel.max(diff / scale);
        }
    }

    /// Compares two JSON numbers (or nulls, or equal strings).
    pub fn num(&mut self, path: &str, strat: Option<&Value>, refv: Option<&Value>) {
        match (strat, refv) {
            (Some(Value::Null), Some(Value::Null)) => self.numbers += 1,
            (Some(Value::String(a)), Some(Value::String(b))) if a == b => self.numbers += 1,
            (Some(Value::Number(a)), Some(Value::Number(b))) => self.f(path, a.as_f64().unwrap(), b.as_f64().unwrap()),
            (a, b) => self.errors.push(format!("{path}: strat {a:?} vs reference {b:?}")),
        }
    }

    /// Exact equality of two JSON values (a missing value counts as `null`).
    pub fn eq(&mut self, path: &str, strat: Option<&Value>, refv: Option<&Value>) {
        let norm = |v: Option<&Value>| v.cloned().unwrap_or(Value::Null);
        if norm(strat) != norm(refv) {
            self.errors.push(format!("{path}: strat {strat:?} vs reference {refv:?}"));
        }
    }

    /// Every metric of [`METRIC_KEYS`] but those in `skip`; no other key allowed.
    pub fn metrics(&mut self, path: &str, strat: &Value, refv: &Value, skip: &[&str]) {
        match (strat.as_object(), refv.as_object()) {
            (Some(s), Some(_)) => {
                for key in METRIC_KEYS.iter().filter(|k| !skip.contains(*k)) {
                    self.num(&format!("{path}.{key}"), strat.get(*key), refv.get(*key));
                }
                let extra: Vec<_> = s.keys().filter(|k| !METRIC_KEYS.contains(&k.as_str())).collect();
                if !extra.is_empty() {
                    self.errors.push(format!("{path}: unexpected keys {extra:?}"));
                }
            }
            _ => self.errors.push(format!("{path}: strat {strat} vs reference {refv}")),
        }
    }

    /// The `reports` objects: the same names, each value close.
    pub fn reports(&mut self, path: &str, strat: &Value, refv: &Value) {
        match (strat.as_object(), refv.as_object()) {
            (Some(so), Some(ro)) => {
                let mut sk: Vec<_> = so.keys().collect();
                let mut rk: Vec<_> = ro.keys().collect();
                sk.sort();
                rk.sort();
                if sk != rk {
                    self.errors.push(format!("{path}: keys strat {sk:?} vs reference {rk:?}"));
                }
                for (k, b) in ro {
                    if so.contains_key(k) {
                        self.num(&format!("{path}.{k}"), so.get(k), Some(b));
                    }
                }
            }
            (None, Some(ro)) if ro.is_empty() => {}
            _ => self.errors.push(format!("{path}: strat {strat} vs reference {refv}")),
        }
    }

    /// Panics with every mismatch, else prints a summary; returns the largest relative difference.
    pub fn finish(self, label: &str) -> f64 {
        if !self.errors.is_empty() {
            let n = self.errors.len();
            let shown: Vec<_> = self.errors.iter().take(60).cloned().collect();
            panic!("{label}: Strat disagrees with the reference implementation ({n} mismatches):\n  {}", shown.join("\n  "));
        }
        eprintln!("{label}: OK, {} numbers, max relative difference {:e}", self.numbers, self.max_rel);
        self.max_rel
    }
}

/// Bit-for-bit equality of two JSON values (numbers compared by their f64 bits; serde_json
/// parses with `float_roundtrip`, so equal bits mean equal output).
pub fn bit_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64().unwrap().to_bits() == y.as_f64().unwrap().to_bits(),
        (Value::Object(x), Value::Object(y)) => x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| bit_equal(v, w))),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(v, w)| bit_equal(v, w)),
        _ => a == b,
    }
}
