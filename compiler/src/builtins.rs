//! The typed prelude: every builtin function, its parameters and its documentation line. The
//! checker reads signatures from here; the lowering maps each builtin to a plan operation.
//! Formulas and NaN rules are in `spec/stdlib.md` and on the kernels in `strat-stdlib`.

/// A builtin function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    Ret,
    LogRet,
    Sma,
    Ema,
    Std,
    Zscore,
    RollingMin,
    RollingMax,
    Drawdown,
    Cumsum,
    Cumprod,
    Abs,
    Sign,
    Sqrt,
    Log,
    Exp,
    Min,
    Max,
    Clamp,
    Coalesce,
    Count,
    Sum,
    Mean,
    Rank,
    ZscoreCs,
    Top,
    Bottom,
}

/// What an argument position accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// A numeric series.
    Series,
    /// A window length or lag: a `const` or `param` integer >= 1.
    Window,
    /// Any numeric value (scalar or series).
    Num,
    /// A numeric panel.
    Panel,
    /// A fraction in (0, 1]: a `const` or `param` number.
    Fraction,
}

/// A builtin's signature and documentation.
#[derive(Debug, Clone, Copy)]
pub struct Signature {
    /// Name as written in `.strat` source.
    pub name: &'static str,
    /// The builtin.
    pub builtin: Builtin,
    /// Positional arguments.
    pub args: &'static [Arg],
    /// How many trailing arguments may be omitted (they take their documented default).
    pub optional: usize,
    /// Whether the last argument may repeat (`min(a, b, c)`).
    pub variadic: bool,
    /// One-line signature for hints and help.
    pub doc: &'static str,
}

use Arg::*;

/// Every builtin, in the order the spec lists them.
pub const PRELUDE: &[Signature] = &[
    Signature {
        name: "ret",
        builtin: Builtin::Ret,
        args: &[Series, Window],
        optional: 1,
        variadic: false,
        doc: "ret(price, k = 1) -> return: price[t] / price[t-k] - 1",
    },
    Signature {
        name: "logret",
        builtin: Builtin::LogRet,
        args: &[Series, Window],
        optional: 1,
        variadic: false,
        doc: "logret(price, k = 1) -> return: ln(price[t] / price[t-k])",
    },
    Signature {
        name: "sma",
        builtin: Builtin::Sma,
        args: &[Series, Window],
        optional: 0,
        variadic: false,
        doc: "sma(x, n): mean of the last n values (today included)",
    },
    Signature {
        name: "ema",
        builtin: Builtin::Ema,
        args: &[Series, Window],
        optional: 0,
        variadic: false,
        doc: "ema(x, span): alpha = 2/(span+1), seeded with the first defined value",
    },
    Signature {
        name: "std",
        builtin: Builtin::Std,
        args: &[Series, Window],
        optional: 0,
        variadic: false,
        doc: "std(x, n): sample standard deviation (ddof = 1) of the last n values",
    },
    Signature {
        name: "zscore",
        builtin: Builtin::Zscore,
        args: &[Series, Window],
        optional: 0,
        variadic: false,
        doc: "zscore(x, n) = (x - sma(x, n)) / std(x, n); NaN when the std is 0",
    },
    Signature {
        name: "rolling_min",
        builtin: Builtin::RollingMin,
        args: &[Series, Window],
        optional: 0,
        variadic: false,
        doc: "rolling_min(x, n): smallest of the last n values",
    },
    Signature {
        name: "rolling_max",
        builtin: Builtin::RollingMax,
        args: &[Series, Window],
        optional: 0,
        variadic: false,
        doc: "rolling_max(x, n): largest of the last n values",
    },
    Signature {
        name: "drawdown",
        builtin: Builtin::Drawdown,
        args: &[Series],
        optional: 0,
        variadic: false,
        doc: "drawdown(x) = x / running max of x - 1 (<= 0)",
    },
    Signature {
        name: "cumsum",
        builtin: Builtin::Cumsum,
        args: &[Series],
        optional: 0,
        variadic: false,
        doc: "cumsum(x): running sum from the first defined value",
    },
    Signature {
        name: "cumprod",
        builtin: Builtin::Cumprod,
        args: &[Series],
        optional: 0,
        variadic: false,
        doc: "cumprod(x): running product from the first defined value",
    },
    Signature { name: "abs", builtin: Builtin::Abs, args: &[Num], optional: 0, variadic: false, doc: "abs(x)" },
    Signature { name: "sign", builtin: Builtin::Sign, args: &[Num], optional: 0, variadic: false, doc: "sign(x): -1, 0 or 1 (NaN stays NaN)" },
    Signature { name: "sqrt", builtin: Builtin::Sqrt, args: &[Num], optional: 0, variadic: false, doc: "sqrt(x)" },
    Signature { name: "log", builtin: Builtin::Log, args: &[Num], optional: 0, variadic: false, doc: "log(x): natural logarithm" },
    Signature { name: "exp", builtin: Builtin::Exp, args: &[Num], optional: 0, variadic: false, doc: "exp(x)" },
    Signature { name: "min", builtin: Builtin::Min, args: &[Num, Num], optional: 0, variadic: true, doc: "min(a, b, ...): NaN if any argument is NaN" },
    Signature { name: "max", builtin: Builtin::Max, args: &[Num, Num], optional: 0, variadic: true, doc: "max(a, b, ...): NaN if any argument is NaN" },
    Signature { name: "clamp", builtin: Builtin::Clamp, args: &[Num, Num, Num], optional: 0, variadic: false, doc: "clamp(x, lo, hi) = min(max(x, lo), hi)" },
    Signature {
        name: "coalesce",
        builtin: Builtin::Coalesce,
        args: &[Num, Num],
        optional: 0,
        variadic: false,
        doc: "coalesce(x, y): x where it is defined, else y (pandas x.fillna(y))",
    },
    Signature {
        name: "count",
        builtin: Builtin::Count,
        args: &[Panel],
        optional: 0,
        variadic: false,
        doc: "count(panel) -> series: the number of assets with a defined value on each bar",
    },
    Signature {
        name: "sum",
        builtin: Builtin::Sum,
        args: &[Panel],
        optional: 0,
        variadic: false,
        doc: "sum(panel) -> series: cross-sectional sum of the defined values on each bar (0 if none)",
    },
    Signature {
        name: "mean",
        builtin: Builtin::Mean,
        args: &[Panel],
        optional: 0,
        variadic: false,
        doc: "mean(panel) -> series: cross-sectional mean of the defined values on each bar",
    },
    Signature {
        name: "rank",
        builtin: Builtin::Rank,
        args: &[Panel],
        optional: 0,
        variadic: false,
        doc: "rank(panel) -> panel: average rank / n on each bar, in (0, 1] (pandas rank(pct=True))",
    },
    Signature {
        name: "zscore_cs",
        builtin: Builtin::ZscoreCs,
        args: &[Panel],
        optional: 0,
        variadic: false,
        doc: "zscore_cs(panel) -> panel: (x - cross-sectional mean) / cross-sectional std (ddof = 1)",
    },
    Signature {
        name: "top",
        builtin: Builtin::Top,
        args: &[Panel, Fraction],
        optional: 0,
        variadic: false,
        doc: "top(panel, f) -> bool panel: the k = max(1, floor(n f)) highest values on each bar (ties: lower column)",
    },
    Signature {
        name: "bottom",
        builtin: Builtin::Bottom,
        args: &[Panel, Fraction],
        optional: 0,
        variadic: false,
        doc: "bottom(panel, f) -> bool panel: the k = max(1, floor(n f)) lowest values on each bar (ties: lower column)",
    },
];

