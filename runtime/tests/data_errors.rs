//! Bad input files give a `DataError` naming the file, the line and the column; good files read
//! back exactly. Test files live in `runtime/testdata/`.

use std::path::{Path, PathBuf};

use strat_runtime::frame::{format_date, parse_date};
use strat_runtime::io::csv::{MAX_ABS_VALUE, MAX_HEADER_BYTES, MIN_ABS_VALUE};
use strat_runtime::io::{inner_join, read_csv, read_csv_with, read_header, read_header_with, DataError, ReadOptions};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata").join(name)
}

fn cols(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// Reads `file` expecting an error, and checks its location and that the message contains `needle`.
fn expect_err(file: &str, columns: &[&str], line: Option<usize>, column: Option<&str>, needle: &str) -> DataError {
    let path = data(file);
    let err = match read_csv(&path, &cols(columns)) {
        Ok(f) => panic!("{file}: expected an error, read {} rows", f.len()),
        Err(e) => e,
    };
    assert_eq!(err.file, path, "{err}");
    assert_eq!(err.line, line, "{err}");
    assert_eq!(err.column.as_deref(), column, "{err}");
    assert!(err.message.contains(needle), "{err}: message lacks {needle:?}");
    let shown = err.to_string();
    assert!(shown.starts_with(&path.display().to_string()), "{shown}");
    if let Some(l) = line {
        assert!(shown.contains(&format!(":{l}: ")), "{shown}");
    }
    if let Some(c) = column {
        assert!(shown.contains(&format!("column '{c}'")), "{shown}");
    }
    err
}

#[test]
fn good_file_round_trip() {
    let path = data("good.csv");
    assert_eq!(read_header(&path).unwrap(), ["spx", "vix", "note"]);
    let f = read_csv(&path, &cols(&["vix", "spx"])).unwrap();
    assert_eq!(f.len(), 4);
    assert_eq!(f.dates.iter().map(|&d| format_date(d)).collect::<Vec<_>>(), ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]);
    assert_eq!(f.dates[0], parse_date("2024-01-02").unwrap());
    assert_eq!(f.names, ["vix", "spx"]); // requested order
    assert_eq!(f.column("spx").unwrap(), [4742.83, 4704.81, 4688.68, 4697.24]);
    let vix = f.column("vix").unwrap();
    assert_eq!(vix[0], 13.2);
    assert!(vix[1].is_nan()); // empty field
    assert_eq!(&vix[2..], [14.06, 13.35]);
    // every value knows its file line
    for j in 0..2 {
        let o = f.origin(j).unwrap();
        assert_eq!(o.file, path);
        assert_eq!(*o.lines, [2, 3, 4, 5]);
    }
    assert_eq!(f.origin(0).unwrap().column, "vix");
    // only the date column
    let d = read_csv(&path, &[]).unwrap();
    assert_eq!((d.len(), d.width()), (4, 0));
}

#[test]
fn bom_and_crlf() {
    let path = data("good_bom_crlf.csv");
    assert_eq!(read_header(&path).unwrap(), ["spx", "vix"]);
    let f = read_csv(&path, &cols(&["spx", "vix"])).unwrap();
    assert_eq!(f.column("spx").unwrap(), [4742.83, 4704.81]);
    let vix = f.column("vix").unwrap();
    assert_eq!(vix[0], 13.2);
    assert!(vix[1].is_nan());
}

#[test]
fn quoted_fields_spanning_lines_keep_line_numbers() {
    let path = data("multiline_quoted.csv");
    // row 0 starts on line 2 and spans lines 2-3; row 1 is line 4; row 2 is line 5
    let f = read_csv(&path, &cols(&[])).unwrap();
    assert_eq!(f.len(), 3);
    expect_err("multiline_quoted.csv", &["x"], Some(5), Some("x"), "cannot parse \"x9\" as a number");
}

#[test]
fn unsorted_date() {
    expect_err("unsorted_date.csv", &["spx"], Some(4), Some("date"), "earlier than 2024-01-04 on line 3");
}

#[test]
fn duplicate_date() {
    expect_err("duplicate_date.csv", &["spx"], Some(5), Some("date"), "duplicate date 2024-01-04 (also on line 4)");
}

#[test]
fn bad_date() {
    expect_err("bad_date.csv", &["spx"], Some(3), Some("date"), "cannot parse \"2024-02-30\" as a date");
    expect_err("bad_date_format.csv", &[], Some(3), Some("date"), "expected YYYY-MM-DD");
}

