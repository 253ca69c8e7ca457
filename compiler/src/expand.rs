//! `use "file.strat" as NAME`: another program's book as a sleeve of this one
//! (spec/language.md, "`use`"). Before checking, each `use` is replaced by the used program's
//! declarations that its `hold` reads (data, universes, panels, params, lets, regimes, universe
//! `weights`, `where` constraints), each renamed `NAME.x` so that it can't clash with this
//! program's names, followed by `sleeve NAME { hold ... }`. Everything downstream (the sleeve's
//! backtest, netting per asset, costs, kill switches, sweeps of the used params) is the sleeve
//! machinery of SEMANTICS.md §5 and §12.
//!
//! The used file is checked on its own first, so its own errors are reported as one
//! `strat::use::invalid` on the `use` with the used file's line and column. Its text is parsed
//! as if it followed this program's source (its spans start past this source's end), so a
//! diagnostic of the combined program that points into a used file is found by its span and
//! reported on the `use` ([`UsedRegions::relocate`]).

use crate::check::ast_to_hir;
use crate::suggest::did_you_mean;
use std::collections::HashSet;
use strat_grammar::ast::*;
use strat_grammar::{line_col, source_to_ast_with_depth, Diag, Severity, Span};

/// A used file as the caller read it.
#[derive(Debug, Clone)]
pub struct UsedFile {
    /// What identifies the file (its canonical path): two `use`s of one key are one file, and a
    /// key met again while following the `use`s of used files is a cycle.
    pub key: String,
    /// Its text.
    pub source: String,
}

/// Reads the file a `use` names, given its path relative to the folder of the top program
/// (`/`-separated, `..` kept); `Err` is a one-line reason (not found, too large, not UTF-8).
pub type ReadUse<'a> = dyn FnMut(&str) -> Result<UsedFile, String> + 'a;

/// A reader for entry points that read no files: every `use` is an error.
pub fn no_files(path: &str) -> Result<UsedFile, String> {
    Err(format!("{path}: this entry point reads no .strat files (compile a file, or give the source with its folder)"))
}

/// Where each used file's text sits in the combined program's span space.
#[derive(Debug, Clone, Default)]
pub struct UsedRegions {
    regions: Vec<Region>,
}

#[derive(Debug, Clone)]
struct Region {
    /// First byte of the used text in span space (its byte 0).
    start: usize,
    /// One past its last byte.
    end: usize,
    /// The path as resolved (for messages).
    path: String,
    /// Its text.
    source: String,
    /// The `use` statement of the top program.
    at: Span,
}

impl UsedRegions {
    /// Whether `span` points into a used file (not into the program's own source).
    pub fn contains(&self, span: Span) -> bool {
        self.regions.iter().any(|r| (span.start as usize) >= r.start && (span.start as usize) <= r.end)
    }

    /// Moves the diagnostics that point into a used file onto its `use` statement: an error
    /// keeps its code and says where in the used file it is; a warning is dropped (the used
    /// file's own lints are for its own runs). Labels that point into a used file are dropped.
    pub fn relocate(&self, diags: Vec<Diag>) -> Vec<Diag> {
        let find = |s: Span| self.regions.iter().find(|r| (s.start as usize) >= r.start && (s.start as usize) < r.end.max(r.start + 1));
        let mut out = vec![];
        for mut d in diags {
            let Some(r) = find(d.span()) else {
                d.labels.retain(|l| find(l.span).is_none());
                out.push(d);
                continue;
            };
            if d.severity != Severity::Error {
                continue;
            }
            let (line, col) = line_col(&r.source, d.span().start as usize - r.start);
            let label = d.labels.first().map(|l| l.message.clone()).unwrap_or_default();
            let mut e = Diag::error(d.code, format!("in {}:{line}:{col}: {}", r.path, d.message), r.at, format!("in the program this uses: {label}"));
            e.help = d.help.clone();
            out.push(e);
        }
        out
    }
}

