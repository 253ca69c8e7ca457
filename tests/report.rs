//! End-to-end tests of `strat report` (issue 15): the tear sheet of bundled examples through the
//! real CLI is one self-contained HTML page (no script, no network), its metrics are the values
//! of `strat run --json`, its monthly and annual returns are the compounded daily returns of
//! `strat run --out` (computed here independently), its worst drawdown is the run's max drawdown,
//! and it holds every chart.

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};
use serde_json::Value;
use std::collections::BTreeMap;

/// Every `data-key="K" data-value="V"` pair of the page.
fn values(html: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let mut rest = html;
    while let Some(i) = rest.find("data-key=\"") {
        rest = &rest[i + 10..];
        let key = &rest[..rest.find('"').unwrap()];
        let v = &rest[rest.find("data-value=\"").unwrap() + 12..];
        let v = &v[..v.find('"').unwrap()];
        let x = match v {
            "NaN" => f64::NAN,
            "inf" => f64::INFINITY,
            "-inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("data-value {v}")),
        };
        out.insert(key.to_string(), x);
    }
    out
}

fn same(a: f64, b: f64) -> bool {
    (a.is_nan() && b.is_nan()) || a == b
}

fn json_f64(v: &Value) -> f64 {
    match v {
        Value::Null => f64::NAN,
        Value::String(s) if s == "inf" => f64::INFINITY,
        Value::String(s) if s == "-inf" => f64::NEG_INFINITY,
        v => v.as_f64().unwrap(),
    }
}

#[test]
fn the_tear_sheet_holds_the_runs_numbers_and_every_chart() {
    for example in ["vix_guard", "vix_guard_kill", "tsmom_hedge", "regime_ensemble"] {
        let dir = TempDir::new("report");
        let d = dir.path();
        let file = root().join(format!("examples/{example}.strat"));
        let r = strat_in(d, &["report", &s(&file), "--out", "r.html"]).code(0, example);
        assert!(r.stdout.contains("r.html: tear sheet of "), "{}", r.stdout);
        let html = std::fs::read_to_string(d.join("r.html")).unwrap();
        // Self-contained: nothing to fetch, nothing to run.
        for bad in ["<script", "<link", "src=\"http", "href=\"http", "@import", "url("] {
            assert!(!html.contains(bad), "{example}: the page contains {bad}");
        }
        for id in ["metrics", "equity", "underwater", "worst-drawdowns", "monthly", "annual", "rolling-sharpe", "rolling-volatility", "exposure", "program"] {
            assert!(html.contains(&format!("<section id=\"{id}\"")), "{example}: no section {id}");
        }
        assert!(html.matches("<svg").count() >= 6, "{example}: charts");
        if example == "vix_guard_kill" {
            assert!(html.contains("<section id=\"kill-switches\""), "kill switches");
        }
        let v = values(&html);
        // The metrics are those of `strat run --json`, value for value.
        let run: Value = serde_json::from_str(&strat_in(d, &["run", &s(&file), "--json"]).code(0, "run").stdout).unwrap();
        for (k, x) in run["metrics"].as_object().unwrap() {
            let got = v.get(&format!("strategy.{k}")).copied().unwrap_or_else(|| panic!("{example}: no strategy.{k}"));
            assert!(same(got, json_f64(x)), "{example}: {k}: page {got}, json {x}");
        }
        if let Some(b) = run["benchmark"].as_object() {
            for (k, x) in b {
                assert!(same(v[&format!("benchmark.{k}")], json_f64(x)), "{example}: benchmark {k}");
            }
        }
        // The worst drawdown is the max drawdown.
        let md = json_f64(&run["metrics"]["max_drawdown"]);
        assert!((v["drawdown.1"] - md).abs() <= 1e-12 * md.abs().max(1.0), "{example}: worst drawdown {} vs max drawdown {md}", v["drawdown.1"]);
        // Monthly and annual returns: the daily returns of `strat run --out`, compounded here.
        strat_in(d, &["run", &s(&file), "--out", "daily.csv"]).code(0, "daily");
        let text = std::fs::read_to_string(d.join("daily.csv")).unwrap();
        let mut lines = text.lines();
        let head: Vec<&str> = lines.next().unwrap().split(',').collect();
        let (di, ri) = (head.iter().position(|h| *h == "date").unwrap(), head.iter().position(|h| *h == "return").unwrap());
        let mut months: BTreeMap<String, f64> = BTreeMap::new();
        let mut years: BTreeMap<String, f64> = BTreeMap::new();
        for l in lines {
            let f: Vec<&str> = l.split(',').collect();
            let Ok(r) = f[ri].parse::<f64>() else { continue };
            *months.entry(f[di][..7].to_string()).or_insert(1.0) *= 1.0 + r;
            *years.entry(f[di][..4].to_string()).or_insert(1.0) *= 1.0 + r;
        }
        assert!(months.len() > 12, "{example}");
        for (m, g) in &months {
            let got = v[&format!("month.{m}")];
            assert!((got - (g - 1.0)).abs() <= 1e-12, "{example}: month {m}: page {got}, daily {}", g - 1.0);
        }
        for (y, g) in &years {
            assert!((v[&format!("year.{y}")] - (g - 1.0)).abs() <= 1e-12, "{example}: year {y}");
        }
        assert_eq!(v.keys().filter(|k| k.starts_with("month.")).count(), months.len());
    }
}