#[test]
fn bad_number() {
    let e = expect_err("bad_number.csv", &["spx", "vix"], Some(4), Some("vix"), "cannot parse \"abc\" as a number");
    assert_eq!(e.to_string(), format!("{}:4: column 'vix': cannot parse \"abc\" as a number", data("bad_number.csv").display()));
    // an unrequested bad column is not read
    assert_eq!(read_csv(&data("bad_number.csv"), &cols(&["spx"])).unwrap().len(), 3);
    expect_err("nan_text.csv", &["spx"], Some(3), Some("spx"), "empty field for a missing value");
}

#[test]
fn missing_column() {
    let e = expect_err("good.csv", &["spx", "vxx"], Some(1), Some("vxx"), "no such column");
    assert!(e.message.contains("'spx', 'vix', 'note'"), "{e}");
    expect_err("good.csv", &["date"], None, Some("date"), "row index");
    expect_err("good.csv", &["spx", "spx"], None, Some("spx"), "requested twice");
}

#[test]
fn missing_file() {
    let path = data("does_not_exist.csv");
    for err in [read_csv(&path, &cols(&["spx"])).unwrap_err(), read_header(&path).unwrap_err()] {
        assert_eq!(err.file, path);
        assert_eq!((err.line, err.column.as_deref()), (None, None));
        assert_eq!(err.to_string(), format!("{}: no such file", path.display()));
    }
}

#[test]
fn no_rows() {
    expect_err("no_rows.csv", &["spx"], Some(1), None, "no data rows");
    expect_err("empty.csv", &["spx"], None, None, "the file is empty");
    let e = read_header(&data("empty.csv")).unwrap_err();
    assert!(e.message.contains("empty"), "{e}");
}

#[test]
fn header_not_starting_with_date() {
    expect_err("no_date_header.csv", &["spx"], Some(1), Some("Date"), "first column must be named 'date'");
    expect_err("date_not_first.csv", &["spx"], Some(1), Some("spx"), "first column must be named 'date'");
    let e = read_header(&data("no_date_header.csv")).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(1), Some("Date")));
}

#[test]
fn duplicate_column_name() {
    expect_err("duplicate_column.csv", &["vix"], Some(1), Some("spx"), "duplicate column name (columns 2 and 4)");
    assert!(read_header(&data("duplicate_column.csv")).is_err());
}

#[test]
fn ragged_and_empty_lines() {
    expect_err("ragged_short.csv", &["spx"], Some(3), None, "2 fields, but the header has 3 columns");
    expect_err("ragged_long.csv", &["spx"], Some(3), None, "4 fields, but the header has 3 columns");
    expect_err("empty_line.csv", &["spx"], Some(3), None, "empty line");
    expect_err("not_utf8.csv", &["x"], Some(3), None, "not valid UTF-8");
}

#[test]
fn inner_join_keeps_file_lines() {
    let a = read_csv(&data("join_a.csv"), &cols(&["close"])).unwrap();
    let b = read_csv(&data("join_b.csv"), &cols(&["level"])).unwrap();
    let j = inner_join(vec![("spx".into(), a), ("vix".into(), b)]);
    let dates: Vec<String> = j.dates.iter().map(|&d| format_date(d)).collect();
    assert_eq!(dates, ["2024-01-02", "2024-01-03", "2024-01-08"]);
    assert_eq!(j.names, ["spx.close", "vix.level"]);
    assert_eq!(j.column("spx.close").unwrap(), [11.0, 12.0, -1.0]);
    assert_eq!(j.column("vix.level").unwrap(), [20.0, 21.0, 23.0]);

    // A later check finds a non-positive price on joined row 2 and names its file line.
    let col = j.column_index("spx.close").unwrap();
    let row = j.columns[col].iter().position(|&p| p <= 0.0).unwrap();
    let e = DataError::at_row(&j, col, row, "non-positive price -1");
    assert_eq!(e.file, data("join_a.csv"));
    assert_eq!(e.line, Some(6));
    assert_eq!(e.column.as_deref(), Some("close"));
    assert_eq!(e.to_string(), format!("{}:6: column 'close': non-positive price -1", data("join_a.csv").display()));
    assert_eq!(j.location(1, 2).unwrap(), (data("join_b.csv").as_path(), 5));
}