/// Replaces every `use` of `program` (the parse of a source of `src_len` bytes) by the used
/// program's declarations and its sleeve. `columns_of` reads data headers (to check each used
/// file on its own), `read` the used files. Returns the expanded program, where the used texts
/// sit, and the diagnostics of the `use`s (unreadable, invalid or cyclic files, unknown
/// overrides, conflicting settings, ignored statements).
pub fn expand_uses(
    program: Program,
    src_len: usize,
    max_depth: usize,
    read: &mut ReadUse,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
) -> (Program, UsedRegions, Vec<Diag>) {
    let mut regions = UsedRegions::default();
    let mut diags = vec![];
    if !program.stmts.iter().any(|s| matches!(s.kind, StmtKind::Use { .. })) {
        return (program, regions, diags);
    }
    let outer = Settings::of(&program.stmts);
    let mut next = src_len + 1;
    let mut stmts = vec![];
    for stmt in program.stmts {
        let StmtKind::Use { path, path_span, alias, overrides } = &stmt.kind else {
            stmts.push(stmt);
            continue;
        };
        let u = Use { path: normalize("", path), path_span: *path_span, alias, overrides, at: stmt.span };
        match expand_one(&u, &outer, &mut next, max_depth, read, columns_of, &mut regions, &mut diags) {
            Some(mut inlined) => stmts.append(&mut inlined),
            None => {
                // Keep the name declared, as a sleeve that holds nothing checkable, so that the
                // statements that use it do not report it unknown: an error is already reported.
                stmts.push(stmt);
            }
        }
    }
    (Program { stmts }, regions, diags)
}

/// One `use` as written.
struct Use<'a> {
    /// The used file, relative to the top program's folder.
    path: String,
    path_span: Span,
    alias: &'a Ident,
    overrides: &'a [UseOverride],
    /// The whole statement.
    at: Span,
}

