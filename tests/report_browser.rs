//! The tear sheet in a real browser (issue 15): Debian's Chromium, headless, opens the page
//! `strat report` writes, logs no console message, and its screenshot is a page with charts
//! (mostly white, with the strategy's blue lines and the red underwater area drawn); its DOM
//! holds every section with its chart and the run's numbers.
//!
//! Chromium is `$STRAT_CHROMIUM`, else `chromium` on the PATH. Without it the test is skipped,
//! unless `$STRAT_REQUIRE_CHROMIUM=1` (scripts/test.sh sets it; .ci/run installs the package).

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("STRAT_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("chromium")).find(|p| p.is_file())
}

/// Headless Chromium on `url` with `args`; returns (status ok, stdout, stderr).
fn headless(browser: &Path, dir: &Path, args: &[&str], url: &str) -> (bool, String, String) {
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium starts");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The pixels of an 8-bit RGB or RGBA PNG (non-interlaced, as Chromium writes screenshots):
/// (width, height, RGB triples).
fn png_pixels(bytes: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "a PNG file");
    let (mut w, mut h, mut bpp) = (0usize, 0usize, 0usize);
    let mut idat = vec![];
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let data = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                w = u32::from_be_bytes(data[0..4].try_into().unwrap()) as usize;
                h = u32::from_be_bytes(data[4..8].try_into().unwrap()) as usize;
                assert_eq!(data[8], 8, "8-bit samples");
                bpp = match data[9] {
                    2 => 3,
                    6 => 4,
                    t => panic!("PNG colour type {t}"),
                };
                assert_eq!(data[12], 0, "not interlaced");
            }
            b"IDAT" => idat.extend_from_slice(data),
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = vec![];
    flate2::read::ZlibDecoder::new(&idat[..]).read_to_end(&mut raw).unwrap();
    let stride = w * bpp;
    let mut prev = vec![0u8; stride];
    let mut px = Vec::with_capacity(w * h);
    for y in 0..h {
        let row = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let (filter, line) = (row[0], &row[1..]);
        let mut cur = vec![0u8; stride];
        for i in 0..stride {
            let a = if i >= bpp { cur[i - bpp] as i32 } else { 0 };
            let b = prev[i] as i32;
            let c = if i >= bpp { prev[i - bpp] as i32 } else { 0 };
            let pred = match filter {
                0 => 0,
                1 => a,
                2 => b,
                3 => (a + b) / 2,
                4 => {
                    let p = a + b - c;
                    let (pa, pb, pc) = ((p - a).abs(), (p - b).abs(), (p - c).abs());
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                f => panic!("PNG filter {f}"),
            };
            cur[i] = (line[i] as i32 + pred) as u8;
        }
        for x in 0..w {
            px.push([cur[x * bpp], cur[x * bpp + 1], cur[x * bpp + 2]]);
        }
        prev = cur;
    }
    (w, h, px)
}

