//! Builds the "10x bars" input of the scaling benchmark (std only, compiled by benches/run.sh).
//!
//!     tile IN.csv FROM TIMES COL,COL,... > OUT.csv
//!
//! Keeps `date` and the named columns of IN.csv from the row dated FROM on (these rows must have
//! a value in every named column, and consecutive daily dates), and writes them TIMES times.
//! Tile k continues from tile k-1: its prices are the original ones times
//! (last price of tile k-1) / (first original price), so its first bar repeats the previous
//! close (a 0 return) and every later return repeats the original one (up to rounding).
//! Synthetic dates continue day by day after the last original date. Prices stay positive.

use std::fmt::Write;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parse_date(s: &str) -> i64 {
    days_from_civil(s[0..4].parse().unwrap(), s[5..7].parse().unwrap(), s[8..10].parse().unwrap())
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    assert!(a.len() == 5, "usage: tile IN.csv FROM TIMES COL,COL,...");
    let text = std::fs::read_to_string(&a[1]).expect("read IN.csv");
    let from = a[2].as_str();
    let times: usize = a[3].parse().expect("TIMES");
    let want: Vec<&str> = a[4].split(',').collect();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let idx: Vec<usize> = want.iter().map(|w| header.iter().position(|h| h == w).expect("column")).collect();
    let mut days = Vec::new();
    let mut px: Vec<Vec<f64>> = vec![Vec::new(); want.len()];
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        if f[0] < from {
            continue;
        }
        days.push(parse_date(f[0]));
        for (k, &i) in idx.iter().enumerate() {
            let v: f64 = f[i].parse().expect("every kept row needs a price in every column");
            assert!(v > 0.0);
            px[k].push(v);
        }
    }
    let n = days.len();
    for w in days.windows(2) {
        assert_eq!(w[1] - w[0], 1, "dates must be consecutive days");
    }
    let mut out = String::with_capacity(n * times * 16 * (want.len() + 1));
    out.push_str("date,");
    out.push_str(&want.join(","));
    out.push('\n');
    let mut scale = vec![1.0f64; want.len()];
    for k in 0..times {
        if k > 0 {
            for c in 0..want.len() {
                let last = px[c][n - 1] * scale[c];
                scale[c] = last / px[c][0];
            }
        }
        for i in 0..n {
            let (y, m, d) = civil_from_days(days[i] + (k * n) as i64);
            let _ = write!(out, "{y:04}-{m:02}-{d:02}");
            for c in 0..want.len() {
                let v = if k == 0 { px[c][i] } else { px[c][i] * scale[c] };
                let _ = write!(out, ",{v}");
            }
            out.push('\n');
        }
    }
    print!("{out}");
}