#[test]
fn bundled_example_data() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/spx_vix.csv");
    assert_eq!(read_header(&path).unwrap(), ["spx", "vix"]);
    let f = read_csv(&path, &cols(&["spx", "vix"])).unwrap();
    assert_eq!(f.len(), 9192);
    assert_eq!(format_date(f.dates[0]), "1990-01-02");
    assert_eq!(format_date(*f.dates.last().unwrap()), "2026-07-09");
    assert!(f.columns.iter().flatten().all(|x| x.is_finite() && *x > 0.0));
    assert_eq!((f.column("spx").unwrap()[0], f.column("vix").unwrap()[0]), (359.69, 17.24));
}

/// Deterministic pseudo-random generator (no extra crates).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[(self.next() as usize) % xs.len()]
    }
}

fn tmp_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn garbage_never_panics_and_always_locates() {
    let mut rng = Lcg(42);
    let good = ["1", "2.5", "", "-3e2", "\"4\"", "\"\"", "0.125"];
    let cells = ["1", "2.5", "", "-3e2", "\"4\"", "\"\"", "x", "\"a\nb\"", "\"q\"\"\"", "a\"b", "nan", " 7", "1,2"];
    for case in 0..400usize {
        let mut text = String::from(if case.is_multiple_of(7) { "date,a,\"b\"\r\n" } else { "date,a,b\n" });
        let mut day = parse_date("2020-01-01").unwrap();
        for _ in 0..(rng.next() % 6) {
            day += (rng.next() % 3) as i32 - case.is_multiple_of(5) as i32;
            let date = if rng.next().is_multiple_of(20) { "2020-13-01".to_string() } else { format_date(day) };
            let cell = |rng: &mut Lcg| {
                let set: &[&str] = if rng.next().is_multiple_of(4) { &cells } else { &good };
                rng.pick(set)
            };
            let (a, b) = (cell(&mut rng), cell(&mut rng));
            text.push_str(&format!("{date},{a},{b}"));
            text.push_str(if rng.next().is_multiple_of(8) { rng.pick(&["\n\n", ",\n", ""]) } else { rng.pick(&["\n", "\r\n"]) });
        }
        let path = tmp_file(&format!("fuzz_{case}.csv"), text.as_bytes());
        match read_csv(&path, &cols(&["a", "b"])) {
            Ok(f) => {
                assert!(!f.is_empty());
                assert!(f.dates.windows(2).all(|w| w[0] < w[1]));
                let lines = &f.origin(0).unwrap().lines;
                assert_eq!(lines.len(), f.len());
                assert!(lines.windows(2).all(|w| w[0] < w[1]) && lines[0] >= 2, "{text:?}");
            }
            Err(e) => {
                assert_eq!(e.file, path);
                assert!(!e.message.contains("internal error") && !e.message.contains("CSV parser"), "{e}\n{text:?}");
                assert!(e.line.is_some() || e.message.contains("no such column") || e.message.contains("empty"), "{e}\n{text:?}");
            }
        }
    }
}

#[test]
fn large_file_with_multiline_quotes_keeps_line_numbers() {
    // Big enough for polars to parse in several chunks.
    let mut text = String::from("date,note,x\n");
    let mut day = parse_date("1900-01-01").unwrap();
    let mut line = 2;
    let mut expect = Vec::new();
    for i in 0..60_000 {
        day += 1;
        expect.push(line);
        if i % 97 == 0 {
            text.push_str(&format!("{},\"multi\nline, \"\"quoted\"\"\",{i}.5\n", format_date(day)));
            line += 2;
        } else {
            text.push_str(&format!("{},plain,{i}.5\n", format_date(day)));
            line += 1;
        }
    }
    let path = tmp_file("large_multiline.csv", text.as_bytes());
    let f = read_csv(&path, &cols(&["x"])).unwrap();
    assert_eq!(f.len(), 60_000);
    assert_eq!(*f.origin(0).unwrap().lines, expect.iter().map(|&l| l as u32).collect::<Vec<_>>());
    assert!(f.columns[0].iter().enumerate().all(|(i, &x)| x == i as f64 + 0.5));

    // a bad value near the end is reported on its own line
    let bad = text.replacen("59998.5", "oops", 1);
    let path = tmp_file("large_multiline_bad.csv", bad.as_bytes());
    let e = read_csv(&path, &cols(&["x"])).unwrap_err();
    assert_eq!((e.line, e.column.as_deref()), (Some(expect[59_998]), Some("x")), "{e}");
}

