//! End-to-end tests of alerts and `strat monitor` (issue 15, SEMANTICS.md §3b): every alert of
//! `examples/vix_guard_alerts.strat` fires on exactly the rows where its condition, computed
//! here from the data file and from the run's own daily equity, holds; `strat monitor` exits
//! 0 / 1 / 2 and prints the values of the last bar; an alert never reads a later bar (the
//! history of a run on truncated data is the full run's); the JIT and the reference evaluator
//! agree.

mod common;
use common::cli::{s, strat_in};
use common::{root, TempDir};
use serde_json::Value;

/// `examples/data/spx_vix.csv` as (dates, spx, vix).
fn spx_vix() -> (Vec<String>, Vec<f64>, Vec<f64>) {
    let text = std::fs::read_to_string(root().join("examples/data/spx_vix.csv")).unwrap();
    let (mut d, mut p, mut v) = (vec![], vec![], vec![]);
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        d.push(f[0].to_string());
        p.push(f[1].parse().unwrap());
        v.push(f[2].parse().unwrap());
    }
    (d, p, v)
}

/// A CSV written by `--out` as its header and columns of text.
fn read_csv(path: &std::path::Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    let mut cols = vec![vec![]; header.len()];
    for l in lines {
        for (c, x) in cols.iter_mut().zip(l.split(',')) {
            c.push(x.to_string());
        }
    }
    (header, cols)
}

fn col<'a>(csv: &'a (Vec<String>, Vec<Vec<String>>), name: &str) -> &'a [String] {
    let i = csv.0.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name} in {:?}", csv.0));
    &csv.1[i]
}

fn num(x: &str) -> f64 {
    if x.is_empty() {
        f64::NAN
    } else {
        x.parse().unwrap()
    }
}

/// The trailing z-score of `x` over `n` values (sample std, ddof = 1), NaN before `n` values.
fn zscore(x: &[f64], n: usize, t: usize) -> f64 {
    if t + 1 < n {
        return f64::NAN;
    }
    let w = &x[t + 1 - n..=t];
    let m = w.iter().sum::<f64>() / n as f64;
    let sd = (w.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (n - 1) as f64).sqrt();
    (x[t] - m) / sd
}

/// The episodes of `on` as (first, last) indices.
fn episodes(on: &[bool]) -> Vec<(usize, usize)> {
    let mut out = vec![];
    let mut start = None;
    for (i, &f) in on.iter().enumerate() {
        match (f, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i - 1));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, on.len() - 1));
    }
    out
}

fn alert<'a>(json: &'a Value, name: &str) -> &'a Value {
    json["alerts"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap_or_else(|| panic!("no alert {name}"))
}