/// The settings a used program must share with this one.
#[derive(Debug, Clone, PartialEq)]
struct Settings {
    annualize: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

impl Settings {
    fn of(stmts: &[Stmt]) -> Settings {
        let mut s = Settings { annualize: None, from: None, to: None };
        for st in stmts {
            match &st.kind {
                StmtKind::Annualize { periods } => s.annualize = Some(format!("{}", periods.value)),
                StmtKind::From { date, .. } => s.from = Some(date.clone()),
                StmtKind::To { date, .. } => s.to = Some(date.clone()),
                _ => {}
            }
        }
        s
    }
}

#[allow(clippy::too_many_arguments)]
fn expand_one(
    u: &Use,
    outer: &Settings,
    next: &mut usize,
    max_depth: usize,
    read: &mut ReadUse,
    columns_of: &mut dyn FnMut(&str) -> Result<Vec<String>, String>,
    regions: &mut UsedRegions,
    diags: &mut Vec<Diag>,
) -> Option<Vec<Stmt>> {
    let alias = &u.alias.name;
    let file = match read(&u.path) {
        Ok(f) => f,
        Err(e) => {
            diags.push(
                Diag::error("strat::use::unreadable", format!("can't read `{}`: {e}", u.path), u.path_span, "this file")
                    .with_help("the path of a `use` is relative to the folder of the file that declares it"),
            );
            return None;
        }
    };
    // Cycles: follow the used file's own `use`s.
    if let Some(chain) = find_cycle(&u.path, &file, read, &mut vec![file.key.clone()], max_depth, 0) {
        diags.push(
            Diag::error("strat::use::cycle", format!("`use` cycle: {}", chain.join(" uses ")), u.path_span, "this file uses itself through the chain")
                .with_help("a program can't be a sleeve of itself; remove one `use` of the cycle"),
        );
        return None;
    }
    let start = *next;
    *next += file.source.len() + 1;
    let padded = format!("{}{}", " ".repeat(start), file.source);
    let (ast, parse) = source_to_ast_with_depth(&padded, max_depth);
    regions.regions.push(Region { start, end: start + file.source.len(), path: u.path.clone(), source: file.source.clone(), at: u.at });
    let dir = parent(&u.path);
    let invalid = |diags: &mut Vec<Diag>, d: &Diag| {
        let (line, col) = line_col(&file.source, (d.span().start as usize).saturating_sub(start));
        diags.push(
            Diag::error(
                "strat::use::invalid",
                format!("`{}` does not check: {}", u.path, d.message),
                u.path_span,
                format!("{} at {}:{line}:{col}", d.code, u.path),
            )
            .with_help(format!("run `strat check {}` for all of its diagnostics; a used file must be a valid program on its own", u.path)),
        );
    };
    if let Some(d) = parse.iter().find(|d| d.is_error()) {
        invalid(diags, d);
        return None;
    }
    let mut stmts = ast.stmts;
    for s in &mut stmts {
        rebase_path(&mut s.kind, &dir);
    }
    if stmts.iter().any(|s| matches!(s.kind, StmtKind::Use { .. })) {
        diags.push(
            Diag::error("strat::use::combined_book", format!("`{}` uses other files: its book is a book of sleeves", u.path), u.path_span, "this file")
                .with_help("a used file must hold a series or a universe (`hold X weight W`); use the files it uses directly here"),
        );
        return None;
    }
    let (_, checked) = ast_to_hir(&Program { stmts: stmts.clone() }, alias, columns_of);
    if let Some(d) = checked.iter().find(|d| d.is_error()) {
        invalid(diags, d);
        return None;
    }
    // The book must be a `hold` of a series or a universe.
    let book = stmts.iter().find_map(|s| match &s.kind {
        StmtKind::Hold { .. } => Some(None),
        StmtKind::HoldSleeves { .. } => Some(Some("a `hold` of sleeves")),
        StmtKind::Ensemble { .. } => Some(Some("an `ensemble`")),
        _ => None,
    });
    if let Some(Some(what)) = book {
        diags.push(
            Diag::error("strat::use::combined_book", format!("`{}`'s book is {what}", u.path), u.path_span, "this file")
                .with_help("a used file must hold a series or a universe (`hold X weight W`): put its sleeves in their own files and use them here"),
        );
        return None;
    }
    // Settings it must share.
    // A setting the used file declares must be this program's (one it leaves out takes this
    // program's: it runs on this program's rows).
    let inner = Settings::of(&stmts);
    let mut conflicts = vec![];
    if let Some(a) = inner.annualize.as_ref().filter(|a| **a != outer.annualize.clone().unwrap_or_else(|| "252".into())) {
        conflicts.push(format!("`annualize {a}` (this program: {})", outer.annualize.clone().unwrap_or_else(|| "252".into())));
    }
    for (what, a, b) in [("from", &inner.from, &outer.from), ("to", &inner.to, &outer.to)] {
        if a.is_some() && a != b {
            let show = |x: &Option<String>| x.as_ref().map_or_else(|| "none".to_string(), |d| format!("`{what} {d}`"));
            conflicts.push(format!("{} (this program: {})", show(a), show(b)));
        }
    }
    if !conflicts.is_empty() {
        diags.push(
            Diag::error("strat::use::conflict", format!("`{}` runs on other settings: {}", u.path, conflicts.join(", ")), u.path_span, "this file")
                .with_help("a used file's book runs on this program's rows and calendar: declare the same `from`, `to` and `annualize` in both files"),
        );
        return None;
    }
    // What the hold reads, transitively: the statements to keep.
    let keep = reachable(&stmts);
    let ignored: Vec<&str> = stmts
        .iter()
        .filter_map(|s| match s.kind {
            StmtKind::Cost { .. } => Some("cost"),
            StmtKind::Capital { .. } => Some("capital"),
            StmtKind::Kill { .. } => Some("kill"),
            StmtKind::VolTarget { .. } => Some("target_vol"),
            StmtKind::Limit { .. } => Some("limit"),
            StmtKind::Cash { .. } => Some("cash"),
            // A sleeve holds its targets between its rebalances (semantics.md §13, "Drift").
            StmtKind::Hold { drift: Some(_), .. } => Some("drift"),
            _ => None,
        })
        .collect();
    if !ignored.is_empty() {
        let mut kinds: Vec<&str> = vec![];
        for k in ignored {
            if !kinds.contains(&k) {
                kinds.push(k);
            }
        }
        diags.push(
            Diag::warning(
                "strat::use::ignored",
                format!(
                    "`{}`'s {} not applied: a used file gives its weights, and this program's book is charged and scaled",
                    u.path,
                    kinds.join(", ") + if kinds.len() == 1 { " is" } else { " are" }
                ),
                u.at,
                "used here",
            )
            .with_help("declare the cost, cash, kill switches, volatility target and limits in this program, where they apply to the combined book; a sleeve's weights do not drift"),
        );
    }
    // Overrides.
    let params: Vec<(String, bool)> = stmts
        .iter()
        .filter_map(|s| match &s.kind {
            StmtKind::Param { name, value } => Some((name.name.clone(), matches!(value, ParamValue::Choices(..)))),
            _ => None,
        })
        .collect();
    let mut ok = true;
    for (i, o) in u.overrides.iter().enumerate() {
        if let Some(first) = u.overrides[..i].iter().find(|p| p.name.name == o.name.name) {
            diags.push(
                Diag::error("strat::stmt::duplicate", format!("param `{}` is overridden twice", o.name.name), o.span, "second override")
                    .with_label(first.span, "first here")
                    .with_help("override each param once"),
            );
            ok = false;
            continue;
        }
        let Some((_, choice)) = params.iter().find(|(n, _)| *n == o.name.name) else {
            let hint = did_you_mean(&o.name.name, params.iter().map(|p| p.0.as_str())).map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| {
                if params.is_empty() {
                    format!("`{}` declares no params", u.path)
                } else {
                    format!("its params: {}", params.iter().map(|p| p.0.as_str()).collect::<Vec<_>>().join(", "))
                }
            });
            diags.push(
                Diag::error("strat::use::unknown_param", format!("`{}` has no param `{}`", u.path, o.name.name), o.name.span, "not a param of the used file")
                    .with_help(hint),
            );
            ok = false;
            continue;
        };
        if !keep.contains(&o.name.name) {
            diags.push(
                Diag::error(
                    "strat::use::unknown_param",
                    format!("param `{}` of `{}` does not change its book", o.name.name, u.path),
                    o.name.span,
                    "not read by the used file's hold",
                )
                .with_help("only the params the used file's `hold` reads (through its lets, regimes and weights) take part in this program"),
            );
            ok = false;
            continue;
        }
        if let (true, ParamValue::Choices(picked, _)) = (*choice, &o.value) {
            let cs = choices_of(&stmts, &o.name.name);
            if let Some(bad) = picked.iter().find(|p| !cs.contains(&p.name)) {
                diags.push(
                    Diag::error(
                        "strat::use::bad_override",
                        format!("`{}` is not a choice of param `{}` of `{}`", bad.name, o.name.name, u.path),
                        bad.span,
                        "not a choice",
                    )
                    .with_help(format!("its choices: {}", cs.join(", "))),
                );
                ok = false;
                continue;
            }
        }
        if *choice != matches!(o.value, ParamValue::Choices(..)) {
            let want = if *choice { "one of its choices (a name)" } else { "a number" };
            diags.push(
                Diag::error("strat::use::bad_override", format!("param `{}` of `{}` takes {want}", o.name.name, u.path), o.span, "this value")
                    .with_help("write `NAME = VALUE` or `NAME in [...]` with values of the param's kind"),
            );
            ok = false;
        }
    }
    if !ok {
        return None;
    }
    // Rename and assemble.
    let mut declared: HashSet<String> = HashSet::new();
    let mut out = vec![];
    let mut hold = None;
    for s in stmts {
        let keep_it = match &s.kind {
            StmtKind::Hold { .. } => true,
            StmtKind::Where { cond } => refs_of_expr(cond).iter().any(|n| keep.contains(n)),
            k => decl_name(k).is_some_and(|n| keep.contains(n)),
        };
        if !keep_it {
            continue;
        }
        if let Some(n) = decl_name(&s.kind) {
            declared.insert(n.to_string());
        }
        if let StmtKind::Regime { arms, .. } = &s.kind {
            declared.extend(arms.iter().map(|a| a.name.name.clone()));
        }
        if matches!(s.kind, StmtKind::Hold { .. }) {
            hold = Some(s);
        } else {
            out.push(s);
        }
    }
    let mut restricted = vec![];
    for s in &mut out {
        if let StmtKind::Param { name, value } = &mut s.kind {
            if let Some(o) = u.overrides.iter().find(|o| o.name.name == name.name) {
                match (&mut *value, &o.value) {
                    // A choice param keeps all of its choices (its expressions may name any of
                    // them): the overriding ones first (the first is the default), and a `where`
                    // keeps the bindings to them.
                    (ParamValue::Choices(cs, _), ParamValue::Choices(picked, _)) => {
                        let mut all = picked.clone();
                        all.extend(cs.iter().filter(|c| !picked.iter().any(|p| p.name == c.name)).cloned());
                        if all.len() > picked.len() {
                            restricted.push((name.clone(), picked.clone(), o.span));
                        }
                        *cs = all;
                    }
                    (v, new) => {
                        let when = match v {
                            ParamValue::List(_, w) | ParamValue::Choices(_, w) => w.take(),
                            ParamValue::Range { when, .. } => when.take(),
                            ParamValue::Fixed(_) => None,
                        };
                        *v = new.clone();
                        match v {
                            ParamValue::List(_, w) | ParamValue::Choices(_, w) => *w = when,
                            ParamValue::Range { when: w, .. } => *w = when,
                            ParamValue::Fixed(_) => {}
                        }
                    }
                }
            }
        }
    }
    for (param, picked, span) in restricted {
        let at = out.iter().position(|s| matches!(&s.kind, StmtKind::Param { name, .. } if name.name == param.name)).map_or(out.len(), |i| i + 1);
        let name = |id: &Ident| Expr { kind: ExprKind::Name(Ident { name: id.name.clone(), span }), span };
        let cond = picked
            .iter()
            .map(|c| Expr { kind: ExprKind::Binary(BinOp::Eq, Box::new(name(&param)), Box::new(name(c))), span })
            .reduce(|a, b| Expr { kind: ExprKind::Binary(BinOp::Or, Box::new(a), Box::new(b)), span })?;
        out.insert(at, Stmt { kind: StmtKind::Where { cond }, span });
    }
    let mut rename = |id: &mut Ident| {
        if declared.contains(&id.name) {
            id.name = format!("{alias}.{}", id.name);
        }
    };
    for s in &mut out {
        visit_stmt(&mut s.kind, &mut rename);
    }
    let mut hold = hold?;
    if let StmtKind::Hold { drift, .. } = &mut hold.kind {
        *drift = None;
    }
    visit_stmt(&mut hold.kind, &mut rename);
    out.push(Stmt { kind: StmtKind::Sleeve { name: u.alias.clone(), hold: Box::new(hold) }, span: u.at });
    Some(out)
}