/// Runs `f` on another thread and fails the test if it takes longer than `secs` (a read that
/// blocks on a FIFO or loops on a device must not hang the suite).
fn within<T: Send + 'static>(secs: u64, what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs)).unwrap_or_else(|_| panic!("{what}: no answer within {secs} s"))
}

/// Both the header read and the full read of `path` fail with `code`, naming the file, and the
/// message contains `needle`.
fn both_fail(path: &Path, code: &str, needle: &str) {
    let p = path.to_path_buf();
    let (h, c) = within(5, &path.display().to_string(), move || (read_header(&p), read_csv(&p, &cols(&["spx"]))));
    for e in [h.unwrap_err(), c.unwrap_err()] {
        assert_eq!(e.file, path, "{e}");
        assert_eq!(e.code, code, "{e}");
        assert!(e.message.contains(needle), "{e}: lacks {needle:?}");
        assert!(e.help.is_some(), "{e}: no help");
        assert!(e.to_string().starts_with(&path.display().to_string()), "{e}");
    }
}

#[cfg(unix)]
#[test]
fn devices_fifos_and_directories_are_not_read() {
    both_fail(Path::new("/dev/zero"), "strat::data::not_a_file", "not a regular file (a character device)");
    both_fail(Path::new("/dev/null"), "strat::data::not_a_file", "character device");
    both_fail(&data(""), "strat::data::not_a_file", "a directory");
    let fifo = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fifo-{}.csv", std::process::id()));
    let _ = std::fs::remove_file(&fifo);
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    both_fail(&fifo, "strat::data::not_a_file", "FIFO");
    let _ = std::fs::remove_file(&fifo);
    // a symbolic link to a regular file is read
    let link = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("link-{}.csv", std::process::id()));
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(data("good.csv"), &link).unwrap();
    assert_eq!(read_csv(&link, &cols(&["spx"])).unwrap().len(), 4);
    let _ = std::fs::remove_file(&link);
}

#[test]
fn the_size_limit_is_checked_before_reading() {
    let path = data("good.csv");
    let size = std::fs::metadata(&path).unwrap().len();
    let small = ReadOptions { max_bytes: 100 };
    for e in [read_header_with(&path, &small).unwrap_err(), read_csv_with(&path, &cols(&["spx"]), &small).unwrap_err()] {
        assert_eq!(e.code, "strat::data::too_large");
        assert_eq!(e.file, path);
        assert_eq!(e.message, format!("the file is {size} bytes, larger than the data-file limit of 100 bytes"));
        assert!(e.help.as_deref().unwrap().contains("--max-data-bytes"), "{e}");
    }
    // exactly the limit is fine
    let exact = ReadOptions { max_bytes: size };
    assert_eq!(read_csv_with(&path, &cols(&["spx"]), &exact).unwrap().len(), 4);
    assert_eq!(ReadOptions::default().max_bytes, 4 << 30);
}

#[test]
fn a_first_line_over_1_mib_is_not_a_header() {
    // No newline at all (a binary blob), and a long line that ends eventually.
    let blob = vec![b'a'; MAX_HEADER_BYTES + 10];
    let mut long = b"date,".to_vec();
    long.extend(std::iter::repeat_n(b'x', 2 * MAX_HEADER_BYTES));
    long.extend_from_slice(b"\n2024-01-02,1\n");
    for (name, bytes) in [("blob.csv", blob), ("long_header.csv", long)] {
        let path = tmp_file(name, &bytes);
        for e in [read_header(&path).unwrap_err(), read_csv(&path, &[]).unwrap_err()] {
            assert_eq!(e.code, "strat::data::header_too_long", "{e}");
            assert_eq!((e.file.as_path(), e.line), (path.as_path(), Some(1)));
            assert_eq!(e.message, "header line longer than 1 MiB — is this a CSV file?");
        }
    }
    // exactly 1 MiB is a header (a long one)
    let mut ok = b"date,".to_vec();
    ok.extend(std::iter::repeat_n(b'x', MAX_HEADER_BYTES - 5));
    ok.extend_from_slice(b"\r\n2024-01-02,1\n");
    let path = tmp_file("header_1mib.csv", &ok);
    assert_eq!(read_header(&path).unwrap()[0].len(), MAX_HEADER_BYTES - 5);
    assert_eq!(read_csv(&path, &[]).unwrap().len(), 1);
}