#[test]
fn every_alert_fires_where_its_condition_holds() {
    let dir = TempDir::new("alerts");
    let ex = root().join("examples");
    let out = dir.join("daily.csv");
    let run = strat_in(&ex, &["run", "vix_guard_alerts.strat", "--json", "--out", &s(&out)]).code(0, "run");
    let json: Value = serde_json::from_str(run.stdout.trim()).unwrap();
    let daily = read_csv(&out);
    let (dates, _, vix) = spx_vix();
    // The daily file runs from the first live row t0 to the last row of the data.
    let t0 = dates.iter().position(|d| *d == col(&daily, "date")[0]).unwrap();
    assert_eq!(col(&daily, "date").last().unwrap(), dates.last().unwrap());
    let rows = dates.len();
    let equity: Vec<f64> = col(&daily, "equity").iter().map(|x| num(x)).collect();
    let ret: Vec<f64> = col(&daily, "return").iter().map(|x| num(x)).collect();
    let mut peak = 1.0f64;
    let drawdown: Vec<f64> = equity
        .iter()
        .map(|&e| {
            peak = peak.max(e);
            e / peak - 1.0
        })
        .collect();
    let kill: Vec<bool> = col(&daily, "kill_crash").iter().map(|x| num(x) == 1.0).collect();
    let expected: Vec<(&str, Vec<bool>)> = vec![
        ("guard_on", (t0..rows).map(|t| vix[t] >= 30.0 || zscore(&vix, 60, t) > 2.5).collect()),
        ("drawdown", drawdown.iter().map(|&d| d < -0.10).collect()),
        // No return on t0 yet: a comparison with it is false.
        ("bad_day", ret.iter().map(|&r| r <= -0.03).collect()),
        ("switched", kill.clone()),
        ("calm", (t0..rows).map(|t| vix[t - 4..=t].iter().cloned().fold(f64::MIN, f64::max) < 15.0).collect()),
    ];
    for (name, want) in &expected {
        let a = alert(&json, name);
        let count = want.iter().filter(|&&b| b).count();
        assert!(count > 0, "{name} never fires: the test would prove nothing");
        assert_eq!(a["fired_bars"], count, "{name}: fired_bars");
        assert_eq!(a["fired_share"].as_f64().unwrap(), count as f64 / want.len() as f64, "{name}: fired_share");
        let eps = episodes(want);
        let got: Vec<(String, String, u64)> = a["episodes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["start"].as_str().unwrap().into(), e["end"].as_str().unwrap().into(), e["bars"].as_u64().unwrap()))
            .collect();
        let want_eps: Vec<(String, String, u64)> = eps.iter().map(|&(a, b)| (dates[t0 + a].clone(), dates[t0 + b].clone(), (b - a + 1) as u64)).collect();
        assert_eq!(got, want_eps, "{name}: episodes");
        assert_eq!(a["first"], want_eps[0].0, "{name}: first");
        assert_eq!(a["last"], want_eps.last().unwrap().1, "{name}: last");
        assert_eq!(a["firing"], *want.last().unwrap(), "{name}: firing on the last bar");
        // `--out` has the alert's column.
        let column: Vec<bool> = col(&daily, &format!("alert_{name}")).iter().map(|x| num(x) == 1.0).collect();
        assert_eq!(&column, want, "{name}: --out column");
    }
    // The values on the last bar.
    let last = rows - 1;
    assert_eq!(alert(&json, "guard_on")["values"]["mkt.vix"].as_f64().unwrap(), vix[last]);
    assert_eq!(alert(&json, "guard_on")["values"]["high_vix"].as_f64().unwrap(), 30.0);
    assert_eq!(alert(&json, "guard_on")["values"]["spike"], Value::Bool(zscore(&vix, 60, last) > 2.5));
    let dd = alert(&json, "drawdown")["values"]["own.drawdown"].as_f64().unwrap();
    assert!((dd - drawdown.last().unwrap()).abs() < 1e-12, "own.drawdown {dd} vs {}", drawdown.last().unwrap());
    let r = alert(&json, "bad_day")["values"]["own.day_return"].as_f64().unwrap();
    assert!((r - ret.last().unwrap()).abs() < 1e-12);
    assert_eq!(alert(&json, "switched")["values"]["crash"], Value::Bool(*kill.last().unwrap()));
    assert_eq!(alert(&json, "calm")["values"]["rolling_max(mkt.vix, 5)"].as_f64().unwrap(), vix[last - 4..].iter().cloned().fold(f64::MIN, f64::max));
    assert_eq!(alert(&json, "calm")["condition"], "rolling_max(mkt.vix, 5) < 15");

    // The table lists them too.
    let table = strat_in(&ex, &["run", "vix_guard_alerts.strat"]).code(0, "run table").stdout;
    let count = |n: &str| expected.iter().find(|e| e.0 == n).unwrap().1.iter().filter(|&&b| b).count();
    assert!(table.lines().any(|l| l.starts_with("guard_on") && l.contains(&count("guard_on").to_string())), "{table}");

    // The reference evaluator agrees.
    let reference = strat_in(&ex, &["run", "vix_guard_alerts.strat", "--json", "--reference"]).code(0, "reference");
    let rj: Value = serde_json::from_str(reference.stdout.trim()).unwrap();
    assert_eq!(rj["alerts"], json["alerts"]);
}

#[test]
fn monitor_exits_0_when_quiet_1_when_an_alert_fires_2_on_an_error() {
    let ex = root().join("examples");
    let (dates, _, vix) = spx_vix();
    let last = vix.len() - 1;
    assert!(vix[last] < 30.0, "the bundled data's last VIX close");
    // Quiet: every alert of the example is quiet on the last bar of the bundled data.
    let quiet = strat_in(&ex, &["monitor", "vix_guard_alerts.strat"]).code(0, "quiet");
    assert!(quiet.stdout.contains(&format!("last bar {}", dates[last])), "{}", quiet.stdout);
    assert!(quiet.stdout.contains("0 of 5 alerts firing"), "{}", quiet.stdout);
    assert!(quiet.stdout.contains(&format!("mkt.vix = {}", vix[last])), "{}", quiet.stdout);
    // A threshold below the last close fires `guard_on`: exit 1, with the values that fired it.
    let set = format!("high_vix={}", vix[last] - 1.0);
    let fired = strat_in(&ex, &["monitor", "vix_guard_alerts.strat", "--set", &set]).code(1, "fired");
    assert!(fired.stdout.lines().any(|l| l.starts_with("FIRING  guard_on")), "{}", fired.stdout);
    assert!(fired.stdout.contains("firing since"), "{}", fired.stdout);
    let json = strat_in(&ex, &["monitor", "vix_guard_alerts.strat", "--json", "--set", &set]).code(1, "fired json");
    let j: Value = serde_json::from_str(json.stdout.trim()).unwrap();
    assert_eq!(j["firing"], serde_json::json!(["guard_on"]));
    assert_eq!(j["date"], dates[last]);
    assert_eq!(alert(&j, "guard_on")["values"]["mkt.vix"].as_f64().unwrap(), vix[last]);
    assert_eq!(alert(&j, "guard_on")["values"]["high_vix"].as_f64().unwrap(), vix[last] - 1.0);
    // Errors are 2, never 1: a missing file, a program without alerts, a bad --set, bad data.
    strat_in(&ex, &["monitor", "missing.strat"]).code(2, "missing file");
    strat_in(&ex, &["monitor", "vix_guard.strat"]).code(2, "no alerts").says("strat::cli::no_alerts", "no alerts");
    strat_in(&ex, &["monitor", "vix_guard_alerts.strat", "--set", "nothing=1"]).code(2, "bad --set");
    let dir = TempDir::new("monitor-bad-data");
    std::fs::create_dir_all(dir.join("data")).unwrap();
    std::fs::write(dir.join("data/spx_vix.csv"), "date,spx,vix\n2020-01-02,100,20\n2020-01-01,101,21\n").unwrap();
    std::fs::copy(ex.join("vix_guard_alerts.strat"), dir.join("a.strat")).unwrap();
    strat_in(&dir, &["monitor", "a.strat"]).code(2, "unsorted data");
}

#[test]
fn an_alert_never_reads_a_later_bar() {
    // Run on the first k rows of the data: every alert's history up to row k-1 is the full
    // run's, and the last bar of the truncated run is what monitor would have said that day.
    let ex = root().join("examples");
    let full_dir = TempDir::new("alerts-full");
    let full_out = full_dir.join("full.csv");
    strat_in(&ex, &["run", "vix_guard_alerts.strat", "--out", &s(&full_out)]).code(0, "full");
    let full = read_csv(&full_out);
    let text = std::fs::read_to_string(ex.join("data/spx_vix.csv")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    for k in [2000, 5555, lines.len() - 200] {
        let dir = TempDir::new("alerts-cut");
        std::fs::create_dir_all(dir.join("data")).unwrap();
        std::fs::write(dir.join("data/spx_vix.csv"), lines[..=k].join("\n") + "\n").unwrap();
        std::fs::copy(ex.join("vix_guard_alerts.strat"), dir.join("a.strat")).unwrap();
        let out = dir.join("cut.csv");
        strat_in(&dir, &["run", "a.strat", "--out", &s(&out)]).code(0, "truncated");
        let cut = read_csv(&out);
        let n = cut.1[0].len();
        for name in ["guard_on", "drawdown", "bad_day", "switched", "calm"] {
            let c = format!("alert_{name}");
            assert_eq!(col(&cut, &c), &col(&full, &c)[..n], "{name} on the first {k} rows");
        }
        let m = strat_in(&dir, &["monitor", "a.strat", "--json"]);
        assert!(m.code == 0 || m.code == 1, "{}", m.stderr);
        let j: Value = serde_json::from_str(m.stdout.trim()).unwrap();
        for name in ["guard_on", "drawdown", "bad_day", "switched", "calm"] {
            let on_that_day = num(&col(&full, &format!("alert_{name}"))[n - 1]) == 1.0;
            assert_eq!(alert(&j, name)["firing"], on_that_day, "{name}: monitor on {}", col(&cut, "date")[n - 1]);
        }
    }
}