/// The chain of files that leads back to a file on `stack`, following the `use`s of `file`
/// (at `path`), if any.
fn find_cycle(path: &str, file: &UsedFile, read: &mut ReadUse, stack: &mut Vec<String>, max_depth: usize, depth: usize) -> Option<Vec<String>> {
    if depth > 16 {
        return None;
    }
    let (ast, _) = source_to_ast_with_depth(&file.source, max_depth);
    let dir = parent(path);
    for s in &ast.stmts {
        let StmtKind::Use { path: p, .. } = &s.kind else { continue };
        let p = normalize(&dir, p);
        let Ok(f) = read(&p) else { continue };
        if stack.contains(&f.key) {
            return Some(vec![path.to_string(), p]);
        }
        stack.push(f.key.clone());
        if let Some(mut chain) = find_cycle(&p, &f, read, stack, max_depth, depth + 1) {
            chain.insert(0, path.to_string());
            return Some(chain);
        }
        stack.pop();
    }
    None
}

/// The choices of choice param `name` in `stmts`.
fn choices_of(stmts: &[Stmt], name: &str) -> Vec<String> {
    stmts
        .iter()
        .find_map(|s| match &s.kind {
            StmtKind::Param { name: n, value: ParamValue::Choices(cs, _) } if n.name == name => Some(cs.iter().map(|c| c.name.clone()).collect()),
            _ => None,
        })
        .unwrap_or_default()
}