#[test]
fn the_report_refuses_what_it_would_overwrite_and_other_formats() {
    let dir = TempDir::new("report-refusals");
    let d = dir.path();
    let file = s(&root().join("examples/vix_guard.strat"));
    strat_in(d, &["report", &file, "--out", "r.txt"]).code(2, "not html").says("strat::cli::out", "code");
    strat_in(d, &["report", &file]).code(0, "default name");
    assert!(d.join("report.html").exists());
    strat_in(d, &["report", &file]).code(1, "exists").says("strat::io::exists", "code");
    strat_in(d, &["report", &file, "--force", "--set", "spike_z=3"]).code(0, "force and set");
    strat_in(d, &["report", &file, "--force", "--set", "nope=3"]).code(1, "unknown param").says("strat::param::set", "code");
}

#[test]
fn the_walk_forward_and_sweep_pages_hold_the_studies_numbers() {
    let dir = TempDir::new("report-studies");
    let d = dir.path();
    let regime = s(&root().join("examples/regime_ensemble.strat"));
    let wf: Value =
        serde_json::from_str(&strat_in(d, &["walk-forward", &regime, "--quiet", "--json", "--report", "wf.html"]).code(0, "walk-forward").stdout).unwrap();
    let html = std::fs::read_to_string(d.join("wf.html")).unwrap();
    for bad in ["<script", "<link", "src=\"http", "href=\"http"] {
        assert!(!html.contains(bad), "walk-forward page contains {bad}");
    }
    for id in ["selection", "folds", "fold-chart", "metrics", "equity", "underwater"] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "walk-forward page: no section {id}");
    }
    let v = values(&html);
    let folds = wf["folds"].as_array().unwrap();
    assert!(!folds.is_empty());
    for (k, f) in folds.iter().enumerate() {
        assert!(same(v[&format!("fold.{}.in_sample", k + 1)], json_f64(&f["in_sample"])), "fold {k} in-sample");
        assert!(same(v[&format!("fold.{}.out_of_sample", k + 1)], json_f64(&f["out_of_sample"])), "fold {k} out of sample");
        assert!(html.contains(&format!("#{} ", f["binding"])), "fold {k}: its binding");
    }
    for key in ["deflated_sharpe", "in_sample_mean", "out_of_sample_mean", "degradation"] {
        assert!(same(v[key], json_f64(&wf[key])), "{key}");
    }
    for (k, x) in wf["out_of_sample"].as_object().unwrap() {
        assert!(same(v[&format!("oos.{k}")], json_f64(x)), "out-of-sample {k}");
    }
    // The sweep page: the top bindings are the best rows of --json, with heatmaps.
    let tsmom = s(&root().join("examples/tsmom_hedge.strat"));
    let sw: Value = serde_json::from_str(
        &strat_in(d, &["sweep", &tsmom, "--quiet", "--json", "--by", "calmar", "--report", "sweep.html", "--heatmap", "sharpe", "--heatmap", "max_drawdown"])
            .code(0, "sweep")
            .stdout,
    )
    .unwrap();
    let html = std::fs::read_to_string(d.join("sweep.html")).unwrap();
    for id in ["top", "heatmap-sharpe", "heatmap-max_drawdown", "distribution"] {
        assert!(html.contains(&format!("<section id=\"{id}\"")), "sweep page: no section {id}");
    }
    let v = values(&html);
    let mut calmars: Vec<f64> = sw["rows"].as_array().unwrap().iter().filter_map(|r| r["metrics"]["calmar"].as_f64()).collect();
    calmars.sort_by(|a, b| b.total_cmp(a));
    assert_eq!(v["top.1.calmar"], calmars[0], "the best binding by calmar");
    assert_eq!(v["top.10.calmar"], calmars[9]);
    // --report is the whole study's: refused on a shard; an .html file.
    strat_in(d, &["sweep", &tsmom, "--shard", "1/2", "--out", "p.csv", "--report", "x.html"]).code(2, "shard report").says("strat::cli::shard", "code");
    strat_in(d, &["walk-forward", &regime, "--shard", "1/2", "--out", "p.parquet", "--report", "x.html"])
        .code(2, "wf shard report")
        .says("strat::cli::shard", "code");
    strat_in(d, &["sweep", &tsmom, "--report", "x.txt"]).code(2, "not html").says("strat::cli::out", "code");
    strat_in(d, &["walk-forward", &regime, "--report", "wf.html"]).code(1, "exists").says("strat::io::exists", "code");
}

