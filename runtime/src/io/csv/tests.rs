use std::path::Path;

use super::fields::{count_fields, split_record};
use super::file::format_size;
use super::number::in_range_fast;
use super::scan::{plain_lines, plain_records, quoted_records, Line};
use super::*;
use crate::frame::{format_date, parse_date};

#[test]
fn numbers() {
    for (s, x) in [("1", 1.0f64), ("-2.5", -2.5), ("+.5", 0.5), ("5.", 5.0), ("1e3", 1000.0), ("1.06606e+11", 1.06606e11), ("0.1", 0.1), ("-0", -0.0)] {
        assert_eq!(parse_number(s).unwrap().to_bits(), x.to_bits(), "{s}");
    }
    assert!(parse_number("").unwrap().is_nan());
    for bad in ["nan", "NaN", "inf", "-inf", "infinity", "abc", " 1", "1 ", "1,5", "1e", "e5", ".", "-", "1.2.3", "0x10", "1_000", "1e400", "--1"] {
        assert!(parse_number(bad).is_err(), "{bad}");
    }
    assert_eq!(parse_number("nan").unwrap_err(), "cannot parse \"nan\" as a number (write an empty field for a missing value)");
    assert_eq!(parse_number("1e400").unwrap_err(), "number \"1e400\" is out of range");
}

/// A temporary CSV file `date,x` with one row per cell, removed on drop.
struct TempCsv(std::path::PathBuf);

impl TempCsv {
    fn new(tag: &str, cells: &[&str]) -> TempCsv {
        let path = std::env::temp_dir().join(format!("strat-csv-{}-{tag}.csv", std::process::id()));
        let mut text = String::from("date,x\n");
        for (i, c) in cells.iter().enumerate() {
            text.push_str(&format!("{},{c}\n", format_date(parse_date("2000-01-01").unwrap() + i as i32)));
        }
        std::fs::write(&path, text).unwrap();
        TempCsv(path)
    }
}

impl Drop for TempCsv {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn bits(f: &Frame) -> Vec<Vec<u64>> {
    f.columns.iter().map(|c| c.iter().map(|x| x.to_bits()).collect()).collect()
}

/// Both reads of a file: the same frame to the bit, or the same error.
fn same_both_ways(path: &Path, columns: &[String]) -> Option<bool> {
    let opts = ReadOptions::default();
    match (read_csv_via(path, columns, true, &opts), read_csv_via(path, columns, false, &opts)) {
        (Ok((a, used)), Ok((b, false))) => {
            assert_eq!(a.dates, b.dates, "{}", path.display());
            assert_eq!(bits(&a), bits(&b), "{}", path.display());
            Some(used)
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "{}", path.display());
            None
        }
        (a, b) => panic!("{}: {:?} against {:?}", path.display(), a.map(|f| f.1), b.map(|f| f.1)),
    }
}

/// Every bundled data file reads to the same bits through polars' `Float64` parser as through
/// `parse_number`, and takes the `Float64` read.
#[test]
fn float_read_is_bit_identical_on_the_bundled_data() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data");
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "csv") {
            let columns = read_header(&path).unwrap();
            // Long-format files (`date,ticker,...`) are read by `read_long_csv`, whose values
            // tests/reference_qm.rs checks bit for bit against pandas.
            if columns.first().is_some_and(|c| c == "ticker") {
                continue;
            }
            assert_eq!(same_both_ways(&path, &columns), Some(true), "{}", path.display());
            n += 1;
        }
    }
    assert!(n >= 4, "the bundled data files were not found in {}", dir.display());
}

/// Cells `parse_number` accepts, hard cases of rounding and range included.
const GOOD_CELLS: &[&str] = &[
    "0",
    "-0",
    "+0",
    "1",
    "-2.5",
    "+.5",
    "5.",
    ".5",
    "1e3",
    "1E+3",
    "1e-3",
    "1.e5",
    "007",
    "0.1",
    "0.2",
    "0.3",
    "9007199254740993",
    "1e100",
    "-1e100",
    "1e-100",
    "-1e-100",
    "9.99999999999999999999999e99",
    "1.00000000000000000000001e-100",
    "1e-400",
    "0e999999",
    "1.00000000000000011102230246251565404236316680908203125",
    "1.00000000000000011102230246251565404236316680908203124",
    "0.000000000000000000000000000000000000000000000000000000001234567890123456789012345",
    "123456789012345678901234567890123456789012345678901234567890e-30",
    "",
];