/// The name a statement declares in the first namespace, if any.
fn decl_name(k: &StmtKind) -> Option<&str> {
    match k {
        StmtKind::Data { name, .. }
        | StmtKind::Universe { name, .. }
        | StmtKind::Panel { name, .. }
        | StmtKind::Param { name, .. }
        | StmtKind::Let { name, .. }
        | StmtKind::Regime { name, .. }
        | StmtKind::Weights { name, .. } => Some(&name.name),
        _ => None,
    }
}

/// The names the `hold` of `stmts` reads, transitively (through lets, regimes, weights, params'
/// `when`, panels' universes, and the `where` constraints on the params it reads).
fn reachable(stmts: &[Stmt]) -> HashSet<String> {
    let mut keep: HashSet<String> = HashSet::new();
    let mut todo: Vec<String> = stmts.iter().filter(|s| matches!(s.kind, StmtKind::Hold { .. })).flat_map(|s| refs_of(&s.kind)).collect();
    loop {
        while let Some(n) = todo.pop() {
            if !keep.insert(n.clone()) {
                continue;
            }
            for s in stmts {
                let declares = decl_name(&s.kind) == Some(n.as_str());
                let arm = matches!(&s.kind, StmtKind::Regime { arms, .. } if arms.iter().any(|a| a.name.name == n));
                if declares || arm {
                    todo.extend(refs_of(&s.kind));
                    if let Some(d) = decl_name(&s.kind) {
                        todo.push(d.to_string());
                    }
                }
            }
        }
        // A constraint on a kept param keeps what it reads.
        let more: Vec<String> = stmts
            .iter()
            .filter_map(|s| match &s.kind {
                StmtKind::Where { cond } => Some(refs_of_expr(cond)),
                _ => None,
            })
            .filter(|r| r.iter().any(|n| keep.contains(n)))
            .flatten()
            .filter(|n| !keep.contains(n))
            .collect();
        if more.is_empty() {
            return keep;
        }
        todo = more;
    }
}