/// Beta and alpha of `--json` against an independent computation: the VIX guard's daily
/// returns (`strat run --out`) and the S&P 500's close-to-close returns read from the data file.
#[test]
fn beta_and_alpha_follow_empyricals_definition() {
    let dir = TempDir::new("beta");
    let d = dir.path();
    let file = s(&root().join("examples/vix_guard.strat"));
    let run: Value = serde_json::from_str(&strat_in(d, &["run", &file, "--json", "--out", "daily.csv"]).code(0, "run").stdout).unwrap();
    let data = std::fs::read_to_string(root().join("examples/data/spx_vix.csv")).unwrap();
    let spx: Vec<(String, f64)> = data
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap())
        })
        .collect();
    let bench: BTreeMap<&str, f64> = spx.windows(2).map(|w| (w[1].0.as_str(), w[1].1 / w[0].1 - 1.0)).collect();
    let daily = std::fs::read_to_string(d.join("daily.csv")).unwrap();
    let head: Vec<&str> = daily.lines().next().unwrap().split(',').collect();
    let ri = head.iter().position(|h| *h == "return").unwrap();
    let (mut r, mut b) = (vec![], vec![]);
    for l in daily.lines().skip(1) {
        let f: Vec<&str> = l.split(',').collect();
        if let Ok(x) = f[ri].parse::<f64>() {
            r.push(x);
            b.push(bench[f[0]]);
        }
    }
    assert_eq!(r.len() as u64, run["bars"].as_u64().unwrap());
    let n = r.len() as f64;
    let mb = b.iter().sum::<f64>() / n;
    let mr = r.iter().sum::<f64>() / n;
    let cov: f64 = r.iter().zip(&b).map(|(x, y)| (x - mr) * (y - mb)).sum();
    let var: f64 = b.iter().map(|y| (y - mb) * (y - mb)).sum();
    let beta = cov / var;
    let resid = r.iter().zip(&b).map(|(x, y)| x - beta * y).sum::<f64>() / n;
    let alpha = (1.0 + resid).powf(252.0) - 1.0;
    let (jb, ja) = (run["beta"].as_f64().unwrap(), run["alpha"].as_f64().unwrap());
    assert!((jb - beta).abs() <= 1e-12 * beta.abs(), "beta {jb} vs {beta}");
    assert!((ja - alpha).abs() <= 1e-10 * alpha.abs().max(1e-3), "alpha {ja} vs {alpha}");
    assert!(jb > 0.5 && jb < 1.0, "a guarded long book has a beta below 1: {jb}");
    // Without a benchmark both are null.
    let tsmom: Value = serde_json::from_str(&strat_in(d, &["run", &s(&root().join("examples/tsmom_hedge.strat")), "--json"]).code(0, "tsmom").stdout).unwrap();
    assert!(tsmom["beta"].is_null() && tsmom["alpha"].is_null());
}