#[test]
fn the_tear_sheet_renders_in_headless_chromium() {
    let Some(browser) = chromium() else {
        if std::env::var("STRAT_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("STRAT_REQUIRE_CHROMIUM=1 but no chromium: install Debian's `chromium` (apt-get install chromium) or set STRAT_CHROMIUM");
        }
        eprintln!("skipped: no chromium (apt-get install chromium, or set STRAT_CHROMIUM)");
        return;
    };
    let dir = TempDir::new("report-browser");
    let d = dir.path();
    let file = root().join("examples/vix_guard.strat");
    strat_in(d, &["report", &s(&file), "--out", "r.html"]).code(0, "report");
    let url = format!("file://{}", d.join("r.html").display());
    // The DOM after load: every section with its chart, and the run's numbers.
    let (ok, dom, log) = headless(&browser, d, &["--dump-dom"], &url);
    assert!(ok, "chromium --dump-dom failed:\n{log}");
    assert!(!log.contains(":CONSOLE"), "the page logged to the console:\n{log}");
    for id in ["equity", "underwater", "annual", "rolling-sharpe", "rolling-volatility", "exposure"] {
        let at = dom.find(&format!("<section id=\"{id}\"")).unwrap_or_else(|| panic!("no section {id} in the DOM"));
        let end = at + dom[at..].find("</section>").unwrap();
        assert!(dom[at..end].contains("<svg"), "section {id} has no chart");
    }
    let run: serde_json::Value = serde_json::from_str(&strat_in(d, &["run", &s(&file), "--json"]).code(0, "run").stdout).unwrap();
    let sharpe = run["metrics"]["sharpe"].as_f64().unwrap();
    assert!(dom.contains(&format!("data-key=\"strategy.sharpe\" data-value=\"{sharpe:?}\"")), "the DOM's Sharpe is not the run's {sharpe}");
    // The walk-forward's and the sweep's pages load without a console message, charts and all.
    let regime = s(&root().join("examples/regime_ensemble.strat"));
    strat_in(d, &["walk-forward", &regime, "--quiet", "--report", "wf.html"]).code(0, "walk-forward report");
    strat_in(d, &["sweep", &s(&root().join("examples/tsmom_hedge.strat")), "--quiet", "--report", "sweep.html"]).code(0, "sweep report");
    for (page, sections) in [("wf.html", &["folds", "equity", "underwater"][..]), ("sweep.html", &["top", "heatmap-sharpe", "distribution"][..])] {
        let (ok, dom, log) = headless(&browser, d, &["--dump-dom"], &format!("file://{}", d.join(page).display()));
        assert!(ok && !log.contains(":CONSOLE"), "{page}:\n{log}");
        for id in sections {
            assert!(dom.contains(&format!("<section id=\"{id}\"")), "{page}: no section {id}");
        }
        assert!(dom.matches("<svg").count() >= 2, "{page}: charts");
    }
    // The screenshot: a page, not a blank one, with the charts drawn.
    let shot = d.join("shot.png");
    let (ok, _, log) = headless(&browser, d, &["--window-size=1100,5000", &format!("--screenshot={}", shot.display())], &url);
    assert!(ok && shot.exists(), "chromium --screenshot failed:\n{log}");
    assert!(!log.contains(":CONSOLE"), "the page logged to the console:\n{log}");
    let (w, h, px) = png_pixels(&std::fs::read(&shot).unwrap());
    assert_eq!((w, h), (1100, 5000));
    // The strategy's blue (31, 96, 168) and the underwater red (190, 40, 40, and its 35 % tint),
    // told apart from the grey of anti-aliased text and grid lines by their hue.
    let bluish = |p: &[u8; 3]| p[2] as i32 - p[0] as i32 > 80 && p[2] > 120;
    let reddish = |p: &[u8; 3]| p[0] as i32 - p[1] as i32 > 50 && p[0] as i32 - p[2] as i32 > 50;
    let white = px.iter().filter(|p| p.iter().all(|&v| v >= 245)).count() as f64 / px.len() as f64;
    let blue = px.iter().filter(|p| bluish(p)).count();
    let red = px.iter().filter(|p| reddish(p)).count();
    assert!(white > 0.5 && white < 0.98, "white share {white:.3}: a blank or a broken page");
    assert!(blue > 2_000, "{blue} pixels of the strategy's blue: the equity and rolling charts are not drawn");
    assert!(red > 5_000, "{red} red pixels: the underwater chart is not drawn");
    // The equity chart sits above the underwater chart, as the page orders them: the first
    // row with strategy-blue comes before the first row with the underwater red.
    let first_row = |f: &dyn Fn(&[u8; 3]) -> bool| px.iter().position(f).map(|i| i / w).unwrap_or(h);
    let (b, r) = (first_row(&bluish), first_row(&reddish));
    assert!(b < r, "the charts are not in the page's order: blue from row {b}, red from row {r}");
}