/// The names a statement reads (not the one it declares).
fn refs_of(k: &StmtKind) -> Vec<String> {
    let mut k = k.clone();
    let decl = decl_name(&k).map(str::to_string);
    let mut out = vec![];
    visit_stmt(&mut k, &mut |id: &mut Ident| out.push(id.name.clone()));
    if let Some(d) = decl {
        if let Some(i) = out.iter().position(|n| *n == d) {
            out.remove(i);
        }
    }
    out
}

fn refs_of_expr(e: &Expr) -> Vec<String> {
    let mut e = e.clone();
    let mut out = vec![];
    visit_expr(&mut e, &mut |id: &mut Ident| out.push(id.name.clone()));
    out
}

/// Calls `f` on every name a statement declares or reads that may be a declaration of the
/// first namespace or a regime arm: not columns, assets, builtins, choices or clause words.
fn visit_stmt(k: &mut StmtKind, f: &mut dyn FnMut(&mut Ident)) {
    match k {
        StmtKind::Data { name, .. } | StmtKind::Universe { name, .. } => f(name),
        StmtKind::Panel { name, on, .. } => {
            f(name);
            if let Some(on) = on {
                f(on);
            }
        }
        StmtKind::Param { name, value } => {
            f(name);
            match value {
                ParamValue::List(_, Some(w)) | ParamValue::Choices(_, Some(w)) | ParamValue::Range { when: Some(w), .. } => visit_expr(w, f),
                _ => {}
            }
        }
        StmtKind::Let { name, value } => {
            f(name);
            visit_expr(value, f);
        }
        StmtKind::Regime { name, arms } => {
            f(name);
            for a in arms {
                f(&mut a.name);
                if let Some(c) = &mut a.cond {
                    visit_expr(c, f);
                }
            }
        }
        StmtKind::Hold { target, weight, .. } => {
            visit_expr(target, f);
            visit_expr(weight, f);
        }
        StmtKind::Where { cond } => visit_expr(cond, f),
        StmtKind::Weights { name, members, method, clauses } => {
            f(name);
            match members {
                WeightMembers::List(ids, _) => ids.iter_mut().for_each(&mut *f),
                WeightMembers::Name(id) => f(id),
            }
            visit_method(method, f);
            for c in clauses {
                match c {
                    WeightClause::Lookback(v, _) | WeightClause::Smooth(v, _) => visit_option(v, f),
                    WeightClause::Covariance(m, _) => visit_method(m, f),
                    WeightClause::Constrain(cs, _) => cs.iter_mut().for_each(|(_, v)| visit_option(v, f)),
                    WeightClause::Rebalance(..) | WeightClause::Fallback(..) => {}
                }
            }
        }
        _ => {}
    }
}