#[test]
fn cr_line_endings_are_named() {
    let e = expect_err("cr_only.csv", &["spx"], Some(1), None, "the file uses CR line endings");
    assert_eq!(e.code, "strat::data::line_endings");
    assert_eq!(e.help.as_deref(), Some("save it with LF or CRLF line endings"));
    let e = read_header(&data("cr_only.csv")).unwrap_err();
    assert_eq!(e.code, "strat::data::line_endings");
    let e = expect_err("mixed_cr.csv", &["spx"], Some(3), None, "carriage return (CR) inside the line");
    assert_eq!(e.code, "strat::data::line_endings");
    // a big CR-only file is CR line endings, not a long header
    let mut big = b"date,x\r".to_vec();
    for i in 0..200_000 {
        big.extend_from_slice(format!("{},{i}\r", format_date(parse_date("1500-01-01").unwrap() + i)).as_bytes());
    }
    let path = tmp_file("cr_big.csv", &big);
    assert_eq!(read_header(&path).unwrap_err().code, "strat::data::line_endings");
    assert_eq!(read_csv(&path, &[]).unwrap_err().code, "strat::data::line_endings");
}

#[test]
fn other_separators_are_named() {
    let e = expect_err("semicolon.csv", &["spx"], Some(1), None, "the header looks `;`-separated; Strat reads comma-separated files");
    assert_eq!(e.code, "strat::data::delimiter");
    assert!(e.help.as_deref().unwrap().contains("`.` as the decimal point"), "{e}");
    assert_eq!(read_header(&data("semicolon.csv")).unwrap_err().code, "strat::data::delimiter");
    let e = expect_err("tab_separated.csv", &["spx"], Some(1), None, "the header looks tab-separated");
    assert_eq!(e.code, "strat::data::delimiter");
    let e = expect_err("semicolon_row.csv", &["spx"], Some(3), None, "1 fields, but the header has 3 columns");
    assert_eq!(e.code, "strat::data::delimiter");
    assert!(e.help.as_deref().unwrap().contains("`;`-separated"), "{e}");
    for header in ["Date;Close;Volume", "\"Date\";\"Close\"", "date|spx"] {
        let path = tmp_file("sep_header.csv", format!("{header}\n2024-01-02;1;2\n").as_bytes());
        assert_eq!(read_header(&path).unwrap_err().code, "strat::data::delimiter", "{header}");
    }
    // a comma-separated header whose names hold `;` is read as it is
    let path = tmp_file("semicolon_in_name.csv", b"date,a;b\n2024-01-02,1\n");
    assert_eq!(read_header(&path).unwrap(), ["a;b"]);
    let e = expect_err("utf16.csv", &["x"], Some(1), None, "UTF-16");
    assert_eq!(e.code, "strat::data::encoding");
}

#[test]
fn control_characters_are_shown_escaped() {
    let e = expect_err("nul_byte.csv", &["spx"], Some(3), Some("spx"), "cannot parse \"47\\x0004.81\" as a number");
    assert!(!e.to_string().contains('\0'), "{e:?}");
    let e = expect_err("control_header.csv", &["spx"], Some(1), None, "holds a control character: \"v\\x07x\"");
    assert!(!e.to_string().contains('\x07'), "{e:?}");
    assert!(read_header(&data("control_header.csv")).is_err());
    // a column name can never carry a control character into a message
    let e = DataError::new("f.csv", "m").with_column("a\u{0}\u{1b}");
    assert_eq!(e.to_string(), "f.csv: column 'a\\0\\x1b': m");
}

#[test]
fn numbers_out_of_range_are_data_errors() {
    let e = expect_err("subnormal.csv", &["spx", "vix"], Some(3), Some("spx"), "number 1e-320 is subnormal");
    assert_eq!(e.code, "strat::data::out_of_range");
    assert!(e.help.as_deref().unwrap().contains("1e-100 to 1e100"), "{e}");
    let e = expect_err("inf_value.csv", &["spx"], Some(3), Some("spx"), "number \"1e309\" is out of range");
    assert_eq!(e.code, "strat::data::out_of_range");
    assert!(e.help.is_some());
    // the first bad cell in the column, whichever kind it is
    let e = expect_err("huge_value.csv", &["vix"], Some(3), Some("vix"), "number 1e150 is out of range (larger than 1e100 in magnitude)");
    assert_eq!(e.code, "strat::data::out_of_range");
    // an unrequested column is not checked
    assert_eq!(read_csv(&data("huge_value.csv"), &cols(&["spx"])).unwrap().len(), 3);
    // the bounds themselves, and zero, are accepted
    let f = read_csv(&data("range_edges.csv"), &cols(&["spx", "vix"])).unwrap();
    assert_eq!(f.column("spx").unwrap(), [0.0, -MAX_ABS_VALUE, MAX_ABS_VALUE]);
    assert_eq!(f.column("vix").unwrap(), [13.2, MIN_ABS_VALUE, -MIN_ABS_VALUE]);
}

