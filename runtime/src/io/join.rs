//! Alignment of several sources on their dates (SEMANTICS.md §0: inner join, no forward fill).

use std::collections::HashMap;
use std::sync::Arc;

use crate::frame::{Frame, Origin};

/// File lines of a source before and after the join.
type Remap = (Arc<Vec<u32>>, Arc<Vec<u32>>);

/// Inner-joins frames on `date`: the result has the dates present in every frame, in increasing
/// order, and the columns of each frame in argument order, named `prefix.column` (just `column`
/// when the prefix is empty). Each column keeps its [`Origin`], restricted to the kept rows, so the
/// file line of every value stays known.
///
/// Prefixes should be distinct (otherwise names repeat and [`Frame::column`] finds the first).
/// The intersection may be empty (a frame with no rows): the caller decides whether that is an
/// error. No frames give an empty frame. If a frame repeats a date (the readers never produce
/// one), its first row with that date is used.
pub fn inner_join(frames: Vec<(String, Frame)>) -> Frame {
    if frames.is_empty() {
        return Frame::default();
    }
    let (dates, rows) = if frames.iter().all(|(_, f)| increasing(&f.dates)) { merged_rows(&frames) } else { hashed_rows(&frames) };
    let mut out = Frame { dates, ..Frame::default() };
    for ((prefix, f), rows) in frames.into_iter().zip(rows) {
        // Columns read together share one `lines` vector; keep sharing it after the join.
        let mut remapped: Vec<Remap> = Vec::new();
        let Frame { names, columns, origins, .. } = f;
        let mut origins = origins.into_iter();
        for (name, col) in names.into_iter().zip(columns) {
            out.names.push(if prefix.is_empty() { name } else { format!("{prefix}.{name}") });
            out.columns.push(rows.iter().map(|&r| col.get(r).copied().unwrap_or(f64::NAN)).collect());
            let origin = origins.next().flatten().map(|o| {
                let lines = match remapped.iter().find(|(old, _)| Arc::ptr_eq(old, &o.lines)) {
                    Some((_, new)) => Arc::clone(new),
                    None => {
                        let new = Arc::new(rows.iter().map(|&r| o.lines.get(r).copied().unwrap_or(0)).collect());
                        remapped.push((Arc::clone(&o.lines), Arc::clone(&new)));
                        new
                    }
                };
                Origin { file: o.file, column: o.column, lines }
            });
            out.origins.push(origin);
        }
    }
    out
}

/// Whether `dates` strictly increase (as the readers guarantee: they reject unsorted and
/// repeated dates).
fn increasing(dates: &[i32]) -> bool {
    dates.windows(2).all(|w| w[0] < w[1])
}

/// The joined dates (ascending) and, per frame, the row of each: one merge pass over frames whose
/// dates strictly increase. The same as [`hashed_rows`] on such frames.
fn merged_rows(frames: &[(String, Frame)]) -> (Vec<i32>, Vec<Vec<usize>>) {
    let first = &frames[0].1.dates;
    let mut at = vec![0usize; frames.len()];
    let mut rows: Vec<Vec<usize>> = vec![Vec::with_capacity(first.len()); frames.len()];
    let mut dates = Vec::with_capacity(first.len());
    'dates: for (row, &d) in first.iter().enumerate() {
        for (k, (_, f)) in frames.iter().enumerate().skip(1) {
            let ds = &f.dates;
            let mut i = at[k];
            while i < ds.len() && ds[i] < d {
                i += 1;
            }
            at[k] = i;
            if i == ds.len() || ds[i] != d {
                continue 'dates;
            }
        }
        dates.push(d);
        rows[0].push(row);
        for (r, &i) in rows.iter_mut().zip(&at).skip(1) {
            r.push(i);
        }
    }
    (dates, rows)
}