fn visit_method(m: &mut MethodSpec, f: &mut dyn FnMut(&mut Ident)) {
    f(&mut m.name);
    for a in &mut m.args {
        visit_option(&mut a.value, f);
    }
}

fn visit_option(v: &mut OptionValue, f: &mut dyn FnMut(&mut Ident)) {
    if let OptionValue::Name(id) = v {
        f(id);
    }
}

/// Every bare name of an expression, without recursion.
fn visit_expr(e: &mut Expr, f: &mut dyn FnMut(&mut Ident)) {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match &mut e.kind {
            ExprKind::Number(_) | ExprKind::Bool(_) => {}
            ExprKind::Name(id) => f(id),
            ExprKind::Field(b, _) => stack.push(b),
            ExprKind::Index(b, k) => {
                stack.push(b);
                stack.push(k);
            }
            ExprKind::Call(_, args) => stack.extend(args.iter_mut()),
            ExprKind::Unary(_, x) => stack.push(x),
            ExprKind::Binary(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            ExprKind::If(c, a, b) => {
                stack.push(c);
                stack.push(a);
                stack.push(b);
            }
            ExprKind::Tiers(x, arms, d) => {
                stack.push(x);
                for a in arms.iter_mut() {
                    stack.push(&mut a.threshold);
                    stack.push(&mut a.value);
                }
                stack.push(d);
            }
        }
    }
}

/// A used file's data paths, made relative to the top program's folder.
fn rebase_path(k: &mut StmtKind, dir: &str) {
    match k {
        StmtKind::Data { path, .. } | StmtKind::Universe { path, .. } | StmtKind::Panel { path, .. } => *path = normalize(dir, path),
        StmtKind::Use { path, .. } => *path = normalize(dir, path),
        _ => {}
    }
}

/// The folder part of a `/`-separated relative path (`""` for a bare file name).
fn parent(path: &str) -> String {
    match path.rfind('/') {
        Some(i) => path[..i].to_string(),
        None => String::new(),
    }
}

