//! Checking `weights NAME = MEMBERS by METHOD CLAUSES...` (spec/language.md "Weights") and
//! `hold [sleeves] weight NAME`. Options are literals or params; every bad option is reported
//! with the option's span, and statically infeasible constraint sets are warned about here
//! (at run time they send every rebalance to the fallback chain).

use super::{Checker, Decl};
use crate::hir::*;
use crate::suggest::did_you_mean;
use strat_grammar::ast::*;
use strat_grammar::{Diag, Span};

/// The method names a `weights` declaration (or a choice param's values) may use.
pub const METHODS: &[&str] = &["inv_vol", "erc", "hrp", "hrp_single", "hrp_ward", "min_var", "max_sharpe", "kelly", "regime_moe"];

/// The methods a choice param may name (each with its default options).
const CHOICE_METHODS: &[&str] = &["inv_vol", "erc", "hrp", "hrp_single", "hrp_ward", "min_var", "max_sharpe", "kelly"];

/// The constraint names of `constrain`.
const CONSTRAINTS: &[&str] = &["max_weight", "min_weight", "turnover", "max_leverage", "min_history", "min_active", "max_drawdown", "vol_target"];

/// The fallback steps of `fallback`.
const FALLBACKS: &[&str] = &["sharpe_proportional", "equal", "previous"];

impl Checker {
    /// `weights NAME = MEMBERS by METHOD CLAUSES...`: recorded even when it fails to check
    /// (as `None`), so that the numbering of `weights` declarations stays in source order.
    pub(super) fn weights_stmt(&mut self, n: &Ident, members: &WeightMembers, method: &MethodSpec, clauses: &[WeightClause], span: Span) {
        let d = self.check_weights(n, members, method, clauses, span);
        self.weights.push(d);
        self.weights_used.push((false, n.span));
    }