/// Cells `parse_number` rejects or that are out of range.
const BAD_CELLS: &[&str] = &[
    "nan",
    "NaN",
    "+nan",
    "-nan",
    "inf",
    "-inf",
    "+inf",
    "Infinity",
    "-INFINITY",
    "infin",
    "1e400",
    "-1e400",
    "1e99999999999",
    "1.7976931348623157e308",
    "2.2250738585072011e-308",
    "4.9e-324",
    "2.4703282292062328e-324",
    "1e-320",
    "-1e-320",
    "1e101",
    "-1.0000001e100",
    "1e309",
    "9.9e-101",
    "abc",
    "1e",
    "e5",
    ".",
    "-",
    "+",
    "1.2.3",
    "0x10",
    "1_000",
    "--1",
    "+-1",
    "1e+",
    "1e-",
    ".e5",
    "1,5",
    "1d5",
    "1f",
    "0b1",
    "١",
];

/// Cells that `parse_number` accepts read to the same bits through `Float64` (correct rounding
/// on hard cases), and every cell it rejects is rejected with the same error: the `Float64`
/// read accepts no more than `parse_number`.
#[test]
fn float_read_accepts_exactly_parse_number() {
    let file = TempCsv::new("good", GOOD_CELLS);
    assert_eq!(same_both_ways(&file.0, &["x".to_string()]), Some(true));
    let mut bad: Vec<String> = BAD_CELLS.iter().map(|s| s.to_string()).collect();
    // Short strings over the number alphabet, from a fixed pseudo-random sequence.
    let mut seed = 7u64;
    let alphabet = b"0123456789.+-eE";
    for _ in 0..300 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let len = 1 + (seed >> 60) as usize % 6;
        let cell: String = (0..len).map(|i| alphabet[((seed >> (8 * i)) % alphabet.len() as u64) as usize] as char).collect();
        if parse_number(&cell).map_or(true, |x| out_of_range(x).is_some()) {
            bad.push(cell);
        } else {
            let file = TempCsv::new("fuzz", &[&cell]);
            assert_eq!(same_both_ways(&file.0, &["x".to_string()]), Some(true), "{cell:?}");
        }
    }
    for (i, cell) in bad.iter().enumerate() {
        let file = TempCsv::new(&format!("bad{i}"), &["1", cell]);
        assert_eq!(same_both_ways(&file.0, &["x".to_string()]), None, "{cell:?} was accepted");
    }
}

/// The new test files (range, line endings, separators) give the same error both ways.
#[test]
fn both_reads_agree_on_the_bad_test_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let cols = ["spx".to_string(), "vix".to_string()];
    for name in ["huge_value.csv", "inf_value.csv", "subnormal.csv", "semicolon_row.csv", "mixed_cr.csv", "nul_byte.csv"] {
        assert_eq!(same_both_ways(&dir.join(name), &cols), None, "{name} was accepted");
    }
    assert_eq!(same_both_ways(&dir.join("range_edges.csv"), &cols), Some(true));
}

#[test]
fn range() {
    for x in [0.0, -0.0, f64::NAN, 1e100, -1e100, 1e-100, -1e-100, 4742.83, 1.0] {
        assert_eq!(out_of_range(x), None, "{x}");
        assert!(in_range_fast(x), "{x}");
    }
    for x in [1e101, -1e300, f64::MAX, 1e-101, -1e-200, 1e-320, f64::MIN_POSITIVE, 5e-324, f64::INFINITY, f64::NEG_INFINITY] {
        assert!(out_of_range(x).is_some(), "{x}");
        assert!(!in_range_fast(x), "{x}");
    }
    assert_eq!(out_of_range(1e-320).unwrap(), "number 1e-320 is subnormal (too close to zero; nonzero numbers must be at least 1e-100 in magnitude)");
    assert_eq!(out_of_range(-1.5e150).unwrap(), "number -1.5e150 is out of range (larger than 1e100 in magnitude)");
}

#[test]
fn sizes() {
    assert_eq!(format_size(12), "12 bytes");
    assert_eq!(format_size(4 << 30), "4294967296 bytes (4 GiB)");
    assert_eq!(format_size(1536), "1536 bytes (1.5 KiB)");
}