/// `dir/path` with `.` and inner `..` segments resolved lexically (`a/./b/../c` is `a/c`); an
/// absolute `path` is kept. Leading `..` segments stay: the path may leave the folder.
pub fn normalize(dir: &str, path: &str) -> String {
    let path = path.replace('\\', "/");
    if path.starts_with('/') || path.get(1..3) == Some(":/") {
        return path;
    }
    let dir = dir.replace('\\', "/");
    let root = if dir.starts_with('/') { "/" } else { "" };
    let mut parts: Vec<&str> = vec![];
    for seg in dir.split('/').chain(path.split('/')) {
        match seg {
            "" | "." => {}
            ".." if parts.last().is_some_and(|p| *p != "..") => {
                parts.pop();
            }
            s => parts.push(s),
        }
    }
    format!("{root}{}", parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalized_lexically() {
        assert_eq!(normalize("", "a.strat"), "a.strat");
        assert_eq!(normalize("", "./data/x.csv"), "data/x.csv");
        assert_eq!(normalize("sub", "../data/x.csv"), "data/x.csv");
        assert_eq!(normalize("sub/inner", "./x.csv"), "sub/inner/x.csv");
        assert_eq!(normalize("", "../shared/x.csv"), "../shared/x.csv");
        assert_eq!(normalize("sub", "/abs/x.csv"), "/abs/x.csv");
        assert_eq!(normalize("/abs/sub", "../data/x.csv"), "/abs/data/x.csv");
        assert_eq!(parent("sub/a.strat"), "sub");
        assert_eq!(parent("a.strat"), "");
    }

    fn codes(ds: &[Diag]) -> Vec<&'static str> {
        ds.iter().filter(|d| d.is_error()).map(|d| d.code).collect()
    }

    #[test]
    fn a_use_needs_an_entry_point_that_reads_files() {
        let src = "data m = csv(\"x.csv\")\nuse \"a.strat\" as a\nregime r { ON otherwise }\nensemble by r { ON => a }\n";
        let mut cols = |_: &str| Ok(vec!["x".to_string()]);
        // Through compile: the reader of an entry point without files refuses it.
        let (c, ds) = crate::compile(src, "t", &mut cols);
        assert!(c.is_none());
        assert_eq!(codes(&ds), ["strat::use::unreadable"]);
        // Straight to the checker, unexpanded: one error, and `a` is still a declared sleeve.
        let (ast, _) = strat_grammar::source_to_ast(src);
        let (hir, ds) = ast_to_hir(&ast, "t", &mut cols);
        assert!(hir.is_none());
        assert_eq!(codes(&ds), ["strat::use::unexpanded"]);
    }

    #[test]
    fn overrides_are_checked_before_the_expansion() {
        let used =
            "data m = csv(\"x.csv\")\nparam n = 2\nparam mode in [calm, any]\nhold m.x weight if mode == calm then n else 1 rebalance monthly drift\ncash 2%\n";
        let mut read = |_: &str| Ok(UsedFile { key: "k".into(), source: used.to_string() });
        let mut cols = |_: &str| Ok(vec!["x".to_string()]);
        let expand = |src: &str, read: &mut ReadUse, cols: &mut dyn FnMut(&str) -> Result<Vec<String>, String>| {
            let (ast, _) = strat_grammar::source_to_ast(src);
            expand_uses(ast, src.len(), 64, read, cols)
        };
        let (_, _, ds) = expand("use \"u.strat\" as u with n = 3, n = 4\n", &mut read, &mut cols);
        assert_eq!(codes(&ds), ["strat::stmt::duplicate"]);
        let (_, _, ds) = expand("use \"u.strat\" as u with mode = hot\n", &mut read, &mut cols);
        assert_eq!(codes(&ds), ["strat::use::bad_override"]);
        // Its cash and drift are not the sleeve's: one warning names both, and the sleeve's
        // hold does not drift.
        let (p, _, ds) = expand("use \"u.strat\" as u with mode = any\n", &mut read, &mut cols);
        assert!(codes(&ds).is_empty(), "{ds:?}");
        let w: Vec<&Diag> = ds.iter().filter(|d| d.code == "strat::use::ignored").collect();
        assert!(w.len() == 1 && w[0].message.contains("drift, cash") || w[0].message.contains("cash, drift"), "{ds:?}");
        let StmtKind::Sleeve { hold, .. } = &p.stmts.last().unwrap().kind else { panic!("{:?}", p.stmts.last()) };
        assert!(matches!(hold.kind, StmtKind::Hold { drift: None, .. }));
        // The choice override: both choices kept, the picked one first, and a `where`.
        let choices = p.stmts.iter().find_map(|s| match &s.kind {
            StmtKind::Param { name, value: ParamValue::Choices(cs, _) } if name.name == "u.mode" => Some(cs.iter().map(|c| c.name.clone()).collect::<Vec<_>>()),
            _ => None,
        });
        assert_eq!(choices, Some(vec!["any".to_string(), "calm".to_string()]));
        assert!(p.stmts.iter().any(|s| matches!(s.kind, StmtKind::Where { .. })));
    }
}