/// The round trips of `strat run --trades` and their summary in `--json`, against round trips
/// computed here from the daily weights of `strat run --out` and the prices of the data file.
#[test]
fn round_trips_follow_the_held_weights_and_the_prices() {
    for (example, data, columns) in [
        ("vix_guard", "spx_vix.csv", vec![("spx", "weight")]),
        (
            "tsmom_hedge",
            "crypto_close.csv",
            ["btc", "eth", "bnb", "xrp", "ada", "doge", "ltc", "link"]
                .iter()
                .map(|a| (*a, Box::leak(format!("weight_{a}").into_boxed_str()) as &str))
                .collect(),
        ),
    ] {
        let dir = TempDir::new("trades");
        let d = dir.path();
        let file = s(&root().join(format!("examples/{example}.strat")));
        let run: Value =
            serde_json::from_str(&strat_in(d, &["run", &file, "--json", "--out", "daily.csv", "--trades", "trades.csv"]).code(0, example).stdout).unwrap();
        let table = |p: &str| -> (Vec<String>, Vec<Vec<String>>) {
            let text = std::fs::read_to_string(p).unwrap();
            let mut lines = text.lines();
            let head = lines.next().unwrap().split(',').map(str::to_string).collect();
            (head, lines.map(|l| l.split(',').map(str::to_string).collect()).collect())
        };
        let (dh, daily) = table(&s(&d.join("daily.csv")));
        let (ph, prices) = table(&s(&root().join(format!("examples/data/{data}"))));
        let price_of: BTreeMap<(String, String), f64> = prices
            .iter()
            .flat_map(|row| ph.iter().enumerate().skip(1).filter_map(move |(k, c)| row[k].parse::<f64>().ok().map(|p| ((row[0].clone(), c.clone()), p))))
            .collect();
        let dates: Vec<String> = daily.iter().map(|r| r[0].clone()).collect();
        let mut want: Vec<(String, String, String, usize, f64)> = vec![];
        for (asset, col) in &columns {
            let k = dh.iter().position(|h| h == col).unwrap_or_else(|| panic!("{example}: no column {col}"));
            let w: Vec<f64> = daily.iter().map(|r| r[k].parse::<f64>().unwrap_or(0.0)).collect();
            let ret = |t: usize| price_of[&(dates[t].clone(), asset.to_string())] / price_of[&(dates[t - 1].clone(), asset.to_string())] - 1.0;
            let mut t = 0;
            while t < w.len() {
                if w[t] == 0.0 {
                    t += 1;
                    continue;
                }
                let (a, sign, mut g) = (t, w[t].signum(), 1.0);
                while t < w.len() && w[t] != 0.0 && w[t].signum() == sign {
                    if t + 1 < w.len() {
                        g *= 1.0 + w[t] * ret(t + 1);
                    }
                    t += 1;
                }
                let exit = if t < w.len() { dates[t].clone() } else { String::new() };
                want.push((asset.to_string(), dates[a].clone(), exit, t - a, g - 1.0));
            }
        }
        let (th, got) = table(&s(&d.join("trades.csv")));
        assert_eq!(th, ["asset", "side", "entry", "exit", "entry_weight", "mean_weight", "bars", "days", "return"]);
        assert_eq!(got.len(), want.len(), "{example}: number of round trips");
        assert!(!got.is_empty() && (example == "vix_guard" || got.len() > 3), "{example}: {} trades", got.len());
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((g[2].as_str(), g[3].trim_matches('"'), g[6].parse::<usize>().unwrap()), (w.1.as_str(), w.2.as_str(), w.3), "{example}: {g:?} vs {w:?}");
            assert!(g[0].ends_with(&w.0), "{example}: asset {} vs {}", g[0], w.0);
            let r: f64 = g[8].parse().unwrap();
            assert!((r - w.4).abs() <= 1e-12 * w.4.abs().max(1e-6), "{example}: return {r} vs {}", w.4);
        }
        let closed: Vec<f64> = want.iter().filter(|w| !w.2.is_empty()).map(|w| w.4).collect();
        let wins = closed.iter().filter(|&&r| r > 0.0).count();
        let j = &run["trades"];
        assert_eq!(j["count"].as_u64().unwrap() as usize, want.len());
        assert_eq!(j["open"].as_u64().unwrap() as usize, want.len() - closed.len());
        if closed.is_empty() {
            // One trade open from the first live bar to the end: nothing closed to rate.
            assert!(j["win_rate"].is_null() && j["profit_factor"].is_null(), "{example}: {j}");
            continue;
        }
        assert!((json_f64(&j["win_rate"]) - wins as f64 / closed.len() as f64).abs() < 1e-12, "{example}: win rate");
        let gain: f64 = closed.iter().filter(|&&r| r > 0.0).sum();
        let loss: f64 = -closed.iter().filter(|&&r| r < 0.0).sum::<f64>();
        assert!((json_f64(&j["profit_factor"]) - gain / loss).abs() <= 1e-9 * (gain / loss), "{example}: profit factor");
    }
    // An ensemble's book has no round trips of its own.
    let dir = TempDir::new("trades-ensemble");
    let regime = s(&root().join("examples/regime_ensemble.strat"));
    strat_in(dir.path(), &["run", &regime, "--trades", "t.csv"]).code(2, "ensemble").says("strat::cli::no_trades", "code");
    let j: Value = serde_json::from_str(&strat_in(dir.path(), &["run", &regime, "--json"]).code(0, "json").stdout).unwrap();
    assert!(j["trades"].is_null());
}

