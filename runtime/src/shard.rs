//! Shards of a sweep: a deterministic 1/N of the grid's bindings, so a study can be spread over
//! the machines of any batch system (Slurm arrays, Kubernetes jobs, Ray tasks), and the
//! fingerprint that ties each shard's part file to its program, data and grid.
//!
//! Shard `I/N` (1 ≤ I ≤ N) takes the bindings whose grid index `b` has `b mod N = I − 1`. The
//! cost of a binding varies along the grid's axes (a longer lookback, a costlier weighting
//! method), and taking every N-th binding spreads each axis evenly over the shards, so every
//! shard gets the same number of bindings (±1) and near-equal cost. The split depends only on
//! the grid, never on the machine or on timings, so a shard re-run elsewhere (a batch system's
//! retry) computes exactly the same rows.

use crate::frame::Frame;
use crate::sweep::Grid;
use std::fmt;
use xxhash_rust::xxh3::Xxh3;

/// One shard of a sweep: `index` of `count`, both counted from 1 as on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: usize,
    count: usize,
}

impl Shard {
    /// Shard `index` of `count` (1-based). Errors: `count` is 0, or `index` is outside `1..=count`.
    pub fn new(index: usize, count: usize) -> Result<Shard, String> {
        if count == 0 {
            return Err("a sweep has at least 1 shard: write I/N with N >= 1".into());
        }
        if index == 0 || index > count {
            return Err(format!("shard {index}/{count} does not exist: I counts from 1 to N ({count})"));
        }
        Ok(Shard { index, count })
    }

    /// Parses `I/N` (e.g. `2/8`). Errors name what is wrong: not two whole numbers, `I` = 0,
    /// `I` > `N`, `N` = 0.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let t = text.trim();
        let parts: Vec<&str> = t.split('/').collect();
        let num = |s: &str| s.trim().parse::<usize>().ok();
        match parts.as_slice() {
            [i, n] => match (num(i), num(n)) {
                (Some(i), Some(n)) => Shard::new(i, n),
                _ => Err(format!("`{t}` is not a shard: write I/N with whole numbers, e.g. 1/4")),
            },
            _ => Err(format!("`{t}` is not a shard: write I/N, e.g. 1/4 for the first of four")),
        }
    }

    /// The shard's number, from 1.
    pub fn index(self) -> usize {
        self.index
    }

    /// The number of shards.
    pub fn count(self) -> usize {
        self.count
    }

    /// Whether grid index `binding` belongs to this shard.
    pub fn contains(self, binding: usize) -> bool {
        binding % self.count == self.index - 1
    }

    /// The grid indices of this shard among `n` bindings, ascending.
    pub fn bindings(self, n: usize) -> Vec<usize> {
        (self.index - 1..n).step_by(self.count).collect()
    }

    /// How many of `n` bindings this shard holds.
    pub fn len_of(self, n: usize) -> usize {
        if n < self.index {
            0
        } else {
            (n - self.index) / self.count + 1
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The fingerprint of a study: 32 hex digits of XXH3-128 over the program's source text, the
/// data it runs on (every date, column name and value of `frame`, bit for bit) and the grid
/// (param names, every binding's values and active params). Two parts may be merged only when
/// their fingerprints are equal: the same program on the same data with the same grid. The
/// hash is stable across machines and runs (fixed byte order, no random seed); it detects
/// mistakes, it is not a signature.
pub fn fingerprint(source: &str, frame: &Frame, grid: &Grid) -> String {
    let mut h = StudyHasher::new(source, frame, &grid.names);
    for (b, active) in grid.bindings.iter().zip(&grid.active) {
        h.binding(b, active);
    }
    h.finish()
}

/// [`fingerprint`] one binding at a time, for a grid that is walked rather than held
/// ([`crate::sweep::GridWalk`]): the same digest as [`fingerprint`] of the collected grid.
pub struct StudyHasher {
    h: Xxh3,
}

impl StudyHasher {
    /// Starts the fingerprint of the program `source` on `frame` with the params `names`.
    pub fn new(source: &str, frame: &Frame, names: &[String]) -> StudyHasher {
        let mut s = StudyHasher { h: Xxh3::new() };
        s.bytes(b"strat-study-v1");
        s.bytes(source.as_bytes());
        let dates: Vec<u8> = frame.dates.iter().flat_map(|d| d.to_le_bytes()).collect();
        s.bytes(&dates);
        s.bytes(&frame.next_date.unwrap_or(i32::MIN).to_le_bytes());
        for (name, col) in frame.names.iter().zip(&frame.columns) {
            s.bytes(name.as_bytes());
            let v: Vec<u8> = col.iter().flat_map(|x| x.to_bits().to_le_bytes()).collect();
            s.bytes(&v);
        }
        for name in names {
            s.bytes(name.as_bytes());
        }
        s
    }

    /// Adds the next binding (grid order): its values and which params it uses.
    pub fn binding(&mut self, values: &[f64], active: &[bool]) {
        let v: Vec<u8> = values.iter().flat_map(|x| x.to_bits().to_le_bytes()).chain(active.iter().map(|&a| u8::from(a))).collect();
        self.bytes(&v);
    }

    /// The fingerprint: 32 hex digits.
    pub fn finish(&self) -> String {
        format!("{:032x}", self.h.digest128())
    }

    fn bytes(&mut self, b: &[u8]) {
        self.h.update(&(b.len() as u64).to_le_bytes());
        self.h.update(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_refuse_what_does_not_exist() {
        assert_eq!(Shard::parse("2/3").unwrap(), Shard::new(2, 3).unwrap());
        assert_eq!(Shard::parse(" 1 / 1 ").unwrap().to_string(), "1/1");
        for bad in ["0/2", "3/2", "a/b", "1/0", "2", "1/2/3", "", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert!(Shard::parse("0/2").unwrap_err().contains("counts from 1"));
        assert!(Shard::parse("a/b").unwrap_err().contains("whole numbers"));
    }

    #[test]
    fn the_shards_of_a_grid_cover_it_once_and_are_balanced() {
        for n in [1usize, 2, 7, 729, 1000] {
            for count in 1..=9usize {
                let mut seen = vec![0u8; n];
                let mut sizes = vec![];
                for i in 1..=count {
                    let s = Shard::new(i, count).unwrap();
                    let b = s.bindings(n);
                    assert_eq!(b.len(), s.len_of(n));
                    assert!(b.windows(2).all(|w| w[0] < w[1]));
                    for &x in &b {
                        assert!(s.contains(x));
                        seen[x] += 1;
                    }
                    sizes.push(b.len());
                }
                assert!(seen.iter().all(|&c| c == 1), "n={n} count={count}");
                assert!(sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1);
            }
        }
    }

    #[test]
    fn the_fingerprint_changes_with_program_data_and_grid() {
        let frame = Frame::new(vec![0, 1], vec!["x".into()], vec![vec![1.0, 2.0]]);
        let grid = Grid { names: vec!["a".into()], bindings: vec![vec![1.0], vec![2.0]], varying: vec![true], active: vec![vec![true], vec![true]] };
        let f = fingerprint("p", &frame, &grid);
        assert_eq!(f.len(), 32);
        assert_eq!(f, fingerprint("p", &frame.clone(), &grid.clone()));
        assert_ne!(f, fingerprint("q", &frame, &grid));
        let mut other = frame.clone();
        other.columns[0][1] = 2.0000000001;
        assert_ne!(f, fingerprint("p", &other, &grid));
        let mut g2 = grid.clone();
        g2.bindings[1][0] = 3.0;
        assert_ne!(f, fingerprint("p", &frame, &g2));
    }
}
