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

/// The pixels of an 8-bit RGB or RGBA PNG, decoded by the `png` crate: (width, height, RGB
/// triples).
fn png_pixels(bytes: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels");
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "8-bit samples");
    let bpp = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        t => panic!("PNG colour type {t:?}"),
    };
    let px = buf[..info.buffer_size()].chunks(bpp).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width as usize, info.height as usize, px)
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
    let file = root().join("examples/vix_guard_alerts.strat");
    strat_in(d, &["report", &s(&file), "--out", "r.html"]).code(0, "report");
    let url = format!("file://{}", d.join("r.html").display());
    // The DOM after load: every section with its chart, and the run's numbers.
    let (ok, dom, log) = headless(&browser, d, &["--dump-dom"], &url);
    assert!(ok, "chromium --dump-dom failed:\n{log}");
    assert!(!log.contains(":CONSOLE"), "the page logged to the console:\n{log}");
    for id in ["equity", "underwater", "annual", "rolling-sharpe", "rolling-volatility", "exposure", "kill-active", "alerts-fired"] {
        let at = dom.find(&format!("<section id=\"{id}\"")).unwrap_or_else(|| panic!("no section {id} in the DOM"));
        let end = at + dom[at..].find("</section>").unwrap();
        assert!(dom[at..end].contains("<svg"), "section {id} has no chart");
    }
    let run: serde_json::Value = serde_json::from_str(&strat_in(d, &["run", &s(&file), "--json"]).code(0, "run").stdout).unwrap();
    let sharpe = run["metrics"]["sharpe"].as_f64().unwrap();
    assert!(dom.contains(&format!("data-key=\"strategy.sharpe\" data-value=\"{sharpe:?}\"")), "the DOM's Sharpe is not the run's {sharpe}");
    for a in run["alerts"].as_array().unwrap() {
        let (name, n) = (a["name"].as_str().unwrap(), a["fired_bars"].as_u64().unwrap());
        assert!(dom.contains(&format!("data-key=\"alert.{name}.fired_bars\" data-value=\"{n}\"")), "alert {name}: the DOM's fired bars are not the run's {n}");
    }
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
