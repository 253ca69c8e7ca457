//! What an editor shows of a checked program's names: each `let`'s type and static warm-up at
//! the default parameter values, each param's values. The language server's hover reads it.

use crate::bind::bind;
use crate::lower::hir_to_plan;
use crate::program::ParamDomain;
use strat_grammar::{source_to_ast_with_depth, Diag};

/// A `let` as the checker and the planner see it.
#[derive(Debug, Clone, PartialEq)]
pub struct LetOutline {
    /// The name.
    pub name: String,
    /// Its type as diagnostics print it (`series num`, `panel bool`, `scalar num (param)`...).
    pub ty: String,
    /// Its static warm-up in rows (SEMANTICS.md §3: the first row at which all of its inputs are
    /// defined) with every param at its default; `None` when the defaults do not bind (a window
    /// out of range) or when the value reads the strategy's own path (known only as it runs).
    pub warmup: Option<usize>,
    /// Whether it reads the strategy's own path (`own.*`, a kill switch).
    pub reads_own: bool,
}

/// A `param` and the values a sweep gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamOutline {
    /// The name.
    pub name: String,
    /// The default as written, or the first value.
    pub default: String,
    /// The values a sweep takes, as text (`[20, 60, 120]`, `[long_only, hedge]`); empty for a
    /// fixed param.
    pub values: Vec<String>,
}

/// The names of a checked program.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outline {
    /// Every `let`, in declaration order.
    pub lets: Vec<LetOutline>,
    /// Every `param`, in declaration order.
    pub params: Vec<ParamOutline>,
}

fn number(v: f64) -> String {
    // The shortest text that reads back as `v` (Rust's `Display` for f64).
    format!("{v}")
}

/// Parses and checks `src` (as [`crate::check_with_depth`], the same diagnostics) and, when it
/// checks, lowers it and binds the default params to describe its names. The outline is `None`
/// when the program has an error.
pub fn outline_with_depth(
    src: &str,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    max_depth: usize,
) -> (Vec<Diag>, Option<Outline>) {
    outline_with_files(src, default_name, columns_of, &mut crate::expand::no_files, max_depth)
}

/// [`outline_with_depth`], reading the files the program `use`s with `read_use`.
pub fn outline_with_files(
    src: &str,
    default_name: &str,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    read_use: &mut crate::expand::ReadUse,
    max_depth: usize,
) -> (Vec<Diag>, Option<Outline>) {
    let Some((ast, mut diags, regions)) = crate::parse_and_expand(src, columns_of, read_use, max_depth) else {
        return (source_to_ast_with_depth(src, max_depth).1, None);
    };
    let (hir, more) = crate::check_expanded(&ast, default_name, columns_of, &regions, &diags);
    diags.extend(more);
    let Some(hir) = hir else { return (diags, None) };
    let lowered = hir_to_plan(&hir);
    let defaults: Vec<f64> = hir.params.iter().map(|p| p.default).collect();
    let binding = bind(&lowered.plan, &defaults).ok();
    let regime_names: Vec<String> = hir.regimes.iter().map(|r| r.name.clone()).collect();
    let mut memo = vec![None; hir.lets.len()];
    let lets = hir
        .lets
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let reads_own = l.value.reads_own(&hir.lets, &mut memo);
            let warmup = if reads_own { None } else { binding.as_ref().zip(lowered.lets.get(i)).map(|(b, n)| b.warmup_of(*n)) };
            LetOutline { name: l.name.clone(), ty: l.value.ty.display(&regime_names), warmup, reads_own }
        })
        .collect();
    let params = lowered
        .program
        .params
        .iter()
        .map(|p| {
            let values = match &p.domain {
                ParamDomain::Fixed => vec![],
                ParamDomain::Values(v) => v.iter().copied().map(number).collect(),
                ParamDomain::Choices(c) => c.clone(),
            };
            let default = match &p.domain {
                ParamDomain::Choices(c) => c.get(p.default as usize).cloned().unwrap_or_default(),
                _ if !p.text.is_empty() && matches!(p.domain, ParamDomain::Fixed) => p.text.clone(),
                _ => number(p.default),
            };
            ParamOutline { name: p.name.clone(), default, values }
        })
        .collect();
    (diags, Some(Outline { lets, params }))
}