/// The pixels of a PNG file: (width, height, RGB bytes).
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes)).read_info().expect("a PNG header");
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG size")];
    let info = reader.next_frame(&mut buf).expect("PNG pixels");
    assert_eq!(info.color_type, png::ColorType::Rgb, "8-bit RGB");
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

#[test]
fn report_png_writes_one_image_per_chart_of_the_page() {
    let dir = TempDir::new("report-png");
    let d = dir.path();
    let file = s(&root().join("examples/vix_guard_alerts.strat"));
    let r = strat_in(d, &["report", &file, "--out", "r.html", "--png", "png"]).code(0, "png");
    assert!(r.stdout.contains("charts as PNG"), "{}", r.stdout);
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    // One PNG per chart section of the page, named after the section.
    let mut sections: Vec<String> = html
        .match_indices("<section id=\"")
        .map(|(i, _)| html[i + 13..].split('"').next().unwrap().to_string())
        .filter(|id| html.contains(&format!("<section id=\"{id}\" class=\"chart\"")))
        .collect();
    sections.sort();
    let mut files: Vec<String> = std::fs::read_dir(d.join("png")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    files.sort();
    let expected: Vec<String> = sections.iter().map(|id| format!("{id}.png")).collect();
    assert_eq!(files, expected);
    for id in ["equity", "underwater", "annual", "rolling-sharpe", "exposure", "kill-active", "alerts-fired"] {
        assert!(files.contains(&format!("{id}.png")), "no {id}.png in {files:?}");
    }
    for f in &files {
        let (w, h, px) = decode_png(&std::fs::read(d.join("png").join(f)).unwrap());
        assert!(w >= 600 && h >= 100, "{f}: {w}×{h}");
        assert_eq!(px.len(), (w * h * 3) as usize, "{f}");
        // A chart, not a blank page: white ground, dark text (title and axis labels), colour.
        let pixels: Vec<&[u8]> = px.chunks(3).collect();
        let white = pixels.iter().filter(|p| p.iter().all(|&c| c == 255)).count();
        let dark = pixels.iter().filter(|p| p.iter().all(|&c| c < 80)).count();
        let coloured = pixels.iter().filter(|p| p.iter().max().unwrap() - p.iter().min().unwrap() > 60).count();
        assert!(white > pixels.len() / 3, "{f}: background {white}");
        assert!(dark > 200, "{f}: no text ({dark} dark pixels)");
        assert!(coloured > 200, "{f}: no coloured marks ({coloured})");
    }
    // The equity chart of the SVG and the PNG show the same title.
    assert!(html.contains("Cumulative return"), "equity title");
    // Refusals: existing PNGs without --force, a file where a folder should be.
    strat_in(d, &["report", &file, "--out", "r2.html", "--png", "png"]).code(1, "exists").says("strat::io::exists", "code");
    assert!(!d.join("r2.html").exists(), "nothing written when a PNG would be overwritten");
    strat_in(d, &["report", &file, "--out", "r2.html", "--png", "r.html"]).code(2, "not a folder").says("strat::cli::png", "code");
    strat_in(d, &["report", &file, "--out", "r2.html", "--png", "png", "--force"]).code(0, "force");
}

#[test]
fn the_tear_sheet_lists_each_alert_as_run_json_does() {
    let dir = TempDir::new("report-alerts");
    let d = dir.path();
    let file = s(&root().join("examples/vix_guard_alerts.strat"));
    strat_in(d, &["report", &file, "--out", "r.html"]).code(0, "report");
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("<section id=\"alerts\""), "alerts section");
    let v = values(&html);
    let run: Value = serde_json::from_str(&strat_in(d, &["run", &file, "--json"]).code(0, "run").stdout).unwrap();
    let alerts = run["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 5);
    for a in alerts {
        let name = a["name"].as_str().unwrap();
        assert_eq!(v[&format!("alert.{name}.fired_bars")], a["fired_bars"].as_f64().unwrap(), "{name}");
        assert_eq!(v[&format!("alert.{name}.fired_share")], a["fired_share"].as_f64().unwrap(), "{name}");
        assert_eq!(v[&format!("alert.{name}.episodes")], a["episodes"].as_array().unwrap().len() as f64, "{name}");
        assert!(html.contains(&format!("<tr data-alert=\"{name}\">")), "{name} row");
        // The last episode is listed with its dates.
        if let Some(e) = a["episodes"].as_array().unwrap().last() {
            let row = format!("<tr><th>{name}</th><td>{}</td><td>{}</td>", e["start"].as_str().unwrap(), e["end"].as_str().unwrap());
            assert!(html.contains(&row), "{name}: last episode {row}");
        }
    }
}

/// `strat run --out`'s columns by name, every cell parsed (empty as NaN).
fn csv_columns(text: &str) -> (Vec<String>, BTreeMap<String, Vec<f64>>) {
    let mut lines = text.lines();
    let head: Vec<String> = lines.next().unwrap().split(',').map(str::to_string).collect();
    let mut dates = vec![];
    let mut cols: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for l in lines {
        for (h, f) in head.iter().zip(l.split(',')) {
            if h == "date" {
                dates.push(f.to_string());
            } else {
                cols.entry(h.clone()).or_default().push(f.parse().unwrap_or(f64::NAN));
            }
        }
    }
    (dates, cols)
}

#[test]
fn the_equity_chart_is_shaded_by_regime_and_returns_are_split_by_its_arms() {
    let dir = TempDir::new("report-regimes");
    let d = dir.path();
    let file = s(&root().join("examples/regime_ensemble.strat"));
    strat_in(d, &["report", &file, "--out", "r.html"]).code(0, "report");
    strat_in(d, &["run", &file, "--out", "daily.csv"]).code(0, "daily");
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("shaded by the arm of `state`"), "equity shading");
    let (dates, cols) = csv_columns(&std::fs::read_to_string(d.join("daily.csv")).unwrap());
    let arm = &cols["regime_state"];
    // The regime recomputed here from the S&P 500 and the VIX closes, as the program states it:
    // BULL when spx > sma(spx, 200) and vix < 25, HIGH_VOL when vix >= 30, BEAR otherwise.
    let text = std::fs::read_to_string(root().join("examples/data/spx_vix.csv")).unwrap();
    let rows: Vec<(String, f64, f64)> = text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_string(), f[1].parse().unwrap(), f[2].parse().unwrap())
        })
        .collect();
    let at: BTreeMap<&str, usize> = rows.iter().enumerate().map(|(i, r)| (r.0.as_str(), i)).collect();
    for (k, date) in dates.iter().enumerate() {
        let i = at[date.as_str()];
        let sma = rows[i + 1 - 200..=i].iter().map(|r| r.1).sum::<f64>() / 200.0;
        let (spx, vix) = (rows[i].1, rows[i].2);
        let want = if spx > sma && vix < 25.0 {
            0.0
        } else if vix >= 30.0 {
            1.0
        } else {
            2.0
        };
        assert_eq!(arm[k], want, "{date}: arm {} (spx {spx}, sma {sma}, vix {vix})", arm[k]);
    }
    // Each arm's returns: those of the rows after a close in that arm, compounded here.
    let v = values(&html);
    let ret = &cols["return"];
    let mut total = 0.0;
    for (a, name) in ["BULL", "HIGH_VOL", "BEAR"].iter().enumerate() {
        let rets: Vec<f64> = (1..ret.len()).filter(|&k| arm[k - 1] == a as f64).map(|k| ret[k]).collect();
        let compounded = rets.iter().fold(1.0, |e, r| e * (1.0 + r)) - 1.0;
        let n = rets.len() as f64;
        let mean = rets.iter().sum::<f64>() / n;
        let sd = (rets.iter().map(|r| (r - mean) * (r - mean)).sum::<f64>() / (n - 1.0)).sqrt();
        let key = |k: &str| v[&format!("regime.state.{name}.{k}")];
        assert_eq!(key("bars"), n, "{name} bars");
        assert!((key("share") - n / (ret.len() - 1) as f64).abs() < 1e-15, "{name} share");
        assert!((key("return") - compounded).abs() <= 1e-12 * compounded.abs().max(1.0), "{name}: {} vs {compounded}", key("return"));
        assert!((key("mean") - mean * 252.0).abs() <= 1e-12, "{name} mean");
        assert!((key("volatility") - sd * 252f64.sqrt()).abs() <= 1e-12, "{name} volatility");
        assert!((key("sharpe") - mean / sd * 252f64.sqrt()).abs() <= 1e-10, "{name} sharpe");
        total += n;
    }
    assert_eq!(total as usize, ret.len() - 1, "every return in one arm");
}

