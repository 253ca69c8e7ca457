//! The compact preview of a value: its type, the first and last rows with their dates (after
//! any warm-up), and per column the bar count, NaN count and min / mean / max (for a bool: how
//! often it is true; for a regime: the bars in each arm).

use super::eval::Value;
use std::fmt::Write as _;
use strat_compiler::types::Elem;
use strat_runtime::frame::format_date;

/// Rows shown at each end.
const EDGE: usize = 3;
/// Asset columns shown for a panel.
const MAX_COLS: usize = 6;

/// A number for the preview: 4 decimals, or scientific when very large or small.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        }
    } else if x != 0.0 && (x.abs() >= 1e7 || x.abs() < 1e-4) {
        format!("{x:.4e}")
    } else {
        format!("{x:.4}")
    }
}

fn cell(v: &Value, x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    match v.ty.elem {
        Elem::Bool => (if x != 0.0 { "true" } else { "false" }).into(),
        Elem::Regime(_) => v.arms.get(x as usize).cloned().unwrap_or_else(|| fmt_num(x)),
        Elem::Num => fmt_num(x),
    }
}

/// The preview text (ends with a newline).
pub fn preview(v: &Value) -> String {
    let mut s = String::new();
    if let Some(x) = v.scalar {
        let _ = writeln!(s, "{} : {}", cell(v, x), v.type_text);
        return s;
    }
    let n = v.dates.len();
    let width = v.width.max(1);
    let shown = width.min(MAX_COLS);
    let span = match (v.dates.first(), v.dates.last()) {
        (Some(&a), Some(&b)) => format!(", {} .. {}", format_date(a), format_date(b)),
        _ => String::new(),
    };
    if v.assets.is_empty() {
        let _ = writeln!(s, "{} · {n} bars{span}", v.type_text);
    } else {
        let _ = writeln!(s, "{} · {} assets × {n} bars{span}", v.type_text, v.assets.len());
    }
    // Leading rows where every column is NaN (warm-up) are skipped.
    let lead = (0..n).find(|&t| (0..width).any(|j| !v.column(j)[t].is_nan())).unwrap_or(n);
    let rest = n - lead;
    let picked: Vec<Option<usize>> = if rest <= 2 * EDGE + 1 {
        (lead..n).map(Some).collect()
    } else {
        (lead..lead + EDGE).map(Some).chain(std::iter::once(None)).chain((n - EDGE..n).map(Some)).collect()
    };
    let mut rows: Vec<(String, Vec<String>)> = vec![];
    if !v.assets.is_empty() {
        rows.push((String::new(), v.assets.iter().take(shown).cloned().collect()));
    }
    for r in picked {
        rows.push(match r {
            Some(t) => (format_date(v.dates[t]), (0..shown).map(|j| cell(v, v.column(j)[t])).collect()),
            None => ("…".to_string(), vec!["…".to_string(); shown]),
        });
    }
    let w = rows.iter().flat_map(|r| r.1.iter()).map(|c| c.chars().count()).max().unwrap_or(0).max(8);
    for (k, (label, cells)) in rows.into_iter().enumerate() {
        if k == usize::from(!v.assets.is_empty()) && lead > 0 {
            let _ = writeln!(s, "  … {lead} leading NaN row{} (warm-up)", if lead == 1 { "" } else { "s" });
        }
        let _ = write!(s, "  {label:<10}");
        for c in cells {
            let _ = write!(s, " {c:>w$}");
        }
        if width > shown {
            let _ = write!(s, "  … +{}", width - shown);
        }
        s.push('\n');
    }
    if lead == n && n > 0 {
        let _ = writeln!(s, "  (all {n} rows are NaN)");
    }
    s += &summary(v, shown);
    s
}

fn summary(v: &Value, shown: usize) -> String {
    let mut s = String::new();
    let per_col: Vec<Vec<(String, String)>> = (0..shown)
        .map(|j| {
            let c = v.column(j);
            let nan = c.iter().filter(|x| x.is_nan()).count();
            let defined: Vec<f64> = c.iter().copied().filter(|x| !x.is_nan()).collect();
            let mut stats = vec![("bars".to_string(), c.len().to_string()), ("NaN".to_string(), nan.to_string())];
            match v.ty.elem {
                Elem::Bool => {
                    let t = defined.iter().filter(|&&x| x != 0.0).count();
                    let pct = if defined.is_empty() { f64::NAN } else { 100.0 * t as f64 / defined.len() as f64 };
                    stats.push(("true".into(), format!("{t} ({pct:.1}%)")));
                    stats.push(("false".into(), (defined.len() - t).to_string()));
                }
                Elem::Regime(_) => {
                    for (k, a) in v.arms.iter().enumerate() {
                        stats.push((a.clone(), defined.iter().filter(|&&x| x == k as f64).count().to_string()));
                    }
                }
                Elem::Num => {
                    let (min, max) = defined.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
                    let mean = if defined.is_empty() { f64::NAN } else { defined.iter().sum::<f64>() / defined.len() as f64 };
                    let (min, max) = if defined.is_empty() { (f64::NAN, f64::NAN) } else { (min, max) };
                    stats.push(("min".into(), fmt_num(min)));
                    stats.push(("mean".into(), fmt_num(mean)));
                    stats.push(("max".into(), fmt_num(max)));
                }
            }
            stats
        })
        .collect();
    if v.assets.is_empty() {
        let line: Vec<String> = per_col[0].iter().map(|(k, x)| format!("{k} {x}")).collect();
        let _ = writeln!(s, "  {}", line.join("  "));
    } else {
        let w = per_col.iter().flatten().map(|(_, x)| x.len()).chain(v.assets.iter().take(shown).map(|a| a.len())).max().unwrap_or(8).max(8);
        for (i, (k, _)) in per_col[0].iter().enumerate() {
            let _ = write!(s, "  {k:<10}");
            for c in &per_col {
                let _ = write!(s, " {:>w$}", c[i].1);
            }
            s.push('\n');
        }
    }
    s
}
