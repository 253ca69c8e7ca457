//! Compiling the program of a command and binding its params from `--set`.

use super::diagnostics::{fail, print_diags, report_failure, warn};
use super::limits::engine;
use std::path::Path;
use strat::{Backend, Params, Strategy};

pub(super) fn compile(file: &Path, backend: Backend) -> Result<Strategy, i32> {
    match engine().with_backend(backend).compile_file(file) {
        Ok(s) => {
            print_diags(s.warnings());
            Ok(s)
        }
        Err(f) => {
            report_failure(&f);
            Err(1)
        }
    }
}

/// The default params with each `--set NAME=VALUE` applied. Errors: a name set twice
/// (`strat::cli::set_twice`, exit 2), or a bad `--set` (`strat::param::set`, exit 1). A value
/// outside the param's declared domain is accepted with a warning (`strat::param::domain`).
pub(super) fn params_from(strategy: &Strategy, set: &[String]) -> Result<Params, i32> {
    let mut p = strategy.params();
    let mut seen: Vec<(&str, &str)> = vec![];
    for s in set {
        let Some((k, v)) = s.split_once('=') else {
            return Err(fail(1, "strat::param::set", format!("--set expects NAME=VALUE, got `{s}`"), "write e.g. --set spike_z=3"));
        };
        let k = k.trim();
        if let Some((_, first)) = seen.iter().find(|(n, _)| *n == k) {
            return Err(fail(
                2,
                "strat::cli::set_twice",
                format!("--set {k} is given twice (`{k}={}` and `{k}={}`)", first.trim(), v.trim()),
                "give each param one --set",
            ));
        }
        seen.push((k, v));
        if let Err(e) = p.set(k, v) {
            return Err(fail(1, "strat::param::set", e, "see the param's declaration in the program"));
        }
        if let Some(i) = p.names.iter().position(|n| n == k) {
            if let Some((domain, values)) = declared_domain(strategy, i) {
                let x = p.values[i];
                let on_grid = values.iter().any(|&d| (d - x).abs() <= 1e-9 * d.abs().max(1.0));
                if !on_grid {
                    let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &d| (a.min(d), b.max(d)));
                    let short = |x: f64| if format!("{x}").len() > 12 { format!("{x:e}") } else { format!("{x}") };
                    let place = if x < lo || x > hi { format!("outside {} ..= {}", short(lo), short(hi)) } else { "between its values".to_string() };
                    warn(
                        "strat::param::domain",
                        format!("--set {k}={}: the value is not in the declared domain of `{k}` ({domain}: {} value(s), {place})", v.trim(), values.len()),
                        "the run goes ahead; a sweep never takes this value",
                    );
                }
            }
        }
    }
    Ok(p)
}

/// The declared domain of swept numeric param `i`, as written in the program (`0.1 ..= 1.0 step
/// 0.1`, `[10, 20, 50]`), and its values; `None` for a fixed or choice param.
pub(super) fn declared_domain(strategy: &Strategy, i: usize) -> Option<(String, Vec<f64>)> {
    let decl = strategy.program().params.get(i)?;
    let strat_compiler::program::ParamDomain::Values(values) = &decl.domain else { return None };
    let text = strategy.source().get(decl.span.start as usize..decl.span.end as usize).unwrap_or("");
    let after_in = text.split_once(" in ").map(|x| x.1).unwrap_or(text);
    let domain = after_in.split(" when ").next().unwrap_or(after_in).trim();
    Some((format!("`{domain}`"), values.clone()))
}