/// One byte-wise mutation of `bytes`, chosen by `rng`: insert, delete, duplicate or replace bytes;
/// swap line endings; turn commas into `;`; insert a NUL, a control character, a very long field, a
/// huge, tiny or subnormal number; duplicate or swap lines (duplicate and unsorted dates).
fn mutate(rng: &mut Lcg, bytes: &mut Vec<u8>) {
    const INTERESTING: &[u8] = b",\n\r\";\0\x07\t 0123456789e.-+\xff\xc3\xa9|";
    const NUMBERS: &[&str] = &[
        "1e309",
        "-1e309",
        "1e-320",
        "4.9e-324",
        "1e150",
        "1e100",
        "-1e-100",
        "1e-101",
        "0",
        "1e-400",
        "1.7976931348623157e308",
        "nan",
        "inf",
        "",
        "\"\"",
        "\"1\"",
        "1e99999",
    ];
    let n = bytes.len();
    let at = |rng: &mut Lcg| if n == 0 { 0 } else { rng.next() as usize % (n + 1) };
    match rng.next() % 14 {
        0 => {
            let i = at(rng);
            let b = INTERESTING[rng.next() as usize % INTERESTING.len()];
            bytes.insert(i, b);
        }
        1 if n > 0 => {
            bytes.remove(rng.next() as usize % n);
        }
        2 if n > 0 => {
            let i = rng.next() as usize % n;
            bytes[i] = INTERESTING[rng.next() as usize % INTERESTING.len()];
        }
        3 if n > 0 => {
            // duplicate a range
            let i = rng.next() as usize % n;
            let len = 1 + rng.next() as usize % 40.min(n - i);
            let chunk = bytes[i..i + len].to_vec();
            let j = at(rng);
            bytes.splice(j..j, chunk);
        }
        4 => {
            // every LF becomes CR (an old Mac file), or one of them does
            if rng.next().is_multiple_of(2) {
                bytes.iter_mut().filter(|b| **b == b'\n').for_each(|b| *b = b'\r');
            } else if let Some(i) = bytes.iter().position(|&b| b == b'\n') {
                bytes[i] = b'\r';
            }
        }
        5 => {
            // LF to CRLF, or CRLF to LF
            if bytes.contains(&b'\r') {
                bytes.retain(|&b| b != b'\r');
            } else {
                *bytes = bytes.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
            }
        }
        6 => bytes.iter_mut().filter(|b| **b == b',').for_each(|b| *b = b';'),
        7 => {
            // a very long field: past the plain-line bound, sometimes past the header bound
            let len = if rng.next().is_multiple_of(16) { (1 << 20) + 5 } else { 70_000 };
            let fill = if rng.next().is_multiple_of(2) { b'7' } else { b'x' };
            let i = at(rng);
            bytes.splice(i..i, std::iter::repeat_n(fill, len));
        }
        8 | 9 => {
            // replace one field (between separators) with an extreme number
            let seps: Vec<usize> = bytes.iter().enumerate().filter(|(_, &b)| matches!(b, b',' | b'\n')).map(|(i, _)| i).collect();
            if seps.len() >= 2 {
                let k = rng.next() as usize % (seps.len() - 1);
                let (a, b) = (seps[k] + 1, seps[k + 1]);
                let num = NUMBERS[rng.next() as usize % NUMBERS.len()];
                bytes.splice(a..b, num.bytes());
            }
        }
        10 | 11 => {
            // duplicate a line (a duplicate date) or swap two (unsorted dates)
            let text = bytes.clone();
            let mut lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
            if lines.len() > 2 {
                let i = 1 + rng.next() as usize % (lines.len() - 1);
                let j = 1 + rng.next() as usize % (lines.len() - 1);
                if rng.next().is_multiple_of(2) {
                    lines.insert(j, lines[i]);
                } else {
                    lines.swap(i, j);
                }
                *bytes = lines.concat();
            }
        }
        12 => {
            // a NUL or another control character inside the header or a cell
            let i = at(rng);
            let c = [b'\0', b'\x1b', b'\x07', b'\x7f', b'\x0b'][rng.next() as usize % 5];
            bytes.insert(i, c);
        }
        _ => {
            // truncate
            let i = at(rng);
            bytes.truncate(i);
        }
    }
}