    /// Checks a `weights` declaration. `None` after reporting at least one error.
    pub(super) fn check_weights(
        &mut self,
        name: &Ident,
        members: &WeightMembers,
        method: &MethodSpec,
        clauses: &[WeightClause],
        span: Span,
    ) -> Option<WeightsDecl> {
        let (members, member_names) = self.weight_members(members)?;
        let method = self.method_choice(method);
        let mut decl = WeightsDecl {
            name: name.name.clone(),
            members,
            member_names,
            method: MethodChoice::Fixed(WeightMethod::InvVol),
            lookback: OptValue::Const(60.0),
            rebalance: RebalanceRule::Monthly,
            covariance: CovarianceChoice::Sample,
            max_weight: None,
            min_weight: None,
            turnover: None,
            max_leverage: None,
            min_history: None,
            min_active: None,
            max_drawdown: None,
            vol_target: None,
            smoothing: None,
            fallback: vec![FallbackChoice::SharpeProportional, FallbackChoice::Equal, FallbackChoice::Previous],
            span,
        };
        let mut ok = true;
        let mut seen: Vec<(&'static str, Span)> = vec![];
        for c in clauses {
            if let Some(&(_, prev)) = seen.iter().find(|(k, _)| *k == c.keyword()) {
                self.err(
                    Diag::error("strat::stmt::duplicate", format!("a second `{}` clause", c.keyword()), c.span(), "again")
                        .with_label(prev, "first here")
                        .with_help("give each clause once; list several constraints in one `constrain a X, b Y`"),
                );
                ok = false;
                continue;
            }
            seen.push((c.keyword(), c.span()));
            ok &= self.weight_clause(c, &mut decl);
        }
        let n = decl.member_names.len();
        if let Some(OptValue::Const(k)) = decl.min_active {
            if k > n as f64 {
                let span = clauses.iter().find(|c| matches!(c, WeightClause::Constrain(..))).map(|c| c.span()).unwrap_or(span);
                self.diags.push(
                    Diag::warning("strat::weights::infeasible", format!("infeasible constraint set: min_active {k} > {n} members"), span, "never met")
                        .with_help("every rebalance will use the fallback chain; lower min_active"),
                );
            }
        }
        if let Some(m) = &method {
            self.warn_unused_bounds(m, &decl, clauses);
            self.warn_infeasible(m, &decl, n, clauses);
        }
        decl.method = method?;
        ok.then_some(decl)
    }

    /// `[a, b, c]` (sleeves) or `NAME` (a universe): the members and their names.
    fn weight_members(&mut self, members: &WeightMembers) -> Option<(WeightMembersRef, Vec<String>)> {
        match members {
            WeightMembers::Name(id) => match self.lookup_declared(id)? {
                Decl::Universe(u) => {
                    if self.broken_universes.get(u).copied().unwrap_or(true) {
                        return None;
                    }
                    let assets = self.universes[u].assets.clone();
                    if assets.len() < 2 {
                        self.err(
                            Diag::error(
                                "strat::weights::too_few_members",
                                format!("universe `{}` has {} asset: nothing to weight", id.name, assets.len()),
                                id.span,
                                "one asset",
                            )
                            .with_help("weight two or more assets or sleeves"),
                        );
                        return None;
                    }
                    Some((WeightMembersRef::Universe(u), assets))
                }
                Decl::Sleeve(_) => {
                    self.err(
                        Diag::error("strat::weights::bad_members", format!("`{}` is one sleeve", id.name), id.span, "a sleeve")
                            .with_help(format!("list the sleeves to weight: `[{}, ...]`", id.name)),
                    );
                    None
                }
                _ => {
                    self.err(
                        Diag::error(
                            "strat::weights::bad_members",
                            format!("`{}` is neither a universe nor a list of sleeves", id.name),
                            id.span,
                            "cannot be weighted",
                        )
                        .with_help("weight a universe's assets (`weights w = etfs by erc`) or sleeves (`weights w = [qm, lowvol] by erc`)"),
                    );
                    None
                }
            },
            WeightMembers::List(ids, lspan) => {
                let mut out: Vec<usize> = vec![];
                let mut names = vec![];
                let mut ok = true;
                for id in ids {
                    match self.lookup_declared(id) {
                        Some(Decl::Sleeve(k)) if out.contains(&k) => {
                            self.err(
                                Diag::error("strat::name::duplicate", format!("sleeve `{}` is listed twice", id.name), id.span, "again")
                                    .with_help("list each sleeve once"),
                            );
                            ok = false;
                        }
                        Some(Decl::Sleeve(k)) => {
                            out.push(k);
                            names.push(id.name.clone());
                        }
                        Some(_) => {
                            self.err(Diag::error("strat::weights::bad_members", format!("`{}` is not a sleeve", id.name), id.span, "not a sleeve").with_help(
                                "a list names sleeves (`sleeve NAME { hold ... }`); to weight a universe's assets, name the universe without brackets",
                            ));
                            ok = false;
                        }
                        None => ok = false,
                    }
                }
                if ok && out.len() < 2 {
                    self.err(
                        Diag::error("strat::weights::too_few_members", "weights need two or more sleeves", *lspan, "one sleeve")
                            .with_help("list two or more sleeves, e.g. `[qm, lowvol]`"),
                    );
                    ok = false;
                }
                ok.then_some((WeightMembersRef::Sleeves(out), names))
            }
        }
    }

    /// A declared name, declared above the current statement (else reported).
    fn lookup_declared(&mut self, id: &Ident) -> Option<Decl> {
        let Some(&(decl, dspan)) = self.decls.get(&id.name) else {
            self.unknown_name(id);
            return None;
        };
        self.declared_above(id, dspan).then_some(decl)
    }

    /// `by METHOD(options)` or `by PARAM` (a choice param over method names).
    fn method_choice(&mut self, spec: &MethodSpec) -> Option<MethodChoice> {
        if let Some(&(Decl::Param(i), _)) = self.decls.get(&spec.name.name) {
            if !self.choice_enum.contains_key(&i) {
                self.err(
                    Diag::error(
                        "strat::weights::unknown_method",
                        format!("param `{}` is a number, not a choice of methods", spec.name.name),
                        spec.name.span,
                        "not a method",
                    )
                    .with_help(format!("declare `param {} in [inv_vol, erc, hrp]` to sweep methods", spec.name.name)),
                );
                return None;
            }
            self.lookup_declared(&spec.name)?;
            if let Some(a) = spec.args.first() {
                self.err(
                    Diag::error("strat::weights::bad_option", "a method chosen by a param takes no options", a.span, "option")
                        .with_help("each choice uses its method's defaults; write the method itself to set options"),
                );
                return None;
            }
            self.param_used[i] = true;
            let choices = match &self.params.get(i)?.domain {
                ParamDomain::Choices(c) => c.clone(),
                _ => return None,
            };
            let mut methods = vec![];
            for c in &choices {
                match default_method(c) {
                    Some(m) => methods.push(m),
                    None => {
                        let pspan = self.params[i].span;
                        self.err(
                            Diag::error(
                                "strat::weights::unknown_method",
                                format!("choice `{c}` of param `{}` is not a weighting method", spec.name.name),
                                spec.name.span,
                                "chooses the method",
                            )
                            .with_label(pspan, format!("`{c}` is declared here"))
                            .with_help(format!(
                                "a method param chooses among methods with their defaults: {} (regime_moe needs its regime: write it directly)",
                                CHOICE_METHODS.join(", ")
                            )),
                        );
                        return None;
                    }
                }
            }
            return Some(MethodChoice::Param { param: i, methods });
        }
        self.method(spec, true).map(MethodChoice::Fixed)
    }

    /// One method with its options; `allow_kelly` is false for Kelly's base.
    fn method(&mut self, spec: &MethodSpec, allow_kelly: bool) -> Option<WeightMethod> {
        let name = spec.name.name.as_str();
        let known: &[&str] = match name {
            "inv_vol" | "erc" | "min_var" | "max_sharpe" | "hrp_single" | "hrp_ward" => &[],
            "hrp" => &["linkage"],
            "kelly" if allow_kelly => &["base", "fraction"],
            "regime_moe" if allow_kelly => &["regime", "tau"],
            "kelly" | "regime_moe" => {
                self.err(
                    Diag::error("strat::weights::bad_option", format!("`{name}` cannot be Kelly's base"), spec.span, "not a base method")
                        .with_help("Kelly scales inv_vol, erc, hrp, min_var or max_sharpe"),
                );
                return None;
            }
            _ => {
                let hint = match did_you_mean(name, METHODS.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? methods: {}", METHODS.join(", ")),
                    None => format!("methods: {}", METHODS.join(", ")),
                };
                self.err(
                    Diag::error("strat::weights::unknown_method", format!("unknown weighting method `{name}`"), spec.name.span, "not a method").with_help(hint),
                );
                return None;
            }
        };
        let args = self.named_args(spec, known)?;
        let get = |k: &str| args.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        Some(match name {
            "hrp" => match get("linkage") {
                None => WeightMethod::Hrp { ward: false },
                Some(OptionValue::Name(id)) if id.name == "single" => WeightMethod::Hrp { ward: false },
                Some(OptionValue::Name(id)) if id.name == "ward" => WeightMethod::Hrp { ward: true },
                Some(v) => {
                    self.err(
                        Diag::error("strat::weights::bad_option", "HRP's linkage is `single` or `ward`", v.span(), "not a linkage")
                            .with_help("write `hrp(linkage = ward)`, or `hrp` for single linkage"),
                    );
                    return None;
                }
            },
            "kelly" => {
                let base = match get("base") {
                    None => WeightMethod::MaxSharpe,
                    Some(OptionValue::Name(id)) => {
                        let spec = MethodSpec { name: id.clone(), args: vec![], span: id.span };
                        self.method(&spec, false)?
                    }
                    Some(v) => {
                        self.err(
                            Diag::error("strat::weights::bad_option", "Kelly's base is a method name", v.span(), "not a method")
                                .with_help("e.g. `kelly(base = erc, fraction = 0.25)`"),
                        );
                        return None;
                    }
                };
                let fraction = match get("fraction") {
                    None => OptValue::Const(0.25),
                    Some(v) => self.opt_num(v, "the Kelly fraction", OptionRange::UNIT)?,
                };
                WeightMethod::Kelly { base: Box::new(base), fraction }
            }
            "regime_moe" => {
                let regime = match get("regime") {
                    Some(OptionValue::Name(id)) => match self.lookup_declared(id)? {
                        Decl::Regime(r) if self.regimes.get(r).is_some_and(|d| d.param.is_none()) => r,
                        _ => {
                            self.err(
                                Diag::error("strat::type::not_a_regime", format!("`{}` is not a regime", id.name), id.span, "not a regime")
                                    .with_help("name a `regime NAME { ... }` declared above"),
                            );
                            return None;
                        }
                    },
                    _ => {
                        self.err(
                            Diag::error("strat::weights::bad_option", "the regime mixture of experts needs a regime", spec.span, "which regime?")
                                .with_help("e.g. `regime_moe(state, tau = 1)` (the regime comes first)"),
                        );
                        return None;
                    }
                };
                let tau = match get("tau") {
                    None => OptValue::Const(1.0),
                    Some(v) => self.opt_num(v, "the softmax temperature tau", OptionRange::POSITIVE)?,
                };
                WeightMethod::RegimeMoe { regime, tau }
            }
            other => default_method(other)?,
        })
    }

    /// Matches positional and named options against `known` (positional ones in that order).
    fn named_args<'a>(&mut self, spec: &'a MethodSpec, known: &[&'static str]) -> Option<Vec<(&'static str, &'a OptionValue)>> {
        let mut out: Vec<(&'static str, &'a OptionValue)> = vec![];
        let mut ok = true;
        for (i, a) in spec.args.iter().enumerate() {
            let key = match &a.key {
                Some(k) => known.iter().copied().find(|n| *n == k.name),
                None => known.get(i).copied(),
            };
            let Some(key) = key else {
                let help = if known.is_empty() {
                    format!("`{}` takes no options", spec.name.name)
                } else {
                    format!("`{}` takes: {}", spec.name.name, known.join(", "))
                };
                self.err(
                    Diag::error("strat::weights::bad_option", format!("`{}` has no such option", spec.name.name), a.span, "unknown option").with_help(help),
                );
                ok = false;
                continue;
            };
            if out.iter().any(|(k, _)| *k == key) {
                self.err(
                    Diag::error("strat::weights::bad_option", format!("option `{key}` is given twice"), a.span, "again").with_help("give each option once"),
                );
                ok = false;
                continue;
            }
            out.push((key, &a.value));
        }
        ok.then_some(out)
    }

    /// A numeric option: a literal in `range`, or a numeric param (checked when bound).
    fn opt_num(&mut self, v: &OptionValue, what: &str, range: OptionRange) -> Option<OptValue> {
        match v {
            OptionValue::Number(l) => {
                if range.whole && l.unit != Unit::None {
                    self.err(
                        Diag::error("strat::unit::unexpected", format!("{what} is a count, without a unit"), l.span, "no unit here")
                            .with_help(format!("write a whole number, e.g. `{}`", l.text.trim_end_matches(['%', 'b', 'p', 's']))),
                    );
                    return None;
                }
                let x = l.value;
                if !range.contains(x) {
                    self.err(
                        Diag::error("strat::value::bad_weight_option", format!("{what} is `{}`", l.text), l.span, "out of range")
                            .with_help(format!("{what} is {}", range.describe())),
                    );
                    return None;
                }
                Some(OptValue::Const(x))
            }
            OptionValue::Name(id) => match self.lookup_declared(id)? {
                Decl::Param(i) if !self.choice_enum.contains_key(&i) => {
                    self.param_used[i] = true;
                    Some(OptValue::Param(i))
                }
                _ => {
                    self.err(
                        Diag::error("strat::type::not_a_param", format!("{what} must be a number or a numeric param"), id.span, "not a number")
                            .with_help("write a literal (e.g. `40%`) or a `param` to sweep"),
                    );
                    None
                }
            },
        }
    }

    /// One clause; false after reporting an error.
    fn weight_clause(&mut self, c: &WeightClause, d: &mut WeightsDecl) -> bool {
        match c {
            WeightClause::Lookback(v, _) => match self.opt_num(v, "the lookback", OptionRange::WINDOW) {
                Some(x) => d.lookback = x,
                None => return false,
            },
            WeightClause::Rebalance(r, _) => match self.rebalance_rule(r) {
                Some(rule) => d.rebalance = rule,
                None => return false,
            },
            WeightClause::Covariance(m, _) => match self.covariance_clause(m) {
                Some(c) => d.covariance = c,
                None => return false,
            },
            WeightClause::Constrain(items, _) => return self.constrain_clause(items, d),
            WeightClause::Smooth(v, _) => match self.opt_num(v, "the EWMA smoothing weight", OptionRange::UNIT) {
                Some(x) => d.smoothing = Some(x),
                None => return false,
            },
            WeightClause::Fallback(steps, _) => return self.fallback_clause(steps, d),
        }
        true
    }

    /// `covariance sample | ledoit_wolf | ewma(span = N)`.
    fn covariance_clause(&mut self, m: &MethodSpec) -> Option<CovarianceChoice> {
        let est = match m.name.name.as_str() {
            "sample" | "ledoit_wolf" | "ewma" => m.name.name.as_str(),
            other => {
                let hint = did_you_mean(other, ["sample", "ledoit_wolf", "ewma"]).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                self.err(
                    Diag::error("strat::weights::unknown_covariance", format!("unknown covariance estimator `{other}`"), m.name.span, "not an estimator")
                        .with_help(format!("{hint}estimators: sample, ledoit_wolf, ewma(span = N)")),
                );
                return None;
            }
        };
        let known: &[&'static str] = if est == "ewma" { &["span"] } else { &[] };
        let args = self.named_args(m, known)?;
        let covariance = match est {
            "sample" => CovarianceChoice::Sample,
            "ledoit_wolf" => CovarianceChoice::LedoitWolf,
            _ => match args.first() {
                Some((_, v)) => match self.opt_num(v, "the EWMA span", OptionRange::SPAN) {
                    Some(span) => CovarianceChoice::Ewma { span },
                    None => return None,
                },
                None => {
                    self.err(
                        Diag::error("strat::weights::bad_option", "the EWMA covariance needs a span", m.span, "which span?")
                            .with_help("e.g. `covariance ewma(span = 30)`"),
                    );
                    return None;
                }
            },
        };
        Some(covariance)
    }

    /// `constrain NAME = VALUE, ...`: each known constraint once; false after an error.
    fn constrain_clause(&mut self, items: &[(Ident, OptionValue)], d: &mut WeightsDecl) -> bool {
        let mut ok = true;
        let mut seen: Vec<&str> = vec![];
        for (k, v) in items {
            if seen.contains(&k.name.as_str()) {
                self.err(
                    Diag::error("strat::stmt::duplicate", format!("constraint `{}` is given twice", k.name), k.span, "again")
                        .with_help("give each constraint once"),
                );
                ok = false;
                continue;
            }
            seen.push(&k.name);
            let (what, range) = match k.name.as_str() {
                "max_weight" => ("max_weight", OptionRange::UNIT),
                "min_weight" => ("min_weight", OptionRange::MIN_WEIGHT),
                "turnover" => ("the turnover cap", OptionRange::POSITIVE),
                "max_leverage" => ("max_leverage", OptionRange::POSITIVE),
                "min_active" => ("min_active", OptionRange::COUNT),
                "min_history" => ("min_history", OptionRange::WINDOW),
                "max_drawdown" => ("max_drawdown", OptionRange::UNIT),
                "vol_target" => ("the vol target", OptionRange::POSITIVE),
                other => {
                    let hint = did_you_mean(other, CONSTRAINTS.iter().copied()).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                    self.err(
                        Diag::error("strat::weights::unknown_constraint", format!("unknown constraint `{other}`"), k.span, "not a constraint")
                            .with_help(format!("{hint}constraints: {}", CONSTRAINTS.join(", "))),
                    );
                    ok = false;
                    continue;
                }
            };
            match self.opt_num(v, what, range) {
                Some(x) => match k.name.as_str() {
                    "max_weight" => d.max_weight = Some(x),
                    "min_weight" => d.min_weight = Some(x),
                    "turnover" => d.turnover = Some(x),
                    "min_active" => d.min_active = Some(x),
                    "min_history" => d.min_history = Some(x),
                    "max_drawdown" => d.max_drawdown = Some(x),
                    "vol_target" => d.vol_target = Some(x),
                    _ => d.max_leverage = Some(x),
                },
                None => ok = false,
            }
        }
        ok
    }

    /// `fallback STEP, ...`: known steps, each once; false after an error.
    fn fallback_clause(&mut self, steps: &[Ident], d: &mut WeightsDecl) -> bool {
        let mut out = vec![];
        for s in steps {
            let step = match s.name.as_str() {
                "sharpe_proportional" => FallbackChoice::SharpeProportional,
                "equal" => FallbackChoice::Equal,
                "previous" => FallbackChoice::Previous,
                other => {
                    let hint = did_you_mean(other, FALLBACKS.iter().copied()).map(|s| format!("did you mean `{s}`? ")).unwrap_or_default();
                    self.err(
                        Diag::error("strat::weights::unknown_fallback", format!("unknown fallback step `{other}`"), s.span, "not a step")
                            .with_help(format!("{hint}steps: {} (cash is always the last resort)", FALLBACKS.join(", "))),
                    );
                    return false;
                }
            };
            if out.contains(&step) {
                self.err(
                    Diag::error("strat::stmt::duplicate", format!("fallback step `{}` is listed twice", s.name), s.span, "again")
                        .with_help("list each step once"),
                );
                return false;
            }
            out.push(step);
        }
        d.fallback = out;
        true
    }

    /// Warns when bounds are given for a fixed method that ignores them (SEMANTICS.md §6: the
    /// bounds constrain min-var and max-Sharpe only).
    fn warn_unused_bounds(&mut self, m: &MethodChoice, d: &WeightsDecl, clauses: &[WeightClause]) {
        let MethodChoice::Fixed(method) = m else { return };
        if uses_bounds(method) || (d.max_weight.is_none() && d.min_weight.is_none()) {
            return;
        }
        let span = clauses.iter().find(|c| matches!(c, WeightClause::Constrain(..))).map(|c| c.span()).unwrap_or(d.span);
        self.diags.push(Diag::warning("strat::weights::bounds_unused", format!("{} ignores max_weight / min_weight", method_name(method)), span, "no effect on this method")
            .with_help("the weight bounds constrain min_var and max_sharpe (and Kelly on them) only, as SEMANTICS.md §6; inv_vol, erc, hrp and regime_moe are long-only and unbounded"));
    }

    /// Warns when constant bounds admit no fully invested portfolio of the members.
    fn warn_infeasible(&mut self, m: &MethodChoice, d: &WeightsDecl, n: usize, clauses: &[WeightClause]) {
        let any_bounded = match m {
            MethodChoice::Fixed(x) => uses_bounds(x),
            MethodChoice::Param { methods, .. } => methods.iter().any(uses_bounds),
        };
        let span = clauses.iter().find(|c| matches!(c, WeightClause::Constrain(..))).map(|c| c.span()).unwrap_or(d.span);
        let nf = n as f64;
        let msg = match (d.max_weight, d.min_weight) {
            (Some(OptValue::Const(hi)), _) if nf * hi < 1.0 - 1e-12 => format!("max_weight {hi} x {n} members = {} < 1", nf * hi),
            (_, Some(OptValue::Const(lo))) if nf * lo > 1.0 + 1e-12 => format!("min_weight {lo} x {n} members = {} > 1", nf * lo),
            (Some(OptValue::Const(hi)), Some(OptValue::Const(lo))) if lo > hi => format!("min_weight {lo} > max_weight {hi}"),
            _ => return,
        };
        if any_bounded {
            self.diags.push(
                Diag::warning(
                    "strat::weights::infeasible",
                    format!("infeasible constraint set: {msg}"),
                    span,
                    "no fully invested portfolio meets these bounds",
                )
                .with_help("every rebalance of min_var / max_sharpe will use the fallback chain; loosen the bounds"),
            );
        }
    }

    /// Checks `hold [s1, s2, ...] weight W`: `W` must be sleeve weights over exactly these sleeves.
    pub(super) fn check_hold_sleeves(&mut self, sleeves: &[Ident], weight: &Expr, reb: Option<&Rebalance>) -> Option<usize> {
        if let Some(r) = reb {
            let span = match r {
                Rebalance::Monthly(s) | Rebalance::Weekly(s) => *s,
                Rebalance::Every(l) => l.span,
            };
            self.err(
                Diag::error("strat::weights::rebalance_on_sleeve_hold", "sleeve weights rebalance where they are declared", span, "not here")
                    .with_help("write the schedule in the `weights` declaration: `weights w = [a, b] by erc rebalance monthly`"),
            );
            return None;
        }
        let ExprKind::Name(id) = &weight.kind else {
            self.err(
                Diag::error("strat::weights::sleeve_mismatch", "sleeves are held with a `weights` declaration", weight.span, "not a weights name")
                    .with_help("declare `weights w = [a, b] by erc` and write `hold [a, b] weight w`"),
            );
            return None;
        };
        let k = match self.lookup_declared(id)? {
            Decl::Weights(k) => k,
            _ => {
                self.err(
                    Diag::error("strat::weights::sleeve_mismatch", format!("`{}` is not a `weights` declaration", id.name), id.span, "not sleeve weights")
                        .with_help("declare `weights w = [a, b] by erc` and write `hold [a, b] weight w`"),
                );
                return None;
            }
        };
        if let Some(u) = self.weights_used.get_mut(k) {
            u.0 = true;
        }
        let decl = self.weights.get(k).cloned().flatten()?;
        let listed: Vec<&str> = sleeves.iter().map(|s| s.name.as_str()).collect();
        let same = matches!(decl.members, WeightMembersRef::Sleeves(_)) && decl.member_names.iter().map(|s| s.as_str()).eq(listed.iter().copied());
        if !same {
            let span = match (sleeves.first(), sleeves.last()) {
                (Some(a), Some(b)) => Span::new(a.span.start as usize, b.span.end as usize),
                _ => weight.span,
            };
            self.err(
                Diag::error(
                    "strat::weights::sleeve_mismatch",
                    format!("`{}` weights [{}]", id.name, decl.member_names.join(", ")),
                    span,
                    "these sleeves differ",
                )
                .with_label(id.span, "these weights")
                .with_help(format!(
                    "hold exactly the weighted sleeves, in order: `hold [{}] weight {}`",
                    decl.member_names.join(", "),
                    id.name
                )),
            );
            return None;
        }
        Some(k)
    }
}

/// A method name's defaults (the choices of a method param).
fn default_method(name: &str) -> Option<WeightMethod> {
    Some(match name {
        "inv_vol" => WeightMethod::InvVol,
        "erc" => WeightMethod::Erc,
        "hrp" | "hrp_single" => WeightMethod::Hrp { ward: false },
        "hrp_ward" => WeightMethod::Hrp { ward: true },
        "min_var" => WeightMethod::MinVar,
        "max_sharpe" => WeightMethod::MaxSharpe,
        "kelly" => WeightMethod::Kelly { base: Box::new(WeightMethod::MaxSharpe), fraction: OptValue::Const(0.25) },
        _ => return None,
    })
}

/// Whether a method obeys the weight bounds.
fn uses_bounds(m: &WeightMethod) -> bool {
    match m {
        WeightMethod::MinVar | WeightMethod::MaxSharpe => true,
        WeightMethod::Kelly { base, .. } => uses_bounds(base),
        _ => false,
    }
}

/// A method's name as written (one definition: [`WeightMethod::name`]).
pub fn method_name(m: &WeightMethod) -> &'static str {
    m.name()
}