/// The joined dates (ascending, distinct) and, per frame, the row of each (a frame's first row
/// of a repeated date), through a hash index of each frame's dates: for frames in any order.
fn hashed_rows(frames: &[(String, Frame)]) -> (Vec<i32>, Vec<Vec<usize>>) {
    let index: Vec<HashMap<i32, usize>> = frames
        .iter()
        .map(|(_, f)| {
            let mut m = HashMap::with_capacity(f.dates.len());
            for (row, &d) in f.dates.iter().enumerate() {
                m.entry(d).or_insert(row);
            }
            m
        })
        .collect();
    let mut dates: Vec<i32> = frames[0].1.dates.iter().copied().filter(|d| index.iter().all(|m| m.contains_key(d))).collect();
    dates.sort_unstable();
    dates.dedup();
    let rows = index.iter().map(|idx| dates.iter().map(|d| idx[d]).collect()).collect();
    (dates, rows)
}

/// Joins `frames` onto the rows of `joined` **as of** each row's date: a row dated `d` reads,
/// from each frame, its latest row dated `<= d` (NaN before the frame's first date), so no value
/// comes from after the bar (`data NAME = csv(...) asof`, spec/semantics.md §1). Column names
/// are prefixed `NAME.` as by [`inner_join`]; each frame's dates must be increasing (as the
/// CSV reader checks).
pub fn asof_join(mut joined: Frame, frames: Vec<(String, Frame)>) -> Frame {
    for (prefix, f) in frames {
        let rows: Vec<Option<usize>> = joined.dates.iter().map(|d| f.dates.partition_point(|x| x <= d).checked_sub(1)).collect();
        let Frame { names, columns, origins, .. } = f;
        let mut origins = origins.into_iter();
        let mut remapped: Vec<Remap> = Vec::new();
        for (name, col) in names.into_iter().zip(columns) {
            joined.names.push(format!("{prefix}.{name}"));
            joined.columns.push(rows.iter().map(|r| r.and_then(|r| col.get(r).copied()).unwrap_or(f64::NAN)).collect());
            let origin = origins.next().flatten().map(|o| {
                let lines = match remapped.iter().find(|(old, _)| Arc::ptr_eq(old, &o.lines)) {
                    Some((_, new)) => Arc::clone(new),
                    None => {
                        let new = Arc::new(rows.iter().map(|r| r.and_then(|r| o.lines.get(r).copied()).unwrap_or(0)).collect());
                        remapped.push((Arc::clone(&o.lines), Arc::clone(&new)));
                        new
                    }
                };
                Origin { file: o.file, column: o.column, lines }
            });
            joined.origins.push(origin);
        }
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn with_origin(mut f: Frame, file: &str) -> Frame {
        let lines = Arc::new((0..f.len() as u32).map(|r| r + 2).collect::<Vec<_>>());
        f.origins = f.names.iter().map(|n| Some(Origin { file: PathBuf::from(file), column: n.clone(), lines: lines.clone() })).collect();
        f
    }

    #[test]
    fn asof_reads_the_latest_row_on_or_before_each_date() {
        let joined = Frame::new(vec![2, 3, 5, 9], vec!["a.x".into()], vec![vec![1., 2., 3., 4.]]);
        let rates = Frame::new(vec![3, 4, 9, 10], vec!["r".into()], vec![vec![30., 40., 90., 100.]]);
        let out = asof_join(joined, vec![("rates".into(), rates)]);
        assert_eq!(out.names, ["a.x", "rates.r"]);
        let r = &out.columns[1];
        assert!(r[0].is_nan(), "nothing dated on or before day 2");
        assert_eq!(&r[1..], [30., 40., 90.], "day 3 its own row, day 5 day 4's, day 9 its own; day 10 is never read");
    }

    /// Random frames of increasing dates (gaps, shared and missing days, empty frames): the merge
    /// gives the hash index's dates and rows; a frame out of order takes the hash path.
    #[test]
    fn the_merge_and_the_hash_index_join_alike() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |m: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % m
        };
        for case in 0..500 {
            let k = 1 + next(4) as usize;
            let frames: Vec<(String, Frame)> = (0..k)
                .map(|j| {
                    let mut d = next(5) as i32;
                    let len = if case % 50 == 7 && j == 1 { 0 } else { next(40) as usize };
                    let dates: Vec<i32> = (0..len)
                        .map(|_| {
                            d += 1 + next(3) as i32;
                            d
                        })
                        .collect();
                    let col = dates.iter().map(|&x| x as f64).collect();
                    (format!("s{j}"), Frame::new(dates, vec!["c".into()], vec![col]))
                })
                .collect();
            assert_eq!(merged_rows(&frames), hashed_rows(&frames), "case {case}");
            let j = inner_join(frames);
            for c in &j.columns {
                assert_eq!(c, &j.dates.iter().map(|&x| x as f64).collect::<Vec<_>>(), "case {case}");
            }
        }
        // Out of order and repeated: the hash path, the first row of a date.
        let a = Frame::new(vec![5, 3, 3, 9], vec!["x".into()], vec![vec![50., 30., 31., 90.]]);
        let b = Frame::new(vec![3, 5, 9], vec!["y".into()], vec![vec![0.3, 0.5, 0.9]]);
        let j = inner_join(vec![("a".into(), a), ("b".into(), b)]);
        assert_eq!(j.dates, [3, 5, 9]);
        assert_eq!(j.columns, [vec![30., 50., 90.], vec![0.3, 0.5, 0.9]]);
    }

    #[test]
    fn intersection_sorted_and_prefixed() {
        let a = with_origin(Frame::new(vec![1, 2, 3, 5, 8], vec!["close".into()], vec![vec![10., 20., 30., 50., 80.]]), "a.csv");
        let b = with_origin(
            Frame::new(vec![2, 3, 4, 8, 9], vec!["x".into(), "y".into()], vec![vec![0.2, 0.3, 0.4, 0.8, 0.9], vec![-2., -3., -4., -8., -9.]]),
            "b.csv",
        );
        let j = inner_join(vec![("spx".into(), a), ("vix".into(), b)]);
        assert_eq!(j.dates, [2, 3, 8]);
        assert_eq!(j.names, ["spx.close", "vix.x", "vix.y"]);
        assert_eq!(j.column("spx.close").unwrap(), [20., 30., 80.]);
        assert_eq!(j.column("vix.x").unwrap(), [0.2, 0.3, 0.8]);
        assert_eq!(j.column("vix.y").unwrap(), [-2., -3., -8.]);
        // file lines follow the kept rows: a's rows 1,2,4 -> lines 3,4,6; b's rows 0,1,3 -> 2,3,5
        assert_eq!(*j.origins[0].as_ref().unwrap().lines, [3, 4, 6]);
        assert_eq!(*j.origins[1].as_ref().unwrap().lines, [2, 3, 5]);
        assert!(Arc::ptr_eq(&j.origins[1].as_ref().unwrap().lines, &j.origins[2].as_ref().unwrap().lines));
        let (file, line) = j.location(2, 2).unwrap();
        assert_eq!((file.to_str().unwrap(), line), ("b.csv", 5));
        assert_eq!(j.origins[2].as_ref().unwrap().column, "y");
    }

    #[test]
    fn unsorted_inputs_empty_and_no_prefix() {
        let a = Frame::new(vec![5, 1, 3], vec!["a".into()], vec![vec![5., 1., 3.]]);
        let b = Frame::new(vec![3, 5], vec!["b".into()], vec![vec![30., 50.]]);
        let j = inner_join(vec![(String::new(), a.clone()), ("q".into(), b)]);
        assert_eq!(j.dates, [3, 5]);
        assert_eq!(j.names, ["a", "q.b"]);
        assert_eq!(j.column("a").unwrap(), [3., 5.]);
        assert_eq!(j.origins, [None, None]);

        let c = Frame::new(vec![100], vec!["c".into()], vec![vec![1.]]);
        let j = inner_join(vec![("a".into(), a), ("c".into(), c)]);
        assert!(j.is_empty());
        assert_eq!(j.names, ["a.a", "c.c"]);
        assert!(j.columns.iter().all(|c| c.is_empty()));

        assert_eq!(inner_join(vec![]), Frame::default());
    }
}
