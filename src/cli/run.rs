//! `strat run`: one backtest, printed as a table or JSON, with its daily and weights files.

use super::diagnostics::{fail, print_diags, report_failure, warn};
use super::output::{self, daily_columns, to_table};
use super::outputs::{check_output_size, compile_for_outputs, output_format, typed, write_output, Planned};
use super::program::params_from;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use strat::Strategy;

/// `strat run`: checks the outputs, compiles, loads, runs, writes the outputs, prints the table
/// or JSON; returns the exit code.
pub(super) fn run(file: &Path, json: bool, out: Option<PathBuf>, weights_out: Option<PathBuf>, force: bool, set: &[String], reference: bool) -> i32 {
    let mut outs = vec![];
    let mut formats = vec![];
    for (flag, o) in [("--out", &out), ("--weights-out", &weights_out)] {
        if let Some(o) = o {
            match output_format(flag, o) {
                Ok(f) => formats.push(f),
                Err(c) => return c,
            }
            outs.push(Planned { flag: flag.to_string(), path: o.clone() });
        }
    }
    let strategy = match compile_for_outputs(file, &outs, force, reference) {
        Ok(s) => s,
        Err(c) => return c,
    };
    if weights_out.is_some() && strategy.program().weights.is_empty() {
        return fail(
            2,
            "strat::cli::no_weights",
            format!("--weights-out: {} declares no `weights`", file.display()),
            "drop --weights-out, or declare `weights` in the program",
        );
    }
    let params = match params_from(&strategy, set) {
        Ok(p) => p,
        Err(c) => return c,
    };
    for w in strategy.binding_warnings(&params) {
        warn("strat::param::binding", w, "");
    }
    let frame = match strategy.load_data() {
        Ok(f) => f,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let assets = held_assets(&strategy);
    let mut k = 0;
    if out.is_some() {
        // One row per bar at most; date, one weight per held asset, return, equity.
        if let Err(c) = check_output_size(&outs[0], frame.len(), assets.len().max(1) + 3, 0) {
            return c;
        }
        k = 1;
    }
    let result = match strategy.run(&frame, &params) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    let weights_rows = weights_out.as_ref().map(|_| output::weights_rows(&frame, &result));
    if let Some((text, _)) = &weights_rows {
        if let Err(c) = check_output_size(&outs[k], text.first().map(|c| c.1.len()).unwrap_or(0), 7, 0) {
            return c;
        }
    }
    if out.is_some() {
        let (dates, cols) = daily_columns(&frame, &result, &assets);
        if let Err(c) = write_output(&outs[0], formats[0], &typed(vec![("date".into(), dates)], cols)) {
            return c;
        }
    }
    if let Some((text, nums)) = weights_rows {
        if let Err(c) = write_output(&outs[k], formats[k], &typed(text, nums)) {
            return c;
        }
    }
    for w in output::weights_warnings(&frame, &result) {
        warn("strat::weights::fallback", w, "");
    }
    print_diags(&strategy.nan_condition_warnings(&frame, &params));
    let text = if json {
        format!("{}\n", serde_json::to_string(&strategy.report(&frame, &result)).unwrap_or_default())
    } else {
        to_table(strategy.name(), &frame, &result)
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    0
}

pub(super) fn held_assets(strategy: &Strategy) -> Vec<String> {
    strategy.held_assets()
}