/// Text of a message with no control character except the line break before `help:`.
fn printable(e: &DataError) -> bool {
    let clean = |s: &str| !s.chars().any(char::is_control);
    clean(&e.located()) && e.help.as_deref().is_none_or(clean)
}

#[test]
fn mutated_good_files_never_panic_and_always_locate() {
    let seeds: Vec<Vec<u8>> = ["good.csv", "good_bom_crlf.csv", "join_a.csv", "join_b.csv", "multiline_quoted.csv", "range_edges.csv"]
        .iter()
        .map(|f| std::fs::read(data(f)).unwrap())
        .chain(std::iter::once({
            // a longer plain file, read through the Float64 path
            let mut t = String::from("date,spx,vix\n");
            for i in 0..60 {
                t.push_str(&format!("{},{}.{i},{}\n", format_date(parse_date("2020-01-01").unwrap() + i), 3000 + i * 7, 10 + i % 9));
            }
            t.into_bytes()
        }))
        .collect();
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("fuzz_mutated_{}.csv", std::process::id()));
    let mut rng = Lcg(0x5eed_0009);
    let (mut accepted, mut refused) = (0, 0);
    let mut codes = std::collections::BTreeSet::new();
    for case in 0..3000 {
        let mut bytes = seeds[case % seeds.len()].clone();
        for _ in 0..1 + rng.next() % 3 {
            mutate(&mut rng, &mut bytes);
        }
        std::fs::write(&path, &bytes).unwrap();
        let shown = || String::from_utf8_lossy(&bytes[..bytes.len().min(400)]).escape_debug().to_string();
        let header = read_header(&path);
        let columns = match &header {
            Ok(h) => h.iter().filter(|c| *c != "note").cloned().collect(),
            Err(_) => cols(&["spx"]),
        };
        match read_csv(&path, &columns) {
            Ok(f) => {
                accepted += 1;
                assert_eq!(header.as_ref().ok().map(|h| h.len() >= f.width()), Some(true), "case {case}: the header read failed: {header:?}\n{}", shown());
                assert!(f.dates.windows(2).all(|w| w[0] < w[1]), "case {case}: dates not strictly increasing\n{}", shown());
                for (j, c) in f.columns.iter().enumerate() {
                    for &x in c {
                        assert!(x.is_nan() || strat_runtime::io::csv::out_of_range(x).is_none(), "case {case}: column {j} holds {x:e}\n{}", shown());
                    }
                    let lines = &f.origin(j).unwrap().lines;
                    assert!(lines.len() == f.len() && lines.windows(2).all(|w| w[0] < w[1]), "case {case}\n{}", shown());
                }
            }
            Err(e) => {
                refused += 1;
                codes.insert(e.code);
                assert_eq!(e.file, path, "case {case}: {e}");
                assert!(e.to_string().starts_with(&path.display().to_string()), "case {case}: {e}");
                assert!(printable(&e), "case {case}: raw control character in {e:?}\n{}", shown());
                assert!(!e.message.contains("internal error") && !e.message.contains("CSV parser"), "case {case}: {e}\n{}", shown());
                assert!(e.code.starts_with("strat::data::"), "case {case}: {e}");
            }
        }
        if let Err(e) = header {
            assert_eq!(e.file, path, "case {case}: {e}");
            assert!(printable(&e), "case {case}: raw control character in {e:?}");
        }
    }
    let _ = std::fs::remove_file(&path);
    // The mutations reach both outcomes and the new checks.
    assert!(accepted > 200 && refused > 1000, "accepted {accepted}, refused {refused}");
    for code in ["strat::data::invalid", "strat::data::out_of_range", "strat::data::line_endings", "strat::data::delimiter", "strat::data::header_too_long"] {
        assert!(codes.contains(code), "no case gave {code}: {codes:?}");
    }
}