/// Looks a builtin up by name.
pub fn lookup(name: &str) -> Option<&'static Signature> {
    PRELUDE.iter().find(|s| s.name == name)
}

/// What a builtin adds to the largest static warm-up of its arguments (SEMANTICS.md §3), as
/// spec/stdlib.md's summary table writes it (`k`, `n - 1`, `0`); a test checks the two agree.
pub fn warmup_added(b: Builtin) -> &'static str {
    use Builtin::*;
    match b {
        Ret | LogRet => "k",
        Sma | Std | Zscore | RollingMin | RollingMax => "n - 1",
        Ema | Drawdown | Cumsum | Cumprod | Abs | Sign | Sqrt | Log | Exp | Min | Max | Clamp | Coalesce | Count | Sum | Mean | Rank | ZscoreCs | Top
        | Bottom => "0",
    }
}

/// The name of a builtin.
pub fn name_of(b: Builtin) -> &'static str {
    PRELUDE.iter().find(|s| s.builtin == b).map(|s| s.name).unwrap_or("?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_warm_up_of_every_builtin_is_the_one_the_spec_tables() {
        // spec/stdlib.md, "Summary": | [`name`](...) | `signature` | result | adds warm-up |
        let spec = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../spec/stdlib.md")).unwrap();
        let mut seen = 0;
        for line in spec.lines().filter(|l| l.starts_with("| [`")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells[1].trim_start_matches("[`").split('`').next().unwrap();
            let sig = lookup(name).unwrap_or_else(|| panic!("spec/stdlib.md lists `{name}`, which is not a builtin"));
            assert_eq!(cells[4].trim_matches('`'), warmup_added(sig.builtin), "{name}");
            seen += 1;
        }
        assert_eq!(seen, PRELUDE.len(), "spec/stdlib.md's summary lists every builtin once");
    }
}