#[test]
fn the_report_takes_a_linear_equity_axis_and_the_other_conventions() {
    let dir = TempDir::new("report-conventions");
    let d = dir.path();
    let file = s(&root().join("examples/vix_guard.strat"));
    strat_in(d, &["report", &file, "--out", "r.html", "--linear", "--var", "parametric", "--ir", "per-period"]).code(0, "report");
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("Equity (growth of 1, linear scale)") && !html.contains("log scale"), "linear equity axis");
    assert!(html.contains("id=\"conventions\"") && html.contains("var_95 is parametric"), "the page names the conventions");
    let v = values(&html);
    let asked: Value =
        serde_json::from_str(&strat_in(d, &["run", &file, "--json", "--var", "parametric", "--ir", "per-period"]).code(0, "run").stdout).unwrap();
    let plain: Value = serde_json::from_str(&strat_in(d, &["run", &file, "--json"]).code(0, "run").stdout).unwrap();
    assert_eq!(v["strategy.var_95"], json_f64(&asked["metrics"]["var_95"]));
    assert_eq!(v["benchmark.var_95"], json_f64(&asked["benchmark"]["var_95"]));
    assert_eq!(v["strategy.information_ratio"], json_f64(&asked["information_ratio"]));
    assert_ne!(asked["metrics"]["var_95"], plain["metrics"]["var_95"], "parametric differs from historical");
    // Per period: the annualised ratio over √252.
    let (a, p) = (json_f64(&asked["information_ratio"]), json_f64(&plain["information_ratio"]));
    assert!((a - p / 252f64.sqrt()).abs() <= 1e-12 * p.abs(), "{a} vs {p}");
    // Without them, the default page says log scale and names no convention.
    strat_in(d, &["report", &file, "--out", "plain.html"]).code(0, "plain");
    let plain_html = std::fs::read_to_string(d.join("plain.html")).unwrap();
    assert!(plain_html.contains("log scale") && !plain_html.contains("id=\"conventions\""));
    strat_in(d, &["run", &file, "--var", "normal"]).code(2, "bad method");
}

