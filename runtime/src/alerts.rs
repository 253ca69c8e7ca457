//! Alerts over a run (SEMANTICS.md §3b): each `alert NAME when COND` evaluated on every row
//! from the first live row `t0` to the last row `T-1` (the last included: that is when a live
//! alert fires), with the values its condition compares.

/// One alert over one run. Rows are the frame's rows; before `t0` nothing fires.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertTrace {
    /// The alert's name.
    pub name: String,
    /// Its condition as written.
    pub condition: String,
    /// Whether the condition holds at the close of each row (`rows` values; false before `t0`
    /// and where it is NaN, e.g. in warm-up).
    pub fired: Vec<bool>,
    /// The compared values on each row (`rows` values each, NaN where undefined), each named by
    /// its source text.
    pub values: Vec<(String, Vec<f64>)>,
    /// Per value: whether it is a condition (1 / 0) rather than a number.
    pub value_is_bool: Vec<bool>,
    /// The first live row `t0`.
    pub first_live: usize,
}

impl AlertTrace {
    /// Builds the trace of an alert from its condition series (1 / 0, NaN as false) and its
    /// values' series, all `rows` long; rows before `t0` do not fire.
    pub fn new(name: &str, condition: &str, when: &[f64], values: Vec<(String, Vec<f64>)>, t0: usize) -> AlertTrace {
        let fired = when.iter().enumerate().map(|(t, &v)| t >= t0 && v != 0.0 && !v.is_nan()).collect();
        let value_is_bool = vec![false; values.len()];
        AlertTrace { name: name.to_string(), condition: condition.to_string(), fired, values, value_is_bool, first_live: t0 }
    }

    /// The rows it is evaluated on: `t0 .. T`.
    pub fn rows(&self) -> std::ops::Range<usize> {
        self.first_live.min(self.fired.len())..self.fired.len()
    }

    /// Number of rows of [`AlertTrace::rows`] on which it fires.
    pub fn fired_count(&self) -> usize {
        self.fired[self.rows()].iter().filter(|&&f| f).count()
    }

    /// Share of [`AlertTrace::rows`] on which it fires (NaN without a row).
    pub fn fired_share(&self) -> f64 {
        let n = self.rows().len();
        if n == 0 {
            f64::NAN
        } else {
            self.fired_count() as f64 / n as f64
        }
    }

    /// The episodes: maximal runs of consecutive firing rows, `(first, last)` rows inclusive.
    pub fn episodes(&self) -> Vec<(usize, usize)> {
        let mut out = vec![];
        let mut start = None;
        for t in self.rows() {
            match (self.fired[t], start) {
                (true, None) => start = Some(t),
                (false, Some(s)) => {
                    out.push((s, t - 1));
                    start = None;
                }
                _ => {}
            }
        }
        if let Some(s) = start {
            out.push((s, self.fired.len() - 1));
        }
        out
    }

    /// Whether it fires on the last row (what `strat monitor` reports); false for an empty run.
    pub fn firing(&self) -> bool {
        !self.rows().is_empty() && self.fired.last().copied().unwrap_or(false)
    }

    /// The compared values on row `t` (NaN where undefined).
    pub fn values_at(&self, t: usize) -> Vec<(String, f64)> {
        self.values.iter().map(|(n, v)| (n.clone(), v.get(t).copied().unwrap_or(f64::NAN))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn episodes_counts_and_the_last_row() {
        let nan = f64::NAN;
        // Row 0 is before t0 = 1; row 2 is NaN (false); rows 3-4 and 6 fire.
        let a = AlertTrace::new("a", "x > 1", &[1.0, 0.0, nan, 1.0, 1.0, 0.0, 1.0], vec![("x".into(), vec![2.0; 7])], 1);
        assert_eq!(a.fired, [false, false, false, true, true, false, true]);
        assert_eq!(a.fired_count(), 3);
        assert_eq!(a.fired_share(), 3.0 / 6.0);
        assert_eq!(a.episodes(), [(3, 4), (6, 6)]);
        assert!(a.firing());
        assert_eq!(a.values_at(6), [("x".to_string(), 2.0)]);
        let quiet = AlertTrace::new("q", "x > 1", &[1.0, 1.0, 0.0], vec![], 1);
        assert_eq!(quiet.episodes(), [(1, 1)]);
        assert!(!quiet.firing());
        let empty = AlertTrace::new("e", "x", &[1.0], vec![], 5);
        assert!(!empty.firing());
        assert!(empty.fired_share().is_nan());
    }
}
