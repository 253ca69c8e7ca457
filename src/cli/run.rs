//! `strat run`: one backtest, printed as a table or JSON, with its daily and weights files.

use super::args::RunArgs;
use super::diagnostics::{data_warnings, fail, print_diags, report_failure, warn};
use super::output::{self, to_table};
use super::outputs::{check_output_size, compile_for_outputs, output_format, typed, write_output, Planned};
use super::program::params_from;
use std::io::Write as _;
use std::path::Path;
use strat::report::tables::{self, daily_columns};
use strat::{Frame, RunResult, Strategy};
use strat_runtime::write::Format;

/// The files of `strat run`: `--out`, `--weights-out`, `--costs-out`, each with its format
/// (`None` where the flag is absent).
type RunOutputs = [Option<(Planned, Format)>; 5];

fn planned_outputs(files: [(&str, Option<&Path>); 5]) -> Result<RunOutputs, i32> {
    let mut outs: RunOutputs = [None, None, None, None, None];
    for (slot, (flag, o)) in outs.iter_mut().zip(files) {
        if let Some(o) = o {
            let f = output_format(flag, o)?;
            *slot = Some((Planned { flag: flag.to_string(), path: o.to_path_buf() }, f));
        }
    }
    Ok(outs)
}

/// `strat run`: checks the outputs, compiles, loads, runs, writes the outputs, prints the table
/// or JSON; returns the exit code.
pub(super) fn run(args: &RunArgs) -> i32 {
    let RunArgs { file, json, out, weights_out, costs_out, trades, values_out, value, force, set, reference, conventions } = args;
    let conventions = conventions.conventions();
    let (json, force, reference) = (*json, *force, *reference);
    let files = [
        ("--out", out.as_deref()),
        ("--weights-out", weights_out.as_deref()),
        ("--costs-out", costs_out.as_deref()),
        ("--values-out", values_out.as_deref()),
        ("--trades", trades.as_deref()),
    ];
    let outs = match planned_outputs(files) {
        Ok(o) => o,
        Err(c) => return c,
    };
    let planned: Vec<Planned> = outs.iter().flatten().map(|(p, _)| p.clone()).collect();
    let strategy = match compile_for_outputs(file, &planned, force, reference) {
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
    if let Some(bad) = value.iter().find(|v| !strategy.let_names().contains(v)) {
        let names = strategy.let_names();
        return fail(
            2,
            "strat::cli::unknown_value",
            format!("--value {bad}: {} has no `let {bad}` whose value is a column", file.display()),
            if names.is_empty() { "the program declares no `let`".to_string() } else { format!("lets: {}", names.join(", ")) },
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
    let [daily, weights, costs, values, trade_list] = &outs;
    if let Some((o, _)) = daily {
        // One row per bar at most; date, one weight per held asset, return, equity.
        if let Err(c) = check_output_size(o, frame.len(), strategy.held_assets().len().max(1) + 3, 0) {
            return c;
        }
    }
    let mut result = match strategy.run(&frame, &params) {
        Ok(r) => r,
        Err(f) => {
            report_failure(&f);
            return 1;
        }
    };
    conventions.apply(&mut result);
    if let Err(c) = write_files(&strategy, &frame, &result, daily.as_ref(), weights.as_ref(), costs.as_ref()) {
        return c;
    }
    if let Some((o, f)) = values {
        let cols = match strategy.let_values(&frame, &params, value) {
            Ok(c) => c,
            Err(f) => {
                report_failure(&f);
                return 1;
            }
        };
        if let Err(c) = check_output_size(o, frame.len(), cols.len() + 1, 0) {
            return c;
        }
        let dates = frame.dates.iter().map(|&d| strat_runtime::frame::format_date(d)).collect();
        if let Err(c) = write_output(o, *f, &typed(vec![("date".into(), dates)], cols)) {
            return c;
        }
    }
    if let Some((o, f)) = trade_list {
        let Some(list) = strategy.trades(&frame, &result) else {
            return fail(
                2,
                "strat::cli::no_trades",
                format!("--trades: the book of {} is not a `hold` of a column or a universe; its round trips are its sleeves'", file.display()),
                "drop --trades, or run a sleeve's `hold` as its own program",
            );
        };
        if let Err(c) = check_output_size(o, list.len(), 9, 0) {
            return c;
        }
        if let Err(c) = write_output(o, *f, &trade_columns(&frame, &list)) {
            return c;
        }
    }
    data_warnings(&frame);
    for (m, help) in strategy.weight_warnings(&frame, &result) {
        warn("strat::run::implausible_weights", m, help);
    }
    for w in output::weights_warnings(&frame, &result) {
        warn("strat::weights::fallback", w, "");
    }
    for w in output::cash_warnings(&frame, &result) {
        warn("strat::run::missing_cash_rate", w, "fill the rate series, or cut the run to the dates it covers with `from`/`to`");
    }
    print_diags(&strategy.nan_condition_warnings(&frame, &params, &result));
    let text = if json {
        let mut report = strategy.report(&frame, &result);
        report.conventions = conventions;
        format!("{}\n", serde_json::to_string(&report).unwrap_or_default())
    } else {
        let mut table = to_table(strategy.name(), &frame, &result);
        if !conventions.is_default() {
            table += &format!("\nconventions: {}\n", conventions.describe());
        }
        table
    };
    let _ = std::io::stdout().write_all(text.as_bytes());
    0
}

/// Writes the daily file (`daily`, `--out`), the weights file (`weights`, `--weights-out`) and
/// the per-asset cost file (`costs`, `--costs-out`) of a run; the sizes of the last two are
/// checked once their rows are known.
fn write_files(
    strategy: &Strategy,
    frame: &Frame,
    result: &RunResult,
    daily: Option<&(Planned, Format)>,
    weights: Option<&(Planned, Format)>,
    costs: Option<&(Planned, Format)>,
) -> Result<(), i32> {
    if let Some((o, f)) = costs {
        let (text, nums) = tables::cost_rows(frame, result);
        check_output_size(o, nums.first().map(|c| c.1.len()).unwrap_or(0), 5, 0)?;
        write_output(o, *f, &typed(text, nums))?;
    }
    let weights_rows = weights.map(|(o, _)| (o, tables::weights_rows(frame, result)));
    if let Some((o, (text, _))) = &weights_rows {
        check_output_size(o, text.first().map(|c| c.1.len()).unwrap_or(0), 7, 0)?;
    }
    if let Some((o, f)) = daily {
        let (dates, cols) = daily_columns(frame, result, &strategy.held_assets());
        let dates = dates.into_iter().map(strat_runtime::frame::format_date).collect();
        write_output(o, *f, &typed(vec![("date".into(), dates)], cols))?;
    }
    if let (Some((o, (text, nums))), Some((_, f))) = (weights_rows, weights) {
        write_output(o, *f, &typed(text, nums))?;
    }
    Ok(())
}

/// The round trips as typed columns: `asset`, `side` (`long` / `short`), `entry` and `exit`
/// dates (the closes that opened and closed it; `exit` empty while open), `entry_weight`,
/// `mean_weight`, `bars`, `days` (calendar days to the exit, or to the last bar while open) and
/// `return` (its contribution to equity).
fn trade_columns(frame: &Frame, list: &[strat::Trade]) -> Vec<(String, strat_runtime::write::Col)> {
    use strat_runtime::frame::format_date;
    use strat_runtime::write::Col;
    let last = frame.len().saturating_sub(1);
    let date = |t: usize| frame.dates.get(t).map(|&d| format_date(d)).unwrap_or_default();
    let days = |t: &strat::Trade| (frame.dates[t.trip.exit.unwrap_or(last)] - frame.dates[t.trip.entry]) as i64;
    vec![
        ("asset".into(), Col::Text(list.iter().map(|t| t.asset.clone()).collect())),
        ("side".into(), Col::Text(list.iter().map(|t| if t.trip.entry_weight > 0.0 { "long" } else { "short" }.to_string()).collect())),
        ("entry".into(), Col::Text(list.iter().map(|t| date(t.trip.entry)).collect())),
        ("exit".into(), Col::Text(list.iter().map(|t| t.trip.exit.map(date).unwrap_or_default()).collect())),
        ("entry_weight".into(), Col::Float(list.iter().map(|t| t.trip.entry_weight).collect())),
        ("mean_weight".into(), Col::Float(list.iter().map(|t| t.trip.mean_weight).collect())),
        ("bars".into(), Col::Int(list.iter().map(|t| Some(t.trip.bars as i64)).collect())),
        ("days".into(), Col::Int(list.iter().map(|t| Some(days(t))).collect())),
        ("return".into(), Col::Float(list.iter().map(|t| t.trip.ret).collect())),
    ]
}