#[test]
fn the_program_section_gives_each_data_files_date_range() {
    let dir = TempDir::new("report-sources");
    let d = dir.path();
    let file = s(&root().join("examples/regime_ensemble.strat"));
    strat_in(d, &["report", &file, "--out", "r.html"]).code(0, "report");
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let row = |name: &str| {
        let at = html.find(&format!("<tr data-source=\"{name}\">")).unwrap_or_else(|| panic!("no row for {name}"));
        html[at..at + html[at..].find("</tr>").unwrap()].to_string()
    };
    // The ETF file's read columns (tlt, ief, gld), first and last rows with a value, counted
    // here from the CSV over the aligned dates (those of the stock file, the latest to start).
    let read = |f: &str| std::fs::read_to_string(root().join("examples/data").join(f)).unwrap();
    let stocks = read("stocks_adj_close.csv");
    let window: Vec<&str> = stocks.lines().skip(1).map(|l| &l[..10]).collect();
    let (lo, hi) = (window[0], *window.last().unwrap());
    let etf = read("etf_adj_close.csv");
    let head: Vec<&str> = etf.lines().next().unwrap().split(',').collect();
    let idx: Vec<usize> = ["tlt", "ief", "gld"].iter().map(|c| head.iter().position(|h| h == c).unwrap()).collect();
    let with_data: Vec<&str> = etf
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split(',').collect();
            f[0] >= lo && f[0] <= hi && idx.iter().any(|&i| f.get(i).is_some_and(|v| !v.is_empty()))
        })
        .map(|l| &l[..10])
        .collect();
    let safe = row("safe");
    assert!(
        safe.contains(&format!("<td>{}</td><td>{}</td><td class=\"n\">{}</td>", with_data[0], with_data.last().unwrap(), with_data.len())),
        "{safe} vs {} .. {} ({})",
        with_data[0],
        with_data.last().unwrap(),
        with_data.len()
    );
    assert!(row("stocks").contains(&format!("<td>{lo}</td><td>{hi}</td>")), "{}", row("stocks"));
}

