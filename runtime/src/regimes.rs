//! Regimes over a run: which arm of each `regime` declaration held at the close of each row
//! (SEMANTICS.md §2: the first arm whose condition holds, `otherwise` when none does), for
//! reports that shade or split a run by regime.

/// One `regime` over one run. Rows are the frame's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RegimeTrace {
    /// The regime's name.
    pub name: String,
    /// Its arm names, by arm index.
    pub arms: Vec<String>,
    /// The arm index that holds at the close of each row (`rows` values).
    pub arm: Vec<usize>,
}

impl RegimeTrace {
    /// Builds the trace from the regime's series of arm indices (`rows` values as the plan
    /// computes them: whole numbers `0 .. arms.len()`); a value outside that range (which the
    /// compiler never produces) is clamped to the last arm, the `otherwise` one.
    pub fn new(name: &str, arms: Vec<String>, series: &[f64]) -> RegimeTrace {
        let last = arms.len().saturating_sub(1);
        let arm = series.iter().map(|&v| if v.is_finite() && v >= 0.0 { (v as usize).min(last) } else { last }).collect();
        RegimeTrace { name: name.to_string(), arms, arm }
    }

    /// The maximal runs of one arm over `rows` (in order): (arm, first row, last row).
    pub fn spans(&self, rows: std::ops::Range<usize>) -> Vec<(usize, usize, usize)> {
        let mut out: Vec<(usize, usize, usize)> = vec![];
        for t in rows.start..rows.end.min(self.arm.len()) {
            match out.last_mut() {
                Some(last) if last.0 == self.arm[t] && last.2 + 1 == t => last.2 = t,
                _ => out.push((self.arm[t], t, t)),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_the_maximal_runs_of_one_arm() {
        let r = RegimeTrace::new("state", vec!["BULL".into(), "BEAR".into()], &[0.0, 0.0, 1.0, 1.0, 0.0, f64::NAN]);
        assert_eq!(r.arm, vec![0, 0, 1, 1, 0, 1]);
        assert_eq!(r.spans(0..6), vec![(0, 0, 1), (1, 2, 3), (0, 4, 4), (1, 5, 5)]);
        assert_eq!(r.spans(1..3), vec![(0, 1, 1), (1, 2, 2)]);
        assert_eq!(r.spans(3..99), vec![(1, 3, 3), (0, 4, 4), (1, 5, 5)]);
    }
}