#[test]
fn plain_records_split_as_quoted_records() {
    let long = format!("{}\n{}, x\n", "a,".repeat(300), "é,\t".repeat(100));
    for text in ["a\nb\n", "a\nb", "a\n\nb", "\n", "a", "a,b\n\n", "x\r\ny\r\n", "", ",, ,\n\t\n,", long.as_str()] {
        assert_eq!(plain_records(text), quoted_records(text), "{text:?}");
        // The one-pass split: the same records, each with the counts of its own pass.
        let expected: Vec<Line> = plain_records(text)
            .into_iter()
            .map(|(line, rec)| {
                let commas = rec.bytes().filter(|&b| b == b',').count();
                let odd = rec.bytes().any(|b| b == b' ' || b == b'\t' || b == b'\r');
                Line { line, text: rec, commas, odd }
            })
            .collect();
        assert_eq!(plain_lines(text), expected, "{text:?}");
    }
}

#[test]
fn records() {
    assert_eq!(split_record("a,b,,c").unwrap(), ["a", "b", "", "c"]);
    assert_eq!(split_record("\"a,b\",\"x\"\"y\"").unwrap(), ["a,b", "x\"y"]);
    assert_eq!(split_record("").unwrap(), [""]);
    assert!(split_record("\"a").is_err());
    assert!(split_record("\"a\"b").is_err());
    for rec in ["a,b,,c", "\"a,b\",\"x\"\"y\"", "", "\"a", "\"a\"b", "a\"b", ",", "\"\"", "\"\",", "é,\"ü\"\"\",x"] {
        assert_eq!(count_fields(rec), split_record(rec).map(|f| f.len()), "{rec}");
    }
}

/// The structure scan: each record's line, the plain flag, and the errors that name a line
/// (a field count off the header's, an empty line, a carriage return inside a line), on lines
/// short and longer than the scan's 255-byte blocks.
#[test]
fn the_structure_scan_counts_fields_and_flags_each_line() {
    use super::scan::scan;
    let p = Path::new("t.csv");
    let ok = |text: &str| scan(p, text.as_bytes()).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    let err = |text: &str| scan(p, text.as_bytes()).err().unwrap_or_else(|| panic!("{text:?} was accepted")).to_string();

    let s = ok("date,x,y\n2000-01-03,1,2\n2000-01-04,3,4\n");
    assert_eq!((s.records, s.plain), (vec![2, 3], true));
    assert!(!ok("date,x\r\n2000-01-03,1\r\n").plain, "CRLF");
    assert!(!ok("date,x\n2000-01-03, 1\n").plain, "a space");
    assert!(!ok("date,x\n2000-01-03,\t1\n").plain, "a tab");

    let e = err("date,x,y\n2000-01-03,1,2\n2000-01-04,1\n");
    assert!(e.starts_with("t.csv:3:") && e.contains("2 fields, but the header has 3 columns"), "{e}");
    let e = err("date,x,y\n2000-01-03,1,2,3\n");
    assert!(e.starts_with("t.csv:2:") && e.contains("4 fields, but the header has 3 columns"), "{e}");
    let e = err("date,x\n2000-01-03,1\n\n2000-01-05,2\n");
    assert!(e.starts_with("t.csv:3:") && e.contains("empty line"), "{e}");
    let e = err("date,x\n2000-01-03,1\r2000-01-04,2\n");
    assert!(e.starts_with("t.csv:2:") && e.contains("carriage return"), "{e}");

    // 300 columns: lines of more than 255 bytes and commas.
    let header: Vec<String> = (0..300).map(|j| format!("c{j}")).collect();
    let row = |cells: usize| (0..cells).map(|j| format!("{}.5", j % 10)).collect::<Vec<_>>().join(",");
    let text = format!("date,{}\n2000-01-03,{}\n2000-01-04,{}\n", header.join(","), row(300), row(300));
    assert_eq!(ok(&text).records, vec![2, 3]);
    let text = format!("date,{}\n2000-01-03,{}\n2000-01-04,{}\n", header.join(","), row(300), row(299));
    let e = err(&text);
    assert!(e.starts_with("t.csv:3:") && e.contains("300 fields, but the header has 301 columns"), "{e}");
}