#[test]
fn a_reported_condition_shows_when_the_guard_was_on() {
    let dir = TempDir::new("report-conditions");
    let d = dir.path();
    let file = s(&root().join("examples/vix_guard.strat"));
    strat_in(d, &["report", &file, "--out", "r.html"]).code(0, "report");
    strat_in(d, &["run", &file, "--out", "daily.csv"]).code(0, "daily");
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("<section id=\"conditions-on\" class=\"chart\""), "strip chart");
    let v = values(&html);
    let run: Value = serde_json::from_str(&strat_in(d, &["run", &file, "--json"]).code(0, "run").stdout).unwrap();
    assert_eq!(v["condition.guard_active.share"], json_f64(&run["reports"]["guard_active"]));
    // `report guard_active = exposure < 100%` and the book holds `exposure`: the guard's
    // episodes are the runs of held weights below 1 in the daily file.
    let (_, cols) = csv_columns(&std::fs::read_to_string(d.join("daily.csv")).unwrap());
    let w = &cols["weight"];
    let runs = (0..w.len()).filter(|&k| w[k] < 1.0 && (k == 0 || w[k - 1] >= 1.0)).count();
    assert!(runs > 10, "{runs}");
    assert_eq!(v["condition.guard_active.episodes"], runs as f64);
}
