//! `:plot`: a terminal line chart drawn with Unicode braille dots (2 × 4 dots per character).
//! Each character column covers a bucket of bars; the line is drawn through each bucket's
//! lowest and highest value and joined to the previous bucket, so spikes survive downsampling.
//! NaN bars (warm-up) leave gaps. Several series (a panel) share the axes, one colour each.

use std::fmt::Write as _;
use strat_runtime::frame::format_date;

/// ANSI colours of the series, in order.
const COLOURS: [&str; 6] = ["\x1b[36m", "\x1b[33m", "\x1b[35m", "\x1b[32m", "\x1b[34m", "\x1b[31m"];
const RESET: &str = "\x1b[0m";

/// Bit of the braille dot at (x in 0..2, y in 0..4) within one character.
fn dot(x: usize, y: usize) -> u32 {
    match (x, y) {
        (0, 3) => 0x40,
        (1, 3) => 0x80,
        (0, y) => 1 << y,
        (_, y) => 1 << (y + 3),
    }
}

/// A chart of `series` (name, values over `dates`) in `width` × `height` characters of plot area
/// (axis labels come on top of that); `colour` adds ANSI colours.
pub fn chart(series: &[(String, &[f64])], dates: &[i32], width: usize, height: usize, colour: bool) -> String {
    let n = dates.len();
    let (w, h) = (width.max(8), height.max(2));
    let rows = 4 * h;
    let finite = series.iter().flat_map(|(_, v)| v.iter().copied()).filter(|x| x.is_finite());
    let (mut lo, mut hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    if lo > hi {
        return "nothing to plot: every value is NaN\n".into();
    }
    if lo == hi {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let y_of = |v: f64| -> usize { (((hi - v) / (hi - lo)) * (rows - 1) as f64).round().clamp(0.0, (rows - 1) as f64) as usize };
    let (bits, owner) = dots(series, n, (w, h), &y_of);
    let decimals = (2.0 - (hi - lo).log10().floor()).clamp(0.0, 8.0) as usize;
    let labels = [fmt_axis(hi, decimals), fmt_axis((hi + lo) / 2.0, decimals), fmt_axis(lo, decimals)];
    let lw = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let mut s = String::new();
    for r in 0..h {
        let label = if r == 0 {
            &labels[0]
        } else if r == h - 1 {
            &labels[2]
        } else if r == h / 2 && h > 4 {
            &labels[1]
        } else {
            ""
        };
        let tick = if label.is_empty() { '│' } else { '┤' };
        let _ = write!(s, "{label:>lw$} {tick}");
        let mut current = usize::MAX;
        for c in 0..w {
            let i = r * w + c;
            let ch = char::from_u32(0x2800 + bits[i]).unwrap_or(' ');
            if colour && bits[i] != 0 && owner[i] != current {
                current = owner[i];
                s.push_str(COLOURS[current % COLOURS.len()]);
            }
            s.push(if bits[i] == 0 { ' ' } else { ch });
        }
        if colour && current != usize::MAX {
            s.push_str(RESET);
        }
        s.push('\n');
    }
    let _ = writeln!(s, "{:>lw$} └{}", "", "─".repeat(w));
    if let Some(axis) = date_axis(dates, w) {
        let _ = writeln!(s, "{:>lw$}  {axis}", "");
    }
    if series.len() > 1 {
        let _ = write!(s, "{:>lw$}  ", "");
        for (k, (name, _)) in series.iter().enumerate() {
            if colour {
                let _ = write!(s, "{}⣿{RESET} {name}  ", COLOURS[k % COLOURS.len()]);
            } else {
                let _ = write!(s, "{} {name}  ", ["⣿", "⠶", "⠒", "⠤", "⠛", "⣀"][k % 6]);
            }
        }
        s.push('\n');
    }
    s
}

/// The braille dots of each series on a `w` × `h` grid of cells (2 × 4 dots each): each column
/// of dots spans a bucket of the `n` values and joins the previous column; `y_of` maps a value
/// to its dot row. Returns each cell's dot bits and the series that drew it last.
fn dots(series: &[(String, &[f64])], n: usize, (w, h): (usize, usize), y_of: &dyn Fn(f64) -> usize) -> (Vec<u32>, Vec<usize>) {
    let cols = 2 * w;
    let mut bits = vec![0u32; w * h];
    let mut owner = vec![usize::MAX; w * h];
    for (k, (_, values)) in series.iter().enumerate() {
        let mut prev: Option<usize> = None;
        for c in 0..cols {
            let (a, b) = (c * n / cols, ((c + 1) * n / cols).max(c * n / cols + 1).min(n));
            if a >= n {
                break;
            }
            let bucket = values[a..b].iter().copied().filter(|x| x.is_finite());
            let (mn, mx, last) = bucket.fold((f64::INFINITY, f64::NEG_INFINITY, f64::NAN), |(p, q, _), x| (p.min(x), q.max(x), x));
            if last.is_nan() {
                prev = None;
                continue;
            }
            let (mut top, mut bottom) = (y_of(mx), y_of(mn));
            if let Some(p) = prev {
                top = top.min(p);
                bottom = bottom.max(p);
            }
            for y in top..=bottom {
                let i = (y / 4) * w + c / 2;
                bits[i] |= dot(c % 2, y % 4);
                owner[i] = k;
            }
            prev = Some(y_of(last));
        }
    }
    (bits, owner)
}

/// The dates under a chart `w` characters wide: first, middle and last when they fit, else
/// first and last, else the first; `None` without dates.
fn date_axis(dates: &[i32], w: usize) -> Option<String> {
    let n = dates.len();
    let (Some(&a), Some(&b)) = (dates.first(), dates.last()) else { return None };
    let (a, m, b) = (format_date(a), format_date(dates[n / 2]), format_date(b));
    Some(if w >= a.len() + m.len() + b.len() + 2 {
        let gap = (w - a.len() - m.len() - b.len()) / 2;
        format!("{a}{}{m}{}{b}", " ".repeat(gap), " ".repeat(w - a.len() - gap - m.len() - b.len()))
    } else if w > a.len() + b.len() {
        format!("{a}{}{b}", " ".repeat(w - a.len() - b.len()))
    } else {
        a
    })
}

/// An axis label with `decimals` decimals (chosen from the range), or scientific when huge.
fn fmt_axis(x: f64, decimals: usize) -> String {
    if x.abs() >= 1e9 {
        format!("{x:.2e}")
    } else {
        format!("{x:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rising_line_goes_from_bottom_left_to_top_right() {
        let v: Vec<f64> = (0..100).map(|i| i as f64).collect();
        let dates: Vec<i32> = (0..100).collect();
        let c = chart(&[("x".into(), &v)], &dates, 40, 4, false);
        let lines: Vec<&str> = c.lines().collect();
        assert!(lines[0].starts_with("99.0 ┤"), "{c}");
        assert!(lines[3].starts_with(" 0.0 ┤"), "{c}");
        // The top row is empty on the left, the bottom row empty on the right.
        let body = |l: &str| l.chars().skip(6).collect::<Vec<char>>();
        assert_eq!(body(lines[0])[0], ' ');
        assert_ne!(body(lines[0])[39], ' ');
        assert_ne!(body(lines[3])[0], ' ');
        assert_eq!(body(lines[3])[39], ' ');
        assert!(lines[5].contains("1970-01-01") && lines[5].contains("1970-02-20") && lines[5].contains("1970-04-10"), "{c}");
        let narrow = chart(&[("x".into(), &v)], &dates, 12, 2, false);
        assert!(narrow.lines().nth(3).is_some_and(|l| l.trim() == "1970-01-01"), "{narrow}");
    }

    #[test]
    fn nan_only_and_flat_series() {
        let dates = [0, 1, 2];
        assert!(chart(&[("x".into(), &[f64::NAN; 3])], &dates, 10, 4, false).starts_with("nothing to plot"));
        assert!(chart(&[("x".into(), &[2.0; 3])], &dates, 10, 4, false).contains("2.200 ┤"));
    }
}
